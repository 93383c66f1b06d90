"""Training: minibatch SGD (``fit``, the lecture's loop) and the full-batch optimum (``fit_lbfgs``).

Per step of ``fit``, as in the lecture:

    (X_b, y_b) = next minibatch;  L, ∇L = model.loss_grad(X_b, y_b);  θ ← optimizer.step(∇L)

Both hand the model RAW samples (N, D) or images (N, H, W), e.g. uint8 pixels; the model
prepares them itself (``model.prepare``, ``scratch.preprocessing``), exactly as it does in
``loss``, ``score`` and ``predict`` later. A model without a transform trained on uint8
samples is given ``ScalePixels()`` (x = p / 255), which then travels with it. ``fit`` gathers
each batch's raw rows into one preallocated buffer, so X may be a ``np.memmap`` and memory
stays near the raw data size.

Both take an optional ``sample_weight`` w: (N,), rescaled once to mean 1 and handed to
``model.loss_grad`` with each batch: the loss is then the weighted mean Σ wₙℓₙ / Σ wₙ, and a
minibatch's loss an unbiased estimate of it. What a model must offer, and what is checked once
before the first update, is ``scratch.trainable``'s; the L-BFGS objective is in ``scratch.lbfgs``.
"""

import math
import time
from dataclasses import dataclass, field

import numpy as np

from scratch import lbfgs
from scratch._validation import check_number, check_seed
from scratch.optim import SGD
from scratch.threads import limit_for
from scratch.trainable import checked_data_path, check_training_data, prepared_once, with_transform


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
    rate used, the seconds spent on the training steps (validation excluded), and the BLAS threads
    its products used (``scratch.threads``' choice or the caller's; None where the environment's stood)."""

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_score: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    threads: list = field(default_factory=list)


class _Batches:
    """Gathers minibatches of raw rows (X_b, y_b[, w_b]) into preallocated buffers.

    arrays: X (N, D) any numeric dtype, y (N, …)[, w (N,)]. Yields tuples of views of the
    buffers, valid until the next step.
    """

    def __init__(self, arrays, batch_size):
        n_buf = min(batch_size, len(arrays[0]))
        self.arrays, self.batch_size = arrays, batch_size
        self.buffers = tuple(np.empty((n_buf,) + a.shape[1:], a.dtype) for a in arrays)

    def __call__(self, order, n_steps):
        for step in range(n_steps):
            idx = order[step * self.batch_size : (step + 1) * self.batch_size]
            full = len(idx) == len(self.buffers[0])
            batch = self.buffers if full else tuple(buffer[: len(idx)] for buffer in self.buffers)  # the last: shorter
            for array, out in zip(self.arrays, batch):
                # mode="clip" skips take's buffered bounds check: idx is our own permutation, always in range
                np.take(array, idx, axis=0, out=out, mode="clip")
            yield batch


# ---- checks, once, before the first update -------------------------------------------------
def _check_validation_data(model, validation_data):
    """(model′, X_val′, y_val′): X_val prepared once (``prepared_once``: each epoch's metrics then skip the
    transform), checked through the model's own path (prepare, then targets by its loss); y_val′ the
    targets as the model's ``check_target`` gives them, checked once."""
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
        raise TypeError(f"validation_data must be a pair (X_val, y_val); got {type(validation_data).__name__}.")
    X_val, y_val = validation_data
    try:
        val_model, X_val = prepared_once(model, X_val)
        val_model.loss(X_val, y_val)
    except (ValueError, TypeError) as error:
        raise type(error)(f"validation_data: {error}") from None
    return val_model, X_val, val_model.check_target(y_val)


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
    sample_weight=None,
    threads=None,
):
    """Train ``model`` by minibatch SGD, in place, and return its per-epoch ``History``.

    model: a scratch model or ``nn.Network`` (the ``Trainable`` protocol).
    X: (N, D) or images (N, H, W), raw; y: (N,) labels or targets, all checked before any step.
    lr or optimizer: exactly one; ``lr`` means ``SGD(model.params, lr)``.
    scheduler: e.g. ``CosineAnnealingLR(optimizer, T_max)``; ``scheduler.step()`` after each epoch.
    shuffle: a fresh permutation per epoch from ``check_seed(seed)``; the last partial batch
    is kept unless ``drop_last`` (as PyTorch's DataLoader). validation_data: (X_val, y_val), raw.
    sample_weight: (N,) ≥ 0, or None; each batch's slice (rescaled to mean 1 over X) goes to loss_grad.
    threads: BLAS threads for the loop; None chooses them (``scratch.threads``) unless the environment sets them.
    verbose: a progress line per epoch (about 20 lines in all for a long run).
    Raises TrainingDiverged when a batch loss is NaN or inf.
    """
    check_number(epochs, "epochs", low=1, integer=True)
    check_number(batch_size, "batch_size", low=1, integer=True)
    X, y, w = check_training_data(model, X, y, sample_weight)
    n_steps = _n_steps(len(X), batch_size, drop_last)
    with_transform(model, X)
    optimizer = _make_optimizer(model, lr, optimizer)
    _check_scheduler(scheduler, optimizer)
    if validation_data is not None:
        val_model, X_val, y_val = _check_validation_data(model, validation_data)  # model's params, X_val prepared
    rng = check_seed(seed)
    loss_grad_prepared = checked_data_path(model)  # None: model.loss_grad per batch
    if loss_grad_prepared is not None and w is not None:
        w = w.astype(model.dtype)  # what loss_grad's check makes of each batch's weights, once
    batches, history = _Batches((X, y) if w is None else (X, y, w), batch_size), History()
    with limit_for(threads, model.params, batch_size) as blas:  # BLAS threads: scratch.threads
        for epoch in range(epochs):
            if epoch:
                blas.update()  # chosen again from how busy the CPUs were in the last epoch
            order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
            start = time.perf_counter()
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below instead
                train_loss = _run_epoch(model, loss_grad_prepared, optimizer,
                                        blas.paced(batches(order, n_steps), n_steps), epoch)
            history.seconds.append(time.perf_counter() - start)
            history.threads.append(blas.count)
            history.train_loss.append(train_loss)
            history.lr.append(optimizer.lr)
            if scheduler is not None:
                scheduler.step()
            if validation_data is not None:
                val_loss, val_score = val_model.criterion.loss_and_score(val_model.forward(X_val), y_val)  # one pass
                history.val_loss.append(val_loss)
                history.val_score.append(val_score)
            if verbose and _reports(epoch, epochs):
                print(_progress_line(history, epoch, epochs, model), flush=True)
    return history


def _run_epoch(model, loss_grad_prepared, optimizer, batches, epoch):
    """One pass over the batches; returns the mean loss per sample.

    loss_grad_prepared: the model's path for checked data (``checked_data_path``), or None for ``model.loss_grad``.
    """
    total, seen = 0.0, 0
    for step, batch in enumerate(batches, start=1):  # batch: (X_b, y_b) or (X_b, y_b, w_b)
        if loss_grad_prepared is None:
            loss, grads = model.loss_grad(*batch)
        else:
            loss, grads = loss_grad_prepared(model.prepare(batch[0]), *batch[1:])
        if not math.isfinite(loss):
            raise TrainingDiverged(loss, epoch + 1, step, optimizer.lr)
        optimizer.step(grads)
        total += loss * len(batch[0])
        seen += len(batch[0])
    return total / seen


def _reports(epoch, epochs, lines=20):
    """Whether epoch (from 0) gets a progress line: every epoch of a short run; about ``lines`` of a long
    one (every ⌈epochs / lines⌉-th and the last)."""
    return epochs <= lines or (epoch + 1) % -(-epochs // lines) == 0 or epoch + 1 == epochs


def _progress_line(history, epoch, epochs, model):
    line = f"epoch {epoch + 1}/{epochs}  train loss {history.train_loss[-1]:.4f}"
    if history.val_loss:
        line += f"  val loss {history.val_loss[-1]:.4f}  val {model.criterion.format_score(history.val_score[-1])}"
    return line + f"  lr {history.lr[-1]:.4g}  {history.seconds[-1]:.2f} s"


# ---- the full-batch optimum ------------------------------------------------------------------
def fit_lbfgs(model, X, y, *, l2=0.0, tol=1e-10, max_iter=10_000, sample_weight=None, threads=None):
    """Minimise the model's full-batch loss plus an L2 term with L-BFGS-B: what SGD should approach.

        minimise over θ:  J(θ) = L(θ; X, y) + (l2 / 2)·Σ ‖W‖²      (biases are not penalised)
        ∇J = ∇L + l2·W,   with L, ∇L from ``model.loss_grad(X, y)``

    With ``l2 = 1 / (C·Σwₙ)`` (Σwₙ = N without weights) this is scikit-learn's
    ``LogisticRegression(C=C)`` objective divided by Σwₙ; ``sample_weight`` makes L the weighted mean.
    X: (N, D) or (N, H, W), raw, as for ``fit``; y: (N,). The params are set to the optimum
    found, starting from their current values. Stops when every |∂J/∂θᵢ| ≤ tol; ``success`` is
    False when float64 allows no further progress. Returns scipy's ``OptimizeResult``: ``fun`` = J,
    ``jac`` = ∇J, ``x`` = θ flattened in ``model.params`` order, ``success``, ``message``, ``nit``.
    threads: BLAS threads, as for ``fit`` (the products here have all N rows).
    """
    check_number(l2, "l2", low=0)
    check_number(tol, "tol", low=0, low_open=True)
    check_number(max_iter, "max_iter", low=1, integer=True)
    X, y, w = check_training_data(model, X, y, sample_weight)
    with_transform(model, X)
    with limit_for(threads, model.params, len(X)):  # BLAS threads: scratch.threads
        return lbfgs.minimize(*prepared_once(model, X), y, w, l2=l2, tol=tol, max_iter=max_iter)
