"""A training run on disk: train a model on a task, save it with its figures, reload, predict.

A run folder holds ``model.npz`` (``scratch.persistence``; the model carries its transform),
``run.json`` (task settings, recipe, splits, per-epoch history, metrics) and PNG figures.
It is written into a hidden folder beside the target and renamed into place only when
complete: an interrupt or a full disk leaves the previous run or nothing, never a mix.

The splits (``SPLITS``): a monitored model is fitted on the training split minus a
validation split held out of it, which is scored after every epoch (``history.val_*``) and
chose the recipes; the final model — the one saved — is refitted on the whole training split
with the same recipe and seed; the test split is scored once, with the final model.
"""

import contextlib
import json
import os
import secrets
import shutil
from pathlib import Path

import numpy as np

from scratch import persistence
from scratch._files import FileContentError, fsync_directory, write_atomically
from scratch._validation import check_choice
from scratch.cli.choices import SCHEDULES
from scratch.cli.recipes import recipe_for
from scratch.cli.samples import read_samples
from scratch.cli.tasks import build_model, load_task
from scratch.optim import SGD, CosineAnnealingLR
from scratch.training import fit

MODEL_FILE, RUN_FILE = "model.npz", "run.json"
SCORING_ROWS = 8192  # samples per forward pass when a split is scored: a batch's memory, not the split's
SPLITS = {
    "train": "the whole training split: the final model is refitted on it with the recipe chosen on validation",
    "validation": "held out of the training split (seeded) for the monitored run, scored after every epoch: "
                  "choose settings by it",
    "test": "the test split, scored once, with the final model",
}


def train_run(model_spec, data, out, *, overrides=None, weight_decay=0.0, seed=0, features=None,
              positive_class=None, classes=None, overwrite=False, verbose=True, threads=None, report=None):
    """Train ``model_spec`` on ``data`` by minibatch SGD; write model, run.json and figures to ``out``.

    ``out`` must not exist, be an empty folder, or (with ``overwrite``) hold a run. threads: BLAS
    threads for training (None: ``scratch.threads`` chooses). report: called with the run (its
    metrics known) before the figures are drawn, e.g. to print the results without waiting for them.
    """
    out = check_out(out, overwrite)
    task = load_task(data, model=model_spec, features=features, positive_class=positive_class, seed=seed,
                     classes=classes)
    recipe = recipe_for(model_spec, data, overrides)
    monitored, history = train_on_task(model_spec, task, recipe, weight_decay=weight_decay, seed=seed,
                                       verbose=verbose, threads=threads)
    whole = task.whole_training_split()
    if verbose:
        print(f"refitting on all {len(whole.X_train)} training samples with the same recipe …", flush=True)
    model, final_history = train_on_task(model_spec, whole, recipe, weight_decay=weight_decay, seed=seed,
                                         verbose=False, threads=threads)
    test_outputs = split_outputs(model, task.X_test)  # scored, and drawn as the figures' predictions
    metrics = {"train": split_metrics(model, whole.X_train, whole.y_train),
               "validation": _metrics(monitored.criterion, history.val_loss[-1], history.val_score[-1]),
               "test": split_metrics(model, task.X_test, task.y_test, test_outputs)}
    samples = {"train": len(whole.X_train), "validation": len(task.X_val), "test": len(task.X_test)}
    run = dict(task=task.settings, recipe=recipe, weight_decay=weight_decay,
               splits={name: {"samples": samples[name], "role": SPLITS[name]} for name in SPLITS},
               metrics=metrics, seconds=float(sum(history.seconds) + sum(final_history.seconds)),
               history={k: list(map(float, v)) for k, v in vars(history).items()})
    if report is not None:
        report(run)
    with _run_folder(out) as folder:
        persistence.save(model, folder / MODEL_FILE)
        if verbose:
            print(f"drawing the figures into {out} …", flush=True)
        predictions = model.criterion.predict(test_outputs)
        run["figures"] = [path.name for path in draw_figures(model, task, history, folder, predictions)]
        write_atomically(folder / RUN_FILE, lambda file: file.write(json.dumps(run, indent=2).encode()))
    return run


def train_on_task(model_spec, task, recipe, *, weight_decay=0.0, seed=0, verbose=True, threads=None):
    """(model, history): ``recipe``'s SGD (momentum, schedule) on ``task.X_train``, watched on its validation split if any."""
    check_choice(recipe["schedule"], "schedule", SCHEDULES)
    model = build_model(model_spec, task, seed=seed, dtype=recipe["dtype"])
    optimizer = SGD(model.params, recipe["lr"], momentum=recipe["momentum"], weight_decay=weight_decay)
    scheduler = CosineAnnealingLR(optimizer, T_max=recipe["epochs"]) if recipe["schedule"] == "cosine" else None
    history = fit(model, task.X_train, task.y_train, epochs=recipe["epochs"], batch_size=recipe["batch_size"],
                  optimizer=optimizer, scheduler=scheduler, seed=seed,
                  validation_data=None if task.X_val is None else (task.X_val, task.y_val), verbose=verbose,
                  threads=threads)
    return model, history


def split_outputs(model, X):
    """``model.forward`` on raw samples X, SCORING_ROWS samples at a time: (N, K) or (N,)."""
    return np.concatenate([model.forward(X[start:start + SCORING_ROWS]) for start in range(0, len(X), SCORING_ROWS)])


def split_metrics(model, X, y, outputs=None):
    """{"loss": …, "accuracy" or "r2": …} of the model on raw samples X, from one forward pass (or ``outputs``).

    The model's criterion reads the outputs, as ``model.loss`` and ``model.score`` do.
    """
    criterion = model.criterion
    outputs = split_outputs(model, X) if outputs is None else outputs
    y = criterion.check_target(y, outputs)
    return _metrics(criterion, criterion(outputs, y), criterion.score(y, criterion.predict(outputs)))


def _metrics(criterion, loss, score):
    """{"loss": …, "accuracy" or "r2": …}, as run.json records a split."""
    return {"loss": float(loss), criterion.score_key: float(score)}


# ---- the run folder ------------------------------------------------------------------------
def check_out(out, overwrite):
    """The resolved output folder, after refusing a file, a folder that is not a run, a run without
    ``overwrite``, or a place where no folder can be written — all before any training."""
    shown, out = out, Path(os.path.realpath(out))
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {shown} is a file, not a run folder; choose a folder name.")
    if out.exists() and (out / RUN_FILE).is_file():
        if not overwrite:
            raise ValueError(f"--out {shown} already holds a run; pass --overwrite to replace it, "
                             "or choose another --out.")
    elif out.exists() and any(out.iterdir()):
        raise ValueError(f"--out {shown} is a folder with files but no {RUN_FILE}, not a scratch run; "
                         "choose another --out.")
    _check_writable(out.parent, shown)  # the run is written beside ``out``, then renamed
    return out


def _check_writable(parent, shown):
    """Make and remove a folder in ``parent`` (or the nearest folder above it that exists) now, so
    that a bad --out fails before training, not after."""
    while not parent.exists():
        parent = parent.parent
    try:
        probe = _hidden(parent, ".tmp")
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write a run folder there ({exc.strerror})", f"--out {shown}") from None


@contextlib.contextmanager
def _run_folder(out):
    """A fresh hidden folder beside ``out``, renamed to ``out`` when the block completes; removed if it fails."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = _hidden(out.parent, ".tmp")
    temporary.mkdir()
    try:
        yield temporary
        old = _hidden(out.parent, ".old")  # every file in it was written durably by write_atomically
        if out.exists():
            os.rename(out, old)  # the previous run (or an empty folder) steps aside…
        try:
            os.rename(temporary, out)  # …and the complete new one takes its place
        except BaseException:
            if old.exists():
                os.rename(old, out)
            raise
        fsync_directory(out.parent)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _hidden(parent, suffix):
    """A fresh hidden name in ``parent`` for a run being written (.tmp) or replaced (.old)."""
    return parent / f".scratch-{secrets.token_hex(6)}{suffix}"


def load_run(run_dir):
    """(model, task, run) of a run folder written by train_run."""
    run_dir = Path(run_dir)
    if not (run_dir / RUN_FILE).is_file():
        raise FileNotFoundError(f"{run_dir} is not a run folder: it has no {RUN_FILE} "
                                "(write one with 'scratch train').")
    try:
        run = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
        task = load_task(**run["task"])
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        message = f"{run_dir / RUN_FILE} is damaged ({type(exc).__name__}: {exc}); train the run again."
        raise FileContentError(message) from None
    return persistence.load(run_dir / MODEL_FILE), task, run


def evaluate_run(run_dir):
    """Test-split metrics of a saved run."""
    model, task, _ = load_run(run_dir)
    return split_metrics(model, task.X_test, task.y_test)


def predict_run(run_dir, *, input_path=None, limit=10):
    """Lines describing predictions for the samples in ``input_path`` (or the first test samples)."""
    model, task, _ = load_run(run_dir)
    if input_path is None:
        X, truth = task.X_test[:limit], task.y_test[:limit]
    else:
        X, truth = read_samples(input_path, task), None
    lines = [f"sample {i}: {_label(task, p)}" for i, p in enumerate(model.predict(X))]
    if truth is not None:
        lines = [f"{line}   (true: {_label(task, t)})" for line, t in zip(lines, truth)]
    return lines


def _label(task, value):
    """A class name for classifiers, the number for regressors."""
    return task.class_names[int(value)] if task.class_names else f"{float(value):.4g}"


# ---- figures -------------------------------------------------------------------------------
def draw_figures(model, task, history, out, predictions):
    """The run's PNG figures (validation per epoch; test split at the end); returns their paths.

    predictions: the model's predictions for ``task.X_test``.
    """
    from scratch import plots  # matplotlib is imported here, once the results are known

    paths = []

    def path(name):
        paths.append(Path(out) / name)
        return paths[-1]

    held_out = f"validation: {len(task.X_val)} samples held out of the training split"
    plots.plot_history(history, score_name=model.criterion.score_name,
                       title=f"{type(model).__name__} on {task.data} ({held_out})", path=path("history.png"))
    if task.kind == "regression":
        plots.plot_regression(model, task.X_test, task.y_test, feature_names=task.feature_names,
                              target_name=task.target_name, path=path("fit.png"))
        return paths
    y_test = task.y_test.astype(np.int64)
    plots.plot_confusion_matrix(y_test, predictions, task.class_names, title="Confusion matrix, test split",
                                path=path("confusion.png"))
    if task.image_shape is not None:
        plots.show_grid(task.X_test[:40], y_test[:40], predictions=predictions[:40], class_names=task.class_names,
                        title="Test images: predicted label (red: wrong, true label in brackets)",
                        path=path("predictions.png"))
        if task.kind == "multiclass" and "W" in model.params:
            plots.plot_weight_templates(model.params["W"], task.class_names, image_shape=task.image_shape,
                                        path=path("weights.png"))
    elif task.kind == "binary" and task.n_features == 2:
        plots.plot_decision_boundary(model, task.X_test, y_test, feature_names=task.feature_names,
                                     class_names=task.class_names, path=path("boundary.png"))
    return paths
