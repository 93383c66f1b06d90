"""scratch.nn: Sequential, the loss modules and Network (a net trained like a model).

Oracles: torch.nn with the same weights, SoftmaxRegression's and LinearRegression's closed
forms, and finite differences (scratch.gradcheck.numerical_gradient).
"""

import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import scratch.nn
from scratch.gradcheck import numerical_gradient
from scratch.nn import (
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Linear,
    MSELoss,
    Network,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
)
from tests.test_layers import matrices, seeds, sizes

# ---------------------------------------------------------------- backward semantics


def test_backward_returns_fresh_gradients_that_never_accumulate():
    net = Sequential(Linear(3, 4, seed=0), Sigmoid(), Linear(4, 2, seed=1))
    out = net(np.arange(6.0).reshape(2, 3))
    first = net.backward(np.ones_like(out))
    snapshot = {name: grad.copy() for name, grad in first.items()}
    second = net.backward(np.ones_like(out))  # the same again: equal, not doubled
    for name in snapshot:
        np.testing.assert_array_equal(second[name], snapshot[name])
        np.testing.assert_array_equal(first[name], snapshot[name])


def test_float32_layers_keep_float32_through_forward_and_backward():
    f32 = np.float32
    net = Sequential(Linear(4, 5, seed=0, dtype=f32), ReLU(), Linear(5, 3, seed=1, dtype=f32), Softmax())
    out = net(np.ones((2, 4)))
    grads = net.backward(np.ones_like(out))
    assert net.dtype == np.float32 and out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())


# ---------------------------------------------------------------- Sequential vs torch


def to_torch(net, torch):
    """The same stack in torch.nn, with our weights copied in."""
    modules = []
    for layer in net:
        if isinstance(layer, Linear):
            module = torch.nn.Linear(layer.in_features, layer.out_features, dtype=torch.float64)
            with torch.no_grad():
                module.weight.copy_(torch.from_numpy(layer.weight))
                module.bias.copy_(torch.from_numpy(layer.bias))
        elif isinstance(layer, Softmax):
            module = torch.nn.Softmax(dim=layer.dim)
        else:
            module = {ReLU: torch.nn.ReLU, Sigmoid: torch.nn.Sigmoid}[type(layer)]()
        modules.append(module)
    return torch.nn.Sequential(*modules)


def random_stack(data, d_in):
    """Linear layers of random widths, each followed by a random activation (or none)."""
    layers, width = [], d_in
    for depth in range(data.draw(st.integers(1, 3))):
        out = data.draw(sizes)
        layers.append(Linear(width, out, seed=data.draw(seeds)))
        activation = data.draw(st.sampled_from([None, ReLU, Sigmoid, Softmax]))
        layers += [activation()] if activation else []
        width = out
    return Sequential(*layers), width


@given(data=st.data(), n=sizes, d_in=sizes)
def test_sequential_outputs_and_gradients_match_torch(data, n, d_in):
    torch = pytest.importorskip("torch")
    net, d_out = random_stack(data, d_in)
    x, upstream = data.draw(matrices(n, d_in)), data.draw(matrices(n, d_out))
    reference = to_torch(net, torch)
    out = net.forward(x)
    grads = net.backward(upstream)
    expected = reference(torch.from_numpy(x))
    (expected * torch.from_numpy(upstream)).sum().backward()
    np.testing.assert_allclose(out, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    torch_grads = {name: p.grad.numpy() for name, p in reference.named_parameters()}
    assert list(grads) == list(torch_grads) == list(net.params)
    for name, grad in grads.items():
        np.testing.assert_allclose(grad, torch_grads[name], rtol=1e-10, atol=1e-12)


def test_sequential_names_and_repr_match_torch():
    torch = pytest.importorskip("torch")
    net = Sequential(Linear(4, 8, seed=0), ReLU(), Linear(8, 3, seed=1), Sigmoid(), Softmax(dim=-1))
    reference = to_torch(net, torch)
    assert list(net.params) == list(reference.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [name for name, _ in net.named_parameters()] == list(net.params)
    assert repr(net) == repr(reference)
    assert len(net) == 5 and isinstance(net[1], ReLU) and len(net[:-1]) == 4


def test_params_are_the_live_arrays_so_sgd_updates_the_layers():
    from scratch.optim import SGD

    net = Sequential(Linear(3, 2, seed=0))
    before = net[0].weight.copy()
    out = net(np.ones((4, 3)))
    grads = net.backward(np.ones_like(out))
    SGD(net.params, lr=0.1).step(grads)
    np.testing.assert_allclose(net[0].weight, before - 0.1 * grads["0.weight"])
    assert all(p is q for p, q in zip(net.parameters(), net[0].params.values()))


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
    model.params["W"][...] = network.params["0.weight"].T  # torch layout (K, D) → W (D, K)
    model.params["b"][...] = network.params["0.bias"]
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
    target = torch.from_numpy(y)
    torch_loss = torch_criterion(torch)(out if kind == "ce" else out[:, 0], target)
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
    model = LinearRegression(3)
    model.params["W"][...] = network.params["0.weight"][0]  # weight (1, 3) → w (3,)
    model.params["b"][...] = network.params["0.bias"][0]
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
    history = fit(network, X, y, epochs=20, batch_size=32, lr=0.1, seed=0, verbose=False)
    assert history.train_loss[-1] < 0.5 * history.train_loss[0]
    assert network.score(X, y) > 0.95


def test_module_docstring_examples_run():
    failures, _ = doctest.testmod(scratch.nn)
    assert failures == 0


# ---------------------------------------------------------------- bad input


def regression_network():
    return Network(Sequential(Linear(3, 1)), MSELoss())


@pytest.mark.parametrize(
    "action, error, fragment",
    [
        (lambda: Sequential(), ValueError, "at least one layer"),
        (lambda: Sequential(Linear(3, 2), "relu"), TypeError, "layer 1"),
        (lambda: Sequential(Linear(3, 2), Linear(2, 1, dtype=np.float32)), ValueError, "dtype"),
        (lambda: MSELoss(reduction="avg"), ValueError, "reduction"),
        (lambda: CrossEntropyLoss().backward(), RuntimeError, "before backward"),
        (lambda: Network(Linear(3, 1), MSELoss()), TypeError, "net"),
        (lambda: Network(Sequential(Linear(3, 1)), "mse"), TypeError, "criterion"),
        (lambda: Network(Sequential(Linear(3, 1)), MSELoss(reduction="none")), ValueError, "reduction"),
        (lambda: regression_network().predict_proba(np.ones((2, 3))), TypeError, "predict_proba"),
        (lambda: regression_network().forward(np.ones(3)), ValueError, "X must be a 2-D"),
    ],
)
def test_bad_input_raises_a_clear_error_naming_the_argument(action, error, fragment):
    with pytest.raises(error, match=fragment):
        action()
