"""SpikeAtConv: partitions of the window (SISA) / grid (BDSA) attention, parameter counts (regression
numbers, models' docstring), forward/backward at T=1 and T=4 on 32x32 with a plain LIF and SPK blocks."""

from __future__ import annotations

from functools import partial

import pytest
import torch
from spikingjelly.activation_based import functional, neuron, surrogate

import snnexp.schemas  # noqa: F401  (registers the config schemas)
from snnexp.models.build import build_network, count_parameters
from snnexp.models.spikeatconv import SpikeAtConv
from snnexp.models.spiking_attention import SpikingPartitionAttention, partition, partition_size, unpartition
from snnexp.neurons.spk import BLOCKS, DCL, MBPL
from tests.conftest import compose_cfg

LIF_KW = dict(tau=2.0, detach_reset=True, surrogate_function=surrogate.Sigmoid(alpha=4.0))
LIF = partial(neuron.LIFNode, step_mode="m", **LIF_KW)
SMALL = dict(dims=(16, 32, 64, 64), depths=(1, 1, 1, 1), head_dim=16)


def test_partition_size_rule():
    assert [partition_size(s, 7) for s in (56, 28, 14, 7)] == [7, 7, 7, 7]
    assert [partition_size(s, 7) for s in (16, 8, 4, 2, 1)] == [4, 4, 4, 2, 1]


def test_window_and_grid_partitions():
    h = w = 8
    pos = torch.arange(h * w, dtype=torch.float).reshape(1, 1, h, w)  # pixel index i*W + j
    win = partition(pos, 4, grid=False, heads=1)[:, 0, :, 0]  # [groups, p*p]
    grid = partition(pos, 4, grid=True, heads=1)[:, 0, :, 0]
    assert win.shape == grid.shape == (4, 16)
    # window 0: the top-left 4x4 block; grid group 0: pixels 2 apart starting at (0, 0)
    assert win[0].tolist() == [i * w + j for i in range(4) for j in range(4)]
    assert grid[0].tolist() == [i * w + j for i in range(0, 8, 2) for j in range(0, 8, 2)]
    x = torch.randn(3, 8, h, w)
    for g in (False, True):
        torch.testing.assert_close(unpartition(partition(x, 4, g, 2), 4, g, x.shape), x)
        # heads split the channels
        assert partition(x, 4, g, 2).shape == (3 * 4, 2, 16, 4)


@pytest.mark.parametrize("kind", ["sisa", "bdsa"])
def test_attention_mixes_only_within_its_partition(kind):
    torch.manual_seed(0)
    # identity "neurons" make the attention linear, so a perturbation reaches every pixel it may reach
    attn = SpikingPartitionAttention(16, torch.nn.Identity, kind=kind, head_dim=16).eval()
    x = torch.randn(1, 1, 16, 8, 8)
    base = attn(x)
    functional.reset_net(attn)
    x2 = x.clone()
    x2[..., 0, 0] += 1.0  # perturb pixel (0, 0)
    diff = (attn(x2) - base).abs().sum((0, 1, 2)) > 0
    functional.reset_net(attn)
    # pixels that can change: (0,0)'s window (top-left 4x4) or its grid group (rows/cols 0,2,4,6)
    allowed = torch.zeros(8, 8, dtype=torch.bool)
    if kind == "sisa":
        allowed[:4, :4] = True
    else:
        allowed[::2, ::2] = True
    assert torch.equal(diff, allowed)


PARAMS_224 = {"tiny": 25_056_488, "base": 189_892_968, "large": 348_759_240}
SIZES = {"tiny": ([64, 128, 256, 512], [1, 3, 6, 1]), "base": ([128, 256, 512, 1024], [2, 6, 12, 2]),
         "large": ([160, 320, 640, 1280], [2, 6, 16, 2])}


@pytest.mark.parametrize("size", sorted(SIZES))
def test_configs_and_param_counts(size):
    cfg = compose_cfg([f"model=spikeatconv_{size}", "dataset=imagenet"])
    assert cfg.dataset.img_size == 224 and cfg.dataset.num_classes == 1000
    assert (list(cfg.model.dims), list(cfg.model.depths)) == SIZES[size]
    with torch.device("meta"):
        net = build_network(cfg.model)
    assert count_parameters(net) == PARAMS_224[size]  # regression numbers (module docstring)
    assert net.stem_stride == 2


@pytest.mark.parametrize("T, size", [(1, "tiny"), (4, "small"), pytest.param(4, "tiny", marks=pytest.mark.slow)])
def test_tiny_forward_backward_32x32(T, size):
    torch.manual_seed(0)
    net = SpikeAtConv(100, 32, 3, LIF, **({} if size == "tiny" else SMALL))  # "tiny": the real SpikeAtConv-Tiny
    assert net.stem_stride == 1
    assert {type(m) for m in net.modules() if isinstance(m, neuron.BaseNode)} == {neuron.LIFNode}  # plain LIF
    out = net(torch.rand(T, 1, 3, 32, 32))
    assert out.shape == (T, 1, 100)
    out.mean(0).sum().backward()
    functional.reset_net(net)
    assert all(p.grad is not None for p in net.parameters())
    attn = net.stages[0][1].attn[1]  # grid attention of stage 1
    assert attn.q[0].weight.grad.abs().sum() > 0


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_every_spk_block_runs_in_spikeatconv(name):
    torch.manual_seed(0)
    block = partial(BLOCKS[name], **LIF_KW)
    net = SpikeAtConv(10, 32, 3, block, **SMALL)
    assert all(isinstance(m, (BLOCKS[name],)) for m in net.modules() if type(m).__name__ in ("SL", "RL", "MBPL",
                                                                                            "HSL", "DCL"))
    out = net(torch.rand(2, 2, 3, 32, 32))
    out.sum().backward()
    functional.reset_net(net)
    assert out.shape == (2, 2, 10) and torch.isfinite(out).all()
    if name == "dcl":
        assert count_parameters(net) > count_parameters(SpikeAtConv(10, 32, 3, LIF, **SMALL))
    if name == "mbpl":
        assert len([m for m in net.modules() if isinstance(m, MBPL)]) > 20


def test_attention_subset_and_small_inputs():
    net = SpikeAtConv(10, 16, 1, LIF, attention=["bdsa"], **SMALL)
    assert all(len(b.attn) == 1 and b.attn[0].kind == "bdsa" for s in net.stages for b in s[1:])
    assert net(torch.rand(1, 2, 1, 16, 16)).shape == (1, 2, 10)  # last stage is 1x1
    with pytest.raises(ValueError, match="attention"):
        SpikeAtConv(10, 16, 1, LIF, attention=["swin"], **SMALL)


def test_dcl_config_in_spikeatconv_materialises():
    cfg = compose_cfg(["model=spikeatconv_tiny", "neuron=dcl", "dataset=synthetic", "model.dims=[8,16,16,16]",
                       "model.depths=[1,1,1,1]", "model.head_dim=8"])
    net = build_network(cfg.model)
    assert any(isinstance(m, DCL) for m in net.modules())
    assert not any(isinstance(p, torch.nn.parameter.UninitializedParameter) for p in net.parameters())
