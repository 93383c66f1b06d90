"""Every benchmark script runs with --quick and writes its JSON, Markdown and PNG with the
expected keys. Timings are never asserted (the machine is shared); what is asserted is that
the reports hold what README's tables quote, and that scratch and torch agree when both run."""

import importlib
import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None


@pytest.fixture(scope="module")
def bench():
    """Import a script from benchmarks/ by name (they import their siblings as top-level modules)."""
    sys.path.insert(0, str(BENCHMARKS))
    yield lambda name: importlib.import_module(name)
    sys.path.remove(str(BENCHMARKS))


def run_quick(bench, name, tmp_path, *extra):
    """Run ``benchmarks/<name>.py --quick --out tmp`` in-process; return the JSON it wrote."""
    bench(name).main(["--quick", "--out", str(tmp_path), *extra])
    for suffix in ("json", "md", "png"):
        assert (tmp_path / f"{name}.{suffix}").stat().st_size > 0, f"{name}.{suffix} missing or empty"
    return json.loads((tmp_path / f"{name}.json").read_text())


def assert_machine_stated(result):
    machine = result["machine"]
    for key in ("date", "cpu", "cores", "numpy", "blas", "python"):
        assert machine[key], key
    assert ("torch" in machine) == HAS_TORCH


@pytest.mark.slow
def test_softmax_mnist_quick_reports_speed_floor_and_time_to_accuracy(bench, tmp_path, mnist):
    result = run_quick(bench, "softmax_mnist", tmp_path, "--datasets", "mnist")
    assert_machine_stated(result)
    speed = result["tables"]["seconds per epoch (median), test accuracy, floor"]
    assert [row["batch"] for row in speed] == [32, 256]
    for row in speed:
        assert row["scratch_s"] > 0 and row["floor_s"] > 0 and row["scratch/floor"] > 0
        assert row["floor_x255_s"] > 0 and row["fused_s"] > 0
        assert 0 <= row["scratch_acc"] <= 1
    systems = [row["system"] for row in result["tables"]["time to reach test accuracy"]]
    assert systems[0] == "scratch"
    assert ("torch" in systems) == HAS_TORCH
    assert ("sklearn lbfgs" in systems) == HAS_SKLEARN
    for row in result["tables"]["time to reach test accuracy"]:
        assert {"fit_s", "test_acc", "acc_A", "s_to_A", "iters_to_A", "acc_B", "s_to_B"} <= set(row)
    assert "| batch |" in (tmp_path / "softmax_mnist.md").read_text()


@pytest.mark.slow
@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_softmax_mnist_scratch_and_torch_train_identically(bench, tmp_path, mnist):
    """Same init, same batch order, same float32 inputs: same test accuracy after every epoch."""
    result = run_quick(bench, "softmax_mnist", tmp_path, "--datasets", "mnist", "--batch-sizes", "64")
    (row,) = result["tables"]["seconds per epoch (median), test accuracy, floor"]
    assert row["max_acc_diff"] <= 0.002
    assert row["max_W_diff"] < 1e-4
    assert row["scratch/torch"] > 0
    goals = {g["goal"]: g for g in result["tables"]["goals"]}
    assert goals["scratch ≤ 0.5 × torch s/epoch at batch 64 (worst of 1)"]["measured"] == row["scratch/torch"]
    assert goals["scratch ≤ 1.25 × the hand-fused NumPy epoch at batch 64 (worst of 1)"]["measured"] == \
        row["scratch_s"] / row["fused_s"]
    assert all(isinstance(g["met"], bool) for g in goals.values())


@pytest.mark.slow
@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_mlp_mnist_quick_trains_the_same_network_in_both_and_states_its_goals(bench, tmp_path, mnist):
    result = run_quick(bench, "mlp_mnist", tmp_path)
    assert_machine_stated(result)
    speed = result["tables"]["seconds per epoch (median), test accuracy"]
    assert [row["batch"] for row in speed] == [64, 256]
    for row in speed:
        assert row["max_acc_diff"] <= 0.002 and row["max_W_diff"] < 1e-4
    assert [row["system"] for row in result["tables"]["time to reach test accuracy"]] == ["scratch", "torch"]
    goals = [g["goal"] for g in result["tables"]["goals"]]
    assert goals[:2] == ["MLP: scratch ≤ 0.6 × torch s/epoch at batch 64", "MLP: scratch ≤ 0.6 × torch s/epoch at batch 256"]


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_torch_module_computes_what_the_scratch_model_computes(bench):
    import numpy as np
    import torch

    systems = bench("_systems")
    X = np.random.default_rng(0).integers(0, 256, (5, 12), dtype=np.uint8)
    for spec in ("softmax", "dense:6,relu,dense"):
        model = systems.initial_model(spec, 12, 3, seed=0)
        with torch.no_grad():
            ours = systems.torch_module(model)(torch.from_numpy(X).float() / 255).numpy()
        np.testing.assert_allclose(ours, model.forward(X), rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_memory_quick_measures_import_and_training_peaks_in_children(bench, tmp_path, mnist):
    result = run_quick(bench, "memory", tmp_path, "--only", "python + numpy", "scratch")
    imports = {row["import"]: row["peak_rss_mb"] for row in result["tables"]["import baseline (peak RSS)"]}
    assert set(imports) == {"python + numpy", "scratch"}
    assert 0 < imports["python + numpy"] <= imports["scratch"]
    (train,) = result["tables"]["one MNIST epoch (peak RSS)"]
    assert train["system"] == "scratch"
    assert train["peak_rss_mb"] >= train["after_import_mb"] > 0


def test_scaling_quick_fits_a_slope_per_sweep_and_system(bench, tmp_path):
    result = run_quick(bench, "scaling", tmp_path, "--sweeps", "samples", "classes")
    rows = result["tables"]["seconds per epoch"]
    assert {row["sweep"] for row in rows} == {"samples", "classes"}
    slopes = result["tables"]["log-log slopes"]
    expected_systems = {"scratch", "torch"} if HAS_TORCH else {"scratch"}
    assert {(s["sweep"], s["system"]) for s in slopes} == {(a, b) for a in ("samples", "classes") for b in expected_systems}


def test_scaling_slope_of_a_power_law_is_its_exponent(bench):
    assert bench("scaling").loglog_slope([1, 10, 100], [3, 30, 300]) == pytest.approx(1.0)
    assert bench("scaling").loglog_slope([1, 10, 100], [5, 5, 5]) == pytest.approx(0.0, abs=1e-12)


def test_gradient_cost_quick_times_every_method_and_they_agree(bench, tmp_path):
    result = run_quick(bench, "gradient_cost", tmp_path)
    rows = {row["method"]: row for row in result["tables"]["one batch gradient"]}
    assert set(rows) == ({"closed", "tape", "numeric", "torch"} if HAS_TORCH else {"closed", "tape", "numeric"})
    assert rows["closed"]["x_closed"] == 1
    assert rows["tape"]["rel_error_vs_closed"] < 1e-12
    assert rows["numeric"]["rel_error_vs_closed"] < 1e-6


def test_floor_runs_the_epochs_batches_including_the_partial_one(bench):
    import numpy as np

    X, y = np.zeros((100, 8), np.uint8), np.zeros(100, np.int64)
    floor = bench("softmax_mnist").floor_seconds
    assert floor(X, y, 3, batch_size=32, repeat=1) > 0
    if importlib.util.find_spec("threadpoolctl") is not None:  # optional: the products with one BLAS thread
        assert floor(X, y, 3, batch_size=32, repeat=1, gather=False, threads=1) > 0


def test_shared_batch_order_is_the_one_fit_draws(bench):
    """PyTorch's order comes from epoch_orders; scratch's from fit's own shuffle: they must match."""
    import numpy as np

    from scratch.models import SoftmaxRegression
    from scratch.training import fit

    systems = bench("_systems")
    orders = systems.epoch_orders(10, seed=3)
    X = np.arange(10, dtype=np.float64).reshape(10, 1)
    seen = []

    class Recorder(SoftmaxRegression):
        def loss_grad(self, X, y):
            seen.append(X[:, 0].astype(int).tolist())
            return super().loss_grad(X, y)

    rng = np.random.default_rng(3)
    for _ in range(2):  # one fit call per epoch, sharing the generator, as ScratchRunner does
        fit(Recorder(1, 10), X, np.arange(10), epochs=1, batch_size=10, lr=1e-3, seed=rng, verbose=False)
    assert seen == [next(orders).tolist(), next(orders).tolist()]


def test_benchmarks_read_the_command_lines_recipes_and_splits(bench, mnist):
    """No copy of the recipes in benchmarks/; the data are the split `scratch train` fits on."""
    import numpy as np

    from scratch.cli.recipes import RECIPES
    from scratch.cli.tasks import load_task

    assert bench("softmax_mnist").RECIPES == {data: RECIPES[("softmax", data)] for data in ("mnist", "fashion-mnist")}
    assert bench("mlp_mnist").RECIPE == RECIPES[("dense:128,relu,dense", "mnist")]
    X_train, y_train, X_test, _ = bench("_common").load_images("mnist", n_train=100, n_test=10, seed=3)
    task = load_task("mnist", seed=3)
    np.testing.assert_array_equal(X_train, task.X_train[:100].reshape(100, -1))
    np.testing.assert_array_equal(y_train, task.y_train[:100])
    assert X_train.dtype == np.uint8 and len(task.X_train) == 54000


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_scratch_and_torch_anneal_the_lr_alike(bench):
    """Each runner steps its own CosineAnnealingLR (scratch's, torch's) once per epoch: same lr."""
    import numpy as np

    systems = bench("_systems")
    X = np.random.default_rng(0).integers(0, 256, (20, 4), dtype=np.uint8)
    y = np.arange(20) % 3
    model = systems.initial_model("softmax", 4, 3, seed=0)
    runners = [R(model, X, y, lr=0.1, momentum=0.9, T_max=4, seed=0) for R in (systems.ScratchRunner, systems.TorchRunner)]
    for _ in range(3):
        for r in runners:
            r.train_epoch(8)
    scratch_lr, torch_lr = runners[0].optimizer.lr, runners[1].optimizer.param_groups[0]["lr"]
    assert scratch_lr == pytest.approx(torch_lr, rel=1e-12) and scratch_lr == pytest.approx(0.1 * (1 + np.cos(np.pi * 3 / 4)) / 2)
    assert runners[0].accuracy(X, y) == runners[1].accuracy(X, y)


def test_markdown_table_formats_floats_and_missing_values(bench):
    table = bench("_common").markdown_table([{"a": 1.23456, "b": None, "c": "x"}])
    assert table.splitlines() == ["| a | b | c |", "| --- | --- | --- |", "| 1.235 | — | x |"]


def test_end_to_end_quick_times_the_main_job_and_help_in_fresh_processes(bench, tmp_path):
    result = bench("end_to_end").main(["--quick", "--out", str(tmp_path)])
    ours, numpys = result["tables"]["main job"]  # the command's pages, then NumPy's default
    assert [ours["pages"], numpys["pages"]] == list(bench("end_to_end").PAGES)
    for run in (ours, numpys):
        assert run["wall_s"] > run["recorded_training_s"] > 0
        assert run["wall/training"] == run["wall_s"] / run["recorded_training_s"]
    goals = {g["goal"]: g for g in result["tables"]["goals"]}
    assert goals["`scratch --help` imports no NumPy, SciPy or matplotlib"]["met"] is True
    assert (tmp_path / "end_to_end.md").stat().st_size > 0


def test_the_fused_numpy_epoch_is_the_same_math_as_scratchs_fit(bench):
    """The benchmark's hand-fused loop is a fair reference: one epoch of it gives fit's weights."""
    import numpy as np

    from scratch.models import SoftmaxRegression
    from scratch.preprocessing import ScalePixels
    from scratch.training import fit

    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (300, 20), dtype=np.uint8), rng.integers(0, 4, 300)
    model = SoftmaxRegression(20, 4, dtype=np.float32, transform=ScalePixels())
    fit(model, X, y, epochs=1, batch_size=64, lr=0.5, shuffle=False)
    W, b = np.zeros((20, 4), np.float32), np.zeros(4, np.float32)
    bench("softmax_mnist").fused_epoch(X, y, W, b, 0.5, np.arange(300), 64)
    np.testing.assert_allclose(W, model.params["W"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, model.params["b"], rtol=1e-5, atol=1e-6)
    assert np.abs(W).max() > 0.01  # the epoch moved the weights


# ---- BLAS threads and busy neighbours (threads.py); goal rows read every row ---------------------------
def _thread_row(dataset, model, batch, neighbours, scratch_s, best=None):
    best = scratch_s if best is None else best
    return {"dataset": dataset, "model": model, "batch": batch, "neighbours": neighbours, "scratch_s": scratch_s,
            "1thr_s": best, "2thr_s": 2 * best, "scratch/best": scratch_s / best}


def test_threads_goals_read_every_recipe_not_only_mnists(bench):
    """MNIST's rows alone meet both goals; the Fashion-MNIST and MLP rows do not, and the goals say so."""
    threads = bench("threads")
    rows = [_thread_row("mnist", "softmax", 128, 0, 1.0), _thread_row("mnist", "softmax", 128, 1, 1.2),
            _thread_row("fashion-mnist", "softmax", 128, 0, 1.0), _thread_row("fashion-mnist", "softmax", 128, 1, 5.0),
            _thread_row("mnist", "dense:128,relu,dense", 64, 0, 2.0, best=1.0),
            _thread_row("mnist", "dense:128,relu,dense", 64, 1, 2.4)]
    threads.with_quiet_ratio(rows)
    assert [r["vs_quiet"] for r in rows] == [1.0, 1.2, 1.0, 5.0, 1.0, pytest.approx(1.2)]
    mnist_softmax = {g["goal"].split(" (")[0]: g for g in threads.goals(rows[:2])}
    assert all(g["met"] for g in mnist_softmax.values())
    goals = {g["goal"].split(" (")[0]: g for g in threads.goals(rows)}
    at_128 = goals["one busy neighbour: s/epoch ≤ 1.6 × quiet at batch 128"]
    assert at_128["measured"] == 5.0 and at_128["met"] is False
    assert goals["one busy neighbour: s/epoch ≤ 1.6 × quiet at batch 64"]["met"] is True
    quiet = goals["quiet: scratch's s/epoch within 5% of the best thread count"]
    assert quiet["measured"] == 2.0 and quiet["met"] is False


def test_busy_neighbours_run_during_the_block_and_are_stopped_after(bench, monkeypatch):
    threads = bench("threads")
    monkeypatch.setattr(threads, "SETTLE_S", 0)
    started = []
    real = threads.subprocess.Popen
    monkeypatch.setattr(threads.subprocess, "Popen", lambda *a, **k: started.append(real(*a, **k)) or started[-1])
    with threads.busy_neighbours(2):
        assert len(started) == 2 and all(p.poll() is None for p in started)
    assert all(p.poll() is not None for p in started)


def test_recipes_are_named_as_on_the_command_line(bench):
    parse = bench("threads").parse_recipe
    assert parse("mnist:dense:128,relu,dense:64") == ("mnist", "dense:128,relu,dense", 64)
    assert parse("fashion-mnist:softmax:128") == ("fashion-mnist", "softmax", 128)


@pytest.mark.slow
def test_threads_quick_measures_every_setting_quiet_and_loaded_and_states_the_conditions(bench, tmp_path,
                                                                                         mnist):
    result = run_quick_md(bench, "threads", tmp_path, "--recipes", "mnist:softmax:256", "--neighbours", "0", "1")
    tables = result["tables"]
    assert [r["neighbours"] for r in tables["s/epoch with 0 busy neighbours"]] == [0]
    (loaded,) = tables["s/epoch with 1 busy neighbours"]
    assert loaded["chosen"] == "1" and loaded["scratch_s"] > 0 and loaded["1thr_s"] > 0 and loaded["2thr_s"] > 0
    assert loaded["vs_quiet"] == loaded["scratch_s"] / tables["s/epoch with 0 busy neighbours"][0]["scratch_s"]
    assert [g["goal"].split(" (")[0] for g in tables["goals"]] == [
        "one busy neighbour: s/epoch ≤ 1.6 × quiet at batch 256", "quiet: scratch's s/epoch within 5% of the best thread count"]
    text = (tmp_path / "threads.md").read_text()
    assert "load: 1 busy neighbour processes started" in text and "cores available" in text
    assert result["machine"]["cores_available"] >= 1


def run_quick_md(bench, name, tmp_path, *extra):
    """Like run_quick, for scripts that draw no figure."""
    bench(name).main(["--quick", "--out", str(tmp_path), *extra])
    return json.loads((tmp_path / f"{name}.json").read_text())
