"""Every worked number of the lecture, recomputed with scratch.

``lecture_checks()`` returns one `Check` per printed number of sections 1–5 of the
lecture: the value on the slide, the value scratch computes, and whether they agree to
the slide's printed precision (one unit in its last printed digit, unless a note says the
slide rounded along the way).
"""

import json
import re
from dataclasses import dataclass

import numpy as np

from scratch import losses
from scratch.autograd import Tensor
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.optim import SGD


@dataclass(frozen=True)
class Check:
    section: str
    quantity: str
    slide: str  # as printed on the slide, a JSON number or nested list
    computed: np.ndarray
    tolerance: np.ndarray  # per printed number
    note: str = ""

    @property
    def agrees(self):
        slide = np.asarray(json.loads(self.slide), dtype=float)
        return slide.shape == self.computed.shape and bool(np.all(np.abs(slide - self.computed) <= self.tolerance))


def _unit_of_last_digit(text):
    """For each number printed in ``text``, 10⁻ᵏ where k is its count of decimals (0 for integers)."""
    numbers = re.findall(r"-?\d+(?:\.(\d+))?", text)
    units = [10.0 ** -len(decimals) if decimals else 0.0 for decimals in numbers]
    return np.reshape(units, np.shape(json.loads(text)))


def _check(section, quantity, slide, computed, note="", tolerance=None):
    """Agreement within one unit of each printed number's last digit, unless ``tolerance`` is given."""
    tol = _unit_of_last_digit(slide) * (1 + 1e-9) if tolerance is None else np.asarray(tolerance)
    return Check(section, quantity, slide, np.asarray(computed, dtype=float), tol, note)


def tensor_checks():
    """Section 1: broadcasting, squared difference, MSE, concatenation, argmax."""
    data = np.array([[1, 2], [3, 4]])
    x, y = np.array([1.0, 2, 3, 4]), 5.0
    other = np.array([[3, 4], [5, 6]])
    ties = np.array([[0, 4], [4, 3], [1, 1]])
    s = "1 Tensors"
    return [
        _check(s, "[[1,2],[3,4]] + 1", "[[2, 3], [4, 5]]", data + 1),
        _check(s, "[[1,2],[3,4]] + 2", "[[3, 4], [5, 6]]", data + 2),
        _check(s, "(x - y)^2, x=[1,2,3,4], y=5", "[16, 9, 4, 1]", (x - y) ** 2),
        _check(s, "mean((x - y)^2)", "7.5", losses.mse_loss(x, np.full_like(x, y))),
        _check(s, "concatenate axis 0", "[[1, 2], [3, 4], [3, 4], [5, 6]]", np.concatenate([data, other], axis=0)),
        _check(s, "concatenate axis 1", "[[1, 2, 3, 4], [3, 4, 5, 6]]", np.concatenate([data, other], axis=1)),
        _check(s, "argmax axis 0", "[1, 0]", ties.argmax(axis=0)),
        _check(s, "argmax axis 1", "[1, 0, 0]", ties.argmax(axis=1)),
    ]


def autograd_checks():
    """Section 2: y = x², z = 3y + 2 at x = 2 through the autograd tape."""
    x = Tensor(np.array(2.0), requires_grad=True)
    z = 3 * x**2 + 2
    z.backward()
    s = "2 Autograd"
    return [_check(s, "z = 3x^2 + 2 at x=2", "14", z.data), _check(s, "dz/dx = 6x at x=2", "12", x.grad)]


def linear_regression_checks():
    """Section 3: one sample, x = 6.7, y = 9.1, w = −0.34, b = 0.04, L = (ŷ − y)²."""
    model = LinearRegression(1)
    model.params["W"][...] = [-0.34]
    model.params["b"][...] = 0.04
    X, y = np.array([[6.7]]), np.array([9.1])
    loss, grads = model.loss_grad(X, y)
    s = "3 Linear regression"
    return [
        _check(s, "y_hat = x*w + b", "-2.238", model.forward(X)[0]),
        _check(s, "L = (y_hat - y)^2", "128.55", loss),
        _check(s, "dL/dw = 2x(y_hat - y)", "-151.9292", grads["W"][0]),
        _check(s, "dL/db = 2(y_hat - y)", "-22.676", grads["b"]),
    ]


def logistic_regression_checks():
    """Section 4: batch of two, θ = [0.1, 0.5, −0.1] (θ₀ is the bias), one SGD step, η = 0.01."""
    model = LogisticRegression(2)
    model.params["b"][...] = 0.1
    model.params["W"][...] = [0.5, -0.1]
    X, y = np.array([[1.5, 0.2], [4.1, 1.3]]), np.array([0.0, 1.0])
    probabilities, (loss, grads) = model.predict_proba(X), model.loss_grad(X, y)
    gradient = np.concatenate([[grads["b"]], grads["W"]])
    SGD(model.params, lr=0.01).step(grads)
    theta = np.concatenate([[model.params["b"]], model.params["W"]])
    rounded = "the slide rounds along the way; exact {}"
    s = "4 Logistic regression"
    return [
        _check(s, "y_hat = sigmoid(x theta)", "[0.6963, 0.8828]", probabilities),
        _check(s, "L(theta) (BCE, mean)", "0.65815", loss, rounded.format(_format(loss)), tolerance=1e-4),
        _check(s, "grad = x^T(y_hat - y)/N", "[0.28961, 0.28217, -0.0064]", gradient,
               rounded.format(_format(gradient))),
        _check(s, "theta - 0.01 grad", "[0.0971, 0.4971, -0.099]", theta, rounded.format(_format(theta))),
    ]


def softmax_regression_checks():
    """Section 5: one feature, two classes, x = [1.4, 4.5], y = [0, 1]."""
    model = SoftmaxRegression(1, 2)
    model.params["W"][...] = [[0.2, -0.1]]
    model.params["b"][...] = [0.1, 0.05]
    X, y = np.array([[1.4], [4.5]]), np.array([0, 1])
    z, p = model.forward(X), model.predict_proba(X)
    s = "5 Softmax regression"
    return [
        _check(s, "z0 = w0 x + b0", "[0.38, 1.0]", z[:, 0]),
        _check(s, "z1 = w1 x + b1", "[-0.09, -0.4]", z[:, 1]),
        _check(s, "y_hat0 = softmax(z)_0", "[0.615, 0.802]", p[:, 0]),
        _check(s, "y_hat1 = softmax(z)_1", "[0.385, 0.198]", p[:, 1]),
        _check(s, "L = mean cross-entropy", "1.0530", model.loss(X, y)),
    ]


def lecture_checks():
    """All checks of sections 1–5, in lecture order."""
    return (
        tensor_checks()
        + autograd_checks()
        + linear_regression_checks()
        + logistic_regression_checks()
        + softmax_regression_checks()
    )


def _format(values):
    """Values as compact JSON, rounded to 6 decimals, integral values without a decimal point."""
    rounded = np.round(values, 6)
    as_list = rounded.astype(np.int64).tolist() if np.all(rounded == np.round(rounded)) else rounded.tolist()
    return json.dumps(as_list)


def format_table(checks):
    """A Markdown table: section, quantity, slide, scratch, agreement."""
    rows = ["| section | quantity | slide | scratch | agrees |", "| --- | --- | --- | --- | --- |"]
    for c in checks:
        verdict = ("yes" if c.agrees else "NO") + (f" — {c.note}" if c.note else "")
        rows.append(f"| {c.section} | {c.quantity} | {c.slide} | {_format(c.computed)} | {verdict} |")
    return "\n".join(rows)
