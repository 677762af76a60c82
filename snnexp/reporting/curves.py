"""Validation accuracy per epoch, one line per configuration (mean over seeds, ± std band); staged jobs
get one line per stage, the stages laid end to end on the epoch axis (a dotted line marks each boundary).
Read from each job's Lightning CSV log (`<job>[/<stage>]/csv/metrics.csv`)."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

from snnexp.reporting.jobs import Job
from snnexp.reporting.table import Row

Curve = dict[int, float]  # epoch (0-based) -> value


def read_curve(metrics_csv: Path, key: str = "val/acc") -> Curve:
    """Epoch -> the last logged value of `key` in that epoch (a resumed run may log an epoch twice)."""
    curve: Curve = {}
    if not metrics_csv.is_file():
        return curve
    with open(metrics_csv, newline="") as f:
        for rec in csv.DictReader(f):
            if rec.get(key) and rec.get("epoch"):
                curve[int(float(rec["epoch"]))] = float(rec[key])
    return curve


def job_curves(job: Job, key: str = "val/acc") -> dict[str, Curve]:
    """{stage: curve} ({"": curve} for an unstaged job)."""
    return {stage: read_curve(job.path / stage / "csv" / "metrics.csv", key) for stage in (job.stages or [""])}


def config_curves(row: Row, key: str = "val/acc") -> dict[str, tuple[list[int], list[float], list[float]]]:
    """{stage: (epochs, mean, std)} over the row's jobs, epochs counted from 1 and continued across stages."""
    per_job = [job_curves(j, key) for j in row.jobs]
    stages = list(dict.fromkeys(s for c in per_job for s in c))
    out, offset = {}, 0
    for stage in stages:
        epochs = sorted({e for c in per_job for e in c.get(stage, {})})
        if not epochs:
            continue
        means, stds = [], []
        for e in epochs:
            vals = [c[stage][e] for c in per_job if e in c.get(stage, {})]
            means.append(statistics.mean(vals))
            stds.append(statistics.stdev(vals) if len(vals) > 1 else 0.0)
        out[stage] = ([offset + e + 1 for e in epochs], means, stds)
        offset += epochs[-1] + 1
    return out


def plot_curves(rows: list[Row], keys: list[str], path: Path, key: str = "val/acc") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    boundaries: set[float] = set()
    for i, row in enumerate(rows):
        name = ", ".join(f"{k}={v}" for k, v in zip(keys, row.labels)) or "run"
        done = sum(j.state == "completed" for j in row.jobs)
        if len(row.jobs) > 1:
            name += f" (n={len(row.jobs)})"
        if done < len(row.jobs):
            name += " [failed]" if done == 0 else f" [{len(row.jobs) - done} failed]"
        style = "-" if done == len(row.jobs) else "--"
        for s, (stage, (x, mean, std)) in enumerate(config_curves(row, key).items()):
            scale = 100 if all(0 <= v <= 1 for v in mean) else 1
            y = [scale * v for v in mean]
            ax.plot(x, y, style, marker="o" if s == 0 else "s", ms=3, color=f"C{i % 10}",
                    alpha=1.0 if s == 0 else 0.7, label=f"{name} · {stage}" if stage else name)
            if any(std):
                low, high = [a - scale * d for a, d in zip(y, std)], [a + scale * d for a, d in zip(y, std)]
                ax.fill_between(x, low, high, color=f"C{i % 10}", alpha=0.15)
            if s > 0:
                boundaries.add(x[0] - 0.5)
    for b in boundaries:
        ax.axvline(b, color="grey", linestyle=":", linewidth=1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{key} (%)")
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, f"no {key} logged", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
