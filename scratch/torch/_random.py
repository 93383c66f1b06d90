"""Random numbers: torch.manual_seed, torch.Generator, randn, rand, randint, randperm.

The draws come from NumPy's PCG64 seeded with the given seed, not from torch's Mersenne
Twister, so ``torch.manual_seed(0); torch.randn(3)`` gives other numbers than PyTorch —
reproducible run to run, but not equal to PyTorch's. Scripts compared with PyTorch number for
number set their initial values explicitly (README: Differences from PyTorch).
"""

import numpy as np

DEFAULT_SEED = 67280421310721  # torch's default_generator seed


class Generator:
    """torch.Generator: an independent stream, ``manual_seed(s)`` restarts it."""

    def __init__(self, device="cpu"):
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self.rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self):
        return self._seed


default_generator = Generator()


def manual_seed(seed):
    """Restart the default stream (init of layers, randn, rand, DataLoader's shuffling) from ``seed``."""
    return default_generator.manual_seed(seed)


def initial_seed():
    return default_generator.initial_seed()


def stream(generator=None):
    """The NumPy Generator of ``generator`` (torch.Generator), else of the default one."""
    return (generator or default_generator).rng
