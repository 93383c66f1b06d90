"""Mean squared error, as torch.nn.functional.mse_loss.

Derivation, step by step: docs/lecture/derivations.md#1-linear-regression-and-the-mean-squared-error
"""

import warnings

import numpy as np

from scratch._validation import check_array
from scratch.losses._reduction import check_reduction, reduce, reduce_grad
from scratch.numerics import silent, unbroadcast


def _mse_parts(input, target, reduction):
    """input x, target t in x's dtype, the reduction; PyTorch's warning when the shapes differ."""
    x = check_array(input, "input", allow_empty=True, finite=False)
    t = check_array(target, "target", allow_empty=True, finite=False).astype(x.dtype, copy=False)
    reduction = check_reduction(reduction)
    if t.shape != x.shape:
        warnings.warn(
            f"Using a target size {t.shape} that is different to the input size {x.shape}. This will likely "
            "lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )
        try:
            np.broadcast_shapes(x.shape, t.shape)
        except ValueError:
            message = f"target of shape {t.shape} does not broadcast against input of shape {x.shape}."
            raise ValueError(message) from None
    return x, t, reduction


def mse_loss(input, target, reduction="mean"):
    """Mean squared error  L = mean((x − t)²)  (or the sum, or the elements for 'none').

    input x, target t: the same shape, or shapes that broadcast — with PyTorch's warning, since
    an (N, 1) input against an (N,) target silently becomes (N, N). 'none' has the broadcast shape.
    """
    x, t, reduction = _mse_parts(input, target, reduction)
    with silent():
        squared = (x - t) ** 2
    return reduce(squared, reduction, squared.size)


def mse_loss_grad(input, target, reduction="mean"):
    """∂L/∂x = 2(x − t) / n for 'mean' over the n broadcast elements; 2(x − t) for 'sum' and 'none'.

    Summed back to x's shape where x was broadcast.
    """
    x, t, reduction = _mse_parts(input, target, reduction)
    with silent():
        difference = x - t
        return unbroadcast(reduce_grad(2 * difference, reduction, difference.size), x.shape)
