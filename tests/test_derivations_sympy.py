"""docs/lecture/derivations.md's closed forms against sympy's derivatives, on small symbolic shapes.

An oracle independent of both the page's notation (tests/page_formulas.py) and scratch: each
test differentiates the line a derivation starts from with sympy and asserts that the page's
result, written out here symbolically, is the same function. Skipped where sympy is not installed.
"""

import pytest


@pytest.fixture
def sp():
    return pytest.importorskip("sympy")


def sym_zero(sp, expr):
    """A symbolic expression (or matrix) that simplifies to zero."""
    return sp.simplify(sp.expand(expr)) == 0 if not hasattr(expr, "shape") else all(sym_zero(sp, e) for e in expr)


def test_mse_gradient_equals_sympys_derivative(sp):
    X = sp.Matrix(2, 2, sp.symbols("x:2:2"))
    w, y = sp.Matrix(sp.symbols("w:2")), sp.Matrix(sp.symbols("y:2"))
    b = sp.Symbol("b")
    residual = X * w + sp.ones(2, 1) * b - y
    L = (residual.T * residual)[0] / 2
    assert sym_zero(sp, sp.Matrix([sp.diff(L, wj) for wj in w]) - 2 * X.T * residual / 2)
    assert sym_zero(sp, sp.diff(L, b) - 2 * sum(residual) / 2)


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


def test_linear_layer_closed_forms_equal_sympys_derivatives(sp):
    X, G = sp.Matrix(2, 2, sp.symbols("x:2:2")), sp.Matrix(2, 3, sp.symbols("g:2:3"))
    weight, bias = sp.Matrix(3, 2, sp.symbols("v:3:2")), sp.Matrix(1, 3, sp.symbols("c:3"))
    Y = X * weight.T + sp.ones(2, 1) * bias
    L = sum(G[i] * Y[i] for i in range(6))
    assert sym_zero(sp, weight.applyfunc(L.diff) - G.T * X)
    assert sym_zero(sp, bias.applyfunc(L.diff) - sp.ones(1, 2) * G)
    assert sym_zero(sp, X.applyfunc(L.diff) - G * weight)


def test_softmax_layer_backward_equals_sympys_derivative(sp):
    x, g = sp.Matrix(sp.symbols("x:3")), sp.Matrix(sp.symbols("g:3"))
    s = x.applyfunc(sp.exp) / sum(x.applyfunc(sp.exp))
    L = (g.T * s)[0]
    assert sym_zero(sp, x.applyfunc(L.diff) - s.multiply_elementwise(g - sp.ones(3, 1) * (g.T * s)[0]))


def test_momentum_unrolling_equals_sympys_recursion(sp):
    mu, tau = sp.symbols("mu tau")
    d = sp.symbols("d1:6")
    buffer = d[0]
    for t in range(2, 6):
        buffer = mu * buffer + (1 - tau) * d[t - 1]
        unrolled = mu ** (t - 1) * d[0] + (1 - tau) * sum(mu ** (t - k) * d[k - 1] for k in range(2, t + 1))
        assert sym_zero(sp, buffer - unrolled)


def test_weight_decay_equals_sympys_derivative_of_the_penalty(sp):
    theta, lam = sp.symbols("theta:3"), sp.Symbol("lambda")
    f = sp.Function("L")(*theta)
    penalised = f + lam / 2 * sum(t**2 for t in theta)
    assert all(sym_zero(sp, sp.diff(penalised, t) - (sp.diff(f, t) + lam * t)) for t in theta)


def test_tanh_derivative_equals_sympys(sp):
    x = sp.Symbol("x", real=True)
    tanh = (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x))
    assert sym_zero(sp, sp.diff(tanh, x) - (1 - tanh**2))
