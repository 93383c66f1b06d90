"""Numerical extremes: finite losses and gradients (or a clear error), never a silent NaN.

Logits of ±1e4 in float32 and ±1e300 in float64 (e^1e4 overflows both), targets exactly 0
and 1, one-sample batches, one-class batches and constant features, through the models'
``loss_grad``, the nn stack, autograd, one SGD step and the training driver. setup.cfg turns
every RuntimeWarning (overflow, invalid value, divide by zero) into an error, so these tests
also prove the computations are warning-free.
"""

import numpy as np
import pytest

from scratch import losses
from scratch.autograd import Tensor
from scratch.gradcheck import tape_binary_cross_entropy_with_logits, tape_cross_entropy
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.nn import BCEWithLogitsLoss, CrossEntropyLoss, Linear, Network, ReLU, Sequential, Sigmoid, Softmax
from scratch.optim import SGD
from scratch.training import fit

EXTREMES = [pytest.param(np.float32, 1e4, id="float32-1e4"), pytest.param(np.float64, 1e300, id="float64-1e300")]
X_SIGNS = np.array([[1.0], [-1.0], [1.0], [-1.0]])  # with W = [big]: logits +big, −big, +big, −big
BINARY = np.array([1.0, 0.0, 0.0, 1.0])  # right, right, wrong, wrong: losses 0, 0, big, big
LABELS = np.array([0, 0])  # rows [big, −big, 0] (right) and [−big, big, 0] (wrong, loss 2·big)


def assert_finite(loss, grads):
    assert np.isfinite(loss), loss
    for name, grad in grads.items():
        assert np.isfinite(grad).all(), name


def assert_one_sgd_step_stays_finite(params, grads):
    SGD(params, lr=0.1).step(grads)
    for name, value in params.items():
        assert np.isfinite(value).all(), name


def logistic_at(dtype, big):
    model = LogisticRegression(1, dtype=dtype)
    model.params["W"][...] = big
    return model


def softmax_at(dtype, big):
    model = SoftmaxRegression(1, 3, dtype=dtype)
    model.params["W"][...] = [[big, -big, 0.0]]
    return model


# ---------------------------------------------------------------- models


@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_logistic_regression_extreme_logits_with_exact_0_1_targets_give_the_limits(dtype, big):
    model = logistic_at(dtype, big)
    loss, grads = model.loss_grad(X_SIGNS, BINARY)
    assert_finite(loss, grads)
    assert loss == pytest.approx(big / 2, rel=1e-6)  # mean of 0, 0, big, big
    np.testing.assert_allclose(grads["W"], [0.5])  # Xᵀ(σ(z) − y)/N = (0 + 0 + 1 + 1)/4
    np.testing.assert_allclose(grads["b"], 0.0, atol=1e-7)
    assert grads["W"].dtype == dtype
    assert_one_sgd_step_stays_finite(model.params, grads)


@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_softmax_regression_extreme_logits_give_the_limits(dtype, big):
    model = softmax_at(dtype, big)
    loss, grads = model.loss_grad(X_SIGNS[:2], LABELS)
    assert_finite(loss, grads)
    assert loss == pytest.approx(big, rel=1e-6)  # mean of 0 and 2·big
    np.testing.assert_allclose(grads["W"], [[0.5, -0.5, 0.0]])  # row 2: p = e₁, y = e₀, x = −1
    assert_one_sgd_step_stays_finite(model.params, grads)


@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_predict_proba_saturates_to_exact_0_and_1_without_nan(dtype, big):
    np.testing.assert_array_equal(logistic_at(dtype, big).predict_proba(X_SIGNS), [1, 0, 1, 0])
    np.testing.assert_array_equal(softmax_at(dtype, big).predict_proba(X_SIGNS[:2]), [[1, 0, 0], [0, 1, 0]])


# ---------------------------------------------------------------- nn stack


def classifier_at(dtype, big):
    """Linear(1, 3) + Softmax head trained with CrossEntropyLoss, logits as softmax_at's."""
    net = Sequential(Linear(1, 3, seed=0, dtype=dtype), Softmax())
    net[0].params["weight"][...] = [[big], [-big], [0.0]]
    net[0].params["bias"][...] = 0
    return Network(net, CrossEntropyLoss())


def binary_network_at(dtype, big):
    net = Sequential(Linear(1, 1, seed=0, dtype=dtype), Sigmoid())
    net[0].params["weight"][...] = big
    net[0].params["bias"][...] = 0
    return Network(net, BCEWithLogitsLoss())


@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_network_extreme_logits_match_the_closed_form_models(dtype, big):
    for network, model, X, y in [
        (classifier_at(dtype, big), softmax_at(dtype, big), X_SIGNS[:2], LABELS),
        (binary_network_at(dtype, big), logistic_at(dtype, big), X_SIGNS, BINARY),
    ]:
        loss, grads = network.loss_grad(X, y)
        assert_finite(loss, grads)
        expected_loss, expected = model.loss_grad(X, y)
        assert loss == pytest.approx(expected_loss, rel=1e-6)
        np.testing.assert_allclose(grads["0.weight"], expected["W"].T.reshape(grads["0.weight"].shape))
        assert_one_sgd_step_stays_finite(network.params, grads)


@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_bare_sequential_backward_through_saturated_softmax_and_sigmoid_stays_finite(dtype, big):
    """PyTorch's literal criterion(net(X), y): the loss sees probabilities, the layers saturate."""
    X = X_SIGNS[:2].astype(dtype)
    for head, criterion, y in [(Softmax(), CrossEntropyLoss(), LABELS), (Sigmoid(), BCEWithLogitsLoss(), [1.0, 0.0])]:
        width = 3 if isinstance(head, Softmax) else 1
        net = Sequential(Linear(1, width, seed=0, dtype=dtype), ReLU(), Linear(width, width, seed=1, dtype=dtype), head)
        net[0].params["weight"][...] = big
        out = net(X)
        loss = criterion(out if width == 3 else out[:, 0], y)
        grads = net.backward(criterion.backward().reshape(out.shape))
        assert_finite(loss, grads)


# ---------------------------------------------------------------- autograd


@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_autograd_losses_at_extreme_logits_equal_the_closed_form(dtype, big):
    logits = np.array([big, -big, big, -big], dtype)
    x = Tensor(logits, requires_grad=True)
    tape_binary_cross_entropy_with_logits(x, BINARY.astype(dtype)).backward()
    np.testing.assert_allclose(x.grad, losses.binary_cross_entropy_with_logits_grad(logits, BINARY))

    rows = np.array([[big, -big, 0.0], [-big, big, 0.0]], dtype)
    z = Tensor(rows, requires_grad=True)
    loss = tape_cross_entropy(z, LABELS)
    loss.backward()
    assert float(loss.data) == pytest.approx(losses.cross_entropy(rows, LABELS), rel=1e-6)
    np.testing.assert_allclose(z.grad, losses.cross_entropy_grad(rows, LABELS))


@pytest.mark.parametrize("dtype, big", EXTREMES)
@pytest.mark.parametrize("op", ["sigmoid", "softplus", "log_softmax", "logsumexp"])
def test_autograd_stable_ops_have_finite_values_and_gradients_at_extreme_logits(op, dtype, big):
    x = Tensor(np.array([[big, -big, 0.0]], dtype), requires_grad=True)
    out = getattr(x, op)()
    out.sum().backward()
    assert np.isfinite(out.data).all() and np.isfinite(x.grad).all()
    assert x.grad.dtype == dtype


# ---------------------------------------------------------------- tiny, one-class, constant batches


def every_model(n_features=2):
    """One of each trainable thing, with a matching target kind: 'real', 'binary' or 'labels'."""
    mlp = Sequential(Linear(n_features, 4, seed=0), ReLU(), Linear(4, 3, seed=1), Softmax())
    return [
        pytest.param(LinearRegression(n_features), "real", id="linear"),
        pytest.param(LogisticRegression(n_features), "binary", id="logistic"),
        pytest.param(SoftmaxRegression(n_features, 3), "labels", id="softmax"),
        pytest.param(Network(mlp, CrossEntropyLoss()), "labels", id="mlp"),
    ]


def targets(kind, n, value=0):
    return np.full(n, value, dtype=np.int64 if kind == "labels" else np.float64)


@pytest.mark.parametrize("model, kind", every_model())
def test_one_sample_batches_train_to_finite_params(model, kind):
    X = np.array([[0.5, -1.0], [1.0, 2.0], [-3.0, 0.0]])
    history = fit(model, X, targets(kind, 3, value=1), epochs=3, batch_size=1, lr=0.1, seed=0)
    assert np.isfinite(history.train_loss).all()
    assert all(np.isfinite(p).all() for p in model.params.values())


@pytest.mark.parametrize("model, kind", every_model())
def test_a_one_class_batch_gives_finite_gradients_and_a_perfect_score_after_training(model, kind):
    X = np.random.default_rng(0).normal(size=(8, 2))
    y = targets(kind, 8, value=1)
    assert_finite(*model.loss_grad(X, y))
    fit(model, X, y, epochs=50, batch_size=8, lr=0.5, seed=0)
    if kind == "real":
        assert model.score(X, y) in (0.0, 1.0)  # R² of a constant target: defined, as in scikit-learn
        assert model.loss(X, y) < 1e-3
    else:
        assert model.score(X, y) == 1.0


@pytest.mark.parametrize("model, kind", every_model())
def test_constant_features_give_finite_gradients(model, kind):
    X = np.full((6, 2), 3.0)
    y = np.array([0, 1, 2, 0, 1, 2]) if kind == "labels" else np.array([0.0, 1.0] * 3)
    loss, grads = model.loss_grad(X, y)
    assert_finite(loss, grads)
    assert_one_sgd_step_stays_finite(model.params, grads)


def test_least_squares_with_a_constant_and_a_duplicated_column_is_finite_and_optimal():
    rng = np.random.default_rng(0)
    x = rng.normal(size=20)
    X = np.column_stack([x, x, np.zeros(20)])  # rank 1 plus the intercept
    y = 2 * x + 1
    model = LinearRegression(3).fit_least_squares(X, y)
    assert np.isfinite(model.params["W"]).all() and np.isfinite(model.params["b"])
    assert model.loss(X, y) < 1e-20
