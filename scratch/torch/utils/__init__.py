"""torch.utils: the data loading of torch.utils.data."""

from scratch.torch.utils import data  # noqa: F401
