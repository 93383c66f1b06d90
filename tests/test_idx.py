"""IDX reader/writer: round trips for every dtype code, each corruption's error, fuzzing."""

import gzip
import io
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from scratch.idx import DTYPE_CODES, IDXFormatError, idx_header, idx_sha256, read_idx, write_idx
from scratch import idx

from conftest import assert_raises_naming, case, X_OBJECT

NATIVE_DTYPES = [dt.newbyteorder("=") for dt in DTYPE_CODES.values()]


def encode(array, compress=False):
    buf = io.BytesIO()
    write_idx(buf, array, compress=compress)
    return buf.getvalue()


def decode(data):
    return read_idx(io.BytesIO(data))


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@given(data=st.data())
def test_write_then_read_returns_the_same_array_for_every_dtype_code(compress, data):
    dtype = data.draw(st.sampled_from(NATIVE_DTYPES))
    shape = data.draw(array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
    array = data.draw(arrays(dtype, shape))
    out = decode(encode(array, compress))
    assert out.dtype == array.dtype and out.dtype.isnative
    assert out.shape == array.shape
    np.testing.assert_array_equal(out, array)  # NaN == NaN here, bit patterns kept
    assert out.flags.writeable


def test_header_layout_is_zero_zero_code_ndim_then_big_endian_dims():
    data = encode(np.arange(6, dtype=np.int16).reshape(2, 3))
    assert data[:4] == b"\x00\x00\x0b\x02"
    assert struct.unpack(">2I", data[4:12]) == (2, 3)
    assert data[12:] == np.arange(6, dtype=">i2").tobytes()


def test_path_round_trip_gzips_by_suffix(tmp_path):
    array = np.arange(60, dtype=np.uint8).reshape(3, 4, 5)
    write_idx(tmp_path / "a.gz", array)
    write_idx(tmp_path / "a", array)
    assert (tmp_path / "a.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert (tmp_path / "a").read_bytes()[:2] == b"\x00\x00"
    for name in ("a.gz", "a"):
        np.testing.assert_array_equal(read_idx(tmp_path / name), array)
        np.testing.assert_array_equal(read_idx(str(tmp_path / name)), array)


def test_multi_member_gzip_is_read_whole():
    data = encode(np.arange(10, dtype=np.uint8))
    two_members = gzip.compress(data[:7]) + gzip.compress(data[7:])
    np.testing.assert_array_equal(decode(two_members), np.arange(10))


def test_sha256_of_decoded_array_equals_sha256_of_the_file_bytes():
    import hashlib

    array = np.linspace(-1, 1, 12).reshape(3, 4)
    assert idx_sha256(array) == hashlib.sha256(encode(array)).hexdigest()


VALID = encode(np.arange(12, dtype=np.int32).reshape(3, 4))
CORRUPTIONS = {
    "empty file": (b"", "truncated header"),
    "short magic": (VALID[:3], "truncated header"),
    "nonzero first bytes": (b"\x01" + VALID[1:], "wrong magic"),
    "unknown dtype code": (VALID[:2] + b"\x0a" + VALID[3:], "unknown dtype code 0x0A"),
    "missing dimension bytes": (VALID[:9], "truncated header"),
    "short payload": (VALID[:-1], "truncated payload"),
    "trailing bytes": (VALID + b"\x00", "trailing bytes"),
    "too many dimensions": (b"\x00\x00\x08\x21" + b"\x00\x00\x00\x01" * 33 + b"\x00", "dimensions"),
    "huge declared size": (b"\x00\x00\x0e\x03" + b"\xff\xff\xff\xff" * 3, "more than this file can hold"),
    "huge declared size, gzip": (gzip.compress(b"\x00\x00\x0e\x01\x10\x00\x00\x00" + bytes(64)),
                                 "more than this file can hold"),
    "cut gzip stream": (gzip.compress(VALID)[:-12], "corrupt gzip"),
    "gzip crc mismatch": (gzip.compress(VALID)[:-8] + b"\x00" * 8, "corrupt gzip"),
}


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_each_corruption_raises_idx_format_error_naming_file_and_problem(tmp_path, name):
    data, message = CORRUPTIONS[name]
    path = tmp_path / "broken-idx3-ubyte"
    path.write_bytes(data)
    with pytest.raises(IDXFormatError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_a_gzip_payload_is_inflated_once_into_the_array_not_copied():
    """32 MiB of zeros in a 32 kB file: decoding peaks at the array itself, not twice that."""
    import tracemalloc

    n = 32 << 20
    data = gzip.compress(encode(np.zeros(n, np.uint8)), compresslevel=1)
    tracemalloc.start()
    try:
        array = decode(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert array.shape == (n,) and not array.any()
    assert peak < 1.25 * n, f"decoding {n} bytes peaked at {peak} bytes"


@given(st.binary(max_size=200))
def test_random_bytes_raise_only_idx_format_error(data):
    for candidate in (data, b"\x00\x00" + data, gzip.compress(data)):
        try:
            decode(candidate)
        except IDXFormatError:
            pass


@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=8),
       st.booleans(), st.integers(0, 20))
def test_mutated_files_raise_only_idx_format_error(flips, compress, cut):
    data = bytearray(encode(np.arange(40, dtype=np.float32).reshape(2, 4, 5), compress))
    for position, value in flips:
        data[position % len(data)] = value
    try:
        decode(bytes(data[: len(data) - cut]))
    except IDXFormatError:
        pass


@pytest.mark.parametrize("dtype", [np.bool_, np.float16, np.int64, np.uint16, np.complex64])
def test_writing_an_unsupported_dtype_is_refused_not_cast(dtype):
    with pytest.raises(TypeError, match="IDX stores only"):
        encode(np.zeros(3, dtype=dtype))


def test_header_refuses_dimensions_that_do_not_fit_uint32():
    with pytest.raises(ValueError, match="2\\*\\*32"):
        idx_header((2**32,), np.uint8)


def test_text_mode_file_is_refused_with_a_hint(tmp_path):
    path = tmp_path / "a"
    write_idx(path, np.zeros(2, np.uint8))
    with open(path, encoding="latin-1") as f, pytest.raises(TypeError, match="binary mode"):
        read_idx(f)


# ---- bad input: read_idx, write_idx (each call raises the error type and names the argument; conftest.case)
BAD_INPUT_TABLE = [
    case("read_idx-source-int", idx.read_idx, TypeError, "source", source=3),
    case("write_idx-array-object", idx.write_idx, TypeError, "dtype", target=io.BytesIO(), array=X_OBJECT),
]


@pytest.mark.parametrize("call, kwargs, error, argument", BAD_INPUT_TABLE)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    assert_raises_naming(call, kwargs, error, argument)
