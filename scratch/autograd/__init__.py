"""A small reverse-mode automatic differentiation engine over NumPy arrays, with PyTorch's dtypes.

Each operation builds a graph node whose ``_backward(g)`` closure, written right under its
forward (``tensor.py``), maps the gradient of the output g = ∂L/∂out to the gradients of its
inputs. ``Tensor.backward`` walks the graph in reverse topological order (``_graph.py``) and
accumulates the result into the ``.grad`` of the leaves, as PyTorch does. Tensors are made
and joined with torch's functions (``creation.py``); dtypes follow torch's promotion rules
(``_dtypes.py``), except that the default float dtype is float64.

The lecture's graph (slide 9): y = x², z = 3y + 2, so dz/dx = 6x.

>>> x = Tensor(2.0, requires_grad=True)
>>> z = 3 * x**2 + 2
>>> z.backward()
>>> float(z.data), float(x.grad)
(14.0, 12.0)
>>> Tensor([[1, 2], [3, 4]]).dtype, (Tensor([[1, 2], [3, 4]]) / 2).dtype
(dtype('int64'), dtype('float64'))

Each operation's backward rule is derived in docs/lecture/derivations.md#8-the-autograd-tapes-own-rules
"""

from scratch.autograd._graph import topological_order, unbroadcast
from scratch.autograd.creation import arange, cat, full, ones, tensor, zeros
from scratch.autograd.tensor import Tensor

__all__ = ["Tensor", "arange", "cat", "full", "ones", "tensor", "topological_order", "unbroadcast", "zeros"]
