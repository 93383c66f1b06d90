"""Numerically stable elementwise and row-wise functions.

Every function keeps the floating dtype of its input (float32 stays float32) and returns
finite results wherever the true value is representable, for logits up to the largest finite
float (±3e38 in float32, ±1.8e308 in float64). Like PyTorch, they never warn: an overflow gives
±inf, a NaN in gives NaN out. Integer input is computed in float64. The last axis is the class
axis by default; an empty axis is allowed (logsumexp of nothing is −inf). ``unbroadcast``, the
adjoint of broadcasting, sums a gradient back to the shape of an input that was broadcast.
"""

import numpy as np


def silent():
    """A context in which overflow (±inf), x/0, 0/0 and ∞ − ∞ (nan) pass without a warning, as in PyTorch."""
    return np.errstate(over="ignore", divide="ignore", invalid="ignore")


def _float(x):
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


SHORT_ROWS = 48  # class axes shorter than this are reduced column-major (measured crossover: 32–64)


def _rows_reducible(x, axis):
    """``x``, or for a row-major matrix reduced along short rows, a column-major copy of it.

    NumPy reduces a short contiguous last axis one row at a time (about 30 µs for the
    256 × 10 logits of a minibatch) but a column-major one across all rows at once (3 µs);
    from about 64 classes on, the copy costs more than it saves.
    """
    if (x.ndim == 2 and axis in (-1, 1) and x.shape[1] < SHORT_ROWS and x.flags.c_contiguous
            and not x.flags.f_contiguous):
        return np.asfortranarray(x)
    return x


def sigmoid(x):
    """σ(x) = 1 / (1 + e^(−x)).

    Computed from e = e^(−|x|) ≤ 1, which never overflows:
    σ(x) = 1 / (1 + e) for x ≥ 0 and e / (1 + e) for x < 0.
    """
    x = _float(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, e) / (1 + e)


def log_sigmoid(x):
    """log σ(x) = −log(1 + e^(−x)) = −softplus(−x), via logaddexp."""
    x = _float(x)
    with silent():  # NaN in, NaN out
        return -np.logaddexp(np.zeros((), x.dtype), -x)


def softplus(x):
    """softplus(x) = log(1 + e^x) = −log σ(−x), via logaddexp."""
    x = _float(x)
    with silent():
        return np.logaddexp(np.zeros((), x.dtype), x)


def logsumexp(x, axis=-1, keepdims=False):
    """log Σᵢ e^(xᵢ) along ``axis``, as m + log Σ e^(xᵢ − m) with m = max xᵢ.

    Shifting by the row maximum keeps every exponent ≤ 0, so e^(xᵢ − m) never overflows.
    """
    x = _rows_reducible(_float(x), axis)
    with silent():
        m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
        m = np.where(np.isfinite(m), m, 0)
        out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def _minus_max(x, axis):
    """x − m, m = max x along ``axis``: entries ≤ 0, whose exponentials cannot overflow (call within silent())."""
    return x - np.maximum.reduce(x, axis=axis, keepdims=True, initial=-np.inf)


def log_softmax(x, axis=-1):
    """log softmax(x)ᵢ = (xᵢ − m) − log Σⱼ e^(xⱼ − m), m = max x along ``axis`` (−inf where xᵢ − m overflows)."""
    x = _rows_reducible(_float(x), axis)
    with silent():
        shifted = _minus_max(x, axis)
        shifted -= np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True))
        return shifted


def softmax(x, axis=-1):
    """softmax(x)ᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m), m = max x along ``axis`` (shift-invariant)."""
    x = _rows_reducible(_float(x), axis)
    with silent():
        e = np.exp(_minus_max(x, axis))
        e /= np.add.reduce(e, axis=axis, keepdims=True)
        return e


def unbroadcast(grad, shape):
    """Sum ``grad`` back to ``shape``: the adjoint of NumPy broadcasting.

    Broadcasting prepends axes and stretches axes of length 1; the gradient sums over both.
    """
    leading = grad.ndim - len(shape)
    if leading:
        grad = grad.sum(axis=tuple(range(leading)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad
