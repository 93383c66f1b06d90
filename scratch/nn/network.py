"""``Network``: a Sequential plus its criterion, with the model surface of ``scratch.models``.

A Network has ``params``, ``dtype``, ``n_features``, ``transform``, ``criterion``,
``prepare``, ``forward``, ``loss``, ``loss_grad``, ``predict``, ``predict_proba`` and
``score``, so ``scratch.optim.SGD(network.params, lr)`` and ``scratch.training.fit`` train
it exactly like ``scratch.models.SoftmaxRegression``. What the outputs mean (targets,
predictions, probabilities, score) is the criterion's head; the Network asks it.

The softmax gotcha: ``nn.CrossEntropyLoss`` applies log-softmax itself, so in PyTorch a
``Softmax`` layer before it is applied twice (the loss then sees probabilities as logits and
learns slowly). ``Network`` treats a trailing layer of type ``criterion.head`` (``Softmax``
before ``CrossEntropyLoss``, ``Sigmoid`` before ``BCEWithLogitsLoss``) as the probability
head: the loss and its gradient use the logits before it, ``predict_proba`` the head's
output. That is what the slides mean. ``criterion(net(X), y)`` on a bare ``Sequential``
reproduces PyTorch literally.
"""

import numpy as np

from scratch._validation import check_array, check_sample_weight
from scratch.nn.container import Sequential
from scratch.nn.loss import Loss
from scratch.nn.module import Module
from scratch.preprocessing import check_transform, describe_transform, prepare, transform_from_description


class Network(Module):
    """net (a Sequential) trained on criterion (a loss module); X is prepared by ``transform``.

    forward(X) → the output before any probability head: logits (N, K), or (N,) for a single
    output column unless the criterion reads one output per class. The criterion must
    reduce ("mean" or "sum"): ``loss`` is a float.
    """

    def __init__(self, net, criterion, *, transform=None):
        if not isinstance(net, Sequential):
            raise TypeError(f"net must be a scratch.nn.Sequential; got {type(net).__name__}.")
        if not isinstance(criterion, Loss):
            raise TypeError(f"criterion must be a scratch.nn loss module, e.g. CrossEntropyLoss(); got {criterion!r}.")
        if criterion.config().get("reduction") == "none":
            raise ValueError('criterion must reduce to a number for training; got reduction="none".')
        if net.in_features is None:
            raise ValueError(
                f"net must contain a Linear layer, whose in_features gives the network's number of input "
                f"features; got {net!r}."
            )
        self.net, self.criterion = net, criterion
        self.transform = check_transform(transform)
        ends_in_head = criterion.head is not None and isinstance(net[-1], criterion.head)
        self.body = net[:-1] if ends_in_head else net  # what the loss sees: the logits before the head

    # ---- the model surface --------------------------------------------------------------
    @property
    def params(self):
        return self.net.params

    @property
    def dtype(self):
        return self.net.dtype

    @property
    def n_features(self):
        return self.net.in_features

    def _all_parameters(self, prefix=""):
        """The net's parameters under the net's own keys: state_dict() is torch.nn.Sequential's."""
        return self.net._all_parameters(prefix)

    def config(self):
        return {
            "net": self.net.describe(),
            "criterion": self.criterion.describe(),
            "transform": describe_transform(self.transform),
        }

    @classmethod
    def from_config(cls, config):
        if not isinstance(config, dict) or not {"net", "criterion"} <= set(config):
            raise ValueError(f"a Network's config is {{'net': …, 'criterion': …, 'transform': …}}; got {config}.")
        net, criterion = Module.from_description(config["net"]), Module.from_description(config["criterion"])
        return cls(net, criterion, transform=transform_from_description(config.get("transform")))

    def __repr__(self):
        transform = f", transform={self.transform!r}" if self.transform is not None else ""
        return f"Network({self.net!r}, {self.criterion!r}{transform})"

    # ---- forward ------------------------------------------------------------------------
    def prepare(self, X):
        """Samples (N, …) → net input (N, n_features) in the net's dtype, through ``transform``."""
        return prepare(X, self.n_features, self.dtype, self.transform)

    def _logits(self, X):
        """(body output (N, K), tape) for samples X. A NaN in X is reported as such."""
        x = self.prepare(X)
        with np.errstate(invalid="ignore", over="ignore"):
            out, tape = self.body._forward(x)
        if not np.isfinite(out).all():
            check_array(x, "X")
        return out, tape

    def _flat(self, out):
        """(N, 1) → (N,) unless the criterion reads one output per class."""
        return out[:, 0] if out.shape[1] == 1 and self.criterion.kind != "multiclass" else out

    def forward(self, X):
        """The output before any probability head: logits (N, K) or (N,), or predictions for MSELoss."""
        return self._flat(self._logits(X)[0])

    # ---- loss and gradient --------------------------------------------------------------
    def loss(self, X, y):
        """The criterion on forward(X), a float."""
        out = self.forward(X)
        return float(self.criterion(out, self.criterion.check_target(y, out)))

    def loss_grad(self, X, y, sample_weight=None):
        """(loss, grads keyed like params): ∂L/∂output from the criterion, then back through the body.

        sample_weight w: (N,) weighs each sample's loss, as the criterion's ``loss_and_grad`` says.
        X, y and w are checked here; the rest is ``_loss_grad_of``.
        """
        out, tape = self._logits(X)
        flat = self._flat(out)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, len(flat), batch=True).astype(self.dtype, copy=False)
        return self._loss_grad_of(out, tape, self.criterion.check_target(y, flat), sample_weight)

    def _loss_grad_prepared(self, x, y, w=None):
        """``loss_grad`` of data checked before: what ``fit`` calls for each batch, having checked its
        whole X (finite), y and weights once. x: net input (``prepare``); y: targets from
        ``check_target``; w: None or weights (N,) ≥ 0 in the net's dtype. Nothing is checked here.
        """
        return self._loss_grad_of(*self.body._forward(x), y, w)

    def _loss_grad_of(self, out, tape, y, w):
        """(loss, grads) from the body's output and tape, for targets the criterion has checked.

        The first layer's ∂L/∂x is not computed: nothing needs it.
        """
        loss, g = self.criterion._loss_and_grad_of_checked(self._flat(out), y, w)
        return loss, self.body._backward(tape, g.reshape(out.shape), need_input_grad=False)[1]

    def check_target(self, y):
        """y checked by the criterion as targets for this network's outputs — what ``fit`` checks once, up front."""
        return self.criterion.target_for(y, self.body.out_features, self.dtype)

    # ---- the head -----------------------------------------------------------------------
    def predict_proba(self, X):
        """P(class | x): softmax(logits) (N, K) for CrossEntropyLoss, σ(logits) (N,) for BCEWithLogitsLoss."""
        return self.criterion.predict_proba(self.forward(X))

    def predict(self, X):
        """Class indices (argmax of logits, or logit > 0 as 0/1) for classifiers; forward(X) otherwise."""
        return self.criterion.predict(self.forward(X))

    def score(self, X, y):
        """Accuracy for classifiers; R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² otherwise (see scratch.metrics)."""
        out = self.forward(X)
        return self.criterion.score(self.criterion.check_target(y, out), self.criterion.predict(out))
