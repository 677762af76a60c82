"""Speed switches applied to a network (top-level config keys `compile`, `channels_last`).

`torch.compile` is applied in place (`nn.Module.compile`), so parameter names and checkpoints are unchanged;
spikingjelly 2.0 neurons trace without graph breaks (spikingjelly.md §7). T is already folded into the batch
for every stateless layer in snnexp's models. On GPU, `trainer=gpu` adds bf16 autocast.
"""

from __future__ import annotations

import torch
from torch import nn


def optimize_network(net: nn.Module, compile: bool = False, channels_last: bool = False) -> nn.Module:
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    if compile:
        net.compile()
    return net
