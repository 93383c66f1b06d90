"""scratch.torch against PyTorch on the same inputs: values, dtypes and gradients of each op and layer.

Every case runs one function with both libraries (``lib`` is torch or scratch.torch) on the
same arrays, then backpropagates the same non-uniform upstream gradient; outputs, dtypes and
every input's gradient must agree to float32 precision.
"""

import numpy as np
import pytest

import scratch.torch as st

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
A = rng.normal(size=(3, 4)).astype(np.float32)
B = rng.normal(size=(4, 2)).astype(np.float32)
ROW = rng.normal(size=(4,)).astype(np.float32)
POS = rng.uniform(0.5, 2.0, size=(3, 4)).astype(np.float32)
PROB = rng.uniform(0.05, 0.95, size=(3, 4)).astype(np.float32)
LABELS = np.array([2, 0, 3])
TIES = np.array([[1.0, 3.0, 3.0], [2.0, 0.5, 2.0]], np.float32)

CASES = {
    "add broadcast": (lambda l, a, r: a + r * 2, A, ROW),
    "sub, rsub": (lambda l, a, r: 1 - a - r, A, ROW),
    "mul, div": (lambda l, a, p: a * p / (p + 1), A, POS),
    "pow": (lambda l, p: p**3 + 2 ** p, POS),
    "pow tensor": (lambda l, p, q: p**q, POS, PROB),
    "matmul": (lambda l, a, b: a @ b, A, B),
    "matmul vector": (lambda l, a, r: a @ r, A, ROW),
    "exp log": (lambda l, p: l.exp(p).log() + p.log(), POS),
    "sigmoid tanh relu": (lambda l, a: l.sigmoid(a) + a.tanh() + l.relu(a), A),
    "softmax dim 1": (lambda l, a: l.softmax(a, dim=1), A),
    "softmax dim 0": (lambda l, a: a.softmax(0), A),
    "log_softmax": (lambda l, a: l.log_softmax(a, dim=1), A),
    "sum": (lambda l, a: a.sum(), A),
    "sum dim keepdim": (lambda l, a: a.sum(dim=1, keepdim=True) * a, A),
    "sum dims": (lambda l, a: a.sum(dim=(0, 1)), A),
    "mean dim": (lambda l, a: a.mean(dim=0), A),
    "mean -1 keepdim": (lambda l, a: a.mean(-1, keepdim=True), A),
    "max dim": (lambda l, a: a.max(dim=1).values, A),
    "min dim keepdim": (lambda l, a: a.min(dim=0, keepdim=True)[0], A),
    "max ties": (lambda l, t: t.max(), TIES),
    "view flatten": (lambda l, a: a.view(2, 6).flatten() * 1, A),
    "reshape -1": (lambda l, a: a.reshape(-1, 2), A),
    "squeeze unsqueeze": (lambda l, a: a.unsqueeze(0).unsqueeze(-1).squeeze(), A),
    "T transpose permute": (lambda l, a: a.T + a.transpose(0, 1) + a.permute(1, 0), A),
    "index int slice": (lambda l, a: a[1] + a[:, 2].sum() + a[-1, 1:3].sum(), A),
    "index mask": (lambda l, a: a[a > 0], A),
    "index tensor": (lambda l, a: a[l.tensor([0, 2, 0])], A),
    "cat stack": (lambda l, a, r: l.cat([a, r.unsqueeze(0)], dim=0) + l.stack([r, r, r, r]).sum(), A, ROW),
    "clamp abs": (lambda l, a: a.clamp(min=-0.5, max=0.5) + a.abs(), A),
    "linear": (lambda l, a, w, r: l.nn.functional.linear(a, w, r[:3]), A, A, ROW),
    "linear no bias, 3-d": (lambda l, a, w: l.nn.functional.linear(a.reshape(3, 2, 2), w[:, :2]), A, A),
    "mse": (lambda l, a, p: l.nn.functional.mse_loss(a, p), A, POS),
    "mse sum none": (lambda l, a, p: l.nn.MSELoss(reduction="none")(a, p) + l.nn.MSELoss(reduction="sum")(a, p), A, POS),
    "bce with logits": (lambda l, a, p: l.nn.BCEWithLogitsLoss()(a, p), A, PROB),
    "bce with logits options": (lambda l, a, p, r: l.nn.functional.binary_cross_entropy_with_logits(
        a, p, weight=r, pos_weight=r.abs(), reduction="sum"), A, PROB, ROW),
    "bce": (lambda l, p, q: l.nn.BCELoss()(p, q), PROB, PROB[::-1].copy()),
    "bce none": (lambda l, p, q: l.nn.functional.binary_cross_entropy(p, q, reduction="none"), PROB, POS / 2.1),
    "cross entropy": (lambda l, a: l.nn.CrossEntropyLoss()(a, l.tensor(LABELS)), A),
    "cross entropy options": (lambda l, a, p: l.nn.CrossEntropyLoss(
        weight=l.tensor([1.0, 2.0, 0.5, 1.0]), label_smoothing=0.1, ignore_index=0)(a, l.tensor(LABELS)), A, POS),
    "cross entropy none": (lambda l, a: l.nn.functional.cross_entropy(a, l.tensor(LABELS), reduction="none"), A),
    "cross entropy probabilities": (lambda l, a, p: l.nn.functional.cross_entropy(a, l.softmax(p, dim=1)), A, POS),
    "nll": (lambda l, a: l.nn.NLLLoss()(l.log_softmax(a, dim=1), l.tensor(LABELS)), A),
    "nll none weight": (lambda l, a: l.nn.functional.nll_loss(a, l.tensor(LABELS), weight=l.tensor(
        [1.0, 2.0, 0.5, 1.0]), reduction="none"), A),
}


LOSSES = ("mse", "bce", "cross entropy", "nll")  # their targets need no gradient (README: Differences)


def run(lib, fn, arrays, name=""):
    inputs = [lib.tensor(a, requires_grad=i == 0 or not name.startswith(LOSSES)) for i, a in enumerate(arrays)]
    out = fn(lib, *inputs)
    weights = lib.tensor(np.linspace(0.5, 1.5, out.numel()).astype(np.float32).reshape(tuple(out.shape)))
    (out * weights).sum().backward()
    grads = [np.zeros(a.shape) if t.grad is None else t.grad.numpy() for a, t in zip(arrays, inputs)]
    return out.detach().numpy(), str(out.dtype), grads


@pytest.mark.parametrize("name", CASES)
def test_values_and_gradients_match_pytorch(name):
    fn, *arrays = CASES[name]
    expected, got = run(torch, fn, arrays, name), run(st, fn, arrays, name)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-5, atol=1e-6)
    assert got[1] == expected[1]
    for g, e in zip(got[2], expected[2]):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda l: l.tensor([1, 2]), lambda l: l.tensor([1.0, 2.0]), lambda l: l.tensor([True]),
    lambda l: l.tensor([1, 2]) / 2, lambda l: l.tensor([1, 2]) + 2.5, lambda l: l.tensor([1, 2]) * 2,
    lambda l: l.tensor([1.0]) + l.tensor(2.0, dtype=l.float64), lambda l: l.tensor([1.0], dtype=l.float64) + 1,
    lambda l: l.tensor([1, 2]) + l.tensor([0.5]), lambda l: l.tensor(np.arange(3.0)),
    lambda l: l.arange(5), lambda l: l.arange(0, 1, 0.25), lambda l: l.arange(-1.5, 2.2, dtype=l.int64),
    lambda l: l.linspace(0, 1, 5), lambda l: l.full((2,), 3), lambda l: l.full((2,), 3.0),
    lambda l: l.zeros(2, 3), lambda l: l.ones((2,), dtype=l.int64), lambda l: l.tensor([1, 2]).sum(),
    lambda l: l.tensor([[0, 4], [4, 3], [1, 1]]).argmax(dim=0), lambda l: l.tensor([1.0, 2.0]) > 1,
    lambda l: l.tensor([1, 2]).float().mean(), lambda l: l.exp(l.tensor([1, 2])),
], ids=lambda f: "")
def test_dtypes_and_values_match_pytorch(make):
    expected, got = make(torch), make(st)
    assert str(got.dtype) == str(expected.dtype) and tuple(got.shape) == tuple(expected.shape)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)
    assert repr(got) == repr(expected)


def build(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Linear(4, 3), lib.nn.ReLU(), lib.nn.Linear(3, 2, bias=False))
            self.act = lib.nn.Sigmoid()
            self.probs = lib.nn.Softmax(dim=1)

        def forward(self, x):
            return self.probs(self.act(self.body(x)))

    net = Net()
    with lib.no_grad():
        for i, p in enumerate(net.parameters()):
            p.copy_(lib.linspace(-1, 1, p.numel()).reshape(p.shape) * (i + 1))
    return net


def test_module_structure_and_repr_match_pytorch():
    a, b = build(torch), build(st)
    assert repr(b) == repr(a)
    assert [n for n, _ in b.named_parameters()] == [n for n, _ in a.named_parameters()]
    assert len(list(b.modules())) == len(list(a.modules())) and len(list(b.children())) == len(list(a.children()))
    assert list(b.state_dict()) == list(a.state_dict())
    assert not b.eval().body[1].training and b.train().body[1].training
    assert len(b.body) == 4 and isinstance(b.body[1:3], st.nn.Sequential) and len(b.body.append(st.nn.Tanh())) == 5


@pytest.mark.parametrize("options", [
    {}, {"momentum": 0.9}, {"momentum": 0.9, "dampening": 0.3}, {"momentum": 0.8, "nesterov": True},
    {"weight_decay": 0.1, "momentum": 0.5}, {"maximize": True},
])
def test_sgd_and_schedulers_train_as_pytorch(options):
    x = np.linspace(-1, 1, 12).reshape(3, 4).astype(np.float32)
    results = []
    for lib in (torch, st):
        net = build(lib)
        optimizer = lib.optim.SGD(net.parameters(), lr=0.3, **options)
        schedulers = lib.optim.lr_scheduler
        if len(options) % 2:  # one schedule per optimizer: scratch's are closed forms, they do not chain
            scheduler = schedulers.StepLR(optimizer, step_size=2, gamma=0.5)
        else:
            scheduler = schedulers.CosineAnnealingLR(optimizer, T_max=4, eta_min=0.01)
        for step in range(4):
            optimizer.zero_grad(set_to_none=step % 2 == 0)
            net(lib.tensor(x))[:, 0].sum().backward()
            optimizer.step()
            scheduler.step()
        results.append(([p.detach().numpy().copy() for p in net.parameters()], optimizer.param_groups[0]["lr"]))
    for e, g in zip(*(r[0] for r in results)):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    assert results[1][1] == pytest.approx(results[0][1])


def test_a_parameter_without_grad_is_skipped_as_pytorch():
    for lib in (torch, st):
        w, v = lib.tensor([1.0], requires_grad=True), lib.tensor([1.0], requires_grad=True)
        optimizer = lib.optim.SGD([w, v], lr=0.5, momentum=0.9)
        for _ in range(2):
            optimizer.zero_grad()
            (w * 3).sum().backward()
            optimizer.step()
        assert v.item() == 1.0 and w.item() == pytest.approx(1 - 1.5 - 0.5 * (3 * 0.9 + 3))


def test_dataloader_batches_as_pytorch():
    X, y = np.arange(20.0, dtype=np.float32).reshape(10, 2), np.arange(10)
    for drop_last in (False, True):
        batches = []
        for lib in (torch, st):
            loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(lib.tensor(X), lib.tensor(y)),
                                               batch_size=4, drop_last=drop_last)
            batches.append([(xb.numpy().tolist(), yb.numpy().tolist(), str(yb.dtype)) for xb, yb in loader])
            batches[-1].append(len(loader))
        assert batches[0] == batches[1]
    shuffled = st.utils.data.DataLoader(st.utils.data.TensorDataset(st.tensor(y)), batch_size=3, shuffle=True,
                                        generator=st.Generator().manual_seed(1))
    order = [int(i) for (b,) in shuffled for i in b]
    assert sorted(order) == list(range(10)) and order != list(range(10))
    again = [int(i) for (b,) in st.utils.data.DataLoader(st.utils.data.TensorDataset(st.tensor(y)), batch_size=3,
                                                         shuffle=True, generator=st.Generator().manual_seed(1))
             for i in b]
    assert again == order


def test_linear_init_is_pytorchs_uniform_bound():
    layer = st.nn.Linear(400, 30)
    bound = 1 / 20
    assert layer.weight.dtype == st.float32 and np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.9 * bound and np.abs(layer.bias.data).max() <= bound


def test_autograd_semantics():
    x = st.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward()
    first = x.grad
    (y * y).sum().backward()  # accumulates, in place
    assert first is x.grad and x.grad.tolist() == [36.0, 72.0] and y.grad.tolist() == [12.0, 24.0]
    with st.no_grad():
        z = x * 2
    assert not z.requires_grad and z.grad_fn is None and y.grad_fn.name() == "MulBackward0"
    assert not x.detach().requires_grad and x.detach().data is x.data
    with st.no_grad():
        x -= 0.5 * x.grad
    assert x.is_leaf and x.tolist() == [-17.0, -34.0]
    x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0]


def test_state_dict_save_and_load_round_trip(tmp_path):
    net = build(st)
    path = tmp_path / "net.pt"
    st.save(net.state_dict(), path)
    other = build(st)
    with st.no_grad():
        for p in other.parameters():
            p.zero_()
    assert repr(other.load_state_dict(st.load(path))) == "<All keys matched successfully>"
    assert all(st.equal(a, b) for a, b in zip(net.parameters(), other.parameters()))
    assert path.exists() and not (tmp_path / "net.pt.npz").exists()


@pytest.mark.parametrize("bad", [
    lambda l: l.ones(2, 3) @ l.ones(2, 3),
    lambda l: l.ones(2, 3, requires_grad=True).exp().backward(),
    lambda l: l.ones(2, requires_grad=True).add_(1),
    lambda l: l.ones(2, 3) + l.ones(4),
    lambda l: l.ones(2, requires_grad=True).numpy(),
    lambda l: l.ones(6).view(4, 2),
    lambda l: l.ones(3)[l.tensor([0.0])],
    lambda l: l.tensor(1.0).backward(),
    lambda l: l.nn.Linear(3, 2)(l.ones(4, 5)),
    lambda l: l.nn.Linear(2, 1).load_state_dict({"weight": l.ones(1, 2)}),
    lambda l: l.nn.Module().forward(),
    lambda l: l.optim.SGD([l.ones(1, requires_grad=True)], lr=-1),
], ids=["matmul shapes", "backward non-scalar", "in-place leaf", "broadcast", "numpy with grad", "view size",
        "float index", "backward without grad", "linear width", "missing key", "no forward", "negative lr"])
def test_bad_input_gets_pytorchs_error_type(bad):
    with pytest.raises(Exception) as expected:
        bad(torch)
    with pytest.raises(expected.type) as got:
        bad(st)
    assert str(got.value)


def test_two_schedulers_on_one_optimizer_compose_as_in_pytorch():
    torch = pytest.importorskip("torch")
    import scratch.torch as st

    def trajectory(T):
        p = T.zeros(1, requires_grad=True)
        opt = T.optim.SGD([p], lr=0.3)
        step, cosine = T.optim.lr_scheduler.StepLR(opt, 4, 0.5), T.optim.lr_scheduler.CosineAnnealingLR(opt, 5, 0.01)
        lrs = []
        for _ in range(12):
            opt.step(), step.step(), cosine.step()
            lrs.append(opt.param_groups[0]["lr"])
        return lrs

    np.testing.assert_allclose(trajectory(st), trajectory(torch), rtol=1e-12)


def test_the_usual_device_line_picks_the_cpu_and_another_device_is_refused_as_torch_does():
    torch = pytest.importorskip("torch")
    device = st.device("cuda" if st.cuda.is_available() else "cpu")
    assert str(device) == "cpu" and repr(device) == repr(torch.device("cpu"))
    model, x = st.nn.Linear(2, 1).to(device), st.ones(3, 2).to(device)
    assert x.device == "cpu" and x.device == device and model(x).shape == (3, 1)
    assert x.to("cpu", st.float64).dtype == st.float64
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        x.to("cuda")
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        model.to(st.device("cuda", 0))
