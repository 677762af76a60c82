"""DDP with 2 CPU processes over gloo, alone and inside a Hydra multirun (ecosystem.md §C, D4)."""

from __future__ import annotations

import csv
import json

from tests.helpers import snnexp_cli

DDP = ["trainer=ddp_cpu", "debug=fast", "model=mlp_spe_c60", "dataset.img_size=16"]


def count_rows(path, key):
    with open(path) as f:
        return sum(1 for r in csv.DictReader(f) if r.get(key))


def test_ddp_run_has_one_folder_one_set_of_checkpoints_and_logs_once(tmp_path):
    run, logs = tmp_path / "run", tmp_path / "logs"
    res = snnexp_cli(*DDP, "logger=default", f"hydra.run.dir={run}", f"paths.log_dir={logs}", cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "MEMBER: 2/2" in res.stderr + res.stdout
    assert not logs.exists(), "a rank created its own run folder"
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["epoch_000.ckpt", "last.ckpt"]
    assert (run / "train.log").is_file() and (run / "train_rank1.log").is_file()
    assert count_rows(run / "csv" / "metrics.csv", "test/acc") == 1
    assert len(list((run / "wandb").glob("offline-run-*"))) == 1
    assert json.loads((run / "status.json").read_text())["state"] == "completed"


def test_ddp_inside_a_multirun_does_not_relaunch_the_sweep(tmp_path):
    sweep, logs = tmp_path / "sweep", tmp_path / "logs"
    res = snnexp_cli("-m", *DDP, "seed=1,2", f"hydra.sweep.dir={sweep}", f"paths.log_dir={logs}", cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert not logs.exists(), "a rank started its own sweep"
    assert sorted(p.name for p in sweep.iterdir()) == ["0", "1", "multirun.yaml"]
    for job in ("0", "1"):
        assert sorted(p.name for p in (sweep / job / "checkpoints").iterdir()) == ["epoch_000.ckpt", "last.ckpt"]
        assert (sweep / job / "train_rank1.log").is_file()
        assert json.loads((sweep / job / "status.json").read_text())["state"] == "completed"
    assert (res.stderr + res.stdout).count("MEMBER: 2/2") == 2  # a fresh rank 1 per job
