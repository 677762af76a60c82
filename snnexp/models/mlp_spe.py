"""Spiking MLP-Mixer with spiking patch encoding (Li, Leng et al., TNNLS 2024).

Layer-by-layer spec: ../shared/reference/models.md §1.4 (the authors' `mixers_sparse_patchcell_origin.py`
for MLP-SPE-T/S/B, `mixer_sparse.py` for MLP-S). All tensors are multi-step `[T, B, ...]`; stateless
layers run on T folded into the batch, so every BN shares its statistics over (T, B, ...).

Skip connections (paper Table 3) are sums of BN outputs ("currents") into a LIF input, never sums of
spikes. With `h` the stage encoder's BN output, `t` the token block's and `c` the channel block's:

    LIF_tok input = t + [PT] h + [CT] c_prev        (c_prev: the previous block's `c`; 0 in a stage's first block)
    LIF_ch  input = c + [PC] h + [TC] t

The released code hard-wires PT+PC+TC (the paper's optimum). CT is absent there; reading it as "the previous
channel block's BN output into the next token LIF" is our choice (the paper leaves open whether it is `c` or
`h+t+c`). The head follows the authors' code, not the paper text: BN on the last spike map, global average
pooling, Linear, per time step (models.md §1.8.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from torch import nn


@dataclass(frozen=True)
class Skips:
    """Which additive skip terms feed the LIFs (paper Table 3: PT, PC, TC, CT)."""

    pt: bool = True
    pc: bool = True
    tc: bool = True
    ct: bool = False


def _fold(x: torch.Tensor) -> torch.Tensor:
    return x.flatten(0, 1)


def _unfold(y: torch.Tensor, T: int) -> torch.Tensor:
    return y.unflatten(0, (T, -1))


class AxialFC(nn.Module):
    """Token FC along one spatial axis: a 1x1 conv with R->R channels on the axis moved to dim 1,
    then BatchNorm2d(R) (a per-position norm, models.md §1.4) and a LIF."""

    def __init__(self, grid: int, axis: int, neuron: Callable[[], nn.Module]):
        super().__init__()
        self.axis = axis  # 2 = H, 3 = W in [N, C, H, W]
        self.fc = nn.Conv2d(grid, grid, 1, bias=True)
        self.bn = nn.BatchNorm2d(grid)
        self.lif = neuron()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T = x.shape[0]
        y = _fold(x).transpose(1, self.axis)  # [N, H, C, W] or [N, W, H, C]: the axis becomes channels
        y = self.bn(self.fc(y)).transpose(1, self.axis)
        return self.lif(_unfold(y, T))


class TokenBlock(nn.Module):
    """Axial token mixing (paper Eq. 6-8): concat(x, LIF(BN(FC_H x)), LIF(BN(FC_W x))) -> 1x1 fuse
    3C->C -> BN. Returns the BN output (a current, no LIF). MLP-S uses LIF(BN(x)) as identity branch."""

    def __init__(self, dim: int, grid: int, neuron: Callable[[], nn.Module], spe: bool = True):
        super().__init__()
        self.fc_h = AxialFC(grid, 2, neuron)
        self.fc_w = AxialFC(grid, 3, neuron)
        self.identity = nn.Identity() if spe else _ConvBNLIF(nn.Identity(), dim, neuron)
        self.fuse = nn.Conv2d(3 * dim, dim, 1, bias=False)
        self.bn = nn.BatchNorm2d(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T = x.shape[0]
        mixed = torch.cat([self.identity(x), self.fc_h(x), self.fc_w(x)], dim=2)
        return _unfold(self.bn(self.fuse(_fold(mixed))), T)


class ChannelBlock(nn.Module):
    """Channel MLP with expansion alpha: Linear(C, aC) -> BN1d(R*R) -> LIF -> Linear(aC, C) -> BN1d(R*R).
    The BNs normalise per token position (num_features = R*R), as in the authors' code."""

    def __init__(self, dim: int, grid: int, neuron: Callable[[], nn.Module], alpha: int = 3):
        super().__init__()
        self.fc1 = nn.Linear(dim, alpha * dim)
        self.bn1 = nn.BatchNorm1d(grid * grid)
        self.lif = neuron()
        self.fc2 = nn.Linear(alpha * dim, dim)
        self.bn2 = nn.BatchNorm1d(grid * grid)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T, B, C, H, W = x.shape
        tokens = _fold(x).flatten(2).transpose(1, 2)  # [N, HW, C]
        y = self.lif(_unfold(self.bn1(self.fc1(tokens)), T))
        y = self.bn2(self.fc2(_fold(y)))
        return _unfold(y.transpose(1, 2).reshape(T * B, C, H, W), T)


class _ConvBNLIF(nn.Module):
    """conv -> BN -> LIF on a multi-step tensor (conv may be Identity)."""

    def __init__(self, conv: nn.Module, channels: int, neuron: Callable[[], nn.Module]):
        super().__init__()
        self.conv = conv
        self.bn = nn.BatchNorm2d(channels)
        self.lif = neuron()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lif(_unfold(self.bn(self.conv(_fold(x))), x.shape[0]))


def _conv_bn(cin: int, cout: int, k: int, s: int, p: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, p, bias=False), nn.BatchNorm2d(cout))


class SPECell(nn.Module):
    """Spiking patch encoding cell (paper Fig. 2): three nodes, each fed by conv3x3/s2+BN of the input
    spikes; links (1,2) and (2,3) are LIF -> conv3x3 -> BN, link (1,3) is the identity on BN states.
    Returns concat(node1, node2, node3): BN states, the stage LIF spikes on them."""

    def __init__(self, cin: int, cout: int, neuron: Callable[[], nn.Module]):
        super().__init__()
        if cout % 3:
            raise ValueError(f"SPE needs output channels divisible by 3, got {cout} (dim must be a multiple of 3)")
        n = cout // 3
        self.inputs = nn.ModuleList(_conv_bn(cin, n, 3, 2, 1) for _ in range(3))
        self.lif_a, self.lif_b = neuron(), neuron()
        self.link12 = _conv_bn(n, n, 3, 1, 1)
        self.link23 = _conv_bn(n, n, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T = x.shape[0]
        a1, a2, a3 = (_unfold(f(_fold(x)), T) for f in self.inputs)
        node1 = a1
        node2 = a2 + _unfold(self.link12(_fold(self.lif_a(node1))), T)
        node3 = a3 + node1 + _unfold(self.link23(_fold(self.lif_b(node2))), T)
        return torch.cat([node1, node2, node3], dim=2)


class FoldedConvBN(nn.Module):
    """A stateless conv+BN encoder applied on T folded into the batch."""

    def __init__(self, cin: int, cout: int, k: int, s: int):
        super().__init__()
        self.conv_bn = _conv_bn(cin, cout, k, s, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _unfold(self.conv_bn(_fold(x)), x.shape[0])


class MixerBlock(nn.Module):
    """Token block + channel block with their LIFs and the configured skip terms (module docstring)."""

    def __init__(self, dim: int, grid: int, neuron, skips: Skips, alpha: int, spe: bool):
        super().__init__()
        self.skips = skips
        self.token = TokenBlock(dim, grid, neuron, spe=spe)
        self.lif_tok = neuron()
        self.channel = ChannelBlock(dim, grid, neuron, alpha)
        self.lif_ch = neuron()

    def forward(self, x, h, c_prev):
        t = self.token(x)
        tok_in = t
        if self.skips.pt:
            tok_in = tok_in + h
        if self.skips.ct and c_prev is not None:
            tok_in = tok_in + c_prev
        c = self.channel(self.lif_tok(tok_in))
        ch_in = c
        if self.skips.pc:
            ch_in = ch_in + h
        if self.skips.tc:
            ch_in = ch_in + t
        return self.lif_ch(ch_in), c


class Stage(nn.Module):
    """Encoder (patch partition or SPE) -> LIF -> `depth` mixer blocks that all reuse the encoder's h."""

    def __init__(self, encoder: nn.Module, dim: int, grid: int, depth: int, neuron, skips, alpha, spe):
        super().__init__()
        self.encoder = encoder
        self.lif = neuron()
        self.blocks = nn.ModuleList(MixerBlock(dim, grid, neuron, skips, alpha, spe) for _ in range(depth))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.encoder(x)
        x, c = self.lif(h), None
        for block in self.blocks:
            x, c = block(x, h, c)
        return x


class SpikingMLPSPE(nn.Module):
    """MLP-SPE-T/S/B (`spe=True`) and MLP-S (`spe=False`): four stages of dims C, 2C, 4C, 8C on grids
    img/4, img/8, img/16, img/32 (paper Table 1; params in models.md §1.6)."""

    head_name = "head"

    def __init__(
        self,
        num_classes: int,
        img_size: int,
        in_channels: int,
        neuron: Callable[[], nn.Module],
        skip: Skips | None = None,
        dim: int = 78,
        depths: Sequence[int] = (2, 8, 14, 2),
        alpha: int = 3,
        patch_size: int = 4,
        spe: bool = True,
    ):
        super().__init__()
        skips = skip if skip is not None else Skips()
        if not isinstance(skips, Skips):
            skips = Skips(**dict(skips))
        if img_size % patch_size:
            raise ValueError(f"img_size {img_size} is not divisible by patch_size {patch_size}")
        dims = [dim * 2**i for i in range(len(depths))]
        grid = img_size // patch_size
        stages = []
        for i, depth in enumerate(depths):
            if i == 0:
                encoder: nn.Module = FoldedConvBN(in_channels, dims[0], patch_size, patch_size)
            else:
                grid = (grid + 1) // 2 if spe else grid // 2
                if grid < 1:
                    raise ValueError(f"img_size {img_size} is too small for {len(depths)} stages")
                encoder = SPECell(dims[i - 1], dims[i], neuron) if spe else FoldedConvBN(dims[i - 1], dims[i], 2, 2)
            stages.append(Stage(encoder, dims[i], grid, depth, neuron, skips, alpha, spe))
        self.stages = nn.ModuleList(stages)
        self.head_norm = nn.BatchNorm2d(dims[-1])
        self.head = nn.Linear(dims[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for stage in self.stages:
            x = stage(x)
        T = x.shape[0]
        pooled = self.head_norm(_fold(x)).mean(dim=(2, 3))
        return _unfold(self.head(pooled), T)
