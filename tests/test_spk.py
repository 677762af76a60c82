"""SPK blocks of SpikeAtConv (snnexp/neurons/spk.py) and the ResNet-18 study net: output values, exact
equivalences with spikingjelly LIFs, reset, parameters, use as `neuron` in other models, a short training."""

from __future__ import annotations

import csv
from functools import partial

import pytest
import torch
from spikingjelly.activation_based import functional, monitor, neuron, surrogate

import snnexp.schemas  # noqa: F401  (registers the config schemas)
from snnexp.models.build import build_network, count_parameters
from snnexp.models.resnet18_spk import ResNet18SPK
from snnexp.neurons.spk import BLOCKS, DCL, HSL, MBPL, RL, SL, materialize
from snnexp.train import train
from tests.conftest import compose_cfg

SG = surrogate.Sigmoid(alpha=4.0)
LIF_KW = dict(tau=2.0, decay_input=True, v_threshold=1.0, v_reset=0.0, detach_reset=True, surrogate_function=SG)
SPK = {name: partial(cls, **LIF_KW) for name, cls in BLOCKS.items()}
LIF = partial(neuron.LIFNode, step_mode="m", **LIF_KW)
BINARY = ("sl", "hsl", "dcl")


def run(net, x):
    out = net(x)
    functional.reset_net(net)
    return out


def x_seq(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)) * 2.0


# ------------------------------------------------------------------------------------- blocks
@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_block_shape_gradient_and_values(name):
    x = x_seq(4, 3, 8, 6, 6).requires_grad_()
    block = SPK[name]()
    y = run(block, x)
    assert y.shape == x.shape
    y.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    values = set(torch.unique(y.detach()).tolist())
    if name in BINARY:
        assert values == {0.0, 1.0}
    elif name == "mbpl":
        assert values <= {0.0, 0.25, 0.5, 0.75, 1.0} and len(values) >= 3
    else:  # rl: analog
        assert len(values) > 5


def test_sl_is_the_lif_and_rl_adds_the_input():
    x = x_seq(5, 2, 16)
    s = run(LIF(), x)
    torch.testing.assert_close(run(SPK["sl"](), x), s)
    torch.testing.assert_close(run(SPK["rl"](), x), x + s)


def test_mbpl_is_the_mean_of_lifs_with_the_paper_thresholds():
    x = x_seq(5, 2, 16)
    block = SPK["mbpl"]()
    assert [lif.v_threshold for lif in block.branches] == [0.2, 1.0, 2.0, 4.0]
    expected = torch.stack([run(LIF(v_threshold=t), x) for t in (0.2, 1.0, 2.0, 4.0)]).mean(0)
    torch.testing.assert_close(run(block, x), expected)
    # thresholds scale with v_threshold
    assert [lif.v_threshold for lif in MBPL(thresholds=[1, 2], v_threshold=0.5).branches] == [0.5, 1.0]


def test_hsl_groups_have_their_own_lif():
    x = x_seq(5, 2, 6, 3, 3)  # conv map: channels on axis 2
    y = run(HSL(groups=2, tau_scales=[1.0, 2.0], threshold_scales=[1.0, 0.5], **LIF_KW), x)
    torch.testing.assert_close(y[:, :, :3], run(LIF(), x[:, :, :3]))
    torch.testing.assert_close(y[:, :, 3:], run(LIF(tau=4.0, v_threshold=0.5), x[:, :, 3:]))
    tokens = x_seq(5, 2, 7, 4)  # token tensor: channels last
    y = run(HSL(groups=2, tau_scales=[1.0, 2.0], threshold_scales=[1.0, 1.0], **LIF_KW), tokens)
    torch.testing.assert_close(y[..., 2:], run(LIF(tau=4.0), tokens[..., 2:]))
    with pytest.raises(ValueError, match="one tau/threshold scale per group"):
        HSL(groups=3, **LIF_KW)


def test_dcl_is_lazy_depthwise_and_conv_maps_only():
    block = SPK["dcl"]()
    params = list(block.parameters())  # 2 conv weights + 2 BN affine pairs, uninitialised until the first forward
    assert len(params) == 6 and all(isinstance(p, torch.nn.parameter.UninitializedParameter) for p in params)
    x = x_seq(3, 2, 8, 5, 5)
    run(block, x)
    assert count_parameters(block) == 38 * 8  # dw3x3 + dw5x5 + two BNs
    conv3 = block.convs[0][0]
    assert type(conv3) is torch.nn.Conv2d and conv3.groups == 8 and conv3.weight.shape == (8, 1, 3, 3)
    with pytest.raises(ValueError, match="conv maps"):
        SPK["dcl"]()(x_seq(3, 2, 8))


def test_reset_net_resets_the_lifs_inside_the_blocks():
    x = x_seq(3, 2, 8, 4, 4)
    for name, make in SPK.items():
        block = make()
        first = block(x)
        lifs = [m for m in block.modules() if isinstance(m, neuron.LIFNode)]
        assert lifs and any(torch.is_tensor(m.v) and m.v.abs().sum() > 0 for m in lifs), name
        functional.reset_net(block)
        assert all(not torch.is_tensor(m.v) or m.v.abs().sum() == 0 for m in lifs), name
        torch.testing.assert_close(block(x), first)  # same input, same output after the reset


def test_blocks_reject_single_step_mode():
    with pytest.raises(ValueError, match="multi-step"):
        SL(step_mode="s")


# -------------------------------------------------------------------------------- the configs
@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_neuron_config_builds_the_block(name):
    cfg = compose_cfg(["model=resnet18_spk", f"neuron={name}", "neuron.tau=3", "surrogate=atan"])
    net = build_network(cfg.model)
    block = net.stem[1]
    assert type(block) is BLOCKS[name] and block.lif_kwargs["tau"] == 3.0  # int coerced to float
    assert isinstance(block.lif_kwargs["surrogate_function"], surrogate.ATan)


def test_spk_schema_rejects_bad_values():
    with pytest.raises(Exception, match="thresholds"):
        compose_cfg(["model=resnet18_spk", "neuron=mbpl", "neuron.thresholds=[a,b]"])


def test_mbpl_as_neuron_of_the_spiking_mlp():
    cfg = compose_cfg(["model=mlp_spe_c60", "neuron=mbpl"])  # default data set: digits, 1 x 32 x 32
    net = build_network(cfg.model)
    blocks = [m for m in net.modules() if isinstance(m, MBPL)]
    in_blocks = {id(lif) for b in blocks for lif in b.branches}
    lifs = [m for m in net.modules() if isinstance(m, neuron.LIFNode)]
    assert len(blocks) > 5 and all(id(m) in in_blocks for m in lifs)  # every spiking layer is an MBPL
    out = run(net, torch.rand(2, 2, 1, 32, 32))
    assert out.shape == (2, 2, cfg.dataset.num_classes) and torch.isfinite(out).all()


# ------------------------------------------------------------------------ ResNet-18 study net
def test_resnet18_param_counts():
    assert count_parameters(ResNet18SPK(100, 32, 3, LIF)) == 11_220_132
    assert count_parameters(ResNet18SPK(1000, 224, 3, LIF)) == 11_681_832


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_resnet18_param_delta_only_for_dcl(name):
    base = count_parameters(ResNet18SPK(100, 32, 3, LIF))
    net = ResNet18SPK(100, 32, 3, SPK[name])
    blocks = [m for m in net.modules() if isinstance(m, BLOCKS[name])]
    assert len(blocks) == 17  # every activation
    # DCL: 38 C per activation, C = 64 (stem) + 4 activations per stage at 64/128/256/512
    assert count_parameters(net) - base == (38 * (64 + 4 * (64 + 128 + 256 + 512)) if name == "dcl" else 0)


@pytest.mark.parametrize("T", [1, 4])
@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_resnet18_forward_backward(name, T):
    torch.manual_seed(0)
    net = ResNet18SPK(10, 32, 3, SPK[name], widths=(8, 16, 32, 64))
    x = torch.rand(T, 2, 3, 32, 32)
    with monitor.OutputMonitor(net, BLOCKS[name]) as mon:
        out = net(x)
    assert out.shape == (T, 2, 10)
    out.mean(0).sum().backward()
    functional.reset_net(net)
    assert all(p.grad is not None for p in net.parameters())
    assert net.stem[0][0].weight.grad.abs().sum() > 0
    outs = [mon[n][0] for n in mon.monitored_layers]
    assert len(outs) == 17
    if name in BINARY:
        assert all(set(torch.unique(o).tolist()) <= {0.0, 1.0} for o in outs)
    if name == "mbpl":
        assert all(set(torch.unique(o).tolist()) <= {0.0, 0.25, 0.5, 0.75, 1.0} for o in outs)


def test_materialize_is_a_noop_without_lazy_modules():
    net = ResNet18SPK(10, 16, 1, LIF, widths=(8, 8, 8, 8))
    state = {k: v.clone() for k, v in net.state_dict().items()}
    materialize(net, 1, 16)
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in state.items())


@pytest.mark.slow
def test_resnet18_spk_learns_on_digits(make_cfg, tmp_path):  # ~60 s on 2 CPU cores
    cfg = make_cfg("model=resnet18_spk", "neuron=mbpl", "model.widths=[16,32,64,128]", "dataset.img_size=16",
                   "schedule=adamw_warmup", "schedule.warmup_epochs=0", "schedule.epochs=3",
                   "schedule.optimizer.lr=0.003", "schedule.T=2", "dataset.batch_size=32",
                   "trainer.limit_train_batches=10", "trainer.limit_val_batches=1", "trainer.limit_test_batches=1",
                   "trainer.num_sanity_val_steps=0", "test_after_fit=false")
    train(cfg)
    with open(tmp_path / "run" / "csv" / "metrics.csv") as f:
        losses = [float(r["train/loss_epoch"]) for r in csv.DictReader(f) if r.get("train/loss_epoch")]
    assert len(losses) == 3 and losses[-1] < 0.8 * losses[0], losses
