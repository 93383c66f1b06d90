"""PyTorch's type promotion, with NumPy's float64 as the default float dtype.

``torch.result_type`` ranks the operands in three tiers — tensors with dimensions, 0-d
tensors, Python numbers — and lets a lower tier change the result only when it brings a
higher category (bool < integer < floating point):

    int64 tensor + 2          → int64            int64 tensor + 2.5           → float64 (default float)
    float32 tensor + 2.5      → float32          float32 tensor + float64 0-d → float32
    int64 tensor / int64      → float64          int64 tensor + float32       → float32 (NumPy: float64)

The one difference from PyTorch: its default float dtype is float32, scratch's is float64
(``default``; scratch.torch's Tensor passes float32).
"""

import numpy as np

DEFAULT_FLOAT = np.dtype(np.float64)  # what integers become in a float operation (torch: float32)


def _promote(a, b):
    """Two dtypes of one tier: a float beats any integer whatever its size (torch's table), else NumPy's rule."""
    if (a.kind == "f") != (b.kind == "f"):
        return a if a.kind == "f" else b
    return np.promote_types(a, b)


def _combine(higher, lower):
    """A lower tier counts only when it brings a higher category (c10's combine_categories)."""
    if higher is None or lower is None:
        return higher if lower is None else lower
    if higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return _promote(higher, lower)
    return higher


def result_type(*tensors):
    """The dtype of an operation on ``tensors`` (scratch Tensors; lifted Python numbers are ``_wrapped``)."""
    tiers = {"dimensioned": None, "zero-dim": None, "number": None}
    for t in tensors:
        tier = "number" if t._wrapped is not None else "zero-dim" if t.ndim == 0 else "dimensioned"
        dtype = t.data.dtype if t._wrapped is None else t._wrapped
        tiers[tier] = dtype if tiers[tier] is None else _promote(tiers[tier], dtype)
    return _combine(tiers["dimensioned"], _combine(tiers["zero-dim"], tiers["number"]))


def wrapped_dtype(dtype, default=DEFAULT_FLOAT):
    """A number's dtype in an operation: bool, int64 or the default float, whatever its NumPy type."""
    return dtype if dtype.kind == "b" else np.dtype(np.int64) if dtype.kind in "iu" else np.dtype(default)


def floating(dtype, default=DEFAULT_FLOAT):
    """``dtype`` if it is a float dtype, else the default float: what exp, log, division return."""
    return dtype if dtype.kind == "f" else np.dtype(default)
