"""scratch.losses: gradients vs finite differences, stability, PyTorch parity, input validation.

tests/test_torch_loss_contract.py runs PyTorch's own test configurations; this file draws
random cases with hypothesis and pins the behaviours PyTorch defines at the edges.
"""

import itertools
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scratch.gradcheck import numerical_gradient
from scratch.losses import (
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_grad,
    cross_entropy,
    cross_entropy_and_grad,
    cross_entropy_grad,
    mse_loss,
    mse_loss_grad,
    nll_loss,
    nll_loss_grad,
)
from scratch import losses

from conftest import assert_raises_naming, BINARY, case, LABELS, X, X_OBJECT, X_STRING

REDUCTIONS = ["mean", "sum", "none"]
LOSS_AND_GRAD = {
    "mse": (mse_loss, mse_loss_grad),
    "bce": (binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad),
    "ce": (cross_entropy, cross_entropy_grad),
    "nll": (nll_loss, nll_loss_grad),
}
TORCH_NAME = {"mse": "mse_loss", "bce": "binary_cross_entropy_with_logits", "ce": "cross_entropy", "nll": "nll_loss"}
LAYOUTS = ["(N, C)", "(N, C, d)", "(C,)"]

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


def ce_case(rng, n, c, reduction, weighted, ignore, smoothing, probabilities, layout="(N, C)"):
    """Logits in ``layout`` with class-index (or, with ``probabilities``, soft) targets; ``ignore`` skips some."""
    shape = {"(N, C)": (n, c), "(N, C, d)": (n, c, 3), "(C,)": (c,)}[layout]
    positions = shape[:1] + shape[2:] if len(shape) > 1 else ()
    case = dict(input=rng.normal(0, 2, shape), reduction=reduction)
    case["weight"] = rng.uniform(0.1, 2, c) if weighted else None
    case["label_smoothing"] = float(rng.uniform(0.05, 0.95)) if smoothing else 0.0
    if probabilities:
        p = rng.dirichlet(np.ones(c), size=positions or None)
        case["target"] = np.moveaxis(p, -1, 1) if len(shape) > 1 else p
        return case
    labels = np.array(rng.integers(0, c, positions))
    if ignore:
        case["ignore_index"] = int(rng.choice([-100, rng.integers(0, c)]))
        labels[rng.random(positions) < 0.3] = case["ignore_index"]
        labels.flat[0] = (case["ignore_index"] + 1) % c  # keep one target: PyTorch's "mean" is nan otherwise
    case["target"] = labels
    return case


def nll_case(rng, n, c, reduction, weighted, ignore, layout):
    case = ce_case(rng, n, c, reduction, weighted, ignore, False, False, layout)
    del case["label_smoothing"]
    return case


seeds = st.integers(0, 2**32 - 1)
batch_sizes = st.integers(1, 64)
n_classes = st.integers(2, 10)
reductions = st.sampled_from(REDUCTIONS)
layouts = st.sampled_from(LAYOUTS)


@st.composite
def any_case(draw):
    """A (loss name, arguments) pair covering every loss, every option and every layout."""
    name = draw(st.sampled_from(sorted(LOSS_AND_GRAD)))
    rng = np.random.default_rng(draw(seeds))
    n, c, reduction = draw(batch_sizes), draw(n_classes), draw(reductions)
    if name == "mse":
        return name, mse_case(rng, n, c - 1, reduction)
    if name == "bce":
        weight = draw(st.sampled_from([None, "row", "full"]))
        return name, bce_case(rng, n, c, reduction, weight, draw(st.sampled_from([None, "class"])))
    if name == "nll":
        return name, nll_case(rng, n, c, reduction, draw(st.booleans()), draw(st.booleans()), draw(layouts))
    flags = draw(st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans()))
    return name, ce_case(rng, n, c, reduction, *flags, layout=draw(layouts))


def scalar_loss(loss, case):
    """The loss as a scalar of ``input``: reduced, or summed for reduction="none"."""
    return lambda x: float(np.sum(loss(**{**case, "input": x})))


# ---------------------------------------------------------------- gradients vs finite differences


@given(any_case())
def test_every_loss_gradient_matches_central_finite_differences(name_and_case):
    name, case = name_and_case
    loss, grad = LOSS_AND_GRAD[name]
    f = scalar_loss(loss, case)
    numeric = numerical_gradient(f, case["input"].copy())
    # central differences round to ≈ 10·ε·|f| / h (ε = 2.2e-16, h = 1e-6, 10 for summing many terms)
    rounding = 1e-9 * abs(f(case["input"]))
    np.testing.assert_allclose(grad(**case), numeric, rtol=1e-5, atol=1e-7 + rounding)


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


@given(seeds, batch_sizes, n_classes, reductions, st.booleans(), layouts)
def test_one_hot_probability_targets_equal_class_index_targets(seed, n, c, reduction, smoothing, layout):
    rng = np.random.default_rng(seed)
    case = ce_case(rng, n, c, reduction, False, False, smoothing, False, layout)
    one_hot = np.eye(c)[case["target"]]
    one_hot = {**case, "target": np.moveaxis(one_hot, -1, 1) if one_hot.ndim > 1 else one_hot}
    np.testing.assert_allclose(cross_entropy(**one_hot), cross_entropy(**case), rtol=1e-12)
    np.testing.assert_allclose(cross_entropy_grad(**one_hot), cross_entropy_grad(**case), rtol=1e-12, atol=1e-15)


@given(seeds, batch_sizes, n_classes, reductions, st.booleans(), st.booleans(), layouts)
def test_cross_entropy_is_nll_loss_of_the_log_softmax(seed, n, c, reduction, weighted, ignore, layout):
    case = nll_case(np.random.default_rng(seed), n, c, reduction, weighted, ignore, layout)
    axis = 0 if layout == "(C,)" else 1
    z = case["input"]
    log_p = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))  # naive: exact to ~1e-16 absolute, not relative
    np.testing.assert_allclose(cross_entropy(**case), nll_loss(**{**case, "input": log_p}), rtol=1e-12, atol=1e-14)
    p = np.exp(log_p)  # ∂/∂z = G − softmax(z)·Σ G, G = nll_loss_grad
    G = nll_loss_grad(**{**case, "input": log_p})
    np.testing.assert_allclose(cross_entropy_grad(**case), G - p * G.sum(axis=axis, keepdims=True), atol=1e-15)


@given(seeds, batch_sizes, n_classes, reductions, st.booleans(), st.booleans(), st.booleans(), layouts,
       st.sampled_from([np.float16, np.float32, np.float64]))
def test_cross_entropy_and_grad_is_the_pair_in_one_call(seed, n, c, reduction, weighted, ignore, smoothing, layout, dtype):
    case = ce_case(np.random.default_rng(seed), n, c, reduction, weighted, ignore, smoothing, False, layout)
    case["input"] = case["input"].astype(dtype)
    if weighted:
        case["weight"] = case["weight"].astype(dtype)
    value, grad = cross_entropy_and_grad(**case)
    expected_value, expected_grad = cross_entropy(**case), cross_entropy_grad(**case)
    rtol, atol = (1e-12, 1e-15) if dtype == np.float64 else (1e-5, 1e-6)
    np.testing.assert_allclose(value, expected_value, rtol=rtol, atol=atol)
    np.testing.assert_allclose(grad, expected_grad, rtol=rtol, atol=atol)
    assert grad.dtype == expected_grad.dtype and grad.shape == case["input"].shape


@pytest.mark.parametrize("target", [[0, 5], [-1, 1], [0.0, 1.0]], ids=["beyond the classes", "negative", "floats"])
def test_cross_entropy_and_grad_refuses_what_cross_entropy_refuses(target):
    z = np.zeros((2, 3))
    with pytest.raises((ValueError, TypeError)) as expected:
        cross_entropy(z, np.array(target))
    with pytest.raises(type(expected.value), match=re.escape(str(expected.value))):
        cross_entropy_and_grad(z, np.array(target))


def test_plain_cross_entropy_gradient_is_softmax_minus_one_hot_over_n():
    z = np.array([[0.38, -0.09], [1.0, -0.4]])
    y = np.array([0, 1])
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(cross_entropy_grad(z, y), (p - np.eye(2)[y]) / 2, rtol=1e-14)


# ---------------------------------------------------------------- extreme logits and dtypes

EXTREMES = [(np.float32, 1e4), (np.float32, 3e38), (np.float64, 1e300), (np.float64, 1e308)]


@pytest.mark.parametrize("dtype, big", EXTREMES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_confident_right_predictions_cost_exactly_zero_at_any_logit(dtype, big, reduction):
    z = np.array([[big, -big, -big], [-big, big, -big]], dtype=dtype)
    for loss, grad, target in [(cross_entropy, cross_entropy_grad, [0, 1]),
                               (binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_grad,
                                (z > 0).astype(dtype))]:
        assert np.all(loss(z, target, reduction=reduction) == 0)
        np.testing.assert_array_equal(grad(z, target, reduction=reduction), np.zeros_like(z))


@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_extreme_logits_give_the_limiting_values(dtype, big):
    x = np.array([big, -big, big, -big], dtype=dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0])
    limits = np.array([0, 0, big, big], dtype)
    np.testing.assert_array_equal(binary_cross_entropy_with_logits(x, y, reduction="none"), limits)
    np.testing.assert_array_equal(binary_cross_entropy_with_logits_grad(x, y, reduction="none"), [0, 0, 1, -1])
    z = np.array([[big, -big]], dtype=dtype)
    twice = 2 * big if 2 * big <= float(np.finfo(dtype).max) else np.inf  # as in torch: −big − big overflows
    assert cross_entropy(z, [1]) == twice
    np.testing.assert_array_equal(cross_entropy_grad(z, [1]), [[1, -1]])


@pytest.mark.parametrize("dtype, big", EXTREMES)
@pytest.mark.parametrize("name", ["bce", "ce"])
def test_extreme_logits_with_every_option_match_torch(name, dtype, big):
    z = np.array([[big, -big, 0.0], [-big, big, big], [0.0, -big, -big]], dtype=dtype)
    weights = np.array([0.5, 1.0, 2.0], dtype=dtype)
    if name == "ce":
        options = dict(target=np.array([1, 0, 2]), weight=weights, label_smoothing=0.1)
    else:
        options = dict(target=np.arange(9, dtype=dtype).reshape(3, 3) % 2, weight=weights, pos_weight=weights)
    for reduction in REDUCTIONS:
        assert_matches_torch(name, dict(input=z, reduction=reduction, **options), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(LOSS_AND_GRAD))
def test_float32_input_keeps_float32_and_reductions_return_python_floats(name):
    loss, grad = LOSS_AND_GRAD[name]
    rng = np.random.default_rng(1)
    case = {"mse": mse_case(rng, 5, 3, "none"), "bce": bce_case(rng, 5, 3, "none", "row", "class"),
            "ce": ce_case(rng, 5, 3, "none", False, True, True, False, "(N, C, d)"),
            "nll": nll_case(rng, 5, 3, "none", False, True, "(N, C)")}[name]
    case["input"] = case["input"].astype(np.float32)
    assert loss(**case).dtype == np.float32
    assert grad(**case).dtype == np.float32
    for reduction in ("mean", "sum"):
        assert type(loss(**{**case, "reduction": reduction})) is float
        assert grad(**{**case, "reduction": reduction}).dtype == np.float32


@pytest.mark.parametrize("name", sorted(LOSS_AND_GRAD))
def test_float16_input_is_computed_in_float32_by_every_loss(name):
    """One rule for every loss, check_array's: float16 arrives as float32 (targets and weights follow input)."""
    loss, grad = LOSS_AND_GRAD[name]
    rng = np.random.default_rng(2)
    case = {"mse": mse_case(rng, 5, 3, "none"), "bce": bce_case(rng, 5, 3, "none", "row", "class"),
            "ce": ce_case(rng, 5, 3, "none", True, True, True, False, "(N, C, d)"),
            "nll": nll_case(rng, 5, 3, "none", True, True, "(N, C)")}[name]
    half = {k: v.astype(np.float16) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v for k, v in case.items()}
    single = {k: v.astype(np.float32) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v for k, v in half.items()}
    for f in (loss, grad):
        assert f(**half).dtype == np.float32
        np.testing.assert_array_equal(f(**half), f(**single))


# ---------------------------------------------------------------- PyTorch parity


def torch_loss_and_grad(name, case):
    """PyTorch's loss and its autograd gradient w.r.t. input (of the sum, for reduction="none")."""
    torch = pytest.importorskip("torch")
    tensors = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in case.items() if v is not None}
    tensors["input"].requires_grad_(True)
    out = getattr(torch.nn.functional, TORCH_NAME[name])(**tensors)
    out.sum().backward()
    return out.detach().numpy(), tensors["input"].grad.numpy()


def assert_relative_close(actual, expected, rtol=1e-10):
    """Every entry within rtol of its value, or of the largest finite entry's magnitude near 0; nan where torch's is."""
    expected = np.asarray(expected)
    scale = np.max(np.abs(expected[np.isfinite(expected)]), initial=0.0)
    assert np.shape(actual) == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


def assert_matches_torch(name, case, rtol=1e-10):
    expected_loss, expected_grad = torch_loss_and_grad(name, case)
    loss, grad = LOSS_AND_GRAD[name]
    assert_relative_close(loss(**case), expected_loss, rtol)
    assert_relative_close(grad(**case), expected_grad, rtol)


PARITY = settings(max_examples=6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@PARITY
@given(seed=seeds, n=batch_sizes, d=st.integers(1, 5))
def test_mse_loss_and_gradient_match_torch(reduction, seed, n, d):
    assert_matches_torch("mse", mse_case(np.random.default_rng(seed), n, d, reduction))


@pytest.mark.parametrize("reduction, weight, pos_weight",
                         list(itertools.product(REDUCTIONS, [None, "row", "full"], [None, "class"])))
@PARITY
@given(seed=seeds, n=batch_sizes, c=n_classes)
def test_bce_with_logits_loss_and_gradient_match_torch(reduction, weight, pos_weight, seed, n, c):
    assert_matches_torch("bce", bce_case(np.random.default_rng(seed), n, c, reduction, weight, pos_weight))


@pytest.mark.parametrize("reduction, weighted, ignore, smoothing, probabilities",
                         [c for c in itertools.product(REDUCTIONS, *[[False, True]] * 4) if not (c[2] and c[4])])
@PARITY
@given(seed=seeds, n=batch_sizes, c=n_classes, layout=layouts)
def test_cross_entropy_loss_and_gradient_match_torch(reduction, weighted, ignore, smoothing, probabilities,
                                                     seed, n, c, layout):
    rng = np.random.default_rng(seed)
    assert_matches_torch("ce", ce_case(rng, n, c, reduction, weighted, ignore, smoothing, probabilities, layout))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@PARITY
@given(seed=seeds, n=batch_sizes, c=n_classes, weighted=st.booleans(), ignore=st.booleans(), layout=layouts)
def test_nll_loss_and_gradient_match_torch(reduction, seed, n, c, weighted, ignore, layout):
    assert_matches_torch("nll", nll_case(np.random.default_rng(seed), n, c, reduction, weighted, ignore, layout))


# ---------------------------------------------------------------- what PyTorch computes that scratch once refused

Z = np.random.default_rng(2).normal(size=(4, 3))
Y = np.array([0, 1, 2, 1])
P = np.full((4, 3), 1 / 3)
TORCH_COMPUTES = {
    "bce-target-above-1-and-negative": ("bce", dict(input=Z, target=Z * 2)),
    "bce-negative-weight": ("bce", dict(input=Z, target=P, weight=-np.ones(3))),
    "bce-negative-pos_weight": ("bce", dict(input=Z, target=P, pos_weight=np.array([-1.0, 1.0, 2.0]))),
    "bce-pos_weight-(1, C)": ("bce", dict(input=Z, target=P, pos_weight=np.array([[1.0, 2.0, 3.0]]))),
    "bce-pos_weight-(N, C)": ("bce", dict(input=Z, target=P, pos_weight=np.arange(12.0).reshape(4, 3))),
    "bce-pos_weight-(N, 1)": ("bce", dict(input=Z, target=P, pos_weight=np.arange(4.0).reshape(4, 1))),
    "ce-negative-weight": ("ce", dict(input=Z, target=Y, weight=np.array([1.0, -1.0, 0.5]))),
    "ce-probabilities-not-a-distribution": ("ce", dict(input=Z, target=P * 4 - 1)),
    "ce-zero-total-weight-mean": ("ce", dict(input=Z, target=Y % 2, weight=np.array([0.0, 0.0, 5.0]))),
    "ce-zero-total-weight-smoothing": ("ce", dict(input=Z, target=Y % 2, weight=np.array([0.0, 0.0, 5.0]),
                                                  label_smoothing=0.2)),
    "ce-all-ignored-mean": ("ce", dict(input=Z, target=np.full(4, -100), label_smoothing=0.2)),
    "ce-probabilities-negative-ignore_index": ("ce", dict(input=Z, target=P, ignore_index=-1)),
    "ce-negative-label_smoothing": ("ce", dict(input=Z, target=Y, label_smoothing=-0.5)),
    "nll-zero-total-weight-mean": ("nll", dict(input=Z, target=Y, weight=np.zeros(3))),
    "mse-nan-input": ("mse", dict(input=np.array([np.nan, 1.0]), target=np.array([0.0, 1.0]))),
    "ce-nan-logit": ("ce", dict(input=np.where(Z > 1, np.nan, Z), target=Y)),
    **{f"{name}-empty-batch-{reduction}": (name, dict(input=np.zeros(shape), target=target, reduction=reduction))
       for (name, shape, target), reduction in itertools.product(
           [("mse", (0,), np.zeros(0)), ("bce", (0, 3), np.zeros((0, 3))), ("ce", (0, 3), np.zeros(0, int)),
            ("ce", (0, 3), np.zeros((0, 3))), ("nll", (0, 3, 2), np.zeros((0, 2), int))], REDUCTIONS)},
}


@pytest.mark.parametrize("name, case", TORCH_COMPUTES.values(), ids=TORCH_COMPUTES.keys())
def test_what_torch_computes_scratch_computes_alike(name, case):
    assert_matches_torch(name, case)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_an_unbatched_sample_takes_its_label_as_a_0d_or_a_one_element_target_as_torch(reduction):
    torch = pytest.importorskip("torch")
    for name in ("ce", "nll"):
        loss, grad = LOSS_AND_GRAD[name]
        torch_loss = getattr(torch.nn.functional, TORCH_NAME[name])
        expected = torch_loss(torch.tensor(Z[0]), torch.tensor([1]), reduction=reduction)
        assert_relative_close(loss(Z[0], [1], reduction=reduction), expected.numpy())  # torch's backward then fails
        np.testing.assert_array_equal(grad(Z[0], [1], reduction=reduction), grad(Z[0], 1, reduction=reduction))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mean_over_zero_total_weight_is_nan_and_all_ignored_rows_have_zero_gradient(reduction):
    y = np.full(4, -100)
    value = cross_entropy(Z, y, reduction=reduction)
    assert np.isnan(value) if reduction == "mean" else np.all(value == 0)
    np.testing.assert_array_equal(cross_entropy_grad(Z, y, reduction=reduction), np.zeros_like(Z))
    assert np.isnan(nll_loss(Z, Y, weight=np.zeros(3))) and np.isnan(nll_loss_grad(Z, Y, weight=np.zeros(3))).any()


TORCH_WARNING = re.escape("This will likely lead to incorrect results due to broadcasting. Please ensure they "
                          "have the same size.")


@pytest.mark.parametrize("input_shape, target_shape", [((4, 1), (4,)), ((4,), (4, 1)), ((), (3,)), ((2, 1, 3), (4, 3))])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_broadcasts_different_shapes_with_torchs_warning(input_shape, target_shape, reduction):
    rng = np.random.default_rng(3)
    x, t = np.asarray(rng.normal(size=input_shape)), rng.normal(size=target_shape)
    case = dict(input=x, target=t, reduction=reduction)
    message = rf"^Using a target size .+ that is different to the input size .+\. {TORCH_WARNING}$"
    with pytest.warns(UserWarning, match=message) as caught:
        assert_matches_torch("mse", case)
    assert len(caught) == 3 and all(re.match(message, str(w.message)) for w in caught)  # torch, loss, gradient
    assert ["torch.Size" in str(w.message) for w in caught] == [True, False, False]


# ---------------------------------------------------------------- what PyTorch refuses

BAD_INPUTS = [
    ("mse", dict(input=np.zeros((4, 3)), target=np.zeros(4)), ValueError, "target"),
    ("mse", dict(input=["a", "b"], target=[0.0, 1.0]), TypeError, "input"),
    ("mse", dict(input=Z, target=Z, reduction="avg"), ValueError, "reduction"),
    ("bce", dict(input=Z, target=Z, weight=np.ones(4)), ValueError, "weight"),
    ("bce", dict(input=Z, target=Z, pos_weight=np.ones((2, 4, 3))), ValueError, "pos_weight"),
    ("bce", dict(input=Z, target=Z, pos_weight=np.ones(2)), ValueError, "pos_weight"),
    ("bce", dict(input=Z, target=Z[:, :2]), ValueError, "target"),
    ("ce", dict(input=Z[0], target=Y[:2]), ValueError, "target"),
    ("ce", dict(input=Z[0, 0], target=0), ValueError, "input"),
    ("ce", dict(input=Z, target=[0, 1, 3, 1]), ValueError, "target"),
    ("ce", dict(input=Z, target=[0, 1, -1, 1]), ValueError, "target"),
    ("ce", dict(input=Z, target=[0, 1.0, 2, 1]), TypeError, "target"),
    ("ce", dict(input=Z, target=[True, False, True, False]), TypeError, "target"),
    ("ce", dict(input=Z, target=Y[:3]), ValueError, "target"),
    ("ce", dict(input=Z, target=np.zeros((4, 3, 1), int)), ValueError, "target"),
    ("ce", dict(input=np.zeros((2, 3, 5)), target=np.zeros((2, 4), int)), ValueError, "target"),
    ("ce", dict(input=Z, target=P[:, :2]), TypeError, "target"),
    ("ce", dict(input=Z, target=np.zeros((4, 3), int)), TypeError, "target"),
    ("ce", dict(input=Z, target=P, ignore_index=0), ValueError, "ignore_index"),
    ("ce", dict(input=Z, target=Y, ignore_index=1.5), TypeError, "ignore_index"),
    ("ce", dict(input=Z, target=Y, weight=np.ones(4)), ValueError, "weight"),
    ("ce", dict(input=Z, target=Y, weight=np.ones(3, np.float32)), TypeError, "weight"),
    ("ce", dict(input=Z, target=Y, label_smoothing=1.5), ValueError, "label_smoothing"),
    ("ce", dict(input=Z, target=Y, label_smoothing="0.1"), TypeError, "label_smoothing"),
    ("ce", dict(input=Z, target=Y, reduction="batchmean"), ValueError, "reduction"),
    ("nll", dict(input=Z, target=Y.astype(float)), TypeError, "target"),
    ("nll", dict(input=Z, target=[0, 1, 3, 1]), ValueError, "target"),
    ("nll", dict(input=np.zeros((0, 0)), target=np.zeros(0, int), weight=np.zeros(0, np.float16)), TypeError, "weight"),
]


NUMERIC_BAD_INPUTS = [case for case in BAD_INPUTS if np.asarray(case[1]["input"]).dtype == float]  # torch-able


@pytest.mark.filterwarnings("ignore:Using a target size")  # MSE warns, then finds the shapes do not broadcast
@pytest.mark.parametrize("which", [0, 1], ids=["loss", "grad"])
@pytest.mark.parametrize("name, kwargs, error, argument", BAD_INPUTS)
def test_bad_input_raises_an_error_naming_the_argument(which, name, kwargs, error, argument):
    with pytest.raises(error, match=argument):
        LOSS_AND_GRAD[name][which](**kwargs)


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("name, kwargs, error, argument", NUMERIC_BAD_INPUTS)
def test_torch_refuses_the_same_bad_input(name, kwargs, error, argument):
    arrays = {k: np.asarray(v) if k in ("input", "target", "weight", "pos_weight") else v for k, v in kwargs.items()}
    with pytest.raises(Exception):
        torch_loss_and_grad(name, arrays)


def test_the_losses_import_neither_the_autograd_engine_nor_the_layers():
    """The functional core stands alone: a loss needs numerics and validation, not autograd or nn."""
    code = ("import sys, scratch.losses; "
            "print(sorted(m for m in sys.modules if m.startswith(('scratch.autograd', 'scratch.nn'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---- bad input: the loss functions (each call raises the error type and names the argument; conftest.case)
BAD_INPUT_TABLE = [
    case("mse_loss-target-string", losses.mse_loss, TypeError, "target", input=X, target=X_STRING),
    case("mse_loss-input-object", losses.mse_loss, TypeError, "input", input=X_OBJECT, target=X),
    case("mse_loss_grad-reduction-unknown", losses.mse_loss_grad, ValueError, "reduction",
         input=X, target=X, reduction="avg"),
    case("bce-target-other-shape", losses.binary_cross_entropy_with_logits, ValueError, "target",
         input=BINARY, target=X),
    case("bce_grad-weight-not-broadcastable", losses.binary_cross_entropy_with_logits_grad, ValueError, "weight",
         input=X, target=X, weight=np.ones(4)),
    case("bce-pos_weight-enlarges-input", losses.binary_cross_entropy_with_logits, ValueError, "pos_weight",
         input=BINARY, target=BINARY, pos_weight=np.ones((2, 4))),
    case("cross_entropy-input-0d", losses.cross_entropy, ValueError, "input", input=0.0, target=0),
    case("cross_entropy-target-float-labels", losses.cross_entropy, TypeError, "target",
         input=X, target=[0.0, 1.0, 2.0, 1.0]),
    case("cross_entropy-target-label-3", losses.cross_entropy, ValueError, "target", input=X, target=[0, 1, 3, 1]),
    case("cross_entropy_grad-target-short", losses.cross_entropy_grad, ValueError, "target",
         input=X, target=LABELS[:3]),
    case("cross_entropy-weight-wrong-length", losses.cross_entropy, ValueError, "weight",
         input=X, target=LABELS, weight=np.ones(2)),
    case("cross_entropy-reduction-unknown", losses.cross_entropy, ValueError, "reduction",
         input=X, target=LABELS, reduction="batchmean"),
    case("nll_loss-target-label-3", losses.nll_loss, ValueError, "target", input=X, target=[0, 1, 3, 1]),
    case("nll_loss_grad-weight-other-dtype", losses.nll_loss_grad, TypeError, "weight",
         input=X, target=LABELS, weight=np.ones(3, np.float32)),
]


@pytest.mark.parametrize("call, kwargs, error, argument", BAD_INPUT_TABLE)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    assert_raises_naming(call, kwargs, error, argument)
