"""`python -m snnexp.report <sweep dir> [--out DIR] [--metric test/acc ...]`: a study's table and curves.

Collects every job's final metrics (its `status.json`) into one table shaped like the paper's
(`report.md`, `report.csv`), one row per configuration, plus `jobs.csv` (one raw row per job) and
`curves.png` (val/acc per epoch; per stage for staged studies). The sweep's `report:` block, when
present, sets `title`, `rows` (override keys forming the rows), `metrics` and `labels` (value renames);
`--metric` and `--rows` on the command line take precedence.
Jobs differing only by `seed` become mean ± std (n). A failed or unfinished job is shown as such and
never stops the report.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from snnexp.reporting.curves import plot_curves
from snnexp.reporting.jobs import Job, load_jobs
from snnexp.reporting.table import Row, build_table, column_name, row_keys

DEFAULT_METRICS = ["test/acc", "val/acc_best"]


def default_metrics(jobs: list[Job]) -> list[str]:
    """test/acc and val/acc_best; staged studies also get each earlier stage's test/acc."""
    stages = next((j.stages for j in jobs if j.stages), [])
    return [f"{s}/test/acc" for s in stages[:-1]] + DEFAULT_METRICS


def write_report(sweep_dir: Path, out: Path | None = None, metrics: list[str] | None = None,
                 quiet: bool = False, rows: list[str] | None = None) -> list[Row]:
    """Write report.md, report.csv, jobs.csv and curves.png into `out` (default: the sweep folder).
    `metrics` and `rows` take precedence over the sweep's `report:` block."""
    sweep_dir = Path(sweep_dir)
    out = Path(out or sweep_dir)
    jobs = load_jobs(sweep_dir)
    spec = next((j.report_spec for j in jobs if j.report_spec), {})
    keys = row_keys(jobs, rows or spec.get("rows"))
    metrics = list(metrics or spec.get("metrics") or default_metrics(jobs))
    labels = {str(k): str(v) for k, v in (spec.get("labels") or {}).items()}
    title = spec.get("title") or (jobs[0].task_name or "Study")
    rows = build_table(jobs, keys, metrics, labels)

    header = [*keys, *(column_name(m) for m in metrics), "status"]
    lines = [[*r.labels, *(str(r.cells[m]) for m in metrics), r.status] for r in rows]
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "report.csv", "w", newline="") as f:
        csv.writer(f).writerows([header, *lines])
    n_done = sum(j.state == "completed" for j in jobs)
    md = [f"# {title}", "", (f"Sweep `{sweep_dir}`: {len(jobs)} jobs, {n_done} completed. "
                             "Mean ± std over seeds where a configuration has several (n = completed jobs)."), "",
          "| " + " | ".join(header) + " |", "|" + "---|" * len(header),
          *("| " + " | ".join(c.replace("|", "\\|") for c in line) + " |" for line in lines),
          "", "![val/acc per epoch](curves.png)"]
    (out / "report.md").write_text("\n".join(md) + "\n")
    _write_jobs_csv(jobs, keys, out / "jobs.csv")
    plot_curves(rows, keys, out / "curves.png")
    if not quiet:
        _print(title, header, lines, out)
    return rows


def _write_jobs_csv(jobs: list[Job], keys: list[str], path: Path) -> None:
    """Every job, raw: folder, row-key values, seed, state, error and every final metric."""
    metric_names = sorted({m for j in jobs for m in j.metrics})
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["job", *keys, "seed", "state", "error", *metric_names])
        for j in jobs:
            error = j.error.splitlines()[0] if j.error else ""
            w.writerow([j.path.name, *(j.value(k) for k in keys), j.seed or "", j.state, error,
                        *(j.metrics.get(m, "") for m in metric_names)])


def _print(title: str, header: list[str], lines: list[list[str]], out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for h in header:
        table.add_column(h, overflow="fold")
    for line in lines:
        status = line[-1]
        table.add_row(*line[:-1], status if status == "completed" else f"[red]{status}[/red]")
    console = Console()
    console.print(table)
    console.print(f"written: {out / 'report.md'}, report.csv, jobs.csv, curves.png")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m snnexp.report", description=__doc__.splitlines()[0])
    parser.add_argument("sweep_dir", type=Path, help="a multirun folder (holding 0/, 1/, ...) or one run folder")
    parser.add_argument("--out", type=Path, help="where to write the report (default: the sweep folder)")
    parser.add_argument("--metric", action="append", help="a metric column (repeatable), e.g. --metric test/acc")
    parser.add_argument("--rows", nargs="+", metavar="KEY",
                        help="keys forming the rows, e.g. --rows skip schedule.T (default: the report block's)")
    args = parser.parse_args(argv)
    try:
        write_report(args.sweep_dir, args.out, args.metric, rows=args.rows)
    except FileNotFoundError as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
