"""The full-batch optimum of a model's loss, by L-BFGS: what minibatch SGD should approach.

    minimise over θ:  J(θ) = L(θ; X, y) + (l2 / 2)·Σ ‖W‖²      (biases are not penalised)
    ∇J = ∇L + l2·W,   with L, ∇L from ``model.loss_grad(X, y)``

With ``l2 = 1 / (C·N)`` this is scikit-learn's ``LogisticRegression(C=C)`` objective divided by N.
"""

import numpy as np
import scipy.optimize

from scratch._validation import check_number
from scratch.training import _check_training_data, as_model_input

BIAS_NAMES = ("b", "bias")  # parameter names (last part of "0.bias") the L2 term leaves out


def _is_bias(name):
    return str(name).rsplit(".", 1)[-1] in BIAS_NAMES


def _flatten(params):
    """One float64 vector θ holding every parameter, in ``params`` order."""
    return np.concatenate([np.ravel(p).astype(np.float64) for p in params.values()])


def _unflatten_into(theta, params):
    """Copy the slices of θ back into the live parameter arrays (cast to their dtype)."""
    offset = 0
    for p in params.values():
        p[...] = theta[offset : offset + p.size].reshape(p.shape)
        offset += p.size


def _objective(model, X, y, l2):
    """θ ↦ (J(θ), ∇J(θ)) in float64, as scipy's ``jac=True`` wants."""
    params = model.params
    penalised = [not _is_bias(name) for name in params]

    def objective(theta):
        _unflatten_into(theta, params)
        loss, grads = model.loss_grad(X, y)
        if l2:
            for name, keep in zip(params, penalised):
                if keep:
                    loss += 0.5 * l2 * float(np.sum(np.square(params[name], dtype=np.float64)))
                    grads[name] = grads[name] + l2 * params[name]
        return float(loss), _flatten(grads)

    return objective


def fit_lbfgs(model, X, y, *, l2=0.0, tol=1e-10, max_iter=10_000):
    """Minimise the model's full-batch loss (plus an optional L2 term) with L-BFGS-B.

    X: (N, D) or (N, H, W) (uint8 is scaled by 1/255, as in ``scratch.training.fit``); y: (N,).
    The model's params are set to the optimum found, starting from their current values.
    Stops when every |∂J/∂θᵢ| ≤ tol (no stop on a small decrease of J, which comes long before
    the gradient vanishes); ``success`` is False when float64 allows no further progress.
    Returns scipy's ``OptimizeResult``: ``fun`` = J, ``jac`` = ∇J (norm ≈ 0 at convergence),
    ``x`` = θ flattened in ``model.params`` order, ``success``, ``message``, ``nit``.
    """
    check_number(l2, "l2", low=0)
    check_number(tol, "tol", low=0, low_open=True)
    check_number(max_iter, "max_iter", low=1, integer=True)
    X, y = _check_training_data(X, y)
    X = as_model_input(X, model.dtype)
    objective = _objective(model, X, y, l2)
    result = scipy.optimize.minimize(
        objective,
        _flatten(model.params),
        method="L-BFGS-B",
        jac=True,
        options={"maxiter": max_iter, "ftol": 0.0, "gtol": tol, "maxfun": 2 * max_iter},
    )
    _unflatten_into(result.x, model.params)
    return result
