"""A small reverse-mode automatic differentiation engine over NumPy arrays.

Each operation builds a graph node whose ``_backward(g)`` closure, written right under its
forward, maps the gradient of the output g = ∂L/∂out to the gradients of its inputs.
``Tensor.backward`` walks the graph in reverse topological order, sums every input gradient
back to the input's shape (the adjoint of broadcasting, ``unbroadcast``) and accumulates
the result into the ``.grad`` of the leaves, as PyTorch does. Intermediate gradients live
only inside one ``backward`` call, so they never leak into the next one.

The lecture's graph (slide 9): y = x², z = 3y + 2, so dz/dx = 6x.

>>> x = Tensor(2.0, requires_grad=True)
>>> z = 3 * x**2 + 2
>>> z.backward()
>>> float(z.data), float(x.grad)
(14.0, 12.0)

Each operation's backward rule is derived in docs/lecture/derivations.md#8-the-autograd-tapes-own-rules
"""

import numpy as np

from scratch import numerics
from scratch._validation import check_array, check_same_shape


def unbroadcast(grad, shape):
    """Sum ``grad`` back to ``shape``: the adjoint of NumPy broadcasting.

    Broadcasting prepends axes and stretches axes of length 1; the gradient sums over both.
    """
    leading = grad.ndim - len(shape)
    if leading:
        grad = grad.sum(axis=tuple(range(leading)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad


def _swap(a):
    """The transpose of the last two axes (a matrix transpose, batched)."""
    return np.swapaxes(a, -1, -2)


def _check_matmul_shapes(a, b):
    """A @ B needs A's last axis to match B's second-to-last (its only axis when B is 1-D)."""
    if not a or not b or a[-1] != b[-2 if len(b) > 1 else -1]:
        raise ValueError(
            f"matmul: self of shape {a} and other of shape {b} cannot be multiplied; self's last "
            "axis must have the length of other's second-to-last axis (its only axis if 1-D)."
        )


class Tensor:
    """A float ndarray that records the operations applied to it.

    data: any array-like; integers and booleans become float64, float32 stays float32.
    requires_grad: a leaf with requires_grad=True receives ``.grad`` (same shape as data)
    when ``backward`` runs on a result computed from it.
    """

    __array_ufunc__ = None  # make ``ndarray + Tensor`` call Tensor.__radd__

    def __init__(self, data, requires_grad=False):
        self.data = check_array(data, "data", dtype="float", allow_empty=True, finite=False)
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._parents = ()
        self._backward = None

    def _child(self, data, parents, backward):
        """A result node; ``backward(g)`` returns one gradient per parent (or None)."""
        out = Tensor(data)
        if any(p.requires_grad for p in parents):
            out.requires_grad, out._parents, out._backward = True, parents, backward
        return out

    def _lift(self, other):
        """Wrap a constant; Python scalars take this tensor's dtype, as in PyTorch."""
        if isinstance(other, Tensor):
            return other
        other_data = check_array(other, "other", dtype="any", allow_empty=True, finite=False)
        if np.ndim(other) == 0 and not isinstance(other, np.ndarray):
            return Tensor(other_data.astype(self.dtype))
        return Tensor(other_data)

    # --- arithmetic -------------------------------------------------------------------
    def __add__(self, other):
        """∂(a + b)/∂a = 1, ∂(a + b)/∂b = 1."""
        other = self._lift(other)
        return self._child(self.data + other.data, (self, other), lambda g: (g, g))

    def __mul__(self, other):
        """∂(ab)/∂a = b, ∂(ab)/∂b = a."""
        other = self._lift(other)
        a, b = self.data, other.data
        return self._child(a * b, (self, other), lambda g: (g * b, g * a))

    def __truediv__(self, other):
        """∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²."""
        other = self._lift(other)
        a, b = self.data, other.data
        return self._child(a / b, (self, other), lambda g: (g / b, -g * a / (b * b)))

    def __pow__(self, other):
        """∂(aᵇ)/∂a = b·aᵇ⁻¹ (0 where b = 0), ∂(aᵇ)/∂b = aᵇ·log a (0 where a = 0 and b ≥ 0), as PyTorch.

        The two zeros are the limits that 0·∞ and 0·log 0 leave undefined; log a < 0 is nan.
        """
        other = self._lift(other)
        a, b = self.data, other.data
        out = a**b

        def backward(g):
            with numerics.silent():
                d_base = g * np.where(b == 0, 0, b * a ** (b - 1))
                d_exponent = g * np.where((a == 0) & (b >= 0), 0, out * np.log(a)) if other.requires_grad else None
            return d_base, d_exponent

        return self._child(out, (self, other), backward)

    def __matmul__(self, other):
        """C = AB: ∂L/∂A = G Bᵀ, ∂L/∂B = Aᵀ G (1-D operands are promoted as in np.matmul)."""
        other = self._lift(other)
        _check_matmul_shapes(self.shape, other.shape)
        a = self.data if self.ndim > 1 else self.data[None, :]
        b = other.data if other.ndim > 1 else other.data[:, None]
        promoted_shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])

        def backward(g):
            g = g.reshape(promoted_shape)
            da, db = g @ _swap(b), _swap(a) @ g
            return (da if self.ndim > 1 else da[..., 0, :]), (db if other.ndim > 1 else db[..., 0])

        return self._child(self.data @ other.data, (self, other), backward)

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __radd__(self, other):
        return self._lift(other) + self

    def __rsub__(self, other):
        return self._lift(other) - self

    def __rmul__(self, other):
        return self._lift(other) * self

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def __rpow__(self, other):
        return self._lift(other) ** self

    def __rmatmul__(self, other):
        return self._lift(other) @ self

    # --- elementwise functions ------------------------------------------------------
    def exp(self):
        """∂eˣ/∂x = eˣ."""
        out = np.exp(self.data)
        return self._child(out, (self,), lambda g: (g * out,))

    def log(self):
        """∂log x/∂x = 1/x."""
        x = self.data
        return self._child(np.log(x), (self,), lambda g: (g / x,))

    def tanh(self):
        """∂tanh(x)/∂x = 1 − tanh²(x)."""
        t = np.tanh(self.data)
        return self._child(t, (self,), lambda g: (g * (1 - t * t),))

    def sigmoid(self):
        """∂σ(x)/∂x = σ(x)(1 − σ(x)), σ computed stably."""
        s = numerics.sigmoid(self.data)
        return self._child(s, (self,), lambda g: (g * s * (1 - s),))

    def softplus(self):
        """softplus(x) = log(1 + eˣ); ∂/∂x = σ(x)."""
        x = self.data
        return self._child(numerics.softplus(x), (self,), lambda g: (g * numerics.sigmoid(x),))

    def relu(self):
        """∂max(x, 0)/∂x = [x > 0]."""
        positive = self.data > 0
        return self._child(np.where(positive, self.data, 0), (self,), lambda g: (g * positive,))

    # --- reductions along an axis -----------------------------------------------------
    def sum(self, axis=None, keepdims=False):
        """∂(Σ x)/∂xᵢ = 1: the gradient is copied back along the summed axes."""
        shape = self.shape

        def backward(g):
            if axis is not None and not keepdims:
                g = np.expand_dims(g, axis)
            return (np.broadcast_to(g, shape),)

        return self._child(self.data.sum(axis=axis, keepdims=keepdims), (self,), backward)

    def mean(self, axis=None, keepdims=False):
        """mean = Σ x / n, n the number of elements averaged."""
        total = self.sum(axis=axis, keepdims=keepdims)
        return total / (self.data.size // max(total.data.size, 1))

    def logsumexp(self, axis=-1, keepdims=False):
        """log Σ eˣ along ``axis``; ∂/∂x = softmax(x)."""
        x = self.data

        def backward(g):
            g = g if keepdims else np.expand_dims(g, axis)
            return (g * numerics.softmax(x, axis=axis),)

        return self._child(numerics.logsumexp(x, axis=axis, keepdims=keepdims), (self,), backward)

    def log_softmax(self, axis=-1):
        """y = x − logsumexp(x); ∂L/∂x = g − softmax(x)·Σ g along ``axis``."""
        x = self.data

        def backward(g):
            return (g - numerics.softmax(x, axis=axis) * g.sum(axis=axis, keepdims=True),)

        return self._child(numerics.log_softmax(x, axis=axis), (self,), backward)

    # --- shape ---------------------------------------------------------------------------
    def reshape(self, *shape):
        """Same values, new shape; the gradient is reshaped back."""
        old = self.shape
        return self._child(self.data.reshape(*shape), (self,), lambda g: (g.reshape(old),))

    def transpose(self, *axes):
        """Permute axes (reverse them by default); the gradient takes the inverse permutation."""
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        order = tuple(axes) if axes else tuple(reversed(range(self.ndim)))
        inverse = tuple(np.argsort(order))
        return self._child(self.data.transpose(order), (self,), lambda g: (g.transpose(inverse),))

    @property
    def T(self):
        return self.transpose()

    def __getitem__(self, index):
        """out = x[index]; ∂L/∂x scatters g back, adding where an index repeats."""
        index = index.data.astype(np.int64) if isinstance(index, Tensor) else index

        def backward(g):
            grad = np.zeros_like(self.data)
            np.add.at(grad, index, g)
            return (grad,)

        return self._child(self.data[index], (self,), backward)

    # --- backpropagation --------------------------------------------------------------
    def backward(self, gradient=None):
        """Accumulate ∂self/∂leaf into ``leaf.grad`` for every leaf that requires grad.

        gradient: ∂L/∂self, shape of self; required unless self holds a single value.
        Calling ``backward`` twice adds the gradients twice, as in PyTorch.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() needs a result that depends on a tensor with requires_grad=True.")
        grads = {id(self): self._seed_gradient(gradient)}
        for node in reversed(self._topological_order()):
            g = grads.pop(id(node))
            if node._backward is None:
                g = g.astype(node.dtype)
                node.grad = g if node.grad is None else node.grad + g
                continue
            for parent, grad in zip(node._parents, node._backward(g)):
                if parent.requires_grad:
                    grad = unbroadcast(grad, parent.shape)
                    grads[id(parent)] = grads[id(parent)] + grad if id(parent) in grads else grad

    def _seed_gradient(self, gradient):
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() on a tensor of shape {self.shape} needs gradient=∂L/∂self of that shape; "
                    "only a single-value result has the implicit gradient 1 (call .sum() first if you meant that)."
                )
            return np.ones_like(self.data)
        gradient = check_array(gradient, "gradient", dtype="float", allow_empty=True)
        check_same_shape(gradient, self.data, "gradient", "the tensor")
        return gradient

    def _topological_order(self):
        """Every node self depends on through requires_grad inputs, inputs before outputs."""
        order, visited, stack = [], set(), [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif id(node) not in visited:
                visited.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._parents if p.requires_grad)
        return order

    # --- conveniences -------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)

    def detach(self):
        """The same values, cut from the graph (requires_grad=False)."""
        return Tensor(self.data)

    def item(self):
        return self.data.item()

    def numpy(self):
        return self.data

    def __len__(self):
        return len(self.data)

    def __bool__(self):
        """The truth of a single value, as PyTorch; more or fewer values are ambiguous."""
        if self.data.size != 1:
            raise RuntimeError(
                f"Boolean value of a Tensor with {self.data.size} values is ambiguous, as in PyTorch; "
                "test t.data.any() or t.data.all() instead."
            )
        return bool(self.data)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, separator=', ')}{grad})"
