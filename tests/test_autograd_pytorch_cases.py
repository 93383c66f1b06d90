"""scratch.autograd where PyTorch's OpInfo samples found it wrong: each case against PyTorch's answer."""

import numpy as np
import pytest

from scratch.autograd import Tensor, arange

torch = pytest.importorskip("torch")
X = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])


def test_a_boolean_mask_selects():
    mask = Tensor(X > 0)
    x = Tensor(X, requires_grad=True)
    x[mask].sum().backward()
    assert x[mask].data.tolist() == torch.tensor(X)[torch.tensor(X > 0)].tolist()
    assert x.grad.tolist() == (X > 0).astype(float).tolist()


def test_a_float_index_is_refused():
    with pytest.raises(IndexError):
        torch.tensor(X)[torch.tensor([0.0])]
    with pytest.raises(IndexError, match="long, int, byte or bool"):
        Tensor(X)[Tensor([0.0])]
    with pytest.raises(IndexError):
        Tensor(X)[0.0]


def test_relu_keeps_nan():
    assert np.isnan(Tensor([np.nan, -1.0, 2.0]).relu().data[0])
    assert torch.tensor([np.nan]).relu().isnan().item()


def test_logsumexp_over_all_axes_backpropagates():
    x = Tensor(X, requires_grad=True)
    x.logsumexp(axis=None).backward()
    t = torch.tensor(X, requires_grad=True)
    t.logsumexp(dim=(0, 1)).backward()
    np.testing.assert_allclose(x.grad, t.grad.numpy())


@pytest.mark.parametrize("method", ["sum", "mean"])
def test_a_reduction_of_a_0d_tensor_along_minus_1_backpropagates(method):
    x = Tensor(3.0, requires_grad=True)
    getattr(x, method)(axis=-1).backward()
    assert x.grad.shape == () and float(x.grad) == 1.0


def test_transpose_with_negative_axes_gives_a_gradient_of_the_input_shape():
    data = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(data, requires_grad=True)
    out = x.transpose(-1, 0, -2)
    (out * Tensor(np.arange(24.0).reshape(out.shape))).sum().backward()
    t = torch.tensor(data, requires_grad=True)
    tout = t.permute(-1, 0, -2)
    (tout * torch.arange(24.0, dtype=torch.float64).reshape(tout.shape)).sum().backward()
    assert out.shape == tuple(tout.shape)
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


@pytest.mark.parametrize("args", [(-1.5, 2.2), (0.5, 5.2, 1), (-2.5, 3.1, 1.3), (3, -2.5, -0.7), (0, 1, 0.1)])
def test_arange_has_pytorchs_length_and_values(args):
    for ours, theirs in ((np.int64, torch.int64), (np.float64, torch.float64)):
        try:
            expected = torch.arange(*args, dtype=theirs).tolist()
        except (RuntimeError, ValueError):  # an integer dtype truncates a step of −0.7 or 0.1 to 0
            with pytest.raises(ValueError, match="step must be nonzero"):
                arange(*args, dtype=ours)
            continue
        assert arange(*args, dtype=ours).data.tolist() == pytest.approx(expected)
