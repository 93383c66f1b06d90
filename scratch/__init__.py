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

import importlib

__version__ = "0.2.0"
_EXPORTS = {  # name → the module that defines it, imported on first use (PEP 562): `scratch --help` needs no NumPy
    "LinearRegression": "scratch.models", "LogisticRegression": "scratch.models", "SoftmaxRegression": "scratch.models",
    "ScalePixels": "scratch.preprocessing", "Standardize": "scratch.preprocessing",
    "SGD": "scratch.optim", "fit": "scratch.training", "fit_lbfgs": "scratch.training",
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'scratch' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
