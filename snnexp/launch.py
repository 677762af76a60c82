"""Checks on how a job was launched, run at the start of every job."""

from __future__ import annotations

from omegaconf import DictConfig

from snnexp.errors import UserError


def _multi_device(trainer: DictConfig) -> bool:
    devices = trainer.get("devices", 1)
    many = isinstance(devices, int) and devices > 1 or devices in ("auto", -1) or isinstance(devices, (list, tuple))
    return many or str(trainer.get("strategy", "")).startswith("ddp") or trainer.get("num_nodes", 1) > 1


def check_launch(cfg: DictConfig) -> None:
    """joblib's workers cannot start DDP ranks (ecosystem.md D9): refuse that combination clearly."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return
    launcher = HydraConfig.get().runtime.choices.get("hydra/launcher") or ""
    if ("joblib" in launcher or launcher == "local_parallel") and _multi_device(cfg.trainer):
        raise UserError(f"hydra/launcher={launcher} runs single-device jobs only; this job asks for "
                        f"trainer.devices={cfg.trainer.get('devices')} strategy={cfg.trainer.get('strategy')}. "
                        "Use the basic launcher (jobs run one after another, each with its own DDP ranks) "
                        "or hydra/launcher=slurm.")
