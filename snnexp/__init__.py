"""snnexp: Hydra + Lightning experiments for deep spiking neural networks."""

from snnexp import resolvers, schemas  # noqa: F401  (registers resolvers and config schemas)

PROJECT_ROOT = resolvers.PROJECT_ROOT
CONFIG_DIR = PROJECT_ROOT / "conf"

resolvers.register()
