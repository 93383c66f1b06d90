"""The lecture's worked numbers (/work/shared/LECTURE.md), each to the precision the slide prints.

Section 1 runs on scratch's Tensor; section 2 (autograd) is tested in test_autograd.py. Each
printed number is checked under the slide's own rule: slide 16 cuts its digits, slide 17
rounds them (``shown_as(exact, printed, decimals, rule)``), and the other rule must fail
where it would give other digits.
"""

import numpy as np
import pytest

from scratch.autograd import Tensor, cat
from scratch.losses import binary_cross_entropy_with_logits, mse_loss
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression


def shown_as(exact, printed, decimals, rule):
    """True when each printed number is the exact one cut (``rule="cut"``) or rounded to ``decimals``."""
    scale = 10.0 ** np.asarray(decimals)
    exact, printed = np.asarray(exact) * scale, np.round(np.asarray(printed) * scale)
    return bool(np.all((np.trunc(exact) if rule == "cut" else np.round(exact)) == printed))


# Section 1 — tensors, on scratch's Tensor


def test_broadcasting_adds_a_scalar_to_every_entry_and_keeps_int64():
    x = Tensor([[1, 2], [3, 4]])
    assert (x + 1).tolist() == [[2, 3], [4, 5]] and (x + 2).tolist() == [[3, 4], [5, 6]]
    assert (x + 1).dtype == np.int64


def test_squared_difference_and_its_mean_is_7_5():
    x, y = Tensor([1.0, 2, 3, 4]), 5.0
    assert ((x - y) ** 2).tolist() == [16, 9, 4, 1]
    assert ((x - y) ** 2).mean().item() == 7.5
    assert mse_loss(x.data, np.full(4, y)) == 7.5


def test_concatenation_along_rows_and_columns():
    x, y = Tensor([[1, 2], [3, 4]]), Tensor([[3, 4], [5, 6]])
    assert cat([x, y], axis=0).tolist() == [[1, 2], [3, 4], [3, 4], [5, 6]]
    assert cat([x, y], axis=1).tolist() == [[1, 2, 3, 4], [3, 4, 5, 6]]


def test_argmax_per_axis_sends_ties_to_the_first_index_as_torch_does():
    data = Tensor([[0, 4], [4, 3], [1, 1]])
    assert data.argmax(axis=0).tolist() == [1, 0]
    assert data.argmax(axis=1).tolist() == [1, 0, 0]  # row [1, 1] is a tie
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(torch.tensor(data.data).argmax(dim=1).numpy(), [1, 0, 0])


# Section 3 — one-sample linear regression, L = (ŷ − y)² (the mean over N = 1)


@pytest.fixture
def lecture_linear():
    model = LinearRegression(1)
    model.params["W"][...] = -0.34
    model.params["b"][...] = 0.04
    return model, np.array([[6.7]]), np.array([9.1])


def test_linear_prediction_is_minus_2_238(lecture_linear):
    model, X, _ = lecture_linear
    assert model.forward(X)[0] == pytest.approx(-2.238, abs=1e-12)


def test_linear_loss_is_128_55(lecture_linear):
    model, X, y = lecture_linear
    loss, _ = model.loss_grad(X, y)
    assert loss == pytest.approx(11.338**2, rel=1e-12)  # (−2.238 − 9.1)² = 128.550244
    assert shown_as(loss, 128.55, 2, "cut") and shown_as(loss, 128.55, 2, "rounded")


def test_linear_gradients_are_minus_151_9292_and_minus_22_676(lecture_linear):
    model, X, y = lecture_linear
    _, grads = model.loss_grad(X, y)
    assert grads["W"][0] == pytest.approx(-151.9292, rel=1e-12)  # 2x(ŷ − y)
    assert grads["b"] == pytest.approx(-22.676, rel=1e-12)  # 2(ŷ − y)


# Section 4 — logistic regression; the slide's θ = [bias, w...] and x's first column is the bias input 1

THETA = np.array([0.1, 0.5, -0.1])
X_WITH_ONES = np.array([[1, 1.5, 0.2], [1, 4.1, 1.3]])


@pytest.fixture
def lecture_logistic():
    model = LogisticRegression(2)
    model.params["b"][...] = THETA[0]
    model.params["W"][...] = THETA[1:]
    return model, X_WITH_ONES[:, 1:], np.array([0.0, 1.0])


def gradient_in_theta_order(model, X, y):
    _, grads = model.loss_grad(X, y)
    return np.append(grads["b"], grads["W"])


def test_logistic_probabilities_are_0_6963_and_0_8828(lecture_logistic):
    model, X, _ = lecture_logistic
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba, 1 / (1 + np.exp(-X_WITH_ONES @ THETA)), rtol=1e-12)
    assert shown_as(proba, [0.6963, 0.8828], 4, "cut") and not shown_as(proba, [0.6963, 0.8828], 4, "rounded")


def test_logistic_loss_is_0_658230_which_the_slide_shows_as_0_65815(lecture_logistic):
    model, X, y = lecture_logistic
    loss = model.loss(X, y)
    assert loss == pytest.approx(0.6582303, abs=1e-7)
    # The slide prints 0.65815, neither the exact loss cut nor rounded (0.65823): it is the mean
    # of the two per-sample losses cut to 4 decimals, (1.1918 + 0.1245) / 2 — as page 4 and
    # `scratch slides` explain it.
    assert not shown_as(loss, 0.65815, 5, "cut") and not shown_as(loss, 0.65815, 5, "rounded")
    per_sample = binary_cross_entropy_with_logits(model.forward(X), y, reduction="none")
    assert np.trunc(per_sample * 1e4).tolist() == [11918, 1245]
    assert np.trunc(per_sample * 1e4).mean() / 1e4 == pytest.approx(0.65815, abs=1e-12)


def test_logistic_gradient_is_0_28961_0_28217_minus_0_0064(lecture_logistic):
    gradient = gradient_in_theta_order(*lecture_logistic)
    np.testing.assert_allclose(gradient, [0.289618, 0.282172, -0.006492], atol=5e-7)
    assert shown_as(gradient, [0.28961, 0.28217, -0.0064], [5, 5, 4], "cut")
    assert not shown_as(gradient, [0.28961, 0.28217, -0.0064], [5, 5, 4], "rounded")


def test_one_sgd_step_with_lr_0_01_gives_theta_0_0971_0_4971_minus_0_099(lecture_logistic):
    theta = THETA - 0.01 * gradient_in_theta_order(*lecture_logistic)
    np.testing.assert_allclose(theta, [0.097104, 0.497178, -0.099935], atol=5e-7)
    assert shown_as(theta, [0.0971, 0.4971, -0.099], [4, 4, 3], "cut")
    assert not shown_as(theta, [0.0971, 0.4971, -0.099], [4, 4, 3], "rounded")


# Section 5 — softmax regression, one feature, two classes


@pytest.fixture
def lecture_softmax():
    model = SoftmaxRegression(1, 2)
    model.params["W"][...] = [[0.2, -0.1]]
    model.params["b"][...] = [0.1, 0.05]
    return model, np.array([[1.4], [4.5]]), np.array([0, 1])


def test_softmax_logits_are_z0_0_38_1_0_and_z1_minus_0_09_minus_0_4(lecture_softmax):
    model, X, _ = lecture_softmax
    np.testing.assert_allclose(model.forward(X), [[0.38, -0.09], [1.0, -0.4]], atol=1e-12)


def test_softmax_probabilities_are_0_615_0_802_and_0_385_0_198(lecture_softmax):
    model, X, _ = lecture_softmax
    proba = model.predict_proba(X)
    assert shown_as(proba[:, 0], [0.615, 0.802], 3, "rounded")
    assert shown_as(proba[:, 1], [0.385, 0.198], 3, "rounded") and not shown_as(proba[:, 1], [0.385, 0.198], 3, "cut")


def test_softmax_cross_entropy_is_1_0530(lecture_softmax):
    model, X, y = lecture_softmax
    loss, _ = model.loss_grad(X, y)
    assert loss == pytest.approx(1.052963, abs=1e-6)
    assert shown_as(loss, 1.0530, 4, "rounded") and not shown_as(loss, 1.0530, 4, "cut")
    assert model.loss(X, y) == pytest.approx(loss, rel=1e-12)
