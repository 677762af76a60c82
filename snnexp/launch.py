"""Checks on how a run is launched (filled in by the launcher work)."""

from __future__ import annotations

from omegaconf import DictConfig


def check_launch(cfg: DictConfig) -> None:
    """Raise UserError for launcher/trainer combinations that cannot work."""
