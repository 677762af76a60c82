"""The studies in sweeps/: they compose, their quick variants run end to end, stages chain weights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from snnexp import PROJECT_ROOT
from tests.conftest import compose_cfg
from tests.helpers import snnexp_cli

SWEEPS = sorted(p.stem for p in (PROJECT_ROOT / "sweeps").glob("*.yaml"))


def test_the_paper_studies_are_there():
    assert {"skip_ablation", "timestep_pretrain", "augmentation", "neuron"} <= set(SWEEPS)


@pytest.mark.parametrize("name", SWEEPS)
def test_sweep_composes_faithful_by_default_and_quick_on_digits(name):
    cfg = compose_cfg([f"+sweep={name}"])
    assert cfg.hydra.mode.name == "MULTIRUN" and cfg.hydra.sweeper.params
    assert cfg.wandb_group == name and cfg.report.title
    assert cfg.dataset._target_ != "snnexp.data.digits.DigitsDataModule"  # the paper's data by default
    quick = compose_cfg([f"+sweep={name}", "+quick=digits"])
    assert quick.dataset._target_ == "snnexp.data.digits.DigitsDataModule" and quick.trainer.max_epochs <= 2


def test_skip_ablation_is_table_3():
    cfg = compose_cfg(["+sweep=skip_ablation"])
    assert set(cfg.hydra.sweeper.params.skip.split(",")) == {"pt_pc_tc", "pt_pc", "pt_pc_tc_ct", "ct", "none"}
    assert cfg.model.dim == 60 and cfg.schedule.epochs == 100 and cfg.dataset.num_classes == 10


def run_quick(name: str, tmp_path: Path, *extra: str):
    res = snnexp_cli(f"+sweep={name}", "+quick=digits", f"hydra.sweep.dir={tmp_path / name}",
                     f"paths.log_dir={tmp_path / 'logs'}", *extra, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    return tmp_path / name


def job_status(job: Path) -> dict:
    return json.loads((job / "status.json").read_text())


def test_skip_ablation_quick_runs_every_configuration(tmp_path):
    sweep = run_quick("skip_ablation", tmp_path)
    jobs = sorted(p for p in sweep.iterdir() if p.is_dir())
    assert len(jobs) == 5
    overrides = set()
    for job in jobs:
        assert job_status(job)["state"] == "completed"
        assert 0.0 <= job_status(job)["metrics"]["test/acc"] <= 1.0
        overrides.add((job / ".hydra" / "overrides.yaml").read_text())
        # one offline W&B run per job, in the sweep's group
        runs = list((job / "wandb").glob("offline-run-*/run-*.wandb"))
        assert len(runs) == 1 and b"skip_ablation" in runs[0].read_bytes()
    assert len(overrides) == 5


def test_timestep_pretrain_chains_phase_one_into_phase_two(tmp_path):
    sweep = run_quick("timestep_pretrain", tmp_path, "logger=csv",
                      "+callbacks.snapshot._target_=tests.helpers.SnapshotStartWeights")
    jobs = sorted(p for p in sweep.iterdir() if p.is_dir())
    assert len(jobs) == 2
    for job, t_first in zip(jobs, (1, 4)):
        status = job_status(job)
        assert status["state"] == "completed" and status["stages"] == ["pretrain", "finetune"]
        pre = torch.load(job / "pretrain/checkpoints/last.ckpt", weights_only=False)
        fine = torch.load(job / "finetune/checkpoints/last.ckpt", weights_only=False)
        assert (pre["hyper_parameters"]["T"], fine["hyper_parameters"]["T"]) == (t_first, 6)
        end_of_phase_one = {k[4:]: v for k, v in pre["state_dict"].items() if k.startswith("net.")}
        start_of_phase_two = torch.load(job / "finetune/start_weights.pt")
        assert end_of_phase_one.keys() == start_of_phase_two.keys()
        for k, v in end_of_phase_one.items():
            torch.testing.assert_close(start_of_phase_two[k], v, msg=k)
        # and phase two did train from there
        assert any(not torch.equal(v, fine["state_dict"]["net." + k]) for k, v in end_of_phase_one.items())


def test_augmentation_quick_runs(tmp_path):
    sweep = run_quick("augmentation", tmp_path, "logger=csv")
    assert [job_status(j)["state"] for j in sorted(sweep.iterdir()) if j.is_dir()] == ["completed"] * 2


@pytest.mark.slow
@pytest.mark.parametrize("name,extra", [("neuron", []), ("ms_resnet_depth", ["model.depth=20,32"])])
def test_long_quick_sweeps_run(tmp_path, name, extra):
    sweep = run_quick(name, tmp_path, "logger=csv", *extra)
    assert all(job_status(j)["state"] == "completed" for j in sweep.iterdir() if j.is_dir())


def test_quick_must_come_after_the_sweep(tmp_path):
    res = snnexp_cli("+quick=digits", "+sweep=augmentation", f"hydra.sweep.dir={tmp_path / 's'}",
                     "logger=csv", cwd=tmp_path)
    assert res.returncode != 0 and "put it after +sweep" in res.stderr
