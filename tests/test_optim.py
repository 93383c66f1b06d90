"""scratch.optim.SGD and the schedules against torch.optim, plus argument checks."""

import itertools

import numpy as np
import pytest

from scratch.optim import SGD, CosineAnnealingLR, StepLR

A = np.random.default_rng(0).standard_normal((3, 3))
A = A @ A.T / 3 + np.eye(3)  # positive definite: gradient descent on ½θᵀAθ − cθ is stable
C = np.arange(12.0).reshape(3, 4) / 7


def quadratic_grads(W, b):
    """Gradients of ½ tr(WᵀAW) − ⟨C, W⟩ + (b − 1)², which depend on the current parameters."""
    return A @ W - C, 2 * (b - 1)


def torch_accepts(momentum, dampening, nesterov):
    return not nesterov or (momentum > 0 and dampening == 0)


COMBOS = list(itertools.product([0, 0.9], [0, 0.5], [False, True], [0, 0.01], [False, True]))


def sgd_trajectory_numpy(options, steps=50):
    params = {"W": np.linspace(-1, 1, 12).reshape(3, 4), "b": np.asarray(0.3)}
    optimizer = SGD(params, lr=0.05, **options)
    trajectory = []
    for _ in range(steps):
        g_w, g_b = quadratic_grads(params["W"], params["b"])
        optimizer.step({"W": g_w, "b": g_b})
        trajectory.append(np.concatenate([params["W"].ravel(), [params["b"]]]))
    return np.array(trajectory)


def sgd_trajectory_torch(torch, options, steps=50):
    W = torch.tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)
    b = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([W, b], lr=0.05, **options)
    trajectory = []
    for _ in range(steps):
        g_w, g_b = quadratic_grads(W.detach().numpy(), b.detach().numpy())
        W.grad, b.grad = torch.from_numpy(g_w), torch.tensor(g_b)
        optimizer.step()
        trajectory.append(np.concatenate([W.detach().numpy().ravel(), [b.item()]]))
    return np.array(trajectory)


@pytest.mark.parametrize("momentum, dampening, nesterov, weight_decay, maximize", COMBOS)
def test_sgd_50_step_trajectory_matches_torch(momentum, dampening, nesterov, weight_decay, maximize):
    torch = pytest.importorskip("torch")
    options = dict(
        momentum=momentum, dampening=dampening, nesterov=nesterov, weight_decay=weight_decay, maximize=maximize
    )
    if not torch_accepts(momentum, dampening, nesterov):
        with pytest.raises(ValueError, match="Nesterov"):
            torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, **options)
        with pytest.raises(ValueError, match="Nesterov momentum requires"):
            SGD([np.zeros(1)], lr=0.1, **options)
        return
    ours = sgd_trajectory_numpy(options)
    theirs = sgd_trajectory_torch(torch, options)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    assert not np.allclose(ours[0], ours[-1])  # the parameters really moved


def test_sgd_with_list_params_matches_dict_params():
    dict_run = sgd_trajectory_numpy(dict(momentum=0.9), steps=5)
    W, b = np.linspace(-1, 1, 12).reshape(3, 4), np.asarray(0.3)
    optimizer = SGD([W, b], lr=0.05, momentum=0.9)
    for _ in range(5):
        optimizer.step(list(quadratic_grads(W, b)))
    np.testing.assert_array_equal(np.concatenate([W.ravel(), [b]]), dict_run[-1])


def test_sgd_reproduces_the_lecture_logistic_step():
    theta = np.array([0.1, 0.5, -0.1])
    SGD([theta], lr=0.01).step([np.array([0.289618, 0.282172, -0.006492])])
    # the slide prints [0.0971, 0.4971, −0.099]: these exact values truncated
    np.testing.assert_allclose(theta, [0.097104, 0.497178, -0.099935], atol=5e-7)


def test_sgd_updates_in_place_and_leaves_the_gradients_alone():
    W = np.ones(3)
    grad = np.array([1.0, -2.0, 0.5])
    before = grad.copy()
    optimizer = SGD({"W": W}, lr=0.1, momentum=0.9, weight_decay=0.1, nesterov=True, maximize=True)
    optimizer.step({"W": grad})
    optimizer.step({"W": grad})
    np.testing.assert_array_equal(grad, before)
    assert not np.array_equal(W, np.ones(3))


def test_sgd_keeps_float32_parameters_float32():
    W = np.ones(4, np.float32)
    SGD([W], lr=0.1, momentum=0.9).step([np.ones(4, np.float32)])
    assert W.dtype == np.float32
    np.testing.assert_allclose(W, 0.9)


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(lr=-0.1), "Invalid learning rate: lr must be ≥ 0"),
        (dict(lr=0.1, momentum=-0.5), "Invalid momentum value"),
        (dict(lr=0.1, weight_decay=-1e-4), "Invalid weight_decay value"),
    ],
)
def test_sgd_rejects_negative_hyper_parameters_like_torch(options, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match=message.split(":")[0]):
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], **options)
    with pytest.raises(ValueError, match=message):
        SGD([np.zeros(1)], **options)


def test_sgd_rejects_a_negative_lr_set_by_a_schedule():
    optimizer = SGD([np.zeros(1)], lr=0.1)
    with pytest.raises(ValueError, match="lr must be ≥ 0"):
        optimizer.lr = -1.0


@pytest.mark.parametrize(
    "params, error, message",
    [
        ([[1.0, 2.0]], TypeError, r"params\[0\] must be a float ndarray"),
        ([np.zeros(2, np.int64)], TypeError, "of dtype int64"),
        ([], ValueError, "at least one array"),
    ],
)
def test_sgd_rejects_params_it_cannot_update_in_place(params, error, message):
    with pytest.raises(error, match=message):
        SGD(params, lr=0.1)


def test_sgd_step_names_a_mismatched_gradient():
    optimizer = SGD({"W": np.zeros((2, 3)), "b": np.zeros(3)}, lr=0.1)
    with pytest.raises(ValueError, match=r"grads\['W'\] has shape \(3, 2\)"):
        optimizer.step({"W": np.zeros((3, 2)), "b": np.zeros(3)})
    with pytest.raises(ValueError, match="keys of params"):
        optimizer.step({"W": np.zeros((2, 3))})
    with pytest.raises(ValueError, match="must hold 1 arrays"):
        SGD([np.zeros(1)], lr=0.1).step([np.zeros(1), np.zeros(1)])


def torch_schedule(torch, make_scheduler, base_lr, epochs):
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for _ in range(epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


@pytest.mark.parametrize("step_size, gamma", [(1, 0.5), (3, 0.1), (7, 0.9)])
def test_step_lr_matches_torch(step_size, gamma):
    torch = pytest.importorskip("torch")
    theirs = torch_schedule(torch, lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size, gamma), 0.3, 25)
    ours = [StepLR(step_size, gamma)(0.3, epoch) for epoch in range(25)]
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("T_max, eta_min", [(5, 0.0), (10, 0.01), (1, 0.0)])
def test_cosine_annealing_lr_matches_torch_over_several_periods(T_max, eta_min):
    torch = pytest.importorskip("torch")
    make = lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max, eta_min)  # noqa: E731
    theirs = torch_schedule(torch, make, 0.3, 3 * T_max + 1)
    ours = [CosineAnnealingLR(T_max, eta_min)(0.3, epoch) for epoch in range(3 * T_max + 1)]
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: StepLR(0), "step_size must lie in"),
        (lambda: StepLR(2.5), "step_size must be an integer"),
        (lambda: CosineAnnealingLR(10, eta_min=-1), "Invalid minimum learning rate"),
    ],
)
def test_schedules_reject_bad_arguments(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()
