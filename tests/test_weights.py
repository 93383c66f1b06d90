"""Weights both ways between scratch and PyTorch through safetensors files."""

import os

import numpy as np
import pytest

import scratch
import scratch.persistence
from scratch.nn import CrossEntropyLoss, Linear, Network, ReLU, Sequential
from scratch.weights import export_safetensors, import_safetensors

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")

X = np.random.default_rng(0).normal(size=(5, 4))


def mlp():
    return Network(Sequential(Linear(4, 6, seed=0), ReLU(), Linear(6, 3, seed=1)), CrossEntropyLoss())


def torch_mlp():
    return torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 3)).double()


def test_a_network_exported_by_scratch_loads_into_torch_sequential_and_gives_its_logits(tmp_path):
    network = mlp()
    export_safetensors(network, tmp_path / "mlp.safetensors")
    module = torch_mlp()
    module.load_state_dict(safetensors_torch.load_file(tmp_path / "mlp.safetensors"))  # strict
    np.testing.assert_allclose(module(torch.from_numpy(X)).detach().numpy(), network.forward(X), rtol=1e-12)


def test_a_torch_state_dict_saved_as_safetensors_loads_into_scratch(tmp_path):
    module = torch_mlp()
    safetensors_torch.save_file(module.state_dict(), tmp_path / "torch.safetensors")
    network = import_safetensors(mlp(), tmp_path / "torch.safetensors")
    np.testing.assert_allclose(network.forward(X), module(torch.from_numpy(X)).detach().numpy(), rtol=1e-12)


def test_softmax_regression_round_trips_through_torch_nn_linear(tmp_path):
    model = scratch.SoftmaxRegression(4, 3, init="torch", seed=0)
    export_safetensors(model, tmp_path / "m.safetensors")
    linear = torch.nn.Linear(4, 3).double()
    linear.load_state_dict(safetensors_torch.load_file(tmp_path / "m.safetensors"))
    np.testing.assert_allclose(linear(torch.from_numpy(X)).detach().numpy(), model.forward(X), rtol=1e-12)
    with torch.no_grad():
        linear.weight.mul_(2)
    safetensors_torch.save_file(linear.state_dict(), tmp_path / "back.safetensors")
    import_safetensors(model, tmp_path / "back.safetensors")
    np.testing.assert_allclose(model.forward(X), linear(torch.from_numpy(X)).detach().numpy(), rtol=1e-12)


def test_a_file_for_another_architecture_is_refused_and_leaves_the_model_unchanged(tmp_path):
    safetensors_torch.save_file(torch.nn.Linear(4, 2).double().state_dict(), tmp_path / "other.safetensors")
    model = scratch.SoftmaxRegression(4, 3, init="torch", seed=0)
    before = model.params["W"].copy()
    with pytest.raises(ValueError, match="shape"):
        import_safetensors(model, tmp_path / "other.safetensors")
    assert np.array_equal(model.params["W"], before)


def test_a_damaged_file_gets_a_clear_error(tmp_path):
    (tmp_path / "bad.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(ValueError, match="bad.safetensors: not a readable safetensors file"):
        import_safetensors(mlp(), tmp_path / "bad.safetensors")


def test_scratch_export_writes_a_run_torch_loads_and_names_the_transform(tmp_path, capsys):
    from scratch import cli

    run = tmp_path / "run"
    assert cli.main(["train", "softmax", "--data", "iris", "--epochs", "2", "--quiet", "--out", str(run)]) == 0
    assert cli.main(["export", str(run)]) == 0
    out = capsys.readouterr().out
    assert "weight (3, 4), bias (3,)" in out and "Standardize" in out
    linear = torch.nn.Linear(4, 3).double()
    linear.load_state_dict(safetensors_torch.load_file(run / "model.safetensors"))
    model = scratch.persistence.load(run / "model.npz")
    raw = np.array([[5.1, 3.5, 1.4, 0.2]])
    standardized = (raw - model.transform.mean) / model.transform.scale
    np.testing.assert_allclose(linear(torch.from_numpy(standardized)).detach().numpy(), model.forward(raw), rtol=1e-12)


def test_float64_weights_beyond_float32_are_refused_by_a_float32_model_not_loaded_as_inf(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    model = scratch.SoftmaxRegression(4, 3, dtype=np.float32)
    state = {"weight": np.full((3, 4), 1e300), "bias": np.zeros(3)}
    safetensors_numpy.save_file(state, tmp_path / "huge.safetensors")
    with pytest.raises(ValueError, match=r"state_dict\['weight'\] contains NaN or inf in the parameter's float32"):
        import_safetensors(model, tmp_path / "huge.safetensors")
    assert not model.params["W"].any()  # nothing was loaded


def test_a_fifo_is_refused_at_once_not_waited_on(tmp_path):
    fifo = tmp_path / "weights.safetensors"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        import_safetensors(mlp(), fifo)


def test_non_finite_weights_are_not_exported(tmp_path):
    network = mlp()
    network.params["2.bias"][0] = np.nan
    with pytest.raises(ValueError, match=r"2.bias hold NaN or inf"):
        export_safetensors(network, tmp_path / "nan.safetensors")
    assert not (tmp_path / "nan.safetensors").exists()


def test_a_network_with_a_bias_free_layer_round_trips_through_torch_and_the_npz(tmp_path):
    network = Network(Sequential(Linear(4, 6, bias=False, seed=0), ReLU(), Linear(6, 3, seed=1)), CrossEntropyLoss())
    export_safetensors(network, tmp_path / "mlp.safetensors")
    module = torch.nn.Sequential(torch.nn.Linear(4, 6, bias=False), torch.nn.ReLU(), torch.nn.Linear(6, 3)).double()
    module.load_state_dict(safetensors_torch.load_file(tmp_path / "mlp.safetensors"))  # strict: no "0.bias"
    np.testing.assert_allclose(module(torch.from_numpy(X)).detach().numpy(), network.forward(X), rtol=1e-12)
    scratch.persistence.save(network, tmp_path / "mlp.npz")
    loaded = scratch.persistence.load(tmp_path / "mlp.npz")
    assert list(loaded.state_dict()) == ["0.weight", "2.weight", "2.bias"]
    np.testing.assert_array_equal(loaded.forward(X), network.forward(X))
