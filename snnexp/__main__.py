"""`python -m snnexp [overrides]`: one run; `python -m snnexp -m +sweep=<name>`: a study."""

from __future__ import annotations

import logging
import math
import sys

import hydra
from omegaconf import DictConfig, OmegaConf

import snnexp  # noqa: F401  (resolvers, schemas)
from snnexp.errors import UserError

log = logging.getLogger("snnexp")


def print_config(cfg: DictConfig) -> None:
    """The composed config, as YAML, highlighted (interpolations shown unresolved)."""
    from rich.console import Console
    from rich.syntax import Syntax

    Console(stderr=False).print(Syntax(OmegaConf.to_yaml(cfg), "yaml", theme="ansi_dark", word_wrap=True))


def run(cfg: DictConfig) -> float | None:
    """The task: train (every stage, if the config has stages), then return `optimized_metric`
    (NaN mapped to -inf for sweepers)."""
    from snnexp import ddp
    from snnexp.launch import check_launch
    from snnexp.stages import run_stages
    from snnexp.train import train, write_status

    ddp.install()
    try:
        check_launch(cfg)
        check_quick(cfg)
        metrics = run_stages(cfg, train) if cfg.get("stages") else train(cfg)
        if cfg.get("stages"):
            write_status(cfg, state="completed", metrics=metrics, stages=list(cfg.stages))
    except Exception as err:
        write_status(cfg, state="failed", error=f"{type(err).__name__}: {err}")
        raise
    finally:
        _finish_wandb()
        ddp.end_of_job_cleanup()
    name = cfg.get("optimized_metric")
    if not name:
        return None
    if name not in metrics:
        log.warning("optimized_metric %s was not logged; have %s", name, sorted(metrics))
        return None
    value = metrics[name]
    return float("-inf") if math.isnan(value) else value


def check_quick(cfg: DictConfig) -> None:
    """`+quick=digits` must come after `+sweep=...` (later defaults win), else the study's data set stays."""
    from hydra.core.hydra_config import HydraConfig

    if cfg.get("quick") and HydraConfig.initialized():
        chosen = HydraConfig.get().runtime.choices.get("dataset")
        if chosen != "digits":
            raise UserError(f"+quick=digits was overridden by a later config (dataset={chosen}): "
                            "put it after +sweep=<name> on the command line")


def _finish_wandb() -> None:
    """One W&B run per Hydra job: close it so the next job of a multirun starts its own."""
    if "wandb" in sys.modules:
        import wandb

        if wandb.run is not None:
            wandb.finish()


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
def main(cfg: DictConfig) -> float | None:
    from snnexp.ddp import is_child_process

    if not is_child_process():
        print_config(cfg)
    try:
        return run(cfg)
    except UserError as err:
        log.error("%s", err)
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
