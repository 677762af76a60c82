"""Scale-out launchers: the SLURM launcher's real sbatch script (built by hydra-submitit-launcher and
submitit, not submitted); the local launchers compose; joblib refuses multi-device jobs."""

from __future__ import annotations

import pytest
import submitit
from hydra.core.hydra_config import HydraConfig
from hydra.utils import instantiate

from snnexp.errors import UserError
from snnexp.launch import check_launch
from tests.conftest import compose_cfg


class Submitted(Exception):
    """Raised instead of calling sbatch."""


def _task(cfg):  # the task function travels pickled with each array job
    return None


@pytest.fixture
def no_hydra():
    yield
    HydraConfig.instance().cfg = None


def test_slurm_launcher_asks_slurm_for_the_ddp_ranks(tmp_path, monkeypatch):
    # submitit refuses to build a SLURM executor without `srun` on PATH: a stand-in (never run)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "srun").write_text("#!/bin/sh\nexit 1\n")
    (tmp_path / "bin" / "srun").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    captured = {}

    def fake_submit(self, command):
        captured["sbatch"] = self._make_submission_file_text(command, "uid")
        raise Submitted

    monkeypatch.setattr(submitit.SlurmExecutor, "_submit_command", fake_submit)
    sweep = tmp_path / "sweep"
    cfg = compose_cfg(["+sweep=skip_ablation", "trainer=ddp", "trainer.devices=4", "trainer.num_nodes=2",
                       "hydra/launcher=slurm", "hydra.launcher.partition=gpu", f"hydra.sweep.dir={sweep}"])
    launcher = instantiate(cfg.hydra.launcher)  # as Hydra does: interpolations into the job config resolved
    assert type(launcher).__name__ == "SlurmLauncher"  # (Hydra imports plugins its own way: no isinstance)
    launcher.setup(hydra_context=None, task_function=_task, config=cfg)
    with pytest.raises(Submitted):  # the plugin's own launch(): executor, parameters, array of 2 jobs
        launcher.launch([["skip=none"], ["skip=ct"]], initial_job_idx=0)

    script = captured["sbatch"]
    for line in ["--nodes=2", "--ntasks-per-node=4", "--gpus-per-node=4", "--partition=gpu", "--time=1440",
                 "--cpus-per-task=8", "--mem=64GB", "--job-name=skip_ablation", "--array=0-1%2",
                 f"--output={sweep}/.submitit/%A_%a/%A_%a_0_log.out"]:
        assert f"#SBATCH {line}\n" in script, line
    assert "--signal=USR2@120" in script  # submitit's timeout signal: checkpoint() requeues the job
    assert "srun --unbuffered" in script  # srun starts nodes x tasks_per_node = 8 ranks, one per GPU
    # each array task carries its job's overrides; a requeue re-runs the same job into the same folder
    jobs = [submitit.helpers.DelayedSubmission.load(p) for p in (sweep / ".submitit").glob("*.pkl")]
    assert sorted(d.args[0][0] for d in jobs) == ["skip=ct", "skip=none"]
    assert {d.args[1] for d in jobs} == {"hydra.sweep.dir"}
    assert all(d._timeout_countdown == 3 for d in jobs)  # max_num_timeout requeues


def test_slurm_launcher_with_the_default_single_device_trainer(tmp_path):
    cfg = compose_cfg(["hydra/launcher=slurm", f"hydra.sweep.dir={tmp_path}"])
    params = instantiate(cfg.hydra.launcher).params
    assert (params["nodes"], params["tasks_per_node"], params["gpus_per_node"]) == (1, 1, 1)
    assert params["name"] == cfg.task_name and params["partition"] is None


@pytest.mark.parametrize("name, cls", [("local_parallel", "JoblibLauncher"), ("local_submitit", "LocalLauncher")])
def test_local_launchers_compose_and_instantiate(name, cls, tmp_path):
    cfg = compose_cfg([f"hydra/launcher={name}", f"hydra.sweep.dir={tmp_path}"])
    assert type(instantiate(cfg.hydra.launcher)).__name__ == cls
    if name == "local_parallel":
        assert cfg.hydra.launcher.n_jobs == 2


def test_joblib_refuses_multi_device_jobs(tmp_path, no_hydra):
    check_launch(compose_cfg(["hydra/launcher=local_parallel"], tmp_path))  # one device: fine
    check_launch(compose_cfg(["hydra/launcher=local_parallel", "trainer=cpu", "trainer.devices=1"], tmp_path))
    for bad in (["trainer=ddp_cpu"], ["trainer.devices=2"], ["+trainer.strategy=ddp_spawn"],
                ["trainer=ddp", "trainer.devices=1", "trainer.num_nodes=2"]):
        with pytest.raises(UserError, match="single-device jobs only"):
            check_launch(compose_cfg(["hydra/launcher=local_parallel", *bad], tmp_path))
    check_launch(compose_cfg(["trainer=ddp_cpu"], tmp_path))  # the basic launcher runs DDP jobs


def test_check_launch_is_a_no_op_without_hydra(no_hydra):
    cfg = compose_cfg(["trainer=ddp_cpu"])
    HydraConfig.instance().cfg = None
    check_launch(cfg)
