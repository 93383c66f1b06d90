"""The IDX file format of MNIST and Fashion-MNIST: read and write, raw or gzip-compressed.

Layout (all integers big-endian)::

    bytes 0-1      0x00 0x00
    byte  2        dtype code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                   0x0D float32, 0x0E float64
    byte  3        ndim
    4·ndim bytes   the dimensions, one uint32 each
    payload        prod(dims) items of that dtype, row-major (C order)

A file that starts with the gzip magic bytes 1f 8b is decompressed first. Every malformed
input raises :class:`IDXFormatError` (a ``ValueError``) naming the file.
"""

import gzip
import hashlib
import io
import math
import os
import struct
import zlib

import numpy as np

from scratch._files import FileContentError

GZIP_MAGIC = b"\x1f\x8b"
DTYPE_CODES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
MAX_NDIM = 32  # the fewest dimensions any supported numpy version allows
DEFLATE_MAX_RATIO = 1032  # deflate inflates one compressed byte to at most ~1032 bytes (258-byte matches)
_CHUNK = 1 << 20  # decompress 1 MiB at a time into the payload: no second copy of it


class IDXFormatError(FileContentError):
    """The bytes are not a well-formed IDX file (wrong magic, truncated, trailing bytes...)."""


def read_idx(source, *, shape=None):
    """Read an IDX file (raw or gzip) from a path or a binary file object.

    Returns an ndarray of the stored shape and dtype in native byte order
    (uint8, int8, int16, int32, float32 or float64), writable.
    shape: the shape the file must declare (a data set's known one), checked from its header
    before any of the payload is decoded; None accepts any.
    Raises IDXFormatError for malformed bytes or another shape, FileNotFoundError for a missing path.
    """
    name, data = _read_bytes(source)
    gzipped = data[:2] == GZIP_MAGIC
    stream = gzip.GzipFile(fileobj=io.BytesIO(data)) if gzipped else io.BytesIO(data)
    capacity = len(data) * (DEFLATE_MAX_RATIO if gzipped else 1)  # the most bytes the file can decode to
    try:
        return _parse(stream, name, capacity, None if shape is None else tuple(shape))
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise IDXFormatError(f"{name}: corrupt gzip stream ({exc}).") from None


def write_idx(target, array, *, compress=None):
    """Write ``array`` as an IDX file to a path or a binary file object.

    array: any shape with ndim ≤ 32 and each dimension < 2³²; its dtype must be one of
    uint8, int8, int16, int32, float32, float64 (no silent casting).
    compress: gzip the bytes; by default True for paths ending in ".gz", else False.
    """
    array = np.asarray(array)
    header = idx_header(array.shape, array.dtype)
    payload = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder(">")).tobytes()
    is_path = isinstance(target, (str, os.PathLike))
    if compress is None:
        compress = is_path and os.fspath(target).endswith(".gz")
    data = header + payload
    if compress:
        data = gzip.compress(data, mtime=0)
    if is_path:
        with open(target, "wb") as f:
            f.write(data)
    else:
        target.write(data)


def idx_header(shape, dtype):
    """The IDX header bytes (magic + dimensions) for an array of ``shape`` and ``dtype``."""
    code = _dtype_code(np.dtype(dtype))
    if len(shape) > MAX_NDIM:
        raise ValueError(f"an IDX array may have at most {MAX_NDIM} dimensions; got shape {shape}.")
    if any(d >= 2**32 for d in shape):
        raise ValueError(f"every IDX dimension must be below 2**32; got shape {shape}.")
    return struct.pack(f">2xBB{len(shape)}I", code, len(shape), *shape)


def idx_sha256(array):
    """SHA-256 hex digest of the IDX bytes (header + big-endian payload) encoding ``array``.

    For an array from read_idx this equals ``sha256sum`` of the decompressed file, since
    decoding is lossless and trailing bytes are refused.
    """
    digest = hashlib.sha256(idx_header(array.shape, array.dtype))
    digest.update(np.ascontiguousarray(array, dtype=array.dtype.newbyteorder(">")))
    return digest.hexdigest()


def _dtype_code(dtype):
    for code, stored in DTYPE_CODES.items():
        if dtype.kind == stored.kind and dtype.itemsize == stored.itemsize:
            return code
    names = ", ".join(str(dt.newbyteorder("=")) for dt in DTYPE_CODES.values())
    raise TypeError(f"IDX stores only {names}; got dtype {dtype}. Convert it first, e.g. array.astype(np.uint8).")


def _read_bytes(source):
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            return os.fspath(source), f.read()
    if not hasattr(source, "read"):
        raise TypeError(f"source must be a path or a binary file object; got {type(source).__name__}.")
    data = source.read()
    if not isinstance(data, bytes):
        raise TypeError(f"source must be opened in binary mode ('rb'); its read() returned {type(data).__name__}.")
    return getattr(source, "name", f"<{type(source).__name__}>"), data


def _parse(stream, name, capacity, expected_shape):
    """Header, then exactly the declared payload, then nothing: the array.

    A payload larger than ``capacity`` (what the file can decode to), or of another shape than
    ``expected_shape`` (unless None), is refused before anything is allocated.
    """
    magic = stream.read(4)
    if len(magic) < 4:
        raise IDXFormatError(f"{name}: truncated header: expected 4 magic bytes, found {len(magic)}.")
    zeros, code, ndim = magic[:2], magic[2], magic[3]
    if zeros != b"\x00\x00":
        raise IDXFormatError(f"{name}: wrong magic number {magic.hex()}: an IDX file starts with two zero bytes.")
    if code not in DTYPE_CODES:
        known = ", ".join(f"0x{c:02X}" for c in DTYPE_CODES)
        raise IDXFormatError(f"{name}: unknown dtype code 0x{code:02X}; IDX knows {known}.")
    if ndim > MAX_NDIM:
        raise IDXFormatError(f"{name}: header declares {ndim} dimensions; numpy supports at most {MAX_NDIM}.")
    raw_dims = stream.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise IDXFormatError(
            f"{name}: truncated header: {ndim} dimensions need {4 * ndim} bytes, found {len(raw_dims)}."
        )
    shape = struct.unpack(f">{ndim}I", raw_dims)
    dtype = DTYPE_CODES[code]
    n_bytes = math.prod(shape) * dtype.itemsize
    declared = f"the header declares shape {shape} of {dtype.newbyteorder('=')} ({n_bytes} bytes)"
    if expected_shape is not None and shape != expected_shape:
        raise IDXFormatError(f"{name}: {declared}, but this data set's file holds shape {expected_shape}.")
    if n_bytes > capacity:
        raise IDXFormatError(f"{name}: truncated payload: {declared}, more than this file can hold ({capacity} bytes).")
    payload = bytearray(n_bytes)
    received = _read_into(stream, memoryview(payload))
    if received < n_bytes:
        raise IDXFormatError(f"{name}: truncated payload: {declared}, but only {received} bytes follow.")
    if stream.read(1):
        raise IDXFormatError(f"{name}: trailing bytes after the {n_bytes}-byte payload of shape {shape}.")
    return np.frombuffer(payload, dtype).astype(dtype.newbyteorder("="), copy=False).reshape(shape)


def _read_into(stream, buffer):
    """Fill ``buffer`` from ``stream`` in bounded chunks; returns how many bytes arrived."""
    filled = 0
    while filled < len(buffer):
        count = stream.readinto(buffer[filled:filled + _CHUNK])
        if not count:
            break
        filled += count
    return filled
