"""The minibatch training loop: ``history = fit(model, X, y, epochs=5, batch_size=64, lr=0.1)``.

This is how every scratch model (and an ``nn`` network wrapped with its loss) is trained,
scikit-learn's ``model.fit(X, y)`` spelled as a function. Per step, as in the lecture:

    (X_b, y_b) = next minibatch;  L, ∇L = model.loss_grad(X_b, y_b);  θ ← optimizer.step(∇L)

Input X: (N, D) or images (N, H, W). uint8 is read as pixel intensities and scaled to
[0, 1] (x / 255, as torchvision's ``ToTensor``); every other dtype is cast as it is. The
conversion (flatten, scale, cast to ``model.dtype``) happens per batch into preallocated
buffers, so X may be a ``np.memmap`` and memory stays near the raw data size.
"""

import math
import time
from dataclasses import dataclass, field

import numpy as np

from scratch._validation import check_array, check_number, check_same_length, check_seed
from scratch.optim import SGD

_FINITE_CHECK_ROWS = 8192  # rows per chunk when checking a float X for NaN/inf once, up front


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or ±inf; ``epoch`` and ``step`` count from 1."""

    def __init__(self, loss, epoch, step, lr):
        self.loss, self.epoch, self.step, self.lr = loss, epoch, step, lr
        super().__init__(
            f"Training diverged: the loss became {loss} at epoch {epoch}, step {step} (lr={lr:g}). "
            f"Lower the learning rate (e.g. lr={lr / 10:g}) or scale the features."
        )


@dataclass
class History:
    """Per-epoch record: mean training loss over the epoch's batches (weighted by batch size),
    validation loss and score (accuracy or R²; empty without validation data), the learning
    rate used, and the seconds spent on the training steps (validation excluded)."""

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_score: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    seconds: list = field(default_factory=list)


def as_model_input(X, dtype):
    """Whole-array version of the per-batch conversion: (N, …) → (N, D) in ``dtype``, uint8 / 255."""
    X, dtype = np.asarray(X), np.dtype(dtype)
    X2 = X.reshape(len(X), -1)
    if X2.dtype == np.uint8:
        return np.divide(X2, dtype.type(255), dtype=dtype)
    return X2.astype(dtype, copy=False)


class _Batches:
    """Gathers minibatches of (X, y) into preallocated buffers, converting X to the model dtype.

    X: (N, D) any numeric dtype; y: (N, …). Yields views of the buffers, valid until the next step.
    """

    def __init__(self, X, y, batch_size, dtype):
        self.X, self.y, self.batch_size, self.dtype = X, y, batch_size, dtype
        n_buf = min(batch_size, len(X))
        self.raw = np.empty((n_buf, X.shape[1]), X.dtype)
        self.converted = self.raw if X.dtype == dtype else np.empty((n_buf, X.shape[1]), dtype)
        self.labels = np.empty((n_buf,) + y.shape[1:], y.dtype)
        self.scale = dtype.type(255) if X.dtype == np.uint8 else None

    def __call__(self, order, n_steps):
        full = self.batch_size
        for step in range(n_steps):
            idx = order[step * full : (step + 1) * full]
            m = len(idx)
            if m == len(self.raw):
                yield self._gather(idx, self.raw, self.converted, self.labels)
            else:  # the last, partial batch
                yield self._gather(idx, self.raw[:m], self.converted[:m], self.labels[:m])

    def _gather(self, idx, raw, converted, labels):
        # mode="clip" skips take's buffered bounds check: idx is our own permutation, always in range
        np.take(self.X, idx, axis=0, out=raw, mode="clip")
        np.take(self.y, idx, axis=0, out=labels, mode="clip")
        if self.scale is not None:
            np.divide(raw, self.scale, out=converted, dtype=self.dtype)
        elif converted is not raw:
            np.copyto(converted, raw)
        return converted, labels


def _check_training_data(X, y):
    """Validate once, up front: X (N, D) or (N, H, W) numeric and finite, y with N rows."""
    X = check_array(X, "X", ndim=(2, 3), dtype="any", finite=False)
    y = check_array(y, "y", dtype="any", finite=False)
    check_same_length(X, y, "X", "y")
    X = X.reshape(len(X), -1)
    for name, arr in (("X", X), ("y", y)):
        if arr.dtype.kind == "f":
            for start in range(0, len(arr), _FINITE_CHECK_ROWS):
                if not np.isfinite(arr[start : start + _FINITE_CHECK_ROWS]).all():
                    raise ValueError(f"{name} contains NaN or inf (in rows {start}…); every value must be finite.")
    return X, y


def _make_optimizer(model, lr, optimizer):
    if (lr is None) == (optimizer is None):
        raise ValueError("Give exactly one of lr (plain SGD) or optimizer (e.g. scratch.optim.SGD(model.params, ...)).")
    if optimizer is not None:
        return optimizer
    check_number(lr, "lr")
    if lr <= 0:
        raise ValueError(f"lr must be > 0 to train anything; got {lr}.")
    return SGD(model.params, lr)


def _n_steps(n_samples, batch_size, drop_last):
    n_steps = n_samples // batch_size if drop_last else -(-n_samples // batch_size)
    if n_steps == 0:
        raise ValueError(
            f"drop_last=True with batch_size={batch_size} > {n_samples} samples leaves no batch; "
            "lower batch_size or set drop_last=False."
        )
    return n_steps


def fit(
    model,
    X,
    y,
    *,
    epochs,
    batch_size,
    lr=None,
    optimizer=None,
    lr_schedule=None,
    shuffle=True,
    seed=0,
    drop_last=False,
    validation_data=None,
    verbose=True,
):
    """Train ``model`` by minibatch SGD, in place, and return its per-epoch ``History``.

    model: anything with ``params``, ``dtype``, ``loss_grad(X, y)`` (and ``loss``/``score`` for
    validation). X: (N, D) or (N, H, W); y: (N,) labels or targets.
    lr or optimizer: exactly one; ``lr`` means ``SGD(model.params, lr)``.
    lr_schedule: callable (base_lr, epoch) → lr, epoch from 0, e.g. ``scratch.optim.StepLR``.
    shuffle: a fresh permutation per epoch from ``check_seed(seed)``; the last partial batch
    is kept unless ``drop_last`` (as PyTorch's DataLoader). validation_data: (X_val, y_val).
    Raises TrainingDiverged when a batch loss is NaN or inf.
    """
    if not hasattr(model, "loss_grad") or not hasattr(model, "params"):
        raise TypeError(f"model must offer params and loss_grad(X, y); got {type(model).__name__}.")
    check_number(epochs, "epochs", low=1, integer=True)
    check_number(batch_size, "batch_size", low=1, integer=True)
    X, y = _check_training_data(X, y)
    n_steps = _n_steps(len(X), batch_size, drop_last)
    optimizer = _make_optimizer(model, lr, optimizer)
    if lr_schedule is not None and not callable(lr_schedule):
        raise TypeError(f"lr_schedule must be a callable (base_lr, epoch) → lr; got {lr_schedule!r}.")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError(f"validation_data must be a pair (X_val, y_val); got {type(validation_data).__name__}.")
        X_val, y_val = _check_training_data(*validation_data)
        X_val = as_model_input(X_val, np.dtype(model.dtype))
    rng = check_seed(seed)
    batches = _Batches(X, y, batch_size, np.dtype(model.dtype))
    base_lr, history = optimizer.lr, History()
    for epoch in range(epochs):
        if lr_schedule is not None:
            optimizer.lr = lr_schedule(base_lr, epoch)
        order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
        start = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below instead
            train_loss = _run_epoch(model, optimizer, batches(order, n_steps), epoch)
        history.seconds.append(time.perf_counter() - start)
        history.train_loss.append(train_loss)
        history.lr.append(optimizer.lr)
        if validation_data is not None:
            history.val_loss.append(float(model.loss(X_val, y_val)))
            history.val_score.append(float(model.score(X_val, y_val)))
        if verbose:
            print(_progress_line(history, epoch, epochs, _is_classifier(model)), flush=True)
    return history


def _run_epoch(model, optimizer, batches, epoch):
    """One pass over the batches; returns the mean loss per sample."""
    total, seen = 0.0, 0
    for step, (X_batch, y_batch) in enumerate(batches, start=1):
        loss, grads = model.loss_grad(X_batch, y_batch)
        if not math.isfinite(loss):
            raise TrainingDiverged(loss, epoch + 1, step, optimizer.lr)
        optimizer.step(grads)
        total += loss * len(X_batch)
        seen += len(X_batch)
    return total / seen


def _is_classifier(model):
    """Whether ``score`` is an accuracy (classifiers) rather than an R² (regressors)."""
    return getattr(model, "is_classifier", hasattr(model, "predict_proba"))


def _progress_line(history, epoch, epochs, is_classifier):
    line = f"epoch {epoch + 1}/{epochs}  train loss {history.train_loss[-1]:.4f}"
    if history.val_loss:
        score = f"accuracy {100 * history.val_score[-1]:.2f} %" if is_classifier else f"R² {history.val_score[-1]:.4f}"
        line += f"  val loss {history.val_loss[-1]:.4f}  val {score}"
    return line + f"  lr {history.lr[-1]:.4g}  {history.seconds[-1]:.2f} s"
