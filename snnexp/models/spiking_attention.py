"""Spiking self-attention inside MaxViT partitions, for SpikeAtConv (models.md 4.2):

* SISA: spiking self-attention within non-overlapping p x p windows (MaxViT "block attention");
* BDSA: spiking self-attention over the p x p dilated grid (MaxViT "grid attention": tokens H/p apart).

Attention is Spikformer's softmax-free SSA (Zhou et al., ICLR 2023; spikingjelly
`model.spikformer` / `model.maxformer._MaxCifarSSA`): Q, K, V = SPK(BN(W x)); A = Q K^T V * 0.125 (no
softmax); out = BN(W_o SPK(A)). Differences from spikingjelly's SSA, all ours [A]: every tensor stays a
conv map [T, B, C, H, W] and all projections are 1x1 convs + BatchNorm2d (identical to per-token Linear +
BN1d over tokens), so that every `neuron()` sees a conv map and DCL works here too; Q, K, V each get
their own `neuron()` (as in Spikformer, not one LIF on the 3C concat), and the attention LIF is the
configured neuron rather than Spikformer's fixed V_th 0.5 LIF; the product is evaluated as
Q (K^T V) (maxformer's order; equal to (Q K^T) V). Heads of `head_dim` 32 channels (MaxViT).

Partition size for small inputs (documented rule, `partition_size`): p is the largest divisor of the
feature-map side that is <= `window_size` (7): 224-pixel ImageNet stages (56, 28, 14, 7) all get 7,
CIFAR stages (16, 8, 4, 2) get (4, 4, 4, 2); a 1x1 map gets p = 1.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from spikingjelly.activation_based import layer
from torch import nn

ATTENTIONS = ("sisa", "bdsa")


def partition_size(side: int, window_size: int) -> int:
    """Largest divisor of `side` that is <= window_size."""
    return max(d for d in range(1, min(side, window_size) + 1) if side % d == 0)


def pw_bn(cin: int, cout: int, bias: bool = False) -> nn.Sequential:
    """Multi-step 1x1 conv (a per-token Linear) -> BN."""
    return nn.Sequential(
        layer.Conv2d(cin, cout, 1, bias=bias, step_mode="m"), layer.BatchNorm2d(cout, step_mode="m")
    )


def partition(x: torch.Tensor, p: int, grid: bool, heads: int) -> torch.Tensor:
    """[N, C, H, W] -> [N * (H/p) * (W/p), heads, p*p, C/heads]. Window: p x p contiguous pixels;
    grid: p x p pixels spaced H/p apart."""
    n, c, h, w = x.shape
    nh, nw, d = h // p, w // p, c // heads
    if grid:  # pixel (i, j) = (gi * nh + oi, gj * nw + oj), one group per offset (oi, oj)
        x = x.reshape(n, heads, d, p, nh, p, nw).permute(0, 4, 6, 1, 3, 5, 2)
    else:  # pixel (i, j) = (wi * p + pi, wj * p + pj), one group per window (wi, wj)
        x = x.reshape(n, heads, d, nh, p, nw, p).permute(0, 3, 5, 1, 4, 6, 2)
    return x.reshape(n * nh * nw, heads, p * p, d)


def unpartition(x: torch.Tensor, p: int, grid: bool, shape: torch.Size) -> torch.Tensor:
    """Inverse of `partition`."""
    n, c, h, w = shape
    heads, d, nh, nw = x.shape[1], x.shape[3], h // p, w // p
    x = x.reshape(n, nh, nw, heads, p, p, d)
    if grid:
        x = x.permute(0, 3, 6, 4, 1, 5, 2)  # n, heads, d, p, nh, p, nw
    else:
        x = x.permute(0, 3, 6, 1, 4, 2, 5)  # n, heads, d, nh, p, nw, p
    return x.reshape(n, c, h, w)


class SpikingPartitionAttention(nn.Module):
    """SISA (`kind='sisa'`, windows) or BDSA (`kind='bdsa'`, grid) on [T, B, C, H, W] -> same shape.

    Pre-activation (membrane-shortcut) form: the block input is a membrane-space sum, so it first
    passes `neuron()`; the caller adds the output to the residual stream."""

    def __init__(
        self,
        dim: int,
        neuron: Callable[[], nn.Module],
        kind: str = "sisa",
        window_size: int = 7,
        head_dim: int = 32,
        scale: float = 0.125,
    ) -> None:
        super().__init__()
        if kind not in ATTENTIONS:
            raise ValueError(f"attention must be one of {ATTENTIONS}, got {kind!r}")
        self.kind, self.window_size, self.scale = kind, window_size, scale
        self.heads = max(1, dim // head_dim)
        if dim % self.heads:
            raise ValueError(f"dim {dim} is not divisible into {self.heads} heads")
        self.sn_in = neuron()
        self.q, self.k, self.v = pw_bn(dim, dim), pw_bn(dim, dim), pw_bn(dim, dim)
        self.sn_q, self.sn_k, self.sn_v = neuron(), neuron(), neuron()
        self.sn_attn = neuron()
        self.proj = pw_bn(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        T, B, C, H, W = x.shape
        s = self.sn_in(x)
        q, k, v = self.sn_q(self.q(s)), self.sn_k(self.k(s)), self.sn_v(self.v(s))
        p = partition_size(min(H, W), self.window_size)
        if H % p or W % p:
            raise ValueError(f"feature map {H}x{W} cannot be partitioned into {p}x{p}")
        grid = self.kind == "bdsa"
        q, k, v = (partition(z.flatten(0, 1), p, grid, self.heads) for z in (q, k, v))
        a = q @ (k.transpose(-2, -1) @ v) * self.scale
        a = unpartition(a, p, grid, torch.Size((T * B, C, H, W))).unflatten(0, (T, B))
        return self.proj(self.sn_attn(a))

    def extra_repr(self) -> str:
        return f"kind={self.kind}, heads={self.heads}, window_size<={self.window_size}, scale={self.scale}"
