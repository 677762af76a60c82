"""Every config group option composes; schemas coerce and reject; bad names list the valid ones."""

from __future__ import annotations

import pytest
from hydra.errors import ConfigCompositionException, MissingConfigException
from hydra.utils import instantiate
from omegaconf.errors import ConfigKeyError, ValidationError

from snnexp import CONFIG_DIR
from snnexp.models.build import build_network
from tests.conftest import compose_cfg


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


@pytest.mark.parametrize("group", ["neuron", "surrogate", "skip", "schedule", "augment", "trainer",
                                   "logger", "callbacks", "dataset", "model"])
def test_every_option_composes(group):
    for option in options(group):
        cfg = compose_cfg([f"{group}={option}"])
        assert cfg[group] is not None, (group, option)


@pytest.mark.parametrize("option", ["lif", "plif", "if", "relu"])
def test_neurons_instantiate_as_factories(option):
    cfg = compose_cfg([f"neuron={option}"])
    node = instantiate(cfg.neuron)()
    if option != "relu":
        assert node.step_mode == "m"
        assert isinstance(node.v_threshold, float)


@pytest.mark.parametrize("option", options("surrogate"))
def test_surrogates_instantiate(option):
    sg = instantiate(compose_cfg([f"surrogate={option}"]).surrogate)
    assert isinstance(sg.alpha, float)


def test_int_tau_from_command_line_becomes_float():
    cfg = compose_cfg(["neuron.tau=2", "neuron.v_threshold=1"])
    assert cfg.neuron.tau == 2.0 and isinstance(cfg.neuron.tau, float)
    node = instantiate(cfg.neuron)()  # spikingjelly asserts float tau
    assert node.tau == 2.0


def test_wrong_type_is_a_clear_error():
    with pytest.raises(ConfigCompositionException) as err:
        compose_cfg(["neuron.tau=fast"])
    assert "tau" in str(err.value) or "tau" in str(err.value.__cause__)
    assert isinstance(err.value.__cause__, ValidationError)


def test_misspelt_key_is_a_clear_error():
    with pytest.raises(ConfigCompositionException) as err:
        compose_cfg(["neuron.tua=3"])
    assert "tua" in str(err.value)
    with pytest.raises(ConfigCompositionException) as err:
        compose_cfg(["skip.pt=maybe"])
    assert isinstance(err.value.__cause__, (ValidationError, ConfigKeyError))


def test_wrong_group_option_lists_valid_ones():
    with pytest.raises(MissingConfigException) as err:
        compose_cfg(["model=mlp_spe_xl"])
    message = str(err.value)
    for valid in ("mlp_spe_t", "mlp_spe_s", "mlp_spe_b", "mlp_s", "mlp_spe_c60"):
        assert valid in message


@pytest.mark.parametrize("option", ["pt_pc_tc", "pt_pc", "pt_pc_tc_ct", "ct", "none"])
def test_skip_options_reach_the_model(option, tmp_path):
    cfg = compose_cfg([f"skip={option}", "model=mlp_spe_c60"], tmp_path)
    net = build_network(cfg.model)
    block = net.stages[0].blocks[0]
    flags = (block.skips.pt, block.skips.pc, block.skips.tc, block.skips.ct)
    expected = {"pt_pc_tc": (1, 1, 1, 0), "pt_pc": (1, 1, 0, 0), "pt_pc_tc_ct": (1, 1, 1, 1),
                "ct": (0, 0, 0, 1), "none": (0, 0, 0, 0)}[option]
    assert flags == tuple(bool(f) for f in expected)


def test_model_dims_follow_the_dataset(tmp_path):
    cfg = compose_cfg(["model=mlp_spe_c60", "dataset=cifar100"], tmp_path)
    net = build_network(cfg.model)
    assert net.head.out_features == 100
    assert net.stages[0].encoder.conv_bn[0].in_channels == 3
    cfg = compose_cfg(["model=mlp_spe_c60"], tmp_path)  # digits: grayscale, 10 classes
    net = build_network(cfg.model)
    assert net.head.out_features == 10 and net.stages[0].encoder.conv_bn[0].in_channels == 1
