"""Sections 1 and 2 of docs/lecture/derivations.md, read from the page and evaluated.

Each formula block is parsed as written (tests/page_formulas.py) and every form of every
chain must equal finite differences of the formula before it and what scratch returns,
on random shapes with N ≠ D (so a wrong transpose cannot pass).
"""

from pathlib import Path

import numpy as np
import pytest
from page_formulas import assert_chain, chains, checked, evaluate, fd

from scratch import losses, numerics
from scratch.models import LinearRegression, LogisticRegression

PAGE = Path(__file__).resolve().parents[1] / "docs" / "lecture" / "derivations.md"
CHAINS = chains(PAGE)
CHECKS = {}
check = checked(CHECKS)
N, D = 5, 3


def linear():
    rng = np.random.default_rng(1)
    model = LinearRegression(D)
    model.params["W"][...], model.params["b"][...] = rng.normal(size=D), rng.normal()
    X, y = rng.normal(size=(N, D)), rng.normal(size=N)
    values = {"X": X, "w": model.params["W"].copy(), "b": model.params["b"].item(), "y": y, "N": N}
    values["ŷ"] = model.forward(X)
    values["∂L_∂ŷ"] = losses.mse_loss_grad(values["ŷ"], y)
    return model, values


def page(tag, label, values, **changed):
    """The page's own form of (tag) label, evaluated with some values changed."""
    return evaluate(CHAINS[tag][label][-1], {**values, **changed})


@check("M1", "ŷ")
def _m1():
    model, v = linear()
    return v, [model.forward(v["X"])]


@check("M2", "L")
def _m2():
    model, v = linear()
    return v, [model.loss(v["X"], v["y"]), losses.mse_loss(v["ŷ"], v["y"])]


@check("M3", "∂L/∂ŷ")
def _m3():
    model, v = linear()
    return v, [fd(lambda u: page("M2", "L", v, ŷ=u), v["ŷ"]), losses.mse_loss_grad(v["ŷ"], v["y"])]


@check("M4", "∂ŷ/∂w", "∂ŷ/∂b")
def _m4():
    model, v = linear()
    return v, {"∂ŷ/∂w": [fd(lambda u: page("M1", "ŷ", v, w=u), v["w"])],
               "∂ŷ/∂b": [fd(lambda u: page("M1", "ŷ", v, b=u), v["b"])]}


@check("M5", "∂L/∂w")
@check("M6", "∂L/∂b")
def _m56():
    model, v = linear()
    _, grads = model.loss_grad(v["X"], v["y"])
    loss = lambda **c: page("M2", "L", v, ŷ=page("M1", "ŷ", v, **c))
    return v, {"∂L/∂w": [grads["W"], fd(lambda u: loss(w=u), v["w"])],
               "∂L/∂b": [grads["b"], fd(lambda u: loss(b=u), v["b"])]}


def logistic():
    rng = np.random.default_rng(2)
    model = LogisticRegression(D)
    model.params["W"][...], model.params["b"][...] = rng.normal(size=D), rng.normal()
    X, y = rng.normal(size=(N, D)), rng.uniform(size=N)  # soft labels are targets too
    z = model.forward(X)
    values = {"X": X, "w": model.params["W"].copy(), "b": model.params["b"].item(), "y": y, "N": N, "z": z,
              "ŷ": numerics.sigmoid(z), "ω": rng.uniform(0.5, 2, N), "p": rng.uniform(0.5, 3)}
    return model, values


def bce_none(v, **options):
    return losses.binary_cross_entropy_with_logits(v["z"], v["y"], reduction="none", **options)


@check("B1", "z")
def _b1():
    model, v = logistic()
    return v, [model.forward(v["X"])]


@check("B2", "σ(z)")
def _b2():
    model, v = logistic()
    return v, [numerics.sigmoid(v["z"]), model.predict_proba(v["X"])]


@check("B3", "σ′(z)")
def _b3():
    _, v = logistic()
    return v, [np.diag(fd(lambda u: page("B2", "σ(z)", v, z=u), v["z"]))]


@check("B4", "ℓ")
def _b4():
    _, v = logistic()
    return v, [bce_none(v)]


@check("B5", "∂ℓ/∂ŷ")
def _b5():
    _, v = logistic()
    return v, [np.diag(fd(lambda u: page("B4", "ℓ", v, ŷ=u), v["ŷ"]))]


@check("B6", "∂ℓ/∂z")
def _b6():
    _, v = logistic()
    through = lambda u: page("B4", "ℓ", v, ŷ=page("B2", "σ(z)", v, z=u))
    return v, [np.diag(fd(through, v["z"])), losses.binary_cross_entropy_with_logits_grad(v["z"], v["y"], reduction="sum")]


@check("B7", "log(σ(z))", "log(1 − σ(z))")
def _b7():
    _, v = logistic()
    v["z"] = np.array([-8.0, -3.0, 0.5, 4.0, 8.0])
    return v, {"log(σ(z))": [np.log(numerics.sigmoid(v["z"])), numerics.log_sigmoid(v["z"])],
               "log(1 − σ(z))": [np.log(1 - numerics.sigmoid(v["z"])), numerics.log_sigmoid(-v["z"])]}


@check("B8", "ℓ")
def _b8():
    _, v = logistic()
    return v, [bce_none(v), page("B4", "ℓ", v)]


@check("B9", "softplus′(z)", "∂ℓ/∂z")
def _b9():
    _, v = logistic()
    return v, {"softplus′(z)": [np.diag(fd(numerics.softplus, v["z"]))],
               "∂ℓ/∂z": [np.diag(fd(lambda u: page("B8", "ℓ", v, z=u), v["z"]))]}


@check("B10", "∂L/∂w", "∂L/∂b")
def _b10():
    model, v = logistic()
    _, grads = model.loss_grad(v["X"], v["y"])
    loss = lambda **c: np.mean(page("B8", "ℓ", v, z=page("B1", "z", v, **c)))
    return v, {"∂L/∂w": [grads["W"], fd(lambda u: loss(w=u), v["w"])],
               "∂L/∂b": [grads["b"], fd(lambda u: loss(b=u), v["b"])]}


@check("B11", "ℓ")
def _b11():
    _, v = logistic()
    return v, [bce_none(v, weight=v["ω"], pos_weight=v["p"])]


@check("B12", "∂ℓ/∂z")
def _b12():
    _, v = logistic()
    grad = losses.binary_cross_entropy_with_logits_grad(v["z"], v["y"], weight=v["ω"], pos_weight=v["p"],
                                                       reduction="sum")
    return v, [grad, np.diag(fd(lambda u: page("B11", "ℓ", v, z=u), v["z"]))]


@pytest.mark.parametrize(("tag", "label"), sorted(CHECKS), ids=lambda x: str(x))
def test_the_pages_formula_equals_finite_differences_and_scratch(tag, label):
    assert label in CHAINS.get(tag, {}), f"({tag}) {label}: not on the page any more"
    values, references = CHECKS[tag, label]()
    references = references[label] if isinstance(references, dict) else references
    assert_chain(tag, label, CHAINS[tag][label], values, *references)


def test_every_formula_of_sections_1_and_2_is_checked():
    on_page = {(tag, label) for tag, labels in CHAINS.items() if tag[0] in "MB" for label in labels}
    assert on_page == set(CHECKS), f"unchecked: {on_page - set(CHECKS)}; gone: {set(CHECKS) - on_page}"
