"""CIFAR-100 study net of SpikeAtConv (Liao, Chen, Liu, Wang, Liu, Front. Neurosci. 2025, SPK block
comparison, paper Tables 1/2): a CIFAR ResNet-18 whose every activation is the SPK block under test
(models.md 4.2; sweeps/spk_blocks.yaml).

Layout (He et al. 2016, CIFAR variant): stem Conv3x3(in -> 64, s1) -> BN -> SPK, no max-pool; four
stages of two BasicBlocks, widths 64/128/256/512, strides 1/2/2/2; GAP -> Linear. BasicBlock:
`SPK(BN(conv3x3(SPK(BN(conv3x3(x))))) + shortcut(x))`, shortcut = identity, or Conv1x1(stride) -> BN
where the shape changes (option B). Every conv has no bias; BN is per-channel with T folded into the
batch (statistics over T and B). 17 activations, all `neuron()`.

Choices the paper leaves open [A]: the shortcut option (B, the torchvision/kuangliu CIFAR ResNet), the
activation after the residual add (kept, as in the ANN: the add result goes through the SPK block),
default BN/conv init (PyTorch's). No dropout.

Parameters (num_classes + 11.17M body): 11,220,132 at 100 classes; 11,681,832 at 1000 classes (any
img_size: the net ends in global pooling). A DCL neuron adds 38 C per activation (depthwise 3x3 + 5x5 +
two BNs) = 148,352; the other SPK blocks add none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from spikingjelly.activation_based import layer
from torch import nn

from snnexp.neurons.spk import materialize


def conv_bn(cin: int, cout: int, k: int, stride: int = 1) -> nn.Sequential:
    """Multi-step Conv(k x k, no bias, 'same' padding) -> BN."""
    return nn.Sequential(
        layer.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False, step_mode="m"),
        layer.BatchNorm2d(cout, step_mode="m"),
    )


class BasicBlock(nn.Module):
    """SPK(BN(conv(SPK(BN(conv(x))))) + shortcut(x))."""

    def __init__(self, cin: int, cout: int, stride: int, neuron: Callable[[], nn.Module]) -> None:
        super().__init__()
        self.conv1 = conv_bn(cin, cout, 3, stride)
        self.sn1 = neuron()
        self.conv2 = conv_bn(cout, cout, 3)
        self.shortcut = nn.Identity() if stride == 1 and cin == cout else conv_bn(cin, cout, 1, stride)
        self.sn2 = neuron()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.sn2(self.conv2(self.sn1(self.conv1(x))) + self.shortcut(x))


class ResNet18SPK(nn.Module):
    """CIFAR ResNet-18 with SPK activations. Input [T, B, C, H, W], output [T, B, num_classes].

    Args: num_classes, img_size (only for materialising a lazy DCL), in_channels, neuron (any contract
    neuron: a LIF partial or an SPK block partial), layers ((2, 2, 2, 2)), widths ((64, 128, 256, 512)).
    """

    head_name = "head"

    def __init__(
        self,
        num_classes: int,
        img_size: int,
        in_channels: int,
        neuron: Callable[[], nn.Module],
        layers: Sequence[int] = (2, 2, 2, 2),
        widths: Sequence[int] = (64, 128, 256, 512),
    ) -> None:
        super().__init__()
        layers, widths = list(layers), list(widths)
        if len(layers) != len(widths):
            raise ValueError(f"layers {layers} and widths {widths} must have the same length")
        self.img_size = img_size
        self.stem = nn.Sequential(conv_bn(in_channels, widths[0], 3), neuron())
        stages, cin = [], widths[0]
        for i, (n, cout) in enumerate(zip(layers, widths)):
            blocks = []
            for j in range(n):
                blocks.append(BasicBlock(cin, cout, 2 if (i > 0 and j == 0) else 1, neuron))
                cin = cout
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.avgpool = layer.AdaptiveAvgPool2d(1, step_mode="m")
        self.head = layer.Linear(widths[-1], num_classes, step_mode="m")
        materialize(self, in_channels, img_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stages(self.stem(x))
        return self.head(self.avgpool(x).flatten(2))
