"""Figures of a training run: the loss and score per epoch, and the confusion matrix of a classifier."""

from collections.abc import Mapping

import numpy as np

from scratch._validation import check_array
from scratch.metrics import confusion_matrix
from scratch.plots._figure import _text_inches, new_figure, save_figure

HISTORY_FIELDS = ("train_loss", "val_loss", "val_score")


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
