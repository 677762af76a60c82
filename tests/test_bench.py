"""`python -m snnexp.bench --smoke` runs and writes its table (timings are not asserted)."""

from __future__ import annotations

import csv
import subprocess
import sys

from snnexp import PROJECT_ROOT


def test_bench_smoke_writes_paired_ratios_and_memory(tmp_path):
    res = subprocess.run([sys.executable, "-m", "snnexp.bench", "--smoke", "--out", str(tmp_path)],
                         cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    with open(tmp_path / "bench.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["T"]) for r in rows] == [1, 2]
    for r in rows:
        assert float(r["train time / bound"]) > 0 and float(r["infer img/s"]) > 0
    mem = [float(r["memory MB"]) for r in rows]
    assert mem[1] > mem[0]  # saved activations grow with T
    assert (tmp_path / "bench.md").read_text().startswith("| model")


def test_memopt_checkpointing_keeps_outputs_gradients_and_state_dict():
    """spikingjelly memopt checkpointing (speed.optimize_network(checkpoint=True)) recomputes blocks from
    the right neuron state: same outputs, same gradients, same state_dict keys; a second step matches too."""
    import copy

    import torch
    from spikingjelly.activation_based import functional

    from snnexp.models.build import build_network
    from snnexp.speed import optimize_network
    from tests.conftest import compose_cfg

    torch.manual_seed(0)
    net = build_network(compose_cfg(["model=mlp_spe_c60", "dataset=synthetic", "dataset.img_size=16"]).model)
    ck = optimize_network(copy.deepcopy(net), checkpoint=True)
    assert list(ck.state_dict()) == list(net.state_dict())
    assert sum("Checkpoint" in type(m).__name__ for m in ck.modules()) == 8  # every block (C60: 2 per stage)
    x = torch.randn(3, 2, 3, 16, 16)
    outs = []
    for n in (net, ck):
        for _ in range(2):  # two steps: neuron state must be reset, not double-stepped
            n.zero_grad()
            out = n(x)
            (out.mean(0) ** 2).sum().backward()
            functional.reset_net(n)
        outs.append(out.detach())
    assert torch.allclose(outs[0], outs[1], atol=1e-5)
    # named_parameters() of a wrapped block gain `_checkpoint_wrapped_module.` (state_dict keys do not)
    grads = [{k.replace("_checkpoint_wrapped_module.", ""): p.grad for k, p in n.named_parameters()}
             for n in (net, ck)]
    assert grads[0].keys() == grads[1].keys()
    for k, g in grads[0].items():
        assert (g is None) == (grads[1][k] is None), k
        if g is not None:
            assert torch.allclose(g, grads[1][k], atol=1e-5), k


def test_compile_switch_is_in_place_and_keeps_parameter_names():
    from torch import nn

    from snnexp.speed import optimize_network

    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    keys = list(net.state_dict())
    out = optimize_network(net, compile=True, channels_last=True)
    assert out is net and list(net.state_dict()) == keys and net[0].weight.is_contiguous(
        memory_format=__import__("torch").channels_last)
