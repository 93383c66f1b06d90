"""One battery of bad input against every public entry point.

Each case is (callable, keyword arguments, exception, argument name): calling must raise that
exception type, and its message must name the argument (as a whole word), so a user learns
which argument to fix. The kinds of bad input: wrong ndim, mismatched lengths, wrong feature
count, object/string dtypes, NaN/inf, labels out of range or non-integer, probabilities outside
[0, 1], empty arrays, non-positive sizes and rates, unknown options, wrong types.
"""

import contextlib
import io
import re

import numpy as np
import pytest

from scratch import datasets, gradcheck, idx, images, losses, metrics, persistence, plots, preprocessing
from scratch.autograd import Tensor
from scratch.cli import main, tasks
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.nn import BCEWithLogitsLoss, CrossEntropyLoss, Linear, MSELoss, Network, ReLU, Sequential, Softmax
from scratch.optim import SGD, CosineAnnealingLR, StepLR
from scratch.preprocessing import ScalePixels
from scratch.training import fit

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
BINARY_NET = Network(Sequential(Linear(3, 1, seed=0)), BCEWithLogitsLoss())
REGRESSOR = Network(Sequential(Linear(3, 1, seed=0)), MSELoss())
IRIS_TASK = tasks.load_task("iris")


class CommandLineError(Exception):
    """The one stderr line of the ``scratch`` command after it exited with status 2 (a usage error)."""


def scratch_command(argv):
    """Run ``scratch <argv>``; a usage error (status 2, one line, no traceback) becomes CommandLineError."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        status = main(argv)
    text = stderr.getvalue()
    if status == 2 and text.startswith("scratch: error: ") and text.count("\n") == 1:
        raise CommandLineError(text.strip())
    raise AssertionError(f"expected a one-line usage error (status 2); got status {status} and stderr {text!r}")


def case(case_id, call, error, argument, /, **kwargs):
    """A table row: call(**kwargs) must raise ``error`` with a message naming ``argument``."""
    return pytest.param(call, kwargs, error, argument, id=case_id)


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


MODELS = [
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

NETWORKS = [
    case("Sequential-no-layers", Sequential, ValueError, "layer"),
    case("Linear-in_features-0", Linear, ValueError, "in_features", in_features=0, out_features=2),
    case("Linear.forward-x-0d", Linear(3, 2).forward, ValueError, "x", x=np.float64(1.0)),  # (in,) is an unbatched sample, as in torch
    case("Sequential.forward-x-nan", Sequential(Linear(3, 2)).forward, ValueError, "x", x=X_NAN),
    case("Softmax-dim-float", Softmax, TypeError, "dim", dim=0.5),
    case("MSELoss-reduction-unknown", MSELoss, ValueError, "reduction", reduction="avg"),
    case("CrossEntropyLoss-label_smoothing-2", CrossEntropyLoss, ValueError, "label_smoothing", label_smoothing=2.0),
    case("CrossEntropyLoss-ignore_index-float", CrossEntropyLoss, TypeError, "ignore_index", ignore_index=0.5),
    case("Network-net-not-Sequential", Network, TypeError, "net", net=Linear(3, 1), criterion=MSELoss()),
    case("Network-criterion-string", Network, TypeError, "criterion", net=Sequential(Linear(3, 1)), criterion="mse"),
    case("Network.loss_grad-y-label-3", CLASSIFIER.loss_grad, ValueError, "y", X=X, y=[0, 1, 3, 1]),
    case("Network.loss-y-fraction", CLASSIFIER.loss, ValueError, "y", X=X, y=[0, 0.5, 2, 1]),
    case("Network-bce.loss_grad-y-outside-0-1", BINARY_NET.loss_grad, ValueError, "y", X=X, y=[0.0, 2.0, 0.0, 1.0]),
    case("Network-bce.loss-y-short", BINARY_NET.loss, ValueError, "y", X=X, y=BINARY[:3]),
    case("Network-mse.loss_grad-y-2d", REGRESSOR.loss_grad, ValueError, "y", X=X, y=BINARY[:, None]),
]

LOSSES = [
    case("mse_loss-target-string", losses.mse_loss, TypeError, "target", input=X, target=X_STRING),
    case("mse_loss-input-object", losses.mse_loss, TypeError, "input", input=X_OBJECT, target=X),
    case("mse_loss_grad-reduction-unknown", losses.mse_loss_grad, ValueError, "reduction",
         input=X, target=X, reduction="avg"),
    case("bce-target-other-shape", losses.binary_cross_entropy_with_logits, ValueError, "target",
         input=BINARY, target=X),
    case("bce_grad-weight-not-broadcastable", losses.binary_cross_entropy_with_logits_grad, ValueError, "weight",
         input=X, target=X, weight=np.ones(4)),
    case("bce-pos_weight-enlarges-input", losses.binary_cross_entropy_with_logits, ValueError, "pos_weight",
         input=BINARY, target=BINARY, pos_weight=np.ones((2, 4))),
    case("cross_entropy-input-0d", losses.cross_entropy, ValueError, "input", input=0.0, target=0),
    case("cross_entropy-target-float-labels", losses.cross_entropy, TypeError, "target",
         input=X, target=[0.0, 1.0, 2.0, 1.0]),
    case("cross_entropy-target-label-3", losses.cross_entropy, ValueError, "target", input=X, target=[0, 1, 3, 1]),
    case("cross_entropy_grad-target-short", losses.cross_entropy_grad, ValueError, "target",
         input=X, target=LABELS[:3]),
    case("cross_entropy-weight-wrong-length", losses.cross_entropy, ValueError, "weight",
         input=X, target=LABELS, weight=np.ones(2)),
    case("cross_entropy-reduction-unknown", losses.cross_entropy, ValueError, "reduction",
         input=X, target=LABELS, reduction="batchmean"),
    case("nll_loss-target-label-3", losses.nll_loss, ValueError, "target", input=X, target=[0, 1, 3, 1]),
    case("nll_loss_grad-weight-other-dtype", losses.nll_loss_grad, TypeError, "weight",
         input=X, target=LABELS, weight=np.ones(3, np.float32)),
]

OPTIMIZER = [
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

def fit_case(case_id, error, argument, **overrides):
    """A fit(...) row: one epoch of SoftmaxRegression on (X, LABELS) unless ``overrides`` say otherwise."""
    kwargs = dict(model=SOFTMAX, X=X, y=LABELS, epochs=1, batch_size=2, lr=0.1, verbose=False)
    return case(case_id, fit, error, argument, **{**kwargs, **overrides})


DRIVER = [
    fit_case("fit-batch_size-0", ValueError, "batch_size", batch_size=0),
    fit_case("fit-batch_size-float", TypeError, "batch_size", batch_size=2.5),
    fit_case("fit-epochs-0", ValueError, "epochs", epochs=0),
    fit_case("fit-lr-negative", ValueError, "lr", lr=-0.1),
    fit_case("fit-lr-string", TypeError, "lr", lr="0.1"),
    fit_case("fit-lr-and-optimizer", ValueError, "optimizer", optimizer=SGD(SOFTMAX.params, 0.1)),
    fit_case("fit-optimizer-string", TypeError, "optimizer", lr=None, optimizer="sgd"),
    fit_case("fit-optimizer-other-params", ValueError, "optimizer", lr=None, optimizer=SGD(LINEAR.params, 0.1)),
    fit_case("fit-model-not-a-model", TypeError, "model", model="softmax"),
    fit_case("fit-X-1d", ValueError, "X", model=LINEAR, X=np.zeros(4), y=BINARY),
    fit_case("fit-X-string", TypeError, "X", X=X_STRING),
    fit_case("fit-X-nan", ValueError, "X", X=X_NAN),
    fit_case("fit-X-empty", ValueError, "X", X=X_EMPTY, y=LABELS[:0]),
    fit_case("fit-X-wrong-features", ValueError, "X", X=X_2_FEATURES),
    fit_case("fit-y-short", ValueError, "y", y=LABELS[:3]),
    fit_case("fit-y-label-5", ValueError, "y", y=[0, 1, 5, 1]),
    fit_case("fit-y-inf", ValueError, "y", model=LINEAR, y=[0.0, np.inf, 0.0, 1.0]),
    fit_case("fit-network-y-label-3", ValueError, "y", model=CLASSIFIER, y=[0, 1, 3, 1]),
    fit_case("fit-seed-string", TypeError, "seed", seed="0"),
    fit_case("fit-scheduler-not-a-scheduler", TypeError, "scheduler", scheduler=0.5),
    fit_case("fit-scheduler-other-optimizer", ValueError, "scheduler", scheduler=StepLR(SGD(SOFTMAX.params, 0.1), 1)),
    fit_case("fit-drop_last-no-batch", ValueError, "batch_size", drop_last=True, batch_size=8),
    fit_case("fit-validation_data-wrong-features", ValueError, "X", validation_data=(X_2_FEATURES, LABELS)),
    fit_case("fit-validation_data-not-a-pair", TypeError, "validation_data", validation_data=(X,)),
    fit_case("fit-validation_data-label-5", ValueError, "validation_data", validation_data=(X, [0, 1, 5, 1])),
    fit_case("fit-X-pixels-above-1", ValueError, "X",
             model=SoftmaxRegression(3, 3, transform=ScalePixels()), X=X + 2.0),
]

AUTOGRAD = [
    case("Tensor-data-string", Tensor, TypeError, "data", data=["a", "b"]),
    case("Tensor-data-object", Tensor, TypeError, "data", data=X_OBJECT),
    case("Tensor.add-other-string", Tensor(np.ones(3)).__add__, TypeError, "other", other="a"),
    case("Tensor.matmul-other-wrong-shape", Tensor(np.ones((2, 3))).__matmul__, ValueError, "other",
         other=Tensor(np.ones((2, 3)))),
    case("Tensor.backward-gradient-wrong-shape", (Tensor(np.ones(3), requires_grad=True) * 2).backward,
         ValueError, "gradient", gradient=np.ones(2)),
    case("Tensor.backward-gradient-nan", (Tensor(np.ones(3), requires_grad=True) * 2).backward,
         ValueError, "gradient", gradient=np.full(3, np.nan)),
    case("Tensor.backward-non-scalar-no-gradient", (Tensor(np.ones(3), requires_grad=True) * 2).backward,
         RuntimeError, "gradient"),
]

DATA = [
    case("load_mnist-path-missing", datasets.load_mnist, datasets.DataNotFoundError, "path",
         path="/nonexistent/mnist", cache=False),
    case("load_fashion_mnist-path-missing-despite-a-cache", datasets.load_fashion_mnist, datasets.DataNotFoundError,
         "path", path="/nonexistent/fashion-mnist"),
    case("make_house_prices-n_samples-0", datasets.make_house_prices, ValueError, "n_samples", n_samples=0),
    case("make_advertising-noise-negative", datasets.make_advertising, ValueError, "noise", noise=-1.0),
    case("make_advertising-seed-string", datasets.make_advertising, TypeError, "seed", seed="0"),
    case("load_task-data-unknown", tasks.load_task, ValueError, "data", data="cifar10"),
    case("load_task-test_fraction-1", tasks.load_task, ValueError, "test_fraction", data="iris", test_fraction=1.0),
    case("load_task-test_fraction-string", tasks.load_task, TypeError, "test_fraction",
         data="iris", test_fraction="0.2"),
    case("load_task-features-out-of-range", tasks.load_task, ValueError, "features", data="iris", features=[4]),
    case("load_task-features-string", tasks.load_task, TypeError, "features", data="iris", features="ab"),
    case("load_task-positive_class-unknown", tasks.load_task, ValueError, "positive_class", data="iris",
         model="logistic", positive_class="rose"),
    case("load_task-model-mismatch", tasks.load_task, ValueError, "model", data="iris", model="linear"),
    case("load_task-validation_fraction-0", tasks.load_task, ValueError, "validation_fraction", data="iris",
         validation_fraction=0.0),
    case("build_model-spec-unknown", tasks.build_model, ValueError, "model", spec="perceptron", task=IRIS_TASK),
    case("build_model-dtype-int", tasks.build_model, TypeError, "dtype", spec="softmax", task=IRIS_TASK, dtype=int),
    case("read_idx-source-int", idx.read_idx, TypeError, "source", source=3),
    case("write_idx-array-object", idx.write_idx, TypeError, "dtype", target=io.BytesIO(), array=X_OBJECT),
    case("save-model-string", persistence.save, TypeError, "model", model="softmax", path="unused.npz"),
    case("scale_pixels-X-above-255", preprocessing.scale_pixels, ValueError, "pixels", X=np.array([300]), name="pixels"),
    case("flatten_images-images-2d", images.flatten_images, ValueError, "images", images=np.zeros((3, 3))),
    case("accuracy-y_pred-short", metrics.accuracy, ValueError, "y_pred", y_true=[0, 1], y_pred=[0]),
    case("r2_score-y_true-nan", metrics.r2_score, ValueError, "y_true", y_true=[0.0, np.nan], y_pred=[0.0, 1.0]),
    case("confusion_matrix-y_pred-label-3", metrics.confusion_matrix, ValueError, "y_pred",
         y_true=[0, 1], y_pred=[0, 3], n_classes=3),
    case("plot_history-train_loss-nan", plots.plot_history, ValueError, "train_loss", train_loss=[1.0, np.nan]),
    case("check_loss_gradients-name-unknown", gradcheck.check_loss_gradients, ValueError, "name",
         name="hinge_loss", input=X_1D, target=X_1D),
]

def command_case(case_id, argument, *argv):
    """A ``scratch <argv>`` row: a usage error (status 2) whose error line names ``argument``."""
    return case(case_id, scratch_command, CommandLineError, argument, argv=list(argv))


IRIS_TRAIN = ("train", "softmax", "--data", "iris", "--epochs", "1", "--out", "/nonexistent/never-written")
COMMAND_LINE = [
    command_case("cli-data-unknown", "--data", "train", "softmax", "--data", "cifar"),
    command_case("cli-lr-negative", "lr", *IRIS_TRAIN, "--lr", "-1"),
    command_case("cli-batch-size-0", "--batch-size", *IRIS_TRAIN, "--batch-size", "0"),
    command_case("cli-epochs-string", "--epochs", *IRIS_TRAIN, "--epochs", "many"),
    command_case("cli-features-not-integers", "--features", *IRIS_TRAIN, "--features", "a,b"),
    command_case("cli-momentum-negative", "momentum", *IRIS_TRAIN, "--momentum", "-0.9"),
    command_case("cli-weight-decay-negative", "weight_decay", *IRIS_TRAIN, "--weight-decay", "-1"),
    command_case("cli-seed-negative", "seed", *IRIS_TRAIN, "--seed", "-1"),
    command_case("cli-model-unknown", "model", "train", "perceptron", "--data", "iris"),
    command_case("cli-gradcheck-tol-0", "--tol", "gradcheck", "--tol", "0"),
    command_case("cli-gradcheck-tol-nan", "--tol", "gradcheck", "--tol", "nan"),
    command_case("cli-features-with-image-data", "features", *IRIS_TRAIN, "--data", "mnist", "--features", "1"),
    command_case("cli-positive-class-with-softmax", "positive_class", *IRIS_TRAIN, "--positive-class", "setosa"),
    command_case("cli-predict-limit-0", "--limit", "predict", "/nonexistent/run", "--limit", "0"),
]

CASES = MODELS + NETWORKS + LOSSES + OPTIMIZER + DRIVER + AUTOGRAD + DATA + COMMAND_LINE


@pytest.mark.parametrize("call, kwargs, error, argument", CASES)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    with pytest.raises(error) as raised:
        call(**kwargs)
    message = str(raised.value)
    assert re.search(rf"(?<![\w-]){re.escape(argument)}(?![\w-])", message), f"{argument!r} not in: {message}"
    assert len(message) > len(argument) + 20, f"too terse to say what was expected and given: {message}"


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
