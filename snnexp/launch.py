"""Checks on how a job was launched, run at the start of every job (`snnexp.__main__.run`).

joblib's workers (`hydra/launcher=local_parallel`, or the plugin's `joblib`) cannot start DDP ranks:
Lightning's re-executed children fail and loky's `ddp_spawn` context is missing (ecosystem.md D9), so a
multi-device job under joblib is refused with a message saying what to do instead. Multi-device
means `trainer.devices` > 1 (or "auto"/-1/a list, which may be several), `trainer.num_nodes` > 1, or a
`ddp*` strategy. Outside a Hydra run (tests, notebooks) the check does nothing.
"""

from __future__ import annotations

from omegaconf import DictConfig

from snnexp.errors import UserError

JOBLIB_LAUNCHERS = ("local_parallel", "joblib")


def is_multi_device(trainer: DictConfig) -> bool:
    devices = trainer.get("devices", 1)
    if isinstance(devices, bool):
        devices = int(devices)
    if isinstance(devices, int):
        several = devices > 1 or devices == -1
    elif isinstance(devices, str):
        several = devices == "auto" or devices.strip() == "-1" or len([d for d in devices.split(",") if d]) > 1
    else:  # a list of device ids
        several = len(devices) > 1
    nodes = trainer.get("num_nodes", 1) or 1
    return several or int(nodes) > 1 or str(trainer.get("strategy") or "").startswith("ddp")


def check_launch(cfg: DictConfig) -> None:
    """Raise `UserError` when a joblib launcher is asked to run a multi-device (DDP) job."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return
    launcher = HydraConfig.get().runtime.choices.get("hydra/launcher") or ""
    if launcher in JOBLIB_LAUNCHERS and is_multi_device(cfg.trainer):
        t = cfg.trainer
        raise UserError(
            f"hydra/launcher={launcher} runs single-device jobs only (joblib workers cannot start DDP ranks); "
            f"this job asks for trainer.devices={t.get('devices')} num_nodes={t.get('num_nodes', 1)} "
            f"strategy={t.get('strategy', 'auto')}. Drop hydra/launcher={launcher} (the default launcher runs "
            "the jobs one after another, each with its own DDP ranks), use hydra/launcher=slurm, or set "
            "trainer.devices=1.")
