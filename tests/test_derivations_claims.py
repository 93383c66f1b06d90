"""The claims docs/lecture/derivations.md makes in words, beside its formulas, checked on scratch.

The formulas themselves are read from the page by tests/test_derivations_regression.py,
tests/test_derivations_softmax_layers.py, tests/test_derivations_cross_entropy_options.py and
tests/test_derivations_training.py; these are the sentences around them.
"""

import numpy as np

from scratch import losses, numerics
from scratch.gradcheck import numerical_gradient
from scratch.models import SoftmaxRegression
from scratch.nn import Linear, ReLU, Softmax

N, D, K = 5, 3, 4
RNG = lambda: np.random.default_rng(13)  # noqa: E731


def test_the_softmax_jacobian_is_not_its_diagonal():
    """(S3): every output depends on every input, not the elementwise s(1 − s)."""
    z = RNG().normal(size=K)
    s = numerics.softmax(z)
    jacobian = np.stack([numerical_gradient(lambda v, i=i: float(numerics.softmax(v)[i]), z) for i in range(K)])
    assert np.abs(jacobian - np.diag(s * (1 - s))).max() > 1e-2


def test_the_stable_bce_stays_finite_where_the_textbook_form_does_not():
    """After (B6): σ(40) = 1 in float64, so (B4) as written takes log(0); (B8) gives the loss."""
    z, y = np.array([1000.0, -1000.0, 40.0]), np.array([0.0, 1.0, 0.0])
    with np.errstate(divide="ignore", over="ignore"):
        y_hat = numerics.sigmoid(z)
        assert not np.isfinite(-y * np.log(y_hat) - (1 - y) * np.log(1 - y_hat)).all()
    np.testing.assert_allclose(losses.binary_cross_entropy_with_logits(z, y, reduction="none"), [1000.0, 1000.0, 40.0])


def test_relu_takes_zero_at_zero():
    """(A1): at x = 0 scratch, like PyTorch, takes 0."""
    layer = ReLU()
    layer.forward(np.zeros((1, 3)))
    assert not layer.backward(np.ones((1, 3))).any()


def test_the_softmax_layer_backward_runs_along_its_own_axis():
    """(A3) along the class axis, whichever it is (dim=0 here); its diagonal alone is wrong."""
    rng = RNG()
    x, g = rng.normal(size=(N, K)), rng.normal(size=(N, K))
    layer = Softmax(dim=0)
    s = layer.forward(x)
    grad = layer.backward(g)
    np.testing.assert_allclose(grad, s * (g - (g * s).sum(axis=0, keepdims=True)), atol=1e-14)
    np.testing.assert_allclose(grad, numerical_gradient(lambda v: float((g * numerics.softmax(v, axis=0)).sum()), x),
                               atol=1e-7)
    assert np.abs(grad - g * s * (1 - s)).max() > 1e-2


def test_softmax_regression_is_one_linear_layer_with_weight_transposed():
    """After (L4): with G = (S − Y)/N from (S9), (L2) is (S10) transposed."""
    rng = RNG()
    model = SoftmaxRegression(D, K)
    model.params["W"][...], model.params["b"][...] = rng.normal(size=(D, K)), rng.normal(size=K)
    X, y = rng.normal(size=(N, D)), rng.integers(0, K, N)
    layer = Linear(D, K, seed=0)
    layer.params["weight"][...], layer.params["bias"][...] = model.params["W"].T, model.params["b"]
    layer.backward(losses.cross_entropy_grad(layer.forward(X), y))
    _, grads = model.loss_grad(X, y)
    np.testing.assert_allclose(layer.grads["weight"], grads["W"].T, atol=1e-12)
    np.testing.assert_allclose(layer.grads["bias"], grads["b"], atol=1e-12)
