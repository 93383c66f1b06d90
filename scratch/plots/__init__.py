"""Figures for training runs, fitted models and images, drawn headless with matplotlib's object API.

Every function builds a ``matplotlib.figure.Figure`` (no pyplot, no global state, works on a
server without a display), returns it, and when ``path`` is given also writes it there as a
PNG of ``figsize × DPI`` pixels. Titles, axis labels and legends make each figure readable on
its own; pass feature and target names with their units (e.g. ``"area (m²)"``).

- ``_figure``: DPI, new_figure, save_figure — what every figure shares
- ``training``: plot_history, plot_confusion_matrix — a training run
- ``fits``: plot_regression, plot_decision_boundary — a fitted model over its data
- ``grids``: show_grid, plot_weight_templates — images in a grid
"""

from scratch.plots._figure import DPI, new_figure, save_figure
from scratch.plots.fits import plot_decision_boundary, plot_regression
from scratch.plots.grids import (
    CAPTION_INCHES,
    CORRECT_COLOR,
    GAP_INCHES,
    MISTAKE_COLOR,
    TITLE_INCHES,
    plot_weight_templates,
    show_grid,
)
from scratch.plots.training import HISTORY_FIELDS, plot_confusion_matrix, plot_history

__all__ = [
    "CAPTION_INCHES",
    "CORRECT_COLOR",
    "DPI",
    "GAP_INCHES",
    "HISTORY_FIELDS",
    "MISTAKE_COLOR",
    "TITLE_INCHES",
    "new_figure",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "plot_history",
    "plot_regression",
    "plot_weight_templates",
    "save_figure",
    "show_grid",
]
