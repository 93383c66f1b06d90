"""Save and load models as one ``.npz`` file, without pickle.

File layout (format version 1), an uncompressed NumPy ``.npz`` archive holding:

- ``scratch_header``: uint8 bytes of a UTF-8 JSON object
  ``{"format": "scratch.model", "version": 1, "class": "SoftmaxRegression",
  "config": {"n_features": 784, "n_classes": 10, "dtype": "float64"},
  "params": {"W": {"shape": [784, 10], "dtype": "float64"}, "b": {...}}}``;
- ``param/<name>``: one float array per entry of ``model.params``.

A ``nn.Network`` also stores its criterion (class and options; ``weight``/``pos_weight`` as
float64 lists) in its config.

A small registry (``_KINDS``) says, for each supported class, how to describe its constructor
config and how to rebuild it; nothing is unpickled (``allow_pickle=False``). ``load`` checks
the header, the config, every array's shape and dtype (from its .npy header, before reading
its data) and raises ``ModelFileError`` for any corrupt, truncated or foreign file. ``save``
writes a temporary file beside the target, fsyncs it and renames it over the target, so an
interrupted save leaves the previous file untouched.
"""

import contextlib
import json
import lzma
import os
import secrets
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from scratch import models, nn
from scratch._validation import check_array

FORMAT_NAME = "scratch.model"
FORMAT_VERSION = 1
HEADER_KEY = "scratch_header"
PARAM_PREFIX = "param/"
ZIP_SIGNATURE = b"PK\x03\x04"
FLOAT_DTYPE_NAMES = ("float32", "float64")


class ModelFileError(ValueError):
    """A file that is not a readable scratch model: corrupt, truncated, foreign or from a newer version.

    ``path`` is the file, ``problem`` says what is wrong with it.
    """

    def __init__(self, path, problem):
        super().__init__(f"{path}: not a readable scratch model file: {problem}")
        self.path, self.problem = path, problem


class _Problem(Exception):
    """Raised while parsing; ``load`` turns it into a ModelFileError naming the file."""


# What a damaged zip/npy can raise from the zipfile, zlib, lzma, json and numpy readers.
_PARSER_ERRORS = (
    OSError, EOFError, ValueError, TypeError, KeyError, IndexError, OverflowError, RuntimeError,
    zipfile.BadZipFile, zlib.error, lzma.LZMAError, struct.error,
)


# ---- the registry: config of a live model, param shapes of a config, rebuilding -------------


def _field(config, key, check, expected):
    """config[key] after check(value) holds; ``expected`` describes the value for the error."""
    if not isinstance(config, dict) or key not in config or not check(config[key]):
        got = config.get(key, "nothing") if isinstance(config, dict) else config
        raise _Problem(f"config field {key!r} must be {expected}; got {got!r}")
    return config[key]


def _count(config, key):
    return _field(config, key, lambda v: type(v) is int and v >= 1, "a positive integer")


def _dtype(config):
    return np.dtype(_field(config, "dtype", lambda v: v in FLOAT_DTYPE_NAMES, "float32 or float64"))


def _regression_config(model):
    return {"n_features": int(model.n_features), "dtype": np.dtype(model.dtype).name}


def _regression_shapes(config):
    return {"W": (_count(config, "n_features"),), "b": ()}


def _softmax_config(model):
    return {**_regression_config(model), "n_classes": int(model.n_classes)}


def _softmax_shapes(config):
    return {"W": (_count(config, "n_features"), _count(config, "n_classes")), "b": (config["n_classes"],)}


def _layer_config(index, layer):
    if type(layer) is nn.Linear:
        return {"type": "Linear", "in_features": int(layer.in_features), "out_features": int(layer.out_features)}
    if type(layer) is nn.Softmax:
        return {"type": "Softmax", "dim": int(layer.dim)}
    if type(layer) in (nn.ReLU, nn.Sigmoid):
        return {"type": type(layer).__name__}
    raise TypeError(f"layer {index} ({layer!r}) cannot be saved: only Linear, ReLU, Sigmoid and Softmax can.")


def _sequential_config(net):
    return {"dtype": np.dtype(net.dtype).name, "layers": [_layer_config(i, layer) for i, layer in enumerate(net)]}


def _layers(config):
    layers = _field(config, "layers", lambda v: isinstance(v, list) and v, "a non-empty list of layers")
    names = ("Linear", "ReLU", "Sigmoid", "Softmax")
    for layer in layers:
        _field(layer, "type", lambda v: v in names, f"one of {names}")
    return layers


def _sequential_shapes(config):
    shapes = {}
    for i, layer in enumerate(_layers(config)):
        if layer["type"] == "Linear":
            shapes[f"{i}.weight"] = (_count(layer, "out_features"), _count(layer, "in_features"))
            shapes[f"{i}.bias"] = (layer["out_features"],)
    return shapes


def _build_layer(layer, dtype):
    if layer["type"] == "Linear":
        return nn.Linear(layer["in_features"], layer["out_features"], seed=0, dtype=dtype)
    if layer["type"] == "Softmax":
        return nn.Softmax(_field(layer, "dim", lambda v: type(v) is int, "an integer"))
    return getattr(nn, layer["type"])()


def _build_sequential(config):
    dtype = _dtype(config)
    return nn.Sequential(*(_build_layer(layer, dtype) for layer in _layers(config)))


CRITERIA = {"MSELoss": nn.MSELoss, "BCEWithLogitsLoss": nn.BCEWithLogitsLoss, "CrossEntropyLoss": nn.CrossEntropyLoss}
ARRAY_OPTIONS = ("weight", "pos_weight")  # criterion options that are arrays: stored as lists of floats


def _network_config(network):
    options = {
        key: (np.asarray(value, dtype=np.float64).tolist() if key in ARRAY_OPTIONS and value is not None else value)
        for key, value in network.criterion.options.items()
    }
    criterion = {"type": type(network.criterion).__name__, "options": options}
    return {"net": _sequential_config(network.net), "criterion": criterion}


def _network_shapes(config):
    return _sequential_shapes(_field(config, "net", lambda v: isinstance(v, dict), "an object"))


def _build_network(config):
    criterion = _field(config, "criterion", lambda v: isinstance(v, dict), "an object")
    loss_class = CRITERIA[_field(criterion, "type", lambda v: v in CRITERIA, f"one of {tuple(CRITERIA)}")]
    options = dict(_field(criterion, "options", lambda v: isinstance(v, dict), "an object"))
    for key in ARRAY_OPTIONS:
        if options.get(key) is not None:
            options[key] = check_array(options[key], key, ndim=1)
    return nn.Network(_build_sequential(config["net"]), loss_class(**options))


@dataclass(frozen=True)
class _Kind:
    """How one class is saved and rebuilt."""

    cls: type
    config: Callable  # model → JSON-able constructor config
    shapes: Callable  # config → {param name: shape}, validating the config without allocating
    build: Callable  # config → a fresh model whose params have those shapes


def _model_kind(cls, config, shapes, *counts):
    def build(cfg):
        return cls(*(cfg[key] for key in counts), dtype=_dtype(cfg))

    return _Kind(cls, config, shapes, build)


_KINDS = {
    kind.cls.__name__: kind
    for kind in (
        _model_kind(models.LinearRegression, _regression_config, _regression_shapes, "n_features"),
        _model_kind(models.LogisticRegression, _regression_config, _regression_shapes, "n_features"),
        _model_kind(models.SoftmaxRegression, _softmax_config, _softmax_shapes, "n_features", "n_classes"),
        _Kind(nn.Sequential, _sequential_config, _sequential_shapes, _build_sequential),
        _Kind(nn.Network, _network_config, _network_shapes, _build_network),
    )
}


# ---- saving ----------------------------------------------------------------------------------


def save(model, path):
    """Write ``model`` to ``path`` (kept exactly as given; ``.npz`` is the usual suffix), atomically.

    model: a LinearRegression, LogisticRegression, SoftmaxRegression, nn.Sequential or
    nn.Network. Params keep their dtype; ``load(path)`` predicts bit for bit the same.
    """
    kind = _KINDS.get(type(model).__name__)
    if kind is None or type(model) is not kind.cls:
        raise TypeError(f"model must be one of {', '.join(_KINDS)}; got {type(model).__name__}.")
    config = kind.config(model)
    params = {name: np.asarray(p) for name, p in model.params.items()}
    actual = {name: p.shape for name, p in params.items()}
    if actual != kind.shapes(config):
        raise ValueError(f"model.params shapes {actual} do not match its configuration {config}.")
    header = {
        "format": FORMAT_NAME, "version": FORMAT_VERSION, "class": type(model).__name__, "config": config,
        "params": {name: {"shape": list(p.shape), "dtype": p.dtype.name} for name, p in params.items()},
    }
    entries = {HEADER_KEY: np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)}
    entries.update((PARAM_PREFIX + name, p) for name, p in params.items())
    _write_atomically(os.fspath(path), lambda file: np.savez(file, **entries))


def _write_atomically(path, write):
    """write(file) into a temporary file beside ``path``, fsync it, then os.replace it onto path."""
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    file = open(temporary, "xb")  # exclusive: never clobbers; mode follows the umask
    try:
        with file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---- loading ---------------------------------------------------------------------------------


def load(path):
    """The model saved at ``path``, rebuilt from its class name, config and params.

    Raises ModelFileError (a ValueError) naming the file and the problem for anything that
    is not an intact file written by ``save``; FileNotFoundError/PermissionError as usual.
    """
    with open(path, "rb") as file:
        try:
            return _read_model(file, os.fstat(file.fileno()).st_size)
        except _Problem as exc:
            raise ModelFileError(os.fspath(path), str(exc)) from exc
        except _PARSER_ERRORS as exc:
            raise ModelFileError(os.fspath(path), f"damaged archive ({type(exc).__name__}: {exc})") from exc


def _read_model(file, file_size):
    if file.read(len(ZIP_SIGNATURE)) != ZIP_SIGNATURE:
        raise _Problem("it is not an .npz archive (no zip signature at its start)")
    file.seek(0)
    with np.load(file, allow_pickle=False) as archive:
        header = _read_header(archive, file_size)
        kind, config = _KINDS[header["class"]], header["config"]
        expected = kind.shapes(config)
        arrays = _read_params(archive, header["params"], expected, file_size)
        model = kind.build(config)
    built = {name: (p.shape, p.dtype) for name, p in model.params.items()}
    if built != {name: (a.shape, a.dtype) for name, a in arrays.items()}:
        raise _Problem(f"its params {sorted(arrays)} do not fit the rebuilt {header['class']} ({built})")
    for name, array in arrays.items():
        model.params[name][...] = array  # in place: the layers keep their live arrays
    return model


def _read_header(archive, file_size):
    if HEADER_KEY not in archive.files:
        raise _Problem(f"it has no {HEADER_KEY!r} entry, so scratch.persistence.save did not write it")
    raw = _read_array(archive, HEADER_KEY, file_size)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _Problem(f"its header must be 1-D uint8 bytes; got {raw.dtype} of shape {raw.shape}")
    header = json.loads(raw.tobytes().decode("utf-8"))
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise _Problem(f"its header does not declare format {FORMAT_NAME!r}")
    if header.get("version") != FORMAT_VERSION:
        raise _Problem(f"format version {header.get('version')!r}; this scratch reads version {FORMAT_VERSION}")
    if header.get("class") not in _KINDS:
        raise _Problem(f"unknown model class {header.get('class')!r}; known: {', '.join(_KINDS)}")
    _field(header, "config", lambda v: isinstance(v, dict), "an object")
    _field(header, "params", lambda v: isinstance(v, dict), "an object")
    return header


def _read_params(archive, declared, expected, file_size):
    """{name: array}, checked name by name against the header and the shapes the config implies."""
    stored = {key[len(PARAM_PREFIX):] for key in archive.files if key.startswith(PARAM_PREFIX)}
    extra = set(archive.files) - {HEADER_KEY} - {PARAM_PREFIX + name for name in stored}
    if extra or not (stored == set(declared) == set(expected)):
        raise _Problem(
            f"params stored {sorted(stored)}, declared {sorted(declared)}, expected {sorted(expected)}"
            + (f"; unexpected entries {sorted(extra)}" if extra else "")
        )
    arrays = {}
    for name, shape in expected.items():
        entry = declared[name]
        if not isinstance(entry, dict) or entry.get("shape") != list(shape):
            raise _Problem(f"param {name!r} is declared as {entry}, but its config implies shape {shape}")
        dtype = _dtype(entry)
        array = _read_array(archive, PARAM_PREFIX + name, file_size)
        if array.shape != shape or array.dtype != dtype:
            raise _Problem(f"param {name!r} holds {array.dtype} {array.shape}, declared {dtype} {shape}")
        arrays[name] = array
    return arrays


def _read_array(archive, key, file_size):
    """archive[key], after its .npy header shows plain numbers that fit in the file (no huge allocation)."""
    with archive.zip.open(key + ".npy") as member:
        version = np.lib.format.read_magic(member)
        if version not in ((1, 0), (2, 0)):
            raise _Problem(f"entry {key!r} has unsupported .npy version {version}")
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(member)
    if dtype.hasobject or dtype.kind not in "biuf":
        raise _Problem(f"entry {key!r} holds {dtype} data (pickled objects are refused)")
    if int(np.prod(shape, dtype=object)) * dtype.itemsize > file_size:
        raise _Problem(f"entry {key!r} claims shape {shape}, more data than the {file_size}-byte file holds")
    return archive[key]
