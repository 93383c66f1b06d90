"""Every source of randomness goes through a ``seed`` argument.

Same seed → bit-identical results (whatever NumPy's global random state is); different seeds →
different results; and no module of the package touches NumPy's global random functions.
"""

import re
from pathlib import Path

import numpy as np
import pytest

import scratch
from scratch.datasets import load_iris
from scratch.cli.tasks import build_model, load_task, parse_sequential
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.nn import Linear
from scratch.optim import SGD
from scratch.training import fit

IRIS = load_iris()


def trained(model, X, y, seed, **options):
    """The params after a few shuffled epochs, and the per-epoch training losses."""
    history = fit(model, X, y, epochs=3, batch_size=16, seed=seed, **options)
    return {**model.params, "train_loss": np.array(history.train_loss)}


def task_arrays(data, seed):
    task = load_task(data, model="linear" if data == "house-prices" else "softmax", seed=seed)
    return {"X_train": task.X_train, "y_train": task.y_train, "X_val": task.X_val, "X_test": task.X_test}


def pipeline(seed):
    """What ``scratch train dense:8,relu,dense --data iris --seed S`` does, minus the files."""
    task = load_task("iris", seed=seed)
    model = build_model("dense:8,relu,dense", task, seed=seed)
    optimizer = SGD(model.params, 0.05, momentum=0.9)
    return trained(model, task.X_train, task.y_train, seed, optimizer=optimizer)


SOURCES = {  # name → seed ↦ {name: array}: everything the seed decides
    "LinearRegression-torch-init": lambda seed: LinearRegression(6, init="torch", seed=seed).params,
    "LogisticRegression-torch-init": lambda seed: LogisticRegression(6, init="torch", seed=seed).params,
    "SoftmaxRegression-torch-init": lambda seed: SoftmaxRegression(6, 4, init="torch", seed=seed).params,
    "nn.Linear-init": lambda seed: Linear(6, 4, seed=seed).params,
    "mlp-init": lambda seed: parse_sequential("dense:8,relu,dense:8,sigmoid,dense", 4, 3, seed=seed).params,
    "fit-softmax-shuffle": lambda seed: trained(SoftmaxRegression(4, 3), IRIS.X, IRIS.y, seed, lr=0.05),
    "fit-float32-logistic-shuffle": lambda seed: trained(
        LogisticRegression(4, dtype=np.float32), IRIS.X, (IRIS.y == 2).astype(float), seed, lr=0.1
    ),
    "task-split-iris": lambda seed: task_arrays("iris", seed),
    "task-synthetic-house-prices": lambda seed: task_arrays("house-prices", seed),
    "pipeline-mlp-iris": pipeline,
}


def run_with_global_state(source, seed, global_seed):
    """Run a source after scrambling NumPy's global random state, which it must ignore."""
    saved = np.random.get_state()
    try:
        np.random.seed(global_seed)
        np.random.random(global_seed % 7 + 1)
        return source(seed)
    finally:
        np.random.set_state(saved)


@pytest.mark.parametrize("source", SOURCES.values(), ids=SOURCES.keys())
def test_same_seed_is_bit_identical_whatever_the_global_random_state(source):
    first, second = run_with_global_state(source, 7, 1), run_with_global_state(source, 7, 2)
    assert first.keys() == second.keys()
    for name in first:
        assert first[name].dtype == second[name].dtype
        assert first[name].tobytes() == second[name].tobytes(), name


@pytest.mark.parametrize("source", SOURCES.values(), ids=SOURCES.keys())
def test_different_seeds_give_different_results(source):
    first, second = source(7), source(8)
    assert any(not np.array_equal(first[name], second[name]) for name in first)


def seeded_pair(seed):
    """An MLP, then a softmax regression, both drawing from one ``seed`` (a shared Generator)."""
    return parse_sequential("dense:5,relu,dense", 4, 3, seed=seed), SoftmaxRegression(4, 3, init="torch", seed=seed)


def test_a_generator_seed_continues_its_stream_and_replays_from_its_own_seed():
    first = seeded_pair(np.random.default_rng(3))
    again = seeded_pair(np.random.default_rng(3))
    for a, b in zip(first, again):
        for name in a.params:
            np.testing.assert_array_equal(a.params[name], b.params[name])
    fresh = SoftmaxRegression(4, 3, init="torch", seed=3)
    assert not np.array_equal(first[1].params["W"], fresh.params["W"])  # drawn after the MLP's weights


def test_seed_none_the_default_everywhere_draws_fresh_entropy():
    first, second = SoftmaxRegression(4, 3, init="torch"), SoftmaxRegression(4, 3, init="torch")
    assert not np.array_equal(first.params["W"], second.params["W"])
    shuffled = [SoftmaxRegression(4, 3) for _ in range(2)]
    for model in shuffled:
        fit(model, IRIS.X, IRIS.y, epochs=1, batch_size=16, lr=0.05)  # no seed: fit's shuffle is fresh too
    assert not np.array_equal(shuffled[0].params["W"], shuffled[1].params["W"])


def test_no_module_uses_numpys_global_random_functions():
    """np.random.seed/rand/shuffle/... would bypass the seed arguments; only Generators are allowed."""
    global_call = re.compile(r"np\.random\.(?!default_rng\b|Generator\b)\w+")
    offenders = [
        f"{path.name}: {match.group()}"
        for path in Path(scratch.__file__).parent.rglob("*.py")
        for match in global_call.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
