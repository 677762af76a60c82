"""The training task: config in, metrics out (no Hydra entry point here; see `__main__`)."""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from snnexp.models.build import build_network, count_parameters
from snnexp.module import SpikingClassifier
from snnexp.weights import load_network_weights

log = logging.getLogger(__name__)


def instantiate_all(node: DictConfig | None) -> list[Any]:
    """Instantiate every entry of a dict of `_target_` configs (callbacks, loggers)."""
    if not node:
        return []
    return [instantiate(c) for c in node.values() if isinstance(c, DictConfig) and "_target_" in c]


def _resolve_ckpt_path(cfg: DictConfig) -> str | None:
    """`ckpt_path=last` means this run folder's checkpoints/last.ckpt when it exists."""
    path = cfg.get("ckpt_path")
    if path == "last":
        last = Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt"
        return str(last) if last.is_file() else None
    return path


def write_status(cfg: DictConfig, **fields: Any) -> None:
    """`status.json` in the run folder: state, error and final metrics, read by `snnexp.report`."""
    if pl.utilities.rank_zero_only.rank != 0:
        return
    out = Path(cfg.paths.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "status.json"
    status = json.loads(path.read_text()) if path.is_file() else {}
    status.update(fields, time=time.strftime("%Y-%m-%d %H:%M:%S"))
    path.write_text(json.dumps(status, indent=2, default=str))


def train(cfg: DictConfig) -> dict[str, float]:
    """Fit, validate and test one configuration; returns the logged metrics."""
    if cfg.get("seed") is not None:
        pl.seed_everything(cfg.seed, workers=True)
    write_status(cfg, state="running")
    datamodule = instantiate(cfg.dataset)
    net = build_network(cfg.model)
    if cfg.get("init_from"):
        load_network_weights(net, cfg.init_from, reset_head=cfg.model.get("reset_head", False))
    if cfg.get("compile") or cfg.get("channels_last") or cfg.get("memopt"):
        from snnexp.speed import optimize_network

        net = optimize_network(net, compile=cfg.get("compile", False), channels_last=cfg.get("channels_last", False),
                               checkpoint=cfg.get("memopt", False))
    module = SpikingClassifier(net, num_classes=cfg.dataset.num_classes, T=cfg.schedule.T,
                               schedule=cfg.schedule, augment=cfg.get("augment"),
                               cfg=OmegaConf.to_container(cfg, resolve=True))
    loggers = instantiate_all(cfg.get("logger"))
    callbacks = [c for c in instantiate_all(cfg.get("callbacks"))
                 if loggers or type(c).__name__ != "LearningRateMonitor"]
    trainer: pl.Trainer = instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False)
    choices = {}
    if HydraConfig.initialized():  # group options (skip=none, neuron=lif): W&B tables group by these
        choices = {k: v for k, v in HydraConfig.get().runtime.choices.items() if not k.startswith("hydra")}
    for lg in loggers:
        lg.log_hyperparams({"cfg": OmegaConf.to_container(cfg, resolve=True), "choices": choices,
                            "params_M": count_parameters(net) / 1e6})

    trainer.fit(module, datamodule=datamodule, ckpt_path=_resolve_ckpt_path(cfg), weights_only=False)
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
    if cfg.get("test_after_fit", True):
        best = trainer.checkpoint_callback.best_model_path if trainer.checkpoint_callback else ""
        if not best:
            log.warning("no best checkpoint; testing the current weights")
        trainer.test(module, datamodule=datamodule, ckpt_path=best or None, weights_only=False)
        metrics.update({k: float(v) for k, v in trainer.callback_metrics.items()})
    metrics = {k: v for k, v in metrics.items() if not math.isnan(v) or k.startswith("test")}
    write_status(cfg, state="completed", metrics=metrics,
                 best_checkpoint=getattr(trainer.checkpoint_callback, "best_model_path", None))
    return metrics
