"""Shared test helpers: the finite-difference oracle every gradient test compares against."""

import numpy as np


def numerical_grad(f, x, eps=1e-6):
    """Central differences of the scalar f(x) with respect to the float array x.

    ∂f/∂xᵢ ≈ (f(x + eps·eᵢ) − f(x − eps·eᵢ)) / (2·eps), truncation error O(eps²).
    x is perturbed IN PLACE, one entry at a time, and restored exactly afterwards, so f may
    also ignore its argument and read x through a closure (a model parameter, say):
    ``numerical_grad(lambda _: model.loss(X, y), model.params["W"])``.
    Returns an array of x's shape, in float64.
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        f_plus = f(x)
        x[index] = original - eps
        f_minus = f(x)
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad
