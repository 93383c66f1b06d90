"""Weights to and from PyTorch as safetensors files: PyTorch's key names and layouts.

    export_safetensors(model, "model.safetensors")      # torch: module.load_state_dict(load_file(path))
    import_safetensors(model, "torch.safetensors")     # a torch state_dict saved with save_file

The file holds ``model.state_dict()`` — for a Network, torch.nn.Sequential's keys
("0.weight" (out, in), "0.bias"); for a regression model, torch.nn.Linear's ("weight" (K, D),
"bias") — and nothing else: the architecture and the input transform stay with
``scratch.persistence``'s .npz. Needs the optional ``safetensors`` package (its NumPy API;
``pip install -e '.[safetensors]'``).
"""

import numpy as np

from scratch._files import NOT_REGULAR, FileContentError, open_regular_file, write_atomically


def _safetensors_numpy():
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError(
            "safetensors files need the optional package safetensors: pip install safetensors "
            "(or pip install -e '.[safetensors]')."
        ) from None
    return safetensors.numpy


def export_safetensors(model, path):
    """Write ``model.state_dict()`` to ``path`` as safetensors, atomically; returns the path written.

    Weights that are not finite are refused: no importer (``import_safetensors`` included) should load them.
    """
    state = {key: np.ascontiguousarray(value) for key, value in model.state_dict().items()}
    broken = [key for key, value in state.items() if not np.isfinite(value).all()]
    if broken:
        raise ValueError(f"the model's {', '.join(broken)} hold NaN or inf (diverged training?); not exported.")
    payload = _safetensors_numpy().save(state)
    return write_atomically(path, lambda file: file.write(payload))


def import_safetensors(model, path):
    """Load a safetensors state dict (e.g. torch's, saved with ``save_file``) into ``model``; returns it.

    Keys and shapes must match ``model.state_dict()`` exactly (``load_state_dict``'s checks).
    """
    safetensors_numpy = _safetensors_numpy()
    from safetensors import SafetensorError

    file, _ = open_regular_file(path, lambda shown: FileContentError(f"{shown}: {NOT_REGULAR}."))
    with file:  # OSError (missing, unreadable) passes as it is
        payload = file.read()
    try:
        state = safetensors_numpy.load(payload)
    except (SafetensorError, ValueError, RuntimeError) as exc:
        raise FileContentError(f"{path}: not a readable safetensors file ({type(exc).__name__}: {exc}).") from None
    return model.load_state_dict(state)
