"""Seconds per epoch as samples, features and classes grow: scratch vs PyTorch, log-log slopes.

    python benchmarks/scaling.py [--quick]

Data are synthetic (uint8 pixels, uniform labels, seeded): the cost of an epoch does not
depend on the values. Each point trains softmax regression as in softmax_mnist.py (same
initial weights, same batch order, batch 64, lr 0.1), systems interleaved, median of the
timed epochs. The slope of log(seconds) against log(size) is the empirical exponent:
≈ 1 for samples (each epoch touches every sample once); for features and classes it shows
where per-step overhead, not arithmetic, dominates (slope well below 1).
"""

import numpy as np

import _common
from _systems import available_runners, initial_model, speed_row

BATCH_SIZE = 64  # the reference batch size
LR = 0.1  # plain SGD
TIMED_EPOCHS = 2  # median over these, after one warm-up epoch
BASE = {"samples": 20000, "features": 784, "classes": 10}  # held fixed while another grows
SWEEPS = {  # the sizes each sweep visits
    "samples": (1000, 3000, 10000, 30000, 60000),
    "features": (64, 256, 784, 2048),
    "classes": (2, 10, 100, 1000),
}
QUICK = {"base": {"samples": 1000, "features": 32, "classes": 4}, "timed_epochs": 1,
         "sweeps": {"samples": (500, 1000), "features": (16, 32), "classes": (2, 4)}}  # --quick


def synthetic(n_samples, n_features, n_classes, seed):
    """Random uint8 images (N, D) and int64 labels (N,) in [0, K)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n_samples, n_features), dtype=np.uint8), rng.integers(0, n_classes, n_samples)


def seconds_per_epoch(n_samples, n_features, n_classes, timed_epochs, seed):
    """{system: median seconds per epoch} for one problem size, systems interleaved."""
    X, y = synthetic(n_samples, n_features, n_classes, seed)
    model = initial_model("softmax", n_features, n_classes, seed)
    runners = [R(model, X, y, lr=LR, seed=seed) for R in available_runners()]
    row = speed_row(runners, BATCH_SIZE, timed_epochs)
    return {r.name: row[f"{r.name}_s"] for r in runners}


def loglog_slope(sizes, seconds):
    """The least-squares slope of log(seconds) on log(size)."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def sweep(axis, values, base, timed_epochs, seed):
    """Rows of one sweep: the growing size, each system's s/epoch and their ratio."""
    rows = []
    for value in values:
        size = {**base, axis: value}
        t = seconds_per_epoch(size["samples"], size["features"], size["classes"], timed_epochs, seed)
        row = {"sweep": axis, "size": value, **{f"{name}_s": s for name, s in t.items()}}
        if "torch" in t:
            row["scratch/torch"] = t["scratch"] / t["torch"]
        print(row, flush=True)
        rows.append(row)
    return rows


def slopes(rows):
    """One row per sweep and system: the fitted log-log slope."""
    out = []
    for axis in dict.fromkeys(r["sweep"] for r in rows):
        part = [r for r in rows if r["sweep"] == axis]
        for column in (c for c in part[0] if c.endswith("_s")):
            out.append({"sweep": axis, "system": column[:-2],
                        "slope": loglog_slope([r["size"] for r in part], [r[column] for r in part])})
    return out


def plot(rows, fitted, out_dir):
    axes_names = list(dict.fromkeys(r["sweep"] for r in rows))
    fig, axes = _common.subplots(1, len(axes_names), figsize=(4 * len(axes_names), 3.5), squeeze=False)
    for ax, axis in zip(axes[0], axes_names):
        part = [r for r in rows if r["sweep"] == axis]
        for f in (f for f in fitted if f["sweep"] == axis):
            ys = [r[f"{f['system']}_s"] for r in part]
            ax.loglog([r["size"] for r in part], ys, "o-", label=f"{f['system']} (slope {f['slope']:.2f})")
        ax.set(xlabel=axis, ylabel="seconds per epoch", title=f"growing {axis}")
        ax.legend(fontsize=8)
    return _common.save_figure(fig, out_dir, "scaling")


def main(argv=None):
    parser = _common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--sweeps", nargs="+", choices=list(SWEEPS), default=list(SWEEPS))
    args = parser.parse_args(argv)
    base, timed, sweeps = (QUICK["base"], QUICK["timed_epochs"], QUICK["sweeps"]) if args.quick else \
        (BASE, TIMED_EPOCHS, SWEEPS)
    rows = [row for axis in args.sweeps for row in sweep(axis, sweeps[axis], base, timed, args.seed)]
    fitted = slopes(rows)
    plot(rows, fitted, args.out)
    config = {**vars(args), "batch_size": BATCH_SIZE, "lr": LR, "base": base, "sizes": sweeps, "timed_epochs": timed}
    return _common.write_report("scaling", args.out, config, {"seconds per epoch": rows, "log-log slopes": fitted})


if __name__ == "__main__":
    main()
