"""Save and load models as one ``.npz`` file, without pickle.

File layout (format version 2), an uncompressed NumPy ``.npz`` archive holding:

- ``scratch_header``: uint8 bytes of a UTF-8 JSON object
  ``{"format": "scratch.model", "version": 2,
  "model": {"type": "SoftmaxRegression", "config": {"n_features": 784, "n_classes": 10,
  "dtype": "float64", "transform": {"type": "ScalePixels"}}},
  "state_dict": {"weight": {"shape": [10, 784], "dtype": "float64"}, "bias": {...}}}``;
- ``state/<key>``: one array per entry of ``model.state_dict()``, under PyTorch's keys and
  layouts ("0.weight" is (out, in); a layer used twice is stored under both of its keys).

No list of classes: ``model.describe()`` is what every scratch ``Module`` says about itself,
``Module.from_description`` rebuilds it by class name and ``load_state_dict`` writes the
arrays back. Nothing is unpickled (``allow_pickle=False``); every array's shape and dtype
are checked from its .npy header before its data is read. ``load`` raises ``ModelFileError``
naming the file for anything corrupt, truncated, foreign or hostile, and ``save`` rebuilds
the model the way ``load`` will before writing: whatever ``save`` writes, ``load`` accepts.
Writing goes through ``scratch._files.write_atomically``: an interrupted save leaves the
previous file as it was.
"""

import json
import lzma
import math
import os
import struct
import zipfile
import zlib

import numpy as np

import scratch.models  # noqa: F401 -- defines (so registers) every model class
import scratch.nn  # noqa: F401 -- every layer, container and loss
from scratch._files import NOT_REGULAR, FileContentError, open_regular_file, read_npy_header, write_atomically
from scratch.nn.module import Module

FORMAT_NAME = "scratch.model"
FORMAT_VERSION = 2
HEADER_KEY = "scratch_header"
STATE_PREFIX = "state/"
ZIP_SIGNATURE = b"PK\x03\x04"
FLOAT_DTYPE_NAMES = ("float32", "float64")
# Settings that size nothing (CrossEntropyLoss's ignore_index=255, Softmax's dim=1) must fit in
# the allocation guard of _check_allocation beside the sizes of the stored arrays.
SETTINGS_ALLOWANCE = 2**16


class ModelFileError(FileContentError):
    """A file that is not a readable scratch model: corrupt, truncated, foreign or from another version.

    ``path`` is the file, ``problem`` says what is wrong with it.
    """

    def __init__(self, path, problem):
        super().__init__(f"{path}: not a readable scratch model file: {problem}")
        self.path, self.problem = path, problem


class _Problem(Exception):
    """Raised while checking; ``load`` turns it into a ModelFileError naming the file."""


# What a damaged zip/npy can raise from the zipfile, zlib, lzma, json and numpy readers.
_PARSER_ERRORS = (
    OSError, EOFError, ValueError, TypeError, KeyError, IndexError, OverflowError, RuntimeError,
    zipfile.BadZipFile, zlib.error, lzma.LZMAError, struct.error,
)
# What a constructor can raise on a hostile config (RecursionError: a description nested too deep).
_REBUILD_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, MemoryError, RecursionError)


# ---- saving ----------------------------------------------------------------------------------


def save(model, path):
    """Write ``model`` to ``path`` (kept exactly as given; ``.npz`` is the usual suffix), atomically.

    model: any scratch Module — LinearRegression, LogisticRegression, SoftmaxRegression,
    nn.Network, nn.Sequential, a layer — with its transform. Arrays keep their dtype:
    ``load(path)`` predicts bit for bit the same. Only a regular file (or nothing) at
    ``path`` is replaced: a directory, device or FIFO there is refused (OSError).
    """
    if not isinstance(model, Module):
        raise TypeError(
            f"model must be a scratch model or module (e.g. SoftmaxRegression, nn.Network); got {type(model).__name__}."
        )
    state = model.state_dict()
    header = {
        "format": FORMAT_NAME, "version": FORMAT_VERSION, "model": model.describe(),
        "state_dict": {key: {"shape": list(a.shape), "dtype": a.dtype.name} for key, a in state.items()},
    }
    try:
        text = json.dumps(header, default=_json_number, allow_nan=False)
        header = json.loads(text)
        _check_declared(header["state_dict"])
        _rebuild(header["model"], state)  # exactly what load will do with this file
    except (TypeError, ValueError, _Problem) as exc:
        raise ValueError(f"model {type(model).__name__} cannot be saved so that load rebuilds it: {exc}") from None
    entries = {HEADER_KEY: np.frombuffer(text.encode("utf-8"), dtype=np.uint8)}
    entries.update((STATE_PREFIX + key, array) for key, array in state.items())
    write_atomically(path, lambda file: np.savez(file, **entries))


def _json_number(value):
    """numpy scalars and arrays in a config, as JSON numbers and lists."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"its config holds {value!r} of type {type(value).__name__}, which JSON cannot store")


# ---- loading ---------------------------------------------------------------------------------


def load(path):
    """The model saved at ``path``: rebuilt from its description, then given its state dict.

    Raises ModelFileError (a ValueError) naming the file and the problem for anything that
    is not an intact file written by ``save``; FileNotFoundError/PermissionError as usual.
    """
    shown = os.fspath(path)
    file, size = open_regular_file(path, lambda shown: ModelFileError(shown, NOT_REGULAR))
    with file:
        try:
            return _read_model(file, size)
        except _Problem as exc:
            raise ModelFileError(shown, str(exc)) from exc
        except _PARSER_ERRORS as exc:
            raise ModelFileError(shown, f"damaged archive ({type(exc).__name__}: {exc})") from exc


def _read_model(file, file_size):
    if file.read(len(ZIP_SIGNATURE)) != ZIP_SIGNATURE:
        raise _Problem("it is not an .npz archive (no zip signature at its start)")
    file.seek(0)
    with np.load(file, allow_pickle=False) as archive:
        header = _read_header(archive, file_size)
        arrays = _read_state(archive, header["state_dict"], file_size)
    return _rebuild(header["model"], arrays)


def _read_header(archive, file_size):
    if HEADER_KEY not in archive.files:
        raise _Problem(f"it has no {HEADER_KEY!r} entry, so scratch.persistence.save did not write it")
    raw = _read_arrays(archive, [HEADER_KEY], file_size)[HEADER_KEY]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _Problem(f"its header must be 1-D uint8 bytes; got {raw.dtype} of shape {raw.shape}")
    header = json.loads(raw.tobytes().decode("utf-8"))
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise _Problem(f"its header does not declare format {FORMAT_NAME!r}")
    version = header.get("version")
    if type(version) is int and version < FORMAT_VERSION:
        raise _Problem(
            f"it was written by an older scratch (model file format version {version}; this scratch reads "
            f"version {FORMAT_VERSION}). Retrain the model (e.g. 'scratch train …') and save it again."
        )
    if version != FORMAT_VERSION:
        raise _Problem(f"format version {version!r}; this scratch reads version {FORMAT_VERSION}: upgrade scratch")
    if not isinstance(header.get("model"), dict):
        raise _Problem(f"its header has no model description; got {header.get('model')!r}")
    _check_declared(header.get("state_dict"))
    return header


def _check_declared(declared):
    """The header's {key: {"shape": [ints ≥ 0], "dtype": "float32"|"float64"}}."""
    if not isinstance(declared, dict):
        raise _Problem(f"its header's state_dict must be an object; got {declared!r}")
    for key, entry in declared.items():
        shape = entry.get("shape") if isinstance(entry, dict) else None
        if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)):
            raise _Problem(f"state_dict[{key!r}] must declare a shape (a list of sizes); got {entry!r}")
        if entry.get("dtype") not in FLOAT_DTYPE_NAMES:
            raise _Problem(f"state_dict[{key!r}] must be float32 or float64; got {entry.get('dtype')!r}")


def _read_state(archive, declared, file_size):
    """{key: array}: exactly the declared entries, each of its declared shape and dtype."""
    stored = {name[len(STATE_PREFIX):] for name in archive.files if name.startswith(STATE_PREFIX)}
    extra = set(archive.files) - {HEADER_KEY} - {STATE_PREFIX + key for key in stored}
    if extra or stored != set(declared):
        raise _Problem(
            f"it stores the arrays {sorted(stored)}, but its header declares {sorted(declared)}"
            + (f"; unexpected entries {sorted(extra)}" if extra else "")
        )
    arrays = _read_arrays(archive, [STATE_PREFIX + key for key in declared], file_size)
    state = {}
    for key, entry in declared.items():
        array = arrays[STATE_PREFIX + key]
        if list(array.shape) != entry["shape"] or array.dtype != np.dtype(entry["dtype"]):
            raise _Problem(
                f"state_dict[{key!r}] holds {array.dtype} of shape {array.shape}; its header declares "
                f"{entry['dtype']} of shape {tuple(entry['shape'])}"
            )
        state[key] = array
    return state


def _read_arrays(archive, names, file_size):
    """{name: archive[name]}, read only after every .npy header shows plain numbers that together fit in the file.

    ``save`` stores uncompressed, so the data of all entries is never larger than the file:
    a header that claims more (e.g. a deflated zip bomb) is refused before anything is allocated.
    """
    claimed = 0
    for name in names:
        with archive.zip.open(name + ".npy") as member:
            try:
                _, dtype, size = read_npy_header(member)
            except ValueError as exc:
                raise _Problem(f"entry {name!r}: {exc}") from None
        if dtype.hasobject or dtype.kind not in "biuf":
            raise _Problem(f"entry {name!r} holds {dtype} data (pickled objects are refused)")
        claimed += size
    if claimed > file_size:
        raise _Problem(f"its entries claim {claimed} bytes of data, more than the {file_size}-byte file holds")
    return {name: archive[name] for name in names}


# ---- rebuilding ------------------------------------------------------------------------------


def _rebuild(description, arrays):
    """The module ``description`` describes, holding ``arrays`` (its state dict); _Problem if they do not fit."""
    _check_allocation(description, arrays)
    try:
        model = Module.from_description(description)
        built = {key: (a.shape, a.dtype) for key, a in model.state_dict().items()}
        stored = {key: (a.shape, a.dtype) for key, a in arrays.items()}
        if built != stored:
            raise _Problem(f"its arrays {_layout(stored)} do not fit the {description['type']} it describes ({_layout(built)})")
        model.load_state_dict(arrays)
    except _REBUILD_ERRORS as exc:
        raise _Problem(f"its model description does not rebuild a model ({type(exc).__name__}: {exc})") from None
    return model


def _layout(shapes):
    return ", ".join(f"{key}: {dtype} {shape}" for key, (shape, dtype) in shapes.items()) or "no arrays"


def _check_allocation(description, arrays):
    """Refuse a description that would allocate far more than the file stores, before building it.

    A module's parameters are sized by its integer settings: Linear(in, out) holds in·out + out
    numbers, SoftmaxRegression(D, K) D·K + K, LinearRegression(D) D + 1. So a model built from
    an honest description holds about Σ (product of each module's positive integer settings)
    numbers, which cannot exceed the numbers stored in the file (plus a small allowance for
    settings that size nothing). A hostile header declaring a tiny array but Linear(10⁶, 10⁶)
    is refused here, instead of after allocating terabytes.
    """
    budget = sum(a.size for a in arrays.values()) + SETTINGS_ALLOWANCE
    implied = _implied_size(description)
    if implied > budget:
        raise _Problem(
            f"its model description implies about {implied} parameters, but the file stores "
            f"{budget - SETTINGS_ALLOWANCE} numbers"
        )


def _implied_size(node):
    """Σ over the module descriptions ({"type", "config"}) within ``node`` of their settings' product."""
    if isinstance(node, list):
        return sum(_implied_size(item) for item in node)
    if not isinstance(node, dict):
        return 0
    total = sum(_implied_size(value) for value in node.values())
    config = node.get("config")
    if "type" in node and isinstance(config, dict):
        sizes = [v for v in config.values() if type(v) is int and v > 0]
        total += math.prod(sizes) if sizes else 0
    return total
