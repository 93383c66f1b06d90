"""scratch.autograd: the lecture's slide-9 graph, every op's backward against finite differences
and torch.autograd on broadcasting shapes, and PyTorch's backward semantics."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays, mutually_broadcastable_shapes

from scratch.autograd import Tensor
from scratch.gradcheck import numerical_gradient, tape_binary_cross_entropy_with_logits, tape_cross_entropy
from scratch import losses

from conftest import assert_raises_naming, case, EXTREMES, SIGN_BINARY, SIGN_LABELS, X_OBJECT

ANY = st.floats(-2, 2)
POSITIVE = st.floats(0.5, 2)
AWAY_FROM_ZERO = ANY.filter(lambda v: abs(v) > 1e-3)  # relu's kink
SHAPES = array_shapes(min_dims=1, max_dims=3, max_side=4)
PAIRS = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)


def backward_of_weighted_sum(build, arrays_in, seed=0):
    """Gradients of L = Σ R ⊙ build(*tensors) (R random) w.r.t. every input, and R."""
    leaves = [Tensor(a.copy(), requires_grad=True) for a in arrays_in]
    out = build(*leaves)
    weights = np.random.default_rng(seed).normal(size=out.shape)
    (out * weights).sum().backward()
    return [leaf.grad for leaf in leaves], weights


def assert_matches_finite_differences(build, *arrays_in):
    grads, weights = backward_of_weighted_sum(build, arrays_in)
    for grad, a in zip(grads, arrays_in):
        loss = lambda _: float(np.sum(build(*[Tensor(b) for b in arrays_in]).data * weights))
        assert grad.shape == a.shape
        np.testing.assert_allclose(grad, numerical_gradient(loss, a), rtol=1e-6, atol=1e-7)


def assert_matches_torch(build, torch_build, *arrays_in):
    torch = pytest.importorskip("torch")
    grads, weights = backward_of_weighted_sum(build, arrays_in)
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays_in]
    (torch_build(*leaves) * torch.from_numpy(weights)).sum().backward()
    for grad, leaf in zip(grads, leaves):
        np.testing.assert_allclose(grad, leaf.grad.numpy(), rtol=1e-12, atol=1e-14)


# --- the lecture, slide 9: y = x², z = 3y + 2 → dz/dx = 6x -----------------------------------------
def test_slide_9_at_x_2_gives_z_14_and_gradient_12():
    x = Tensor(2.0, requires_grad=True)
    y = x**2
    z = 3 * y + 2
    z.backward()
    assert z.item() == 14.0 and x.grad == 12.0


@given(st.floats(-1e3, 1e3))
def test_slide_9_gradient_is_6x_for_any_scalar(value):
    x = Tensor(value, requires_grad=True)
    (3 * x**2 + 2).backward()
    assert x.grad == pytest.approx(6 * value, rel=1e-15, abs=1e-300)


@given(arrays(np.float64, SHAPES, elements=st.floats(-1e3, 1e3)))
def test_slide_9_gradient_is_6x_elementwise_for_arrays(values):
    x = Tensor(values, requires_grad=True)
    z = 3 * x**2 + 2
    z.backward(np.ones_like(values))
    np.testing.assert_allclose(x.grad, 6 * values, rtol=1e-15)


# --- binary operations on broadcasting shapes ---------------------------------------------------------
BINARY = {
    "add": (lambda a, b: a + b, ANY, ANY),
    "sub": (lambda a, b: a - b, ANY, ANY),
    "mul": (lambda a, b: a * b, ANY, ANY),
    "div": (lambda a, b: a / b, ANY, POSITIVE),
    "pow": (lambda a, b: a**b, POSITIVE, ANY),
}


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data(), shapes=PAIRS)
def test_binary_op_backward_matches_finite_differences_and_torch_when_broadcasting(name, data, shapes):
    op, left, right = BINARY[name]
    a = data.draw(arrays(np.float64, shapes.input_shapes[0], elements=left))
    b = data.draw(arrays(np.float64, shapes.input_shapes[1], elements=right))
    assert_matches_finite_differences(op, a, b)
    assert_matches_torch(op, op, a, b)


@pytest.mark.parametrize(
    "build, expected",
    [
        (lambda x: 2 + x, lambda v: np.ones_like(v)),
        (lambda x: 2 - x, lambda v: -np.ones_like(v)),
        (lambda x: 2 * x, lambda v: np.full_like(v, 2)),
        (lambda x: 2 / x, lambda v: -2 / v**2),
        (lambda x: 2**x, lambda v: 2**v * np.log(2)),
        (lambda x: x**3, lambda v: 3 * v**2),
        (lambda x: -x, lambda v: -np.ones_like(v)),
        (lambda x: np.full(3, 2.0) * x, lambda v: np.full_like(v, 2)),
    ],
    ids=["radd", "rsub", "rmul", "rtruediv", "rpow", "pow-scalar", "neg", "ndarray-times-tensor"],
)
def test_operations_with_constants_and_reflected_operands(build, expected):
    values = np.array([0.5, 1.0, 2.0])
    x = Tensor(values, requires_grad=True)
    build(x).sum().backward()
    np.testing.assert_allclose(x.grad, expected(values), rtol=1e-15)


def test_pow_gradients_at_a_zero_base_or_exponent_are_torchs_limits_not_nan():
    """∂(xᵉ)/∂e = xᵉ·log x is 0 at x = 0, e ≥ 0 (not 0·log 0 = nan); ∂(xᵉ)/∂x = e·xᵉ⁻¹ is 0 at e = 0."""
    x, e = np.array([0.0, 0.0, 0.0, 2.0]), np.array([0.0, 1.0, 2.5, 0.0])
    base, exponent = Tensor(x, requires_grad=True), Tensor(e, requires_grad=True)
    (base**exponent).sum().backward()
    np.testing.assert_array_equal(base.grad, [0.0, 1.0, 0.0, 0.0])
    np.testing.assert_array_equal(exponent.grad, [0.0, 0.0, 0.0, np.log(2.0)])
    assert_matches_torch(lambda a, b: a**b, lambda a, b: a**b, x, e)


@pytest.mark.parametrize(
    "a_shape, b_shape",
    [((4, 3), (3, 2)), ((3,), (3, 2)), ((4, 3), (3,)), ((3,), (3,)), ((2, 4, 3), (3, 2)), ((4, 3), (2, 3, 5))],
)
def test_matmul_backward_matches_finite_differences_and_torch(a_shape, b_shape):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=a_shape), rng.normal(size=b_shape)
    matmul = lambda u, v: u @ v
    assert_matches_finite_differences(matmul, a, b)
    assert_matches_torch(matmul, matmul, a, b)


# --- unary operations, reductions, shapes and indexing ----------------------------------------------
UNARY = {  # name: (scratch, torch, elements)
    "exp": (lambda x: x.exp(), lambda x: x.exp(), ANY),
    "log": (lambda x: x.log(), lambda x: x.log(), POSITIVE),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid(), ANY),
    "tanh": (lambda x: x.tanh(), lambda x: x.tanh(), ANY),
    "softplus": (lambda x: x.softplus(), lambda x: x.exp().log1p(), ANY),
    "relu": (lambda x: x.relu(), lambda x: x.relu(), AWAY_FROM_ZERO),
    "neg": (lambda x: -x, lambda x: -x, ANY),
    "sum": (lambda x: x.sum(), lambda x: x.sum(), ANY),
    "mean": (lambda x: x.mean(), lambda x: x.mean(), ANY),
    "sum-axis0-keepdims": (lambda x: x.sum(axis=0, keepdims=True), lambda x: x.sum(0, keepdim=True), ANY),
    "mean-last-axis": (lambda x: x.mean(axis=-1), lambda x: x.mean(-1), ANY),
    "logsumexp": (lambda x: x.logsumexp(axis=-1), lambda x: x.logsumexp(-1), ANY),
    "logsumexp-keepdims": (lambda x: x.logsumexp(0, keepdims=True), lambda x: x.logsumexp(0, keepdim=True), ANY),
    "log_softmax": (lambda x: x.log_softmax(axis=-1), lambda x: x.log_softmax(-1), ANY),
    "log_softmax-axis0": (lambda x: x.log_softmax(axis=0), lambda x: x.log_softmax(0), ANY),
    "reshape": (lambda x: x.reshape(-1), lambda x: x.reshape(-1), ANY),
    "T": (lambda x: x.T, lambda x: x.permute(*reversed(range(x.ndim))), ANY),
    "index-last": (lambda x: x[..., -1], lambda x: x[..., -1], ANY),
    "index-repeated": (lambda x: x[[0, 0, -1]], lambda x: x[[0, 0, -1]], ANY),
}


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data(), shape=SHAPES)
def test_unary_op_backward_matches_finite_differences_and_torch(name, data, shape):
    op, torch_op, elements = UNARY[name]
    x = data.draw(arrays(np.float64, shape, elements=elements))
    assert_matches_finite_differences(op, x)
    assert_matches_torch(op, torch_op, x)


@given(data=st.data(), n=st.integers(1, 6), k=st.integers(2, 5))
def test_picking_class_scores_from_log_softmax_gives_the_softmax_regression_gradient(data, n, k):
    z = data.draw(arrays(np.float64, (n, k), elements=st.floats(-5, 5)))
    y = data.draw(arrays(np.int64, n, elements=st.integers(0, k - 1)))
    logits = Tensor(z, requires_grad=True)
    (-logits.log_softmax(axis=1)[np.arange(n), y].mean()).backward()
    probabilities = np.exp(z - z.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    np.testing.assert_allclose(logits.grad, (probabilities - np.eye(k)[y]) / n, atol=1e-15)


def test_transpose_with_explicit_axes_inverts_the_permutation_in_backward():
    x = np.arange(24.0).reshape(2, 3, 4)
    assert_matches_finite_differences(lambda t: t.transpose(1, 2, 0), x)
    assert_matches_finite_differences(lambda t: t.transpose((2, 0, 1)), x)


def test_log_softmax_and_logsumexp_stay_finite_for_huge_logits():
    x = Tensor(np.array([[1e4, -1e4, 0.0]]), requires_grad=True)
    (x.log_softmax(axis=1)[0, 1] + x.logsumexp(axis=1).sum()).backward()
    assert np.isfinite(x.grad).all()
    np.testing.assert_allclose(x.grad, [[0.0, 1.0, 0.0]], atol=1e-12)  # (e₁ − p) + p, p = e₀


# --- PyTorch's backward semantics ----------------------------------------------------------------------
def test_a_tensor_used_twice_receives_both_gradients():
    x = Tensor(3.0, requires_grad=True)
    (x * x + x).backward()
    assert x.grad == 7.0  # 2x + 1


def test_leaf_gradients_accumulate_across_backward_calls_like_pytorch():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])


def test_intermediate_gradients_do_not_leak_into_a_later_backward_on_a_new_graph():
    """micrograd #102: an intermediate's gradient from a first backward must not be reused."""
    x = Tensor(1.0, requires_grad=True)
    y = x * 2
    y.backward()
    x.grad = None
    (y * 3).backward()
    assert x.grad == 6.0
    assert y.grad is None  # like PyTorch, only leaves keep .grad


def test_backward_on_a_non_scalar_needs_an_explicit_gradient():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="gradient"):
        (x * 2).backward()
    (x * x).backward(np.array([1.0, 0.0, -1.0]))  # a vector-Jacobian product
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, -6.0])


def test_backward_refuses_a_gradient_of_the_wrong_shape():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="gradient"):
        (x * 2).backward(np.ones(3))


def test_backward_refuses_a_result_that_needs_no_gradient():
    with pytest.raises(RuntimeError, match="requires_grad"):
        (Tensor(2.0) * 3).backward()


def test_only_inputs_that_require_grad_receive_a_gradient():
    x, c = Tensor(2.0, requires_grad=True), Tensor(5.0)
    out = x * c
    out.backward()
    assert out.requires_grad and x.grad == 5.0 and c.grad is None
    assert not (c * 2).requires_grad and not x.detach().requires_grad


def test_float32_stays_float32_through_ops_with_python_scalars_and_gradients():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    out = (2 * x + 1).exp().mean()
    out.backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_a_long_chain_backpropagates_without_recursion_limits():
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0


@pytest.mark.parametrize("data", [0.0, 2.0, [0.0], [-1.0], [[3.0]], [1.0, 2.0], [], [[0.0, 0.0]]])
def test_truth_value_of_a_tensor_is_torchs(data):
    torch = pytest.importorskip("torch")
    try:
        expected = bool(torch.tensor(data, dtype=torch.float64))
    except RuntimeError:
        with pytest.raises(RuntimeError, match="ambiguous"):
            bool(Tensor(data))
    else:
        assert bool(Tensor(data)) is expected


def test_tensor_refuses_non_numeric_data_naming_the_argument():
    with pytest.raises(TypeError, match="data"):
        Tensor(np.array(["a", "b"]))


# ---- bad input: Tensor (each call raises the error type and names the argument; conftest.case)
BAD_INPUT_TABLE = [
    case("Tensor-data-string", Tensor, TypeError, "data", data=["a", "b"]),
    case("Tensor-data-object", Tensor, TypeError, "data", data=X_OBJECT),
    case("Tensor.add-other-string", Tensor(np.ones(3)).__add__, TypeError, "other", other="a"),
    case("Tensor.matmul-other-wrong-shape", Tensor(np.ones((2, 3))).__matmul__, ValueError, "other",
         other=Tensor(np.ones((2, 3)))),
    case("Tensor.backward-gradient-wrong-shape", (Tensor(np.ones(3), requires_grad=True) * 2).backward,
         ValueError, "gradient", gradient=np.ones(2)),
    case("Tensor.backward-gradient-nan", (Tensor(np.ones(3), requires_grad=True) * 2).backward,
         ValueError, "gradient", gradient=np.full(3, np.nan)),
    case("Tensor.backward-non-scalar-no-gradient", (Tensor(np.ones(3), requires_grad=True) * 2).backward,
         RuntimeError, "gradient"),
]


@pytest.mark.parametrize("call, kwargs, error, argument", BAD_INPUT_TABLE)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    assert_raises_naming(call, kwargs, error, argument)



# ---- numerical extremes: finite values and gradients at logits of ±1e4 (float32), ±1e300 (float64)
@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_autograd_losses_at_extreme_logits_equal_the_closed_form(dtype, big):
    logits = np.array([big, -big, big, -big], dtype)
    x = Tensor(logits, requires_grad=True)
    tape_binary_cross_entropy_with_logits(x, SIGN_BINARY.astype(dtype)).backward()
    np.testing.assert_allclose(x.grad, losses.binary_cross_entropy_with_logits_grad(logits, SIGN_BINARY))

    rows = np.array([[big, -big, 0.0], [-big, big, 0.0]], dtype)
    z = Tensor(rows, requires_grad=True)
    loss = tape_cross_entropy(z, SIGN_LABELS)
    loss.backward()
    assert float(loss.data) == pytest.approx(losses.cross_entropy(rows, SIGN_LABELS), rel=1e-6)
    np.testing.assert_allclose(z.grad, losses.cross_entropy_grad(rows, SIGN_LABELS))


@pytest.mark.parametrize("dtype, big", EXTREMES)
@pytest.mark.parametrize("op", ["sigmoid", "softplus", "log_softmax", "logsumexp"])
def test_autograd_stable_ops_have_finite_values_and_gradients_at_extreme_logits(op, dtype, big):
    x = Tensor(np.array([[big, -big, 0.0]], dtype), requires_grad=True)
    out = getattr(x, op)()
    out.sum().backward()
    assert np.isfinite(out.data).all() and np.isfinite(x.grad).all()
    assert x.grad.dtype == dtype
