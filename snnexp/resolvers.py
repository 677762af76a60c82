"""OmegaConf resolvers used by the configs (registered on `import snnexp`)."""

from __future__ import annotations

from pathlib import Path

from omegaconf import OmegaConf

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def job_overrides() -> list[str]:
    """This Hydra job's own overrides (the swept values in a multirun), minus Hydra's and sweep selection."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return []
    task = HydraConfig.get().overrides.task
    return [o.lstrip("+~") for o in task if not o.lstrip("+~").startswith(("hydra.", "sweep="))]


def run_name() -> str | None:
    """A readable run name: the job's overrides joined, e.g. `skip=none,seed=2` (None when there are none)."""
    return ",".join(job_overrides()) or None


def tags_with_overrides(tags) -> list[str]:
    """The configured tags plus one tag per override of this job (W&B limits tags to 64 characters)."""
    return [*list(tags or []), *(o[:64] for o in job_overrides())]


def register() -> None:
    for name, fn in {"project_root": lambda: str(PROJECT_ROOT), "run_name": run_name,
                     "tags_with_overrides": tags_with_overrides}.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, fn)
