"""Image arrays (section 9): layouts, flattening, standardising, reading files.

A grayscale image is (H, W); a colour image is (C, H, W) in PyTorch's layout or (H, W, C)
in matplotlib's and PIL's. Pixels of 8-bit images are integers 0 ≤ p ≤ 255; scaling them
to [0, 1] is the pixel rule, ``scratch.preprocessing.scale_pixels``. Drawing a grid of
images is ``scratch.plots.show_grid``.
"""

import warnings

import numpy as np

from scratch._validation import check_array, check_dtype


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
    (H, W, 3) for RGB and (H, W, 4) for RGBA (other 8-bit modes become RGB). A file that is not an
    image, truncated or damaged, larger than PIL's decompression-bomb limit, or of 16- or 32-bit
    intensities (mode I;16, I, F: clipped to 0-255 by a conversion) is refused.
    """
    from PIL import Image, UnidentifiedImageError  # pillow ships with matplotlib

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(path)
        except UnidentifiedImageError:
            raise ValueError(f"{path} is not an image file PIL can read.") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ValueError(f"{path} is refused as a possible decompression bomb: {exc}") from None
    with img:
        if img.mode == "F" or img.mode.startswith("I"):  # 16- or 32-bit: converting to 8 bits would clip
            raise ValueError(
                f"{path} is a {'16' if '16' in img.mode else '32'}-bit image (PIL mode {img.mode}); scratch reads "
                f"8-bit images, intensities 0-255, and will not clip it. Save it with 8 bits first, e.g. for 16 bits "
                f"Image.fromarray((np.asarray(Image.open(path)) / 257).round().astype(np.uint8)).save(new_path)."
            )
        try:
            if grayscale:
                img = img.convert("L")
            elif img.mode not in ("L", "RGB", "RGBA"):
                img = img.convert("RGB")
            return np.asarray(img, dtype=np.uint8).copy()
        except OSError as exc:  # PIL reports a truncated or corrupt image stream as OSError
            raise ValueError(f"{path} is truncated or damaged: {exc}.") from None
