"""Speed and memory switches for a network (used by the LightningModule and by `snnexp.bench`).

* `compile`: `nn.Module.compile()` in place (TorchInductor). In place, so `state_dict` keys keep their
  names (no `_orig_mod.` prefix) and checkpoints stay interchangeable with eager runs. spikingjelly 2.0
  neurons are `torch.library` custom ops with fake kernels: 0 graph breaks, and `reset_net` outside the
  compiled call does not recompile (reference/spikingjelly.md §7). The first steps pay the compile
  (tens of seconds on CPU).
* `channels_last`: 4-D parameters (conv weights) in channels-last memory format, so the folded [T*B, C, H, W]
  convolutions run NHWC (a GPU win with bf16/tensor cores; on CPU measure with `snnexp.bench`).
* `checkpoint`: activation checkpointing with spikingjelly's `memopt.checkpoint_module` on every module
  whose name matches `checkpoint_pattern` (default: MLP-SPE mixer blocks `stages.i.blocks.j`, ResNet
  blocks `layerN.j` / `layers.i.j`). Unlike plain `torch.utils.checkpoint`, which re-runs a stateful
  forward and so advances neuron state twice, memopt passes neuron state explicitly and commits it once.
  `state_dict` keys are preserved (checkpoints stay interchangeable); `named_parameters()` names of a
  wrapped block gain a `_checkpoint_wrapped_module.` infix (torch's CheckpointWrapper), which suffix
  patterns such as `(tau|Vth)$` still match.
bf16 autocast is a trainer setting (`trainer=gpu`: `precision: bf16-mixed`), not a network change.
"""

from __future__ import annotations

import re

from torch import nn

CHECKPOINT_PATTERN = r"^(stages\.\d+\.blocks\.\d+|layer\d+\.\d+|layers\.\d+\.\d+)$"


def _set(net: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, attr = name.rpartition(".")
    setattr(net.get_submodule(parent) if parent else net, attr, module)


def checkpoint_blocks(net: nn.Module, pattern: str = CHECKPOINT_PATTERN) -> list[str]:
    """Wrap every module whose name matches `pattern` with `memopt.checkpoint_module`; returns the names."""
    from spikingjelly.activation_based import functional, memopt

    names = [n for n, _ in net.named_modules() if n and re.match(pattern, n)]
    for name in names:
        _set(net, name, memopt.checkpoint_module(net.get_submodule(name)))
    if names and hasattr(functional, "invalidate_reset_cache"):
        functional.invalidate_reset_cache(net)
    return names


def optimize_network(net: nn.Module, compile: bool = False, channels_last: bool = False,
                     checkpoint: bool = False, checkpoint_pattern: str = CHECKPOINT_PATTERN,
                     compile_kwargs: dict | None = None) -> nn.Module:
    """Apply the switches (module docstring) to `net` in place and return it."""
    import torch

    if channels_last:
        net.to(memory_format=torch.channels_last)
    if checkpoint:
        checkpoint_blocks(net, checkpoint_pattern)
    if compile:
        net.compile(**(compile_kwargs or {}))
    return net
