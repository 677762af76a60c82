"""SNN-MLP: the pure-PyTorch group LIF against a literal transcription of the authors' cupy kernels
(forward and backward), parameter counts (README / models.md 2.4), forward/backward at T=1 and T=4
on 32x32."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

import snnexp.schemas  # noqa: F401  (registers the config schemas)
from snnexp.models.build import build_network, count_parameters
from snnexp.models.group_lif import GroupLIF
from snnexp.models.snn_mlp import SNNMLP

CONF = str(Path(__file__).resolve().parents[1] / "conf")
LIF_PARAM = re.compile(
    r"(^|\.)(tau|Vth)$"
)  # what an optimiser param group for the LIF scalars would match


def compose_model(name: str, *overrides: str):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=CONF, version_base="1.3"):
        return compose(
            config_name="train", overrides=[f"model={name}", "dataset=synthetic", *overrides]
        )


def kernel_reference(x: torch.Tensor, g: torch.Tensor, tau: float, vth: float, s: int):
    """Literal transcription of `lif_forward_kernel_*` / `lif_backward_grad_input_kernel_*` of
    snn_cuda.py, LIF axis last: returns (y, dL/dx, dL/dtau, dL/dVth) for upstream gradient g."""
    length = x.shape[-1]
    full = (length // s) * s
    xs, gs = x.reshape(-1, length).tolist(), g.reshape(-1, length).tolist()
    y = [row[:] for row in xs]  # tail: passthrough
    dx = [row[:] for row in gs]  # tail: identity gradient
    dtau = dvth = 0.0
    for r, (xr, gr) in enumerate(zip(xs, gs)):
        for a in range(0, full, s):
            o, f = [0.0] * s, [0.0] * s
            for j in range(s):
                u = tau * o[j] + xr[a + j]
                f[j] = 1.0 if u > vth else 0.0
                if j < s - 1:
                    o[j + 1] = 0.0 if f[j] else u
                y[r][a + j] = u if f[j] else vth
            tmp_bottom = [f[j] * gr[a + j] for j in range(s)]
            tmp_tau = [0.0] * s
            for j in range(1, s):
                tmp_tau[j] = tmp_tau[j - 1] * tau * (1 - f[j - 1]) + o[j]
            dtau += sum(gr[a + j] * f[j] * tmp_tau[j] for j in range(s))
            for j in range(s - 2, -1, -1):
                tmp_bottom[j] += tmp_bottom[j + 1] * (1 - f[j]) * tau
            for j in range(s):
                dx[r][a + j] = tmp_bottom[j]
            dvth += sum((1 - f[j]) * gr[a + j] for j in range(s))
    as_t = lambda v: torch.tensor(v, dtype=x.dtype).reshape(x.shape)
    return as_t(y), as_t(dx), dtau, dvth


@pytest.mark.parametrize("dim", [2, 3])
@pytest.mark.parametrize("length", [4, 7, 14, 3])  # whole groups, tails of 3 and 2, all tail
def test_group_lif_matches_cuda_kernel(dim, length):
    torch.manual_seed(dim * 100 + length)
    shape = [2, 3, 5, 5]
    shape[dim] = length
    x = (torch.randn(shape, dtype=torch.float64) * 0.3).requires_grad_()
    g = torch.randn(shape, dtype=torch.float64)
    lif = GroupLIF(dim=dim, lif=4, init_tau=0.25, init_vth=0.1).double()
    with torch.no_grad():  # a non-trivial tau so the carry-over matters; exact float64 Vth
        lif.tau.fill_(0.7)
        lif.Vth.fill_(0.1)
    y = lif(x)
    (y * g).sum().backward()
    # reference works with the LIF axis last
    perm = [0, 1, 3, 2] if dim == 2 else [0, 1, 2, 3]
    y_ref, dx_ref, dtau_ref, dvth_ref = kernel_reference(
        x.detach().permute(perm), g.permute(perm), 0.7, 0.1, 4
    )
    assert torch.allclose(y, y_ref.permute(perm), rtol=0, atol=1e-12)
    assert torch.allclose(x.grad, dx_ref.permute(perm), rtol=0, atol=1e-12)
    if length >= 4:
        assert lif.tau.grad.item() == pytest.approx(dtau_ref, abs=1e-10)
        assert lif.Vth.grad.item() == pytest.approx(dvth_ref, abs=1e-10)
        full = (length // 4) * 4
        body = y.detach().narrow(dim, 0, full)
        assert torch.all(body >= 0.1)  # output max(u, Vth): full precision, never below Vth
        assert (body > 0.1).any() and (body == 0.1).any()
        assert abs(dtau_ref) > 0
    else:  # shorter than a group: identity
        assert torch.equal(y, x) and lif.Vth.grad is None and lif.tau.grad is None


def test_group_lif_identity_and_fixed_options():
    x = torch.randn(1, 2, 8, 8)
    assert torch.equal(GroupLIF(dim=2, lif=-1)(x), x)
    fixed = GroupLIF(dim=3, fix_tau=True, fix_vth=True)
    assert not list(fixed.parameters()) and {n for n, _ in fixed.named_buffers()} == {"tau", "Vth"}
    with pytest.raises(ValueError):
        GroupLIF(dim=1)


@pytest.mark.parametrize(
    "name, paper, measured",
    [("snn_mlp_t", 28.3, 28.336), ("snn_mlp_s", 49.7, 49.703), ("snn_mlp_b", 87.9, 87.897)],
)
def test_param_counts_224(name, paper, measured):
    net = build_network(
        compose_model(name, "dataset.num_classes=1000", "dataset.img_size=224").model
    )
    n = count_parameters(net) / 1e6
    assert n == pytest.approx(paper, rel=0.01)
    assert round(n, 3) == measured  # models.md 2.4
    lif = [k for k, _ in net.named_parameters() if LIF_PARAM.search(k)]
    depth = sum(len(stage.blocks) for stage in net.layers)
    assert len(lif) == 4 * depth  # tau + Vth for the H and W group LIF of every block


def test_authors_state_dict_names():
    keys = set(SNNMLP(10, 32, 3, depths=(1, 1, 1, 1)).state_dict())
    for k in (
        "patch_embed.proj.weight",
        "patch_embed.norm.weight",
        "layers.0.blocks.0.lif_module.lif1.tau",
        "layers.0.blocks.0.lif_module.lif2.Vth",
        "layers.0.blocks.0.lif_module.conv2_1.weight",
        "layers.0.blocks.0.lif_module.dw1.weight",
        "layers.0.blocks.0.mlp.fc1.weight",
        "layers.2.downsample.reduction.weight",
        "norm.weight",
        "head.weight",
    ):
        assert k in keys, k
    assert not any(k.startswith("layers.3.downsample") for k in keys)


@pytest.mark.parametrize("T", [1, 4])
def test_fwd_bwd_32x32(T):
    torch.manual_seed(0)
    net = build_network(compose_model("snn_mlp_t").model)
    assert net.img_size == 32
    x = torch.rand(T, 2, 3, 32, 32, requires_grad=True)
    out = net(x)
    assert out.shape == (T, 2, 10) and torch.isfinite(out).all()
    out.mean(0).logsumexp(-1).sum().backward()
    assert x.grad.abs().sum() > 0
    named = dict(net.named_parameters())
    # grids 8 and 4 hold whole groups: their LIF scalars learn; at 2x2 and 1x1 the LIF is a
    # pass-through, so those scalars are unused (no grad) at 32x32
    unused = {k for k, p in named.items() if p.grad is None}
    assert unused == {
        k for k in named if LIF_PARAM.search(k) and k.startswith(("layers.2.", "layers.3."))
    }
    assert named["layers.0.blocks.0.lif_module.lif1.tau"].grad.abs() > 0
    assert named["layers.1.blocks.0.lif_module.lif2.Vth"].grad.abs() > 0
    net.eval()
    with torch.no_grad():
        y = net(torch.rand(1, 2, 3, 32, 32).expand(T, -1, -1, -1, -1))
    assert torch.allclose(
        y, y[:1].expand_as(y)
    )  # no temporal dynamics: every step gives the same logits


def test_img_size_must_fit_the_pyramid():
    with pytest.raises(ValueError):
        SNNMLP(10, img_size=48, in_channels=3)
