"""The tape: walking a Tensor's graph, and the backward pass over it.

``backpropagate(root, gradient)`` visits the nodes in reverse topological order, calls each
node's ``_backward(g)`` closure, sums every input gradient back to the input's shape (the
adjoint of broadcasting, ``unbroadcast``) and accumulates the result into ``.grad`` of the
leaves — and of the nodes that called ``retain_grad()`` — as PyTorch does. Other
intermediate gradients live only inside one call, so they never leak into the next one.
"""

import contextlib

import numpy as np

from scratch._validation import check_array, check_same_shape
from scratch.numerics import unbroadcast


_GRAD_MODE = {"enabled": True}


def grad_enabled():
    """Whether operations record the graph (torch.is_grad_enabled); False inside ``no_grad()``."""
    return _GRAD_MODE["enabled"]


@contextlib.contextmanager
def no_grad():
    """A block whose operations record nothing (torch.no_grad): results need no gradient."""
    previous, _GRAD_MODE["enabled"] = _GRAD_MODE["enabled"], False
    try:
        yield
    finally:
        _GRAD_MODE["enabled"] = previous


def topological_order(root, *, constants=False):
    """Every node ``root`` depends on, inputs before outputs, root last.

    constants: also list the inputs that need no gradient (numbers such as the 3 of 3x²);
    the backward pass skips them, a drawing of the graph shows them.
    """
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
        elif id(node) not in visited:
            visited.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents if constants or p.requires_grad)
    return order


def backpropagate(root, gradient):
    """Accumulate ∂root/∂node into ``node.grad`` for the leaves that require grad (and retained nodes)."""
    if not root.requires_grad:
        raise RuntimeError(
            "element 0 of tensors does not require grad and does not have a grad_fn: backward() needs a "
            "result that depends on a tensor with requires_grad=True."
        )
    grads = {id(root): _seed_gradient(root, gradient)}
    for node in reversed(topological_order(root)):
        g = grads.pop(id(node))
        if node.op is None or node.retains_grad:
            node._accumulate_grad(g.astype(node.data.dtype))
        if node.op is None:
            continue
        for parent, grad in zip(node.parents, node._backward(g)):
            if parent.requires_grad:
                grad = unbroadcast(grad, parent.shape)
                grads[id(parent)] = grads[id(parent)] + grad if id(parent) in grads else grad


def _seed_gradient(root, gradient):
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"grad can be implicitly created only for scalar outputs: backward() on a tensor of shape "
                f"{tuple(root.shape)} needs gradient=∂L/∂self of that shape; "
                "only a single-value result has the implicit gradient 1 (call .sum() first if you meant that)."
            )
        return np.ones_like(root.data)
    gradient = check_array(gradient, "gradient", dtype="float", allow_empty=True)
    check_same_shape(gradient, root.data, "gradient", "the tensor")
    return gradient
