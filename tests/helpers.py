"""Test-only callbacks and command helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytorch_lightning as pl
import torch

from snnexp import PROJECT_ROOT


class SnapshotStartWeights(pl.Callback):
    """Saves the network's state when fitting starts (before any optimiser step)."""

    def on_fit_start(self, trainer, pl_module):
        if trainer.is_global_zero:
            state = {k: v.detach().clone() for k, v in pl_module.net.state_dict().items()}
            torch.save(state, Path(trainer.default_root_dir) / "start_weights.pt")


def snnexp_cli(*args: str, cwd: Path = PROJECT_ROOT, timeout: int = 900) -> subprocess.CompletedProcess:
    """`python -m snnexp ...` in a subprocess (W&B offline)."""
    env = {**os.environ, "WANDB_MODE": "offline", "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "snnexp", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
