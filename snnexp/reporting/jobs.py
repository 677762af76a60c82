"""Reading the job folders of a Hydra multirun (`<sweep>/<num>/`) or a single run folder.

A job is described by its command-line overrides (`.hydra/overrides.yaml`), its `status.json`
(state, final metrics, error, stages) and the sweep's `report:` block (`.hydra/config.yaml`). A row
key that a job did not override (e.g. `report.rows: [schedule.T]` in a sweep over `schedule=...`) is
read from the job's group choices (`.hydra/hydra.yaml`) or, as a dotted path, from its config.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Overrides that never name a configuration: the study itself, the quick variant, output locations.
IGNORED_PREFIXES = ("hydra.", "paths.", "sweep", "quick")
SEED_KEY = "seed"


@dataclass
class Job:
    path: Path
    overrides: dict[str, str]
    state: str  # completed | failed | incomplete (killed: "running" left behind) | missing (no status.json)
    metrics: dict[str, float] = field(default_factory=dict)
    error: str = ""
    report_spec: dict[str, Any] = field(default_factory=dict)
    task_name: str = ""
    stages: list[str] = field(default_factory=list)
    choices: dict[str, str] = field(default_factory=dict)   # group -> option (hydra.runtime.choices)
    config: dict[str, Any] = field(default_factory=dict)    # the composed config (.hydra/config.yaml)

    @property
    def seed(self) -> str | None:
        return self.overrides.get(SEED_KEY)

    def value(self, key: str) -> str:
        """The job's value for `key`: its override, else its group choice, else the config's dotted
        path `key` (a leaf, not a sub-config), else ""."""
        if key in self.overrides:
            return self.overrides[key]
        if self.choices.get(key) is not None:
            return str(self.choices[key])
        node: Any = self.config
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return ""
            node = node[part]
        return "" if isinstance(node, (dict, list)) or node is None else str(node)


def parse_overrides(items: list[str] | None) -> dict[str, str]:
    """`["+sweep=x", "skip=none", "seed=2"]` -> `{"skip": "none", "seed": "2"}` (study/output keys dropped)."""
    out: dict[str, str] = {}
    for item in items or []:
        key, _, value = str(item).partition("=")
        key = key.lstrip("+~")
        if not key.startswith(IGNORED_PREFIXES):
            out[key] = value
    return out


def _read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text()) if path.is_file() else None


def _read_status(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):     # absent, or cut short by a hard kill
        return {}


def load_job(path: Path) -> Job:
    """One job folder. A job without status.json, or left "running" (killed), is not completed."""
    status = _read_status(path / "status.json")
    state = status.get("state", "missing")
    if state == "running":
        state = "incomplete"
    cfg = _read_yaml(path / ".hydra" / "config.yaml") or {}
    hydra_cfg = _read_yaml(path / ".hydra" / "hydra.yaml") or {}
    choices = ((hydra_cfg.get("hydra") or {}).get("runtime") or {}).get("choices") or {}
    metrics = {}
    for key, value in (status.get("metrics") or {}).items():
        try:
            metrics[key] = float(value)
        except (TypeError, ValueError):
            pass
    return Job(path=path, overrides=parse_overrides(_read_yaml(path / ".hydra" / "overrides.yaml")),
               state=state, metrics=metrics, error=str(status.get("error") or ""),
               report_spec=dict(cfg.get("report") or {}), task_name=str(cfg.get("task_name") or ""),
               stages=list(status.get("stages") or cfg.get("stages") or []),
               choices={k: v for k, v in choices.items() if not k.startswith("hydra/")}, config=cfg)


def load_jobs(sweep_dir: Path) -> list[Job]:
    """Every job folder of a multirun folder (`0/`, `1/`, ... in job order, or any sub-folder holding
    `.hydra/` or `status.json` when `hydra.sweep.subdir` was changed); a single run folder is one job."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise FileNotFoundError(f"no such folder: {sweep_dir}")
    if (sweep_dir / ".hydra").is_dir() or (sweep_dir / "status.json").is_file():
        return [load_job(sweep_dir)]  # one run (its stage sub-folders are not jobs)
    dirs = [p for p in sweep_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
            and (p.name.isdigit() or (p / ".hydra").is_dir() or (p / "status.json").is_file())]
    dirs.sort(key=lambda p: (0, int(p.name), "") if p.name.isdigit() else (1, 0, p.name))
    if dirs:
        return [load_job(p) for p in dirs]
    raise FileNotFoundError(f"{sweep_dir} holds no job folders (0/, 1/, ...) and is not a run folder")
