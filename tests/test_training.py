"""scratch.training.fit (the minibatch driver) and scratch.optimum.fit_lbfgs (the full-batch optimum)."""

import numpy as np
import pytest

from scratch.datasets import load_iris
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.optim import SGD, CosineAnnealingLR, StepLR
from scratch.optimum import fit_lbfgs
from scratch.training import History, TrainingDiverged, as_model_input, fit


def regression_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    return X, X @ [1.0, 2.0, 3.0] + 0.5 + 0.1 * rng.standard_normal(n)


def binary_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    return X, (X @ [2.0, -1.0] + 0.3 + rng.standard_normal(n) > 0).astype(np.float64)


def tiny_images(n=90, seed=0):
    """(n, 6, 6) uint8 'images' whose class (3 of them) sets the brightness of one third."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.integers(0, 120, (n, 6, 6)).astype(np.uint8)
    for k in range(3):
        X[y == k, 2 * k : 2 * k + 2] += 130
    return X, y


class BatchRecorder:
    """A model with zero gradients that records the batches the driver hands it."""

    dtype = np.float64

    def __init__(self):
        self.params, self.batches = {"W": np.zeros(1)}, []

    def loss_grad(self, X, y):
        self.batches.append(y.copy())
        return 1.0, {"W": np.zeros(1)}


def quiet_fit(model, X, y, **options):
    return fit(model, X, y, verbose=False, **options)


def test_lecture_logistic_regression_loop_converges_to_the_lbfgs_optimum():
    X, y = binary_data()
    model = LogisticRegression(2)
    history = quiet_fit(model, X, y, epochs=60, batch_size=16, lr=1.0, lr_schedule=CosineAnnealingLR(60))
    optimum = fit_lbfgs(LogisticRegression(2), X, y)
    assert history.train_loss[-1] < history.train_loss[0] < np.log(2)  # log 2: the zero-init loss
    assert model.score(X, y) >= 0.85  # labels carry noise: the optimum itself scores 0.895
    assert model.loss(X, y) == pytest.approx(optimum.fun, rel=1e-4)


def test_full_batch_sgd_reaches_the_least_squares_loss_within_1e_6():
    X, y = regression_data()
    model = LinearRegression(3)
    quiet_fit(model, X, y, epochs=100, batch_size=len(X), lr=0.3)
    best = LinearRegression(3).fit_least_squares(X, y).loss(X, y)
    assert model.loss(X, y) == pytest.approx(best, rel=1e-6)


def test_minibatch_sgd_with_cosine_schedule_approaches_the_least_squares_loss():
    # Minibatch noise keeps a constant-lr SGD ~lr away; the annealed lr brings it within 1e-3.
    X, y = regression_data()
    model = LinearRegression(3)
    quiet_fit(model, X, y, epochs=60, batch_size=16, lr=0.2, lr_schedule=CosineAnnealingLR(60))
    best = LinearRegression(3).fit_least_squares(X, y)
    assert model.loss(X, y) == pytest.approx(best.loss(X, y), rel=1e-3)
    np.testing.assert_allclose(model.params["W"], best.params["W"], atol=0.01)


def test_softmax_regression_on_iris_reaches_95_percent_training_accuracy():
    iris = load_iris()
    model = SoftmaxRegression(4, 3)
    optimizer = SGD(model.params, lr=0.05, momentum=0.9)
    quiet_fit(model, iris.X, iris.y, epochs=100, batch_size=16, optimizer=optimizer)
    assert model.score(iris.X, iris.y) >= 0.95


def test_absurd_learning_rate_raises_training_diverged_naming_epoch_step_and_lr():
    X, y = regression_data()
    with pytest.raises(TrainingDiverged, match=r"epoch \d+, step \d+ \(lr=1e\+06\)") as caught:
        quiet_fit(LinearRegression(3), X * 1e3, y, epochs=5, batch_size=16, lr=1e6)
    assert isinstance(caught.value, FloatingPointError)
    assert caught.value.lr == 1e6 and caught.value.epoch >= 1 and caught.value.step >= 1


def test_same_seed_is_bit_identical_and_different_seeds_differ():
    X, y = binary_data()

    def trained_weights(seed):
        model = LogisticRegression(2)
        quiet_fit(model, X, y, epochs=3, batch_size=16, lr=0.5, seed=seed)
        return model.params["W"].copy()

    np.testing.assert_array_equal(trained_weights(7), trained_weights(7))
    assert not np.array_equal(trained_weights(7), trained_weights(8))


def test_uint8_images_and_memmap_train_identically_to_the_float_converted_array(tmp_path):
    X, y = tiny_images()
    np.save(tmp_path / "X.npy", X)
    memmap = np.load(tmp_path / "X.npy", mmap_mode="r")
    converted = X.reshape(len(X), -1).astype(np.float64) / 255

    def trained_weights(data, dtype=np.float64):
        model = SoftmaxRegression(36, 3, dtype=dtype)
        quiet_fit(model, data, y, epochs=3, batch_size=8, lr=0.5, seed=1)
        return model.params["W"]

    reference = trained_weights(converted)
    np.testing.assert_array_equal(trained_weights(X), reference)
    np.testing.assert_array_equal(trained_weights(memmap), reference)
    np.testing.assert_array_equal(trained_weights(X.reshape(len(X), -1)), reference)
    assert trained_weights(X, np.float32).dtype == np.float32
    np.testing.assert_array_equal(as_model_input(X, np.float64), converted)


def test_last_partial_batch_is_kept_unless_drop_last_like_dataloader():
    y = np.arange(10.0)
    kept, dropped = BatchRecorder(), BatchRecorder()
    quiet_fit(kept, y[:, None], y, epochs=1, batch_size=4, lr=0.1, shuffle=False)
    quiet_fit(dropped, y[:, None], y, epochs=1, batch_size=4, lr=0.1, shuffle=False, drop_last=True)
    assert [len(b) for b in kept.batches] == [4, 4, 2]
    assert [len(b) for b in dropped.batches] == [4, 4]
    np.testing.assert_array_equal(np.concatenate(kept.batches), y)  # shuffle=False keeps the order


def test_shuffle_visits_every_sample_once_per_epoch_in_a_new_order():
    y = np.arange(10.0)
    recorder = BatchRecorder()
    quiet_fit(recorder, y[:, None], y, epochs=2, batch_size=3, lr=0.1, seed=0)
    first, second = np.concatenate(recorder.batches[:4]), np.concatenate(recorder.batches[4:])
    np.testing.assert_array_equal(np.sort(first), y)
    np.testing.assert_array_equal(np.sort(second), y)
    assert not np.array_equal(first, second)


def test_history_records_each_epoch_and_verbose_prints_one_line_per_epoch(capsys):
    X, y = tiny_images()
    model = SoftmaxRegression(36, 3)
    history = fit(model, X, y, epochs=4, batch_size=16, lr=0.4, lr_schedule=StepLR(2, 0.5), validation_data=(X, y))
    assert isinstance(history, History)
    assert history.lr == [0.4, 0.4, 0.2, 0.2]
    assert len(history.train_loss) == len(history.val_loss) == len(history.val_score) == len(history.seconds) == 4
    assert history.val_score[-1] == model.score(as_model_input(X, np.float64), y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and lines[0].startswith("epoch 1/4  train loss") and "val accuracy" in lines[0]


def test_fit_trains_an_nn_network_through_the_same_protocol():
    nn = pytest.importorskip("scratch.nn")
    iris = load_iris()
    network = nn.Network(nn.Sequential(nn.Linear(4, 3, seed=0)), nn.CrossEntropyLoss())
    history = quiet_fit(network, iris.X, iris.y, epochs=30, batch_size=16, lr=0.05)
    assert history.train_loss[-1] < history.train_loss[0]


@pytest.mark.parametrize(
    "options, error, message",
    [
        (dict(lr=0.1, optimizer="given"), ValueError, "exactly one of lr"),
        (dict(), ValueError, "exactly one of lr"),
        (dict(lr=0.1, batch_size=0), ValueError, "batch_size must lie in"),
        (dict(lr=0.1, epochs=2.5), TypeError, "epochs must be an integer"),
        (dict(lr=0.1, batch_size=500, drop_last=True), ValueError, "leaves no batch"),
        (dict(lr=0.1, lr_schedule=0.5), TypeError, "lr_schedule must be a callable"),
        (dict(lr=0.1, seed=-1), TypeError, "seed must be"),
    ],
)
def test_fit_rejects_bad_options_with_clear_errors(options, error, message):
    X, y = regression_data()
    model = LinearRegression(3)
    if options.get("optimizer") == "given":
        options["optimizer"] = SGD(model.params, lr=0.1)
    arguments = dict(epochs=1, batch_size=8) | options
    with pytest.raises(error, match=message):
        quiet_fit(model, X, y, **arguments)


def test_fit_rejects_bad_data_up_front():
    X, y = regression_data()
    model = LinearRegression(3)
    with pytest.raises(ValueError, match="X and y must have the same number of samples"):
        quiet_fit(model, X, y[:-1], epochs=1, batch_size=8, lr=0.1)
    X[150, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        quiet_fit(model, X, y, epochs=1, batch_size=8, lr=0.1)
    with pytest.raises(ValueError, match="X must be a 2-D or 3-D array"):
        quiet_fit(model, y, y, epochs=1, batch_size=8, lr=0.1)
    with pytest.raises(TypeError, match="model must offer params and loss_grad"):
        quiet_fit(object(), X, y, epochs=1, batch_size=8, lr=0.1)


def test_lbfgs_reaches_zero_gradient_and_the_least_squares_solution():
    X, y = regression_data()
    model = LinearRegression(3)
    result = fit_lbfgs(model, X, y)
    best = LinearRegression(3).fit_least_squares(X, y)
    assert np.abs(result.jac).max() < 1e-9
    np.testing.assert_allclose(model.params["W"], best.params["W"], rtol=1e-8)
    np.testing.assert_allclose(model.params["b"], best.params["b"], rtol=1e-8)


def test_lbfgs_softmax_on_iris_reaches_zero_gradient_and_fits_the_training_set():
    iris = load_iris()
    model = SoftmaxRegression(4, 3)
    result = fit_lbfgs(model, iris.X, iris.y, l2=1e-3)
    assert np.abs(result.jac).max() < 1e-6
    assert model.score(iris.X, iris.y) >= 0.96


def test_lbfgs_with_l2_matches_scikit_learn_logistic_regression():
    sklearn_linear = pytest.importorskip("sklearn.linear_model")
    X, y = binary_data()
    model = LogisticRegression(2)
    fit_lbfgs(model, X, y, l2=1 / len(X))  # l2 = 1 / (C·N) with C = 1; the bias is not penalised
    reference = sklearn_linear.LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(model.params["W"], reference.coef_[0], rtol=1e-6)
    np.testing.assert_allclose(model.params["b"], reference.intercept_[0], rtol=1e-6)
