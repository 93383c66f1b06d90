"""PyTorch's own OpInfo samples run through scratch: values, dtypes, shapes and gradients against torch.

The cases are ``torch.testing._internal.common_methods_invocations.op_db`` — the list that
PyTorch's test/test_ops.py drives through its generic checks — for every operator scratch offers,
on the CPU in float32, float64 and (where the OpInfo takes integers) int64. Each SampleInput
(input, args, kwargs) comes from the OpInfo's ``reference_inputs`` (its ``sample_inputs`` and
more; ``sample_inputs`` alone where torch refuses gradients on them). Two implementations run it:
  - ``torch``: scratch.torch, the PyTorch façade (``torch.add(x, y)`` → ``scratch.torch.add``);
  - ``autograd``: scratch.autograd.Tensor, the lecture's engine, through ADAPTERS that rename
    torch's arguments to its own (``dim``/``keepdim`` → ``axis``/``keepdims``).
A sample passes when every output has torch's shape, dtype and values (torch's default
tolerances for the dtype, NaN = NaN) and, for a float dtype with requires_grad, the gradient of
Σ output·r (r a fixed random tensor per sample) with respect to the input and every tensor
argument that requires grad equals torch.autograd's. A loss's gradient is compared for its input
only (README.md, "Differences from PyTorch in scratch.torch": losses do not differentiate targets).
A sample that needs what scratch does not have — a dtype other than float32/float64/int64/bool,
a keyword or positional argument its signature lacks — is *unsupported*, with the reason recorded;
a difference README.md documents is counted as *documented* (DOCUMENTED names it and its reason);
anything else that differs or raises is a *failure*. Each op's test asserts there is none.

``python tests/test_torch_opinfo_suite.py`` prints the counts of every op and the total.
"""

import collections
import inspect

import numpy as np
import pytest

torch = pytest.importorskip("torch")
cmi = pytest.importorskip("torch.testing._internal.common_methods_invocations")

import scratch.autograd as ag  # noqa: E402  (after the skips: the file needs torch)
import scratch.torch as st  # noqa: E402
import scratch.torch.nn.functional as SF  # noqa: E402

TOLERANCE = {np.float32: (1.3e-6, 1e-5), np.float64: (1e-7, 1e-7)}  # torch.testing's (rtol, atol) by dtype
GRAD_TOLERANCE = {np.float32: (1e-4, 1e-5), np.float64: (1e-7, 1e-7)}
DTYPES = (torch.float32, torch.float64, torch.int64)
SCALAR_DTYPES = {torch.float32, torch.float64, torch.int64, torch.bool}  # what a sample's tensors may hold
LOSSES = {"nn.functional.mse_loss", "nn.functional.cross_entropy", "nn.functional.nll_loss",
          "nn.functional.binary_cross_entropy_with_logits", "nn.functional.binary_cross_entropy"}
MAX_SAMPLES = 40  # per op and dtype: every k-th of the reference inputs beyond that, to stay fast


# Where scratch differs from torch on purpose (README.md, "Differences from PyTorch in scratch.torch"):
# op → (does this failing sample show the difference? (sample, message) → bool, the reason).
DOCUMENTED = {
    "pow": (lambda sample, message: "negative integer powers" in message,
            "an integer tensor to a negative integer power: NumPy refuses it (torch gives 0 or ±1)"),
    "sqrt": (lambda sample, message: message.startswith("gradient") and bool(torch.isneginf(sample.input).any()),
             "sqrt is x**0.5, so its gradient at −inf is pow's, 0 (torch's sqrt gives NaN)"),
}


def _getitem(input, index):
    return input[index]


def _method(name):
    def call(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    call.method = getattr(st.Tensor, name)
    return call


# OpInfo name (".variant") → scratch.torch's function, called as the OpInfo calls torch's.
SCRATCH_TORCH = {
    **{name: getattr(st, name) for name in (
        "add", "sub", "mul", "div", "pow", "matmul", "mm", "exp", "log", "sigmoid", "tanh", "softmax",
        "log_softmax", "logsumexp", "sum", "mean", "amax", "argmax", "argmin", "reshape", "flatten", "squeeze",
        "unsqueeze", "transpose", "t", "permute", "sqrt", "abs", "square", "clamp", "cat", "stack", "arange")},
    "div.no_rounding_mode": st.div, "div.trunc_rounding": st.div, "div.floor_rounding": st.div,
    "max.reduction_with_dim": st.max, "max.reduction_no_dim": st.max, "max.binary": st.max,
    "min.reduction_with_dim": st.min, "min.reduction_no_dim": st.min, "min.binary": st.min,
    "softmax.with_dtype": st.softmax, "log_softmax.with_dtype": st.log_softmax, "squeeze.multiple": st.squeeze,
    "neg": _method("neg"), "view": _method("view"), "expand": _method("expand"), "clone": _method("clone"),
    "__getitem__": _getitem, "where": lambda input, condition, other: st.where(condition, input, other),
    "nn.functional.relu": SF.relu, "nn.functional.linear": SF.linear, "nn.functional.softplus": st.softplus,
    **{f"nn.functional.{name.split('.')[-1]}": getattr(SF, name.split(".")[-1]) for name in LOSSES},
}


def _axis(dim):
    return tuple(dim) if isinstance(dim, (list, tuple)) else dim


def _transpose(input, dim0, dim1):
    if input.ndim == 0:
        return input.transpose()
    order = list(range(input.ndim))
    order[dim0], order[dim1] = order[dim1], order[dim0]
    return input.transpose(order)


def _view(input, *shape):
    return input.reshape(*shape)


# OpInfo name → scratch.autograd.Tensor's operation, torch's arguments renamed to its own.
ADAPTERS = {
    "add": lambda input, other: input + other, "sub": lambda input, other: input - other,
    "mul": lambda input, other: input * other, "div.no_rounding_mode": lambda input, other: input / other,
    "pow": lambda input, exponent: input**exponent, "matmul": lambda input, other: input @ other,
    "neg": lambda input: -input, "exp": lambda input: input.exp(), "log": lambda input: input.log(),
    "sigmoid": lambda input: input.sigmoid(), "tanh": lambda input: input.tanh(),
    "nn.functional.relu": lambda input: input.relu(), "nn.functional.softplus": lambda input: input.softplus(),
    "sum": lambda input, dim=None, keepdim=False: input.sum(axis=_axis(dim), keepdims=keepdim),
    "mean": lambda input, dim=None, keepdim=False: input.mean(axis=_axis(dim), keepdims=keepdim),
    "logsumexp": lambda input, dim, keepdim=False: input.logsumexp(axis=_axis(dim), keepdims=keepdim),
    "log_softmax": lambda input, dim: input.log_softmax(axis=dim),
    "argmax": lambda input, dim=None, keepdim=False: input.argmax(axis=dim, keepdims=keepdim and dim is not None),
    "reshape": lambda input, shape: input.reshape(shape), "view": _view,
    "transpose": _transpose, "t": lambda input: input.transpose(), "__getitem__": _getitem,
    "cat": lambda tensors, dim=0: ag.cat(tensors, axis=dim), "arange": ag.arange,
}
IMPLEMENTATIONS = {"torch": (st.Tensor, SCRATCH_TORCH), "autograd": (ag.Tensor, ADAPTERS)}


class Unsupported(Exception):
    """A sample needs a feature scratch does not have; the message is the reason."""


def _opinfos():
    """{OpInfo name[.variant]: OpInfo} for every op of SCRATCH_TORCH found in op_db."""
    found = {}
    for info in cmi.op_db:
        key = info.name + (f".{info.variant_test_name}" if info.variant_test_name else "")
        if key in SCRATCH_TORCH:
            found[key] = info
    return found


OPINFOS = _opinfos()


def _samples(info, dtype):
    """The OpInfo's reference inputs for ``dtype`` (requires_grad where it differentiates), at most MAX_SAMPLES."""
    if not info.supports_dtype(dtype, "cpu"):
        return []
    grad = dtype.is_floating_point and info.supports_autograd
    torch.manual_seed(0)
    try:
        samples = list(info.reference_inputs("cpu", dtype, requires_grad=grad))
    except ValueError:  # torch refuses requires_grad on the reference inputs of a few ops (clamp, where)
        samples = list(info.sample_inputs("cpu", dtype, requires_grad=grad))
    step = -(-len(samples) // MAX_SAMPLES)
    return samples[::step]


def _convert(value, tensor_class, leaves):
    """A sample's value for scratch: tensors become ``tensor_class`` (same dtype, a leaf if it requires grad)."""
    if isinstance(value, torch.Tensor):
        if value.dtype not in SCALAR_DTYPES:
            raise Unsupported(f"dtype {value.dtype}")
        array = value.detach().numpy().copy()
        converted = tensor_class(array, requires_grad=value.requires_grad)
        if value.requires_grad:
            leaves.append((value, converted))
        return converted
    if isinstance(value, torch.dtype):
        if value not in SCALAR_DTYPES:
            raise Unsupported(f"dtype= {value}")
        name = str(value).split(".")[1]
        return getattr(st, name) if tensor_class is st.Tensor else np.dtype(name)
    if isinstance(value, complex):
        raise Unsupported("a complex number")
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, torch.Size):
        return tuple(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_convert(v, tensor_class, leaves) for v in value)
    if isinstance(value, dict):
        return {k: _convert(v, tensor_class, leaves) for k, v in value.items()}
    return value


def _fresh(value):
    """The sample's value with each tensor that requires grad a fresh leaf.

    Some reference inputs are views made into leaves (a transposed or expanded tensor with
    requires_grad_()): torch.autograd.grad finds them unused, as their graph runs through the base.
    """
    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_() if value.requires_grad else value
    if isinstance(value, (list, tuple)) and not isinstance(value, torch.Size):
        return type(value)(_fresh(v) for v in value)
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    return value


def _check_signature(function, args, kwargs):
    """Unsupported when scratch's signature cannot take these arguments (a keyword it lacks, out=, …)."""
    if "out" in kwargs:
        raise Unsupported("out=")
    if function.__qualname__ == "_method.<locals>.function":  # scratch.torch's torch.x(t, …) is t.x(…)
        function = getattr(st.Tensor, function.__name__)
    signature = inspect.signature(getattr(function, "method", function))
    try:
        signature.bind(*args, **kwargs)
    except TypeError as error:
        names = signature.parameters
        lacking = [k for k in kwargs if k not in names]
        if any(p.kind is p.VAR_KEYWORD for p in names.values()) or not lacking:
            raise Unsupported(f"arguments: {error}") from None
        raise Unsupported(f"keyword {lacking[0]}=") from None


def _outputs(out):
    """The tensors of an op's result (a tensor, a namedtuple of them, a number), in order."""
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _outputs(o)]
    return [out]


def _array(out):
    return out.detach().numpy() if isinstance(out, torch.Tensor) else np.asarray(getattr(out, "data", out))


def _has_float(value):
    if isinstance(value, torch.Tensor):
        return value.dtype.is_floating_point
    if isinstance(value, (list, tuple, dict)):
        return any(_has_float(v) for v in (value.values() if isinstance(value, dict) else value))
    return False


def _compare(expected, actual, integers, tolerance, what, default_float=np.float32):
    """A failure message, or None when shapes, dtypes and values agree.

    integers: the sample holds no float tensor, so a float result has the default float dtype:
    torch's float32, scratch.autograd's float64 (``default_float``).
    """
    e, a = _array(expected), _array(actual)
    if e.shape != a.shape:
        return f"{what}: shape {a.shape}, torch {e.shape}"
    promoted = integers and e.dtype == np.float32
    if (np.dtype(default_float) if promoted else e.dtype) != a.dtype:
        return f"{what}: dtype {a.dtype}, torch {e.dtype}"
    with np.errstate(over="ignore"):
        a = a.astype(e.dtype)  # scratch.autograd's float64 for integers, compared as torch's float32 (e.g. overflow)
    rtol, atol = tolerance.get(e.dtype.type, (0, 0))
    if tolerance is GRAD_TOLERANCE and e.size:  # a broadcast input's gradient is a sum: its error scales with |g|
        atol *= max(1.0, float(np.nanmax(np.abs(np.where(np.isfinite(e), e, 0)))))
    if e.dtype.kind in "biu" and not np.array_equal(e, a) or e.dtype.kind == "f" and not np.allclose(
            a, e, rtol=rtol, atol=atol, equal_nan=True):
        return f"{what}: values differ by up to {np.nanmax(np.abs(a.astype(float) - e.astype(float)), initial=0):.3g}"
    return None


def _run_sample(key, function, tensor_class, sample, seed):
    """'pass', or raises Unsupported, or returns a failure message."""
    leaves = []
    torch_args, torch_kwargs = _fresh((sample.input, *sample.args)), _fresh(sample.kwargs)
    args = _convert(torch_args, tensor_class, leaves)
    kwargs = _convert(torch_kwargs, tensor_class, leaves)
    _check_signature(function, args, kwargs)
    expected = _outputs(OPINFOS[key].op(*torch_args, **torch_kwargs))
    try:
        with np.errstate(all="ignore"):  # NumPy's warnings on inf − inf, overflow: torch is silent (see the report)
            actual = _outputs(function(*args, **kwargs))
    except Exception as error:  # noqa: BLE001  (any error on a supported sample is a failure)
        return f"raises {type(error).__name__}: {str(error)[:120]}"
    if len(actual) != len(expected):
        return f"{len(actual)} outputs, torch {len(expected)}"
    for i, (e, a) in enumerate(zip(expected, actual)):
        message = _compare(e, a, not _has_float(torch_args), TOLERANCE, f"output {i}", tensor_class._default_float)
        if message:
            return message
    differentiable = [(e, a) for e, a in zip(expected, actual) if isinstance(e, torch.Tensor) and e.requires_grad]
    if key in LOSSES:
        leaves = leaves[:1]
    if not differentiable or not leaves:
        return "pass"
    rng = np.random.default_rng(seed)
    rs = [rng.standard_normal(e.shape).astype(_array(e).dtype) for e, _ in differentiable]
    torch_grads = torch.autograd.grad([e for e, _ in differentiable], [t for t, _ in leaves],
                                      [torch.from_numpy(r) for r in rs], allow_unused=True)
    try:
        with np.errstate(all="ignore"):
            total = sum(((a * tensor_class(r)).sum() for (_, a), r in zip(differentiable, rs)), start=tensor_class(0.0))
            total.backward()
    except Exception as error:  # noqa: BLE001
        return f"backward raises {type(error).__name__}: {str(error)[:120]}"
    for i, ((torch_leaf, leaf), g) in enumerate(zip(leaves, torch_grads)):
        g = torch.zeros_like(torch_leaf) if g is None else g
        mine = np.zeros_like(leaf.data) if leaf.grad is None else _array(leaf.grad)
        message = _compare(g, mine, False, GRAD_TOLERANCE, f"gradient of tensor {i}")
        if message:
            return message
    return "pass"


def run_op(implementation, key):
    """{'pass': n, 'fail': [messages], 'unsupported'/'documented': Counter(reason → n)} of ``key`` on one implementation."""
    tensor_class, functions = IMPLEMENTATIONS[implementation]
    counts = {"pass": 0, "fail": [], "unsupported": collections.Counter(), "documented": collections.Counter()}
    for dtype in DTYPES:
        for index, sample in enumerate(_samples(OPINFOS[key], dtype)):
            try:
                verdict = _run_sample(key, functions[key], tensor_class, sample, seed=index)
            except Unsupported as reason:
                counts["unsupported"][str(reason)] += 1
                continue
            if verdict == "pass":
                counts["pass"] += 1
            elif key in DOCUMENTED and DOCUMENTED[key][0](sample, verdict):
                counts["documented"][DOCUMENTED[key][1]] += 1
            else:
                counts["fail"].append(f"{dtype} sample {index}: {verdict}")
    return counts


CASES = [(impl, key) for impl, (_, functions) in IMPLEMENTATIONS.items() for key in functions if key in OPINFOS]


@pytest.mark.parametrize(("implementation", "key"), CASES, ids=[f"{i}-{k}" for i, k in CASES])
def test_opinfo_samples_match_torch(implementation, key):
    counts = run_op(implementation, key)
    print(f"{implementation} {key}: pass {counts['pass']}, fail {len(counts['fail'])}, "
          f"unsupported {sum(counts['unsupported'].values())} {dict(counts['unsupported'])}, "
          f"documented {dict(counts['documented'])}")
    ran = counts["pass"] + len(counts["fail"]) + sum(counts["unsupported"].values()) + sum(counts["documented"].values())
    assert ran > 0, f"no sample of {key} was found: the suite would pass without testing it"
    assert not counts["fail"], "\n".join(counts["fail"][:10])


if __name__ == "__main__":
    totals = collections.Counter()
    reasons = collections.Counter()
    for impl, key in CASES:
        c = run_op(impl, key)
        totals[impl, "pass"] += c["pass"]
        totals[impl, "fail"] += len(c["fail"])
        totals[impl, "unsupported"] += sum(c["unsupported"].values())
        totals[impl, "documented"] += sum(c["documented"].values())
        reasons.update({(impl, r): n for r, n in (c["unsupported"] + c["documented"]).items()})
        print(f"{impl:8} {key:48} pass {c['pass']:4}  fail {len(c['fail']):3}  "
              f"unsupported {sum(c['unsupported'].values()):3}  documented {sum(c['documented'].values()):2}  "
              f"{dict(c['unsupported']) or ''}")
        for f in c["fail"][:3]:
            print("          ", f)
    print(dict(totals))
    for (impl, reason), n in sorted(reasons.items(), key=lambda item: -item[1]):
        print(f"{impl:8} {n:4}  {reason}")
