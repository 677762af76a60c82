"""Typed schemas for the SNN config groups (registered in Hydra's ConfigStore).

Each YAML option of `neuron/`, `surrogate/`, `skip/` and `schedule/` starts its defaults list with
`/schema/<group>/<kind>@_here_`, so values are type-checked and coerced when the config is composed:
`neuron.tau=2` becomes `2.0` (spikingjelly asserts float), `neuron.tau=fast` and misspelt keys fail
with Hydra's error naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional

from hydra.core.config_store import ConfigStore

SJ = "spikingjelly.activation_based"


# --------------------------------------------------------------------------- surrogate
@dataclass
class SurrogateSchema:
    """A spikingjelly surrogate gradient; forward is heaviside(u - Vth)."""

    _target_: str = f"{SJ}.surrogate.Sigmoid"
    alpha: float = 4.0


# --------------------------------------------------------------------------- neurons
@dataclass
class NodeSchema:
    """Common fields of spikingjelly multi-step nodes (built as `functools.partial`)."""

    _target_: str = f"{SJ}.neuron.IFNode"
    _partial_: bool = True
    v_threshold: float = 1.0
    v_reset: Optional[float] = 0.0  # null = soft reset
    detach_reset: bool = True
    step_mode: str = "m"
    surrogate_function: Any = None


@dataclass
class LIFSchema(NodeSchema):
    """LIF, Eq. 1-4 of the spiking MLP paper: u_pre = u + (z - u)/tau."""

    _target_: str = f"{SJ}.neuron.LIFNode"
    tau: float = 2.0
    decay_input: bool = True


@dataclass
class PLIFSchema(NodeSchema):
    """Parametric LIF: 1/tau learnt, initialised from init_tau."""

    _target_: str = f"{SJ}.neuron.ParametricLIFNode"
    init_tau: float = 2.0
    decay_input: bool = True


# SPK blocks of SpikeAtConv (snnexp/neurons/spk.py): a LIF's fields plus the block's own.
SPK = "snnexp.neurons.spk"


@dataclass
class SLSchema(LIFSchema):
    """SL: a single LIF."""

    _target_: str = f"{SPK}.SL"


@dataclass
class RLSchema(LIFSchema):
    """RL: y = x + LIF(x)."""

    _target_: str = f"{SPK}.RL"


@dataclass
class MBPLSchema(LIFSchema):
    """MBPL: mean of parallel LIFs with thresholds v_threshold * thresholds[k]."""

    _target_: str = f"{SPK}.MBPL"
    thresholds: List[float] = field(default_factory=lambda: [0.2, 1.0, 2.0, 4.0])


@dataclass
class HSLSchema(LIFSchema):
    """HSL: channel groups with their own tau / threshold scales."""

    _target_: str = f"{SPK}.HSL"
    groups: int = 2
    tau_scales: List[float] = field(default_factory=lambda: [1.0, 2.0])
    threshold_scales: List[float] = field(default_factory=lambda: [1.0, 1.0])


@dataclass
class DCLSchema(LIFSchema):
    """DCL: LIF(sum_k BN(DWConv_k(x)))."""

    _target_: str = f"{SPK}.DCL"
    kernel_sizes: List[int] = field(default_factory=lambda: [3, 5])


@dataclass
class ReLUSchema:
    """Non-spiking stand-in (the ANN baseline of the benchmarks)."""

    _target_: str = "torch.nn.ReLU"
    _partial_: bool = True


# --------------------------------------------------------------------------- skips
@dataclass
class SkipSchema:
    """Skip connections of the spiking MLP token/channel blocks (paper Table 3)."""

    _target_: str = "snnexp.models.mlp_spe.Skips"
    pt: bool = True
    pc: bool = True
    tc: bool = True
    ct: bool = False


# --------------------------------------------------------------------------- schedule
@dataclass
class ScheduleSchema:
    """Optimiser + LR schedule + epochs + time steps T."""

    T: int = 4
    epochs: int = 5
    warmup_epochs: float = 0.0
    warmup_start_factor: float = 0.01
    min_lr: float = 0.0
    grad_clip: Optional[float] = None
    optimizer: Any = field(default_factory=dict)
    # Extra parameter groups: [{match: <regex on parameter name>, lr: .., weight_decay: ..}]
    param_groups: Any = field(default_factory=list)


def register() -> None:
    cs = ConfigStore.instance()
    cs.store(group="schema/surrogate", name="surrogate", node=SurrogateSchema)
    cs.store(group="schema/neuron", name="node", node=NodeSchema)
    cs.store(group="schema/neuron", name="lif", node=LIFSchema)
    cs.store(group="schema/neuron", name="plif", node=PLIFSchema)
    cs.store(group="schema/neuron", name="relu", node=ReLUSchema)
    for name, node in (("sl", SLSchema), ("rl", RLSchema), ("mbpl", MBPLSchema), ("hsl", HSLSchema),
                       ("dcl", DCLSchema)):
        cs.store(group="schema/neuron", name=name, node=node)
    cs.store(group="schema/skip", name="skip", node=SkipSchema)
    cs.store(group="schema/schedule", name="schedule", node=ScheduleSchema)


register()
