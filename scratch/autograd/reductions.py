"""Reductions of a Tensor along an axis — sum, mean, logsumexp, log_softmax, argmax — with their backward.

A mixin of ``Tensor`` (tensor.py): each method builds its node with ``self._child``, as the
operations of tensor.py do. Each rule is derived in
docs/lecture/derivations.md#8-the-autograd-tapes-own-rules
"""

import numpy as np

from scratch import numerics


def _expand(g, axis, keepdims, ndim):
    """g of a reduction along ``axis`` with the reduced axes put back (length 1), ready to broadcast."""
    if axis is None or keepdims or ndim == 0:
        return g
    return np.expand_dims(g, axis)



class Reductions:
    """sum, mean, logsumexp, log_softmax and argmax of a Tensor."""

    def sum(self, axis=None, keepdims=False):
        """∂(Σ x)/∂xᵢ = 1: the gradient is copied back along the summed axes. Integers sum to int64."""
        shape = self.shape

        def backward(g):
            return (np.broadcast_to(_expand(g, axis, keepdims, len(shape)), shape),)

        dtype = np.int64 if self.data.dtype.kind in "biu" else None
        return self._child(self.data.sum(axis=axis, keepdims=keepdims, dtype=dtype), (self,), backward, "sum")

    def mean(self, axis=None, keepdims=False):
        """mean = Σ x / n, n the number of elements averaged; floats only, as in PyTorch."""
        if self.data.dtype.kind != "f":
            raise RuntimeError(
                f"mean() needs a floating point tensor, as in PyTorch; got {self.data.dtype}. "
                "Convert it first: t.double().mean()."
            )
        total = Reductions.sum(self, axis=axis, keepdims=keepdims)  # not a subclass's sum(dim=…)
        return total / (self.data.size // max(total.data.size, 1))

    def logsumexp(self, axis=-1, keepdims=False):
        """log Σ eˣ along ``axis`` (a 0-d tensor's only value for any axis, as torch); ∂/∂x = softmax(x)."""
        x, axis = self._float_data(), None if self.ndim == 0 else axis

        def backward(g):
            g = _expand(g, axis, keepdims, x.ndim)
            return (g * (numerics.softmax(x.ravel()).reshape(x.shape) if axis is None else numerics.softmax(x, axis)),)

        return self._child(numerics.logsumexp(x, axis=axis, keepdims=keepdims), (self,), backward, "logsumexp")

    def log_softmax(self, axis=-1):
        """y = x − logsumexp(x); ∂L/∂x = g − softmax(x)·Σ g along ``axis``."""
        x = self._float_data()

        def backward(g):
            return (g - numerics.softmax(x, axis=axis) * g.sum(axis=axis, keepdims=True),)

        return self._child(numerics.log_softmax(x, axis=axis), (self,), backward, "log_softmax")

    def argmax(self, axis=None, keepdims=False):
        """Index of the largest value along ``axis`` (of the flattened data when None); ties → the first.

        Returns an int64 Tensor that needs no gradient.
        """
        return self._new(self.data.argmax(axis=axis, keepdims=keepdims).astype(np.int64))

