"""Validators for every public entry point.

Each check names the argument, states what was expected and what was given, and, where
there is an obvious fix, says it (scikit-learn's ``check_array`` is the model).
Internal math trusts its inputs; only public functions call these.
"""

import math
import numbers

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)
FINITE_CHECK_ROWS = 8192  # rows per chunk when scanning a large (memory-mapped) array for NaN/inf


def _describe(x):
    """A short description of an array-like for error messages: shape and dtype."""
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__}"


def check_array(x, name, *, ndim=None, dtype="float", allow_empty=False, finite=True):
    """Return ``x`` as an ndarray after checking ndim, dtype kind, emptiness and finiteness.

    dtype: "float" keeps float32/float64 and converts integers, booleans and float16 to
    float64 (float16 to float32); "int" requires integral values and returns int64;
    "any" keeps a numeric dtype as it is. Object and string arrays are refused.
    ndim: an int or a tuple of allowed ints.
    """
    if isinstance(x, np.ma.MaskedArray):  # np.asarray would silently drop the mask
        raise TypeError(
            f"{name} is a masked array; scratch does not read masks. Fill the masked values "
            f"({name}.filled(value)) or drop those samples first."
        )
    try:
        arr = np.asarray(x)  # also turns an np.matrix into a plain array
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular numeric array; got {_describe(x)} ({exc})") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold numbers; got dtype {arr.dtype}. "
            f"Convert it first, e.g. np.asarray({name}, dtype=float)."
        )
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise ValueError(_ndim_message(name, arr, allowed))
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {arr.shape}.")
    if dtype == "float":
        arr = _as_float(arr)
    elif dtype == "int":
        arr = _as_int(arr, name)
    if finite:
        check_finite(arr, name)
    return arr


def check_finite(arr, name):
    """arr itself, after checking that a float array holds no NaN or ±inf; scanned in chunks of
    FINITE_CHECK_ROWS rows, so a memory-mapped data set is never copied whole."""
    if arr.dtype.kind != "f":
        return arr
    rows = np.atleast_1d(arr)  # a 0-d array is one row
    for start in range(0, len(rows), FINITE_CHECK_ROWS):
        chunk = rows[start : start + FINITE_CHECK_ROWS]
        if not np.isfinite(chunk).all():
            bad = "NaN" if np.isnan(chunk).any() else "inf"
            where = f" (in rows {start}…)" if len(rows) > FINITE_CHECK_ROWS else ""
            raise ValueError(f"{name} contains {bad}{where}; every value must be finite.")
    return arr


def _ndim_message(name, arr, allowed):
    want = " or ".join(f"{d}-D" for d in allowed)
    msg = f"{name} must be a {want} array; got a {arr.ndim}-D array of shape {arr.shape}."
    if arr.ndim == 1 and 2 in allowed:
        msg += (
            f" Reshape your data either using {name}.reshape(-1, 1) if it has a single "
            f"feature or {name}.reshape(1, -1) if it is a single sample."
        )
    if arr.ndim == 0 and 1 in allowed:
        msg += f" Wrap a single value in a list: [{name}]."
    return msg


def _as_float(arr):
    if arr.dtype in FLOAT_DTYPES:
        return arr
    if arr.dtype == np.float16:
        return arr.astype(np.float32)
    return arr.astype(np.float64)


INT64_LIMIT = 2**63  # |labels| at or beyond this do not fit in int64


def _as_int(arr, name):
    if arr.dtype.kind == "b":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f" and (not np.isfinite(arr).all() or not np.array_equal(arr, np.round(arr))):
        raise ValueError(f"{name} must hold integer class labels; got non-integer values such as {_first_bad(arr)}.")
    if arr.size and (arr.dtype.kind == "f" or arr.dtype == np.uint64):  # the only ones that can pass int64's range
        lo, hi = arr.min(), arr.max()
        if hi >= INT64_LIMIT or lo < -INT64_LIMIT:  # the user's value, not a wrapped one
            big = hi if hi >= INT64_LIMIT else lo
            raise ValueError(f"{name} holds label {big}, far outside any class range (labels are integers 0…K−1).")
    return arr.astype(np.int64, copy=False)


def _first_bad(arr):
    flat = arr.ravel()
    bad = flat[~np.isfinite(flat) | (flat != np.round(flat))]
    return bad[0] if bad.size else flat[0]


def check_labels(y, name, n_classes, *, ignore_index=None):
    """Integer class labels in [0, n_classes), as int64 (``ignore_index`` also allowed)."""
    y = check_array(y, name, ndim=1, dtype="int")
    if y.min() >= 0 and y.max() < n_classes:  # the common case, without a mask
        return y
    valid = (y >= 0) & (y < n_classes)
    if ignore_index is not None:
        valid |= y == ignore_index
    if not valid.all():
        bad = y[~valid][0]
        raise ValueError(f"{name} holds label {bad}, outside the {n_classes} classes 0..{n_classes - 1}.")
    return y


def check_probabilities(p, name):
    """Values in the closed interval [0, 1] (targets of a binary cross-entropy)."""
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(f"{name} must lie in [0, 1]; got values from {p.min()} to {p.max()}.")
    return p


def check_sample_weight(sample_weight, n_samples, *, batch=False):
    """w: (N,) finite, ≥ 0 and not all zero, as float64: one weight per sample.

    batch: the weights of one minibatch, which may all be zero (a training set's may not).
    """
    w = check_array(sample_weight, "sample_weight", ndim=1).astype(np.float64)
    if len(w) != n_samples:
        raise ValueError(f"sample_weight must hold one weight per sample, shape ({n_samples},); got shape {w.shape}.")
    if w.min() < 0 or (w.max() == 0 and not batch):
        raise ValueError(
            f"sample_weight must be ≥ 0 and not all zero; got values from {w.min():g} to {w.max():g}. "
            "A weight of zero leaves a sample out."
        )
    return w


def check_same_length(a, b, name_a, name_b):
    if len(a) != len(b):
        raise ValueError(f"{name_a} and {name_b} must have the same number of samples; got {len(a)} and {len(b)}.")


def check_same_shape(a, b, name_a, name_b):
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}. "
            "scratch does not broadcast a loss's input against its target."
        )


def check_features(X, n_features, name="X"):
    if X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features, but the model expects {n_features}.")


def check_choice(value, name, choices):
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}; got {value!r}.")
    return value


def check_number(value, name, *, low=None, high=None, low_open=False, integer=False):
    """A real (or integer) scalar within [low, high] (open at ``low`` when low_open)."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "an integer" if integer else "a real number"
        raise TypeError(f"{name} must be {what}; got {value!r} of type {type(value).__name__}.")
    if not integer and not (math.isfinite(value) if type(value) is float else np.isfinite(value)):  # math.isfinite: no array made
        raise ValueError(f"{name} must be finite; got {value}.")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and value > high
    if too_low or too_high:
        what = "an integer" if integer else "a number"
        raise ValueError(f"{name} must be {what} {_bounds(low, high, low_open)}; got {value}.")
    return value


def _bounds(low, high, low_open):
    """'≥ 1', '> 0', '≤ 1' or 'in [0, 1]': the range in words, without a missing bound."""
    if high is None:
        return f"{'>' if low_open else '≥'} {low}"
    if low is None:
        return f"≤ {high}"
    return f"in {'(' if low_open else '['}{low}, {high}]"


def cast_within_range(x, dtype, name, owner="model"):
    """x (finite) cast to the float ``dtype``; refused, naming its range, where the cast would overflow
    (1e39 is finite in float64, inf in float32). owner: whose dtype it is, "model" or "layer"."""
    if x.dtype == dtype:
        return x
    with np.errstate(over="ignore"):  # an overflow is reported below, naming the range
        converted = x.astype(dtype)
    if not np.isfinite(converted).all():
        raise ValueError(
            f"{name} holds values up to {np.abs(x).max():g} in magnitude, beyond the range of the {owner}'s "
            f"{np.dtype(dtype)} (largest {np.finfo(dtype).max:g}). Scale the values or use a float64 {owner}."
        )
    return converted


def check_dtype(dtype, name="dtype"):
    """float32 or float64, as a numpy dtype."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be float32 or float64; got {dtype!r}.") from None
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64; got {dt}.")
    return dt


def check_seed(seed, name="seed"):
    """A numpy Generator from an int seed, a Generator, or None (fresh entropy)."""
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"{name} must be a non-negative int, a numpy Generator or None; got {seed!r}.")
    return np.random.default_rng(seed)
