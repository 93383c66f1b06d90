"""Figures of a fitted model over its data: a regression's fit, a binary classifier's decision boundary."""

import numpy as np

from scratch._validation import check_array, check_features, check_labels, check_number, check_same_length
from scratch.metrics import r2_score
from scratch.plots._figure import new_figure, save_figure


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
