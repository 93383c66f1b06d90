"""Layers with a hand-written backward: Linear, ReLU, Sigmoid, Tanh, Softmax.

Each layer is written twice over, as ``torch.autograd.Function`` is:
  _forward(x)               → (y, ctx): the output and what backward needs (no checks);
  _backward(ctx, g)         → (∂L/∂x, {name: ∂L/∂param}): the chain rule for this layer alone.
A ``Sequential`` keeps one ctx per call, so a layer used twice in one pass accumulates
both uses' gradients, as in PyTorch. The public ``forward(x)``/``backward(g)`` check their
input, keep the ctx of the last call on the layer and store ``layer.grads`` (keyed like
``layer.params``, replaced by every backward). Shapes, as PyTorch's: x (*, in) → (*, out) for
Linear — (N, in), one unbatched sample (in,), (N, T, in), also N = 0 — the batch dimensions
flattened into rows for the same closed form; activations take any shape and keep it. Every
layer keeps its float dtype (float32 stays float32); an input beyond its range is refused.

Derivations, step by step: docs/lecture/derivations.md#4-the-linear-layer and #5-relu-sigmoid-and-softmax-layers
"""

import os

import numpy as np

from scratch._validation import cast_within_range, check_array, check_dtype, check_number, check_seed
from scratch.nn.module import Module
from scratch.numerics import sigmoid, softmax


class _Layer(Module):
    """A module with the unchecked _forward/_backward pair, and public forward/backward checking around it."""

    _ctx = None  # (output shape, output dtype, ctx) of the last public forward

    def __init__(self):
        self.params, self.grads = {}, {}

    def forward(self, x):
        x = self._check_input(check_array(x, "x", allow_empty=True))
        y, ctx = self._forward(x)
        self._ctx = (y.shape, y.dtype, ctx)
        return y

    def backward(self, grad_out):
        """∂L/∂x for the last forward; parameter gradients go to ``self.grads``."""
        grad_x, self.grads = self._backward_last(grad_out)
        return grad_x

    def _backward_last(self, grad_out, need_input_grad=True):
        """``_backward`` for the last public forward, once grad_out is checked against its output."""
        if self._ctx is None:
            raise RuntimeError(f"{type(self).__name__}: call forward(x) before backward(grad_out).")
        shape, dtype, ctx = self._ctx
        g = as_dtype(check_array(grad_out, "grad_out", allow_empty=True), dtype, "grad_out")
        if g.shape != shape:
            raise ValueError(
                f"{type(self).__name__}: grad_out must have the shape of the last forward output {shape}; "
                f"got {g.shape}."
            )
        return self._backward(ctx, g, need_input_grad)

    def _check_input(self, x):
        return x

    def _backward(self, ctx, g, need_input_grad=True):
        raise NotImplementedError


class Linear(_Layer):
    """A dense layer y = x Wᵀ + b with PyTorch's names, layout and default initialisation.

    weight: (out_features, in_features), bias: (out_features,) (none with bias=False), both drawn
    from uniform(−1/√in_features, 1/√in_features) — what torch's kaiming_uniform_(a=√5) reduces to.
    ``seed`` is an int, a numpy Generator (share one across layers) or None (fresh entropy).
    A weight larger than the machine's memory is refused before anything is allocated.
    """

    def __init__(self, in_features, out_features, bias=True, *, seed=None, dtype=np.float64):
        super().__init__()
        self.in_features = check_number(in_features, "in_features", low=1, integer=True)
        self.out_features = check_number(out_features, "out_features", low=1, integer=True)
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"bias must be True or False; got {bias!r}.")
        self.dtype = check_dtype(dtype)
        check_fits_in_memory(self)
        rng = check_seed(seed)
        bound = 1 / np.sqrt(in_features)
        self.params = {"weight": rng.uniform(-bound, bound, (out_features, in_features)).astype(self.dtype)}
        if bias:
            self.params["bias"] = rng.uniform(-bound, bound, out_features).astype(self.dtype)

    @classmethod
    def holding(cls, weight, bias=None):
        """A Linear whose parameters are these arrays themselves (no copy, no initialisation):
        weight (out_features, in_features), bias (out_features,) or None."""
        layer = object.__new__(cls)
        _Layer.__init__(layer)
        (layer.out_features, layer.in_features), layer.dtype = weight.shape, weight.dtype
        layer.params = {"weight": weight} if bias is None else {"weight": weight, "bias": bias}
        return layer

    @property
    def weight(self):
        return self.params["weight"]

    @property
    def bias(self):
        """The bias (out_features,), or None for Linear(…, bias=False), as in PyTorch."""
        return self.params.get("bias")

    def config(self):
        return {"in_features": self.in_features, "out_features": self.out_features, "bias": self.bias is not None,
                "dtype": self.dtype.name}

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

    def _check_input(self, x):
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            advice = " If x holds samples of one feature, use x.reshape(-1, 1)." if x.ndim == 1 else ""
            raise ValueError(
                f"{self!r} expects x of shape (*, {self.in_features}), e.g. (N, {self.in_features}) or "
                f"({self.in_features},); got x of shape {x.shape}.{advice}"
            )
        return as_dtype(x, self.dtype, "x")

    def _forward(self, x):
        """y = x Wᵀ + b.  x: (*, in_features) → y: (*, out_features), rows = the batch dimensions flattened."""
        rows = x.reshape(-1, self.in_features)
        y = rows @ self.weight.T
        if self.bias is not None:
            y += self.bias
        return y.reshape(x.shape[:-1] + (self.out_features,)), (rows, x.shape)

    def _backward(self, ctx, g, need_input_grad=True):
        """∂L/∂W = gᵀx (out, in),  ∂L/∂b = Σₙ g (out,),  ∂L/∂x = g W (N, in);  g = ∂L/∂y (N, out),
        N the rows of x and g with their batch dimensions flattened.

        ∂L/∂x is skipped (None) when nothing needs it, e.g. for the first layer of a network.
        """
        x, shape = ctx
        g = g.reshape(-1, self.out_features)
        grads = {"weight": g.T @ x}
        if self.bias is not None:
            grads["bias"] = g.sum(axis=0)
        return ((g @ self.weight).reshape(shape) if need_input_grad else None), grads


def check_fits_in_memory(layer):
    """Refuse a Linear whose weight, in_features·out_features·itemsize bytes, exceeds the machine's memory."""
    needed = layer.in_features * layer.out_features * layer.dtype.itemsize
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows): numpy's MemoryError stays the guard
        return
    if needed > memory:
        raise ValueError(
            f"Linear(in_features={layer.in_features}, out_features={layer.out_features}) needs "
            f"in_features·out_features·{layer.dtype.itemsize} = {needed:,} bytes for its {layer.dtype} weight, "
            f"more than this machine's memory ({memory:,} bytes). Use fewer features."
        )


def as_dtype(x, dtype, name):
    """x (finite) cast to the layer's float ``dtype``; refused, naming its range, where the cast would overflow."""
    return cast_within_range(x, dtype, name, "layer")


class ReLU(_Layer):
    """relu(x) = max(x, 0), elementwise; any shape."""

    def _forward(self, x):
        return np.maximum(x, 0), ~(x <= 0)  # x > 0, and NaN: relu(NaN) = NaN passes its gradient, as in PyTorch

    def _backward(self, passes, g, need_input_grad=True):
        """∂L/∂x = g·[x > 0]  (the subgradient at 0 is 0; at NaN g passes, as in PyTorch)."""
        return g * passes, {}


class Sigmoid(_Layer):
    """σ(x) = 1 / (1 + e^(−x)), elementwise; any shape."""

    def _forward(self, x):
        s = sigmoid(x)
        return s, s

    def _backward(self, s, g, need_input_grad=True):
        """∂L/∂x = g·s(1 − s),  s = σ(x)."""
        return g * s * (1 - s), {}


class Tanh(_Layer):
    """tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ), elementwise; any shape."""

    def _forward(self, x):
        t = np.tanh(x)
        return t, t

    def _backward(self, t, g, need_input_grad=True):
        """∂L/∂x = g·(1 − t²),  t = tanh(x)."""
        return g * (1 - t * t), {}


class Softmax(_Layer):
    """softmax(x)ᵢ = e^(xᵢ) / Σⱼ e^(xⱼ) along ``dim`` (the class axis)."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = check_number(dim, "dim", integer=True)

    def config(self):
        return {"dim": self.dim}

    def extra_repr(self):
        return f"dim={self.dim}"

    def _check_input(self, x):
        if not -max(x.ndim, 1) <= self.dim < max(x.ndim, 1):  # a scalar takes dim 0 or −1, as in PyTorch
            raise ValueError(f"{self!r}: dim is out of range for x of shape {x.shape}.")
        return x

    def _forward(self, x):
        s = softmax(np.atleast_1d(x), axis=self.dim).reshape(x.shape)
        return s, s

    def _backward(self, s, g, need_input_grad=True):
        """The full Jacobian-vector product ∂L/∂x = s·(g − Σⱼ gⱼsⱼ), sum along ``dim``.

        Not g·s(1 − s): softmax couples the classes, ∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ).
        """
        s1, g1 = np.atleast_1d(s), np.atleast_1d(g)
        return (s1 * (g1 - np.sum(g1 * s1, axis=self.dim, keepdims=True))).reshape(s.shape), {}
