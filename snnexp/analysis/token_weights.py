"""Axial token-mixing weights as pictures (spiking MLP paper Fig. 5).

In MLP-SPE every mixer block has two axial token FCs, `token.fc_h` and `token.fc_w` (each a 1x1 Conv2d
R -> R on the spatial axis moved to channels, R = the stage's grid size), so each is an R x R matrix:
entry (i, j) is the weight from position j to position i along H (or W). We show the raw learned weights
(not BN-folded: the per-output BN scale would only rescale rows), for each stage averaged over its blocks
(default; the blocks of a stage share R) or one picture per block (`per_block=True`), on a symmetric
colour scale centred at 0. Works for any network whose module names end in `token.fc_h` / `token.fc_w`
(the module itself a Conv2d/Linear, or holding one as `.fc`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import torch
from torch import nn

_NAME = re.compile(r"^(?P<stage>.*?)\.blocks\.(?P<block>\d+)\.token\.fc_(?P<axis>[hw])$")


def _matrix(m: nn.Module) -> torch.Tensor:
    layer = getattr(m, "fc", m)
    w = layer.weight.detach().float().cpu()
    return w.reshape(w.shape[0], w.shape[1])


def token_weights(net: nn.Module) -> dict[str, dict[str, list[torch.Tensor]]]:
    """{stage: {'h': [R x R per block], 'w': [...]}} in module order; empty for nets without token FCs."""
    out: dict[str, dict[str, list[torch.Tensor]]] = defaultdict(lambda: {"h": [], "w": []})
    for name, m in net.named_modules():
        match = _NAME.match(name)
        if match:
            out[match["stage"]][match["axis"]].append(_matrix(m))
    return dict(out)


def plot_token_weights(net: nn.Module, out_dir: Path, per_block: bool = False, prefix: str = "token_weights"):
    """Write one PNG per stage (two panels, H x H and W x W; per block: 2 rows x blocks). Returns the paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for stage, axes in token_weights(net).items():
        if per_block:
            mats = {f"{a.upper()} block {k}": w for a in "hw" for k, w in enumerate(axes[a])}
            cols = max(len(axes["h"]), len(axes["w"]))
        else:
            mats = {f"{a.upper()} x {a.upper()} (mean of {len(axes[a])})": torch.stack(axes[a]).mean(0)
                    for a in "hw" if axes[a]}
            cols = 1
        rows = 2 if per_block else 1
        cols = cols if per_block else len(mats)
        fig, grid = plt.subplots(rows, cols, figsize=(2.6 * cols, 2.6 * rows), squeeze=False)
        for ax in grid.flat:
            ax.axis("off")
        for k, (title, w) in enumerate(mats.items()):
            ax = grid.flat[k] if not per_block else grid[0 if title.startswith("H") else 1, int(title.split()[-1])]
            lim = float(w.abs().max()) or 1.0
            im = ax.imshow(w.numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(title, fontsize=8)
            ax.axis("on")
            ax.set_xlabel("from position", fontsize=7)
            ax.set_ylabel("to position", fontsize=7)
            fig.colorbar(im, ax=ax, fraction=0.046)
        fig.suptitle(f"token weights, {stage} (R={next(iter(mats.values())).shape[0]})", fontsize=9)
        fig.tight_layout()
        path = out_dir / f"{prefix}_{stage.replace('.', '')}.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        paths.append(path)
    return paths
