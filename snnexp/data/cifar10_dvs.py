"""CIFAR10-DVS (Li et al., Front. Neurosci. 2017): 10 000 DVS128 recordings of moving CIFAR-10 images
(1000 per class, 128x128, 2 polarities), integrated into T event-count frames by spikingjelly's `CIFAR10DVS`.

Pipeline (spikingjelly, cached under `root`): `download/{airplane,...,truck}.zip` (figshare, md5-checked)
-> `extract/<class>/cifar10_<class>_<i>.aedat` -> `events_np/<class>/*.npz` (t, x, y, p)
-> `frames_number_<T>_split_by_<number|time>/<class>/*.npz` ([T, 2, 128, 128] float counts).
spikingjelly re-checks (and, if missing, downloads) the zip files whenever `events_np/` is absent, even when
`extract/` is already there; `_LocalCIFAR10DVS` skips that step when `extract/` holds the ten class folders,
so the extracted .aedat files alone are enough.

Choices the papers leave open, made here:
* frames: `frames` = the model's T, `split_by="number"` (each frame holds N/T events, the last the remainder).
* split: CIFAR10-DVS has no official split. `split="ratio"` (default) is spikingjelly's
  `split_to_train_test_set(train_ratio, ds, 10, random_split=False)`: per class, the first
  ceil(train_ratio * n) samples in file-name order train, the rest test (9:1 for 0.9) — the split of
  spikingjelly's and Spikformer's CIFAR10-DVS scripts. `split="tebn"`: per class, the first
  n - ceil(train_ratio * n) samples by the index in the file name test (samples 0-99 for the full set: TEBN's
  split, `CIFAR10DVSTEBNSplit`; it scores higher than the other, compare with care). Validation = test set.
* values: float event counts per (polarity, pixel, frame). `norm="log"`: log(1 + count); `norm="clamp"`:
  min(count, 1) (an event happened at this pixel: binary input). Normalised at 128x128, then resized.
* size: `img_size` 128 (native, default) or smaller: area interpolation (the mean count over the covered
  native pixels, so an integer factor k divides frame sums by k^2).
* no augmentation (the `augment` group is for images; mixup on 5-D input is not supported).
Batches are `(x [T, B, 2, H, W], y [B])`: time-major, as `SpikingClassifier.encode` passes 5-D input on.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Optional

import numpy as np
import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from spikingjelly.datasets.cifar10_dvs import CIFAR10DVS, CIFAR10DVS_CLASS_NAMES
from torch.utils.data import Subset, default_collate

from snnexp.data.base import SplitLoaders
from snnexp.errors import DatasetNotFoundError

NATIVE_SIZE = 128
NORMS = ("none", "log", "clamp")
SPLITS = ("ratio", "tebn")


def _has_extracted(extract_root: Path) -> bool:
    """`extract/` holds one folder per class (what spikingjelly's `create_raw_from_extracted` reads)."""
    return extract_root.is_dir() and all((extract_root / c).is_dir() for c in CIFAR10DVS_CLASS_NAMES)


class _LocalCIFAR10DVS(CIFAR10DVS):
    """spikingjelly's CIFAR10DVS, without the zip download/md5 check when `<root>/extract` is populated."""

    @classmethod
    def _check_downloaded_files(cls, download_root: Path):
        if not _has_extracted(download_root.parent / "extract"):
            super()._check_downloaded_files(download_root)

    @classmethod
    def _download_all_files(cls, download_root: Path):
        if not _has_extracted(download_root.parent / "extract"):
            super()._download_all_files(download_root)


class FrameTransform:
    """[T, 2, 128, 128] float32 counts (numpy) -> normalised [T, 2, img_size, img_size] tensor."""

    def __init__(self, img_size: int = NATIVE_SIZE, norm: str = "none"):
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        self.img_size, self.norm = img_size, norm

    def __call__(self, frames: np.ndarray) -> torch.Tensor:
        x = torch.as_tensor(frames, dtype=torch.float32)
        if self.norm == "log":
            x = torch.log1p(x)
        elif self.norm == "clamp":
            x = x.clamp(max=1.0)
        if x.shape[-1] != self.img_size or x.shape[-2] != self.img_size:
            x = F.interpolate(x, size=(self.img_size, self.img_size), mode="area")
        return x


def collate_time_major(batch):
    """Default collate, then [B, T, ...] -> [T, B, ...]."""
    x, y = default_collate(batch)
    return x.transpose(0, 1).contiguous(), y


def _sample_index(path: str) -> int:
    """The trailing number of `.../cifar10_<class>_<i>.npz` (sorting key for the TEBN split)."""
    m = re.search(r"(\d+)\D*$", Path(path).name)
    return int(m.group(1)) if m else -1


def split_per_class(samples: list[tuple[str, int]], num_classes: int, train_ratio: float,
                    split: str = "ratio") -> tuple[list[int], list[int]]:
    """(train, test) indices into `samples` (DatasetFolder order); see the module docstring for `split`."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    by_class: list[list[int]] = [[] for _ in range(num_classes)]
    for i, (_, label) in enumerate(samples):
        by_class[label].append(i)
    train, test = [], []
    for idx in by_class:
        n_train = math.ceil(len(idx) * train_ratio)
        if split == "ratio":  # spikingjelly's split_to_train_test_set(random_split=False)
            train += idx[:n_train]
            test += idx[n_train:]
        else:  # TEBN: the lowest sample indices are the test set
            idx = sorted(idx, key=lambda i: _sample_index(samples[i][0]))
            n_test = len(idx) - n_train
            test += sorted(idx[:n_test])
            train += sorted(idx[n_test:])
    return sorted(train), sorted(test)


class CIFAR10DVSDataModule(SplitLoaders, pl.LightningDataModule):
    """CIFAR10-DVS as `frames` event-count frames per sample; x batches are [T, B, 2, img_size, img_size]."""

    collate_fn = staticmethod(collate_time_major)

    def __init__(self, root: str = "data/cifar10_dvs", frames: int = 10, split_by: str = "number",
                 img_size: int = NATIVE_SIZE, norm: str = "none", train_ratio: float = 0.9, split: str = "ratio",
                 download: bool = False, num_classes: int = 10, in_channels: int = 2, batch_size: int = 32,
                 num_workers: int = 0):
        super().__init__()
        if num_classes != 10 or in_channels != 2:
            raise ValueError(f"CIFAR10-DVS has 10 classes and 2 polarity channels, got num_classes={num_classes}, "
                             f"in_channels={in_channels}")
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        if not 0.0 < train_ratio < 1.0:
            raise ValueError(f"train_ratio must be in (0, 1), got {train_ratio}")
        self.root, self.frames, self.split_by = str(root), int(frames), split_by
        self.transform = FrameTransform(img_size, norm)
        self.train_ratio, self.split, self.download = train_ratio, split, download
        self.num_classes, self.in_channels, self.img_size = num_classes, in_channels, img_size
        self.batch_size, self.num_workers = batch_size, num_workers
        self.full_set = self.train_set = self.val_set = self.test_set = None

    # ------------------------------------------------------------------ files
    def _check_present(self) -> None:
        """Raise DatasetNotFoundError unless some stage of spikingjelly's pipeline is on disk (or download)."""
        root = Path(self.root)
        if (root / "events_np").is_dir() or _has_extracted(root / "extract") or self.download:
            return
        resources = CIFAR10DVS.resource_url_md5()
        missing = [name for name, _, _ in resources if not (root / "download" / name).is_file()]
        if not missing:
            return
        urls = "\n".join(f"  {name}: {url}" for name, url, _ in resources if name in missing)
        raise DatasetNotFoundError(
            f"CIFAR10-DVS not found under {root}: looked for {root / 'events_np'} (converted events), "
            f"{root / 'extract'}/<class>/*.aedat (one folder per class: {', '.join(CIFAR10DVS_CLASS_NAMES)}) and "
            f"the zip files in {root / 'download'} (missing: {', '.join(missing)}). Either run with "
            f"dataset.download=true (spikingjelly fetches the 10 zip files from figshare; needs internet), or "
            f"download them yourself into {root / 'download'} (or set dataset.root=<dir>):\n{urls}")

    def _dataset(self) -> CIFAR10DVS:
        self._check_present()
        ds = _LocalCIFAR10DVS(self.root, data_type="frame", frames_number=self.frames, split_by=self.split_by,
                              transform=self.transform)
        if list(ds.classes) != list(CIFAR10DVS_CLASS_NAMES):
            raise ValueError(f"CIFAR10-DVS class folders under {ds.root} are {ds.classes}, expected "
                             f"{list(CIFAR10DVS_CLASS_NAMES)}")
        return ds

    def prepare_data(self) -> None:
        """Download (if asked), extract, convert and integrate once, on rank 0: spikingjelly's cache
        folders are not safe to build from several processes at once."""
        self._dataset()

    def setup(self, stage: Optional[str] = None) -> None:
        if self.train_set is not None:
            return
        self.full_set = self._dataset()
        train, test = split_per_class(self.full_set.samples, self.num_classes, self.train_ratio, self.split)
        self.train_set, self.test_set = Subset(self.full_set, train), Subset(self.full_set, test)
        self.val_set = self.test_set

