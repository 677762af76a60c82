"""ImageNet (or any class-per-folder data set) in torchvision ImageFolder layout."""

from __future__ import annotations

from pathlib import Path

from torchvision import datasets

from snnexp.data.base import ImageDataModule
from snnexp.errors import DatasetNotFoundError


class ImageFolderDataModule(ImageDataModule):
    """`<root>/train/<class>/*` and `<root>/val/<class>/*`; val doubles as the test split.
    Evaluation resizes to img_size/0.875 and center-crops (256 -> 224 at 224)."""

    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    eval_crop_pct = 0.875

    def __init__(self, root: str = "data/imagenet", **kw):
        super().__init__(**kw)
        self.root = Path(root)

    def _load_splits(self):
        splits = {}
        for split in ("train", "val"):
            folder = self.root / split
            if not folder.is_dir():
                raise DatasetNotFoundError(
                    f"ImageFolder data set not found: looked for {folder}. Put the images in "
                    f"{self.root}/{{train,val}}/<class>/<image> (for ImageNet, the extracted ILSVRC2012 "
                    f"train and val sets with val sorted into class folders), or set dataset.root=<dir>.")
            splits[split] = datasets.ImageFolder(str(folder))
        found = len(splits["train"].classes)
        if found != self.num_classes:
            raise ValueError(f"{self.root}/train has {found} class folders but dataset.num_classes="
                             f"{self.num_classes}; set dataset.num_classes={found}")
        return splits["train"], splits["val"], splits["val"]
