"""Metrics: the confusion matrix against a brute-force count, accuracy and R² against their definitions."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scratch.metrics import accuracy, confusion_matrix, r2_score
from scratch import metrics

from conftest import assert_raises_naming, case


@st.composite
def label_pairs(draw):
    n_classes = draw(st.integers(1, 8))
    n = draw(st.integers(1, 50))
    labels = st.lists(st.integers(0, n_classes - 1), min_size=n, max_size=n)
    return np.array(draw(labels)), np.array(draw(labels)), n_classes


@given(label_pairs())
def test_confusion_matrix_equals_a_brute_force_count(pair):
    y_true, y_pred, n_classes = pair
    expected = np.zeros((n_classes, n_classes), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        expected[t, p] += 1
    counts = confusion_matrix(y_true, y_pred, n_classes)
    np.testing.assert_array_equal(counts, expected)
    assert counts.dtype == np.int64
    assert np.trace(counts) / len(y_true) == accuracy(y_true, y_pred)


def test_confusion_matrix_rows_are_true_classes_and_columns_predictions():
    assert confusion_matrix([0, 0, 1], [1, 1, 1], 2).tolist() == [[0, 2], [0, 1]]


def test_confusion_matrix_refuses_labels_outside_the_classes():
    with pytest.raises(ValueError, match="y_pred holds label 3, outside the 3 classes"):
        confusion_matrix([0, 1], [0, 3], 3)
    with pytest.raises(ValueError, match="same number of samples"):
        confusion_matrix([0, 1], [0], 2)


def test_r2_is_one_minus_residual_over_total_sum_of_squares():
    y, y_hat = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.5, 2.0, 2.5, 4.0])
    assert r2_score(y, y_hat) == pytest.approx(1 - 0.5 / 5.0, rel=1e-15)
    assert r2_score(y, np.full(4, y.mean())) == 0.0


def test_r2_matches_scikit_learn_including_constant_targets():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y, y_hat = rng.normal(size=30), rng.normal(size=30)
    assert r2_score(y, y_hat) == pytest.approx(metrics.r2_score(y, y_hat), rel=1e-12)
    assert r2_score(np.ones(3), np.ones(3)) == metrics.r2_score(np.ones(3), np.ones(3))
    assert r2_score(np.ones(3), [1.0, 2.0, 1.0]) == metrics.r2_score(np.ones(3), [1.0, 2.0, 1.0])


# ---- bad input: the metrics (each call raises the error type and names the argument; conftest.case)
BAD_INPUT_TABLE = [
    case("accuracy-y_pred-short", metrics.accuracy, ValueError, "y_pred", y_true=[0, 1], y_pred=[0]),
    case("r2_score-y_true-nan", metrics.r2_score, ValueError, "y_true", y_true=[0.0, np.nan], y_pred=[0.0, 1.0]),
    case("confusion_matrix-y_pred-label-3", metrics.confusion_matrix, ValueError, "y_pred",
         y_true=[0, 1], y_pred=[0, 3], n_classes=3),
]


@pytest.mark.parametrize("call, kwargs, error, argument", BAD_INPUT_TABLE)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    assert_raises_naming(call, kwargs, error, argument)
