"""Operation counts and energy (spiking MLP paper Table 4; MS-ResNet Table V).

* #Add = synaptic operations, spikingjelly's `SynOpCounter`: for every Linear/Conv (aten mm/addmm/bmm/
  convolution) whose input is a binary spike tensor, nnz(input spikes) x fan-out, summed over all T steps
  (the papers' s * T * A).
* #Mult = multiply-accumulates of the Linear/Conv layers whose input is real-valued, from `MACCounter`
  restricted to the weight ops: the encoding layer, plus any layer that breaks MFI (e.g. a head fed
  average-pooled spikes). BN is not counted: it folds into the weights at inference (`analysis.mfi`).
  The encoding layer is counted on all T copies of the repeated image, as executed; because the copies
  are identical it could be computed once (#Mult / T for that layer) -- the papers do not say which.
* ANN MACs = every Linear/Conv MAC of the same network with ReLU neurons (`neuron=relu`) on one time step,
  whatever the input values (a dense count, not `MACCounter`'s spike-skipping one).
* Energy (45 nm, Horowitz 2014, as in both papers): 0.9 pJ per add, 4.6 pJ per MAC.
  E_SNN = 0.9 #Add + 4.6 #Mult; E_ANN = 4.6 MACs.

All figures are per sample (counts over the batch divided by the batch size). Count with trained BN
statistics (eval mode on a trained model) or in train mode: untrained BN in eval mode gives almost no spikes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from math import prod

import torch
from spikingjelly.activation_based import functional
from spikingjelly.activation_based.op_counter import DispatchCounterMode, MACCounter, SynOpCounter
from torch import nn

aten = torch.ops.aten
E_ADD_PJ, E_MAC_PJ = 0.9, 4.6
WEIGHT_OPS = (aten.mm.default, aten.addmm.default, aten.bmm.default, aten.baddbmm.default,
              aten.convolution.default)


def _mm(args, kwargs, out):
    (m, k), n = args[0].shape, args[1].shape[1]
    return m * k * n


def _addmm(args, kwargs, out):
    return _mm(args[1:], kwargs, out)


def _bmm(args, kwargs, out):
    (b, m, k), n = args[0].shape, args[1].shape[2]
    return b * m * k * n


def _baddbmm(args, kwargs, out):
    return _bmm(args[1:], kwargs, out)


def _conv(args, kwargs, out):
    x, w, transposed = args[0], args[1], args[6]
    spatial = x.shape[2:] if transposed else out.shape[2:]
    return x.shape[0] * w.shape[0] * prod(w.shape[1:]) * prod(spatial)


DENSE_RULES = {aten.mm.default: _mm, aten.addmm.default: _addmm, aten.bmm.default: _bmm,
               aten.baddbmm.default: _baddbmm, aten.convolution.default: _conv}


def _total(counter, ops=None) -> int:
    """The 'Global' scope of a spikingjelly counter (other scopes are nested module subtotals)."""
    counts = counter.get_counts().get("Global", {})
    return int(sum(n for op, n in counts.items() if ops is None or op in ops))


@dataclass
class OpCounts:
    """Per-sample counts of one network on one input (all T steps)."""

    adds: float       # synaptic operations (#Add)
    mults: float      # real-valued MACs (#Mult)

    @property
    def energy_uj(self) -> float:
        return energy_pj(self.adds, self.mults) / 1e6

    def as_dict(self) -> dict:
        return {**asdict(self), "energy_uj": self.energy_uj}


def energy_pj(adds: float, mults: float) -> float:
    return E_ADD_PJ * adds + E_MAC_PJ * mults


@torch.no_grad()
def count_ops(net: nn.Module, x: torch.Tensor) -> OpCounts:
    """#Add and #Mult per sample for one forward pass of x [T, B, ...] (neuron state reset after)."""
    syn, mac = SynOpCounter(), MACCounter()
    try:
        with DispatchCounterMode([syn, mac]):
            net(x)
    finally:
        functional.reset_net(net)
    batch = x.shape[1]
    return OpCounts(_total(syn) / batch, _total(mac, WEIGHT_OPS) / batch)


@torch.no_grad()
def dense_macs(net: nn.Module, x: torch.Tensor) -> float:
    """All Linear/Conv MACs per sample of one forward of x [T, B, ...] (use T=1 for an ANN)."""
    mac = MACCounter(extra_rules=DENSE_RULES)
    try:
        with DispatchCounterMode([mac]):
            net(x)
    finally:
        functional.reset_net(net)
    return _total(mac, WEIGHT_OPS) / x.shape[1]


ann_macs = dense_macs  # the ANN count: dense MACs of the ReLU twin on x[:1]


def ops_row(model: str, T: int, snn: OpCounts, ann_macs: float) -> dict:
    """One row in the layout of the spiking MLP paper's Table 4 (counts in millions, energy in uJ)."""
    return {"model": model, "T": T, "#Add (M)": snn.adds / 1e6, "#Mult (M)": snn.mults / 1e6,
            "SNN energy (uJ)": snn.energy_uj, "ANN MACs (M)": ann_macs / 1e6,
            "ANN energy (uJ)": energy_pj(0.0, ann_macs) / 1e6,
            "energy ratio ANN/SNN": energy_pj(0.0, ann_macs) / max(energy_pj(snn.adds, snn.mults), 1e-12)}
