"""Issue 12's numbers-and-state cases: no silent wrong result, the user's own value in every message."""

import re

import numpy as np
import pytest

import scratch
from scratch.nn import CrossEntropyLoss, Linear, Network, ReLU, Sequential
from scratch.training import TrainingDiverged, fit


@pytest.mark.parametrize("labels", [np.array([0, 1, 1e20]), np.array([0, 1, 2**64 - 1], dtype=np.uint64)])
def test_a_huge_label_is_reported_as_the_user_wrote_it(labels):
    model = scratch.SoftmaxRegression(2, 3)
    with pytest.raises(ValueError, match=re.escape(f"label {labels[-1]},")):
        fit(model, np.ones((3, 2)), labels, epochs=1, batch_size=2, lr=0.1)


def test_a_masked_array_is_refused_rather_than_read_without_its_mask():
    X = np.ma.masked_array([[1.0, 2.0], [3.0, 4.0]], mask=[[0, 1], [0, 0]])
    with pytest.raises(TypeError, match="masked array"):
        scratch.SoftmaxRegression(2, 3).predict(X)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix itself warns
def test_an_np_matrix_is_read_as_a_plain_array():
    model = scratch.SoftmaxRegression(2, 3, init="torch", seed=0)
    X = np.array([[1.0, 2.0], [3.0, -4.0], [0.5, 6.0]])
    assert np.array_equal(model.predict(np.asmatrix(X)), model.predict(X))
    assert model.predict(np.asmatrix(X)).shape == (3,)


def test_float64_input_beyond_float32_range_is_named_as_such():
    model = scratch.LinearRegression(2, dtype=np.float32)
    with pytest.raises(ValueError, match="beyond the range of the model's float32"):
        model.predict(np.array([[1e39, 0.0]]))


def test_a_diverging_network_raises_training_diverged_with_epoch_step_and_lr():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 4)) * 100, rng.integers(0, 3, 64)
    net = Network(Sequential(Linear(4, 16, seed=0), ReLU(), Linear(16, 3, seed=1)), CrossEntropyLoss())
    with pytest.raises(TrainingDiverged) as raised:
        fit(net, X, y, epochs=50, batch_size=8, lr=1e6, seed=0)
    assert raised.value.epoch >= 1 and raised.value.step >= 1 and raised.value.lr == 1e6


def test_fit_least_squares_names_x_for_a_nan():
    with pytest.raises(ValueError, match="X contains NaN"):
        scratch.LinearRegression(2).fit_least_squares(np.array([[1.0, np.nan], [2.0, 3.0]]), [1.0, 2.0])


def test_fit_refuses_an_optimizer_given_as_a_name():
    with pytest.raises(TypeError, match="optimizer"):
        fit(scratch.SoftmaxRegression(2, 3), np.ones((3, 2)), [0, 1, 2], epochs=1, batch_size=2, optimizer="sgd")
