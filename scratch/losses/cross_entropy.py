"""Cross-entropy and the negative log-likelihood over classes, as in torch.nn.functional.

input holds one score per class along axis 1: (N, C); (N, C, d1, …, dk), a distribution at
every position (pixels, tokens); or (C,), one unbatched sample. Class-index targets have input's
shape without the class axis: (N,), (N, d1, …, dk) or (). Probability targets (cross_entropy
only) have input's shape. Inside, each position is one row of an (M, C) matrix, classes last.

Derivation, step by step: docs/lecture/derivations.md#3-softmax-and-the-cross-entropy
"""

import numpy as np

from scratch._validation import FLOAT_DTYPES, check_array, check_labels, check_number
from scratch.losses._reduction import check_reduction, reduce
from scratch.numerics import log_softmax, silent, softmax


def _rows(a):
    """(M, C) rows from (C,), (N, C) or (N, C, d1, …, dk): the class axis moved last."""
    return a[None, :] if a.ndim == 1 else np.moveaxis(a, 1, -1).reshape(-1, a.shape[1])


def _unrows(rows, shape):
    """The inverse of ``_rows``: (M, C) rows back to ``shape``."""
    if len(shape) == 1:
        return rows[0]
    return np.moveaxis(rows.reshape(shape[:1] + shape[2:] + shape[1:2]), -1, 1)


def _n_classes(x):
    """C, the length of input's class axis: axis 1, or axis 0 of one unbatched sample (C,)."""
    return x.shape[0 if x.ndim == 1 else 1]


def _output_shape(x):
    """The shape of reduction='none': input's without its class axis."""
    return x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()


def _class_parts(input, target, weight, ignore_index, reduction):
    """input x, target t, class weights w (C,) (default 1) and the reduction, each checked."""
    x = check_array(input, "input", allow_empty=True, finite=False)
    if x.ndim == 0:
        raise ValueError("input must hold class scores, (N, C), (N, C, d1, …, dk) or (C,); got a 0-d array.")
    n_classes = _n_classes(x)
    t = check_array(target, "target", dtype="any", allow_empty=True, finite=False)
    check_number(ignore_index, "ignore_index", integer=True)
    if weight is None:
        return x, t, np.ones(n_classes, x.dtype), check_reduction(reduction)
    input_dtype = np.asarray(input).dtype  # as given: x is float32 for a float16 input
    if isinstance(weight, np.ndarray) and weight.dtype != input_dtype:
        raise TypeError(
            f"weight has dtype {weight.dtype} but input has dtype {input_dtype}; they must match, as in PyTorch: "
            "pass weight.astype(input.dtype)."
        )
    w = check_array(weight, "weight", allow_empty=True, finite=False).astype(x.dtype, copy=False)
    if w.shape != (n_classes,):
        raise ValueError(f"weight must hold one value per class, shape ({n_classes},); got shape {w.shape}.")
    return x, t, w, check_reduction(reduction)


def _class_indices(x, t, ignore_index):
    """Labels y (M,) (0 where ignored, so that they index) and kept (M,) = [target ≠ ignore_index]."""
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"target must hold integer class indices (or float class probabilities of input's shape {x.shape}, "
            f"for cross_entropy); got dtype {t.dtype} and shape {t.shape}."
        )
    if t.shape != _output_shape(x) and not (x.ndim == 1 and t.shape == (1,)):  # PyTorch takes [y] for (C,)
        raise ValueError(
            f"target of class indices must have input's shape without its class axis, {_output_shape(x)}, for "
            f"input of shape {x.shape}; got shape {t.shape}."
        )
    labels = t.reshape(-1).astype(np.int64)
    if labels.size:
        check_labels(labels, "target", _n_classes(x), ignore_index=ignore_index)
    kept = labels != ignore_index
    return np.where(kept, labels, 0), kept


def _class_index_value(log_p, labels, kept, w, eps, reduction, shape):
    """(1 − ε)·R(nll) + ε/C·R(smooth) (R(nll) alone for ε ≤ 0), R the reduction, over kept rows m:

        nllₘ = −w[yₘ]·log pₘ[yₘ],   smoothₘ = −Σ_c w_c·log pₘ[c],   'mean' denominator Σₘ w[yₘ]
    Ignored rows are 0, even where log p = −inf (PyTorch's masking); 0·(−inf) elsewhere is nan.
    """
    w_y = w[labels]
    with silent():
        nll = np.where(kept, -w_y * log_p[np.arange(len(labels)), labels], 0)
        smooth = np.where(kept, -(log_p * w).sum(axis=1), 0) if eps > 0 else None
    denominator = (w_y * kept).sum()
    value = reduce(nll.reshape(shape), reduction, denominator)
    if smooth is None:
        return value
    return (1 - eps) * value + eps / log_p.shape[1] * reduce(smooth.reshape(shape), reduction, denominator)


def _class_index_grad(rows, labels, kept, w, eps, reduction):
    """G = ∂(reduced loss)/∂log p, (M, C) like ``rows``: G[m, yₘ] = −(1 − ε)·w[yₘ]·sₘ, and for ε > 0
    −ε/C·w_c·sₘ more in every class c; sₘ = [m kept] / Σ w[y] for 'mean', [m kept] otherwise.

    A zero Σ w[y] gives nan in the kept rows, as in PyTorch (there is no gradient of 0/0).
    """
    w_y = w[labels]
    with silent():
        s = np.where(kept, 1 / (w_y * kept).sum(), 0) if reduction == "mean" else kept.astype(rows.dtype)
        G = np.zeros_like(rows)
        G[np.arange(len(labels)), labels] = -w_y * ((1 - max(eps, 0)) * s)
        if eps > 0:
            G -= np.outer(eps / rows.shape[1] * s, w)
    return G


# ---------------------------------------------------------------- negative log-likelihood


def _nll_parts(input, target, weight, ignore_index, reduction):
    x, t, w, reduction = _class_parts(input, target, weight, ignore_index, reduction)
    return x, *_class_indices(x, t, ignore_index), w, reduction


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities, as torch.nn.functional.nll_loss:

        ℓₙ = −w[yₙ]·input[n, yₙ]  (0 where yₙ = ignore_index);  'mean' = Σℓ / Σ w[yₙ] over kept n

    input: log-probabilities (N, C), (N, C, d1, …, dk) or (C,); target: class indices (N,),
    (N, d1, …, dk) or (); weight: (C,), any sign. 'mean' over zero total weight is nan (0/0).
    """
    x, labels, kept, w, reduction = _nll_parts(input, target, weight, ignore_index, reduction)
    return _class_index_value(_rows(x), labels, kept, w, 0, reduction, _output_shape(x))


def nll_loss_grad(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """∂ℓₙ/∂input[n, c] = −w[yₙ]·[c = yₙ]·[yₙ kept]; divided by Σ w[yₙ] over kept n for 'mean'."""
    x, labels, kept, w, reduction = _nll_parts(input, target, weight, ignore_index, reduction)
    return _unrows(_class_index_grad(_rows(x), labels, kept, w, 0, reduction), x.shape)


# ---------------------------------------------------------------- cross-entropy on logits


def _plain_labels(input, target, weight, ignore_index, reduction, label_smoothing):
    """``target`` when this is the common case — float32/float64 logits (N, C), int64 class indices (N,)
    all in [0, C), none of them ignore_index, no weight, no smoothing, the mean — else None (the
    general path, which checks every argument, applies)."""
    common = (weight is None and label_smoothing == 0 and reduction == "mean"
              and type(input) is np.ndarray and input.ndim == 2 and input.dtype in FLOAT_DTYPES
              and type(target) is np.ndarray and target.dtype == np.int64 and target.shape == input.shape[:1]
              and len(target) and not 0 <= ignore_index < input.shape[1])
    return target if common and target.min() >= 0 and target.max() < input.shape[1] else None


def cross_entropy_and_grad(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """(cross_entropy(…), cross_entropy_grad(…)) of the same arguments, as a training step needs them.

    The common case (``_plain_labels``) from one log-softmax: L = −mean log pₙ[yₙ] and
    ∂L/∂z = (softmax(z) − onehot(y)) / N, softmax(z) being exp of the same log p.
    """
    labels = _plain_labels(input, target, weight, ignore_index, reduction, label_smoothing)
    if labels is None:  # the general path, its arguments checked once for both
        parts = _cross_entropy_parts(input, target, weight, ignore_index, reduction, label_smoothing)
        return _cross_entropy_value(*parts), _cross_entropy_gradient(*parts)
    log_p, rows = log_softmax(input), np.arange(len(labels))
    value = -float(np.add.reduce(log_p[rows, labels])) / len(labels)
    grad = np.exp(log_p, out=log_p)  # softmax(z), then − onehot(y), / N
    grad[rows, labels] -= 1
    grad /= len(labels)
    return value, grad


def _cross_entropy_parts(input, target, weight, ignore_index, reduction, label_smoothing):
    """x, w, ε, the reduction, and either class indices (labels, kept) or weighted probability rows q (M, C)."""
    x, t, w, reduction = _class_parts(input, target, weight, ignore_index, reduction)
    eps = check_number(label_smoothing, "label_smoothing", high=1)
    if t.shape != x.shape:
        return x, w, eps, reduction, _class_indices(x, t, ignore_index), None
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
    return x, w, eps, reduction, None, w * ((1 - eps) * q + eps / q.shape[1] if eps > 0 else q)


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy on logits z, as torch.nn.functional.cross_entropy:

        class indices:  ℓₙ = (1 − ε)·(−w[yₙ]·log pₙ[yₙ]) + ε/C·(−Σ_c w_c·log pₙ[c]),  pₙ = softmax(zₙ)
        probabilities:  ℓₙ = −Σ_c q[n, c]·log pₙ[c],  q[n] = w ⊙ ((1 − ε)·tₙ + ε/C)

    Shapes as in ``nll_loss``; probability targets t have input's shape and any real values.
    label_smoothing ε ≤ 1 mixes in the uniform distribution. 'mean' divides by Σ w[yₙ] over the
    samples whose target is not ``ignore_index`` (nan when that is 0), or by N·d1⋯dk (the number
    of distributions) for probabilities. Confident logits, even ±1e308, are exact: log p = −inf is never weighed by 0.
    """
    return _cross_entropy_value(*_cross_entropy_parts(input, target, weight, ignore_index, reduction, label_smoothing))


def _cross_entropy_value(x, w, eps, reduction, indices, q):
    log_p = log_softmax(_rows(x))
    if q is None:
        return _class_index_value(log_p, *indices, w, eps, reduction, _output_shape(x))
    with silent():
        per_row = -(q * log_p).sum(axis=1)
    return reduce(per_row.reshape(_output_shape(x)), reduction, len(q))


def cross_entropy_grad(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """∂L/∂zₙ = G[n] − softmax(zₙ)·Σ_c G[n, c], the backward of log-softmax of G = ∂L/∂log p:

        G = −q / N for probabilities ('mean'), ``_class_index_grad``'s for class indices.
    Plain case (no weight, no smoothing): (softmax(z) − onehot(y)) / N.
    """
    return _cross_entropy_gradient(*_cross_entropy_parts(input, target, weight, ignore_index, reduction,
                                                         label_smoothing))


def _cross_entropy_gradient(x, w, eps, reduction, indices, q):
    z = _rows(x)
    if q is None:
        G = _class_index_grad(z, *indices, w, eps, reduction)
    else:
        G = -q / len(q) if reduction == "mean" else -q
    with silent():
        return _unrows(G - softmax(z) * G.sum(axis=1, keepdims=True), x.shape)
