"""Figures for training runs, fitted models and images, drawn headless with matplotlib's object API.

Every function builds a ``matplotlib.figure.Figure`` (no pyplot, no global state, works on a
server without a display), returns it, and when ``path`` is given also writes it there as a
PNG of ``figsize × DPI`` pixels. Titles, axis labels and legends make each figure readable on
its own; pass feature and target names with their units (e.g. ``"area (m²)"``).
"""

import math
from collections.abc import Mapping

import numpy as np

from scratch._files import write_atomically
from scratch._validation import check_array, check_features, check_labels, check_number, check_same_length
from scratch.metrics import confusion_matrix, r2_score

DPI = 100  # pixels per inch of the saved PNGs: a (6, 4) inch figure is 600 × 400 pixels
TITLE_INCHES, CAPTION_INCHES, GAP_INCHES = 0.4, 0.34, 0.06  # a grid of images: title band, 2 caption lines, gap
HISTORY_FIELDS = ("train_loss", "val_loss", "val_score")
MISTAKE_COLOR, CORRECT_COLOR = "tab:red", "black"  # show_grid's captions


def new_figure(width, height, margins=None):
    """A figure laid out by matplotlib's constrained layout, or with fixed ``margins`` (left, bottom, right,
    top, gap between columns; inches), which saves that layout's ≈ 0.1 s per figure where the text is known."""
    from matplotlib.figure import Figure  # here, not at the top: importing scratch costs no matplotlib

    if margins is None:
        return Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    fig = Figure(figsize=(width, height), dpi=DPI)
    left, bottom, right, top, gap = margins
    fig.subplots_adjust(left=left / width, bottom=bottom / height, right=1 - right / width, top=1 - top / height,
                        wspace=gap / ((width - left - right - gap) / 2))
    return fig


def _text_inches(names):
    """About how wide the longest of ``names`` is, in inches at 10 points (0.6 em per character)."""
    return 0.6 * 10 / 72 * max(len(name) for name in names)


def save_figure(fig, path):
    """Write ``fig`` as a PNG when a path is given (atomically: a failed write leaves the old file); return it."""
    if path is not None:
        write_atomically(path, lambda file: fig.savefig(file, format="png", dpi=DPI))
    return fig


def _history_fields(history):
    """(train_loss, val_loss, val_score) from a mapping or a History; empty series become None."""
    get = history.get if isinstance(history, Mapping) else (lambda name: getattr(history, name, None))
    series = [get(name) for name in HISTORY_FIELDS]
    return tuple(values if values is not None and len(values) else None for values in series)


def _per_epoch(values, name, n_epochs):
    values = check_array(values, name, ndim=1)
    if len(values) != n_epochs:
        raise ValueError(f"{name} must hold one value per epoch ({n_epochs}); got {len(values)}.")
    return values


def plot_history(train_loss, val_loss=None, val_score=None, *, score_name="accuracy", title="Training history",
                 path=None):
    """Loss per epoch (training and validation) and, if given, the validation score per epoch.

    train_loss: (E,) mean training loss of each epoch — or a ``scratch.training.History`` or a
    mapping, whose fields ``train_loss``, ``val_loss``, ``val_score`` are read instead.
    val_loss: (E,) or None. val_score: (E,) or None; shown in percent when score_name is
    "accuracy" (fractions in [0, 1]), as is otherwise (e.g. score_name="R²").
    """
    if isinstance(train_loss, Mapping) or hasattr(train_loss, "train_loss"):
        train_loss, val_loss, val_score = _history_fields(train_loss)
    train_loss = check_array(train_loss, "train_loss", ndim=1)
    epochs = np.arange(1, len(train_loss) + 1)
    fig = new_figure(11 if val_score is not None else 6, 4, margins=(0.8, 0.55, 0.25, 0.75, 0.9))
    fig.suptitle(title)
    loss_ax, *rest = fig.subplots(1, 2 if val_score is not None else 1, squeeze=False)[0]
    loss_ax.plot(epochs, train_loss, "o-", label="training loss")
    if val_loss is not None:
        loss_ax.plot(epochs, _per_epoch(val_loss, "val_loss", len(epochs)), "s--", label="validation loss")
    _label_epoch_axis(loss_ax, "mean loss per sample", "Loss")
    if val_score is not None:
        in_percent = score_name == "accuracy"
        values = _per_epoch(val_score, "val_score", len(epochs)) * (100 if in_percent else 1)
        score_ax = rest[0]
        score_ax.plot(epochs, values, "o-", color="tab:green", label=f"validation {score_name}")
        score_ax.annotate(f"{values[-1]:.4g}", (epochs[-1], values[-1]), textcoords="offset points",
                          xytext=(0, 6), ha="center", fontsize=8)  # the final value, readable at any length
        score_ax.margins(y=0.15)  # room for the value label
        ylabel = f"{score_name} (%)" if in_percent else score_name
        _label_epoch_axis(score_ax, ylabel, f"Validation {score_name}")
    return save_figure(fig, path)


def _label_epoch_axis(ax, ylabel, title):
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(alpha=0.3)
    ax.legend()


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


def plot_confusion_matrix(y_true, y_pred, class_names, *, title="Confusion matrix", path=None):
    """Counts of (true, predicted) class pairs, coloured by the fraction of each true class.

    y_true, y_pred: (N,) int labels in [0, K); class_names: K names (rows: true, columns:
    predicted). Every cell shows its count; the diagonal holds the correct predictions.
    """
    names = [str(name) for name in class_names]
    counts = confusion_matrix(y_true, y_pred, len(names))
    row_totals = counts.sum(axis=1, keepdims=True)
    fractions = np.divide(counts, row_totals, out=np.zeros(counts.shape), where=row_totals > 0)
    size = max(4.5, 0.55 * len(names) + 2.5)
    label = _text_inches(names)  # the class names label both axes
    fig = new_figure(size + 1, size, margins=(label + 0.6, 0.71 * label + 0.6, 0.2, 0.45, 0))
    ax = fig.subplots()
    image = ax.imshow(fractions, cmap="Blues", vmin=0, vmax=1)
    fontsize = 9 if len(names) <= 12 else 6
    for (i, j), count in np.ndenumerate(counts):
        colour = "white" if fractions[i, j] > 0.5 else "black"
        ax.text(j, i, str(count), ha="center", va="center", color=colour, fontsize=fontsize)
    ticks = np.arange(len(names))
    ax.set_xticks(ticks, names, rotation=45, ha="right")
    ax.set_yticks(ticks, names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    accuracy = np.trace(counts) / counts.sum()
    ax.set_title(f"{title} (accuracy {100 * accuracy:.2f} %, {counts.sum()} samples)")
    fig.colorbar(image, ax=ax, shrink=0.8, label="fraction of the true class (row-normalised)")
    return save_figure(fig, path)


def plot_regression(model, X, y, *, feature_names=None, target_name="y", path=None):
    """One feature: the data and the fitted line. Several: predicted against actual targets.

    model: a fitted regressor with ``predict`` (e.g. LinearRegression); X: (N, D); y: (N,).
    feature_names: D names (with units); target_name: the name of y (with units).
    The title reports R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² on (X, y).
    """
    X = check_array(X, "X", ndim=2)
    y = check_array(y, "y", ndim=1)
    check_same_length(X, y, "X", "y")
    names = feature_names if feature_names is not None else [f"x{d + 1}" for d in range(X.shape[1])]
    if len(names) != X.shape[1]:
        raise ValueError(f"feature_names must name all {X.shape[1]} columns of X; got {len(names)} names.")
    predictions = np.asarray(model.predict(X), dtype=np.float64)
    r2 = r2_score(y, predictions)
    fig = new_figure(6, 4.5)
    ax = fig.subplots()
    if X.shape[1] == 1:
        grid = np.linspace(X[:, 0].min(), X[:, 0].max(), 200)
        ax.scatter(X[:, 0], y, s=16, alpha=0.7, label="data")
        ax.plot(grid, model.predict(grid[:, None]), color="tab:red", linewidth=2, label="fitted line ŷ = w·x + b")
        ax.set_xlabel(names[0])
        ax.set_ylabel(target_name)
        ax.set_title(f"Linear regression fit (R² = {r2:.4f})")
    else:
        low, high = min(y.min(), predictions.min()), max(y.max(), predictions.max())
        ax.scatter(y, predictions, s=16, alpha=0.7, label="samples")
        ax.plot([low, high], [low, high], "k--", linewidth=1, label="perfect prediction ŷ = y")
        ax.set_xlabel(f"actual {target_name}")
        ax.set_ylabel(f"predicted {target_name}")
        ax.set_title(f"Predicted vs actual, {X.shape[1]} features (R² = {r2:.4f})")
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)


def plot_decision_boundary(model, X, y, *, feature_names=("x1", "x2"), class_names=("class 0", "class 1"),
                           resolution=200, path=None):
    """Two-feature logistic regression: shaded P(y = 1 | x), the boundary P = 0.5, and the data.

    model: a binary classifier whose ``predict_proba`` returns (M,) probabilities of class 1;
    X: (N, 2); y: (N,) labels 0/1. The probability is evaluated on a resolution × resolution
    grid spanning the data with a 5 % margin.
    """
    X = check_array(X, "X", ndim=2)
    check_features(X, 2)
    y = check_labels(y, "y", 2)
    check_same_length(X, y, "X", "y")
    check_number(resolution, "resolution", low=2, integer=True)
    if not hasattr(model, "predict_proba"):
        raise TypeError(f"model must be a binary classifier with predict_proba; got {type(model).__name__}.")
    xx, yy = _grid_around(X, resolution)
    probability = np.asarray(model.predict_proba(np.column_stack([xx.ravel(), yy.ravel()]))).reshape(xx.shape)
    fig = new_figure(6.5, 5)
    ax = fig.subplots()
    shading = ax.contourf(xx, yy, probability, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.55)
    ax.contour(xx, yy, probability, levels=[0.5], colors="black", linewidths=2)
    for label, marker, colour in ((0, "o", "tab:blue"), (1, "^", "tab:red")):
        members = X[y == label]
        ax.scatter(members[:, 0], members[:, 1], marker=marker, color=colour, edgecolors="black",
                   linewidths=0.5, s=30, label=f"{class_names[label]} (y = {label})")
    handles, _ = ax.get_legend_handles_labels()
    from matplotlib.lines import Line2D  # imported when drawing (see new_figure)

    boundary = Line2D([], [], color="black", linewidth=2, label="decision boundary P(y = 1 | x) = 0.5")
    ax.legend(handles=[*handles, boundary], loc="best", fontsize=8)
    ax.set_xlabel(feature_names[0])
    ax.set_ylabel(feature_names[1])
    ax.set_title("Logistic regression decision boundary")
    fig.colorbar(shading, ax=ax, label="P(y = 1 | x)")
    return save_figure(fig, path)


def _grid_around(X, resolution):
    """A resolution × resolution mesh over the bounding box of X (N, 2), widened by 5 % each side."""
    low, high = X.min(axis=0), X.max(axis=0)
    margin = np.where(high > low, 0.05 * (high - low), 1.0)
    axes = [np.linspace(low[d] - margin[d], high[d] + margin[d], resolution) for d in range(2)]
    return np.meshgrid(*axes)


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
