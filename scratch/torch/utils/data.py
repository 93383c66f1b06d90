"""torch.utils.data: Dataset, TensorDataset, Subset, random_split, DataLoader and default_collate.

DataLoader draws its shuffling order from scratch.torch's stream (or the given Generator's),
NumPy's permutation rather than torch's randperm: the batches hold other samples than
PyTorch's for the same seed (README: Differences from PyTorch). Without shuffling they match.
"""

import math
import numbers

import numpy as np

from scratch.torch._random import stream
from scratch.torch._tensor import Tensor


class Dataset:
    def __getitem__(self, index):
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are tuples (t₀[i], t₁[i], …) of tensors of one length."""

    def __init__(self, *tensors):
        if any(len(t) != len(tensors[0]) for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return len(self.tensors[0])

    def _batch(self, indices):
        """A whole batch at once: each tensor indexed by the batch's indices (what collating gives)."""
        return [t[Tensor(indices)] for t in self.tensors]


class Subset(Dataset):
    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=None):
    order = stream(generator).permutation(len(dataset)).tolist()
    bounds = np.cumsum([0, *lengths])
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def default_collate(batch):
    """Stack a list of samples: tensors along a new axis 0, numbers into a tensor, tuples field by field."""
    first = batch[0]
    if isinstance(first, Tensor):
        return Tensor(np.stack([b.data for b in batch]))
    if isinstance(first, np.ndarray):
        return Tensor(np.stack(batch))
    if isinstance(first, (bool, np.bool_)):
        return Tensor(np.array(batch, dtype=bool))
    if isinstance(first, numbers.Integral):
        return Tensor(np.array(batch, dtype=np.int64))
    if isinstance(first, numbers.Real):
        return Tensor(np.array(batch, dtype=np.float64))  # as torch: Python floats collate to float64
    if isinstance(first, dict):
        return {key: default_collate([b[key] for b in batch]) for key in first}
    if isinstance(first, (tuple, list)):
        return [default_collate(list(field)) for field in zip(*batch)]
    return batch


class DataLoader:
    """Batches of ``batch_size`` samples, in order or shuffled each epoch; the last one shorter unless drop_last."""

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 generator=None, **kwargs):
        if batch_size is not None and (not isinstance(batch_size, numbers.Integral) or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.dataset, self.batch_size, self.shuffle, self.drop_last = dataset, batch_size, shuffle, drop_last
        self.sampler, self.collate_fn, self.generator = sampler, collate_fn, generator

    def _order(self):
        if self.sampler is not None:
            return list(self.sampler)
        n = len(self.dataset)
        return stream(self.generator).permutation(n) if self.shuffle else np.arange(n)

    def __iter__(self):
        order = np.asarray(self._order(), dtype=np.int64)
        if self.batch_size is None:
            yield from (self.dataset[int(i)] for i in order)
            return
        for start in range(0, len(order), self.batch_size):
            indices = order[start:start + self.batch_size]
            if self.drop_last and len(indices) < self.batch_size:
                return
            if self.collate_fn is None and hasattr(self.dataset, "_batch"):
                yield self.dataset._batch(indices)
            else:
                yield (self.collate_fn or default_collate)([self.dataset[int(i)] for i in indices])

    def __len__(self):
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
