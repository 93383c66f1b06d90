"""Choosing elementwise between two tensors — where, maximum, minimum — with their backward.

Each output element is one of its inputs' elements, so the gradient goes to the chosen one:
where(c, a, b): ∂/∂a = [c], ∂/∂b = [¬c]. maximum(a, b) splits g evenly where a = b, as PyTorch
(and both get g where a or b is NaN, whose maximum is NaN). An unchosen ±inf never meets a zero
factor, as it would in the composition a·c + b·(1 − c) (∞·0 = NaN).
"""

import numpy as np

from scratch.autograd._dtypes import result_type
from scratch.autograd.tensor import Tensor


def _operands(a, b, like):
    a, b = like._lift(a), like._lift(b)
    dtype = result_type(a, b)
    return a, b, a.data.astype(dtype, copy=False), b.data.astype(dtype, copy=False)


def where(condition, input, other):
    """input where condition holds, else other (broadcast together); ∂/∂input = g·[c], ∂/∂other = g·[¬c]."""
    like = next((t for t in (input, other, condition) if isinstance(t, Tensor)), Tensor(0))
    c = np.asarray(getattr(condition, "data", condition)).astype(bool)
    input, other, a, b = _operands(input, other, like)
    return like._child(np.where(c, a, b), (input, other), lambda g: (g * c, g * ~c), "where")


def _extreme(a, b, bigger):
    """maximum (bigger=True) or minimum of a and b; ∂/∂a = g where a wins, g/2 where a = b, 0 where b wins."""
    like = a if isinstance(a, Tensor) else b
    a, b, x, y = _operands(a, b, like)
    out = np.maximum(x, y) if bigger else np.minimum(x, y)
    a_loses, b_loses = (x < y, x > y) if bigger else (x > y, x < y)

    def backward(g):
        half = np.where(x == y, g / 2, g)
        return np.where(a_loses, 0, half), np.where(b_loses, 0, half)

    return like._child(out, (a, b), backward, "maximum" if bigger else "minimum")


def maximum(a, b):
    """The larger of a and b elementwise (NaN if either is NaN), as torch.maximum."""
    return _extreme(a, b, True)


def minimum(a, b):
    """The smaller of a and b elementwise (NaN if either is NaN), as torch.minimum."""
    return _extreme(a, b, False)
