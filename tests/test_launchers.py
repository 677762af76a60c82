"""Scale-out launcher configs: SLURM parameters as submitit would submit them; joblib refuses DDP."""

from __future__ import annotations

import os

import pytest
import submitit
from hydra.core.hydra_config import HydraConfig
from omegaconf import OmegaConf

from snnexp.errors import UserError
from snnexp.launch import check_launch
from tests.conftest import compose_cfg


def test_slurm_config_gives_the_expected_sbatch_script(tmp_path, monkeypatch):
    # submitit insists on finding `srun`: a stand-in on PATH (nothing is submitted)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "srun").write_text("#!/bin/sh\nexit 1\n")
    (tmp_path / "bin" / "srun").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    cfg = compose_cfg(["trainer=ddp", "trainer.devices=4", "trainer.num_nodes=2", "hydra/launcher=slurm",
                       "hydra.launcher.partition=gpu", "hydra.launcher.timeout_min=600",
                       f"hydra.sweep.dir={tmp_path}"])
    params = OmegaConf.to_container(cfg.hydra.launcher, resolve=True)
    assert params["_target_"] == "hydra_plugins.hydra_submitit_launcher.submitit_launcher.SlurmLauncher"
    # as hydra_submitit_launcher's BaseSubmititLauncher.launch builds the executor
    params.pop("_target_")
    executor = submitit.AutoExecutor(cluster="slurm", folder=params.pop("submitit_folder"),
                                     slurm_max_num_timeout=params.pop("max_num_timeout"))
    base = {"timeout_min", "cpus_per_task", "gpus_per_node", "tasks_per_node", "mem_gb", "nodes", "name",
            "stderr_to_stdout"}
    executor.update_parameters(**{k if k in base else f"slurm_{k}": v for k, v in params.items()})
    script = executor._executor._make_submission_file_text("python -m snnexp", "uid")
    for line in ["#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=4", "#SBATCH --gpus-per-node=4",
                 "#SBATCH --partition=gpu", "#SBATCH --time=600", "#SBATCH --cpus-per-task=8",
                 "#SBATCH --job-name=train"]:
        assert line in script, line


@pytest.mark.parametrize("launcher", ["local_parallel", "local_submitit"])
def test_local_launchers_compose(launcher, tmp_path):
    cfg = compose_cfg([f"hydra/launcher={launcher}", f"hydra.sweep.dir={tmp_path}"])
    assert "hydra_plugins" in cfg.hydra.launcher._target_


def test_joblib_refuses_multi_device_jobs(tmp_path):
    check_launch(compose_cfg(["hydra/launcher=local_parallel"], tmp_path))  # one device: fine
    with pytest.raises(UserError, match="single-device jobs only"):
        check_launch(compose_cfg(["hydra/launcher=local_parallel", "trainer=ddp_cpu"], tmp_path))
    HydraConfig.instance().cfg = None
