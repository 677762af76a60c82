"""CIFAR-10/100 from torchvision's python-pickle batches."""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Subset
from torchvision import datasets

from snnexp.data.base import ImageDataModule
from snnexp.errors import DatasetNotFoundError

_CLASSES = {10: datasets.CIFAR10, 100: datasets.CIFAR100}
_MEAN_STD = {10: ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
             100: ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762))}


def _cifar(variant: int, root: str, train: bool, download: bool):
    """torchvision's CIFAR with the per-file md5 checks dropped (the downloaded archive is still
    md5-checked): a folder holding every batch file is used as is, so re-pickled or test-made copies load."""
    base = _CLASSES[variant]
    unchecked = type(f"Unchecked{base.__name__}", (base,), {
        "train_list": [[name, None] for name, _ in base.train_list],
        "test_list": [[name, None] for name, _ in base.test_list],
        "meta": dict(base.meta, md5=None),
    })
    return unchecked(root, train=train, download=download)


class CIFARDataModule(ImageDataModule):
    """CIFAR-`variant`; validation = the test set unless `val_size` > 0 (held out from train by seed 0)."""

    def __init__(self, variant: int = 10, root: str = "data", download: bool = False, val_size: int = 0, **kw):
        if variant not in _CLASSES:
            raise ValueError(f"CIFAR variant must be 10 or 100, got {variant}")
        super().__init__(**kw)
        self.variant, self.root, self.download, self.val_size = variant, str(root), download, val_size
        self.mean, self.std = _MEAN_STD[variant]

    def _folder(self) -> Path:
        return Path(self.root) / _CLASSES[self.variant].base_folder

    def prepare_data(self) -> None:
        if self.download:
            for train in (True, False):
                _cifar(self.variant, self.root, train, download=True)

    def _load_splits(self):
        folder = self._folder()
        if not self.download and not folder.is_dir():
            raise DatasetNotFoundError(
                f"CIFAR-{self.variant} not found: looked for {folder}. Either run with "
                f"dataset.download=true (needs internet), or put the extracted '{folder.name}' folder "
                f"from https://www.cs.toronto.edu/~kriz/ under {self.root} (or set dataset.root=<dir>).")
        train = _cifar(self.variant, self.root, True, self.download)
        test = _cifar(self.variant, self.root, False, self.download)
        if self.val_size <= 0:
            return train, test, test
        perm = torch.randperm(len(train), generator=torch.Generator().manual_seed(0)).tolist()
        return Subset(train, perm[self.val_size:]), Subset(train, perm[:self.val_size]), test
