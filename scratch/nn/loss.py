"""Loss modules, as ``torch.nn``'s: ``criterion(input, target)`` → loss, ``criterion.backward()`` → ∂loss/∂input.

Value and gradient come from the functions of ``scratch.losses``; a module stores its
options and its last call. Each loss also owns its *head*, the one place that says what a
model's outputs mean:

    kind                  "regression", "binary" or "multiclass" (one output per class)
    check_target(y, out)  the targets it accepts for outputs ``out`` (or ``target_for`` given a width)
    predict, predict_proba  predictions and probabilities from the outputs
    score, score_name, score_key, format_score   accuracy or R², its name, run.json key and format

Models, ``Network``, ``fit``, the command line, the plots and gradcheck ask the criterion
instead of testing its type.
"""

import numpy as np

from scratch import losses
from scratch._validation import (
    check_array,
    check_choice,
    check_labels,
    check_number,
    check_probabilities,
    check_same_length,
)
from scratch.losses.cross_entropy import cross_entropy_and_grad_of_checked
from scratch.metrics import accuracy, r2_score
from scratch.nn.layers import Sigmoid, Softmax
from scratch.nn.module import Module
from scratch.numerics import sigmoid, softmax

ARRAY_OPTIONS = ("weight", "pos_weight")  # options that are arrays; config() stores them as lists


def _rows_of(w, like):
    """w: (N,) shaped (N, 1, …) to scale the rows of ``like``."""
    return w.reshape((-1,) + (1,) * (np.ndim(like) - 1))


class Loss(Module, abstract=True):
    """A loss module and its head: what the three loss modules share; subclasses set the function
    pair, ``kind``, ``head`` and what differs of the head (targets, predictions, probabilities)."""

    function = gradient = None  # a scratch.losses pair, e.g. cross_entropy and cross_entropy_grad
    function_and_gradient = None  # the two in one call, where scratch.losses has it
    head = None  # the probability layer a network may end with, e.g. Softmax: the loss reads the logits before it
    # "regression", "binary" or "multiclass": a multiclass loss reads one output per class (N, K);
    # the others read one output column as (N,). Classifiers predict classes and score an accuracy.
    kind = "regression"
    score_name, score_key = "R²", "r2"  # the score's name as printed and as run.json records it
    array_option_ndim = None  # the ndim allowed for weight, pos_weight: any (they broadcast), or CrossEntropyLoss's 1

    def __init__(self, **options):
        super().__init__()
        check_choice(options["reduction"], "reduction", losses.REDUCTIONS)
        for key in ARRAY_OPTIONS:  # checked here, named, not at the first call deep in NumPy
            if options.get(key) is not None:
                options[key] = check_array(options[key], key, ndim=self.array_option_ndim)
        self.options = options
        self._last_call = None

    def forward(self, input, target):
        value = self.function(input, target, **self._options_for(input))
        self._last_call = (input, target)
        return value

    def loss_and_grad(self, input, target, sample_weight=None):
        """(loss, ∂loss/∂input) in one call, as forward then backward would give them.

        With sample_weight w: (N,), the loss is R(wₙ·ℓₙ) over the per-sample losses ℓ
        (reduction="none"), R the mean or the sum — PyTorch's ``(loss(reduction="none") * w).mean()`` —
        and its gradient w ⊙ ∂ℓ/∂input, divided by ℓ's size for the mean.
        """
        options = self._options_for(input)
        if sample_weight is None and self.function_and_gradient is not None:
            return self.function_and_gradient(input, target, **options)
        if sample_weight is None:
            return self.function(input, target, **options), self.gradient(input, target, **options)
        each = {**options, "reduction": "none"}
        per_sample, grad = self.function(input, target, **each), self.gradient(input, target, **each)
        scale = sample_weight / (per_sample.size if options["reduction"] == "mean" else 1)
        value = float(np.sum(per_sample * _rows_of(scale, per_sample)))
        return value, grad * _rows_of(scale, grad)

    def _loss_and_grad_of_checked(self, input, target, sample_weight=None):
        """``loss_and_grad`` for a target this module's ``check_target`` gave for ``input`` (and weights
        checked): a loss whose function can skip looking at the target again does so (CrossEntropyLoss)."""
        return self.loss_and_grad(input, target, sample_weight)

    def backward(self):
        """∂loss/∂input for the last call, in input's shape."""
        if self._last_call is None:
            raise RuntimeError(f"{type(self).__name__}: call criterion(input, target) before backward().")
        input, target = self._last_call
        return self.gradient(input, target, **self._options_for(input))

    def _options_for(self, input):
        """The options, array ones cast to a float input's dtype (torch's buffers follow the module's dtype)."""
        dtype = getattr(input, "dtype", None)
        if dtype is None or dtype.kind != "f" or all(self.options.get(key) is None for key in ARRAY_OPTIONS):
            return self.options
        return {
            key: (np.asarray(value, dtype=dtype) if key in ARRAY_OPTIONS and value is not None else value)
            for key, value in self.options.items()
        }

    def config(self):
        return {
            key: (np.asarray(value, dtype=np.float64).tolist() if key in ARRAY_OPTIONS and value is not None else value)
            for key, value in self.options.items()
        }

    # ---- the head: targets, predictions, score ------------------------------------------
    def check_target(self, y, output, *, plain=False):
        """y checked as the target for ``output`` (named "y"): by default real values of output's
        shape, in output's float dtype. plain: only what a closed-form gradient assumes (see CrossEntropyLoss)."""
        y = check_array(y, "y", ndim=np.ndim(output))
        check_same_length(output, y, "X", "y")
        return y.astype(output.dtype, copy=False)

    def target_for(self, y, width, dtype, *, plain=False):
        """y checked as the target for ``width`` outputs per sample in ``dtype``: what ``fit`` checks
        once, up front, before there are outputs (a stand-in output of that shape, no memory)."""
        n_samples = np.shape(y)[0] if np.ndim(y) else 0
        shape = (n_samples, width) if width > 1 or self.kind == "multiclass" else (n_samples,)
        return self.check_target(y, np.broadcast_to(np.zeros((), dtype), shape), plain=plain)

    def predict(self, output):
        """Predictions from the outputs: the outputs themselves for a regression loss."""
        return output

    def predict_proba(self, output):
        raise TypeError(f"predict_proba needs a classification loss; this model is trained on {self!r}.")

    def score(self, y, predictions):
        """Accuracy for classifiers, R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² for regressors."""
        return r2_score(y, predictions) if self.kind == "regression" else accuracy(y, predictions)

    def loss_and_score(self, output, y):
        """(loss, score) as floats from one set of outputs, for targets y this criterion has checked:
        what a model's ``loss`` and ``score`` give, without a second forward pass."""
        return float(self(output, y)), float(self.score(y, self.predict(output)))

    @classmethod
    def format_score(cls, value):
        """The score as printed: "accuracy 91.97 %" or "R² 0.7403"."""
        return f"R² {value:.4f}" if cls.kind == "regression" else f"accuracy {100 * value:.2f} %"


class MSELoss(Loss):
    """mean((input − target)²); see ``scratch.losses.mse_loss``. Head: predictions are the outputs."""

    function, gradient = staticmethod(losses.mse_loss), staticmethod(losses.mse_loss_grad)

    def __init__(self, reduction="mean"):
        super().__init__(reduction=reduction)


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits; see ``scratch.losses.binary_cross_entropy_with_logits``.

    Head: targets in [0, 1]; P(y = 1) = σ(z); class 1 where z > 0.
    """

    function = staticmethod(losses.binary_cross_entropy_with_logits)
    gradient = staticmethod(losses.binary_cross_entropy_with_logits_grad)
    head, kind, score_name, score_key = Sigmoid, "binary", "accuracy", "accuracy"

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(weight=weight, reduction=reduction, pos_weight=pos_weight)

    def check_target(self, y, output, *, plain=False):
        """y: output's shape, values in [0, 1] (0/1 labels or soft labels), in output's dtype."""
        return check_probabilities(super().check_target(y, output), "y")

    def predict(self, output):
        return (output > 0).astype(np.int64)

    def predict_proba(self, output):
        return sigmoid(output)


class CrossEntropyLoss(Loss):
    """Cross-entropy on logits (N, C), log-softmax included; see ``scratch.losses.cross_entropy``.

    Head: targets are class indices (N,) in [0, C) (or ``ignore_index``) or probabilities
    (N, C); P(y = k) = softmax(z)ₖ; the predicted class is argmax z (ties to the first).
    """

    function, gradient = staticmethod(losses.cross_entropy), staticmethod(losses.cross_entropy_grad)
    function_and_gradient = staticmethod(losses.cross_entropy_and_grad)
    head, kind, score_name, score_key = Softmax, "multiclass", "accuracy", "accuracy"
    array_option_ndim = 1  # weight: one per class (C,)

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        check_number(ignore_index, "ignore_index", integer=True)
        check_number(label_smoothing, "label_smoothing", low=0, high=1)
        super().__init__(weight=weight, ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)

    def check_target(self, y, output, *, plain=False):
        """Class indices (N,) in [0, C) or ``ignore_index``, or probabilities of output's shape (N, C);
        plain: class indices in [0, C) only, what the closed form (softmax(Z) − onehot(y))/N assumes."""
        y = check_array(y, "y", ndim=1 if plain else (1, 2), dtype="any")
        if y.ndim == 1:
            y = check_labels(y, "y", output.shape[1], ignore_index=None if plain else self.options["ignore_index"])
        elif y.shape != output.shape:
            raise ValueError(
                f"y must hold class indices (N,) or class probabilities of shape {output.shape}; got shape {y.shape}."
            )
        check_same_length(output, y, "X", "y")
        return y if y.ndim == 1 else y.astype(output.dtype, copy=False)

    def _loss_and_grad_of_checked(self, input, target, sample_weight=None):
        """Class indices from ``check_target`` (int64 (N,), in [0, C) or ``ignore_index``) for logits (N, C),
        options checked when this module was built: nothing is looked at again (class weights excepted)."""
        options = self.options
        if sample_weight is not None or target.ndim != 1 or input.ndim != 2 or options["weight"] is not None:
            return self.loss_and_grad(input, target, sample_weight)
        return cross_entropy_and_grad_of_checked(input, target, options["ignore_index"], options["reduction"],
                                                 options["label_smoothing"])

    def predict(self, output):
        return output.argmax(axis=1)

    def predict_proba(self, output):
        return softmax(output)


def format_metrics(metrics):
    """{"loss": …, a criterion's score_key: …} as printed: "loss 0.2812, accuracy 91.97 %"."""
    scored_by = {cls.score_key: cls for cls in (MSELoss, CrossEntropyLoss)}
    scores = [scored_by[key].format_score(value) for key, value in metrics.items() if key != "loss"]
    return ", ".join([f"loss {metrics['loss']:.4f}", *scores])
