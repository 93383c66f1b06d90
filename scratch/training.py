"""Training: minibatch SGD (``fit``, the lecture's loop) and the full-batch optimum (``fit_lbfgs``).

Per step of ``fit``, as in the lecture:

    (X_b, y_b) = next minibatch;  L, ∇L = model.loss_grad(X_b, y_b);  θ ← optimizer.step(∇L)

Both hand the model RAW samples (N, D) or images (N, H, W), e.g. uint8 pixels; the model
prepares them itself (``model.prepare``, ``scratch.preprocessing``), exactly as it does in
``loss``, ``score`` and ``predict`` later. A model without a transform trained on uint8
samples is given ``ScalePixels()`` (x = p / 255), which then travels with it. ``fit`` gathers
each batch's raw rows into one preallocated buffer, so X may be a ``np.memmap`` and memory
stays near the raw data size.
"""

import copy
import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

from scratch._validation import check_array, check_number, check_same_length, check_seed
from scratch.optim import SGD
from scratch.preprocessing import infer_transform

_FINITE_CHECK_ROWS = 8192  # rows per chunk when checking a float X for NaN/inf once, up front
BIAS_NAMES = ("b", "bias")  # parameter names (last part of "0.bias") fit_lbfgs's L2 term leaves out


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


class _Batches:
    """Gathers minibatches of raw rows (X_b, y_b) into preallocated buffers.

    X: (N, D) any numeric dtype; y: (N, …). Yields views of the buffers, valid until the next step.
    """

    def __init__(self, X, y, batch_size):
        n_buf = min(batch_size, len(X))
        self.X, self.y, self.batch_size = X, y, batch_size
        self.rows = np.empty((n_buf, X.shape[1]), X.dtype)
        self.labels = np.empty((n_buf,) + y.shape[1:], y.dtype)

    def __call__(self, order, n_steps):
        for step in range(n_steps):
            idx = order[step * self.batch_size : (step + 1) * self.batch_size]
            rows, labels = self.rows[: len(idx)], self.labels[: len(idx)]  # shorter for the last batch
            # mode="clip" skips take's buffered bounds check: idx is our own permutation, always in range
            np.take(self.X, idx, axis=0, out=rows, mode="clip")
            np.take(self.y, idx, axis=0, out=labels, mode="clip")
            yield rows, labels


# ---- checks, once, before the first update -------------------------------------------------
def _check_training_data(model, X, y):
    """X: (N, …) numeric and finite, flattened to (N, D); y: N targets the model accepts.

    Sets a missing transform from X (``infer_transform``): ScalePixels() for uint8 pixels.
    """
    if not hasattr(model, "loss_grad") or not hasattr(model, "params"):
        raise TypeError(f"model must offer params and loss_grad(X, y); got {type(model).__name__}.")
    X = check_array(X, "X", ndim=(2, 3, 4), dtype="any", finite=False)
    y = check_array(y, "y", dtype="any", finite=False)
    check_same_length(X, y, "X", "y")
    X = X.reshape(len(X), -1)
    for name, arr in (("X", X), ("y", y)):
        if arr.dtype.kind == "f":
            for start in range(0, len(arr), _FINITE_CHECK_ROWS):
                if not np.isfinite(arr[start : start + _FINITE_CHECK_ROWS]).all():
                    raise ValueError(f"{name} contains NaN or inf (in rows {start}…); every value must be finite.")
    if hasattr(model, "check_target"):  # every label now, not in the batch that holds it
        y = model.check_target(y)
    if hasattr(model, "transform") and model.transform is None:
        model.transform = infer_transform(X)
    return X, y


def _check_validation_data(model, validation_data):
    """(X_val, y_val), checked once through the model's own path (prepare, targets) by its loss."""
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise TypeError(f"validation_data must be a pair (X_val, y_val); got {type(validation_data).__name__}.")
    try:
        model.loss(*validation_data)
    except (ValueError, TypeError) as error:
        raise type(error)(f"validation_data: {error}") from None
    return validation_data


def _make_optimizer(model, lr, optimizer):
    """SGD(model.params, lr) (SGD checks lr), or the given optimizer if it holds the model's parameters."""
    if (lr is None) == (optimizer is None):
        raise ValueError("Give exactly one of lr (plain SGD) or optimizer (e.g. scratch.optim.SGD(model.params, ...)).")
    if optimizer is None:
        return SGD(model.params, lr)
    if not callable(getattr(optimizer, "step", None)) or not hasattr(optimizer, "parameters"):
        raise TypeError(f"optimizer must be an optimizer such as scratch.optim.SGD(model.params, lr); got {optimizer!r}.")
    held = {id(p) for p in optimizer.parameters()}
    missing = [name for name, p in model.params.items() if id(p) not in held]
    if missing:
        raise ValueError(
            f"optimizer does not update this model's parameters {missing}: it was built on other arrays. "
            f"Build it from this model, e.g. SGD(model.params, lr)."
        )
    return optimizer


def _check_scheduler(scheduler, optimizer):
    if scheduler is None:
        return
    if not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"scheduler must be a scheduler such as CosineAnnealingLR(optimizer, T_max); got {scheduler!r}.")
    if getattr(scheduler, "optimizer", None) is not optimizer:
        raise ValueError(
            "scheduler must schedule the optimizer fit uses: build opt = SGD(model.params, lr), then "
            "fit(..., optimizer=opt, scheduler=CosineAnnealingLR(opt, T_max))."
        )


def _n_steps(n_samples, batch_size, drop_last):
    n_steps = n_samples // batch_size if drop_last else -(-n_samples // batch_size)
    if n_steps == 0:
        raise ValueError(
            f"drop_last=True with batch_size={batch_size} > {n_samples} samples leaves no batch; "
            "lower batch_size or set drop_last=False."
        )
    return n_steps


# ---- minibatch SGD ------------------------------------------------------------------------------
def fit(
    model,
    X,
    y,
    *,
    epochs,
    batch_size,
    lr=None,
    optimizer=None,
    scheduler=None,
    shuffle=True,
    seed=None,
    drop_last=False,
    validation_data=None,
    verbose=False,
):
    """Train ``model`` by minibatch SGD, in place, and return its per-epoch ``History``.

    model: a scratch model or ``nn.Network`` (``params``, ``loss_grad``, ``loss``, ``score``).
    X: (N, D) or images (N, H, W), raw; y: (N,) labels or targets, all checked before any step.
    lr or optimizer: exactly one; ``lr`` means ``SGD(model.params, lr)``.
    scheduler: e.g. ``CosineAnnealingLR(optimizer, T_max)``; ``scheduler.step()`` after each epoch.
    shuffle: a fresh permutation per epoch from ``check_seed(seed)``; the last partial batch
    is kept unless ``drop_last`` (as PyTorch's DataLoader). validation_data: (X_val, y_val), raw.
    Raises TrainingDiverged when a batch loss is NaN or inf.
    """
    check_number(epochs, "epochs", low=1, integer=True)
    check_number(batch_size, "batch_size", low=1, integer=True)
    X, y = _check_training_data(model, X, y)
    n_steps = _n_steps(len(X), batch_size, drop_last)
    optimizer = _make_optimizer(model, lr, optimizer)
    _check_scheduler(scheduler, optimizer)
    if validation_data is not None:
        X_val, y_val = _check_validation_data(model, validation_data)
    rng = check_seed(seed)
    batches, history = _Batches(X, y, batch_size), History()
    for epoch in range(epochs):
        order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
        start = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below instead
            train_loss = _run_epoch(model, optimizer, batches(order, n_steps), epoch)
        history.seconds.append(time.perf_counter() - start)
        history.train_loss.append(train_loss)
        history.lr.append(optimizer.lr)
        if scheduler is not None:
            scheduler.step()
        if validation_data is not None:
            history.val_loss.append(float(model.loss(X_val, y_val)))
            history.val_score.append(float(model.score(X_val, y_val)))
        if verbose:
            print(_progress_line(history, epoch, epochs, model), flush=True)
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


def _progress_line(history, epoch, epochs, model):
    line = f"epoch {epoch + 1}/{epochs}  train loss {history.train_loss[-1]:.4f}"
    if history.val_loss:
        is_classifier = getattr(getattr(model, "criterion", None), "is_classifier", False)
        score = f"accuracy {100 * history.val_score[-1]:.2f} %" if is_classifier else f"R² {history.val_score[-1]:.4f}"
        line += f"  val loss {history.val_loss[-1]:.4f}  val {score}"
    return line + f"  lr {history.lr[-1]:.4g}  {history.seconds[-1]:.2f} s"


# ---- the full-batch optimum ------------------------------------------------------------------
def fit_lbfgs(model, X, y, *, l2=0.0, tol=1e-10, max_iter=10_000):
    """Minimise the model's full-batch loss plus an L2 term with L-BFGS-B: what SGD should approach.

        minimise over θ:  J(θ) = L(θ; X, y) + (l2 / 2)·Σ ‖W‖²      (biases are not penalised)
        ∇J = ∇L + l2·W,   with L, ∇L from ``model.loss_grad(X, y)``

    With ``l2 = 1 / (C·N)`` this is scikit-learn's ``LogisticRegression(C=C)`` objective divided by N.
    X: (N, D) or (N, H, W), raw, as for ``fit``; y: (N,). The params are set to the optimum
    found, starting from their current values. Stops when every |∂J/∂θᵢ| ≤ tol; ``success`` is
    False when float64 allows no further progress. Returns scipy's ``OptimizeResult``: ``fun`` = J,
    ``jac`` = ∇J, ``x`` = θ flattened in ``model.params`` order, ``success``, ``message``, ``nit``.
    """
    check_number(l2, "l2", low=0)
    check_number(tol, "tol", low=0, low_open=True)
    check_number(max_iter, "max_iter", low=1, integer=True)
    X, y = _check_training_data(model, X, y)
    result = scipy.optimize.minimize(
        _objective(*_prepared_once(model, X), y, l2),
        _flatten(model.params),
        method="L-BFGS-B",
        jac=True,
        options={"maxiter": max_iter, "ftol": 0.0, "gtol": tol, "maxfun": 2 * max_iter},
    )
    _unflatten_into(result.x, model.params)
    return result


def _prepared_once(model, X):
    """(model′, X′) with model′.loss_grad(X′, y) == model.loss_grad(X, y), X prepared only once.

    X′ = model.prepare(X), and model′ a shallow copy of the model without its transform: the
    same parameter arrays, reading X′ as it is. Each L-BFGS iteration then skips the transform
    and its copy of X (MNIST, 60000 × 784 uint8: 390 → 118 ms per call).
    """
    if not hasattr(model, "prepare"):
        return model, X
    plain = copy.copy(model)
    plain.transform = None
    return plain, model.prepare(X)


def _objective(model, X, y, l2):
    """θ ↦ (J(θ), ∇J(θ)) in float64, as scipy's ``jac=True`` wants."""
    params = model.params
    penalised = [name for name in params if str(name).rsplit(".", 1)[-1] not in BIAS_NAMES]

    def objective(theta):
        _unflatten_into(theta, params)
        loss, grads = model.loss_grad(X, y)
        for name in penalised if l2 else ():
            loss += 0.5 * l2 * float(np.sum(np.square(params[name], dtype=np.float64)))
            grads[name] = grads[name] + l2 * params[name]
        return float(loss), _flatten(grads)

    return objective


def _flatten(params):
    """One float64 vector θ holding every parameter, in ``params`` order."""
    return np.concatenate([np.ravel(p).astype(np.float64) for p in params.values()])


def _unflatten_into(theta, params):
    """Copy the slices of θ back into the live parameter arrays (cast to their dtype)."""
    offset = 0
    for p in params.values():
        p[...] = theta[offset : offset + p.size].reshape(p.shape)
        offset += p.size
