"""Spiking MLP-Mixer with SPE: parameter counts against the paper, shapes, binary spikes, skips, MFI."""

from __future__ import annotations

import pytest
import torch
from spikingjelly.activation_based import functional
from spikingjelly.activation_based.neuron import BaseNode
from torch import nn

from snnexp.models.build import build_network, count_parameters
from snnexp.models.mlp_spe import SpikingMLPSPE, Skips
from tests.conftest import compose_cfg

# (config, paper's count in M, count measured from the authors' code in M; models.md §1.6)
PAPER_224 = [("mlp_spe_t", 25, 25.229), ("mlp_spe_s", 38, 37.976), ("mlp_spe_b", 66, 65.607),
             ("mlp_s", 34, 34.507)]


@pytest.mark.parametrize("name,paper,measured", PAPER_224)
def test_parameter_counts_at_224_match_the_paper(name, paper, measured):
    cfg = compose_cfg([f"model={name}", "dataset=imagenet"])
    n = count_parameters(build_network(cfg.model)) / 1e6
    assert abs(n - paper) / paper < 0.02, n
    assert abs(n - measured) < 0.001, n


@pytest.mark.parametrize("name,measured", [("mlp_spe_t", 24.517), ("mlp_s", 33.653), ("mlp_spe_c60", 7.497)])
def test_parameter_counts_at_32_cifar10(name, measured):
    cfg = compose_cfg([f"model={name}", "dataset=cifar10"])
    assert abs(count_parameters(build_network(cfg.model)) / 1e6 - measured) < 0.001


@pytest.mark.parametrize("depths,measured", [((1, 1, 1, 1), 4.737), ((2, 8, 14, 2), 14.518)])
def test_c60_counts_match_the_authors_code(lif, depths, measured):
    """models.md §1.6: the authors' code at C=60 on 32x32 / 10 classes."""
    n = count_parameters(SpikingMLPSPE(10, 32, 3, lif, dim=60, depths=depths)) / 1e6
    assert abs(n - measured) < 0.001


def spike_outputs(net, x):
    """Outputs of every spiking node in one forward pass."""
    outs = []
    hooks = [m.register_forward_hook(lambda m, i, o: outs.append(o.detach()))
             for m in net.modules() if isinstance(m, BaseNode)]
    y = net(x)
    for h in hooks:
        h.remove()
    return y, outs


@pytest.mark.parametrize("name", ["mlp_spe_t", "mlp_spe_s", "mlp_spe_b", "mlp_s", "mlp_spe_c60"])
@pytest.mark.parametrize("T", [1, 4])
def test_forward_backward_at_32x32(name, T):
    torch.manual_seed(0)
    net = build_network(compose_cfg([f"model={name}", "dataset=cifar10"]).model)
    x = torch.rand(T, 2, 3, 32, 32)
    y, spikes = spike_outputs(net, x)
    assert y.shape == (T, 2, 10)
    assert spikes and all(((s == 0) | (s == 1)).all() for s in spikes)
    assert sum(float(s.sum()) for s in spikes) > 0, "the network never spikes"
    (y.mean(0) * torch.randn(2, 10)).sum().backward()  # a plain sum is flat through the head's BN
    grads = [p.grad for p in net.parameters()]
    assert all(g is not None for g in grads)
    assert net.stages[0].encoder.conv_bn[0].weight.grad.abs().sum() > 0
    functional.reset_net(net)


def test_builds_for_digits_images():
    cfg = compose_cfg(["model=mlp_spe_t", "dataset=digits", "dataset.img_size=32"])
    net = build_network(cfg.model)
    assert net(torch.rand(2, 3, 1, 32, 32)).shape == (2, 3, 10)


def test_every_linear_and_conv_but_the_first_and_head_sees_spikes(lif):
    """MFI (paper §3): binary inputs everywhere except the real-valued first layer. The head follows the
    authors' code (BN -> average pool -> Linear), so it sees spike rates, not spikes (models.md §1.8.1)."""
    torch.manual_seed(0)
    net = SpikingMLPSPE(10, 32, 3, lif, dim=60, depths=(1, 1, 1, 1))
    inputs = {}
    hooks = [m.register_forward_pre_hook(lambda m, a, name=name: inputs.setdefault(name, a[0].detach()))
             for name, m in net.named_modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    net(torch.rand(2, 2, 3, 32, 32))
    for h in hooks:
        h.remove()
    first = "stages.0.encoder.conv_bn.0"
    real = sorted(n for n, x in inputs.items() if not ((x == 0) | (x == 1)).all())
    assert real == sorted([first, "head"])


@pytest.mark.parametrize("skips", [Skips(), Skips(tc=False), Skips(True, True, True, True),
                                   Skips(False, False, False, True), Skips(False, False, False, False)])
def test_skip_terms_gate_the_lif_inputs(lif, skips):
    """LIF_tok sees t + [PT] h + [CT] c_prev and LIF_ch sees c + [PC] h + [TC] t (module docstring)."""
    from snnexp.models.mlp_spe import MixerBlock

    torch.manual_seed(0)
    block = MixerBlock(dim=6, grid=4, neuron=lif, skips=skips, alpha=3, spe=True)
    seen = {}
    block.token.register_forward_hook(lambda m, a, o: seen.__setitem__("t", o.detach()))
    block.channel.register_forward_hook(lambda m, a, o: seen.__setitem__("c", o.detach()))
    block.lif_tok.register_forward_pre_hook(lambda m, a: seen.__setitem__("tok_in", a[0].detach()))
    block.lif_ch.register_forward_pre_hook(lambda m, a: seen.__setitem__("ch_in", a[0].detach()))
    x = (torch.rand(2, 3, 6, 4, 4) > 0.5).float()
    h, c_prev = torch.randn(2, 3, 6, 4, 4), torch.randn(2, 3, 6, 4, 4)
    out, c = block(x, h, c_prev)
    t = seen["t"]
    torch.testing.assert_close(seen["tok_in"], t + skips.pt * h + skips.ct * c_prev)
    torch.testing.assert_close(seen["ch_in"], seen["c"] + skips.pc * h + skips.tc * t)
    torch.testing.assert_close(c, seen["c"])
    assert ((out == 0) | (out == 1)).all()


def test_lif_inputs_are_sums_of_bn_states_never_spikes(lif):
    """The PT/PC/TC sums feed LIFs: their inputs are real-valued currents, not spike counts."""
    torch.manual_seed(0)
    net = SpikingMLPSPE(10, 32, 3, lif, dim=60, depths=(1, 1, 1, 1))
    seen = []
    block = net.stages[0].blocks[0]
    block.lif_ch.register_forward_pre_hook(lambda m, a: seen.append(a[0].detach()))
    net(torch.rand(1, 2, 3, 32, 32))
    x = seen[0]
    assert not torch.equal(x, x.round()), "LIF_ch input looks like a sum of spikes"


def test_spe_requires_dims_divisible_by_three(lif):
    with pytest.raises(ValueError, match="divisible by 3"):
        SpikingMLPSPE(10, 32, 3, lif, dim=80)
