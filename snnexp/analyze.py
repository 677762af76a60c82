"""`python -m snnexp.analyze <checkpoint>`: firing rates, operation counts and energy (Table 4 layout),
and the MFI report of a trained run, printed and written as Markdown + CSV (+ a firing-rate PNG)."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from snnexp.analysis.firing import FiringRateRecorder, plot_rates, stage_rates
from snnexp.analysis.mfi import binary_input_report, check_folding
from snnexp.analysis.opcount import ann_macs, count_ops, energy_pj
from snnexp.models.build import build_network
from snnexp.module import load_module


def test_batches(cfg: dict, n: int):
    dm = instantiate(OmegaConf.create(cfg["dataset"]))
    dm.setup("test")
    for i, (x, _) in enumerate(dm.test_dataloader()):
        if i >= n:
            break
        yield x


@torch.no_grad()
def analyze(ckpt: Path, out: Path, batches: int = 4) -> dict:
    module = load_module(str(ckpt))
    cfg, net = module.hparams["cfg"], module.net
    xs = [module.encode(x) for x in test_batches(cfg, batches)]

    rec = FiringRateRecorder(net)
    for x in xs:
        module(x)  # forward + neuron reset
    rates = rec.rates()
    rec.close()
    stages = stage_rates(rates)

    snn = count_ops(net, xs[0])
    ann_cfg = {**cfg["model"], "neuron": {"_target_": "torch.nn.ReLU", "_partial_": True}}
    ann = build_network(ann_cfg).eval()
    macs = ann_macs(ann, xs[0][:1])
    model_name = cfg.get("model", {}).get("_target_", "").rsplit(".", 1)[-1]
    row = {"model": model_name, "T": module.T, "#Add (M)": snn.adds / 1e6, "#Mult (M)": snn.mults / 1e6,
           "SNN energy (uJ)": snn.energy_uj, "ANN MACs (M)": macs / 1e6,
           "ANN energy (uJ)": energy_pj(0, macs) / 1e6}
    real_inputs = binary_input_report(net, xs[0])
    fold = check_folding(net, xs[0])

    out.mkdir(parents=True, exist_ok=True)
    with open(out / "firing_rates.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["layer", "rate"])
        w.writerows(rates.items())
    with open(out / "ops.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(row))
        w.writeheader()
        w.writerow(row)
    plot_rates(rates, out / "firing_rates.png")
    md = [f"# Analysis of `{ckpt}`", "", "## Operations and energy (per sample, all T steps)", "",
          "| " + " | ".join(row) + " |", "|" + "---|" * len(row),
          "| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row.values()) + " |", "",
          "## Firing rate per stage", "", "| stage | rate |", "|---|---|",
          *(f"| {k} | {v:.4f} |" for k, v in stages.items()), "",
          "## MFI", "", f"Linear/Conv layers with real-valued input: {', '.join(real_inputs) or 'none'}",
          f"(the first is the encoding layer; MLP-SPE's head sees BN-normalised spike rates).", "",
          f"BN folded into {len(fold.folded)} layers; kept (not foldable into a shared weight): "
          f"{', '.join(fold.not_foldable) or 'none'}; max |output change| after folding: {fold.max_abs_diff:.3g}"]
    (out / "analysis.md").write_text("\n".join(md) + "\n")
    _print(row, stages, real_inputs)
    return {"ops": row, "stages": stages, "rates": rates, "real_inputs": real_inputs, "fold": fold}


def _print(row, stages, real_inputs) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title="Operations and energy (Table 4 layout)")
    for k in row:
        t.add_column(k)
    t.add_row(*(f"{v:.4g}" if isinstance(v, float) else str(v) for v in row.values()))
    console.print(t)
    s = Table(title="Firing rate per stage")
    s.add_column("stage")
    s.add_column("rate")
    for k, v in stages.items():
        s.add_row(k, f"{v:.4f}")
    console.print(s)
    console.print(f"Real-valued Linear/Conv inputs: {', '.join(real_inputs) or 'none'}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m snnexp.analyze", description=__doc__.splitlines()[0])
    p.add_argument("checkpoint", type=Path)
    p.add_argument("--out", type=Path, help="default: <run folder>/analysis")
    p.add_argument("--batches", type=int, default=4, help="test batches to average firing rates over")
    args = p.parse_args(argv)
    if not args.checkpoint.is_file():
        raise SystemExit(f"error: no checkpoint at {args.checkpoint}")
    out = args.out or args.checkpoint.resolve().parent.parent / "analysis"
    analyze(args.checkpoint, out, args.batches)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
