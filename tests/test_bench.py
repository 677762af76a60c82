"""`python -m snnexp.bench --smoke` runs and writes its table (timings are not asserted)."""

from __future__ import annotations

import csv
import subprocess
import sys

from snnexp import PROJECT_ROOT


def test_bench_smoke_writes_paired_ratios_and_memory(tmp_path):
    res = subprocess.run([sys.executable, "-m", "snnexp.bench", "--smoke", "--out", str(tmp_path)],
                         cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    with open(tmp_path / "bench.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["T"]) for r in rows] == [1, 2]
    for r in rows:
        assert float(r["train time / bound"]) > 0 and float(r["infer img/s"]) > 0
    mem = [float(r["memory MB"]) for r in rows]
    assert mem[1] > mem[0]  # saved activations grow with T
    assert (tmp_path / "bench.md").read_text().startswith("| model")
