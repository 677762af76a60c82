"""SNN-MLP (Li, Hu, Wang et al., "Brain-inspired Multilayer Perceptron with Spiking Neurons",
CVPR 2022).

The layout follows the authors' code (huawei-noah/Efficient-AI-Backbones,
`snnmlp_pytorch/models/snn_mlp.py`): an AS-MLP/Swin-style 4-stage pyramid in NCHW where every "FC"
is a 1x1 conv with bias. See models.md 2.3:

    Norm(C)      = GroupNorm(1, C)
    PatchEmbed   = Conv(in -> D, k=p, s=p) -> Norm
    LIFBlock(x)  : x = x + DropPath(LIFModule(Norm(x)))
                   x = x + DropPath(MLP(Norm(x)))                (MLP ratio 4, GELU)
    LIFModule(z) : z = GELU(Norm(Conv1x1(z))); z = GELU(Norm(DWConv3x3(z)))
                   a = GELU(Conv1x1(LIF_H(z))); b = GELU(Conv1x1(LIF_W(z)))
                   return Conv1x1(Norm(a + b))
    PatchMerging : concat sub-grids (0,0),(1,0),(0,1),(1,1) -> Norm(4C) -> Conv1x1(4C -> 2C)
    Head         : Norm -> global average pool -> Linear (trunc_normal std .02, bias 0)

The "spiking" part is the full-precision group LIF (`group_lif.GroupLIF`): no time steps and no
binary spikes. Time handling (our contract): T of the input [T, B, C, H, W] is folded into the batch
and the logits come back as [T, B, classes]; T = 1 is the natural setting (in eval mode every step
sees the same image and gives the same logits).

Choices the paper leaves open, taken from the authors' code: LIF tau init 0.25, Vth init 0.1 (the
`main.py` default; the paper text suggests 0.25, see models.md 2.2), group length 4, dropout 0,
stochastic depth linear from 0 to `drop_path_rate` over all blocks, PyTorch default conv init.

Small inputs: the grid after the stem is img/4 and halves per stage; `img_size` must be divisible
by `patch_size * 2**(stages-1)` (32 by default) so every PatchMerging sees an even grid. At 32x32
the grids are 8/4/2/1. On the 2x2 and 1x1 stages the group LIF is a pass-through (tail rule, see
`GroupLIF`), so their tau/Vth get no gradient (DDP then needs find_unused_parameters=True, as the
authors' training also used), and GroupNorm(1, C) at 1x1 normalises over channels only.

Module names follow the authors' code (`layers.i.blocks.k.lif_module.lif1` = H-axis LIF feeding
`conv2_1`, `lif2` = W-axis feeding `conv2_2`, `layers.i.downsample`, `patch_embed.proj/norm`), so
their released state_dicts map one-to-one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from timm.layers import DropPath, trunc_normal_
from torch import nn

from snnexp.models.group_lif import GroupLIF


def norm(dim: int) -> nn.GroupNorm:
    """The authors' `MyNorm`: GroupNorm with one group (LayerNorm over C, H, W; per-channel
    affine)."""
    return nn.GroupNorm(1, dim)


class Mlp(nn.Module):
    """Channel MLP: Conv1x1(C -> rC) -> GELU -> Conv1x1(rC -> C)."""

    def __init__(self, dim: int, hidden: int, drop: float = 0.0) -> None:
        super().__init__()
        self.fc1 = nn.Conv2d(dim, hidden, 1)
        self.act = nn.GELU()
        self.fc2 = nn.Conv2d(hidden, dim, 1)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class LIFModule(nn.Module):
    """Token mixing with horizontal and vertical group LIF."""

    def __init__(self, dim: int, lif_bias: bool = True, **lif_kwargs: Any) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(dim, dim, 1, bias=lif_bias)
        self.norm1 = norm(dim)
        self.dw1 = nn.Conv2d(dim, dim, 3, padding=1, groups=dim, bias=lif_bias)
        self.norm2 = norm(dim)
        self.lif1 = GroupLIF(dim=2, **lif_kwargs)  # along H
        self.lif2 = GroupLIF(dim=3, **lif_kwargs)  # along W
        self.conv2_1 = nn.Conv2d(dim, dim, 1, bias=lif_bias)
        self.conv2_2 = nn.Conv2d(dim, dim, 1, bias=lif_bias)
        self.norm3 = norm(dim)
        self.conv3 = nn.Conv2d(dim, dim, 1, bias=lif_bias)
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.norm1(self.conv1(x)))
        x = self.act(self.norm2(self.dw1(x)))
        a = self.act(self.conv2_1(self.lif1(x)))
        b = self.act(self.conv2_2(self.lif2(x)))
        return self.conv3(self.norm3(a + b))


class LIFBlock(nn.Module):
    """Pre-norm residual block: LIF token mixing, then the channel MLP."""

    def __init__(
        self,
        dim: int,
        mlp_ratio: float = 4.0,
        drop: float = 0.0,
        drop_path: float = 0.0,
        lif_bias: bool = True,
        **lif_kwargs: Any,
    ) -> None:
        super().__init__()
        self.norm1 = norm(dim)
        self.lif_module = LIFModule(dim, lif_bias=lif_bias, **lif_kwargs)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = norm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.lif_module(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class PatchMerging(nn.Module):
    """2x2 space-to-channel (sub-grid order (0,0),(1,0),(0,1),(1,1)) -> Norm(4C)
    -> Conv1x1(4C -> 2C, no bias)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = norm(4 * dim)
        self.reduction = nn.Conv2d(4 * dim, 2 * dim, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.cat(
            [x[:, :, 0::2, 0::2], x[:, :, 1::2, 0::2], x[:, :, 0::2, 1::2], x[:, :, 1::2, 1::2]],
            dim=1,
        )
        return self.reduction(self.norm(x))


class PatchEmbed(nn.Module):
    """Conv(in -> D, k=p, s=p, bias) -> Norm."""

    def __init__(self, in_channels: int, embed_dim: int, patch_size: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_channels, embed_dim, patch_size, stride=patch_size)
        self.norm = norm(embed_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.proj(x))


class BasicLayer(nn.Module):
    """One stage: `depth` LIFBlocks, then PatchMerging unless it is the last stage."""

    def __init__(
        self, dim: int, drop_paths: Sequence[float], downsample: bool, **block_kwargs: Any
    ):
        super().__init__()
        self.blocks = nn.ModuleList(
            [LIFBlock(dim, drop_path=p, **block_kwargs) for p in drop_paths]
        )
        self.downsample = PatchMerging(dim) if downsample else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for blk in self.blocks:
            x = blk(x)
        return x if self.downsample is None else self.downsample(x)


class SNNMLP(nn.Module):
    """SNN-MLP-T/S/B (configs `snn_mlp_{t,s,b}.yaml`).

    Args (contract): num_classes, img_size, in_channels; `neuron` is accepted and ignored (the
    group LIF is not a configurable spikingjelly node).
    Args (the authors' names): embed_dim, depths, mlp_ratio, patch_size, drop_rate,
    drop_path_rate, lif_bias, lif (group length), lif_init_tau, lif_init_vth, lif_fix_tau,
    lif_fix_vth. The LIF scalars are named `tau` / `Vth` (the authors' separate AdamW group,
    lr 1e-4 and wd 0, matches `(tau|Vth)$`).
    """

    head_name = "head"

    def __init__(
        self,
        num_classes: int,
        img_size: int = 224,
        in_channels: int = 3,
        neuron: Any = None,
        embed_dim: int = 96,
        depths: Sequence[int] = (2, 2, 6, 2),
        mlp_ratio: float = 4.0,
        patch_size: int = 4,
        drop_rate: float = 0.0,
        drop_path_rate: float = 0.2,
        lif_bias: bool = True,
        lif: int = 4,
        lif_init_tau: float = 0.25,
        lif_init_vth: float = 0.1,
        lif_fix_tau: bool = False,
        lif_fix_vth: bool = False,
    ) -> None:
        super().__init__()
        depths = list(depths)
        stride = patch_size * 2 ** (len(depths) - 1)
        if img_size % stride:
            raise ValueError(
                f"img_size {img_size} must be divisible by {stride} (patch x 2^(stages-1))"
            )
        self.img_size = img_size
        block_kwargs = {
            "mlp_ratio": mlp_ratio,
            "drop": drop_rate,
            "lif_bias": lif_bias,
            "lif": lif,
            "init_tau": lif_init_tau,
            "init_vth": lif_init_vth,
            "fix_tau": lif_fix_tau,
            "fix_vth": lif_fix_vth,
        }
        self.patch_embed = PatchEmbed(in_channels, embed_dim, patch_size)
        self.pos_drop = nn.Dropout(drop_rate)
        dpr = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        self.layers = nn.ModuleList(
            BasicLayer(
                embed_dim * 2**i,
                dpr[sum(depths[:i]) : sum(depths[: i + 1])],
                downsample=i < len(depths) - 1,
                **block_kwargs,
            )
            for i in range(len(depths))
        )
        self.num_features = embed_dim * 2 ** (len(depths) - 1)
        self.norm = norm(self.num_features)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(self.num_features, num_classes)
        trunc_normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """[N, C, H, W] -> pooled features [N, num_features]."""
        x = self.pos_drop(self.patch_embed(x))
        for stage in self.layers:
            x = stage(x)
        return self.avgpool(self.norm(x)).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """[T, B, C, H, W] -> [T, B, num_classes] (T folded into the batch; no dynamics over T)."""
        t, b = x.shape[:2]
        return self.head(self.forward_features(x.flatten(0, 1))).unflatten(0, (t, b))
