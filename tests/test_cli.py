"""The ``scratch`` command end to end: slides, train → evaluate → predict, gradcheck, bad arguments."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from scratch import cli, slides
from scratch.datasets import DataNotFoundError, load_mnist
from scratch.runs import load_run

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(capsys, *argv):
    """(exit status, stdout, stderr) of the scratch command."""
    try:
        status = cli.main(list(argv))
    except SystemExit as exc:
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


def assert_pngs(folder, names):
    for name in names:
        assert (folder / name).read_bytes()[:8] == PNG_SIGNATURE, name


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


def test_train_evaluate_predict_round_trip_on_iris(capsys, tmp_path):
    out_dir = tmp_path / "iris"
    status, out, _ = run(capsys, "train", "softmax", "--data", "iris", "--epochs", "30", "--out", str(out_dir))
    assert status == 0, out
    assert out.count("epoch") >= 30  # one progress line per epoch
    saved = json.loads((out_dir / "run.json").read_text())
    assert saved["metrics"]["test"]["accuracy"] >= 0.85
    assert_pngs(out_dir, saved["figures"])
    assert {"history.png", "confusion.png"} <= set(saved["figures"])

    status, out, _ = run(capsys, "evaluate", str(out_dir))
    assert status == 0
    assert f"accuracy {100 * saved['metrics']['test']['accuracy']:.2f} %" in out

    model, task, _ = load_run(out_dir)
    status, out, _ = run(capsys, "predict", str(out_dir), "--limit", "5")
    expected = model.predict(task.model_input(task.X_test[:5]))
    assert [line.split(": ")[1].split()[0] for line in out.strip().splitlines()] == [task.class_names[i] for i in expected]


def test_train_writes_regression_and_decision_boundary_figures(capsys, tmp_path):
    status, _, _ = run(capsys, "train", "linear", "--data", "house-prices", "--epochs", "20", "--quiet",
                       "--out", str(tmp_path / "house"))
    assert status == 0
    assert_pngs(tmp_path / "house", ["history.png", "fit.png"])
    status, _, _ = run(capsys, "train", "logistic", "--data", "iris", "--features", "2,3", "--epochs", "20",
                       "--quiet", "--out", str(tmp_path / "boundary"))
    assert status == 0
    assert_pngs(tmp_path / "boundary", ["boundary.png", "confusion.png"])


def test_train_sequential_spec(capsys, tmp_path):
    status, out, _ = run(capsys, "train", "dense:8,relu,dense", "--data", "iris", "--epochs", "5", "--quiet",
                         "--out", str(tmp_path / "mlp"))
    assert status == 0, out
    model, _, _ = load_run(tmp_path / "mlp")
    assert sorted(model.params) == ["0.bias", "0.weight", "2.bias", "2.weight"]


def test_train_softmax_on_real_mnist_one_epoch(capsys, tmp_path):
    try:
        load_mnist()
    except DataNotFoundError as exc:
        pytest.skip(str(exc))
    status, out, _ = run(capsys, "train", "softmax", "--data", "mnist", "--epochs", "1", "--out", str(tmp_path))
    assert status == 0
    saved = json.loads((tmp_path / "run.json").read_text())
    assert saved["metrics"]["test"]["accuracy"] > 0.90
    assert_pngs(tmp_path, ["history.png", "confusion.png", "predictions.png", "weights.png"])

    model, task, _ = load_run(tmp_path)
    digit = tmp_path / "digit.png"
    Image.fromarray(np.asarray(task.X_test[0])).save(digit)
    status, out, _ = run(capsys, "predict", str(tmp_path), "--input", str(digit))
    assert status == 0
    expected = task.class_names[model.predict(task.model_input(task.X_test[:1], model.dtype))[0]]
    assert out.strip() == f"sample 0: {expected}"

    status, _, err = run(capsys, "predict", str(tmp_path), "--input", str(tmp_path / "weights.png"))
    assert status == 2 and "the run expects (28, 28)" in err


def test_gradcheck_table_passes(capsys):
    status, out, _ = run(capsys, "gradcheck", "--no-torch")
    assert status == 0
    assert "SoftmaxRegression" in out and "cross_entropy" in out


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["train", "softmax"], "--data"),  # missing required option
        (["train", "softmax", "--data", "cifar"], "invalid choice"),
        (["train", "softmax", "--data", "iris", "--lr", "-1"], "must be positive"),
        (["train", "perceptron", "--data", "iris"], "unknown layer"),
        (["train", "linear", "--data", "iris"], "regression model"),
        (["train", "logistic", "--data", "iris", "--positive-class", "rose"], "positive_class"),
        (["train", "softmax", "--data", "iris", "--features", "7"], "features"),
        (["evaluate", "/nonexistent/run"], "not a run folder"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_with_a_message_not_a_traceback(capsys, argv, fragment):
    status, out, err = run(capsys, *argv)
    assert status in (1, 2)
    assert fragment in err
    assert "Traceback" not in err + out


def test_python_dash_m_scratch_help():
    result = subprocess.run([sys.executable, "-m", "scratch", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for command in ("slides", "train", "evaluate", "predict", "gradcheck"):
        assert command in result.stdout
