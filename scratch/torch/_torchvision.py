"""A small torchvision for the lecture's image demo: datasets.MNIST/FashionMNIST and transforms.

The images come from scratch.datasets (load_mnist, load_fashion_mnist: the installed local
copies), never from a download; ``download=True`` changes nothing. Without a transform an
image is returned as a uint8 tensor (H, W) where torchvision returns a PIL image.
"""

import types

import numpy as np

from scratch import datasets as _datasets
from scratch.torch._tensor import Tensor


class ToTensor:
    """uint8 (H, W) in 0…255 → float32 (1, H, W) in [0, 1], as torchvision's ToTensor."""

    def __call__(self, image):
        image = np.asarray(getattr(image, "data", image))
        return Tensor((image.astype(np.float32) / 255)[..., None, :, :])

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    def __init__(self, mean, std):
        self.mean, self.std = np.asarray(mean, np.float32), np.asarray(std, np.float32)

    def __call__(self, t):
        shape = (-1, 1, 1)
        return Tensor((t.data - self.mean.reshape(shape)) / self.std.reshape(shape))


class Compose:
    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


class Lambda:
    def __init__(self, fn):
        self.fn = fn

    def __call__(self, x):
        return self.fn(x)


_BATCHABLE = (ToTensor, Normalize, Compose)  # transforms that act on a stack of images as on one


class _ImageFolder:
    _load = None

    def __init__(self, root=None, train=True, download=False, transform=None, target_transform=None):
        data = type(self)._load()
        images, labels = (data.X_train, data.y_train) if train else (data.X_test, data.y_test)
        self.data, self.targets = Tensor(images), Tensor(labels.astype(np.int64))
        self.classes = list(getattr(data, "class_names", range(10)))
        self.transform, self.target_transform, self.train = transform, target_transform, train

    def __len__(self):
        return len(self.data.data)

    def __getitem__(self, index):
        image, label = self.data.data[index], int(self.targets.data[index])
        image = self.transform(image) if self.transform else Tensor(image)
        return image, (self.target_transform(label) if self.target_transform else label)

    def _batch(self, indices):
        """A batch at once when the transforms act on a stack (ToTensor, Normalize), else sample by sample."""
        transforms = getattr(self.transform, "transforms", [self.transform])
        if self.target_transform or not all(isinstance(t, _BATCHABLE) for t in transforms if t is not None):
            from scratch.torch.utils.data import default_collate

            return default_collate([self[int(i)] for i in indices])
        images = self.data.data[indices]
        images = self.transform(images) if self.transform else Tensor(images)
        return [images, Tensor(self.targets.data[indices])]


class MNIST(_ImageFolder):
    _load = staticmethod(_datasets.load_mnist)


class FashionMNIST(_ImageFolder):
    _load = staticmethod(_datasets.load_fashion_mnist)


def modules():
    """{"torchvision": …, "torchvision.datasets": …, "torchvision.transforms": …} as module objects."""
    datasets = types.ModuleType("torchvision.datasets")
    datasets.MNIST, datasets.FashionMNIST = MNIST, FashionMNIST
    transforms = types.ModuleType("torchvision.transforms")
    transforms.ToTensor, transforms.Normalize, transforms.Compose, transforms.Lambda = ToTensor, Normalize, Compose, Lambda
    vision = types.ModuleType("torchvision")
    vision.datasets, vision.transforms = datasets, transforms
    return {"torchvision": vision, "torchvision.datasets": datasets, "torchvision.transforms": transforms}
