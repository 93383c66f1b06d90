"""Layers with a hand-written backward: Linear, ReLU, Sigmoid, Softmax.

Each layer is written twice over, as ``torch.autograd.Function`` is:
  _forward(x)               → (y, ctx): the output and what backward needs (no checks);
  _backward(ctx, g)         → (∂L/∂x, {name: ∂L/∂param}): the chain rule for this layer alone.
A ``Sequential`` keeps one ctx per call, so a layer used twice in one pass accumulates
both uses' gradients, as in PyTorch. The public ``forward(x)``/``backward(g)`` check their
input, keep the ctx of the last call on the layer and store ``layer.grads`` (keyed like
``layer.params``, replaced by every backward). Shapes: x (N, in) → (N, out) for Linear;
activations keep the shape. Every layer keeps its float dtype (float32 stays float32).

Derivations, step by step: docs/lecture/derivations.md#4-the-linear-layer and #5-relu-sigmoid-and-softmax-layers
"""

import numpy as np

from scratch._validation import check_array, check_dtype, check_number, check_seed
from scratch.nn.module import Module
from scratch.numerics import sigmoid, softmax


class _Layer(Module):
    """A module with the unchecked _forward/_backward pair, and public forward/backward checking around it."""

    _ctx = None  # (output shape, output dtype, ctx) of the last public forward

    def __init__(self):
        self.params, self.grads = {}, {}

    def forward(self, x):
        x = self._check_input(check_array(x, "x"))
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
        g = check_array(grad_out, "grad_out").astype(dtype, copy=False)
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

    weight: (out_features, in_features), bias: (out_features,), both drawn from
    uniform(−1/√in_features, 1/√in_features) — what torch's kaiming_uniform_(a=√5) reduces to.
    ``seed`` is an int, a numpy Generator (share one across layers) or None (fresh entropy).
    """

    def __init__(self, in_features, out_features, *, seed=None, dtype=np.float64):
        super().__init__()
        self.in_features = check_number(in_features, "in_features", low=1, integer=True)
        self.out_features = check_number(out_features, "out_features", low=1, integer=True)
        self.dtype = check_dtype(dtype)
        rng = check_seed(seed)
        bound = 1 / np.sqrt(in_features)
        self.params = {
            "weight": rng.uniform(-bound, bound, (out_features, in_features)).astype(self.dtype),
            "bias": rng.uniform(-bound, bound, out_features).astype(self.dtype),
        }

    @property
    def weight(self):
        return self.params["weight"]

    @property
    def bias(self):
        return self.params["bias"]

    def config(self):
        return {"in_features": self.in_features, "out_features": self.out_features, "dtype": self.dtype.name}

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias=True"

    def _check_input(self, x):
        x = check_array(x, "x", ndim=2)  # a 1-D x gets scikit-learn's reshape advice
        if x.shape[1] != self.in_features:
            raise ValueError(f"{self!r} expects x of shape (N, {self.in_features}); got x of shape {x.shape}.")
        return x.astype(self.dtype, copy=False)

    def _forward(self, x):
        """y = x Wᵀ + b.  x: (N, in_features) → y: (N, out_features)."""
        y = x @ self.weight.T
        y += self.bias
        return y, x

    def _backward(self, x, g, need_input_grad=True):
        """∂L/∂W = gᵀx (out, in),  ∂L/∂b = Σₙ g (out,),  ∂L/∂x = g W (N, in);  g = ∂L/∂y (N, out).

        ∂L/∂x is skipped (None) when nothing needs it, e.g. for the first layer of a network.
        """
        grads = {"weight": g.T @ x, "bias": g.sum(axis=0)}
        return (g @ self.weight if need_input_grad else None), grads


class ReLU(_Layer):
    """relu(x) = max(x, 0), elementwise; any shape."""

    def _forward(self, x):
        return np.maximum(x, 0), x > 0

    def _backward(self, positive, g, need_input_grad=True):
        """∂L/∂x = g·[x > 0]  (the subgradient at 0 is 0, as in PyTorch)."""
        return g * positive, {}


class Sigmoid(_Layer):
    """σ(x) = 1 / (1 + e^(−x)), elementwise; any shape."""

    def _forward(self, x):
        s = sigmoid(x)
        return s, s

    def _backward(self, s, g, need_input_grad=True):
        """∂L/∂x = g·s(1 − s),  s = σ(x)."""
        return g * s * (1 - s), {}


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
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"{self!r}: dim is out of range for x of shape {x.shape}.")
        return x

    def _forward(self, x):
        s = softmax(x, axis=self.dim)
        return s, s

    def _backward(self, s, g, need_input_grad=True):
        """The full Jacobian-vector product ∂L/∂x = s·(g − Σⱼ gⱼsⱼ), sum along ``dim``.

        Not g·s(1 − s): softmax couples the classes, ∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ).
        """
        return s * (g - np.sum(g * s, axis=self.dim, keepdims=True)), {}
