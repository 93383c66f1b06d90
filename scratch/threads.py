"""How many BLAS threads scratch's products use: chosen from their size, the CPUs this process may
use, and how busy other processes keep them — and chosen again every epoch.

NumPy's OpenBLAS starts one thread per CPU it sees, and its threads spin while they wait for
work. When another process keeps a CPU busy, every product waits for the thread that the
scheduler has put aside (an MNIST MLP epoch at batch 64 beside one busy process: 0.70 s with two
threads, 0.31 s with one); on a quiet machine two threads are faster for products of ≥ 2¹⁹
multiply-adds (the same MLP: 0.24 s against 0.32 s). So the count is chosen, not inherited:

    threads = the caller's ``threads``, else none chosen when OPENBLAS/OMP/MKL_NUM_THREADS is set
              (the user's setting stays), else min(free, max(1, ⌊work / WORK_PER_THREAD⌋))
    work    = batch rows × the largest weight matrix's size   (multiply-adds of the largest product)
    free    = cpus − busy, at least 1;  busy = ⌊others + 1 − BUSY_FRACTION⌋ (a CPU ≥ 40 % taken counts)
    cpus    = ⌊min(|sched_getaffinity(0)|, cgroup CPU quota / period)⌋, at least 1
    others  = CPUs other processes kept busy (/proc/stat's busy time less this process's CPU time,
              over wall time): since the previous choice of any loop in this process (watched for
              SAMPLE_SECONDS first when that is under SAMPLE_SECONDS or over STALE_SECONDS ago), then
              over each epoch (``ChosenThreads``)

What no counter shows — a host's other guests on a virtual machine's CPUs — the clock does: when
that choice leaves more than one thread, each epoch of ≥ PROBE_SHARE × PROBE_STEPS steps times its
first steps in blocks under one thread and under that count in turn (stopping early when one is
clearly slower), and runs the rest under the faster (``ChosenThreads.paced``); a shorter epoch keeps
the last faster count of its product size.

The count is applied by ``scratch.blas`` (threadpoolctl, else OpenBLAS through ctypes, else nothing);
the previous count returns after.
"""

import contextlib
import math
import os
import statistics
import time
from pathlib import Path

from scratch._validation import check_number
from scratch.blas import blas_setter, limit_blas

# Interleaved in one process on a quiet 2-CPU AMD EPYC (benchmarks/threads.py): two threads were 0.97 × as
# fast as one for softmax regression at batch 64 (5.0e5 multiply-adds), 1.05 × at 128, 1.2 × at 256 and
# 1.4–1.5 × for the MLP (6.4e6 at batch 64); beside one busy process two threads were 1.5–3.7 × slower.
# Quiet, one thread and two were within noise of each other at 5.0e5–1.0e6 multiply-adds (softmax
# regression at batch 64–128), the faster of them changing from run to run: the clock chooses there.
WORK_PER_THREAD = 2**17  # multiply-adds each thread gets at least: a second thread, timed, from 2.6e5 on
# Watched over whole epochs beside nothing, others read ≤ 0.2; beside one busy process 0.9–1.1 with one
# thread of ours and 0.5–0.8 with two (the three threads share two CPUs).
BUSY_FRACTION = 0.4  # the share of a CPU other processes must keep busy for it to count as taken
SAMPLE_SECONDS = 0.05  # the shortest watch a count is chosen from (/proc/stat counts in 10 ms ticks)
STALE_SECONDS = 10.0  # an older watch (an idle notebook) says little of now: the CPUs are watched afresh
PROBE_BLOCK = 4  # steps in a row under one count while probing; the first, after the switch, is not timed
PROBE_STEPS = 32  # steps of an epoch probed: blocks alternating between the counts, 16 steps each
PROBE_SHARE = 4  # an epoch is probed when it has ≥ PROBE_SHARE × PROBE_STEPS steps (≤ ¼ of it probed)
DECISIVE = 1.3  # a count this much slower after two blocks each is not timed further (half the probe's cost)
ENV_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")  # set: the user's choice stands
CGROUP_ROOT = Path("/sys/fs/cgroup")


def choose_threads(work, cpus, others=0.0):
    """min(free, max(1, ⌊work / WORK_PER_THREAD⌋)), free = cpus − ⌊others + 1 − BUSY_FRACTION⌋ ≥ 1: one
    thread until a product is large enough to share, and never a thread on a CPU another process keeps busy."""
    free = max(1, cpus - math.floor(others + 1 - BUSY_FRACTION))
    return int(min(free, max(1, work // WORK_PER_THREAD)))


def product_work(params, rows):
    """Multiply-adds of the largest product of a step: rows × the size of the largest 2-D parameter.

    params: {name: array}, e.g. ``model.params`` (W: (D, K) gives rows·D·K); rows: the batch size.
    """
    sizes = [p.size for p in params.values() if getattr(p, "ndim", 0) >= 2]
    return rows * max(sizes, default=0)


# ---- the CPUs this process may use ----------------------------------------------------------------
def available_cpus(affinity=None, quota=None):
    """⌊min(affinity CPUs, cgroup quota)⌋, at least 1; None reads this process's (``cgroup_quota()``)."""
    if affinity is None:
        affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
    if quota is None:
        quota = cgroup_quota()
    cpus = len(affinity) if quota is None else min(len(affinity), quota)
    return max(1, math.floor(cpus))


def parse_cpu_max(text):
    """cgroup v2's ``cpu.max``, "QUOTA PERIOD" in µs: QUOTA / PERIOD CPUs, or None for "max" (no limit)."""
    quota, _, period = text.strip().partition(" ")
    if quota == "max":
        return None
    return int(quota) / int(period or 100_000)


def parse_cfs(quota_text, period_text):
    """cgroup v1's ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``: CPUs, or None for a quota of -1 (no limit)."""
    quota = int(quota_text)
    return None if quota < 0 else quota / int(period_text)


def cgroup_quota(root=CGROUP_ROOT, self_cgroup=Path("/proc/self/cgroup")):
    """The CPU quota of this process's cgroup (v2, else v1) in CPUs, or None when there is none or none is readable.

    self_cgroup: lines "ID:CONTROLLERS:PATH" ("0::PATH" for v2); the quota is read in the group's
    folder under ``root``, or at ``root`` itself (a container sees its own group there).
    """
    try:
        lines = Path(self_cgroup).read_text().splitlines()
    except OSError:
        lines = []
    groups = {controllers: path.lstrip("/") for _, controllers, path in (line.split(":", 2) for line in lines if
                                                                        line.count(":") >= 2)}
    root = Path(root)
    v1 = [c for c in groups if "cpu" in c.split(",")]
    candidates = [(root / groups.get("", "") / "cpu.max", None), (root / "cpu.max", None)]
    for folder in [root / c / groups[c] for c in v1] + [root / c for c in v1] + [root / "cpu", root / "cpu,cpuacct"]:
        candidates.append((folder / "cpu.cfs_quota_us", folder / "cpu.cfs_period_us"))
    for quota_file, period_file in candidates:
        with contextlib.suppress(OSError, ValueError):
            if period_file is None:
                return parse_cpu_max(quota_file.read_text())
            return parse_cfs(quota_file.read_text(), period_file.read_text())
    return None


# ---- the decision ----------------------------------------------------------------------------------
def explicit_setting(environ=None):
    """(variable, value) of the first thread variable set in the environment (os.environ), or None."""
    environ = os.environ if environ is None else environ
    return next(((name, environ[name]) for name in ENV_VARIABLES if environ.get(name, "").strip()), None)


def resolve_threads(threads, params, rows, *, environ=None, cpus=None, others=0.0):
    """The BLAS threads to use, or None to leave the pool as the environment set it.

    threads: the caller's count (an int ≥ 1, which wins) or None (chosen: ``choose_threads``).
    params, rows: the products' parameters and rows (``product_work``); cpus: ``available_cpus()`` if None;
    others: CPUs other processes keep busy (``CpuMeter``).
    """
    if threads is not None:
        check_number(threads, "threads", low=1, integer=True)
        return int(threads)
    if explicit_setting(environ) is not None:
        return None
    return choose_threads(product_work(params, rows), available_cpus() if cpus is None else cpus, others)


class CpuMeter:
    """CPUs other processes kept busy since the last reading: (Δ busy time of every CPU in /proc/stat −
    Δ this process's CPU time) / Δ wall time. 0 where /proc/stat cannot be read."""

    TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, stat=Path("/proc/stat")):
        self.stat = Path(stat)
        self.last = self.reading()

    def reading(self):
        """(machine's busy seconds, this process's CPU seconds, wall seconds), or None."""
        try:
            values = [int(v) for v in self.stat.read_text().split("\n", 1)[0].split()[1:9]]
        except (OSError, ValueError):
            return None
        user, nice, system, idle, iowait, irq, softirq, steal = values + [0] * (8 - len(values))
        own = os.times()
        busy = user + nice + system + irq + softirq + steal  # a host's steal is a busy neighbour too
        return busy / self.TICKS, own.user + own.system, time.monotonic()

    def age(self):
        """Seconds since the last reading (since this meter was made, or its last ``others()``)."""
        return time.monotonic() - (self.last[2] if self.last is not None else 0.0)

    def others(self):
        """CPUs busy with other processes since the previous call (or since this meter was made)."""
        last, now = self.last, self.reading()
        self.last = now
        if last is None or now is None or now[2] <= last[2]:
            return 0.0
        return max(0.0, ((now[0] - last[0]) - (now[1] - last[1])) / (now[2] - last[2]))


def _decided(seconds):
    """Whether every count has been timed twice and the slowest's median block is ≥ DECISIVE × the fastest's."""
    if min(len(times) for times in seconds.values()) < 2:
        return False
    medians = [statistics.median(times) for times in seconds.values()]
    return max(medians) >= DECISIVE * min(medians)


_METERS = []  # the process's one CpuMeter: each loop's first choice reads the CPUs since the last one's
_FASTER = {}  # product work → the count the last probe of that size found faster


def watched_meter(wait=True):
    """The process's CpuMeter, its watch begun at most STALE_SECONDS ago (else begun afresh) and, with
    ``wait``, at least SAMPLE_SECONDS long (slept out if shorter): one loop after another, e.g. ``fit``
    called per epoch, each chooses from the load since the previous choice or loop (a loop whose count no
    load changes begins a watch, ``wait=False``) instead of from a short watch of its own."""
    if not _METERS or _METERS[0].last is None or _METERS[0].age() > STALE_SECONDS:
        _METERS[:] = [CpuMeter()]
    meter = _METERS[0]
    if wait:
        time.sleep(max(0.0, SAMPLE_SECONDS - meter.age()))
    return meter


class ChosenThreads:
    """The BLAS threads of a training loop: chosen on entry (from ``watched_meter``) and again at each
    ``update()`` (each epoch) from how busy other processes kept the CPUs since, then timed against one
    thread over each epoch's first steps (``paced``); the count before returns on exit. A caller's
    ``threads`` or a thread variable in the environment stands, and so does one thread for products too
    small to share: no load can change that, so nothing is watched."""

    def __init__(self, threads, params, rows):
        self.work, self.cpus, self.count = product_work(params, rows), available_cpus(), None
        quiet = choose_threads(self.work, self.cpus)  # the most threads any load leaves
        self.adaptive = threads is None and explicit_setting() is None and quiet > 1
        self.free = 1  # the most threads the load leaves now (``update``)
        if not self.adaptive:  # the caller's, None (the environment's), or one thread
            self.count = resolve_threads(threads, params, rows, cpus=self.cpus)

    def __enter__(self):
        self._stack = contextlib.ExitStack()
        if not self.adaptive:
            self._stack.enter_context(limit_blas(self.count))
            watched_meter(wait=False)  # the next loop that watches may read the CPUs from here
            return self
        self.meter = watched_meter()
        self._set = self._stack.enter_context(blas_setter())
        self.update()
        return self

    def update(self):
        """Choose again from the CPUs other processes used since the last choice (at most ``free``; the
        faster of the last probe of this size when it fits); set the count if it changed."""
        if self.adaptive:
            self.free = choose_threads(self.work, self.cpus, self.meter.others())
            self._use(min(self.free, _FASTER.get(self.work, self.free)))

    def paced(self, batches, n_steps):
        """``batches`` (an epoch of ``n_steps``), its first PROBE_STEPS timed in blocks under one thread and
        under ``free`` in turn when both may run, the rest under the faster (median block time)."""
        if not self.adaptive or self.free == 1 or n_steps < PROBE_SHARE * PROBE_STEPS:
            return batches
        return self._probed(iter(batches), (1, self.free))

    def _probed(self, batches, counts):
        seconds = {count: [] for count in counts}
        for block in range(PROBE_STEPS // PROBE_BLOCK):
            count = counts[block % len(counts)]
            self._use(count)
            for step, batch in zip(range(PROBE_BLOCK), batches):
                if step == 1:
                    start = time.perf_counter()
                yield batch  # the caller's step runs here
            seconds[count].append(time.perf_counter() - start)
            if _decided(seconds):  # a clear loser is not run for the rest of the probe
                break
        _FASTER[self.work] = min(counts, key=lambda count: statistics.median(seconds[count]))
        self._use(_FASTER[self.work])
        yield from batches

    def _use(self, count):
        if count != self.count:
            self._set(count)
            self.count = count

    def __exit__(self, *exc):
        return self._stack.__exit__(*exc)


def limit_for(threads, params, rows):
    """A context in which NumPy's BLAS uses the chosen threads (``ChosenThreads``); ``.update()`` chooses again."""
    return ChosenThreads(threads, params, rows)
