"""The lecture's tables: Iris and Boston (small CSV copies shipped in ``scratch/data/``), and the
synthetic regression sets of the house-price and advertising slides.
"""

import csv
import importlib.resources
import io
from dataclasses import dataclass

import numpy as np

from scratch._validation import check_choice, check_number, check_seed

IRIS_FEATURES = ("sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)")
IRIS_CLASSES = ("setosa", "versicolor", "virginica")
BOSTON_EDITIONS = {"islp": "boston.csv", "mass": "boston-mass.csv"}  # load_boston's editions, shipped files


@dataclass(frozen=True, eq=False)
class TabularDataset:
    """X: (N, D) float64, y: (N,) int64 class indices or float64 targets, named features."""

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple
    class_names: tuple = ()


@dataclass(frozen=True, eq=False)
class SyntheticRegression:
    """y = X @ coef + intercept + ε with ε ~ N(0, noise²); X: (N, D), y: (N,), coef: (D,), float64."""

    X: np.ndarray
    y: np.ndarray
    coef: np.ndarray
    intercept: float
    noise: float
    feature_names: tuple


def _read_csv(filename):
    """Rows of a CSV file shipped in scratch/data/, as lists of strings."""
    text = (importlib.resources.files("scratch") / "data" / filename).read_text(encoding="utf-8")
    return [row for row in csv.reader(io.StringIO(text)) if row]


def load_iris():
    """Fisher's Iris: X (150, 4) float64 in cm, y (150,) int64 in {0, 1, 2}, 50 per class."""
    rows = _read_csv("iris.csv")
    X = np.array([row[:4] for row in rows], dtype=np.float64)
    y = np.array([IRIS_CLASSES.index(row[4].removeprefix("Iris-")) for row in rows], dtype=np.int64)
    return TabularDataset(X, y, IRIS_FEATURES, IRIS_CLASSES)


def load_boston(edition="islp"):
    """Boston house prices: X (506, D) float64, y (506,) medv in $1000s, float64.

    edition: "islp", ISLP's 12 features (D = 12, no column B); "mass", R's MASS::Boston with
    the slides' 13 features (D = 13; ``black`` is 1000(Bk − 0.63)², Bk the proportion of Black
    residents: a capped, non-invertible encoding of race, see scratch/data/README.md).
    """
    check_choice(edition, "edition", tuple(BOSTON_EDITIONS))
    header, *rows = _read_csv(BOSTON_EDITIONS[edition])
    first = 1 if header[0] == "" else 0  # R's write.csv puts the row names first
    table = np.array([row[first:] for row in rows], dtype=np.float64)
    return TabularDataset(table[:, :-1], table[:, -1], tuple(header[first:-1]))


def make_house_prices(n_samples=100, *, noise=0.25, seed=0):
    """The house-price slide: price = 1.8·area + 0.5 + ε, ε ~ N(0, noise²); X (n_samples, 1), y (n_samples,).

    area ~ U(0.4, 2.5) in 100 m², price in $100k.
    """
    rng, n_samples, noise = _synthetic_args(n_samples, noise, seed)
    X = rng.uniform(0.4, 2.5, size=(n_samples, 1))
    return _linear_data(X, np.array([1.8]), 0.5, noise, rng, ("area (100 m²)",))


def make_advertising(n_samples=200, *, noise=1.686, seed=0):
    """The advertising slide: Sales = 2.939 + 0.046·TV + 0.189·Radio − 0.001·Newspaper + ε.

    The coefficients and noise are ISL's least-squares fit to the real Advertising data
    (residual standard error 1.686). Budgets in $1000: TV ~ U(0, 300), Radio ~ U(0, 50),
    Newspaper ~ U(0, 115); Sales in 1000 units. X (n_samples, 3), y (n_samples,).
    """
    rng, n_samples, noise = _synthetic_args(n_samples, noise, seed)
    X = rng.uniform(0.0, [300.0, 50.0, 115.0], size=(n_samples, 3))
    return _linear_data(X, np.array([0.046, 0.189, -0.001]), 2.939, noise, rng, ("TV", "Radio", "Newspaper"))


def _synthetic_args(n_samples, noise, seed):
    check_number(n_samples, "n_samples", low=1, integer=True)
    check_number(noise, "noise", low=0)
    return check_seed(seed), int(n_samples), float(noise)


def _linear_data(X, coef, intercept, noise, rng, feature_names):
    y = X @ coef + intercept + rng.normal(0.0, noise, size=len(X))
    return SyntheticRegression(X, y, coef, intercept, noise, feature_names)
