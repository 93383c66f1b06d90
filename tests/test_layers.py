"""scratch.nn's layers: every layer's backward against finite differences, Linear's init, descriptions.

Oracles: central finite differences (scratch.gradcheck.numerical_gradient), the explicit softmax Jacobian, and
torch.nn.Linear's initialisation and state dict.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scratch.gradcheck import numerical_gradient
from scratch.nn import Linear, Module, ReLU, Sigmoid, Softmax

from conftest import matrices, seeds, sizes


def away_from_zero(x, margin=1e-2):
    """Shift entries away from ReLU's kink so finite differences see one side only."""
    return x + np.where(x >= 0, margin, -margin)


def check_input_gradient(layer, x, upstream):
    """backward(upstream) equals ∂/∂x of L(x) = Σ upstream·layer(x)."""
    layer.forward(x)
    analytic = layer.backward(upstream)
    numeric = numerical_gradient(lambda v: np.sum(upstream * layer.forward(v)), x.copy())
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
        numeric = numerical_gradient(lambda _: np.sum(upstream * layer.forward(x)), param)
        np.testing.assert_allclose(layer.grads[name], numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "make_layer", [ReLU, Sigmoid, Softmax, lambda: Softmax(dim=0)], ids=["relu", "sigmoid", "softmax", "softmax_dim0"]
)
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
    expected = np.einsum("nij,ni->nj", jacobians, g)
    np.testing.assert_allclose(layer.backward(g), expected, rtol=1e-12, atol=1e-15)
    assert not np.allclose(layer.backward(g), g * s * (1 - s))


@given(st.data(), sizes, sizes, sizes, seeds)
def test_linear_skips_only_the_input_gradient_when_it_is_not_needed(data, n, d_in, d_out, seed):
    layer = Linear(d_in, d_out, seed=seed)
    y, ctx = layer._forward(data.draw(matrices(n, d_in)))
    upstream = data.draw(matrices(n, d_out))
    grad_x, grads = layer._backward(ctx, upstream)
    skipped, same = layer._backward(ctx, upstream, need_input_grad=False)
    assert grad_x.shape == (n, d_in) and skipped is None
    for name in layer.params:
        np.testing.assert_array_equal(same[name], grads[name])


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


# ---------------------------------------------------------------- descriptions and state dicts


@pytest.mark.parametrize(
    "layer",
    [Linear(4, 3, seed=0), Linear(2, 5, seed=0, dtype=np.float32), ReLU(), Sigmoid(), Softmax(dim=0)],
    ids=repr,
)
def test_from_description_rebuilds_each_layer(layer):
    rebuilt = Module.from_description(layer.describe())
    assert type(rebuilt) is type(layer) and rebuilt.config() == layer.config() and repr(rebuilt) == repr(layer)
    assert {k: (v.shape, v.dtype) for k, v in rebuilt.params.items()} == {
        k: (v.shape, v.dtype) for k, v in layer.params.items()
    }


def test_linear_state_dict_is_torch_linears_both_ways():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(size=(5, 4))
    reference = torch.nn.Linear(4, 3, dtype=torch.float64)
    ours = Linear(4, 3, seed=0).load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    np.testing.assert_allclose(ours.forward(x), reference(torch.from_numpy(x)).detach().numpy(), rtol=1e-12)
    fresh = torch.nn.Linear(4, 3, dtype=torch.float64)
    fresh.load_state_dict({k: torch.from_numpy(v) for k, v in Linear(4, 3, seed=1).state_dict().items()})
    np.testing.assert_array_equal(fresh.weight.detach().numpy(), Linear(4, 3, seed=1).weight)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "action, error, fragment",
    [
        (lambda: Linear(0, 3), ValueError, "in_features"),
        (lambda: Linear(3, 2.5), TypeError, "out_features"),
        (lambda: Linear(3, 2, dtype=np.int32), TypeError, "dtype"),
        (lambda: Linear(3, 2, seed=-1), TypeError, "seed"),
        (lambda: Linear(3, 2).forward(np.ones((5, 4))), ValueError, r"x of shape \(\*, 3\).*got x of shape \(5, 4\)"),
        (lambda: Linear(3, 2).forward(np.float64(1.0)), ValueError, r"x of shape \(\*, 3\).*got x of shape \(\)"),
        (lambda: Linear(3, 2, bias=1), TypeError, "bias must be True or False"),
        (lambda: Linear(3, 2, dtype=np.float32).forward([[1e39, 0, 0]]), ValueError,
         r"x holds values up to 1e\+39 .* float32 \(largest 3.40282e\+38\)"),
        (lambda: Linear(100_000_000_000, 10), ValueError,
         r"in_features·out_features·8 = 8,000,000,000,000 bytes .* more than this machine's memory"),
        (lambda: Linear(3, 2).forward([["a", "b", "c"]]), TypeError, "x must hold numbers"),
        (lambda: Linear(3, 2).forward([[1.0, np.nan, 2.0]]), ValueError, "NaN"),
        (lambda: Linear(3, 2).backward(np.ones((1, 2))), RuntimeError, "forward"),
        (lambda: Softmax(dim=1.5), TypeError, "dim"),
        (lambda: Softmax(dim=2).forward(np.ones((2, 2))), ValueError, "dim"),
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


def test_relu_keeps_nan_and_passes_its_gradient_as_torch_does():
    """The public forward refuses NaN; the unchecked pair (what scratch.torch's graph calls) follows torch."""
    torch = pytest.importorskip("torch")
    x = np.array([-1.0, 0.0, 2.0, np.nan])
    relu = ReLU()
    y, ctx = relu._forward(x)
    g, _ = relu._backward(ctx, np.ones(4))
    t = torch.tensor(x, requires_grad=True)
    torch.relu(t).backward(torch.ones(4))
    np.testing.assert_array_equal(y, torch.relu(t).detach().numpy())
    np.testing.assert_array_equal(g, t.grad.numpy())
