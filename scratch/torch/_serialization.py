"""torch.save / torch.load for state dicts, as a NumPy .npz archive instead of a pickle.

PyTorch pickles any object; scratch writes only a dict of tensors (a module's or a
``{name: tensor}`` of the user's) and numbers, so loading a file never runs code. A file
written by scratch is not a PyTorch checkpoint, nor the reverse (README: Differences from PyTorch).
"""

import collections
import numbers
import os

import numpy as np

from scratch.torch._tensor import Tensor

_NUMBER = "__number__:"  # a key prefix that marks a plain number, so it loads as one


def save(obj, f):
    """Write a dict {str: tensor or number} to ``f`` (a path, kept as given, or a binary file)."""
    if not isinstance(obj, dict) or not all(isinstance(k, str) for k in obj):
        raise TypeError(
            f"scratch.torch.save writes a dict of tensors with str keys (a state_dict), not a pickle; got "
            f"{type(obj).__name__}."
        )
    arrays = {}
    for key, value in obj.items():
        if isinstance(value, Tensor):
            arrays[key] = value.data
        elif isinstance(value, numbers.Number):
            arrays[_NUMBER + key] = np.asarray(value)
        else:
            raise TypeError(f"scratch.torch.save: {key!r} holds a {type(value).__name__}; only tensors and numbers.")
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as handle:  # a handle, so that NumPy does not append ".npz" to the name
            np.savez(handle, **arrays)
    else:
        np.savez(f, **arrays)


def load(f, map_location=None, weights_only=True):
    """The dict ``save`` wrote: tensors as tensors, numbers as Python numbers (never unpickled)."""
    with np.load(f, allow_pickle=False) as archive:
        out = collections.OrderedDict()
        for key in archive.files:
            if key.startswith(_NUMBER):
                out[key[len(_NUMBER):]] = archive[key].item()
            else:
                out[key] = Tensor(archive[key])
        return out
