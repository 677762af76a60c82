"""MS-ResNet (Hu, Deng, Wu, Yao, Li, "Advancing Spiking Neural Networks Toward Deep Residual
Learning", IEEE TNNLS 2024, arXiv 2112.08954) and the CIFAR depth study of the same paper.

* `MSResNet` (configs ms_resnet18/34): spikingjelly's `activation_based.model.ms_resnet.MSResNet`,
  which matches the authors' `models/MS_ResNet.py` layer for layer (models.md 3.6): stem Conv7x7 s2
  + BN, no max-pool, four stride-2 stages of membrane-shortcut blocks LIF-conv-BN-LIF-conv-BN
  (+ shortcut), no LIF after the add, head LIF -> GAP -> Linear. BN init as the original: gamma 0.5
  (= V_th) everywhere, 0 for the second BN of each branch. We only (1) build every LIF from the
  configured `neuron` and (2) return per-step logits [T, B, classes] instead of their T-mean (the
  Linear head commutes with the mean).
* `MSResNet104`: not in spikingjelly. The same class with the authors' ResNet-104 changes: a stem of
  three 3x3 convs with bias (s2, s1, s1) + BN, AvgPool(2) -> Conv1x1 -> BN shortcuts, and
  Dropout(0.2) before the head.
* `ResNetCIFAR` (config resnet_cifar): the 6n+2 depth study (the paper's CIFAR-10 Table II) with
  `block` in {plain, vanilla, no_lif, ms} and `shortcut` in {A, B, C}.

The paper's neuron (code `mem_update`): u_t = 0.25 u_{t-1} (1 - s_{t-1}) + x_t, spike when
u_t > 0.5, rectangular surrogate of width 1. In spikingjelly that is LIFNode(tau=4/3,
decay_input=False, v_threshold=0.5, v_reset=0.0, detach_reset=True) with surrogate
Rect(alpha=1.0): `conf/neuron/ms_lif.yaml` + `conf/surrogate/rect.yaml`. (spikingjelly fires on
`>=`, the original on `>`; spikingjelly's own default surrogate Rect(alpha=2.0) is NOT the
paper's.) The paper's TDBN (BatchNorm3d over (B, T, H, W)) equals BatchNorm2d on the T-folded
[T*B, C, H, W] tensor used here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from spikingjelly.activation_based import layer
from spikingjelly.activation_based.model import ms_resnet as sj_ms_resnet
from torch import nn

BN_GAMMA = 0.5  # = V_th; the init of every BN except the last one of each residual branch


class _NeuronFactory:
    """Adapts the contract's `neuron()` (no arguments) to spikingjelly's `spiking_neuron(**kw)`.

    spikingjelly calls `spiking_neuron(step_mode='m')`; the configured partial already fixes every
    argument, so the keyword is dropped (this also admits stand-ins such as `nn.ReLU`).
    """

    def __init__(self, neuron: Callable[[], nn.Module]) -> None:
        self.neuron = neuron

    def __call__(self, **_ignored: Any) -> nn.Module:
        return self.neuron()


def bn(channels: int, gamma: float = BN_GAMMA) -> layer.BatchNorm2d:
    """Multi-step BN (the paper's TDBN) with gamma initialised to `gamma` and beta to 0."""
    norm = layer.BatchNorm2d(channels, step_mode="m")
    nn.init.constant_(norm.weight, gamma)
    return norm


def conv(cin: int, cout: int, k: int, stride: int = 1, bias: bool = False) -> layer.Conv2d:
    """Multi-step Conv2d with 'same' padding for odd k (PyTorch default init, as the original)."""
    return layer.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=bias, step_mode="m")


def avgpool_projection(cin: int, cout: int, stride: int) -> nn.Sequential:
    """Projection shortcut of ResNet-104 and of the 2021 CIFAR code:
    AvgPool(stride) -> Conv1x1 -> BN(0.5).

    Same parameter count as spikingjelly's strided Conv1x1 -> BN, but it averages instead of
    subsampling.
    """
    pool = [layer.AvgPool2d(stride, stride, step_mode="m")] if stride > 1 else []
    return nn.Sequential(*pool, conv(cin, cout, 1), bn(cout))


class MSResNet(sj_ms_resnet.MSResNet):
    """MS-ResNet-18/34, ImageNet layout. Input [T, B, C, H, W], output [T, B, classes].

    Args: num_classes, img_size (unused: the net ends in global pooling; any size >= 32 works),
    in_channels, neuron (the contract's factory, e.g. ms_lif + rect), layers (blocks per stage;
    (2,2,2,2) = 18 layers, (3,4,6,3) = 34), base_channels (64).
    """

    head_name = "head"

    def __init__(
        self,
        num_classes: int,
        img_size: int,
        in_channels: int,
        neuron: Callable[[], nn.Module],
        layers: Sequence[int] = (2, 2, 2, 2),
        base_channels: int = 64,
    ) -> None:
        super().__init__(
            T=1,  # only used by spikingjelly for 4-D inputs; we always receive [T, B, C, H, W]
            in_channels=in_channels,
            num_classes=num_classes,
            layers=tuple(layers),
            base_channels=base_channels,
            spiking_neuron=_NeuronFactory(neuron),
        )
        self.img_size = img_size
        self.dropout: nn.Module = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        if self.layer4 is not None:
            x = self.layer4(x)
        x = self.avgpool(self.head_lif(x)).flatten(2)  # [T, B, C]
        return self.head(self.dropout(x))


class MSResNet104(MSResNet):
    """MS-ResNet-104 (authors' `ResNet_104`, blocks [3, 8, 32, 8]).

    Differences from `MSResNet`: stem Conv3x3 s2 -> Conv3x3 -> Conv3x3 (all with bias, no BN/LIF
    between) -> BN; every projection shortcut is AvgPool(2) -> Conv1x1 -> BN; Dropout(`dropout`)
    before the Linear. The original applies dropout to the T-mean; spikingjelly's multi-step Dropout
    shares one mask over T, so dropout-then-Linear per step has exactly the same T-mean.
    """

    def __init__(
        self,
        num_classes: int,
        img_size: int,
        in_channels: int,
        neuron: Callable[[], nn.Module],
        layers: Sequence[int] = (3, 8, 32, 8),
        base_channels: int = 64,
        dropout: float = 0.2,
    ) -> None:
        super().__init__(num_classes, img_size, in_channels, neuron, layers, base_channels)
        c = base_channels
        self.stem = nn.Sequential(
            conv(in_channels, c, 3, stride=2, bias=True),
            conv(c, c, 3, bias=True),
            conv(c, c, 3, bias=True),
            bn(c),
        )
        self.dropout = layer.Dropout(dropout, step_mode="m") if dropout > 0 else nn.Identity()

    def _make_layer(self, out_channels: int, blocks: int, stride: int) -> nn.Sequential:
        """spikingjelly's stage builder with the AvgPool projection shortcut of ResNet-104."""
        cin = self.inplanes
        stage = super()._make_layer(out_channels, blocks, stride)
        if stage[0].downsample is not None:
            stage[0].downsample = avgpool_projection(cin, out_channels, stride)
        return stage


# ------------------------------------------------------------------------------ CIFAR depth study
BLOCKS = ("plain", "vanilla", "no_lif", "ms")
SHORTCUTS = ("A", "B", "C")


class ZeroPadShortcut(nn.Module):
    """Parameter-free shortcut (option A of He et al. 2016): subsample by `stride`, zero-pad the
    new channels."""

    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.pad, self.stride = cout - cin, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [T, B, C, H, W]
        x = x[..., :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.pad)) if self.pad else x


def make_shortcut(option: str, cin: int, cout: int, stride: int) -> nn.Module:
    """Shortcut options A/B/C (see `ResNetCIFAR`)."""
    same = stride == 1 and cin == cout
    if option == "A":
        return nn.Identity() if same else ZeroPadShortcut(cin, cout, stride)
    if option == "B":
        return nn.Identity() if same else avgpool_projection(cin, cout, stride)
    if option == "C":
        return avgpool_projection(cin, cout, stride)
    raise ValueError(f"shortcut must be one of {SHORTCUTS}, got {option!r}")


class SpikingBasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with the LIF placement of `kind` (models.md 3.4; x = block input):

    * ms:      out = BN0(conv(LIF(BN(conv(LIF(x)))))) + sc(x)   membrane shortcut, no LIF after add
    * vanilla: out = LIF(BN(conv(LIF(BN(conv(x))))) + sc(x))    spike shortcut; outputs spikes
    * no_lif:  out = LIF(BN(conv(LIF(BN(conv(x)))))) + sc(x)    vanilla without the LIF after the
                                                               add (spikes added to the shortcut)
    * plain:   out = LIF(BN(conv(LIF(BN(conv(x))))))            no shortcut (PlainNet)

    BN0 (gamma 0) is the zero-initialised last BN of the MS branch, as in the original; every other
    BN starts at gamma 0.5. The other variants keep gamma 0.5 for their last BN too (our choice; the
    2020 bytecode zero-inits vanilla's): there that BN feeds a LIF, and with gamma 0 the LIF input
    would be exactly 0 (no_lif, plain) or exactly binary spikes (vanilla with an identity
    shortcut). Both sit on the edge of the width-1 rectangular surrogate around V_th = 0.5
    (|u - 0.5| = 0.5, gradient 0), so no gradient would ever pass.
    """

    def __init__(
        self,
        kind: str,
        cin: int,
        cout: int,
        stride: int,
        shortcut: str,
        neuron: Callable[[], nn.Module],
    ) -> None:
        super().__init__()
        if kind not in BLOCKS:
            raise ValueError(f"block must be one of {BLOCKS}, got {kind!r}")

        def lif_or_id(on: bool) -> nn.Module:
            return neuron() if on else nn.Identity()

        self.sn_in = lif_or_id(kind == "ms")
        self.conv1 = conv(cin, cout, 3, stride)
        self.bn1 = bn(cout)
        self.sn_mid = neuron()
        self.conv2 = conv(cout, cout, 3)
        self.bn2 = bn(cout, 0.0 if kind == "ms" else BN_GAMMA)
        self.sn_branch = lif_or_id(kind in ("no_lif", "plain"))
        self.shortcut = None if kind == "plain" else make_shortcut(shortcut, cin, cout, stride)
        self.sn_out = lif_or_id(kind == "vanilla")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = self.bn1(self.conv1(self.sn_in(x)))
        r = self.sn_branch(self.bn2(self.conv2(self.sn_mid(r))))
        if self.shortcut is not None:
            r = r + self.shortcut(x)
        return self.sn_out(r)


class ResNetCIFAR(nn.Module):
    """CIFAR depth study: 6n+2 layers, stages 16/32/64 with n blocks each, strides 1/2/2 (Kaiming
    ResNet-20 layout; the authors' `ResNet_depth_analysis` in the 2021 bytecode, models.md 3.4;
    issue #1).

    stem Conv3x3(in -> 16, s1) -> BN(0.5) [-> LIF]; 3 stages;
    head [LIF ->] GAP -> Dropout -> Linear.

    Args:
        depth: 6n + 2 (20, 32, 44, 56, 110, 482 = n 3/5/7/9/18/80).
        block: plain | vanilla | no_lif | ms (see `SpikingBasicBlock`).
        shortcut: our reading of the paper's SR-A/B/C, i.e. what the shortcut does:
            A = identity; where the shape changes, stride-2 subsampling + zero-padded channels
                (parameter-free);
            B = identity; where the shape changes, AvgPool(2) -> Conv1x1 -> BN(0.5) (the authors'
                code; default);
            C = the projection on every block.
            We could not retrieve the paper text that defines "SR-A/SR-B/SR-C"; these are
            He et al.'s (2016) shortcut options A/B/C. "SR-A" etc. are accepted as aliases.
        widths: stage widths (16, 32, 64).
        dropout: before the head (0.2, authors' code).

    Choices the paper leaves open: blocks other than `ms` do not begin with a LIF, so for them the
    stem gets a LIF (conv-BN-LIF, as in the vanilla spiking ResNet) and every conv except the stem
    sees spikes (plus the shortcut sum for no_lif). The head LIF is used only where the last block
    outputs a membrane-space sum (ms, no_lif). vanilla and plain already output spikes, and a LIF
    on binary input sees u in {0, 1}, exactly on the edge of the width-1 rectangular surrogate: it
    would pass the spikes unchanged but block every gradient.
    """

    head_name = "head"

    def __init__(
        self,
        num_classes: int,
        img_size: int,
        in_channels: int,
        neuron: Callable[[], nn.Module],
        depth: int = 20,
        block: str = "ms",
        shortcut: str = "B",
        widths: Sequence[int] = (16, 32, 64),
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"depth must be 6n+2 with n >= 1, got {depth}")
        shortcut = str(shortcut).upper().removeprefix("SR-")
        if shortcut not in SHORTCUTS:
            raise ValueError(f"shortcut must be one of {SHORTCUTS} (or SR-A/B/C), got {shortcut!r}")
        n = (depth - 2) // 6
        self.img_size, self.depth, self.block = img_size, depth, block
        widths = list(widths)
        stem_lif = [neuron()] if block != "ms" else []
        self.stem = nn.Sequential(conv(in_channels, widths[0], 3), bn(widths[0]), *stem_lif)
        stages, cin = [], widths[0]
        for i, cout in enumerate(widths):
            blocks = []
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                blocks.append(SpikingBasicBlock(block, cin, cout, stride, shortcut, neuron))
                cin = cout
            stages.append(nn.Sequential(*blocks))
        self.layers = nn.Sequential(*stages)
        self.head_lif = neuron() if block in ("ms", "no_lif") else nn.Identity()
        self.avgpool = layer.AdaptiveAvgPool2d(1, step_mode="m")
        self.dropout = layer.Dropout(dropout, step_mode="m") if dropout > 0 else nn.Identity()
        self.head = layer.Linear(widths[-1], num_classes, step_mode="m")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers(self.stem(x))
        x = self.avgpool(self.head_lif(x)).flatten(2)  # [T, B, C]
        return self.head(self.dropout(x))
