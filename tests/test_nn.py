"""scratch.layers and scratch.nn: each layer's backward, Sequential, loss modules, Network.

Oracles: central finite differences (tests/helpers.py), SoftmaxRegression's closed form,
and torch.nn with the same weights.
"""

import doctest

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import scratch.nn
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
from tests.helpers import numerical_grad

finite = st.floats(-5, 5, allow_nan=False, allow_infinity=False)
sizes = st.integers(1, 6)
seeds = st.integers(0, 2**32 - 1)


def matrices(n_rows, n_cols):
    return arrays(np.float64, (n_rows, n_cols), elements=finite)


def away_from_zero(x, margin=1e-2):
    """Shift entries away from ReLU's kink so finite differences see one side only."""
    return x + np.where(x >= 0, margin, -margin)


def check_input_gradient(layer, x, upstream):
    """backward(upstream) equals ∂/∂x of L(x) = Σ upstream·layer(x)."""
    layer.forward(x)
    analytic = layer.backward(upstream)
    numeric = numerical_grad(lambda v: np.sum(upstream * layer.forward(v)), x.copy())
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- layers vs finite differences


@given(st.data(), sizes, sizes, sizes, seeds)
def test_linear_backward_matches_finite_differences(data, n, d_in, d_out, seed):
    layer = Linear(d_in, d_out, seed=seed)
    x = data.draw(matrices(n, d_in))
    upstream = data.draw(matrices(n, d_out))
    check_input_gradient(layer, x, upstream)
    layer.forward(x)
    layer.backward(upstream)
    for name, param in layer.params.items():
        numeric = numerical_grad(lambda _: np.sum(upstream * layer.forward(x)), param)
        np.testing.assert_allclose(layer.grads[name], numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("make_layer", [ReLU, Sigmoid, Softmax, lambda: Softmax(dim=0)], ids=["relu", "sigmoid", "softmax", "softmax_dim0"])
@given(data=st.data(), n=sizes, d=sizes)
def test_activation_backward_matches_finite_differences(make_layer, data, n, d):
    x = away_from_zero(data.draw(matrices(n, d)))
    check_input_gradient(make_layer(), x, data.draw(matrices(n, d)))


def test_softmax_backward_is_the_full_jacobian_not_the_elementwise_shortcut():
    rng = np.random.default_rng(0)
    x, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    layer = Softmax()
    s = layer.forward(x)
    jacobians = np.stack([np.diag(row) - np.outer(row, row) for row in s])  # ∂sᵢ/∂xⱼ = sᵢ(δᵢⱼ − sⱼ)
    np.testing.assert_allclose(layer.backward(g), np.einsum("nij,ni->nj", jacobians, g), rtol=1e-12, atol=1e-15)
    assert not np.allclose(layer.backward(g), g * s * (1 - s))


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
    net = Sequential(Linear(4, 5, seed=0, dtype=np.float32), ReLU(), Linear(5, 3, seed=1, dtype=np.float32), Softmax())
    out = net(np.ones((2, 4)))
    grads = net.backward(np.ones_like(out))
    assert net.dtype == np.float32 and out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads.values())


# ---------------------------------------------------------------- initialisation


def test_linear_init_is_torch_uniform_within_one_over_sqrt_fan_in():
    in_features, out_features = 50, 2000
    layer = Linear(in_features, out_features, seed=0)
    bound = 1 / np.sqrt(in_features)
    for param in (layer.weight, layer.bias):
        assert np.abs(param).max() <= bound
        assert np.abs(param).max() > 0.99 * bound
    assert abs(layer.weight.mean()) < 0.01 * bound
    assert layer.weight.var() == pytest.approx(bound**2 / 3, rel=0.02)  # Var U(−a, a) = a²/3


def test_linear_init_bound_agrees_with_torch_linear():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    reference = torch.nn.Linear(50, 2000).weight.detach().numpy()
    ours = Linear(50, 2000, seed=0).weight
    assert np.abs(ours).max() == pytest.approx(np.abs(reference).max(), rel=1e-3)
    assert ours.std() == pytest.approx(reference.std(), rel=0.02)


def test_linear_init_is_deterministic_given_a_seed():
    np.testing.assert_array_equal(Linear(4, 3, seed=7).weight, Linear(4, 3, seed=7).weight)
    assert not np.array_equal(Linear(4, 3, seed=7).weight, Linear(4, 3, seed=8).weight)
    shared = np.random.default_rng(7)
    first, second = Linear(4, 3, seed=shared), Linear(4, 3, seed=shared)
    assert not np.array_equal(first.weight, second.weight)  # one generator, two different draws


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
    "bce": (BCEWithLogitsLoss(pos_weight=np.array([2.0])), lambda torch: torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0], dtype=torch.float64)), 1),
    "ce": (CrossEntropyLoss(label_smoothing=0.1), lambda torch: torch.nn.CrossEntropyLoss(label_smoothing=0.1), 3),
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
    numeric = numerical_grad(lambda z: criterion(z, labels), logits.copy())
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
    assert literal == pytest.approx(torch.nn.functional.cross_entropy(torch.softmax(logits, -1), torch.from_numpy(y)).item(), rel=1e-12)
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
    model.params["W"][...], model.params["b"][...] = network.params["0.weight"][0], network.params["0.bias"][0]
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


def test_module_docstring_examples_run():
    failures, _ = doctest.testmod(scratch.nn)
    assert failures == 0


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "action, error, fragment",
    [
        (lambda: Linear(0, 3), ValueError, "in_features"),
        (lambda: Linear(3, 2.5), TypeError, "out_features"),
        (lambda: Linear(3, 2, dtype=np.int32), TypeError, "dtype"),
        (lambda: Linear(3, 2, seed=-1), TypeError, "seed"),
        (lambda: Linear(3, 2).forward(np.ones((5, 4))), ValueError, "3 features"),
        (lambda: Linear(3, 2).forward(np.ones(3)), ValueError, "x must be a 2-D"),
        (lambda: Linear(3, 2).forward([[1.0, np.nan, 2.0]]), ValueError, "NaN"),
        (lambda: Linear(3, 2).backward(np.ones((1, 2))), RuntimeError, "forward"),
        (lambda: Softmax(dim=1.5), TypeError, "dim"),
        (lambda: Softmax(dim=2).forward(np.ones((2, 2))), ValueError, "dim"),
        (lambda: Sequential(), ValueError, "at least one layer"),
        (lambda: Sequential(Linear(3, 2), "relu"), TypeError, "layer 1"),
        (lambda: Sequential(Linear(3, 2), Linear(2, 1, dtype=np.float32)), ValueError, "dtype"),
        (lambda: MSELoss(reduction="avg"), ValueError, "reduction"),
        (lambda: CrossEntropyLoss().backward(), RuntimeError, "before backward"),
        (lambda: Network(Linear(3, 1), MSELoss()), TypeError, "net"),
        (lambda: Network(Sequential(Linear(3, 1)), "mse"), TypeError, "criterion"),
        (lambda: Network(Sequential(Linear(3, 1)), MSELoss(reduction="none")), ValueError, "reduction"),
        (lambda: Network(Sequential(Linear(3, 1)), MSELoss()).predict_proba(np.ones((2, 3))), TypeError, "predict_proba"),
        (lambda: Network(Sequential(Linear(3, 1)), MSELoss()).forward(np.ones(3)), ValueError, "X must be a 2-D"),
    ],
)
def test_bad_input_raises_a_clear_error_naming_the_argument(action, error, fragment):
    with pytest.raises(error, match=fragment):
        action()


def test_backward_refuses_grad_out_of_the_wrong_shape():
    layer = Sigmoid()
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="grad_out must have the shape"):
        layer.backward(np.ones((3, 2)))
