"""PyTorch's own loss test configurations, run against ``scratch.losses`` and its ``_grad`` companions.

The installed torch ships the inputs its test suite feeds these losses, under
``torch/testing/_internal/``: ``common_nn.py`` (get_new_module_tests, criterion_tests),
``common_modules.py`` (module_inputs_torch_nn_* and module_error_inputs_torch_nn_*) and
``common_methods_invocations.py`` (the OpInfos' sample_inputs_*). Importing those modules needs
``expecttest``, which torch does not install, so each generator below rebuilds one of them from
its source: the same shapes, options, value ranges and target recipes, drawn with the public
``torch.testing.make_tensor`` from a fixed seed, in float64. A module configuration
``nn.XLoss(**options)(input, target)`` runs as ``F.x_loss(input, target, **options)``.

For every configuration: where torch computes, scratch's value and ∂(Σ value)/∂input equal
torch's (relative 1e-10, NaN where torch gives NaN); where torch raises, scratch raises a
ValueError or TypeError.
"""

import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.nn import functional as F  # noqa: E402
from torch.testing import make_tensor  # noqa: E402

from scratch import losses  # noqa: E402

DOUBLE = torch.float64
S = 5  # common_methods_invocations.S
REDUCTIONS = ("mean", "sum", "none")
MSE, BCE, CE, NLL = "mse_loss", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss"


def make(*shape, dtype=DOUBLE, low=None, high=None):
    """make_tensor as torch's tests call it: floats uniform in [-9, 9) unless low/high say otherwise."""
    return make_tensor(*shape, dtype=dtype, device="cpu", low=low, high=high)


def classes(*shape, high):
    """Class indices uniform in [0, high), as make_target(..., low=0, high=high)."""
    return make(*shape, dtype=torch.long, low=0, high=high)


def config(source, name, input, target, **options):
    return pytest.param(name, input, target, options, id=f"{source}-{name}")


# ---------------------------------------------------------------- common_nn.py


def common_nn_new_module_tests():
    """get_new_module_tests(): bce_with_logistic_*, mseloss_*, nllloss*_no_reduce_test()."""
    binary = lambda *shape: torch.randn(*shape, dtype=DOUBLE).gt(0).double()
    logits = lambda: torch.rand(15, 10, dtype=DOUBLE).clamp(2.8e-2, 1 - 2.8e-2)
    # bce_with_logistic_legacy_enum_test passes the deprecated reduce=False, i.e. reduction="none"
    for desc in ("legacy_enum", "no_reduce"):
        yield config(f"common_nn.BCEWithLogitsLoss_{desc}", BCE, logits(), binary(15, 10), reduction="none")
    scalar = torch.rand((), dtype=DOUBLE).clamp(2.8e-2, 1 - 2.8e-2)
    yield config("common_nn.BCEWithLogitsLoss_no_reduce_scalar", BCE, scalar, binary(()), reduction="none")
    for desc, shape in (("", (2, 3, 4, 5)), ("_scalar", ())):
        yield config(f"common_nn.MSELoss_no_reduce{desc}", MSE, torch.randn(shape, dtype=DOUBLE),
                     torch.randn(shape, dtype=DOUBLE), reduction="none")
    weight = torch.rand(10, dtype=DOUBLE)
    for desc, options in (("", {}), ("_ignore_index", {"ignore_index": 2}), ("_weights", {"weight": weight}),
                          ("_weights_ignore_index", {"weight": weight, "ignore_index": 2}),
                          ("_weights_ignore_index_neg", {"weight": weight, "ignore_index": -1})):
        target = torch.empty(15).uniform_().mul(10).floor().long()
        log_probabilities = torch.rand(15, 10, dtype=DOUBLE).add(1e-2 if "weight" in options else 0).log()
        yield config(f"common_nn.NLLLoss_no_reduce{desc}", NLL, log_probabilities, target, reduction="none", **options)
    for prefix, spatial in (("NLLLoss2d", (5, 5)), ("NLLLossNd", (5, 5, 2, 2))):
        for desc, options in (("", {}), ("_ignore_index", {"ignore_index": 1}),
                              ("_weights", {"weight": torch.rand(3, dtype=DOUBLE)})):
            target = torch.rand(2, *spatial).mul(3).floor().long()
            yield config(f"common_nn.{prefix}_no_reduce{desc}", NLL, torch.rand(2, 3, *spatial, dtype=DOUBLE).log(),
                         target, reduction="none", **options)


def common_nn_criterion_tests():
    """criterion_tests: the regression_criterion_no_batch and classification_criterion_no_batch loops.

    Their constructors read the loop variable ``reduction`` late, so torch's suite runs each of
    them with reduction="sum"; we run the reduction each test is named after.
    """
    for reduction in ("none", "mean", "sum"):
        yield config(f"common_nn.MSELoss_no_batch_dim_{reduction}", MSE, torch.randn(3, dtype=DOUBLE),
                     torch.randn(3, dtype=DOUBLE), reduction=reduction)
        yield config(f"common_nn.BCEWithLogitsLoss_no_batch_dim_{reduction}", BCE, torch.randn(9, dtype=DOUBLE),
                     torch.randn(9, dtype=DOUBLE), reduction=reduction)  # any real target
        yield config(f"common_nn.NLLLoss_no_batch_dim_{reduction}", NLL,
                     F.log_softmax(torch.randn(3, dtype=DOUBLE), dim=0), torch.tensor(1), reduction=reduction)


# ---------------------------------------------------------------- common_modules.py


def module_inputs_nll_loss():
    """module_inputs_torch_nn_NLLLoss: 7 option sets × 2-d, 4-d, 6-d and 3-d log-probabilities."""
    log_softmax = lambda *shape: make(*shape).log_softmax(dim=1)
    weight = lambda: make(4).abs()
    cases = [("", {}), ("reduction_sum", {"reduction": "sum"}), ("reduction_none", {"reduction": "none"}),
             ("ignore_index", {"ignore_index": 2}), ("weights", {"weight": weight()}),
             ("weights_ignore_index", {"weight": weight(), "ignore_index": 2}),
             ("weights_ignore_index_neg", {"weight": weight(), "ignore_index": -1})]
    for desc, options in cases:
        for prefix, shape in (("", (15, 4)), ("nd_", (2, 4, 5, 5)), ("higher_dim_", (2, 4, 5, 5, 2, 2)),
                              ("3d_", (2, 4, 5))):
            target = torch.empty(shape[:1] + shape[2:]).uniform_().mul(4).floor().long()
            yield config(f"common_modules.NLLLoss-{prefix}{desc}", NLL, log_softmax(*shape), target, **options)


def module_inputs_mse_loss():
    """module_inputs_torch_nn_MSELoss: 4 option sets × shapes (2, 3, 4, 5) and ()."""
    for desc, options in (("", {}), ("reduction_sum", {"reduction": "sum"}), ("reduction_mean", {"reduction": "mean"}),
                          ("reduction_none", {"reduction": "none"})):
        for suffix, shape in (("", (2, 3, 4, 5)), ("_scalar", ())):
            yield config(f"common_modules.MSELoss-{desc}{suffix}", MSE, make(shape), make(shape), **options)


def module_inputs_bce_with_logits_loss():
    """module_inputs_torch_nn_BCEWithLogitsLoss: (15, 10) logits, 0/1 targets, weights in [-9, 9)."""
    cases = [("", {}), ("reduction_sum", {"reduction": "sum"}), ("reduction_mean", {"reduction": "mean"}),
             ("reduction_none", {"reduction": "none"}), ("weights", {"weight": make(10)}),
             ("scalar_weights", {"weight": make(())})]
    for desc, options in cases:
        yield config(f"common_modules.BCEWithLogitsLoss-{desc}", BCE, make(15, 10, low=1e-2, high=1 - 1e-2),
                     make(15, 10).gt(0).double(), **options)


def module_inputs_cross_entropy_loss():
    """module_inputs_torch_nn_CrossEntropyLoss: 3 reductions × 5 option sets × index and probability targets."""
    cases = [("", {}), ("weights", {"weight": make(3)}), ("ignore_index", {"ignore_index": 1}),
             ("label_smoothing", {"label_smoothing": 0.15}),
             ("ignore_index_label_smoothing", {"ignore_index": 1, "label_smoothing": 0.15})]
    index_shapes = {"4d": (2, 3, 5, 5), "3d": (2, 3, 5), "2d": (2, 3), "higher_dim": (2, 3, 5, 5, 2, 2)}
    probability_shapes = {"4d": (5, 3, 4, 2), "3d": (5, 3, 4), "2d": (5, 3), "higher_dim": (2, 3, 5, 5, 2, 2)}
    for reduction, (desc, options) in itertools.product(REDUCTIONS, cases):
        source = "common_modules.CrossEntropyLoss-{}_" + f"{desc}_{reduction}"
        for prefix, shape in index_shapes.items():
            yield config(source.format(prefix), CE, make(shape), classes(shape[:1] + shape[2:], high=3),
                         reduction=reduction, **options)
        if "ignore_index" in options:
            continue
        for prefix, shape in probability_shapes.items():
            yield config(source.format(prefix + "_prob_target"), CE, make(shape), make(shape).softmax(dim=1),
                         reduction=reduction, **options)
        yield config(source.format("no_batch_dim"), CE, make(3), classes((), high=3), reduction=reduction, **options)


def module_error_inputs():
    """module_error_inputs_torch_nn_CrossEntropyLoss and module_error_inputs_torch_nn_NLLLoss: torch raises."""
    yield config("common_modules.CrossEntropyLoss-error-long_probabilities", CE, make(2, 3),
                 torch.zeros((2, 3), dtype=torch.long))
    yield config("common_modules.CrossEntropyLoss-error-float_indices", CE, make(2, 3), make(2))
    yield config("common_modules.CrossEntropyLoss-error-batch_size", CE, make(2, 3), torch.tensor([0, 1, 2]))
    yield config("common_modules.CrossEntropyLoss-error-weight_shape", CE, make(2, 3), torch.tensor([0, 1]),
                 weight=make(2))
    yield config("common_modules.CrossEntropyLoss-error-probabilities_ignore_index", CE, make(2, 3),
                 make(2, 3).softmax(dim=1), ignore_index=1)
    yield config("common_modules.CrossEntropyLoss-error-label_smoothing", CE, make(2, 3), torch.tensor([0, 1]),
                 label_smoothing=1.5)
    yield config("common_modules.CrossEntropyLoss-error-target_size", CE, make(2, 3, 5),
                 torch.zeros((2, 4), dtype=torch.long))
    yield config("common_modules.NLLLoss-error-weight_dtype", NLL, torch.zeros((0, 0), dtype=DOUBLE),
                 torch.zeros(0, dtype=torch.long), weight=torch.zeros(0, dtype=torch.float16))


# ---------------------------------------------------------------- common_methods_invocations.py


def sample_inputs_cross_entropy():
    """sample_inputs_cross_entropy: (2, 3[, 1[, 2[, 3]]]) logits, options, index and probability targets."""
    shape = (2, 3)
    shapes_and_options = [(shape, {}), ((*shape, 1), {}), ((*shape, 1, 2), {}), ((*shape, 1, 2, 3), {}),
                          *[(shape, {"reduction": r}) for r in REDUCTIONS],
                          *[(shape, {"weight": make(3), "reduction": r}) for r in REDUCTIONS],
                          (shape, {"ignore_index": 1})]
    for (input_shape, options), probabilities in itertools.product(shapes_and_options, (False, True)):
        if probabilities and "ignore_index" in options:
            continue
        input = make(input_shape)
        if probabilities:
            target = make(input_shape, low=0, high=1)  # not normalised: any real weights of the log-probabilities
        else:
            target = classes((2, *input_shape[2:]), high=3)
            if "ignore_index" in options and bool(torch.all(target == options["ignore_index"])):
                target[0] = 0  # keep one target, as the original does with a random other class
        yield config("common_methods_invocations.sample_inputs_cross_entropy", CE, input, target, **options)


def sample_inputs_mse_loss():
    """sample_inputs_loss (the OpInfo of nn.functional.mse_loss): shapes (), (S,), (S, S), (S, S, S)."""
    shapes_and_options = [((), {}), *[((S,), {"reduction": r}) for r in REDUCTIONS], ((S, S), {}), ((S, S, S), {})]
    for shape, options in shapes_and_options:
        yield config("common_methods_invocations.sample_inputs_loss", MSE, make(shape), make(shape), **options)


def sample_inputs_nll_loss():
    """sample_inputs_nll_loss: batched, unbatched and 2-d-spatial inputs; any-sign weights; ignore_index."""
    shape, n_classes = (2, 3), 3
    weight = lambda **bounds: make(n_classes, **bounds)

    def target(input_shape, zeros=False):
        size = (input_shape[0], *input_shape[2:]) if len(input_shape) > 1 else ()
        return torch.zeros(size, dtype=torch.long) if zeros else classes(size, high=n_classes)

    source = "common_methods_invocations.sample_inputs_nll_loss"
    for reduction, s in itertools.product(("none", "mean", "sum"), (shape, (n_classes,), shape + (2, 2))):
        for options in ({}, {"weight": weight()}, {"weight": weight(low=0)}, {"weight": weight(high=0)}):
            yield config(source, NLL, make(s), target(s), reduction=reduction, **options)
        t = target(s)
        if bool(t.eq(n_classes // 2).all()) and reduction == "mean":
            t.fill_(0)
        yield config(source, NLL, make(s), t, ignore_index=n_classes // 2, reduction=reduction)
        yield config(source, NLL, make(s), t, ignore_index=n_classes // 2, reduction=reduction, weight=weight())
        if reduction != "mean":  # every target ignored
            yield config(source, NLL, make(s), target(s, zeros=True), ignore_index=0, reduction=reduction)
    yield config(source, NLL, make(shape), torch.tensor([-1, 2]), ignore_index=-1)


def sample_inputs_bce_with_logits():
    """sample_inputs_binary_cross_entropy_with_logits: shapes, broadcast weights, pos_weight (S,)."""
    shapes_and_options = [
        *[(shape, {}) for shape in ((), (1,), (S,), (S, S), (S, S, S))],
        *[((S, S), {"reduction": r}) for r in REDUCTIONS],
        *[((S, S), {"reduction": r, "weight": make(w)}) for w in ((1,), (1, S), (S,), (S, S)) for r in REDUCTIONS],
        *[((S, S), {"reduction": r, "pos_weight": make(S, low=0)}) for r in REDUCTIONS],
        *[((S, S), {"reduction": r, "weight": make(S, S), "pos_weight": make(S, low=0)}) for r in REDUCTIONS],
    ]
    for shape, options in shapes_and_options:
        yield config("common_methods_invocations.sample_inputs_binary_cross_entropy_with_logits", BCE,
                     make(shape), make(shape, low=0, high=1), **options)


GENERATORS = [
    common_nn_new_module_tests, common_nn_criterion_tests,
    module_inputs_nll_loss, module_inputs_mse_loss, module_inputs_bce_with_logits_loss,
    module_inputs_cross_entropy_loss, module_error_inputs,
    sample_inputs_cross_entropy, sample_inputs_mse_loss, sample_inputs_nll_loss, sample_inputs_bce_with_logits,
]


def configurations(seed=0):
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return [param for generate in GENERATORS for param in generate()]


# ---------------------------------------------------------------- the comparison


def torch_value_and_gradient(name, input, target, options):
    """F.<name>'s value and ∂(Σ value)/∂input, or the exception torch raises."""
    x = input.clone().requires_grad_(True)
    try:
        value = getattr(F, name)(x, target, **options)
    except Exception as error:  # RuntimeError, ValueError or IndexError
        return error
    value.sum().backward()
    return value.detach().numpy(), x.grad.numpy()


def assert_matches(actual, expected, rtol=1e-10):
    """actual has expected's shape, and each entry is within rtol of it (of its largest finite entry near 0)."""
    assert np.shape(actual) == expected.shape
    scale = np.max(np.abs(expected[np.isfinite(expected)]), initial=0.0)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, equal_nan=True)


@pytest.mark.parametrize("name, input, target, options", configurations())
def test_scratch_loss_and_gradient_match_torch_on_its_own_test_configurations(name, input, target, options):
    arguments = {key: value.numpy() if isinstance(value, torch.Tensor) else value for key, value in options.items()}
    arguments.update(input=input.numpy(), target=target.numpy())
    loss, gradient = getattr(losses, name), getattr(losses, name + "_grad")
    expected = torch_value_and_gradient(name, input, target, options)
    if isinstance(expected, Exception):
        for function in (loss, gradient):
            with pytest.raises((ValueError, TypeError)):
                function(**arguments)
        return
    assert_matches(loss(**arguments), expected[0])
    assert_matches(gradient(**arguments), expected[1])


def test_the_configurations_cover_every_source_and_torch_raises_on_each_error_input():
    params = configurations()
    assert len(params) == 294
    errors = [p for p in params if "-error-" in p.id]
    assert len(errors) == 8
    for param in errors:
        assert isinstance(torch_value_and_gradient(*param.values), Exception), param.id
