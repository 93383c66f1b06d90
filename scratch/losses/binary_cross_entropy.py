"""Binary cross-entropy on logits, as torch.nn.functional.binary_cross_entropy_with_logits.

Derivation, step by step: docs/lecture/derivations.md#2-logistic-regression-the-binary-cross-entropy-through-the-sigmoid
"""

import numpy as np

from scratch._validation import check_array, check_same_shape
from scratch.losses._reduction import check_reduction, reduce, reduce_grad
from scratch.numerics import sigmoid, silent, softplus


def _broadcast_weight(weight, name, x):
    """``weight`` in x's dtype; it must broadcast to x's shape without enlarging it."""
    w = check_array(weight, name, allow_empty=True, finite=False).astype(x.dtype, copy=False)
    try:
        fits = np.broadcast_shapes(w.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{name} of shape {w.shape} does not broadcast to input's shape {x.shape}; it is matched against "
            "input's trailing axes: for an (N, C) input, shape (C,) (one value per class), (1, C), (N, 1) or (N, C)."
        )
    return w


def _bce_parts(input, target, weight, pos_weight, reduction):
    x = check_array(input, "input", allow_empty=True, finite=False)
    y = check_array(target, "target", allow_empty=True, finite=False).astype(x.dtype, copy=False)
    check_same_shape(x, y, "input", "target")
    w = 1 if weight is None else _broadcast_weight(weight, "weight", x)
    p = 1 if pos_weight is None else _broadcast_weight(pos_weight, "pos_weight", x)
    return x, y, w, p, check_reduction(reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction="mean"):
    """Binary cross-entropy on logits x, stable for any x:

        ℓ = −w·[p·y·log σ(x) + (1 − y)·log σ(−x)] = w·[p·y·softplus(−x) + (1 − y)·softplus(x)]

    input x, target y: the same shape; y is usually a probability, but any real y is computed,
    as in PyTorch. weight w and pos_weight p (the weight of the positive term) broadcast to
    input's shape, matched from the last axis: p of shape (C,) weighs each class of (N, C).
    'mean' divides Σℓ by the number of elements (the weights do not normalise).
    """
    x, y, w, p, reduction = _bce_parts(input, target, weight, pos_weight, reduction)
    with silent():
        elementwise = w * (p * y * softplus(-x) + (1 - y) * softplus(x))
    return reduce(elementwise, reduction, x.size)


def binary_cross_entropy_with_logits_grad(input, target, weight=None, pos_weight=None, reduction="mean"):
    """∂ℓ/∂x = w·(σ(x)(1 − y + p·y) − p·y) = w·((1 − y)·σ(x) − p·y·σ(−x)); divided by n for 'mean'.

    Computed in the second form, which avoids the cancellation of σ(x) − 1 for large x.
    """
    x, y, w, p, reduction = _bce_parts(input, target, weight, pos_weight, reduction)
    with silent():
        grad_of_sum = w * ((1 - y) * sigmoid(x) - p * y * sigmoid(-x))
    return reduce_grad(grad_of_sum, reduction, x.size)
