"""New samples for ``scratch predict RUN --input FILE``, read as the run's training data was.

Image runs read raw 8-bit intensities 0–255, a white digit (or garment) on black, from
  an image file (PNG, JPEG, …; converted to grayscale, it must be 28 × 28),
  a .npy array (uint8, any integer type, or floats holding whole numbers 0–255),
  a .csv file of such numbers (one sample of 784 values per row, or one 28 × 28 image).
Every form becomes the same uint8 array, so one image gets one prediction whatever its
file; values that are not whole numbers in 0…255 (such as pixels already divided by 255)
are refused, never guessed. Tabular runs read raw feature rows (.npy or .csv, the units
of the data set); the saved model standardises them as it did in training.
"""

import warnings
from pathlib import Path

import numpy as np

from scratch.images import load_image
from scratch.preprocessing import PIXEL_MAX


def read_samples(path, task):
    """Raw samples (N, …) from ``path``: uint8 pixels for an image task, feature rows for a tabular one."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        X = _load_npy(path)
    elif suffix == ".csv":
        X = _load_csv(path)
    elif task.image_shape is not None:
        X = load_image(path, grayscale=True)
        if X.shape != task.image_shape:
            raise ValueError(
                f"{path} is a {X.shape[1]} × {X.shape[0]} image; the run expects {_size(task)} grayscale images, "
                f"a white digit on black as in its data. Convert it first, e.g. with PIL: "
                f"Image.open(path).convert('L').resize({task.image_shape[::-1]}) (ImageOps.invert for dark on light)."
            )
    else:
        raise ValueError(f"--input must be a .npy or .csv file of feature rows for data {task.data!r}; "
                         f"got {path.name}.")
    if X.size == 0:
        raise ValueError(f"{path} holds no samples.")
    if task.image_shape is not None:
        X = _as_pixels(X, path)
    if X.shape in (task.image_shape, (task.n_features,)):  # a single sample
        X = X[None]
    if X.ndim < 2 or int(np.prod(X.shape[1:])) != task.n_features:
        expected = f"{_size(task)} images or rows of " if task.image_shape else "rows of "
        expected += str(task.n_features)
        raise ValueError(f"{path} holds samples of shape {X.shape[1:]}; the run expects {expected} values.")
    return X


def _size(task):
    return " × ".join(map(str, task.image_shape))


def _load_npy(path):
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, EOFError) as exc:
        raise ValueError(f"{path} is not a .npy array numpy can read ({exc}).") from None


def _load_csv(path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # an empty file: reported below as holding no samples
            return np.loadtxt(path, delimiter=",", ndmin=2)
    except ValueError as exc:
        raise ValueError(f"{path} is not a CSV file of numbers ({exc}).") from None


def _as_pixels(X, path):
    """X as uint8 intensities: whole numbers in 0…255 of any numeric dtype; anything else refused."""
    if X.dtype == np.uint8:
        return X
    if X.dtype.kind not in "iuf":
        raise ValueError(f"{path} holds {X.dtype} values; an image run reads pixel intensities, whole numbers 0-255.")
    whole = np.isfinite(X).all() and np.array_equal(X, np.round(X))
    if not whole or X.min() < 0 or X.max() > PIXEL_MAX:
        raise ValueError(
            f"{path} holds values from {X.min():g} to {X.max():g}{'' if whole else ', not all whole numbers'}; "
            f"an image run reads raw 8-bit intensities, whole numbers 0-{PIXEL_MAX}. For pixels scaled to [0, 1], "
            f"save np.round(x * {PIXEL_MAX}).astype(np.uint8) instead."
        )
    return X.astype(np.uint8)
