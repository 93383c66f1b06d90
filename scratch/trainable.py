"""What training needs of a model (the ``Trainable`` protocol) and of its data, checked once before
the first update by ``fit`` and ``fit_lbfgs`` (``scratch.training``).

X (N, …) numeric and finite, flattened to (N, D); y: N targets the model's criterion accepts,
every label checked now rather than in the batch that holds it; sample weights ≥ 0, not all
zero, rescaled to mean 1. A model without a transform is given one from X (``with_transform``).
"""

import copy
from typing import Protocol, runtime_checkable

from scratch._validation import check_array, check_finite, check_same_length, check_sample_weight
from scratch.preprocessing import infer_transform


@runtime_checkable
class Trainable(Protocol):
    """What ``fit`` and ``fit_lbfgs`` need of a model; scratch's three models and ``nn.Network`` have it.

    params        name → live float array, updated in place by the optimizer
    transform     how raw samples become model input; None on a fresh model, set by training from X
    criterion     the loss module, owner of the head (targets, predictions, the score's name)
    prepare(X)    raw samples (N, …) → model input (N, D)
    check_target(y)  the targets, checked once before any step
    loss_grad(X, y, sample_weight=None) → (loss, grads keyed like params)
    loss(X, y), score(X, y) → float: criterion(forward(X), y) and the criterion's score of its predictions
    forward(X)    the outputs the criterion reads (logits, or predictions for a regression loss)

    Optional: ``_loss_grad_prepared(x, y, w)``, loss_grad without its checks, which fit calls per batch
    once it has checked all of X, y and w (``checked_data_path``).
    """

    params: dict
    transform: object
    criterion: object

    def prepare(self, X): ...

    def check_target(self, y): ...

    def loss_grad(self, X, y, sample_weight=None): ...

    def loss(self, X, y): ...

    def score(self, X, y): ...

    def forward(self, X): ...


def check_training_data(model, X, y, sample_weight=None):
    """(X, y, w): X (N, …) numeric and finite, flattened to (N, D); y: N targets the model
    accepts; w: None, or the sample weights rescaled to mean 1."""
    if not isinstance(model, Trainable):
        raise TypeError(
            f"model must be a scratch model or nn.Network (params, criterion, prepare, check_target, loss_grad, "
            f"loss, score, forward); got {type(model).__name__}."
        )
    X = check_array(X, "X", ndim=(2, 3, 4), dtype="any", finite=False)
    y = check_array(y, "y", dtype="any", finite=False)
    check_same_length(X, y, "X", "y")
    X = check_finite(X.reshape(len(X), -1), "X")
    y = model.check_target(check_finite(y, "y"))  # every label now, not in the batch that holds it
    return X, y, mean_one(sample_weight, len(X))


def mean_one(sample_weight, n_samples):
    """None, or the checked weights rescaled to mean 1 (w / max first: a mean of 1e308s overflows)."""
    if sample_weight is None:
        return None
    w = check_sample_weight(sample_weight, n_samples)
    w = w / w.max()
    return w / w.mean()


def with_transform(model, X):
    """A model without a transform reads X as ``infer_transform(X)`` says from now on: ScalePixels() for uint8."""
    if model.transform is None:
        model.transform = infer_transform(X)


def prepared_once(model, X):
    """(model′, X′) with model′.f(X′, …) == model.f(X, …) for f = loss_grad, loss, score: X prepared once.

    X′ = model.prepare(X), and model′ a shallow copy of the model without its transform: the
    same parameter arrays (updated in place by training), reading X′ as it is. Each L-BFGS
    iteration then skips the transform and its copy of X (MNIST, 60000 × 784 uint8: 390 → 118 ms
    per call), and so does each epoch's validation in ``fit``.
    """
    plain = copy.copy(model)
    plain.transform = None
    return plain, model.prepare(X)


def checked_data_path(model):
    """``model._loss_grad_prepared``, or None when ``fit`` must call ``model.loss_grad`` for each batch.

    scratch's models and Network check (X, y, w) in ``loss_grad`` and then compute; fit has checked
    the whole X, y and w before its first step, so per batch it prepares X_b and calls
    ``_loss_grad_prepared(model.prepare(X_b), y_b, w_b)``, which checks nothing again. A loss_grad that
    is not that pair's (replaced on the instance, or overridden in a subclass) is the caller's own: fit calls it.
    """
    if "loss_grad" in getattr(model, "__dict__", {}):
        return None
    for cls in type(model).__mro__:  # the nearest class that writes either: which of the two is in charge
        if "_loss_grad_prepared" in vars(cls):
            return model._loss_grad_prepared
        if "loss_grad" in vars(cls):
            return None
    return None
