"""torch.nn's layers: Linear, the activations, Flatten and Identity; each forward is functional's.

Linear draws its initial parameters as PyTorch's reset_parameters does — U(−1/√in, 1/√in)
for weight and bias — from scratch.torch's stream (NumPy's generator, not torch's; see _random).
"""

import math

import numpy as np

from scratch.torch import _dtype
from scratch.torch._random import stream
from scratch.torch.nn import functional as F
from scratch.torch.nn.module import Module, Parameter


class Linear(Module):
    """y = x Wᵀ + b; weight (out_features, in_features), bias (out_features,) or None (bias=False)."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        dtype = _dtype.to_numpy(dtype) or np.dtype(np.float32)
        self.weight = Parameter(np.empty((out_features, in_features), dtype))
        self.bias = Parameter(np.empty(out_features, dtype)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """U(−1/√in, 1/√in): kaiming_uniform_(a=√5) for the weight reduces to it, and the bias uses it."""
        bound = 1 / math.sqrt(self.in_features) if self.in_features else 0
        rng = stream()
        self.weight.data[...] = rng.uniform(-bound, bound, self.weight.data.shape)
        if self.bias is not None:
            self.bias.data[...] = rng.uniform(-bound, bound, self.bias.data.shape)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    def forward(self, input):
        return F.tanh(input)


class Softmax(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    def forward(self, input):
        return F.log_softmax(input, self.dim)


class Flatten(Module):
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input
