"""How many BLAS threads scratch's products use: chosen from their size and the CPUs this process may use.

NumPy's OpenBLAS starts one thread per CPU it sees, and its threads spin while they wait for
work. When another process keeps a CPU busy, every product waits for the thread that the
scheduler has put aside: on a shared 2-CPU machine an MNIST softmax epoch at batch 128 took
0.83 s with two threads and 0.17 s with one. So the count is chosen, not inherited:

    threads = the caller's ``threads``, else none chosen when OPENBLAS/OMP/MKL_NUM_THREADS is set
              (the user's setting stays), else min(cpus, max(1, ⌊work / WORK_PER_THREAD⌋))
    work    = batch rows × the largest weight matrix's size   (multiply-adds of the largest product)
    cpus    = ⌊min(|sched_getaffinity(0)|, cgroup CPU quota / period)⌋, at least 1

The count is applied around a whole training loop with threadpoolctl when it is installed
(``pip install scratch[threads]``), else through OpenBLAS's own ``*_set_num_threads*`` found in the
library NumPy loaded (ctypes); with neither (another BLAS, no ctypes symbol) nothing is changed.
"""

import contextlib
import ctypes
import math
import os
from pathlib import Path

from scratch._validation import check_number

# Interleaved A/B of a step's two products (X W, Xᵀ G) with one and two OpenBLAS threads on a shared
# 2-CPU virtual machine (load average 2–3 from other jobs, and again with one busy neighbour process):
# up to 1.0e8 multiply-adds two threads were 1.2–100 × slower in 12 of 20 rows and at best 1.9 × faster;
# from 1.3e8 to 5.4e9 they were 0.87–1.5 × as fast as one (slower in 2 of 14 rows, by ≤ 13 %).
WORK_PER_THREAD = 2**27  # multiply-adds each thread gets at least: a second thread from 2.7e8 on
ENV_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")  # set: the user's choice stands
CGROUP_ROOT = Path("/sys/fs/cgroup")


def choose_threads(work, cpus):
    """min(cpus, max(1, ⌊work / WORK_PER_THREAD⌋)): one thread until a product is large enough to share."""
    return int(min(cpus, max(1, work // WORK_PER_THREAD)))


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


def resolve_threads(threads, params, rows, *, environ=None, cpus=None):
    """The BLAS threads to use, or None to leave the pool as the environment set it.

    threads: the caller's count (an int ≥ 1, which wins) or None (chosen: ``choose_threads``).
    params, rows: the products' parameters and rows (``product_work``); cpus: ``available_cpus()`` if None.
    """
    if threads is not None:
        check_number(threads, "threads", low=1, integer=True)
        return int(threads)
    if explicit_setting(environ) is not None:
        return None
    return choose_threads(product_work(params, rows), available_cpus() if cpus is None else cpus)


def limit_for(threads, params, rows):
    """A context in which NumPy's BLAS uses ``resolve_threads(threads, params, rows)`` threads."""
    return limit_blas(resolve_threads(threads, params, rows))


# ---- applying it -----------------------------------------------------------------------------------
@contextlib.contextmanager
def limit_blas(n):
    """Within the block, BLAS products use ``n`` threads (None: unchanged); the previous count returns after."""
    if n is None:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        with _openblas_limit(n):
            yield
        return
    with threadpool_limits(limits=n, user_api="blas"):
        yield


@contextlib.contextmanager
def _openblas_limit(n):
    """threadpoolctl's job without it: OpenBLAS's get/set_num_threads (ctypes); nothing if not found."""
    functions = openblas_thread_functions()
    if functions is None:  # another BLAS (MKL, Accelerate) or no OpenBLAS symbol: left as it is
        yield
        return
    get, set_ = functions
    previous = get()
    set_(n)
    try:
        yield
    finally:
        set_(previous)


_SYMBOL_PREFIXES = ("openblas", "scipy_openblas")  # plain OpenBLAS; the scipy-openblas NumPy's wheels ship
_SYMBOL_SUFFIXES = ("", "64_", "_64")  # OpenBLAS's 64-bit-integer builds rename their symbols


def openblas_thread_functions(paths=None):
    """(get_num_threads, set_num_threads) of the OpenBLAS NumPy loaded, through ctypes, or None.

    paths: candidate library files; None looks for "openblas" in this process's memory maps
    (Linux) and in NumPy's bundled-library folders (numpy.libs, numpy/.dylibs).
    """
    for path in openblas_paths() if paths is None else paths:
        try:
            library = ctypes.CDLL(str(path))  # already loaded: the same handle, no second copy
        except OSError:
            continue
        for prefix in _SYMBOL_PREFIXES:
            for suffix in _SYMBOL_SUFFIXES:
                get = getattr(library, f"{prefix}_get_num_threads{suffix}", None)
                set_ = getattr(library, f"{prefix}_set_num_threads{suffix}", None)
                if get is not None and set_ is not None:
                    get.restype, set_.argtypes, set_.restype = ctypes.c_int, [ctypes.c_int], None
                    return get, set_
    return None


def openblas_paths():
    """Files of OpenBLAS libraries: the one NumPy bundles first (its products are the ones to limit;
    SciPy may load a copy of its own), then those this process has loaded."""
    import numpy

    here = Path(numpy.__file__).parent
    found = [str(p) for folder in (here.parent / "numpy.libs", here / ".dylibs") for p in sorted(folder.glob("*openblas*"))]
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/maps").read_text().splitlines():
            path = line.split(maxsplit=5)[-1] if line.count(" ") >= 5 else ""
            if "openblas" in Path(path).name.lower() and path not in found:
                found.append(path)
    return found
