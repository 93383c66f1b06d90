"""A training run on disk: train a model on a task, save it with its figures, reload, predict.

A run folder holds ``model.npz`` (``scratch.persistence``; the model carries its transform),
``run.json`` (task settings, recipe, splits, per-epoch history, metrics) and PNG figures;
where and how it is written is ``scratch.cli.run_folder``'s. A run is read back only when its
model fits its task (features, outputs, kind), so an edited run.json or a swapped model.npz is
a damaged run, not a wrong accuracy.

The splits (``SPLITS``): a monitored model is fitted on the training split minus a
validation split held out of it, which is scored after every epoch (``history.val_*``) and
chose the recipes; the final model — the one saved — is refitted on the whole training split
with the same recipe and seed; the test split is scored once, with the final model.
"""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from scratch import persistence
from scratch._files import FileContentError, write_atomically
from scratch._validation import check_choice
from scratch.cli.choices import SCHEDULES
from scratch.cli.painter import painter
from scratch.cli.recipes import recipe_for
from scratch.cli.run_folder import MODEL_FILE, RUN_FILE, check_out, run_folder
from scratch.cli.samples import read_samples
from scratch.cli.tasks import build_model, load_task
from scratch.optim import SGD, CosineAnnealingLR
from scratch.threads import limit_for, watched_meter
from scratch.training import fit

GRID_IMAGES = 40  # test images shown with their predicted labels (predictions.png)
SCORING_ROWS = 2048  # samples per forward pass when a split is scored: a batch's memory, not the split's
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
    recipe = recipe_for(model_spec, data, overrides)
    watched_meter(wait=False)  # the CPUs are watched from here: training chooses its threads without waiting
    figures = painter(_import_plots, draw_history, final_figures)  # before the data: it imports matplotlib meanwhile
    try:
        task = load_task(data, model=model_spec, features=features, positive_class=positive_class, seed=seed,
                         classes=classes)
        train = dict(weight_decay=weight_decay, seed=seed, threads=threads)
        monitored, history = train_on_task(model_spec, task, recipe, verbose=verbose, **train)
        with run_folder(out, overwrite) as folder:
            figures.start(_for_figures(task), history, folder, monitored)  # the history, drawn during the refit
            whole = task.whole_training_split()
            if verbose:
                print(f"refitting on all {len(whole.X_train)} training samples with the same recipe …", flush=True)
            model, final_history = train_on_task(model_spec, whole, recipe, verbose=False, **train)
            with limit_for(threads, model.params, SCORING_ROWS):  # scored first: the figures then have both CPUs
                test_outputs = split_outputs(model, task.X_test)  # scored, and drawn as the figures' predictions
                run = _record(task, whole, recipe, weight_decay, monitored, history, final_history, model,
                              test_outputs)
            figures.send(model, model.criterion.predict(test_outputs))
            if report is not None:
                report(run)
            persistence.save(model, folder / MODEL_FILE)
            if verbose:
                print(f"drawing the figures into {out} …", flush=True)
            run["figures"] = [path.name for path in figures.paths()]
            write_atomically(folder / RUN_FILE, lambda file: file.write(json.dumps(run, indent=2).encode()))
    finally:
        figures.close()
    return run


def _record(task, whole, recipe, weight_decay, monitored, history, final_history, model, test_outputs):
    """run.json's content: task settings, recipe, splits, metrics of each split, seconds, history."""
    metrics = {"train": split_metrics(model, whole.X_train, whole.y_train),
               "validation": _metrics(monitored.criterion, history.val_loss[-1], history.val_score[-1]),
               "test": split_metrics(model, task.X_test, task.y_test, test_outputs)}
    samples = {"train": len(whole.X_train), "validation": len(task.X_val), "test": len(task.X_test)}
    return dict(task=task.settings, recipe=recipe, weight_decay=weight_decay,
                splits={name: {"samples": samples[name], "role": SPLITS[name]} for name in SPLITS},
                metrics=metrics, seconds=float(sum(history.seconds) + sum(final_history.seconds)),
                history={k: v if k == "threads" else list(map(float, v)) for k, v in vars(history).items()})


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
    return _metrics(criterion, *criterion.loss_and_score(outputs, criterion.check_target(y, outputs)))


def _metrics(criterion, loss, score):
    """{"loss": …, "accuracy" or "r2": …}, as run.json records a split."""
    return {"loss": float(loss), criterion.score_key: float(score)}


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
    model = persistence.load(run_dir / MODEL_FILE)
    _check_model_fits_task(model, task, run_dir)
    return model, task, run


def _check_model_fits_task(model, task, run_dir):
    """The model reads the task's samples and gives its kind of outputs: one per class, or one."""
    try:
        outputs = model.forward(task.X_test[:1])
        problem = None
    except (ValueError, TypeError) as exc:
        problem = str(exc)
    if problem is None:
        width = outputs.shape[1] if outputs.ndim == 2 else 1
        expected = len(task.class_names) if task.kind == "multiclass" else 1
        if model.criterion.kind != task.kind or width != expected:
            problem = (f"a {model.criterion.kind} model with {width} output(s), for a {task.kind} task of data "
                       f"{task.data!r} that needs {expected}")
    if problem is not None:
        raise FileContentError(f"{run_dir}: {MODEL_FILE} does not fit the task of {RUN_FILE} ({problem}); "
                               "train the run again.")


def evaluate_run(run_dir):
    """Test-split metrics of a saved run."""
    model, task, _ = load_run(run_dir)
    return split_metrics(model, task.X_test, task.y_test)


def predict_run(run_dir, *, input_path=None, limit=10, top=0):
    """Lines describing predictions for the samples in ``input_path`` (or the first test samples);
    top > 0: each sample's ``top`` most probable classes with their probabilities (classifier runs)."""
    model, task, _ = load_run(run_dir)
    if top and task.kind == "regression":
        raise ValueError(f"--proba needs a classifier run; {run_dir} predicts {task.target_name}, a number.")
    if input_path is None:
        X, truth = task.X_test[:limit], task.y_test[:limit]
    else:
        X, truth = read_samples(input_path, task), None
    if top:
        lines = [f"sample {i}: {_most_probable(task, p, top)}" for i, p in enumerate(_class_probabilities(model, X))]
    else:
        lines = [f"sample {i}: {_label(task, p)}" for i, p in enumerate(model.predict(X))]
    if truth is not None:
        lines = [f"{line}   (true: {_label(task, t)})" for line, t in zip(lines, truth)]
    return lines


def _class_probabilities(model, X):
    """P(class | x), (N, K): softmax rows, or [1 − σ, σ] for a binary model."""
    p = model.predict_proba(X)
    return np.column_stack([1 - p, p]) if p.ndim == 1 else p


def _most_probable(task, probabilities, top):
    """e.g. "7 (98.12 %), 9 (1.02 %), 3 (0.41 %)": the ``top`` most probable classes, most probable first."""
    order = np.argsort(-probabilities, kind="stable")[:top]
    return ", ".join(f"{task.class_names[k]} ({100 * probabilities[k]:.2f} %)" for k in order)


def _label(task, value):
    """A class name for classifiers, the number for regressors."""
    return task.class_names[int(value)] if task.class_names else f"{float(value):.4g}"


# ---- figures -------------------------------------------------------------------------------
def _import_plots():
    """matplotlib's import (≈ 1 s), done by the painter while the data loads and the model trains."""
    from scratch import plots  # noqa: F401
    from matplotlib.backends import backend_agg  # noqa: F401  (what savefig draws with)


def _for_figures(task):
    """The task as the figures read it, small enough to send to a painter in another process: one training
    row (for the shapes), the validation split as (N, 0) (its size), an image set's first GRID_IMAGES test images."""
    images = task.X_test if task.image_shape is None else task.X_test[:GRID_IMAGES]
    return replace(task, X_train=task.X_train[:1], y_train=task.y_train[:1],
                   X_val=np.empty((len(task.X_val), 0), task.X_val.dtype), y_val=task.y_val[:0], X_test=images)


def draw_history(task, history, out, monitored):
    """[history.png]: the monitored run's loss and validation score per epoch."""
    from scratch import plots  # matplotlib is imported here, once there is something to draw

    path = Path(out) / "history.png"
    held_out = f"validation: {len(task.X_val)} samples held out of the training split"
    plots.plot_history(history, score_name=monitored.criterion.score_name,
                       title=f"{type(monitored).__name__} on {task.data} ({held_out})", path=path)
    return [path]


def final_figures(task, history, out, monitored, model, predictions):
    """The final model's figures on the test split, to draw: [(path, draw(path))]. predictions: for ``task.X_test``."""
    from scratch import plots

    out = Path(out)
    if task.kind == "regression":
        return [(out / "fit.png", lambda path: plots.plot_regression(
            model, task.X_test, task.y_test, feature_names=task.feature_names, target_name=task.target_name,
            path=path))]
    y_test = task.y_test.astype(np.int64)
    jobs = [(out / "confusion.png", lambda path: plots.plot_confusion_matrix(
        y_test, predictions, task.class_names, title="Confusion matrix, test split", path=path))]
    if task.image_shape is not None:
        jobs.append((out / "predictions.png", lambda path: plots.show_grid(
            task.X_test[:GRID_IMAGES], y_test[:GRID_IMAGES], predictions=predictions[:GRID_IMAGES],
            class_names=task.class_names,
            title="Test images: predicted label (red: wrong, true label in brackets)", path=path)))
        if task.kind == "multiclass" and "W" in model.params:
            jobs.append((out / "weights.png", lambda path: plots.plot_weight_templates(
                model.params["W"], task.class_names, image_shape=task.image_shape, path=path)))
    elif task.kind == "binary" and task.n_features == 2:
        jobs.append((out / "boundary.png", lambda path: plots.plot_decision_boundary(
            model, task.X_test, y_test, feature_names=task.feature_names, class_names=task.class_names,
            path=path)))
    return jobs
