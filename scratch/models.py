"""Linear, logistic and softmax regression with hand-derived, closed-form gradients.

Every model follows one protocol: ``params`` (the arrays an optimizer updates in place),
``dtype``, ``forward(X)``, ``loss(X, y)`` (a mean over the batch, via ``scratch.losses``),
``loss_grad(X, y)`` → (loss, grads keyed and shaped like ``params``), ``predict``, ``score``
and, for the classifiers, ``predict_proba``. X is (N, D) and is converted to the model's dtype.
"""

import numpy as np
import scipy.linalg

from scratch import losses
from scratch._validation import (
    check_array,
    check_batch,
    check_choice,
    check_dtype,
    check_labels,
    check_number,
    check_probabilities,
    check_same_length,
    check_seed,
)
from scratch.metrics import accuracy, r2_score
from scratch.numerics import log_softmax, sigmoid, softmax, softplus


def _init_params(w_shape, b_shape, init, seed, dtype):
    """{"W", "b"}: zeros, or PyTorch nn.Linear's U(−1/√fan_in, 1/√fan_in), W drawn before b."""
    check_choice(init, "init", ("zeros", "torch"))
    if init == "zeros":
        return {"W": np.zeros(w_shape, dtype), "b": np.zeros(b_shape, dtype)}
    rng = check_seed(seed)
    bound = 1 / np.sqrt(w_shape[0])
    W = rng.uniform(-bound, bound, w_shape).astype(dtype)
    b = np.asarray(rng.uniform(-bound, bound, b_shape), dtype=dtype)
    return {"W": W, "b": b}


def _affine(X, W, b):
    """Z = XW + b for a checked batch X: (N, D); Z: (N,) for W: (D,), (N, K) for W: (D, K).

    Any NaN/inf in X reaches Z, so X is scanned (and named in the error) only when Z is not finite.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        Z = X @ W
        Z += b
    if not np.isfinite(Z).all():
        check_array(X, "X")
    return Z


class LinearRegression:
    """ŷ = Xw + b, trained on the mean squared error. params: W (D,), b () (0-d array)."""

    def __init__(self, n_features, *, init="zeros", seed=None, dtype=np.float64):
        self.n_features = check_number(n_features, "n_features", low=1, integer=True)
        self.dtype = check_dtype(dtype)
        self.params = _init_params((n_features,), (), init, seed, self.dtype)

    def __repr__(self):
        return f"LinearRegression(n_features={self.n_features}, dtype={self.dtype})"

    def _check(self, X, y):
        X = check_batch(X, self.n_features, self.dtype)
        y = check_array(y, "y", ndim=1).astype(self.dtype, copy=False)
        check_same_length(X, y, "X", "y")
        return X, y

    def forward(self, X):
        """ŷ = Xw + b. X: (N, D) → (N,)."""
        return _affine(check_batch(X, self.n_features, self.dtype), self.params["W"], self.params["b"])

    predict = forward

    def loss(self, X, y):
        """L = mean((ŷ − y)²), as a Python float."""
        X, y = self._check(X, y)
        return losses.mse_loss(self.forward(X), y)

    def loss_grad(self, X, y):
        """L = mean((ŷ − y)²); ∂L/∂w = 2Xᵀ(ŷ − y)/N, ∂L/∂b = 2·mean(ŷ − y). X: (N, D), y: (N,)."""
        X, y = self._check(X, y)
        residual = _affine(X, self.params["W"], self.params["b"])
        residual -= y
        loss = float(residual @ residual) / len(y)
        residual *= 2 / len(y)
        return loss, {"W": X.T @ residual, "b": np.asarray(residual.sum())}

    def score(self, X, y):
        """R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² of the predictions on (X, y)."""
        X, y = self._check(X, y)
        return r2_score(y, self.predict(X))

    def fit_least_squares(self, X, y):
        """Set w, b to the exact minimiser of the MSE: lstsq on [X, 1] in float64. Returns self.

        This is the optimum that SGD on the same data must approach.
        """
        X, y = self._check(X, y)
        design = np.hstack([X, np.ones((len(X), 1))]).astype(np.float64)
        theta = scipy.linalg.lstsq(design, y.astype(np.float64))[0]
        self.params["W"][...] = theta[:-1]
        self.params["b"][...] = theta[-1]
        return self


class LogisticRegression:
    """P(y = 1 | x) = σ(xw + b), trained on the binary cross-entropy. params: W (D,), b ()."""

    def __init__(self, n_features, *, init="zeros", seed=None, dtype=np.float64):
        self.n_features = check_number(n_features, "n_features", low=1, integer=True)
        self.dtype = check_dtype(dtype)
        self.params = _init_params((n_features,), (), init, seed, self.dtype)

    def __repr__(self):
        return f"LogisticRegression(n_features={self.n_features}, dtype={self.dtype})"

    def _check(self, X, y):
        """X as a batch; y: (N,) targets in [0, 1] (0/1 labels, or soft labels), model dtype."""
        X = check_batch(X, self.n_features, self.dtype)
        y = check_probabilities(check_array(y, "y", ndim=1).astype(self.dtype, copy=False), "y")
        check_same_length(X, y, "X", "y")
        return X, y

    def forward(self, X):
        """Logits z = Xw + b. X: (N, D) → (N,)."""
        return _affine(check_batch(X, self.n_features, self.dtype), self.params["W"], self.params["b"])

    def predict_proba(self, X):
        """P(y = 1 | x) = σ(z): (N,)."""
        return sigmoid(self.forward(X))

    def predict(self, X):
        """Class 1 where σ(z) > 0.5, i.e. z > 0: (N,) int64 in {0, 1}."""
        return (self.forward(X) > 0).astype(np.int64)

    def loss(self, X, y):
        """L = mean(−y·log σ(z) − (1 − y)·log(1 − σ(z))), as a Python float."""
        X, y = self._check(X, y)
        return losses.binary_cross_entropy_with_logits(self.forward(X), y)

    def loss_grad(self, X, y):
        """L = mean(softplus(z) − y·z); ∂L/∂w = Xᵀ(σ(z) − y)/N, ∂L/∂b = mean(σ(z) − y).

        softplus(z) − y·z = −y·log σ(z) − (1 − y)·log(1 − σ(z)), stable for any z.
        """
        X, y = self._check(X, y)
        z = _affine(X, self.params["W"], self.params["b"])
        loss = float(np.mean(softplus(z) - y * z))
        error = sigmoid(z)
        error -= y
        error /= len(y)
        return loss, {"W": X.T @ error, "b": np.asarray(error.sum())}

    def score(self, X, y):
        """Accuracy, mean(predict(X) == y), for 0/1 labels y."""
        X, y = self._check(X, y)
        return accuracy(y, self.predict(X))


class SoftmaxRegression:
    """P(y = k | x) = softmax(xW + b)ₖ, trained on the cross-entropy. params: W (D, K), b (K,)."""

    def __init__(self, n_features, n_classes, *, init="zeros", seed=None, dtype=np.float64):
        self.n_features = check_number(n_features, "n_features", low=1, integer=True)
        self.n_classes = check_number(n_classes, "n_classes", low=2, integer=True)
        self.dtype = check_dtype(dtype)
        self.params = _init_params((n_features, n_classes), (n_classes,), init, seed, self.dtype)

    def __repr__(self):
        return (
            f"SoftmaxRegression(n_features={self.n_features}, n_classes={self.n_classes}, "
            f"dtype={self.dtype})"
        )

    def _check(self, X, y):
        """X as a batch; y: (N,) int class indices in [0, K)."""
        X = check_batch(X, self.n_features, self.dtype)
        y = check_labels(y, "y", self.n_classes)
        check_same_length(X, y, "X", "y")
        return X, y

    def forward(self, X):
        """Logits Z = XW + b. X: (N, D) → (N, K)."""
        return _affine(check_batch(X, self.n_features, self.dtype), self.params["W"], self.params["b"])

    def predict_proba(self, X):
        """softmax(Z) row by row: (N, K), rows sum to 1."""
        return softmax(self.forward(X))

    def predict(self, X):
        """argmax over classes of Z (ties to the first class): (N,) int64."""
        return np.argmax(self.forward(X), axis=1)

    def loss(self, X, y):
        """L = mean over n of −log softmax(Zₙ)[yₙ], as a Python float."""
        X, y = self._check(X, y)
        return losses.cross_entropy(self.forward(X), y)

    def loss_grad(self, X, y):
        """L = mean −log softmax(Z)[n, yₙ]; ∂L/∂W = Xᵀ(softmax(Z) − Y)/N, ∂L/∂b = mean over rows.

        Y = onehot(y): (N, K). One log-softmax; softmax(Z) is its exp, computed in place.
        """
        X, y = self._check(X, y)
        log_p = log_softmax(_affine(X, self.params["W"], self.params["b"]))
        rows = np.arange(len(y))
        loss = -float(log_p[rows, y].mean())
        error = np.exp(log_p, out=log_p)
        error[rows, y] -= 1
        error /= len(y)
        return loss, {"W": X.T @ error, "b": error.sum(axis=0)}

    def score(self, X, y):
        """Accuracy, mean(predict(X) == y)."""
        X, y = self._check(X, y)
        return accuracy(y, self.predict(X))
