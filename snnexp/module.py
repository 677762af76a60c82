"""The LightningModule that wraps any spiking network of `snnexp.models` (contract there)."""

from __future__ import annotations

from typing import Any, Mapping, Optional

import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from hydra.utils import instantiate
from omegaconf import OmegaConf
from spikingjelly.activation_based import functional
from torch import nn
from torchmetrics import MaxMetric, MeanMetric
from torchmetrics.classification import MulticlassAccuracy

from snnexp.data.augment import Augment
from snnexp.schedules import param_groups, warmup_cosine


def _plain(x):
    return OmegaConf.to_container(x, resolve=True) if OmegaConf.is_config(x) else x


class SpikingClassifier(pl.LightningModule):
    """Direct encoding (the image repeated T times), network output [T, B, K] averaged over T, then
    cross-entropy (time-averaged CE of the spiking MLP paper); neuron state reset after every batch.

    Args:
        net: the network.
        num_classes: K.
        T: time steps.
        schedule: the `schedule` config (optimizer partial, warm-up/cosine, param groups).
        augment: the `augment` config (Mixup/CutMix and label smoothing for the loss).
        cfg: the full composed config, stored in checkpoints so a run can be rebuilt (`load_module`).
    """

    def __init__(self, net: nn.Module, num_classes: int, T: int, schedule: Mapping[str, Any],
                 augment: Optional[Mapping[str, Any]] = None, cfg: Optional[Mapping[str, Any]] = None):
        super().__init__()
        self.save_hyperparameters({"num_classes": num_classes, "T": T, "schedule": _plain(schedule),
                                   "augment": _plain(augment), "cfg": _plain(cfg)})
        self.net = net
        self.T = int(T)
        self.num_classes = num_classes
        aug = instantiate(self.hparams.augment) if self.hparams.augment else Augment()
        self.mixup = aug.mixup(num_classes) if isinstance(aug, Augment) else None
        self.label_smoothing = aug.label_smoothing if isinstance(aug, Augment) else 0.0
        top5 = min(5, num_classes)
        for stage in ("train", "val", "test"):
            setattr(self, f"{stage}_acc", MulticlassAccuracy(num_classes, average="micro"))
            setattr(self, f"{stage}_acc5", MulticlassAccuracy(num_classes, top_k=top5, average="micro"))
            setattr(self, f"{stage}_loss", MeanMetric())
        self.val_acc_best = MaxMetric()

    # ------------------------------------------------------------------ forward
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Direct encoding: [B, C, H, W] -> [T, B, C, H, W]; sequences [T, B, ...] pass through."""
        if x.dim() == 5:
            return x
        return x.unsqueeze(0).expand(self.T, *x.shape).contiguous()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits per time step [T, B, K]; the network's neuron state is reset afterwards."""
        out = self.net(self.encode(x))
        functional.reset_net(self.net)
        return out

    # ------------------------------------------------------------------ steps
    def _step(self, batch, stage: str):
        x, y = batch
        soft = None
        if stage == "train" and self.mixup is not None:
            if x.dim() == 5:  # event frames [T, B, ...]: mix along the batch, not along T
                x, soft = self.mixup(x.transpose(0, 1).contiguous(), y)
                x = x.transpose(0, 1)
            else:
                x, soft = self.mixup(x, y)
        logits = self(x).mean(0)
        if soft is not None:
            loss = torch.sum(-soft * F.log_softmax(logits, dim=-1), dim=-1).mean()
        else:
            loss = F.cross_entropy(logits, y, label_smoothing=self.label_smoothing if stage == "train" else 0.0)
        getattr(self, f"{stage}_loss")(loss.detach())
        getattr(self, f"{stage}_acc")(logits.detach(), y)
        getattr(self, f"{stage}_acc5")(logits.detach(), y)
        on_step = stage == "train"
        self.log(f"{stage}/loss", getattr(self, f"{stage}_loss"), on_step=on_step, on_epoch=True, prog_bar=True)
        self.log(f"{stage}/acc", getattr(self, f"{stage}_acc"), on_step=False, on_epoch=True, prog_bar=True)
        self.log(f"{stage}/acc5", getattr(self, f"{stage}_acc5"), on_step=False, on_epoch=True)
        return loss

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "val")

    def test_step(self, batch, batch_idx):
        self._step(batch, "test")

    def on_train_start(self):
        self.val_acc_best.reset()

    def on_validation_epoch_end(self):
        if self.trainer.sanity_checking:
            return
        self.val_acc_best(self.val_acc.compute())
        self.log("val/acc_best", self.val_acc_best.compute(), sync_dist=True, prog_bar=True)

    # ------------------------------------------------------------------ optimisation
    def configure_optimizers(self):
        sched = self.hparams.schedule
        optimizer = instantiate(sched["optimizer"])(params=param_groups(self.net, sched.get("param_groups") or []))
        total = int(self.trainer.estimated_stepping_batches)
        per_epoch = total / max(1, self.trainer.max_epochs or 1)
        scheduler = warmup_cosine(optimizer, total, int(sched.get("warmup_epochs", 0) * per_epoch),
                                  sched.get("warmup_start_factor", 0.01), sched.get("min_lr", 0.0))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def load_module(ckpt_path: str, map_location: str = "cpu") -> SpikingClassifier:
    """Rebuild a run's module (network from the stored config, then the checkpoint's weights)."""
    from snnexp.models.build import build_network

    ckpt = torch.load(ckpt_path, map_location=map_location, weights_only=False)
    hp = ckpt["hyper_parameters"]
    net = build_network(hp["cfg"]["model"])
    module = SpikingClassifier(net, hp["num_classes"], hp["T"], hp["schedule"], hp["augment"], hp["cfg"])
    module.load_state_dict(ckpt["state_dict"])
    return module.eval()
