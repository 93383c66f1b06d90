"""The lecture's figures (scratch.diagrams) and ``scratch show``: each command writes a PNG of the
expected size, the graph is read from the autograd tape, the network from a Sequential, and the
figures the pages embed exist."""

import re
import struct
from pathlib import Path

import numpy as np
import pytest

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
    assert png_size(out) == size == png_size(DOCS / "figures" / name)  # the committed copy is this command's
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
    embedded = set()
    for page in DOCS.glob("*.md"):
        embedded |= set(re.findall(r"!\[[^\]]*\]\((figures/[\w.-]+\.png)\)", page.read_text(encoding="utf-8")))
    committed = {f"figures/{p.name}" for p in (DOCS / "figures").glob("*.png")}
    assert embedded == committed == {f"figures/{name}" for name in FIGURES}
