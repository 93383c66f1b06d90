"""The same softmax-regression SGD loop in every system, for the benchmarks.

Both runners start from the same weights (scratch's ``init="torch"`` draw, copied into
``torch.nn.Linear``), see the same batch order and feed batches the same way: gather the
uint8 rows of the batch, then convert them to float32 as x / 255 (an IEEE division in both,
so the inputs are bit-identical: scratch's model does it through its ``ScalePixels()``
transform). Training is float32 in both; both take raw uint8 test images for accuracy.

scratch trains with its real driver, ``scratch.training.fit``, one call per epoch sharing
one ``numpy.random.Generator``: fit draws ``rng.permutation(N)`` per epoch, and
``epoch_orders`` draws the identical permutations for PyTorch. With ``T_max``, each system
anneals its lr with its own ``CosineAnnealingLR`` (scratch's and torch's), stepped per epoch.
"""

import time

import numpy as np

from scratch.models import SoftmaxRegression
from scratch.optim import SGD, CosineAnnealingLR
from scratch.preprocessing import PIXEL_MAX, ScalePixels
from scratch.training import fit


def initial_weights(n_features, n_classes, seed):
    """nn.Linear's uniform(±1/√D) draw, as float32 arrays W (D, K) and b (K,), from scratch's init."""
    model = SoftmaxRegression(n_features, n_classes, init="torch", seed=seed, dtype=np.float32)
    return model.params["W"].copy(), model.params["b"].copy()


def epoch_orders(n_samples, seed):
    """The batch order of each epoch, as ``fit(..., seed=seed)`` draws it: an endless generator."""
    rng = np.random.default_rng(seed)
    while True:
        yield rng.permutation(n_samples)


class ScratchRunner:
    """scratch: SoftmaxRegression (float32, ScalePixels) + SGD trained by ``fit``, one epoch per call."""

    name = "scratch"

    def __init__(self, W, b, X, y, *, lr, momentum=0.0, T_max=None, seed=0):
        self.model = SoftmaxRegression(W.shape[0], W.shape[1], dtype=np.float32, transform=ScalePixels())
        self.model.params["W"][...] = W
        self.model.params["b"][...] = b
        self.optimizer = SGD(self.model.params, lr=lr, momentum=momentum)
        self.scheduler = CosineAnnealingLR(self.optimizer, T_max) if T_max else None
        self.X, self.y = X, y
        self._rng = np.random.default_rng(seed)  # fit continues this stream epoch after epoch

    def train_epoch(self, batch_size):
        """One epoch; returns fit's own timing of the training steps (seconds)."""
        history = fit(self.model, self.X, self.y, epochs=1, batch_size=batch_size, optimizer=self.optimizer,
                      scheduler=self.scheduler, seed=self._rng)
        return history.seconds[0]

    def accuracy(self, X, y):
        """Accuracy on raw uint8 images X (N, D): the model scales them itself."""
        return float(self.model.score(X, y))

    def weights(self):
        return self.model.params["W"], self.model.params["b"]


class TorchRunner:
    """PyTorch: nn.Linear + CrossEntropyLoss + optim.SGD on CPU, the idiomatic loop."""

    name = "torch"

    def __init__(self, W, b, X, y, *, lr, momentum=0.0, T_max=None, seed=0):
        import torch

        self.torch = torch
        self.model = torch.nn.Linear(W.shape[0], W.shape[1])
        with torch.no_grad():
            self.model.weight.copy_(torch.from_numpy(W.T.copy()))
            self.model.bias.copy_(torch.from_numpy(b))
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
        return self.model.weight.detach().numpy().T, self.model.bias.detach().numpy()


def available_runners():
    """The runner classes whose library is installed: scratch always, torch when importable."""
    runners = [ScratchRunner]
    try:
        import torch  # noqa: F401
    except ImportError:
        return runners
    return runners + [TorchRunner]
