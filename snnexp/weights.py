"""Start a run from another run's network weights (`init_from=<checkpoint>`).

All weights of the spiking networks are independent of T, so a T=1 or T=4 run initialises a T=6 run
directly (MS-ResNet's T=1 -> T=6 recipe, the spiking MLP's time inheritance 4 -> 6).
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from torch import nn

from snnexp.errors import UserError

log = logging.getLogger(__name__)


def network_state(ckpt_path: str | Path) -> dict[str, torch.Tensor]:
    """The network's state dict from a Lightning checkpoint (keys without the `net.` prefix)."""
    path = Path(ckpt_path)
    if not path.is_file():
        raise UserError(f"init_from: no checkpoint at {path}")
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    state = ckpt.get("state_dict", ckpt)
    return {k[len("net."):]: v for k, v in state.items() if k.startswith("net.")} or state


def load_network_weights(net: nn.Module, ckpt_path: str | Path, reset_head: bool = False) -> list[str]:
    """Copy weights into `net`; with `reset_head` the classifier (`net.head_name`) keeps its fresh
    initialisation (fine-tuning on another data set). Returns the keys left at initialisation."""
    state = network_state(ckpt_path)
    head = getattr(net, "head_name", "head") + "."
    if reset_head:
        state = {k: v for k, v in state.items() if not k.startswith(head)}
    own = net.state_dict()
    mismatched = [k for k, v in state.items() if k in own and own[k].shape != v.shape]
    if mismatched:
        hint = " (a different number of classes? set model.reset_head=true)" if any(
            k.startswith(head) for k in mismatched) else ""
        raise UserError(f"init_from {ckpt_path}: shapes differ for {', '.join(mismatched[:5])}{hint}")
    missing, unexpected = net.load_state_dict(state, strict=False)
    if unexpected:
        raise UserError(f"init_from {ckpt_path}: checkpoint has weights this model lacks: {unexpected[:5]} "
                        "(was it trained with another model config?)")
    bad = [k for k in missing if not (reset_head and k.startswith(head))]
    if bad:
        raise UserError(f"init_from {ckpt_path}: checkpoint lacks weights for {bad[:5]}")
    log.info("initialised network from %s%s", ckpt_path, " (head reset)" if reset_head else "")
    return list(missing)
