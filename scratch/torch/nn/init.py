"""torch.nn.init: fill a parameter in place, without recording a graph (scratch.torch's stream)."""

import math

from scratch.autograd._graph import no_grad


def _fill(tensor, method, *args):
    with no_grad():
        return getattr(tensor, method)(*args)


def zeros_(tensor):
    return _fill(tensor, "zero_")


def ones_(tensor):
    return _fill(tensor, "fill_", 1)


def constant_(tensor, val):
    return _fill(tensor, "fill_", val)


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    return _fill(tensor, "uniform_", a, b, generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    return _fill(tensor, "normal_", mean, std, generator)


def xavier_uniform_(tensor, gain=1.0):
    fan_out, fan_in = tensor.shape[0], tensor.shape[1]
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)
