"""Figures: each writes a valid PNG of the promised size and draws what its docstring says."""

import matplotlib.image
import numpy as np
import pytest
from matplotlib.figure import Figure

from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.plots import (
    DPI,
    MISTAKE_COLOR,
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_history,
    plot_regression,
    plot_weight_templates,
    show_grid,
)
from scratch.training import History
from scratch import plots

from conftest import assert_raises_naming, case, PNG_SIGNATURE

DIGITS = [str(k) for k in range(10)]


def assert_png_of_figure(path, fig):
    """The file is a PNG that decodes to the figure's size in pixels (figsize × DPI)."""
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    width, height = fig.get_size_inches() * DPI
    assert matplotlib.image.imread(path).shape[:2] == (round(height), round(width))


def legend_labels(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


def test_history_from_lists_writes_a_png_with_loss_and_accuracy_panels(tmp_path):
    path = tmp_path / "history.png"
    fig = plot_history([0.9, 0.5, 0.4], val_loss=[1.0, 0.6, 0.5], val_score=[0.7, 0.85, 0.9], path=path)
    assert isinstance(fig, Figure)
    assert_png_of_figure(path, fig)
    loss_ax, accuracy_ax = fig.axes
    assert legend_labels(loss_ax) == ["training loss", "validation loss"]
    assert accuracy_ax.get_ylabel() == "accuracy (%)"
    np.testing.assert_allclose(accuracy_ax.lines[0].get_ydata(), [70, 85, 90])
    np.testing.assert_array_equal(loss_ax.lines[0].get_xdata(), [1, 2, 3])


def test_history_reads_a_training_history_and_skips_empty_validation_series(tmp_path):
    history = History(train_loss=[0.9, 0.5], val_loss=[], val_score=[], lr=[0.1, 0.1], seconds=[1.0, 1.0])
    path = tmp_path / "history.png"
    fig = plot_history(history, path=path)
    assert_png_of_figure(path, fig)
    assert len(fig.axes) == 1 and legend_labels(fig.axes[0]) == ["training loss"]


def test_history_from_a_mapping_shows_a_non_accuracy_score_unscaled():
    fig = plot_history({"train_loss": [3.0, 2.0], "val_score": [0.5, 0.8]}, score_name="R²")
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), [0.5, 0.8])
    assert fig.axes[1].get_ylabel() == "R²"


def test_history_refuses_a_validation_series_of_another_length():
    with pytest.raises(ValueError, match="val_loss must hold one value per epoch"):
        plot_history([1.0, 0.5], val_loss=[1.0])


def test_weight_templates_are_28x28_images_centred_at_zero_titled_by_class(tmp_path):
    W = np.random.default_rng(0).normal(size=(784, 10))
    path = tmp_path / "templates.png"
    fig = plot_weight_templates(W, DIGITS, path=path)
    assert_png_of_figure(path, fig)
    grid = fig.axes[0]  # one axes holds every template and its caption; the colorbar has its own
    assert [text.get_text() for text in grid.texts] == DIGITS
    image = grid.images[3]
    np.testing.assert_array_equal(image.get_array(), W[:, 3].reshape(28, 28))
    vmin, vmax = image.get_clim()
    assert vmin == -vmax == -np.abs(W).max()


def test_weight_templates_accept_a_softmax_model():
    model = SoftmaxRegression(16, 3, init="torch", seed=0)
    fig = plot_weight_templates(model, image_shape=(4, 4))
    assert [text.get_text() for text in fig.axes[0].texts] == ["class 0", "class 1", "class 2"]


def test_weight_templates_refuse_weights_that_are_not_images_of_that_shape():
    with pytest.raises(ValueError, match="W has 10 rows, but image_shape"):
        plot_weight_templates(np.zeros((10, 3)))


def test_confusion_matrix_figure_shows_counts_coloured_by_row_fraction(tmp_path):
    y_true = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    y_pred = np.array([0, 0, 1, 1, 1, 2, 0, 2, 2])
    path = tmp_path / "confusion.png"
    fig = plot_confusion_matrix(y_true, y_pred, ["cat", "dog", "bird"], path=path)
    assert_png_of_figure(path, fig)
    ax = fig.axes[0]
    colours = np.asarray(ax.images[0].get_array())
    np.testing.assert_allclose(colours.sum(axis=1), 1.0)
    np.testing.assert_allclose(colours[0], [2 / 3, 1 / 3, 0])
    assert [t.get_text() for t in ax.texts] == ["2", "1", "0", "0", "2", "0", "1", "0", "3"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "bird"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted class", "true class")
    assert "accuracy 77.78 %" in ax.get_title()


def test_confusion_matrix_figure_tolerates_a_class_never_seen():
    fig = plot_confusion_matrix([0, 0], [0, 1], ["a", "b", "c"])
    np.testing.assert_array_equal(np.asarray(fig.axes[0].images[0].get_array())[2], [0, 0, 0])


def test_regression_with_one_feature_draws_the_fitted_line(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(50, 200, size=(40, 1))
    y = 3 * X[:, 0] + 20 + rng.normal(0, 5, 40)
    model = LinearRegression(1).fit_least_squares(X, y)
    path = tmp_path / "fit.png"
    fig = plot_regression(model, X, y, feature_names=["area (m²)"], target_name="price (k$)", path=path)
    assert_png_of_figure(path, fig)
    ax = fig.axes[0]
    line = ax.lines[0]
    np.testing.assert_allclose(line.get_ydata(), model.predict(line.get_xdata()[:, None]))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("area (m²)", "price (k$)")
    assert "R² = 0.9" in ax.get_title()


def test_regression_with_several_features_plots_predicted_against_actual(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 3))
    y = X @ [1.0, -2.0, 0.5] + 1
    model = LinearRegression(3).fit_least_squares(X, y)
    path = tmp_path / "pred_vs_actual.png"
    fig = plot_regression(model, X, y, target_name="sales", path=path)
    assert_png_of_figure(path, fig)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.collections[0].get_offsets(), np.column_stack([y, model.predict(X)]))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("actual sales", "predicted sales")
    assert "R² = 1.0000" in ax.get_title()


def test_regression_refuses_feature_names_of_the_wrong_count():
    with pytest.raises(ValueError, match="feature_names must name all 2 columns"):
        plot_regression(LinearRegression(2), np.zeros((3, 2)), np.zeros(3), feature_names=["a"])


def test_decision_boundary_draws_the_half_probability_contour_over_the_data(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(float)
    model = LogisticRegression(2)
    model.params["W"][...] = [2.0, 2.0]
    path = tmp_path / "boundary.png"
    fig = plot_decision_boundary(model, X, y, feature_names=("x₁ (cm)", "x₂ (cm)"), resolution=50, path=path)
    assert_png_of_figure(path, fig)
    ax = fig.axes[0]
    boundary = ax.collections[1]
    assert list(boundary.levels) == [0.5]
    vertices = np.concatenate([path.vertices for path in boundary.get_paths()])
    np.testing.assert_allclose(vertices[:, 0] + vertices[:, 1], 0, atol=1e-3)  # w·x + b = 0, up to interpolation
    assert "decision boundary P(y = 1 | x) = 0.5" in legend_labels(ax)


def test_decision_boundary_needs_two_features_and_a_probabilistic_model():
    with pytest.raises(ValueError, match="X has 3 features, but the model expects 2"):
        plot_decision_boundary(LogisticRegression(3), np.zeros((4, 3)), [0, 1, 0, 1])
    with pytest.raises(TypeError, match="predict_proba"):
        plot_decision_boundary(LinearRegression(2), np.zeros((4, 2)), [0, 1, 0, 1])


# ---- show_grid (images with their labels) ----
def test_show_grid_writes_a_valid_png_and_marks_mistakes_in_red(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (10, 28, 28), dtype=np.uint8)
    labels = np.arange(10) % 3
    predictions = labels.copy()
    predictions[[2, 7]] = (labels[[2, 7]] + 1) % 3
    path = tmp_path / "grid.png"
    fig = show_grid(images, labels, predictions, class_names=["a", "b", "c"], n_cols=4, path=path)
    assert_png_of_figure(path, fig)
    (grid,) = fig.axes  # one axes: 10 images, each under its caption
    assert len(grid.images) == 10
    captions = [(text.get_text(), text.get_color()) for text in grid.texts]
    red = [i for i, (_, color) in enumerate(captions) if color == MISTAKE_COLOR]
    assert red == [2, 7]
    assert captions[2][0] == "a\n(true: c)"
    rows = sorted({round(image.get_extent()[2], 6) for image in grid.images})
    assert len(rows) == 3  # 4 to a row


@pytest.mark.parametrize("images", [np.zeros((4, 784)), np.zeros((4, 6, 6, 1)), np.zeros((4, 6, 6, 3))])
def test_show_grid_accepts_flat_single_channel_and_rgb_batches(images):
    fig = show_grid(images, labels=np.arange(4))
    assert [text.get_text() for text in fig.axes[0].texts] == ["0", "1", "2", "3"]


@pytest.mark.parametrize("images, labels, match", [
    (np.zeros((4, 10)), None, "not a square"),
    (np.zeros((4, 3, 6, 6)), None, "chw_to_hwc"),
    (np.zeros((4, 6, 6)), np.arange(3), r"shape \(4,\)"),
    (np.zeros((0, 6, 6)), None, "empty"),
])
def test_show_grid_input_errors_explain_the_fix(images, labels, match):
    with pytest.raises(ValueError, match=match):
        show_grid(images, labels)


def test_show_grid_refuses_labels_outside_class_names():
    with pytest.raises(ValueError, match="outside the 2 classes"):
        show_grid(np.zeros((2, 4, 4)), [0, 5], class_names=["a", "b"])


# ---- bad input: plot_history (each call raises the error type and names the argument; conftest.case)
BAD_INPUT_TABLE = [
    case("plot_history-train_loss-nan", plots.plot_history, ValueError, "train_loss", train_loss=[1.0, np.nan]),
]


@pytest.mark.parametrize("call, kwargs, error, argument", BAD_INPUT_TABLE)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    assert_raises_naming(call, kwargs, error, argument)
