"""Augmentation presets (spiking MLP paper Table 5): `none`, `simple`, `strong`, `pad_crop`.

Image transforms come from torchvision and timm (`timm.data.create_transform` for RandAugment and random
erasing); the batch-level part of `strong` (Mixup/CutMix with label smoothing) is `timm.data.Mixup`,
applied by the LightningModule, which then uses soft-target cross-entropy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from torchvision import transforms as T

PRESETS = ("none", "simple", "strong", "pad_crop")


@dataclass
class Augment:
    name: str = "none"
    rrc_scale: Sequence[float] = (0.08, 1.0)
    hflip: float = 0.0
    pad: int = 0
    randaugment: Optional[str] = None
    color_jitter: Optional[float] = None
    interpolation: str = "bilinear"
    re_prob: float = 0.0
    mixup_alpha: float = 0.0
    cutmix_alpha: float = 0.0
    mixup_prob: float = 1.0
    mixup_switch_prob: float = 0.5
    label_smoothing: float = 0.0

    def __post_init__(self):
        if self.name not in PRESETS:
            raise ValueError(f"unknown augmentation preset {self.name!r}; valid: {', '.join(PRESETS)}")

    @property
    def uses_mixup(self) -> bool:
        return self.mixup_alpha > 0 or self.cutmix_alpha > 0

    def mixup(self, num_classes: int):
        """timm Mixup/CutMix (label smoothing folded into the soft targets), or None."""
        if not self.uses_mixup:
            return None
        from timm.data import Mixup

        return Mixup(
            mixup_alpha=self.mixup_alpha,
            cutmix_alpha=self.cutmix_alpha,
            prob=self.mixup_prob,
            switch_prob=self.mixup_switch_prob,
            label_smoothing=self.label_smoothing,
            num_classes=num_classes,
        )

    def train_transform(self, img_size: int, mean: Sequence[float], std: Sequence[float]) -> Callable:
        """PIL image -> normalised tensor, for training."""
        if self.name == "strong":
            from timm.data import create_transform

            return create_transform(
                input_size=img_size,
                is_training=True,
                scale=tuple(self.rrc_scale),
                hflip=self.hflip,
                auto_augment=self.randaugment,
                color_jitter=self.color_jitter,
                interpolation=self.interpolation,
                re_prob=self.re_prob,
                re_mode="pixel",
                re_count=1,
                mean=tuple(mean),
                std=tuple(std),
            )
        if self.name == "simple":
            head = [T.RandomResizedCrop(img_size, scale=tuple(self.rrc_scale)), T.RandomHorizontalFlip(self.hflip)]
        elif self.name == "pad_crop":
            head = [T.Resize(img_size), T.RandomCrop(img_size, padding=self.pad), T.RandomHorizontalFlip(self.hflip)]
        else:
            head = [T.Resize((img_size, img_size))]
        return T.Compose([*head, T.ToTensor(), T.Normalize(mean, std)])


def eval_transform(img_size: int, mean: Sequence[float], std: Sequence[float], crop_pct: float = 1.0) -> Callable:
    """Resize (to img_size / crop_pct) then center-crop img_size, normalise."""
    if crop_pct < 1.0:
        resize = [T.Resize(int(round(img_size / crop_pct)), interpolation=T.InterpolationMode.BICUBIC),
                  T.CenterCrop(img_size)]
    else:
        resize = [T.Resize((img_size, img_size))]
    return T.Compose([*resize, T.ToTensor(), T.Normalize(mean, std)])
