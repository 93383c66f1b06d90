"""torch.nn.functional: the layers' and losses' functions, each one node around scratch's closed form.

linear, sigmoid and softmax run the forward/backward pair of scratch.nn.layers (relu is autograd's node); the
losses take their value from scratch.losses and their gradient from its ``*_grad`` twin:
for cross_entropy, ∂L/∂Z = (softmax(Z) − Y)/N (scratch.losses.cross_entropy_and_grad). The
backward through ``linear`` then gives ∂L/∂W = gᵀX — together the lecture's Xᵀ(softmax(Z) − Y)/N.
"""

import numpy as np

from scratch import losses
from scratch.nn import layers
from scratch.torch._tensor import Tensor
from scratch.torch.nn._node import layer_node, loss_node


def _tensor(x):
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


def _array(x):
    return None if x is None else np.asarray(getattr(x, "data", x))


def linear(input, weight, bias=None):
    """y = x Wᵀ + b with scratch.nn.layers.Linear's forward and backward (∂L/∂W = gᵀx, ∂L/∂b = Σ g, ∂L/∂x = gW)."""
    out_features, in_features = weight.data.shape
    if input.data.shape[-1:] != (in_features,):
        rows = "x".join(map(str, input.data.reshape(-1, input.data.shape[-1] if input.ndim else 1).shape))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows} and {in_features}x{out_features})")
    if input.data.dtype != weight.data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {input.dtype} and {weight.dtype}")
    params = (("weight", weight),) if bias is None else (("weight", weight), ("bias", bias))
    layer = layers.Linear.holding(weight.data, None if bias is None else bias.data)  # its forward and backward
    return layer_node(layer, input, params, "linear")


def relu(input, inplace=False):
    """scratch.autograd's relu node: ∂/∂x = [¬(x ≤ 0)], g passing at NaN as in torch."""
    return input.relu()


def sigmoid(input):
    return layer_node(layers.Sigmoid(), input._float(), (), "sigmoid")


def tanh(input):
    return input.tanh()


def softmax(input, dim=None, dtype=None):
    return _dim_required(input, dim, "softmax").softmax(dim)


def log_softmax(input, dim=None, dtype=None):
    return _dim_required(input, dim, "log_softmax").log_softmax(dim)


def _dim_required(input, dim, name):
    if dim is None:  # torch picks a dim and warns; scratch asks for it
        raise TypeError(f"{name}() needs dim, the class axis (dim=1 for logits of shape (N, C)).")
    return input


# --- losses: value from scratch.losses, gradient from its *_grad twin -------------------------
def mse_loss(input, target, reduction="mean"):
    args = (input.data, _array(target), reduction)
    return loss_node(input, losses.mse_loss(*args), lambda: losses.mse_loss_grad(*args), "mse_loss")


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    args = (input.data, _array(target), _array(weight), _array(pos_weight), reduction)
    return loss_node(input, losses.binary_cross_entropy_with_logits(*args),
                     lambda: losses.binary_cross_entropy_with_logits_grad(*args), "binary_cross_entropy_with_logits")


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """−[y·log p + (1 − y)·log(1 − p)] on probabilities p, each log clamped at −100 as PyTorch does.

    scratch.losses has no loss on probabilities (it works on logits, stably), so this one is
    composed of autograd's log, mul and sum, whose backward gives (p − y)/(p(1 − p)).
    """
    target = _tensor(target).to(input.dtype)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) is deprecated. "
            "Please ensure they have the same size."
        )
    if input.data.size and (input.data.min() < 0 or input.data.max() > 1):
        raise RuntimeError("all elements of input should be between 0 and 1")
    elementwise = -(target * input.log().clamp(min=-100) + (1 - target) * (1 - input).log().clamp(min=-100))
    if weight is not None:
        elementwise = elementwise * _tensor(weight)
    return {"mean": elementwise.mean, "sum": elementwise.sum, "none": lambda: elementwise}[reduction]()


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """L from logits Z; ∂L/∂Z = (softmax(Z) − Y)/N for the mean over class indices (scratch.losses)."""
    args = (input.data, _array(target), _array(weight), ignore_index, reduction, label_smoothing)
    value, grad = losses.cross_entropy_and_grad(*args)
    return loss_node(input, value, lambda: grad, "nll_loss", class_axis=1 if input.ndim > 1 else None)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    args = (input.data, _array(target), _array(weight), ignore_index, reduction)
    return loss_node(input, losses.nll_loss(*args), lambda: losses.nll_loss_grad(*args), "nll_loss",
                     class_axis=1 if input.ndim > 1 else None)
