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
    """The task: train, then return `optimized_metric` (NaN mapped to -inf for sweepers)."""
    from snnexp.train import train, write_status

    try:
        metrics = train(cfg)
    except Exception as err:
        write_status(cfg, state="failed", error=f"{type(err).__name__}: {err}")
        raise
    finally:
        _finish_wandb()
    name = cfg.get("optimized_metric")
    if not name:
        return None
    if name not in metrics:
        log.warning("optimized_metric %s was not logged; have %s", name, sorted(metrics))
        return None
    value = metrics[name]
    return float("-inf") if math.isnan(value) else value


def _finish_wandb() -> None:
    """One W&B run per Hydra job: close it so the next job of a multirun starts its own."""
    if "wandb" in sys.modules:
        import wandb

        if wandb.run is not None:
            wandb.finish()


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
def main(cfg: DictConfig) -> float | None:
    print_config(cfg)
    try:
        return run(cfg)
    except UserError as err:
        log.error("%s", err)
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
