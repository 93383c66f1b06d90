"""Model files: bit-identical round trips, atomic saves, and a loader that fails only one way."""

import json
import os
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scratch import nn
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.persistence import HEADER_KEY, PARAM_PREFIX, ModelFileError, load, save

X = np.random.default_rng(0).normal(size=(16, 4))
file_settings = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

MODEL_FACTORIES = {
    "linear": lambda dtype: LinearRegression(4, init="torch", seed=1, dtype=dtype),
    "logistic": lambda dtype: LogisticRegression(4, init="torch", seed=2, dtype=dtype),
    "softmax": lambda dtype: SoftmaxRegression(4, 3, init="torch", seed=3, dtype=dtype),
    "sequential": lambda dtype: nn.Sequential(
        nn.Linear(4, 5, seed=4, dtype=dtype), nn.ReLU(), nn.Linear(5, 3, seed=5, dtype=dtype),
        nn.Sigmoid(), nn.Linear(3, 3, seed=6, dtype=dtype), nn.Softmax(dim=-1),
    ),
    "network": lambda dtype: nn.Network(
        nn.Sequential(nn.Linear(4, 3, seed=7, dtype=dtype), nn.Softmax()),
        nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 0.5]), label_smoothing=0.1),
    ),
}


def outputs(model):
    """Everything the model computes from X, as arrays to compare bit for bit."""
    if isinstance(model, nn.Sequential):
        return [model.forward(X)]
    return [model.forward(X), model.predict(X)] + ([model.predict_proba(X)] if hasattr(model, "predict_proba") else [])


@pytest.fixture
def saved_softmax(tmp_path):
    path = tmp_path / "model.npz"
    save(MODEL_FACTORIES["softmax"](np.float64), path)
    return path


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", MODEL_FACTORIES)
def test_round_trip_predicts_bit_for_bit_and_keeps_class_and_dtypes(tmp_path, kind, dtype):
    model = MODEL_FACTORIES[kind](dtype)
    save(model, tmp_path / "model.npz")
    loaded = load(tmp_path / "model.npz")
    assert type(loaded) is type(model)
    assert loaded.params.keys() == model.params.keys()
    for name, param in model.params.items():
        assert loaded.params[name].dtype == param.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(loaded.params[name], param, strict=True)
    for ours, theirs in zip(outputs(loaded), outputs(model)):
        np.testing.assert_array_equal(ours, theirs, strict=True)


def test_round_trip_keeps_model_config_and_network_criterion(tmp_path):
    save(MODEL_FACTORIES["softmax"](np.float32), tmp_path / "softmax.npz")
    softmax = load(tmp_path / "softmax.npz")
    assert (softmax.n_features, softmax.n_classes, softmax.dtype) == (4, 3, np.float32)
    network = MODEL_FACTORIES["network"](np.float64)
    save(network, tmp_path / "network.npz")
    loaded = load(tmp_path / "network.npz")
    assert repr(loaded) == repr(network)
    y = np.array([0, 1, 2] * 5 + [0])
    assert loaded.loss(X, y) == network.loss(X, y)  # weight and label_smoothing survived


def test_loaded_params_are_live_arrays_of_the_rebuilt_layers(tmp_path):
    save(MODEL_FACTORIES["sequential"](np.float64), tmp_path / "net.npz")
    net = load(tmp_path / "net.npz")
    assert net.params["0.weight"] is net[0].weight


def test_file_is_a_plain_npz_readable_without_pickle(saved_softmax):
    with np.load(saved_softmax, allow_pickle=False) as archive:
        header = json.loads(archive[HEADER_KEY].tobytes())
        assert set(archive.files) == {HEADER_KEY, PARAM_PREFIX + "W", PARAM_PREFIX + "b"}
    assert header["class"] == "SoftmaxRegression"
    assert header["config"] == {"n_features": 4, "dtype": "float64", "n_classes": 3}
    assert header["params"]["W"] == {"shape": [4, 3], "dtype": "float64"}


def test_save_refuses_what_it_cannot_rebuild(tmp_path):
    with pytest.raises(TypeError, match="model must be one of"):
        save(object(), tmp_path / "x.npz")

    class Custom(nn.ReLU):
        pass

    with pytest.raises(TypeError, match="layer 1 .* cannot be saved"):
        save(nn.Sequential(nn.Linear(2, 2), Custom()), tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("failing", ["replace", "fsync", "interrupt"])
def test_interrupted_save_keeps_the_previous_file_and_leaves_no_temporary(saved_softmax, monkeypatch, failing):
    before = saved_softmax.read_bytes()

    def crash(*args):
        raise KeyboardInterrupt if failing == "interrupt" else OSError("disk full")

    monkeypatch.setattr(os, "fsync" if failing == "fsync" else "replace", crash)
    with pytest.raises(KeyboardInterrupt if failing == "interrupt" else OSError):
        save(LinearRegression(4), saved_softmax)
    monkeypatch.undo()
    assert saved_softmax.read_bytes() == before
    assert os.listdir(saved_softmax.parent) == [saved_softmax.name]
    assert isinstance(load(saved_softmax), SoftmaxRegression)


def test_save_replaces_an_existing_file(saved_softmax):
    save(LinearRegression(4), saved_softmax)
    assert isinstance(load(saved_softmax), LinearRegression)
    assert os.listdir(saved_softmax.parent) == [saved_softmax.name]


def test_missing_file_is_a_plain_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.npz")


# ---- foreign, tampered and corrupt files --------------------------------------------------


def write_npz(path, header=None, **arrays):
    """An npz with ``arrays`` and, if given, ``header`` as the scratch header (dict → JSON bytes)."""
    if header is not None:
        arrays[HEADER_KEY] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    np.savez(path, **arrays)
    return path


def softmax_header(saved_softmax):
    with np.load(saved_softmax) as archive:
        return json.loads(archive[HEADER_KEY].tobytes()), {k: archive[k] for k in archive.files if k != HEADER_KEY}


UNPICKLED = []


def record_unpickling():
    UNPICKLED.append(True)
    return 0.0


class Canary:
    """Unpickling it calls record_unpickling: proof that the loader ran pickle."""

    def __reduce__(self):
        return record_unpickling, ()


def test_object_arrays_are_refused_without_being_unpickled(saved_softmax, tmp_path):
    header, params = softmax_header(saved_softmax)
    params[PARAM_PREFIX + "W"] = np.array([[Canary()] * 3] * 4, dtype=object)
    path = write_npz(tmp_path / "pickled.npz", header, **params)
    with pytest.raises(ModelFileError, match="pickled objects are refused"):
        load(path)
    assert UNPICKLED == []


def tampered(header, change):
    header = json.loads(json.dumps(header))
    change(header)
    return header


TAMPERINGS = {
    "newer version": (lambda h: h.update(version=2), "format version 2; this scratch reads version 1"),
    "unknown class": (lambda h: h.update({"class": "os.system"}), "unknown model class 'os.system'"),
    "huge config": (lambda h: h["config"].update(n_features=10**12), "config implies shape"),
    "float config": (lambda h: h["config"].update(n_features=4.0), "'n_features' must be a positive integer"),
    "float16 params": (lambda h: h["params"]["W"].update(dtype="float16"), "must be float32 or float64"),
    "missing param": (lambda h: h["params"].pop("b"), "declared \\['W'\\]"),
    "foreign format": (lambda h: h.update(format="keras"), "does not declare format"),
}


@pytest.mark.parametrize("name", TAMPERINGS)
def test_tampered_headers_are_refused_naming_file_and_problem(saved_softmax, tmp_path, name):
    change, message = TAMPERINGS[name]
    header, params = softmax_header(saved_softmax)
    path = write_npz(tmp_path / "tampered.npz", tampered(header, change), **params)
    with pytest.raises(ModelFileError, match=message) as error:
        load(path)
    assert str(path) in str(error.value) and error.value.path == str(path)


def test_params_that_disagree_with_their_declaration_are_refused(saved_softmax, tmp_path):
    header, params = softmax_header(saved_softmax)
    params[PARAM_PREFIX + "W"] = params[PARAM_PREFIX + "W"].astype(np.float32)
    with pytest.raises(ModelFileError, match="holds float32"):
        load(write_npz(tmp_path / "a.npz", header, **params))
    header, params = softmax_header(saved_softmax)
    with pytest.raises(ModelFileError, match="unexpected entries \\['extra'\\]"):
        load(write_npz(tmp_path / "b.npz", header, extra=np.zeros(2), **params))


def test_foreign_files_are_refused(tmp_path):
    with pytest.raises(ModelFileError, match="no 'scratch_header' entry"):
        load(write_npz(tmp_path / "foreign.npz", weights=np.zeros(3)))
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(ModelFileError, match="not an .npz archive"):
        load(tmp_path / "single.npy")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ModelFileError, match="no 'scratch_header' entry"):
        load(tmp_path / "other.zip")


def load_bytes(tmp_path, data):
    path = tmp_path / "fuzzed.npz"
    path.write_bytes(data)
    return load(path)


@file_settings
@given(data=st.binary(max_size=2000), zip_like=st.booleans())
def test_random_bytes_raise_only_the_documented_error(tmp_path, data, zip_like):
    with pytest.raises(ModelFileError):
        load_bytes(tmp_path, (b"PK\x03\x04" if zip_like else b"") + data)


@file_settings
@given(
    mutations=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.one_of(st.none(), st.floats(0, 1, exclude_max=True)),
)
def test_mutated_or_truncated_files_fail_cleanly_or_load_the_same_model(saved_softmax, tmp_path, mutations, cut):
    """Zip CRCs cover every entry, so a damaged file either is refused or still holds the same model."""
    original = load(saved_softmax)
    data = bytearray(saved_softmax.read_bytes())
    for position, value in mutations:
        data[int(position * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    try:
        model = load_bytes(tmp_path, bytes(data))
    except ModelFileError:
        return
    for ours, theirs in zip(outputs(model), outputs(original)):
        np.testing.assert_array_equal(ours, theirs, strict=True)


def test_truncation_at_every_tenth_byte_is_refused(saved_softmax, tmp_path):
    data = saved_softmax.read_bytes()
    for end in range(0, len(data), 10):
        with pytest.raises(ModelFileError):
            load_bytes(tmp_path, data[:end])
