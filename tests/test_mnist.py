"""The lecture's demo on real data: softmax regression 784 → 10 trained by minibatch SGD.

Reference figures (DATA.md): the slide's demo 91.97 %; scikit-learn's L-BFGS with L2
92.66 % on MNIST and 84.43 % on Fashion-MNIST (about 25 s each). Each run here takes ~1–2 s.
"""

import numpy as np
import pytest

from scratch import datasets
from scratch.models import SoftmaxRegression
from scratch.optim import SGD, CosineAnnealingLR
from scratch.training import as_model_input, fit


def load_or_skip(loader):
    try:
        return loader()
    except datasets.DataNotFoundError as missing:
        pytest.skip(str(missing))


@pytest.fixture(scope="module")
def mnist():
    return load_or_skip(datasets.load_mnist)


@pytest.fixture(scope="module")
def fashion_mnist():
    return load_or_skip(datasets.load_fashion_mnist)


def accuracy_on_test_set(model, data):
    return model.score(as_model_input(data.X_test, model.dtype), data.y_test)


def train_tuned_recipe(data):
    """8 epochs, batch 64, SGD(lr=0.1, momentum=0.9) annealed by a cosine, float32."""
    model = SoftmaxRegression(784, 10, dtype=np.float32)
    optimizer = SGD(model.params, lr=0.1, momentum=0.9)
    fit(model, data.X_train, data.y_train, epochs=8, batch_size=64, optimizer=optimizer,
        lr_schedule=CosineAnnealingLR(8), seed=0, verbose=False)
    return model


def test_slide_recipe_reaches_the_demo_test_accuracy_on_mnist(mnist):
    # the slides' recipe: plain minibatch SGD, a few epochs, raw uint8 images in, no tuning
    model = SoftmaxRegression(784, 10, dtype=np.float32)
    fit(model, mnist.X_train, mnist.y_train, epochs=3, batch_size=64, lr=0.5, seed=0, verbose=False)
    assert accuracy_on_test_set(model, mnist) >= 0.9197


def test_tuned_recipe_matches_scikit_learn_lbfgs_on_mnist(mnist):
    assert accuracy_on_test_set(train_tuned_recipe(mnist), mnist) >= 0.926


def test_tuned_recipe_matches_scikit_learn_lbfgs_on_fashion_mnist(fashion_mnist):
    assert accuracy_on_test_set(train_tuned_recipe(fashion_mnist), fashion_mnist) >= 0.844
