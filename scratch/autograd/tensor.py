"""``Tensor``: an ndarray that records the operations applied to it (see scratch.autograd).

Each operation's backward rule is derived in docs/lecture/derivations.md#8-the-autograd-tapes-own-rules
"""

import operator

import numpy as np

from scratch import numerics
from scratch._validation import check_array
from scratch.autograd._dtypes import floating, result_type, wrapped_dtype
from scratch.autograd._graph import backpropagate, grad_enabled
from scratch.autograd.reductions import Reductions


def _check_matmul_shapes(a, b):
    """A @ B needs A's last axis to match B's second-to-last (its only axis when B is 1-D)."""
    if not a or not b or a[-1] != b[-2 if len(b) > 1 else -1]:
        raise ValueError(
            f"matmul: self of shape {a} and other of shape {b} cannot be multiplied; self's last "
            "axis must have the length of other's second-to-last axis (its only axis if 1-D)."
        )


def _index(index):
    """An index with Tensors as arrays: a bool Tensor selects (a mask), an integer one gathers, as torch.

    A float Tensor is refused, as PyTorch refuses it (NumPy refuses float arrays and Python floats too).
    """
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if not isinstance(index, Tensor):
        return index
    if index.data.dtype.kind not in "biu":
        raise IndexError(f"tensors used as indices must be long, int, byte or bool tensors; got {index.data.dtype}.")
    return index.data


def _reflected(forward):
    """The reflected operator (``__rsub__`` for ``2 - x``): lift the left operand, then apply ``forward``."""
    return lambda self, other: forward(self._lift(other), self)


class Tensor(Reductions):
    """An ndarray that records the operations applied to it, with PyTorch's dtypes.

    data: any array-like or Tensor. Python ints become int64, floats float64, bools bool, and
    an ndarray keeps its dtype, as torch.tensor does (torch's default float is float32).
    dtype: convert the data to it. requires_grad: a float leaf with requires_grad=True
    receives ``.grad`` (data's shape) when ``backward`` runs on a result computed from it.
    After an operation, ``op`` names it and ``parents`` are its inputs (a leaf: None and ()).
    """

    __array_ufunc__ = None  # make ``ndarray + Tensor`` call Tensor.__radd__
    _default_float = np.float64  # what integers become in exp, log, /; scratch.torch's subclass: float32

    def __init__(self, data, requires_grad=False, *, dtype=None):
        data = data.data if isinstance(data, Tensor) else data
        array = check_array(data, "data", dtype="any", allow_empty=True, finite=False)
        self.data = array if dtype is None else array.astype(dtype, copy=False)
        if requires_grad and self.data.dtype.kind != "f":
            raise RuntimeError(
                f"Only Tensors of floating point dtype can require gradients, as in PyTorch; got {self.data.dtype}. "
                "Write the data as floats (Tensor([1.0, 2.0])) or pass dtype=np.float64."
            )
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self.op, self.parents, self._backward = None, (), None
        self.retains_grad = False
        self._wrapped = None  # a Python number lifted into an operation: the dtype it promotes as (lowest tier)

    def _child(self, data, parents, backward, op):
        """A result node, of self's class; ``backward(g)`` returns one gradient per parent (or None).

        Inside ``no_grad()`` nothing is recorded: the result is a plain tensor.
        """
        out = self._new(data)
        if grad_enabled() and any(p.requires_grad for p in parents):
            out.requires_grad, out.parents, out._backward, out.op = True, parents, backward, op
        return out

    def _new(self, data):
        """A new tensor of this family (a subclass may return its plain tensor class)."""
        return type(self)(data)

    @classmethod
    def _lift(cls, other):
        """``other`` as a Tensor; a Python number is marked as one, for type promotion."""
        if isinstance(other, Tensor):
            return other
        data = check_array(other, "other", dtype="any", allow_empty=True, finite=False)
        if np.ndim(other) or isinstance(other, np.ndarray):
            return cls(data)
        lifted = cls(data.astype(np.float64 if data.dtype.kind == "f" else wrapped_dtype(data.dtype)))  # exact
        lifted._wrapped = wrapped_dtype(data.dtype, cls._default_float)  # a float promotes as the default float
        return lifted

    def _operands(self, other, floats=False):
        """(other as a Tensor, self's data, other's data), both in the dtype of the result."""
        other = self._lift(other)
        dtype = result_type(self, other)
        dtype = floating(dtype, self._default_float) if floats else dtype
        return other, self.data.astype(dtype, copy=False), other.data.astype(dtype, copy=False)

    def _float_data(self):
        """The data as floats: integers become the default float dtype, as in torch.exp."""
        return self.data.astype(floating(self.data.dtype, self._default_float), copy=False)

    # --- arithmetic -------------------------------------------------------------------
    def __add__(self, other):
        """∂(a + b)/∂a = 1, ∂(a + b)/∂b = 1."""
        other, a, b = self._operands(other)
        return self._child(a + b, (self, other), lambda g: (g, g), "add")

    def __sub__(self, other):
        """∂(a − b)/∂a = 1, ∂(a − b)/∂b = −1."""
        other, a, b = self._operands(other)
        return self._child(a - b, (self, other), lambda g: (g, -g), "sub")

    def __mul__(self, other):
        """∂(ab)/∂a = b, ∂(ab)/∂b = a."""
        other, a, b = self._operands(other)
        return self._child(a * b, (self, other), lambda g: (g * b, g * a), "mul")

    def __truediv__(self, other):
        """∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²; integers divide into floats, as in PyTorch."""
        other, a, b = self._operands(other, floats=True)
        return self._child(a / b, (self, other), lambda g: (g / b, -g * a / (b * b)), "div")

    def __pow__(self, other):
        """∂(aᵇ)/∂a = b·aᵇ⁻¹ (0 where b = 0), ∂(aᵇ)/∂b = aᵇ·log a (0 where a = 0 and b ≥ 0), as PyTorch.

        The two zeros are the limits that 0·∞ and 0·log 0 leave undefined; log a < 0 is nan.
        """
        other, a, b = self._operands(other)
        out = a**b

        def backward(g):
            with numerics.silent():
                d_base = g * np.where(b == 0, 0, b * a ** (b - 1))
                d_exponent = g * np.where((a == 0) & (b >= 0), 0, out * np.log(a)) if other.requires_grad else None
            return d_base, d_exponent

        return self._child(out, (self, other), backward, "pow")

    def __matmul__(self, other):
        """C = AB: ∂L/∂A = G Bᵀ, ∂L/∂B = Aᵀ G (1-D operands are promoted as in np.matmul)."""
        other, a_data, b_data = self._operands(other)
        _check_matmul_shapes(self.shape, other.shape)
        a = a_data if self.ndim > 1 else a_data[None, :]
        b = b_data if other.ndim > 1 else b_data[:, None]
        promoted_shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])

        def backward(g):
            g = g.reshape(promoted_shape)
            da, db = g @ np.swapaxes(b, -1, -2), np.swapaxes(a, -1, -2) @ g  # batched transposes
            return (da if self.ndim > 1 else da[..., 0, :]), (db if other.ndim > 1 else db[..., 0])

        return self._child(a_data @ b_data, (self, other), backward, "matmul")

    def __neg__(self):
        """∂(−a)/∂a = −1."""
        return self._child(-self.data, (self,), lambda g: (-g,), "neg")

    # 2 - x: the number is lifted to a Tensor, then the operator runs as usual
    __radd__, __rsub__, __rmul__ = (_reflected(f) for f in (operator.add, operator.sub, operator.mul))
    __rtruediv__, __rpow__, __rmatmul__ = (_reflected(f) for f in (operator.truediv, operator.pow, operator.matmul))

    # --- elementwise functions (integers become floats first, as in PyTorch) -----------
    def exp(self):
        """∂eˣ/∂x = eˣ."""
        out = np.exp(self._float_data())
        return self._child(out, (self,), lambda g: (g * out,), "exp")

    def log(self):
        """∂log x/∂x = 1/x."""
        x = self._float_data()
        return self._child(np.log(x), (self,), lambda g: (g / x,), "log")

    def tanh(self):
        """∂tanh(x)/∂x = 1 − tanh²(x)."""
        t = np.tanh(self._float_data())
        return self._child(t, (self,), lambda g: (g * (1 - t * t),), "tanh")

    def sigmoid(self):
        """∂σ(x)/∂x = σ(x)(1 − σ(x)), σ computed stably."""
        s = numerics.sigmoid(self._float_data())
        return self._child(s, (self,), lambda g: (g * s * (1 - s),), "sigmoid")

    def softplus(self):
        """softplus(x) = log(1 + eˣ); ∂/∂x = σ(x)."""
        x = self._float_data()
        return self._child(numerics.softplus(x), (self,), lambda g: (g * numerics.sigmoid(x),), "softplus")

    def relu(self):
        """∂max(x, 0)/∂x = [x > 0], and 1 at NaN (torch's [¬(x ≤ 0)]); keeps the dtype, and NaN, as torch."""
        positive = ~(self.data <= 0)
        return self._child(np.maximum(self.data, 0), (self,), lambda g: (g * positive,), "relu")

    # --- shape and dtype ------------------------------------------------------------------
    def reshape(self, *shape):
        """Same values, new shape (one axis may be −1); the gradient is reshaped back."""
        old, shape = self.shape, shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        return self._child(self.data.reshape(shape), (self,), lambda g: (g.reshape(old),), "reshape")

    view = reshape  # torch's view shares memory with its input; NumPy's reshape does where it can

    def transpose(self, *axes):
        """Permute axes (reverse them by default); the gradient takes the inverse permutation."""
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        order = tuple(a % max(self.ndim, 1) for a in axes) if axes else tuple(reversed(range(self.ndim)))
        inverse = tuple(np.argsort(order))
        return self._child(self.data.transpose(order), (self,), lambda g: (g.transpose(inverse),), "transpose")

    @property
    def T(self):
        return self.transpose()

    def __getitem__(self, index):
        """out = x[index]; ∂L/∂x scatters g back, adding where an index repeats."""
        index = _index(index)

        def backward(g):
            grad = np.zeros_like(self.data)
            np.add.at(grad, index, g)
            return (grad,)

        return self._child(self.data[index], (self,), backward, "getitem")

    def to(self, dtype):
        """The values as ``dtype``; the gradient is cast back. To an integer dtype the graph stops, as in torch."""
        dtype, old = np.dtype(dtype), self.data.dtype
        if dtype.kind != "f":
            return self._new(self.data.astype(dtype))
        return self._child(self.data.astype(dtype), (self,), lambda g: (g.astype(old),), "to")

    def float(self):
        """As float32 (torch's ``float()``)."""
        return self.to(np.float32)

    def double(self):
        """As float64."""
        return self.to(np.float64)

    # --- backpropagation --------------------------------------------------------------
    def backward(self, gradient=None):
        """Accumulate ∂self/∂leaf into ``leaf.grad`` for every leaf that requires grad.

        gradient: ∂L/∂self, shape of self; required unless self holds a single value.
        Calling ``backward`` twice adds the gradients twice, as in PyTorch.
        """
        backpropagate(self, gradient)

    def retain_grad(self):
        """Also keep ∂L/∂self in ``self.grad`` when ``backward`` runs (leaves always do), as in torch."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad() needs a tensor with requires_grad=True, as in PyTorch.")
        self.retains_grad = self.op is not None

    def _accumulate_grad(self, g):
        """.grad += g (the backward pass's last step for a leaf): a new array, as PyTorch's first backward."""
        self.grad = g if self.grad is None else self.grad + g

    # --- conveniences -------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)

    def detach(self):
        """The same values, cut from the graph (requires_grad=False)."""
        return self._new(self.data)

    def item(self):
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

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
        """As torch prints: the dtype only when it is not the default float, int64 or bool."""
        extras = "" if self.data.dtype in (np.float64, np.int64, np.bool_) else f", dtype={self.data.dtype}"
        extras += ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({np.array2string(self.data, separator=', ')}{extras})"
