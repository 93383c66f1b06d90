"""S11–S14 of docs/lecture/derivations.md — the options of the cross-entropy — read from the page.

As tests/test_derivations_regression.py: every form of every formula block must equal finite
differences of the formula before it and what scratch returns. The target q that scratch's
``cross_entropy`` uses under an option is read back from scratch itself: Σᵢ q from the loss at
zero logits (where log s = −log C), then q = s·Σᵢ(q) − ∂ℓ/∂z from its gradient (S11).
"""

from pathlib import Path

import numpy as np
import pytest
from page_formulas import assert_chain, chains, checked, evaluate, fd

from scratch import losses, numerics

PAGE = Path(__file__).resolve().parents[1] / "docs" / "lecture" / "derivations.md"
CHAINS = chains(PAGE)
CHECKS = {}
check = checked(CHECKS)
N, K = 6, 4
TAGS = ("S11", "S12", "S13", "S14")


def page(tag, label, values, **changed):
    return evaluate(CHAINS[tag][label][-1], {**values, **changed})


def onehot(labels):
    """Rows of the identity; a label outside 0 … K − 1 (an ignored one) gives a zero row."""
    return (np.reshape(labels, (-1, 1)) == np.arange(K)).astype(float)


def case(labels=(1, 0, 3, 2, 3, 0)):
    rng = np.random.default_rng(9)
    labels = np.array(labels)
    z, omega = rng.normal(size=(N, K)), rng.uniform(0.5, 2, K)
    kept = np.where(labels == -100, 0, labels)  # ω_y of an ignored sample: any, m zeroes it
    values = {"z": z, "s": numerics.softmax(z), "y": labels[:, None], "ω": omega, "ω_y": omega[kept][:, None],
              "C": K, "ε": 0.1, "ignore_index": -100, "onehot": onehot}
    return labels, values


def scratch_target(z, labels, **options):
    """q as scratch's cross_entropy sees it (see the module docstring)."""
    total = losses.cross_entropy(np.zeros_like(z), labels, reduction="none", **options) / np.log(K)
    return numerics.softmax(z) * total[:, None] - losses.cross_entropy_grad(z, labels, reduction="sum", **options)


def per_sample(z, labels, **options):
    return losses.cross_entropy(z, labels, reduction="none", **options)[:, None]


def through_s11(v, q):
    """∂(Σₙ ℓₙ)/∂z by finite differences of the page's (S11) ℓ, with its q, through s = softmax(z)."""
    return fd(lambda u: np.sum(page("S11", "ℓ", v, q=q, s=numerics.softmax(u))), v["z"])


@check("S11", "ℓ", "∂ℓ/∂z")
def _s11():
    rng = np.random.default_rng(10)
    _, v = case()
    t = rng.dirichlet(np.ones(K), N)  # probability targets with class weights: rows of q do not sum to one
    v["q"] = v["ω"] * t
    options = {"weight": v["ω"]}
    return v, {"ℓ": [per_sample(v["z"], t, **options)],
               "∂ℓ/∂z": [losses.cross_entropy_grad(v["z"], t, reduction="sum", **options), through_s11(v, v["q"])]}


@check("S12", "q", "∂ℓ/∂z", "L")
def _s12():
    labels, v = case()
    options = {"weight": v["ω"]}
    q = page("S12", "q", v)
    v["ℓ"] = per_sample(v["z"], labels, **options)
    return v, {"q": [scratch_target(v["z"], labels, **options)],
               "∂ℓ/∂z": [losses.cross_entropy_grad(v["z"], labels, reduction="sum", **options), through_s11(v, q)],
               "L": [losses.cross_entropy(v["z"], labels, **options)]}


@check("S13", "q", "∂ℓ/∂z", "q_ω")
def _s13():
    labels, v = case()
    v["q"] = page("S13", "q", v)
    smoothing = {"label_smoothing": v["ε"]}
    return v, {"q": [scratch_target(v["z"], labels, **smoothing)],
               "∂ℓ/∂z": [losses.cross_entropy_grad(v["z"], labels, reduction="sum", **smoothing), through_s11(v, v["q"])],
               "q_ω": [scratch_target(v["z"], labels, weight=v["ω"], **smoothing)]}


@check("S14", "m", "q", "L")
def _s14():
    labels, v = case(labels=(1, -100, 3, 0, -100, 2))
    options = {"weight": v["ω"]}
    gradient = losses.cross_entropy_grad(v["z"], labels, reduction="sum", **options)
    v["m"], v["ℓ"] = page("S14", "m", v), per_sample(v["z"], labels, **options)
    return v, {"m": [np.any(gradient != 0, axis=1, keepdims=True)],  # scratch: a zero row of gradient
               "q": [scratch_target(v["z"], labels, **options)],
               "L": [losses.cross_entropy(v["z"], labels, **options)]}


@pytest.mark.parametrize(("tag", "label"), sorted(CHECKS), ids=lambda x: str(x))
def test_the_pages_formula_equals_finite_differences_and_scratch(tag, label):
    assert label in CHAINS.get(tag, {}), f"({tag}) {label}: not on the page any more"
    values, references = CHECKS[tag, label]()
    assert_chain(tag, label, CHAINS[tag][label], values, *references[label])


def test_every_formula_of_s11_to_s14_is_checked():
    on_page = {(tag, label) for tag, labels in CHAINS.items() if tag in TAGS for label in labels}
    assert on_page == set(CHECKS), f"unchecked: {on_page - set(CHECKS)}; gone: {set(CHECKS) - on_page}"


def test_an_ignored_sample_leaves_the_denominator():
    """(S14)'s claim in numbers: ignoring a sample is not giving it a zero loss in the mean."""
    labels, v = case(labels=(1, -100, 3, 0, -100, 2))
    kept = labels != -100
    assert abs(losses.cross_entropy(v["z"], labels) - losses.cross_entropy(v["z"][kept], labels[kept])) < 1e-12
    assert abs(losses.cross_entropy(v["z"], labels) - losses.cross_entropy(v["z"], labels, reduction="sum") / N) > 1e-3
