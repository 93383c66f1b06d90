"""Devices: scratch runs on the CPU only. ``torch.device("cpu")`` and ``.to("cpu")`` are accepted and change
nothing; ``torch.cuda.is_available()`` is False, so the usual ``device = torch.device("cuda" if
torch.cuda.is_available() else "cpu")`` picks the CPU; asking for another device raises PyTorch's error."""


class device:
    """torch.device: ``device("cpu")``, ``device("cuda", 0)``; only "cpu" can hold tensors here."""

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        self.type, _, given = str(type).partition(":")
        self.index = int(given) if given else index

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        return str(self) == str(device(other)) if isinstance(other, (str, device)) else NotImplemented

    def __hash__(self):
        return hash(str(self))


def is_device(value):
    """A device given as a torch.device or a string such as "cpu" or "cuda:0"."""
    return isinstance(value, device) or (isinstance(value, str) and value.partition(":")[0] in DEVICE_TYPES)


def check_device(value):
    """None or a CPU device; any other device raises PyTorch's error for a build without it."""
    if value is not None and device(value).type != "cpu":
        raise AssertionError("Torch not compiled with CUDA enabled" if device(value).type == "cuda"
                             else f"scratch.torch runs on the CPU only; got device {str(device(value))!r}")


DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta")


class cuda:
    """torch.cuda on a machine without CUDA."""

    @staticmethod
    def is_available():
        return False

    @staticmethod
    def device_count():
        return 0
