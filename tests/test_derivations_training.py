"""Sections 6 (N, the minibatch mean) and 7 (G, SGD as PyTorch's) of docs/lecture/derivations.md,
read from the page and evaluated.

As tests/test_derivations_regression.py: every form of every formula block must equal what
scratch computes — its models' ``loss_grad`` on single samples, batches and the full data set,
its losses' reductions, and the steps ``SGD`` takes (a step's direction is (θ_prev − θ) / η).
"""

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from page_formulas import assert_chain, chains, checked, evaluate, fd

from scratch import losses
from scratch.models import SoftmaxRegression
from scratch.optim import SGD

PAGE = Path(__file__).resolve().parents[1] / "docs" / "lecture" / "derivations.md"
CHAINS = chains(PAGE)
CHECKS = {}
check = checked(CHECKS)
N, D, K, STEPS = 6, 3, 4, 6


def page(tag, label, values, **changed):
    return evaluate(CHAINS[tag][label][-1], {**values, **changed})


def softmax_batch():
    rng = np.random.default_rng(11)
    model = SoftmaxRegression(D, K)
    model.params["W"][...], model.params["b"][...] = rng.normal(size=(D, K)), rng.normal(size=K)
    return model, rng.normal(size=(N, D)), rng.integers(0, K, N)


def gradients(model, X, y, rows):
    return np.array([model.loss_grad(X[list(r)], y[list(r)])[1]["W"] for r in rows])


@check("N1", "L_B")
def _n1():
    model, X, y = softmax_batch()
    ell = np.array([model.loss(X[n:n + 1], y[n:n + 1]) for n in range(N)])
    return {"ℓ": ell, "|B|": N}, [model.loss(X, y)]


@check("N2", "∇L_B")
def _n2():
    model, X, y = softmax_batch()
    _, grads = model.loss_grad(X, y)
    return {"∇ℓ": gradients(model, X, y, [[n] for n in range(N)]), "|B|": N}, [grads["W"]]


@check("N3", "∇Σℓ")
def _n3():
    rng = np.random.default_rng(12)
    z, labels = rng.normal(size=(N, K)), rng.integers(0, K, N)
    return {"∇L_B": losses.cross_entropy_grad(z, labels), "|B|": N}, [
        losses.cross_entropy_grad(z, labels, reduction="sum"),
        fd(lambda u: losses.cross_entropy(u, labels, reduction="sum"), z)]


@check("N4", "∇L")
def _n4():
    model, X, y = softmax_batch()
    _, full = model.loss_grad(X, y)
    m = 2
    return {"∇L_B": gradients(model, X, y, itertools.combinations(range(N), m)), "N": N, "m": m}, [full["W"]]


def quadratic():
    """g(θ) = Aθ − c, the gradient of f(θ) = ½θᵀAθ − cᵀθ: each step's gradient depends on θ."""
    rng = np.random.default_rng(13)
    M = rng.normal(size=(D, D))
    A, c = M @ M.T / D + np.eye(D), rng.normal(size=D)
    return rng.normal(size=D), (lambda theta: theta @ A.T - c), (lambda theta: theta @ A @ theta / 2 - c @ theta)


def scratch_path(theta, gradient, steps=STEPS, lr=0.05, **options):
    """θ₀ … θ_steps taken by scratch's SGD, and each step's direction (θ_prev − θ) / η."""
    params = {"theta": theta.copy()}
    optimizer, path = SGD(params, lr=lr, **options), [theta.copy()]
    for _ in range(steps):
        optimizer.step({"theta": gradient(params["theta"])})
        path.append(params["theta"].copy())
    path = np.array(path)
    return path, (path[:-1] - path[1:]) / lr


def momentum_run(**options):
    theta, gradient, _ = quadratic()
    options = {"momentum": 0.9, "dampening": 0.3, "weight_decay": 0.02, **options}
    path, directions = scratch_path(theta, gradient, **options)
    d = gradient(path[:-1]) + options["weight_decay"] * path[:-1]  # (G1), checked there
    return {"μ": options["momentum"], "τ": options["dampening"], "d": d}, directions


@check("G1", "L_λ", "d", "d_maximize")
def _g1():
    theta, gradient, f = quadratic()
    lam, lr = 0.05, 0.1
    v = {"θ_prev": theta, "g": gradient(theta), "λ": lam, "L": f(theta)}
    penalised = lambda u: page("G1", "L_λ", v, θ_prev=u, L=f(u))
    return v, {"L_λ": [f(theta) + lam / 2 * theta @ theta],
               "d": [scratch_path(theta, gradient, 1, lr, weight_decay=lam)[1][0], fd(penalised, theta)],
               "d_maximize": [scratch_path(theta, gradient, 1, lr, weight_decay=lam, maximize=True)[1][0]]}


@check("G2", "b_1", "b")
def _g2():
    v, directions = momentum_run()
    return {**v, "d_1": v["d"][0], "b_prev": directions[:-1], "d": v["d"][1:]}, {
        "b_1": [directions[0]], "b": [directions[1:]]}


@check("G3", "b_t", "b_∞")
def _g3():
    v, directions = momentum_run()
    constant = np.array([0.5, -1.0, 2.0])  # a constant direction, τ = 0: b → d / (1 − μ)
    _, far = scratch_path(np.zeros(D), lambda theta: constant, steps=400, momentum=v["μ"])
    unrolled = {"t": STEPS, "d_1": v["d"][0], "d_k": v["d"][1:], "k": np.arange(2, STEPS + 1)[:, None]}
    return {**v, **unrolled, "d": constant}, {"b_t": [directions[-1]], "b_∞": [far[-1]]}


def buffers(v):
    """b₁ … b_T by the page's own (G2), from the directions d of a run."""
    b = [page("G2", "b_1", v, d_1=v["d"][0])]
    for d in v["d"][1:]:
        b.append(page("G2", "b", v, b_prev=b[-1], d=d))
    return np.array(b)


@check("G4", "d_nesterov", "d_momentum")
def _g4():
    v, nesterov = momentum_run(dampening=0.0, nesterov=True)
    w, plain = momentum_run(dampening=0.0)
    return {**v, "b": buffers(v), "b_momentum": buffers(w)}, {"d_nesterov": [nesterov], "d_momentum": [plain]}


@check("G5", "θ")
def _g5():
    theta, gradient, _ = quadratic()
    lam, lr = 0.05, 0.1
    path, _ = scratch_path(theta, gradient, lr=lr, weight_decay=lam)
    d = page("G1", "d", {"g": gradient(path[:-1]), "λ": lam, "θ_prev": path[:-1]})
    return {"θ_prev": path[:-1], "d": d, "η": lr}, [path[1:]]


@pytest.mark.parametrize(("tag", "label"), sorted(CHECKS), ids=lambda x: str(x))
def test_the_pages_formula_equals_what_scratch_computes(tag, label):
    assert label in CHAINS.get(tag, {}), f"({tag}) {label}: not on the page any more"
    values, references = CHECKS[tag, label]()
    references = references[label] if isinstance(references, dict) else references
    if label == "d_momentum":  # the buffer of the run without Nesterov
        values = {**values, "b": values["b_momentum"]}
    assert_chain(tag, label, CHAINS[tag][label], values, *references, tol=1e-9)


def test_every_formula_of_sections_6_and_7_is_checked():
    on_page = {(tag, label) for tag, labels in CHAINS.items() if tag[0] in "NG" for label in labels}
    assert on_page == set(CHECKS), f"unchecked: {on_page - set(CHECKS)}; gone: {set(CHECKS) - on_page}"


def test_every_tagged_line_of_the_page_is_a_formula_block():
    """No derivation is left in LaTeX only: every **(tag)** of the page has a ```formula block."""
    tags = re.findall(r"^\*\*\((\w+)\)\*\*", PAGE.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert len(tags) == len(set(tags)), f"a tag appears twice on {PAGE.name}"
    assert set(tags) == set(CHAINS), f"tags without a formula block: {sorted(set(tags) - set(CHAINS))}"
