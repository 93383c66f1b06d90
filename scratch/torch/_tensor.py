"""``torch.Tensor`` on scratch: a ``scratch.autograd.Tensor`` with torch's names and defaults.

Every operation and its backward is scratch.autograd's (``tensor.py``, ``reductions.py``);
this class adds what PyTorch's interface has around them: float32 as the default float,
dtype objects and ``torch.Size``, ``dim=``/``keepdim=`` arguments, ``.grad`` as a tensor that
accumulates in place, in-place updates (allowed on a leaf that requires grad only inside
``no_grad()``, as in PyTorch), comparisons, and the errors PyTorch raises for bad shapes.
Shape operations and reductions by ``dim`` are in ``_shape.py``, printing in ``_format.py``.
"""

import numpy as np

from scratch.autograd import Tensor as _AutogradTensor
from scratch.autograd._dtypes import result_type
from scratch.autograd._graph import grad_enabled
from scratch.torch import _dtype, _format
from scratch.torch._device import device
from scratch.torch._shape import ShapeOps


def _broadcast_error(a, b):
    """PyTorch's message for shapes that do not broadcast, naming the first dimension that clashes."""
    for i in range(1, min(len(a), len(b)) + 1):
        if a[-i] != b[-i] and 1 not in (a[-i], b[-i]):
            return RuntimeError(
                f"The size of tensor a ({a[-i]}) must match the size of tensor b ({b[-i]}) at non-singleton "
                f"dimension {max(len(a), len(b)) - i}"
            )
    return RuntimeError(f"shapes {a} and {b} do not broadcast")


_CPU = device("cpu")


class Tensor(ShapeOps, _AutogradTensor):
    """A tensor with torch's interface; the data is ``self.data`` (an ndarray), its graph scratch's."""

    _default_float = np.float32

    def _new(self, data):
        """Results are plain tensors, also from a Parameter (which would require grad)."""
        return Tensor(data)

    @classmethod
    def _lift(cls, other):
        return _AutogradTensor._lift.__func__(Tensor, other)

    # --- torch's views of the data ---------------------------------------------------------------
    dtype = property(lambda self: _dtype.of(self.data.dtype))
    shape = property(lambda self: _dtype.Size(self.data.shape))
    is_leaf = property(lambda self: self.op is None)
    device = property(lambda self: _CPU)
    is_floating_point = lambda self: self.data.dtype.kind == "f"  # noqa: E731

    def size(self, dim=None):
        return self.shape if dim is None else self.data.shape[dim]

    def dim(self):
        return self.data.ndim

    def numel(self):
        return int(self.data.size)

    @property
    def grad_fn(self):
        """None for a leaf; else the name of the node, as torch prints it (``<MulBackward0>``)."""
        return None if self.op is None else _format.GradFn(self.op)

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        self._grad = None if value is None else value if isinstance(value, Tensor) else Tensor(np.asarray(value))

    def _accumulate_grad(self, g):
        """.grad += g in place, as PyTorch's AccumulateGrad: a reference to .grad sees the sum."""
        if self._grad is None:
            self._grad = Tensor(np.array(g, dtype=self.data.dtype))
        else:
            np.add(self._grad.data, g, out=self._grad.data, casting="unsafe")

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = bool(requires_grad)
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """∂self/∂leaf into every leaf's ``.grad``: scratch.autograd's backward pass (``_graph.py``)."""
        super().backward(None if gradient is None else np.asarray(getattr(gradient, "data", gradient)))

    # --- PyTorch's errors for shapes -----------------------------------------------------------
    def _broadcasting(name):
        """The elementwise operator ``name`` of scratch.autograd, after PyTorch's check of the shapes."""
        def operator(self, other):
            other = self._lift(other)
            try:
                np.broadcast_shapes(self.data.shape, other.data.shape)
            except ValueError:
                raise _broadcast_error(self.data.shape, other.data.shape) from None
            return getattr(_AutogradTensor, name)(self, other)
        return operator

    __add__, __sub__, __mul__ = _broadcasting("__add__"), _broadcasting("__sub__"), _broadcasting("__mul__")
    __truediv__, __pow__ = _broadcasting("__truediv__"), _broadcasting("__pow__")

    def __matmul__(self, other):
        other = self._lift(other)
        a, b = self.data.shape, other.data.shape
        if not a or not b:
            raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {len(a)}D and {len(b)}D")
        if a[-1] != b[-2 if len(b) > 1 else -1]:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({'x'.join(map(str, a))} and {'x'.join(map(str, b))})"
            )
        if self.data.dtype != other.data.dtype:
            raise RuntimeError(
                f"expected m1 and m2 to have the same dtype, but got: {_dtype.of(self.data.dtype)} != "
                f"{_dtype.of(other.data.dtype)}"
            )
        return super().__matmul__(other)

    def __rmatmul__(self, other):
        return self._lift(other).__matmul__(self)

    # --- comparisons: bool tensors, outside the graph --------------------------------------------
    def _compare(self, other, op):
        other, a, b = self._operands(other)
        try:
            return Tensor(op(a, b))
        except ValueError:
            raise _broadcast_error(a.shape, b.shape) from None

    __eq__ = lambda self, other: self._compare(other, np.equal)  # noqa: E731
    __ne__ = lambda self, other: self._compare(other, np.not_equal)  # noqa: E731
    __lt__ = lambda self, other: self._compare(other, np.less)  # noqa: E731
    __le__ = lambda self, other: self._compare(other, np.less_equal)  # noqa: E731
    __gt__ = lambda self, other: self._compare(other, np.greater)  # noqa: E731
    __ge__ = lambda self, other: self._compare(other, np.greater_equal)  # noqa: E731
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    __hash__ = object.__hash__
    __and__ = lambda self, other: self._compare(other, np.logical_and)  # noqa: E731
    __or__ = lambda self, other: self._compare(other, np.logical_or)  # noqa: E731
    __invert__ = lambda self: Tensor(~self.data)  # noqa: E731

    # --- in-place updates ----------------------------------------------------------------------
    def _check_inplace(self):
        if grad_enabled() and self.requires_grad:
            if self.op is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation. "
                    "Update parameters inside `with torch.no_grad():`."
                )
            raise RuntimeError("scratch.torch records no in-place operation in the graph; write it out of place.")

    def _write(self, values):
        """self.data[...] = values, in place (the same ndarray: optimizers and references see it)."""
        self._check_inplace()
        values = np.asarray(getattr(values, "data", values))
        if values.dtype.kind == "f" and self.data.dtype.kind in "biu":
            raise RuntimeError(f"result type Float can't be cast to the desired output type {self.dtype}")
        self.data[...] = values
        return self

    def _inplace(self, other, op):
        other = self._lift(other)
        if result_type(self, other).kind == "f" and self.data.dtype.kind != "f":
            raise RuntimeError(f"result type Float can't be cast to the desired output type {self.dtype}")
        return self._write(op(self.data, other.data.astype(self.data.dtype, copy=False)))

    add_ = __iadd__ = lambda self, other: self._inplace(other, np.add)  # noqa: E731
    sub_ = __isub__ = lambda self, other: self._inplace(other, np.subtract)  # noqa: E731
    mul_ = __imul__ = lambda self, other: self._inplace(other, np.multiply)  # noqa: E731
    div_ = __itruediv__ = lambda self, other: self._inplace(other, np.divide)  # noqa: E731

    def copy_(self, src):
        return self._write(np.broadcast_to(np.asarray(getattr(src, "data", src)), self.data.shape))

    def fill_(self, value):
        return self._write(np.full(self.data.shape, getattr(value, "data", value)))

    def zero_(self):
        return self.fill_(0)

    def __setitem__(self, index, value):
        from scratch.autograd.tensor import _index

        self._check_inplace()
        self.data[_index(index)] = np.asarray(getattr(value, "data", value))

    def uniform_(self, a=0.0, b=1.0, generator=None):
        from scratch.torch._random import stream

        return self._write(stream(generator).uniform(a, b, self.data.shape))

    def normal_(self, mean=0.0, std=1.0, generator=None):
        from scratch.torch._random import stream

        return self._write(stream(generator).normal(mean, std, self.data.shape))

    # --- conversions ---------------------------------------------------------------------------
    def to(self, *args, dtype=None, device=None, **kwargs):
        """``to(torch.float64)``; a device ("cpu") is accepted and changes nothing, another is refused."""
        from scratch.torch._device import check_device, is_device

        for value in (*args, device):
            if is_device(value):
                check_device(value)
        target = dtype if dtype is not None else next((a for a in args if not is_device(a)), None)
        return self if target is None else super().to(_dtype.to_numpy(target))

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def bool(self):
        return self.to(np.bool_)

    def type(self, dtype):
        return self.to(dtype)

    def cpu(self):
        return self

    def clone(self):
        """A copy in the graph: ∂clone/∂x = 1."""
        return self._child(self.data.copy(), (self,), lambda g: (g,), "clone")

    def detach_(self):
        self.op, self.parents, self._backward, self.requires_grad = None, (), None, False
        return self

    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self.data

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self, spec):
        return format(self.item(), spec) if self.data.ndim == 0 else format(repr(self), spec)

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    def __repr__(self):
        return _format.tensor_repr(self)
