"""snnexp: Hydra + Lightning experiments for deep spiking neural networks."""

from pathlib import Path

from omegaconf import OmegaConf

from snnexp import schemas  # noqa: F401  (registers the config schemas)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = PROJECT_ROOT / "conf"

if not OmegaConf.has_resolver("project_root"):
    OmegaConf.register_new_resolver("project_root", lambda: str(PROJECT_ROOT))
