"""MS-ResNet family: parameter counts (models.md 3.3/3.4), equivalence with spikingjelly's MS-ResNet
and with the authors' neuron, LIF placement of the CIFAR block variants, forward/backward at T=1 and
T=4 on 32x32."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from spikingjelly.activation_based import functional, layer, neuron, surrogate
from spikingjelly.activation_based.model import ms_resnet as sj_ms_resnet
from torch import nn

import snnexp.schemas  # noqa: F401  (registers the config schemas)
from snnexp.models.build import build_network, count_parameters
from snnexp.models.ms_resnet import (
    BLOCKS,
    MSResNet,
    MSResNet104,
    ResNetCIFAR,
    SpikingBasicBlock,
    ZeroPadShortcut,
)

CONF = str(Path(__file__).resolve().parents[1] / "conf")

# The paper's neuron, as conf/neuron/ms_lif.yaml + conf/surrogate/rect.yaml build it.
MS_LIF = partial(
    neuron.LIFNode,
    tau=4.0 / 3.0,
    decay_input=False,
    v_threshold=0.5,
    v_reset=0.0,
    detach_reset=True,
    step_mode="m",
    surrogate_function=surrogate.Rect(alpha=1.0),
)


def compose_model(name: str, *overrides: str):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        return compose(
            config_name="train", overrides=[f"model={name}", "dataset=synthetic", *overrides]
        )


def run(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    out = net(x)
    functional.reset_net(net)
    return out


def spike_outputs(net: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    """Outputs of every LIF of `net` on input x."""
    outs: list[torch.Tensor] = []
    hooks = [
        m.register_forward_hook(lambda _m, _i, o: outs.append(o.detach()))
        for m in net.modules()
        if isinstance(m, neuron.LIFNode)
    ]
    with torch.no_grad():
        run(net, x)
    for h in hooks:
        h.remove()
    return outs


def mparams(net: nn.Module) -> float:
    return round(count_parameters(net) / 1e6, 3)


# ------------------------------------------------------------------- parameter counts
@pytest.mark.parametrize(
    "cls, layers, paper, measured",
    [
        (MSResNet, (2, 2, 2, 2), 11.69, 11.694),
        (MSResNet, (3, 4, 6, 3), 21.80, 21.802),
        (MSResNet104, (3, 8, 32, 8), 77.35, 77.351),
    ],
)
def test_imagenet_param_counts(cls, layers, paper, measured):
    net = cls(num_classes=1000, img_size=224, in_channels=3, neuron=MS_LIF, layers=layers)
    n = count_parameters(net) / 1e6
    assert n == pytest.approx(paper, rel=0.01)
    assert round(n, 3) == measured  # models.md 3.3, measured on the authors' code


@pytest.mark.parametrize(
    "depth, expected", [(20, 0.272), (32, 0.467), (56, 0.856), (110, 1.731), (482, 7.758)]
)
def test_cifar_param_counts(depth, expected):
    net = ResNetCIFAR(
        num_classes=10, img_size=32, in_channels=3, neuron=MS_LIF, depth=depth, block="ms"
    )
    assert mparams(net) == expected  # models.md 3.4


def test_cifar_shortcut_options_change_only_projection_params():
    mk = lambda s: ResNetCIFAR(10, 32, 3, MS_LIF, depth=20, shortcut=s)
    a, b, c = (count_parameters(mk(s)) for s in ("A", "B", "C"))
    # B adds two projections (16->32, 32->64): conv1x1 + BN each
    assert b - a == (16 * 32 + 2 * 32) + (32 * 64 + 2 * 64)
    assert c > b
    assert count_parameters(mk("SR-C")) == c  # SR-x alias
    assert isinstance(mk("A").layers[1][0].shortcut, ZeroPadShortcut)


def test_cifar_rejects_bad_depth_and_block():
    with pytest.raises(ValueError):
        ResNetCIFAR(10, 32, 3, MS_LIF, depth=21)
    with pytest.raises(ValueError):
        ResNetCIFAR(10, 32, 3, MS_LIF, block="sew")
    with pytest.raises(ValueError):
        ResNetCIFAR(10, 32, 3, MS_LIF, shortcut="D")


# ------------------------------------------------------------------- neuron = the paper's
def _original_lif(x: torch.Tensor) -> torch.Tensor:
    """Transcription of the authors' `mem_update` + `ActFun` (decay 0.25, thresh 0.5, lens 0.5)."""

    class ActFun(torch.autograd.Function):
        @staticmethod
        def forward(ctx, u):
            ctx.save_for_backward(u)
            return (u > 0.5).float()

        @staticmethod
        def backward(ctx, g):
            (u,) = ctx.saved_tensors
            return g * ((u - 0.5).abs() < 0.5).float()

    mem = x[0]
    spike = ActFun.apply(mem)
    out = [spike]
    for t in range(1, x.shape[0]):
        mem = mem * 0.25 * (1 - spike.detach()) + x[t]
        spike = ActFun.apply(mem)
        out.append(spike)
    return torch.stack(out)


def test_ms_lif_yaml_is_the_papers_neuron():
    cfg = compose_model("ms_resnet18")
    assert cfg.neuron.tau == pytest.approx(4 / 3) and cfg.neuron.decay_input is False
    assert cfg.surrogate._target_.endswith("surrogate.Rect") and cfg.surrogate.alpha == 1.0
    net = build_network(cfg.model)
    lif = next(m for m in net.modules() if isinstance(m, neuron.LIFNode))
    torch.manual_seed(0)
    x = (torch.randn(6, 4000) * 0.6 + 0.2).requires_grad_()
    x_ref = x.detach().clone().requires_grad_()
    y = lif(x)
    lif.reset()
    y_ref = _original_lif(x_ref)
    assert torch.equal(y, y_ref)
    g = torch.randn_like(y)
    (y * g).sum().backward()
    (y_ref * g).sum().backward()
    assert torch.allclose(x.grad, x_ref.grad, atol=1e-6)
    assert x.grad.abs().sum() > 0


def test_model_yaml_neuron_can_be_overridden():
    cfg = compose_model("resnet_cifar", "neuron=lif", "surrogate=sigmoid", "model.depth=8")
    net = build_network(cfg.model)
    lifs = [m for m in net.modules() if isinstance(m, neuron.LIFNode)]
    assert lifs and all(m.tau == 2.0 and m.v_threshold == 1.0 for m in lifs)
    assert all(type(m.surrogate_function).__name__ == "Sigmoid" for m in lifs)


def test_non_spiking_stand_in_neuron():
    net = ResNetCIFAR(10, 32, 3, partial(nn.ReLU), depth=8)
    assert not any(isinstance(m, neuron.BaseNode) for m in net.modules())
    assert run(net, torch.rand(2, 2, 3, 32, 32)).shape == (2, 2, 10)


# ------------------------------------------------------------------- spikingjelly equivalence
@pytest.mark.parametrize("train", [True, False])
def test_ms_resnet18_matches_spikingjelly(train):
    torch.manual_seed(0)
    ours = build_network(compose_model("ms_resnet18").model)  # configured neuron (ms_lif + rect)
    ref = sj_ms_resnet.ms_resnet18(num_classes=10, surrogate_function=surrogate.Rect(alpha=1.0))
    ref.load_state_dict(ours.state_dict(), strict=True)
    for m in (ours, ref):
        m.train(train)
    x = torch.rand(4, 2, 3, 32, 32)
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    out = run(ours, xa)
    assert out.shape == (4, 2, 10)
    out_ref = run(ref, xb)
    assert torch.allclose(out.mean(0), out_ref, atol=1e-6)
    out.mean(0).square().sum().backward()
    out_ref.square().sum().backward()
    assert torch.allclose(xa.grad, xb.grad, atol=1e-6)
    pa, pb = dict(ours.named_parameters()), dict(ref.named_parameters())
    for k in ("stem.0.weight", "layer1.0.conv1.weight", "layer4.1.bn2.weight", "head.weight"):
        assert torch.allclose(pa[k].grad, pb[k].grad, atol=1e-6), k
    assert xa.grad.abs().sum() > 0


def test_bn_init_as_original():
    net = MSResNet104(10, 32, 3, MS_LIF, layers=(1, 1, 1, 1))
    blk = net.layer2[0]
    assert torch.all(blk.bn1.weight == 0.5) and torch.all(blk.bn2.weight == 0)
    assert torch.all(net.stem[-1].weight == 0.5) and torch.all(blk.downsample[-1].weight == 0.5)
    # ResNet-104 specifics: 3 biased stem convs, AvgPool shortcuts, dropout before the head
    assert [m.bias is not None for m in net.stem if isinstance(m, nn.Conv2d)] == [True] * 3
    assert all(isinstance(s[0].downsample[0], layer.AvgPool2d) for s in (net.layer1, net.layer4))
    assert isinstance(net.dropout, layer.Dropout) and net.dropout.p == 0.2


# ------------------------------------------------------------------- forward / backward
@pytest.mark.parametrize("T", [1, 4])
@pytest.mark.parametrize("name", ["ms_resnet18", "ms_resnet34", "ms_resnet104"])
def test_imagenet_layout_fwd_bwd_32x32(name, T):
    torch.manual_seed(0)
    net = build_network(compose_model(name).model)
    x = torch.rand(T, 2, 3, 32, 32, requires_grad=True)
    out = run(net, x)
    assert out.shape == (T, 2, 10) and torch.isfinite(out).all()
    out.mean(0).logsumexp(-1).sum().backward()
    assert x.grad.abs().sum() > 0
    assert all(p.grad is not None for p in net.parameters())
    assert net.stem[0].weight.grad.abs().sum() > 0
    spikes = torch.cat([s.flatten() for s in spike_outputs(net, x.detach())])
    assert set(spikes.unique().tolist()) <= {0.0, 1.0}


@pytest.mark.parametrize("T", [1, 4])
@pytest.mark.parametrize("block", BLOCKS)
def test_cifar_blocks_fwd_bwd(block, T):
    torch.manual_seed(0)
    net = ResNetCIFAR(10, 32, 3, MS_LIF, depth=8, block=block)
    x = torch.rand(T, 2, 3, 32, 32, requires_grad=True)
    out = run(net, x)
    assert out.shape == (T, 2, 10)
    out.mean(0).logsumexp(-1).sum().backward()
    assert x.grad.abs().sum() > 0
    assert net.stem[0].weight.grad.abs().sum() > 0
    assert all(p.grad is not None for p in net.parameters())
    outs = spike_outputs(net, x.detach())
    # two per block, + stem LIF (non-ms), + head LIF (membrane-output blocks)
    assert len(outs) == 2 * 3 + (block != "ms") + (block in ("ms", "no_lif"))
    assert all(set(o.unique().tolist()) <= {0.0, 1.0} for o in outs)


@pytest.mark.parametrize("shortcut", ["A", "B", "C"])
def test_cifar_shortcuts_fwd_bwd(shortcut):
    net = ResNetCIFAR(10, 32, 3, MS_LIF, depth=8, block="ms", shortcut=shortcut)
    x = torch.rand(2, 2, 3, 32, 32, requires_grad=True)
    run(net, x).sum().backward()
    assert x.grad.abs().sum() > 0


def test_block_outputs_membrane_vs_spikes():
    """MS keeps the sum in membrane space (no LIF after the add); vanilla outputs spikes; plain has
    no shortcut."""
    torch.manual_seed(0)
    x = torch.randn(4, 2, 16, 8, 8)
    outs = {}
    for kind in BLOCKS:
        blk = SpikingBasicBlock(kind, 16, 16, 1, "B", MS_LIF)
        for m in blk.modules():  # non-zero branch so the variants differ
            if isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1.0)
        outs[kind] = run(blk, x)
    assert set(outs["vanilla"].unique().tolist()) <= {0.0, 1.0}
    assert set(outs["plain"].unique().tolist()) <= {0.0, 1.0}
    assert not set(outs["ms"].unique().tolist()) <= {0.0, 1.0}
    # no_lif: spikes + identity shortcut
    d = outs["no_lif"] - x
    assert torch.allclose(d, d.round(), atol=1e-5) and set(d.round().unique().tolist()) == {
        0.0,
        1.0,
    }
    assert SpikingBasicBlock("plain", 16, 16, 1, "B", MS_LIF).shortcut is None


def test_zero_pad_shortcut():
    x = torch.randn(2, 3, 4, 8, 8)
    y = ZeroPadShortcut(4, 8, 2)(x)
    assert y.shape == (2, 3, 8, 4, 4)
    assert torch.equal(y[:, :, :4], x[..., ::2, ::2]) and torch.all(y[:, :, 4:] == 0)


def test_state_reset_gives_repeatable_output():
    net = ResNetCIFAR(10, 32, 3, MS_LIF, depth=8).eval()
    x = torch.rand(3, 2, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(run(net, x), run(net, x))
