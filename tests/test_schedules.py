"""Optimiser parameter groups and the warm-up + cosine schedule built from the `schedule` group."""

from __future__ import annotations

import math

import pytest
import torch
from hydra.utils import instantiate

from snnexp.models.build import build_network
from snnexp.schedules import param_groups, warmup_cosine
from tests.conftest import compose_cfg


def test_snn_mlp_lif_parameters_get_their_own_group():
    """SNN-MLP (models.md §2.5): tau/Vth with lr 1e-4 and no weight decay; 2 LIFs x 2 scalars x 12 blocks."""
    cfg = compose_cfg(["model=snn_mlp_t", "schedule=adamw_warmup", "dataset.img_size=32"])
    net = build_network(cfg.model)
    groups = param_groups(net, cfg.schedule.param_groups)
    assert len(groups) == 2
    lif = groups[1]
    assert lif["lr"] == 1e-4 and lif["weight_decay"] == 0.0 and len(lif["params"]) == 48
    assert all(p.numel() == 1 for p in lif["params"])
    opt = instantiate(cfg.schedule.optimizer)(params=groups)
    assert [g["lr"] for g in opt.param_groups] == [1e-3, 1e-4]
    assert sum(p.numel() for g in groups for p in g["params"]) == sum(p.numel() for p in net.parameters())


def test_warmup_then_cosine_to_min_lr():
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = warmup_cosine(opt, total_steps=100, warmup_steps=10, start_factor=0.01, min_lr=0.001)
    lrs = []
    for _ in range(100):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert lrs[0] == pytest.approx(0.001)
    assert lrs[10] == pytest.approx(0.1) and max(lrs) == pytest.approx(0.1)
    assert lrs[55] == pytest.approx(0.001 + (0.1 - 0.001) * 0.5 * (1 + math.cos(math.pi * 45 / 90)))
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:]))  # monotone after warm-up
    sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.001)


def test_paper_recipe_is_sgd_cosine_to_zero():
    s = compose_cfg(["~experiment"]).schedule
    assert (s.optimizer._target_, s.optimizer.lr, s.optimizer.momentum, s.min_lr, s.T) == \
        ("torch.optim.SGD", 0.1, 0.9, 0.0, 4)
