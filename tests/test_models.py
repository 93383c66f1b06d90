"""The three regression models: closed-form gradients against finite differences, the losses
module and PyTorch; initialisation, dtypes, the least-squares optimum and bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from scratch import losses
from scratch.gradcheck import numerical_gradient
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression

values = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


@st.composite
def problems(draw, kind):
    """(model with random float64 params, X (N, D), y) for kind "linear", "logistic" or "softmax"."""
    n = draw(st.integers(1, 64))
    d = draw(st.integers(1, 20))
    X = draw(arrays(np.float64, (n, d), elements=values))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if kind == "linear":
        model, y = LinearRegression(d), draw(arrays(np.float64, n, elements=values))
    elif kind == "logistic":
        model, y = LogisticRegression(d), rng.integers(0, 2, n).astype(np.float64)
    else:
        k = draw(st.integers(2, 10))
        model, y = SoftmaxRegression(d, k), rng.integers(0, k, n)
    for array in model.params.values():
        array[...] = rng.normal(size=array.shape)
    return model, X, y


def any_problem():
    return st.sampled_from(["linear", "logistic", "softmax"]).flatmap(problems)


@given(any_problem())
def test_loss_grad_gradient_matches_finite_differences(problem):
    model, X, y = problem
    _, grads = model.loss_grad(X, y)
    for name, param in model.params.items():
        expected = numerical_gradient(lambda _: model.loss(X, y), param)
        np.testing.assert_allclose(grads[name], expected, rtol=1e-5, atol=1e-7, err_msg=name)


@given(any_problem())
def test_grads_are_keyed_and_shaped_like_params(problem):
    model, X, y = problem
    _, grads = model.loss_grad(X, y)
    assert grads.keys() == model.params.keys()
    for name, param in model.params.items():
        assert grads[name].shape == param.shape and grads[name].dtype == param.dtype


LOSS_OF = {
    LinearRegression: "mse_loss",
    LogisticRegression: "binary_cross_entropy_with_logits",
    SoftmaxRegression: "cross_entropy",
}


@given(any_problem())
def test_loss_grad_is_forward_plus_losses_module_by_the_chain_rule(problem):
    """loss_grad's loss = <loss>(forward(X), y); ∂L/∂W = Xᵀ·<loss>_grad, ∂L/∂b = its sum over rows."""
    model, X, y = problem
    name = LOSS_OF[type(model)]
    output = model.forward(X)
    upstream = getattr(losses, name + "_grad")(output, y)
    loss, grads = model.loss_grad(X, y)
    assert loss == pytest.approx(getattr(losses, name)(output, y), rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(grads["W"], X.T @ upstream, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads["b"], upstream.sum(axis=0), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("kind", ["linear", "logistic", "softmax"])
@given(data=st.data())
def test_forward_loss_and_grads_match_torch_nn_linear(kind, data):
    torch = pytest.importorskip("torch")
    model, X, y = data.draw(problems(kind))
    W, b = model.params["W"], model.params["b"]
    layer = torch.nn.Linear(*W.reshape(len(W), -1).shape, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(W.reshape(len(W), -1).T))
        layer.bias.copy_(torch.from_numpy(b.reshape(-1)))
    criterion, target = {
        "linear": (torch.nn.MSELoss(), torch.from_numpy(y)),
        "logistic": (torch.nn.BCEWithLogitsLoss(), torch.from_numpy(y)),
        "softmax": (torch.nn.CrossEntropyLoss(), torch.from_numpy(y)),
    }[kind]
    out = layer(torch.from_numpy(X))
    out = out if kind == "softmax" else out[:, 0]
    torch_loss = criterion(out, target)
    torch_loss.backward()
    loss, grads = model.loss_grad(X, y)
    np.testing.assert_allclose(model.forward(X), out.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert loss == pytest.approx(torch_loss.item(), rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(grads["W"], layer.weight.grad.numpy().T.reshape(W.shape), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["b"], layer.bias.grad.numpy().reshape(b.shape), rtol=1e-10, atol=1e-12)


@given(problems("softmax"))
def test_softmax_predictions_are_argmax_and_probabilities_sum_to_one(problem):
    model, X, _ = problem
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), np.argmax(model.forward(X), axis=1))


@given(problems("logistic"))
def test_logistic_proba_is_sigmoid_of_logits_and_predict_thresholds_at_half(problem):
    model, X, _ = problem
    z = model.forward(X)
    np.testing.assert_allclose(model.predict_proba(X), 1 / (1 + np.exp(-z)), rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), (model.predict_proba(X) > 0.5).astype(int))


def test_scores_are_accuracy_and_r2_as_in_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    linear = LinearRegression(3, init="torch", seed=1)
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=50)
    assert linear.score(X, y) == pytest.approx(metrics.r2_score(y, linear.predict(X)), rel=1e-12)
    softmax = SoftmaxRegression(3, 4, init="torch", seed=1)
    labels = rng.integers(0, 4, 50)
    assert softmax.score(X, labels) == metrics.accuracy_score(labels, softmax.predict(X))


@pytest.mark.parametrize(
    "make", [lambda **kw: LinearRegression(400, **kw), lambda **kw: SoftmaxRegression(400, 7, **kw)]
)
def test_torch_init_is_uniform_within_one_over_sqrt_fan_in(make):
    params = make(init="torch", seed=0).params
    bound = 1 / np.sqrt(400)
    for array in params.values():
        assert np.all(np.abs(array) <= bound)
    W = params["W"].ravel()
    assert abs(W.mean()) < 0.1 * bound
    assert W.std() == pytest.approx(bound / np.sqrt(3), rel=0.1)  # std of U(−a, a) is a/√3
    assert np.abs(W).max() > 0.95 * bound


def test_torch_init_is_deterministic_in_the_seed_and_zeros_is_zero():
    first = SoftmaxRegression(5, 3, init="torch", seed=7).params
    again = SoftmaxRegression(5, 3, init="torch", seed=7).params
    other = SoftmaxRegression(5, 3, init="torch", seed=8).params
    for name in first:
        np.testing.assert_array_equal(first[name], again[name])
        assert not np.array_equal(first[name], other[name])
    assert all(not a.any() for a in SoftmaxRegression(5, 3).params.values())


@pytest.mark.parametrize(
    "model, y",
    [
        (LinearRegression(6, init="torch", seed=0, dtype=np.float32), np.linspace(-1, 1, 8)),
        (LogisticRegression(6, init="torch", seed=0, dtype=np.float32), np.tile([0, 1], 4)),
        (SoftmaxRegression(6, 3, init="torch", seed=0, dtype=np.float32), np.arange(8) % 3),
    ],
)
def test_float32_models_keep_float32_everywhere(model, y):
    X = np.random.default_rng(0).normal(size=(8, 6))  # float64 input is converted
    _, grads = model.loss_grad(X, y)
    assert all(p.dtype == np.float32 for p in model.params.values())
    assert all(g.dtype == np.float32 for g in grads.values())
    assert model.forward(X).dtype == np.float32
    assert model.forward(X).shape == ((8, 3) if isinstance(model, SoftmaxRegression) else (8,))


def test_least_squares_optimum_has_zero_gradient_and_matches_normal_equations():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 4))
    y = X @ rng.normal(size=4) + 2.0 + rng.normal(size=40)
    model = LinearRegression(4, init="torch", seed=0)
    W_before = model.params["W"]
    assert model.fit_least_squares(X, y) is model
    assert model.params["W"] is W_before  # set in place, so an optimizer's references stay valid
    _, grads = model.loss_grad(X, y)
    np.testing.assert_allclose(grads["W"], 0, atol=1e-12)
    np.testing.assert_allclose(grads["b"], 0, atol=1e-12)
    design = np.hstack([X, np.ones((40, 1))])
    theta = np.linalg.solve(design.T @ design, design.T @ y)
    np.testing.assert_allclose(np.append(model.params["W"], model.params["b"]), theta, rtol=1e-10)


X_OK = np.zeros((4, 3))
BAD_INPUT = [  # (call, exception, words the message must contain: the argument and the problem)
    (lambda m: m.forward(np.zeros(3)), ValueError, "X must be a 2-D.*reshape"),
    (lambda m: m.forward(np.zeros((4, 2))), ValueError, "X has 2 features, but the model expects 3"),
    (lambda m: m.forward(np.zeros((0, 3))), ValueError, "X must not be empty"),
    (lambda m: m.forward(np.full((4, 3), "a")), TypeError, "X must hold numbers"),
    (lambda m: m.loss_grad(np.where(np.eye(4, 3), np.nan, 0), [0, 1, 0, 1]), ValueError, "X contains NaN"),
    (lambda m: m.loss_grad(np.where(np.eye(4, 3), np.inf, 0), [0, 1, 0, 1]), ValueError, "X contains inf"),
    (lambda m: m.loss_grad(X_OK, [0, 1, 0]), ValueError, "X and y must have the same number of samples"),
    (lambda m: m.loss(X_OK, [[0], [1], [0], [1]]), ValueError, "y must be a 1-D"),
    (lambda m: m.score(X_OK, [0, 1, np.nan, 1]), ValueError, "y (contains NaN|must hold integer)"),
]


@pytest.mark.parametrize("make", [LinearRegression, LogisticRegression, lambda d: SoftmaxRegression(d, 2)])
@pytest.mark.parametrize("call, error, words", BAD_INPUT)
def test_bad_input_raises_a_clear_error_naming_the_argument(make, call, error, words):
    with pytest.raises(error, match=words):
        call(make(3))


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: LogisticRegression(3).loss(X_OK, [0, 1, 2, 0]), "y must lie in \\[0, 1\\]"),
        (lambda: SoftmaxRegression(3, 2).loss(X_OK, [0, 1, 2, 0]), "y holds label 2"),
        (lambda: SoftmaxRegression(3, 2).loss(X_OK, [0, 1, 0.5, 0]), "y must hold integer"),
        (lambda: SoftmaxRegression(3, 1), "n_classes"),
        (lambda: LinearRegression(0), "n_features"),
        (lambda: LinearRegression(3, init="normal"), "init"),
    ],
)
def test_bad_labels_and_constructor_arguments_raise_value_error(call, words):
    with pytest.raises(ValueError, match=words):
        call()


@pytest.mark.parametrize("call", [lambda: LinearRegression(3, dtype=np.int32), lambda: LinearRegression(2.5)])
def test_wrong_types_in_the_constructor_raise_type_error(call):
    with pytest.raises(TypeError):
        call()
