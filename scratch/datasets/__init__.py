"""The lecture's data sets, each declared once, in the registry the command line reads.

    REGISTRY        name → DataSet, in the order the command line lists them
    lookup(name)    the entry; an unknown name is refused with the list of names
    names(*kinds)   the registered names (of these kinds: "images", "classification", "regression")

A ``DataSet`` entry holds every fact the rest of the package needs about a data set: its
name and title, its loader, its kind, its class names or its target, whether its loader
takes a seed, its test split. An IDX image set's entry is read off its ``IdxSource``
(``scratch.datasets.idx_sets``): a new IDX set, e.g. KMNIST, is one more ``IdxSource`` in
``IDX_SOURCES``; a new table is one more ``DataSet`` in ``TABLES``. The loaders stay
importable from here (``load_mnist``, ``load_iris``, …): see their modules, ``idx_sets`` for
the image sets and their verified cache, ``tables`` for Iris, Boston and the synthetic sets.
"""

from dataclasses import dataclass
from functools import partial
from typing import Callable

from scratch._validation import check_choice
from scratch.datasets.idx_sets import (
    FASHION_MNIST,
    IDX_FILES,
    IDX_SOURCES,
    MNIST,
    ChecksumError,
    DataNotFoundError,
    IdxSource,
    ImageDataset,
    cache_dir,
    load_fashion_mnist,
    load_idx,
    load_mnist,
)
from scratch.datasets.tables import (
    IRIS_CLASSES,
    SyntheticRegression,
    TabularDataset,
    load_boston,
    load_iris,
    make_advertising,
    make_house_prices,
)

__all__ = [
    "DataSet", "REGISTRY", "TABLES", "KINDS", "lookup", "names", "image_set",
    "IdxSource", "IDX_SOURCES", "IDX_FILES", "MNIST", "FASHION_MNIST", "ImageDataset", "load_idx",
    "load_mnist", "load_fashion_mnist", "cache_dir", "DataNotFoundError", "ChecksumError",
    "TabularDataset", "SyntheticRegression", "load_iris", "load_boston", "make_house_prices", "make_advertising",
]
KINDS = ("images", "classification", "regression")


@dataclass(frozen=True)
class DataSet:
    """One data set: what the command line, the figures and the slides know of it.

    name: as the command line spells it (``--data NAME``); title: as printed.
    loader: returns an ImageDataset (kind "images") or a TabularDataset / SyntheticRegression.
    class_names: of an "images" or "classification" set. target: a regression set's target and unit.
    seeded: the loader takes ``seed=`` (synthetic data). test_fraction: the share of rows held out
    at random (seeded) for testing; None keeps the set's published test split.
    image_shape: (height, width) of an image set. source: the IdxSource an image set is read from.
    """

    name: str
    title: str
    loader: Callable
    kind: str
    class_names: tuple = ()
    target: str = "y"
    seeded: bool = False
    test_fraction: float | None = 0.2
    image_shape: tuple | None = None
    source: IdxSource | None = None

    def __post_init__(self):
        check_choice(self.kind, "kind", KINDS)
        if (self.kind == "regression") == bool(self.class_names):
            raise ValueError(f"data set {self.name!r}: class_names are given for classification and image sets, "
                             f"not for regression; got kind {self.kind!r} with class_names={self.class_names!r}.")
        if (self.kind == "images") == (self.image_shape is None):
            raise ValueError(f"data set {self.name!r}: image_shape is given for image sets only; "
                             f"got kind {self.kind!r} with image_shape={self.image_shape!r}.")

    def load(self, seed=0):
        """The data: ``loader(seed=seed)`` when the loader takes a seed, else ``loader()``."""
        return self.loader(seed=seed) if self.seeded else self.loader()


def image_set(source):
    """The registry entry of an IDX image set, every fact read off its ``IdxSource``; its published test split."""
    return DataSet(source.key, source.name, partial(load_idx, source), "images", class_names=tuple(source.class_names),
                   test_fraction=None, image_shape=tuple(source.image_shape), source=source)


MEDV = "medv ($1000s)"  # Boston's target: median home value
TABLES = (
    DataSet("iris", "Iris", load_iris, "classification", class_names=IRIS_CLASSES),
    DataSet("boston", "Boston (ISLP, 12 features)", load_boston, "regression", target=MEDV),
    DataSet("boston-mass", "Boston (MASS, the slides' 13 features)", partial(load_boston, edition="mass"),
            "regression", target=MEDV),
    DataSet("house-prices", "house prices (synthetic)", make_house_prices, "regression", target="price ($100k)",
            seeded=True),
    DataSet("advertising", "advertising (synthetic)", make_advertising, "regression", target="sales (1000 units)",
            seeded=True),
)
REGISTRY = {entry.name: entry for entry in (*map(image_set, IDX_SOURCES), *TABLES)}


def lookup(name):
    """The registry's entry ``name``; an unknown name is refused with a message listing the names."""
    check_choice(name, "data", tuple(REGISTRY))
    return REGISTRY[name]


def names(*kinds):
    """The registered names, in registry order; with ``kinds``, only those of these kinds."""
    for kind in kinds:
        check_choice(kind, "kind", KINDS)
    return tuple(name for name, entry in REGISTRY.items() if not kinds or entry.kind in kinds)
