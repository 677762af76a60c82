"""The embedded default data set: scikit-learn's handwritten digits (1797 real 8x8 images, 10 classes)."""

from __future__ import annotations

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch.utils.data import Dataset

from snnexp.data.base import ImageDataModule


class DigitImages(Dataset):
    """(PIL 'L' image, label) pairs from 8x8 arrays with values 0..16."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        self.images = (images * (255.0 / 16.0)).round().astype(np.uint8)
        self.labels = labels.astype(np.int64)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i):
        return Image.fromarray(self.images[i], mode="L"), int(self.labels[i])


class DigitsDataModule(ImageDataModule):
    """Stratified train/val/test split fixed by `split_seed`; images resized to `img_size`."""

    mean, std = (0.3, ), (0.4, )

    def __init__(self, val_fraction: float = 0.15, test_fraction: float = 0.2, split_seed: int = 0, **kw):
        super().__init__(**kw)
        self.val_fraction, self.test_fraction, self.split_seed = val_fraction, test_fraction, split_seed

    def _load_splits(self):
        d = load_digits()
        x, y = d.images, d.target
        x_rest, x_test, y_rest, y_test = train_test_split(
            x, y, test_size=self.test_fraction, stratify=y, random_state=self.split_seed)
        val = self.val_fraction / (1.0 - self.test_fraction)
        x_train, x_val, y_train, y_val = train_test_split(
            x_rest, y_rest, test_size=val, stratify=y_rest, random_state=self.split_seed)
        return DigitImages(x_train, y_train), DigitImages(x_val, y_val), DigitImages(x_test, y_test)
