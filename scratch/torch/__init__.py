"""scratch.torch: PyTorch's interface over scratch's NumPy code, for the lecture's programs.

``import scratch.torch as torch`` (or ``python -m scratch.torch script.py``, which makes a
plain ``import torch`` find this package) runs the lecture's PyTorch code on scratch: tensors
are scratch.autograd's, every backward is scratch's hand-derived closed form (the losses'
``*_grad`` of scratch.losses, the layers' ``_backward`` of scratch.nn.layers), and the
optimizer step is scratch.optim.SGD's. Stepping into ``loss.backward()`` leads to them.

Differences from PyTorch: README.md, "Differences from PyTorch".
"""

import builtins as _builtins

from scratch.autograd._graph import grad_enabled as is_grad_enabled
from scratch.autograd._graph import no_grad
from scratch.autograd.selection import maximum, minimum, where
from scratch.torch import _dtype
from scratch.torch._creation import (
    arange, as_tensor, cat, concat, empty, eye, from_numpy, full, full_like, linspace, ones, ones_like, rand,
    randint, randn, randperm, stack, tensor, zeros, zeros_like,
)
from scratch.torch._device import cuda, device
from scratch.torch._dtype import Size
from scratch.torch._random import Generator, default_generator, initial_seed, manual_seed
from scratch.torch._serialization import load, save
from scratch.torch._tensor import Tensor

float32, float64, float16, int64, int32, int16, int8, uint8 = (
    _dtype.float32, _dtype.float64, _dtype.float16, _dtype.int64, _dtype.int32, _dtype.int16, _dtype.int8,
    _dtype.uint8,
)
float, double, half, long, int, short = float32, float64, float16, int64, int32, int16  # noqa: A001
bool = _dtype.bool_  # noqa: A001
dtype = _dtype.dtype
__version__ = "2.0.0+scratch"


class enable_grad:
    """Record the graph again inside a ``no_grad`` block."""

    def __enter__(self):
        from scratch.autograd._graph import _GRAD_MODE

        self._previous, _GRAD_MODE["enabled"] = _GRAD_MODE["enabled"], True

    def __exit__(self, *exc):
        from scratch.autograd._graph import _GRAD_MODE

        _GRAD_MODE["enabled"] = self._previous


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(t):
    return t.numel()


def _method(name):
    """torch.exp(t, …) is t.exp(…)."""
    def function(input, *args, **kwargs):
        return getattr(input if isinstance(input, Tensor) else tensor(input), name)(*args, **kwargs)
    function.__name__ = name
    return function


for _name in ("exp", "log", "sigmoid", "tanh", "relu", "softmax", "log_softmax", "sum", "mean", "max", "min",
              "amax", "amin", "argmax", "argmin", "matmul", "mm", "flatten", "reshape", "squeeze", "unsqueeze", "transpose",
              "t", "permute", "sqrt", "abs", "clamp", "clip", "pow", "equal", "square", "logsumexp", "add", "sub",
              "mul", "div", "eq", "ne", "lt", "le", "gt", "ge", "clone", "detach", "softplus", "neg"):
    globals()[_name] = _method(_name)


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    import numpy as np

    return _builtins.bool(np.allclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=equal_nan))


from scratch.torch import nn, optim, utils  # noqa: E402  (they import the names above)
