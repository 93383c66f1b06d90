"""Cross-entropy and the negative log-likelihood over classes, as in torch.nn.functional.

input holds one score per class along axis 1: (N, C); (N, C, d1, …, dk), a distribution at
every position (pixels, tokens); or (C,), one unbatched sample. Class-index targets have input's
shape without the class axis: (N,), (N, d1, …, dk) or (). Probability targets (cross_entropy
only) have input's shape. Inside, each position is one row of an (M, C) matrix, classes last.

One path serves every public function: ``_parse`` checks the arguments once into an
``_Arguments`` record, and ``_loss_and_grad`` computes the value (and the gradient) from it.

Derivation, step by step: docs/lecture/derivations.md#3-softmax-and-the-cross-entropy
"""

from dataclasses import dataclass

import numpy as np

from scratch._validation import check_array, check_labels, check_number
from scratch.losses._reduction import check_reduction, reduce
from scratch.numerics import log_softmax, silent


@dataclass(frozen=True, slots=True)
class _Arguments:
    """The checked arguments of one call, every position one row of an (M, C) matrix."""

    rows: np.ndarray  # (M, C) input, classes last: logits z, or log-probabilities for nll_loss
    shape: tuple  # input's shape, the gradient's
    out_shape: tuple  # input's shape without its class axis: the shape of reduction='none'
    labels: np.ndarray | None  # (M,) class indices yₘ (0 where ignored, so that they index); None for q
    kept: np.ndarray | None  # (M,) [yₘ ≠ ignore_index]
    q: np.ndarray | None  # (M, C) probability targets, weighted and smoothed: w ⊙ ((1 − ε)·t + ε/C)
    weight: np.ndarray  # (C,) class weights w, all 1 when none is given
    eps: float  # label smoothing ε (≤ 0 is none, as in PyTorch)
    reduction: str
    plain: bool  # class indices, none ignored, no weight, no smoothing, 'mean': the lecture's case


def _rows(a):
    """(M, C) rows from (C,), (N, C) or (N, C, d1, …, dk): the class axis moved last."""
    if a.ndim == 2:
        return a
    return a[None, :] if a.ndim == 1 else np.moveaxis(a, 1, -1).reshape(-1, a.shape[1])


def _unrows(rows, shape):
    """The inverse of ``_rows``: (M, C) rows back to ``shape``."""
    if len(shape) <= 2:
        return rows[0] if len(shape) == 1 else rows
    return np.moveaxis(rows.reshape(shape[:1] + shape[2:] + shape[1:2]), -1, 1)


def _parse(input, target, weight, ignore_index, reduction, label_smoothing=0.0, *, probabilities=False):
    """Every argument checked, once; probability targets (input's shape) only with ``probabilities``."""
    x = check_array(input, "input", allow_empty=True, finite=False)  # float16 is computed in float32
    if x.ndim == 0:
        raise ValueError("input must hold class scores, (N, C), (N, C, d1, …, dk) or (C,); got a 0-d array.")
    n_classes = x.shape[0 if x.ndim == 1 else 1]
    out_shape = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    t = check_array(target, "target", dtype="any", allow_empty=True, finite=False)
    check_number(ignore_index, "ignore_index", integer=True)
    w = np.ones(n_classes, x.dtype) if weight is None else _class_weights(weight, input, x.dtype, n_classes)
    reduction = check_reduction(reduction)
    eps = max(check_number(label_smoothing, "label_smoothing", high=1), 0)

    if probabilities and t.shape == x.shape:
        if t.dtype.kind != "f":
            raise TypeError(
                f"target of class probabilities (input's shape {x.shape}) must hold floats; got dtype {t.dtype}."
            )
        if ignore_index >= 0:
            raise ValueError(
                f"ignore_index={ignore_index} is only supported for class-index targets; got class probabilities "
                f"of input's shape {x.shape}. Leave ignore_index at -100."
            )
        q = _rows(t.astype(x.dtype, copy=False))
        q = w * ((1 - eps) * q + eps / n_classes if eps > 0 else q)
        return _Arguments(_rows(x), x.shape, out_shape, None, None, q, w, eps, reduction, False)

    if t.dtype.kind not in "iu":
        raise TypeError(
            f"target must hold integer class indices (or float class probabilities of input's shape {x.shape}, "
            f"for cross_entropy); got dtype {t.dtype} and shape {t.shape}."
        )
    if t.shape != out_shape and not (x.ndim == 1 and t.shape == (1,)):  # PyTorch takes [y] for (C,)
        raise ValueError(
            f"target of class indices must have input's shape without its class axis, {out_shape}, for "
            f"input of shape {x.shape}; got shape {t.shape}."
        )
    labels = t.reshape(-1).astype(np.int64, copy=False)
    if labels.size:
        check_labels(labels, "target", n_classes, ignore_index=ignore_index)
    return _index_arguments(x, out_shape, labels, w, ignore_index, reduction, eps, weighted=weight is not None)


def _index_arguments(x, out_shape, labels, w, ignore_index, reduction, eps, *, weighted):
    """The record of checked arguments with class indices: labels (M,) int64, each in [0, C) or ignore_index."""
    kept = labels != ignore_index
    everything_kept = kept.all()
    if not everything_kept:
        labels = np.where(kept, labels, 0)
    plain = everything_kept and not weighted and eps == 0 and reduction == "mean"
    return _Arguments(_rows(x), x.shape, out_shape, labels, kept, None, w, eps, reduction, plain)


def _class_weights(weight, input, dtype, n_classes):
    """w (C,) in the computing dtype; an array weight must have input's dtype as given, as in PyTorch."""
    input_dtype = np.asarray(input).dtype
    if isinstance(weight, np.ndarray) and weight.dtype != input_dtype:
        raise TypeError(
            f"weight has dtype {weight.dtype} but input has dtype {input_dtype}; they must match, as in PyTorch: "
            "pass weight.astype(input.dtype)."
        )
    w = check_array(weight, "weight", allow_empty=True, finite=False).astype(dtype, copy=False)
    if w.shape != (n_classes,):
        raise ValueError(f"weight must hold one value per class, shape ({n_classes},); got shape {w.shape}.")
    return w


def _loss_and_grad(a, *, logits, grad):
    """(L, ∂L/∂input), ∂L/∂input None unless ``grad``; log p = log_softmax(z) of logits z, else input (nll_loss).

    ∂L/∂z = G − softmax(z)·Σ_c G[:, c], the backward of log-softmax of G = ∂L/∂log p;
    in the plain case (G = −onehot(y)/N) that is (softmax(z) − onehot(y)) / N.
    """
    log_p = log_softmax(a.rows) if logits else a.rows
    value = _value(log_p, a)
    if not grad:
        return value, None
    if a.plain and logits:
        g = np.exp(log_p)  # softmax(z), then − onehot(y), then / N
        g[np.arange(len(a.labels)), a.labels] -= 1
        g /= len(a.labels)
    elif logits:
        G = _grad_of_log_p(a)
        with silent():
            g = G - np.exp(log_p) * G.sum(axis=1, keepdims=True)
    else:
        g = _grad_of_log_p(a)
    return value, _unrows(g, a.shape)


def _value(log_p, a):
    """R, the reduction, of the loss at each position m (pₘ the class distribution there):

        class indices:  (1 − ε)·R(nll) + ε/C·R(smooth),  'mean' dividing by Σₘ w[yₘ] over the kept m
                        nllₘ = −w[yₘ]·log pₘ[yₘ],  smoothₘ = −Σ_c w_c·log pₘ[c],  both 0 where ignored
        probabilities:  R(ℓ),  ℓₘ = −Σ_c q[m, c]·log pₘ[c];  'mean' divides by M
    Ignored rows are 0, even where log p = −inf (PyTorch's masking); 0·(−inf) elsewhere is nan.
    """
    if a.plain:  # −mean log pₙ[yₙ]
        return reduce(-log_p[np.arange(len(a.labels)), a.labels], a.reduction, len(a.labels))
    with silent():
        if a.q is not None:
            return reduce(-(a.q * log_p).sum(axis=1).reshape(a.out_shape), a.reduction, len(a.q))
        w_y = a.weight[a.labels]
        nll = np.where(a.kept, -w_y * log_p[np.arange(len(a.labels)), a.labels], 0)
        denominator = (w_y * a.kept).sum()
        value = reduce(nll.reshape(a.out_shape), a.reduction, denominator)
        if a.eps == 0:
            return value
        smooth = np.where(a.kept, -(log_p * a.weight).sum(axis=1), 0)
        return (1 - a.eps) * value + a.eps / log_p.shape[1] * reduce(smooth.reshape(a.out_shape), a.reduction,
                                                                     denominator)


def _grad_of_log_p(a):
    """G = ∂L/∂log p, (M, C):

        probabilities:  G = −q·s,  s = 1/M for 'mean', else 1
        class indices:  G[m, yₘ] = −(1 − ε)·w[yₘ]·sₘ, and −ε/C·w_c·sₘ more in every class c;
                        sₘ = [m kept] / Σ w[y] for 'mean', [m kept] otherwise
    A zero Σ w[y] gives nan in the kept rows, as in PyTorch (there is no gradient of 0/0).
    """
    if a.q is not None:
        return -a.q / len(a.q) if a.reduction == "mean" else -a.q
    w_y = a.weight[a.labels]
    with silent():
        s = np.where(a.kept, 1 / (w_y * a.kept).sum(), 0) if a.reduction == "mean" else a.kept.astype(a.rows.dtype)
        G = np.zeros_like(a.rows)
        G[np.arange(len(a.labels)), a.labels] = -w_y * ((1 - a.eps) * s)
        if a.eps > 0:
            G -= np.outer(a.eps / a.rows.shape[1] * s, a.weight)
    return G


# ---------------------------------------------------------------- the public functions


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities, as torch.nn.functional.nll_loss:

        ℓₙ = −w[yₙ]·input[n, yₙ]  (0 where yₙ = ignore_index);  'mean' = Σℓ / Σ w[yₙ] over kept n

    input: log-probabilities (N, C), (N, C, d1, …, dk) or (C,); target: class indices (N,),
    (N, d1, …, dk) or (); weight: (C,), any sign. 'mean' over zero total weight is nan (0/0).
    """
    return _loss_and_grad(_parse(input, target, weight, ignore_index, reduction), logits=False, grad=False)[0]


def nll_loss_grad(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """∂ℓₙ/∂input[n, c] = −w[yₙ]·[c = yₙ]·[yₙ kept]; divided by Σ w[yₙ] over kept n for 'mean'."""
    return _loss_and_grad(_parse(input, target, weight, ignore_index, reduction), logits=False, grad=True)[1]


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy on logits z, as torch.nn.functional.cross_entropy:

        class indices:  ℓₙ = (1 − ε)·(−w[yₙ]·log pₙ[yₙ]) + ε/C·(−Σ_c w_c·log pₙ[c]),  pₙ = softmax(zₙ)
        probabilities:  ℓₙ = −Σ_c q[n, c]·log pₙ[c],  q[n] = w ⊙ ((1 − ε)·tₙ + ε/C)

    Shapes as in ``nll_loss``; probability targets t have input's shape and any real values.
    label_smoothing ε ≤ 1 mixes in the uniform distribution. 'mean' divides by Σ w[yₙ] over the
    samples whose target is not ``ignore_index`` (nan when that is 0), or by N·d1⋯dk (the number
    of distributions) for probabilities. Confident logits, even ±1e308, are exact: log p = −inf
    is never weighed by 0.
    """
    a = _parse(input, target, weight, ignore_index, reduction, label_smoothing, probabilities=True)
    return _loss_and_grad(a, logits=True, grad=False)[0]


def cross_entropy_grad(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """∂L/∂zₙ = G[n] − softmax(zₙ)·Σ_c G[n, c], G = ∂L/∂log p (``_grad_of_log_p``).

    Plain case (class indices, no weight, no smoothing, 'mean'): (softmax(z) − onehot(y)) / N.
    """
    a = _parse(input, target, weight, ignore_index, reduction, label_smoothing, probabilities=True)
    return _loss_and_grad(a, logits=True, grad=True)[1]


def cross_entropy_and_grad(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """(cross_entropy(…), cross_entropy_grad(…)) of the same arguments, as a training step needs them.

    The arguments are checked once and both come from one log-softmax.
    """
    a = _parse(input, target, weight, ignore_index, reduction, label_smoothing, probabilities=True)
    return _loss_and_grad(a, logits=True, grad=True)


def cross_entropy_and_grad_of_checked(input, target, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """``cross_entropy_and_grad`` without class weights, of arguments the caller has checked: logits
    input (N, C) float; class indices target (N,) int64, each in [0, C) or ``ignore_index`` (as
    ``CrossEntropyLoss.check_target`` gives them); the options as ``CrossEntropyLoss`` checks them when
    it is built. A network's training step then looks at its labels and options once, not twice.
    """
    w = np.ones(input.shape[1], input.dtype)
    a = _index_arguments(input, input.shape[:1], target, w, ignore_index, reduction, max(label_smoothing, 0),
                         weighted=False)
    return _loss_and_grad(a, logits=True, grad=True)
