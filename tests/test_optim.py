"""scratch.optim.SGD and the schedules against torch.optim, plus argument checks."""

import warnings
import itertools

import numpy as np
import pytest

from scratch.optim import SGD, CosineAnnealingLR, StepLR

from conftest import assert_raises_naming, case

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


@pytest.mark.parametrize("nesterov", [False, True])
def test_float32_parameters_are_updated_in_float32_whatever_the_types_of_the_numbers_given(nesterov):
    """NumPy-scalar hyperparameters and float64 or integer gradients give the update of Python floats and
    float32 gradients, bit for bit (as in PyTorch, where a gradient has its parameter's dtype)."""
    rng = np.random.default_rng(0)
    start = rng.standard_normal(5).astype(np.float32)
    grads = [rng.integers(-3, 4, 5) for _ in range(4)]
    options = dict(lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=nesterov)
    reference, other = start.copy(), start.copy()
    ours = SGD([reference], **options)
    theirs = SGD([other], **{k: v if isinstance(v, bool) else np.float64(v) for k, v in options.items()})
    for g in grads:
        ours.step([g.astype(np.float32)])
        theirs.step([g.astype(np.float64) if g[0] % 2 else g])
    assert other.dtype == np.float32
    np.testing.assert_array_equal(other, reference)


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(lr=-0.1), "Invalid learning rate: -0.1 \\(lr must be ≥ 0\\)"),
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


def test_sgd_checks_every_gradient_before_updating_any_parameter():
    W, b = np.ones(3), np.ones(2)
    optimizer = SGD({"W": W, "b": b}, lr=0.1)
    for bad in (np.zeros(3), np.array(["a", "b"]), np.zeros(2, complex)):
        with pytest.raises((ValueError, TypeError), match=r"grads\['b'\]"):
            optimizer.step({"W": np.ones(3), "b": bad})
    np.testing.assert_array_equal(W, np.ones(3))  # the first parameter was not touched either
    assert optimizer.parameters()[0] is W and optimizer.parameters()[1] is b


def lr_trajectories(torch, make, epochs=20, base_lr=0.3):
    """The lr of each epoch under a scheduler built by make(torch_module, optimizer), scratch and torch."""
    import scratch.optim

    ours_opt = SGD([np.zeros(1)], lr=base_lr)
    torch_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    ours, theirs = make(scratch.optim, ours_opt), make(torch.optim.lr_scheduler, torch_opt)
    ours_lrs, torch_lrs = [], []
    for epoch in range(epochs):
        assert ours.last_epoch == theirs.last_epoch == epoch
        ours_lrs.append(ours_opt.lr)
        torch_lrs.append(torch_opt.param_groups[0]["lr"])
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-10, atol=1e-14)
        torch_opt.step(), ours_opt.step([np.zeros(1)])
        ours.step(), theirs.step()
    return ours_lrs, torch_lrs


@pytest.mark.parametrize("step_size, gamma", [(1, 0.5), (3, 0.1), (7, 0.9)])
def test_step_lr_matches_torch_over_20_epochs(step_size, gamma):
    torch = pytest.importorskip("torch")
    ours, theirs = lr_trajectories(torch, lambda module, opt: module.StepLR(opt, step_size, gamma))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    assert ours[0] == 0.3 and ours[-1] == pytest.approx(0.3 * gamma ** (19 // step_size))


@pytest.mark.parametrize("T_max, eta_min", [(5, 0.0), (10, 0.01), (1, 0.0), (20, 0.0)])
def test_cosine_annealing_lr_matches_torch_over_20_epochs(T_max, eta_min):
    torch = pytest.importorskip("torch")
    ours, theirs = lr_trajectories(torch, lambda module, opt: module.CosineAnnealingLR(opt, T_max, eta_min))
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)
    assert len(set(np.round(ours, 12))) > 1


def test_a_scheduler_sets_the_optimizers_lr_at_each_step():
    optimizer = SGD([np.zeros(1)], lr=1.0)
    scheduler = CosineAnnealingLR(optimizer, T_max=2)
    assert (scheduler.last_epoch, optimizer.lr, scheduler.get_last_lr()) == (0, 1.0, [1.0])
    optimizer.step([np.zeros(1)])
    scheduler.step()
    assert (scheduler.last_epoch, optimizer.lr) == (1, pytest.approx(0.5))
    scheduler.step()
    assert optimizer.lr == pytest.approx(0.0)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: StepLR(SGD([np.zeros(1)], 0.1), 0), "step_size must be an integer ≥ 1"),
        (lambda: StepLR(SGD([np.zeros(1)], 0.1), 2.5), "step_size must be an integer"),
        (lambda: CosineAnnealingLR(SGD([np.zeros(1)], 0.1), 10, eta_min=-1), "Invalid minimum learning rate"),
        (lambda: CosineAnnealingLR(0.1, 10), "optimizer must be an optimizer"),
        (lambda: [s.step() for s in [StepLR(SGD([np.zeros(1)], 0.1), 1, gamma=1e300)] for _ in "12"], "lr must be finite"),
        (lambda: StepLR(SGD([np.zeros(1)], 10.0), 1, gamma=1e308).step(), "lr must be finite"),
    ],
)
@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)`")
def test_schedulers_reject_bad_arguments(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


@pytest.mark.parametrize("epochs", [12, 31])
def test_two_schedulers_on_one_optimizer_compose_as_in_torch(epochs):
    """Each scheduler scales the lr the other left (PyTorch's chainable step), not its own closed form."""
    torch = pytest.importorskip("torch")
    ours_opt = SGD([np.zeros(1)], lr=0.3)
    torch_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
    ours = [StepLR(ours_opt, 4, 0.5), CosineAnnealingLR(ours_opt, T_max=5, eta_min=0.01)]
    theirs = [torch.optim.lr_scheduler.StepLR(torch_opt, 4, 0.5),
              torch.optim.lr_scheduler.CosineAnnealingLR(torch_opt, T_max=5, eta_min=0.01)]
    ours_lrs, torch_lrs = [], []
    for _ in range(epochs):
        ours_opt.step([np.zeros(1)]), torch_opt.step()
        for scheduler in ours + theirs:
            scheduler.step()
        ours_lrs.append(ours_opt.lr)
        torch_lrs.append(torch_opt.param_groups[0]["lr"])
    np.testing.assert_allclose(ours_lrs, torch_lrs, rtol=1e-12)
    alone = SGD([np.zeros(1)], lr=0.3)
    cosine_alone = CosineAnnealingLR(alone, T_max=5, eta_min=0.01)
    for _ in range(epochs):
        alone.step([np.zeros(1)]), cosine_alone.step()
    assert alone.lr != pytest.approx(ours_lrs[-1])  # the step schedule left its mark


def test_a_scheduler_stepped_before_the_optimizer_warns_as_torch_does():
    torch = pytest.importorskip("torch")
    torch_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
    with pytest.warns(UserWarning, match=r"lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        torch.optim.lr_scheduler.StepLR(torch_opt, 1).step()
    optimizer = SGD([np.zeros(1)], lr=0.3)
    with pytest.warns(UserWarning, match=r"lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        StepLR(optimizer, 1).step()
    optimizer.step([np.zeros(1)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        StepLR(optimizer, 1).step()


# ---- bad input: SGD and the schedulers (each call raises the error type and names the argument; conftest.case)
BAD_INPUT_TABLE = [
    case("SGD-lr-negative", SGD, ValueError, "lr", params=[np.zeros(3)], lr=-0.1),
    case("SGD-lr-string", SGD, TypeError, "lr", params=[np.zeros(3)], lr="0.1"),
    case("SGD-lr-nan", SGD, ValueError, "lr", params=[np.zeros(3)], lr=float("nan")),
    case("SGD-momentum-negative", SGD, ValueError, "momentum", params=[np.zeros(3)], lr=0.1, momentum=-0.9),
    case("SGD-weight_decay-negative", SGD, ValueError, "weight_decay", params=[np.zeros(3)], lr=0.1, weight_decay=-1),
    case("SGD-nesterov-without-momentum", SGD, ValueError, "momentum", params=[np.zeros(3)], lr=0.1, nesterov=True),
    case("SGD-params-empty", SGD, ValueError, "params", params={}, lr=0.1),
    case("SGD-params-int", SGD, TypeError, "params", params=[np.zeros(3, np.int64)], lr=0.1),
    case("SGD.step-grads-wrong-keys", SGD({"W": np.zeros(3)}, 0.1).step, ValueError, "grads", grads={"w": np.zeros(3)}),
    case("SGD.step-grads-wrong-shape", SGD({"W": np.zeros(3)}, 0.1).step, ValueError, "grads",
         grads={"W": np.zeros(2)}),
    case("SGD.step-grads-list-not-array", SGD([np.zeros(3)], 0.1).step, TypeError, "grads",
         grads=[[1.0, 2.0, 3.0]]),
    case("SGD.step-grads-string", SGD([np.zeros(3)], 0.1).step, TypeError, "grads", grads=[np.array(["a"] * 3)]),
    case("StepLR-step_size-0", StepLR, ValueError, "step_size", optimizer=SGD([np.zeros(3)], 0.1), step_size=0),
    case("StepLR-gamma-negative", StepLR, ValueError, "gamma",
         optimizer=SGD([np.zeros(3)], 0.1), step_size=1, gamma=-0.1),
    case("StepLR-optimizer-string", StepLR, TypeError, "optimizer", optimizer="sgd", step_size=1),
    case("CosineAnnealingLR-T_max-0", CosineAnnealingLR, ValueError, "T_max", optimizer=SGD([np.zeros(3)], 0.1), T_max=0),
]


@pytest.mark.parametrize("call, kwargs, error, argument", BAD_INPUT_TABLE)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    assert_raises_naming(call, kwargs, error, argument)
