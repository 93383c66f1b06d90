"""Image helpers: layout round trips, flattening, standardising, reading files (scaling: tests/test_preprocessing.py)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scratch.images import (
    chw_to_hwc,
    flatten_images,
    gray_to_chw,
    hwc_to_chw,
    load_image,
    standardize,
)
from scratch import images

from conftest import assert_raises_naming, case

small_sides = st.integers(1, 5)


@given(st.tuples(st.integers(1, 4), small_sides, small_sides), st.booleans())
def test_chw_hwc_round_trip_puts_channels_last_then_back(shape, batched):
    image = np.arange(np.prod(shape), dtype=np.uint8).reshape(shape)
    if batched:
        image = np.stack([image, image + 1])
    hwc = chw_to_hwc(image)
    c, h, w = shape
    assert hwc.shape[-3:] == (h, w, c)
    assert hwc[..., 1 % h, 2 % w, c - 1].tolist() == image[..., c - 1, 1 % h, 2 % w].tolist()
    np.testing.assert_array_equal(hwc_to_chw(hwc), image)
    assert hwc.dtype == np.uint8


def test_grayscale_gets_a_leading_channel_like_pytorch():
    gray = np.arange(12).reshape(3, 4)
    chw = gray_to_chw(gray)
    assert chw.shape == (1, 3, 4)
    np.testing.assert_array_equal(chw_to_hwc(chw)[..., 0], gray)


def test_flatten_is_row_major_28_by_28_to_784():
    images = np.arange(2 * 28 * 28).reshape(2, 28, 28).astype(np.uint8)
    flat = flatten_images(images)
    assert flat.shape == (2, 784) and flat.dtype == np.uint8
    assert flat[1, 28] == images[1, 1, 0]


def test_standardize_gives_zero_mean_unit_std_and_applies_given_statistics():
    rng = np.random.default_rng(0)
    train = rng.uniform(0, 1, (50, 8, 8))
    z = standardize(train)
    assert z.dtype == np.float32
    assert abs(z.mean()) < 1e-5 and abs(z.std() - 1) < 1e-5
    test = standardize(train[:2], mean=0.1307, std=0.3081, dtype=np.float64)
    np.testing.assert_allclose(test, (train[:2] - 0.1307) / 0.3081)


def test_standardize_refuses_a_constant_image():
    with pytest.raises(ValueError, match="std must be positive"):
        standardize(np.ones((2, 3, 3)))


@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 3), (5, 7, 4)])
def test_load_image_reads_back_what_pil_wrote(tmp_path, shape):
    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    path = tmp_path / "img.png"
    Image.fromarray(pixels).save(path)
    np.testing.assert_array_equal(load_image(path), pixels)
    gray = load_image(path, grayscale=True)
    assert gray.shape == (5, 7) and gray.dtype == np.uint8


def test_load_image_of_a_non_image_says_so(tmp_path):
    path = tmp_path / "not.png"
    path.write_text("hello")
    with pytest.raises(ValueError, match="not an image"):
        load_image(path)


def test_load_image_refuses_a_truncated_file(tmp_path):
    from PIL import Image

    path = tmp_path / "digit.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)).save(path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="truncated or damaged"):
        load_image(path, grayscale=True)


def test_load_image_refuses_a_decompression_bomb(tmp_path, monkeypatch):
    from PIL import Image

    path = tmp_path / "big.png"
    Image.new("L", (100, 100)).save(path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 5000)  # 10,000 pixels: past the warning limit
    with pytest.raises(ValueError, match="decompression bomb"):
        load_image(path)


# ---- bad input: flatten_images (each call raises the error type and names the argument; conftest.case)
BAD_INPUT_TABLE = [
    case("flatten_images-images-2d", images.flatten_images, ValueError, "images", images=np.zeros((3, 3))),
]


@pytest.mark.parametrize("call, kwargs, error, argument", BAD_INPUT_TABLE)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    assert_raises_naming(call, kwargs, error, argument)
