"""scratch train's options for the slides' data: --classes (slide 28's two Iris classes) and boston-mass."""

import json

import numpy as np
import pytest

from scratch import cli
from scratch.cli.tasks import load_task


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
