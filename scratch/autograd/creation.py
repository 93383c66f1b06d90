"""Making tensors as torch does — tensor, zeros, ones, full, arange — and joining them: cat.

Each takes ``dtype`` (a NumPy dtype) and ``requires_grad`` as its torch namesake; where torch
uses its default float dtype (float32), scratch uses float64.
"""

import numbers

import numpy as np

from scratch._validation import check_number
from scratch.autograd._dtypes import DEFAULT_FLOAT, result_type
from scratch.autograd.tensor import Tensor


def tensor(data, *, dtype=None, requires_grad=False):
    """A new leaf holding a copy of ``data``: int64 for Python ints, float64 for floats, bool for bools."""
    return Tensor(Tensor(data, dtype=dtype).data.copy(), requires_grad=requires_grad)


def _size(size):
    """zeros(2, 3) and zeros((2, 3)) alike: a tuple of lengths ≥ 0."""
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    return tuple(check_number(n, "size", low=0, integer=True) for n in size)


def zeros(*size, dtype=DEFAULT_FLOAT, requires_grad=False):
    """A tensor of ``size`` filled with 0."""
    return Tensor(np.zeros(_size(size), dtype=dtype), requires_grad=requires_grad)


def ones(*size, dtype=DEFAULT_FLOAT, requires_grad=False):
    """A tensor of ``size`` filled with 1."""
    return Tensor(np.ones(_size(size), dtype=dtype), requires_grad=requires_grad)


def _number_dtype(*values):
    """torch's dtype for Python numbers: bool, else int64 if all are integers, else the default float."""
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        return np.dtype(bool)
    return np.dtype(np.int64) if all(isinstance(v, numbers.Integral) for v in values) else DEFAULT_FLOAT


def full(size, fill_value, *, dtype=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value``; its dtype follows the value's (3 → int64, 3.0 → float64)."""
    dtype = _number_dtype(fill_value) if dtype is None else dtype
    return Tensor(np.full(_size((size,)), fill_value, dtype=dtype), requires_grad=requires_grad)


def arange(start, end=None, step=1, *, dtype=None, requires_grad=False):
    """start, start + step, … up to (not including) end; arange(n) is 0 … n − 1.

    dtype: int64 when every argument is an integer, else the default float (as torch).
    """
    start, end = (0, start) if end is None else (start, end)
    start, end, step = (int(v) if isinstance(v, (bool, np.bool_)) else v for v in (start, end, step))  # as torch
    for value, name in ((start, "start"), (end, "end"), (step, "step")):
        check_number(value, name)
    if step == 0:
        raise ValueError("step must be nonzero; got 0.")
    dtype = np.dtype(_number_dtype(start, end, step) if dtype is None else dtype)
    if dtype.kind in "biu":  # torch truncates all three to integers first (np.arange: only start and step)
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise ValueError("step must be nonzero: an integer dtype truncates step to 0.")
    # torch's length ⌈(end − start)/step⌉ and values start + i·step, computed in float64, then cast
    n = max(int(np.ceil((end - start) / step)), 0)
    return Tensor((start + np.arange(n) * step).astype(dtype), requires_grad=requires_grad)


def cat(tensors, axis=0):
    """Join tensors along an existing ``axis`` (torch.cat; torch also names it dim).

    All shapes must agree except along ``axis``; dtypes are promoted as in torch.
    ∂L/∂(each input) is its own slice of g along ``axis``.
    """
    tensors = [Tensor._lift(t) for t in tensors]
    skipped = [t.shape == (0,) and not all(u.shape == (0,) for u in tensors) for t in tensors]  # torch's legacy
    joined = [t for t, skip in zip(tensors, skipped) if not skip]  # rule: a (0,) tensor joins any shape
    if not tensors or any(t.ndim == 0 for t in tensors):
        raise ValueError("cat needs a non-empty list of tensors with at least one axis each.")
    shapes = [t.shape for t in joined]
    axis = check_number(axis, "axis", low=-joined[0].ndim, high=joined[0].ndim - 1, integer=True) % joined[0].ndim
    if any(len(s) != len(shapes[0]) or s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:]
           for s in shapes):
        raise ValueError(f"cat along axis {axis}: every other axis must match; got shapes {shapes}.")
    dtype = result_type(*tensors)
    data = np.concatenate([t.data.astype(dtype, copy=False) for t in joined], axis=axis)
    bounds = np.cumsum([s[axis] for s in shapes])[:-1]

    def backward(g):
        pieces = iter(np.split(g, bounds, axis=axis))
        return tuple(np.zeros((0,), g.dtype) if skip else next(pieces) for skip in skipped)

    return tensors[0]._child(data, tuple(tensors), backward, "cat")
