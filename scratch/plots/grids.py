"""Images in a grid, each under its caption: samples with their labels, and a softmax regression's weights."""

import math

import numpy as np

from scratch._validation import check_array, check_labels, check_number
from scratch.plots._figure import DPI, save_figure

TITLE_INCHES, CAPTION_INCHES, GAP_INCHES = 0.4, 0.34, 0.06  # a grid of images: title band, 2 caption lines, gap
MISTAKE_COLOR, CORRECT_COLOR = "tab:red", "black"  # show_grid's captions


def show_grid(images, labels=None, predictions=None, class_names=None, *, n_cols=8, cmap="gray", title=None,
              path=None):
    """``images`` in a grid, each captioned with its label.

    images: (N, H, W) grayscale, (N, H, W, C) with C in {1, 3, 4}, or (N, D) with D a square
    (flattened grayscale, e.g. 784 → 28 × 28). labels, predictions: (N,) class indices into
    class_names (anything printable when class_names is None). With both, a correct image is
    captioned with its class, a mistake in red with "prediction (true: label)".
    """
    images = _as_displayable(images)
    n = len(images)
    labels = _check_annotations(labels, "labels", n, class_names)
    predictions = _check_annotations(predictions, "predictions", n, class_names)
    n_cols = min(check_number(n_cols, "n_cols", low=1, integer=True), n)
    from matplotlib.figure import Figure  # imported when drawing (see new_figure)

    fig = Figure(figsize=(1.4 * n_cols, 1.6 * math.ceil(n / n_cols)), dpi=DPI)
    vmin, vmax = (0, 255) if images.dtype == np.uint8 else (images.min(), images.max())
    annotated = labels is not None or predictions is not None
    captions = [_caption(labels, predictions, class_names, i) for i in range(n)] if annotated else None
    _draw_grid(fig, images, captions, n_cols, title=bool(title), cmap=cmap, vmin=vmin, vmax=vmax)
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def plot_weight_templates(W, class_names=None, *, image_shape=(28, 28), path=None):
    """Each class's weight column W[:, k] drawn as an image, red for +, blue for −, white at 0.

    W: (D, K) weights of a softmax regression (or the model itself, whose params["W"] is used),
    with D = height × width of ``image_shape``. All panels share one colour scale, symmetric
    around 0, so their strengths compare. class_names: K titles (default "class 0", …).
    """
    if hasattr(W, "params"):
        W = W.params["W"]
    W = check_array(W, "W", ndim=2)
    n_pixels, n_classes = W.shape
    height, width = image_shape
    if n_pixels != height * width:
        raise ValueError(f"W has {n_pixels} rows, but image_shape {image_shape} holds {height * width} pixels.")
    names = _class_names(class_names, n_classes)
    n_cols = min(n_classes, 5)
    n_rows = -(-n_classes // n_cols)
    from matplotlib.figure import Figure  # imported when drawing (see new_figure)

    fig = Figure(figsize=(2.2 * n_cols + 1, 2.4 * n_rows + 0.6), dpi=DPI)
    fig.suptitle(f"Learned weight templates: column k of W reshaped to {height} × {width}")
    limit = float(np.abs(W).max()) or 1.0
    images = _draw_grid(fig, W.T.reshape(n_classes, height, width), [(name, CORRECT_COLOR) for name in names],
                        n_cols, right_inches=1, fontsize=11, cmap="RdBu_r", vmin=-limit, vmax=limit)
    colorbar_axes = fig.add_axes((1 - 0.85 / fig.get_figwidth(), 0.1, 0.15 / fig.get_figwidth(), 0.75))
    fig.colorbar(images[0], cax=colorbar_axes, label="weight (red: pixel votes for the class)")
    return save_figure(fig, path)


def _class_names(class_names, n_classes):
    if class_names is None:
        return [f"class {k}" for k in range(n_classes)]
    names = [str(name) for name in class_names]
    if len(names) != n_classes:
        raise ValueError(f"class_names must name all {n_classes} classes; got {len(names)} names.")
    return names


def _draw_grid(fig, images, captions, n_cols, *, title=True, right_inches=0, fontsize=8, **imshow):
    """Draw images (N, H, W[, C]) n_cols to a row, each under its caption, in one frameless axes that
    spans ``fig`` below its title band and left of ``right_inches``; returns the N AxesImages.

    captions: N (text, colour) pairs, or None. The axes' data units are inches, so every image gets
    the same square pixels, the largest that leave room for the captions. One axes for all images:
    40 of them draw in ≈ 0.1 s, where an axes per image took ≈ 0.8 s.
    """
    (x_max, y_max), (height, width) = fig.get_size_inches() - (right_inches, TITLE_INCHES * title), images.shape[1:3]
    ax = fig.add_axes((0, 0, x_max / fig.get_figwidth(), y_max / fig.get_figheight()), xlim=(0, x_max), ylim=(0, y_max))
    ax.set_axis_off()
    cell_width, cell_height = x_max / n_cols, y_max / math.ceil(len(images) / n_cols)
    pixel = min((cell_width - GAP_INCHES) / width, (cell_height - CAPTION_INCHES - GAP_INCHES) / height)
    drawn = []
    for i, image in enumerate(images):
        row, col = divmod(i, n_cols)
        left = col * cell_width + (cell_width - width * pixel) / 2
        bottom = y_max - (row + 1) * cell_height + GAP_INCHES / 2
        extent = (left, left + width * pixel, bottom, bottom + height * pixel)
        drawn.append(ax.imshow(image, extent=extent, aspect="auto", interpolation="nearest", **imshow))
        if captions is not None:
            text, colour = captions[i]
            ax.text((extent[0] + extent[1]) / 2, extent[3] + 0.03, text, ha="center", va="bottom",
                    fontsize=fontsize, color=colour)
    return drawn


def _as_displayable(images):
    """(N, H, W), or (N, H, W, C) with C ∈ {3, 4}: what imshow draws."""
    images = check_array(images, "images", ndim=(2, 3, 4), dtype="any")
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValueError(f"images of shape {images.shape} are flat but {images.shape[1]} is not a square; "
                             "reshape them to (N, H, W) first.")
        images = images.reshape(len(images), side, side)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    elif images.ndim == 4 and images.shape[-1] not in (3, 4):
        raise ValueError(f"colour images must be (N, H, W, C) with C in 1, 3, 4; got shape {images.shape}. "
                         "For PyTorch's (N, C, H, W) use scratch.images.chw_to_hwc(images) first.")
    return images


def _check_annotations(values, name, n, class_names):
    """One label per image; indices into class_names when it is given."""
    if values is None:
        return None
    values = np.asarray(values)
    if values.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), one per image; got shape {values.shape}.")
    return values if class_names is None else check_labels(values, name, len(class_names))


def _caption(labels, predictions, class_names, i):
    """(caption, colour) of image i: its class, or for a mistake "prediction (true: label)" in red."""
    name = (lambda value: class_names[int(value)]) if class_names is not None else str
    if predictions is None or labels is None:
        return name((labels if predictions is None else predictions)[i]), CORRECT_COLOR
    if predictions[i] == labels[i]:
        return name(predictions[i]), CORRECT_COLOR
    return f"{name(predictions[i])}\n(true: {name(labels[i])})", MISTAKE_COLOR
