"""The formulas of the lecture pages, read as the reader sees them and evaluated.

A formula is written in a ```formula block, one chain a line: ``label = form = form …``. The
label names the quantity (``∂L/∂w``); every form after it is an expression in a small
notation, evaluated with NumPy on the values a test binds (random shapes):

    ·  ⊙  *   multiply elementwise (a scalar broadcasts)   @   matrix product
    −  /  ²   minus, divide, square                         ᵀ   transpose      ^  power
    Σₙ(a)     sum over the samples (axis 0)                  Σᵢ(a)  sum over the classes (last axis, kept)
    Σ_B(a) Σₖ(a)  sum over axis 0 (batches, steps)           Σ(a)   sum of every element
    (a > 0)   1 where it holds, 0 elsewhere                  ŷ σ ω ε λ μ τ η θ ∇ |B|  are names (∇ℓ, ω_y)
    x[i]      indexing

and functions exp, log, tanh, σ, softplus, softmax, logsumexp, diag, outer, mean, binom, zeros,
scatter_add (and onehot, which a test binds with its number of classes). A
test then asserts that every form equals the value the label stands for — finite differences
of the formula before it, and what scratch's code returns — so a wrong edit to any form fails.
"""

import math
import re

import numpy as np

from markdown_blocks import code_blocks

from scratch import numerics

SYMBOLS = [("Σₙ(", "sum_n("), ("Σᵢ(", "sum_i("), ("Σ_B(", "sum_n("), ("Σₖ(", "sum_n("), ("Σ(", "sum_all("),
           ("∇", "nabla_"), ("|B|", "batch_size"), ("∞", "infinity"), ("^", "**"), ("ŷ", "y_hat"), ("σ", "sigmoid"), ("ω", "omega"),
           ("ε", "eps"), ("λ", "lam"), ("μ", "mu"), ("τ", "tau"), ("η", "eta"), ("θ", "theta"), ("ℓ", "ell"),
           ("·", "*"), ("⊙", "*"), ("−", "-"), ("²", "**2"), ("ᵀ", ".T"), ("≠", "!="), ("′", "_prime"), ("∂", "d")]
FUNCTIONS = {
    "exp": np.exp, "log": np.log, "tanh": np.tanh, "max": np.maximum, "diag": np.diag, "outer": np.outer,
    "mean": np.mean, "softplus": numerics.softplus, "sigmoid": numerics.sigmoid, "softmax": numerics.softmax,
    "logsumexp": lambda a: numerics.logsumexp(a, keepdims=True), "log_softmax": numerics.log_softmax,
    "sum_n": lambda a: np.sum(a, axis=0), "sum_i": lambda a: np.sum(a, axis=-1, keepdims=True), "sum_all": np.sum,
    "binom": math.comb, "zeros": np.zeros_like, "scatter_add": lambda out, index, g: _scatter_add(out, index, g),
}


def _scatter_add(out, index, g):
    out = np.array(out, dtype=float)
    np.add.at(out, index, g)
    return out


def python(form):
    """The form in Python's syntax (it is then evaluated with no builtins)."""
    for symbol, name in SYMBOLS:
        form = form.replace(symbol, name)
    return form


def evaluate(form, values):
    """The form's value with ``values`` bound (names as written on the page, e.g. "ŷ")."""
    names = {python(k): v for k, v in values.items()}
    return eval(compile(python(form), form, "eval"), {"__builtins__": {}}, {**FUNCTIONS, **names})  # noqa: S307


def checked(checks):
    """A decorator filling ``checks``: {(tag, label): the function giving (values, references)}."""

    def register(tag, *labels):
        def mark(function):
            for label in labels:
                checks[tag, label] = function
            return function

        return mark

    return register


def chains(page):
    """{label: [form, …]} of every ```formula block of ``page``, keyed by the tag above the block

    (``**(M3)**`` on derivations.md) or by the block's own info string (```formula slide-9)."""
    text, found = page.read_text(encoding="utf-8").splitlines(), {}
    for line, info, code in code_blocks(page):
        if info.split()[0] != "formula":
            continue
        tag = info.split()[1] if len(info.split()) > 1 else None
        if tag is None:  # the nearest tag above the block
            tag = next(m.group(1) for t in reversed(text[:line - 1]) if (m := re.match(r"\*\*\((\w+)\)\*\*", t)))
        for chain in code.splitlines():
            label, *forms = [part.strip() for part in chain.split(" = ")]
            assert forms, f"{page.name}, ({tag}): {chain!r} has no form after its label"
            found.setdefault(tag, {}).setdefault(label, []).extend(forms)
    return found


def assert_chain(tag, label, forms, values, *references, tol=1e-6):
    """Every form of the chain equals every reference value (finite differences, scratch's code)."""
    assert references, f"({tag}) {label}: nothing to check it against"
    for form in forms:
        try:
            value = np.asarray(evaluate(form, values), dtype=float)
        except Exception as error:
            raise AssertionError(f"({tag}) {label} = {form}: cannot be evaluated: {error!r}") from error
        for reference in references:
            reference = np.asarray(reference, dtype=float)
            assert np.prod(np.broadcast_shapes(value.shape, reference.shape)) == reference.size, (
                f"({tag}) {label} = {form}: shape {value.shape}, expected {reference.shape}")
            assert np.allclose(value, reference, rtol=tol, atol=tol), (
                f"({tag}) {label} = {form}: {value} differs from {reference}")


def fd(f, x, eps=1e-6):
    """∂f/∂x by central differences, f: array → array; shape f(x).shape + x.shape."""
    x = np.array(x, dtype=float)
    out = np.asarray(f(x), dtype=float)
    grad = np.zeros(out.shape + x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        grad[(...,) + index] = (np.asarray(f(x + step)) - np.asarray(f(x - step))) / (2 * eps)
    return grad
