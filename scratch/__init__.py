"""scratch: an introductory PyTorch lecture rebuilt from scratch in NumPy.

The models, with hand-derived gradients::

    >>> import numpy as np, scratch
    >>> model = scratch.SoftmaxRegression(n_features=4, n_classes=3, init="torch", seed=0)
    >>> loss, grads = model.loss_grad(np.ones((2, 4)), np.array([0, 2]))
    >>> grads["W"].shape, grads["b"].shape
    ((4, 3), (3,))

Modules, one concept each: numerics, losses, models, optim, training, optimum, layers, nn,
autograd, gradcheck, idx, datasets, images, metrics, plots, persistence, tasks, runs, slides, cli.
"""

from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.optim import SGD
from scratch.training import fit

__version__ = "0.1.0"
__all__ = ["LinearRegression", "LogisticRegression", "SoftmaxRegression", "SGD", "fit"]
