"""Making tensors as torch does: tensor, zeros, ones, full, arange, linspace, eye, cat, stack, rand…

Dtypes follow torch: Python floats give float32 (the default float), ints int64, bools bool; an
ndarray keeps its dtype; ``dtype=`` takes torch's dtype objects. Joining (cat) and arange are
scratch.autograd's; stack is cat of unsqueezed tensors, so its backward is cat's.
"""

import numbers

import numpy as np

from scratch import autograd
from scratch.torch import _dtype
from scratch.torch._random import stream
from scratch.torch._tensor import Tensor


def _infer(data):
    """data as an ndarray with torch's dtype for it."""
    if isinstance(data, Tensor):
        return data.data.copy()
    if isinstance(data, (list, tuple)) and any(isinstance(d, (Tensor, list, tuple)) for d in data):
        data = [_infer(d) for d in data]
    array = np.array(data)
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        return array
    if array.dtype.kind == "f":
        return array.astype(np.float32)
    return array.astype(np.int64) if array.dtype.kind in "iu" else array


def tensor(data, *, dtype=None, requires_grad=False, device=None):
    """A new leaf holding a copy of ``data``."""
    array = _infer(data)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Could not infer dtype of {type(data).__name__}: tensor() takes numbers, lists of them or arrays.")
    dtype = _dtype.to_numpy(dtype)
    return Tensor(array if dtype is None else array.astype(dtype), requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None):
    return data if isinstance(data, Tensor) and dtype is None else tensor(data, dtype=dtype)


def from_numpy(array):
    """A tensor sharing ``array``'s memory, as torch.from_numpy."""
    return Tensor(array)


def _size(size):
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)


def _make(values, dtype, requires_grad):
    dtype = _dtype.to_numpy(dtype)
    return Tensor(values if dtype is None else values.astype(dtype), requires_grad=requires_grad)


def zeros(*size, dtype=None, requires_grad=False, device=None):
    return _make(np.zeros(_size(size), np.float32), dtype, requires_grad)


def ones(*size, dtype=None, requires_grad=False, device=None):
    return _make(np.ones(_size(size), np.float32), dtype, requires_grad)


empty = zeros


def full(size, fill_value, *, dtype=None, requires_grad=False, device=None):
    """size filled with fill_value; its dtype follows the value's (3 → int64, 3.0 → float32)."""
    kind = _infer(fill_value).dtype
    return _make(np.full(_size((size,)), fill_value, dtype=kind), dtype, requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return _make(np.zeros_like(t.data), dtype, requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return _make(np.ones_like(t.data), dtype, requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False):
    return _make(np.full_like(t.data, fill_value), dtype, requires_grad)


def eye(n, m=None, *, dtype=None, requires_grad=False):
    return _make(np.eye(n, m, dtype=np.float32), dtype, requires_grad)


def arange(start, end=None, step=1, *, dtype=None, requires_grad=False, device=None):
    """scratch.autograd.arange with torch's default float, float32."""
    values = (start,) if end is None else (start, end)
    floats = any(not isinstance(v, numbers.Integral) for v in (*values, step))
    dtype = _dtype.to_numpy(dtype) or (np.dtype(np.float32) if floats else np.dtype(np.int64))
    return Tensor(autograd.arange(start, end, step, dtype=dtype).data, requires_grad=requires_grad)


def linspace(start, end, steps, *, dtype=None, requires_grad=False, device=None):
    return _make(np.linspace(start, end, steps).astype(np.float32), dtype, requires_grad)


def cat(tensors, dim=0, *, axis=None):
    """scratch.autograd.cat; torch raises RuntimeError where shapes disagree."""
    try:
        return autograd.cat(list(tensors), axis=dim if axis is None else axis)
    except ValueError as error:
        raise RuntimeError(str(error)) from None


concat = cat


def stack(tensors, dim=0):
    """Join along a new axis ``dim``: cat of the tensors unsqueezed at ``dim``."""
    tensors = list(tensors)
    shapes = {tuple(t.shape) for t in tensors}
    if len(shapes) > 1:
        raise RuntimeError(f"stack expects each tensor to be equal size, but got shapes {sorted(shapes)}")
    return cat([t.unsqueeze(dim) for t in tensors], dim)


def randn(*size, generator=None, dtype=None, requires_grad=False):
    """Standard normal draws (NumPy's stream, not torch's: see _random)."""
    return _make(stream(generator).standard_normal(_size(size)).astype(np.float32), dtype, requires_grad)


def rand(*size, generator=None, dtype=None, requires_grad=False):
    return _make(stream(generator).random(_size(size)).astype(np.float32), dtype, requires_grad)


def randint(low, high=None, size=(), *, generator=None, dtype=None):
    low, high = (0, low) if high is None else (low, high)
    return _make(stream(generator).integers(low, high, _size((size,))).astype(np.int64), dtype, False)


def randperm(n, *, generator=None, dtype=None):
    return _make(stream(generator).permutation(n).astype(np.int64), dtype, False)
