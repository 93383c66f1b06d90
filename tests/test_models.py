"""The three regression models: closed-form gradients against finite differences, the losses
module and PyTorch; initialisation, dtypes, the least-squares optimum and bad input."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import scratch
from scratch import losses
from scratch.gradcheck import numerical_gradient
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.nn import Linear, Module
from scratch.preprocessing import ScalePixels, Standardize
from scratch.training import fit

from conftest import (
    assert_finite,
    assert_one_sgd_step_stays_finite,
    assert_raises_naming,
    BINARY,
    case,
    CLASSIFIER,
    EXTREMES,
    LABELS,
    LINEAR,
    LOGISTIC,
    logistic_at,
    SIGN_BINARY,
    SIGN_LABELS,
    SOFTMAX,
    softmax_at,
    X,
    X_1D,
    X_2_FEATURES,
    X_EMPTY,
    X_INF,
    X_NAN,
    X_OBJECT,
    X_SIGNS,
    X_STRING,
)

values = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


def make_model(kind, d, k=3, seed=0, **options):
    """A model of kind "linear", "logistic" or "softmax" with random N(0, 1) params."""
    model = {
        "linear": lambda: LinearRegression(d, **options),
        "logistic": lambda: LogisticRegression(d, **options),
        "softmax": lambda: SoftmaxRegression(d, k, **options),
    }[kind]()
    rng = np.random.default_rng(seed)
    for array in model.params.values():
        array[...] = rng.normal(size=array.shape)
    return model


def make_targets(kind, n, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return {"linear": rng.normal(size=n), "logistic": rng.integers(0, 2, n) * 1.0, "softmax": rng.integers(0, k, n)}[kind]


@st.composite
def problems(draw, kind):
    """(model with random float64 params, X (N, D), y) for kind "linear", "logistic" or "softmax"."""
    n, d, k = draw(st.integers(1, 64)), draw(st.integers(1, 20)), draw(st.integers(2, 10))
    seed = draw(st.integers(0, 2**32 - 1))
    X = draw(arrays(np.float64, (n, d), elements=values))
    return make_model(kind, d, k, seed), X, make_targets(kind, n, k, seed)


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


@given(any_problem())
def test_loss_grad_is_forward_plus_losses_module_by_the_chain_rule(problem):
    """loss_grad (closed form, written apart from scratch.losses) agrees with loss(), the criterion
    and scratch.losses: L = <loss>(Z, y), ∂L/∂W = Xᵀ·<loss>_grad(Z, y), ∂L/∂b = its sum over rows."""
    model, X, y = problem
    name = type(model.criterion).function.__name__  # e.g. CrossEntropyLoss → "cross_entropy"
    output = model.forward(X)
    upstream = getattr(losses, name + "_grad")(output, y)
    loss, grads = model.loss_grad(X, y)
    expected = getattr(losses, name)(output, y)
    for value in (model.loss(X, y), model.criterion(output, y)):
        assert value == pytest.approx(expected, rel=1e-12, abs=1e-14)
    assert loss == pytest.approx(expected, rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(grads["W"], X.T @ upstream, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads["b"], upstream.sum(axis=0), rtol=1e-10, atol=1e-14)


@given(any_problem(), st.data())
def test_weighted_loss_grad_matches_finite_differences_and_the_per_sample_losses(problem, data):
    """With sample_weight w: L = mean(wₙ·ℓₙ), the ℓₙ from scratch.losses with reduction="none"."""
    model, X, y = problem
    w = data.draw(arrays(np.float64, len(X), elements=st.floats(0, 4)))
    name = type(model.criterion).function.__name__
    per_sample = getattr(losses, name)(model.forward(X), y, reduction="none")
    loss, grads = model.loss_grad(X, y, sample_weight=w)
    assert loss == pytest.approx(np.mean(w * per_sample), rel=1e-12, abs=1e-14)
    assert model.loss(X, y, sample_weight=w) == pytest.approx(loss, rel=1e-12, abs=1e-14)
    for param_name, param in model.params.items():
        expected = numerical_gradient(lambda _: model.loss(X, y, sample_weight=w), param)
        np.testing.assert_allclose(grads[param_name], expected, rtol=1e-5, atol=1e-7, err_msg=param_name)


@given(any_problem())
def test_sample_weights_of_one_give_bit_for_bit_the_unweighted_loss_and_gradients(problem):
    model, X, y = problem
    loss, grads = model.loss_grad(X, y)
    weighted_loss, weighted_grads = model.loss_grad(X, y, sample_weight=np.ones(len(X)))
    assert weighted_loss == loss
    for name in grads:
        np.testing.assert_array_equal(weighted_grads[name], grads[name])


@pytest.mark.parametrize("kind", ["linear", "logistic", "softmax"])
def test_a_bad_sample_weight_is_refused_naming_it(kind):
    model, X, y = make_model(kind, 3), np.ones((4, 3)), make_targets(kind, 4)
    with pytest.raises(ValueError, match="sample_weight"):
        model.loss_grad(X, y, sample_weight=np.ones(5))
    with pytest.raises(ValueError, match="sample_weight"):
        model.loss(X, y, sample_weight=[1.0, np.nan, 1.0, 1.0])


TORCH_LOSSES = {"linear": "MSELoss", "logistic": "BCEWithLogitsLoss", "softmax": "CrossEntropyLoss"}


@pytest.mark.parametrize("kind", ["linear", "logistic", "softmax"])
@given(data=st.data())
def test_state_dict_loads_into_torch_nn_linear_with_the_same_logits_loss_and_grads(kind, data):
    torch = pytest.importorskip("torch")
    model, X, y = data.draw(problems(kind))
    state = model.state_dict()
    layer = torch.nn.Linear(*state["weight"].shape[::-1], dtype=torch.float64)
    layer.load_state_dict({key: torch.from_numpy(value) for key, value in state.items()}, strict=True)
    out = layer(torch.from_numpy(X))
    out = out if kind == "softmax" else out[:, 0]
    torch_loss = getattr(torch.nn, TORCH_LOSSES[kind])()(out, torch.from_numpy(y))
    torch_loss.backward()
    loss, grads = model.loss_grad(X, y)
    np.testing.assert_allclose(model.forward(X), out.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert loss == pytest.approx(torch_loss.item(), rel=1e-10, abs=1e-12)
    W, b = model.params["W"], model.params["b"]
    np.testing.assert_allclose(grads["W"], layer.weight.grad.numpy().T.reshape(W.shape), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["b"], layer.bias.grad.numpy().reshape(b.shape), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", ["linear", "logistic", "softmax"])
def test_a_torch_nn_linear_state_dict_loads_into_the_model_and_back(kind):
    torch = pytest.importorskip("torch")
    model, X = make_model(kind, 4), np.random.default_rng(1).normal(size=(6, 4))
    torch.manual_seed(0)
    layer = torch.nn.Linear(*model.state_dict()["weight"].shape[::-1], dtype=torch.float64)
    W_before = model.params["W"]
    model.load_state_dict({key: value.detach().numpy() for key, value in layer.state_dict().items()})
    assert model.params["W"] is W_before  # loaded in place: an optimizer's references stay valid
    out = layer(torch.from_numpy(X)).detach().numpy()
    np.testing.assert_allclose(model.forward(X), out if kind == "softmax" else out[:, 0], rtol=1e-12)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, layer.state_dict()[key].numpy())


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


def test_least_squares_on_uint8_pixels_infers_the_pixel_transform_as_fit_does():
    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (30, 4)).astype(np.uint8), rng.normal(size=30)
    model = LinearRegression(4).fit_least_squares(X, y)
    expected = LinearRegression(4).fit_least_squares(X / 255, y)
    assert model.transform == ScalePixels() and expected.transform is None
    np.testing.assert_allclose(model.params["W"], expected.params["W"], rtol=1e-10)
    assert model.score(X, y) == pytest.approx(expected.score(X / 255, y), rel=1e-12)


X_OK = np.zeros((4, 3))
BAD_INPUT = [  # (call, exception, words the message must contain: the argument and the problem)
    (lambda m: m.forward(np.zeros(3)), ValueError, "X must hold a batch of samples.*reshape"),
    (lambda m: m.forward(np.zeros((4, 2))), ValueError, r"X has samples of shape \(2,\).*model expects 3 features"),
    (lambda m: m.predict(np.zeros((4, 3), np.uint8)), ValueError, "X is uint8.*no transform.*ScalePixels"),
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
        (lambda: SoftmaxRegression(3, 2).loss(X_OK, [0, 1, -100, 0]), "y holds label -100"),  # no ignore_index
        (lambda: SoftmaxRegression(3, 2).loss(X_OK, np.full((4, 2), 0.5)), "y must be a 1-D"),  # no soft labels
        (lambda: SoftmaxRegression(3, 1), "n_classes"),
        (lambda: LinearRegression(0), "n_features"),
        (lambda: LinearRegression(3, init="normal"), "init"),
    ],
)
def test_bad_labels_and_constructor_arguments_raise_value_error(call, words):
    with pytest.raises(ValueError, match=words):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: LinearRegression(3, dtype=np.int32),
        lambda: LinearRegression(2.5),
        lambda: LinearRegression(3, transform="pixels"),
        lambda: LinearRegression(3).predict_proba(X_OK),  # a regressor has no probabilities
    ],
)
def test_wrong_types_in_the_constructor_raise_type_error(call):
    with pytest.raises(TypeError):
        call()


@pytest.mark.parametrize("kind", ["linear", "logistic", "softmax"])
@pytest.mark.parametrize("transform", [None, ScalePixels(), Standardize([1.0, -2.0, 0.5], [2.0, 1.0, 4.0])])
def test_describe_and_state_dict_rebuild_the_same_model_with_its_transform(kind, transform):
    model = make_model(kind, 3, dtype=np.float32, transform=transform)
    description = model.describe()
    assert description["type"] == type(model).__name__ and description["config"]["dtype"] == "float32"
    rebuilt = Module.from_description(description).load_state_dict(model.state_dict())
    assert type(rebuilt) is type(model) and rebuilt.transform == transform and rebuilt.dtype == np.float32
    X = np.random.default_rng(0).uniform(size=(5, 3))
    np.testing.assert_array_equal(rebuilt.forward(X), model.forward(X))
    assert [name for name, _ in model.named_parameters()] == ["W", "b"]
    assert all(a is b for a, b in zip(model.parameters(), model.params.values()))


def test_the_criterion_is_the_models_loss_and_owns_its_head():
    assert [type(make_model(kind, 2).criterion).__name__ for kind in ("linear", "logistic", "softmax")] == [
        "MSELoss", "BCEWithLogitsLoss", "CrossEntropyLoss"
    ]
    model = make_model("softmax", 2)
    X = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_array_equal(model.predict(X), model.criterion.predict(model.forward(X)))
    np.testing.assert_array_equal(model.predict_proba(X), model.criterion.predict_proba(model.forward(X)))


# ---- bad input: the models (each call raises the error type and names the argument; conftest.case)
def with_x(model, label_name):
    """Cases every model method that reads X shares: ndim, features, dtype, NaN/inf, emptiness."""
    y = {"LinearRegression": BINARY, "LogisticRegression": BINARY}.get(label_name, LABELS)
    return [
        case(f"{label_name}.forward-X-1d", model.forward, ValueError, "X", X=X_1D),
        case(f"{label_name}.forward-X-wrong-features", model.forward, ValueError, "X", X=X_2_FEATURES),
        case(f"{label_name}.forward-X-object", model.forward, TypeError, "X", X=X_OBJECT),
        case(f"{label_name}.loss_grad-X-string", model.loss_grad, TypeError, "X", X=X_STRING, y=y),
        case(f"{label_name}.loss_grad-X-nan", model.loss_grad, ValueError, "X", X=X_NAN, y=y),
        case(f"{label_name}.loss_grad-X-inf", model.loss_grad, ValueError, "X", X=X_INF, y=y),
        case(f"{label_name}.loss_grad-X-empty", model.loss_grad, ValueError, "X", X=X_EMPTY, y=y[:0]),
        case(f"{label_name}.loss_grad-y-short", model.loss_grad, ValueError, "y", X=X, y=y[:3]),
        case(f"{label_name}.loss-y-2d", model.loss, ValueError, "y", X=X, y=y[:, None]),
        case(f"{label_name}.score-y-nan", model.score, ValueError, "y", X=X, y=[0.0, np.nan, 1.0, 0.0]),
    ]


BAD_INPUT_TABLE = [
    *with_x(LINEAR, "LinearRegression"),
    *with_x(LOGISTIC, "LogisticRegression"),
    *with_x(SOFTMAX, "SoftmaxRegression"),
    *with_x(CLASSIFIER, "Network"),
    case("LinearRegression-n_features-0", LinearRegression, ValueError, "n_features", n_features=0),
    case("LinearRegression-n_features-float", LinearRegression, TypeError, "n_features", n_features=2.5),
    case("LogisticRegression-init-unknown", LogisticRegression, ValueError, "init", n_features=3, init="xavier"),
    case("LogisticRegression-seed-negative", LogisticRegression, TypeError, "seed",
         n_features=3, seed=-1, init="torch"),
    case("SoftmaxRegression-n_classes-1", SoftmaxRegression, ValueError, "n_classes", n_features=3, n_classes=1),
    case("SoftmaxRegression-dtype-int", SoftmaxRegression, TypeError, "dtype", n_features=3, n_classes=3, dtype=int),
    case("LinearRegression.fit_least_squares-y-short", LINEAR.fit_least_squares, ValueError, "y", X=X, y=BINARY[:3]),
    case("LogisticRegression.loss-y-outside-0-1", LOGISTIC.loss, ValueError, "y", X=X, y=[0.0, 1.0, 2.0, 1.0]),
    case("LogisticRegression.predict_proba-X-1d", LOGISTIC.predict_proba, ValueError, "X", X=X_1D),
    case("SoftmaxRegression.loss-y-label-3", SOFTMAX.loss, ValueError, "y", X=X, y=[0, 1, 3, 1]),
    case("SoftmaxRegression.loss-y-negative", SOFTMAX.loss, ValueError, "y", X=X, y=[0, -1, 2, 1]),
    case("SoftmaxRegression.loss_grad-y-fraction", SOFTMAX.loss_grad, ValueError, "y", X=X, y=[0, 0.5, 2, 1]),
    case("SoftmaxRegression.loss-y-string", SOFTMAX.loss, TypeError, "y", X=X, y=["a", "b", "a", "b"]),
]


@pytest.mark.parametrize("call, kwargs, error, argument", BAD_INPUT_TABLE)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    assert_raises_naming(call, kwargs, error, argument)


@pytest.mark.parametrize(
    "call",
    [LINEAR.forward, LOGISTIC.predict_proba, SOFTMAX.predict, CLASSIFIER.forward,
     lambda X: fit(LINEAR, X, np.zeros(3), epochs=1, batch_size=1, lr=0.1), lambda X: Linear(1, 2).forward(X)],
    ids=["LinearRegression.forward", "LogisticRegression.predict_proba", "SoftmaxRegression.predict",
         "Network.forward", "fit", "Linear.forward"],
)
def test_a_1d_feature_array_gets_reshape_advice(call):
    with pytest.raises(ValueError, match=r"reshape\((-1, 1|1, -1)\)"):
        call(np.zeros(3))


# ---- numerical extremes: finite losses and gradients, never a silent NaN (conftest.EXTREMES)
@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_logistic_regression_extreme_logits_with_exact_0_1_targets_give_the_limits(dtype, big):
    model = logistic_at(dtype, big)
    loss, grads = model.loss_grad(X_SIGNS, SIGN_BINARY)
    assert_finite(loss, grads)
    assert loss == pytest.approx(big / 2, rel=1e-6)  # mean of 0, 0, big, big
    np.testing.assert_allclose(grads["W"], [0.5])  # Xᵀ(σ(z) − y)/N = (0 + 0 + 1 + 1)/4
    np.testing.assert_allclose(grads["b"], 0.0, atol=1e-7)
    assert grads["W"].dtype == dtype
    assert_one_sgd_step_stays_finite(model.params, grads)


@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_softmax_regression_extreme_logits_give_the_limits(dtype, big):
    model = softmax_at(dtype, big)
    loss, grads = model.loss_grad(X_SIGNS[:2], SIGN_LABELS)
    assert_finite(loss, grads)
    assert loss == pytest.approx(big, rel=1e-6)  # mean of 0 and 2·big
    np.testing.assert_allclose(grads["W"], [[0.5, -0.5, 0.0]])  # row 2: p = e₁, y = e₀, x = −1
    assert_one_sgd_step_stays_finite(model.params, grads)


@pytest.mark.parametrize("dtype, big", EXTREMES)
def test_predict_proba_saturates_to_exact_0_and_1_without_nan(dtype, big):
    np.testing.assert_array_equal(logistic_at(dtype, big).predict_proba(X_SIGNS), [1, 0, 1, 0])
    np.testing.assert_array_equal(softmax_at(dtype, big).predict_proba(X_SIGNS[:2]), [[1, 0, 0], [0, 1, 0]])


def test_least_squares_with_a_constant_and_a_duplicated_column_is_finite_and_optimal():
    rng = np.random.default_rng(0)
    x = rng.normal(size=20)
    X = np.column_stack([x, x, np.zeros(20)])  # rank 1 plus the intercept
    y = 2 * x + 1
    model = LinearRegression(3).fit_least_squares(X, y)
    assert np.isfinite(model.params["W"]).all() and np.isfinite(model.params["b"])
    assert model.loss(X, y) < 1e-20


# ---- numbers and state: no silent wrong result, the user's own value in every message
def test_a_masked_array_is_refused_rather_than_read_without_its_mask():
    X = np.ma.masked_array([[1.0, 2.0], [3.0, 4.0]], mask=[[0, 1], [0, 0]])
    with pytest.raises(TypeError, match="masked array"):
        scratch.SoftmaxRegression(2, 3).predict(X)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix itself warns
def test_an_np_matrix_is_read_as_a_plain_array():
    model = scratch.SoftmaxRegression(2, 3, init="torch", seed=0)
    X = np.array([[1.0, 2.0], [3.0, -4.0], [0.5, 6.0]])
    assert np.array_equal(model.predict(np.asmatrix(X)), model.predict(X))
    assert model.predict(np.asmatrix(X)).shape == (3,)


def test_float64_input_beyond_float32_range_is_named_as_such():
    model = scratch.LinearRegression(2, dtype=np.float32)
    with pytest.raises(ValueError, match="beyond the range of the model's float32"):
        model.predict(np.array([[1e39, 0.0]]))


def test_fit_least_squares_names_x_for_a_nan():
    with pytest.raises(ValueError, match="X contains NaN"):
        scratch.LinearRegression(2).fit_least_squares(np.array([[1.0, np.nan], [2.0, 3.0]]), [1.0, 2.0])
