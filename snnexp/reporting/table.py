"""The paper-shaped table: one row per configuration, one column per metric.

A configuration is the tuple of values of the row keys: the sweep's `report.rows` (if given) followed by
every other override key whose value differs between jobs, except `seed`. Jobs of one configuration
that differ only by seed are aggregated as mean ± sample std (n = completed jobs). Choices the studies
leave open: accuracies (metric name containing "acc", values in [0, 1]) are shown in percent with two
decimals; other metrics with 4 significant digits; failed jobs contribute no value, and the row says so.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from snnexp.reporting.jobs import SEED_KEY, Job


def row_keys(jobs: list[Job], requested: list[str] | None = None) -> list[str]:
    """Requested keys first, then the other keys that vary between jobs (seed excluded); with nothing
    requested and nothing varying (one configuration), all its override keys."""
    seen: list[str] = []
    for job in jobs:
        seen += [k for k in job.overrides if k not in seen]
    varying = [k for k in seen if k != SEED_KEY and len({j.overrides.get(k) for j in jobs}) > 1]
    keys = list(requested or []) + [k for k in varying if k not in (requested or [])]
    return keys or [k for k in seen if k != SEED_KEY]  # a single configuration: name it by its overrides


def is_accuracy(metric: str) -> bool:
    return "acc" in metric.rsplit("/", 1)[-1]


def column_name(metric: str) -> str:
    return f"{metric} (%)" if is_accuracy(metric) else metric


@dataclass
class Cell:
    values: list[float]
    metric: str

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float | None:
        return statistics.mean(self.values) if self.values else None

    @property
    def std(self) -> float | None:
        return statistics.stdev(self.values) if len(self.values) > 1 else None

    def __str__(self) -> str:
        if not self.values:
            return "-"
        pct = is_accuracy(self.metric) and all(0.0 <= v <= 1.0 for v in self.values)
        fmt = (lambda v: f"{100 * v:.2f}") if pct else (lambda v: f"{v:.4g}")
        if self.n == 1:
            return fmt(self.values[0])
        return f"{fmt(self.mean)} ± {fmt(self.std)} (n={self.n})"


@dataclass
class Row:
    key: tuple[str, ...]            # raw override values of the row keys
    labels: list[str]               # the same, renamed by the report block's `labels`
    jobs: list[Job]
    cells: dict[str, Cell]

    @property
    def status(self) -> str:
        bad = [j for j in self.jobs if j.state != "completed"]
        if not bad:
            return "completed"
        error = bad[0].error.splitlines()[0] if bad[0].error else ""
        text = bad[0].state + (f": {error[:100]}" + ("…" if len(error) > 100 else "") if error else "")
        return text + (f" ({len(bad)}/{len(self.jobs)} jobs)" if len(self.jobs) > 1 else "")


def group_jobs(jobs: list[Job], keys: list[str]) -> dict[tuple[str, ...], list[Job]]:
    """Jobs by configuration, in order of first appearance (the sweep's order)."""
    groups: dict[tuple[str, ...], list[Job]] = {}
    for job in jobs:
        groups.setdefault(tuple(job.value(k) for k in keys), []).append(job)
    return groups


def build_table(jobs: list[Job], keys: list[str], metrics: list[str], labels: dict[str, str]) -> list[Row]:
    rows = []
    for key, members in group_jobs(jobs, keys).items():
        done = [j for j in members if j.state == "completed"]
        cells = {m: Cell([j.metrics[m] for j in done if m in j.metrics], m) for m in metrics}
        rows.append(Row(key, [labels.get(v, v) for v in key], members, cells))
    return rows
