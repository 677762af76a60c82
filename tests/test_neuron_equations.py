"""The configured neurons follow the spiking MLP paper's Eq. 1-4, checked by hand on small tensors."""

from __future__ import annotations

import math

import pytest
import torch
from hydra.utils import instantiate
from spikingjelly.activation_based import functional

from tests.conftest import compose_cfg


def hand_lif(xs, tau=2.0, v_th=1.0, v_reset=0.0):
    """u_pre = u + (z - (u - v_reset))/tau; s = [u_pre >= Vth]; u = s ? v_reset : u_pre."""
    u, spikes, volts = v_reset, [], []
    for z in xs:
        h = u + (z - (u - v_reset)) / tau
        s = 1.0 if h >= v_th else 0.0
        u = v_reset if s else h
        spikes.append(s)
        volts.append(u)
    return spikes, volts


@pytest.mark.parametrize("tau,v_th", [(2, 1), (3, 0.5), (1.5, 1)])
def test_lif_matches_hand_computation(tau, v_th):
    cfg = compose_cfg([f"neuron.tau={tau}", f"neuron.v_threshold={v_th}"])
    node = instantiate(cfg.neuron)(store_v_seq=True)
    xs = [2.0, 2.0, 0.5, 1.0, 1.0, 0.0, 3.0, 0.25]
    out = node(torch.tensor(xs).view(-1, 1))
    spikes, volts = hand_lif(xs, tau, v_th)
    assert out.view(-1).tolist() == spikes
    torch.testing.assert_close(node.v_seq.view(-1), torch.tensor(volts))
    functional.reset_net(node)
    assert float(node.v) == 0.0


def test_lif_fires_exactly_at_threshold_and_resets_hard():
    node = instantiate(compose_cfg([]).neuron)(store_v_seq=True)
    out = node(torch.tensor([2.0, 0.0]).view(2, 1))  # h = 0 + (2 - 0)/2 = 1.0 -> spike, reset to 0
    assert out.view(-1).tolist() == [1.0, 0.0]
    assert node.v_seq.view(-1).tolist() == [0.0, 0.0]


def test_if_neuron_integrates_without_leak():
    node = instantiate(compose_cfg(["neuron=if"]).neuron)()
    out = node(torch.tensor([0.4, 0.4, 0.4, 0.4]).view(4, 1))
    assert out.view(-1).tolist() == [0.0, 0.0, 1.0, 0.0]  # 0.4, 0.8, 1.2>=1 -> reset, 0.4


@pytest.mark.parametrize("surrogate,grad_at_threshold", [
    ("sigmoid", 4.0 * 0.25),        # alpha * s(0) (1 - s(0))
    ("atan", 2.0 / 2.0),            # (alpha/2) / (1 + 0)
    ("triangle", 1.0),              # alpha - alpha^2 * 0
])
def test_surrogate_gradient_at_threshold(surrogate, grad_at_threshold):
    node = instantiate(compose_cfg([f"surrogate={surrogate}"]).neuron)()
    x = torch.tensor([[2.0]], requires_grad=True)  # one step, h = x / tau = 1.0 = Vth
    node(x).sum().backward()
    assert math.isclose(x.grad.item(), grad_at_threshold / 2.0, rel_tol=1e-5)  # dh/dx = 1/tau


def test_plif_learns_its_time_constant():
    node = instantiate(compose_cfg(["neuron=plif", "neuron.init_tau=2"]).neuron)()
    params = dict(node.named_parameters())
    assert params and all(p.requires_grad for p in params.values())
    node(torch.rand(4, 3, 5) * 3).sum().backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in params.values())
