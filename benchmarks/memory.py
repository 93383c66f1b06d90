"""Peak memory (RSS) of one epoch of MNIST softmax regression, each system in its own process.

    python benchmarks/memory.py [--quick]

Every measurement runs in a fresh child (``python memory.py --child WHAT``) that reports its
own ``ru_maxrss``: once right after importing the library (the import baseline) and once after
loading MNIST the same way for all (uint8 arrays in memory) and training one epoch.
scratch and torch train as in softmax_mnist.py (batch 64, lr 0.1); scikit-learn's
SGDClassifier runs one epoch on float64 x / 255, its usual input.
"""

import argparse
import contextlib
import importlib.util
import json
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np

import _common

BATCH_SIZE = 64  # the speed table's reference batch size
LR = 0.1  # plain SGD, as in softmax_mnist.py
IMPORTS = {  # what each import baseline imports
    "python + numpy": "numpy",
    "scratch": "scratch.training",
    "torch": "torch",
    "scikit-learn": "sklearn.linear_model",
}
TRAINERS = {  # one epoch each: the system and the module it imports first
    "scratch": "scratch.training",
    "torch": "torch",
    "sklearn SGDClassifier": "sklearn.linear_model",
}
OPTIONAL = {"torch": "torch", "scikit-learn": "sklearn", "sklearn SGDClassifier": "sklearn"}  # skipped if absent
QUICK_SAMPLES = 2000  # --quick: training samples


def peak_rss_mb():
    """This process's peak resident set size in MB.

    Linux: VmHWM from /proc/self/status (ru_maxrss would carry over the parent's peak
    across fork + exec); elsewhere ru_maxrss (KiB on Linux and BSD, bytes on macOS).
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def train_one_epoch(system, n_train, seed):
    """Load MNIST and train ``system`` for one epoch, in this process."""
    X, y, _, _ = _common.load_images("mnist", n_train, 1, seed)
    if system == "sklearn SGDClassifier":
        import _sklearn

        from scratch.preprocessing import ScalePixels

        _sklearn.sgd_classifier(1, seed).fit(ScalePixels()(X, np.float64), y)
        return
    from _systems import ScratchRunner, TorchRunner, initial_model

    runner = {"scratch": ScratchRunner, "torch": TorchRunner}[system]
    runner(initial_model("softmax", X.shape[1], 10, seed), X, y, lr=LR, seed=seed).train_epoch(BATCH_SIZE)


def child(what, n_train, seed):
    """Run in the child: import (and train), then print {"import_mb", "peak_mb"} as JSON."""
    __import__(IMPORTS.get(what) or TRAINERS[what])
    result = {"import_mb": peak_rss_mb()}
    if what in TRAINERS:
        train_one_epoch(what, n_train, seed)
        result["peak_mb"] = peak_rss_mb()
    print(json.dumps(result))


def measure(what, args):
    """Spawn the child for ``what`` and parse its JSON line."""
    cmd = [sys.executable, __file__, "--child", what, "--seed", str(args.seed)] + (["--quick"] if args.quick else [])
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def available(what):
    """Whether the library behind ``what`` is installed (found without importing it)."""
    module = OPTIONAL.get(what)
    return module is None or importlib.util.find_spec(module) is not None


def main(argv=None):
    parser = _common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=[*IMPORTS, *TRAINERS], help="measure only these")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: what this child process measures
    args = parser.parse_args(argv)
    n_train = QUICK_SAMPLES if args.quick else None
    if args.child:
        return child(args.child, n_train, args.seed)
    wanted = lambda what: available(what) and (args.only is None or what in args.only)  # noqa: E731
    imports = [{"import": what, "peak_rss_mb": measure(what, args)["import_mb"]} for what in IMPORTS if wanted(what)]
    training = []
    for what in TRAINERS:
        if wanted(what):
            m = measure(what, args)
            training.append({"system": what, "after_import_mb": m["import_mb"], "peak_rss_mb": m["peak_mb"],
                             "training_mb": m["peak_mb"] - m["import_mb"]})
    tables = {"import baseline (peak RSS)": imports, "one MNIST epoch (peak RSS)": training, "goals": goals(training)}
    plot(imports, training, args.out)
    config = {**vars(args), "batch_size": BATCH_SIZE, "lr": LR, "n_train": n_train or 60000}
    return _common.write_report("memory", args.out, config, tables)


def goals(training):
    peaks = {row["system"]: row["peak_rss_mb"] for row in training}
    if not {"scratch", "torch"} <= set(peaks):
        return []
    ratio = peaks["scratch"] / peaks["torch"]
    return [{"goal": "scratch peak memory ≤ 0.5 × torch's", "measured": ratio, "met": ratio <= 0.5}]


def plot(imports, training, out_dir):
    """Horizontal bars: import baselines and training peaks, in MB."""
    fig, ax = _common.subplots(figsize=(7, 3.5))
    labels = [f"import {r['import']}" for r in imports] + [f"train {r['system']}" for r in training]
    values = [r["peak_rss_mb"] for r in imports + training]
    ax.barh(labels, values, color=["tab:gray"] * len(imports) + ["tab:blue"] * len(training))
    ax.set(xlabel="peak RSS (MB)", title="memory")
    ax.invert_yaxis()
    return _common.save_figure(fig, out_dir, "memory")


if __name__ == "__main__":
    main()
