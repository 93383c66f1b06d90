"""`scratch train` and what it calls: the slides' data options (--classes, boston-mass), a new IDX data set read
from its registry entry alone, the order of a run (metrics first, then figures) and the default recipe on real data."""

import functools
import json
from pathlib import Path

import numpy as np
import pytest

from scratch import cli, datasets
from scratch.cli import figures, runs
from scratch.cli.recipes import recipe_for
from scratch.cli.runs import train_on_task
from scratch.cli.tasks import load_task
from scratch.idx import idx_sha256, read_idx, write_idx
from scratch.nn import CrossEntropyLoss, Linear, Network, ReLU, Sequential
from scratch.preprocessing import ScalePixels

from conftest import load_or_skip, run_python

README = Path(__file__).resolve().parents[1] / "README.md"


def test_slide_28_one_feature_two_classes_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "softmax", "--data", "iris", "--features", "2", "--classes", "setosa,versicolor", "--quiet"]
    assert cli.main([*argv, "--out", str(out)]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["task"]["classes"] == ["setosa", "versicolor"] and run["splits"]["test"]["samples"] == 20
    assert cli.main(["evaluate", str(out)]) == 0
    assert "accuracy 100.00 %" in capsys.readouterr().out


def test_classes_are_relabelled_in_the_order_given():
    task = load_task("iris", classes=["virginica", "setosa"], features=[2])
    assert task.class_names == ("virginica", "setosa")
    petal_length = {k: task.X_train[task.y_train == k].mean() for k in (0, 1)}
    assert petal_length[0] > 5 > 2 > petal_length[1]


@pytest.mark.parametrize("argv, message", [
    (["--data", "iris", "--classes", "1,1"], "at least two different classes"),
    (["--data", "iris", "--classes", "setosa,tulip"], "classes must name classes"),
    (["--data", "mnist", "--classes", "0,1"], "image set"),
])
def test_classes_are_checked(tmp_path, capsys, argv, message):
    assert cli.main(["train", "softmax", *argv, "--out", str(tmp_path / "r")]) == 2
    assert message in capsys.readouterr().err


def test_boston_mass_trains_on_13_features(tmp_path, capsys):
    assert cli.main(["train", "linear", "--data", "boston-mass", "--quiet", "--out", str(tmp_path / "b")]) == 0
    task = load_task("boston-mass", model="linear")
    assert task.n_features == 13 and task.feature_names[11] == "black"
    assert np.isfinite(task.X_train).all()


# ---- a new IDX data set is one entry -----------------------------------------------------------------
@pytest.fixture
def toy_mnist(tmp_path, monkeypatch):
    """A new IDX set registered as ONE entry: 8 × 8 images of 3 classes (brightness by class), its own checksums."""
    folder = tmp_path / "toy"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for split, n in (("train", 90), ("t10k", 30)):
        labels = np.arange(n) % 3
        images = rng.integers(0, 40, (n, 8, 8)) + 100 * labels[:, None, None]
        write_idx(folder / f"{split}-images-idx3-ubyte", images.astype(np.uint8))
        write_idx(folder / f"{split}-labels-idx1-ubyte", labels.astype(np.uint8))
    source = datasets.IdxSource(
        name="Toy-MNIST", key="toy-mnist", env_var="SCRATCH_TOY_MNIST", torch_name="ToyMNIST", keras_dirs=(),
        package_dirs=lambda: [folder], install="written by the test", class_names=("dark", "grey", "light"),
        sha256={name: idx_sha256(read_idx(folder / name)) for name in datasets.IDX_FILES}, image_shape=(8, 8))
    monkeypatch.setenv("SCRATCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(datasets.REGISTRY, source.key, datasets.image_set(source))  # the one entry
    return source


def test_a_new_idx_set_is_read_by_load_task_from_its_entry_alone(toy_mnist):
    task = load_task("toy-mnist")
    assert task.kind == "multiclass" and task.image_shape == (8, 8) and task.n_features == 64
    assert task.class_names == ("dark", "grey", "light") and type(task.transform).__name__ == "ScalePixels"
    assert (len(task.X_train) + len(task.X_val), len(task.X_test)) == (90, 30)  # its published test split
    assert task.X_train.dtype == np.uint8 and np.bincount(task.y_test).tolist() == [10, 10, 10]
    with pytest.raises(ValueError, match="image set"):
        load_task("toy-mnist", features=[0])


def test_a_new_idx_set_trains_evaluates_and_draws_its_samples_with_no_other_edit(toy_mnist, tmp_path, capsys):
    out = tmp_path / "run"
    run = runs.train_run("softmax", "toy-mnist", out, overrides=dict(epochs=30, batch_size=16),
                         verbose=False)  # what `scratch train softmax --data toy-mnist` calls
    assert run["splits"]["test"]["samples"] == 30 and run["metrics"]["test"]["accuracy"] == 1.0
    assert cli.main(["evaluate", str(out)]) == 0 and "accuracy 100.00 %" in capsys.readouterr().out
    figure = figures.samples(tmp_path / "samples.png", data="toy-mnist")
    assert "Toy-MNIST" in figure.texts[0].get_text() + "".join(ax.get_title() for ax in figure.axes)
    with pytest.raises(ValueError, match="data must be one of .*'toy-mnist'"):  # known to the registry's message too
        load_task("kmnist")


def test_the_parser_refuses_a_table_for_show_samples_and_figures_say_why(capsys, tmp_path):
    assert cli.main(["show", "samples", "--data", "iris", "--out", str(tmp_path / "s.png")]) == 2
    assert "invalid choice: 'iris'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="data must be an image set, one of mnist, fashion-mnist; got 'iris'"):
        figures.samples(tmp_path / "s.png", data="iris")


# ---- a run reports its metrics first, scoring each split with one forward pass
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


# ---- the lecture's demo on real data (reference figures: ../shared/DATA.md)
@pytest.mark.slow
@pytest.mark.parametrize("data, target", [("mnist", 0.926), ("fashion-mnist", 0.844)])
def test_default_recipe_of_scratch_train_matches_scikit_learn_lbfgs(data, target):
    """`scratch train softmax --data DATA`'s final model (its recipe, chosen on the validation split,
    refitted on all 60,000 training images) reaches scikit-learn's LogisticRegression: 92.66 % on
    MNIST, 84.43 % on Fashion-MNIST (lbfgs, C = 1, same 60,000 images; ../shared/DATA.md)."""
    task, model = _final_softmax(data)
    assert model.score(task.X_test, task.y_test) >= target


@functools.cache
def _final_softmax(data):
    """(task, final model) of `scratch train softmax --data DATA`: its recipe refitted on the whole training split."""
    task = load_or_skip(lambda: load_task(data, model="softmax"))
    model, _ = train_on_task("softmax", task.whole_training_split(), recipe_for("softmax", data), verbose=False)
    return task, model


@pytest.mark.slow
@pytest.mark.parametrize("data, name", [("mnist", "MNIST"), ("fashion-mnist", "Fashion-MNIST")])
def test_readme_shows_the_recipe_and_accuracies_scratch_train_reaches(data, name):
    """README's "Latest measured results" row: the recipe, the monitored run's validation accuracy and the
    final model's test accuracy, as `scratch train softmax --data DATA` computes them."""
    row = next(line for line in README.read_text(encoding="utf-8").splitlines()
               if line.startswith(f"| {name} | ") and " epochs, batch " in line)
    recipe = recipe_for("softmax", data)
    task, model = _final_softmax(data)
    _, history = train_on_task("softmax", task, recipe, verbose=False)
    assert row.split(" | ")[1:4] == [f"{recipe['epochs']} epochs, batch {recipe['batch_size']}, lr {recipe['lr']:g}",
                                     f"{100 * history.val_score[-1]:.2f} %",
                                     f"**{100 * model.score(task.X_test, task.y_test):.2f} %**"]
