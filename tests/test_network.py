"""scratch.nn's Network: the model protocol (loss, loss_grad, predict, score) on a Sequential and a criterion.

Oracles: SoftmaxRegression's and LinearRegression's closed forms, torch.nn with the same weights, and
finite differences (scratch.gradcheck.numerical_gradient).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scratch.gradcheck import numerical_gradient
from scratch.nn import BCEWithLogitsLoss, CrossEntropyLoss, Linear, MSELoss, Network, ReLU, Sequential, Sigmoid, Softmax
from scratch.preprocessing import ScalePixels, Standardize

from conftest import (
    assert_finite,
    assert_one_sgd_step_stays_finite,
    assert_raises_naming,
    BINARY,
    case,
    CLASSIFIER,
    EXTREMES,
    logistic_at,
    seeds,
    SIGN_BINARY,
    SIGN_LABELS,
    sizes,
    softmax_at,
    to_torch,
    X,
    X_SIGNS,
)

# ---------------------------------------------------------------- Network: the model protocol


def classification_data(n, d, k, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(0, k, size=n)


@given(n=st.integers(1, 32), d=sizes, k=st.integers(2, 6), seed=seeds)
def test_network_gradients_equal_softmax_regression_closed_form(n, d, k, seed):
    from scratch.models import SoftmaxRegression

    X, y = classification_data(n, d, k, seed)
    network = Network(Sequential(Linear(d, k, seed=seed)), CrossEntropyLoss())
    model = SoftmaxRegression(d, k)
    model.load_state_dict({"weight": network.params["0.weight"], "bias": network.params["0.bias"]})
    loss, grads = network.loss_grad(X, y)
    model_loss, model_grads = model.loss_grad(X, y)
    assert loss == pytest.approx(model_loss, rel=1e-12)
    np.testing.assert_allclose(grads["0.weight"].T, model_grads["W"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grads["0.bias"], model_grads["b"], rtol=1e-12, atol=1e-14)


CRITERIA = {
    "mse": (MSELoss(), lambda torch: torch.nn.MSELoss(), 1),
    "bce": (
        BCEWithLogitsLoss(pos_weight=np.array([2.0])),
        lambda torch: torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0], dtype=torch.float64)),
        1,
    ),
    "ce": (
        CrossEntropyLoss(label_smoothing=0.1),
        lambda torch: torch.nn.CrossEntropyLoss(label_smoothing=0.1),
        3,
    ),
}


@pytest.mark.parametrize("kind", CRITERIA)
def test_network_loss_and_gradients_match_torch_mlp(kind):
    torch = pytest.importorskip("torch")
    criterion, torch_criterion, k = CRITERIA[kind]
    X, labels = classification_data(16, 4, k if k > 1 else 2, seed=1)
    y = labels if kind == "ce" else labels.astype(np.float64)
    network = Network(Sequential(Linear(4, 5, seed=2), ReLU(), Linear(5, k, seed=3)), criterion)
    loss, grads = network.loss_grad(X, y)
    reference = to_torch(network.net, torch)
    out = reference(torch.from_numpy(X))
    torch_loss = torch_criterion(torch)(out if kind == "ce" else out[:, 0], torch.from_numpy(y))
    torch_loss.backward()
    assert loss == pytest.approx(torch_loss.item(), rel=1e-10)
    assert network.loss(X, y) == loss
    for name, p in reference.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_loss_modules_backward_is_the_gradient_of_their_value():
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(5, 3)), rng.integers(0, 3, size=5)
    criterion = CrossEntropyLoss(weight=np.array([1.0, 2.0, 0.5]))
    criterion(logits, labels)
    numeric = numerical_gradient(lambda z: criterion(z, labels), logits.copy())
    criterion(logits, labels)
    np.testing.assert_allclose(criterion.backward(), numeric, rtol=1e-6, atol=1e-8)


def test_a_nan_in_x_is_reported_as_such():
    network = Network(Sequential(Linear(3, 2, seed=0), ReLU(), Linear(2, 1, seed=1)), MSELoss())
    for X in ([[1.0, np.nan, 2.0]], np.array([[1.0, 2.0, np.inf]])):
        with pytest.raises(ValueError, match="X contains"):
            network.loss_grad(X, [1.0])


# ---------------------------------------------------------------- the slides' stacks and the softmax gotcha


def test_trailing_softmax_is_the_probability_head_not_applied_twice():
    torch = pytest.importorskip("torch")
    X, y = classification_data(10, 4, 3, seed=0)
    net = Sequential(Linear(4, 3, seed=0), Softmax(dim=-1))  # slide: dense(units=3) + softmax
    network = Network(net, CrossEntropyLoss())
    logits = torch.from_numpy(net[0].forward(X))
    expected = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y)).item()
    assert network.loss(X, y) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(network.predict_proba(X), net(X), rtol=1e-12)
    literal = CrossEntropyLoss()(net(X), y)  # what torch computes for this stack: softmax twice
    twice = torch.nn.functional.cross_entropy(torch.softmax(logits, -1), torch.from_numpy(y)).item()
    assert literal == pytest.approx(twice, rel=1e-12)
    assert literal != pytest.approx(expected)


def test_trailing_sigmoid_before_bce_with_logits_is_the_probability_head():
    X, labels = classification_data(10, 2, 2, seed=0)
    y = labels.astype(np.float64)
    with_head = Network(Sequential(Linear(2, 1, seed=0), Sigmoid()), BCEWithLogitsLoss())
    without = Network(Sequential(with_head.net[0]), BCEWithLogitsLoss())
    assert with_head.loss(X, y) == without.loss(X, y)
    np.testing.assert_allclose(with_head.predict_proba(X), with_head.net(X)[:, 0])


def test_slide_dense_units_1_on_3_inputs_learns_a_linear_regression():
    from scratch.models import LinearRegression
    from scratch.optim import SGD

    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    y = X @ np.array([2.0, -1.0, 0.5]) + 3.0
    network = Network(Sequential(Linear(3, 1, seed=0)), MSELoss())  # slide: dense(units=1), input_shape=(3,)
    weights = {"weight": network.params["0.weight"], "bias": network.params["0.bias"]}  # (1, 3), (1,)
    model = LinearRegression(3).load_state_dict(weights)
    loss, grads = network.loss_grad(X, y)
    model_loss, model_grads = model.loss_grad(X, y)
    assert loss == pytest.approx(model_loss, rel=1e-12)
    np.testing.assert_allclose(grads["0.weight"][0], model_grads["W"], rtol=1e-12)
    optimizer = SGD(network.params, lr=0.1)
    for _ in range(200):
        optimizer.step(network.loss_grad(X, y)[1])
    assert network.forward(X).shape == (64,)
    assert network.score(X, y) > 0.999999


def test_slide_dense_units_3_softmax_on_4_inputs_learns_three_classes():
    from scratch.optim import SGD

    rng = np.random.default_rng(0)
    centres = np.array([[3.0, 0, 0, 0], [0, 3.0, 0, 0], [0, 0, 3.0, 0]])
    y = rng.integers(0, 3, size=150)
    X = centres[y] + rng.normal(size=(150, 4))
    network = Network(Sequential(Linear(4, 3, seed=0), Softmax(dim=-1)), CrossEntropyLoss())
    optimizer = SGD(network.params, lr=0.5)
    for _ in range(100):
        optimizer.step(network.loss_grad(X, y)[1])
    assert network.score(X, y) > 0.95
    np.testing.assert_allclose(network.predict_proba(X).sum(axis=1), 1.0)
    np.testing.assert_array_equal(network.predict(X), network.predict_proba(X).argmax(axis=1))


def test_the_minibatch_driver_trains_a_network_like_any_model():
    from scratch.training import fit

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=300)
    X = 3 * np.eye(4)[y] + rng.normal(size=(300, 4))
    net = Sequential(Linear(4, 8, seed=0), ReLU(), Linear(8, 3, seed=1), Softmax())
    network = Network(net, CrossEntropyLoss())
    history = fit(network, X, y, epochs=20, batch_size=32, lr=0.1, seed=0)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert network.score(X, y) > 0.95


# ---------------------------------------------------------------- one preprocessing path


def test_a_network_fitted_on_uint8_images_scores_them_in_any_shape_and_refuses_unscaled_floats():
    from scratch.training import fit

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=150)
    images = rng.integers(0, 120, size=(150, 28, 28), dtype=np.uint8)
    images[np.arange(150), 9 * y] = 255  # class k: a bright row 9k
    network = Network(Sequential(Linear(784, 16, seed=0), ReLU(), Linear(16, 3, seed=1)), CrossEntropyLoss())
    fit(network, images, y, epochs=5, batch_size=30, lr=0.1, seed=0)
    assert network.transform == ScalePixels()
    score = network.score(images, y)
    assert score > 0.9 and network.score(images.reshape(150, -1), y) == score
    np.testing.assert_array_equal(network.predict(images / 255), network.predict(images))
    with pytest.raises(ValueError, match="pixels"):
        network.score(images.astype(np.float64), y)


def test_a_network_with_standardize_applies_it_in_predict_and_score():
    rng = np.random.default_rng(0)
    X = rng.normal(loc=50.0, scale=10.0, size=(40, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    transform = Standardize.from_data(X)
    standardized = Network(Sequential(Linear(3, 1, seed=0)), MSELoss(), transform=transform)
    plain = Network(standardized.net, MSELoss())
    Z = (X - transform.mean) / transform.scale
    np.testing.assert_array_equal(standardized.predict(X), plain.predict(Z))
    assert standardized.score(X, y) == plain.score(Z, y) != plain.score(X, y)


# ---- bad input: Network (each call raises the error type and names the argument; conftest.case)
BINARY_NET = Network(Sequential(Linear(3, 1, seed=0)), BCEWithLogitsLoss())
REGRESSOR = Network(Sequential(Linear(3, 1, seed=0)), MSELoss())


BAD_INPUT_TABLE = [
    case("Network-net-not-Sequential", Network, TypeError, "net", net=Linear(3, 1), criterion=MSELoss()),
    case("Network-criterion-string", Network, TypeError, "criterion", net=Sequential(Linear(3, 1)), criterion="mse"),
    case("Network.loss_grad-y-label-3", CLASSIFIER.loss_grad, ValueError, "y", X=X, y=[0, 1, 3, 1]),
    case("Network.loss-y-fraction", CLASSIFIER.loss, ValueError, "y", X=X, y=[0, 0.5, 2, 1]),
    case("Network-bce.loss_grad-y-outside-0-1", BINARY_NET.loss_grad, ValueError, "y", X=X, y=[0.0, 2.0, 0.0, 1.0]),
    case("Network-bce.loss-y-short", BINARY_NET.loss, ValueError, "y", X=X, y=BINARY[:3]),
    case("Network-mse.loss_grad-y-2d", REGRESSOR.loss_grad, ValueError, "y", X=X, y=BINARY[:, None]),
]


@pytest.mark.parametrize("call, kwargs, error, argument", BAD_INPUT_TABLE)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    assert_raises_naming(call, kwargs, error, argument)



# ---- numerical extremes: the nn stack's closed-form twins (conftest.EXTREMES)
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
        (classifier_at(dtype, big), softmax_at(dtype, big), X_SIGNS[:2], SIGN_LABELS),
        (binary_network_at(dtype, big), logistic_at(dtype, big), X_SIGNS, SIGN_BINARY),
    ]:
        loss, grads = network.loss_grad(X, y)
        assert_finite(loss, grads)
        expected_loss, expected = model.loss_grad(X, y)
        assert loss == pytest.approx(expected_loss, rel=1e-6)
        np.testing.assert_allclose(grads["0.weight"], expected["W"].T.reshape(grads["0.weight"].shape))
        assert_one_sgd_step_stays_finite(network.params, grads)


def test_network_loss_grad_leaves_the_first_layers_input_gradient_out(monkeypatch):
    """Linear computes g W only when asked: the first layer of a network is not asked."""
    net = Network(Sequential(Linear(6, 4, seed=0), ReLU(), Linear(4, 3, seed=1)), CrossEntropyLoss())
    asked = []
    real = Linear._backward
    monkeypatch.setattr(Linear, "_backward", lambda self, x, g, need=True: asked.append(need) or real(self, x, g, need))
    net.loss_grad(np.random.default_rng(0).normal(size=(5, 6)), np.array([0, 1, 2, 0, 1]))
    assert asked == [True, False]  # the last Linear (first in reverse) passes g on; the first does not
