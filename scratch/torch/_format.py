"""Printing tensors as torch prints them: ``tensor([0.5000, 1.0000], requires_grad=True)``.

torch's rules, as far as the lecture's prints need them: floats with four decimals, or ``1.``
when every value is whole, or scientific notation when the magnitudes span more than 10³
(or exceed 10⁸, or fall below 10⁻⁴); the dtype named unless it is float32, int64 or bool;
``grad_fn=<…Backward0>`` for a result in the graph, ``requires_grad=True`` for a leaf.
"""

import numpy as np

_NAMES = {"add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow", "matmul": "Mm", "neg": "Neg",
          "exp": "Exp", "log": "Log", "tanh": "Tanh", "sigmoid": "Sigmoid", "relu": "Relu", "sum": "Sum",
          "reshape": "View", "transpose": "Permute", "getitem": "Index", "log_softmax": "LogSoftmax",
          "softmax": "Softmax", "linear": "Addmm", "cat": "Cat", "to": "ToCopy", "clone": "Clone",
          "logsumexp": "Logsumexp", "softplus": "Softplus"}


class GradFn:
    """A node of the graph as torch names it; ``name()`` → "MulBackward0"."""

    def __init__(self, op):
        self.op = op

    def name(self):
        return _NAMES.get(self.op, "".join(w.capitalize() for w in self.op.split("_"))) + "Backward0"

    def __repr__(self):
        return f"<{self.name()} object>"


def _float_formatter(values):
    finite = np.abs(values[np.isfinite(values)]).astype(np.float64)
    nonzero = finite[finite != 0]
    if finite.size and np.all(finite == np.round(finite)) and (not nonzero.size or nonzero.max() < 1e8):
        return lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)
    if nonzero.size and (nonzero.max() / nonzero.min() > 1000 or nonzero.max() > 1e8 or nonzero.min() < 1e-4):
        return lambda v: f"{v:.4e}" if np.isfinite(v) else str(v)
    return lambda v: f"{v:.4f}" if np.isfinite(v) else str(v)


def _body(data):
    if data.dtype.kind == "f":
        fmt = _float_formatter(data.ravel())
        width = max((len(fmt(v)) for v in data.ravel()), default=0)
        formatter = {"float_kind": lambda v: fmt(v).rjust(width)}
    elif data.dtype.kind == "b":
        width = 5 if data.any() and not data.all() else 4
        formatter = {"bool": lambda v: str(bool(v)).rjust(width)}
    else:
        formatter = None
    return np.array2string(data, separator=", ", formatter=formatter, prefix="tensor(", max_line_width=80,
                           threshold=1000, edgeitems=3)


def tensor_repr(t, prefix="tensor"):
    data = t.data
    body = "[]" if data.size == 0 else _body(data)
    extras = ""
    if t.data.dtype not in (np.float32, np.int64, np.bool_):
        extras += f", dtype={t.dtype}"
    if t.op is not None and t.requires_grad:
        extras += f", grad_fn=<{GradFn(t.op).name()}>"
    elif t.requires_grad:
        extras += ", requires_grad=True"
    if data.size == 0 and data.shape != (0,):
        extras = f", size={tuple(data.shape)}" + extras
    return f"{prefix}({body}{extras})"
