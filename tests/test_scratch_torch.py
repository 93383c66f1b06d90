"""The lecture's PyTorch programs (examples/*.py), unchanged, under PyTorch and under `python -m scratch.torch`.

Each script runs in a subprocess twice: with the real PyTorch (skipped where it is not
installed) and on scratch; every line must match, its numbers to float32 precision. A
scratch run must never load the real package: `torch` in sys.modules is scratch.torch.
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
HAS_TORCH = importlib.util.find_spec("torch") is not None


def run(*args, cwd=ROOT):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def same_output(expected, got, rtol=2e-4, atol=2e-6):
    """Line by line: the same words, and numbers equal to float32 precision."""
    expected, got = expected.splitlines(), got.splitlines()
    assert len(expected) == len(got), f"{len(got)} lines instead of {len(expected)}"
    for a, b in zip(expected, got):
        assert NUMBER.sub("#", a) == NUMBER.sub("#", b), f"{b!r} instead of {a!r}"
        for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
            assert abs(float(x) - float(y)) <= atol + rtol * abs(float(x)), f"{b!r} instead of {a!r}"


def test_the_comparison_catches_a_wrong_number():
    same_output("loss 0.693147 [1, 2]", "loss 0.6931475 [1, 2]")
    with pytest.raises(AssertionError):
        same_output("loss 0.693147", "loss 0.6935")
    with pytest.raises(AssertionError):
        same_output("w 1.0", "b 1.0")


@pytest.mark.parametrize(
    "script", [pytest.param(p, marks=pytest.mark.slow) if p.name.startswith("mnist") else p for p in EXAMPLES],
    ids=lambda p: p.name)
def test_example_prints_what_pytorch_prints(script):
    if script.name.startswith("mnist"):
        from scratch.datasets import DataNotFoundError, load_mnist

        try:
            load_mnist()
        except DataNotFoundError as error:
            pytest.skip(str(error))
    got = run("-m", "scratch.torch", str(script))
    assert got.strip(), "the script printed nothing"
    if not HAS_TORCH:
        pytest.skip("PyTorch is not installed: ran on scratch only")
    same_output(run(str(script)), got)


def test_the_real_torch_is_never_imported(tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(
        "import sys\nimport torch, torch.nn.functional as F, torchvision\n"
        "from torch.utils.data import DataLoader\n"
        "print(torch.__name__, F.__name__, sys.argv[1:])\n"
        "print(sorted(m for m in sys.modules if m.startswith('torch.') and not m.startswith('torch.nn')"
        " and not m.startswith('torch.optim') and not m.startswith('torch.utils')))\n"
    )
    out = run("-m", "scratch.torch", str(script), "--epochs", "2", cwd=tmp_path).splitlines()
    assert out[0] == "scratch.torch scratch.torch.nn.functional ['--epochs', '2']"
    assert out[1] == "[]"  # no torch._C, torch._tensor …: nothing of the real package


def test_a_missing_script_is_named(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "scratch.torch", "nowhere.py"], capture_output=True, text=True,
                            env=env, cwd=tmp_path)
    assert result.returncode == 2 and "nowhere.py" in result.stderr


TORCHVISION_DEMO = '''
import torch
from torch import nn
from torchvision import datasets, transforms

train = datasets.MNIST("data", train=True, download=True, transform=transforms.ToTensor())
image, label = train[0]
print(tuple(image.shape), image.dtype, type(label).__name__, len(train))
loader = torch.utils.data.DataLoader(train, batch_size=500, shuffle=True, generator=torch.Generator().manual_seed(0))
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
for batch, (images, labels) in enumerate(loader):
    optimizer.zero_grad()
    loss = criterion(model(images), labels)
    loss.backward()
    optimizer.step()
    if batch == 20:
        break
print(tuple(images.shape), labels.dtype, loss.item())
'''


@pytest.mark.slow
def test_the_torchvision_demo_runs_on_scratch(tmp_path):
    from scratch.datasets import DataNotFoundError, load_mnist

    try:
        load_mnist()
    except DataNotFoundError as error:
        pytest.skip(str(error))
    script = tmp_path / "demo.py"
    script.write_text(TORCHVISION_DEMO)
    first, second = run("-m", "scratch.torch", str(script), cwd=tmp_path).splitlines()
    assert first == "(1, 28, 28) torch.float32 int 60000"
    assert second.startswith("(500, 1, 28, 28) torch.int64 ")
    assert float(second.split()[-1]) < 0.6  # 21 steps have learnt: the loss starts near log 10 = 2.3
