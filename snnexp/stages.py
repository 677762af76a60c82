"""Multi-stage runs declared in one config: `stages: {name: <config delta>, ...}`, run in order.

Each stage trains in `<run folder>/<name>/` with the job config merged with its delta. Stage k > 0
starts from stage k-1's final weights (`last.ckpt`) unless its delta sets `init_from`, so two-phase
recipes chain without copying paths: MS-ResNet's T=1 pretrain -> T=6 fine-tune, the spiking MLP's
time inheritance T=4 -> T=6. A sweep can vary any stage's delta, e.g. `stages.pretrain.schedule.T=1,2`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from omegaconf import DictConfig, OmegaConf, open_dict

from snnexp.errors import UserError


def stage_configs(cfg: DictConfig) -> list[tuple[str, DictConfig]]:
    """(name, full config) for each stage, with output folders and the init_from chain filled in."""
    base_dir = Path(cfg.paths.output_dir)
    out, previous = [], None
    for name, delta in cfg.stages.items():
        if delta is None:
            delta = {}
        try:
            stage_cfg = OmegaConf.merge(cfg, delta)
        except Exception as err:  # a misspelt key in a stage delta
            raise UserError(f"stage {name!r}: {err}") from err
        with open_dict(stage_cfg):
            stage_cfg.stages = None
            stage_cfg.stage = str(name)
            stage_cfg.paths.output_dir = str(base_dir / str(name))
            if previous is not None and not delta.get("init_from"):
                stage_cfg.init_from = str(Path(previous.paths.output_dir) / "checkpoints" / "last.ckpt")
            if "wandb" in (stage_cfg.get("logger") or {}):
                stage_cfg.logger.wandb.name = f"{stage_cfg.logger.wandb.name or cfg.task_name}/{name}"
        out.append((str(name), stage_cfg))
        previous = stage_cfg
    return out


def run_stages(cfg: DictConfig, train: Callable[[DictConfig], dict]) -> dict[str, float]:
    """Train every stage in order; returns the last stage's metrics (with per-stage copies prefixed)."""
    metrics: dict[str, float] = {}
    for name, stage_cfg in stage_configs(cfg):
        stage_metrics = train(stage_cfg)
        metrics.update({f"{name}/{k}": v for k, v in stage_metrics.items()})
        metrics.update(stage_metrics)
    return metrics
