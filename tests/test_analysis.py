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
    # patch conv + 5 conv-BN pairs per SPE cell + (fc_h, fc_w, fuse) per block (depths 2,2,2,2)
    assert len(report.folded) == 1 + 3 * 5 + 3 * 8
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


# ----------------------------------------------------------------------------- issue 5 additions
def test_stage_rates_are_neuron_weighted_and_recorder_accumulates_batches():
    """Stage rate = total spikes / total neuron-steps of its layers, over every batch seen."""
    from snnexp.analysis.firing import FiringRateRecorder

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stages = nn.ModuleList([nn.ModuleDict({"a": neuron.IFNode(step_mode="m"),
                                                        "b": neuron.IFNode(step_mode="m")})])
            self.head_lif = neuron.IFNode(step_mode="m")

        def forward(self, x):  # layer a: 4 neurons at rate 1, layer b: 12 neurons at rate 0.5
            self.stages[0]["a"](torch.ones(8, x.shape[1], 4))
            self.stages[0]["b"](torch.full((8, x.shape[1], 12), 0.5))
            return self.head_lif(torch.zeros(8, x.shape[1], 2))

    net = Net()
    with FiringRateRecorder(net) as rec:
        for b in (1, 3):
            net(torch.zeros(8, b))
            functional.reset_net(net)
        assert rec.rates() == pytest.approx({"stages.0.a": 1.0, "stages.0.b": 0.5, "head_lif": 0.0})
        assert rec.stage_rates() == pytest.approx({"stages.0": (4 * 1.0 + 12 * 0.5) / 16, "head_lif": 0.0})
    assert not net.stages[0]["a"]._forward_hooks  # hooks removed on exit


def test_dense_ann_macs_match_a_hand_count():
    from snnexp.analysis.opcount import dense_macs, ops_row, OpCounts

    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 5))
    seq = nn.Sequential(layer.SeqToANNContainer(net))
    x = torch.zeros(1, 2, 3, 6, 6)  # all-zero input: a spike-skipping counter would count 0
    assert dense_macs(seq, x) == 6 * 6 * 8 * 3 * 9 + 8 * 6 * 6 * 5
    row = ops_row("m", 4, OpCounts(adds=1e6, mults=1e6), 2e6)
    assert row["SNN energy (uJ)"] == pytest.approx(0.9 + 4.6) and row["ANN energy (uJ)"] == pytest.approx(9.2)


def test_bn_folding_of_a_tiny_net_is_exact_and_removes_the_bns():
    from snnexp.analysis.mfi import fold_bn, input_report

    torch.manual_seed(0)
    net = nn.Sequential(layer.Conv2d(3, 4, 3, step_mode="m"), layer.BatchNorm2d(4, step_mode="m"),
                        neuron.IFNode(step_mode="m", v_threshold=0.5), layer.Flatten(step_mode="m"),
                        layer.Linear(4 * 36, 6, step_mode="m"), layer.BatchNorm1d(6, step_mode="m"))
    for m in net.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.weight.data.uniform_(0.5, 2)
            m.bias.data.uniform_(-1, 1)
    x = torch.rand(3, 2, 3, 8, 8)
    report = check_folding(net, x)
    assert report.folded == [("0", "1"), ("4", "5")] and not report.kept
    assert report.max_abs_out > 0.1 and report.max_abs_diff < 1e-5 and report.equal
    folded, _ = fold_bn(net, x)
    assert isinstance(folded[1], nn.Identity) and isinstance(net[1], nn.BatchNorm2d)  # original untouched
    rep = input_report(net, x)
    assert rep.encoding_layer == "0" and rep.violations == [] and rep.ok


def test_token_weight_pictures(tmp_path):
    from snnexp.analysis.token_weights import plot_token_weights, token_weights

    net = build_network(compose_cfg(["model=mlp_spe_c60", "dataset=synthetic", "dataset.img_size=32"]).model)
    with torch.no_grad():
        net.stages[0].blocks[0].token.fc_h.fc.weight.fill_(1.0)
    tw = token_weights(net)
    assert list(tw) == ["stages.0", "stages.1", "stages.2", "stages.3"]
    assert [v["h"][0].shape[0] for v in tw.values()] == [8, 4, 2, 1]  # grid R of each stage at 32x32
    assert torch.equal(tw["stages.0"]["h"][0], torch.ones(8, 8))
    paths = plot_token_weights(net, tmp_path) + plot_token_weights(net, tmp_path, per_block=True, prefix="pb")
    assert len(paths) == 8 and all(p.stat().st_size > 1000 for p in paths)
    assert token_weights(nn.Sequential(nn.Linear(2, 2))) == {}


def test_firing_rate_callback_logs_and_writes(make_cfg, tmp_path):
    cfg = make_cfg("logger=csv", "callbacks=firing_rate", "trainer.accelerator=cpu",
                   "trainer.enable_progress_bar=false",
                   "trainer.enable_model_summary=false", "model=mlp_spe_c60", "dataset.img_size=16", "schedule.T=2",
                   "schedule.epochs=1", "trainer.limit_train_batches=2", "trainer.limit_val_batches=2",
                   "trainer.limit_test_batches=1", "callbacks.firing_rate.per_layer=true", fast=False)
    train(cfg)
    run = tmp_path / "run"
    with open(run / "csv" / "metrics.csv") as f:
        rows = list(csv.DictReader(f))
    keys = set(rows[0])
    assert {f"firing_stage/stages.{i}" for i in range(4)} <= keys and "firing/stages.0.lif" in keys
    vals = [float(r["firing_stage/stages.0"]) for r in rows if r.get("firing_stage/stages.0")]
    assert len(vals) == 2 and all(0.0 <= v <= 1.0 for v in vals)  # one val epoch + one test epoch
    for stage in ("val", "test"):
        assert (run / "analysis" / f"firing_rates_{stage}.png").stat().st_size > 1000
        with open(run / "analysis" / f"firing_rates_{stage}_stages.csv") as f:
            assert [r["stage"] for r in csv.DictReader(f)] == [f"stages.{i}" for i in range(4)]
