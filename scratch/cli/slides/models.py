"""Sections 6–9 of the lecture: nn.Sequential, the models and their data sets, training, image data.

Section 9 needs MNIST and Fashion-MNIST; where one is not installed its rows are skipped,
and their note gives the command that installs it. The demo's 91.97 % is met by the
recipe ``DEMO_RECIPE`` (plain minibatch SGD; the slides give no learning rate, batch size or
epochs), in about two seconds.
"""

import numpy as np

from scratch import datasets, losses, numerics
from scratch.cli.slides.numbers import LOGISTIC, SOFTMAX
from scratch.cli.slides.report import row
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.nn import Linear, Sequential, Softmax
from scratch.preprocessing import Standardize
from scratch.training import fit

DEMO_RECIPE = {"epochs": 10, "batch_size": 64, "lr": 0.1, "seed": 0}  # plain SGD, no momentum, no schedule
IRIS_RECIPE = {"epochs": 50, "batch_size": 16, "lr": 0.5, "seed": 0}
SYNTHETIC = "synthetic data with the slide's columns"


def sequential():
    """Section 6: the two stacks of slides 18–20, their widths, parameters and outputs."""
    regression = Sequential(Linear(3, 1, seed=0))  # dense(units=1), input_shape=(3,)
    classifier = Sequential(Linear(4, 3, seed=0), Softmax(dim=-1))  # dense(units=3), input_shape=(4,), softmax
    probabilities = classifier(np.random.default_rng(0).normal(size=(5, 4)))
    count = lambda net: sum(p.size for p in net.parameters())
    return [
        row(18, "Sequential(Linear(3, 1)): input_shape, units", [regression.in_features, regression.out_features],
            "[3, 1]"),
        row(18, "its output for a batch of 5 samples: shape", regression(np.ones((5, 3))).shape),
        row(18, "its parameters: 3 weights + 1 bias", count(regression)),
        row("18, 20", "Sequential(Linear(4, 3), Softmax): input_shape, units", [classifier.in_features, 3], "[4, 3]"),
        row("18, 20", "its output for a batch of 5 samples: shape", probabilities.shape),
        row("18, 20", "its parameters: 4 × 3 weights + 3 biases", count(classifier)),
        row("18, 20", "largest deviation of a sample's 3 probabilities from sum 1",
            np.abs(probabilities.sum(axis=1) - 1).max()),
    ]


def _r2(data):
    return LinearRegression(data.X.shape[1]).fit_least_squares(data.X, data.y).score(data.X, data.y)


def _fitted(cls, X, y, *shape):
    model = cls(X.shape[1], *shape, transform=Standardize.from_data(X))
    fit(model, X, y, **IRIS_RECIPE)
    return model


def model_construction():
    """Section 7: the slides' data sets, their features, and each model fitted to them."""
    houses, ads, iris, boston, boston_13 = (datasets.lookup(name).load() for name in
                                            ("house-prices", "advertising", "iris", "boston", "boston-mass"))
    rows = [
        row(21, "house prices: features (area), input_shape=(1,)", houses.X.shape[1], "1", note=SYNTHETIC),
        row(21, "house prices: R² of the least-squares line", _r2(houses)),
        row(22, "advertising: features (TV, Radio, Newspaper), input_shape=(3,)", ads.X.shape[1], "3", note=SYNTHETIC),
        row(22, "advertising: R² of least squares", _r2(ads)),
        row("23, 24", "Boston, MASS edition: features, medv = w₁x₁ + … + w₁₃x₁₃ + b", boston_13.X.shape[1], "13",
            note='load_boston(edition="mass"); its column black encodes race: see scratch/data/README.md'),
        row("23, 24", "Boston, ISLP edition (the default): features", boston.X.shape[1], note="it drops B"),
        row("23, 24", "Boston: R² of least squares on the 13 features, on ISLP's 12", [_r2(boston_13), _r2(boston)]),
        row("28–30", "Iris: samples, features, classes", [*iris.X.shape, len(iris.class_names)]),
    ]
    virginica = (iris.y == 2).astype(float)
    for number, columns in ((25, [3]), (26, [2, 3]), (27, [0, 1, 2, 3])):
        model = _fitted(LogisticRegression, iris.X[:, columns], virginica)
        rows.append(row(number, f"input_shape=({len(columns)},), sigmoid, BCEWithLogitsLoss: Iris virginica or not, "
                                f"training accuracy (features {columns})", model.score(iris.X[:, columns], virginica)))
    two = iris.y < 2
    cases = ((28, iris.X[two][:, [2]], iris.y[two], 2), (29, iris.X[:, [2]], iris.y, 3), (30, iris.X, iris.y, 3))
    for number, X, y, k in cases:
        model = _fitted(SoftmaxRegression, X, y, k)
        features = f"{X.shape[1]} feature{'s' if X.shape[1] > 1 else ''}"
        rows.append(row(number, f"{features} → {k} classes, dense(units={k}) + softmax, "
                                "CrossEntropyLoss: Iris training accuracy", model.score(X, y),
                        note="setosa and versicolor from petal length" if number == 28 else ""))
        if number == 28:
            rows += _slide_28_erratum(model.forward(X))
    return rows


def _slide_28_erratum(z):
    """ŷ₂ printed with e^{z₁}: the two 'probabilities' are then equal and do not sum to 1."""
    total = np.exp(z).sum(axis=1)
    printed, meant = 2 * np.exp(z[:, 0]) / total, np.exp(z).sum(axis=1) / total
    return [
        row(28, "ŷ₁ + ŷ₂ as printed (e^z₁ in both numerators): largest deviation from 1", np.abs(printed - 1).max(),
            note="erratum: ŷ₂ = e^z₂ / (e^z₁ + e^z₂) is meant"),
        row(28, "ŷ₁ + ŷ₂ as meant: largest deviation from 1", np.abs(meant - 1).max()),
    ]


def training():
    """Section 8: the gradients slides 31 and 32 write, on the worked batches; the loop with fit."""
    X, theta, y = LOGISTIC["X"], LOGISTIC["theta"], LOGISTIC["y"]
    grad = lambda reduction: X.T @ losses.binary_cross_entropy_with_logits_grad(X @ theta, y, reduction=reduction)
    x, labels = SOFTMAX["X"], SOFTMAX["y"]
    p = numerics.softmax(x * SOFTMAX["W"] + SOFTMAX["b"])
    per_sample = x * (p - np.eye(2)[labels])  # row n: x_n (ŷ_n − y_n), one entry per class i
    iris = datasets.load_iris()
    keep = iris.y > 0
    X2, y2 = iris.X[keep][:, [2, 3]], (iris.y[keep] == 2).astype(float)
    model = LogisticRegression(2, transform=Standardize.from_data(X2))
    history = fit(model, X2, y2, epochs=20, batch_size=16, lr=0.1, seed=0)
    return [
        row(31, "L'θ = xᵀ(ŷ − y) as written, a sum, on slide 16's batch", grad("sum"),
            note="erratum: slide 16's numbers are the mean"),
        row(31, "xᵀ(ŷ − y) / N, of the mean loss (scratch's and PyTorch's default)", grad("mean")),
        row(32, "∂L/∂θᵢ = x(ŷᵢ − yᵢ) for each sample of slide 17's batch", per_sample),
        row(32, "their mean over the batch: the gradient of the mean loss", per_sample.mean(axis=0)),
        row("31, 32", "fit, Iris versicolor vs virginica, 2 features, η = 0.1, batch 16: "
                      "training loss after epochs 1 and 20",
            [history.train_loss[0], history.train_loss[-1]]),
        row("31, 32", "its training accuracy", model.score(X2, y2)),
    ]


def _demo_accuracy(mnist):
    model = SoftmaxRegression(784, 10, dtype=np.float32)
    fit(model, mnist.X_train, mnist.y_train, **DEMO_RECIPE)  # uint8 pixels: fit sets the transform x / 255
    return 100 * model.score(mnist.X_test, mnist.y_test)


IMAGE_ROWS = {  # data set (its registry name) → (slide, quantity, printed value, how to compute it, options) per row
    "mnist": [
        (35, "grayscale pixels p: min, max", "[0, 255]", lambda d: [d.X_train.min(), d.X_train.max()], {}),
        (38, "resolution: height, width", "[28, 28]", lambda d: d.X_train.shape[1:], {}),
        (38, "training samples", "60000", lambda d: len(d.X_train), {}),
        (38, "test samples", "10000", lambda d: len(d.X_test), {}),
        (40, "flattened: input nodes, 28 × 28", "784", lambda d: np.reshape(d.X_test[:1], (1, -1)).shape[1], {}),
        (40, "output nodes, one per class", "10", lambda d: len(d.class_names), {}),
        (40, "parameters of the softmax regression, 784 × 10 + 10", "",
         lambda d: sum(p.size for p in SoftmaxRegression(784, 10).parameters()), {}),
        (41, "demo: test accuracy (%)", "91.97", _demo_accuracy,
         {"at_least": True, "tolerance": 0.0,
          "note": "reached by plain SGD, η = 0.1, batch 64, 10 epochs, x = p / 255"}),
    ],
    "fashion-mnist": [
        (39, "resolution: height, width", "[28, 28]", lambda d: d.X_train.shape[1:], {}),
        (39, "training samples", "60000", lambda d: len(d.X_train), {}),
        (39, "test samples", "10000", lambda d: len(d.X_test), {}),
        (39, "classes (T-shirt … Ankle boot)", "", lambda d: len(d.class_names), {}),
    ],
}


def image_data():
    """Section 9 on the real files; the rows of a data set that is not installed are skipped."""
    rows = []
    for key, specs in IMAGE_ROWS.items():
        entry = datasets.lookup(key)
        name = entry.title
        try:
            data = entry.load()
        except datasets.DataNotFoundError:
            missing = f"{name} is not installed: {entry.source.install}"
            rows += [row(n, f"{name}: {quantity}", None, slide, note=missing) for n, quantity, slide, _, _ in specs]
            continue
        rows += [row(n, f"{name}: {quantity}", compute(data), slide, **options)
                 for n, quantity, slide, compute, options in specs]
    return rows
