"""Learning-rate schedules and parameter groups built from the `schedule` config group."""

from __future__ import annotations

import math
import re
from typing import Any, Iterable, Mapping

from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR


def param_groups(net: nn.Module, specs: Iterable[Mapping[str, Any]]) -> list[dict]:
    """Split trainable parameters into groups: each spec {match: regex, **options} takes the parameters
    whose name matches (first spec wins); the rest form the default group (e.g. SNN-MLP's LIF tau/Vth
    with their own lr and no weight decay, models.md §2.5)."""
    specs = [dict(s) for s in specs]
    groups = [{"params": [], **{k: v for k, v in s.items() if k != "match"}} for s in specs]
    default: list = []
    for name, p in net.named_parameters():
        if not p.requires_grad:
            continue
        for spec, group in zip(specs, groups):
            if re.search(spec["match"], name):
                group["params"].append(p)
                break
        else:
            default.append(p)
    return [{"params": default}] + [g for g in groups if g["params"]]


def warmup_cosine(optimizer: Optimizer, total_steps: int, warmup_steps: int = 0,
                  start_factor: float = 0.01, min_lr: float = 0.0) -> LambdaLR:
    """Per-step schedule: linear warm-up from start_factor*lr to lr, then cosine annealing to min_lr."""
    total_steps = max(1, total_steps)

    def factor(base_lr: float):
        floor = min_lr / base_lr if base_lr > 0 else 0.0

        def f(step: int) -> float:
            if step < warmup_steps:
                return start_factor + (1.0 - start_factor) * step / warmup_steps
            progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
            return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))

        return f

    return LambdaLR(optimizer, [factor(g["lr"]) for g in optimizer.param_groups])
