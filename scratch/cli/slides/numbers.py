"""Sections 1–5 of the lecture: the worked numbers, each step recomputed with scratch.

The worked examples' inputs are declared once here (``EXAMPLE_1``, ``LOGISTIC``, ``SOFTMAX``);
the figures of ``scratch show`` mark the same points.
"""

import numpy as np

from scratch import autograd, losses
from scratch.autograd import Tensor
from scratch.cli.slides.report import row
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.optim import SGD

EXAMPLE_1 = {"x": 6.7, "y": 9.1, "A": (-0.34, 0.04), "B": (-0.655, -0.0393), "lr": 0.01, "steps": 5}
LOGISTIC = {"X": np.array([[1, 1.5, 0.2], [1, 4.1, 1.3]]), "theta": np.array([0.1, 0.5, -0.1]),
            "y": np.array([0.0, 1.0]), "lr": 0.01}  # x's first column is the bias input 1
SOFTMAX = {"X": np.array([[1.4], [4.5]]), "W": np.array([[0.2, -0.1]]), "b": np.array([0.1, 0.05]),
           "y": np.array([0, 1])}
ETA = "η = 0.01: inferred from this step's digits; the slide writes η without a value"


def tensors():
    """Section 1 on scratch's Tensor: creation, broadcasting, squared difference, MSE, cat, argmax."""
    data, other = Tensor([[1, 2], [3, 4]]), Tensor([[3, 4], [5, 6]])
    x = Tensor([1.0, 2, 3, 4])
    difference = x - 5
    ties = Tensor([[0, 4], [4, 3], [1, 1]])
    return [
        row("3, 4", "data = Tensor([[1, 2], [3, 4]])", data.data, "[[1, 2], [3, 4]]",
            note=f"dtype {data.dtype}, as torch.tensor; slide 2 only names the creation"),
        row("3, 4", "data[1], a row: axis 0 runs down the rows", data[1].data),
        row(3, "[[1, 2], [3, 4]] + 1", (data + 1).data, "[[2, 3], [4, 5]]"),
        row(4, "[[1, 2], [3, 4]] + 2", (data + 2).data, "[[3, 4], [5, 6]]"),
        row(5, "x − y, x = [1, 2, 3, 4], y = 5 broadcast", difference.data),
        row(5, "(x − y)²", (difference**2).data, "[16, 9, 4, 1]"),
        row(6, "Σ (x − y)², the slide's formula", (difference**2).sum().data,
            note="erratum: the slide writes this sum; its 7.5 is the mean"),
        row(6, "mean (x − y)², the MSE", (difference**2).mean().data, "7.5"),
        row(6, "losses.mse_loss(x, y)", losses.mse_loss(x.data, np.full(4, 5.0)), "7.5"),
        row(7, "cat([x, y], axis=0)", autograd.cat([data, other], axis=0).data, "[[1, 2], [3, 4], [3, 4], [5, 6]]"),
        row(7, "cat([x, y], axis=1)", autograd.cat([data, other], axis=1).data, "[[1, 2, 3, 4], [3, 4, 5, 6]]"),
        row(8, "argmax(axis=0) of [[0, 4], [4, 3], [1, 1]]", ties.argmax(axis=0).data, "[1, 0]"),
        row(8, "argmax(axis=1)", ties.argmax(axis=1).data, "[1, 0, 0]", note="the tie [1, 1] → 0, the first"),
    ]


def slide_9_tape():
    """(x, y, z): y = x², z = 3y + 2 at x = 2 on the autograd tape, after z.backward(); y and z keep their gradients."""
    x = Tensor(2.0, requires_grad=True)
    y = x**2
    z = 3 * y + 2
    for t in (y, z):
        t.retain_grad()
    z.backward()
    return x, y, z


def gradients():
    """Section 2: slide 9's graph at x = 2 (the slide prints no value)."""
    x, y, z = slide_9_tape()
    return [
        row(9, "y = x² at x = 2", y.data, note="x = 2 is our choice"),
        row(9, "z = 3y + 2", z.data),
        row(9, "∂z/∂y = 3, kept by y.retain_grad()", y.grad),
        row(9, "∂z/∂x = ∂z/∂y · ∂y/∂x = 3 · 2x = 6x", x.grad),
    ]


def _example_1_model(w, b):
    model = LinearRegression(1)
    model.params["W"][...], model.params["b"][...] = w, b
    return model


def example_1():
    """Section 3: ŷ = xw + b, L = (ŷ − y)², both initialisations, then the loop of slide 13."""
    X, y = np.array([[EXAMPLE_1["x"]]]), np.array([EXAMPLE_1["y"]])
    rows = []
    for name, numbers, slide in (("A", "14", {"y_hat": "-2.238", "L": "128.55"}), ("B", "10, 13", {})):
        model = _example_1_model(*EXAMPLE_1[name])
        y_hat = model.forward(X)[0]
        loss, grads = model.loss_grad(X, y)
        rows += [
            row(numbers, f"{name}: ŷ = x·w + b", y_hat, slide.get("y_hat", "")),
            row(numbers, f"{name}: ŷ − y", y_hat - y[0]),
            row(numbers, f"{name}: L = (ŷ − y)²", loss, slide.get("L", ""), rule="cut"),
            row(numbers, f"{name}: ∂L/∂w = 2x(ŷ − y)", grads["W"][0], note="the slide names L'w, prints no value"),
            row(numbers, f"{name}: ∂L/∂b = 2(ŷ − y)", grads["b"]),
        ]
    for name in ("A", "B"):
        model = _example_1_model(*EXAMPLE_1[name])
        optimizer = SGD(model.params, lr=EXAMPLE_1["lr"])
        for step in range(1, EXAMPLE_1["steps"] + 1):
            optimizer.step(model.loss_grad(X, y)[1])
            w, b = model.params["W"][0], model.params["b"].item()
            note = "η = 0.01 is our choice: no slide of Example 1 gives one" if step == 1 else ""
            rows.append(row(13, f"{name}, step {step}: w, b, L after w ← w − η·L'w, b ← b − η·L'b",
                            [w, b, model.loss(X, y)], note=note))
    return rows


def logistic_regression():
    """Section 4: the batch of two, θ = [0.1, 0.5, −0.1] (θ₀ is the bias), one SGD step, η = 0.01."""
    X, theta, y = LOGISTIC["X"], LOGISTIC["theta"], LOGISTIC["y"]
    model = LogisticRegression(2)
    model.params["b"][...], model.params["W"][...] = theta[0], theta[1:]
    probabilities = model.predict_proba(X[:, 1:])
    per_sample = losses.binary_cross_entropy_with_logits(X @ theta, y, reduction="none")
    loss, grads = model.loss_grad(X[:, 1:], y)
    gradient = np.concatenate([[grads["b"]], grads["W"]])
    cut = np.trunc(per_sample * 1e4) / 1e4
    return [
        row(16, "z = xθ", X @ theta),
        row(16, "ŷ = σ(z)", probabilities, "[0.6963, 0.8828]", rule="cut"),
        row(16, "per-sample loss −y log ŷ − (1 − y) log(1 − ŷ)", per_sample),
        row(16, "L(θ), their mean", loss, "0.65815", erratum=True,
            note="the exact mean is 0.658230 (0.65823 cut or rounded); the slide's 0.65815 is the next row"),
        row(16, "(1.1918 + 0.1245) / 2: the per-sample losses cut to 4 decimals, then averaged", cut.mean(),
            "0.65815", note="how the slide got its L(θ)"),
        row(16, "ŷ − y", probabilities - y),
        row(16, "∇θ L = xᵀ(ŷ − y) / N", gradient, "[0.28961, 0.28217, -0.0064]", rule="cut"),
        row(16, "θ − η ∇θ L", theta - LOGISTIC["lr"] * gradient, "[0.0971, 0.4971, -0.099]", rule="cut", note=ETA),
    ]


def softmax_regression():
    """Section 5: one feature, two classes, x = [1.4, 4.5], y = [0, 1] (one-hot [[1, 0], [0, 1]])."""
    X, y = SOFTMAX["X"], SOFTMAX["y"]
    model = SoftmaxRegression(1, 2)
    model.params["W"][...], model.params["b"][...] = SOFTMAX["W"], SOFTMAX["b"]
    z, p = model.forward(X), model.predict_proba(X)
    loss, grads = model.loss_grad(X, y)
    rows = [
        row(17, "z₀ = w₀x + b₀", z[:, 0], "[0.38, 1.0]"),
        row(17, "z₁ = w₁x + b₁", z[:, 1], "[-0.09, -0.4]"),
        row(17, "ŷ₀ = e^z₀ / (e^z₀ + e^z₁)", p[:, 0], "[0.615, 0.802]", rule="rounded"),
        row(17, "ŷ₁ = e^z₁ / (e^z₀ + e^z₁)", p[:, 1], "[0.385, 0.198]", rule="rounded"),
        row(17, "per-sample loss −log ŷ of the true class", losses.cross_entropy(z, y, reduction="none")),
        row(17, "L = mean cross-entropy", loss, "1.0530", rule="rounded"),
        row(17, "∂L/∂z = (ŷ − y) / N", losses.cross_entropy_grad(z, y)),
        row(17, "∂L/∂w = xᵀ(ŷ − y) / N", grads["W"][0]),
    ]
    return rows
