"""`python -m snnexp.analyze <checkpoint>`: what the papers report beside accuracy, for any trained run.

Rebuilds the run from the checkpoint alone (`load_module`; the composed config is stored inside), takes
`--batches` batches of its test split (`cfg.dataset` datamodule, `test_dataloader()`), and writes into
`--out` (default `<run>/analysis/`), besides printing the tables:

* `analysis.md`      all of the below as Markdown
* `ops.csv`          spiking MLP Table 4 / MS-ResNet Table V layout: model, T, #Add, #Mult, SNN energy,
                     ANN MACs and energy of the same network with ReLU (`analysis.opcount`), per sample
* `firing_rates.csv` per layer, `firing_rates_stages.csv` per stage, `firing_rates.png` (Fig. 4)
* `mfi.md` content   BN folding report and the equality check, Linear/Conv layers with real-valued input
* `token_weights_stages*.png` (Fig. 5) for networks with axial token FCs
All measurements run in eval mode with the trained BN statistics. Op counts use the first test batch.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf

from snnexp.analysis.firing import FiringRateRecorder, plot_rates, write_csv
from snnexp.analysis.mfi import check_folding, input_report
from snnexp.analysis.opcount import count_ops, dense_macs, ops_row
from snnexp.analysis.token_weights import plot_token_weights
from snnexp.models.build import build_network
from snnexp.module import load_module

RELU = {"_target_": "torch.nn.ReLU", "_partial_": True}


def test_batches(cfg: dict, n: int):
    """The first n (image, label) batches of the run's test split."""
    dm = instantiate(OmegaConf.create(cfg["dataset"]))
    if hasattr(dm, "prepare_data"):
        dm.prepare_data()
    dm.setup("test")
    for i, (x, _) in enumerate(dm.test_dataloader()):
        if i >= n:
            break
        yield x


def _fmt(v) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _md_table(rows: list[dict]) -> list[str]:
    head = list(rows[0])
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
            *("| " + " | ".join(_fmt(r[k]) for k in head) + " |" for r in rows)]


@torch.no_grad()
def analyze(ckpt: Path, out: Path, batches: int = 4, device: str = "cpu") -> dict:
    module = load_module(str(ckpt), map_location=device).to(device).eval()
    cfg, net = module.hparams["cfg"], module.net
    xs = [module.encode(x.to(device)) for x in test_batches(cfg, batches)]
    if not xs:
        raise SystemExit("error: the test split gave no batch")

    with FiringRateRecorder(net) as rec:
        for x in xs:
            module(x)  # forward + neuron reset
        rates, stages = rec.rates(), rec.stage_rates()

    model_name = cfg.get("model", {}).get("_target_", "?").rsplit(".", 1)[-1]
    snn = count_ops(net, xs[0])
    ann = build_network({**cfg["model"], "neuron": RELU}).to(device).eval()
    row = ops_row(model_name, module.T, snn, dense_macs(ann, xs[0][:1]))
    inputs = input_report(net, xs[0])
    fold = check_folding(net, xs[0])

    out.mkdir(parents=True, exist_ok=True)
    with open(out / "ops.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(row))
        w.writeheader()
        w.writerow(row)
    write_csv(rates, out / "firing_rates.csv")
    write_csv(stages, out / "firing_rates_stages.csv", key="stage")
    if rates:
        plot_rates(rates, out / "firing_rates.png", f"firing rate per layer ({model_name}, T={module.T})")
    token_pngs = plot_token_weights(net, out)

    md = [f"# Analysis of `{ckpt}`", "", f"{model_name}, T={module.T}, {len(xs)} test batches "
          f"({sum(x.shape[1] for x in xs)} samples).", "",
          "## Operations and energy (per sample, all T steps; 0.9 pJ/add, 4.6 pJ/MAC)", "", *_md_table([row]), "",
          "## Firing rate per stage (spikes / neuron / step)", ""]
    md += _md_table([{"stage": k, "rate": v} for k, v in stages.items()]) if stages else ["(no spiking nodes)"]
    md += ["", "## MFI", "",
           f"Linear/Conv layers fed real-valued input ({inputs.layers_seen} layer calls checked):", ""]
    md += [f"- `{k}`: {v}" + (" (encoding layer)" if k == inputs.encoding_layer else " **breaks MFI**")
           for k, v in inputs.real.items()] or ["- none"]
    md += ["", f"Real-valued inputs: {', '.join(inputs.real) or 'none'}", "",
           f"BN folded into the preceding layer: {len(fold.folded)}; max |output change| after folding "
           f"{fold.max_abs_diff:.3g} (max |output| {fold.max_abs_out:.3g}): "
           f"{'outputs equal' if fold.equal else '**outputs differ**'}.", "",
           f"BNs kept ({len(fold.kept)}; a per-position BN is a per-neuron scale and bias of an accumulated "
           "current, one multiply per neuron-step, not a weight fold):", ""]
    md += [f"- `{k}`: {v}" for k, v in fold.kept.items()] or ["- none"]
    if token_pngs:
        md += ["", "## Token weights (Fig. 5)", "", *(f"![{p.stem}]({p.name})" for p in token_pngs)]
    (out / "analysis.md").write_text("\n".join(md) + "\n")
    _print(row, stages, inputs, fold)
    return {"ops": row, "stages": stages, "rates": rates, "inputs": inputs, "fold": fold, "token_pngs": token_pngs}


def _print(row, stages, inputs, fold) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title="Operations and energy per sample (Table 4 layout)")
    for k in row:
        t.add_column(k, justify="right")
    t.add_row(*(_fmt(v) for v in row.values()))
    console.print(t)
    if stages:
        s = Table(title="Firing rate per stage")
        s.add_column("stage")
        s.add_column("rate", justify="right")
        for k, v in stages.items():
            s.add_row(k, f"{v:.4f}")
        console.print(s)
    console.print(f"MFI: encoding layer {inputs.encoding_layer}; violations: {', '.join(inputs.violations) or 'none'}")
    console.print(f"BN folding: {len(fold.folded)} folded, {len(fold.kept)} kept, "
                  f"max |diff| {fold.max_abs_diff:.3g} ({'equal' if fold.equal else 'DIFFERENT'})")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m snnexp.analyze", description=__doc__.splitlines()[0])
    p.add_argument("checkpoint", type=Path)
    p.add_argument("--out", type=Path, help="default: <run folder>/analysis")
    p.add_argument("--batches", type=int, default=4, help="test batches to average firing rates over")
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    if not args.checkpoint.is_file():
        raise SystemExit(f"error: no checkpoint at {args.checkpoint}")
    out = args.out or args.checkpoint.resolve().parent.parent / "analysis"
    analyze(args.checkpoint, out, args.batches, args.device)
    print(f"written to {out}")


if __name__ == "__main__":
    main()
