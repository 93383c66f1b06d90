"""Layers with a hand-written backward: Linear, ReLU, Sigmoid, Softmax.

Each layer's ``forward(x)`` caches what its backward needs; ``backward(grad_out)`` applies
the chain rule for that layer alone, returns ∂L/∂x and stores fresh parameter gradients in
``layer.grads`` (keyed like ``layer.params``). Nothing accumulates across calls: every
backward replaces ``grads``. Shapes: x (N, in) → (N, out) for Linear; activations keep the
shape. Every layer keeps its float dtype (float32 stays float32).
"""

import numpy as np

from scratch._validation import check_array, check_dtype, check_number, check_seed
from scratch.numerics import sigmoid, softmax


class Module:
    """What every layer shares: ``params``/``grads`` dicts, ``__call__`` and the forward cache."""

    def __init__(self):
        self.params = {}
        self.grads = {}
        self._cache = None

    def __call__(self, x):
        return self.forward(x)

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self):
        return ""

    def _remember(self, out, *saved):
        """Cache the tensors backward needs, plus the output shape to check grad_out against."""
        self._cache = (out.shape, out.dtype, *saved)
        return out

    def _recall(self, grad_out):
        """The saved tensors, once grad_out is checked against the last forward's output."""
        if self._cache is None:
            raise RuntimeError(f"{self!r}: call forward(x) before backward(grad_out).")
        shape, dtype, *saved = self._cache
        grad_out = check_array(grad_out, "grad_out").astype(dtype, copy=False)
        if grad_out.shape != shape:
            raise ValueError(
                f"{self!r}: grad_out must have the shape of the last forward output {shape}; "
                f"got {grad_out.shape}."
            )
        return grad_out, *saved


class Linear(Module):
    """A dense layer y = x Wᵀ + b with PyTorch's names, layout and default initialisation.

    weight: (out_features, in_features), bias: (out_features,), both drawn from
    uniform(−1/√in_features, 1/√in_features) — what torch's kaiming_uniform_(a=√5) reduces to.
    ``seed`` is an int, a numpy Generator (share one across layers) or None.
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

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias=True"

    def forward(self, x):
        """y = x Wᵀ + b.  x: (N, in_features) → y: (N, out_features), in the layer's dtype."""
        x = check_array(x, "x", ndim=2).astype(self.dtype, copy=False)
        if x.shape[1] != self.in_features:
            raise ValueError(
                f"{self!r} expects x with {self.in_features} features (columns); "
                f"got x of shape {x.shape}."
            )
        return self._remember(x @ self.weight.T + self.bias, x)

    def backward(self, grad_out):
        """∂L/∂W = gᵀx (out, in),  ∂L/∂b = Σₙ g (out,),  ∂L/∂x = g W (N, in);  g = ∂L/∂y (N, out)."""
        g, x = self._recall(grad_out)
        self.grads = {"weight": g.T @ x, "bias": g.sum(axis=0)}
        return g @ self.weight


class ReLU(Module):
    """relu(x) = max(x, 0), elementwise; any shape."""

    def forward(self, x):
        x = check_array(x, "x")
        return self._remember(np.maximum(x, 0), x > 0)

    def backward(self, grad_out):
        """∂L/∂x = g·[x > 0]  (the subgradient at 0 is 0, as in PyTorch)."""
        g, positive = self._recall(grad_out)
        return g * positive


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e^(−x)), elementwise; any shape."""

    def forward(self, x):
        s = sigmoid(check_array(x, "x"))
        return self._remember(s, s)

    def backward(self, grad_out):
        """∂L/∂x = g·s(1 − s),  s = σ(x)."""
        g, s = self._recall(grad_out)
        return g * s * (1 - s)


class Softmax(Module):
    """softmax(x)ᵢ = e^(xᵢ) / Σⱼ e^(xⱼ) along ``dim`` (the class axis)."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = check_number(dim, "dim", integer=True)

    def extra_repr(self):
        return f"dim={self.dim}"

    def forward(self, x):
        x = check_array(x, "x")
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"{self!r}: dim is out of range for x of shape {x.shape}.")
        s = softmax(x, axis=self.dim)
        return self._remember(s, s)

    def backward(self, grad_out):
        """The full Jacobian-vector product ∂L/∂x = s·(g − Σⱼ gⱼsⱼ), sum along ``dim``.

        Not g·s(1 − s): softmax couples the classes, ∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ).
        """
        g, s = self._recall(grad_out)
        return s * (g - np.sum(g * s, axis=self.dim, keepdims=True))
