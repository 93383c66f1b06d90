"""Where a run is written: the ``--out`` folder, checked before training and again when the run is moved in.

A run is written into a hidden folder beside ``--out`` and renamed into place only when
complete, so an interrupt or a full disk leaves the previous run or nothing, never a mix.
``--out`` may be a new name, an empty folder, or — with ``--overwrite`` — a run folder holding
only what scratch wrote there (``--overwrite`` never deletes a file of yours). When another run
took ``--out`` while this one trained, this run is kept beside it under a fresh name and the
command fails, naming that folder: a run is never lost, never silently replaced.
"""

import contextlib
import json
import os
import secrets
import shutil
from pathlib import Path

from scratch._files import fsync_directory

MODEL_FILE, RUN_FILE = "model.npz", "run.json"
EXPORT_FILE = "model.safetensors"  # what ``scratch export`` writes into a run by default


class RunFolderTaken(OSError):
    """``--out`` changed while this run trained; this run was saved to ``saved_to`` instead."""

    def __init__(self, shown, saved_to):
        self.saved_to = saved_to
        super().__init__(f"--out {shown} changed while this run trained (another run or files not written by "
                         f"scratch appeared there); this run was saved to {saved_to} instead")


def scratch_files(folder):
    """The files scratch writes in a run folder: model, run record, its figures, an export."""
    try:
        figures = json.loads((Path(folder) / RUN_FILE).read_text(encoding="utf-8")).get("figures", [])
    except (OSError, ValueError, AttributeError, RecursionError):
        figures = []
    return {MODEL_FILE, RUN_FILE, EXPORT_FILE, *(name for name in figures if isinstance(name, str))}


def export_path(run, out=None):
    """Where ``scratch export`` writes: ``out``, or RUN/model.safetensors; never over another file of the run."""
    if out is None:
        return os.path.join(run, EXPORT_FILE)
    in_run = os.path.realpath(os.path.dirname(os.path.abspath(out))) == os.path.realpath(run)
    if in_run and os.path.basename(out) in scratch_files(run) - {EXPORT_FILE}:
        raise ValueError(f"--out {out} is a file of the run itself; write the export elsewhere, e.g. the default "
                         f"{os.path.join(run, EXPORT_FILE)}.")
    return out


def check_out(out, overwrite):
    """The resolved output folder, after refusing a file, a folder that is not a run, a run without
    ``overwrite``, a run holding files scratch did not write, or a place where no folder can be
    written — all before any training."""
    shown, out = out, Path(os.path.realpath(out))
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {shown} is a file, not a run folder; choose a folder name.")
    if out.exists() and (out / RUN_FILE).is_file():
        if not overwrite:
            raise ValueError(f"--out {shown} already holds a run; pass --overwrite to replace it, "
                             "or choose another --out.")
        _check_only_scratch_files(out, shown)
    elif out.exists() and any(out.iterdir()):
        raise ValueError(f"--out {shown} is a folder with files but no {RUN_FILE}, not a scratch run; "
                         "choose another --out.")
    _check_writable(out.parent, shown)  # the run is written beside ``out``, then renamed
    return out


def _check_only_scratch_files(out, shown):
    others = sorted(path.name for path in out.iterdir() if path.name not in scratch_files(out))
    if others:
        raise ValueError(f"--out {shown} holds files scratch did not write ({', '.join(others[:5])}); "
                         "--overwrite replaces the whole run folder: move them first, or choose another --out.")


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
def run_folder(out, overwrite):
    """A fresh hidden folder beside ``out``, moved to ``out`` when the block completes; removed if it fails.

    ``out`` is checked again at the move: a run that appeared there meanwhile is replaced only
    with ``overwrite`` (and only if it holds nothing but scratch's files); otherwise this run is
    kept under a fresh name beside it and RunFolderTaken says where.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = _hidden(out.parent, ".tmp")
    temporary.mkdir()
    try:
        yield temporary
        _move_into_place(temporary, out, overwrite)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _move_into_place(temporary, out, overwrite):
    old = _hidden(out.parent, ".old")  # every file in temporary was written durably by write_atomically
    try:
        if overwrite and (out / RUN_FILE).is_file():
            _check_only_scratch_files(out, out)
            os.rename(out, old)  # the previous run steps aside…
        os.rename(temporary, out)  # …and the complete new one takes its place (an empty folder is replaced)
    except (OSError, ValueError):  # ``out`` changed meanwhile: another run took it, or files of yours appeared
        if old.exists() and not out.exists():
            os.rename(old, out)
        raise RunFolderTaken(out, _keep_beside(temporary, out)) from None
    fsync_directory(out.parent)
    shutil.rmtree(old, ignore_errors=True)


def _keep_beside(temporary, out):
    """Rename the finished run to a fresh ``<out>-<hex>`` beside ``out``; returns that path."""
    kept = out.with_name(f"{out.name}-{secrets.token_hex(3)}")
    os.rename(temporary, kept)
    fsync_directory(out.parent)
    return kept


def _hidden(parent, suffix):
    """A fresh hidden name in ``parent`` for a run being written (.tmp) or replaced (.old)."""
    return parent / f".scratch-{secrets.token_hex(6)}{suffix}"
