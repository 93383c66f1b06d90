"""The ``scratch`` command end to end: slides, train → evaluate → predict, gradcheck, splits, errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

from scratch import cli, datasets
from scratch.cli import recipes, runs, slides, tasks
from scratch.cli.runs import load_run
from scratch.datasets import DataNotFoundError, load_mnist
from scratch.preprocessing import ScalePixels, Standardize

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(capsys, *argv):
    """(exit status, stdout, stderr) of the scratch command."""
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_error_line(err):
    assert err.startswith("scratch: error: ") and err.count("\n") == 1 and "Traceback" not in err, err


def assert_pngs(folder, names):
    for name in names:
        assert (folder / name).read_bytes()[:8] == PNG_SIGNATURE, name


def folder_bytes(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    """One softmax run on iris, trained once for the tests that only read it."""
    out = tmp_path_factory.mktemp("runs") / "iris"
    assert cli.main(["train", "softmax", "--data", "iris", "--epochs", "30", "--quiet", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory):
    try:
        load_mnist()
    except DataNotFoundError as exc:
        pytest.skip(str(exc))
    out = tmp_path_factory.mktemp("runs") / "mnist"
    assert cli.main(["train", "softmax", "--data", "mnist", "--epochs", "1", "--quiet", "--out", str(out)]) == 0
    return out


# ---- slides, gradcheck, help --------------------------------------------------------------
def test_slides_reproduces_every_lecture_value(capsys):
    status, out, _ = run(capsys, "slides")
    assert status == 0
    assert "| NO" not in out
    n = len(slides.lecture_checks())
    assert f"{n} of {n} lecture values reproduced" in out
    assert "1.0530" in out and "128.55" in out and "0.65815" in out


def test_slides_exits_nonzero_when_a_value_disagrees(capsys, monkeypatch):
    wrong = slides.Check("x", "a deliberately wrong value", "1.0", np.array(2.0), np.array(0.1))
    monkeypatch.setattr(slides, "lecture_checks", lambda: [wrong])
    status, out, _ = run(capsys, "slides")
    assert status == 1
    assert "| NO" in out


def test_gradcheck_table_passes(capsys):
    status, out, _ = run(capsys, "gradcheck", "--no-torch")
    assert status == 0
    assert "SoftmaxRegression" in out and "cross_entropy" in out


def test_python_dash_m_scratch_help_states_the_splits_and_the_input_rule():
    def help_text(*argv):
        result = subprocess.run([sys.executable, "-m", "scratch", *argv, "--help"], capture_output=True, text=True,
                                timeout=60)
        assert result.returncode == 0
        return " ".join(result.stdout.split())

    for command in ("slides", "train", "evaluate", "predict", "gradcheck"):
        assert command in help_text()
    assert "training split minus a validation split" in help_text("train")
    assert "integers 0-255 or floats in [0, 1]" in help_text("predict")


# ---- the model parser reads the classes' declarations ------------------------------------------
def test_model_and_layer_names_come_from_the_classes():
    assert tasks.MODEL_NAMES == ("linear", "logistic", "softmax")
    assert set(tasks.ACTIVATIONS) == {"relu", "sigmoid", "softmax"}
    task = tasks.load_task("iris")
    net = tasks.parse_sequential("dense:8,relu,dense,softmax", 4, 3, seed=0)
    assert [type(layer).__name__ for layer in net.layers] == ["Linear", "ReLU", "Linear", "Softmax"]
    assert type(tasks.build_model("softmax", task)).__name__ == "SoftmaxRegression"


# ---- train → evaluate → predict -----------------------------------------------------------------
def test_train_evaluate_predict_round_trip_on_iris(capsys, tmp_path):
    out_dir = tmp_path / "iris"
    status, out, _ = run(capsys, "train", "softmax", "--data", "iris", "--epochs", "30", "--out", out_dir)
    assert status == 0, out
    assert out.count("epoch") >= 30  # one progress line per epoch
    saved = json.loads((out_dir / "run.json").read_text())
    assert saved["metrics"]["test"]["accuracy"] >= 0.8
    assert_pngs(out_dir, saved["figures"])
    assert {"history.png", "confusion.png"} <= set(saved["figures"])
    assert not list(tmp_path.glob(".scratch-*"))  # the temporary folder is gone

    status, out, _ = run(capsys, "evaluate", out_dir)
    assert status == 0
    assert f"accuracy {100 * saved['metrics']['test']['accuracy']:.2f} %" in out

    model, task, _ = load_run(out_dir)
    status, out, _ = run(capsys, "predict", out_dir, "--limit", "5")
    expected = model.predict(task.X_test[:5])
    assert [line.split(": ")[1].split()[0] for line in out.strip().splitlines()] == [task.class_names[i] for i in expected]


def test_train_writes_regression_and_decision_boundary_figures(capsys, tmp_path):
    status, _, _ = run(capsys, "train", "linear", "--data", "house-prices", "--epochs", "20", "--quiet",
                       "--out", tmp_path / "house")
    assert status == 0
    assert_pngs(tmp_path / "house", ["history.png", "fit.png"])
    status, _, _ = run(capsys, "train", "logistic", "--data", "iris", "--features", "2,3", "--epochs", "20",
                       "--quiet", "--out", tmp_path / "boundary")
    assert status == 0
    assert_pngs(tmp_path / "boundary", ["boundary.png", "confusion.png"])


def test_train_sequential_spec(capsys, tmp_path):
    status, out, _ = run(capsys, "train", "dense:8,relu,dense", "--data", "iris", "--epochs", "5", "--quiet",
                         "--out", tmp_path / "mlp")
    assert status == 0, out
    model, _, _ = load_run(tmp_path / "mlp")
    assert sorted(model.params) == ["0.bias", "0.weight", "2.bias", "2.weight"]


# ---- item 4: validation held out of the training split, test scored once ---------------------------
def test_validation_split_is_a_seeded_tenth_of_the_training_split_disjoint_from_test():
    task = tasks.load_task("house-prices", model="linear", seed=0)
    rows = [set(X[:, 0]) for X in (task.X_train, task.X_val, task.X_test)]  # the areas are distinct draws
    assert [len(r) for r in rows] == [72, 8, 20]
    assert not (rows[0] & rows[1]) and not (rows[1] & rows[2]) and not (rows[0] & rows[2])
    assert rows[0] | rows[1] | rows[2] == set(datasets.make_house_prices(seed=0).X[:, 0])
    np.testing.assert_array_equal(tasks.load_task("house-prices", model="linear", seed=0).X_val, task.X_val)
    assert not np.array_equal(tasks.load_task("house-prices", model="linear", seed=1).X_val, task.X_val)


def test_run_monitors_validation_scores_test_once_and_fits_on_train_minus_validation(
        capsys, tmp_path, monkeypatch):
    fitted_rows = []
    real_fit = runs.fit
    monkeypatch.setattr(runs, "fit", lambda model, X, y, **kw: fitted_rows.append(len(X)) or real_fit(model, X, y, **kw))
    status, _, _ = run(capsys, "train", "softmax", "--data", "iris", "--epochs", "10", "--quiet", "--out", tmp_path / "r")
    assert status == 0
    saved = json.loads((tmp_path / "r" / "run.json").read_text())
    model, task, _ = load_run(tmp_path / "r")
    whole = task.whole_training_split()
    # the monitored run sees the training split minus validation; the final model all of it
    assert fitted_rows == [len(task.X_train), len(whole.X_train)] == [len(whole.X_train) - len(task.X_val),
                                                                       saved["splits"]["train"]["samples"]]
    assert {"train", "validation", "test"} == set(saved["metrics"]) == set(saved["splits"])
    assert "validation" in saved["splits"]["train"]["role"] and "once" in saved["splits"]["test"]["role"]
    # per-epoch monitoring is the validation split, not the test split
    assert saved["history"]["val_score"][-1] == saved["metrics"]["validation"]["accuracy"]
    assert saved["metrics"]["test"]["accuracy"] == model.score(task.X_test, task.y_test)
    # the saved model's standardisation is fitted on the rows it is trained on
    assert model.transform == Standardize.from_data(whole.X_train)


def test_history_figure_says_its_validation_is_held_out_of_training(capsys, tmp_path, monkeypatch):
    titles = []
    real = runs.plots.plot_history
    monkeypatch.setattr(runs.plots, "plot_history", lambda *a, **kw: titles.append(kw["title"]) or real(*a, **kw))
    assert run(capsys, "train", "softmax", "--data", "iris", "--epochs", "2", "--quiet", "--out", tmp_path / "r")[0] == 0
    assert "validation: 12 samples held out of the training split" in titles[0]


def test_recipes_are_one_public_table_read_by_the_command_line():
    assert recipes.recipe_for("softmax", "mnist") == recipes.RECIPES[("softmax", "mnist")]
    assert recipes.recipe_for("dense:8,relu,dense", "iris", {"epochs": 3, "lr": None})["epochs"] == 3
    assert recipes.recipe_for("dense:8,relu,dense", "iris")["lr"] == recipes.RECIPES[("*", "tabular")]["lr"]


# ---- item 3: one preprocessing path, whatever the file (the pixel rule: tests/test_pixels.py) ---------
def test_predict_and_evaluate_read_the_test_split_as_the_saved_model_does(capsys, mnist_run):
    model, task, _ = load_run(mnist_run)
    assert model.transform == ScalePixels()
    expected = [f"sample {i}: {task.class_names[k]}   (true: {task.class_names[t]})"
                for i, (k, t) in enumerate(zip(model.predict(task.X_test[:3]), task.y_test[:3]))]
    status, out, _ = run(capsys, "predict", mnist_run, "--limit", "3")
    assert status == 0 and out.splitlines() == expected
    status, out, _ = run(capsys, "evaluate", mnist_run)
    assert status == 0 and f"accuracy {100 * model.score(task.X_test, task.y_test):.2f} %" in out


def test_real_mnist_run_monitors_6000_held_out_images_refits_on_60000_and_writes_every_figure(mnist_run):
    saved = json.loads((mnist_run / "run.json").read_text())
    assert [saved["splits"][s]["samples"] for s in ("train", "validation", "test")] == [60000, 6000, 10000]
    assert saved["metrics"]["test"]["accuracy"] > 0.90
    assert_pngs(mnist_run, ["history.png", "confusion.png", "predictions.png", "weights.png"])


def test_predict_refuses_an_image_of_the_wrong_size_saying_how_to_convert(capsys, mnist_run):
    status, _, err = run(capsys, "predict", mnist_run, "--input", mnist_run / "weights.png")
    assert status == 2 and "28 × 28 grayscale" in err and "resize((28, 28))" in err
    assert_one_error_line(err)


def test_predict_on_raw_tabular_rows_applies_the_saved_standardisation(capsys, iris_run, tmp_path):
    model, task, saved = load_run(iris_run)
    np.savetxt(tmp_path / "rows.csv", task.X_test, delimiter=",")  # raw centimetres, not standardised
    status, out, _ = run(capsys, "predict", iris_run, "--input", tmp_path / "rows.csv")
    predicted = [task.class_names.index(line.split(": ")[1]) for line in out.splitlines()]
    assert status == 0
    assert np.mean(np.array(predicted) == task.y_test) == saved["metrics"]["test"]["accuracy"]


# ---- item 6: errors as one line, run folders never half-written --------------------------------------
IRIS = ("train", "softmax", "--data", "iris", "--epochs", "2", "--quiet", "--out")


def test_out_at_a_file_or_at_a_folder_that_is_not_a_run_is_refused(capsys, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    for out, fragment in ((tmp_path / "notes.txt", "is a file"), (tmp_path, "not a scratch run")):
        status, _, err = run(capsys, *IRIS, out)
        assert status == 2 and fragment in err
        assert_one_error_line(err)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_out_where_no_folder_can_be_written_is_refused_before_any_training(capsys, tmp_path, monkeypatch):
    trained = []
    monkeypatch.setattr("scratch.cli.runs.train_on_task", lambda *a, **k: trained.append(1))
    (tmp_path / "notes.txt").write_text("keep me")
    status, _, err = run(capsys, *IRIS, tmp_path / "notes.txt" / "run")
    assert status == 1 and "--out" in err and "cannot write a run folder there" in err and not trained
    assert_one_error_line(err)


@pytest.mark.parametrize("out, fragment", [("/dev/null", "not a regular file"), (".", "is a directory")])
def test_show_refuses_a_device_or_a_folder_as_its_png(capsys, tmp_path, monkeypatch, out, fragment):
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "show", "graph", "--out", out)
    assert status == 1 and fragment in err
    assert_one_error_line(err)


def test_replacing_a_run_needs_overwrite(capsys, tmp_path):
    assert run(capsys, *IRIS, tmp_path / "r")[0] == 0
    before = folder_bytes(tmp_path / "r")
    status, _, err = run(capsys, *IRIS, tmp_path / "r", "--seed", "1")
    assert status == 2 and "--overwrite" in err and folder_bytes(tmp_path / "r") == before
    assert run(capsys, *IRIS, tmp_path / "r", "--seed", "1", "--overwrite")[0] == 0
    assert folder_bytes(tmp_path / "r")["model.npz"] != before["model.npz"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


@pytest.mark.parametrize("where, error, status", [
    ("draw_figures", KeyboardInterrupt(), 130),
    ("draw_figures", OSError(28, "No space left on device", "history.png"), 1),
])
def test_an_interrupt_or_full_disk_while_writing_leaves_the_previous_run_whole(
        capsys, tmp_path, monkeypatch, where, error, status):
    assert run(capsys, *IRIS, tmp_path / "r")[0] == 0
    before = folder_bytes(tmp_path / "r")

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(runs, where, fail)
    got, _, err = run(capsys, *IRIS, tmp_path / "r", "--seed", "1", "--overwrite")
    assert got == status
    assert_one_error_line(err)
    assert folder_bytes(tmp_path / "r") == before
    got, _, _ = run(capsys, *IRIS, tmp_path / "new")
    assert got == status and sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # nothing half-written


def test_a_closed_pipe_ends_quietly(tmp_path):
    child = subprocess.Popen([sys.executable, "-m", "scratch", "slides"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    child.stdout.close()  # the reader is gone before the first line is written
    _, err = child.communicate(timeout=60)
    assert child.returncode == 1 and err == b""


def test_a_damaged_run_json_gets_a_clear_error(capsys, iris_run, tmp_path):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for path in iris_run.iterdir():
        (damaged / path.name).write_bytes(path.read_bytes())
    (damaged / "run.json").write_text('{"task": {"data": "iris"')
    status, _, err = run(capsys, "evaluate", damaged)
    assert status == 2 and "run.json is damaged" in err
    assert_one_error_line(err)


@pytest.mark.parametrize(
    "argv, status, fragment",
    [
        (["train", "softmax"], 2, "--data"),  # missing required option
        (["train", "softmax", "--data", "cifar"], 2, "invalid choice"),
        (["train", "softmax", "--data", "iris", "--lr", "-1"], 2, "lr must be ≥ 0"),
        (["train", "perceptron", "--data", "iris"], 2, "unknown layer"),
        (["train", "linear", "--data", "iris"], 2, "regression model"),
        (["train", "logistic", "--data", "iris", "--positive-class", "rose"], 2, "positive_class"),
        (["train", "softmax", "--data", "iris", "--positive-class", "setosa"], 2, "Leave --positive-class out"),
        (["train", "softmax", "--data", "mnist", "--features", "2,3"], 2, "Leave --features out"),
        (["train", "softmax", "--data", "iris", "--features", "7"], 2, "features"),
        (["gradcheck", "--tol", "inf"], 2, "finite"),
        (["evaluate", "/nonexistent/run"], 1, "not a run folder"),
        (["predict", "/nonexistent/run"], 1, "not a run folder"),
        (["frobnicate"], 2, "invalid choice"),
    ],
)
def test_bad_arguments_exit_with_one_line_not_a_traceback(capsys, tmp_path, argv, status, fragment):
    got, out, err = run(capsys, *argv, *(["--out", tmp_path / "r"] if argv[0] == "train" and len(argv) > 3 else []))
    assert got == status
    assert fragment in err
    assert_one_error_line(err)
    assert not (tmp_path / "r").exists()
