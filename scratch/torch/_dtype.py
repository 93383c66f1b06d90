"""torch's dtype objects (torch.float32, torch.int64, …) over NumPy dtypes, and torch.Size.

``to_numpy`` turns any dtype a user passes (a torch dtype, a NumPy dtype, ``float``) into a
NumPy dtype; ``of`` turns a NumPy dtype back into the torch object that prints as torch does.
"""

import numpy as np


class dtype:
    """A torch dtype: prints as ``torch.float32``, compares by identity, knows its NumPy dtype."""

    def __init__(self, name, numpy_dtype):
        self.name, self.numpy = name, np.dtype(numpy_dtype)
        self.is_floating_point = self.numpy.kind == "f"
        self.itemsize = self.numpy.itemsize

    def __repr__(self):
        return f"torch.{self.name}"


float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
float16 = dtype("float16", np.float16)
int64 = dtype("int64", np.int64)
int32 = dtype("int32", np.int32)
int16 = dtype("int16", np.int16)
int8 = dtype("int8", np.int8)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)
_BY_NUMPY = {d.numpy: d for d in (float32, float64, float16, int64, int32, int16, int8, uint8, bool_)}
ALIASES = {"float": float32, "double": float64, "half": float16, "long": int64, "int": int32,
           "short": int16, "bool": bool_}


def to_numpy(d):
    """The NumPy dtype of ``d`` (a torch dtype, a NumPy dtype or a Python type); None stays None."""
    if d is None or isinstance(d, np.dtype):
        return d
    if isinstance(d, dtype):
        return d.numpy
    if d in (float, int, bool):
        return {float: np.dtype(np.float64), int: np.dtype(np.int64), bool: np.dtype(np.bool_)}[d]
    try:
        return np.dtype(d)
    except TypeError:
        raise TypeError(f"dtype must be a torch dtype such as torch.float32; got {d!r}.") from None


def of(numpy_dtype):
    """The torch dtype object of a NumPy dtype."""
    return _BY_NUMPY[np.dtype(numpy_dtype)]


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``torch.Size([2, 3])``."""

    def numel(self):
        return int(np.prod(self, dtype=np.int64))

    def __repr__(self):
        return f"torch.Size({list(self)})"

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item
