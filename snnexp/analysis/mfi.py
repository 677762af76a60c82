"""MFI (multiplication-free inference) checks (spiking MLP paper §3; MS-ResNet §III).

1. BN folding: in eval mode a BN right after a Linear/Conv, normalising that layer's output features
   (dim 1 of a conv output, the last dim of a Linear output), is the affine `y*s + b` with one (s, b) per
   output feature, which merges exactly into the layer: W' = W*s, b' = (b - mean)*s + beta.
   `find_fold_pairs` traces one forward pass to find such pairs (the BN's input must be the layer's output
   or a reshaped view of it, e.g. spikingjelly's multi-step `layer.*` folding T into the batch).
   Every other BN is reported as *kept*, with the reason. In MLP-SPE the axial token FCs
   (Conv2d(R, R, 1) on the spatial axis moved to channels + BatchNorm2d(R)) do fold: both index the same
   position axis. The channel block's BatchNorm1d(R*R) after a Linear over channels normalises token
   positions, not the Linear's output features: it is a per-position affine that no shared weight can
   absorb. It is not a multiplication on spikes: it scales an accumulated current per neuron (one multiply
   per neuron-step, like the LIF leak, not per synapse); where that current alone drives a LIF it equals a
   per-neuron threshold and bias current, but MLP-SPE adds skip currents first. The head's
   BN on spikes before pooling folds into the classifier only *forwards* (into the next layer), which we
   do not do; it is reported as kept.
2. Binary inputs: forward pre-hooks on every Linear/Conv record which ones see a non-binary input. The
   first such layer in call order is the encoding layer (real-valued image, expected); every other one
   breaks MFI and is listed as a violation (e.g. a head fed average-pooled spike rates, or layers after an
   RL/MBPL SPK block whose outputs are analog).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
from spikingjelly.activation_based import functional
from torch import nn

WEIGHT_LAYERS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)
NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def is_binary(x: torch.Tensor) -> bool:
    return x.dtype == torch.bool or bool(((x == 0) | (x == 1)).all())


@dataclass
class InputReport:
    """Which Linear/Conv layers got real-valued input, in call order."""

    real: dict[str, str] = field(default_factory=dict)     # layer -> value summary
    layers_seen: int = 0

    @property
    def encoding_layer(self) -> str | None:
        return next(iter(self.real), None)

    @property
    def violations(self) -> list[str]:
        """Layers other than the first (encoding) one fed non-binary input."""
        return list(self.real)[1:]

    @property
    def ok(self) -> bool:
        return not self.violations


def binary_input_report(net: nn.Module, x: torch.Tensor) -> list[str]:
    """Names of the Linear/Conv layers fed a non-binary input in one forward pass, in call order
    (the first is normally the encoding layer; see `input_report` for value summaries and violations)."""
    return list(input_report(net, x).real)


@torch.no_grad()
def input_report(net: nn.Module, x: torch.Tensor) -> InputReport:
    """Run one forward pass of x [T, B, ...] and record the Linear/Conv layers whose input is not binary."""
    report = InputReport()
    names = {m: n for n, m in net.named_modules()}

    def pre(m, args):
        report.layers_seen += 1
        a = args[0]
        if names[m] not in report.real and not is_binary(a):
            v = a.detach().float()
            report.real[names[m]] = f"min {v.min():.3g}, max {v.max():.3g}, {min(v.unique().numel(), 10**6)} values"

    _forward_with_hooks(net, x, [m.register_forward_pre_hook(pre) for m in net.modules()
                                 if isinstance(m, WEIGHT_LAYERS)])
    return report


@dataclass
class FoldReport:
    folded: list[tuple[str, str]] = field(default_factory=list)   # (layer, bn)
    kept: dict[str, str] = field(default_factory=dict)            # bn -> why it is not folded
    max_abs_diff: float = float("nan")                            # folded vs original eval outputs
    max_abs_out: float = float("nan")

    @property
    def not_foldable(self) -> list[str]:
        return list(self.kept)

    @property
    def equal(self) -> bool:
        return self.max_abs_diff <= 1e-4 * max(1.0, self.max_abs_out)


@torch.no_grad()
def find_fold_pairs(net: nn.Module, x: torch.Tensor) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(foldable (layer, bn) pairs, {kept bn: reason}) from one traced forward pass.

    A BN's input comes from a layer when it is that layer's output or a view of it (same storage and size:
    T folded into / out of the batch); it folds when the BN's axis 1 is the layer's feature axis: a conv
    output with the same [C, ...] trailing shape, or a 2-D [N, features] view of a Linear output."""
    produced: dict[int, tuple[str, nn.Module, torch.Tensor]] = {}   # data_ptr -> (name, layer, output)
    pairs: list[tuple[str, str]] = []
    kept: dict[str, str] = {}
    names = {m: n for n, m in net.named_modules()}

    def eff(t: torch.Tensor, m: nn.Module) -> torch.Tensor:  # spikingjelly step_mode='m' folds T into N
        return t.flatten(0, 1) if getattr(m, "step_mode", "s") == "m" and t.dim() > 2 else t

    def after_layer(m, a, out):
        produced[out.data_ptr()] = (names[m], m, eff(out, m))  # the reference keeps the storage alive

    def before_norm(m, a):
        name, inp = names[m], eff(a[0], m)
        src = produced.get(inp.data_ptr())
        if src is None or src[2].numel() != inp.numel():
            reason = "input is not a Linear/Conv output"
        else:
            layer_name, layer, out = src
            if isinstance(layer, nn.Linear):
                ok = inp.dim() == 2 and inp.shape[1] == out.shape[-1]
                why = f"normalises dim 1 of {layer_name}'s {tuple(out.shape)} output (per position), not its features"
            else:
                # same shape *and* strides: a transposed view of an output with C == H is not its channel axis
                ok = inp.dim() == out.dim() and inp.shape[1:] == out.shape[1:] and inp.stride() == out.stride()
                why = f"input {tuple(inp.shape)} does not keep {layer_name}'s channel axis {tuple(out.shape)}"
            if ok and m.num_features == inp.shape[1]:
                pairs.append((layer_name, name))
                return
            reason = why
        kept.setdefault(name, reason)

    hooks = [m.register_forward_hook(after_layer) for m in net.modules() if isinstance(m, WEIGHT_LAYERS)]
    hooks += [m.register_forward_pre_hook(before_norm) for m in net.modules() if isinstance(m, NORMS)]
    try:
        _forward_with_hooks(net, x, hooks)
    finally:
        produced.clear()
    # a BN that is also reached from something other than its layer is not foldable
    return [p for p in dict.fromkeys(pairs) if p[1] not in kept], kept


def _forward_with_hooks(net: nn.Module, x: torch.Tensor, hooks: list) -> None:
    """One forward pass with the given hooks installed; hooks removed and neuron state reset after."""
    try:
        net(x)
    finally:
        for h in hooks:
            h.remove()
        functional.reset_net(net)


def _set(net: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, attr = name.rpartition(".")
    setattr(net.get_submodule(parent) if parent else net, attr, module)


@torch.no_grad()
def fold_bn(net: nn.Module, x: torch.Tensor) -> tuple[nn.Module, FoldReport]:
    """An eval-mode copy of `net` with every foldable BN merged into its layer (the BN becomes Identity)."""
    was_training = net.training
    net.eval()
    try:
        pairs, kept = find_fold_pairs(net, x)
    finally:
        net.train(was_training)
    folded = copy.deepcopy(net).eval()
    for layer_name, bn_name in pairs:
        layer, bn = folded.get_submodule(layer_name), folded.get_submodule(bn_name)
        scale = (bn.weight if bn.affine else torch.ones_like(bn.running_var)) / torch.sqrt(bn.running_var + bn.eps)
        shift = bn.bias if bn.affine else torch.zeros_like(bn.running_mean)
        bias = layer.bias if layer.bias is not None else torch.zeros_like(bn.running_mean)
        shape = (-1,) + (1,) * (layer.weight.dim() - 1)
        layer.weight.copy_(layer.weight * scale.view(shape))
        layer.bias = nn.Parameter((bias - bn.running_mean) * scale + shift)
        _set(folded, bn_name, nn.Identity())
    if hasattr(functional, "invalidate_reset_cache"):
        functional.invalidate_reset_cache(folded)
    return folded, FoldReport(folded=pairs, kept=kept)


@torch.no_grad()
def check_folding(net: nn.Module, x: torch.Tensor) -> FoldReport:
    """Fold, then compare the folded network's eval-mode outputs with the original's on x."""
    folded, report = fold_bn(net, x)
    was_training = net.training
    net.eval()
    try:
        ref = net(x)
        functional.reset_net(net)
    finally:
        net.train(was_training)
    out = folded(x)
    functional.reset_net(folded)
    report.max_abs_diff = float((out - ref).abs().max())
    report.max_abs_out = float(ref.abs().max())
    return report
