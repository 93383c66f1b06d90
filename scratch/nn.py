"""torch.nn in miniature: Sequential, loss modules, and ``Network`` (a net trained like a model).

The lecture's two stacks (section 6)::

    >>> from scratch.nn import Sequential, Linear, Softmax, MSELoss, CrossEntropyLoss, Network
    >>> regression = Network(Sequential(Linear(3, 1, seed=0)), MSELoss())     # dense(units=1)
    >>> net = Sequential(Linear(4, 3, seed=0), Softmax(dim=-1))               # dense(units=3) + softmax
    >>> net
    Sequential(
      (0): Linear(in_features=4, out_features=3, bias=True)
      (1): Softmax(dim=-1)
    )
    >>> classifier = Network(net, CrossEntropyLoss())
    >>> sorted(classifier.params), classifier.predict_proba([[5.1, 3.5, 1.4, 0.2]]).shape
    (['0.bias', '0.weight'], (1, 3))

A ``Network`` has the model protocol (``params``, ``dtype``, ``forward``, ``loss``,
``loss_grad``, ``predict``, ``score``, ``predict_proba``), so ``scratch.optim.SGD(model.params, lr)``
and ``scratch.training.fit`` train it exactly like ``scratch.models.SoftmaxRegression``.

The softmax gotcha: ``nn.CrossEntropyLoss`` applies log-softmax itself, so in PyTorch a
``Softmax`` layer before it is applied twice (the loss then sees probabilities as logits and
learns slowly). ``Network`` treats a trailing ``Softmax`` before ``CrossEntropyLoss`` (or a
trailing ``Sigmoid`` before ``BCEWithLogitsLoss``) as the probability head: the loss and its
gradient use the logits before it, ``predict_proba`` the head's output. That is what the
slides mean. ``criterion(net(X), y)`` on a bare ``Sequential`` reproduces PyTorch literally.
"""

import numpy as np

from scratch import losses
from scratch._validation import (
    check_array,
    check_choice,
    check_features,
    check_labels,
    check_number,
    check_probabilities,
    check_same_length,
)
from scratch.layers import Linear, Module, ReLU, Sigmoid, Softmax
from scratch.metrics import accuracy, r2_score
from scratch.numerics import sigmoid, softmax

__all__ = [
    "Linear", "ReLU", "Sigmoid", "Softmax", "Sequential",
    "MSELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Network",
]

REDUCTIONS = ("none", "mean", "sum")


class Sequential:
    """Layers applied in order; backward runs the chain rule through them in reverse.

    Parameters are named like PyTorch's state_dict: "<layer index>.<name>", e.g. "0.weight".
    ``params`` holds the live arrays (an optimizer updating them updates the layers).
    """

    def __init__(self, *layers):
        if not layers:
            raise ValueError("Sequential needs at least one layer, e.g. Sequential(Linear(3, 1)).")
        for index, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"layer {index} must be a scratch layer (Linear, ReLU, Sigmoid, Softmax or a "
                    f"scratch.layers.Module subclass); got {type(layer).__name__}."
                )
        self.layers = list(layers)
        dtypes = {p.dtype for p in self.parameters()}
        if len(dtypes) > 1:
            raise ValueError(f"all layers must share one dtype; got {sorted(map(str, dtypes))}.")
        self.dtype = dtypes.pop() if dtypes else np.dtype(np.float64)

    def named_parameters(self):
        """[("0.weight", array), ("0.bias", array), …] in layer order."""
        return [(f"{i}.{name}", p) for i, layer in enumerate(self.layers) for name, p in layer.params.items()]

    @property
    def params(self):
        return dict(self.named_parameters())

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def forward(self, x):
        """x: (N, in_features of the first layer) → output of the last layer."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    __call__ = forward

    def backward(self, grad_out):
        """∂L/∂(params) from g = ∂L/∂output, by each layer's backward in reverse order.

        Returns a fresh dict keyed and shaped like ``params``. Call ``forward`` first.
        """
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return {f"{i}.{name}": g for i, layer in enumerate(self.layers) for name, g in layer.grads.items()}

    def __getitem__(self, index):
        """A layer, or for a slice a new Sequential sharing those layers (renumbered from 0)."""
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        lines = "".join(f"  ({i}): {layer!r}\n" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{lines})"


class _Loss:
    """A loss module: ``criterion(input, target)`` → loss; ``criterion.backward()`` → ∂loss/∂input.

    Value and gradient come from ``scratch.losses``; the module only stores the options and
    the last call's arguments.
    """

    function = gradient = None  # set by each subclass to a scratch.losses function pair

    def __init__(self, **options):
        check_choice(options["reduction"], "reduction", REDUCTIONS)
        self.options = options
        self._last_call = None

    def __call__(self, input, target):
        value = self.function(input, target, **self.options)
        self._last_call = (input, target)
        return value

    def backward(self):
        """∂loss/∂input for the last call, in input's shape."""
        if self._last_call is None:
            raise RuntimeError(f"{type(self).__name__}: call criterion(input, target) before backward().")
        return self.gradient(*self._last_call, **self.options)

    def __repr__(self):
        return f"{type(self).__name__}()"


class MSELoss(_Loss):
    """mean((input − target)²); see ``scratch.losses.mse_loss``."""

    function, gradient = staticmethod(losses.mse_loss), staticmethod(losses.mse_loss_grad)

    def __init__(self, reduction="mean"):
        super().__init__(reduction=reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits; see ``scratch.losses.binary_cross_entropy_with_logits``."""

    function = staticmethod(losses.binary_cross_entropy_with_logits)
    gradient = staticmethod(losses.binary_cross_entropy_with_logits_grad)

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(weight=weight, reduction=reduction, pos_weight=pos_weight)


class CrossEntropyLoss(_Loss):
    """Cross-entropy on logits (N, C), log-softmax included; see ``scratch.losses.cross_entropy``."""

    function, gradient = staticmethod(losses.cross_entropy), staticmethod(losses.cross_entropy_grad)

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        check_number(ignore_index, "ignore_index", integer=True)
        check_number(label_smoothing, "label_smoothing", low=0, high=1)
        super().__init__(
            weight=weight, ignore_index=ignore_index, reduction=reduction, label_smoothing=label_smoothing
        )


_PROBABILITY_HEADS = ((CrossEntropyLoss, Softmax), (BCEWithLogitsLoss, Sigmoid))


class Network:
    """A Sequential plus its criterion, offering the model protocol of ``scratch.models``.

    forward(X) → logits (N, K) for CrossEntropyLoss; a single output column is returned as
    (N,), like LinearRegression/LogisticRegression, so targets are (N,). The criterion's
    reduction must be "mean" (or "sum"): ``loss`` is a float.
    """

    def __init__(self, net, criterion):
        if not isinstance(net, Sequential):
            raise TypeError(f"net must be a scratch.nn.Sequential; got {type(net).__name__}.")
        if not isinstance(criterion, _Loss):
            raise TypeError(
                f"criterion must be MSELoss, BCEWithLogitsLoss or CrossEntropyLoss; got {criterion!r}."
            )
        if criterion.options["reduction"] == "none":
            raise ValueError('criterion must reduce to a number for training; got reduction="none".')
        self.net, self.criterion = net, criterion
        has_head = any(isinstance(criterion, c) and isinstance(net[-1], h) for c, h in _PROBABILITY_HEADS)
        self.body = net[:-1] if has_head and len(net) > 1 else net
        self.is_classifier = isinstance(criterion, (CrossEntropyLoss, BCEWithLogitsLoss))
        # activations keep the width, so the first Linear fixes the number of input features
        self.n_features = next((layer.in_features for layer in net if isinstance(layer, Linear)), None)

    @property
    def params(self):
        return self.net.params

    @property
    def dtype(self):
        return self.net.dtype

    def __repr__(self):
        return f"Network({self.net!r}, {self.criterion!r})"

    def _logits(self, X):
        X = check_array(X, "X", ndim=2)
        if self.n_features is not None:
            check_features(X, self.n_features)
        return self.body.forward(X.astype(self.dtype, copy=False))

    def _check_target(self, y, out):
        """y checked under its own name before the criterion sees it as ``target``.

        CrossEntropyLoss: (N,) class indices in [0, K) or (N, K) probabilities; otherwise
        out's shape, with values in [0, 1] for BCEWithLogitsLoss.
        """
        if isinstance(self.criterion, CrossEntropyLoss):
            y = check_array(y, "y", ndim=(1, 2), dtype="any")
            if y.ndim == 1:
                y = check_labels(y, "y", out.shape[1], ignore_index=self.criterion.options["ignore_index"])
            elif y.shape != out.shape:
                raise ValueError(
                    f"y must hold class indices (N,) or class probabilities of shape {out.shape}; "
                    f"got shape {y.shape}."
                )
        else:
            y = check_array(y, "y", ndim=out.ndim)
            if isinstance(self.criterion, BCEWithLogitsLoss):
                check_probabilities(y, "y")
        check_same_length(out, y, "X", "y")
        return y

    def _flat(self, out):
        """(N, 1) → (N,) unless the criterion is the multi-class cross-entropy."""
        single_column = out.shape[1] == 1 and not isinstance(self.criterion, CrossEntropyLoss)
        return out[:, 0] if single_column else out

    def forward(self, X):
        """The output before any probability head: logits, or predictions for MSELoss."""
        return self._flat(self._logits(X))

    def loss(self, X, y):
        """The criterion on forward(X), a float."""
        out = self.forward(X)
        return self.criterion(out, self._check_target(y, out))

    def loss_grad(self, X, y):
        """(loss, grads): ∂L/∂output from the criterion, then Sequential.backward through the layers."""
        out = self._logits(X)
        flat = self._flat(out)
        loss = self.criterion(flat, self._check_target(y, flat))
        return loss, self.body.backward(self.criterion.backward().reshape(out.shape))

    def predict_proba(self, X):
        """softmax(logits) (N, K) for CrossEntropyLoss; σ(logits) for BCEWithLogitsLoss."""
        if not self.is_classifier:
            raise TypeError(
                f"predict_proba needs a classification criterion; this network uses {self.criterion!r}."
            )
        logits = self.forward(X)
        return softmax(logits) if isinstance(self.criterion, CrossEntropyLoss) else sigmoid(logits)

    def predict(self, X):
        """Class indices (argmax of logits, or logit > 0 as 0/1) for classifiers; forward(X) otherwise."""
        return self._predictions(self.forward(X))

    def _predictions(self, out):
        if isinstance(self.criterion, CrossEntropyLoss):
            return out.argmax(axis=1)
        if isinstance(self.criterion, BCEWithLogitsLoss):
            return (out > 0).astype(np.int64)
        return out

    def score(self, X, y):
        """Accuracy for classifiers; R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² otherwise (see scratch.metrics)."""
        scorer = accuracy if self.is_classifier else r2_score
        out = self.forward(X)
        return scorer(self._check_target(y, out), self._predictions(out))
