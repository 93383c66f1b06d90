"""Every tagged line of docs/lecture/derivations.md, checked.

Each test names the lines it checks with ``@lines("M3", …)``. For a line that differentiates
the one before it, the closed form (computed here, independently of scratch) must equal
central finite differences of the previous line; the last line of each derivation must
equal what scratch returns (a model's ``loss_grad``, a loss's ``_grad``, a layer's
``backward``, ``SGD.step``), so a wrong implementation fails. Where sympy is installed, the
closed forms must also equal sympy's derivatives on small symbolic shapes.
"""

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from scratch import losses, numerics
from scratch.autograd import Tensor
from scratch.gradcheck import numerical_gradient
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.nn import Linear, ReLU, Sigmoid, Softmax
from scratch.optim import SGD

PAGE = Path(__file__).resolve().parents[1] / "docs" / "lecture" / "derivations.md"
CHECKED = set()  # the tags claimed by the tests below, filled as they are defined
N, D, K = 5, 3, 4


def lines(*tags):
    """Mark a test as the check of these lines of the page."""

    def mark(test):
        CHECKED.update(tags)
        return test

    return mark


def fd(f, x):
    """∂f/∂x by central differences; f: array → number; x is copied, never changed."""
    return numerical_gradient(lambda v: float(f(v)), np.array(x, dtype=np.float64))


def fd_jacobian(f, x):
    """∂f(x)ᵢ/∂xⱼ by central differences: shape f(x).shape + x.shape."""
    x = np.array(x, dtype=np.float64)
    out_shape = np.shape(f(x))
    rows = [fd(lambda v, i=i: np.ravel(f(v))[i], x) for i in range(int(np.prod(out_shape)))]
    return np.reshape(rows, out_shape + x.shape)


def close(actual, expected, tol=1e-7):
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol)


def onehot(y, k):
    return np.eye(k)[y]


@pytest.fixture
def rng():
    return np.random.default_rng(13)


@pytest.fixture
def sp():
    return pytest.importorskip("sympy")


def sym_zero(sp, expr):
    """A symbolic expression (or matrix) that simplifies to zero."""
    return sp.simplify(sp.expand(expr)) == 0 if not hasattr(expr, "shape") else all(sym_zero(sp, e) for e in expr)


# ------------------------------------------------------------------ 1. linear regression, MSE


def linear_case(rng):
    model = LinearRegression(D)
    model.params["W"][...] = rng.normal(size=D)
    model.params["b"][...] = rng.normal()
    return model, rng.normal(size=(N, D)), rng.normal(size=N)


@lines("M1", "M2")
def test_prediction_and_mse_are_what_the_model_computes(rng):
    model, X, y = linear_case(rng)
    y_hat = X @ model.params["W"] + model.params["b"]  # (M1)
    close(model.forward(X), y_hat)
    L = np.mean((y_hat - y) ** 2)  # (M2)
    close(model.loss(X, y), L)
    close(losses.mse_loss(y_hat, y), L)


@lines("M3")
def test_mse_gradient_in_the_prediction_is_finite_differences_of_the_loss(rng):
    model, X, y = linear_case(rng)
    y_hat = model.forward(X)
    closed = 2 * (y_hat - y) / N  # (M3)
    close(closed, fd(lambda v: np.mean((v - y) ** 2), y_hat))
    close(losses.mse_loss_grad(y_hat, y), closed)


@lines("M4")
def test_prediction_jacobian_is_the_input_row_and_one(rng):
    model, X, _ = linear_case(rng)
    b = model.params["b"]
    close(fd_jacobian(lambda w: X @ w + b, model.params["W"]), X)
    close(fd_jacobian(lambda b_: X @ model.params["W"] + b_, b), np.ones(N))


@lines("M5", "M6")
def test_linear_regression_gradient_is_the_chain_rule_and_what_loss_grad_returns(rng):
    model, X, y = linear_case(rng)
    residual = model.forward(X) - y
    dw, db = 2 / N * X.T @ residual, 2 / N * residual.sum()  # (M5), (M6)
    close(dw, numerical_gradient(lambda _: model.loss(X, y), model.params["W"]))
    close(db, numerical_gradient(lambda _: model.loss(X, y), model.params["b"]))
    _, grads = model.loss_grad(X, y)
    close(grads["W"], dw, 1e-12)
    close(grads["b"], db, 1e-12)


def test_example_1_gradients_are_the_lecture_numbers():
    model = LinearRegression(1)
    model.params["W"][...], model.params["b"][...] = -0.34, 0.04
    loss, grads = model.loss_grad([[6.7]], [9.1])
    close([loss, grads["W"].item(), grads["b"].item()], [128.550244, -151.9292, -22.676], 1e-9)


@lines("M5", "M6")
def test_mse_gradient_equals_sympys_derivative(sp):
    X = sp.Matrix(2, 2, sp.symbols("x:2:2"))
    w, y = sp.Matrix(sp.symbols("w:2")), sp.Matrix(sp.symbols("y:2"))
    b = sp.Symbol("b")
    residual = X * w + sp.ones(2, 1) * b - y
    L = (residual.T * residual)[0] / 2
    assert sym_zero(sp, sp.Matrix([sp.diff(L, wj) for wj in w]) - 2 * X.T * residual / 2)
    assert sym_zero(sp, sp.diff(L, b) - 2 * sum(residual) / 2)


# ------------------------------------------------------------------ 2. BCE through the sigmoid


def bce(y_hat, y):
    """(B4), elementwise."""
    return -y * np.log(y_hat) - (1 - y) * np.log(1 - y_hat)


def logistic_case(rng):
    model = LogisticRegression(D)
    model.params["W"][...] = rng.normal(size=D)
    model.params["b"][...] = rng.normal()
    return model, rng.normal(size=(N, D)), rng.uniform(size=N)  # soft labels are targets too


@lines("B1", "B2")
def test_logit_and_sigmoid_are_what_the_model_computes(rng):
    model, X, _ = logistic_case(rng)
    z = X @ model.params["W"] + model.params["b"]  # (B1)
    close(model.forward(X), z)
    sigma = 1 / (1 + np.exp(-z))  # (B2)
    close(numerics.sigmoid(z), sigma, 1e-15)
    close(model.predict_proba(X), sigma, 1e-15)


@lines("B3")
def test_sigmoid_derivative_is_finite_differences_of_the_sigmoid(rng):
    z = rng.normal(scale=3, size=7)
    s = numerics.sigmoid(z)
    closed = s * (1 - s)  # (B3)
    close(np.exp(-z) / (1 + np.exp(-z)) ** 2, closed)
    close(fd(lambda v: numerics.sigmoid(v).sum(), z), closed)  # elementwise: the gradient of the sum


@lines("B4", "B5")
def test_bce_derivative_in_the_probability_is_finite_differences_of_the_loss(rng):
    y_hat, y = rng.uniform(0.05, 0.95, 7), rng.uniform(size=7)
    closed = (y_hat - y) / (y_hat * (1 - y_hat))  # (B5)
    close(-y / y_hat + (1 - y) / (1 - y_hat), closed)
    close(fd(lambda v: bce(v, y).sum(), y_hat), closed)


@lines("B6")
def test_bce_through_the_sigmoid_collapses_to_sigma_minus_y(rng):
    z, y = rng.normal(scale=2, size=7), rng.uniform(size=7)
    s = numerics.sigmoid(z)
    chained = (s - y) / (s * (1 - s)) * (s * (1 - s))  # (B5) times (B3)
    close(chained, s - y)
    close(fd(lambda v: bce(numerics.sigmoid(v), y).sum(), z), s - y)


@lines("B7")
def test_log_sigmoid_is_minus_softplus(rng):
    z = rng.normal(scale=5, size=9)
    close(np.log(numerics.sigmoid(z)), -numerics.softplus(-z), 1e-12)
    close(np.log(1 - numerics.sigmoid(z)), -numerics.softplus(z), 1e-12)
    close(numerics.log_sigmoid(z), -numerics.softplus(-z), 1e-15)


@lines("B8")
def test_stable_bce_equals_the_textbook_form_and_stays_finite(rng):
    z, y = rng.normal(scale=3, size=9), rng.uniform(size=9)
    stable = y * numerics.softplus(-z) + (1 - y) * numerics.softplus(z)  # (B8)
    close(stable, bce(numerics.sigmoid(z), y), 1e-10)
    close(numerics.softplus(z) - y * z, stable, 1e-12)
    close(losses.binary_cross_entropy_with_logits(z, y, reduction="none"), stable, 1e-12)
    z_far, y_far = np.array([1000.0, -1000.0, 40.0]), np.array([0.0, 1.0, 0.0])
    with np.errstate(divide="ignore", over="ignore"):
        assert not np.isfinite(bce(numerics.sigmoid(z_far), y_far)).all()  # (B4) as written
    close(numerics.softplus(z_far) - y_far * z_far, [1000.0, 1000.0, 40.0])  # (B8)


@lines("B9")
def test_softplus_derivative_is_the_sigmoid_and_bce_gradient_is_sigma_minus_y(rng):
    z, y = rng.normal(scale=3, size=9), rng.uniform(size=9)
    close(fd(lambda v: numerics.softplus(v).sum(), z), numerics.sigmoid(z))
    close(fd(lambda v: (numerics.softplus(v) - y * v).sum(), z), numerics.sigmoid(z) - y)


@lines("B10")
def test_logistic_regression_gradient_is_the_chain_rule_and_what_loss_grad_returns(rng):
    model, X, y = logistic_case(rng)
    error = numerics.sigmoid(model.forward(X)) - y
    dw, db = X.T @ error / N, error.mean()  # (B10)
    close(dw, numerical_gradient(lambda _: model.loss(X, y), model.params["W"]))
    close(db, numerical_gradient(lambda _: model.loss(X, y), model.params["b"]))
    _, grads = model.loss_grad(X, y)
    close(grads["W"], dw, 1e-12)
    close(grads["b"], db, 1e-12)
    close(X.T @ losses.binary_cross_entropy_with_logits_grad(model.forward(X), y), dw, 1e-12)


@lines("B11", "B12")
def test_weighted_bce_gradient_is_finite_differences_and_what_the_loss_returns(rng):
    z, y = rng.normal(scale=2, size=(N, K)), rng.uniform(size=(N, K))
    omega, p = rng.uniform(0.5, 2, (N, K)), rng.uniform(0.5, 3, K)
    loss = omega * (p * y * numerics.softplus(-z) + (1 - y) * numerics.softplus(z))  # (B11)
    options = dict(weight=omega, pos_weight=p)
    close(losses.binary_cross_entropy_with_logits(z, y, reduction="none", **options), loss, 1e-12)
    closed = omega * ((1 - y) * numerics.sigmoid(z) - p * y * numerics.sigmoid(-z))  # (B12)
    close(fd(lambda v: (omega * (p * y * numerics.softplus(-v) + (1 - y) * numerics.softplus(v))).sum(), z), closed)
    close(losses.binary_cross_entropy_with_logits_grad(z, y, reduction="sum", **options), closed, 1e-12)
    close(losses.binary_cross_entropy_with_logits_grad(z, y, **options), closed / z.size, 1e-12)


@lines("B3", "B6", "B8", "B9", "B10", "B12")
def test_bce_closed_forms_equal_sympys_derivatives(sp):
    z, y, omega, p = sp.symbols("z y omega p", real=True)
    sigma = 1 / (1 + sp.exp(-z))
    softplus = lambda u: sp.log(1 + sp.exp(u))
    assert sym_zero(sp, sp.diff(sigma, z) - sigma * (1 - sigma))  # (B3)
    textbook = -y * sp.log(sigma) - (1 - y) * sp.log(1 - sigma)
    assert sym_zero(sp, sp.diff(textbook, z) - (sigma - y))  # (B6)
    stable = softplus(z) - y * z
    assert sym_zero(sp, sp.diff(stable - textbook, z))  # (B8): the same function up to a constant …
    assert sym_zero(sp, (stable - textbook).subs(z, 0))  # … which is 0
    assert sym_zero(sp, sp.diff(softplus(z), z) - sigma)  # (B9)
    weighted = omega * (p * y * softplus(-z) + (1 - y) * softplus(z))
    assert sym_zero(sp, sp.diff(weighted, z) - omega * ((1 - y) * sigma - p * y * sigma.subs(z, -z)))  # (B12)
    X = sp.Matrix(2, 2, sp.symbols("x:2:2"))  # (B10) on N = 2, D = 2
    w, t = sp.Matrix(sp.symbols("w:2")), sp.Matrix(sp.symbols("t:2"))
    b = sp.Symbol("b")
    zs = X * w + sp.ones(2, 1) * b
    L = sum(softplus(zs[n]) - t[n] * zs[n] for n in range(2)) / 2
    error = sp.Matrix([1 / (1 + sp.exp(-zs[n])) - t[n] for n in range(2)])
    assert sym_zero(sp, sp.Matrix([sp.diff(L, wj) for wj in w]) - X.T * error / 2)
    assert sym_zero(sp, sp.diff(L, b) - sum(error) / 2)


# ------------------------------------------------------------------ 3. softmax and cross-entropy


def softmax_case(rng):
    model = SoftmaxRegression(D, K)
    model.params["W"][...] = rng.normal(size=(D, K))
    model.params["b"][...] = rng.normal(size=K)
    return model, rng.normal(size=(N, D)), rng.integers(0, K, N)


def cross_entropy_of_probabilities(s, Y):
    """(S4) summed over a batch: −Σₙ Σᵢ yₙᵢ log sₙᵢ."""
    return -(Y * np.log(s)).sum()


@lines("S1", "S2")
def test_logits_and_softmax_are_what_the_model_computes(rng):
    model, X, _ = softmax_case(rng)
    Z = X @ model.params["W"] + model.params["b"]  # (S1)
    close(model.forward(X), Z)
    S = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)  # (S2)
    close(numerics.softmax(Z), S, 1e-15)
    close(model.predict_proba(X), S, 1e-15)


@lines("S3")
def test_softmax_jacobian_is_finite_differences_of_softmax_and_not_elementwise(rng):
    z = rng.normal(size=K)
    s = numerics.softmax(z)
    closed = np.diag(s) - np.outer(s, s)  # (S3)
    jacobian = fd_jacobian(numerics.softmax, z)
    close(jacobian, closed)
    assert np.abs(jacobian - np.diag(s * (1 - s))).max() > 1e-2  # the elementwise guess is wrong


@lines("S4", "S5")
def test_cross_entropy_derivative_in_the_probabilities_is_finite_differences(rng):
    s, y = rng.uniform(0.1, 1, K), rng.dirichlet(np.ones(K))
    close(fd(lambda v: cross_entropy_of_probabilities(v, y), s), -y / s)  # (S5)


@lines("S6", "S7")
def test_cross_entropy_through_softmax_collapses_to_s_minus_y(rng):
    z = rng.normal(size=K)
    s = numerics.softmax(z)
    for y in (onehot(2, K), rng.dirichlet(np.ones(K))):  # a label and a distribution: Σy = 1
        chained = (np.diag(s) - np.outer(s, s)).T @ (-y / s)  # Σᵢ ∂ℓ/∂sᵢ · ∂sᵢ/∂zⱼ
        close(chained, s * y.sum() - y)  # (S6)
        close(chained, s - y)  # (S7)
        close(fd(lambda v: cross_entropy_of_probabilities(numerics.softmax(v), y), z), s - y)


@lines("S8")
def test_log_softmax_route_gives_the_same_loss_and_logsumexp_differentiates_to_softmax(rng):
    z, y = rng.normal(scale=3, size=K), rng.dirichlet(np.ones(K))
    close(numerics.log_softmax(z), z - numerics.logsumexp(z), 1e-14)
    close(y.sum() * numerics.logsumexp(z) - y @ z, cross_entropy_of_probabilities(numerics.softmax(z), y), 1e-12)
    close(fd(numerics.logsumexp, z), numerics.softmax(z))
    big = np.array([1000.0, 0.0, -1000.0])  # no overflow: logsumexp shifts by max z
    close(numerics.logsumexp(big), 1000.0)


@lines("S9", "S10")
def test_softmax_regression_gradient_is_the_chain_rule_and_what_loss_grad_returns(rng):
    model, X, y = softmax_case(rng)
    Z, Y = model.forward(X), onehot(y, K)
    dZ = (numerics.softmax(Z) - Y) / N  # (S9)
    close(fd(lambda v: cross_entropy_of_probabilities(numerics.softmax(v), Y) / N, Z), dZ)
    close(losses.cross_entropy_grad(Z, y), dZ, 1e-12)
    dW, db = X.T @ dZ, dZ.sum(axis=0)  # (S10)
    close(dW, numerical_gradient(lambda _: model.loss(X, y), model.params["W"]))
    close(db, numerical_gradient(lambda _: model.loss(X, y), model.params["b"]))
    _, grads = model.loss_grad(X, y)
    close(grads["W"], dW, 1e-12)
    close(grads["b"], db, 1e-12)


def weighted_cross_entropy(Z, Q):
    """(S11) summed over the batch: −Σₙ Σᵢ qₙᵢ log softmax(zₙ)ᵢ."""
    return -(Q * numerics.log_softmax(Z)).sum()


@lines("S11")
def test_cross_entropy_with_a_target_row_not_summing_to_one(rng):
    Z, t, omega = rng.normal(size=(N, K)), rng.dirichlet(np.ones(K), N), rng.uniform(0.5, 2, K)
    Q = omega * t  # probability targets with class weights: rows do not sum to one
    closed = numerics.softmax(Z) * Q.sum(axis=1, keepdims=True) - Q  # (S11)
    close(fd(lambda v: weighted_cross_entropy(v, Q), Z), closed)
    close(losses.cross_entropy(Z, t, weight=omega, reduction="sum"), weighted_cross_entropy(Z, Q), 1e-12)
    close(losses.cross_entropy_grad(Z, t, weight=omega, reduction="sum"), closed, 1e-12)
    close(losses.cross_entropy_grad(Z, t, weight=omega), closed / N, 1e-12)  # probabilities: mean over N


@lines("S12")
def test_class_weights_scale_each_row_and_the_mean_divides_by_the_summed_weights(rng):
    Z, y, omega = rng.normal(size=(N, K)), rng.integers(0, K, N), rng.uniform(0.5, 2, K)
    Q = omega[y, None] * onehot(y, K)
    denominator = omega[y].sum()
    close(losses.cross_entropy(Z, y, weight=omega), weighted_cross_entropy(Z, Q) / denominator, 1e-12)
    closed = omega[y, None] * (numerics.softmax(Z) - onehot(y, K)) / denominator  # (S12)
    close(fd(lambda v: losses.cross_entropy(v, y, weight=omega), Z), closed)
    close(losses.cross_entropy_grad(Z, y, weight=omega), closed, 1e-12)


@lines("S13")
def test_label_smoothing_gradient_is_s_minus_the_smoothed_target(rng):
    Z, y, eps, omega = rng.normal(size=(N, K)), rng.integers(0, K, N), 0.1, rng.uniform(0.5, 2, K)
    q = (1 - eps) * onehot(y, K) + eps / K
    closed = (numerics.softmax(Z) - q) / N  # (S13)
    close(fd(lambda v: losses.cross_entropy(v, y, label_smoothing=eps), Z), closed)
    close(losses.cross_entropy_grad(Z, y, label_smoothing=eps), closed, 1e-12)
    Q = omega * q  # with class weights: (S11), PyTorch's weighted mean
    closed = (numerics.softmax(Z) * Q.sum(axis=1, keepdims=True) - Q) / omega[y].sum()
    close(fd(lambda v: losses.cross_entropy(v, y, weight=omega, label_smoothing=eps), Z), closed)
    close(losses.cross_entropy_grad(Z, y, weight=omega, label_smoothing=eps), closed, 1e-12)


@lines("S14")
def test_ignored_samples_have_no_gradient_and_leave_the_denominator(rng):
    Z, omega = rng.normal(size=(N, K)), rng.uniform(0.5, 2, K)
    y = np.array([1, -100, 3, 0, -100])
    kept = y != -100
    Y = np.zeros((N, K))
    Y[kept] = onehot(y[kept], K)
    Q = omega * Y  # mₙ qₙ: zero rows where ignored
    denominator = omega[y[kept]].sum()
    closed = (numerics.softmax(Z) * Q.sum(axis=1, keepdims=True) - Q) / denominator  # (S14)
    assert not closed[~kept].any()
    close(losses.cross_entropy(Z, y, weight=omega), weighted_cross_entropy(Z, Q) / denominator, 1e-12)
    close(fd(lambda v: losses.cross_entropy(v, y, weight=omega), Z), closed)
    close(losses.cross_entropy_grad(Z, y, weight=omega), closed, 1e-12)


@lines("S3", "S7", "S10", "S11")
def test_softmax_closed_forms_equal_sympys_derivatives(sp):
    z = sp.Matrix(sp.symbols("z:3"))
    s = z.applyfunc(sp.exp) / sum(z.applyfunc(sp.exp))
    assert sym_zero(sp, s.jacobian(z) - (sp.diag(*s) - s * s.T))  # (S3)
    q = sp.Matrix(sp.symbols("q:3", positive=True))
    loss = -sum(q[i] * sp.log(s[i]) for i in range(3))
    assert sym_zero(sp, z.applyfunc(loss.diff) - (s * sum(q) - q))  # (S11)
    onehot_2 = sp.Matrix([0, 0, 1])
    loss_2 = -sp.log(s[2])
    assert sym_zero(sp, z.applyfunc(loss_2.diff) - (s - onehot_2))  # (S7)
    X = sp.Matrix(2, 2, sp.symbols("x:2:2"))  # (S10) on N = 2, D = 2, K = 3, labels [0, 2]
    W, b = sp.Matrix(2, 3, sp.symbols("w:2:3")), sp.Matrix(1, 3, sp.symbols("b:3"))
    Z = X * W + sp.ones(2, 1) * b
    labels = (0, 2)
    S = sp.Matrix(2, 3, lambda n, k: sp.exp(Z[n, k]) / sum(sp.exp(Z[n, j]) for j in range(3)))
    L = -sum(sp.log(S[n, labels[n]]) for n in range(2)) / 2
    dZ = (S - sp.Matrix(2, 3, lambda n, k: int(k == labels[n]))) / 2
    assert sym_zero(sp, W.applyfunc(lambda wij: L.diff(wij)) - X.T * dZ)
    assert sym_zero(sp, b.applyfunc(lambda bk: L.diff(bk)) - sp.ones(1, 2) * dZ)


# ------------------------------------------------------------------ 4. the Linear layer


@lines("L1", "L2", "L3", "L4")
def test_linear_layer_backward_is_finite_differences_of_its_forward(rng):
    layer = Linear(D, K, seed=0)
    weight, bias = layer.params["weight"], layer.params["bias"]
    X, G = rng.normal(size=(N, D)), rng.normal(size=(N, K))  # L = Σ G ⊙ Y has ∂L/∂Y = G
    Y = X @ weight.T + bias  # (L1)
    close(layer.forward(X), Y, 1e-14)
    grad_x = layer.backward(G)
    d_weight, d_bias, d_x = G.T @ X, G.sum(axis=0), G @ weight  # (L2), (L3), (L4)
    close(d_weight, fd(lambda v: (G * (X @ v.T + bias)).sum(), weight))
    close(d_bias, fd(lambda v: (G * (X @ weight.T + v)).sum(), bias))
    close(d_x, fd(lambda v: (G * (v @ weight.T + bias)).sum(), X))
    close(layer.grads["weight"], d_weight, 1e-12)
    close(layer.grads["bias"], d_bias, 1e-12)
    close(grad_x, d_x, 1e-12)
    close(np.outer(G[0], X[0]), fd(lambda v: G[0] @ (v @ X[0]), weight))  # one sample: g xᵀ


@lines("L2")
def test_softmax_regression_is_one_linear_layer_with_weight_transposed(rng):
    model, X, y = softmax_case(rng)
    layer = Linear(D, K, seed=0)
    layer.params["weight"][...] = model.params["W"].T
    layer.params["bias"][...] = model.params["b"]
    Z = layer.forward(X)
    layer.backward(losses.cross_entropy_grad(Z, y))  # G = (S − Y)/N, (S9)
    _, grads = model.loss_grad(X, y)
    close(layer.grads["weight"], grads["W"].T, 1e-12)
    close(layer.grads["bias"], grads["b"], 1e-12)


@lines("L2", "L3", "L4")
def test_linear_layer_closed_forms_equal_sympys_derivatives(sp):
    X, G = sp.Matrix(2, 2, sp.symbols("x:2:2")), sp.Matrix(2, 3, sp.symbols("g:2:3"))
    weight, bias = sp.Matrix(3, 2, sp.symbols("v:3:2")), sp.Matrix(1, 3, sp.symbols("c:3"))
    Y = X * weight.T + sp.ones(2, 1) * bias
    L = sum(G[i] * Y[i] for i in range(6))
    assert sym_zero(sp, weight.applyfunc(L.diff) - G.T * X)
    assert sym_zero(sp, bias.applyfunc(L.diff) - sp.ones(1, 2) * G)
    assert sym_zero(sp, X.applyfunc(L.diff) - G * weight)


# ------------------------------------------------------------------ 5. activation layers


@lines("A1")
def test_relu_backward_masks_the_gradient(rng):
    x, g = rng.normal(size=(N, K)), rng.normal(size=(N, K))
    x[np.abs(x) < 1e-3] = 0.5  # finite differences need a distance from the kink
    layer = ReLU()
    layer.forward(x)
    closed = g * (x > 0)  # (A1)
    close(fd(lambda v: (g * np.maximum(v, 0)).sum(), x), closed)
    close(layer.backward(g), closed, 0)
    layer.forward(np.zeros((1, 3)))
    close(layer.backward(np.ones((1, 3))), np.zeros((1, 3)), 0)  # at 0: 0, as PyTorch


@lines("A2")
def test_sigmoid_layer_backward_is_the_sigmoid_derivative(rng):
    x, g = rng.normal(scale=2, size=(N, K)), rng.normal(size=(N, K))
    layer = Sigmoid()
    s = layer.forward(x)
    closed = g * s * (1 - s)  # (A2)
    close(fd(lambda v: (g * numerics.sigmoid(v)).sum(), x), closed)
    close(layer.backward(g), closed, 1e-14)


@lines("A3")
@pytest.mark.parametrize("dim", [-1, 0])
def test_softmax_layer_backward_is_the_jacobian_vector_product(rng, dim):
    x, g = rng.normal(size=(N, K)), rng.normal(size=(N, K))
    layer = Softmax(dim=dim)
    s = layer.forward(x)
    closed = s * (g - (g * s).sum(axis=dim, keepdims=True))  # (A3)
    close(fd(lambda v: (g * numerics.softmax(v, axis=dim)).sum(), x), closed)
    close(layer.backward(g), closed, 1e-14)
    assert np.abs(closed - g * s * (1 - s)).max() > 1e-2  # the diagonal alone is wrong


@lines("A4")
def test_softmax_layer_then_cross_entropy_gives_s_minus_y(rng):
    x, y = rng.normal(size=(N, K)), rng.integers(0, K, N)
    layer = Softmax(dim=-1)
    s = layer.forward(x)
    g = -onehot(y, K) / s  # (S5), per sample
    close(layer.backward(g), s - onehot(y, K), 1e-12)  # (A4)


@lines("A3")
def test_softmax_layer_backward_equals_sympys_derivative(sp):
    x, g = sp.Matrix(sp.symbols("x:3")), sp.Matrix(sp.symbols("g:3"))
    s = x.applyfunc(sp.exp) / sum(x.applyfunc(sp.exp))
    L = (g.T * s)[0]
    assert sym_zero(sp, x.applyfunc(L.diff) - s.multiply_elementwise(g - sp.ones(3, 1) * (g.T * s)[0]))


# ------------------------------------------------------------------ 6. the minibatch mean


def model_cases(rng):
    yield linear_case(rng)
    yield logistic_case(rng)
    yield softmax_case(rng)


@lines("N1", "N2")
def test_batch_gradient_is_the_mean_of_per_sample_gradients(rng):
    for model, X, y in model_cases(rng):
        loss, grads = model.loss_grad(X, y)
        singles = [model.loss_grad(X[n : n + 1], y[n : n + 1]) for n in range(N)]
        close(loss, np.mean([l for l, _ in singles]), 1e-12)  # (N1)
        for key in grads:
            close(grads[key], np.mean([g[key] for _, g in singles], axis=0), 1e-12)  # (N2)


@lines("N3")
def test_sum_reduction_gradient_is_batch_size_times_the_mean(rng):
    z, t, labels = rng.normal(size=(N, K)), rng.uniform(size=(N, K)), rng.integers(0, K, N)
    for grad, target, size in (
        (losses.mse_loss_grad, t, z.size),
        (losses.binary_cross_entropy_with_logits_grad, t, z.size),
        (losses.cross_entropy_grad, labels, N),
    ):
        close(grad(z, target, reduction="sum"), size * grad(z, target), 1e-12)  # (N3)


@lines("N4")
def test_minibatch_gradient_averaged_over_every_batch_is_the_full_gradient(rng):
    for model, X, y in model_cases(rng):
        _, full = model.loss_grad(X, y)
        batches = [model.loss_grad(X[list(b)], y[list(b)])[1] for b in itertools.combinations(range(N), 2)]
        for key in full:
            close(np.mean([g[key] for g in batches], axis=0), full[key], 1e-12)  # (N4)


# ------------------------------------------------------------------ 7. SGD as PyTorch's


def sgd_by_the_page(theta, gradient, steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                    maximize=False, dampen_first_step=False):
    """θ after each step, written line by line from (G1)–(G5); gradient: θ → g.

    dampen_first_step=True is the textbook variant b₁ = (1 − τ)d₁, which PyTorch does not use.
    """
    theta, buffer, path = theta.copy(), None, []
    for t in range(1, steps + 1):
        g = gradient(theta)
        d = (-g if maximize else g) + weight_decay * theta  # (G1)
        if momentum != 0:
            if t == 1:
                buffer = (1 - dampening) * d if dampen_first_step else d  # (G2)
            else:
                buffer = momentum * buffer + (1 - dampening) * d  # (G2)
            d = d + momentum * buffer if nesterov else buffer  # (G4)
        theta = theta - lr * d  # (G5)
        path.append(theta)
    return path


def sgd_by_scratch(theta, gradient, steps, **options):
    params = {"theta": theta.copy()}
    optimizer, path = SGD(params, **options), []
    for _ in range(steps):
        optimizer.step({"theta": gradient(params["theta"])})
        path.append(params["theta"].copy())
    return path


SGD_OPTIONS = [
    dict(lr=0.1),
    dict(lr=0.1, weight_decay=0.05),
    dict(lr=0.1, maximize=True, weight_decay=0.05),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.05, momentum=0.5, nesterov=True, weight_decay=0.1, maximize=True),
]


def quadratic(rng):
    """g(θ) = Aθ − c: the gradient of ½θᵀAθ − cᵀθ, so each step's gradient depends on θ."""
    M = rng.normal(size=(D, D))
    A, c = M @ M.T / D + np.eye(D), rng.normal(size=D)
    return lambda theta: A @ theta - c


@lines("G1")
def test_weight_decay_is_the_gradient_of_an_l2_penalty(rng):
    model, X, y = softmax_case(rng)
    lam, W = 0.05, model.params["W"]
    _, grads = model.loss_grad(X, y)
    penalised = numerical_gradient(lambda _: model.loss(X, y) + lam / 2 * (W**2).sum(), W)
    close(grads["W"] + lam * W, penalised)  # (G1)
    expected = W - 0.1 * (grads["W"] + lam * W)
    SGD(model.params, lr=0.1, weight_decay=lam).step(grads)
    close(model.params["W"], expected, 1e-14)


@lines("G2", "G3")
def test_momentum_buffer_unrolls_to_an_exponentially_weighted_sum(rng):
    mu, tau, directions = 0.9, 0.3, rng.normal(size=(6, D))
    buffer = directions[0]  # (G2)
    for t in range(2, len(directions) + 1):
        buffer = mu * buffer + (1 - tau) * directions[t - 1]  # (G2)
        unrolled = mu ** (t - 1) * directions[0] + (1 - tau) * sum(
            mu ** (t - k) * directions[k - 1] for k in range(2, t + 1)
        )  # (G3)
        close(buffer, unrolled, 1e-12)
    constant, buffer = np.ones(D), np.ones(D)  # a constant direction, τ = 0: b → d / (1 − μ)
    for _ in range(400):
        buffer = mu * buffer + constant
    close(buffer, constant / (1 - mu), 1e-12)


@lines("G2", "G3")
def test_momentum_unrolling_equals_sympys_recursion(sp):
    mu, tau = sp.symbols("mu tau")
    d = sp.symbols("d1:6")
    buffer = d[0]
    for t in range(2, 6):
        buffer = mu * buffer + (1 - tau) * d[t - 1]
        unrolled = mu ** (t - 1) * d[0] + (1 - tau) * sum(mu ** (t - k) * d[k - 1] for k in range(2, t + 1))
        assert sym_zero(sp, buffer - unrolled)


@lines("G1")
def test_weight_decay_equals_sympys_derivative_of_the_penalty(sp):
    theta, lam = sp.symbols("theta:3"), sp.Symbol("lambda")
    f = sp.Function("L")(*theta)
    penalised = f + lam / 2 * sum(t**2 for t in theta)
    assert all(sym_zero(sp, sp.diff(penalised, t) - (sp.diff(f, t) + lam * t)) for t in theta)


@lines("G4", "G5")
@pytest.mark.parametrize("options", SGD_OPTIONS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_sgd_step_is_the_update_written_on_the_page(rng, options):
    theta, gradient = rng.normal(size=D), quadratic(rng)
    for ours, page in zip(sgd_by_scratch(theta, gradient, 6, **options), sgd_by_the_page(theta, gradient, 6, **options)):
        close(ours, page, 1e-13)


def test_the_sgd_comparison_can_fail(rng):
    """The textbook's dampened first step differs from PyTorch's (and scratch's) b₁ = d₁."""
    theta, gradient = rng.normal(size=D), quadratic(rng)
    options = dict(lr=0.05, momentum=0.9, dampening=0.3)
    ours = sgd_by_scratch(theta, gradient, 3, **options)[-1]
    textbook = sgd_by_the_page(theta, gradient, 3, **options, dampen_first_step=True)[-1]
    assert np.abs(ours - textbook).max() > 1e-4


@lines("G5")
def test_example_1_step_is_theta_minus_lr_times_gradient():
    model = LinearRegression(1)
    model.params["W"][...], model.params["b"][...] = -0.34, 0.04
    _, grads = model.loss_grad([[6.7]], [9.1])
    SGD(model.params, lr=0.01).step(grads)
    close([model.params["W"].item(), model.params["b"].item()], [-0.34 + 1.519292, 0.04 + 0.22676], 1e-12)


# ------------------------------------------------------------------ 8. the autograd tape's rules


@lines("T1")
def test_tape_matmul_gradients(rng):
    A, B, G = rng.normal(size=(N, D)), rng.normal(size=(D, K)), rng.normal(size=(N, K))
    a, b = Tensor(A, requires_grad=True), Tensor(B, requires_grad=True)
    (a @ b).backward(G)
    close(a.grad, G @ B.T, 1e-14)
    close(b.grad, A.T @ G, 1e-14)
    close(a.grad, fd(lambda v: (G * (v @ B)).sum(), A))
    close(b.grad, fd(lambda v: (G * (A @ v)).sum(), B))


@lines("T2")
def test_tape_log_softmax_gradient(rng):
    x, g = rng.normal(size=(N, K)), rng.normal(size=(N, K))
    leaf = Tensor(x, requires_grad=True)
    leaf.log_softmax(axis=1).backward(g)
    closed = g - numerics.softmax(x) * g.sum(axis=1, keepdims=True)  # (T2)
    close(fd(lambda v: (g * numerics.log_softmax(v)).sum(), x), closed)
    close(leaf.grad, closed, 1e-14)


@lines("T3")
def test_tape_broadcast_gradient_is_summed_back(rng):
    x, bias, g = rng.normal(size=(N, K)), rng.normal(size=K), rng.normal(size=(N, K))
    leaf = Tensor(bias, requires_grad=True)
    (Tensor(x) + leaf).backward(g)
    close(leaf.grad, g.sum(axis=0), 1e-14)  # (T3)
    close(leaf.grad, fd(lambda v: (g * (x + v)).sum(), bias))


@lines("T4")
def test_tape_indexing_gradient_scatters_and_adds(rng):
    x, index = rng.normal(size=K), np.array([0, 2, 2, 3, 0, 0])
    g = rng.normal(size=len(index))
    leaf = Tensor(x, requires_grad=True)
    leaf[index].backward(g)
    expected = np.zeros(K)
    np.add.at(expected, index, g)  # (T4)
    close(leaf.grad, expected, 1e-14)
    close(leaf.grad, fd(lambda v: g @ v[index], x))


@lines("T5")
def test_tape_tanh_gradient(rng):
    x, g = rng.normal(size=K), rng.normal(size=K)
    leaf = Tensor(x, requires_grad=True)
    leaf.tanh().backward(g)
    closed = g * (1 - np.tanh(x) ** 2)  # (T5)
    close(fd(lambda v: g @ np.tanh(v), x), closed)
    close(leaf.grad, closed, 1e-14)


@lines("T5")
def test_tanh_derivative_equals_sympys(sp):
    x = sp.Symbol("x", real=True)
    tanh = (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x))
    assert sym_zero(sp, sp.diff(tanh, x) - (1 - tanh**2))


# ------------------------------------------------------------------ the page itself


def test_every_line_of_the_page_is_checked():
    tags = re.findall(r"^\*\*\(([A-Z]\d+)\)\*\*", PAGE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert len(tags) == len(set(tags)), f"a tag appears twice on {PAGE.name}"
    assert set(tags) == CHECKED, (
        f"lines without a test: {sorted(set(tags) - CHECKED)}; tests of missing lines: {sorted(CHECKED - set(tags))}"
    )
