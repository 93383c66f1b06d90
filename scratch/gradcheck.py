"""Gradient verification: every gradient of the package computed independently, and compared.

For a model or a loss, the gradient is computed by
  closed    the hand-derived formula (``model.loss_grad`` or ``losses.<name>_grad``),
  tape      ``scratch.autograd`` on a separate expression of the same loss (below),
  numeric   central finite differences of the loss value,
  torch     ``torch.autograd`` on ``torch.nn.functional.<name>`` (when torch is installed),
and each pair is compared by its relative error max|a − b| / max(|a|, |b|) per parameter.
A correct gradient gives ~1e-16 between the exact methods and ~1e-9 against finite
differences in float64; a missing 1/N or a transposed term gives errors of order 1.

>>> report = check_loss_gradients("mse_loss", np.arange(4.0), np.full(4, 5.0))
>>> report.ok()
True
"""

import itertools
from dataclasses import dataclass

import numpy as np

from scratch import losses, models
from scratch._validation import check_array, check_choice, check_number, check_seed
from scratch.autograd import Tensor
from scratch.losses import REDUCTIONS
from scratch.numerics import softmax

METHODS = ("closed", "tape", "numeric", "torch")  # the column order of a report


# --- the tape: each loss written again with scratch.autograd operations -------------------
def _reduce(elementwise, reduction, denominator=None):
    """'none' keeps the elements, 'sum' adds them, 'mean' divides the sum by the denominator."""
    if reduction == "none":
        return elementwise
    total = elementwise.sum()
    if reduction == "sum":
        return total
    return total / (elementwise.data.size if denominator is None else denominator)


def tape_mse_loss(input, target, reduction="mean"):
    """ℓ = (x − y)²."""
    return _reduce((input - target) ** 2, reduction)


def tape_binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction="mean"):
    """ℓ = w·[p·y·softplus(−x) + (1 − y)·softplus(x)] = −w·[p·y·log σ(x) + (1 − y)·log(1 − σ(x))]."""
    w = 1.0 if weight is None else np.asarray(weight)
    p = 1.0 if pos_weight is None else np.asarray(pos_weight)
    return _reduce(w * (p * target * (-input).softplus() + (1 - target) * input.softplus()), reduction)


def tape_cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """log p = log_softmax(z), ε = label_smoothing, C classes, w class weights (default 1).

    Class indices: ℓᵢ = −(1 − ε)·w_yᵢ·log p_iyᵢ − (ε/C)·Σ_c w_c·log p_ic, 0 where yᵢ is ignored;
    'mean' divides by Σ w_yᵢ over the kept rows (PyTorch's normalisation).
    Class probabilities t: ℓᵢ = −Σ_c w_c·q_ic·log p_ic with q = (1 − ε)·t + ε/C; 'mean' divides by N.
    """
    n, c = input.shape
    w = np.ones(c) if weight is None else np.asarray(weight)
    log_p = input.log_softmax(axis=1)
    if target.ndim == 2:
        q = (1 - label_smoothing) * target + label_smoothing / c
        return _reduce(-(log_p * (w * q)).sum(axis=1), reduction)
    kept = target != ignore_index
    labels = np.where(kept, target, 0)
    row_weight = w[labels] * kept
    nll = -log_p[np.arange(n), labels] * row_weight
    smooth = -(log_p * w).sum(axis=1) * kept
    return _reduce((1 - label_smoothing) * nll + (label_smoothing / c) * smooth, reduction, row_weight.sum())


TAPE_LOSSES = {
    "mse_loss": tape_mse_loss,
    "binary_cross_entropy_with_logits": tape_binary_cross_entropy_with_logits,
    "cross_entropy": tape_cross_entropy,
}
LOSS_NAMES = tuple(TAPE_LOSSES)  # the scratch.losses functions checked here


# --- the other methods ------------------------------------------------------------------------
def numerical_gradient(f, x, eps=1e-6):
    """∂f/∂xᵢ ≈ (f(x + ε·eᵢ) − f(x − ε·eᵢ)) / 2ε, perturbing x IN PLACE and restoring it.

    f: x → float (it may read x through a closure, e.g. a model parameter); x: float array.
    Returns float64 of x's shape; error O(ε²) + O(machine ε·|f|/ε) — about 1e-10 in float64.
    """
    check_number(eps, "eps", low=0, low_open=True)  # a step of 0 would divide by 0, inf or NaN poison every entry
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        f_plus = f(x)
        x[index] = original - eps
        f_minus = f(x)
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a, b):
    """max|a − b| / max(|a|, |b|) over all entries (0 when both are zero)."""
    scale = max(np.max(np.abs(a), initial=0.0), np.max(np.abs(b), initial=0.0))
    return float(np.max(np.abs(a - b), initial=0.0) / scale) if scale > 0 else 0.0


def _import_torch():
    """PyTorch if installed (an optional oracle, never a dependency of the package), else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def _torch_loss_gradients(torch, name, leaves, make_input, target, options):
    """Gradients of Σ torch.nn.functional.<name>(make_input(leaves), target) w.r.t. each leaf."""
    dtype = next(iter(leaves.values())).dtype
    tensors = {key: torch.tensor(value, requires_grad=True) for key, value in leaves.items()}
    as_torch = lambda a: torch.as_tensor(a if np.asarray(a).dtype.kind in "iu" else np.asarray(a, dtype))
    torch_options = {k: as_torch(v) if isinstance(v, (np.ndarray, list)) else v for k, v in options.items()}
    loss = getattr(torch.nn.functional, name)(make_input(tensors), as_torch(target), **torch_options)
    loss.sum().backward()
    return {key: tensor.grad.numpy() for key, tensor in tensors.items()}


# --- the report ---------------------------------------------------------------------------------
@dataclass
class GradientReport:
    """The gradients of one function by several methods.

    name: what was checked; gradients: parameter → method → gradient (the parameter's shape).
    """

    name: str
    gradients: dict

    def errors(self):
        """{(parameter, method a, method b): relative error} for every pair of methods."""
        return {
            (param, a, b): relative_error(by_method[a], by_method[b])
            for param, by_method in self.gradients.items()
            for a, b in itertools.combinations([m for m in METHODS if m in by_method], 2)
        }

    @property
    def max_error(self):
        return max(self.errors().values(), default=0.0)

    def ok(self, tol=1e-6):
        """True when every pair of methods agrees to relative error ≤ tol."""
        return self.max_error <= tol

    def table(self):
        return format_reports([self])

    __str__ = table


def format_reports(reports, tol=1e-6):
    """One table: a row per (report, parameter), a column per pair of methods."""
    pairs = list(dict.fromkeys((a, b) for r in reports for (_, a, b) in r.errors()))
    header = ["checked", "param", *(f"{a}:{b}" for a, b in pairs), "ok"]
    rows = []
    for report in reports:
        errors = report.errors()
        for param in report.gradients:
            cells = [f"{errors[param, a, b]:.1e}" if (param, a, b) in errors else "-" for a, b in pairs]
            worst = max((errors[k] for k in errors if k[0] == param), default=0.0)
            rows.append([report.name, param, *cells, "yes" if worst <= tol else "NO"])
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) for row in [header, *rows]]
    legend = (
        "relative error max|a - b| / max(|a|, |b|) between closed form (closed), scratch.autograd (tape), "
        f"central differences (numeric) and torch.autograd (torch); ok = all <= {tol:g}"
    )
    return "\n".join([legend, *lines])


# --- the checks --------------------------------------------------------------------------------
def check_model_gradients(model, X, y, *, eps=1e-6, use_torch=True):
    """Check ``model.loss_grad(X, y)`` against the tape, finite differences and torch.

    model: any object of the model protocol; the tape and torch check the three models of
    ``scratch.models`` (Z = XW + b into ``model.criterion``); any other model is checked
    against finite differences only. X: (N, …) samples; y: (N,).
    Check float64 models: finite differences in float32 are only good to ~1e-3.
    """
    check_number(eps, "eps", low=0, low_open=True)
    _, closed = model.loss_grad(X, y)  # also validates X and y
    gradients = {key: {"closed": np.asarray(grad)} for key, grad in closed.items()}
    if isinstance(model, models.AffineModel):
        for method, grads in _affine_model_gradients(model, X, y, use_torch).items():
            for key, grad in grads.items():
                gradients[key][method] = grad
    for key, param in model.params.items():
        gradients[key]["numeric"] = numerical_gradient(lambda _: model.loss(X, y), param, eps)
    return GradientReport(type(model).__name__, gradients)


def _affine_model_gradients(model, X, y, use_torch):
    """{"tape": grads, "torch": grads} of the criterion's loss(XW + b, y) w.r.t. the model's W and b.

    The criterion names its ``scratch.losses`` function, e.g. CrossEntropyLoss → cross_entropy.
    """
    criterion = model.criterion
    name, options = type(criterion).function.__name__, criterion.options
    X, target = model.prepare(X), model.check_target(y)
    leaves = {key: Tensor(value.copy(), requires_grad=True) for key, value in model.params.items()}
    TAPE_LOSSES[name](X @ leaves["W"] + leaves["b"], target, **options).backward()
    result = {"tape": {key: leaf.grad for key, leaf in leaves.items()}}
    torch = _import_torch() if use_torch else None
    if torch is not None:
        X_torch = torch.from_numpy(X)
        affine = lambda p: X_torch @ p["W"] + p["b"]
        result["torch"] = _torch_loss_gradients(torch, name, model.params, affine, target, options)
    return result


def check_loss_gradients(name, input, target, *, eps=1e-6, use_torch=True, **options):
    """Check ``losses.<name>_grad`` against the tape, finite differences and torch.

    name: one of LOSS_NAMES; input, target, **options: as for ``losses.<name>``.
    For reduction='none' the gradient checked is that of the sum, as ``<name>_grad`` returns.
    """
    check_choice(name, "name", LOSS_NAMES)
    check_number(eps, "eps", low=0, low_open=True)
    input = check_array(input, "input").copy()  # finite differences perturb it
    loss, loss_grad = getattr(losses, name), getattr(losses, name + "_grad")
    target_dtype = np.int64 if name == "cross_entropy" and np.ndim(target) == 1 else input.dtype
    target = np.asarray(target, dtype=target_dtype)
    gradients = {"closed": np.asarray(loss_grad(input, target, **options))}
    leaf = Tensor(input.copy(), requires_grad=True)
    TAPE_LOSSES[name](leaf, target, **options).sum().backward()
    gradients["tape"] = leaf.grad
    gradients["numeric"] = numerical_gradient(lambda x: float(np.sum(loss(x, target, **options))), input, eps)
    torch = _import_torch() if use_torch else None
    if torch is not None:
        grads = _torch_loss_gradients(torch, name, {"input": input}, lambda p: p["input"], target, options)
        gradients["torch"] = grads["input"]
    return GradientReport(_describe(name, target, options), {"input": gradients})


def _describe(name, target, options):
    """e.g. "cross_entropy(probabilities, reduction='sum', weight, label_smoothing=0.1)"."""
    parts = ["probabilities"] if name == "cross_entropy" and target.ndim == 2 else []
    parts += [key if isinstance(value, np.ndarray) else f"{key}={value!r}" for key, value in options.items()]
    return f"{name}({', '.join(parts)})"


# --- everything at once -----------------------------------------------------------------------
def check_all(seed=0, *, use_torch=True):
    """A GradientReport for every model and every loss with every option, on small random data."""
    rng = check_seed(seed)
    reports = [check_model_gradients(m, X, y, use_torch=use_torch) for m, X, y in _model_cases(rng)]
    for name, input, target, options in _loss_cases(rng):
        reports.append(check_loss_gradients(name, input, target, use_torch=use_torch, **options))
    return reports


def _model_cases(rng, n=8, d=3, k=4):
    X = rng.normal(size=(n, d))
    yield models.LinearRegression(d, init="torch", seed=rng), X, rng.normal(size=n)
    yield models.LogisticRegression(d, init="torch", seed=rng), X, rng.integers(0, 2, n).astype(float)
    yield models.SoftmaxRegression(d, k, init="torch", seed=rng), X, rng.integers(0, k, n)


def _loss_cases(rng, n=6, c=4):
    """(name, input, target, options) for each loss × reduction × weight × other options."""
    z = rng.normal(size=(n, c))
    for reduction in REDUCTIONS:
        yield "mse_loss", z, rng.normal(size=(n, c)), {"reduction": reduction}
    soft_labels, weight, pos_weight = rng.uniform(size=(n, c)), rng.uniform(0.5, 2, (n, c)), rng.uniform(0.5, 3, c)
    for reduction, w, p in itertools.product(REDUCTIONS, (None, weight), (None, pos_weight)):
        options = {"reduction": reduction, "weight": w, "pos_weight": p}
        yield "binary_cross_entropy_with_logits", z, soft_labels, _without_none(options)
    labels, class_weight = rng.integers(0, c, n), rng.uniform(0.5, 2, c)
    some_ignored = np.where(np.arange(n) % 3 == 0, -100, labels)
    probabilities = softmax(rng.normal(size=(n, c)))
    for reduction, w, eps in itertools.product(REDUCTIONS, (None, class_weight), (None, 0.1)):
        options = _without_none({"reduction": reduction, "weight": w, "label_smoothing": eps})
        yield "cross_entropy", z, labels, options
        yield "cross_entropy", z, some_ignored, {**options, "ignore_index": -100}
        yield "cross_entropy", z, probabilities, options


def _without_none(options):
    return {key: value for key, value in options.items() if value is not None}
