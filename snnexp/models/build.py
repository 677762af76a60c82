"""The one way to build a network from a `conf/model/*.yaml` node: `hydra.utils.instantiate`."""

from __future__ import annotations

from typing import Any

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from torch import nn

# Keys of a model config that describe how to use the network, not how to construct it.
USAGE_KEYS = ("reset_head",)


def build_network(model_cfg: DictConfig | dict[str, Any], **overrides: Any) -> nn.Module:
    """Instantiate the network described by `model_cfg` (without its usage keys)."""
    cfg = OmegaConf.create(model_cfg) if isinstance(model_cfg, dict) else model_cfg.copy()
    OmegaConf.set_struct(cfg, False)
    for key in USAGE_KEYS:
        cfg.pop(key, None)
    net = instantiate(cfg, _convert_="partial", **overrides)
    if "in_channels" in cfg and "img_size" in cfg:  # create lazy parameters (DCL blocks) at build time
        from snnexp.neurons.spk import materialize

        materialize(net, int(cfg.in_channels), int(cfg.img_size))
    return net


def count_parameters(net: nn.Module) -> int:
    """Trainable parameters (models.md convention: BN affine included, running stats excluded)."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)
