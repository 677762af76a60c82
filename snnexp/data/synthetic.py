"""Synthetic class-conditioned images for benchmarks and smoke tests (no files needed)."""

from __future__ import annotations

import torch
from torch.utils.data import TensorDataset

from snnexp.data.base import ImageDataModule


def make_synthetic(n: int, num_classes: int, in_channels: int, img_size: int, noise: float,
                   seed: int, split: int) -> TensorDataset:
    """Each class has a fixed random prototype (seeded by `seed`); samples add Gaussian noise."""
    protos = torch.randn(num_classes, in_channels, img_size, img_size,
                         generator=torch.Generator().manual_seed(seed))
    g = torch.Generator().manual_seed(seed * 1000 + split + 1)
    labels = torch.randint(0, num_classes, (n,), generator=g)
    images = protos[labels] + noise * torch.randn(n, in_channels, img_size, img_size, generator=g)
    return TensorDataset(images, labels)


class SyntheticDataModule(ImageDataModule):
    """Tensors straight from `make_synthetic` (no image transforms)."""

    def __init__(self, num_classes: int = 10, in_channels: int = 3, img_size: int = 32, batch_size: int = 32,
                 num_workers: int = 0, train_size: int = 512, val_size: int = 128, test_size: int = 128,
                 noise: float = 0.5, seed: int = 0):
        super().__init__(num_classes, in_channels, img_size, batch_size, num_workers)
        self.sizes = (train_size, val_size, test_size)
        self.noise, self.seed = noise, seed

    def setup(self, stage=None):
        args = (self.num_classes, self.in_channels, self.img_size, self.noise, self.seed)
        self.train_set, self.val_set, self.test_set = (
            make_synthetic(n, *args, split=i) for i, n in enumerate(self.sizes))
