"""SPK blocks of SpikeAtConv (Liao, Chen, Liu, Wang, Liu, Front. Neurosci. 19:1536771, 2025;
arXiv 2411.17439), usable wherever a plain LIF is: each block is an `nn.Module` in multi-step mode
(`[T, B, ...]` in, same shape out) built from spikingjelly `neuron.LIFNode(step_mode='m')`, and the
configs build it as `functools.partial(<Block>, tau=2.0, ..., surrogate_function=...)` so that a network
creates one with `neuron()` (conf/neuron/{sl,rl,mbpl,hsl,dcl}.yaml).

No public code exists; models.md section 4.2 gives the paper's block names and the MBPL thresholds. Our
readings of what the paper leaves open ([A] = assumption):

* SL   (single LIF): `y = LIF(x)`; binary spikes.
* RL   (residual LIF) [A]: `y = x + LIF(x)`; analog output (the block input passes around the LIF).
* MBPL (multi-branch parallel LIF): K LIFs on the same input, LIF_k with threshold
  `v_threshold * thresholds[k]` (thresholds 0.2, 1, 2, 4 in the paper; with the default v_threshold 1
  they are the absolute thresholds; [A] that they scale with `v_threshold`), output their mean
  `y = (1/K) sum_k LIF_k(x)` [A] (alternatives: the plain sum, or concat + 1x1): a multi-level spike in
  {0, 1/K, ..., 1}.
* HSL  (hybrid/heterogeneous spiking LIF) [A]: the channels are split into `groups` contiguous groups
  (`torch.tensor_split`, so uneven sizes are allowed); group g has its own LIF with
  tau * tau_scales[g] and v_threshold * threshold_scales[g]; the outputs are concatenated. With equal
  scales HSL would be exactly SL, so the default makes the second half of the channels slower
  (tau 2 and 4). Channel axis: 2 for conv maps [T, B, C, H, W], else the last axis (token tensors
  [T, B, N, C] or [T, B, C]); the LIF is element-wise, so this only decides which elements are fast.
  Binary spikes.
* DCL  (dual-convolution LIF) [A]: `y = LIF(sum_k BN_k(DWConv_kxk(x)))`, kernels 3 and 5, depthwise
  (full convolutions would add 34 C^2 weights per activation, more than the ResNet-18 itself), no bias
  (BN follows). The only block with parameters. It needs the channel count, which `neuron()` does not
  get, so its convolutions and BNs are lazy: they are created on the first forward. Networks that may
  hold a DCL call `materialize(net, in_channels, img_size)` at the end of their constructor (a
  no-op otherwise), so that parameters exist before optimisers and parameter counts see them. DCL only
  accepts conv maps [T, B, C, H, W] and raises `ValueError` otherwise. Binary spikes.

Every LIF inside is a spikingjelly `LIFNode`, so `functional.reset_net` resets the blocks and spike
monitors (`monitor.OutputMonitor(net, neuron.LIFNode)`) see the inner LIFs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from spikingjelly.activation_based import functional, neuron
from torch import nn
from torch.nn.modules.lazy import LazyModuleMixin

__all__ = ["SPKBlock", "SL", "RL", "MBPL", "HSL", "DCL", "LazyDepthwiseConv2d", "materialize", "BLOCKS"]


class SPKBlock(nn.Module):
    """Holds the LIF hyper-parameters and builds multi-step LIFNodes from them.

    Args (all as spikingjelly's LIFNode; numbers are cast to float): tau, decay_input, v_threshold,
    v_reset (None = soft reset), detach_reset, surrogate_function, step_mode (must be 'm').
    """

    def __init__(
        self,
        tau: float = 2.0,
        decay_input: bool = True,
        v_threshold: float = 1.0,
        v_reset: float | None = 0.0,
        detach_reset: bool = True,
        surrogate_function: Any = None,
        step_mode: str = "m",
    ) -> None:
        super().__init__()
        if step_mode != "m":
            raise ValueError(f"SPK blocks are multi-step only (step_mode='m'), got {step_mode!r}")
        self.lif_kwargs: dict[str, Any] = dict(
            tau=float(tau),
            decay_input=bool(decay_input),
            v_threshold=float(v_threshold),
            v_reset=None if v_reset is None else float(v_reset),
            detach_reset=bool(detach_reset),
            step_mode="m",
        )
        if surrogate_function is not None:
            self.lif_kwargs["surrogate_function"] = surrogate_function

    def make_lif(self, **overrides: float) -> neuron.LIFNode:
        return neuron.LIFNode(**{**self.lif_kwargs, **{k: float(v) for k, v in overrides.items()}})

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.lif_kwargs.items() if k != "surrogate_function")


class SL(SPKBlock):
    """Single LIF: y = LIF(x) (binary spikes)."""

    def __init__(self, **lif: Any) -> None:
        super().__init__(**lif)
        self.lif = self.make_lif()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lif(x)


class RL(SPKBlock):
    """Residual LIF [A]: y = x + LIF(x) (analog)."""

    def __init__(self, **lif: Any) -> None:
        super().__init__(**lif)
        self.lif = self.make_lif()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.lif(x)


class MBPL(SPKBlock):
    """Multi-branch parallel LIF: mean of K LIFs with thresholds v_threshold * thresholds[k]
    (paper: 0.2, 1, 2, 4). Output in {0, 1/K, ..., 1}."""

    def __init__(self, thresholds: Sequence[float] = (0.2, 1.0, 2.0, 4.0), **lif: Any) -> None:
        super().__init__(**lif)
        thresholds = [float(t) for t in thresholds]
        if not thresholds or min(thresholds) <= 0:
            raise ValueError(f"MBPL needs positive thresholds, got {thresholds}")
        self.thresholds = tuple(thresholds)
        vth = self.lif_kwargs["v_threshold"]
        self.branches = nn.ModuleList(self.make_lif(v_threshold=vth * t) for t in thresholds)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([lif(x) for lif in self.branches]).mean(0)


class HSL(SPKBlock):
    """Hybrid LIF [A]: channel groups with their own (tau, v_threshold) scales, concatenated."""

    def __init__(
        self,
        groups: int = 2,
        tau_scales: Sequence[float] = (1.0, 2.0),
        threshold_scales: Sequence[float] = (1.0, 1.0),
        **lif: Any,
    ) -> None:
        super().__init__(**lif)
        groups = int(groups)
        if len(tau_scales) != groups or len(threshold_scales) != groups:
            raise ValueError(
                f"HSL: need one tau/threshold scale per group ({groups}), got "
                f"tau_scales={list(tau_scales)}, threshold_scales={list(threshold_scales)}"
            )
        tau, vth = self.lif_kwargs["tau"], self.lif_kwargs["v_threshold"]
        self.groups = groups
        self.lifs = nn.ModuleList(
            self.make_lif(tau=tau * float(a), v_threshold=vth * float(b))
            for a, b in zip(tau_scales, threshold_scales)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dim = 2 if x.dim() == 5 else x.dim() - 1
        if x.shape[dim] < self.groups:
            raise ValueError(f"HSL: {x.shape[dim]} channels (axis {dim}) cannot form {self.groups} groups")
        parts = torch.tensor_split(x, self.groups, dim=dim)
        return torch.cat([lif(p) for lif, p in zip(self.lifs, parts)], dim=dim)


class LazyDepthwiseConv2d(nn.LazyConv2d):
    """Depthwise k x k conv (groups = channels, 'same' padding, no bias) whose channel count is taken
    from the first input; becomes an `nn.Conv2d` once materialised."""

    def __init__(self, kernel_size: int) -> None:
        super().__init__(1, kernel_size, padding=kernel_size // 2, bias=False)

    def initialize_parameters(self, input: torch.Tensor, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        if self.has_uninitialized_params():
            self.out_channels = self.groups = input.shape[1]
        super().initialize_parameters(input, *args, **kwargs)


class DCL(SPKBlock):
    """Dual-convolution LIF [A]: y = LIF(sum_k BN_k(DWConv_k(x))), k in kernel_sizes (3, 5).
    Conv maps [T, B, C, H, W] only; lazy (see `materialize`)."""

    def __init__(self, kernel_sizes: Sequence[int] = (3, 5), **lif: Any) -> None:
        super().__init__(**lif)
        self.kernel_sizes = tuple(int(k) for k in kernel_sizes)
        if not self.kernel_sizes or any(k % 2 == 0 for k in self.kernel_sizes):
            raise ValueError(f"DCL needs odd kernel sizes, got {list(kernel_sizes)}")
        self.convs = nn.ModuleList(
            nn.Sequential(LazyDepthwiseConv2d(k), nn.LazyBatchNorm2d()) for k in self.kernel_sizes
        )
        self.lif = self.make_lif()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 5:
            raise ValueError(
                f"DCL applies to conv maps [T, B, C, H, W] only, got shape {tuple(x.shape)}; "
                "use sl/rl/mbpl/hsl for token or vector layers"
            )
        y = x.flatten(0, 1)
        y = sum(branch(y) for branch in self.convs)
        return self.lif(y.unflatten(0, x.shape[:2]))


BLOCKS = {"sl": SL, "rl": RL, "mbpl": MBPL, "hsl": HSL, "dcl": DCL}


def materialize(net: nn.Module, in_channels: int, img_size: int) -> nn.Module:
    """Create the parameters of lazy modules (DCL) with one dry run on a zero image [1, 1, C, H, W]
    in eval mode (BN statistics untouched), then reset the neurons. No-op without lazy modules."""
    if not any(isinstance(m, LazyModuleMixin) and m.has_uninitialized_params() for m in net.modules()):
        return net
    was_training = net.training
    net.eval()
    with torch.no_grad():
        net(torch.zeros(1, 1, in_channels, img_size, img_size))
    functional.reset_net(net)
    net.train(was_training)
    return net
