"""micrograd's engine tests (karpathy/micrograd, test/test_engine.py) on scratch.autograd.Tensor.

micrograd checks its scalar ``Value`` against torch on three cases: a sanity-check expression,
one that exercises more operations (reflected operands, powers, division, relu of a difference),
and the unary functions tanh and exp. Here the same expressions run on 0-d float64 Tensors and
on torch tensors; the values and the gradients of the inputs must agree.
"""

import numpy as np
import pytest

from scratch.autograd import Tensor

torch = pytest.importorskip("torch")


def sanity_check(x):
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    return h + q + q * x


def more_ops(a, b):
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    return g + 10.0 / f


def run_on_both(expression, *values):
    """(scratch output, input grads) and (torch output, input grads) of expression at ``values``."""
    results = []
    makers = (lambda v: Tensor(v, requires_grad=True), lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True))
    for make in makers:
        leaves = [make(v) for v in values]
        out = expression(*leaves)
        out.backward()
        results.append((out.item(), [float(leaf.grad) for leaf in leaves]))
    return results


def test_sanity_check_forward_and_backward_equal_torch():
    (ours, our_grads), (theirs, their_grads) = run_on_both(sanity_check, -4.0)
    assert ours == theirs
    assert our_grads == their_grads


def test_more_ops_forward_and_backward_match_torch():
    (ours, our_grads), (theirs, their_grads) = run_on_both(more_ops, -4.0, 2.0)
    assert ours == pytest.approx(theirs, rel=1e-12)
    np.testing.assert_allclose(our_grads, their_grads, rtol=1e-12)


@pytest.mark.parametrize("function", ["tanh", "exp"])
@pytest.mark.parametrize("value", [-1.0, 0.123, 2.0])
def test_unary_functions_forward_and_backward_match_torch(function, value):
    (ours, our_grads), (theirs, their_grads) = run_on_both(lambda x: getattr(x, function)(), value)
    assert ours == pytest.approx(theirs, rel=1e-15)
    assert our_grads == pytest.approx(their_grads, rel=1e-15)
