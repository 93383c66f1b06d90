"""scratch: an introductory PyTorch lecture rebuilt from scratch in NumPy."""

__version__ = "0.1.0"
