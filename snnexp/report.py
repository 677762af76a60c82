"""`python -m snnexp.report <sweep dir>`: one table (Markdown + CSV) and one plot for a whole study.

Rows are configurations: the values of the overrides that differ between jobs (or the sweep's
`report.rows`). Jobs that differ only by `seed` are aggregated as mean ± std (n). A failed or unfinished
job shows as such and never stops the report.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SKIP_KEYS = ("hydra.", "sweep", "quick", "paths.", "+sweep", "+quick")


@dataclass
class Job:
    path: Path
    overrides: dict[str, str]
    state: str
    metrics: dict[str, float] = field(default_factory=dict)
    error: str = ""
    report_cfg: dict[str, Any] = field(default_factory=dict)
    stages: list[str] = field(default_factory=list)


def _parse_overrides(path: Path) -> dict[str, str]:
    items = yaml.safe_load(path.read_text()) if path.is_file() else []
    out = {}
    for item in items or []:
        key, _, value = str(item).partition("=")
        key = key.lstrip("+~")
        if not key.startswith(SKIP_KEYS):
            out[key] = value
    return out


def load_job(path: Path) -> Job:
    """One job folder: its overrides, status.json (state, metrics, error) and the sweep's report block."""
    overrides = _parse_overrides(path / ".hydra" / "overrides.yaml")
    status = json.loads((path / "status.json").read_text()) if (path / "status.json").is_file() else {}
    state = status.get("state", "missing")
    if state == "running":
        state = "incomplete"
    cfg_file = path / ".hydra" / "config.yaml"
    cfg = yaml.safe_load(cfg_file.read_text()) if cfg_file.is_file() else {}
    return Job(path, overrides, state, {k: float(v) for k, v in (status.get("metrics") or {}).items()},
               status.get("error", ""), (cfg or {}).get("report") or {}, status.get("stages") or [])


def load_jobs(sweep_dir: Path) -> list[Job]:
    """Every numbered job folder of a Hydra multirun directory."""
    dirs = [p for p in sweep_dir.iterdir() if p.is_dir() and p.name.isdigit()]
    if not dirs:
        raise SystemExit(f"no job folders (0/, 1/, ...) in {sweep_dir}")
    return [load_job(p) for p in sorted(dirs, key=lambda p: int(p.name))]


def row_keys(jobs: list[Job], requested: list[str] | None) -> list[str]:
    """The override keys that name a configuration (all that vary, except seed)."""
    if requested:
        return list(requested)
    keys = sorted({k for j in jobs for k in j.overrides})
    return [k for k in keys if k != "seed" and len({j.overrides.get(k) for j in jobs}) > 1] or \
        [k for k in keys if k != "seed"]


def _fmt(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{100 * values[0]:.2f}" if 0 <= values[0] <= 1 else f"{values[0]:.4g}"
    scale = 100 if all(0 <= v <= 1 for v in values) else 1
    mean, std = statistics.mean(values) * scale, statistics.stdev(values) * scale
    return f"{mean:.2f} ± {std:.2f} (n={len(values)})"


def build_table(jobs: list[Job], rows: list[str], metrics: list[str], labels: dict[str, str]):
    """[(row values, {metric: cell}, status)] — one entry per configuration, seeds aggregated."""
    groups: dict[tuple, list[Job]] = {}
    for job in jobs:
        groups.setdefault(tuple(job.overrides.get(k, "") for k in rows), []).append(job)
    table = []
    for key, members in groups.items():
        done = [j for j in members if j.state == "completed"]
        cells = {m: _fmt([j.metrics[m] for j in done if m in j.metrics]) for m in metrics}
        failed = [j for j in members if j.state != "completed"]
        status = "completed" if not failed else (
            f"{failed[0].state}" + (f": {failed[0].error[:80]}" if failed[0].error else "")
            + (f" ({len(failed)}/{len(members)} jobs)" if len(members) > 1 else ""))
        table.append(([labels.get(v, v) for v in key], cells, status))
    return table


def write_report(sweep_dir: Path, out: Path, metrics: list[str] | None = None) -> Path:
    jobs = load_jobs(sweep_dir)
    spec = next((j.report_cfg for j in jobs if j.report_cfg), {})
    rows = row_keys(jobs, spec.get("rows"))
    metrics = metrics or spec.get("metrics") or ["test/acc", "val/acc_best"]
    labels = {str(k): str(v) for k, v in (spec.get("labels") or {}).items()}
    title = spec.get("title") or f"Study {sweep_dir.name}"
    table = build_table(jobs, rows, metrics, labels)
    out.mkdir(parents=True, exist_ok=True)

    header = [*rows, *(f"{m} (%)" for m in metrics), "status"]
    with open(out / "report.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for values, cells, status in table:
            w.writerow([*values, *(cells[m] for m in metrics), status])
    md = [f"# {title}", "", f"Sweep: `{sweep_dir}` ({len(jobs)} jobs)", "",
          "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    md += ["| " + " | ".join([*values, *(cells[m] for m in metrics), status]) + " |"
           for values, cells, status in table]
    (out / "report.md").write_text("\n".join(md) + "\n")
    plot_curves(jobs, rows, labels, out / "curves.png")
    _print(title, header, table, metrics)
    return out / "report.md"


def _epoch_curve(metrics_csv: Path, key: str = "val/acc") -> list[tuple[int, float]]:
    if not metrics_csv.is_file():
        return []
    with open(metrics_csv) as f:
        return [(int(r["epoch"]), float(r[key])) for r in csv.DictReader(f) if r.get(key) and r.get("epoch")]


def plot_curves(jobs: list[Job], rows: list[str], labels: dict[str, str], path: Path) -> None:
    """val/acc per epoch, one line per job (per stage for staged jobs, epochs laid end to end)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for job in jobs:
        name = ", ".join(f"{k}={labels.get(job.overrides.get(k, ''), job.overrides.get(k, ''))}" for k in rows)
        if "seed" in job.overrides:
            name += f" (seed {job.overrides['seed']})"
        offset = 0
        for stage in job.stages or [""]:
            curve = _epoch_curve(job.path / stage / "csv" / "metrics.csv")
            if curve:
                ax.plot([offset + e + 1 for e, _ in curve], [100 * v for _, v in curve], marker="o",
                        label=f"{name} {stage}".strip(), linestyle="--" if job.state != "completed" else "-")
                offset += curve[-1][0] + 1
    ax.set_xlabel("epoch")
    ax.set_ylabel("val/acc (%)")
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _print(title, header, table, metrics) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title)
    for h in header:
        t.add_column(h)
    for values, cells, status in table:
        t.add_row(*values, *(cells[m] for m in metrics), status if status == "completed" else f"[red]{status}")
    Console().print(t)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m snnexp.report", description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path, help="a multirun folder (holds 0/, 1/, ..., multirun.yaml)")
    parser.add_argument("--out", type=Path, help="where to write report.md/.csv and curves.png (default: sweep_dir)")
    parser.add_argument("--metric", action="append", help="metric column(s), e.g. --metric test/acc")
    args = parser.parse_args(argv)
    write_report(args.sweep_dir, args.out or args.sweep_dir, args.metric)


if __name__ == "__main__":
    main()
