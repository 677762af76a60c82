"""MFI (multiplication-free inference) checks: BN folded into the preceding Linear/Conv, and every
Linear/Conv except the encoding layer fed binary spikes (spiking MLP paper §3)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
from spikingjelly.activation_based import functional
from torch import nn

WEIGHT_LAYERS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)
NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


def _is_binary(x: torch.Tensor) -> bool:
    return bool(((x == 0) | (x == 1)).all())


@torch.no_grad()
def binary_input_report(net: nn.Module, x: torch.Tensor) -> list[str]:
    """Names of the Linear/Conv layers that received a non-binary input during one forward pass."""
    real: list[str] = []
    hooks = [m.register_forward_pre_hook(lambda m, a, name=name: real.append(name) if not _is_binary(a[0]) else None)
             for name, m in net.named_modules() if isinstance(m, WEIGHT_LAYERS)]
    try:
        net(x)
    finally:
        for h in hooks:
            h.remove()
        functional.reset_net(net)
    return list(dict.fromkeys(real))


@dataclass
class FoldReport:
    folded: list[tuple[str, str]] = field(default_factory=list)      # (layer, bn)
    not_foldable: list[str] = field(default_factory=list)            # BNs kept (per-position norms, ...)
    max_abs_diff: float = float("nan")
    max_abs_out: float = float("nan")


@torch.no_grad()
def find_fold_pairs(net: nn.Module, x: torch.Tensor) -> tuple[list[tuple[str, str]], list[str]]:
    """Trace one forward pass: a BN folds into a Linear/Conv when it normalises exactly that layer's
    output along its output-channel axis (dim 1 of a conv output, or the features of a 2-D Linear output)."""
    produced: dict[int, tuple[str, nn.Module, int]] = {}
    pairs, kept = [], []
    names = {m: n for n, m in net.named_modules()}

    def after_layer(m, a, out):
        produced[id(out)] = (names[m], m, out.dim())

    def before_norm(m, a):
        src = produced.get(id(a[0]))
        name = names[m]
        ok = False
        if src is not None:
            _, layer, ndim = src
            out_ch = layer.out_features if isinstance(layer, nn.Linear) else layer.out_channels
            ok = m.num_features == out_ch and (not isinstance(layer, nn.Linear) or ndim == 2)
        if ok:
            pairs.append((src[0], name))
        elif name not in kept:
            kept.append(name)

    hooks = [m.register_forward_hook(after_layer) for m in net.modules() if isinstance(m, WEIGHT_LAYERS)]
    hooks += [m.register_forward_pre_hook(before_norm) for m in net.modules() if isinstance(m, NORMS)]
    try:
        net(x)
    finally:
        for h in hooks:
            h.remove()
        functional.reset_net(net)
    return list(dict.fromkeys(pairs)), kept


def _set(net: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, attr = name.rpartition(".")
    setattr(net.get_submodule(parent) if parent else net, attr, module)


@torch.no_grad()
def fold_bn(net: nn.Module, x: torch.Tensor) -> tuple[nn.Module, FoldReport]:
    """An eval-mode copy of `net` with every foldable BN merged into its layer's weight and bias."""
    net = net.eval()
    pairs, kept = find_fold_pairs(net, x)
    folded = copy.deepcopy(net)
    for layer_name, bn_name in pairs:
        layer, bn = folded.get_submodule(layer_name), folded.get_submodule(bn_name)
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        shape = (-1,) + (1,) * (layer.weight.dim() - 1)
        bias = layer.bias if layer.bias is not None else torch.zeros_like(bn.running_mean)
        layer.weight.copy_(layer.weight * scale.view(shape))
        layer.bias = nn.Parameter((bias - bn.running_mean) * scale + bn.bias)
        _set(folded, bn_name, nn.Identity())
    return folded, FoldReport(folded=pairs, not_foldable=kept)


@torch.no_grad()
def check_folding(net: nn.Module, x: torch.Tensor) -> FoldReport:
    """Fold, then compare the folded network's eval outputs with the original's."""
    folded, report = fold_bn(net, x)
    ref = net.eval()(x)
    functional.reset_net(net)
    out = folded(x)
    functional.reset_net(folded)
    report.max_abs_diff = float((out - ref).abs().max())
    report.max_abs_out = float(ref.abs().max())
    return report
