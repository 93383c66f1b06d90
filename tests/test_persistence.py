"""Model files: bit-identical round trips of every module class, torch's state-dict keys, and a loader that fails one way."""

import json
import os
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scratch import nn, persistence
from scratch.models import LinearRegression, LogisticRegression, SoftmaxRegression
from scratch.nn.module import Module
from scratch.persistence import HEADER_KEY, STATE_PREFIX, ModelFileError, load, save
from scratch.preprocessing import ScalePixels, Standardize

from conftest import assert_raises_naming, case

file_settings = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
FLOAT_X = np.random.default_rng(0).normal(size=(16, 4))
PIXEL_X = np.random.default_rng(1).integers(0, 256, size=(16, 4), dtype=np.uint8)
STANDARDIZE = Standardize([0.5, -1.0, 2.0, 0.0], [1.5, 0.25, 3.0, 1.0])


def shared_layer_net(dtype):
    """A Sequential that applies one Linear twice: torch lists it under both keys."""
    square = nn.Linear(4, 4, seed=8, dtype=dtype)
    return nn.Sequential(square, nn.ReLU(), square, nn.Linear(4, 2, seed=9, dtype=dtype))


EXAMPLES = {
    "linear": lambda dtype: LinearRegression(4, init="torch", seed=1, dtype=dtype, transform=STANDARDIZE),
    "logistic": lambda dtype: LogisticRegression(4, init="torch", seed=2, dtype=dtype, transform=ScalePixels()),
    "softmax": lambda dtype: SoftmaxRegression(4, 3, init="torch", seed=3, dtype=dtype),
    "sequential": lambda dtype: nn.Sequential(
        nn.Linear(4, 5, seed=4, dtype=dtype), nn.ReLU(), nn.Sequential(nn.Linear(5, 3, seed=5, dtype=dtype), nn.Sigmoid()),
        nn.Linear(3, 3, seed=6, dtype=dtype), nn.Softmax(dim=-1),
    ),
    "shared-layer": shared_layer_net,
    "no-bias-tanh": lambda dtype: nn.Sequential(
        nn.Linear(4, 3, bias=False, seed=12, dtype=dtype), nn.Tanh(), nn.Linear(3, 2, seed=13, dtype=dtype)
    ),
    "cross-entropy": lambda dtype: nn.Network(
        nn.Sequential(nn.Linear(4, 3, seed=7, dtype=dtype), nn.Softmax()),
        nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 0.5]), ignore_index=255, label_smoothing=0.1),
        transform=ScalePixels(),
    ),
    "bce": lambda dtype: nn.Network(
        nn.Sequential(nn.Linear(4, 1, seed=10, dtype=dtype), nn.Sigmoid()), nn.BCEWithLogitsLoss(pos_weight=np.array([3.0]))
    ),
    "mse": lambda dtype: nn.Network(
        nn.Sequential(nn.Linear(4, 1, seed=11, dtype=dtype)), nn.MSELoss(reduction="sum"), transform=STANDARDIZE
    ),
}


def samples(model):
    """Input the model accepts: uint8 pixels for a pixel model, floats otherwise."""
    return PIXEL_X if isinstance(getattr(model, "transform", None), ScalePixels) else FLOAT_X


def outputs(model):
    """Everything the model computes from its samples, as arrays to compare bit for bit."""
    X = samples(model)
    if not hasattr(model, "criterion"):
        return [model.forward(X)]
    probabilities = [model.predict_proba(X)] if model.criterion.kind != "regression" else []
    return [model.forward(X), model.predict(X), *probabilities]


def assert_same_model(loaded, model):
    assert type(loaded) is type(model) and repr(loaded) == repr(model)
    assert loaded.describe() == model.describe()
    theirs = model.state_dict()
    for key, array in loaded.state_dict().items():
        np.testing.assert_array_equal(array, theirs[key], strict=True)
    for ours, expected in zip(outputs(loaded), outputs(model), strict=True):
        np.testing.assert_array_equal(ours, expected, strict=True)


def descriptions(description):
    """Every {"type", "config"} within a model description."""
    if isinstance(description, list):
        return [d for item in description for d in descriptions(item)]
    if not isinstance(description, dict):
        return []
    inner = [d for value in description.values() for d in descriptions(value)]
    return ([description] if "type" in description and "config" in description else []) + inner


@pytest.fixture
def saved_softmax(tmp_path):
    path = tmp_path / "model.npz"
    save(EXAMPLES["softmax"](np.float64), path)
    return path


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", EXAMPLES)
def test_round_trip_predicts_bit_for_bit_and_keeps_class_transform_and_dtypes(tmp_path, kind, dtype):
    model = EXAMPLES[kind](dtype)
    save(model, tmp_path / "model.npz")
    loaded = load(tmp_path / "model.npz")
    assert_same_model(loaded, model)
    assert loaded.dtype == np.dtype(dtype)
    assert getattr(loaded, "transform", None) == getattr(model, "transform", None)


def test_the_examples_cover_every_module_class_scratch_registers():
    covered = {d["type"] for make in EXAMPLES.values() for d in descriptions(make(np.float64).describe())}
    registered = {name for name, cls in Module.registry.items() if cls.__module__.startswith("scratch.")}
    assert registered <= covered, f"add an example for {sorted(registered - covered)}"


# ---- random models of every class -----------------------------------------------------------


@st.composite
def sequentials(draw, n_in, dtype, nested=True):
    """A Sequential from n_in features: a Linear, then any layers (maybe a nested Sequential)."""
    seeds = st.integers(0, 99)
    layers = [nn.Linear(n_in, draw(st.integers(1, 4)), seed=draw(seeds), dtype=dtype)]
    for kind in draw(st.lists(st.sampled_from(["Linear", "ReLU", "Sigmoid", "Softmax"] + ["Sequential"] * nested), max_size=3)):
        width = nn.Sequential(*layers).out_features
        layers.append(
            nn.Linear(width, draw(st.integers(1, 4)), seed=draw(seeds), dtype=dtype) if kind == "Linear"
            else draw(sequentials(width, dtype, nested=False)) if kind == "Sequential"
            else nn.Softmax(dim=draw(st.sampled_from([-1, 1]))) if kind == "Softmax"
            else getattr(nn, kind)()
        )
    return nn.Sequential(*layers)


@st.composite
def networks(draw, dtype, transform):
    """A Network of a random Sequential, a final Linear that suits a random criterion, maybe its head."""
    net = draw(sequentials(4, dtype))
    kind = draw(st.sampled_from(["CrossEntropyLoss", "BCEWithLogitsLoss", "MSELoss"]))
    k = draw(st.integers(2, 4)) if kind == "CrossEntropyLoss" else 1
    criterion = {
        "CrossEntropyLoss": lambda: nn.CrossEntropyLoss(
            weight=draw(st.none() | st.just(np.linspace(0.5, 2.0, k))), label_smoothing=draw(st.sampled_from([0.0, 0.2]))),
        "BCEWithLogitsLoss": lambda: nn.BCEWithLogitsLoss(pos_weight=draw(st.none() | st.just(np.array([2.5])))),
        "MSELoss": nn.MSELoss,
    }[kind]()
    tail = [nn.Linear(net.out_features, k, seed=draw(st.integers(0, 99)), dtype=dtype)]
    tail += [criterion.head()] if criterion.head is not None and draw(st.booleans()) else []
    return nn.Network(nn.Sequential(*net, *tail), criterion, transform=transform)


@st.composite
def models(draw):
    """A small model of any class scratch saves, float32 or float64, with any transform."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    transform = draw(st.sampled_from([None, ScalePixels(), STANDARDIZE]))
    kind = draw(st.sampled_from([LinearRegression, LogisticRegression, SoftmaxRegression, nn.Network, nn.Sequential]))
    if kind is nn.Sequential:
        return draw(sequentials(4, dtype))
    if kind is nn.Network:
        return draw(networks(dtype, transform))
    classes = [draw(st.integers(2, 5))] if kind is SoftmaxRegression else []
    return kind(4, *classes, init="torch", seed=draw(st.integers(0, 99)), dtype=dtype, transform=transform)


@file_settings
@given(model=models())
def test_everything_save_writes_load_accepts_and_predicts_the_same(tmp_path, model):
    save(model, tmp_path / "model.npz")
    assert_same_model(load(tmp_path / "model.npz"), model)


def test_a_shared_layer_is_stored_under_both_keys_and_loads_with_equal_weights(tmp_path):
    save(shared_layer_net(np.float64), tmp_path / "net.npz")
    net = load(tmp_path / "net.npz")
    assert {"0.weight", "2.weight"} <= set(net.state_dict())
    np.testing.assert_array_equal(net[0].weight, net[2].weight)


def test_loaded_params_are_the_live_arrays_of_the_rebuilt_layers(tmp_path):
    save(EXAMPLES["sequential"](np.float64), tmp_path / "net.npz")
    net = load(tmp_path / "net.npz")
    assert net.params["0.weight"] is net[0].weight and net.params["2.0.weight"] is net[2][0].weight


def read_file(path):
    """(header dict, {entry: array}) of a model file."""
    with np.load(path, allow_pickle=False) as archive:
        return json.loads(archive[HEADER_KEY].tobytes()), {k: archive[k] for k in archive.files if k != HEADER_KEY}


def test_file_is_a_plain_npz_of_the_description_and_the_torch_layout_state_dict(saved_softmax):
    header, arrays = read_file(saved_softmax)
    assert header["model"] == {
        "type": "SoftmaxRegression", "config": {"n_features": 4, "n_classes": 3, "dtype": "float64", "transform": None}
    }
    assert header["state_dict"] == {"weight": {"shape": [3, 4], "dtype": "float64"}, "bias": {"shape": [3], "dtype": "float64"}}
    model = load(saved_softmax)
    np.testing.assert_array_equal(arrays[STATE_PREFIX + "weight"], model.params["W"].T)


@pytest.mark.parametrize("kind", ["softmax", "linear", "sequential", "cross-entropy"])
def test_state_dict_in_the_file_is_torchs_for_the_equivalent_torch_module(tmp_path, kind):
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    equivalent = {
        "softmax": lambda: tnn.Linear(4, 3),
        "linear": lambda: tnn.Linear(4, 1),
        "sequential": lambda: tnn.Sequential(tnn.Linear(4, 5), tnn.ReLU(), tnn.Sequential(tnn.Linear(5, 3), tnn.Sigmoid()),
                                             tnn.Linear(3, 3), tnn.Softmax(dim=-1)),
        "cross-entropy": lambda: tnn.Sequential(tnn.Linear(4, 3), tnn.Softmax(dim=-1)),
    }[kind]().double()
    theirs = {key: value.detach().numpy().astype(np.float64) for key, value in equivalent.state_dict().items()}
    model = EXAMPLES[kind](np.float64).load_state_dict(theirs)  # torch's weights in scratch
    save(model, tmp_path / "model.npz")
    header, _ = read_file(tmp_path / "model.npz")
    assert {key: tuple(entry["shape"]) for key, entry in header["state_dict"].items()} == {
        key: value.shape for key, value in theirs.items()
    }
    loaded = load(tmp_path / "model.npz")
    x = samples(loaded)
    expected = equivalent(torch.from_numpy(getattr(loaded, "prepare", np.asarray)(x))).detach().numpy()
    got = loaded.predict_proba(x) if kind == "cross-entropy" else loaded.forward(x)
    np.testing.assert_allclose(got, expected.reshape(got.shape), rtol=1e-6, atol=1e-6)


# ---- saving: what is refused, and atomic replacement ------------------------------------------


def test_save_refuses_what_is_not_a_module_or_would_not_load(tmp_path):
    with pytest.raises(TypeError, match="model must be a scratch model"):
        save(object(), tmp_path / "x.npz")

    class _Unregistered(nn.ReLU):  # a leading underscore keeps a class out of the registry
        pass

    with pytest.raises(ValueError, match="unknown module type '_Unregistered'"):
        save(nn.Sequential(nn.Linear(2, 2), _Unregistered()), tmp_path / "x.npz")
    diverged = SoftmaxRegression(2, 2)
    diverged.params["W"][0, 0] = np.nan
    with pytest.raises(ValueError, match="cannot be saved .*NaN"):
        save(diverged, tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


def test_numpy_integers_in_a_config_are_stored_as_json_numbers(tmp_path):
    save(nn.Sequential(nn.Linear(np.int64(3), np.int32(2), seed=0)), tmp_path / "net.npz")
    assert load(tmp_path / "net.npz")[0].config() == {"in_features": 3, "out_features": 2, "bias": True, "dtype": "float64"}


def test_save_refuses_a_directory_or_fifo_at_the_target_and_names_the_users_path(tmp_path):
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(IsADirectoryError) as error:
        save(LinearRegression(2), tmp_path / "folder")
    assert error.value.filename == str(tmp_path / "folder")
    with pytest.raises(FileExistsError, match="not a regular file") as error:
        save(LinearRegression(2), tmp_path / "fifo")
    assert error.value.filename == str(tmp_path / "fifo")
    assert sorted(os.listdir(tmp_path)) == ["fifo", "folder"] and os.listdir(tmp_path / "folder") == []


def test_save_into_a_missing_folder_names_the_users_path_not_the_temporary_file(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        save(LinearRegression(2), tmp_path / "missing" / "model.npz")
    assert error.value.filename == str(tmp_path / "missing" / "model.npz") and ".tmp" not in str(error.value)


def test_save_through_a_symlink_replaces_the_file_it_names(saved_softmax):
    link = saved_softmax.parent / "link.npz"
    link.symlink_to(saved_softmax.name)
    save(LinearRegression(4), link)
    assert link.is_symlink() and isinstance(load(saved_softmax), LinearRegression)


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


def test_missing_file_is_a_plain_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.npz")


def test_loading_a_directory_or_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    for path in (tmp_path, tmp_path / "fifo"):
        with pytest.raises(ModelFileError, match="not a regular file"):
            load(path)


# ---- foreign, old, tampered, hostile and corrupt files ------------------------------------------


def write_npz(path, header=None, **arrays):
    """An npz with ``arrays`` and, if given, ``header`` as the scratch header (dict → JSON bytes)."""
    if header is not None:
        arrays[HEADER_KEY] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    np.savez(path, **arrays)
    return path


def test_a_version_1_file_is_refused_as_coming_from_an_older_scratch(tmp_path):
    header = {"format": "scratch.model", "version": 1, "class": "LinearRegression",
              "config": {"n_features": 2, "dtype": "float64"},
              "params": {"W": {"shape": [2], "dtype": "float64"}, "b": {"shape": [], "dtype": "float64"}}}
    path = write_npz(tmp_path / "old.npz", header, **{"param/W": np.zeros(2), "param/b": np.zeros(())})
    with pytest.raises(ModelFileError, match="older scratch .*version 1.*Retrain the model .* save it again") as error:
        load(path)
    assert error.value.path == str(path)


class Canary:
    """Unpickling it calls record_unpickling: proof that the loader ran pickle."""

    unpickled = []

    def __reduce__(self):
        return Canary.unpickled.append, (True,)


def test_object_arrays_are_refused_without_being_unpickled(saved_softmax, tmp_path):
    header, arrays = read_file(saved_softmax)
    arrays[STATE_PREFIX + "weight"] = np.array([[Canary()] * 4] * 3, dtype=object)
    with pytest.raises(ModelFileError, match="pickled objects are refused"):
        load(write_npz(tmp_path / "pickled.npz", header, **arrays))
    assert Canary.unpickled == []


def tampered(header, change):
    header = json.loads(json.dumps(header))
    change(header)
    return header


def config(header):
    return header["model"]["config"]


TAMPERINGS = {
    "newer version": (lambda h: h.update(version=3), "format version 3; this scratch reads version 2: upgrade"),
    "foreign format": (lambda h: h.update(format="keras"), "does not declare format"),
    "unknown class": (lambda h: h["model"].update(type="os.system"), "unknown module type 'os.system'"),
    "huge n_features": (lambda h: config(h).update(n_features=10**12), "implies about 3000000000000 parameters"),
    "float n_features": (lambda h: config(h).update(n_features=4.0), "n_features must be an integer"),
    "other layout": (lambda h: config(h).update(n_classes=2), r"do not fit the SoftmaxRegression .*\(2, 4\)"),
    "bad transform": (lambda h: config(h).update(transform={"type": "eval"}), "transform must be None or one of"),
    "float16 arrays": (lambda h: h["state_dict"]["weight"].update(dtype="float16"), "must be float32 or float64"),
    "declared shape": (lambda h: h["state_dict"]["weight"].update(shape=[4, 3]), r"declares float64 of shape \(4, 3\)"),
    "missing array": (lambda h: h["state_dict"].pop("bias"), r"declares \['weight'\]"),
}


@pytest.mark.parametrize("name", TAMPERINGS)
def test_tampered_headers_are_refused_naming_file_and_problem(saved_softmax, tmp_path, name):
    change, message = TAMPERINGS[name]
    header, arrays = read_file(saved_softmax)
    path = write_npz(tmp_path / "tampered.npz", tampered(header, change), **arrays)
    with pytest.raises(ModelFileError, match=message) as error:
        load(path)
    assert str(path) in str(error.value) and error.value.path == str(path)


def test_a_hostile_description_is_refused_before_anything_is_built(saved_softmax, tmp_path, monkeypatch):
    """Linear(3000, 3000) stored as a (1, 3000) array: every size is one the file declares, yet it
    would allocate 3000 times what the file holds. The guard refuses it before any constructor runs."""
    monkeypatch.setattr(Module, "from_description", lambda d: pytest.fail("built a hostile description"))
    header = {"format": "scratch.model", "version": 2,
              "model": {"type": "Sequential", "config": {"layers": [
                  {"type": "Linear", "config": {"in_features": 3000, "out_features": 3000, "dtype": "float64"}}]}},
              "state_dict": {"0.weight": {"shape": [1, 3000], "dtype": "float64"},
                             "0.bias": {"shape": [3000], "dtype": "float64"}}}
    path = write_npz(tmp_path / "hostile.npz", header,
                     **{STATE_PREFIX + "0.weight": np.zeros((1, 3000)), STATE_PREFIX + "0.bias": np.zeros(3000)})
    with pytest.raises(ModelFileError, match="implies about 9000000 parameters, but the file stores 6000"):
        load(path)


def test_arrays_that_disagree_with_the_header_or_are_extra_are_refused(saved_softmax, tmp_path):
    header, arrays = read_file(saved_softmax)
    arrays[STATE_PREFIX + "weight"] = arrays[STATE_PREFIX + "weight"].astype(np.float32)
    with pytest.raises(ModelFileError, match="holds float32"):
        load(write_npz(tmp_path / "a.npz", header, **arrays))
    header, arrays = read_file(saved_softmax)
    with pytest.raises(ModelFileError, match=r"unexpected entries \['extra'\]"):
        load(write_npz(tmp_path / "b.npz", header, extra=np.zeros(2), **arrays))
    arrays[STATE_PREFIX + "bias"] = np.array([0.0, np.nan, 0.0])
    with pytest.raises(ModelFileError, match="NaN"):
        load(write_npz(tmp_path / "c.npz", header, **arrays))


def test_an_entry_claiming_more_data_than_the_file_holds_is_refused_before_reading(saved_softmax, tmp_path):
    header, arrays = read_file(saved_softmax)
    header["state_dict"]["weight"]["shape"] = [3, 10**6]
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # 24 MB that deflate to kB
        for name, array in {**arrays, STATE_PREFIX + "weight": np.zeros((3, 10**6))}.items():
            with archive.open(name + ".npy", "w") as member:
                np.lib.format.write_array(member, array)
        with archive.open(HEADER_KEY + ".npy", "w") as member:
            np.lib.format.write_array(member, np.frombuffer(json.dumps(header).encode(), np.uint8))
    with pytest.raises(ModelFileError, match="claim .* bytes of data, more than the"):
        load(path)


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
    data = bytearray(saved_softmax.read_bytes())
    for position, value in mutations:
        data[int(position * len(data))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    try:
        model = load_bytes(tmp_path, bytes(data))
    except ModelFileError:
        return
    assert_same_model(model, load(saved_softmax))


def test_truncation_at_every_tenth_byte_is_refused(saved_softmax, tmp_path):
    data = saved_softmax.read_bytes()
    for end in range(0, len(data), 10):
        with pytest.raises(ModelFileError):
            load_bytes(tmp_path, data[:end])


# ---- bad input: save (each call raises the error type and names the argument; conftest.case)
BAD_INPUT_TABLE = [
    case("save-model-string", persistence.save, TypeError, "model", model="softmax", path="unused.npz"),
]


@pytest.mark.parametrize("call, kwargs, error, argument", BAD_INPUT_TABLE)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    assert_raises_naming(call, kwargs, error, argument)
