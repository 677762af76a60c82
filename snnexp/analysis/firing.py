"""Firing rates per spiking layer and per stage (spiking MLP paper Fig. 4; MS-ResNet Fig. 3)."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import torch
from spikingjelly.activation_based import functional, monitor
from spikingjelly.activation_based.neuron import BaseNode
from torch import nn

STAGE_PATTERN = r"^(stages\.\d+|layer\d+|layers\.\d+)"


def spiking_layers(net: nn.Module) -> list[str]:
    return [name for name, m in net.named_modules() if isinstance(m, BaseNode)]


class FiringRateRecorder:
    """Accumulates spikes / (neurons x time steps) of every spiking node over any number of batches."""

    def __init__(self, net: nn.Module):
        self.net = net
        self.sums: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self.monitor = monitor.OutputMonitor(net, BaseNode, self._record)

    def _record(self, s: torch.Tensor):
        return (float(s.detach().sum()), s.numel())

    def collect(self) -> None:
        for name in self.monitor.monitored_layers:
            for total, n in self.monitor[name]:
                self.sums[name] += total
                self.counts[name] += n
        self.monitor.clear_recorded_data()

    def rates(self) -> dict[str, float]:
        self.collect()
        return {name: self.sums[name] / self.counts[name] for name in self.counts if self.counts[name]}

    def close(self) -> None:
        self.monitor.remove_hooks()


@torch.no_grad()
def firing_rates(net: nn.Module, x: torch.Tensor) -> dict[str, float]:
    """Rates of one forward pass of the multi-step input x [T, B, ...]."""
    rec = FiringRateRecorder(net)
    try:
        net(x)
        functional.reset_net(net)
        return rec.rates()
    finally:
        rec.close()


def stage_rates(rates: dict[str, float], pattern: str = STAGE_PATTERN) -> dict[str, float]:
    """Mean rate of the layers whose name starts with the same stage (unmatched: 'other')."""
    groups: dict[str, list[float]] = defaultdict(list)
    for name, r in rates.items():
        m = re.match(pattern, name)
        groups[m.group(1) if m else "other"].append(r)
    return {k: sum(v) / len(v) for k, v in groups.items()}


def plot_rates(rates: dict[str, float], path: Path, title: str = "firing rate per layer") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(6, 0.18 * len(rates)), 3.5))
    ax.bar(range(len(rates)), list(rates.values()))
    ax.set_xticks(range(len(rates)), list(rates), rotation=90, fontsize=5 if len(rates) > 30 else 7)
    ax.set_ylabel("spikes / neuron / step")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
