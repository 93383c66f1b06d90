"""Shape operations and reductions with torch's ``dim``/``keepdim`` names, on scratch.autograd's nodes.

A mixin of scratch.torch's Tensor. Each method maps torch's arguments onto an operation
scratch.autograd already differentiates — view/flatten/squeeze/unsqueeze are ``reshape``,
permute is ``transpose``, ``max(dim)`` is an index (``__getitem__``, whose backward scatters
g to the chosen entries), ``max()`` the mean over the tied maxima (torch spreads g evenly
over ties) — or onto a layer of scratch.nn.layers (softmax). No backward rule is written here.
"""

import collections

import numpy as np

from scratch.autograd import Tensor as AutogradTensor
from scratch.autograd import selection
from scratch.nn import layers

MinMax = collections.namedtuple("MinMax", ["values", "indices"])  # torch.return_types.max


def _dims(dim, ndim):
    """torch's dim (an int, a tuple of ints or None) as NumPy's axis, each checked against ndim."""
    if dim is None:
        return None
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    for d in dims:
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {d})"
            )
    return tuple(d % max(ndim, 1) for d in dims) if isinstance(dim, (tuple, list)) else dim % max(ndim, 1)


def _shape_args(shape):
    """view(2, 3) and view((2, 3)) alike."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)


class ShapeOps:
    """torch's reductions and shape operations, each one call into scratch.autograd."""

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        out = super().sum(axis=_dims(dim, self.ndim) if self.ndim else None, keepdims=keepdim)
        return out if dtype is None else out.to(dtype)

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        x = self if dtype is None else self.to(dtype)
        return super(ShapeOps, x).mean(axis=_dims(dim, self.ndim) if self.ndim else None, keepdims=keepdim)

    def _extreme(self, dim, keepdim, pick):
        """max(dim)/min(dim): (values, indices); values are an index into self (g goes to the index)."""
        axis = _dims(dim, self.ndim) if self.ndim else None
        arg = (np.argmax if pick is np.maximum else np.argmin)(self.data, axis=axis, keepdims=True)
        if self.ndim == 0:
            return MinMax(self.clone(), self._new(np.zeros((), np.int64)))
        index = list(np.ix_(*(np.arange(n) for n in arg.shape)))
        index[axis] = arg
        values, indices = self[tuple(index)], arg
        if not keepdim:
            values, indices = values.squeeze(axis), np.squeeze(indices, axis)
        return MinMax(values, self._new(indices.astype(np.int64)))

    def _spread(self, dim, keepdim, pick):
        """The extreme over ``dim`` (all axes if None or ()), g shared evenly by the tied extremes, as torch's
        amax and max(): Σ x·[x tied] / #tied, the tied entries chosen by ``where`` (no ∞·0)."""
        axis = _dims(dim, self.ndim) if self.ndim and dim not in (None, (), []) else None
        extreme = pick.reduce(self.data, axis=axis, keepdims=True) if self.data.size else None
        if self.data.dtype.kind != "f" or extreme is None:
            return self._new(pick.reduce(self.data, axis=axis, keepdims=keepdim))
        ties = self.data == extreme
        count = ties.sum(axis=axis, keepdims=keepdim).astype(self.data.dtype)
        return selection.where(ties, self, 0).sum(axis, keepdim) / self._new(count)

    def max(self, dim=None, keepdim=False):
        if isinstance(dim, AutogradTensor):  # torch.max(input, other): the elementwise maximum
            return selection.maximum(self, dim)
        return self._spread(None, False, np.maximum) if dim is None else self._extreme(dim, keepdim, np.maximum)

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, AutogradTensor):
            return selection.minimum(self, dim)
        return self._spread(None, False, np.minimum) if dim is None else self._extreme(dim, keepdim, np.minimum)

    def amax(self, dim=(), keepdim=False):
        return self._spread(dim, keepdim, np.maximum)

    def amin(self, dim=(), keepdim=False):
        return self._spread(dim, keepdim, np.minimum)

    def logsumexp(self, dim, keepdim=False):
        return super().logsumexp(axis=_dims(dim, self.ndim) if self.ndim else None, keepdims=keepdim)

    def argmax(self, dim=None, keepdim=False):
        return super().argmax(axis=_dims(dim, self.ndim), keepdims=keepdim and dim is not None)

    def argmin(self, dim=None, keepdim=False):
        return self._new(np.argmin(self.data, axis=_dims(dim, self.ndim), keepdims=keepdim and dim is not None))

    # --- shapes: every one a reshape or a transpose -------------------------------------------------
    def view(self, *shape):
        shape = _shape_args(shape)
        try:
            np.empty(self.data.shape).reshape(shape)
        except ValueError:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {self.data.size}") from None
        return super().reshape(shape)

    reshape = view

    def view_as(self, other):
        return self.view(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        start, end = _dims(start_dim, self.ndim), _dims(end_dim, self.ndim)
        shape = self.data.shape
        return self.reshape(shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:]) if start <= end else self

    def squeeze(self, dim=None):
        shape = self.data.shape
        if dim is None:
            return self.reshape(tuple(n for n in shape if n != 1))
        dims = _dims(dim if isinstance(dim, (tuple, list)) else (dim,), self.ndim)
        return self.reshape(tuple(n for i, n in enumerate(shape) if not (i in dims and n == 1)))

    def unsqueeze(self, dim):
        dim = _dims(dim, self.ndim + 1)
        return self.reshape(self.data.shape[:dim] + (1,) + self.data.shape[dim:])

    def permute(self, *dims):
        return super().transpose(tuple(_dims(_shape_args(dims), self.ndim)))

    def transpose(self, dim0, dim1):
        if self.ndim == 0:  # torch allows dims 0 and −1 of a 0-d tensor
            _dims(dim0, 0), _dims(dim1, 0)
            return super().transpose(())
        order = list(range(self.ndim))
        d0, d1 = _dims(dim0, self.ndim), _dims(dim1, self.ndim)
        order[d0], order[d1] = order[d1], order[d0]
        return super().transpose(tuple(order))

    @property
    def T(self):
        return super().transpose()

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return super().transpose()

    def expand(self, *sizes):
        """Broadcast to ``sizes`` (−1 keeps a length): a sum of zeros, so the backward is add's unbroadcast."""
        sizes = _shape_args(sizes)
        lead = len(sizes) - self.ndim
        shape = tuple(self.data.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        return self + self._new(np.zeros(shape, self.data.dtype))

    def contiguous(self):
        return self

    # --- functions of the lecture ------------------------------------------------------------------
    def softmax(self, dim):
        """scratch.nn.layers.Softmax's forward and backward, as one node."""
        from scratch.torch.nn._node import layer_node

        return layer_node(layers.Softmax(_dims(dim, self.ndim)), self._float(), (), "softmax")

    def log_softmax(self, dim):
        return super(ShapeOps, self._float()).log_softmax(axis=_dims(dim, self.ndim))

    def _float(self):
        return self if self.data.dtype.kind == "f" else self.to(self._default_float)

    def sqrt(self):
        return self**0.5

    def square(self):
        return self * self

    def abs(self):
        """|x| = x·sign(x): mul's backward, g·sign(x) (0 at 0 and at NaN, as torch)."""
        return self * self._new(np.where(np.isnan(self.data), 0, np.sign(self.data)))

    def clamp(self, min=None, max=None):
        """x where min ≤ x ≤ max, else the bound: two ``where`` nodes, so g flows to whichever was chosen."""
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        out = self if min is None else selection.where(self < min, min, self)
        return out if max is None else selection.where(out > max, max, out)

    clip = clamp

    def pow(self, exponent):
        return self**exponent

    def matmul(self, other):
        return self @ other

    mm = matmul

    def add(self, other, alpha=1):
        return self + other * alpha if alpha != 1 else self + other

    def sub(self, other, alpha=1):
        return self - other * alpha if alpha != 1 else self - other

    def mul(self, other):
        return self * other

    def neg(self):
        return -self

    def div(self, other):
        return self / other

    def equal(self, other):
        return self.data.shape == other.data.shape and bool(np.array_equal(self.data, other.data))

    def all(self):
        return self._new(np.all(self.data))

    def any(self):
        return self._new(np.any(self.data))
