"""scratch.threads: the CPUs a process may use, the thread count chosen, and that fit applies it."""

import contextlib
import os
import sys

import numpy as np
import pytest

from scratch import blas, threads
from scratch.cli.tasks import parse_sequential
from scratch.models import SoftmaxRegression
from scratch.nn import CrossEntropyLoss, Network
from scratch.preprocessing import ScalePixels
from scratch.training import fit, fit_lbfgs

OPENBLAS = blas.openblas_thread_functions()
needs_openblas = pytest.mark.skipif(OPENBLAS is None, reason="NumPy's BLAS is not an OpenBLAS found through ctypes")


@pytest.fixture
def no_thread_variables(monkeypatch):
    for name in threads.ENV_VARIABLES:
        monkeypatch.delenv(name, raising=False)


# ---- the CPUs available: affinity and cgroup quota, from fake inputs ----------------------------------
def test_cgroup_v2_cpu_max_reads_quota_over_period_and_max_as_no_limit():
    assert threads.parse_cpu_max("150000 100000\n") == 1.5
    assert threads.parse_cpu_max("max 100000\n") is None


def test_cgroup_v1_quota_of_minus_one_is_no_limit():
    assert threads.parse_cfs("50000\n", "100000\n") == 0.5
    assert threads.parse_cfs("-1\n", "100000\n") is None


def test_cgroup_quota_reads_the_processs_own_v2_group(tmp_path):
    (tmp_path / "proc").write_text("0::/jobs/one\n")
    group = tmp_path / "fs" / "jobs" / "one"
    group.mkdir(parents=True)
    (group / "cpu.max").write_text("250000 100000\n")
    (tmp_path / "fs" / "cpu.max").write_text("max 100000\n")  # the root's: not this process's group
    assert threads.cgroup_quota(tmp_path / "fs", tmp_path / "proc") == 2.5


def test_cgroup_quota_reads_a_v1_cpu_controller_group(tmp_path):
    (tmp_path / "proc").write_text("5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n")
    group = tmp_path / "fs" / "cpu,cpuacct" / "docker" / "abc"
    group.mkdir(parents=True)
    (group / "cpu.cfs_quota_us").write_text("100000\n")
    (group / "cpu.cfs_period_us").write_text("100000\n")
    assert threads.cgroup_quota(tmp_path / "fs", tmp_path / "proc") == 1.0


def test_a_container_sees_its_quota_at_the_root_and_no_cgroup_means_no_quota(tmp_path):
    (tmp_path / "proc").write_text("1:cpu:/\n")
    (tmp_path / "fs" / "cpu").mkdir(parents=True)
    (tmp_path / "fs" / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    (tmp_path / "fs" / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert threads.cgroup_quota(tmp_path / "fs", tmp_path / "proc") is None
    (tmp_path / "fs" / "cpu" / "cpu.cfs_quota_us").write_text("300000\n")
    assert threads.cgroup_quota(tmp_path / "fs", tmp_path / "missing") == 3.0  # no /proc file: the root's
    assert threads.cgroup_quota(tmp_path / "nothing", tmp_path / "missing") is None


def test_available_cpus_is_the_smaller_of_affinity_and_quota_rounded_down_at_least_one():
    assert threads.available_cpus(affinity={0, 1, 2, 3}, quota=1.5) == 1
    assert threads.available_cpus(affinity={0, 1}, quota=3.0) == 2
    assert threads.available_cpus(affinity={0, 1, 2}, quota=0.2) == 1
    assert threads.available_cpus(affinity=range(8), quota=None) == 8
    assert threads.available_cpus() >= 1  # this machine's, read for real


# ---- the choice ---------------------------------------------------------------------------------------
def test_product_work_is_rows_times_the_largest_weight_matrix():
    softmax = SoftmaxRegression(784, 10)
    assert threads.product_work(softmax.params, 128) == 128 * 784 * 10
    mlp = Network(parse_sequential("dense:128,relu,dense", 784, 10, seed=0), CrossEntropyLoss())
    assert threads.product_work(mlp.params, 64) == 64 * 784 * 128


def test_two_threads_on_two_quiet_cpus_for_products_of_two_units_and_one_beside_a_busy_process():
    softmax_64, softmax_128, mlp_64 = 64 * 7840, 128 * 7840, 64 * 784 * 128  # the lecture's recipes' products
    assert threads.choose_threads(32 * 7840, cpus=2) == 1  # softmax at batch 32: too small to share
    assert threads.choose_threads(softmax_64, cpus=2) == threads.choose_threads(softmax_128, cpus=2) == 2  # timed
    assert threads.choose_threads(mlp_64, cpus=2) == 2
    assert threads.choose_threads(2 * threads.WORK_PER_THREAD - 1, cpus=2) == 1
    assert threads.choose_threads(2 * threads.WORK_PER_THREAD, cpus=2) == 2
    assert threads.choose_threads(10**12, cpus=2) == 2  # never more than the CPUs available
    assert threads.choose_threads(10**12, cpus=1) == 1
    assert threads.choose_threads(3 * threads.WORK_PER_THREAD, cpus=8) == 3
    assert threads.choose_threads(mlp_64, cpus=2, others=0.9) == 1  # a busy neighbour takes its CPU
    assert threads.choose_threads(mlp_64, cpus=2, others=0.3) == 2  # background noise does not
    assert threads.choose_threads(mlp_64, cpus=2, others=0.55) == 1  # a neighbour sharing two CPUs with two of ours
    assert threads.choose_threads(10**12, cpus=2, others=2.0) == 1  # at least one


def test_the_cpu_meter_counts_other_processes_busy_time_not_this_ones(tmp_path, monkeypatch):
    """Busy jiffies of the machine less this process's CPU time, over wall time: a fake /proc/stat."""
    stat, clock, own = tmp_path / "stat", [100.0], [5.0]
    ticks = threads.CpuMeter.TICKS

    def write(busy_seconds, idle_seconds):
        b, i = int(busy_seconds * ticks), int(idle_seconds * ticks)
        stat.write_text(f"cpu  {b} 0 0 {i} 0 0 0 0 0 0\ncpu0 0 0 0 0\n")

    monkeypatch.setattr(threads.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(threads.os, "times", lambda: os.times_result((own[0], 0.0, 0.0, 0.0, 0.0)))
    write(1000, 1000)
    meter = threads.CpuMeter(stat)
    write(1002, 1000)  # 2 CPU-seconds busy in 1 s of wall time, 1 of them this process's
    clock[0], own[0] = 101.0, 6.0
    assert meter.others() == pytest.approx(1.0)
    write(1003, 1001)  # then 1 busy CPU-second, all of it this process's
    clock[0], own[0] = 102.0, 7.0
    assert meter.others() == pytest.approx(0.0)
    assert threads.CpuMeter(tmp_path / "missing").others() == 0.0  # no /proc/stat: taken as quiet


def test_a_loop_chooses_from_the_cpus_since_the_previous_loops_choice(monkeypatch):
    monkeypatch.setattr(threads, "_METERS", [])
    slept = []
    monkeypatch.setattr(threads.time, "sleep", slept.append)
    first = threads.watched_meter()  # nothing watched yet: the CPUs are watched for SAMPLE_SECONDS
    assert slept[-1] == pytest.approx(threads.SAMPLE_SECONDS, abs=0.01)

    def began(seconds_ago):
        busy, own, _ = first.last
        first.last = (busy, own, threads.time.monotonic() - seconds_ago)

    began(1.0)  # the previous loop chose a second ago: its watch goes on, no wait
    assert threads.watched_meter() is first and slept[-1] == 0
    began(threads.STALE_SECONDS + 1)  # too long ago: watched afresh
    assert threads.watched_meter() is not first and slept[-1] == pytest.approx(threads.SAMPLE_SECONDS, abs=0.01)
    threads._METERS.clear()
    threads.watched_meter(wait=False)  # a loop of one thread begins a watch without waiting
    assert len(threads._METERS) == 1 and len(slept) == 3


def test_a_loop_chooses_again_when_a_neighbour_starts(monkeypatch, no_thread_variables):
    counts, others = [], [0.0]
    monkeypatch.setattr(threads, "SAMPLE_SECONDS", 0)
    monkeypatch.setattr(threads.CpuMeter, "others", lambda self: others[0])
    monkeypatch.setattr(threads, "blas_setter", lambda: contextlib.nullcontext(counts.append))
    monkeypatch.setattr(threads, "available_cpus", lambda: 2)
    with threads.limit_for(None, {"W": np.zeros((784, 128))}, 64) as blas:
        others[0] = 1.0  # a busy neighbour appears
        blas.update()
        blas.update()  # unchanged: not set again
        others[0] = 0.1
        blas.update()
    assert counts == [2, 1, 2]


@pytest.mark.parametrize("faster", [1, 2])
def test_an_epoch_times_one_thread_against_the_free_count_and_runs_on_the_faster(monkeypatch, no_thread_variables,
                                                                                   faster):
    """What no counter shows (a host's other guests on a VM's CPUs) the clock does: a fake one here."""
    counts, clock = [], [0.0]
    monkeypatch.setattr(threads, "_FASTER", {})
    monkeypatch.setattr(threads, "SAMPLE_SECONDS", 0)
    monkeypatch.setattr(threads.CpuMeter, "others", lambda self: 0.0)
    monkeypatch.setattr(threads, "blas_setter", lambda: contextlib.nullcontext(counts.append))
    monkeypatch.setattr(threads, "available_cpus", lambda: 2)
    monkeypatch.setattr(threads.time, "perf_counter", lambda: clock[0])
    params, n = {"W": np.zeros((784, 128))}, threads.PROBE_SHARE * threads.PROBE_STEPS
    for slower_by, probed in ((1.1, threads.PROBE_STEPS), (1.5, 4 * threads.PROBE_BLOCK)):  # close: the whole probe
        step_seconds = {faster: 1.0, 3 - faster: slower_by}
        with threads.limit_for(None, params, 64) as blas:
            seen = []
            for batch in blas.paced(range(n), n):
                seen.append((batch, blas.count))
                clock[0] += step_seconds[blas.count]
        assert [batch for batch, _ in seen] == list(range(n))  # every batch once, in order
        assert {count for _, count in seen[:probed]} == {1, 2} and {count for _, count in seen[probed:]} == {faster}
        assert threads._FASTER == {64 * 784 * 128: faster}
    with threads.limit_for(None, params, 64) as blas:  # the next loop of this size starts on the faster count
        assert blas.count == faster
        assert list(blas.paced(range(5), 5)) == list(range(5)) and blas.count == faster  # too short to probe
    with threads.limit_for(None, params, 64) as blas:
        monkeypatch.setattr(threads.CpuMeter, "others", lambda self: 1.0)  # a busy neighbour: one thread, no probe
        blas.update()
        assert blas.paced(range(n), n) == range(n) and blas.count == 1


def test_an_explicit_argument_wins_then_the_environment_then_the_choice():
    params = SoftmaxRegression(784, 10).params
    environ = {"OMP_NUM_THREADS": "2"}
    assert threads.resolve_threads(2, params, 32, environ={}, cpus=2) == 2  # the argument, over the choice (1)
    assert threads.resolve_threads(1, params, 32, environ=environ, cpus=2) == 1  # the argument, over the environment
    assert threads.resolve_threads(None, params, 32, environ=environ, cpus=2) is None  # the environment's stands
    assert threads.resolve_threads(None, params, 32, environ={"MKL_NUM_THREADS": " "}, cpus=2) == 1  # blank: unset
    assert threads.resolve_threads(None, params, 32, environ={}, cpus=2) == 1
    assert threads.explicit_setting({"MKL_NUM_THREADS": "4"}) == ("MKL_NUM_THREADS", "4")


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_a_bad_thread_count_is_refused_by_name(bad):
    with pytest.raises((ValueError, TypeError), match="threads"):
        threads.resolve_threads(bad, {}, 1)


# ---- applying it: threadpoolctl, the ctypes fallback, nothing ---------------------------------------------
@needs_openblas
@pytest.mark.parametrize("with_threadpoolctl", [True, False])
def test_limit_blas_sets_the_count_inside_and_restores_it_after(monkeypatch, with_threadpoolctl):
    if with_threadpoolctl:
        pytest.importorskip("threadpoolctl")
    else:
        monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # `import threadpoolctl` now raises ImportError
    get, set_ = OPENBLAS
    set_(2)
    with blas.limit_blas(1):
        assert get() == 1
    assert get() == 2
    with blas.limit_blas(None):
        assert get() == 2


def test_without_threadpoolctl_or_an_openblas_symbol_nothing_is_changed(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    monkeypatch.setattr(blas, "openblas_thread_functions", lambda paths=None: None)
    ran = []
    with blas.limit_blas(1):
        ran.append(True)
    assert ran == [True]
    monkeypatch.undo()
    assert blas.openblas_thread_functions(paths=["/nonexistent/libopenblas.so"]) is None


# ---- fit and fit_lbfgs apply it around their loops -------------------------------------------------------
def _recording(model, seen):
    """The model, its loss_grad noting the BLAS threads in force at each step."""
    real = model.loss_grad
    model.loss_grad = lambda *batch: seen.append(OPENBLAS[0]()) or real(*batch)
    return model


@needs_openblas
def test_fit_trains_with_the_chosen_or_given_threads_and_restores_the_pool(no_thread_variables):
    get, set_ = OPENBLAS
    set_(2)
    X, y = np.random.default_rng(0).integers(0, 256, (64, 784), dtype=np.uint8), np.arange(64) % 10
    for given, expected in ((None, 1), (2, 2), (1, 1)):  # None: a small product (16 × 7840), chosen: one thread
        seen = []
        history = fit(_recording(SoftmaxRegression(784, 10), seen), X, y, epochs=2, batch_size=16, lr=0.1,
                      threads=given)
        assert set(seen) == {expected} and history.threads == [expected, expected]
        assert get() == 2
    seen = []
    fit_lbfgs(_recording(SoftmaxRegression(784, 10), seen), X, y, l2=1e-2, max_iter=3, threads=1)
    assert seen and set(seen) == {1}


@needs_openblas
def test_fit_leaves_a_thread_count_set_in_the_environment(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    get, set_ = OPENBLAS
    set_(2)
    seen = []
    X, y = np.zeros((32, 784), np.uint8), np.arange(32) % 10
    fit(_recording(SoftmaxRegression(784, 10), seen), X, y, epochs=1, batch_size=16, lr=0.1)
    assert set(seen) == {2}  # the choice would have been one thread


def test_fit_refuses_a_bad_thread_count_before_training():
    with pytest.raises(ValueError, match="threads"):
        fit(SoftmaxRegression(2, 2), np.zeros((4, 2)), np.array([0, 1, 0, 1]), epochs=1, batch_size=2, lr=0.1,
            threads=0)


@pytest.mark.parametrize("spec", ["softmax", "dense:128,relu,dense"])
def test_fit_gives_the_same_weights_with_one_or_two_threads_within_float32_rounding(spec):
    """Measured: the weights are bit-identical at batch 64 (OpenBLAS keeps such products on one thread), and
    differ by ≤ 4e-8 after two epochs at batch 256 and 1024 (float32; the threads split the sums): within 1e-6."""
    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (2048, 784), dtype=np.uint8), rng.integers(0, 10, 2048)

    def trained(n):
        if spec == "softmax":
            model = SoftmaxRegression(784, 10, init="torch", seed=0, dtype=np.float32, transform=ScalePixels())
        else:
            model = Network(parse_sequential(spec, 784, 10, seed=0, dtype=np.float32), CrossEntropyLoss(),
                            transform=ScalePixels())
        fit(model, X, y, epochs=2, batch_size=256, lr=0.1, seed=0, threads=n)
        return model.params

    one, two = trained(1), trained(2)
    for name in one:
        np.testing.assert_allclose(two[name], one[name], rtol=0, atol=1e-6)
    assert max(float(np.abs(p - q).max()) for p, q in zip(one.values(), trained(1).values())) == 0  # same seed
