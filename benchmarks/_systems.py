"""The same softmax-regression SGD loop in every system, for the benchmarks.

Both runners start from the same weights (scratch's ``init="torch"`` draw, copied into
``torch.nn.Linear``), see the same batch order and feed batches the same way: gather the
uint8 rows of the batch, then convert them to float32 as x / 255 (an IEEE division in both,
so the inputs are bit-identical). Training is float32 in both.

scratch trains with its real driver, ``scratch.training.fit``, one call per epoch sharing
one ``numpy.random.Generator``: fit draws ``rng.permutation(N)`` per epoch, and
``epoch_orders`` draws the identical permutations for PyTorch.
"""

import time

import numpy as np

from scratch.models import SoftmaxRegression
from scratch.optim import SGD
from scratch.training import fit

PIXEL_SCALE = 255  # uint8 pixel → float32 in [0, 1]


def initial_weights(n_features, n_classes, seed):
    """nn.Linear's uniform(±1/√D) draw, as float32 arrays W (D, K) and b (K,), from scratch's init."""
    model = SoftmaxRegression(n_features, n_classes, init="torch", seed=seed, dtype=np.float32)
    return model.params["W"].copy(), model.params["b"].copy()


def epoch_orders(n_samples, seed):
    """The batch order of each epoch, as ``fit(..., seed=seed)`` draws it: an endless generator."""
    rng = np.random.default_rng(seed)
    while True:
        yield rng.permutation(n_samples)


def scale_pixels(X):
    """uint8 (N, D) → float32 x / 255 (N, D), for evaluation sets converted once."""
    return np.divide(X, np.float32(PIXEL_SCALE), dtype=np.float32)


class ScratchRunner:
    """scratch: SoftmaxRegression (float32) + SGD trained by ``fit``, one epoch per call."""

    name = "scratch"

    def __init__(self, W, b, X, y, *, lr, momentum=0.0, seed=0):
        self.model = SoftmaxRegression(W.shape[0], W.shape[1], dtype=np.float32)
        self.model.params["W"][...] = W
        self.model.params["b"][...] = b
        self.optimizer = SGD(self.model.params, lr=lr, momentum=momentum)
        self.X, self.y = X, y
        self._rng = np.random.default_rng(seed)  # fit continues this stream epoch after epoch

    def set_lr(self, lr):
        self.optimizer.lr = lr

    def train_epoch(self, batch_size):
        """One epoch; returns fit's own timing of the training steps (seconds)."""
        history = fit(self.model, self.X, self.y, epochs=1, batch_size=batch_size, optimizer=self.optimizer,
                      seed=self._rng, verbose=False)
        return history.seconds[0]

    def accuracy(self, X_float, y):
        return float(self.model.score(X_float, y))

    def weights(self):
        return self.model.params["W"], self.model.params["b"]


class TorchRunner:
    """PyTorch: nn.Linear + CrossEntropyLoss + optim.SGD on CPU, the idiomatic loop."""

    name = "torch"

    def __init__(self, W, b, X, y, *, lr, momentum=0.0, seed=0):
        import torch

        self.torch = torch
        self.model = torch.nn.Linear(W.shape[0], W.shape[1])
        with torch.no_grad():
            self.model.weight.copy_(torch.from_numpy(W.T.copy()))
            self.model.bias.copy_(torch.from_numpy(b))
        self.criterion = torch.nn.CrossEntropyLoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=momentum)
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)
        self._orders = epoch_orders(len(X), seed)

    def set_lr(self, lr):
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def train_epoch(self, batch_size):
        """One epoch in the idiomatic loop; returns its seconds (perf_counter)."""
        started = time.perf_counter()
        order = self.torch.from_numpy(next(self._orders))
        model, criterion, optimizer = self.model, self.criterion, self.optimizer
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            inputs = self.X[idx].float().div_(PIXEL_SCALE)
            loss = criterion(model(inputs), self.y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return time.perf_counter() - started

    def accuracy(self, X_float, y):
        with self.torch.no_grad():
            predicted = self.model(self.torch.from_numpy(X_float)).argmax(dim=1).numpy()
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
