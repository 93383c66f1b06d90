"""New samples for ``scratch predict RUN --input FILE``: the file read as an array, as it is.

Each file keeps what it says, and the saved model then reads the array as it would from
Python (``model.predict``: its transform; for image runs the pixel rule of README.md,
"Pixels in, the same answer on every path"), so one sample gets one answer on every path:
  an image file (PNG, JPEG, …)  → uint8 intensities, grayscale (16-bit images are refused);
  a .npy array                  → its own dtype (uint8 pixels, floats in [0, 1], raw features, …);
  a .csv file                   → int64 when every field is an integer literal, float64 otherwise.
Here only the file is checked (readable, not empty, samples of the run's shape); one image
or one row becomes a batch of one.
"""

import re
import warnings
from pathlib import Path

import numpy as np

from scratch._files import read_npy_header
from scratch.images import load_image

_INTEGER = re.compile(r"[+-]?\d+")  # a CSV field that is an integer literal: "0", "255", "-3"


def read_samples(path, task):
    """Samples (N, …) from ``path`` in the file's own dtype; one image or row becomes a batch of one."""
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
    """The array of a .npy file; its header is checked against the file's size before any allocation."""
    with open(path, "rb") as f:
        if f.read(4) == b"PK\x03\x04":
            raise ValueError(f"{path} is a .npz archive (several arrays), not a .npy array; save one array with "
                             f"np.save, or take one out of the archive: np.load(path)['name'].")
        f.seek(0)
        try:
            shape, dtype, claimed = read_npy_header(f)
        except (ValueError, EOFError) as exc:
            raise ValueError(f"{path} is not a .npy array numpy can read ({exc}).") from None
        if dtype.hasobject:
            raise ValueError(f"{path} holds Python objects (dtype {dtype}); save an array of numbers.")
        held = path.stat().st_size - f.tell()
        if claimed > held:
            raise ValueError(f"{path} is truncated or damaged: its header claims an array of shape {shape} "
                             f"({dtype}, {claimed:,} bytes) but the file holds {held:,} bytes of data.")
        f.seek(0)
        return np.lib.format.read_array(f, allow_pickle=False)


def _load_csv(path):
    """int64 if every field is an integer literal (intensities 0, 255, …), float64 otherwise."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # an empty file: reported by the caller as holding no samples
            fields = np.char.strip(np.loadtxt(path, delimiter=",", ndmin=2, dtype=str))
        integers = all(_INTEGER.fullmatch(field) for field in fields.flat)
        return fields.astype(np.int64 if integers else np.float64)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{path} is not a CSV file of numbers ({exc}).") from None
