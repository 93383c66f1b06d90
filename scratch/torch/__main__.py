"""python -m scratch.torch SCRIPT [ARGS]: run a PyTorch script on scratch, unchanged.

Before the script runs, scratch.torch and its submodules are installed in ``sys.modules``
under torch's names (torch, torch.nn, torch.nn.functional, torch.nn.init, torch.optim,
torch.optim.lr_scheduler, torch.utils, torch.utils.data), with a small ``torchvision``
(datasets.MNIST / FashionMNIST from scratch's local data, transforms.ToTensor), so its
``import torch`` finds scratch and the real PyTorch is never loaded. The script then runs as
``__main__`` with ``sys.argv = [SCRIPT, *ARGS]``, as ``python SCRIPT ARGS`` would run it.
"""

import runpy
import sys
from pathlib import Path

import scratch.torch
from scratch.torch import _torchvision

ALIASES = {
    "torch": "scratch.torch",
    "torch.nn": "scratch.torch.nn",
    "torch.nn.functional": "scratch.torch.nn.functional",
    "torch.nn.init": "scratch.torch.nn.init",
    "torch.optim": "scratch.torch.optim",
    "torch.optim.lr_scheduler": "scratch.torch.optim.lr_scheduler",
    "torch.utils": "scratch.torch.utils",
    "torch.utils.data": "scratch.torch.utils.data",
}


def install():
    """Make ``import torch`` (and torchvision) find scratch's modules."""
    for alias, name in ALIASES.items():
        sys.modules[alias] = sys.modules[name]
    for alias, module in _torchvision.modules().items():
        sys.modules[alias] = module


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m scratch.torch SCRIPT [ARGS ...]  (runs a PyTorch script on scratch)")
        return 0 if argv else 2
    script = Path(argv[0])
    if not script.is_file():
        print(f"python -m scratch.torch: no script {argv[0]!r} (give the path of a .py file)", file=sys.stderr)
        return 2
    install()
    sys.argv = [str(script), *argv[1:]]
    sys.path.insert(0, str(script.resolve().parent))
    runpy.run_path(str(script), run_name="__main__")
    return 0


assert scratch.torch  # the package is imported before the aliases point at it
if __name__ == "__main__":
    sys.exit(main())
