"""`python -m snnexp.report`: the paper-shaped table of a real sweep with failed jobs; seed statistics;
per-stage curves."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pytest
import yaml

from snnexp import PROJECT_ROOT
from snnexp.report import write_report
from snnexp.reporting.curves import config_curves
from snnexp.reporting.jobs import load_jobs
from snnexp.reporting.table import build_table
from tests.helpers import snnexp_cli


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def status(job_dir):
    return json.loads((job_dir / "status.json").read_text())


def test_report_of_a_real_sweep_with_failed_jobs(tmp_path, monkeypatch):
    """Table 3's study (two skip settings) crossed with a data split that scikit-learn rejects at run
    time (split_seed=-1): those jobs fail, the others finish, the report shows both."""
    sweep = tmp_path / "sweep"
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the 2 shared cores: oversubscribed torch threads crawl
    res = snnexp_cli("+sweep=skip_ablation", "+quick=digits", "logger=csv", "skip=pt_pc_tc,none",
                     "dataset.split_seed=0,-1", "trainer.max_epochs=2", f"hydra.sweep.dir={sweep}", cwd=tmp_path)
    jobs = {p.name: status(p) for p in sweep.iterdir() if p.is_dir() and p.name.isdigit()}
    states = [jobs[n]["state"] for n in "0123"]
    assert states == ["completed", "failed", "completed", "failed"], res.stderr[-3000:]

    out = subprocess.run([sys.executable, "-m", "snnexp.report", str(sweep)], check=False, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "COLUMNS": "200"},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Table 3: skip connections" in out.stdout

    rows = read_csv(sweep / "report.csv")
    # rows: the report block's key (values renamed by its labels), then the other swept key
    assert [(r["skip"], r["dataset.split_seed"]) for r in rows] == [
        ("PT+PC+TC", "0"), ("PT+PC+TC", "-1"), ("none", "0"), ("none", "-1")]
    for row, job in zip(rows, "0123"):
        if jobs[job]["state"] == "completed":
            assert row["status"] == "completed"
            for metric in ("test/acc", "val/acc_best"):
                assert row[f"{metric} (%)"] == f"{100 * jobs[job]['metrics'][metric]:.2f}"
        else:
            assert row["status"].startswith("failed: ") and row["test/acc (%)"] == "-"
    raw = read_csv(sweep / "jobs.csv")
    assert [float(r["test/acc"]) for r in raw if r["state"] == "completed"] == [
        jobs[n]["metrics"]["test/acc"] for n in "02"]
    md = (sweep / "report.md").read_text()
    assert md.startswith("# Table 3: skip connections") and md.count("| failed: ") == 2
    png = (sweep / "curves.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def fake_job(root, num, overrides, state, metrics=None, report=None, stages=None, curves=None):
    """A hand-written job folder as `python -m snnexp` leaves it."""
    job = root / str(num)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    (job / ".hydra" / "config.yaml").write_text(yaml.safe_dump({"task_name": "demo", "report": report}))
    if state is not None:
        body = {"state": state, "metrics": metrics or {}, **({"stages": stages} if stages else {})}
        (job / "status.json").write_text(json.dumps(body))
    for stage, values in (curves or {}).items():
        (job / stage / "csv").mkdir(parents=True)
        with open(job / stage / "csv" / "metrics.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["epoch", "step", "train/loss_epoch", "val/acc"])
            for epoch, acc in enumerate(values):
                w.writerows([[epoch, 10 * epoch, 1.0, ""], [epoch, 10 * epoch, "", acc]])
    return job


def test_seeds_aggregate_to_mean_std_and_unfinished_jobs_show(tmp_path):
    spec = {"title": "Table 3", "rows": ["skip"], "metrics": ["test/acc", "test/loss"],
            "labels": {"pt_pc_tc": "PT+PC+TC"}}
    for i, (acc, loss) in enumerate([(0.5, 1.0), (0.6, 2.0), (0.7, 4.5)]):
        fake_job(tmp_path, i, ["+sweep=skip_ablation", "skip=pt_pc_tc", f"seed={i}", "+quick=digits"],
                 "completed", {"test/acc": acc, "test/loss": loss}, spec)
    fake_job(tmp_path, 3, ["+sweep=skip_ablation", "skip=none", "seed=0"], "completed",
             {"test/acc": 0.25, "test/loss": 3.0}, spec)
    fake_job(tmp_path, 4, ["+sweep=skip_ablation", "skip=none", "seed=1"], "failed", report=spec)
    fake_job(tmp_path, 5, ["+sweep=skip_ablation", "skip=ct", "seed=0"], "running", report=spec)  # hard-killed
    fake_job(tmp_path, 6, ["+sweep=skip_ablation", "skip=pt_pc", "seed=0"], None, report=spec)   # no status.json
    write_report(tmp_path, tmp_path / "out", quiet=True)

    rows = read_csv(tmp_path / "out" / "report.csv")
    assert list(rows[0]) == ["skip", "test/acc (%)", "test/loss", "status"]  # seed is never a row key
    assert [r["skip"] for r in rows] == ["PT+PC+TC", "none", "ct", "pt_pc"]
    assert rows[0]["test/acc (%)"] == "60.00 ± 10.00 (n=3)"  # sample std of 0.5, 0.6, 0.7
    assert rows[0]["test/loss"] == "2.5 ± 1.803 (n=3)"       # mean 2.5, std sqrt(13/4)
    assert rows[0]["status"] == "completed"
    assert rows[1]["test/acc (%)"] == "25.00" and rows[1]["status"] == "failed (1/2 jobs)"
    assert rows[2]["test/acc (%)"] == "-" and rows[2]["status"] == "incomplete"
    assert rows[3]["test/acc (%)"] == "-" and rows[3]["status"] == "missing"
    assert (tmp_path / "out" / "report.md").read_text().startswith("# Table 3")
    assert not (tmp_path / "report.md").exists()

    cell = build_table(load_jobs(tmp_path), ["skip"], ["test/acc"], {})[0].cells["test/acc"]
    assert (cell.n, cell.mean, cell.std) == (3, pytest.approx(0.6), pytest.approx(0.1))


def test_without_a_report_block_rows_are_the_varying_overrides(tmp_path):
    for i, (tau, sg) in enumerate([("2.0", "atan"), ("2.0", "sigmoid"), ("3.0", "atan")]):
        fake_job(tmp_path, i, [f"neuron.tau={tau}", f"surrogate={sg}", "logger=csv", "seed=1"], "completed",
                 {"test/acc": 0.1 * (i + 1), "val/acc_best": 0.5})
    write_report(tmp_path, quiet=True)
    rows = read_csv(tmp_path / "report.csv")
    assert list(rows[0]) == ["neuron.tau", "surrogate", "test/acc (%)", "val/acc_best (%)", "status"]
    assert [r["test/acc (%)"] for r in rows] == ["10.00", "20.00", "30.00"]
    assert (tmp_path / "report.md").read_text().startswith("# demo")


def test_staged_curves_are_per_stage_and_averaged_over_seeds(tmp_path):
    stages = ["pretrain", "finetune"]
    for seed, (pre, fine) in enumerate([([0.1, 0.3, 0.5], [0.6, 0.8]), ([0.3, 0.5, 0.7], [0.8, 0.9])]):
        fake_job(tmp_path, seed, ["stages.pretrain.schedule.T=4", f"seed={seed}"], "completed",
                 {"pretrain/test/acc": 0.5, "test/acc": 0.9}, stages=stages,
                 curves={"pretrain": pre, "finetune": fine})
    jobs = load_jobs(tmp_path)
    [row] = build_table(jobs, ["stages.pretrain.schedule.T"], ["test/acc"], {})
    curves = config_curves(row)
    assert list(curves) == stages
    x, mean, std = curves["pretrain"]
    assert x == [1, 2, 3] and mean == pytest.approx([0.2, 0.4, 0.6]) and std == pytest.approx([0.1414214] * 3)
    x, mean, _ = curves["finetune"]
    assert x == [4, 5] and mean == pytest.approx([0.7, 0.85])  # epochs continue after the first stage
    write_report(tmp_path, quiet=True)
    assert list(read_csv(tmp_path / "report.csv")[0])[:3] == [
        "stages.pretrain.schedule.T", "pretrain/test/acc (%)", "test/acc (%)"]
    assert (tmp_path / "curves.png").stat().st_size > 5000


def test_row_keys_not_overridden_come_from_choices_and_config(tmp_path):
    """`--rows schedule.T model` on a sweep over `schedule=...`: T from each job's config, the model
    from its group choices (hydra.yaml), with no override naming either."""
    for i, (schedule, T) in enumerate([("sgd_cosine", 4), ("time_inheritance", 6), ("sgd_cosine", 4)]):
        job = fake_job(tmp_path, i, [f"schedule={schedule}", f"seed={i}"], "completed", {"test/acc": 0.1 * i})
        (job / ".hydra" / "config.yaml").write_text(yaml.safe_dump(
            {"task_name": "demo", "schedule": {"T": T, "optimizer": {"lr": 0.1}}}))
        (job / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump(
            {"hydra": {"runtime": {"choices": {"model": "mlp_spe_c60", "hydra/launcher": "basic"}}}}))
    write_report(tmp_path, metrics=["test/acc"], rows=["schedule.T", "model"], quiet=True)
    rows = read_csv(tmp_path / "report.csv")
    assert list(rows[0]) == ["schedule.T", "model", "schedule", "test/acc (%)", "status"]
    assert [(r["schedule.T"], r["model"], r["schedule"]) for r in rows] == [
        ("4", "mlp_spe_c60", "sgd_cosine"), ("6", "mlp_spe_c60", "time_inheritance")]
    assert rows[0]["test/acc (%)"] == "10.00 ± 14.14 (n=2)"  # jobs 0 and 2: 0.0 and 0.2
    jobs = load_jobs(tmp_path)
    assert jobs[0].value("schedule.optimizer") == "" and jobs[0].value("no.such.key") == ""
