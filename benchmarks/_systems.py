"""The same SGD loop in every system, for the benchmarks: softmax regression or a layer stack.

A model is named as on the command line: "softmax", or layers such as "dense:128,relu,dense"
(``scratch.cli.tasks.parse_sequential``). ``initial_model`` draws scratch's float32 model with
nn.Linear's initialisation; both runners start from it (``TorchRunner`` loads its state dict,
which has PyTorch's keys and layouts, into the equivalent torch module), see the same batch order
and feed batches the same way: gather the uint8 rows of the batch, then convert them to float32
as x / 255 (an IEEE division in both, so the inputs are bit-identical: scratch's model does it
through its ``ScalePixels()`` transform). Both take raw uint8 test images for accuracy.

scratch trains with its real driver, ``scratch.training.fit``, one call per epoch sharing
one ``numpy.random.Generator``: fit draws ``rng.permutation(N)`` per epoch, and
``epoch_orders`` draws the identical permutations for PyTorch. With ``T_max``, each system
anneals its lr with its own ``CosineAnnealingLR`` (scratch's and torch's), stepped per epoch.
"""

import copy
import statistics
import time

import numpy as np

import _common
from scratch.cli.tasks import parse_sequential
from scratch.models import SoftmaxRegression
from scratch.nn import CrossEntropyLoss, Linear, Network, ReLU
from scratch.optim import SGD, CosineAnnealingLR
from scratch.preprocessing import PIXEL_MAX, ScalePixels
from scratch.training import fit


def initial_model(spec, n_features, n_classes, seed):
    """scratch's float32 model for uint8 pixels: SoftmaxRegression, or a Network of the layer spec."""
    if spec == "softmax":
        return SoftmaxRegression(n_features, n_classes, init="torch", seed=seed, dtype=np.float32,
                                 transform=ScalePixels())
    net = parse_sequential(spec, n_features, n_classes, seed=seed, dtype=np.float32)
    return Network(net, CrossEntropyLoss(), transform=ScalePixels())


def torch_module(model):
    """The torch module computing what ``model`` computes, with its weights (nn.Linear, or nn.Sequential)."""
    import torch

    if isinstance(model, SoftmaxRegression):
        module = torch.nn.Linear(model.n_features, model.n_classes)
    else:
        layers = {Linear: lambda layer: torch.nn.Linear(layer.in_features, layer.out_features),
                  ReLU: lambda layer: torch.nn.ReLU()}
        module = torch.nn.Sequential(*(layers[type(layer)](layer) for layer in model.net))
    module.load_state_dict({key: torch.from_numpy(value) for key, value in model.state_dict().items()})
    return module


def epoch_orders(n_samples, seed):
    """The batch order of each epoch, as ``fit(..., seed=seed)`` draws it: an endless generator."""
    rng = np.random.default_rng(seed)
    while True:
        yield rng.permutation(n_samples)


class ScratchRunner:
    """scratch: a copy of the model (float32, ScalePixels) + SGD, trained by ``fit``, one epoch per call."""

    name = "scratch"

    def __init__(self, model, X, y, *, lr, momentum=0.0, T_max=None, seed=0, threads=None):
        self.model = copy.deepcopy(model)
        self.threads = threads  # fit's threads=: None lets scratch.threads choose
        self.threads_used = []  # the BLAS threads of each epoch (fit's history.threads)
        self.optimizer = SGD(self.model.params, lr=lr, momentum=momentum)
        self.scheduler = CosineAnnealingLR(self.optimizer, T_max) if T_max else None
        self.X, self.y = X, y
        self._rng = np.random.default_rng(seed)  # fit continues this stream epoch after epoch

    def train_epoch(self, batch_size):
        """One epoch; returns fit's own timing of the training steps (seconds)."""
        history = fit(self.model, self.X, self.y, epochs=1, batch_size=batch_size, optimizer=self.optimizer,
                      scheduler=self.scheduler, seed=self._rng, threads=self.threads)
        self.threads_used.append(history.threads[0])
        return history.seconds[0]

    def accuracy(self, X, y):
        """Accuracy on raw uint8 images X (N, D): the model scales them itself."""
        return float(self.model.score(X, y))

    def weights(self):
        """The parameters under PyTorch's keys and layouts."""
        return self.model.state_dict()


class TorchRunner:
    """PyTorch: the equivalent module + CrossEntropyLoss + optim.SGD on CPU, the idiomatic loop."""

    name = "torch"

    def __init__(self, model, X, y, *, lr, momentum=0.0, T_max=None, seed=0):
        import torch

        self.torch = torch
        self.model = torch_module(model)
        self.criterion = torch.nn.CrossEntropyLoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=momentum)
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max) if T_max else None
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)
        self._orders = epoch_orders(len(X), seed)

    def train_epoch(self, batch_size):
        """One epoch in the idiomatic loop; returns its seconds (perf_counter)."""
        started = time.perf_counter()
        order = self.torch.from_numpy(next(self._orders))
        model, criterion, optimizer = self.model, self.criterion, self.optimizer
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            inputs = self.X[idx].float().div_(PIXEL_MAX)
            loss = criterion(model(inputs), self.y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        return time.perf_counter() - started

    def accuracy(self, X, y):
        """Accuracy on raw uint8 images X (N, D), converted as the training batches are."""
        with self.torch.no_grad():
            predicted = self.model(self.torch.from_numpy(X).float().div_(PIXEL_MAX)).argmax(dim=1).numpy()
        return float(np.mean(predicted == y))

    def weights(self):
        return {key: value.detach().numpy() for key, value in self.model.state_dict().items()}


def max_weight_difference(a, b):
    """The largest absolute difference between two runners' parameters."""
    wa, wb = a.weights(), b.weights()
    return max(float(np.abs(wa[key] - wb[key]).max()) for key in wa)


def available_runners():
    """The runner classes whose library is installed: scratch always, torch when importable."""
    runners = [ScratchRunner]
    try:
        import torch  # noqa: F401
    except ImportError:
        return runners
    return runners + [TorchRunner]


# ---- what the scripts measure with them ---------------------------------------------------------
def speed_row(runners, batch_size, timed_epochs, test=None):
    """Interleaved epochs of every runner at one batch size: median s/epoch, and with test data
    (X, y) the test accuracies and the runners' agreement.

    Who goes first alternates; epoch 0 warms caches, allocators and thread pools and is not timed.
    """
    seconds = {r.name: [] for r in runners}
    accuracy = {r.name: [] for r in runners}
    for epoch in range(1 + timed_epochs):
        for r in runners[::1 if epoch % 2 else -1]:
            t = r.train_epoch(batch_size)
            if epoch > 0:
                seconds[r.name].append(t)
            if test is not None:
                accuracy[r.name].append(r.accuracy(*test))
    row = {"batch": batch_size, **{f"{r.name}_s": statistics.median(seconds[r.name]) for r in runners}}
    if test is None:
        return row
    row.update({f"{r.name}_acc": accuracy[r.name][-1] for r in runners})
    by_name = {r.name: r for r in runners}
    if {"scratch", "torch"} <= set(by_name):
        row["scratch/torch"] = row["scratch_s"] / row["torch_s"]
        row["max_acc_diff"] = max(abs(a - b) for a, b in zip(accuracy["scratch"], accuracy["torch"]))
        row["max_W_diff"] = max_weight_difference(by_name["scratch"], by_name["torch"])
    return row


def time_to_accuracy(model, train, test, thresholds, recipe, seed):
    """Train every available system with the recipe (cosine lr per epoch), test accuracy after each epoch.

    Returns (rows, curves): per system its training seconds, final test accuracy, and the seconds
    (evaluation excluded) and epochs until each threshold (``_common.threshold_columns``);
    curves are [(seconds, accuracy)] per epoch.
    """
    T_max = recipe["epochs"] if recipe["schedule"] == "cosine" else None
    runners = [R(model, *train, lr=recipe["lr"], momentum=recipe["momentum"], T_max=T_max, seed=seed)
               for R in available_runners()]
    elapsed = {r.name: 0.0 for r in runners}
    curves = {r.name: [] for r in runners}
    for epoch in range(recipe["epochs"]):
        for r in runners[::1 if epoch % 2 else -1]:
            elapsed[r.name] += r.train_epoch(recipe["batch_size"])
            curves[r.name].append((elapsed[r.name], r.accuracy(*test)))
    rows = []
    for r in runners:
        hits = {threshold: next(((t, e + 1) for e, (t, acc) in enumerate(curves[r.name]) if acc >= threshold),
                                (None, None)) for threshold in thresholds}
        rows.append({"system": r.name, "fit_s": elapsed[r.name], "test_acc": curves[r.name][-1][1],
                     **_common.threshold_columns(hits)})
    return rows, curves
