"""The full-batch optimum behind ``scratch.training.fit_lbfgs``: scipy's L-BFGS-B on a model's loss.

θ is every parameter of ``model.params`` flattened into one float64 vector, in ``params``
order; L, ∇L come from ``model.loss_grad`` — the same hand-derived gradients SGD follows.
Inputs arrive checked by ``fit_lbfgs``; this module only optimises.
"""

import numpy as np

BIAS_NAMES = ("b", "bias")  # parameter names (last part of "0.bias") the L2 term leaves out


def minimize(model, X, y, sample_weight, *, l2, tol, max_iter):
    """Set ``model.params`` to the minimiser of J found from their current values; scipy's result.

    X: (N, D) model input (``prepared_once``), y: (N,), sample_weight: (N,) or None, all checked. Stops when every
    |∂J/∂θᵢ| ≤ tol or after max_iter iterations.
    """
    import scipy.optimize  # on first use: `scratch train` never needs it

    result = scipy.optimize.minimize(
        _objective(model, (X, y) if sample_weight is None else (X, y, sample_weight), l2),
        _flatten(model.params),
        method="L-BFGS-B",
        jac=True,
        options={"maxiter": max_iter, "ftol": 0.0, "gtol": tol, "maxfun": 2 * max_iter},
    )
    _unflatten_into(result.x, model.params)
    return _honest(result, tol)


def _honest(result, tol):
    """``result`` with success False unless every |∂J/∂θᵢ| ≤ tol: scipy also reports success when an
    iteration no longer lowers J in float64 (badly scaled features), whatever the gradient."""
    largest = float(np.max(np.abs(result.jac), initial=0.0))
    if result.success and not largest <= tol:
        result.success = False
        result.message = (f"stopped with max |∂J/∂θ| = {largest:.3g} > tol = {tol:g}: float64 allows no further "
                          f"progress ({result.message}); scale the features")
    return result


def _objective(model, data, l2):
    """θ ↦ (J(θ), ∇J(θ)) in float64, as scipy's ``jac=True`` wants; data: loss_grad's (X, y[, w]).

        J = L + (l2 / 2)·Σ ‖W‖²,   ∇J = ∇L + l2·W      (biases are not penalised)
    """
    params = model.params
    penalised = [name for name in params if name.rsplit(".", 1)[-1] not in BIAS_NAMES]

    def objective(theta):
        _unflatten_into(theta, params)
        loss, grads = model.loss_grad(*data)
        for name in penalised if l2 else ():
            loss += 0.5 * l2 * float(np.sum(np.square(params[name], dtype=np.float64)))
            grads[name] = grads[name] + l2 * params[name]
        return float(loss), _flatten(grads)

    return objective


def _flatten(params):
    """One float64 vector θ holding every parameter, in ``params`` order."""
    return np.concatenate([np.ravel(p).astype(np.float64) for p in params.values()])


def _unflatten_into(theta, params):
    """Copy the slices of θ back into the live parameter arrays (cast to their dtype)."""
    offset = 0
    for p in params.values():
        p[...] = theta[offset : offset + p.size].reshape(p.shape)
        offset += p.size
