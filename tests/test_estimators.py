"""scratch.estimators: scikit-learn's own estimator checks, the estimators next to scikit-learn's in
Pipeline, GridSearchCV and cross_val_score, labels of any kind, and the stand-in without scikit-learn."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from scratch.datasets import load_iris
from scratch.estimators import (
    LinearRegressionEstimator,
    LogisticRegressionEstimator,
    NotFittedError,
    SoftmaxRegressionEstimator,
)
from scratch.models import LogisticRegression, SoftmaxRegression
from scratch.training import fit_lbfgs

try:
    from sklearn.utils.estimator_checks import parametrize_with_checks
except ImportError:  # scikit-learn is an optional extra: only the tests below that need none of it run
    parametrize_with_checks = None
needs_sklearn = pytest.mark.skipif(parametrize_with_checks is None, reason="needs scikit-learn (an optional extra)")

CLASSES = (LinearRegressionEstimator, LogisticRegressionEstimator, SoftmaxRegressionEstimator)
ESTIMATORS = [cls(**options) for options in ({}, {"solver": "sgd"}) for cls in CLASSES]
DIVERGES = (
    "plain SGD at a fixed lr on these unscaled features (X ~ N(100, 1)) diverges and raises TrainingDiverged, "
    "as the lecture's loop should; solver='lbfgs', the default, passes"
)


def expected_failed_checks(estimator):
    """The checks a configuration cannot pass by design, with the reason (scikit-learn's xfail)."""
    if isinstance(estimator, LinearRegressionEstimator) and estimator.solver == "sgd":
        return dict.fromkeys(["check_fit_idempotent", "check_fit_check_is_fitted", "check_n_features_in"], DIVERGES)
    return {}


if parametrize_with_checks is not None:

    @parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
    def test_scikit_learn_estimator_checks(estimator, check):
        check(estimator)


def iris_data(labels=None, binary=False, standardize=False):
    """Iris X (150, 4) and y, the class indices replaced by ``labels``; ``binary``: classes 1 and 2 only."""
    iris = load_iris()
    X, y = iris.X, iris.y
    if binary:
        X, y = X[y > 0], y[y > 0]
    if standardize:  # fewer L-BFGS iterations to a tight tol
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, (y if labels is None else np.asarray(labels)[y])


# ---- the same objective as scikit-learn's -------------------------------------------------------------
@needs_sklearn
@pytest.mark.parametrize("binary", [False, True])
def test_lbfgs_fit_is_scikit_learn_logistic_regression_with_the_same_c_and_sample_weight(binary):
    from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression

    X, y = iris_data(binary=binary, standardize=True)
    w = np.random.default_rng(0).uniform(0, 2, len(X))
    ours = LogisticRegressionEstimator(C=0.5, tol=1e-9).fit(X, y, sample_weight=w)
    theirs = SklearnLogisticRegression(C=0.5, tol=1e-12, max_iter=10_000).fit(X, y, sample_weight=w)
    assert ours.coef_.shape == theirs.coef_.shape and ours.intercept_.shape == theirs.intercept_.shape
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-6)
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X), rtol=1e-5, atol=1e-5)


@needs_sklearn
@pytest.mark.parametrize("alpha", [0.0, 3.0])
def test_lbfgs_fit_is_scikit_learn_ridge_with_the_same_alpha_and_sample_weight(alpha):
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(0)
    X = rng.normal(2, 3, (80, 4))
    y, w = X @ [1.0, -2.0, 0.5, 3.0] + 4 + rng.normal(size=80), rng.uniform(0, 2, 80)
    ours = LinearRegressionEstimator(alpha=alpha, tol=1e-10).fit(X, y, sample_weight=w)
    theirs = Ridge(alpha=alpha).fit(X, y, sample_weight=w)
    assert ours.coef_.shape == (4,) and np.ndim(ours.intercept_) == 0
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-7)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-7)
    assert ours.score(X, y, sample_weight=w) == pytest.approx(theirs.score(X, y, sample_weight=w), rel=1e-9)


def test_the_estimator_is_its_scratch_model_fitted_by_fit_lbfgs_on_the_models_loss_grad():
    """One formula: the estimator adds no gradient of its own; l2 = 1 / (C·N)."""
    for binary, model in ((False, SoftmaxRegression(4, 3)), (True, LogisticRegression(4))):
        X, y = iris_data(binary=binary, standardize=True)
        estimator = LogisticRegressionEstimator(C=2.0).fit(X, y)
        fit_lbfgs(model, X, y - binary, l2=1 / (2.0 * len(X)), tol=1e-4, max_iter=1000)
        assert type(estimator.model_) is type(model)
        np.testing.assert_array_equal(estimator.coef_, model.state_dict()["weight"])
        np.testing.assert_array_equal(estimator.intercept_, model.state_dict()["bias"])


# ---- in scikit-learn's tools ----------------------------------------------------------------------------
@needs_sklearn
def test_pipeline_grid_search_over_lr_and_cross_val_score_match_scikit_learn_on_iris():
    """Tolerance: the L-BFGS fit has scikit-learn's objective, so the mean 5-fold accuracy agrees within
    one sample (1/150); SGD, tuned over lr, within 0.03."""
    from sklearn.linear_model import LogisticRegression as SklearnLogisticRegression
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = iris_data()
    sgd = make_pipeline(StandardScaler(), LogisticRegressionEstimator(solver="sgd", random_state=0))
    search = GridSearchCV(sgd, {"logisticregressionestimator__lr": [0.01, 0.1, 1.0]}, cv=5).fit(X, y)
    theirs = cross_val_score(make_pipeline(StandardScaler(), SklearnLogisticRegression()), X, y, cv=5)
    ours = cross_val_score(make_pipeline(StandardScaler(), LogisticRegressionEstimator()), X, y, cv=5)
    assert search.best_params_["logisticregressionestimator__lr"] == 1.0  # 0.01 underfits in 50 epochs
    assert abs(ours.mean() - theirs.mean()) <= 1 / 150
    assert abs(search.best_score_ - theirs.mean()) <= 0.03
    assert search.predict(X[:5]).tolist() == y[:5].tolist()


@needs_sklearn
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_clone_copies_the_hyper_parameters_and_not_the_fitted_model(estimator):
    from sklearn.base import clone

    X, y = iris_data(standardize=True)
    fitted = clone(estimator).set_params(random_state=0).fit(X, y)
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params() and not hasattr(copy, "model_")
    np.testing.assert_array_equal(copy.fit(X, y).predict(X), fitted.predict(X))


# ---- labels, predictions, shapes -------------------------------------------------------------------
@pytest.mark.parametrize("cls", [LogisticRegressionEstimator, SoftmaxRegressionEstimator])
@pytest.mark.parametrize("labels", [["virginica", "setosa", "versicolor"], [100, -3, 7]])
def test_any_labels_become_classes_and_come_back_from_predict(cls, labels):
    X, y = iris_data(labels, standardize=True)
    estimator = cls().fit(X, y)
    np.testing.assert_array_equal(estimator.classes_, sorted(labels))
    proba = estimator.predict_proba(X)
    assert proba.shape == (150, 3) and estimator.decision_function(X).shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_array_equal(estimator.predict(X), estimator.classes_[proba.argmax(axis=1)])
    assert estimator.score(X, y) >= 0.95


@pytest.mark.parametrize("cls", [LogisticRegressionEstimator, SoftmaxRegressionEstimator])
def test_two_classes_give_one_decision_per_sample_positive_for_the_second_class(cls):
    X, y = iris_data(["a", "versicolor", "virginica"], binary=True, standardize=True)
    estimator = cls().fit(X, y)
    decision, proba = estimator.decision_function(X), estimator.predict_proba(X)
    assert decision.shape == (100,) and proba.shape == (100, 2)
    np.testing.assert_array_equal(estimator.predict(X), np.where(decision > 0, "virginica", "versicolor"))
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-decision)), rtol=1e-10)
    assert estimator.coef_.shape == ((1, 4) if cls is LogisticRegressionEstimator else (2, 4))


def test_uint8_features_are_table_values_not_pixels_as_in_scikit_learn():
    """An estimator's X is a table: uint8 columns are counts or codes, read as their values (not / 255)."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    X = (rng.integers(0, 100, (60, 8)) + 120 * y[:, None] * (np.arange(8) < 4)).astype(np.uint8)
    on_uint8 = LogisticRegressionEstimator().fit(X, y)
    on_floats = LogisticRegressionEstimator().fit(X.astype(np.float64), y)
    assert on_uint8.model_.transform is None and on_floats.model_.transform is None
    np.testing.assert_array_equal(on_uint8.coef_, on_floats.coef_)
    np.testing.assert_array_equal(on_uint8.predict_proba(X), on_floats.predict_proba(X.astype(np.float64)))


def test_float32_estimators_keep_float32():
    X, y = iris_data(standardize=True)
    estimator = SoftmaxRegressionEstimator(dtype="float32").fit(X, y)
    assert estimator.coef_.dtype == np.float32 and estimator.predict_proba(X).dtype == np.float32
    assert estimator.score(X, y) >= 0.95


# ---- hyper-parameters and errors ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, error, message",
    [
        ({"solver": "adam"}, ValueError, "solver must be one of 'lbfgs', 'sgd'; got 'adam'"),
        ({"C": 0}, ValueError, "C must be a number > 0; got 0"),
        ({"tol": -1.0}, ValueError, "tol must be a number > 0"),
        ({"max_iter": -1}, ValueError, "max_iter must be an integer ≥ 0"),
        ({"solver": "sgd", "lr": -0.1}, ValueError, "Invalid learning rate: -0.1 \\(lr must be ≥ 0\\)"),
        ({"solver": "sgd", "epochs": 1.5}, TypeError, "epochs must be an integer"),
        ({"solver": "sgd", "momentum": -1}, ValueError, "momentum must be ≥ 0"),
        ({"dtype": "int32"}, TypeError, "dtype must be float32 or float64"),
        ({"random_state": "zero"}, TypeError, "random_state must be a non-negative int"),
    ],
)
def test_hyper_parameters_are_stored_as_given_and_checked_in_fit_naming_them(params, error, message):
    estimator = LogisticRegressionEstimator(**params)
    assert estimator.get_params().items() >= params.items()
    with pytest.raises(error, match=message):
        estimator.fit(*iris_data())


def test_alpha_of_the_regressor_is_checked_in_fit():
    with pytest.raises(ValueError, match="alpha must be a number ≥ 0; got -1"):
        LinearRegressionEstimator(alpha=-1).fit(*iris_data())


@pytest.mark.parametrize("cls", CLASSES)
def test_predicting_before_fit_raises_not_fitted_error(cls):
    estimator = cls()
    for method in ("predict", "predict_proba", "decision_function"):
        if hasattr(estimator, method):
            with pytest.raises(NotFittedError, match=f"This {cls.__name__} instance is not fitted yet"):
                getattr(estimator, method)(np.ones((2, 4)))
    assert not hasattr(estimator, "coef_")  # NotFittedError is an AttributeError, as scikit-learn's


def test_wrong_data_gets_a_message_naming_what_to_do():
    X, y = iris_data(standardize=True)
    estimator = LogisticRegressionEstimator().fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but LogisticRegressionEstimator is expecting 4"):
        estimator.predict(X[:, :3])
    with pytest.raises(ValueError, match="Reshape your data"):
        estimator.predict(X[0])
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        estimator.fit(X, y + 0.5)
    with pytest.raises(ValueError, match="needs at least two classes"):
        estimator.fit(X, np.zeros(150))
    with pytest.raises(ValueError, match="sample_weight must be ≥ 0 and not all zero"):
        estimator.fit(X, y, sample_weight=np.zeros(150))


def test_without_scikit_learn_a_stand_in_gives_params_fit_predict_and_score():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["sklearn"] = None  # "import sklearn" now raises ImportError
        import numpy as np
        from scratch.datasets import load_iris
        from scratch.estimators import LogisticRegressionEstimator, NotFittedError

        estimator = LogisticRegressionEstimator(C=2.0)
        assert estimator.set_params(C=0.5) is estimator and estimator.get_params()["C"] == 0.5
        assert repr(estimator).startswith("LogisticRegressionEstimator(C=0.5, solver='lbfgs'")
        try:
            estimator.predict(np.ones((1, 4)))
        except NotFittedError as error:
            assert isinstance(error, (ValueError, AttributeError))
        iris = load_iris()
        y = np.array(iris.class_names)[iris.y]
        print(round(estimator.fit(iris.X, y).score(iris.X, y), 4))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 0.95 <= float(result.stdout) <= 1


# ---- scikit-learn's conventions: writable coef_, X's dtype, the minimum-norm least squares --------
@pytest.mark.parametrize("cls", CLASSES)
def test_setting_coef_and_intercept_changes_predictions_as_in_scikit_learn(cls):
    X, y = iris_data(binary=cls is not SoftmaxRegressionEstimator, standardize=True)
    estimator = cls().fit(X, y)
    coef, intercept = np.zeros_like(estimator.coef_), np.ones_like(estimator.intercept_)
    estimator.coef_, estimator.intercept_ = coef, intercept
    decision = estimator.predict(X) if cls is LinearRegressionEstimator else estimator.decision_function(X)
    np.testing.assert_allclose(decision, np.ones_like(decision))  # z = 0·x + 1 (three logits for softmax)
    estimator.coef_[...] = 1.0  # a view: writing into it reaches the model too
    assert np.all(estimator.model_.params["W"] == 1.0)
    with pytest.raises(ValueError, match=r"coef_ must have the fitted shape"):
        estimator.coef_ = np.ones(7)


@pytest.mark.parametrize("cls", CLASSES)
def test_the_model_dtype_follows_x_unless_dtype_is_given(cls):
    X, y = iris_data(binary=cls is LinearRegressionEstimator, standardize=True)
    assert cls().fit(X.astype(np.float32), y).coef_.dtype == np.float32
    assert cls().fit(X.astype(np.int64), y).coef_.dtype == np.float64
    assert cls(dtype="float64").fit(X.astype(np.float32), y).coef_.dtype == np.float64


@needs_sklearn
@pytest.mark.parametrize("weighted", [False, True])
def test_alpha_zero_is_scikit_learns_minimum_norm_least_squares_also_when_n_is_at_most_d(weighted):
    from sklearn.linear_model import LinearRegression as SklearnLinearRegression

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 10)), rng.normal(size=6)
    w = rng.integers(0, 4, 6).astype(float) if weighted else None
    ours, theirs = LinearRegressionEstimator().fit(X, y, w), SklearnLinearRegression().fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-9, atol=1e-12)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), atol=1e-12)
