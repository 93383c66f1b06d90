"""scratch: an introductory PyTorch lecture rebuilt from scratch in NumPy.

The models, with hand-derived gradients::

    >>> import numpy as np, scratch
    >>> model = scratch.SoftmaxRegression(n_features=4, n_classes=3, init="torch", seed=0)
    >>> loss, grads = model.loss_grad(np.ones((2, 4)), np.array([0, 2]))
    >>> grads["W"].shape, grads["b"].shape
    ((4, 3), (3,))

The lecture's concepts, one module each: numerics, losses, models, preprocessing, optim,
training, nn, autograd, gradcheck; their data and output: idx, datasets, images, metrics,
plots, persistence. The ``scratch`` command-line application lives apart, in scratch.cli.
"""

from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.optim import SGD
from scratch.preprocessing import ScalePixels, Standardize
from scratch.training import fit, fit_lbfgs

__version__ = "0.2.0"
__all__ = [
    "LinearRegression", "LogisticRegression", "SoftmaxRegression", "ScalePixels", "Standardize",
    "SGD", "fit", "fit_lbfgs",
]
