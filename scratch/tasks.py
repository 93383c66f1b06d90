"""Learning tasks for the command line: a data set split, preprocessed, and matched to a model.

A `Task` holds train/test arrays ready for a model, the kind of problem ("multiclass",
"binary", "regression"), and the names a figure needs. Images stay uint8 (N, 28, 28): the
training driver converts each batch, `model_input` converts a whole split. Tabular
features are standardised with the training split's mean and standard deviation, which
the task records so a saved run can be reloaded and applied to new data.
"""

from dataclasses import dataclass, field

import numpy as np

from scratch import datasets
from scratch._validation import check_array, check_choice, check_number, check_seed
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.nn import BCEWithLogitsLoss, CrossEntropyLoss, Linear, MSELoss, Network, ReLU, Sequential, Sigmoid, Softmax
from scratch.training import as_model_input

IMAGE_DATA = {"mnist": datasets.load_mnist, "fashion-mnist": datasets.load_fashion_mnist}
TABULAR_DATA = {
    "iris": datasets.load_iris,
    "boston": datasets.load_boston,
    "house-prices": datasets.make_house_prices,
    "advertising": datasets.make_advertising,
}
DATA_NAMES = tuple(IMAGE_DATA) + tuple(TABULAR_DATA)
MODEL_NAMES = ("linear", "logistic", "softmax")
TARGET_NAMES = {"boston": "medv ($1000s)", "house-prices": "price ($100k)", "advertising": "sales (1000 units)"}


@dataclass
class Task:
    """Train/test arrays and their description. kind: "multiclass", "binary" or "regression"."""

    data: str
    kind: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    feature_names: tuple
    class_names: tuple = ()
    target_name: str = "y"
    image_shape: tuple = None
    mean: np.ndarray = None  # standardisation of tabular features, from the training split
    scale: np.ndarray = None
    settings: dict = field(default_factory=dict)  # what rebuilds this task: load_task(**settings)

    @property
    def n_features(self):
        return int(np.prod(self.X_train.shape[1:]))

    def model_input(self, X, dtype=np.float64):
        """Raw features (N, …) → what the model reads: (N, D) in ``dtype``."""
        if self.image_shape is not None:
            return as_model_input(X, dtype)
        return ((np.asarray(X, dtype=np.float64) - self.mean) / self.scale).astype(dtype)


def load_task(data, *, model="softmax", features=None, positive_class=None, test_fraction=0.2, seed=0):
    """Load ``data`` and shape it for ``model`` (a model name or a Sequential spec).

    features: column indices to keep (tabular data). positive_class: for logistic regression
    on multi-class data, the class that becomes 1 (default: the last class); the rest become 0.
    Tabular data is split at random (``seed``) into 1 − test_fraction / test_fraction.
    """
    check_choice(data, "data", DATA_NAMES)
    settings = dict(data=data, model=model, features=features, positive_class=positive_class,
                    test_fraction=test_fraction, seed=seed)
    task = _image_task(data) if data in IMAGE_DATA else _tabular_task(data, features, test_fraction, seed)
    if model == "logistic":
        task = _as_binary(task, positive_class)
    elif model == "linear" and task.kind != "regression":
        raise ValueError(f"model 'linear' is a regression model; data {data!r} is a classification set. Use 'softmax'.")
    elif model in ("logistic", "softmax") and task.kind == "regression":
        raise ValueError(f"model {model!r} is a classifier; data {data!r} is a regression set. Use 'linear'.")
    task.settings = settings
    return task


def _image_task(data):
    d = IMAGE_DATA[data]()
    return Task(data, "multiclass", d.X_train, d.y_train, d.X_test, d.y_test,
                feature_names=(), class_names=tuple(d.classes), image_shape=d.X_train.shape[1:])


def _tabular_task(data, features, test_fraction, seed):
    d = TABULAR_DATA[data]() if data in ("iris", "boston") else TABULAR_DATA[data](seed=seed)
    X, names = d.X, tuple(d.feature_names)
    if features is not None:
        features = _check_features(features, X.shape[1], data)
        X, names = X[:, features], tuple(names[i] for i in features)
    train, test = _split(len(X), test_fraction, seed)
    mean, scale = X[train].mean(axis=0), X[train].std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    classes = tuple(getattr(d, "classes", ()))
    kind = "multiclass" if classes else "regression"
    return Task(data, kind, X[train], d.y[train], X[test], d.y[test], names, classes,
                TARGET_NAMES.get(data, "y"), mean=mean, scale=scale)


def _check_features(features, n_columns, data):
    features = check_array(features, "features", ndim=1, dtype="int")
    if not ((features >= 0) & (features < n_columns)).all():
        raise ValueError(f"features must be column indices in 0..{n_columns - 1} of {data!r}; got {features.tolist()}.")
    return features


def _split(n, test_fraction, seed):
    check_number(test_fraction, "test_fraction")
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie in (0, 1); got {test_fraction}.")
    order = check_seed(seed).permutation(n)
    n_test = max(1, int(round(n * test_fraction)))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def _as_binary(task, positive_class):
    """One class against the rest: y = 1 where the label is ``positive_class``."""
    if task.kind != "multiclass":
        raise ValueError(f"logistic regression needs class labels; data {task.data!r} is a regression set.")
    names = task.class_names
    positive = len(names) - 1 if positive_class is None else _class_index(positive_class, names)
    task.kind = "binary"
    task.y_train = (np.asarray(task.y_train) == positive).astype(np.float64)
    task.y_test = (np.asarray(task.y_test) == positive).astype(np.float64)
    task.class_names = (f"not {names[positive]}", names[positive])
    return task


def _class_index(value, names):
    if str(value) in names:
        return names.index(str(value))
    if str(value).isdigit() and int(value) < len(names):
        return int(value)
    raise ValueError(f"positive_class must be one of {', '.join(names)} (or its index); got {value!r}.")


def build_model(spec, task, *, seed=0, dtype=np.float64):
    """A model for ``task``: "linear", "logistic", "softmax", or a Sequential spec.

    A Sequential spec lists layers separated by commas: ``dense:N`` (N outputs; the last dense
    may omit N, it then gets one output per class, or 1), ``relu``, ``sigmoid``, ``softmax``,
    e.g. ``dense:128,relu,dense``. The criterion follows the task: cross-entropy, BCE with
    logits, or MSE. Parameters start with PyTorch's nn.Linear initialisation, seeded.
    """
    D = task.n_features
    K = len(task.class_names) if task.kind == "multiclass" else 1
    if spec == "linear":
        return LinearRegression(D, init="torch", seed=seed, dtype=dtype)
    if spec == "logistic":
        return LogisticRegression(D, init="torch", seed=seed, dtype=dtype)
    if spec == "softmax":
        return SoftmaxRegression(D, K, init="torch", seed=seed, dtype=dtype)
    criterion = {"multiclass": CrossEntropyLoss, "binary": BCEWithLogitsLoss, "regression": MSELoss}[task.kind]()
    return Network(parse_sequential(spec, D, K, seed=seed, dtype=dtype), criterion)


def parse_sequential(spec, in_features, out_features, *, seed=0, dtype=np.float64):
    """Build a Sequential from a spec such as ``dense:128,relu,dense`` (see build_model)."""
    rng = check_seed(seed)
    layers, width = [], in_features
    tokens = [t.strip() for t in str(spec).split(",") if t.strip()]
    activations = {"relu": ReLU, "sigmoid": Sigmoid, "softmax": Softmax}
    for i, token in enumerate(tokens):
        name, _, units = token.partition(":")
        if name in activations and not units:
            layers.append(activations[name]())
        elif name == "dense":
            last_dense = all(not t.startswith("dense") for t in tokens[i + 1:])
            n_out = _units(units, token) if units else (out_features if last_dense else None)
            if n_out is None:
                raise ValueError(f"model spec: only the last dense layer may omit its units; got {token!r} in {spec!r}.")
            layers.append(Linear(width, n_out, seed=rng, dtype=dtype))
            width = n_out
        else:
            raise ValueError(
                f"model must be one of {', '.join(MODEL_NAMES)} or a layer list such as 'dense:128,relu,dense'; "
                f"got {spec!r} (unknown layer {token!r})."
            )
    if width != out_features:
        raise ValueError(f"model spec {spec!r} ends with {width} outputs; the task needs {out_features}.")
    return Sequential(*layers)


def _units(text, token):
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"model spec: dense layer units must be a positive integer; got {token!r}.")
    return int(text)
