"""Shared fixtures: compose the real configs with Hydra's compose API, outputs in tmp_path."""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import open_dict

from snnexp import CONFIG_DIR, PROJECT_ROOT

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

# Overrides that keep a composed run small and local.
FAST = ["logger=csv", "callbacks=model_checkpoint", "trainer.accelerator=cpu", "trainer.enable_progress_bar=false",
        "trainer.enable_model_summary=false"]


def compose_cfg(overrides: list[str], output_dir: Path | None = None):
    """The composed `train` config (with its `hydra` node set as the current HydraConfig)."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("train", overrides=overrides, return_hydra_config=True)
    if output_dir is not None:
        with open_dict(cfg):
            cfg.hydra.runtime.output_dir = str(output_dir)
            cfg.hydra.job.num = 0
            cfg.hydra.job.id = "test"
        HydraConfig.instance().set_config(cfg)
    return cfg


@pytest.fixture
def make_cfg(tmp_path):
    """make_cfg(*overrides) -> a composed config writing into tmp_path/run."""

    def make(*overrides: str, fast: bool = True, out: Path | None = None):
        return compose_cfg([*(FAST if fast else []), *overrides], out or tmp_path / "run")

    yield make
    GlobalHydra.instance().clear()


@pytest.fixture
def lif():
    """The paper's LIF (tau 2, Vth 1, hard reset, sigmoid surrogate), multi-step."""
    from spikingjelly.activation_based import neuron, surrogate

    return partial(neuron.LIFNode, tau=2.0, detach_reset=True, step_mode="m",
                   surrogate_function=surrogate.Sigmoid(alpha=4.0))


def pytest_configure(config):
    os.chdir(PROJECT_ROOT)
