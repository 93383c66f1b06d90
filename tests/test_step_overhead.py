"""fit checks its data once and then steps through each model's path for checked data.

What must hold: (1) that path computes exactly what the public ``loss_grad`` computes; (2) fit
checks the labels once per call, not once per batch; (3) every public call still checks what it
checked before; (4) a ``loss_grad`` the caller replaced or overrode is the one fit calls; (5) the
cheaper validators (the uint8 pixel path, ``check_number``, ``SGD.step``) answer as before.
Speed itself is measured in benchmarks/, never asserted here (the machine is shared).
"""

import sys

import numpy as np
import pytest

from scratch import _validation, losses
from scratch._validation import check_number
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.nn import CrossEntropyLoss, Linear, Network, ReLU, Sequential, loss as loss_module
from scratch.optim import SGD
from scratch.preprocessing import ScalePixels, scale_pixels
from scratch.training import fit

cross_entropy_module = sys.modules["scratch.losses.cross_entropy"]  # the package exports a function of that name


def _data(kind, n=50, seed=0):
    rng = np.random.default_rng(seed)
    if kind == "pixels":
        return rng.integers(0, 256, (n, 3, 4), dtype=np.uint8), rng.integers(0, 3, n)
    X = rng.normal(size=(n, 5))
    y = X @ rng.normal(size=5) + 0.1 * rng.normal(size=n)
    return X, (y > 0).astype(float) if kind == "binary" else y


def _network():
    return Network(Sequential(Linear(12, 6, seed=0, dtype=np.float32), ReLU(), Linear(6, 3, seed=1, dtype=np.float32)),
                   CrossEntropyLoss(), transform=ScalePixels())


def _models():
    return [
        ("softmax float32 pixels", lambda: SoftmaxRegression(12, 3, init="torch", seed=0, dtype=np.float32,
                                                             transform=ScalePixels()), "pixels"),
        ("network pixels", _network, "pixels"),
        ("linear", lambda: LinearRegression(5), "real"),
        ("logistic", lambda: LogisticRegression(5), "binary"),
    ]


def _manual_loop(model, X, y, w, *, epochs, batch_size, lr, seed):
    """The lecture's loop on the public API: every batch through model.loss_grad, which checks it."""
    optimizer, rng = SGD(model.params, lr), np.random.default_rng(seed)
    w = None if w is None else w / w.max() / (w / w.max()).mean()
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            optimizer.step(model.loss_grad(X[idx], y[idx], None if w is None else w[idx])[1])


# ---- (1) the checked-data path is the public one without its checks -----------------------------------
@pytest.mark.parametrize("name, make, kind", _models(), ids=[m[0] for m in _models()])
@pytest.mark.parametrize("weighted", [False, True])
def test_fit_gives_bit_for_bit_the_weights_of_a_loop_of_public_loss_grad_calls(name, make, kind, weighted):
    X, y = _data(kind)
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(X)) if weighted else None
    fitted, manual = make(), make()
    fit(fitted, X, y, epochs=3, batch_size=16, lr=0.1, seed=0, sample_weight=w)  # 16 does not divide 50
    _manual_loop(manual, X, y, w, epochs=3, batch_size=16, lr=0.1, seed=0)
    for key in fitted.params:
        np.testing.assert_array_equal(fitted.params[key], manual.params[key], err_msg=f"{name}: {key}")


@pytest.mark.parametrize("name, make, kind", _models(), ids=[m[0] for m in _models()])
def test_loss_grad_prepared_equals_loss_grad_on_prepared_input_and_checked_targets(name, make, kind):
    X, y = _data(kind)
    model = make()
    if model.transform is None and X.dtype == np.uint8:
        model.transform = ScalePixels()
    expected = model.loss_grad(X, y)
    loss, grads = model._loss_grad_prepared(model.prepare(X), model.check_target(y))
    assert loss == expected[0]
    for key in expected[1]:
        np.testing.assert_array_equal(grads[key], expected[1][key])


# ---- (2) fit checks the labels once per call --------------------------------------------------------------
@pytest.mark.parametrize("make_model", [
    lambda: SoftmaxRegression(12, 3),
    lambda: Network(Sequential(Linear(12, 4, seed=0), ReLU(), Linear(4, 3, seed=1)), CrossEntropyLoss()),
], ids=["softmax", "network"])
def test_fit_checks_the_labels_once_whatever_the_number_of_batches(monkeypatch, make_model):
    X, y = _data("pixels", n=64)
    calls = []
    real = _validation.check_labels

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    for module in (loss_module, cross_entropy_module):
        monkeypatch.setattr(module, "check_labels", counting)
    counts = {}
    for batch_size in (64, 4):  # 1 and 16 batches
        calls.clear()
        fit(make_model(), X, y, epochs=2, batch_size=batch_size, lr=0.1, seed=0)
        counts[batch_size] = len(calls)
    assert counts[64] == counts[4] == 1, counts
    calls.clear()
    make_model().loss_grad(X.reshape(64, -1) / 255, y)  # a public call checks its labels itself
    assert calls


# ---- (3) public calls check as before ---------------------------------------------------------------------
@pytest.mark.parametrize("make_model", [
    lambda: SoftmaxRegression(4, 3),
    lambda: Network(Sequential(Linear(4, 5, seed=0), ReLU(), Linear(5, 3, seed=1)), CrossEntropyLoss()),
], ids=["softmax", "network"])
def test_public_loss_grad_still_names_a_nan_in_X_and_a_label_out_of_range(make_model):
    model = make_model()
    X, y = np.ones((4, 4)), np.array([0, 1, 2, 1])
    X[2, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        model.loss_grad(X, y)
    with pytest.raises(ValueError, match="y holds label 3"):
        model.loss_grad(np.ones((4, 4)), np.array([0, 1, 3, 1]))
    with pytest.raises(ValueError, match="sample_weight"):
        model.loss_grad(np.ones((4, 4)), y, sample_weight=[1.0, -1.0, 1.0, 1.0])


def test_fit_still_refuses_a_bad_label_in_any_batch_before_the_first_update():
    X, y = _data("pixels", n=40)
    y[-1] = 7
    model = SoftmaxRegression(12, 3)
    with pytest.raises(ValueError, match="y holds label 7"):
        fit(model, X, y, epochs=1, batch_size=8, lr=0.1, seed=0)
    assert not model.params["W"].any()


def test_fit_reports_divergence_on_the_checked_data_path():
    from scratch.training import TrainingDiverged

    X, y = _data("real")
    with pytest.raises(TrainingDiverged, match="epoch 1"):
        fit(LinearRegression(5), X * 1e150, y, epochs=1, batch_size=10, lr=1.0, seed=0)


# ---- (4) the caller's loss_grad is the one fit calls -------------------------------------------------------
def test_a_loss_grad_replaced_on_the_instance_or_overridden_in_a_subclass_is_called_by_fit():
    X, y = _data("pixels", n=20)
    seen = []

    class Logged(SoftmaxRegression):
        def loss_grad(self, X, y, sample_weight=None):
            seen.append(("subclass", len(X)))
            return super().loss_grad(X, y, sample_weight)

    fit(Logged(12, 3), X, y, epochs=1, batch_size=8, lr=0.1, seed=0)
    model = SoftmaxRegression(12, 3)
    real = model.loss_grad
    model.loss_grad = lambda *batch: seen.append(("instance", len(batch[0]))) or real(*batch)
    fit(model, X, y, epochs=1, batch_size=8, lr=0.1, seed=0)
    assert seen == [("subclass", 8), ("subclass", 8), ("subclass", 4), ("instance", 8), ("instance", 8),
                    ("instance", 4)]


# ---- (5) the cheaper validators answer as before -----------------------------------------------------------
@pytest.mark.parametrize("options", [{}, {"ignore_index": 3}, {"label_smoothing": 0.2}, {"reduction": "sum"}])
def test_cross_entropy_of_checked_arguments_equals_the_checking_function(options):
    rng = np.random.default_rng(0)
    z, y = rng.normal(size=(6, 4)).astype(np.float32), np.array([0, 3, 1, 3, 2, 0])
    value, grad = losses.cross_entropy_and_grad(z, y, **options)
    checked_value, checked_grad = cross_entropy_module.cross_entropy_and_grad_of_checked(z, y, **options)
    assert checked_value == value
    np.testing.assert_array_equal(checked_grad, grad)


@pytest.mark.parametrize("options", [{}, {"ignore_index": 1, "label_smoothing": 0.1}, {"weight": np.arange(1.0, 4.0)}])
def test_a_networks_step_with_any_criterion_options_equals_its_public_loss_grad(options):
    X, y = _data("pixels", n=9)
    net = Network(Sequential(Linear(12, 5, seed=0), ReLU(), Linear(5, 3, seed=1)), CrossEntropyLoss(**options),
                  transform=ScalePixels())
    expected_loss, expected = net.loss_grad(X, y)
    loss, grads = net._loss_grad_prepared(net.prepare(X), net.check_target(y))
    assert loss == expected_loss
    for key in expected:
        np.testing.assert_array_equal(grads[key], expected[key])


def test_scale_pixels_answers_by_the_rule_for_every_kind_of_array(tmp_path):
    p = np.arange(256, dtype=np.uint8).reshape(16, 16)
    expected = p.astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(scale_pixels(p), expected)
    memmap = np.lib.format.open_memmap(tmp_path / "p.npy", mode="w+", dtype=np.uint8, shape=p.shape)
    memmap[...] = p
    np.testing.assert_array_equal(scale_pixels(memmap), expected)
    np.testing.assert_array_equal(scale_pixels(p.tolist()), expected)
    assert scale_pixels(np.zeros((0, 3), np.int64)).dtype == np.float32
    with pytest.raises(TypeError, match="masked array"):
        scale_pixels(np.ma.masked_array(p, mask=p > 200))
    with pytest.raises(ValueError, match="from 0 to 256"):
        scale_pixels(np.arange(257))
    with pytest.raises(ValueError, match="outside \\[0, 1\\]"):
        scale_pixels(np.array([0.5, 2.0]))
    with pytest.raises(TypeError, match="neither integers nor floats"):
        scale_pixels(np.array([True, False]))


@pytest.mark.parametrize("value", [float("nan"), float("inf"), np.float32("nan"), np.float64("-inf")])
def test_check_number_refuses_a_non_finite_float_of_any_type(value):
    with pytest.raises(ValueError, match="lr must be finite"):
        check_number(value, "lr")
    assert check_number(0.5, "lr", high=1) == 0.5


def test_sgd_takes_a_gradient_in_its_parameters_dtype_and_checks_before_updating():
    theta = np.ones(3, np.float32)
    optimizer = SGD([theta], lr=0.5)
    optimizer.step([np.array([1e-8, 1.0, 2.0])])  # float64: rounded to float32 first, as PyTorch's gradients are
    np.testing.assert_array_equal(theta, np.float32(1) - np.float32(0.5) * np.array([1e-8, 1, 2], np.float32))
    with pytest.raises(ValueError, match="has shape"):
        optimizer.step([np.ones(4)])
    maximizing = SGD([theta], lr=1.0, maximize=True)
    before = theta.copy()
    maximizing.step([np.ones(3, np.float32)])
    np.testing.assert_array_equal(theta, before + 1)
