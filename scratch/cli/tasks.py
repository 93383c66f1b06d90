"""Learning tasks for the command line: a data set split three ways and matched to a model.

A `Task` holds RAW train/validation/test samples — images stay uint8 (N, 28, 28), tabular
features stay in their units — and the transform the model is built with: ``ScalePixels()``
for images, ``Standardize.from_data(X_train)`` for tables. The model applies it on every
path (``fit``, ``score``, ``predict``), and it is saved with the model.

What a task knows of its data set comes from the set's entry in ``scratch.datasets``' registry:
its kind, class names, target, image shape and split. Splits: image sets keep their published
test split; a tabular set is split at random (seeded) into 1 − test_fraction / test_fraction.
The validation split is a seeded ``validation_fraction`` of the training rows, held out: a
monitored model is fitted on the rest and watched on it after each epoch (that is how the
recipes were chosen); the final model is refitted on the whole training split
(``whole_training_split``) with the same recipe, and the test split is scored once, with it.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from scratch import datasets, models
from scratch._validation import check_array, check_number, check_seed
from scratch.cli.choices import VALIDATION_FRACTION
from scratch.nn import CrossEntropyLoss, Linear, Module, MSELoss, Network, Sequential, layers
from scratch.preprocessing import ScalePixels, Standardize

# The models, named after their classes ("SoftmaxRegression" → "softmax"), each with its criterion.
MODELS = {
    cls.__name__.removesuffix("Regression").lower(): cls
    for cls in Module.registry.values()
    if cls.__module__ == models.__name__ and getattr(cls, "criterion_class", None) is not None
}
MODEL_NAMES = tuple(MODELS)
# Layers of a network spec: "dense:N" is nn.Linear (the lecture's Keras name); the
# parameter-free layers of scratch.nn.layers by their lower-case class names.
ACTIVATIONS = {
    cls.__name__.lower(): cls
    for cls in Module.registry.values()
    if cls.__module__ == layers.__name__ and cls is not Linear
}


@dataclass
class Task:
    """Raw train/validation/test samples and their description. kind: "multiclass", "binary" or "regression"."""

    data: str
    kind: str
    X_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    X_val: np.ndarray = field(repr=False)
    y_val: np.ndarray = field(repr=False)
    X_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    feature_names: tuple
    class_names: tuple = ()
    target_name: str = "y"
    image_shape: tuple = None
    settings: dict = field(default_factory=dict)  # what rebuilds this task: load_task(**settings)

    @property
    def n_features(self):
        return int(np.prod(self.X_train.shape[1:]))

    def whole_training_split(self):
        """This task with its validation rows returned to the training split (after its training rows):
        what the final model is refitted on."""
        X, y = _rejoined(self.X_train, self.X_val), _rejoined(np.asarray(self.y_train), np.asarray(self.y_val))
        return replace(self, X_train=X, y_train=y, X_val=None, y_val=None)

    @property
    def transform(self):
        """What turns these raw samples into model input: x = p / 255, or (v − mean) / scale of X_train."""
        return ScalePixels() if self.image_shape is not None else Standardize.from_data(self.X_train)


def load_task(data, *, model="softmax", features=None, positive_class=None, test_fraction=None,
              validation_fraction=VALIDATION_FRACTION, seed=0, classes=None):
    """Load ``data`` (a name of the data set registry), split it, and shape its targets for ``model``
    (a model name or a layer spec).

    test_fraction: of a table's rows, held out for testing (None: the data set's default; an
    image set keeps its published test split). features: tabular column indices to keep.
    positive_class: for a binary model (logistic regression), the class that becomes 1
    (default: the last); the rest become 0.
    classes: tabular classes to keep (names or indices), relabelled 0 … k − 1 in that order.
    """
    entry = datasets.lookup(data)
    settings = dict(data=data, model=model, features=features, positive_class=positive_class,
                    test_fraction=test_fraction, validation_fraction=validation_fraction, seed=seed, classes=classes)
    for option, value in (("features", features), ("classes", classes)):
        if entry.kind == "images" and value is not None:
            raise ValueError(f"{option} selects from tabular data; {data!r} is an image set. Leave --{option} out.")
    kind = MODELS[model].criterion_class.kind if model in MODELS else None
    if positive_class is not None and kind != "binary":
        raise ValueError(
            f"positive_class applies to binary models ({', '.join(_models_for('binary'))}); "
            f"model {model!r} is not one. Leave --positive-class out."
        )
    rng = check_seed(seed)
    if entry.kind == "images":
        task = _image_task(entry)
    else:
        fraction = entry.test_fraction if test_fraction is None else test_fraction
        task = _tabular_task(entry, features, classes, fraction, seed, rng)
    _hold_out_validation(task, validation_fraction, rng)
    if kind == "binary":
        _as_binary(task, positive_class)
    elif kind is not None and kind != task.kind:
        raise ValueError(
            f"model {model!r} is a {kind} model; data {data!r} is a {task.kind} set. "
            f"Use {' or '.join(_models_for(task.kind))}."
        )
    task.settings = settings
    return task


def _models_for(kind):
    return [name for name, cls in MODELS.items() if cls.criterion_class.kind == kind]


def _image_task(entry):
    """The published train/test split of an image set."""
    d = entry.load()
    return Task(entry.name, "multiclass", d.X_train, d.y_train, None, None, d.X_test, d.y_test,
                feature_names=(), class_names=entry.class_names, image_shape=entry.image_shape)


def _tabular_task(entry, features, classes, test_fraction, seed, rng):
    """A table's rows (and columns) split at random into train/test."""
    data, d = entry.name, entry.load(seed=seed)
    X, y, names, class_names = d.X, d.y, tuple(d.feature_names), entry.class_names
    if features is not None:
        features = _check_features(features, X.shape[1], data)
        X, names = X[:, features], tuple(names[i] for i in features)
    if classes is not None:
        X, y, class_names = _keep_classes(X, y, class_names, classes, data)
    train, test = _split(len(X), test_fraction, rng, "test_fraction")
    kind = "regression" if entry.kind == "regression" else "multiclass"
    return Task(data, kind, X[train], y[train], None, None, X[test], y[test], names, class_names, entry.target)


def _keep_classes(X, y, names, classes, data):
    """The rows of ``classes`` (names or indices), relabelled 0 … k − 1 in the order given."""
    if not names:
        raise ValueError(f"classes selects classes of a classification set; {data!r} is a regression set.")
    indices = [_class_index(value, names, "classes") for value in classes]
    if len(set(indices)) < 2:
        raise ValueError(f"classes must name at least two different classes of {data!r}; got {list(classes)}.")
    new_label = np.full(len(names), -1)
    new_label[indices] = np.arange(len(indices))
    keep = new_label[y] >= 0
    return X[keep], new_label[y[keep]], tuple(names[i] for i in indices)


def _check_features(features, n_columns, data):
    features = check_array(features, "features", ndim=1, dtype="int")
    if not ((features >= 0) & (features < n_columns)).all():
        raise ValueError(f"features must be column indices in 0..{n_columns - 1} of {data!r}; got {features.tolist()}.")
    return features


def _split(n, fraction, rng, name):
    """(kept, held out) sorted row indices: a seeded ``fraction`` of n rows held out (at least 1, not all)."""
    check_number(fraction, name)
    if not 0 < fraction < 1:
        raise ValueError(f"{name} must lie strictly between 0 and 1; got {fraction}.")
    order = rng.permutation(n)
    n_out = min(n - 1, max(1, int(round(n * fraction))))
    return np.sort(order[n_out:]), np.sort(order[:n_out])


def _hold_out_validation(task, fraction, rng):
    """Move a seeded ``fraction`` of the training rows into the validation split: both are gathered
    into one array, training rows first, so ``whole_training_split`` rejoins them without a copy."""
    train, val = _split(len(task.X_train), fraction, rng, "validation_fraction")
    rows = np.concatenate([train, val])
    X, y = task.X_train[rows], np.asarray(task.y_train)[rows]
    task.X_train, task.y_train, task.X_val, task.y_val = X[:len(train)], y[:len(train)], X[len(train):], y[len(train):]


def _rejoined(first, second):
    """np.concatenate([first, second]): the array they were sliced from when ``second`` follows ``first``
    in it (as ``_hold_out_validation`` leaves them), else a copy."""
    whole = first.base
    if (isinstance(whole, np.ndarray) and second.base is whole and whole.flags.c_contiguous
            and first.flags.c_contiguous and len(first) + len(second) == len(whole)
            and _address(first) == _address(whole) and _address(second) == _address(first) + first.nbytes):
        return whole
    return np.concatenate([first, second])


def _address(array):
    return array.__array_interface__["data"][0]


def _as_binary(task, positive_class):
    """One class against the rest: y = 1 where the label is ``positive_class``."""
    if task.kind != "multiclass":
        raise ValueError(f"a binary model needs class labels; data {task.data!r} is a regression set.")
    names = task.class_names
    positive = len(names) - 1 if positive_class is None else _class_index(positive_class, names)
    task.kind = "binary"
    for split in ("train", "val", "test"):
        setattr(task, f"y_{split}", (np.asarray(getattr(task, f"y_{split}")) == positive).astype(np.float64))
    task.class_names = (f"not {names[positive]}", names[positive])


def _class_index(value, names, argument="positive_class"):
    if str(value) in names:
        return names.index(str(value))
    if str(value).isdigit() and int(value) < len(names):
        return int(value)
    raise ValueError(f"{argument} must name classes among {', '.join(names)} (or their indices); got {value!r}.")


def build_model(spec, task, *, seed=0, dtype=np.float64):
    """A model for ``task``, with the task's transform: a name of ``MODELS`` or a layer spec.

    A layer spec lists layers separated by commas: ``dense:N`` (N outputs; the last dense may
    omit N, it then gets one output per class, or 1) and the activations of ``ACTIVATIONS``,
    e.g. ``dense:128,relu,dense``. Its criterion: cross-entropy for classes, else MSE.
    Parameters start with PyTorch's nn.Linear initialisation, seeded.
    """
    n_classes = len(task.class_names) if task.kind == "multiclass" else 1
    if spec in MODELS:
        cls = MODELS[spec]
        shape = (task.n_features, n_classes) if cls.criterion_class.kind == "multiclass" else (task.n_features,)
        return cls(*shape, init="torch", seed=seed, dtype=dtype, transform=task.transform)
    criterion = CrossEntropyLoss() if task.kind == "multiclass" else MSELoss()
    net = parse_sequential(spec, task.n_features, n_classes, seed=seed, dtype=dtype)
    return Network(net, criterion, transform=task.transform)


def parse_sequential(spec, in_features, out_features, *, seed=0, dtype=np.float64):
    """Build a Sequential from a spec such as ``dense:128,relu,dense`` (see build_model)."""
    rng = check_seed(seed)
    net, width = [], in_features
    tokens = [t.strip() for t in str(spec).split(",") if t.strip()]
    for i, token in enumerate(tokens):
        name, _, units = token.partition(":")
        if name in ACTIVATIONS and not units:
            net.append(ACTIVATIONS[name]())
        elif name == "dense":
            last_dense = all(not t.startswith("dense") for t in tokens[i + 1:])
            n_out = _units(units, token) if units else (out_features if last_dense else None)
            if n_out is None:
                raise ValueError(f"model spec: only the last dense layer may omit its units; "
                                 f"got {token!r} in {spec!r}.")
            net.append(Linear(width, n_out, seed=rng, dtype=dtype))
            width = n_out
        else:
            raise ValueError(
                f"model must be one of {', '.join(MODEL_NAMES)} or a layer list such as 'dense:128,relu,dense' "
                f"(layers: dense[:N], {', '.join(ACTIVATIONS)}); got {spec!r} (unknown layer {token!r})."
            )
    if width != out_features:
        raise ValueError(f"model spec {spec!r} ends with {width} outputs; the task needs {out_features}.")
    return Sequential(*net)


def _units(text, token):
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"model spec: dense layer units must be a positive integer; got {token!r}.")
    return int(text)
