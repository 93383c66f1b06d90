"""The lecture's figures (scratch.diagrams) and ``scratch show``: each command writes the committed
figure (its size, texts and layout), the graph is read from the autograd tape, the network from a
Sequential, and every committed figure is shown by a page and drawn by a command or by that page's
code (tests/test_lecture_docs.py compares those with the committed PNGs)."""

import re
import struct
from pathlib import Path

import numpy as np
import pytest
from markdown_blocks import assert_same_figure, code_blocks, embedded_figures, figure_texts

from scratch import cli, datasets, diagrams
from scratch.autograd import Tensor
from scratch.cli import figures
from scratch.nn import Linear, ReLU, Sequential, Softmax

from conftest import PNG_SIGNATURE

DOCS = Path(__file__).resolve().parents[1] / "docs" / "lecture"
# each figure the pages embed → the scratch show arguments that write it, and its (width, height) in pixels
FIGURES = {
    "graph.png": (("graph",), (880, 245)),
    "curves.png": (("curves",), (1100, 420)),
    "network-3-1.png": (("network", "--inputs", "3", "--outputs", "1", "--layers", "dense"), (400, 403)),
    "network-4-3-softmax.png": (("network", "--inputs", "4", "--outputs", "3", "--layers", "dense,softmax"), (608, 483)),
    "network-784-10-softmax.png": (("network",), (608, 643)),
    "samples-mnist.png": (("samples", "--data", "mnist"), (1400, 320)),
    "samples-fashion-mnist.png": (("samples", "--data", "fashion-mnist"), (1400, 320)),
}
# each figure drawn by the code of the page that shows it → that page
PAGE_FIGURES = {"example-1-graph.png": "03-example-1.md", "logistic-regression-graph.png": "04-logistic-regression.md"}


def png_size(path):
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [fig.axes[0].get_title()]


@pytest.mark.parametrize("name", FIGURES)
def test_show_regenerates_each_figure_as_a_png_of_its_size(name, tmp_path, capsys):
    argv, size = FIGURES[name]
    out = tmp_path / name
    status = cli.main(["show", *argv, "--out", str(out)])
    printed, err = capsys.readouterr()
    if status == 1 and "not found" in err:  # an image set that is not installed
        pytest.skip(err.strip())
    assert status == 0, err
    assert png_size(out) == size
    assert_same_figure(f"figures/{name}", DOCS / "figures" / name, out)  # the committed copy is this command's
    assert printed == f"wrote {out}: {size[0]} × {size[1]} pixels\n"


def test_show_offers_every_figure_and_refuses_unknown_ones(capsys):
    status = cli.main(["show", "histogram"])
    assert status == 2 and "invalid choice" in capsys.readouterr().err
    for name in figures.FIGURES:
        assert cli.main(["show", name, "--help"]) == 0
    capsys.readouterr()


def test_show_reports_a_missing_folder_in_one_line(tmp_path, capsys):
    assert cli.main(["show", "graph", "--out", str(tmp_path / "no" / "graph.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("scratch: error:") and err.count("\n") == 1


def test_the_graph_is_read_from_the_tape_with_values_and_gradients():
    fig = figures.slide_9_graph(None)
    shown = texts(fig)
    for text in ("x", "( )²", "3×", "+2", "= 2", "= 4", "= 12", "= 14", "∂z/∂x = 12", "∂z/∂y = 3", "∂z/∂z = 1"):
        assert text in shown, text
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor(3.0, requires_grad=True)
    out = (a * b).sum()
    out.backward()
    shown = texts(diagrams.draw_graph(out, {"a": a, "b": b, "s": out}))
    assert {"a", "b", "×", "Σ", "= shape (2,)", "∂s/∂b = 3"} <= set(shown)


def test_a_graph_needs_a_recorded_result():
    with pytest.raises(ValueError, match="requires_grad=True"):
        diagrams.draw_graph(Tensor(2.0) * 3)


def test_the_network_is_read_from_the_sequential():
    net = Sequential(Linear(784, 16, seed=0), Sequential(ReLU(), Linear(16, 3, seed=0)), Softmax(dim=-1))
    shown = texts(diagrams.draw_network(net))
    assert {"x₁", "x₇₈₄", "z₁₆", "h₁₆", "ŷ₃", "1", "⋮", "784 inputs", "Linear(784, 16)", "ReLU"} <= set(shown)
    assert "Softmax: 3 outputs" in shown
    assert shown[-1] == "Sequential(Linear(784, 16), ReLU(), Linear(16, 3), Softmax(dim=-1)): 12,611 parameters"


def test_the_curves_mark_the_worked_numbers():
    shown = texts(figures.curves(None))
    assert "σ(0.83) = 0.696355" in shown and "σ(2.02) = 0.882881" in shown
    assert {"0.615384", "0.802184", "0.384616", "0.197816"} <= set(shown)


def test_samples_show_each_class_in_its_column():
    labels = np.repeat(np.arange(3), 4)
    data = datasets.ImageDataset(np.zeros((12, 4, 4), np.uint8), labels, None, None, ("a", "b", "c"))
    fig = diagrams.draw_samples(data, per_class=2, name="tiny")
    assert [text for text in texts(fig) if text in ("a", "b", "c")] == ["a", "b", "c"] * 2  # captions, row by row
    assert fig.get_suptitle() == "tiny: 2 training images per class, 4 × 4 pixels, 0–255"


def test_the_pages_embed_the_committed_figures():
    embedded = {name for page in DOCS.glob("*.md") for name in embedded_figures(page)}
    committed = {p.name for p in (DOCS / "figures").glob("*.png")}
    assert embedded == committed == set(FIGURES) | set(PAGE_FIGURES)
    for name, page in PAGE_FIGURES.items():
        code = "\n".join(code for _, info, code in code_blocks(DOCS / page) if info == "python")
        assert name in embedded_figures(DOCS / page) and f'path="{name}"' in code, f"{page} does not draw {name}"


def test_a_stale_figure_fails_the_comparison(tmp_path):
    """A figure whose numbers changed (initialisation B's graph against A's committed one) is refused,
    and so is a PNG that was not drawn by scratch.diagrams."""
    w, b = Tensor(-0.655, requires_grad=True), Tensor(-0.0393, requires_grad=True)
    loss = (6.7 * w + b - 9.1) ** 2
    loss.backward()
    committed = DOCS / "figures" / "example-1-graph.png"
    diagrams.draw_graph(loss, {"w": w, "b": b, "L": loss}, path=tmp_path / "b.png")
    with pytest.raises(AssertionError, match="stale|pixel"):
        assert_same_figure("B against A", committed, tmp_path / "b.png")
    assert "= -0.655" in figure_texts(tmp_path / "b.png") and "= -0.34" in figure_texts(committed)
    fig = diagrams.draw_graph(loss, {"w": w, "b": b, "L": loss})
    fig.savefig(tmp_path / "plain.png", format="png", dpi=fig.dpi)
    with pytest.raises(AssertionError, match="scratch:texts"):
        assert_same_figure("a plain PNG", tmp_path / "plain.png", tmp_path / "plain.png")
