"""PyTorch's own SGD test configurations, run against scratch.optim.SGD.

The cases come from the installed torch: ``optim_inputs_func_sgd`` and
``optim_error_inputs_func_sgd`` of ``torch/testing/_internal/common_optimizers.py`` (its
import needs the ``expecttest`` package, which the test setup installs). Every accepted
configuration must follow torch.optim.SGD's trajectory step for step; every error torch
raises at construction, scratch raises too (same type, same message start), except those
about param groups and named parameters, which scratch's SGD (one dict or list of arrays)
does not have.
"""

import warnings

import numpy as np
import pytest

from scratch.optim import SGD

torch = pytest.importorskip("torch")
common_optimizers = pytest.importorskip("torch.testing._internal.common_optimizers")

INPUTS = common_optimizers.optim_inputs_func_sgd("cpu")
ERRORS = common_optimizers.optim_error_inputs_func_sgd("cpu", torch.float64)
NOT_APPLICABLE = ("across param groups", "with/without names")  # scratch has no param groups or names
STEPS = 25


def as_numpy(value):
    return value.detach().numpy() if isinstance(value, torch.Tensor) else value


def gradient(step, theta):
    """A fixed, state-dependent gradient: that of ½θᵀAθ + sin(step)·bᵀθ."""
    A = np.array([[3.0, 0.5, 0.0], [0.5, 2.0, 0.3], [0.0, 0.3, 1.0]])
    return A @ theta + np.sin(step) * np.array([1.0, -2.0, 0.5])


@pytest.mark.parametrize("case", INPUTS, ids=[case.desc for case in INPUTS])
def test_every_sgd_configuration_of_pytorch_follows_torch_step_for_step(case):
    start = np.array([0.3, -1.2, 2.0])
    theta = start.copy()
    optimizer = SGD([theta], **{key: as_numpy(value) for key, value in case.kwargs.items()})
    reference = torch.nn.Parameter(torch.from_numpy(start.copy()))
    torch_optimizer = torch.optim.SGD([reference], **case.kwargs)
    for step in range(STEPS):
        optimizer.step([gradient(step, theta)])
        reference.grad = torch.from_numpy(gradient(step, reference.detach().numpy()))
        torch_optimizer.step()
        np.testing.assert_allclose(theta, reference.detach().numpy(), rtol=1e-12, atol=1e-14, err_msg=f"step {step}")


APPLICABLE_ERRORS = [e for e in ERRORS if not any(word in e.optimizer_error_input.desc for word in NOT_APPLICABLE)]


@pytest.mark.parametrize("error", APPLICABLE_ERRORS, ids=[e.optimizer_error_input.desc for e in APPLICABLE_ERRORS])
def test_every_construction_error_of_pytorch_is_raised_by_scratch(error):
    case = error.optimizer_error_input
    kwargs = {key: as_numpy(value) for key, value in case.kwargs.items()}
    params = case.params
    if params is None:
        params = [np.zeros(3)]
    elif isinstance(params, torch.Tensor):  # one tensor where an iterable is expected
        params = as_numpy(params).copy()
    else:  # the same parameter twice in one group
        shared = np.zeros(3)
        params = [shared for _ in params]
    if issubclass(error.error_type, Warning):
        with pytest.warns(error.error_type, match=error.error_regex):
            SGD(params, **kwargs)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(error.error_type, match=error.error_regex):
                SGD(params, **kwargs)


def test_the_cases_cover_the_default_lr_and_an_array_lr():
    descriptions = {case.desc for case in INPUTS}
    assert {"default", "tensor lr"} <= descriptions and len(APPLICABLE_ERRORS) >= 4
