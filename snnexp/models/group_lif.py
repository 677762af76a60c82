"""Full-precision group LIF of SNN-MLP (Li et al., "Brain-inspired Multilayer Perceptron with
Spiking Neurons", CVPR 2022), as a pure PyTorch scan.

A spatial axis plays the role of time. The axis (H or W) is cut into groups of `lif` consecutive
positions; inside each group, for positions j = 0..s-1 (all other indices fixed):

    o_0 = 0
    u_j = tau * o_j + x_j            # membrane; the input is not scaled by (1 - tau)
    f_j = [u_j > Vth]                # strict '>'
    y_j = u_j if f_j else Vth        # full-precision output max(u_j, Vth), not a spike
    o_{j+1} = 0 if f_j else u_j      # hard reset to 0

This is the authors' cupy kernel (`snnmlp_pytorch/models/snn_cuda.py`) re-expressed with
`torch.where`; plain autograd reproduces the kernel's gradients exactly (f_j held constant; dL/dVth
sums the upstream gradient over non-firing positions; tau gets the gradient of the recursion).
See models.md 2.2 and tests/test_snn_mlp.py (a literal transcription of the kernels).

Tail: positions beyond floor(L / s) * s along the axis pass through unchanged with identity
gradient, as in the kernel. At small grids (a 32x32 input gives grids 8/4/2/1) 8 and 4 are whole
groups; at 2x2 and 1x1 (L < s) the whole axis is tail and the LIF is the identity.
"""

from __future__ import annotations

import torch
from torch import nn


class GroupLIF(nn.Module):
    """Axial group LIF with one learnable scalar `tau` and one scalar `Vth` (the authors' names, so
    an optimiser param group can match `(tau|Vth)$`).

    Args:
        dim: tensor axis of the [N, C, H, W] input used as "time": 2 = H, 3 = W.
        lif: group length s (4 in SNN-MLP); `lif <= 0` makes the module the identity (the
            authors' `lif=-1`).
        init_tau: initial tau (0.25, `--lif_init_tau`).
        init_vth: initial Vth (0.1, the `--lif_init_vth` default in the authors' `main.py`).
        fix_tau / fix_vth: keep tau / Vth constant (registered as buffers, not parameters).
    """

    def __init__(
        self,
        dim: int,
        lif: int = 4,
        init_tau: float = 0.25,
        init_vth: float = 0.1,
        fix_tau: bool = False,
        fix_vth: bool = False,
    ) -> None:
        super().__init__()
        if dim not in (2, 3):
            raise ValueError(f"dim must be 2 (H) or 3 (W), got {dim}")
        self.dim = dim
        self.lif = int(lif)
        tau = torch.tensor([float(init_tau)])
        vth = torch.tensor([float(init_vth)])
        if fix_tau:
            self.register_buffer("tau", tau)
        else:
            self.tau = nn.Parameter(tau)
        if fix_vth:
            self.register_buffer("Vth", vth)
        else:
            self.Vth = nn.Parameter(vth)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, lif={self.lif}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = self.lif
        length = x.shape[self.dim]
        if s <= 0 or length < s:
            return x
        n_full = (length // s) * s
        main = x.narrow(self.dim, 0, n_full).unflatten(self.dim, (length // s, s))
        step_dim = self.dim + 1  # the within-group axis of `main`
        o = torch.zeros_like(main.select(step_dim, 0))
        ys = []
        for j in range(s):
            u = self.tau * o + main.select(step_dim, j)
            fire = u > self.Vth
            ys.append(torch.where(fire, u, self.Vth))
            o = torch.where(fire, torch.zeros_like(u), u)
        y = torch.stack(ys, dim=step_dim).flatten(self.dim, step_dim)
        if n_full == length:
            return y
        return torch.cat([y, x.narrow(self.dim, n_full, length - n_full)], dim=self.dim)
