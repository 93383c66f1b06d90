"""scratch.autograd's Tensor and its creation functions, their torch-like surface checked against torch:
dtypes on creation and promotion, zeros/ones/full/arange, view/reshape, cat, argmax, retain_grad, dtype
conversion, and the cases where PyTorch's OpInfo samples found scratch.autograd wrong.

torch's default float dtype is float32, scratch's float64: the comparisons run with torch's
default set to float64, so that every other rule must match exactly.
"""

import itertools
import operator

import numpy as np
import pytest

import scratch.autograd as ag
from scratch.autograd import Tensor, arange


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(previous)


def dtype_name(t):
    """'int64', 'float32', 'bool' … of a scratch or torch tensor."""
    return str(t.dtype).removeprefix("torch.")


def assert_same(ours, theirs):
    assert dtype_name(ours) == dtype_name(theirs)
    np.testing.assert_array_equal(ours.data, theirs.detach().numpy())


# --- creation keeps the data's dtype ---------------------------------------------------------------
@pytest.mark.parametrize("data", [[[1, 2], [3, 4]], [1.5, 2], [True, False], 3, 2.5, True, []])
def test_creation_from_python_data_gives_torchs_dtype(torch, data):
    assert_same(Tensor(data), torch.tensor(data))
    assert_same(ag.tensor(data), torch.tensor(data))


def test_the_slides_tensor_is_int64_and_arrays_keep_their_dtype():
    assert Tensor([[1, 2], [3, 4]]).dtype == np.int64
    for dtype in (np.uint8, np.int32, np.float32, np.float64, np.bool_):
        assert Tensor(np.zeros(2, dtype)).dtype == dtype
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32


def test_tensor_copies_its_data_as_torch_tensor_does():
    array = np.zeros(3)
    ag.tensor(array).data[0] = 1
    assert array[0] == 0


def test_requires_grad_needs_a_float_dtype_as_in_torch(torch):
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        Tensor([1, 2], requires_grad=True)
    assert Tensor([1, 2], requires_grad=True, dtype=np.float64).requires_grad


# --- promotion ---------------------------------------------------------------------------------------
DTYPES = ("bool", "uint8", "int32", "int64", "float32", "float64")
OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def operand_kinds():
    """(description, value for scratch, value for torch): tensors with 0 or 1 axes, and Python numbers."""
    for dtype, shape in itertools.product(DTYPES, ((), (2,))):
        yield f"{dtype}{list(shape)}", np.full(shape, 2 if dtype != "bool" else 1, dtype)
    for number in (3, 2.5, True, np.float32(2), np.int32(3)):
        yield repr(number), number


def test_binary_operations_promote_as_torch_does(torch):
    kinds = list(operand_kinds())
    checked = 0
    for (left_name, left), (right_name, right), (symbol, op) in itertools.product(kinds, kinds, OPERATORS.items()):
        if not isinstance(left, np.ndarray):  # a Python number on the left: torch and scratch both reflect
            continue
        torch_right = torch.from_numpy(right) if isinstance(right, np.ndarray) else right
        try:
            expected = op(torch.from_numpy(left), torch_right)
        except RuntimeError:  # e.g. bool - bool, which torch refuses
            continue
        ours = op(Tensor(left), Tensor(right) if isinstance(right, np.ndarray) else right)
        assert dtype_name(ours) == dtype_name(expected), f"{left_name} {symbol} {right_name}"
        np.testing.assert_allclose(ours.data, expected.numpy(), err_msg=f"{left_name} {symbol} {right_name}")
        checked += 1
    assert checked > 400


@pytest.mark.parametrize("name", ["exp", "log", "tanh", "sigmoid"])
def test_float_functions_of_integers_return_the_default_float(torch, name):
    ours, theirs = getattr(Tensor([1, 2]), name)(), getattr(torch.tensor([1, 2]), name)()
    assert dtype_name(ours) == dtype_name(theirs) == "float64"
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-15)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64"])
def test_integer_sums_are_int64_relu_keeps_the_dtype_and_mean_is_refused(torch, dtype):
    data = np.array([1, 0, 1], dtype)
    assert_same(Tensor(data).sum(), torch.from_numpy(data).sum())
    if dtype != "bool":
        assert_same(Tensor(data).relu(), torch.from_numpy(data).relu())
    with pytest.raises(RuntimeError, match="mean"):
        torch.from_numpy(data).mean()
    with pytest.raises(RuntimeError, match="mean"):
        Tensor(data).mean()


# --- zeros, ones, full, arange -----------------------------------------------------------------------
@pytest.mark.parametrize("make, args, kwargs", [
    ("zeros", (2, 3), {}), ("zeros", ((2, 3),), {}), ("ones", (4,), {}), ("ones", ([2, 1],), {"dtype": "int64"}),
    ("zeros", (0,), {}), ("full", ((2, 2), 3), {}), ("full", ((2,), 2.5), {}), ("full", ((3,), True), {}),
    ("full", ((2,), 7), {"dtype": "float32"}), ("arange", (5,), {}), ("arange", (1, 4), {}),
    ("arange", (0, 1, 0.25), {}), ("arange", (5, 0, -2), {}), ("arange", (0.5, 3), {}),
])
def test_creation_functions_match_torch(torch, make, args, kwargs):
    ours = getattr(ag, make)(*args, **{k: np.dtype(v) for k, v in kwargs.items()})
    theirs = getattr(torch, make)(*args, **{k: getattr(torch, v) for k, v in kwargs.items()})
    assert_same(ours, theirs)


def test_creation_functions_take_requires_grad_and_check_their_arguments():
    leaf = ag.zeros(2, requires_grad=True)
    (leaf * 3).sum().backward()
    assert leaf.grad.tolist() == [3.0, 3.0]
    with pytest.raises(ValueError, match="size"):
        ag.ones(-1)
    with pytest.raises(ValueError, match="step"):
        ag.arange(0, 3, 0)
    with pytest.raises(RuntimeError, match="floating point"):
        ag.arange(3, requires_grad=True)


# --- view / reshape ----------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["view", "reshape"])
@pytest.mark.parametrize("shape", [(4,), (-1,), (4, 1), (1, -1), (2, 2)])
def test_view_and_reshape_match_torch_values_and_gradients(torch, method, shape):
    data = np.array([[1.0, 2.0], [3.0, 4.0]])
    weights = np.arange(4.0).reshape(torch.tensor(data).reshape(shape).shape)
    ours, theirs = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, expected = getattr(ours, method)(*shape), getattr(theirs, method)(*shape)
    assert_same(out, expected)
    (out * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


# --- cat ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cat_matches_torch_values_and_gradients(torch, axis):
    x, y = np.array([[1.0, 2], [3, 4]]), np.array([[3.0, 4], [5, 6]])
    ours = [Tensor(x, requires_grad=True), Tensor(y, requires_grad=True)]
    theirs = [torch.tensor(x, requires_grad=True), torch.tensor(y, requires_grad=True)]
    out, expected = ag.cat(ours, axis=axis), torch.cat(theirs, dim=axis)
    assert_same(out, expected)
    weights = np.arange(out.data.size, dtype=float).reshape(out.shape)
    (out * weights).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for mine, torch_leaf in zip(ours, theirs):
        np.testing.assert_array_equal(mine.grad, torch_leaf.grad.numpy())


def test_cat_reproduces_slide_7_and_promotes_dtypes(torch):
    x, y = Tensor([[1, 2], [3, 4]]), Tensor([[3, 4], [5, 6]])
    assert ag.cat([x, y], axis=0).tolist() == [[1, 2], [3, 4], [3, 4], [5, 6]]
    assert ag.cat([x, y], axis=1).tolist() == [[1, 2, 3, 4], [3, 4, 5, 6]]
    assert ag.cat([x, y]).dtype == np.int64
    mixed = [np.ones((1, 2), np.int64), np.ones((1, 2), np.float32)]
    assert_same(ag.cat([Tensor(a) for a in mixed]), torch.cat([torch.from_numpy(a) for a in mixed]))


def test_cat_refuses_mismatched_shapes_naming_them():
    with pytest.raises(ValueError, match=r"axis 0.*\(2, 2\).*\(2, 3\)"):
        ag.cat([ag.zeros(2, 2), ag.zeros(2, 3)])
    with pytest.raises(ValueError, match="at least one axis"):
        ag.cat([Tensor(1.0)])


# --- argmax ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("axis, keepdims", [(0, False), (1, False), (None, False), (1, True), (-1, False)])
def test_argmax_matches_torch_with_ties_to_the_first_index(torch, axis, keepdims):
    data = [[0, 4], [4, 3], [1, 1]]  # slide 8; the last row is a tie
    ours = Tensor(data).argmax(axis=axis, keepdims=keepdims)
    theirs = torch.tensor(data).argmax(dim=axis, keepdim=keepdims) if axis is not None else torch.tensor(data).argmax()
    assert_same(ours, theirs)


def test_argmax_reproduces_slide_8():
    data = Tensor([[0, 4], [4, 3], [1, 1]])
    assert data.argmax(axis=0).tolist() == [1, 0] and data.argmax(axis=1).tolist() == [1, 0, 0]
    assert not data.argmax().requires_grad


# --- retain_grad, dtype conversion, repr --------------------------------------------------------------
def test_retain_grad_keeps_an_intermediate_gradient_as_torch_does(torch):
    x, tx = Tensor(2.0, requires_grad=True), torch.tensor(2.0, requires_grad=True)
    y, ty = x**2, tx**2
    y.retain_grad()
    ty.retain_grad()
    (3 * y + 2).backward()
    (3 * ty + 2).backward()
    assert y.grad == ty.grad.item() == 3.0 and x.grad == tx.grad.item() == 12.0
    assert (x**3).grad is None  # not retained: the pass keeps nothing else


def test_conversions_cast_the_gradient_back(torch):
    x = Tensor([1.0, 2.0], requires_grad=True)
    as_float32 = x.float()
    assert as_float32.dtype == np.float32 and x.to(np.float64).dtype == np.float64
    (as_float32 * 2).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [2.0, 2.0]
    assert not x.to(np.int64).requires_grad and x.to(np.int64).dtype == np.int64


def test_repr_shows_the_dtype_only_when_torch_would():
    assert repr(Tensor([1, 2])) == "Tensor([1, 2])"
    assert repr(Tensor([1.5], requires_grad=True)) == "Tensor([1.5], requires_grad=True)"
    assert repr(Tensor(np.ones(1, np.float32))) == "Tensor([1.], dtype=float32)"


def test_the_graph_names_each_operation_and_its_inputs():
    x = Tensor(2.0, requires_grad=True)
    z = 3 * x**2 + 2
    assert z.op == "add" and z.parents[0].op == "mul" and z.parents[0].parents[1].op == "pow"
    assert z.parents[0].parents[1].parents[0] is x and x.op is None and x.parents == ()
    order = ag.topological_order(z, constants=True)
    assert order[-1] is z and [t.op for t in order if t.op] == ["pow", "mul", "add"]
    assert sorted(t.item() for t in order if t.op is None and t is not x) == [2, 2, 3]


# --- where PyTorch's OpInfo samples found scratch.autograd wrong: each case against PyTorch's answer ---
X = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])


def test_a_boolean_mask_selects(torch):
    mask = Tensor(X > 0)
    x = Tensor(X, requires_grad=True)
    x[mask].sum().backward()
    assert x[mask].data.tolist() == torch.tensor(X)[torch.tensor(X > 0)].tolist()
    assert x.grad.tolist() == (X > 0).astype(float).tolist()


def test_a_float_index_is_refused(torch):
    with pytest.raises(IndexError):
        torch.tensor(X)[torch.tensor([0.0])]
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        Tensor(X)[Tensor([0.0])]
    with pytest.raises(IndexError):
        Tensor(X)[0.0]


def test_relu_keeps_nan(torch):
    assert np.isnan(Tensor([np.nan, -1.0, 2.0]).relu().data[0])
    assert torch.tensor([np.nan]).relu().isnan().item()


def test_logsumexp_over_all_axes_backpropagates(torch):
    x = Tensor(X, requires_grad=True)
    x.logsumexp(axis=None).backward()
    t = torch.tensor(X, requires_grad=True)
    t.logsumexp(dim=(0, 1)).backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy())


@pytest.mark.parametrize("method", ["sum", "mean"])
def test_a_reduction_of_a_0d_tensor_along_minus_1_backpropagates(method):
    x = Tensor(3.0, requires_grad=True)
    getattr(x, method)(axis=-1).backward()
    assert x.grad.shape == () and float(x.grad) == 1.0


def test_transpose_with_negative_axes_gives_a_gradient_of_the_input_shape(torch):
    data = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(data, requires_grad=True)
    out = x.transpose(-1, 0, -2)
    (out * Tensor(np.arange(24.0).reshape(out.shape))).sum().backward()
    t = torch.tensor(data, requires_grad=True)
    tout = t.permute(-1, 0, -2)
    (tout * torch.arange(24.0, dtype=torch.float64).reshape(tout.shape)).sum().backward()
    assert out.shape == tuple(tout.shape)
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


@pytest.mark.parametrize("args", [(-1.5, 2.2), (0.5, 5.2, 1), (-2.5, 3.1, 1.3), (3, -2.5, -0.7), (0, 1, 0.1)])
def test_arange_has_pytorchs_length_and_values(torch, args):
    for ours, theirs in ((np.int64, torch.int64), (np.float64, torch.float64)):
        try:
            expected = torch.arange(*args, dtype=theirs).tolist()
        except (RuntimeError, ValueError):  # an integer dtype truncates a step of −0.7 or 0.1 to 0
            with pytest.raises(ValueError, match="step must be nonzero"):
                arange(*args, dtype=ours)
            continue
        assert arange(*args, dtype=ours).data.tolist() == pytest.approx(expected)
