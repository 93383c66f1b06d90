"""scratch.losses: gradients vs finite differences, stability, PyTorch parity, input validation."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratch.gradcheck import numerical_gradient
from scratch.losses import (
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_grad,
    cross_entropy,
    cross_entropy_grad,
    mse_loss,
    mse_loss_grad,
)

REDUCTIONS = ["mean", "sum", "none"]
LOSS_AND_GRAD = {
    "mse": (mse_loss, mse_loss_grad),
    "bce": (binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad),
    "ce": (cross_entropy, cross_entropy_grad),
}

# ---------------------------------------------------------------- random cases


def mse_case(rng, n, d, reduction):
    shape = (n,) if d == 1 else (n, d)
    return dict(input=rng.normal(size=shape), target=rng.normal(size=shape), reduction=reduction)


def bce_case(rng, n, c, reduction, weight, pos_weight):
    """weight in {None, "row", "full"}: (c,) or (n, c) per-element weights; pos_weight in {None, "class"}."""
    shape = (n, c)
    case = dict(input=rng.normal(0, 3, shape), target=rng.uniform(0, 1, shape), reduction=reduction)
    case["weight"] = {None: None, "row": rng.uniform(0.1, 2, c), "full": rng.uniform(0.1, 2, shape)}[weight]
    case["pos_weight"] = None if pos_weight is None else rng.uniform(0.1, 3, c)
    return case


def ce_case(rng, n, c, reduction, weighted, ignore, smoothing, probabilities):
    """Class-index (or, with ``probabilities``, soft) targets; ``ignore`` skips some samples by class index."""
    case = dict(input=rng.normal(0, 2, (n, c)), reduction=reduction)
    case["weight"] = rng.uniform(0.1, 2, c) if weighted else None
    case["label_smoothing"] = float(rng.uniform(0.05, 0.95)) if smoothing else 0.0
    if probabilities:
        case["target"] = rng.dirichlet(np.ones(c), size=n)
        return case
    labels = rng.integers(0, c, n)
    if ignore:
        case["ignore_index"] = int(rng.choice([-100, rng.integers(0, c)]))
        labels[rng.random(n) < 0.3] = case["ignore_index"]
        labels[0] = (case["ignore_index"] + 1) % c  # keep one sample: PyTorch's "mean" is nan otherwise
    case["target"] = labels
    return case


seeds = st.integers(0, 2**32 - 1)
batch_sizes = st.integers(1, 64)
n_classes = st.integers(2, 10)
reductions = st.sampled_from(REDUCTIONS)


@st.composite
def any_case(draw):
    """A (loss name, arguments) pair covering every loss and every option."""
    name = draw(st.sampled_from(sorted(LOSS_AND_GRAD)))
    rng = np.random.default_rng(draw(seeds))
    n, c, reduction = draw(batch_sizes), draw(n_classes), draw(reductions)
    if name == "mse":
        return name, mse_case(rng, n, c - 1, reduction)
    if name == "bce":
        weight = draw(st.sampled_from([None, "row", "full"]))
        return name, bce_case(rng, n, c, reduction, weight, draw(st.sampled_from([None, "class"])))
    flags = draw(st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans()))
    return name, ce_case(rng, n, c, reduction, *flags)


def scalar_loss(loss, case):
    """The loss as a scalar of ``input``: reduced, or summed for reduction="none"."""
    return lambda x: float(np.sum(loss(**{**case, "input": x})))


# ---------------------------------------------------------------- gradients vs finite differences


@given(any_case())
def test_every_loss_gradient_matches_central_finite_differences(name_and_case):
    name, case = name_and_case
    loss, grad = LOSS_AND_GRAD[name]
    numeric = numerical_gradient(scalar_loss(loss, case), case["input"].copy())
    np.testing.assert_allclose(grad(**case), numeric, rtol=1e-5, atol=1e-7)


@given(any_case())
def test_gradient_has_the_input_shape_and_none_sums_to_the_summed_gradient(name_and_case):
    name, case = name_and_case
    loss, grad = LOSS_AND_GRAD[name]
    g = grad(**case)
    assert g.shape == case["input"].shape
    if case["reduction"] == "none":
        np.testing.assert_allclose(g, grad(**{**case, "reduction": "sum"}), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(np.sum(loss(**case)), loss(**{**case, "reduction": "sum"}), rtol=1e-12)


# ---------------------------------------------------------------- closed-form identities


@given(seeds, batch_sizes, n_classes, reductions, st.booleans())
def test_bce_with_logits_equals_bce_on_the_sigmoid(seed, n, c, reduction, weighted):
    rng = np.random.default_rng(seed)
    case = bce_case(rng, n, c, reduction, "full" if weighted else None, "class" if weighted else None)
    x, y = case["input"], case["target"]
    w = 1 if case["weight"] is None else case["weight"]
    p = 1 if case["pos_weight"] is None else case["pos_weight"]
    s = 1 / (1 + np.exp(-x))  # naive, fine for |x| ≲ 15
    naive = -w * (p * y * np.log(s) + (1 - y) * np.log(1 - s))
    expected = {"mean": naive.mean(), "sum": naive.sum(), "none": naive}[reduction]
    np.testing.assert_allclose(binary_cross_entropy_with_logits(**case), expected, rtol=1e-8)


@given(seeds, batch_sizes, n_classes, reductions, st.booleans())
def test_one_hot_probability_targets_equal_class_index_targets(seed, n, c, reduction, smoothing):
    rng = np.random.default_rng(seed)
    case = ce_case(rng, n, c, reduction, weighted=False, ignore=False, smoothing=smoothing, probabilities=False)
    one_hot = {**case, "target": np.eye(c)[case["target"]]}
    np.testing.assert_allclose(cross_entropy(**one_hot), cross_entropy(**case), rtol=1e-12)
    np.testing.assert_allclose(cross_entropy_grad(**one_hot), cross_entropy_grad(**case), rtol=1e-12, atol=1e-15)


def test_plain_cross_entropy_gradient_is_softmax_minus_one_hot_over_n():
    z = np.array([[0.38, -0.09], [1.0, -0.4]])
    y = np.array([0, 1])
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(cross_entropy_grad(z, y), (p - np.eye(2)[y]) / 2, rtol=1e-14)


def test_all_ignored_targets_give_zero_mean_loss_and_zero_gradient_where_torch_gives_nan():
    z = np.random.default_rng(0).normal(size=(4, 3))
    y = np.full(4, -100)
    assert cross_entropy(z, y, label_smoothing=0.2) == 0.0
    np.testing.assert_array_equal(cross_entropy_grad(z, y), np.zeros_like(z))
    torch = pytest.importorskip("torch")
    assert torch.isnan(torch.nn.functional.cross_entropy(torch.from_numpy(z), torch.from_numpy(y)))


# ---------------------------------------------------------------- extreme logits and dtypes


EXTREMES = [(np.float32, 1e4), (np.float64, 1e300)]


@pytest.mark.parametrize("dtype, big", EXTREMES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["bce", "ce"])
def test_extreme_logits_give_finite_losses_and_gradients(name, dtype, big, reduction):
    z = np.array([[big, -big, 0.0], [-big, big, big], [0.0, -big, -big]], dtype=dtype)
    weights = np.array([0.5, 1.0, 2.0])
    if name == "ce":
        options = dict(target=[1, 0, 2], weight=weights, label_smoothing=0.1)
    else:
        options = dict(target=np.arange(9).reshape(3, 3) % 2, weight=weights, pos_weight=weights)
    loss, grad = LOSS_AND_GRAD[name]
    assert np.all(np.isfinite(loss(z, reduction=reduction, **options)))
    assert np.all(np.isfinite(grad(z, reduction=reduction, **options)))


@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_extreme_logits_give_the_limiting_values(dtype, big):
    x = np.array([big, -big, big, -big], dtype=dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(binary_cross_entropy_with_logits(x, y, reduction="none"), [0, 0, big, big])
    np.testing.assert_array_equal(binary_cross_entropy_with_logits_grad(x, y, reduction="none"), [0, 0, 1, -1])
    z = np.array([[big, -big]], dtype=dtype)
    assert cross_entropy(z, [1]) == 2 * float(big)
    np.testing.assert_array_equal(cross_entropy_grad(z, [1]), [[1, -1]])


@pytest.mark.parametrize("name", sorted(LOSS_AND_GRAD))
def test_float32_input_keeps_float32_and_reductions_return_python_floats(name):
    loss, grad = LOSS_AND_GRAD[name]
    rng = np.random.default_rng(1)
    case = {"mse": mse_case(rng, 5, 3, "none"), "bce": bce_case(rng, 5, 3, "none", "row", "class"),
            "ce": ce_case(rng, 5, 3, "none", True, True, True, False)}[name]
    case["input"] = case["input"].astype(np.float32)
    assert loss(**case).dtype == np.float32
    assert grad(**case).dtype == np.float32
    for reduction in ("mean", "sum"):
        assert type(loss(**{**case, "reduction": reduction})) is float
        assert grad(**{**case, "reduction": reduction}).dtype == np.float32


# ---------------------------------------------------------------- PyTorch parity


def assert_relative_close(actual, expected, rtol=1e-10):
    """Every entry within rtol of its value, or of the largest entry's magnitude for entries near 0."""
    expected = np.asarray(expected)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.max(np.abs(expected)))


def torch_loss_and_grad(torch_loss, case, long_target=False):
    """PyTorch's loss and its autograd gradient w.r.t. input (of the sum, for reduction="none")."""
    torch = pytest.importorskip("torch")
    tensors = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in case.items()}
    tensors["input"].requires_grad_(True)
    if long_target:
        tensors["target"] = tensors["target"].long()
    out = torch_loss(**tensors)
    out.sum().backward()
    return out.detach().numpy(), tensors["input"].grad.numpy()


def assert_matches_torch(loss, grad, torch_loss, case, long_target=False):
    expected_loss, expected_grad = torch_loss_and_grad(torch_loss, case, long_target)
    assert_relative_close(loss(**case), expected_loss)
    assert_relative_close(grad(**case), expected_grad)


PARITY = settings(max_examples=8)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@PARITY
@given(seed=seeds, n=batch_sizes, d=st.integers(1, 5))
def test_mse_loss_and_gradient_match_torch(reduction, seed, n, d):
    torch = pytest.importorskip("torch")
    case = mse_case(np.random.default_rng(seed), n, d, reduction)
    assert_matches_torch(mse_loss, mse_loss_grad, torch.nn.functional.mse_loss, case)


@pytest.mark.parametrize("reduction, weight, pos_weight",
                         list(itertools.product(REDUCTIONS, [None, "row", "full"], [None, "class"])))
@PARITY
@given(seed=seeds, n=batch_sizes, c=n_classes)
def test_bce_with_logits_loss_and_gradient_match_torch(reduction, weight, pos_weight, seed, n, c):
    torch = pytest.importorskip("torch")
    case = bce_case(np.random.default_rng(seed), n, c, reduction, weight, pos_weight)
    assert_matches_torch(binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad,
                         torch.nn.functional.binary_cross_entropy_with_logits, case)


@pytest.mark.parametrize("reduction, weighted, ignore, smoothing, probabilities",
                         [c for c in itertools.product(REDUCTIONS, *[[False, True]] * 4) if not (c[2] and c[4])])
@PARITY
@given(seed=seeds, n=batch_sizes, c=n_classes)
def test_cross_entropy_loss_and_gradient_match_torch(reduction, weighted, ignore, smoothing, probabilities,
                                                     seed, n, c):
    torch = pytest.importorskip("torch")
    case = ce_case(np.random.default_rng(seed), n, c, reduction, weighted, ignore, smoothing, probabilities)
    assert_matches_torch(cross_entropy, cross_entropy_grad, torch.nn.functional.cross_entropy, case,
                         long_target=not probabilities)


# ---------------------------------------------------------------- bad input


Z = np.zeros((4, 3))
Y = np.array([0, 1, 2, 1])
P = np.full((4, 3), 1 / 3)
BAD_INPUTS = [
    ("mse", dict(input=np.zeros((4, 1)), target=np.zeros(4)), ValueError, "target"),
    ("mse", dict(input=[np.nan, 1.0], target=[0.0, 1.0]), ValueError, "input"),
    ("mse", dict(input=[0.0, 1.0], target=[np.inf, 1.0]), ValueError, "target"),
    ("mse", dict(input=["a", "b"], target=[0.0, 1.0]), TypeError, "input"),
    ("mse", dict(input=[], target=[]), ValueError, "input"),
    ("mse", dict(input=Z, target=Z, reduction="avg"), ValueError, "reduction"),
    ("bce", dict(input=Z, target=Z + 1.5), ValueError, "target"),
    ("bce", dict(input=Z, target=Z, weight=np.ones(4)), ValueError, "weight"),
    ("bce", dict(input=Z, target=Z, weight=-np.ones(3)), ValueError, "weight"),
    ("bce", dict(input=Z, target=Z, pos_weight=np.ones((4, 3))), ValueError, "pos_weight"),
    ("bce", dict(input=Z, target=Z, pos_weight=np.ones(2)), ValueError, "pos_weight"),
    ("bce", dict(input=Z, target=Z, pos_weight=[-1.0, 1.0, 1.0]), ValueError, "pos_weight"),
    ("bce", dict(input=Z, target=Z[:, :2]), ValueError, "target"),
    ("ce", dict(input=Z[0], target=Y[:1]), ValueError, "input"),
    ("ce", dict(input=Z, target=[0, 1, 3, 1]), ValueError, "target"),
    ("ce", dict(input=Z, target=[0, 1, -1, 1]), ValueError, "target"),
    ("ce", dict(input=Z, target=[0, 1.5, 2, 1]), ValueError, "target"),
    ("ce", dict(input=Z, target=Y[:3]), ValueError, "target"),
    ("ce", dict(input=Z, target=np.zeros((4, 3, 1))), ValueError, "target"),
    ("ce", dict(input=Z, target=P[:, :2]), ValueError, "target"),
    ("ce", dict(input=Z, target=P * 4), ValueError, "target"),
    ("ce", dict(input=Z, target=P, ignore_index=0), ValueError, "ignore_index"),
    ("ce", dict(input=Z, target=Y, ignore_index=1.5), TypeError, "ignore_index"),
    ("ce", dict(input=Z, target=Y, weight=np.ones(4)), ValueError, "weight"),
    ("ce", dict(input=Z, target=Y, weight=[1.0, -1.0, 1.0]), ValueError, "weight"),
    ("ce", dict(input=Z, target=Y, weight=[1.0, np.nan, 1.0]), ValueError, "weight"),
    ("ce", dict(input=Z, target=Y, label_smoothing=1.5), ValueError, "label_smoothing"),
    ("ce", dict(input=Z, target=Y, label_smoothing="0.1"), TypeError, "label_smoothing"),
    ("ce", dict(input=Z, target=Y, reduction="batchmean"), ValueError, "reduction"),
]


@pytest.mark.parametrize("which", [0, 1], ids=["loss", "grad"])
@pytest.mark.parametrize("name, kwargs, error, argument", BAD_INPUTS)
def test_bad_input_raises_an_error_naming_the_argument(which, name, kwargs, error, argument):
    with pytest.raises(error, match=argument):
        LOSS_AND_GRAD[name][which](**kwargs)
