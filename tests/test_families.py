"""A short real training on digits for each network family: the training loss falls."""

from __future__ import annotations

import csv

import pytest

from snnexp.train import train

FAMILIES = {
    "mlp_spe_c60": ["dataset.img_size=16", "schedule.T=2"],
    "resnet_cifar": ["dataset.img_size=16", "schedule.T=2", "model.depth=8", "schedule.optimizer.lr=0.01"],
    "ms_resnet18": ["dataset.img_size=32", "schedule.T=2", "schedule.optimizer.lr=0.01"],
    "snn_mlp_t": ["dataset.img_size=32", "schedule.T=1", "model.embed_dim=24", "model.depths=[1,1,1,1]"],
}


@pytest.mark.parametrize("model", sorted(FAMILIES))
def test_family_learns_on_digits(model, make_cfg, tmp_path):
    cfg = make_cfg(f"model={model}", "schedule=adamw_warmup", "schedule.warmup_epochs=0",
                   "schedule.epochs=3", "schedule.optimizer.lr=0.002", "dataset.batch_size=32",
                   "trainer.limit_train_batches=12", "trainer.limit_val_batches=2", "trainer.limit_test_batches=2",
                   "trainer.num_sanity_val_steps=0", "test_after_fit=false", *FAMILIES[model])
    train(cfg)
    with open(tmp_path / "run" / "csv" / "metrics.csv") as f:
        losses = [float(r["train/loss_epoch"]) for r in csv.DictReader(f) if r.get("train/loss_epoch")]
    assert len(losses) == 3 and losses[-1] < 0.8 * losses[0], losses
