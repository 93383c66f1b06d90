"""What the fast paths of issue 16 must keep: the same answers, and no heavy import for --help.

Speed itself is measured in benchmarks/, never asserted here (the machine is shared).
"""

import subprocess
import sys

import numpy as np
import pytest

import scratch
from scratch import datasets
from scratch.cli import choices, runs, tasks
from scratch.nn import CrossEntropyLoss, Linear, Network, ReLU, Sequential, layers
from scratch.preprocessing import ScalePixels


def run_python(code):
    """Run ``code`` in a fresh interpreter; return its stdout."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


# ---- the command line answers --help without the numerical stack ---------------------------------
def test_the_parsers_names_are_the_ones_of_the_data_set_registry_and_the_module_registry():
    assert choices.DATA_NAMES == datasets.names(), "scratch/cli/choices.py: DATA_NAMES must list the registry's names"
    assert choices.IMAGE_NAMES == datasets.names("images"), "scratch/cli/choices.py: IMAGE_NAMES, its image sets"
    assert choices.MODEL_NAMES == tasks.MODEL_NAMES


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"]])
def test_help_leaves_numpy_scipy_and_matplotlib_unimported(argv):
    out = run_python(f"import sys, scratch.cli; scratch.cli.main({argv!r}); "
                     "print([m for m in ('numpy', 'scipy', 'matplotlib') if m in sys.modules])")
    assert out.splitlines()[-1] == "[]"
    assert "usage: scratch" in out


def test_importing_scratch_and_what_scratch_train_imports_loads_no_matplotlib():
    modules = "scratch, scratch.cli.runs, scratch.plots, scratch.diagrams, scratch.cli.figures, scratch.estimators"
    out = run_python(f"import sys, {modules}; scratch.fit, scratch.SGD; "
                     "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'PIL')))")
    assert out.strip() == "[]"


def test_train_reports_its_metrics_before_matplotlib_is_imported_to_draw(tmp_path):
    """The results come first; the figures still land in the run folder (renamed into place after them)."""
    out = run_python(
        "import sys; from scratch.cli.runs import train_run; seen = []; "
        f"run = train_run('softmax', 'iris', {str(tmp_path / 'r')!r}, overrides={{'epochs': 2}}, verbose=False, "
        "report=lambda run: seen.append((sorted(run['metrics']), 'matplotlib' in sys.modules))); "
        "print(seen, 'matplotlib' in sys.modules, run['figures'])")
    seen, _, figures = out.strip().partition("] ")[0] + "]", None, out.strip().rsplit(" [", 1)[1]
    assert seen == "[(['test', 'train', 'validation'], False)]" and figures == "'history.png', 'confusion.png']"
    assert {p.name for p in (tmp_path / "r").iterdir()} == {"model.npz", "run.json", "history.png", "confusion.png"}


def test_the_package_exports_load_on_first_use_and_dir_lists_them():
    assert run_python("import sys, scratch; print('numpy' in sys.modules)").strip() == "False"
    from scratch import fit
    from scratch.models import SoftmaxRegression
    from scratch.training import fit as training_fit

    assert fit is training_fit and scratch.SoftmaxRegression is SoftmaxRegression
    assert set(scratch.__all__) <= set(dir(scratch))
    with pytest.raises(AttributeError, match="no attribute 'SoftMaxRegression'"):
        scratch.SoftMaxRegression  # noqa: B018


# ---- the layers' inner paths do no per-call checks -----------------------------------------------
def test_forward_and_backward_of_a_sequential_call_no_validator(monkeypatch):
    net = Sequential(Linear(6, 4, seed=0), ReLU(), Linear(4, 3, seed=1))
    x, g = np.random.default_rng(0).normal(size=(5, 6)), np.ones((5, 3))
    expected = net._backward(net._forward(x)[1], g, need_input_grad=True)

    def refuse(*args, **kwargs):
        raise AssertionError("a validator ran inside _forward/_backward")

    for module in (layers, scratch.nn.container):
        for name in ("check_array", "check_number", "check_dtype"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, refuse)
    out, tape = net._forward(x)
    grad_x, grads = net._backward(tape, g, need_input_grad=True)
    np.testing.assert_array_equal(grad_x, expected[0])
    assert grads.keys() == expected[1].keys()


def test_network_loss_grad_leaves_the_first_layers_input_gradient_out(monkeypatch):
    """Linear computes g W only when asked: the first layer of a network is not asked."""
    net = Network(Sequential(Linear(6, 4, seed=0), ReLU(), Linear(4, 3, seed=1)), CrossEntropyLoss())
    asked = []
    real = Linear._backward
    monkeypatch.setattr(Linear, "_backward", lambda self, x, g, need=True: asked.append(need) or real(self, x, g, need))
    net.loss_grad(np.random.default_rng(0).normal(size=(5, 6)), np.array([0, 1, 2, 0, 1]))
    assert asked == [True, False]  # the last Linear (first in reverse) passes g on; the first does not


# ---- a run scores each split with one forward pass -------------------------------------------------
@pytest.mark.parametrize("rows", [3, 8192])
def test_split_metrics_equal_the_models_own_loss_and_score(monkeypatch, rows):
    monkeypatch.setattr(runs, "SCORING_ROWS", rows)  # 3: several chunks, the last one short
    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (10, 4, 4), dtype=np.uint8), rng.integers(0, 3, 10)
    net = Network(Sequential(Linear(16, 5, seed=0), ReLU(), Linear(5, 3, seed=1)), CrossEntropyLoss(),
                  transform=ScalePixels())
    metrics = runs.split_metrics(net, X, y)
    assert metrics["loss"] == pytest.approx(net.loss(X, y), rel=1e-12)
    assert metrics["accuracy"] == net.score(X, y)


def test_train_says_what_it_does_while_the_figures_are_drawn(capsys, tmp_path):
    from scratch import cli

    assert cli.main(["train", "softmax", "--data", "iris", "--epochs", "2", "--out", str(tmp_path / "r")]) == 0
    lines = capsys.readouterr().out.splitlines()
    drawing = next(i for i, line in enumerate(lines) if line.startswith("drawing the figures into"))
    assert drawing < next(i for i, line in enumerate(lines) if line.startswith("trained in"))
    assert next(i for i, line in enumerate(lines) if line.startswith("test (30 samples)")) < drawing
