"""The reductions of a loss's elements, torch.nn.functional's ``reduction=`` argument."""

from scratch._validation import check_choice
from scratch.numerics import silent

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(reduction):
    return check_choice(reduction, "reduction", REDUCTIONS)


def reduce(elementwise, reduction, denominator):
    """'none' → the array; 'sum' → Σ as a float; 'mean' → Σ / denominator as a float.

    A zero denominator (an empty batch, no weight left) gives nan for 'mean' (0/0), as in PyTorch.
    """
    if reduction == "none":
        return elementwise
    with silent():
        total = elementwise.sum()
        return float(total / denominator if reduction == "mean" else total)


def reduce_grad(grad_of_sum, reduction, denominator):
    """∂(reduced loss)/∂input from ∂(Σ elementwise)/∂input: divided by the denominator for 'mean'."""
    return grad_of_sum / denominator if reduction == "mean" else grad_of_sum
