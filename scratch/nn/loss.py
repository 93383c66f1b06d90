"""Loss modules, as ``torch.nn``'s: ``criterion(input, target)`` → loss, ``criterion.backward()`` → ∂loss/∂input.

Value and gradient come from the functions of ``scratch.losses``; a module stores its
options and its last call. Each loss also owns its *head*: how a model's outputs become
targets it accepts (``check_target``), predictions (``predict``, ``predict_proba``) and a
score (``score``) — so a model or a ``Network`` asks its criterion instead of testing its type.
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
from scratch.metrics import accuracy, r2_score
from scratch.nn.layers import Sigmoid, Softmax
from scratch.nn.module import Module
from scratch.numerics import sigmoid, softmax

ARRAY_OPTIONS = ("weight", "pos_weight")  # options that are arrays; config() stores them as lists


class _Loss(Module):
    """What the three loss modules share; subclasses set the function pair and the head."""

    function = gradient = None  # a scratch.losses pair, e.g. cross_entropy and cross_entropy_grad
    function_and_gradient = None  # the two in one call, where scratch.losses has it
    head = None  # the probability layer a network may end with, e.g. Softmax: the loss reads the logits before it
    is_classifier = False  # whether score() is an accuracy (else R²)
    per_class_output = False  # outputs are (N, K), one per class; else one output column is read as (N,)

    def __init__(self, **options):
        super().__init__()
        check_choice(options["reduction"], "reduction", losses.REDUCTIONS)
        self.options = options
        self._last_call = None

    def forward(self, input, target):
        value = self.function(input, target, **self._options_for(input))
        self._last_call = (input, target)
        return value

    def loss_and_grad(self, input, target):
        """(loss, ∂loss/∂input) in one call, as forward then backward would give them."""
        options = self._options_for(input)
        if self.function_and_gradient is not None:
            return self.function_and_gradient(input, target, **options)
        return self.function(input, target, **options), self.gradient(input, target, **options)

    def backward(self):
        """∂loss/∂input for the last call, in input's shape."""
        if self._last_call is None:
            raise RuntimeError(f"{type(self).__name__}: call criterion(input, target) before backward().")
        input, target = self._last_call
        return self.gradient(input, target, **self._options_for(input))

    def _options_for(self, input):
        """The options, array ones cast to a float input's dtype (torch's buffers follow the module's dtype)."""
        dtype = getattr(input, "dtype", None)
        if dtype is None or dtype.kind != "f":
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
    def check_target(self, y, output):
        """y checked as the target for ``output`` (named "y"): by default real values of output's shape."""
        y = check_array(y, "y", ndim=np.ndim(output))
        check_same_length(output, y, "X", "y")
        return y

    def predict(self, output):
        """Predictions from the outputs: the outputs themselves for a regression loss."""
        return output

    def predict_proba(self, output):
        raise TypeError(f"predict_proba needs a classification loss; this model is trained on {self!r}.")

    def score(self, y, predictions):
        """Accuracy for classifiers, R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² for regressors."""
        return accuracy(y, predictions) if self.is_classifier else r2_score(y, predictions)


class MSELoss(_Loss):
    """mean((input − target)²); see ``scratch.losses.mse_loss``. Head: predictions are the outputs."""

    function, gradient = staticmethod(losses.mse_loss), staticmethod(losses.mse_loss_grad)

    def __init__(self, reduction="mean"):
        super().__init__(reduction=reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits; see ``scratch.losses.binary_cross_entropy_with_logits``.

    Head: targets in [0, 1]; P(y = 1) = σ(z); class 1 where z > 0.
    """

    function = staticmethod(losses.binary_cross_entropy_with_logits)
    gradient = staticmethod(losses.binary_cross_entropy_with_logits_grad)
    head, is_classifier = Sigmoid, True

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(weight=weight, reduction=reduction, pos_weight=pos_weight)

    def check_target(self, y, output):
        return check_probabilities(super().check_target(y, output), "y")

    def predict(self, output):
        return (output > 0).astype(np.int64)

    def predict_proba(self, output):
        return sigmoid(output)


class CrossEntropyLoss(_Loss):
    """Cross-entropy on logits (N, C), log-softmax included; see ``scratch.losses.cross_entropy``.

    Head: targets are class indices (N,) in [0, C) (or ``ignore_index``) or probabilities
    (N, C); P(y = k) = softmax(z)ₖ; the predicted class is argmax z (ties to the first).
    """

    function, gradient = staticmethod(losses.cross_entropy), staticmethod(losses.cross_entropy_grad)
    function_and_gradient = staticmethod(losses.cross_entropy_and_grad)
    head, is_classifier, per_class_output = Softmax, True, True

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        check_number(ignore_index, "ignore_index", integer=True)
        check_number(label_smoothing, "label_smoothing", low=0, high=1)
        super().__init__(weight=weight, ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing)

    def check_target(self, y, output):
        y = check_array(y, "y", ndim=(1, 2), dtype="any")
        if y.ndim == 1:
            y = check_labels(y, "y", output.shape[1], ignore_index=self.options["ignore_index"])
        elif y.shape != output.shape:
            raise ValueError(
                f"y must hold class indices (N,) or class probabilities of shape {output.shape}; got shape {y.shape}."
            )
        check_same_length(output, y, "X", "y")
        return y

    def predict(self, output):
        return output.argmax(axis=1)

    def predict_proba(self, output):
        return softmax(output)
