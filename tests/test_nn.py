"""scratch.nn: Sequential (nesting, reused layers, state dicts) and the loss modules (Network: tests/test_network.py).

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
    Module,
    MSELoss,
    Network,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    layers,
)
from scratch.preprocessing import Standardize

from conftest import (
    assert_finite,
    assert_raises_naming,
    case,
    EXTREMES,
    matrices,
    seeds,
    SIGN_LABELS,
    sizes,
    to_torch,
    X_NAN,
    X_SIGNS,
)


def relative_error(a, b):
    """max |a − b| / max |b|."""
    return np.abs(a - b).max() / np.abs(b).max()


def torch_output_and_grads(reference, torch, x, upstream):
    """torch's output and {name: ∂L/∂param} for L = Σ upstream · reference(x)."""
    out = reference(torch.from_numpy(x))
    (out * torch.from_numpy(upstream)).sum().backward()
    return out.detach().numpy(), {name: p.grad.numpy() for name, p in reference.named_parameters()}


def random_stack(data, d_in):
    """Linear layers of random widths, each maybe followed by an activation; maybe a Linear used
    twice (Linear(w, w) → activation → the same Linear); maybe a run of layers nested in a Sequential."""
    layers, width = [], d_in
    for _ in range(data.draw(st.integers(1, 3))):
        out = data.draw(sizes)
        layers.append(Linear(width, out, seed=data.draw(seeds)))
        activation = data.draw(st.sampled_from([None, ReLU, Sigmoid, Softmax]))
        layers += [activation()] if activation else []
        width = out
    if data.draw(st.booleans()):
        square = Linear(width, width, seed=data.draw(seeds))
        layers += [square, data.draw(st.sampled_from([ReLU, Sigmoid]))(), square]
    start = data.draw(st.integers(0, len(layers) - 1))
    stop = data.draw(st.integers(start + 1, len(layers)))
    if data.draw(st.booleans()):
        layers[start:stop] = [Sequential(*layers[start:stop])]
    return Sequential(*layers), width


# ---------------------------------------------------------------- Sequential: backward semantics


def test_backward_returns_fresh_gradients_that_never_accumulate_across_calls():
    shared = Linear(3, 3, seed=0)
    net = Sequential(shared, Sigmoid(), shared, Linear(3, 2, seed=1))
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


def test_a_layer_used_twice_gets_the_sum_of_both_uses_gradients_by_finite_differences():
    shared = Linear(3, 3, seed=0)
    net = Sequential(shared, Sigmoid(), shared)
    rng = np.random.default_rng(1)
    x, upstream = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    net.forward(x)
    grads = net.backward(upstream)
    assert list(grads) == ["0.weight", "0.bias"]  # one parameter, reached twice
    for name, param in shared.params.items():
        numeric = numerical_gradient(lambda _: np.sum(upstream * net.forward(x)), param)
        assert relative_error(grads[f"0.{name}"], numeric) < 1e-7


@given(data=st.data(), n=sizes, d_in=sizes)
def test_skipping_the_first_layers_input_gradient_changes_no_parameter_gradient(data, n, d_in):
    net, d_out = random_stack(data, d_in)
    _, tape = net._forward(data.draw(matrices(n, d_in)))
    upstream = data.draw(matrices(n, d_out))
    grad_x, grads = net._backward(tape, upstream)
    skipped, same = net._backward(tape, upstream, need_input_grad=False)
    assert grad_x.shape == (n, d_in) and skipped is None
    assert list(same) == list(grads) == list(net.params)
    for name in grads:
        np.testing.assert_array_equal(same[name], grads[name])


# ---------------------------------------------------------------- Sequential vs torch


@given(data=st.data(), n=sizes, d_in=sizes)
def test_sequential_outputs_and_gradients_match_torch_with_nesting_and_reuse(data, n, d_in):
    torch = pytest.importorskip("torch")
    net, d_out = random_stack(data, d_in)
    x, upstream = data.draw(matrices(n, d_in)), data.draw(matrices(n, d_out))
    out = net.forward(x)
    grads = net.backward(upstream)
    expected, torch_grads = torch_output_and_grads(to_torch(net, torch), torch, x, upstream)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    assert list(grads) == list(torch_grads) == list(net.params)
    for name, grad in grads.items():
        np.testing.assert_allclose(grad, torch_grads[name], rtol=1e-10, atol=1e-12)


def test_a_layer_used_twice_gets_pytorchs_gradient():
    torch = pytest.importorskip("torch")
    shared = Linear(3, 3, seed=0)
    net = Sequential(shared, ReLU(), shared, Sigmoid())
    rng = np.random.default_rng(0)
    x, upstream = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    net.forward(x)
    grads = net.backward(upstream)
    _, expected = torch_output_and_grads(to_torch(net, torch), torch, x, upstream)
    for name in ("0.weight", "0.bias"):
        assert relative_error(grads[name], expected[name]) <= 1e-10


def test_nested_sequential_equals_the_flattened_one_and_torch():
    torch = pytest.importorskip("torch")
    inner = Sequential(ReLU(), Linear(5, 2, seed=1))
    nested = Sequential(Linear(4, 5, seed=0), inner, Sigmoid())
    flat = Sequential(nested[0], *inner, nested[2])
    rng = np.random.default_rng(0)
    x, upstream = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    np.testing.assert_array_equal(nested(x), flat(x))
    nested_grads, flat_grads = nested.backward(upstream), flat.backward(upstream)
    assert list(nested_grads) == ["0.weight", "0.bias", "1.1.weight", "1.1.bias"]
    assert list(flat_grads) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for a, b in zip(nested_grads.values(), flat_grads.values()):
        np.testing.assert_array_equal(a, b)
    reference = to_torch(nested, torch)
    assert repr(nested) == repr(reference)
    expected, torch_grads = torch_output_and_grads(reference, torch, x, upstream)
    np.testing.assert_allclose(nested(x), expected, rtol=1e-12)
    for name, grad in nested_grads.items():
        np.testing.assert_allclose(grad, torch_grads[name], rtol=1e-10, atol=1e-14)


def test_sequential_names_and_repr_match_torch():
    torch = pytest.importorskip("torch")
    net = Sequential(Linear(4, 8, seed=0), ReLU(), Linear(8, 3, seed=1), Sigmoid(), Softmax(dim=-1))
    reference = to_torch(net, torch)
    assert list(net.params) == list(reference.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [name for name, _ in net.named_parameters()] == list(net.params)
    assert repr(net) == repr(reference)
    assert len(net) == 5 and isinstance(net[1], ReLU) and len(net[:-1]) == 4 and net[:-1][0] is net[0]


def test_children_are_modules_each_once_and_named_children_their_pairs_as_in_torch():
    torch = pytest.importorskip("torch")
    shared = Linear(3, 3, seed=0)
    net = Sequential(shared, ReLU(), shared, Sequential(Linear(3, 2, seed=1), Tanh()))
    reference = to_torch(net, torch)
    assert [type(m).__name__ for m in net.children()] == [type(m).__name__ for m in reference.children()]
    assert [m is shared for m in net.children()] == [True, False, False]
    assert [name for name, _ in net.named_children()] == [name for name, _ in reference.named_children()] == ["0", "1", "3"]
    assert list(net.state_dict()) == list(reference.state_dict())  # the state dict keeps both names of a shared layer
    assert list(Linear(2, 2).children()) == [] and list(ReLU().named_children()) == []


def test_append_insert_extend_and_add_follow_torch_and_keep_checking_the_widths():
    torch = pytest.importorskip("torch")
    l1, l2, l3, act = Linear(2, 3, seed=0), Linear(3, 3, seed=1), Linear(3, 4, seed=2), Tanh()
    net = Sequential(l1)
    assert net.append(l2) is net and net.insert(-1, ReLU()) is net and net.extend([act, l3]) is net
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear", "Tanh", "Linear"]
    both = Sequential(l1) + Sequential(l2, act)
    assert [m for m in both] == [l1, l2, act] and len(Sequential(l1)) == 1  # + makes a new one
    grown = Sequential(l1)
    grown += Sequential(l2)
    assert list(grown) == [l1, l2]
    reference = to_torch(net, torch)
    x = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_allclose(net(x), reference(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)
    assert list(net.params) == list(reference.state_dict())
    with pytest.raises(ValueError, match="the widths must chain"):
        net.append(Linear(5, 1))
    assert len(net) == 5  # a refused change leaves the Sequential as it was
    with pytest.raises(IndexError, match=r"index must be an integer in \[-5, 5\]"):
        net.insert(-6, ReLU())
    with pytest.raises(TypeError, match="layer 5 must be a scratch.nn layer"):
        net.append([ReLU()])
    with pytest.raises(TypeError, match="extend takes a Sequential or a list of layers"):
        net.extend(ReLU())
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class"):
        net + ReLU()


@pytest.mark.parametrize("shape", [(4,), (0, 4), (2, 3, 4), (2, 1, 3, 4)], ids=str)
def test_batch_dimensions_are_flattened_in_forward_and_backward_as_torch_does(shape):
    """Linear takes (*, in_features) — one unbatched sample, N = 0, (N, T, in) — activations any shape."""
    torch = pytest.importorskip("torch")
    net = Sequential(Linear(4, 5, seed=0), Tanh(), Linear(5, 3, bias=False, seed=1), Softmax(dim=-1))
    reference = to_torch(net, torch)
    rng = np.random.default_rng(1)
    x, upstream = rng.normal(size=shape), rng.normal(size=shape[:-1] + (3,))
    out, grads = torch_output_and_grads(reference, torch, x, upstream)
    np.testing.assert_allclose(net.forward(x), out, rtol=1e-12, atol=1e-15)
    ours = net.backward(upstream)
    assert list(ours) == list(grads) == ["0.weight", "0.bias", "2.weight"]
    for name, grad in ours.items():
        np.testing.assert_allclose(grad, grads[name], rtol=1e-10, atol=1e-14)
    first = net[0]
    first.forward(x)
    x_torch = torch.from_numpy(x).requires_grad_()
    g_out = rng.normal(size=shape[:-1] + (5,))
    (reference[0](x_torch) * torch.from_numpy(g_out)).sum().backward()
    np.testing.assert_allclose(first.backward(g_out), x_torch.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_params_are_the_live_arrays_so_sgd_updates_the_layers():
    from scratch.optim import SGD

    net = Sequential(Linear(3, 2, seed=0))
    before = net[0].weight.copy()
    out = net(np.ones((4, 3)))
    grads = net.backward(np.ones_like(out))
    SGD(net.params, lr=0.1).step(grads)
    np.testing.assert_allclose(net[0].weight, before - 0.1 * grads["0.weight"])
    assert all(p is q for p, q in zip(net.parameters(), net[0].params.values()))


# ---------------------------------------------------------------- state dicts and descriptions


def shared_stack(torch=None):
    """Linear(4, 5) → [Linear(5, 5) → ReLU] → the same Linear(5, 5) → Linear(5, 3), in scratch or torch."""
    if torch is None:
        shared = Linear(5, 5, seed=1)
        return Sequential(Linear(4, 5, seed=0), Sequential(shared, ReLU()), shared, Linear(5, 3, seed=2))
    shared = torch.nn.Linear(5, 5)
    inner = torch.nn.Sequential(shared, torch.nn.ReLU())
    return torch.nn.Sequential(torch.nn.Linear(4, 5), inner, shared, torch.nn.Linear(5, 3)).double()


def test_sequential_and_network_state_dicts_load_into_torch_sequential_strictly():
    torch = pytest.importorskip("torch")
    net = shared_stack()
    x = np.random.default_rng(0).normal(size=(7, 4))
    for module in (net, Network(net, CrossEntropyLoss())):
        state = module.state_dict()
        assert list(state) == list(shared_stack(torch).state_dict())  # "1.0.weight" and "2.weight", as torch
        reference = shared_stack(torch)
        reference.load_state_dict({key: torch.from_numpy(value) for key, value in state.items()})  # strict
        np.testing.assert_allclose(reference(torch.from_numpy(x)).detach().numpy(), net(x), rtol=1e-12)


def test_load_state_dict_from_torch_reproduces_torchs_outputs():
    torch = pytest.importorskip("torch")
    reference = shared_stack(torch)
    state = {key: value.numpy() for key, value in reference.state_dict().items()}
    x = np.random.default_rng(0).normal(size=(7, 4))
    expected = reference(torch.from_numpy(x)).detach().numpy()
    network = Network(shared_stack(), CrossEntropyLoss()).load_state_dict(state)
    np.testing.assert_allclose(network.forward(x), expected, rtol=1e-12)
    np.testing.assert_allclose(shared_stack().load_state_dict(state)(x), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (lambda s: {k: v for k, v in s.items() if k != "3.bias"}, "keys"),
        (lambda s: {**s, "4.weight": s["3.weight"]}, "keys"),
        (lambda s: {f"net.{k}": v for k, v in s.items()}, "keys"),
        (lambda s: {**s, "0.weight": s["0.weight"].T}, r"state_dict\['0.weight'\].*shape \(5, 4\)"),
        (lambda s: {**s, "0.bias": np.full(5, np.nan)}, "NaN"),
        (lambda s: list(s.items()), "keys"),
    ],
    ids=["missing", "extra", "prefixed", "transposed", "nan", "not-a-dict"],
)
def test_load_state_dict_refuses_bad_keys_and_shapes(edit, fragment):
    network = Network(shared_stack(), MSELoss())
    before = network.state_dict()
    with pytest.raises(ValueError, match=fragment):
        network.load_state_dict(edit(shared_stack().state_dict()))
    for key, value in network.state_dict().items():
        np.testing.assert_array_equal(value, before[key])  # nothing half-loaded


def test_from_description_rebuilds_a_network_with_its_criterion_and_transform():
    net = Sequential(Linear(3, 4, seed=0), Sequential(ReLU(), Linear(4, 1, seed=1)), Sigmoid())
    transform = Standardize(np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.0, 2.0]))
    network = Network(net, BCEWithLogitsLoss(pos_weight=np.array([2.0])), transform=transform)
    rebuilt = Module.from_description(network.describe())
    assert type(rebuilt) is Network and rebuilt.describe() == network.describe() and repr(rebuilt) == repr(network)
    assert rebuilt.transform == transform and rebuilt.net[-1] is not net[-1]
    X, y = np.random.default_rng(0).normal(size=(8, 3)), np.arange(8) % 2
    rebuilt.load_state_dict(network.state_dict())
    np.testing.assert_array_equal(rebuilt.predict_proba(X), network.predict_proba(X))
    assert rebuilt.loss(X, y) == network.loss(X, y)


def test_a_reused_layer_is_described_twice_and_its_state_dict_loads_into_the_rebuilt_stack():
    net = shared_stack()
    rebuilt = Network.from_description(Network(net, MSELoss()).describe())
    assert len(rebuilt.params) == len(net.params) + 2  # untied on rebuilding, as describe() says
    rebuilt.load_state_dict(net.state_dict())
    x = np.random.default_rng(0).normal(size=(3, 4))
    np.testing.assert_array_equal(rebuilt.forward(x), net(x))


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
        (lambda: Sequential(Linear(3, 2), MSELoss()), TypeError, "layer 1"),
        (lambda: Sequential(Linear(3, 2), Linear(2, 1, dtype=np.float32)), ValueError, "dtype"),
        (
            lambda: Sequential(Linear(3, 2), ReLU(), Linear(3, 1)),
            ValueError,
            r"layer 2 \(Linear with in_features=3\) cannot follow layer 0 \(Linear with out_features=2\)",
        ),
        (lambda: Sequential(Linear(3, 2)).forward(np.ones((2, 4))), ValueError, r"x of shape \(\*, 3\)"),
        (lambda: Sequential(Linear(3, 2)).backward(np.ones((2, 2))), RuntimeError, "forward"),
        (lambda: Sequential.from_config({"layer": []}), ValueError, "layers"),
        (lambda: MSELoss(reduction="avg"), ValueError, "reduction"),
        (lambda: CrossEntropyLoss().backward(), RuntimeError, "before backward"),
        (lambda: Network(Linear(3, 1), MSELoss()), TypeError, "net"),
        (lambda: Network(Sequential(Linear(3, 1)), "mse"), TypeError, "criterion"),
        (lambda: Network(Sequential(Linear(3, 1)), Sigmoid()), TypeError, "criterion"),
        (lambda: Network(Sequential(Linear(3, 1)), MSELoss(reduction="none")), ValueError, "reduction"),
        (lambda: Network(Sequential(ReLU()), MSELoss()), ValueError, "Linear"),
        (lambda: Network(Sequential(Linear(3, 1)), MSELoss(), transform="pixels"), TypeError, "transform"),
        (lambda: Network.from_config({"net": None}), ValueError, "criterion"),
        (lambda: regression_network().predict_proba(np.ones((2, 3))), TypeError, "predict_proba"),
        (lambda: regression_network().forward(np.ones(3)), ValueError, "X must hold a batch"),
        (lambda: regression_network().forward(np.ones((2, 4))), ValueError, "expects 3 features"),
        (lambda: regression_network().loss(np.ones((2, 3)), np.ones(3)), ValueError, "same number of samples"),
    ],
)
def test_bad_input_raises_a_clear_error_naming_the_argument(action, error, fragment):
    with pytest.raises(error, match=fragment):
        action()


def test_backward_refuses_grad_out_of_the_wrong_shape():
    net = Sequential(Linear(3, 2, seed=0), ReLU())
    net.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match="grad_out must have the shape"):
        net.backward(np.ones((4, 3)))


# ---- bad input: layers, Sequential and the loss modules (each call raises the error type and names the argument; conftest.case)
BAD_INPUT_TABLE = [
    case("Sequential-no-layers", Sequential, ValueError, "layer"),
    case("Linear-in_features-0", Linear, ValueError, "in_features", in_features=0, out_features=2),
    case("Linear.forward-x-0d", Linear(3, 2).forward, ValueError, "x", x=np.float64(1.0)),  # (in,) is an unbatched sample, as in torch
    case("Sequential.forward-x-nan", Sequential(Linear(3, 2)).forward, ValueError, "x", x=X_NAN),
    case("Softmax-dim-float", Softmax, TypeError, "dim", dim=0.5),
    case("MSELoss-reduction-unknown", MSELoss, ValueError, "reduction", reduction="avg"),
    case("CrossEntropyLoss-label_smoothing-2", CrossEntropyLoss, ValueError, "label_smoothing", label_smoothing=2.0),
    case("CrossEntropyLoss-ignore_index-float", CrossEntropyLoss, TypeError, "ignore_index", ignore_index=0.5),
]


@pytest.mark.parametrize("call, kwargs, error, argument", BAD_INPUT_TABLE)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    assert_raises_naming(call, kwargs, error, argument)



@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_bare_sequential_backward_through_saturated_softmax_and_sigmoid_stays_finite(dtype, big):
    """PyTorch's literal criterion(net(X), y): the loss sees probabilities, the layers saturate."""
    X = X_SIGNS[:2].astype(dtype)
    for head, criterion, y in [(Softmax(), CrossEntropyLoss(), SIGN_LABELS), (Sigmoid(), BCEWithLogitsLoss(), [1.0, 0.0])]:
        width = 3 if isinstance(head, Softmax) else 1
        net = Sequential(Linear(1, width, seed=0, dtype=dtype), ReLU(), Linear(width, width, seed=1, dtype=dtype), head)
        net[0].params["weight"][...] = big
        out = net(X)
        loss = criterion(out if width == 3 else out[:, 0], y)
        grads = net.backward(criterion.backward().reshape(out.shape))
        assert_finite(loss, grads)


# ---- the layers' inner paths do no per-call checks
def test_forward_and_backward_of_a_sequential_call_no_validator(monkeypatch):
    net = Sequential(Linear(6, 4, seed=0), ReLU(), Linear(4, 3, seed=1))
    x, g = np.random.default_rng(0).normal(size=(5, 6)), np.ones((5, 3))
    expected = net._backward(net._forward(x)[1], g, need_input_grad=True)

    def refuse(*args, **kwargs):
        raise AssertionError("a validator ran inside _forward/_backward")

    for module in (layers, scratch.nn.container):
        for name in ("check_array", "check_number", "check_dtype"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, refuse)
    out, tape = net._forward(x)
    grad_x, grads = net._backward(tape, g, need_input_grad=True)
    np.testing.assert_array_equal(grad_x, expected[0])
    assert grads.keys() == expected[1].keys()
