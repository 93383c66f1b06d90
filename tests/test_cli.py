"""The ``scratch`` command end to end: slides, train → evaluate → predict, gradcheck, splits, errors."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import scratch
from scratch import cli, datasets
from scratch.cli import choices, painter, recipes, runs, slides, tasks
from scratch.cli.runs import load_run
from scratch.preprocessing import ScalePixels, Standardize

from conftest import (
    assert_one_error_line,
    assert_pngs,
    assert_raises_naming,
    case,
    CommandLineError,
    run,
    run_python,
    scratch_command,
)


def folder_bytes(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    """One softmax run on iris, trained once for the tests that only read it."""
    out = tmp_path_factory.mktemp("runs") / "iris"
    assert cli.main(["train", "softmax", "--data", "iris", "--epochs", "30", "--quiet", "--out", str(out)]) == 0
    return out


# ---- slides, gradcheck, help --------------------------------------------------------------
@pytest.mark.slow
def test_slides_reproduces_every_lecture_value(capsys):
    status, out, _ = run(capsys, "slides")
    assert status == 0
    assert "| NO" not in out
    n = len(slides.lecture_checks())
    assert f"{n} of {n} lecture values reproduced" in out
    assert "1.0530" in out and "128.55" in out and "0.65815" in out


def test_slides_exits_nonzero_when_a_value_disagrees(capsys, monkeypatch):
    wrong = slides.Check("x", "a deliberately wrong value", "1.0", np.array(2.0), rule="exact")
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
    assert set(tasks.ACTIVATIONS) == {"relu", "sigmoid", "softmax", "tanh"}  # every activation layer of scratch.nn
    task = tasks.load_task("iris")
    net = tasks.parse_sequential("dense:8,relu,dense,softmax", 4, 3, seed=0)
    assert [type(layer).__name__ for layer in net.layers] == ["Linear", "ReLU", "Linear", "Softmax"]
    assert type(tasks.build_model("softmax", task)).__name__ == "SoftmaxRegression"


# ---- train → evaluate → predict -----------------------------------------------------------------
def test_train_evaluate_predict_round_trip_on_iris(capsys, tmp_path):
    out_dir = tmp_path / "iris"
    status, out, _ = run(capsys, "train", "softmax", "--data", "iris", "--epochs", "30", "--out", out_dir)
    assert status == 0, out
    assert out.count("\nepoch ") + out.startswith("epoch ") == 15  # a progress line every second epoch of 30 (about 20 in all)
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
    from scratch import plots  # runs imports it only to draw

    titles = []
    real = plots.plot_history
    monkeypatch.setattr(plots, "plot_history", lambda *a, **kw: titles.append(kw["title"]) or real(*a, **kw))
    monkeypatch.setattr(painter, "available_cpus", lambda: 1)  # drawn in this process, where it is watched
    assert run(capsys, "train", "softmax", "--data", "iris", "--epochs", "2", "--quiet", "--out", tmp_path / "r")[0] == 0
    assert "validation: 12 samples held out of the training split" in titles[0]


def test_recipes_are_one_public_table_read_by_the_command_line():
    assert recipes.recipe_for("softmax", "mnist") == recipes.RECIPES[("softmax", "mnist")]
    assert recipes.recipe_for("dense:8,relu,dense", "iris", {"epochs": 3, "lr": None})["epochs"] == 3
    assert recipes.recipe_for("dense:8,relu,dense", "iris")["lr"] == recipes.RECIPES[("*", "tabular")]["lr"]


# ---- item 3: one preprocessing path, whatever the file (the pixel rule: tests/test_preprocessing.py) ---------
@pytest.mark.slow
def test_predict_and_evaluate_read_the_test_split_as_the_saved_model_does(capsys, mnist_run):
    model, task, _ = load_run(mnist_run)
    assert model.transform == ScalePixels()
    expected = [f"sample {i}: {task.class_names[k]}   (true: {task.class_names[t]})"
                for i, (k, t) in enumerate(zip(model.predict(task.X_test[:3]), task.y_test[:3]))]
    status, out, _ = run(capsys, "predict", mnist_run, "--limit", "3")
    assert status == 0 and out.splitlines() == expected
    status, out, _ = run(capsys, "evaluate", mnist_run)
    assert status == 0 and f"accuracy {100 * model.score(task.X_test, task.y_test):.2f} %" in out


@pytest.mark.slow
def test_real_mnist_run_monitors_6000_held_out_images_refits_on_60000_and_writes_every_figure(mnist_run):
    saved = json.loads((mnist_run / "run.json").read_text())
    assert [saved["splits"][s]["samples"] for s in ("train", "validation", "test")] == [60000, 6000, 10000]
    assert saved["metrics"]["test"]["accuracy"] > 0.90
    assert_pngs(mnist_run, ["history.png", "confusion.png", "predictions.png", "weights.png"])


@pytest.mark.slow
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
    ("draw_history", KeyboardInterrupt(), 130),
    ("final_figures", KeyboardInterrupt(), 130),
    ("draw_history", OSError(28, "No space left on device", "history.png"), 1),
    ("final_figures", OSError(28, "No space left on device", "confusion.png"), 1),
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
    assert child.returncode == 0 and err == b""  # the command's own status: every value reproduced


def test_a_closed_stdout_loses_the_output_but_not_the_work(tmp_path):
    child = subprocess.run([sys.executable, "-m", "scratch", "show", "curves", "--out", str(tmp_path / "c.png")],
                           preexec_fn=lambda: os.close(1), stderr=subprocess.PIPE, timeout=120)
    assert child.returncode == 0 and child.stderr == b"" and (tmp_path / "c.png").stat().st_size > 0


def test_train_piped_into_head_still_trains_and_saves_its_run(tmp_path):
    """`scratch train … | head -1`: the reader goes after one line; the run is still written, exit 0."""
    out = tmp_path / "run"
    child = subprocess.Popen([sys.executable, "-m", "scratch", "train", "softmax", "--data", "iris", "--epochs", "30",
                              "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.readline()
    child.stdout.close()
    _, err = child.communicate(timeout=120)
    assert child.returncode == 0 and err == b""
    assert (out / "run.json").is_file() and (out / "model.npz").is_file()


def test_a_run_json_nested_too_deeply_is_a_damaged_file_not_a_traceback(capsys, iris_run, tmp_path):
    damaged = tmp_path / "deep"
    damaged.mkdir()
    for path in iris_run.iterdir():
        (damaged / path.name).write_bytes(path.read_bytes())
    (damaged / "run.json").write_text("[" * 100_000)
    status, _, err = run(capsys, "evaluate", damaged)
    assert status == 1 and "run.json is damaged" in err
    assert_one_error_line(err)


def test_a_damaged_run_json_gets_a_clear_error(capsys, iris_run, tmp_path):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for path in iris_run.iterdir():
        (damaged / path.name).write_bytes(path.read_bytes())
    (damaged / "run.json").write_text('{"task": {"data": "iris"')
    status, _, err = run(capsys, "evaluate", damaged)
    assert status == 1 and "run.json is damaged" in err  # a failure, not a usage error (2)
    assert_one_error_line(err)


def test_a_damaged_model_file_is_a_failure_exit_1_not_a_usage_error(capsys, iris_run, tmp_path):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for path in iris_run.iterdir():
        (damaged / path.name).write_bytes(path.read_bytes())
    (damaged / "model.npz").write_bytes((damaged / "model.npz").read_bytes()[:100])
    for command in ("evaluate", "predict", "export"):
        status, _, err = run(capsys, command, damaged)
        assert status == 1 and "not a readable scratch model file" in err
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


def test_train_threads_option_reaches_both_fits_and_a_bad_count_is_a_usage_error(capsys, tmp_path, monkeypatch):
    given = []
    real = runs.fit
    monkeypatch.setattr(runs, "fit", lambda *a, **kw: given.append(kw["threads"]) or real(*a, **kw))
    assert run(capsys, *IRIS, tmp_path / "r", "--threads", "1")[0] == 0
    assert run(capsys, *IRIS, tmp_path / "s")[0] == 0
    assert given == [1, 1, None, None]  # the monitored run and the refit; unset: scratch.threads chooses
    status, _, err = run(capsys, *IRIS, tmp_path / "t", "--threads", "0")
    assert status == 2 and "--threads" in err
    assert_one_error_line(err)


# ---- the run folder survives its neighbours ----------------------------------------------------
def test_overwrite_replaces_only_what_scratch_wrote(capsys, tmp_path):
    assert run(capsys, *IRIS, tmp_path / "r")[0] == 0
    (tmp_path / "r" / "notes.txt").write_text("my notes")
    before = folder_bytes(tmp_path / "r")
    status, _, err = run(capsys, *IRIS, tmp_path / "r", "--seed", "1", "--overwrite")
    assert status == 2 and "holds files scratch did not write (notes.txt)" in err
    assert_one_error_line(err)
    assert folder_bytes(tmp_path / "r") == before


def test_a_run_that_appears_in_out_while_training_is_kept_and_so_is_this_one(capsys, tmp_path, monkeypatch):
    """Two runs racing for one --out: the second does not replace the first; it is saved beside it, exit 1."""
    out, real_fit, other = tmp_path / "r", runs.fit, []

    def fit_while_another_run_lands(*args, **kwargs):
        if not other:
            other.append("started")
            assert cli.main([*IRIS, str(out)]) == 0  # the other run (seed 0) lands in --out first
            other.append(folder_bytes(out))
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(runs, "fit", fit_while_another_run_lands)
    status, _, err = run(capsys, *IRIS, out, "--seed", "1")
    assert status == 1 and "changed while this run trained" in err
    assert_one_error_line(err)
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("r-")]
    assert len(kept) == 1 and (kept[0] / "run.json").is_file() and (kept[0] / "model.npz").is_file()
    assert json.loads((kept[0] / "run.json").read_text())["task"]["seed"] == 1
    assert json.loads((out / "run.json").read_text())["task"]["seed"] == 0 and folder_bytes(out) == other[1]


def test_export_refuses_to_write_over_the_runs_own_files(capsys, iris_run, tmp_path):
    before = folder_bytes(iris_run)
    for name in ("model.npz", "run.json", "history.png"):
        status, _, err = run(capsys, "export", iris_run, "--out", iris_run / name)
        assert status == 2 and "is a file of the run itself" in err
        assert_one_error_line(err)
    assert folder_bytes(iris_run) == before


@pytest.mark.parametrize("edit, fragment", [
    (lambda run_json: run_json["task"].update(classes=["setosa", "virginica"]), "does not fit the task"),
    (lambda run_json: run_json["task"].update(data="boston", model="linear"), "does not fit the task"),
])
def test_a_model_that_does_not_fit_its_runs_task_is_a_damaged_run(capsys, iris_run, tmp_path, edit, fragment):
    damaged = tmp_path / "edited"
    damaged.mkdir()
    for path in iris_run.iterdir():
        (damaged / path.name).write_bytes(path.read_bytes())
    run_json = json.loads((damaged / "run.json").read_text())
    edit(run_json)
    (damaged / "run.json").write_text(json.dumps(run_json))
    for command in ("evaluate", "predict"):
        status, _, err = run(capsys, command, damaged)
        assert status == 1 and fragment in err
        assert_one_error_line(err)


def test_predict_proba_shows_the_most_probable_classes_with_probabilities_summing_below_one(capsys, iris_run):
    status, out, _ = run(capsys, "predict", iris_run, "--limit", "4", "--proba")
    lines = out.splitlines()
    assert status == 0 and len(lines) == 4
    model, task, _ = load_run(iris_run)
    expected = model.predict_proba(task.X_test[:4])
    for line, p in zip(lines, expected):
        shown = [float(part.split("(")[1].split(" %")[0]) for part in line.split(": ", 1)[1].split("   (true")[0].split(", ")]
        np.testing.assert_allclose(shown, np.round(100 * np.sort(p)[::-1], 2), atol=0.006)
        assert line.split(": ")[1].startswith(task.class_names[int(np.argmax(p))])
    status, out, _ = run(capsys, "predict", iris_run, "--limit", "2", "--proba", "1")
    assert status == 0 and all(line.count("%") == 1 for line in out.splitlines())


def test_help_is_plain_text_without_markup(capsys):
    status, out, _ = run(capsys, "--help")
    assert status == 0 and "``" not in out and "scratch predict runs/softmax-mnist" in out


def test_figures_drawn_beside_the_training_are_the_ones_drawn_after_it(capsys, tmp_path, monkeypatch):
    """On two CPUs a second process draws (the history during the refit); on one, this process: same files."""
    monkeypatch.setattr(painter, "available_cpus", lambda: 2)
    assert run(capsys, *IRIS, tmp_path / "beside")[0] == 0
    monkeypatch.setattr(painter, "available_cpus", lambda: 1)
    assert run(capsys, *IRIS, tmp_path / "after")[0] == 0
    beside, after = folder_bytes(tmp_path / "beside"), folder_bytes(tmp_path / "after")
    assert sorted(beside) == sorted(after) == ["confusion.png", "history.png", "model.npz", "run.json"]
    for name in ("confusion.png", "history.png", "model.npz"):
        assert beside[name] == after[name], name


def test_a_figure_failing_in_a_process_of_its_own_fails_the_command_and_writes_no_run(capsys, tmp_path, monkeypatch):
    """With two test figures the second is drawn in a process forked for it: its error is the command's."""
    from scratch import plots

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device", "boundary.png")

    monkeypatch.setattr(painter, "available_cpus", lambda: 2)
    monkeypatch.setattr(plots, "plot_decision_boundary", full_disk)
    status, _, err = run(capsys, "train", "logistic", "--data", "iris", "--features", "2,3", "--epochs", "2",
                         "--quiet", "--out", tmp_path / "r")
    assert status == 1 and "No space left on device" in err
    assert_one_error_line(err)
    assert list(tmp_path.iterdir()) == []


# ---- bad input: the tasks and the command line (each call raises the error type and names the argument; conftest.case)
IRIS_TASK = tasks.load_task("iris")


def command_case(case_id, argument, *argv):
    """A ``scratch <argv>`` row: a usage error (status 2) whose error line names ``argument``."""
    return case(case_id, scratch_command, CommandLineError, argument, argv=list(argv))


IRIS_TRAIN = ("train", "softmax", "--data", "iris", "--epochs", "1", "--out", "/nonexistent/never-written")


BAD_INPUT_TABLE = [
    case("load_task-data-unknown", tasks.load_task, ValueError, "data", data="cifar10"),
    case("load_task-test_fraction-1", tasks.load_task, ValueError, "test_fraction", data="iris", test_fraction=1.0),
    case("load_task-test_fraction-string", tasks.load_task, TypeError, "test_fraction",
         data="iris", test_fraction="0.2"),
    case("load_task-features-out-of-range", tasks.load_task, ValueError, "features", data="iris", features=[4]),
    case("load_task-features-string", tasks.load_task, TypeError, "features", data="iris", features="ab"),
    case("load_task-positive_class-unknown", tasks.load_task, ValueError, "positive_class", data="iris",
         model="logistic", positive_class="rose"),
    case("load_task-model-mismatch", tasks.load_task, ValueError, "model", data="iris", model="linear"),
    case("load_task-validation_fraction-0", tasks.load_task, ValueError, "validation_fraction", data="iris",
         validation_fraction=0.0),
    case("build_model-spec-unknown", tasks.build_model, ValueError, "model", spec="perceptron", task=IRIS_TASK),
    case("build_model-dtype-int", tasks.build_model, TypeError, "dtype", spec="softmax", task=IRIS_TASK, dtype=int),
    command_case("cli-data-unknown", "--data", "train", "softmax", "--data", "cifar"),
    command_case("cli-lr-negative", "lr", *IRIS_TRAIN, "--lr", "-1"),
    command_case("cli-batch-size-0", "--batch-size", *IRIS_TRAIN, "--batch-size", "0"),
    command_case("cli-epochs-string", "--epochs", *IRIS_TRAIN, "--epochs", "many"),
    command_case("cli-features-not-integers", "--features", *IRIS_TRAIN, "--features", "a,b"),
    command_case("cli-momentum-negative", "momentum", *IRIS_TRAIN, "--momentum", "-0.9"),
    command_case("cli-weight-decay-negative", "weight_decay", *IRIS_TRAIN, "--weight-decay", "-1"),
    command_case("cli-seed-negative", "seed", *IRIS_TRAIN, "--seed", "-1"),
    command_case("cli-model-unknown", "model", "train", "perceptron", "--data", "iris"),
    command_case("cli-gradcheck-tol-0", "--tol", "gradcheck", "--tol", "0"),
    command_case("cli-gradcheck-tol-nan", "--tol", "gradcheck", "--tol", "nan"),
    command_case("cli-features-with-image-data", "features", *IRIS_TRAIN, "--data", "mnist", "--features", "1"),
    command_case("cli-positive-class-with-softmax", "positive_class", *IRIS_TRAIN, "--positive-class", "setosa"),
    command_case("cli-predict-limit-0", "--limit", "predict", "/nonexistent/run", "--limit", "0"),
]


@pytest.mark.parametrize("call, kwargs, error, argument", BAD_INPUT_TABLE)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    assert_raises_naming(call, kwargs, error, argument)


# ---- the command line answers --help without the numerical stack (speed: benchmarks/)
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


def test_the_package_exports_load_on_first_use_and_dir_lists_them():
    assert run_python("import sys, scratch; print('numpy' in sys.modules)").strip() == "False"
    from scratch import fit
    from scratch.models import SoftmaxRegression
    from scratch.training import fit as training_fit

    assert fit is training_fit and scratch.SoftmaxRegression is SoftmaxRegression
    assert set(scratch.__all__) <= set(dir(scratch))
    with pytest.raises(AttributeError, match="no attribute 'SoftMaxRegression'"):
        scratch.SoftMaxRegression  # noqa: B018


@pytest.mark.parametrize("preset, expected", [(None, "0"), ("1", "1")])
def test_the_command_asks_numpy_for_ordinary_pages_unless_the_user_chose(preset, expected):
    """NUMPY_MADVISE_HUGEPAGE defaults to 0 in the command (before NumPy is imported); a user's value stands."""
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if preset is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = preset
    code = ("import contextlib, io, os, scratch.cli as cli\n"
            "with contextlib.redirect_stdout(io.StringIO()): cli.main(['--help'])\n"
            "import numpy\nprint(os.environ['NUMPY_MADVISE_HUGEPAGE'])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.split() == [expected], out.stderr
