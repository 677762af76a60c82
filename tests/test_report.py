"""`python -m snnexp.report`: the paper-shaped table from a real sweep, failed jobs, seed aggregation."""

from __future__ import annotations

import csv
import json
import statistics
import subprocess
import sys

import yaml

from snnexp import PROJECT_ROOT
from snnexp.report import write_report
from tests.helpers import snnexp_cli


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_report_of_a_real_sweep_with_a_failed_job(tmp_path):
    sweep = tmp_path / "sweep"
    # split_seed=-1 is rejected by scikit-learn at run time: that job fails, the others run
    res = snnexp_cli("-m", "model=mlp_spe_c60", "dataset.img_size=16", "debug=fast", "dataset.split_seed=0,-1",
                     "seed=1,2", f"hydra.sweep.dir={sweep}", cwd=tmp_path)
    assert res.returncode != 0  # Hydra reports the failure after running every job
    states = {p.name: json.loads((p / "status.json").read_text())["state"] for p in sweep.iterdir() if p.is_dir()}
    assert sorted(states.values()) == ["completed", "completed", "failed", "failed"]

    out = subprocess.run([sys.executable, "-m", "snnexp.report", str(sweep), "--metric", "test/acc"],
                         cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = {r["dataset.split_seed"]: r for r in read_csv(sweep / "report.csv")}
    assert set(rows) == {"0", "-1"}
    assert rows["-1"]["status"].startswith("failed") and rows["-1"]["test/acc (%)"] == "-"
    done = [json.loads((p / "status.json").read_text())["metrics"]["test/acc"] for p in sweep.iterdir()
            if p.is_dir() and states[p.name] == "completed"]
    mean, std = 100 * statistics.mean(done), 100 * statistics.stdev(done)
    assert rows["0"]["test/acc (%)"] == f"{mean:.2f} ± {std:.2f} (n=2)"
    assert "failed" in (sweep / "report.md").read_text()
    assert (sweep / "curves.png").stat().st_size > 1000


def fake_job(root, num, overrides, state, metrics=None, report=None):
    job = root / str(num)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    (job / ".hydra" / "config.yaml").write_text(yaml.safe_dump({"report": report} if report else {}))
    (job / "status.json").write_text(json.dumps({"state": state, "metrics": metrics or {}}))


def test_report_block_rows_labels_and_seed_statistics(tmp_path):
    spec = {"title": "Table 3", "rows": ["skip"], "metrics": ["test/acc"], "labels": {"pt_pc_tc": "PT+PC+TC"}}
    accs = [0.5, 0.6, 0.7]
    for i, acc in enumerate(accs):
        fake_job(tmp_path, i, ["+sweep=skip_ablation", "skip=pt_pc_tc", f"seed={i}"], "completed",
                 {"test/acc": acc}, spec)
    fake_job(tmp_path, 3, ["+sweep=skip_ablation", "skip=none", "seed=0"], "running", report=spec)
    write_report(tmp_path, tmp_path / "out")
    rows = read_csv(tmp_path / "out" / "report.csv")
    assert [r["skip"] for r in rows] == ["PT+PC+TC", "none"]
    assert rows[0]["test/acc (%)"] == "60.00 ± 10.00 (n=3)" and rows[0]["status"] == "completed"
    assert rows[1]["status"] == "incomplete" and rows[1]["test/acc (%)"] == "-"
    assert (tmp_path / "out" / "report.md").read_text().startswith("# Table 3")
