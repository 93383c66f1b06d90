"""scratch.training: fit (the minibatch driver) and fit_lbfgs (the full-batch optimum), and the one
preprocessing path: what fit trained on is what loss, score and predict read afterwards."""

import re
from pathlib import Path

import numpy as np
import pytest

import scratch
from scratch.cli.tasks import build_model, load_task, parse_sequential
from scratch.datasets import load_iris
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.optim import SGD, CosineAnnealingLR, StepLR
from scratch.preprocessing import ScalePixels
from scratch.training import History, TrainingDiverged, fit, fit_lbfgs
from scratch.nn import CrossEntropyLoss, Linear, Network, ReLU, Sequential, Softmax

from conftest import (
    assert_finite,
    assert_one_sgd_step_stays_finite,
    assert_raises_naming,
    BINARY,
    case,
    CLASSIFIER,
    LABELS,
    LINEAR,
    regression_data,
    tiny_images,
    SOFTMAX,
    X,
    X_2_FEATURES,
    X_EMPTY,
    X_NAN,
    X_STRING,
)


def binary_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    return X, (X @ [2.0, -1.0] + 0.3 + rng.standard_normal(n) > 0).astype(np.float64)


class BatchRecorder(LinearRegression):
    """A one-feature model with zero gradients that records the batches the driver hands it."""

    def __init__(self):
        super().__init__(1)
        self.batches = []

    def loss_grad(self, X, y, sample_weight=None):
        self.batches.append(y.copy())
        return 1.0, {"W": np.zeros(1), "b": np.zeros(())}


def with_scheduler(model, lr, make_scheduler):
    """optimizer= and scheduler= for fit: plain SGD on the model, and a scheduler built on it."""
    optimizer = SGD(model.params, lr)
    return {"optimizer": optimizer, "scheduler": make_scheduler(optimizer)}


# ---- fit reaches the optimum -------------------------------------------------------------------
def test_lecture_logistic_regression_loop_converges_to_the_lbfgs_optimum():
    X, y = binary_data()
    model = LogisticRegression(2)
    schedule = with_scheduler(model, 1.0, lambda opt: CosineAnnealingLR(opt, 60))
    history = fit(model, X, y, epochs=60, batch_size=16, seed=0, **schedule)
    optimum = fit_lbfgs(LogisticRegression(2), X, y)
    assert history.train_loss[-1] < history.train_loss[0] < np.log(2)  # log 2: the zero-init loss
    assert model.score(X, y) >= 0.85  # labels carry noise: the optimum itself scores 0.895
    assert model.loss(X, y) == pytest.approx(optimum.fun, rel=1e-4)


def test_full_batch_sgd_reaches_the_least_squares_loss_within_1e_6():
    X, y = regression_data()
    model = LinearRegression(3)
    fit(model, X, y, epochs=100, batch_size=len(X), lr=0.3, seed=0)
    best = LinearRegression(3).fit_least_squares(X, y).loss(X, y)
    assert model.loss(X, y) == pytest.approx(best, rel=1e-6)


def test_minibatch_sgd_with_cosine_schedule_approaches_the_least_squares_loss():
    # Minibatch noise keeps a constant-lr SGD ~lr away; the annealed lr brings it within 1e-3.
    X, y = regression_data()
    model = LinearRegression(3)
    fit(model, X, y, epochs=60, batch_size=16, seed=0, **with_scheduler(model, 0.2, lambda o: CosineAnnealingLR(o, 60)))
    best = LinearRegression(3).fit_least_squares(X, y)
    assert model.loss(X, y) == pytest.approx(best.loss(X, y), rel=1e-3)
    np.testing.assert_allclose(model.params["W"], best.params["W"], atol=0.01)


def test_softmax_regression_on_iris_reaches_95_percent_training_accuracy():
    iris = load_iris()
    model = SoftmaxRegression(4, 3)
    fit(model, iris.X, iris.y, epochs=100, batch_size=16, optimizer=SGD(model.params, lr=0.05, momentum=0.9), seed=0)
    assert model.score(iris.X, iris.y) >= 0.95


def test_fit_trains_an_nn_network_through_the_same_protocol():
    nn = pytest.importorskip("scratch.nn")
    iris = load_iris()
    network = nn.Network(nn.Sequential(nn.Linear(4, 3, seed=0)), nn.CrossEntropyLoss())
    history = fit(network, iris.X, iris.y, epochs=30, batch_size=16, lr=0.05, seed=0)
    assert history.train_loss[-1] < history.train_loss[0]


# ---- the driver ------------------------------------------------------------------------------------
def test_absurd_learning_rate_raises_training_diverged_naming_epoch_step_and_lr():
    X, y = regression_data()
    with pytest.raises(TrainingDiverged, match=r"epoch \d+, step \d+ \(lr=1e\+06\)") as caught:
        fit(LinearRegression(3), X * 1e3, y, epochs=5, batch_size=16, lr=1e6)
    assert isinstance(caught.value, FloatingPointError)
    assert caught.value.lr == 1e6 and caught.value.epoch >= 1 and caught.value.step >= 1


def test_same_seed_is_bit_identical_and_different_seeds_differ():
    X, y = binary_data()

    def trained_weights(seed):
        model = LogisticRegression(2)
        fit(model, X, y, epochs=3, batch_size=16, lr=0.5, seed=seed)
        return model.params["W"].copy()

    np.testing.assert_array_equal(trained_weights(7), trained_weights(7))
    assert not np.array_equal(trained_weights(7), trained_weights(8))


def test_last_partial_batch_is_kept_unless_drop_last_like_dataloader():
    y = np.arange(10.0)
    kept, dropped = BatchRecorder(), BatchRecorder()
    fit(kept, y[:, None], y, epochs=1, batch_size=4, lr=0.1, shuffle=False)
    fit(dropped, y[:, None], y, epochs=1, batch_size=4, lr=0.1, shuffle=False, drop_last=True)
    assert [len(b) for b in kept.batches] == [4, 4, 2]
    assert [len(b) for b in dropped.batches] == [4, 4]
    np.testing.assert_array_equal(np.concatenate(kept.batches), y)  # shuffle=False keeps the order


def test_shuffle_visits_every_sample_once_per_epoch_in_a_new_order():
    y = np.arange(10.0)
    recorder = BatchRecorder()
    fit(recorder, y[:, None], y, epochs=2, batch_size=3, lr=0.1, seed=0)
    first, second = np.concatenate(recorder.batches[:4]), np.concatenate(recorder.batches[4:])
    np.testing.assert_array_equal(np.sort(first), y)
    np.testing.assert_array_equal(np.sort(second), y)
    assert not np.array_equal(first, second)


def test_history_records_each_epoch_the_scheduler_steps_and_verbose_prints_one_line_per_epoch(capsys):
    X, y = tiny_images()
    model = SoftmaxRegression(36, 3)
    schedule = with_scheduler(model, 0.4, lambda opt: StepLR(opt, 2, 0.5))
    history = fit(model, X, y, epochs=4, batch_size=16, validation_data=(X, y), **schedule)
    assert capsys.readouterr().out == ""  # verbose=False by default
    assert isinstance(history, History)
    assert history.lr == [0.4, 0.4, 0.2, 0.2] and schedule["scheduler"].get_last_lr() == [0.1]
    assert len(history.train_loss) == len(history.val_loss) == len(history.val_score) == len(history.seconds) == 4
    assert history.val_score[-1] == model.score(X, y)
    fit(model, X, y, epochs=2, batch_size=16, lr=0.1, validation_data=(X, y), verbose=True)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2  train loss") and "val accuracy" in lines[0]


def _validation_cases():
    X, y = binary_data()
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (60, 36), dtype=np.uint8), np.arange(60) % 3
    net = Network(Sequential(Linear(36, 8, seed=0), ReLU(), Linear(8, 3, seed=1)), CrossEntropyLoss())
    return [(LinearRegression(2), X, X @ [1.5, -2.0] + 0.3), (LogisticRegression(2), X, y),
            (SoftmaxRegression(36, 3), images, labels), (net, images, labels)]


@pytest.mark.parametrize("model, X, y", _validation_cases(), ids=["linear", "logistic", "softmax", "network"])
def test_each_epochs_validation_loss_and_score_are_the_models_own(model, X, y):
    """One forward pass gives both (the criterion reads them off the outputs): model.loss and model.score's values."""
    history = fit(model, X, y, epochs=2, batch_size=16, lr=0.05, seed=0, validation_data=(X[:30], y[:30]))
    assert history.val_loss[-1] == model.loss(X[:30], y[:30])
    assert history.val_score[-1] == model.score(X[:30], y[:30])


def test_lr_zero_is_allowed_as_in_pytorch_and_changes_nothing():
    X, y = regression_data()
    model = LinearRegression(3)
    fit(model, X, y, epochs=1, batch_size=16, lr=0.0)
    assert not model.params["W"].any()


@pytest.mark.parametrize(
    "options, error, message",
    [
        (dict(lr=0.1, optimizer="given"), ValueError, "exactly one of lr"),
        (dict(), ValueError, "exactly one of lr"),
        (dict(lr=-0.1), ValueError, "Invalid learning rate: -0.1 \\(lr must be ≥ 0\\)"),
        (dict(lr=0.1, batch_size=0), ValueError, "batch_size must be an integer ≥ 1; got 0"),
        (dict(lr=0.1, epochs=2.5), TypeError, "epochs must be an integer"),
        (dict(lr=0.1, epochs=0), ValueError, "epochs must be an integer ≥ 1; got 0.$"),  # no "[1, None]"
        (dict(lr=0.1, batch_size=500, drop_last=True), ValueError, "leaves no batch"),
        (dict(lr=0.1, scheduler=0.5), TypeError, "scheduler must be a scheduler"),
        (dict(lr=0.1, scheduler="on another optimizer"), ValueError, "scheduler must schedule the optimizer fit uses"),
        (dict(optimizer="sgd"), TypeError, "optimizer must be an optimizer"),
        (dict(optimizer="on other arrays"), ValueError, r"optimizer does not update this model's parameters \['W', 'b'\]"),
        (dict(lr=0.1, seed=-1), TypeError, "seed must be"),
    ],
)
def test_fit_rejects_bad_options_with_clear_errors(options, error, message):
    X, y = regression_data()
    model = LinearRegression(3)
    if options.get("optimizer") == "given":
        options["optimizer"] = SGD(model.params, lr=0.1)
    if options.get("optimizer") == "on other arrays":
        options["optimizer"] = SGD(LinearRegression(3).params, lr=0.1)
    if options.get("scheduler") == "on another optimizer":
        options["scheduler"] = StepLR(SGD(model.params, lr=0.1), 2)
    with pytest.raises(error, match=message):
        fit(model, X, y, **(dict(epochs=1, batch_size=8) | options))
    assert not model.params["W"].any()


def test_fit_rejects_bad_data_up_front():
    X, y = regression_data()
    model = LinearRegression(3)
    with pytest.raises(ValueError, match="X and y must have the same number of samples"):
        fit(model, X, y[:-1], epochs=1, batch_size=8, lr=0.1)
    X[150, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN; every value must be finite"):
        fit(model, X, y, epochs=1, batch_size=8, lr=0.1)
    with pytest.raises(ValueError, match="X must be a 2-D or 3-D or 4-D array"):
        fit(model, y, y, epochs=1, batch_size=8, lr=0.1)
    with pytest.raises(TypeError, match="model must be a scratch model or nn.Network"):
        fit(object(), X, y, epochs=1, batch_size=8, lr=0.1)


@pytest.mark.parametrize("where", ["y", "validation_data"])
def test_a_bad_label_in_the_last_batch_is_refused_before_the_first_update(where):
    X, y = tiny_images(n=40)
    bad = y.copy()
    bad[-1] = 3  # the last sample of the last batch (shuffle=False)
    model = SoftmaxRegression(36, 3)
    labels, validation = (bad, None) if where == "y" else (y, (X, bad))
    with pytest.raises(ValueError, match=rf"^{'validation_data: ' if where != 'y' else ''}y holds label 3"):
        fit(model, X, labels, epochs=1, batch_size=4, lr=0.1, shuffle=False, validation_data=validation)
    assert not model.params["W"].any()


# ---- sample weights -------------------------------------------------------------------------------------
def repeated(X, y, counts):
    """Each row n repeated counts[n] times: what integer sample weights must be equivalent to."""
    return np.repeat(X, counts, axis=0), np.repeat(y, counts)


def test_integer_sample_weights_are_repeated_rows_for_lbfgs_and_full_batch_sgd():
    X, y = binary_data(n=60)
    counts = np.random.default_rng(0).integers(0, 4, len(X))  # 0 leaves the sample out
    for train in (
        lambda m, *data, **w: fit_lbfgs(m, *data, l2=0.1, tol=1e-12, **w),
        lambda m, *data, **w: fit(m, *data, epochs=30, batch_size=len(data[0]), lr=0.5, **w),
    ):
        weighted, reference = LogisticRegression(2), LogisticRegression(2)
        train(weighted, X, y, sample_weight=counts)
        train(reference, *repeated(X, y, counts))
        np.testing.assert_allclose(weighted.params["W"], reference.params["W"], rtol=1e-9)
        np.testing.assert_allclose(weighted.params["b"], reference.params["b"], rtol=1e-9)


class WeightRecorder(BatchRecorder):
    def loss_grad(self, X, y, sample_weight=None):
        self.batches.append((y.copy(), sample_weight.copy()))
        return 1.0, {"W": np.zeros(1), "b": np.zeros(())}


def test_each_minibatch_gets_its_rows_weights_rescaled_to_mean_one_over_the_data():
    """Weights w / mean(w): a batch of one keeps its weight, and a batch's loss estimates Σwℓ / Σw."""
    y, w = np.arange(10), np.arange(10) + 1.0
    model = WeightRecorder()
    fit(model, y.reshape(-1, 1), y, epochs=2, batch_size=3, lr=0.1, seed=0, sample_weight=w)
    assert sorted(np.concatenate([labels for labels, _ in model.batches])) == sorted(np.tile(y, 2))
    for labels, weights in model.batches:
        np.testing.assert_allclose(weights, w[labels.astype(int)] / w.mean(), rtol=1e-14)


@pytest.mark.parametrize(
    "weights, message",
    [(-np.ones(200), "≥ 0"), (np.zeros(200), "not all zero"), (np.ones(199), r"shape \(200,\)"), ([[1.0]] * 200, "1-D")],
)
def test_bad_sample_weights_are_refused_before_any_update(weights, message):
    X, y = regression_data()
    model = LinearRegression(3)
    for train in (lambda: fit(model, X, y, epochs=1, batch_size=8, lr=0.1, sample_weight=weights),
                  lambda: fit_lbfgs(model, X, y, sample_weight=weights)):
        with pytest.raises(ValueError, match=f"sample_weight.*{message}"):
            train()
    assert not model.params["W"].any()


def test_an_object_without_the_model_protocol_is_refused_naming_what_a_model_offers():
    class OnlyLossGrad:
        params = {"W": np.zeros(1)}

        def loss_grad(self, X, y, sample_weight=None):
            return 1.0, {"W": np.zeros(1)}

    with pytest.raises(TypeError, match=r"scratch model or nn.Network \(params, criterion, prepare"):
        fit(OnlyLossGrad(), np.ones((4, 1)), np.ones(4), epochs=1, batch_size=2, lr=0.1)


def test_huge_sample_weights_train_as_their_ratios_do():
    """w = 1e308 everywhere is w = 1 (the mean of 1e308s overflows unless w is divided by its max first)."""
    X, y = regression_data()
    huge, plain = LinearRegression(3), LinearRegression(3)
    fit(huge, X, y, epochs=2, batch_size=16, lr=0.05, seed=0, sample_weight=np.full(len(X), 1e308))
    fit(plain, X, y, epochs=2, batch_size=16, lr=0.05, seed=0)
    assert plain.params["W"].any()
    np.testing.assert_allclose(huge.params["W"], plain.params["W"], rtol=1e-12)


def test_a_network_trains_on_sample_weights_as_on_repeated_rows():
    """Integer weights w are the rows repeated w times, full batch: the same gradient step."""
    from scratch.nn import CrossEntropyLoss, Linear, Network, Sequential

    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(6, 3)), np.array([0, 1, 2, 0, 1, 2]), np.array([1, 2, 1, 3, 1, 2])
    weighted, repeated = (Network(Sequential(Linear(3, 3, seed=1)), CrossEntropyLoss()) for _ in range(2))
    fit(weighted, X, y, epochs=3, batch_size=6, lr=0.5, shuffle=False, sample_weight=w)
    fit(repeated, np.repeat(X, w, axis=0), np.repeat(y, w), epochs=3, batch_size=int(w.sum()), lr=0.5, shuffle=False)
    np.testing.assert_allclose(weighted.params["0.weight"], repeated.params["0.weight"], rtol=1e-12)


# ---- fit_lbfgs ------------------------------------------------------------------------------------------
def test_lbfgs_reaches_zero_gradient_and_the_least_squares_solution():
    X, y = regression_data()
    model = LinearRegression(3)
    result = fit_lbfgs(model, X, y)
    best = LinearRegression(3).fit_least_squares(X, y)
    assert np.abs(result.jac).max() < 1e-9
    np.testing.assert_allclose(model.params["W"], best.params["W"], rtol=1e-8)
    np.testing.assert_allclose(model.params["b"], best.params["b"], rtol=1e-8)


def test_lbfgs_softmax_on_iris_reaches_zero_gradient_and_fits_the_training_set():
    iris = load_iris()
    model = SoftmaxRegression(4, 3)
    result = fit_lbfgs(model, iris.X, iris.y, l2=1e-3)
    assert np.abs(result.jac).max() < 1e-6
    assert model.score(iris.X, iris.y) >= 0.96


def test_lbfgs_with_l2_matches_scikit_learn_logistic_regression():
    sklearn_linear = pytest.importorskip("sklearn.linear_model")
    X, y = binary_data()
    model = LogisticRegression(2)
    fit_lbfgs(model, X, y, l2=1 / len(X))  # l2 = 1 / (C·N) with C = 1; the bias is not penalised
    reference = sklearn_linear.LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(model.params["W"], reference.coef_[0], rtol=1e-6)
    np.testing.assert_allclose(model.params["b"], reference.intercept_[0], rtol=1e-6)


def test_fit_lbfgs_reports_no_success_while_the_gradient_exceeds_tol():
    """scipy stops on 'relative reduction of F' for features of 1e50 and calls it success; fit_lbfgs does not."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)) * 1e50
    result = fit_lbfgs(LinearRegression(3), X, X @ np.array([1.0, 2.0, 3.0]) / 1e50 + 0.5, tol=1e-6)
    assert np.abs(result.jac).max() > 1e-6
    assert not result.success and "max |∂J/∂θ|" in result.message and "scale the features" in result.message
    well_scaled = fit_lbfgs(LinearRegression(3), X / 1e50, X @ np.array([1.0, 2.0, 3.0]) / 1e50 + 0.5, tol=1e-6)
    assert well_scaled.success and np.abs(well_scaled.jac).max() <= 1e-6


def test_progress_lines_thin_out_for_long_runs(capsys):
    X, y = regression_data()
    fit(LinearRegression(3), X, y, epochs=100, batch_size=64, lr=0.01, seed=0, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 20 and lines[0].startswith("epoch 5/100") and lines[-1].startswith("epoch 100/100")
    fit(LinearRegression(3), X, y, epochs=7, batch_size=64, lr=0.01, seed=0, verbose=True)
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines()] == [f"{e}/7" for e in range(1, 8)]


# ---- bad input: fit (each call raises the error type and names the argument; conftest.case)
def fit_case(case_id, error, argument, **overrides):
    """A fit(...) row: one epoch of SoftmaxRegression on (X, LABELS) unless ``overrides`` say otherwise."""
    kwargs = dict(model=SOFTMAX, X=X, y=LABELS, epochs=1, batch_size=2, lr=0.1, verbose=False)
    return case(case_id, fit, error, argument, **{**kwargs, **overrides})


BAD_INPUT_TABLE = [
    fit_case("fit-batch_size-0", ValueError, "batch_size", batch_size=0),
    fit_case("fit-batch_size-float", TypeError, "batch_size", batch_size=2.5),
    fit_case("fit-epochs-0", ValueError, "epochs", epochs=0),
    fit_case("fit-lr-negative", ValueError, "lr", lr=-0.1),
    fit_case("fit-lr-string", TypeError, "lr", lr="0.1"),
    fit_case("fit-lr-and-optimizer", ValueError, "optimizer", optimizer=SGD(SOFTMAX.params, 0.1)),
    fit_case("fit-optimizer-string", TypeError, "optimizer", lr=None, optimizer="sgd"),
    fit_case("fit-optimizer-other-params", ValueError, "optimizer", lr=None, optimizer=SGD(LINEAR.params, 0.1)),
    fit_case("fit-model-not-a-model", TypeError, "model", model="softmax"),
    fit_case("fit-X-1d", ValueError, "X", model=LINEAR, X=np.zeros(4), y=BINARY),
    fit_case("fit-X-string", TypeError, "X", X=X_STRING),
    fit_case("fit-X-nan", ValueError, "X", X=X_NAN),
    fit_case("fit-X-empty", ValueError, "X", X=X_EMPTY, y=LABELS[:0]),
    fit_case("fit-X-wrong-features", ValueError, "X", X=X_2_FEATURES),
    fit_case("fit-y-short", ValueError, "y", y=LABELS[:3]),
    fit_case("fit-y-label-5", ValueError, "y", y=[0, 1, 5, 1]),
    fit_case("fit-y-inf", ValueError, "y", model=LINEAR, y=[0.0, np.inf, 0.0, 1.0]),
    fit_case("fit-network-y-label-3", ValueError, "y", model=CLASSIFIER, y=[0, 1, 3, 1]),
    fit_case("fit-seed-string", TypeError, "seed", seed="0"),
    fit_case("fit-scheduler-not-a-scheduler", TypeError, "scheduler", scheduler=0.5),
    fit_case("fit-scheduler-other-optimizer", ValueError, "scheduler", scheduler=StepLR(SGD(SOFTMAX.params, 0.1), 1)),
    fit_case("fit-drop_last-no-batch", ValueError, "batch_size", drop_last=True, batch_size=8),
    fit_case("fit-validation_data-wrong-features", ValueError, "X", validation_data=(X_2_FEATURES, LABELS)),
    fit_case("fit-validation_data-not-a-pair", TypeError, "validation_data", validation_data=(X,)),
    fit_case("fit-validation_data-label-5", ValueError, "validation_data", validation_data=(X, [0, 1, 5, 1])),
    fit_case("fit-X-pixels-above-1", ValueError, "X",
             model=SoftmaxRegression(3, 3, transform=ScalePixels()), X=X + 2.0),
]


@pytest.mark.parametrize("call, kwargs, error, argument", BAD_INPUT_TABLE)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    assert_raises_naming(call, kwargs, error, argument)



# ---- tiny, one-class and constant batches train to finite parameters
def every_model(n_features=2):
    """One of each trainable thing, with a matching target kind: 'real', 'binary' or 'labels'."""
    mlp = Sequential(Linear(n_features, 4, seed=0), ReLU(), Linear(4, 3, seed=1), Softmax())
    return [
        pytest.param(LinearRegression(n_features), "real", id="linear"),
        pytest.param(LogisticRegression(n_features), "binary", id="logistic"),
        pytest.param(SoftmaxRegression(n_features, 3), "labels", id="softmax"),
        pytest.param(Network(mlp, CrossEntropyLoss()), "labels", id="mlp"),
    ]


def targets(kind, n, value=0):
    return np.full(n, value, dtype=np.int64 if kind == "labels" else np.float64)


@pytest.mark.parametrize("model, kind", every_model())
def test_one_sample_batches_train_to_finite_params(model, kind):
    X = np.array([[0.5, -1.0], [1.0, 2.0], [-3.0, 0.0]])
    history = fit(model, X, targets(kind, 3, value=1), epochs=3, batch_size=1, lr=0.1, seed=0)
    assert np.isfinite(history.train_loss).all()
    assert all(np.isfinite(p).all() for p in model.params.values())


@pytest.mark.parametrize("model, kind", every_model())
def test_a_one_class_batch_gives_finite_gradients_and_a_perfect_score_after_training(model, kind):
    X = np.random.default_rng(0).normal(size=(8, 2))
    y = targets(kind, 8, value=1)
    assert_finite(*model.loss_grad(X, y))
    fit(model, X, y, epochs=50, batch_size=8, lr=0.5, seed=0)
    if kind == "real":
        assert model.score(X, y) in (0.0, 1.0)  # R² of a constant target: defined, as in scikit-learn
        assert model.loss(X, y) < 1e-3
    else:
        assert model.score(X, y) == 1.0


@pytest.mark.parametrize("model, kind", every_model())
def test_constant_features_give_finite_gradients(model, kind):
    X = np.full((6, 2), 3.0)
    y = np.array([0, 1, 2, 0, 1, 2]) if kind == "labels" else np.array([0.0, 1.0] * 3)
    loss, grads = model.loss_grad(X, y)
    assert_finite(loss, grads)
    assert_one_sgd_step_stays_finite(model.params, grads)


# ---- numbers and state: no silent wrong result, the user's own value in every message
@pytest.mark.parametrize("labels", [np.array([0, 1, 1e20]), np.array([0, 1, 2**64 - 1], dtype=np.uint64)])
def test_a_huge_label_is_reported_as_the_user_wrote_it(labels):
    model = scratch.SoftmaxRegression(2, 3)
    with pytest.raises(ValueError, match=re.escape(f"label {labels[-1]},")):
        fit(model, np.ones((3, 2)), labels, epochs=1, batch_size=2, lr=0.1)


def test_a_diverging_network_raises_training_diverged_with_epoch_step_and_lr():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 4)) * 100, rng.integers(0, 3, 64)
    net = Network(Sequential(Linear(4, 16, seed=0), ReLU(), Linear(16, 3, seed=1)), CrossEntropyLoss())
    with pytest.raises(TrainingDiverged) as raised:
        fit(net, X, y, epochs=50, batch_size=8, lr=1e6, seed=0)
    assert raised.value.epoch >= 1 and raised.value.step >= 1 and raised.value.lr == 1e6


def test_fit_refuses_an_optimizer_given_as_a_name():
    with pytest.raises(TypeError, match="optimizer"):
        fit(scratch.SoftmaxRegression(2, 3), np.ones((3, 2)), [0, 1, 2], epochs=1, batch_size=2, optimizer="sgd")


# ---- every source of randomness goes through a seed argument
# Same seed → bit-identical results (whatever NumPy's global random state is); different seeds →
# different results; and no module of the package touches NumPy's global random functions.
IRIS = load_iris()


def trained(model, X, y, seed, **options):
    """The params after a few shuffled epochs, and the per-epoch training losses."""
    history = fit(model, X, y, epochs=3, batch_size=16, seed=seed, **options)
    return {**model.params, "train_loss": np.array(history.train_loss)}


def task_arrays(data, seed):
    task = load_task(data, model="linear" if data == "house-prices" else "softmax", seed=seed)
    return {"X_train": task.X_train, "y_train": task.y_train, "X_val": task.X_val, "X_test": task.X_test}


def pipeline(seed):
    """What ``scratch train dense:8,relu,dense --data iris --seed S`` does, minus the files."""
    task = load_task("iris", seed=seed)
    model = build_model("dense:8,relu,dense", task, seed=seed)
    optimizer = SGD(model.params, 0.05, momentum=0.9)
    return trained(model, task.X_train, task.y_train, seed, optimizer=optimizer)


SOURCES = {  # name → seed ↦ {name: array}: everything the seed decides
    "LinearRegression-torch-init": lambda seed: LinearRegression(6, init="torch", seed=seed).params,
    "LogisticRegression-torch-init": lambda seed: LogisticRegression(6, init="torch", seed=seed).params,
    "SoftmaxRegression-torch-init": lambda seed: SoftmaxRegression(6, 4, init="torch", seed=seed).params,
    "nn.Linear-init": lambda seed: Linear(6, 4, seed=seed).params,
    "mlp-init": lambda seed: parse_sequential("dense:8,relu,dense:8,sigmoid,dense", 4, 3, seed=seed).params,
    "fit-softmax-shuffle": lambda seed: trained(SoftmaxRegression(4, 3), IRIS.X, IRIS.y, seed, lr=0.05),
    "fit-float32-logistic-shuffle": lambda seed: trained(
        LogisticRegression(4, dtype=np.float32), IRIS.X, (IRIS.y == 2).astype(float), seed, lr=0.1
    ),
    "task-split-iris": lambda seed: task_arrays("iris", seed),
    "task-synthetic-house-prices": lambda seed: task_arrays("house-prices", seed),
    "pipeline-mlp-iris": pipeline,
}


def run_with_global_state(source, seed, global_seed):
    """Run a source after scrambling NumPy's global random state, which it must ignore."""
    saved = np.random.get_state()
    try:
        np.random.seed(global_seed)
        np.random.random(global_seed % 7 + 1)
        return source(seed)
    finally:
        np.random.set_state(saved)


@pytest.mark.parametrize("source", SOURCES.values(), ids=SOURCES.keys())
def test_same_seed_is_bit_identical_whatever_the_global_random_state(source):
    first, second = run_with_global_state(source, 7, 1), run_with_global_state(source, 7, 2)
    assert first.keys() == second.keys()
    for name in first:
        assert first[name].dtype == second[name].dtype
        assert first[name].tobytes() == second[name].tobytes(), name


@pytest.mark.parametrize("source", SOURCES.values(), ids=SOURCES.keys())
def test_different_seeds_give_different_results(source):
    first, second = source(7), source(8)
    assert any(not np.array_equal(first[name], second[name]) for name in first)


def seeded_pair(seed):
    """An MLP, then a softmax regression, both drawing from one ``seed`` (a shared Generator)."""
    return parse_sequential("dense:5,relu,dense", 4, 3, seed=seed), SoftmaxRegression(4, 3, init="torch", seed=seed)


def test_a_generator_seed_continues_its_stream_and_replays_from_its_own_seed():
    first = seeded_pair(np.random.default_rng(3))
    again = seeded_pair(np.random.default_rng(3))
    for a, b in zip(first, again):
        for name in a.params:
            np.testing.assert_array_equal(a.params[name], b.params[name])
    fresh = SoftmaxRegression(4, 3, init="torch", seed=3)
    assert not np.array_equal(first[1].params["W"], fresh.params["W"])  # drawn after the MLP's weights


def test_seed_none_the_default_everywhere_draws_fresh_entropy():
    first, second = SoftmaxRegression(4, 3, init="torch"), SoftmaxRegression(4, 3, init="torch")
    assert not np.array_equal(first.params["W"], second.params["W"])
    shuffled = [SoftmaxRegression(4, 3) for _ in range(2)]
    for model in shuffled:
        fit(model, IRIS.X, IRIS.y, epochs=1, batch_size=16, lr=0.05)  # no seed: fit's shuffle is fresh too
    assert not np.array_equal(shuffled[0].params["W"], shuffled[1].params["W"])


def test_no_module_uses_numpys_global_random_functions():
    """np.random.seed/rand/shuffle/... would bypass the seed arguments; only Generators are allowed."""
    global_call = re.compile(r"np\.random\.(?!default_rng\b|Generator\b)\w+")
    offenders = [
        f"{path.name}: {match.group()}"
        for path in Path(scratch.__file__).parent.rglob("*.py")
        for match in global_call.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
