"""Firing rates, operation counts, BN folding and the MFI check; `python -m snnexp.analyze` end to end."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest
import torch
from spikingjelly.activation_based import functional, layer, neuron
from torch import nn

from snnexp import PROJECT_ROOT
from snnexp.analysis.firing import firing_rates, stage_rates
from snnexp.analysis.mfi import binary_input_report, check_folding
from snnexp.analysis.opcount import E_ADD_PJ, E_MAC_PJ, count_ops
from snnexp.models.build import build_network
from snnexp.train import train
from tests.conftest import compose_cfg


@pytest.mark.parametrize("drive,rate", [(1.0, 1.0), (0.5, 0.5), (0.25, 0.25), (0.0, 0.0)])
def test_firing_rate_of_a_layer_with_known_input(drive, rate):
    """An IF node (Vth 1) driven by a constant c fires at rate c (T = 8, multiples of the period)."""
    net = nn.Sequential(neuron.IFNode(step_mode="m"))
    rates = firing_rates(net, torch.full((8, 3, 5), drive))
    assert rates == {"0": pytest.approx(rate)}
    assert stage_rates({"stages.0.a": 0.2, "stages.0.b": 0.4, "stages.1.a": 0.1}) == \
        pytest.approx({"stages.0": 0.3, "stages.1": 0.1})


def test_op_counts_match_a_hand_count():
    """Encoding conv on real input: MACs = positions x C_out x k^2 x C_in per step; second conv (1x1) on
    spikes: SynOps = nnz(spikes) x C_out."""
    torch.manual_seed(0)
    T, B = 2, 3
    conv1, conv2 = layer.Conv2d(1, 4, 3, padding=1, bias=False, step_mode="m"), \
        layer.Conv2d(4, 2, 1, bias=False, step_mode="m")
    net = nn.Sequential(conv1, neuron.IFNode(step_mode="m", v_threshold=0.2), conv2)
    x = torch.rand(T, B, 1, 5, 5)
    with torch.no_grad():
        spikes = net[1](conv1(x))
    functional.reset_net(net)
    counts = count_ops(net, x)
    assert counts.mults == T * 25 * 4 * 9 * 1
    assert counts.adds == spikes.sum().item() * 2 / B and counts.adds > 0
    assert counts.energy_uj == pytest.approx((E_ADD_PJ * counts.adds + E_MAC_PJ * counts.mults) / 1e6)


def calibrated(model: str, *extra: str) -> tuple[nn.Module, torch.Tensor]:
    torch.manual_seed(0)
    net = build_network(compose_cfg([f"model={model}", "dataset=cifar10", *extra]).model)
    x = torch.randn(2, 4, 3, 32, 32)
    net.train()
    with torch.no_grad():
        for _ in range(5):
            net(x)
            functional.reset_net(net)
        for m in net.modules():  # large BN gains so the eval-mode network really spikes
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.weight.fill_(2.5)
    return net.eval(), x


@pytest.mark.parametrize("extra", [[], ["neuron=relu"]])
def test_bn_folding_keeps_the_outputs(extra):
    net, x = calibrated("mlp_spe_c60", *extra)
    if not extra:
        assert max(stage_rates(firing_rates(net, x)).values()) > 0.01
    report = check_folding(net, x)
    assert len(report.folded) == 28  # encoders, SPE links, axial FCs, token fuse convs
    assert all("channel.bn" in n or n == "head_norm" for n in report.not_foldable)  # per-token BN1d, head
    assert report.max_abs_diff <= 1e-4 * max(1.0, report.max_abs_out)


def test_mfi_check_flags_real_valued_inputs():
    net, x = calibrated("mlp_spe_c60")
    assert binary_input_report(net, x) == ["stages.0.encoder.conv_bn.0", "head"]
    planted = nn.Sequential(layer.Conv2d(3, 4, 3, padding=1, step_mode="m"), neuron.IFNode(step_mode="m"),
                            layer.Conv2d(4, 4, 1, step_mode="m"),             # fed spikes: fine
                            layer.Conv2d(4, 2, 1, step_mode="m"))             # fed real values: flagged
    assert binary_input_report(planted, torch.rand(2, 1, 3, 8, 8)) == ["0", "3"]


def test_analyze_cli_on_a_trained_checkpoint(make_cfg, tmp_path):
    train(make_cfg("model=mlp_spe_c60", "dataset.img_size=16", "schedule.T=2", "schedule.epochs=1",
                   "trainer.limit_train_batches=3", "trainer.limit_val_batches=1", "trainer.limit_test_batches=1"))
    out = tmp_path / "analysis"
    res = subprocess.run([sys.executable, "-m", "snnexp.analyze", str(tmp_path / "run/checkpoints/last.ckpt"),
                          "--out", str(out), "--batches", "2"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    with open(out / "ops.csv") as f:
        row = next(csv.DictReader(f))
    # digits 16x16, 1 channel: encoding conv 4x4 positions x 60 x 16 MACs per step, T = 2, + head Linear
    assert float(row["#Mult (M)"]) * 1e6 == pytest.approx(2 * (16 * 60 * 16 + 480 * 10))
    assert float(row["ANN MACs (M)"]) > float(row["#Mult (M)"]) / 2
    text = (out / "analysis.md").read_text()
    assert "stages.0" in text and "stages.0.encoder.conv_bn.0, head" in text
    assert (out / "firing_rates.png").stat().st_size > 1000
