"""Operation counts and energy (spiking MLP paper Table 4; MS-ResNet Table V).

#Add = synaptic operations (spike-driven accumulates: nnz(input spikes) x fan-out, i.e. s*T*A) counted by
spikingjelly's `SynOpCounter`; #Mult = multiply-accumulates of Linear/Conv layers whose input is real-valued
(the encoding layer, plus any layer that breaks MFI), from `MACCounter` restricted to conv/matmul ops
(BN is folded into the weights at inference). Energy: 0.9 pJ per add, 4.6 pJ per MAC (45 nm, Horowitz).
All counts are per sample (divided by the batch size) and cover all T steps.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from spikingjelly.activation_based import functional
from spikingjelly.activation_based.op_counter import DispatchCounterMode, MACCounter, SynOpCounter
from torch import nn

E_ADD_PJ, E_MAC_PJ = 0.9, 4.6
_WEIGHT_OPS = ("convolution", "conv", "mm", "addmm", "bmm", "linear")


def _global_total(counter, weight_ops_only: bool = False) -> int:
    """The 'Global' scope of a spikingjelly counter (other scopes are nested module subtotals)."""
    ops = counter.get_counts().get("Global", {})
    return sum(n for op, n in ops.items() if not weight_ops_only or any(k in str(op) for k in _WEIGHT_OPS))


@dataclass
class OpCounts:
    adds: float          # synaptic operations per sample
    mults: float         # real-valued MACs per sample
    energy_uj: float

    def as_dict(self):
        return asdict(self)


def energy_pj(adds: float, mults: float) -> float:
    return E_ADD_PJ * adds + E_MAC_PJ * mults


@torch.no_grad()
def count_ops(net: nn.Module, x: torch.Tensor) -> OpCounts:
    """Counts for one forward pass of x [T, B, ...] (per sample)."""
    batch = x.shape[1]
    syn, mac = SynOpCounter(), MACCounter()
    with DispatchCounterMode([syn, mac]):
        net(x)
    functional.reset_net(net)
    adds, mults = _global_total(syn) / batch, _global_total(mac, weight_ops_only=True) / batch
    return OpCounts(adds, mults, energy_pj(adds, mults) / 1e6)


@torch.no_grad()
def ann_macs(net: nn.Module, x: torch.Tensor) -> float:
    """MACs per sample of a (ReLU) network on one time step x [1, B, ...]."""
    mac = MACCounter()
    with DispatchCounterMode([mac]):
        net(x)
    return _global_total(mac, weight_ops_only=True) / x.shape[1]
