"""SpikeAtConv (Liao, Chen, Liu, Wang, Liu, "SpikeAtConv: an integrated spiking-convolutional attention
architecture", Front. Neurosci. 19:1536771, 2025; arXiv 2411.17439): a MaxViT-style four-stage SNN whose
blocks combine a spiking ConvNeXt block with spiking window (SISA) and grid (BDSA) attention, and whose
activations are SPK blocks (any contract `neuron`: LIF, or sl/rl/mbpl/hsl/dcl of snnexp.neurons.spk).

Sizes (paper): tiny dims 64-128-256-512, depths 1,3,6,1; base 128-...-1024, 2,6,12,2;
large 160-...-1280, 2,6,16,2.

No public code exists (models.md 4.1); everything below that the paper does not fix is our choice [A]:

* Tensors are multi-step conv maps [T, B, C, H, W] throughout; Conv/BN fold T into the batch; BN replaces
  MaxViT's LayerNorm. Residual streams carry membrane-space sums (MS-ResNet / spike-driven style): each
  residual branch starts with `neuron()`, so every conv and 1x1 projection sees spikes (or the
  multi-level/analog outputs of MBPL/RL), never the raw sum.
* Stem: Conv3x3(in -> C1, stride s) -> BN -> SPK -> Conv3x3(C1 -> C1) -> BN (MaxViT stem, BN for the
  bias). s = `stem_stride`; null means 2 for img_size >= 64 (ImageNet 224: stage maps 56/28/14/7) and 1
  for smaller images (CIFAR 32: stage maps 16/8/4/2), so the last stage is never smaller than 1x1.
* Each stage starts with a downsampling layer SPK -> Conv3x3(s2) -> BN (MaxViT folds it into the first
  MBConv; ours is the spike-driven-transformer form).
* Block (MaxViT order, the paper's ConvNeXt block in place of MBConv):
    x = x + ConvNeXt(x)   with ConvNeXt = SPK -> DWConv7x7 -> BN -> SPK -> Conv1x1(4C) -> BN -> SPK ->
                          Conv1x1(C) -> BN (no layer scale)
    for attn in `attention` (default SISA then BDSA):
        x = x + attn(x);  x = x + MLP(x)   with MLP = SPK -> Conv1x1(4C) -> BN -> SPK -> Conv1x1(C) -> BN
  SISA/BDSA: snnexp.models.spiking_attention (Spikformer SSA in windows / on the grid, head dim 32,
  scale 0.125). Reading chosen [A]: SISA and BDSA are MaxViT's two partition attentions (SISA = window
  / "block" attention, BDSA = dilated-grid attention), both present in every block, in that order.
  The other reading (one window attention plus a grid attention that is *either* SISA or BDSA) differs
  only in the partition, because both use the same softmax-free SSA here; `attention: [sisa]` or
  `[bdsa]` gives one partition attention per block, for an ablation. Window/grid size p: the largest divisor of the map side <= `window_size` (7), i.e. 7 at
  224 and (4, 4, 4, 2) at 32x32.
* Head: SPK -> global average pool -> Linear, per time step (no MaxViT pre-logits MLP).
* Default init (PyTorch); no drop-path.

Parameters at 224 / 1000 classes (any img_size: no positional parameters):
tiny 25.056M (25,056,488), base 189.893M (189,892,968), large 348.759M (348,759,240)
(measured here; the paper's counts were not available to us).
A DCL neuron adds 38 C per activation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from spikingjelly.activation_based import layer
from torch import nn

from snnexp.models.spiking_attention import ATTENTIONS, SpikingPartitionAttention, pw_bn
from snnexp.neurons.spk import materialize


def conv_bn(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    """Multi-step Conv(k x k, no bias, 'same' padding) -> BN."""
    return nn.Sequential(
        layer.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False, step_mode="m"),
        layer.BatchNorm2d(cout, step_mode="m"),
    )


class SpikingMLP(nn.Module):
    """SPK -> Conv1x1(C -> rC) -> BN -> SPK -> Conv1x1(rC -> C) -> BN (a per-token FFN)."""

    def __init__(self, dim: int, neuron: Callable[[], nn.Module], ratio: int = 4) -> None:
        super().__init__()
        self.sn1, self.fc1 = neuron(), pw_bn(dim, ratio * dim)
        self.sn2, self.fc2 = neuron(), pw_bn(ratio * dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.sn2(self.fc1(self.sn1(x))))


class SpikingConvNeXt(nn.Module):
    """Spiking ConvNeXt branch: SPK -> DWConv(k) -> BN -> SpikingMLP."""

    def __init__(self, dim: int, neuron: Callable[[], nn.Module], kernel_size: int = 7, ratio: int = 4) -> None:
        super().__init__()
        self.sn = neuron()
        self.dw = conv_bn(dim, dim, kernel_size, groups=dim)
        self.mlp = SpikingMLP(dim, neuron, ratio)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.dw(self.sn(x)))


class SpikeAtConvBlock(nn.Module):
    """x + ConvNeXt(x), then for each attention: x + attn(x), x + MLP(x)."""

    def __init__(
        self,
        dim: int,
        neuron: Callable[[], nn.Module],
        attention: Sequence[str],
        window_size: int,
        head_dim: int,
        mlp_ratio: int,
    ) -> None:
        super().__init__()
        self.conv = SpikingConvNeXt(dim, neuron, ratio=mlp_ratio)
        self.attn = nn.ModuleList(
            SpikingPartitionAttention(dim, neuron, kind, window_size, head_dim) for kind in attention
        )
        self.mlp = nn.ModuleList(SpikingMLP(dim, neuron, mlp_ratio) for _ in attention)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.conv(x)
        for attn, mlp in zip(self.attn, self.mlp):
            x = x + attn(x)
            x = x + mlp(x)
        return x


class SpikeAtConv(nn.Module):
    """SpikeAtConv tiny/base/large. Input [T, B, C, H, W], output [T, B, num_classes].

    Args: num_classes, img_size (stem stride rule, materialising a lazy DCL), in_channels, neuron,
    dims (stage widths), depths (blocks per stage), attention (subset/order of ("sisa", "bdsa")),
    window_size (max partition side, 7), head_dim (32), mlp_ratio (4), stem_stride (None = auto, see
    module docstring).
    """

    head_name = "head"

    def __init__(
        self,
        num_classes: int,
        img_size: int,
        in_channels: int,
        neuron: Callable[[], nn.Module],
        dims: Sequence[int] = (64, 128, 256, 512),
        depths: Sequence[int] = (1, 3, 6, 1),
        attention: Sequence[str] = ATTENTIONS,
        window_size: int = 7,
        head_dim: int = 32,
        mlp_ratio: int = 4,
        stem_stride: int | None = None,
    ) -> None:
        super().__init__()
        dims, depths, attention = [int(d) for d in dims], [int(d) for d in depths], [str(a) for a in attention]
        if len(dims) != len(depths):
            raise ValueError(f"dims {dims} and depths {depths} must have the same length")
        self.img_size = img_size
        self.stem_stride = stem_stride if stem_stride is not None else (2 if img_size >= 64 else 1)
        self.stem = nn.Sequential(
            conv_bn(in_channels, dims[0], 3, stride=self.stem_stride), neuron(), conv_bn(dims[0], dims[0], 3)
        )
        stages, cin = [], dims[0]
        for dim, depth in zip(dims, depths):
            down = nn.Sequential(neuron(), conv_bn(cin, dim, 3, stride=2))
            blocks = [SpikeAtConvBlock(dim, neuron, attention, window_size, head_dim, mlp_ratio) for _ in range(depth)]
            stages.append(nn.Sequential(down, *blocks))
            cin = dim
        self.stages = nn.Sequential(*stages)
        self.head_sn = neuron()
        self.avgpool = layer.AdaptiveAvgPool2d(1, step_mode="m")
        self.head = layer.Linear(dims[-1], num_classes, step_mode="m")
        materialize(self, in_channels, img_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stages(self.stem(x))
        return self.head(self.avgpool(self.head_sn(x)).flatten(2))
