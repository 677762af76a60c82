"""Small data sets in the real on-disk formats, written by the tests."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from PIL import Image


def write_cifar(root: Path, variant: int = 10, per_file: int = 20, seed: int = 0) -> Path:
    """CIFAR python-pickle batches as on the Toronto site (uint8 rows of 3072 = 3x32x32, CHW order)."""
    rng = np.random.default_rng(seed)
    if variant == 10:
        folder, files = root / "cifar-10-batches-py", [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
        label_key, meta_name, meta = "labels", "batches.meta", {"label_names": [f"c{i}" for i in range(10)]}
    else:
        folder, files = root / "cifar-100-python", ["train", "test"]
        label_key, meta_name = "fine_labels", "meta"
        meta = {"fine_label_names": [f"f{i}" for i in range(100)], "coarse_label_names": [f"k{i}" for i in range(20)]}
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        labels = rng.integers(0, variant, per_file)
        # class-dependent mean colour so the images carry their label
        data = (rng.integers(0, 64, (per_file, 3072)) + (labels[:, None] * 19 % 192)).astype(np.uint8)
        entry = {"batch_label": name, label_key: labels.tolist(), "data": data,
                 "filenames": [f"{name}_{i}.png" for i in range(per_file)]}
        if variant == 100:
            entry["coarse_labels"] = (labels // 5).tolist()
        with open(folder / name, "wb") as f:
            pickle.dump(entry, f)
    with open(folder / meta_name, "wb") as f:
        pickle.dump(meta, f)
    return folder


def write_image_folder(root: Path, classes: int = 3, per_class: int = 4, size: int = 40) -> Path:
    """<root>/{train,val}/<class>/<n>.JPEG, as an ImageNet folder."""
    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        for c in range(classes):
            d = root / split / f"n{c:08d}"
            d.mkdir(parents=True, exist_ok=True)
            for i in range(per_class):
                arr = rng.integers(0, 255, (size, size + 8, 3)).astype(np.uint8)
                Image.fromarray(arr).save(d / f"img_{i}.JPEG", format="JPEG")
    return root
