"""The one path from samples to model input: flatten, apply the model's transform, cast.

Samples arrive as a user has them: images (N, H, W) or (N, C, H, W), flat rows (N, D),
tabular columns. ``prepare(X, n_features, dtype, transform)`` turns them into the model
input x: (N, D) in the model's float dtype. Every model and network calls it first in
``forward``, ``loss``, ``loss_grad``, ``predict``, ``predict_proba`` and ``score``, and
``fit``/``fit_lbfgs`` hand it raw samples too, so one sample gets one answer on every path.

A model's ``transform`` (saved with it) is one of
    None           the samples are already model input;
    ScalePixels()  x = p / 255 for 8-bit pixel intensities p (torchvision's ``ToTensor``);
    Standardize    x = (v − mean) / scale, with a training split's mean and scale.

The pixel rule (``scale_pixels``, the one place it is written), the same on every path:
integer arrays (uint8, int64, …) hold raw 8-bit intensities 0…255 and are divided by 255;
float arrays hold pixels already scaled to [0, 1] and are used as they are. Anything else
(a negative or > 255 integer, a float outside [0, 1], NaN, a bool or complex array) is
refused with one message, never guessed. uint8 means pixels: ``fit`` on uint8 samples gives
a model without a transform ``ScalePixels()`` (``infer_transform``), and a model without one
refuses uint8 samples everywhere else.
"""

import numpy as np

from scratch._validation import cast_within_range, check_array, check_dtype

PIXEL_MAX = 255  # the largest 8-bit intensity


def prepare(X, n_features, dtype, transform=None, name="X"):
    """Samples (N, …) → model input (N, n_features) in ``dtype``, through ``transform``.

    A float ndarray of the right shape and dtype passes in O(1) when there is no transform
    (the training hot path): it is not scanned for NaN/inf; the models scan it when their
    output is not finite. Anything else is checked, flattened row-major and converted.
    """
    if isinstance(transform, ScalePixels) and isinstance(X, np.ndarray):
        _check_pixel_dtype(X, name)  # a complex or object array gets the pixel rule's message, not a generic one
    X = _as_rows(X, n_features, name)
    if transform is not None:
        return transform(X, dtype, name)
    if X.dtype == np.uint8:
        raise ValueError(
            f"{name} is uint8, which scratch reads as 8-bit pixels, but this model has no transform. "
            f"Train it on the pixels with fit (it then divides by 255 itself), construct it with "
            f"transform=ScalePixels(), or pass {name} / 255 as floats."
        )
    return as_float(X, dtype, name)


def infer_transform(X):
    """The transform ``fit`` gives a model that has none: ScalePixels() for uint8 samples, else None."""
    return ScalePixels() if getattr(X, "dtype", None) == np.uint8 else None


def _as_rows(X, n_features, name):
    """A non-empty numeric array flattened to (N, D) with D == n_features."""
    if type(X) is np.ndarray and X.ndim == 2 and X.shape[1] == n_features and len(X) and X.dtype.kind in "biuf":
        return X
    X = check_array(X, name, dtype="any", finite=False)
    if X.ndim < 2:
        raise ValueError(
            f"{name} must hold a batch of samples, shape (N, {n_features}) or (N, …) with {n_features} values "
            f"per sample; got a {X.ndim}-D array of shape {X.shape}. Reshape your data either using "
            f"{name}.reshape(-1, 1) if it has a single feature or {name}.reshape(1, -1) if it is a single sample."
        )
    if int(np.prod(X.shape[1:])) != n_features:
        raise ValueError(
            f"{name} has samples of shape {X.shape[1:]} ({int(np.prod(X.shape[1:]))} values), "
            f"but the model expects {n_features} features per sample."
        )
    return X.reshape(len(X), -1)


def as_float(X, dtype, name="X"):
    """X cast to the float ``dtype``: O(1) when it already is; otherwise checked finite, then cast
    (a value beyond ``dtype``'s range is refused, naming it)."""
    dtype = np.dtype(dtype)
    if X.dtype == dtype:
        return X
    return cast_within_range(check_array(X, name), dtype, name)


def scale_pixels(X, dtype=np.float32, name="X"):
    """The pixel rule: x = p / 255 for integer intensities p ∈ {0, …, 255}; floats in [0, 1] as they are.

    X: any shape, integer or float dtype; returns x ∈ [0, 1] of the same shape in the float
    ``dtype`` (float32 by default, as torchvision's ``ToTensor``). Anything that is not pixels
    by this rule is refused with ``_not_pixels``' message: what was given and how to fix it.
    """
    dtype = check_dtype(dtype)
    if not (type(X) is np.ndarray and X.dtype == np.uint8):  # every uint8 is an intensity: nothing to check
        X = _check_pixels(X, name)
    if X.dtype.kind in "iu":
        return np.divide(X, dtype.type(PIXEL_MAX), dtype=dtype)
    return X.astype(dtype, copy=False)


def _check_pixels(X, name):
    """X as an array, if it holds pixels by the rule of ``scale_pixels``; else that rule's refusal."""
    if isinstance(X, np.ndarray):
        _check_pixel_dtype(X, name)
    X = check_array(X, name, dtype="any", finite=False, allow_empty=True)  # lists become arrays
    _check_pixel_dtype(X, name)
    if X.dtype == np.uint8 or X.size == 0:
        return X
    if X.dtype.kind in "iu":
        lo, hi = X.min(), X.max()
        if lo < 0 or hi > PIXEL_MAX:
            raise _not_pixels(name, f"holds {X.dtype} values from {lo} to {hi}, outside 0…{PIXEL_MAX}")
        return X
    if not np.isfinite(X).all():
        bad = "NaN" if np.isnan(X).any() else "inf"
        raise _not_pixels(name, f"holds {bad} among its {X.dtype} values")
    lo, hi = X.min(), X.max()
    if lo < 0 or hi > 1:
        raise _not_pixels(name, f"holds {X.dtype} values from {lo:g} to {hi:g}, outside [0, 1]")
    return X


def _not_pixels(name, given, error=ValueError):
    """The pixel rule's one refusal: ``name`` ``given`` (what it holds), the rule, and how to fix it."""
    return error(
        f"{name} {given}. scratch reads pixels by one rule: integer arrays (uint8, int64, …) are raw 8-bit "
        f"intensities 0…{PIXEL_MAX} and are divided by {PIXEL_MAX}; float arrays are pixels already scaled to "
        f"[0, 1] and are used as they are. Pass raw intensities as integers (e.g. {name}.astype(np.uint8) "
        f"for whole numbers 0…{PIXEL_MAX}) or scaled pixels as floats (e.g. {name} / {PIXEL_MAX})."
    )


def _check_pixel_dtype(X, name):
    if X.dtype.kind not in "iuf":
        raise _not_pixels(name, f"has dtype {X.dtype}, neither integers nor floats", TypeError)


class ScalePixels:
    """x = p / 255: 8-bit intensities p ∈ {0, …, 255} → [0, 1], as torchvision's ``ToTensor``.

    Integer arrays are raw intensities; float arrays are pixels already in [0, 1]; the rule
    and its refusals are ``scale_pixels``.
    """

    def __call__(self, X, dtype, name="X"):
        return scale_pixels(X, dtype, name)

    def config(self):
        return {}

    def __repr__(self):
        return "ScalePixels()"

    def __eq__(self, other):
        return type(other) is ScalePixels


class Standardize:
    """x = (v − mean) / scale, feature by feature, with statistics of the training split.

    mean, scale: (D,) float64; a feature of zero spread keeps scale 1.
    """

    def __init__(self, mean, scale):
        self.mean = check_array(mean, "mean", ndim=1).astype(np.float64)
        self.scale = check_array(scale, "scale", ndim=1).astype(np.float64)
        if self.mean.shape != self.scale.shape:
            raise ValueError(f"mean and scale must have the same shape; got {self.mean.shape} and {self.scale.shape}.")
        if (self.scale <= 0).any():
            raise ValueError(f"scale must be positive; got a minimum of {self.scale.min()}.")

    @classmethod
    def from_data(cls, X):
        """The mean and standard deviation of each column of the training samples X: (N, D)."""
        X = check_array(X, "X", ndim=2).astype(np.float64)
        std = X.std(axis=0)
        return cls(X.mean(axis=0), np.where(std > 0, std, 1.0))

    def __call__(self, X, dtype, name="X"):
        X = check_array(X, name)
        if X.shape[1] != len(self.mean):
            raise ValueError(f"{name} has {X.shape[1]} features; the standardisation was fitted on {len(self.mean)}.")
        return as_float((X - self.mean) / self.scale, dtype, name)

    def config(self):
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist()}  # JSON floats round-trip exactly

    def __repr__(self):
        return f"Standardize(mean={self.mean.round(4).tolist()}, scale={self.scale.round(4).tolist()})"

    def __eq__(self, other):
        return type(other) is Standardize and np.array_equal(self.mean, other.mean) and np.array_equal(self.scale, other.scale)


TRANSFORMS = {cls.__name__: cls for cls in (ScalePixels, Standardize)}


def describe_transform(transform):
    """A JSON-able description, {"type": "ScalePixels"} or {"type": "Standardize", "mean": …}; None stays None."""
    if transform is None:
        return None
    return {"type": type(transform).__name__, **transform.config()}


def transform_from_description(description):
    """The transform ``describe_transform`` described (ValueError for anything else)."""
    if description is None:
        return None
    if not isinstance(description, dict) or description.get("type") not in TRANSFORMS:
        raise ValueError(f"transform must be None or one of {', '.join(TRANSFORMS)}; got {description!r}.")
    settings = {key: value for key, value in description.items() if key != "type"}
    return TRANSFORMS[description["type"]](**settings)


def check_transform(transform):
    """None or a transform object (callable with ``config``)."""
    if transform is not None and not (callable(transform) and hasattr(transform, "config")):
        raise TypeError(
            f"transform must be None, ScalePixels() or Standardize(mean, scale); got {transform!r}."
        )
    return transform
