"""Shared LightningDataModule plumbing: splits of (PIL image, label) data sets -> transformed loaders."""

from __future__ import annotations

from typing import Optional, Sequence

import pytorch_lightning as pl
from torch.utils.data import DataLoader, Dataset

from snnexp.data.augment import Augment, eval_transform


class Transformed(Dataset):
    """Applies `transform` to the image of each (image, label) pair of `base`."""

    def __init__(self, base: Dataset, transform):
        self.base, self.transform = base, transform

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i):
        img, label = self.base[i]
        return self.transform(img), label


class SplitLoaders:
    """train/val/test DataLoaders over `self.{train,val,test}_set` (needs `batch_size`, `num_workers`)."""

    collate_fn = None

    def _drop_last(self) -> bool:
        return False

    def _loader(self, ds, train: bool) -> DataLoader:
        return DataLoader(ds, batch_size=self.batch_size, shuffle=train, num_workers=self.num_workers,
                          drop_last=train and self._drop_last(), collate_fn=self.collate_fn,
                          persistent_workers=self.num_workers > 0)

    def train_dataloader(self):
        return self._loader(self.train_set, True)

    def val_dataloader(self):
        return self._loader(self.val_set, False)

    def test_dataloader(self):
        return self._loader(self.test_set, False)


class ImageDataModule(SplitLoaders, pl.LightningDataModule):
    """Subclasses implement `_load_splits()` -> (train, val, test) data sets of (PIL image, int)."""

    mean: Sequence[float] = (0.5,)
    std: Sequence[float] = (0.5,)
    eval_crop_pct: float = 1.0

    def __init__(self, num_classes: int, in_channels: int, img_size: int, batch_size: int,
                 num_workers: int = 0, augment: Optional[Augment] = None):
        super().__init__()
        self.num_classes, self.in_channels, self.img_size = num_classes, in_channels, img_size
        self.batch_size, self.num_workers = batch_size, num_workers
        self.augment = augment or Augment()
        self.train_set = self.val_set = self.test_set = None

    def _load_splits(self):
        raise NotImplementedError

    def setup(self, stage: Optional[str] = None) -> None:
        if self.train_set is not None:
            return
        train, val, test = self._load_splits()
        ev = eval_transform(self.img_size, self.mean, self.std, self.eval_crop_pct)
        self.train_set = Transformed(train, self.augment.train_transform(self.img_size, self.mean, self.std))
        self.val_set, self.test_set = Transformed(val, ev), Transformed(test, ev)

    def _drop_last(self) -> bool:
        return self.augment.uses_mixup  # Mixup needs even batches
