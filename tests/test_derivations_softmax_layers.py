"""Sections 3 (S1–S10), 4, 5 and 8 (T1–T5) of docs/lecture/derivations.md, read from the page and evaluated.

As tests/test_derivations_regression.py: every form of every formula block must equal finite
differences of the formula before it and what scratch returns (models, layers, the tape).
"""

from pathlib import Path

import numpy as np
import pytest
from page_formulas import assert_chain, chains, checked, evaluate, fd

from scratch import losses, numerics
from scratch.autograd import Tensor
from scratch.models import SoftmaxRegression
from scratch.nn import Linear, ReLU, Sigmoid, Softmax

PAGE = Path(__file__).resolve().parents[1] / "docs" / "lecture" / "derivations.md"
CHAINS = chains(PAGE)
CHECKS = {}
check = checked(CHECKS)
N, D, K = 5, 3, 4
SECTIONS = "SLAT"  # S1–S10 here; S11–S14 in tests/test_derivations_cross_entropy_options.py


def page(tag, label, values, **changed):
    return evaluate(CHAINS[tag][label][-1], {**values, **changed})


def row(y_sums_to_one=True):
    rng = np.random.default_rng(3)
    z = rng.normal(size=K)
    y = rng.dirichlet(np.ones(K)) if y_sums_to_one else rng.uniform(0.2, 1.5, K)
    s = numerics.softmax(z)
    return {"z": z, "s": s, "y": y, "J": np.diag(s) - np.outer(s, s)}


def batch():
    rng = np.random.default_rng(4)
    model = SoftmaxRegression(D, K)
    model.params["W"][...], model.params["b"][...] = rng.normal(size=(D, K)), rng.normal(size=K)
    X, labels = rng.normal(size=(N, D)), rng.integers(0, K, N)
    Z = model.forward(X)
    values = {"X": X, "W": model.params["W"].copy(), "b": model.params["b"].copy(), "Z": Z, "N": N,
              "S": numerics.softmax(Z), "Y": np.eye(K)[labels], "∂L_∂Z": losses.cross_entropy_grad(Z, labels)}
    return model, labels, values


@check("S1", "Z")
def _s1():
    model, _, v = batch()
    return v, [model.forward(v["X"])]


@check("S2", "s")
def _s2():
    v = row()
    return v, [numerics.softmax(v["z"])]


@check("S3", "J")
def _s3():
    v = row()
    return v, [fd(lambda u: page("S2", "s", v, z=u), v["z"])]


@check("S4", "ℓ")
def _s4():
    v = row()
    return v, [losses.cross_entropy(v["z"][None], v["y"][None], reduction="sum")]


@check("S5", "∂ℓ/∂s")
def _s5():
    v = row()
    return v, [fd(lambda u: page("S4", "ℓ", v, s=u), v["s"])]


@check("S6", "∂ℓ/∂z")
def _s6():
    v = row(y_sums_to_one=False)
    return v, [fd(lambda u: page("S4", "ℓ", v, s=page("S2", "s", v, z=u)), v["z"])]


@check("S7", "∂ℓ/∂z")
def _s7():
    v = row()
    grad = losses.cross_entropy_grad(v["z"][None], v["y"][None], reduction="sum")[0]
    return v, [grad, fd(lambda u: page("S4", "ℓ", v, s=page("S2", "s", v, z=u)), v["z"])]


@check("S8", "log(s)", "ℓ", "∂logsumexp/∂z")
def _s8():
    v = row(y_sums_to_one=False)
    return v, {"log(s)": [numerics.log_softmax(v["z"])], "ℓ": [page("S4", "ℓ", v)],
               "∂logsumexp/∂z": [fd(numerics.logsumexp, v["z"])]}


@check("S9", "∂L/∂Z")
def _s9():
    _, labels, v = batch()
    return v, [losses.cross_entropy_grad(v["Z"], labels), fd(lambda u: losses.cross_entropy(u, labels), v["Z"])]


@check("S10", "∂L/∂W", "∂L/∂b")
def _s10():
    model, labels, v = batch()
    _, grads = model.loss_grad(v["X"], labels)
    loss = lambda **c: losses.cross_entropy(page("S1", "Z", v, **c), labels)
    return v, {"∂L/∂W": [grads["W"], fd(lambda u: loss(W=u), v["W"])],
               "∂L/∂b": [grads["b"], fd(lambda u: loss(b=u), v["b"])]}


def linear_layer():
    rng = np.random.default_rng(5)
    layer = Linear(D, K, seed=0)
    X, G = rng.normal(size=(N, D)), rng.normal(size=(N, K))  # L = Σ G ⊙ Y has ∂L/∂Y = G
    values = {"X": X, "G": G, "weight": layer.params["weight"].copy(), "bias": layer.params["bias"].copy()}
    Y = layer.forward(X)
    return layer, layer.backward(G), Y, values


@check("L1", "Y")
def _l1():
    _, _, Y, v = linear_layer()
    return v, [Y]


@check("L2", "∂L/∂weight")
@check("L3", "∂L/∂bias")
@check("L4", "∂L/∂X")
def _l234():
    layer, grad_x, _, v = linear_layer()
    loss = lambda **c: np.sum(v["G"] * page("L1", "Y", v, **c))
    return v, {"∂L/∂weight": [layer.grads["weight"], fd(lambda u: loss(weight=u), v["weight"])],
               "∂L/∂bias": [layer.grads["bias"], fd(lambda u: loss(bias=u), v["bias"])],
               "∂L/∂X": [grad_x, fd(lambda u: loss(X=u), v["X"])]}


def activation(layer, x=None):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(N, K)) if x is None else x
    x[np.abs(x) < 1e-3] = 0.5  # finite differences need a distance from ReLU's kink
    g = rng.normal(size=(N, K))
    y = layer.forward(x)
    return y, layer.backward(g), {"x": x, "g": g, "s": y}


def through(tag, v):
    """∂(Σ g ⊙ y)/∂x by finite differences of the page's y = … of (tag)."""
    return fd(lambda u: np.sum(v["g"] * page(tag, "y", v, x=u)), v["x"])


@check("A1", "y", "∂L/∂x")
def _a1():
    y, grad, v = activation(ReLU())
    return v, {"y": [y], "∂L/∂x": [grad, through("A1", v)]}


@check("A2", "y", "∂L/∂x")
def _a2():
    y, grad, v = activation(Sigmoid())
    return v, {"y": [y], "∂L/∂x": [grad, through("A2", v)]}


@check("A3", "y", "∂L/∂x")
def _a3():
    y, grad, v = activation(Softmax(dim=-1))
    v["J"] = None  # Jᵀ @ g is one sample's form: checked on one row below
    return v, {"y": [y], "∂L/∂x": [grad, through("A3", v)]}


@check("A4", "∂L/∂x")
def _a4():
    v = row()
    layer = Softmax(dim=-1)
    layer.forward(v["z"][None])
    return v, [layer.backward((-v["y"] / v["s"])[None])[0]]


def tape(operation, *shapes):
    rng = np.random.default_rng(7)
    arrays = [rng.normal(size=shape) for shape in shapes]
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    out = operation(*leaves)
    g = rng.normal(size=out.shape)
    out.backward(g)
    return arrays, [leaf.grad for leaf in leaves], g, out.data


@check("T1", "∂L/∂A", "∂L/∂B")
def _t1():
    (A, B), (dA, dB), G, _ = tape(lambda a, b: a @ b, (N, D), (D, K))
    return {"A": A, "B": B, "G": G}, {"∂L/∂A": [dA], "∂L/∂B": [dB]}


@check("T2", "log_softmax(x)", "∂L/∂x")
def _t2():
    (x,), (dx,), g, out = tape(lambda a: a.log_softmax(axis=-1), (N, K))
    return {"x": x, "g": g, "s": numerics.softmax(x)}, {"log_softmax(x)": [out], "∂L/∂x": [dx]}


@check("T3", "∂L/∂b")
def _t3():
    (_, _), (_, db), g, _ = tape(lambda a, b: a + b, (N, K), (K,))
    return {"g": g}, [db]


@check("T4", "y", "∂L/∂x")
def _t4():
    index = np.array([0, 2, 2, 3, 0, 0])  # 0 and 2 repeat: their gradients add up
    (x,), (dx,), g, out = tape(lambda a: a[index], (K,))
    return {"x": x, "index": index, "g": g}, {"y": [out], "∂L/∂x": [dx, fd(lambda u: g @ u[index], x)]}


@check("T5", "tanh(x)", "∂L/∂x")
def _t5():
    (x,), (dx,), g, out = tape(lambda a: a.tanh(), (N, K))
    return {"x": x, "g": g}, {"tanh(x)": [out], "∂L/∂x": [dx, g * np.diagonal(fd(np.tanh, x).reshape(x.size, -1))
                                                             .reshape(x.shape)]}


@pytest.mark.parametrize(("tag", "label"), sorted(CHECKS), ids=lambda x: str(x))
def test_the_pages_formula_equals_finite_differences_and_scratch(tag, label):
    assert label in CHAINS.get(tag, {}), f"({tag}) {label}: not on the page any more"
    values, references = CHECKS[tag, label]()
    references = references[label] if isinstance(references, dict) else references
    forms = CHAINS[tag][label]
    if tag == "A3" and label == "∂L/∂x":  # Jᵀ @ g: one sample (row 0), with its own Jacobian
        s, g = values["s"][0], values["g"][0]
        one = {**values, "s": s, "g": g, "J": np.diag(s) - np.outer(s, s)}
        assert_chain(tag, label, forms, one, *[np.asarray(r)[0] for r in references])
        forms = forms[1:]
    assert_chain(tag, label, forms, values, *references)


def test_every_formula_of_these_sections_is_checked():
    in_scope = lambda tag: tag[0] in SECTIONS and not (tag[0] == "S" and int(tag[1:]) > 10)
    on_page = {(tag, label) for tag, labels in CHAINS.items() if in_scope(tag) for label in labels}
    assert on_page == set(CHECKS), f"unchecked: {on_page - set(CHECKS)}; gone: {set(CHECKS) - on_page}"
