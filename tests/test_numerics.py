"""scratch.numerics: identities, stability at extreme logits, dtype keeping, PyTorch parity."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from scratch.numerics import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax, softplus

ALL_FUNCTIONS = [sigmoid, log_sigmoid, softplus, logsumexp, log_softmax, softmax]


def logit_matrices(low=-50.0, high=50.0):
    """(N, K) float64 logits, N in 1..16, K in 1..10."""
    shapes = st.tuples(st.integers(1, 16), st.integers(1, 10))
    return arrays(np.float64, shapes, elements=st.floats(low, high))


# ---------------------------------------------------------------- identities


@given(logit_matrices(), st.floats(-100, 100))
def test_softmax_rows_sum_to_one_and_ignore_a_constant_shift(z, shift):
    p = softmax(z)
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(softmax(z + shift), p, rtol=1e-9, atol=1e-15)


@given(logit_matrices())
def test_softmax_along_axis_0_normalises_columns(z):
    np.testing.assert_allclose(softmax(z, axis=0), softmax(z.T).T, rtol=1e-12)


@given(logit_matrices())
def test_log_softmax_equals_log_of_softmax_where_finite(z):
    p = softmax(z)
    representable = p > 1e-300
    np.testing.assert_allclose(log_softmax(z)[representable], np.log(p[representable]), rtol=1e-10, atol=1e-12)


@given(logit_matrices(-20, 20), st.sampled_from([0, 1, -1]), st.booleans())
def test_logsumexp_matches_the_naive_formula_on_moderate_inputs(z, axis, keepdims):
    naive = np.log(np.sum(np.exp(z), axis=axis, keepdims=keepdims))
    np.testing.assert_allclose(logsumexp(z, axis=axis, keepdims=keepdims), naive, rtol=1e-12, atol=1e-14)


@given(arrays(np.float64, st.integers(1, 32), elements=st.floats(-700, 700)))
def test_sigmoid_and_log_sigmoid_identities(x):
    np.testing.assert_allclose(sigmoid(x) + sigmoid(-x), 1.0, rtol=1e-12)
    np.testing.assert_allclose(log_sigmoid(x), -softplus(-x), rtol=1e-12)
    np.testing.assert_allclose(softplus(x) - softplus(-x), x, rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------- stability at extreme logits


EXTREMES = [(np.float32, 1e4), (np.float32, 3e38), (np.float64, 1e4), (np.float64, 1e300), (np.float64, 1e308)]


def representable(value, dtype):
    """value, or ±inf where it exceeds the largest finite ``dtype``."""
    return value if abs(value) <= float(np.finfo(dtype).max) else np.copysign(np.inf, value)


@pytest.mark.parametrize("dtype, big", EXTREMES)
@pytest.mark.parametrize("function", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_extreme_logits_give_finite_results_without_warnings_where_the_value_is_representable(function, dtype, big):
    z = np.array([[big, -big, 0.0], [-big, -big, -big], [big, big, 1.0]], dtype=dtype)
    out = function(z)  # setup.cfg turns any RuntimeWarning into an error
    finite = np.isfinite(out)
    if function is log_softmax and not np.isfinite(representable(2 * big, dtype)):
        finite |= (out == -np.inf) & (z == -big) & (z.max(axis=1, keepdims=True) == big)  # log p = −2·big
    assert np.all(finite)


@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_extreme_logits_give_the_limiting_values(dtype, big):
    x = np.array([big, -big], dtype=dtype)
    b = dtype(big)
    np.testing.assert_array_equal(sigmoid(x), [1.0, 0.0])
    np.testing.assert_array_equal(log_sigmoid(x), [0.0, -b])
    np.testing.assert_array_equal(softplus(x), [b, 0.0])
    np.testing.assert_array_equal(softmax(x), [1.0, 0.0])
    np.testing.assert_array_equal(log_softmax(x), [0.0, representable(-2 * big, dtype)])
    np.testing.assert_allclose(logsumexp(np.array([-big, -big], dtype)), -b + np.log(2), rtol=1e-6)


@pytest.mark.parametrize("dtype, big", EXTREMES)
@pytest.mark.parametrize("function", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_extreme_logits_nan_and_empty_rows_match_torch(function, dtype, big):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    reference = {sigmoid: torch.sigmoid, log_sigmoid: F.logsigmoid, softplus: lambda t: -F.logsigmoid(-t),
                 logsumexp: lambda t: torch.logsumexp(t, -1), log_softmax: lambda t: F.log_softmax(t, -1),
                 softmax: lambda t: F.softmax(t, -1)}[function]
    for z in (np.array([[big, -big, 0.0], [-big, np.nan, 1.0], [np.inf, big, -np.inf]], dtype=dtype),
              np.zeros((2, 0), dtype), np.zeros((0, 3), dtype)):
        expected = reference(torch.from_numpy(z)).numpy()
        np.testing.assert_allclose(function(z), expected, rtol=1e-6 if dtype == np.float32 else 1e-12)


# ---------------------------------------------------------------- dtypes


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("function", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_float_dtype_is_kept(function, dtype):
    assert function(np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)).dtype == dtype


@pytest.mark.parametrize("function", ALL_FUNCTIONS, ids=lambda f: f.__name__)
def test_integer_input_is_computed_in_float64(function):
    out = function(np.arange(-3, 3).reshape(2, 3))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, function(np.arange(-3.0, 3.0).reshape(2, 3)))


# ---------------------------------------------------------------- PyTorch parity


@given(logit_matrices(-700, 700))
def test_elementwise_functions_match_torch(z):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    t = torch.from_numpy(z)
    np.testing.assert_allclose(sigmoid(z), torch.sigmoid(t).numpy(), rtol=1e-12, atol=0)
    np.testing.assert_allclose(log_sigmoid(z), F.logsigmoid(t).numpy(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(softplus(z), F.softplus(t, threshold=1e308).numpy(), rtol=1e-12, atol=1e-300)


@given(logit_matrices(-700, 700), st.sampled_from([0, 1]))
def test_row_functions_match_torch(z, axis):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    t = torch.from_numpy(z)
    np.testing.assert_allclose(softmax(z, axis=axis), F.softmax(t, dim=axis).numpy(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(log_softmax(z, axis=axis), F.log_softmax(t, dim=axis).numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(logsumexp(z, axis=axis), torch.logsumexp(t, dim=axis).numpy(), rtol=1e-12, atol=1e-12)
