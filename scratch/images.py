"""Image arrays (section 9): layouts, flattening, scaling, reading files, drawing a grid.

A grayscale image is (H, W); a colour image is (C, H, W) in PyTorch's layout or (H, W, C)
in matplotlib's and PIL's. Pixels of 8-bit images are integers 0 ≤ p ≤ 255.
"""

import math

import numpy as np
from matplotlib.figure import Figure

from scratch._validation import check_array, check_dtype, check_labels, check_number

MISTAKE_COLOR = "tab:red"
CORRECT_COLOR = "black"


def chw_to_hwc(image):
    """(C, H, W) → (H, W, C), or a batch (N, C, H, W) → (N, H, W, C); a view, dtype kept."""
    image = check_array(image, "image", ndim=(3, 4), dtype="any")
    return np.moveaxis(image, -3, -1)


def hwc_to_chw(image):
    """(H, W, C) → (C, H, W), or a batch (N, H, W, C) → (N, C, H, W); a view, dtype kept."""
    image = check_array(image, "image", ndim=(3, 4), dtype="any")
    return np.moveaxis(image, -1, -3)


def gray_to_chw(image):
    """Grayscale (H, W) → (1, H, W), one channel first as PyTorch stores it; a view."""
    image = check_array(image, "image", ndim=2, dtype="any")
    return image[np.newaxis]


def flatten_images(images):
    """(N, H, W) or (N, C, H, W) → (N, H·W[·C]) row-major, e.g. (N, 28, 28) → (N, 784); dtype kept."""
    images = check_array(images, "images", ndim=(3, 4), dtype="any")
    return images.reshape(len(images), -1)


def scale_to_unit(images, *, dtype=np.float32):
    """Pixels 0…255 → [0, 1]: x / 255, in ``dtype`` (float32 by default, as torchvision's ToTensor)."""
    images = check_array(images, "images", dtype="any", allow_empty=True)
    dtype = check_dtype(dtype)
    if images.size and (images.min() < 0 or images.max() > 255):
        raise ValueError(
            f"images must hold pixel values in [0, 255]; got values from {images.min()} to {images.max()}. "
            "Already scaled images need no scale_to_unit."
        )
    return images.astype(dtype) / dtype.type(255)


def standardize(images, mean=None, std=None, *, dtype=np.float32):
    """(x − mean) / std in ``dtype``; mean and std default to the statistics of all of ``images``.

    Use the training set's mean and std for the test set, e.g. MNIST in [0, 1]: 0.1307, 0.3081.
    Any shape; mean and std may be scalars or arrays that broadcast against ``images``.
    """
    images = check_array(images, "images", dtype="float").astype(check_dtype(dtype), copy=False)
    mean = images.mean() if mean is None else check_array(mean, "mean", dtype="float")
    std = images.std() if std is None else check_array(std, "std", dtype="float")
    if np.any(std <= 0):
        raise ValueError(f"std must be positive; got {std}. A constant image cannot be standardised.")
    return ((images - mean) / std).astype(images.dtype, copy=False)


def load_image(path, *, grayscale=False):
    """Read an image file (PNG, JPEG, …) with PIL as a uint8 array.

    grayscale: convert to one channel, giving (H, W); otherwise (H, W) for grayscale files,
    (H, W, 3) for RGB and (H, W, 4) for RGBA (other modes become RGB).
    """
    from PIL import Image, UnidentifiedImageError  # pillow ships with matplotlib

    try:
        with Image.open(path) as img:
            if grayscale:
                img = img.convert("L")
            elif img.mode not in ("L", "RGB", "RGBA"):
                img = img.convert("RGB")
            return np.asarray(img, dtype=np.uint8).copy()
    except UnidentifiedImageError:
        raise ValueError(f"{path} is not an image file PIL can read.") from None


def show_grid(images, labels=None, predictions=None, class_names=None, *, n_cols=8, cmap="gray", title=None):
    """A matplotlib Figure of ``images`` in a grid, each titled with its label.

    images: (N, H, W) grayscale, (N, H, W, C) with C in {1, 3, 4}, or (N, D) with D a square
    (flattened grayscale, e.g. 784 → 28 × 28). labels, predictions: (N,) class indices into
    class_names (anything printable when class_names is None). With both, a correct image is
    titled with its class, a mistake in red with "prediction (true: label)".
    Uses no pyplot, so it works with any backend; save with ``fig.savefig(path)``.
    """
    images = _as_displayable(images)
    n = len(images)
    labels = _check_annotations(labels, "labels", n, class_names)
    predictions = _check_annotations(predictions, "predictions", n, class_names)
    check_number(n_cols, "n_cols", low=1, integer=True)
    n_cols = min(n_cols, n)
    n_rows = math.ceil(n / n_cols)
    fig = Figure(figsize=(1.4 * n_cols, 1.6 * n_rows), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    vmin, vmax = (0, 255) if images.dtype == np.uint8 else (images.min(), images.max())
    for i, ax in enumerate(axes):
        ax.set_axis_off()
        if i >= n:
            continue
        ax.imshow(images[i], cmap=cmap, vmin=vmin, vmax=vmax)
        if labels is not None or predictions is not None:
            text, mistake = _caption(labels, predictions, class_names, i)
            ax.set_title(text, fontsize=8, color=MISTAKE_COLOR if mistake else CORRECT_COLOR)
    if title:
        fig.suptitle(title)
    return fig


def _as_displayable(images):
    """(N, H, W), or (N, H, W, C) with C ∈ {3, 4}: what imshow draws."""
    images = check_array(images, "images", ndim=(2, 3, 4), dtype="any")
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError(
                f"images of shape {images.shape} are flat but {images.shape[1]} is not a square; "
                "reshape them to (N, H, W) first."
            )
        images = images.reshape(len(images), side, side)
    if images.ndim == 4:
        if images.shape[-1] == 1:
            images = images[..., 0]
        elif images.shape[-1] not in (3, 4):
            raise ValueError(
                f"colour images must be (N, H, W, C) with C in 1, 3, 4; got shape {images.shape}. "
                "For PyTorch's (N, C, H, W) use chw_to_hwc(images) first."
            )
    return images


def _check_annotations(values, name, n, class_names):
    """One label per image; indices into class_names when it is given."""
    if values is None:
        return None
    values = np.asarray(values)
    if values.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), one per image; got shape {values.shape}.")
    if class_names is not None:
        values = check_labels(values, name, len(class_names))
    return values


def _caption(labels, predictions, class_names, i):
    """(title text, whether the prediction is wrong) for image i."""

    def name(value):
        return class_names[int(value)] if class_names is not None else str(value)

    if predictions is None:
        return name(labels[i]), False
    if labels is None:
        return name(predictions[i]), False
    mistake = predictions[i] != labels[i]
    text = f"{name(predictions[i])} (true: {name(labels[i])})" if mistake else name(predictions[i])
    return text, bool(mistake)
