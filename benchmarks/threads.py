"""BLAS threads and busy neighbours: scratch's s/epoch under its own thread choice and under forced 1 and 2.

    python benchmarks/threads.py [--quick] [--neighbours 0 1 2] [--recipes mnist:softmax:128]

Each recipe (data set, model, batch size) trains by ``scratch.training.fit`` with plain SGD on the
splits of ``scratch train``, with BLAS threads left to scratch (``fit(threads=None)``: ``scratch.threads``
chooses) and forced to 1 and to 2 (``fit(threads=1|2)``). The three settings' epochs are interleaved
in one process (who goes first rotates; one warm-up epoch), so a noisy moment hits all of them; the
figure is the median. The whole table is measured quiet and again with 1 and 2 busy neighbours:
processes started here that spin on a CPU (``python -c "while True: pass"``), as another user's job does.
"""

import contextlib
import os
import subprocess
import sys
import time

import _common  # noqa: I001  (puts the repo on sys.path)
from _systems import ScratchRunner, initial_model, speed_row

RECIPES = (("mnist", "softmax", 64), ("mnist", "softmax", 128), ("mnist", "softmax", 256),
           ("mnist", "dense:128,relu,dense", 64), ("mnist", "dense:128,relu,dense", 256),
           ("fashion-mnist", "softmax", 128))  # (data set, model as `scratch train` names it, batch size)
NEIGHBOURS = (0, 1, 2)  # busy processes running beside the measurement
SETTINGS = (None, 1, 2)  # fit's threads=: None is scratch's choice
TIMED_EPOCHS = 7  # epochs per setting whose median is the figure (after one warm-up epoch)
LR = 0.1  # plain SGD, the lecture's lr
SETTLE_S = 1.0  # seconds the neighbours run before the first epoch is timed
GOALS = {"neighbour": 1.6, "best": 1.05}  # one neighbour: ≤ 1.6 × quiet; quiet: within 5 % of the best count
GOAL_BATCHES = (64, 128, 256)
SIZES = {"n_train": None, "timed_epochs": TIMED_EPOCHS, "neighbours": NEIGHBOURS, "recipes": RECIPES}
QUICK = {"n_train": 1000, "timed_epochs": 1, "neighbours": (0, 1), "recipes": RECIPES}


@contextlib.contextmanager
def busy_neighbours(n):
    """``n`` processes spinning on a CPU for the duration of the block (stopped by their own handles)."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        if procs:
            time.sleep(SETTLE_S)
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


def setting_name(threads):
    return "scratch" if threads is None else f"{threads}thr"


def measure_recipe(data, spec, batch, sizes, seed, neighbours):
    """One row: s/epoch (median) of each thread setting at one load, and what scratch chose."""
    X, y, _, _ = data
    model = initial_model(spec, X.shape[1], int(y.max()) + 1, seed)
    runners = []
    for threads in SETTINGS:
        runner = ScratchRunner(model, X, y, lr=LR, seed=seed, threads=threads)
        runner.name = setting_name(threads)
        runners.append(runner)
    row = speed_row(runners, batch, sizes["timed_epochs"])
    used = set(runners[0].threads_used)  # the counts scratch chose in its epochs (warm-up included)
    chosen = "environment" if None in used else "/".join(map(str, sorted(used)))
    best = min(row["1thr_s"], row["2thr_s"])
    return {"model": spec, "batch": batch, "neighbours": neighbours, "chosen": chosen, "scratch_s": row["scratch_s"], "1thr_s": row["1thr_s"], "2thr_s": row["2thr_s"],
            "scratch/best": row["scratch_s"] / best}


def with_quiet_ratio(rows):
    """Each row gains "vs_quiet": its scratch s/epoch over the same recipe's quiet one (None without a quiet row)."""
    quiet = {(r["dataset"], r["model"], r["batch"]): r["scratch_s"] for r in rows if r["neighbours"] == 0}
    for r in rows:
        q = quiet.get((r["dataset"], r["model"], r["batch"]))
        r["vs_quiet"] = None if q is None else r["scratch_s"] / q
    return rows


def goals(rows):
    """The goals, each read from every row it concerns (every data set and model): (goal rows)."""
    result = []
    for batch in GOAL_BATCHES:
        ratios = [r["vs_quiet"] for r in rows if r["neighbours"] == 1 and r["batch"] == batch
                  and r["vs_quiet"] is not None]
        if ratios:
            result.append(_common.goal(f"one busy neighbour: s/epoch ≤ {GOALS['neighbour']} × quiet at batch {batch} "
                                       f"(worst of {len(ratios)} recipes)", max(ratios),
                                       max(ratios) <= GOALS["neighbour"]))
    quiet = [r["scratch/best"] for r in rows if r["neighbours"] == 0]
    if quiet:
        result.append(_common.goal(f"quiet: scratch's s/epoch within {GOALS['best'] - 1:.0%} of the best thread count "
                                   f"(worst of {len(quiet)} recipes)", max(quiet), max(quiet) <= GOALS["best"]))
    return result


def parse_recipe(text):
    """'DATA:MODEL:BATCH' (MODEL may hold commas), e.g. mnist:dense:128,relu,dense:64 → (data, model, batch)."""
    data, rest = text.split(":", 1)
    model, batch = rest.rsplit(":", 1)
    return data, model, int(batch)


def main(argv=None):
    parser = _common.base_parser(__doc__.splitlines()[0])
    parser.add_argument("--neighbours", nargs="+", type=int, default=None, help="busy processes, e.g. 0 1 2")
    parser.add_argument("--recipes", nargs="+", type=parse_recipe, default=None, help="DATA:MODEL:BATCH …")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else SIZES
    recipes = args.recipes or sizes["recipes"]
    data = {name: _common.load_images(name, sizes["n_train"], 1, args.seed) for name in dict.fromkeys(r[0] for r in recipes)}
    tables, contexts, rows = {}, {}, []
    for neighbours in args.neighbours or sizes["neighbours"]:
        title = f"s/epoch with {neighbours} busy neighbours"
        with busy_neighbours(neighbours):
            load, block = round(os.getloadavg()[0], 2), []  # as the measurement starts
            for name, spec, batch in recipes:
                block.append({"dataset": name, **measure_recipe(data[name], spec, batch, sizes, args.seed, neighbours)})
                print(block[-1], flush=True)
        rows += block
        tables[title] = block
        contexts[title] = (neighbours, "scratch's choice (scratch), forced 1 (1thr) and 2 (2thr), interleaved", load)
    with_quiet_ratio(rows)
    tables["goals"] = goals(rows)
    contexts["goals"] = ("each table's", "as in each table")
    config = {**vars(args), "recipes": recipes, "lr": LR, "settings": SETTINGS, "sizes": sizes,
              "loop": "scratch.training.fit, one call per epoch (fit's timing of the steps), plain SGD",
              "neighbours": "python -c 'while True: pass' processes, started before and stopped after each table"}
    return _common.write_report("threads", args.out, config, tables, contexts=contexts)


if __name__ == "__main__":
    main()
