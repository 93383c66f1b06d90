"""scratch.gradcheck: every model and loss agrees three (four, with torch) ways, and the
checker fails on a deliberately wrong gradient."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scratch import gradcheck, losses
from scratch.gradcheck import check_all, check_loss_gradients, check_model_gradients, format_reports, numerical_gradient
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression

from conftest import assert_raises_naming, case, X_1D

EXACT = 1e-12  # closed form vs tape vs torch: the same math, different rounding
NUMERIC = 1e-6  # anything vs central differences in float64
SEEDS = st.integers(0, 2**32 - 1)


def assert_agrees(report):
    for (param, a, b), error in report.errors().items():
        tol = NUMERIC if "numeric" in (a, b) else EXACT
        assert error <= tol, f"{report.name} {param}: {a} vs {b} differ by {error:.2e}\n{report}"


def make_model(kind, rng, n_features, n_classes):
    if kind == "softmax":
        return SoftmaxRegression(n_features, n_classes, init="torch", seed=rng)
    return {"linear": LinearRegression, "logistic": LogisticRegression}[kind](n_features, init="torch", seed=rng)


def make_targets(kind, rng, n, n_classes):
    if kind == "linear":
        return rng.normal(size=n)
    if kind == "logistic":
        return rng.integers(0, 2, n).astype(float)
    return rng.integers(0, n_classes, n)


# --- everything agrees -------------------------------------------------------------------------------
def test_check_all_every_model_and_loss_agree_closed_form_autograd_finite_differences():
    reports = check_all(seed=0, use_torch=False)
    names = [r.name for r in reports]
    assert names[:3] == ["LinearRegression", "LogisticRegression", "SoftmaxRegression"]
    for loss in gradcheck.LOSS_NAMES:
        assert any(name.startswith(loss) for name in names)
    assert any("probabilities" in n for n in names) and any("ignore_index" in n for n in names)
    for report in reports:
        for by_method in report.gradients.values():
            assert {"closed", "tape", "numeric"} <= set(by_method)
        assert_agrees(report)


def test_check_all_adds_torch_as_a_fourth_method_when_installed():
    pytest.importorskip("torch")
    for report in check_all(seed=1):
        assert all("torch" in by_method for by_method in report.gradients.values())
        assert_agrees(report)


@pytest.mark.parametrize("kind", ["linear", "logistic", "softmax"])
@given(seed=SEEDS, n=st.integers(1, 16), d=st.integers(1, 6), k=st.integers(2, 5))
def test_model_closed_form_equals_autograd_equals_finite_differences(kind, seed, n, d, k):
    rng = np.random.default_rng(seed)
    model = make_model(kind, rng, d, k)
    X = rng.normal(size=(n, d))
    assert_agrees(check_model_gradients(model, X, make_targets(kind, rng, n, k), use_torch=False))


@given(
    seed=SEEDS,
    reduction=st.sampled_from(gradcheck.REDUCTIONS),
    weighted=st.booleans(),
    smoothing=st.sampled_from([0.0, 0.05, 0.3]),
    target_kind=st.sampled_from(["indices", "ignored", "probabilities"]),
)
def test_cross_entropy_closed_form_equals_autograd_equals_finite_differences(
    seed, reduction, weighted, smoothing, target_kind
):
    rng = np.random.default_rng(seed)
    n, c = rng.integers(1, 9), rng.integers(2, 6)
    z = rng.normal(size=(n, c)) * 3
    target = rng.integers(0, c, n)
    options = {"reduction": reduction, "label_smoothing": smoothing}
    if weighted:
        options["weight"] = rng.uniform(0.2, 3, c)
    if target_kind == "ignored":
        target[1::2] = options["ignore_index"] = 7  # row 0 is always kept
    if target_kind == "probabilities":
        target = rng.dirichlet(np.ones(c), n)
    assert_agrees(check_loss_gradients("cross_entropy", z, target, use_torch=False, **options))


@given(seed=SEEDS, reduction=st.sampled_from(gradcheck.REDUCTIONS), weighted=st.booleans(), pos=st.booleans())
def test_bce_with_logits_closed_form_equals_autograd_equals_finite_differences(seed, reduction, weighted, pos):
    rng = np.random.default_rng(seed)
    shape = (rng.integers(1, 9), rng.integers(1, 4))
    options = {"reduction": reduction}
    if weighted:
        options["weight"] = rng.uniform(0.2, 3, shape)
    if pos:
        options["pos_weight"] = rng.uniform(0.2, 3, shape[1])
    z, target = rng.normal(size=shape) * 3, rng.uniform(size=shape)
    assert_agrees(check_loss_gradients("binary_cross_entropy_with_logits", z, target, use_torch=False, **options))


@given(seed=SEEDS, reduction=st.sampled_from(gradcheck.REDUCTIONS))
def test_mse_closed_form_equals_autograd_equals_finite_differences(seed, reduction):
    rng = np.random.default_rng(seed)
    z, target = rng.normal(size=(2, 3, rng.integers(1, 4))), rng.normal(size=1)
    target = np.broadcast_to(target, z.shape).copy()
    assert_agrees(check_loss_gradients("mse_loss", z, target, reduction=reduction, use_torch=False))


# --- a wrong gradient is caught ----------------------------------------------------------------------
class SoftmaxRegressionMissingOneOverN(SoftmaxRegression):
    def loss_grad(self, X, y):
        loss, grads = super().loss_grad(X, y)
        return loss, {key: grad * len(X) for key, grad in grads.items()}


class SoftmaxRegressionTransposedWeightGradient(SoftmaxRegression):
    def loss_grad(self, X, y):
        loss, grads = super().loss_grad(X, y)
        return loss, {**grads, "W": grads["W"].T.copy()}


@pytest.mark.parametrize("buggy", [SoftmaxRegressionMissingOneOverN, SoftmaxRegressionTransposedWeightGradient])
def test_a_wrong_model_gradient_is_caught_and_blamed_on_the_closed_form(buggy):
    rng = np.random.default_rng(0)
    model = buggy(3, 3, init="torch", seed=rng)
    report = check_model_gradients(model, rng.normal(size=(8, 3)), rng.integers(0, 3, 8))
    errors = report.errors()
    assert not report.ok() and report.max_error > 0.1
    assert errors["W", "closed", "tape"] > 0.1 and errors["W", "closed", "numeric"] > 0.1
    assert errors["W", "tape", "numeric"] < NUMERIC  # the two independent methods still agree
    assert "NO" in str(report)


def test_a_missing_one_over_n_in_a_loss_gradient_is_caught(monkeypatch):
    correct = losses.cross_entropy_grad
    monkeypatch.setattr(losses, "cross_entropy_grad", lambda input, target, **kw: correct(input, target, **kw) * 5)
    rng = np.random.default_rng(0)
    report = check_loss_gradients("cross_entropy", rng.normal(size=(5, 3)), rng.integers(0, 3, 5))
    assert not report.ok()
    assert report.errors()["input", "closed", "numeric"] == pytest.approx(0.8)  # |5g − g| / |5g|


def test_a_loss_gradient_that_ignores_pos_weight_is_caught(monkeypatch):
    correct = losses.binary_cross_entropy_with_logits_grad
    forgetful = lambda input, target, pos_weight=None, **kw: correct(input, target, **kw)
    monkeypatch.setattr(losses, "binary_cross_entropy_with_logits_grad", forgetful)
    rng = np.random.default_rng(0)
    z, target = rng.normal(size=(4, 2)), rng.uniform(size=(4, 2))
    report = check_loss_gradients("binary_cross_entropy_with_logits", z, target, pos_weight=np.array([3.0, 0.5]))
    assert not report.ok()


# --- the report and its parts ------------------------------------------------------------------------
def test_report_table_lists_every_parameter_and_pair_of_methods():
    model = LogisticRegression(2, init="torch", seed=0)
    report = check_model_gradients(model, np.eye(2), np.array([0.0, 1.0]), use_torch=False)
    table = str(report)
    assert table == report.table() and "LogisticRegression" in table
    assert "closed:tape" in table and "tape:numeric" in table and "torch" not in table.splitlines()[1]
    assert len(table.splitlines()) == 2 + len(model.params)  # legend, header, one row per parameter
    assert report.max_error == max(report.errors().values())
    assert report.ok(tol=report.max_error) and not report.ok(tol=report.max_error / 2)


def test_format_reports_puts_several_reports_in_one_table():
    reports = check_all(seed=0, use_torch=False)[:4]
    lines = format_reports(reports).splitlines()
    assert len(lines) == 2 + sum(len(r.gradients) for r in reports)


def test_a_model_outside_the_known_three_is_checked_against_finite_differences_only():
    class Quadratic:
        """L = mean((X·w)²) with ∂L/∂w = 2Xᵀ(Xw)/N."""

        dtype = np.float64
        params = {"w": np.array([0.5, -1.0])}

        def loss(self, X, y):
            return float(np.mean((X @ self.params["w"]) ** 2))

        def loss_grad(self, X, y):
            return self.loss(X, y), {"w": 2 * X.T @ (X @ self.params["w"]) / len(X)}

    report = check_model_gradients(Quadratic(), np.arange(6.0).reshape(3, 2), None)
    assert set(report.gradients["w"]) == {"closed", "numeric"} and report.ok()


def test_numerical_gradient_restores_the_array_and_matches_the_analytic_derivative():
    x = np.array([[0.3, -1.2], [2.0, 0.7]])
    before = x.copy()
    f = lambda v: float(np.sum(np.sin(v) * v))
    np.testing.assert_array_equal(gradcheck.numerical_gradient(f, x), numerical_gradient(f, x))
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(gradcheck.numerical_gradient(f, x), np.cos(x) * x + np.sin(x), rtol=1e-8)


def test_relative_error_is_scale_free_symmetric_and_zero_for_equal_or_zero_gradients():
    a, b = np.array([1.0, -2.0]), np.array([1.0, -1.0])
    assert gradcheck.relative_error(a, b) == gradcheck.relative_error(b, a) == 0.5
    assert gradcheck.relative_error(1e-9 * a, 1e-9 * b) == pytest.approx(0.5)
    assert gradcheck.relative_error(np.zeros(3), np.zeros(3)) == 0.0


def test_check_loss_gradients_refuses_an_unknown_loss_naming_the_argument():
    with pytest.raises(ValueError, match="name"):
        check_loss_gradients("hinge_loss", np.zeros(3), np.zeros(3))


@pytest.mark.parametrize("eps", [0, 0.0, -1e-6, float("inf"), float("nan")])
@pytest.mark.parametrize("check", ["numerical_gradient", "check_model_gradients", "check_loss_gradients"])
def test_every_public_check_refuses_a_step_eps_that_is_not_positive_and_finite(check, eps):
    calls = {
        "numerical_gradient": lambda: numerical_gradient(lambda x: float(np.sum(x**2)), np.ones(3), eps=eps),
        "check_model_gradients": lambda: check_model_gradients(
            LinearRegression(2), np.ones((3, 2)), np.ones(3), eps=eps, use_torch=False),
        "check_loss_gradients": lambda: check_loss_gradients("mse_loss", np.ones(3), np.zeros(3), eps=eps),
    }
    with pytest.raises(ValueError, match=r"eps must be (a number > 0|finite); got"):
        calls[check]()


# ---- bad input: check_loss_gradients (each call raises the error type and names the argument; conftest.case)
BAD_INPUT_TABLE = [
    case("check_loss_gradients-name-unknown", gradcheck.check_loss_gradients, ValueError, "name",
         name="hinge_loss", input=X_1D, target=X_1D),
]


@pytest.mark.parametrize("call, kwargs, error, argument", BAD_INPUT_TABLE)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    assert_raises_naming(call, kwargs, error, argument)
