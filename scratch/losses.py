"""Loss functions and their hand-derived gradients, named and behaving like torch.nn.functional.

Each loss ``f(input, target, ...)`` has a twin ``f_grad`` with the same arguments that returns
∂loss/∂input in input's shape (for reduction="none": the gradient of the sum of the elements).
"mean" and "sum" return a Python float, "none" an array; arrays keep input's float dtype
(float32 stays float32; targets and weights are cast to it). A loss and its gradient share one
private ``_*_parts`` helper, so validation, weighting and normalisation are written once.
"""

import numpy as np

from scratch._validation import (
    check_array,
    check_choice,
    check_labels,
    check_number,
    check_probabilities,
    check_same_length,
    check_same_shape,
)
from scratch.numerics import log_softmax, sigmoid, softmax, softplus

REDUCTIONS = ("mean", "sum", "none")


def _reduce(elementwise, reduction, denominator):
    """'none' → the array; 'sum' → Σ as a float; 'mean' → Σ / denominator as a float."""
    if reduction == "none":
        return elementwise
    total = elementwise.sum()
    return float(total / denominator) if reduction == "mean" else float(total)


def _reduce_grad(grad_of_sum, reduction, denominator):
    """∂(reduced loss)/∂input from ∂(Σ elementwise)/∂input: divided by the denominator for 'mean'."""
    return grad_of_sum / denominator if reduction == "mean" else grad_of_sum


def _check_weight(weight, name, dtype, ndim=None):
    """Non-negative finite weights, cast to ``dtype``."""
    w = check_array(weight, name, ndim=ndim).astype(dtype, copy=False)
    if (w < 0).any():
        raise ValueError(f"{name} must be non-negative; got a minimum of {w.min()}.")
    return w


def _broadcast_weight(weight, name, x, ndim=None):
    """Non-negative finite weights that broadcast to x's shape without enlarging it."""
    w = _check_weight(weight, name, x.dtype, ndim=ndim)
    try:
        np.broadcast_to(w, x.shape)
    except ValueError:
        raise ValueError(f"{name} of shape {w.shape} does not broadcast to input's shape {x.shape}.") from None
    return w


def _input_and_float_target(input, target, reduction):
    x = check_array(input, "input")
    t = check_array(target, "target").astype(x.dtype, copy=False)
    check_same_shape(x, t, "input", "target")
    return x, t, check_choice(reduction, "reduction", REDUCTIONS)


# ---------------------------------------------------------------- mean squared error


def mse_loss(input, target, reduction="mean"):
    """Mean squared error  L = mean((x − t)²)  (or the sum, or the elements for 'none').

    input, target: the same shape (no broadcasting: (N, 1) against (N,) is refused).
    """
    x, t, reduction = _input_and_float_target(input, target, reduction)
    return _reduce((x - t) ** 2, reduction, x.size)


def mse_loss_grad(input, target, reduction="mean"):
    """∂L/∂x = 2(x − t) / n for 'mean' over n elements; 2(x − t) for 'sum' and 'none'."""
    x, t, reduction = _input_and_float_target(input, target, reduction)
    return _reduce_grad(2 * (x - t), reduction, x.size)


# ---------------------------------------------------------------- binary cross-entropy on logits


def _bce_parts(input, target, weight, pos_weight, reduction):
    x, y, reduction = _input_and_float_target(input, target, reduction)
    check_probabilities(y, "target")
    w = 1 if weight is None else _broadcast_weight(weight, "weight", x)
    p = 1 if pos_weight is None else _broadcast_weight(pos_weight, "pos_weight", x, ndim=(0, 1))
    return x, y, w, p, reduction


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction="mean"):
    """Binary cross-entropy on logits x, stable for any finite x:

        ℓ = −w·[p·y·log σ(x) + (1 − y)·log σ(−x)] = w·[p·y·softplus(−x) + (1 − y)·softplus(x)]

    input x, target y ∈ [0, 1]: the same shape. weight w broadcasts to input; pos_weight p
    (positive-class weight) is a scalar or a (C,) array along input's last axis.
    'mean' divides Σℓ by the number of elements (the weights do not normalise).
    """
    x, y, w, p, reduction = _bce_parts(input, target, weight, pos_weight, reduction)
    elementwise = w * (p * y * softplus(-x) + (1 - y) * softplus(x))
    return _reduce(elementwise, reduction, x.size)


def binary_cross_entropy_with_logits_grad(input, target, weight=None, pos_weight=None, reduction="mean"):
    """∂ℓ/∂x = w·(σ(x)(1 − y + p·y) − p·y) = w·((1 − y)·σ(x) − p·y·σ(−x)); divided by n for 'mean'.

    Computed in the second form, which avoids the cancellation of σ(x) − 1 for large x.
    """
    x, y, w, p, reduction = _bce_parts(input, target, weight, pos_weight, reduction)
    grad_of_sum = w * ((1 - y) * sigmoid(x) - p * y * sigmoid(-x))
    return _reduce_grad(grad_of_sum, reduction, x.size)


# ---------------------------------------------------------------- cross-entropy on logits


def _cross_entropy_parts(input, target, weight, ignore_index, reduction, label_smoothing):
    """Logits z (N, C), weighted target rows q (N, C) and the 'mean' denominator.

    Every variant of the loss is  ℓₙ = −Σ_c q[n, c] · log softmax(zₙ)_c,  with
    class indices:  q[n] = mₙ · w ⊙ ((1 − ε)·onehot(yₙ) + ε/C),  mₙ = [yₙ ≠ ignore_index],
                    'mean' denominator Σₙ mₙ·w[yₙ]  (PyTorch's weighted mean);
    probabilities:  q[n] = w ⊙ ((1 − ε)·tₙ + ε/C),  'mean' denominator N.
    """
    z = check_array(input, "input", ndim=2)
    n_classes = z.shape[1]
    reduction = check_choice(reduction, "reduction", REDUCTIONS)
    eps = check_number(label_smoothing, "label_smoothing", low=0, high=1)
    ignore_index = check_number(ignore_index, "ignore_index", integer=True)
    w = np.ones(n_classes, z.dtype) if weight is None else _check_weight(weight, "weight", z.dtype, ndim=1)
    if w.shape != (n_classes,):
        raise ValueError(f"weight must hold one value per class, shape ({n_classes},); got shape {w.shape}.")
    target = check_array(target, "target", ndim=(1, 2), dtype="any")
    if target.ndim == 2:
        q, denominator = _probability_target_rows(z, target, w, eps, ignore_index)
    else:
        q, denominator = _class_index_target_rows(z, target, w, eps, ignore_index)
    if reduction == "mean" and denominator == 0:  # no kept sample carries weight; PyTorch gives nan
        q, denominator = np.zeros_like(q), 1
    return z, q, denominator, reduction


def _class_index_target_rows(z, target, w, eps, ignore_index):
    n_samples, n_classes = z.shape
    labels = check_labels(target, "target", n_classes, ignore_index=ignore_index)
    check_same_length(z, labels, "input", "target")
    kept = labels != ignore_index
    smoothed = np.full((n_samples, n_classes), eps / n_classes, z.dtype)
    smoothed[np.flatnonzero(kept), labels[kept]] += 1 - eps
    return smoothed * w * kept[:, None], w[labels[kept]].sum()


def _probability_target_rows(z, target, w, eps, ignore_index):
    if ignore_index != -100:
        raise ValueError(
            f"ignore_index is only supported for class-index targets (N,); got ignore_index={ignore_index} "
            f"with probability targets of shape {target.shape}. Leave ignore_index at -100."
        )
    t = check_array(target, "target").astype(z.dtype, copy=False)
    check_same_shape(z, t, "input", "target")
    check_probabilities(t, "target")
    return w * ((1 - eps) * t + eps / z.shape[1]), z.shape[0]


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy on logits, exactly as torch.nn.functional.cross_entropy:

        ℓₙ = −Σ_c q[n, c] · log softmax(zₙ)_c,   q[n] = w ⊙ ((1 − ε)·targetₙ + ε/C)

    input z: (N, C) logits. target: class indices (N,) (read as one-hot rows; a sample whose
    label equals ``ignore_index`` gets q[n] = 0) or class probabilities (N, C). weight: (C,)
    per-class weights w (default 1). label_smoothing ε mixes in the uniform distribution.
    'mean' divides Σℓ by Σ w[yₙ] over kept samples (N for probability targets). When no kept
    sample carries weight, 'mean' returns 0.0 (and a zero gradient), where PyTorch returns nan:
    a batch made only of ignored targets then is a no-op step instead of poisoning training.
    """
    z, q, denominator, reduction = _cross_entropy_parts(input, target, weight, ignore_index, reduction, label_smoothing)
    per_sample = -(q * log_softmax(z)).sum(axis=1)
    return _reduce(per_sample, reduction, denominator)


def cross_entropy_grad(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """∂ℓₙ/∂zₙ = softmax(zₙ)·Σ_c q[n, c] − q[n]; divided by the denominator for 'mean'.

    Plain case (no weight, no smoothing): (softmax(z) − onehot(y)) / N.
    """
    z, q, denominator, reduction = _cross_entropy_parts(input, target, weight, ignore_index, reduction, label_smoothing)
    grad_of_sum = softmax(z) * q.sum(axis=1, keepdims=True) - q
    return _reduce_grad(grad_of_sum, reduction, denominator)
