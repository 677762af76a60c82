"""Firing rates per spiking layer and per stage (spiking MLP paper Fig. 4; MS-ResNet Fig. 3).

A layer's firing rate is spikes / (neurons x time steps x samples) of one spiking node, accumulated over
every batch seen (so it is weighted by batch size, not a mean of per-batch means). Spiking nodes are the
modules whose class is a spikingjelly `BaseNode` or `SimpleBaseNode`; SPK blocks (`snnexp.neurons.spk`)
are built from `LIFNode`s, so their inner LIFs are the recorded layers (an RL/MBPL block's analog output
is not a spike rate). Networks with no such node (SNN-MLP's full-precision group LIF, ReLU twins) give
no rates.

A stage's rate is the neuron-weighted rate of its layers (total spikes / total neuron-steps of every
layer whose name matches the stage pattern), i.e. the rate of the stage seen as one population; layers
outside any stage (e.g. MS-ResNet's `head_lif`) are grouped under their own top-level name.
Recording uses spikingjelly's `monitor.OutputMonitor` with a reducing hook (two numbers per forward), so
nothing large is kept and nothing is attached to the autograd graph.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import torch
from spikingjelly.activation_based import functional, monitor
from spikingjelly.activation_based.neuron import BaseNode, SimpleBaseNode
from torch import nn

#: default stage regex over module names: MLP-SPE `stages.i`, MS-ResNet `layerN`, ResNet-CIFAR `layers.i`.
STAGE_PATTERN = r"^(stages\.\d+|layer\d+|layers\.\d+)"
SPIKING_NODES = (BaseNode, SimpleBaseNode)


def spiking_layers(net: nn.Module) -> list[str]:
    """Names of the spiking nodes of `net`, in module order."""
    return [name for name, m in net.named_modules() if isinstance(m, SPIKING_NODES)]


def _reduce(s: torch.Tensor) -> tuple[float, int]:
    s = s[0] if isinstance(s, tuple) else s
    return float(s.detach().float().sum()), s.numel()


class FiringRateRecorder:
    """Accumulates spikes and neuron-steps of every spiking node of `net` over any number of forwards.

    Use `rates()` / `stage_rates()` at any time; `close()` removes the hooks (also a context manager).
    """

    def __init__(self, net: nn.Module):
        self.net = net
        self.sums: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self.monitor = monitor.OutputMonitor(net, SPIKING_NODES, _reduce)

    def collect(self) -> None:
        for name in self.monitor.monitored_layers:
            for total, n in self.monitor[name]:
                self.sums[name] += total
                self.counts[name] += n
        self.monitor.clear_recorded_data()

    def reset(self) -> None:
        self.monitor.clear_recorded_data()
        self.sums.clear()
        self.counts.clear()

    def rates(self) -> dict[str, float]:
        """Per-layer rate, in module order."""
        self.collect()
        return {n: self.sums[n] / self.counts[n] for n in self.monitor.monitored_layers if self.counts.get(n)}

    def stage_rates(self, pattern: str = STAGE_PATTERN) -> dict[str, float]:
        """Neuron-weighted rate per stage (module docstring)."""
        self.collect()
        spikes: dict[str, float] = defaultdict(float)
        steps: dict[str, int] = defaultdict(int)
        for name in self.monitor.monitored_layers:
            if self.counts.get(name):
                key = stage_of(name, pattern)
                spikes[key] += self.sums[name]
                steps[key] += self.counts[name]
        return {k: spikes[k] / steps[k] for k in spikes}

    def close(self) -> None:
        self.monitor.remove_hooks()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def stage_of(name: str, pattern: str = STAGE_PATTERN) -> str:
    """The stage a layer belongs to: the pattern's first group, else the layer's top-level name."""
    m = re.match(pattern, name)
    if m:
        return m.group(1) if m.groups() else m.group(0)
    return name.split(".", 1)[0]


@torch.no_grad()
def firing_rates(net: nn.Module, x: torch.Tensor) -> dict[str, float]:
    """Per-layer rates of one forward pass of the multi-step input x [T, B, ...] (state reset after)."""
    with FiringRateRecorder(net) as rec:
        try:
            net(x)
        finally:
            functional.reset_net(net)
        return rec.rates()


def stage_rates(rates: dict[str, float], pattern: str = STAGE_PATTERN) -> dict[str, float]:
    """Unweighted mean of the layer rates per stage (when only the per-layer rates are known)."""
    groups: dict[str, list[float]] = defaultdict(list)
    for name, r in rates.items():
        groups[stage_of(name, pattern)].append(r)
    return {k: sum(v) / len(v) for k, v in groups.items()}


def write_csv(rates: dict[str, float], path: Path, key: str = "layer") -> Path:
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([(key, "firing_rate"), *((k, f"{v:.6g}") for k, v in rates.items())])
    return path


def plot_rates(rates: dict[str, float], path: Path, title: str = "firing rate per layer",
               pattern: str = STAGE_PATTERN):
    """Bar plot (PNG, Agg backend) of per-layer rates, bars coloured by stage. Returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(rates)
    stages = list(dict.fromkeys(stage_of(n, pattern) for n in names))
    cmap = plt.get_cmap("tab10")
    colors = [cmap(stages.index(stage_of(n, pattern)) % 10) for n in names]
    fig, ax = plt.subplots(figsize=(min(40, max(6, 0.16 * len(names))), 3.8))
    ax.bar(range(len(names)), [rates[n] for n in names], color=colors)
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=4 if len(names) > 60 else 6)
    ax.set_ylabel("spikes / neuron / step")
    ax.set_title(title)
    if 1 < len(stages) <= 12:
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(color=cmap(i % 10), label=s) for i, s in enumerate(stages)], fontsize=6)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
