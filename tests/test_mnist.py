"""The lecture's demo on real data: softmax regression 784 → 10 trained by minibatch SGD.

Reference figures (DATA.md): the slide's demo 91.97 %; scikit-learn's L-BFGS with L2
92.66 % on MNIST and 84.43 % on Fashion-MNIST (about 25 s each). Each run here takes a few seconds.
"""

import numpy as np
import pytest

from scratch import datasets
from scratch.models import SoftmaxRegression
from scratch.runs import recipe_for, train_on_task
from scratch.tasks import load_task
from scratch.training import as_model_input, fit


def load_or_skip(loader):
    try:
        return loader()
    except datasets.DataNotFoundError as missing:
        pytest.skip(str(missing))


@pytest.fixture(scope="module")
def mnist():
    return load_or_skip(datasets.load_mnist)


def accuracy_on_test_set(model, data):
    return model.score(as_model_input(data.X_test, model.dtype), data.y_test)


def test_slide_recipe_reaches_the_demo_test_accuracy_on_mnist(mnist):
    # the slides' recipe: plain minibatch SGD, a few epochs, raw uint8 images in, no tuning
    model = SoftmaxRegression(784, 10, dtype=np.float32)
    fit(model, mnist.X_train, mnist.y_train, epochs=3, batch_size=64, lr=0.5, seed=0, verbose=False)
    assert accuracy_on_test_set(model, mnist) >= 0.9197


@pytest.mark.parametrize("data, target", [("mnist", 0.926), ("fashion-mnist", 0.844)])
def test_default_recipe_of_scratch_train_matches_scikit_learn_lbfgs(data, target):
    """`scratch train softmax --data DATA` (its recipe, initialisation and seed) beats the
    accuracy of scikit-learn's LogisticRegression: 92.66 % on MNIST, 84.43 % on Fashion-MNIST."""
    task = load_or_skip(lambda: load_task(data, model="softmax"))
    model, _ = train_on_task("softmax", task, recipe_for("softmax", task), verbose=False)
    assert model.score(task.model_input(task.X_test, model.dtype), task.y_test) >= target
