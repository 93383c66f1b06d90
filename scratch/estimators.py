"""scratch's three regression models as scikit-learn estimators, for Pipeline, GridSearchCV, cross_val_score.

    LinearRegressionEstimator    a regressor over scratch.models.LinearRegression
    LogisticRegressionEstimator  LogisticRegression for two classes, SoftmaxRegression for more
                                 (as sklearn.linear_model.LogisticRegression does)
    SoftmaxRegressionEstimator   SoftmaxRegression, one output per class, for any number of classes

Each is named after its model with "Estimator" appended, so that ``LogisticRegression`` stays
the PyTorch-style model (n_features up front, ``forward``, ``params``, ``loss_grad``) and is
never mistaken for the estimator, nor either for scikit-learn's class of the same name. An
estimator keeps hyper-parameters in ``__init__`` as given, checks them in ``fit``, and holds
the fitted model in ``model_``, where every formula stays: ``fit`` runs ``scratch.training``'s
drivers on the model's ``loss_grad``; predictions read the model's outputs and its criterion.

    solver="lbfgs"  minimise L + ‖W‖² / (2·C·Σw) (classifiers: scikit-learn's LogisticRegression(C))
                    or L + α·‖w‖² / Σw (regressor: Ridge(alpha)), L the (weighted) mean loss,
                    biases unpenalised: ``fit_lbfgs``, full batch. The regressor with alpha=0 is
                    solved exactly instead, as scikit-learn's LinearRegression: lstsq's minimum-norm
                    w on the centred data (the one answer also when N ≤ D), b = ȳ − x̄·w.
    solver="sgd"    the lecture's loop ``fit``: SGD(lr, momentum, weight_decay), epochs,
                    batch_size, shuffled by random_state.

Fitted, ``coef_`` and ``intercept_`` are views of the model's parameters in scikit-learn's layout:
writing into them, or assigning them, changes what predict returns, as in scikit-learn. The
model's dtype is X's float dtype (float32 stays float32) unless ``dtype`` is given.

scikit-learn is optional (``pip install scratch[sklearn]``): when it is importable the estimators
are its BaseEstimator and mixins, with its tags, NotFittedError and warnings; without it a
minimal stand-in gives get_params, set_params and an unweighted score.
"""

import warnings

import numpy as np
import scipy.sparse

from scratch._estimator_base import (  # scikit-learn's, or a stand-in without it; its input conventions
    BaseEstimator,
    ClassifierMixin,
    ConvergenceWarning,
    NotFittedError,
    RegressorMixin,
    column_or_1d,
    objects_as_floats,
    per_sample,
)
from scratch._validation import (
    check_array,
    check_choice,
    check_dtype,
    check_finite,
    check_number,
    check_sample_weight,
    check_seed,
)
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.optim import SGD
from scratch.training import fit, fit_lbfgs

__all__ = ["LinearRegressionEstimator", "LogisticRegressionEstimator", "SoftmaxRegressionEstimator", "NotFittedError"]


class _Estimator(BaseEstimator):
    """What the three estimators share: hyper-parameters, the two solvers, the checks on X.

    solver: "lbfgs" (with tol, max_iter and the penalty C or alpha) or "sgd" (with lr, epochs,
    batch_size, momentum, weight_decay; shuffled by random_state). dtype: the model's, float32 or
    float64, or None: X's (float32 X gives a float32 model, any other X float64), as scikit-learn.
    Fitted: model_ (the scratch model), n_features_in_, n_iter_, coef_, intercept_.
    """

    def __init__(self, *, solver="lbfgs", tol=1e-4, max_iter=1000, lr=0.1, epochs=50, batch_size=32,
                 momentum=0.0, weight_decay=0.0, random_state=None, dtype=None):
        self.solver, self.tol, self.max_iter = solver, tol, max_iter
        self.lr, self.epochs, self.batch_size = lr, epochs, batch_size
        self.momentum, self.weight_decay = momentum, weight_decay
        self.random_state, self.dtype = random_state, dtype

    def fit(self, X, y, sample_weight=None):
        """Learn the model from X: (N, D) and y: (N,); sample_weight: (N,) ≥ 0 or None. Returns self."""
        check_choice(self.solver, "solver", ("lbfgs", "sgd"))
        dtype = None if self.dtype is None else check_dtype(self.dtype)
        seed = check_seed(self.random_state, "random_state")
        X = self._check_X(X, reset=True)  # float32 or float64
        self._column_y = np.ndim(np.asarray(y)) == 2  # a column y: a regressor's intercept_ stays (1,), as Ridge's
        y = self._check_targets(column_or_1d(y, type(self).__name__))
        if len(X) != len(y):  # scikit-learn's words, as its users search for them
            raise ValueError(f"Found input variables with inconsistent numbers of samples: [{len(X)}, {len(y)}]")
        w = None if sample_weight is None else check_sample_weight(per_sample(sample_weight, len(X)), len(X))
        model = self._new_model(X.shape[1], X.dtype if dtype is None else dtype)
        if self.solver == "lbfgs" and check_number(self.max_iter, "max_iter", low=0, integer=True) == 0:
            warnings.warn("max_iter=0: the model is left at its initial parameters.", ConvergenceWarning, stacklevel=2)
            self.n_iter_ = 0
        elif self.solver == "lbfgs" and self._exact():
            _least_squares(model, X, y, w)
            self.n_iter_ = 1
        elif self.solver == "lbfgs":
            result = fit_lbfgs(model, X, y, l2=self._l2(len(X) if w is None else w.sum()), tol=self.tol,
                               max_iter=self.max_iter, sample_weight=w)
            if not result.success:
                warnings.warn(f"L-BFGS did not reach tol={self.tol} ({result.message}); raise max_iter "
                              f"(now {self.max_iter}) or scale the features.", ConvergenceWarning, stacklevel=2)
            self.n_iter_ = result.nit
        else:
            optimizer = SGD(model.params, self.lr, momentum=self.momentum, weight_decay=self.weight_decay)
            fit(model, X, y, epochs=self.epochs, batch_size=self.batch_size, optimizer=optimizer, seed=seed,
                sample_weight=w)
            self.n_iter_ = self.epochs
        self.model_ = model
        return self

    def _check_X(self, X, reset):
        """X: (N, D) numeric and finite, as floats: an estimator's features are a table, never pixels
        (integer columns, uint8 included, are values, not intensities to divide by 255)."""
        if scipy.sparse.issparse(X):
            raise TypeError("X is a sparse matrix, but scratch's models need dense data: pass X.toarray().")
        X = np.asarray(X)
        if X.dtype.kind == "c":
            raise ValueError("Complex data not supported: X holds complex numbers; pass real features.")
        X = objects_as_floats(X)
        if X.ndim == 2 and X.shape[1] == 0:
            raise ValueError(f"X has 0 feature(s) (shape={X.shape}) while a minimum of 1 is required.")
        X = check_finite(check_array(X, "X", ndim=2, finite=False), "Input X")  # scikit-learn's "Input X contains NaN"
        if reset:
            self.n_features_in_ = X.shape[1]
        elif X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input.")
        return X

    def _fitted(self, X):
        """(model_, X checked against the features seen in fit); NotFittedError before fit."""
        return self._fitted_model(), self._check_X(X, reset=False)

    def _fitted_model(self):
        if not hasattr(self, "model_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                                 "appropriate arguments before using this estimator.")
        return self.model_

    def _exact(self):
        """True where fit solves in closed form instead of by L-BFGS (the regressor with alpha=0)."""
        return False

    @property
    def coef_(self):
        """The model's weights in scikit-learn's layout, a live view of W: (D,) regressor, (1, D) binary,
        (K, D) per class (W is (D,) or (D, K))."""
        W = self._fitted_model().params["W"]
        return W if isinstance(self, RegressorMixin) else (W[None, :] if W.ndim == 1 else W.T)

    @coef_.setter
    def coef_(self, value):
        _write_into(self.coef_, value, "coef_")

    @property
    def intercept_(self):
        """The model's biases: a number (regressor; (1,) after a column y), (1,) binary, (K,) per class (live views of b)."""
        b = self._fitted_model().params["b"]
        return b[()] if isinstance(self, RegressorMixin) and not self._column_y else b.reshape(-1)

    @intercept_.setter
    def intercept_(self, value):
        _write_into(self._fitted_model().params["b"].reshape(np.shape(self.intercept_)), value, "intercept_")


def _write_into(live, value, name):
    """Copy ``value`` into the live parameter view ``live`` after checking its shape and values."""
    value = check_array(value, name)
    if value.shape != live.shape:
        raise ValueError(f"{name} must have the fitted shape {live.shape}; got shape {value.shape}.")
    live[...] = value


def _least_squares(model, X, y, w):
    """Set the model's w, b to scikit-learn's LinearRegression: with x̄, ȳ the (weighted) means,
    w = lstsq(√s ⊙ (X − x̄), √s ⊙ (y − ȳ)), the minimum-norm minimiser, and b = ȳ − x̄·w (in float64).
    Singular values below max(N, D)·ε of the largest count as 0 (NumPy's rcond): centring leaves one at
    ~1e-16 when N ≤ D, which would otherwise add a large, arbitrary component to w."""
    import scipy.linalg  # here, on first use

    s = np.ones(len(X)) if w is None else w.astype(np.float64)
    X, y = X.astype(np.float64), y.astype(np.float64)
    x_mean, y_mean = np.average(X, axis=0, weights=s), np.average(y, weights=s)
    root = np.sqrt(s)
    cutoff = max(X.shape) * np.finfo(np.float64).eps
    coef = scipy.linalg.lstsq((X - x_mean) * root[:, None], (y - y_mean) * root, cond=cutoff)[0]
    model.params["W"][...] = coef
    model.params["b"][...] = y_mean - x_mean @ coef


class LinearRegressionEstimator(RegressorMixin, _Estimator):
    """ŷ = Xw + b as a scikit-learn regressor; alpha is Ridge's L2 penalty (solver="lbfgs" only).

    lr is smaller than the classifiers': the squared error's gradient grows with the features.
    """

    def __init__(self, *, alpha=0.0, solver="lbfgs", tol=1e-4, max_iter=1000, lr=0.01, epochs=50, batch_size=32,
                 momentum=0.0, weight_decay=0.0, random_state=None, dtype=None):
        super().__init__(solver=solver, tol=tol, max_iter=max_iter, lr=lr, epochs=epochs, batch_size=batch_size,
                         momentum=momentum, weight_decay=weight_decay, random_state=random_state, dtype=dtype)
        self.alpha = alpha

    def _exact(self):
        return check_number(self.alpha, "alpha", low=0) == 0

    def _l2(self, total_weight):
        """fit_lbfgs's l2 for Ridge's α‖w‖² on the loss Σwₙ(ŷₙ − yₙ)², divided by Σw."""
        return 2 * check_number(self.alpha, "alpha", low=0) / total_weight

    def _check_targets(self, y):
        return check_array(objects_as_floats(y), "y", ndim=1)

    def _new_model(self, n_features, dtype):
        return LinearRegression(n_features, dtype=dtype)

    def predict(self, X):
        """ŷ = Xw + b: (N,)."""
        model, X = self._fitted(X)
        return model.predict(X)


class _Classifier(ClassifierMixin, _Estimator):
    """Labels of any kind → classes_ and indices 0…K−1; predictions map back through classes_."""

    def __init__(self, *, C=1.0, solver="lbfgs", tol=1e-4, max_iter=1000, lr=0.1, epochs=50, batch_size=32,
                 momentum=0.0, weight_decay=0.0, random_state=None, dtype=None):
        super().__init__(solver=solver, tol=tol, max_iter=max_iter, lr=lr, epochs=epochs, batch_size=batch_size,
                         momentum=momentum, weight_decay=weight_decay, random_state=random_state, dtype=dtype)
        self.C = C

    def _l2(self, total_weight):
        """fit_lbfgs's l2 for scikit-learn's C·Σwₙℓₙ + ‖W‖²/2, divided by C·Σw."""
        return 1 / (check_number(self.C, "C", low=0, low_open=True) * total_weight)

    def _check_targets(self, y):
        """Sets classes_ (sorted labels); returns y as indices into it, (N,) int64."""
        if y.ndim != 1:
            raise ValueError(f"y must be a 1-D array of class labels; got shape {y.shape}.")
        if y.dtype.kind in "biuf":
            y = check_array(y, "y", dtype="any")
            if y.dtype.kind == "f" and not np.array_equal(y, np.round(y)):
                raise ValueError("Unknown label type: continuous. y holds real values such as "
                                 f"{y[y != np.round(y)][0]}; a classifier needs class labels (integers or "
                                 "strings). For real targets use LinearRegressionEstimator.")
        self.classes_, indices = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y holds one class only ({self.classes_[0]!r}); a classifier needs at least two classes.")
        return indices.reshape(-1)

    def decision_function(self, X):
        """Logits: z (N,) for two classes (class 1 where z > 0), Z (N, K) for more."""
        model, X = self._fitted(X)
        Z = model.forward(X)
        return Z[:, 1] - Z[:, 0] if Z.ndim == 2 and Z.shape[1] == 2 else Z

    def predict_proba(self, X):
        """P(y = classes_[k] | x): (N, K), rows summing to 1."""
        model, X = self._fitted(X)
        p = model.predict_proba(X)
        return np.column_stack([1 - p, p]) if p.ndim == 1 else p

    def predict(self, X):
        """The most probable class of each sample, from classes_: (N,)."""
        model, X = self._fitted(X)
        return self.classes_[model.predict(X)]


class LogisticRegressionEstimator(_Classifier):
    """σ(xw + b) for two classes, softmax(xW + b) for more, as a scikit-learn classifier.

    C is scikit-learn's inverse L2 strength (solver="lbfgs" only): LogisticRegression(C) exactly.
    """

    def _new_model(self, n_features, dtype):
        if len(self.classes_) == 2:
            return LogisticRegression(n_features, dtype=dtype)
        return SoftmaxRegression(n_features, len(self.classes_), dtype=dtype)


class SoftmaxRegressionEstimator(_Classifier):
    """softmax(xW + b) with one output per class, also for two, as a scikit-learn classifier."""

    def _new_model(self, n_features, dtype):
        return SoftmaxRegression(n_features, len(self.classes_), dtype=dtype)
