"""What every benchmark script shares: arguments, the machine, timing, data and reports.

Each script builds its parser with ``base_parser``, times with ``time.perf_counter`` via
``median_seconds``/``stopwatch``, and ends with ``write_report``, which prints the machine and
the Markdown tables and writes ``<out>/<name>.json`` and ``<out>/<name>.md``.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python benchmarks/NAME.py` from a checkout
    sys.path.insert(0, str(ROOT))

DEFAULT_OUT = ROOT / "benchmarks" / "results"  # git-ignored


def base_parser(description):
    """An argparse parser with the options every script has: --quick, --out, --seed."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run of a few seconds")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="directory for the JSON, Markdown and PNG")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random draw (init, batch order, data)")
    return parser


# ----------------------------------------------------------------------------- the machine


def cpu_model():
    """The CPU's model name from /proc/cpuinfo (Linux), else platform.processor()."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def blas_info():
    """The BLAS libraries loaded in this process (threadpoolctl if present, else numpy's build)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return [{"library": blas.get("name"), "version": blas.get("version"), "threads": None}]
    return [
        {"library": f"{i['internal_api']} ({i['prefix']})", "version": i.get("version"),
         "threads": i["num_threads"], "architecture": i.get("architecture")}
        for i in threadpool_info()
    ]


def machine_info():
    """Date, CPU, cores, load, library versions, BLAS and thread counts, as a JSON-able dict.

    cores_usable: the CPUs this process may use (affinity); cores_available: those and the cgroup's
    CPU quota, as ``scratch.threads`` counts them; load: the 1-minute load average when asked.
    """
    from scratch import threads

    explicit = threads.explicit_setting()  # set: fit leaves the BLAS pool as the environment made it
    info = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cores_available": threads.available_cpus(),
        "cgroup_quota": threads.cgroup_quota(),
        "load": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "thread_setting": f"{explicit[0]}={explicit[1]} (environment)" if explicit else "chosen by scratch.threads",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas_info(),
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP_", "MKL_"))},
    }
    torch = optional_import("torch")
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()  # left at torch's default
    sklearn = optional_import("sklearn")
    if sklearn is not None:
        info["sklearn"] = sklearn.__version__
    return info


def describe_machine(info):
    """One paragraph stating the machine, for the printed report and the README."""
    kernels = lambda b: f", {b['architecture']} kernels" if b.get("architecture") else ""  # noqa: E731
    blas = "; ".join(dict.fromkeys(f"{b['library']} {b['version']} ({b['threads']} threads{kernels(b)})"
                                   for b in info["blas"]))
    lines = [
        f"- date: {info['date']}",
        f"- CPU: {info['cpu']}, {info['cores']} cores ({info['cores_usable']} usable, {info['cores_available']} "
        f"available with the cgroup quota {info['cgroup_quota'] or 'none'}); load average {info['load']}",
        f"- Python {info['python']}, NumPy {info['numpy']}, BLAS: {blas}",
    ]
    lines.append(f"- BLAS threads in scratch's training: {info['thread_setting']}")
    if "torch" in info:
        lines.append(f"- torch {info['torch']} (CPU, {info['torch_threads']} threads: default, not set)")
    if "sklearn" in info:
        lines.append(f"- scikit-learn {info['sklearn']}")
    if info["openblas_env"]:
        lines.append(f"- environment: {info['openblas_env']}")
    return "\n".join(lines)


def table_context(info, neighbours=0, threads=None, load=None):
    """A line under each table: the machine, the load (busy neighbours, load average) and the thread setting."""
    blas = ", ".join(dict.fromkeys(f"{b['library']} {b['version']}" for b in info["blas"]))
    return (f"_machine: {info['cpu']}, {info['cores_available']} cores available, {blas}; load: {neighbours} busy "
            f"neighbour processes started (load average {info['load'] if load is None else load}); threads: {threads or info['thread_setting']}_")


def optional_import(name):
    """The module, or None when it is not installed (torch and sklearn are optional peers)."""
    try:
        return __import__(name)
    except ImportError:
        return None


# ----------------------------------------------------------------------------- timing


@contextlib.contextmanager
def stopwatch():
    """``with stopwatch() as t: ...`` then ``t()`` gives the elapsed seconds (perf_counter)."""
    start = time.perf_counter()
    end = None

    def elapsed():
        return (end if end is not None else time.perf_counter()) - start

    try:
        yield elapsed
    finally:
        end = time.perf_counter()


def blas_threads(n):
    """A context in which NumPy's BLAS uses ``n`` threads (threadpoolctl, which must be installed); None: as is."""
    if n is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n, user_api="blas")


def median_seconds(fn, repeat):
    """Median wall time of ``repeat`` calls of ``fn()`` (medians resist a shared machine's noise)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ----------------------------------------------------------------------------- data


def load_images(name, n_train=None, n_test=None, seed=0):
    """The splits ``scratch train softmax --data NAME --seed SEED`` uses, flattened: X (N, 784) uint8, y (N,) int64.

    X_train is the training split minus its seeded validation split (``scratch.cli.tasks``),
    so the recipes train here on exactly what they train on in ``scratch train``. The arrays are
    in-memory copies (torch wants writable arrays), identical for every system. n_train,
    n_test: keep only the first samples (``--quick``). Returns (X_train, y_train, X_test, y_test).
    """
    from scratch.cli.tasks import load_task

    task = load_task(name, seed=seed)

    def flat(X, y, n):
        n = len(X) if n is None else n
        return np.array(X[:n].reshape(n, -1)), np.array(y[:n], dtype=np.int64)

    return (*flat(task.X_train, task.y_train, n_train), *flat(task.X_test, task.y_test, n_test))


# ----------------------------------------------------------------------------- reports


def markdown_table(rows, columns=None):
    """A Markdown table of a list of dicts; floats get 4 significant digits, None shows as '—'."""
    columns = columns or list(rows[0])

    def cell(v):
        if v is None:
            return "—"
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def threshold_columns(hits):
    """{threshold: (seconds, iterations) or (None, None)} → columns acc_A, s_to_A, iters_to_A, acc_B, …

    Letters, not the thresholds themselves, name the columns, so MNIST and Fashion-MNIST rows
    (different thresholds) share one table; iterations are epochs for scratch/torch, max_iter for sklearn.
    """
    columns = {}
    for letter, (threshold, (seconds, iterations)) in zip("ABCD", sorted(hits.items())):
        columns.update({f"acc_{letter}": threshold, f"s_to_{letter}": seconds, f"iters_to_{letter}": iterations})
    return columns


def goal(text, measured, met):
    """One row of a script's "goals" table: the claim, the ratio this run measured, whether it holds."""
    return {"goal": text, "measured": measured, "met": bool(met)}


def write_report(name, out_dir, config, tables, extra=None, contexts=None):
    """Print and save a run: ``<out>/<name>.json`` (config, machine, tables, extra) and ``<name>.md``.

    tables: {title: list of row dicts}; contexts: {title: (neighbours, threads)} for ``table_context``
    (default: no neighbours, the process's thread setting). Returns the JSON-able dict that was written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    result = {"benchmark": name, "config": config, "machine": info, "tables": tables, **(extra or {})}
    text = [f"# {name}", "", describe_machine(info), ""]
    for title, rows in tables.items():
        context = table_context(info, *(contexts or {}).get(title, ()))
        text += [f"## {title}", "", context, "", markdown_table(rows) if rows else "(nothing measured)", ""]
    markdown = "\n".join(text)
    print(markdown)
    (out_dir / f"{name}.md").write_text(markdown)
    (out_dir / f"{name}.json").write_text(json.dumps(result, indent=2, default=_jsonable))
    return result


def _jsonable(value):
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, (np.ndarray, Path)):
        return value.tolist() if isinstance(value, np.ndarray) else str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def subplots(*args, **kwargs):
    """``matplotlib.pyplot.subplots`` on the Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


COLOURS = {"scratch": "tab:blue", "torch": "tab:orange", "floor": "tab:gray"}  # one colour per system
LINESTYLES = {"mnist": "-", "fashion-mnist": "--"}  # one line style per data set


def plot_speed_and_accuracy(speed, curves_by_dataset, out_dir, name, model):
    """``<out>/<name>.png``: seconds/epoch vs batch size (log-log) and test accuracy vs training seconds.

    speed: rows with "dataset", "batch" and "<system>_s"; curves_by_dataset: {dataset: {system: [(s, acc)]}}.
    """
    fig, (ax_speed, ax_acc) = subplots(1, 2, figsize=(11, 4))
    for dataset in sorted({r["dataset"] for r in speed}):
        rows = [r for r in speed if r["dataset"] == dataset]
        for system in (s for s in COLOURS if f"{s}_s" in rows[0]):
            ax_speed.loglog([r["batch"] for r in rows], [r[f"{system}_s"] for r in rows], marker="o",
                            linestyle=LINESTYLES[dataset], color=COLOURS[system], label=f"{dataset} {system}")
    ax_speed.set(xlabel="batch size", ylabel="seconds per epoch", title=f"speed: {model} (floor: gather + products)")
    for dataset, curves in curves_by_dataset.items():
        for system, points in curves.items():
            ax_acc.plot(*zip(*points), marker="o", linestyle=LINESTYLES[dataset], color=COLOURS[system],
                        label=f"{dataset} {system}")
    ax_acc.set(xlabel="training seconds", ylabel="test accuracy", title="test accuracy after each epoch (recipe)")
    for ax in (ax_speed, ax_acc):
        ax.legend(fontsize=7)
    return save_figure(fig, out_dir, name)


def save_figure(fig, out_dir, name):
    """Save a matplotlib figure as ``<out>/<name>.png`` (Agg backend) and close it."""
    import matplotlib.pyplot as plt

    Path(out_dir).mkdir(parents=True, exist_ok=True)
    path = Path(out_dir) / f"{name}.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
