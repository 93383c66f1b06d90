"""One graph node around a forward/backward pair of scratch: a layer of scratch.nn.layers, or a loss.

``layer_node`` runs ``layer._forward(x)`` and records a node whose backward is
``layer._backward(ctx, g)`` — ∂L/∂x and the parameters' gradients, as the layer derives them.
``loss_node`` records a loss whose backward is g times scratch.losses' ``*_grad`` of the same
arguments. Stepping into ``loss.backward()`` reaches these two closures.
"""

import numpy as np


def layer_node(layer, x, params, op):
    """y = layer(x) as a node; params: (name, Parameter) pairs, handed to the layer as its ``params``."""
    layer.params = {name: p.data for name, p in params}
    y, ctx = layer._forward(x.data)

    def backward(g):
        grad_x, grads = layer._backward(ctx, g, need_input_grad=x.requires_grad)
        return (grad_x, *(grads[name] for name, _ in params))

    return x._child(y, (x, *(p for _, p in params)), backward, op)


def loss_node(input, value, grad_of, op, *, class_axis=None):
    """A loss as a node: value from scratch.losses, ∂loss/∂input = g · grad_of() (scratch.losses' *_grad).

    For reduction="none" g has the loss's shape; a class axis (cross-entropy's axis 1) is put
    back so that each sample's g scales its own row of the gradient.
    """
    value = np.asarray(value, dtype=input.data.dtype)

    def backward(g):
        if class_axis is not None and g.ndim:
            g = np.expand_dims(g, class_axis)
        return (g * grad_of(),)

    return input._child(value, (input,), backward, op)
