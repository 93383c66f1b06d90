"""Linear, logistic and softmax regression with hand-derived, closed-form gradients.

Each model is one affine map Z = XW + b followed by its criterion (a ``scratch.nn.loss``
module, which also owns the head: predictions, probabilities, score):

    LinearRegression    ŷ = Xw + b                 W: (D,),   b: ()    MSELoss
    LogisticRegression  P(y = 1) = σ(Xw + b)       W: (D,),   b: ()    BCEWithLogitsLoss
    SoftmaxRegression   P(y = k) = softmax(XW + b)ₖ  W: (D, K), b: (K,)  CrossEntropyLoss

W is torch.nn.Linear's weight transposed: W = weightᵀ, so that Z = XW + b reads as the
lecture writes it; ``state_dict()`` gives torch's layout, weight (K, D) ((1, D) for the
two one-output models) and bias (K,) ((1,)).

Every method that takes X calls ``self.prepare(X)`` first (``scratch.preprocessing``):
samples (N, D) or images (N, H, W) → model input (N, D) in the model's dtype, through
the model's ``transform``. ``loss`` applies the criterion (``scratch.losses``) to
``forward``; ``loss_grad`` is each model's own closed form, written independently of
``scratch.losses``. tests/test_models.py::test_loss_grad_is_forward_plus_losses_module_by_the_chain_rule
keeps the two in step: the same loss, and gradients equal to ``losses.*_grad`` chained through XW + b.

``loss`` and ``loss_grad`` take an optional ``sample_weight`` w: (N,), giving L = (1/N)·Σ wₙℓₙ
(PyTorch's ``(loss(reduction="none") * w).mean()``; None is the plain mean). ``fit`` and
``fit_lbfgs`` rescale w to mean 1, which makes L the weighted mean Σ wₙℓₙ / Σ wₙ and each
minibatch's L an unbiased estimate of it.
"""

import numpy as np

from scratch._validation import (
    check_array,
    check_choice,
    check_dtype,
    check_number,
    check_same_length,
    check_sample_weight,
    check_seed,
)
from scratch.nn.loss import BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from scratch.nn.module import Module
from scratch.numerics import log_softmax, sigmoid, softplus
from scratch.preprocessing import (
    check_transform,
    describe_transform,
    infer_transform,
    prepare,
    transform_from_description,
)


def _weigh(values, w):
    """values ⊙ w row by row, in place (values: (N,) or (N, K), w: (N,) or None); returns values."""
    if w is not None:
        values *= w[:, None] if values.ndim == 2 else w
    return values


def _affine(X, W, b):
    """Z = XW + b for model input X: (N, D); Z: (N,) for W: (D,), (N, K) for W: (D, K)."""
    Z = X @ W
    Z += b
    return Z


def _checked_affine(X, W, b):
    """``_affine`` on the public paths: any NaN/inf in X reaches Z, so X is scanned (and named in the
    error) only when Z is not finite. (``fit`` has scanned all of X before its steps.)"""
    with np.errstate(invalid="ignore", over="ignore"):
        Z = _affine(X, W, b)
    if not np.isfinite(Z).all():
        check_array(X, "X")
    return Z


class AffineModel(Module, abstract=True):
    """Z = XW + b into a criterion: what the three models share (parameters, input preparation,
    the criterion's head, state); gradcheck rebuilds Z = XW + b on its tape for any AffineModel.

    Subclasses set ``criterion_class`` and write the closed form ``_loss_grad_of(X, Z, y, w)``;
    the targets a model accepts are its criterion's (``check_target``), as its closed form assumes them.
    """

    criterion_class = None

    def __init__(self, n_features, n_classes=None, *, init="zeros", seed=None, dtype=np.float64, transform=None):
        self.n_features = check_number(n_features, "n_features", low=1, integer=True)
        self.n_classes = n_classes
        self.dtype = check_dtype(dtype)
        self.transform = check_transform(transform)
        self.criterion = self.criterion_class()
        w_shape, b_shape = ((n_features,), ()) if n_classes is None else ((n_features, n_classes), (n_classes,))
        self.params = self._init_params(w_shape, b_shape, init, seed)

    def _init_params(self, w_shape, b_shape, init, seed):
        """{"W", "b"}: zeros, or torch.nn.Linear's U(−1/√D, 1/√D), W drawn before b."""
        check_choice(init, "init", ("zeros", "torch"))
        if init == "zeros":
            return {"W": np.zeros(w_shape, self.dtype), "b": np.zeros(b_shape, self.dtype)}
        rng = check_seed(seed)
        bound = 1 / np.sqrt(w_shape[0])
        W = rng.uniform(-bound, bound, w_shape).astype(self.dtype)
        return {"W": W, "b": np.asarray(rng.uniform(-bound, bound, b_shape), dtype=self.dtype)}

    # ---- input and targets ----------------------------------------------------------------
    def prepare(self, X):
        """Samples (N, …) → model input (N, D) in ``dtype``, through ``transform``."""
        return prepare(X, self.n_features, self.dtype, self.transform)

    def check_target(self, y):
        """y checked by the criterion as targets of this model's outputs, in the form its closed form
        assumes: real values (N,), values in [0, 1] (N,), or class indices in [0, K) (N,) as int64."""
        return self.criterion.target_for(y, self.n_classes or 1, self.dtype, plain=True)

    def _check(self, X, y, sample_weight=None):
        """(X, y, w): model input, targets, and sample weights (N,) in the model's dtype or None."""
        X, y = self.prepare(X), self.check_target(y)
        check_same_length(X, y, "X", "y")
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, len(X), batch=True).astype(self.dtype, copy=False)
        return X, y, sample_weight

    # ---- the model --------------------------------------------------------------------------
    def forward(self, X):
        """Z = XW + b. X: (N, …) samples → (N,) or (N, K)."""
        return _checked_affine(self.prepare(X), self.params["W"], self.params["b"])

    def loss_grad(self, X, y, sample_weight=None):
        """(L, {"W": ∂L/∂W, "b": ∂L/∂b}) for samples X: (N, …), targets y: (N,), sample_weight w: (N,) or None.

        X, y and w are checked (``_check``); the closed form from Z = XW + b is each model's ``_loss_grad_of``.
        """
        X, y, w = self._check(X, y, sample_weight)
        return self._loss_grad_of(X, _checked_affine(X, self.params["W"], self.params["b"]), y, w)

    def _loss_grad_prepared(self, X, y, w=None):
        """``loss_grad`` of data checked before: what ``fit`` calls for each batch, having checked its
        whole X (finite), y and weights once. X: model input (``prepare``); y: targets from
        ``check_target``; w: None or weights (N,) ≥ 0 in the model's dtype. Nothing is checked here.
        """
        return self._loss_grad_of(X, _affine(X, self.params["W"], self.params["b"]), y, w)

    def loss(self, X, y, sample_weight=None):
        """The criterion on the outputs, criterion(XW + b, y), as a Python float.

        With sample_weight w: (N,), mean(wₙ·ℓₙ) over the criterion's per-sample losses ℓ (reduction="none").
        """
        X, y, w = self._check(X, y, sample_weight)
        Z = _checked_affine(X, self.params["W"], self.params["b"])
        return self.criterion(Z, y) if w is None else self.criterion.loss_and_grad(Z, y, w)[0]

    def predict(self, X):
        """The criterion's prediction from Z: ŷ = Z, class [z > 0], or argmax Z. (N,)."""
        return self.criterion.predict(self.forward(X))

    def predict_proba(self, X):
        """The criterion's probabilities: σ(z) (N,) or softmax(Z) (N, K); TypeError for a regressor."""
        return self.criterion.predict_proba(self.forward(X))

    def score(self, X, y):
        """Accuracy mean(predict(X) == y) for the classifiers, R² for the regressor."""
        X, y, _ = self._check(X, y)
        return self.criterion.score(y, self.criterion.predict(_checked_affine(X, self.params["W"], self.params["b"])))

    # ---- saving ---------------------------------------------------------------------------------
    def config(self):
        classes = {} if self.n_classes is None else {"n_classes": self.n_classes}
        return {
            "n_features": self.n_features, **classes,
            "dtype": self.dtype.name, "transform": describe_transform(self.transform),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**{**config, "transform": transform_from_description(config.get("transform"))})

    def state_dict(self):
        """torch.nn.Linear's state dict, copies: weight (K, D) or (1, D), bias (K,) or (1,)."""
        W, b = self.params["W"], self.params["b"]
        return {"weight": W.reshape(len(W), -1).T.copy(), "bias": b.reshape(-1).copy()}

    def _load_state(self, arrays):
        W, b = self.params["W"], self.params["b"]
        W[...] = arrays["weight"].T.reshape(W.shape)
        b[...] = arrays["bias"].reshape(b.shape)

    def extra_repr(self):
        settings = {**self.config(), "transform": self.transform}
        return ", ".join(f"{key}={value}" for key, value in settings.items() if value is not None)


class LinearRegression(AffineModel):
    """ŷ = Xw + b, trained on the mean squared error. params: W (D,), b () (a 0-d array)."""

    criterion_class = MSELoss

    def __init__(self, n_features, *, init="zeros", seed=None, dtype=np.float64, transform=None):
        super().__init__(n_features, init=init, seed=seed, dtype=dtype, transform=transform)

    def _loss_grad_of(self, X, Z, y, w):
        """L = mean((ŷ − y)²); ∂L/∂w = 2Xᵀ(ŷ − y)/N, ∂L/∂b = 2·mean(ŷ − y). X: (N, D), ŷ = Z: (N,), y: (N,).

        With sample_weight w: (N,), L = mean(w ⊙ (ŷ − y)²) and ŷ − y becomes w ⊙ (ŷ − y) in both gradients.
        """
        residual = Z
        residual -= y
        weighted = residual if w is None else residual * w
        loss = float(residual @ weighted) / len(y)
        weighted *= 2 / len(y)
        return loss, {"W": X.T @ weighted, "b": np.asarray(weighted.sum())}

    def fit_least_squares(self, X, y):
        """Set w, b to the exact minimiser of the MSE: lstsq on [X, 1] in float64. Returns self.

        This is the optimum that SGD on the same data must approach. uint8 X gives a model
        without a transform ScalePixels(), as ``fit`` does.
        """
        import scipy.linalg  # here, on first use: training by SGD never needs SciPy

        if self.transform is None:
            self.transform = infer_transform(X)
        X, y, _ = self._check(X, y)
        design = np.hstack([check_array(X, "X"), np.ones((len(X), 1))])  # float64, as the ones column is
        theta = scipy.linalg.lstsq(design, y.astype(np.float64))[0]
        self.params["W"][...] = theta[:-1]
        self.params["b"][...] = theta[-1]
        return self


class LogisticRegression(AffineModel):
    """P(y = 1 | x) = σ(xw + b), trained on the binary cross-entropy. params: W (D,), b ()."""

    criterion_class = BCEWithLogitsLoss

    def __init__(self, n_features, *, init="zeros", seed=None, dtype=np.float64, transform=None):
        super().__init__(n_features, init=init, seed=seed, dtype=dtype, transform=transform)

    def _loss_grad_of(self, X, z, y, w):
        """L = mean(softplus(z) − y·z); ∂L/∂w = Xᵀ(σ(z) − y)/N, ∂L/∂b = mean(σ(z) − y). z = Xw + b: (N,).

        softplus(z) − y·z = −y·log σ(z) − (1 − y)·log(1 − σ(z)), stable for any z.
        With sample_weight w: (N,), each term and each σ(zₙ) − yₙ is multiplied by wₙ.
        """
        loss = float(np.mean(_weigh(softplus(z) - y * z, w)))
        error = sigmoid(z)
        error -= y
        _weigh(error, w)
        error /= len(y)
        return loss, {"W": X.T @ error, "b": np.asarray(error.sum())}


class SoftmaxRegression(AffineModel):
    """P(y = k | x) = softmax(xW + b)ₖ, trained on the cross-entropy. params: W (D, K), b (K,)."""

    criterion_class = CrossEntropyLoss

    def __init__(self, n_features, n_classes, *, init="zeros", seed=None, dtype=np.float64, transform=None):
        check_number(n_classes, "n_classes", low=2, integer=True)
        super().__init__(n_features, n_classes, init=init, seed=seed, dtype=dtype, transform=transform)

    def _loss_grad_of(self, X, Z, y, w):
        """L = mean −log softmax(Z)[n, yₙ]; ∂L/∂W = Xᵀ(softmax(Z) − Y)/N, ∂L/∂b = mean over rows.

        Z = XW + b: (N, K), Y = onehot(y): (N, K). One log-softmax; softmax(Z) is its exp, computed in place.
        With sample_weight w: (N,), row n of the loss and of softmax(Z) − Y is multiplied by wₙ.
        """
        log_p = log_softmax(Z)
        rows = np.arange(len(y))
        loss = -float(np.add.reduce(_weigh(log_p[rows, y], w))) / len(y)
        error = np.exp(log_p, out=log_p)
        error[rows, y] -= 1
        _weigh(error, w)
        error /= len(y)
        return loss, {"W": X.T @ error, "b": error.sum(axis=0)}
