"""DDP under Hydra, single runs and multiruns (ecosystem.md §C and D4c).

Lightning re-executes `sys.argv` for ranks > 0. In a multirun that argv still holds `-m` and the sweep
lists, so every child would become a second sweeper (Lightning#11300, hydra#2070). We replace that command
with *this job's* concrete overrides in RUN mode, writing into this job's folder, and after each job tear
the process group down and clear the rank variables, so the next job launches fresh children.
Processes started by torchrun or SLURM (`LOCAL_RANK` set before we start) are left alone.
"""

from __future__ import annotations

import os
import sys

LAUNCHED_EXTERNALLY = "LOCAL_RANK" in os.environ
_RANK_VARS = ("LOCAL_RANK", "NODE_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


def is_child_process() -> bool:
    """True in a process that Lightning (or torchrun/SLURM) started for a rank > 0."""
    return int(os.environ.get("LOCAL_RANK", "0")) > 0 or int(os.environ.get("RANK", "0")) > 0


def job_subprocess_cmd(local_rank: int) -> tuple[list[str], str]:
    """The command for rank `local_rank` of the current Hydra job."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.utils import get_original_cwd

    hc = HydraConfig.get()
    cmd = [sys.executable, "-m", "snnexp", "--config-name", hc.job.config_name, *hc.overrides.task,
           "hydra.mode=RUN", f"hydra.run.dir={hc.runtime.output_dir}",
           f"hydra.job.name={hc.job.name}_rank{local_rank}", "hydra.output_subdir=null"]
    return cmd, get_original_cwd()


def install() -> None:
    """Route Lightning's child-process command through `job_subprocess_cmd`."""
    from pytorch_lightning.strategies.launchers import subprocess_script

    subprocess_script._hydra_subprocess_cmd = job_subprocess_cmd


def end_of_job_cleanup() -> None:
    """Destroy the process group and, if we spawned the ranks, forget them (next job spawns anew)."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
    if not LAUNCHED_EXTERNALLY:
        for var in _RANK_VARS:
            os.environ.pop(var, None)
