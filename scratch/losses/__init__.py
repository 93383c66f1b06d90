"""Loss functions and their hand-derived gradients, named and behaving like torch.nn.functional.

Each loss ``f(input, target, ...)`` has a twin ``f_grad`` with the same arguments that returns
∂loss/∂input in input's shape (for reduction="none": the gradient of the sum of the elements).
They follow PyTorch's contract: the shapes and options it accepts give its values (NaN where it
gives NaN, e.g. a "mean" over zero total weight), and what it refuses raises a ValueError or
TypeError naming the argument. "mean" and "sum" return a Python float, "none" an array; arrays
keep input's float dtype (targets and weights are cast to it; float16 is computed in float32).
Within each module a loss and its gradient share one private helper that checks the arguments
(``_*_parts``; ``_parse`` in cross_entropy), so validation is written once.

- ``mse``: mse_loss
- ``binary_cross_entropy``: binary_cross_entropy_with_logits
- ``cross_entropy``: cross_entropy (logits) and nll_loss (log-probabilities), K-dimensional too;
  cross_entropy_and_grad, both of cross_entropy's in one call (a training step's)
"""

from scratch.losses._reduction import REDUCTIONS
from scratch.losses.binary_cross_entropy import binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad
from scratch.losses.cross_entropy import (
    cross_entropy,
    cross_entropy_and_grad,
    cross_entropy_grad,
    nll_loss,
    nll_loss_grad,
)
from scratch.losses.mse import mse_loss, mse_loss_grad

__all__ = [
    "REDUCTIONS",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
    "cross_entropy",
    "cross_entropy_and_grad",
    "cross_entropy_grad",
    "mse_loss",
    "mse_loss_grad",
    "nll_loss",
    "nll_loss_grad",
]
