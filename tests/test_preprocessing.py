"""The pixel rule, one for every path: integers 0…255 are intensities, floats in [0, 1] are scaled pixels.

The same array gets the same answer, or the same refusal with the same message, from
``model.predict`` in Python and from ``scratch predict RUN --input FILE``, whatever the file.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis.extra.numpy import arrays
from PIL import Image

from scratch import preprocessing
from scratch.cli import tasks
from scratch.cli.runs import load_run
from scratch.cli.samples import read_samples
from scratch.losses import cross_entropy
from scratch.models import LinearRegression, SoftmaxRegression
from scratch.numerics import softmax
from scratch.preprocessing import ScalePixels, Standardize, scale_pixels
from scratch.training import fit, fit_lbfgs

from conftest import assert_raises_naming, case, regression_data, run, tiny_images

RULE = "integer arrays (uint8, int64, …) are raw 8-bit intensities 0…255"  # in every refusal


def refusal(call):
    """The message of the ValueError or TypeError ``call()`` raises."""
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    return str(info.value)


# ---- the rule -----------------------------------------------------------------------------------
@given(arrays(np.uint8, (3, 5)))
def test_integer_intensities_of_any_integer_dtype_are_divided_by_255_in_the_stated_dtype(pixels):
    for dtype in (np.float32, np.float64):
        expected = pixels.astype(dtype) / dtype(255)
        for encoded in (pixels, pixels.astype(np.int64), pixels.astype(np.uint16), pixels.tolist()):
            scaled = scale_pixels(encoded, dtype)
            assert scaled.dtype == dtype
            np.testing.assert_array_equal(scaled, expected)


def test_floats_in_0_1_are_scaled_pixels_used_as_they_are():
    floats = np.array([[0.0, 0.25, 1.0], [0.5, 1e-9, 0.999]])
    np.testing.assert_array_equal(scale_pixels(floats, np.float64), floats)
    np.testing.assert_array_equal(scale_pixels(floats, np.float32), floats.astype(np.float32))
    assert scale_pixels(floats, np.float64) is floats  # nothing to convert: no copy


@pytest.mark.parametrize("values, given_", [
    (np.array([[0, 256]]), "holds int64 values from 0 to 256, outside 0…255"),
    (np.array([[-1, 3]], np.int8), "holds int8 values from -1 to 3, outside 0…255"),
    (np.array([[0.0, 255.0]]), "holds float64 values from 0 to 255, outside [0, 1]"),  # intensities as floats
    (np.array([[-0.5, 0.5]], np.float32), "holds float32 values from -0.5 to 0.5, outside [0, 1]"),
    (np.array([[0.5, np.nan]]), "holds NaN among its float64 values"),
    (np.array([[0.5, np.inf]]), "holds inf among its float64 values"),
    (np.array([[True, False]]), "has dtype bool"),
    (np.array([[1j, 0]]), "has dtype complex128"),
    (np.array([[0, 1]], dtype=object), "has dtype object"),
])
def test_what_is_not_pixels_is_refused_with_one_message_from_python_and_from_the_model(values, given_):
    message = refusal(lambda: scale_pixels(values, np.float32))
    assert message.startswith(f"X {given_}") and RULE in message and "X / 255" in message
    model = SoftmaxRegression(2, 3, dtype=np.float32, transform=ScalePixels())
    for method in (model.predict, model.predict_proba, lambda X: model.score(X, [0])):
        assert refusal(lambda: method(values)) == message


# ---- reading files: what the file says, nothing more -----------------------------------------
IMAGE_TASK = tasks.Task("mnist", "multiclass", np.zeros((1, 28, 28), np.uint8), np.zeros(1), None, None,
                        np.zeros((1, 28, 28), np.uint8), np.zeros(1), (), tuple("0123456789"), image_shape=(28, 28))


def test_each_file_keeps_its_own_dtype(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (2, 28, 28), dtype=np.uint8)
    Image.fromarray(images[0]).save(tmp_path / "one.png")
    np.save(tmp_path / "half.npy", (images / 255).astype(np.float32))
    np.savetxt(tmp_path / "ints.csv", images.reshape(2, -1), fmt="%d", delimiter=",")
    np.savetxt(tmp_path / "scaled.csv", images.reshape(2, -1) / 255, delimiter=",")
    np.savetxt(tmp_path / "one.csv", images[1], fmt="%d", delimiter=",")  # one 28 × 28 image: a batch of one
    cases = {"one.png": (images[:1], np.uint8), "half.npy": ((images / 255).astype(np.float32), np.float32),
             "ints.csv": (images.reshape(2, -1), np.int64), "scaled.csv": (images.reshape(2, -1) / 255, np.float64),
             "one.csv": (images[1:2], np.int64)}
    for name, (expected, dtype) in cases.items():
        X = read_samples(tmp_path / name, IMAGE_TASK)
        assert X.dtype == dtype, name
        np.testing.assert_array_equal(X, expected, err_msg=name)


def lying_npy(path):
    """A 900-byte .npy whose header claims a (1000000, 1000000) float64 array: 7.3 TiB."""
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
        f.write(b"\0" * (900 - f.tell()))
    return path


def sixteen_bit_png(path):
    Image.fromarray(np.full((28, 28), 40000, np.uint16)).save(path)  # 40000 of 65535: clipped to 255 by "L"
    return path


def npz_as_npy(path):
    with open(path, "wb") as f:
        np.savez(f, x=np.zeros((28, 28), np.uint8))
    return path


def empty_csv(path):
    path.write_text("")
    return path


BAD_FILES = [  # (writer, file name, what the message must say)
    (sixteen_bit_png, "deep.png", ["16-bit image (PIL mode I;16)", "/ 257"]),
    (npz_as_npy, "archive.npy", [".npz archive", "np.save"]),
    (lying_npy, "lying.npy", ["claims an array of shape (1000000, 1000000)", "8,000,000,000,000 bytes",
                              "the file holds 772 bytes"]),
    (empty_csv, "empty.csv", ["holds no samples"]),
]


@pytest.mark.parametrize("write, name, fragments", BAD_FILES, ids=[case[1] for case in BAD_FILES])
def test_unreadable_files_are_refused_naming_the_problem(tmp_path, write, name, fragments):
    message = refusal(lambda: read_samples(write(tmp_path / name), IMAGE_TASK))
    assert str(tmp_path / name) in message
    for fragment in fragments:
        assert fragment in message


# ---- the done-when: one array, one answer, from Python and from every file ------------------------
@pytest.fixture(scope="module")
def inputs(mnist, tmp_path_factory):
    """300 MNIST test images and the files holding them (each with the array Python would pass)."""
    images = np.asarray(mnist.X_test[:300])
    folder, rows = tmp_path_factory.mktemp("inputs"), images.reshape(300, -1)
    arrays_ = {"uint8.npy": images, "scaled.npy": images / 255, "integers.csv": rows.astype(np.int64),
               "scaled.csv": rows / 255}
    for name, X in arrays_.items():
        np.save(folder / name, X) if name.endswith(".npy") else np.savetxt(
            folder / name, X, fmt="%d" if X.dtype.kind == "i" else "%.18e", delimiter=",")
    for i in range(4):
        Image.fromarray(images[i]).save(folder / f"image{i}.png")
    np.save(folder / "floats-0-255.npy", images.astype(np.float64))
    return images, folder, arrays_


@pytest.mark.slow
def test_the_same_images_get_the_same_predictions_from_python_and_from_every_file(capsys, mnist_run, inputs):
    model, task, _ = load_run(mnist_run)
    images, folder, arrays_ = inputs
    expected = model.predict(images)
    assert len(set(expected.tolist())) == 10  # a trained model: the comparison has power
    lines = [f"sample {i}: {task.class_names[k]}" for i, k in enumerate(expected)]
    for name, X in arrays_.items():
        np.testing.assert_array_equal(model.predict(X), expected, err_msg=name)
        status, out, err = run(capsys, "predict", mnist_run, "--input", folder / name)
        assert (status, err) == (0, ""), name
        assert out.splitlines() == lines, name
    for i in range(4):
        status, out, _ = run(capsys, "predict", mnist_run, "--input", folder / f"image{i}.png")
        assert status == 0 and out.strip() == f"sample 0: {task.class_names[expected[i]]}"


@pytest.mark.slow
def test_floats_0_255_get_the_same_refusal_from_python_and_from_the_command_line(capsys, mnist_run, inputs):
    model, _, _ = load_run(mnist_run)
    images, folder, _ = inputs
    message = refusal(lambda: model.predict(images.astype(np.float64)))
    assert "float64 values from 0 to 255, outside [0, 1]" in message
    status, out, err = run(capsys, "predict", mnist_run, "--input", folder / "floats-0-255.npy")
    assert (status, out, err) == (2, "", f"scratch: error: {message}\n")


@pytest.mark.slow
@pytest.mark.parametrize("write, name, fragments", BAD_FILES, ids=[case[1] for case in BAD_FILES])
def test_scratch_predict_refuses_a_bad_file_with_one_error_line(capsys, mnist_run, tmp_path, write, name, fragments):
    status, out, err = run(capsys, "predict", mnist_run, "--input", write(tmp_path / name))
    assert status == 2 and out == ""
    assert err.startswith("scratch: error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    assert all(fragment in err for fragment in fragments), err


# ---- bad input: scale_pixels (each call raises the error type and names the argument; conftest.case)
BAD_INPUT_TABLE = [
    case("scale_pixels-X-above-255", preprocessing.scale_pixels, ValueError, "pixels", X=np.array([300]), name="pixels"),
]


@pytest.mark.parametrize("call, kwargs, error, argument", BAD_INPUT_TABLE)
def test_bad_input_raises_the_documented_error_naming_the_argument(call, kwargs, error, argument):
    assert_raises_naming(call, kwargs, error, argument)


# ---- one preprocessing path: fit, loss, score, predict read samples the same way ---------------------
def test_uint8_images_and_memmap_train_identically_to_the_pixels_divided_by_255(tmp_path):
    X, y = tiny_images()
    np.save(tmp_path / "X.npy", X)
    memmap = np.load(tmp_path / "X.npy", mmap_mode="r")

    def trained(data, dtype=np.float64):
        model = SoftmaxRegression(36, 3, dtype=dtype)
        fit(model, data, y, epochs=3, batch_size=8, lr=0.5, seed=1)
        return model

    reference = trained(X.reshape(len(X), -1) / 255)
    assert reference.transform is None
    for data in (X, memmap, X.reshape(len(X), -1)):
        model = trained(data)
        assert model.transform == ScalePixels()  # inferred from the uint8 samples, kept with the model
        np.testing.assert_array_equal(model.params["W"], reference.params["W"])
    assert trained(X, np.float32).params["W"].dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_after_fit_on_uint8_images_every_encoding_of_the_pixels_gives_the_same_score(dtype):
    X, y = tiny_images(n=200, gain=50)  # classes overlap: the bias decides some test images
    X_train, y_train, X_test, y_test = X[:120], y[:120], X[120:], y[120:]
    model = SoftmaxRegression(36, 3, init="torch", seed=0, dtype=dtype)
    fit(model, X_train, y_train, epochs=5, batch_size=8, lr=0.5, seed=0)
    flat = X_test.reshape(len(X_test), -1)
    logits = (flat / 255).astype(dtype) @ model.params["W"] + model.params["b"]
    for encoded in [X_test, flat, flat.astype(np.int64), X_test.astype(np.int32), flat / 255]:
        assert model.score(encoded, y_test) == np.mean(logits.argmax(axis=1) == y_test)
        np.testing.assert_allclose(model.predict_proba(encoded), softmax(logits), rtol=1e-5)
        assert model.loss(encoded, y_test) == pytest.approx(cross_entropy(logits, y_test), rel=1e-5)
    unscaled = flat @ model.params["W"] + model.params["b"]
    assert np.mean(unscaled.argmax(axis=1) == y_test) != model.score(X_test, y_test)  # the test has power


def test_pixels_whose_meaning_is_ambiguous_are_refused_with_what_to_do():
    X, y = tiny_images()
    model, untrained = SoftmaxRegression(36, 3), SoftmaxRegression(36, 3)
    fit(model, X, y, epochs=1, batch_size=16, lr=0.5, seed=0)
    for method in ("predict", "predict_proba", "forward", "score", "loss_grad"):
        args = (y,) if method in ("score", "loss_grad") else ()
        with pytest.raises(ValueError, match=r"X holds float64 values from 0 to 2\d\d, outside \[0, 1\].*X / 255"):
            getattr(model, method)(X.astype(np.float64), *args)  # floats above 1 for a pixel model
        with pytest.raises(ValueError, match="X is uint8.*no transform.*ScalePixels"):
            getattr(untrained, method)(X, *args)  # uint8 for a model without a transform, outside fit


def test_a_standardize_transform_is_applied_identically_in_fit_loss_score_and_predict():
    X, y = regression_data()
    X = 100 + 20 * X  # far from standardised
    transform = Standardize.from_data(X)
    Z = (X - transform.mean) / transform.scale
    model, reference = LinearRegression(3, transform=transform), LinearRegression(3)
    history = fit(model, X, y, epochs=5, batch_size=16, lr=0.1, seed=0, validation_data=(X, y))
    expected = fit(reference, Z, y, epochs=5, batch_size=16, lr=0.1, seed=0, validation_data=(Z, y))
    np.testing.assert_array_equal(model.params["W"], reference.params["W"])
    assert history.val_loss == expected.val_loss and history.val_score == expected.val_score
    assert model.loss(X, y) == reference.loss(Z, y) and model.score(X, y) == reference.score(Z, y) > 0.99
    np.testing.assert_array_equal(model.predict(X), reference.predict(Z))
    assert model.loss_grad(X, y)[0] == reference.loss_grad(Z, y)[0]
    fit_lbfgs(model, X, y), fit_lbfgs(reference, Z, y)  # X is prepared once there, and standardised once
    np.testing.assert_allclose(model.params["W"], reference.params["W"], rtol=1e-12)


def test_lbfgs_infers_the_pixel_transform_as_fit_does():
    X, y = tiny_images()
    lbfgs, reference = SoftmaxRegression(36, 3), SoftmaxRegression(36, 3)
    fit_lbfgs(lbfgs, X, y, l2=1e-2, tol=1e-8)
    fit_lbfgs(reference, X.reshape(len(X), -1) / 255, y, l2=1e-2, tol=1e-8)
    assert lbfgs.transform == ScalePixels() and reference.transform is None
    np.testing.assert_array_equal(lbfgs.params["W"], reference.params["W"])


@pytest.mark.slow
def test_slide_recipe_reaches_the_demo_test_accuracy_on_mnist_whatever_the_pixel_encoding(mnist):
    # the slides' recipe: plain minibatch SGD, a few epochs, raw uint8 images in, no tuning
    model = SoftmaxRegression(784, 10, dtype=np.float32)
    fit(model, mnist.X_train, mnist.y_train, epochs=3, batch_size=64, lr=0.5, seed=0)
    X, y = mnist.X_test, mnist.y_test
    accuracy = model.score(X, y)  # (N, 28, 28) uint8, as fit was given
    assert accuracy >= 0.9197
    flat = X.reshape(len(X), -1)
    for encoded in (flat, flat.astype(np.int64), flat / 255):  # issue 11: 0.8465 for flat uint8 before
        assert model.score(encoded, y) == accuracy
