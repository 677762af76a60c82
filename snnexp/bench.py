"""`python -m snnexp.bench` (`make bench`): training and inference throughput and activation memory of
spiking networks against their lower bound, the same network with ReLU at T=1 on a batch T times larger
(same convolution/matmul work). Variants are interleaved in one process and the ratio reported is the
median of per-repetition paired ratios (these machines are noisy).

Memory: on CUDA, the peak allocated bytes of one training step above what was allocated before it
(`torch.cuda.max_memory_allocated` minus the resident weights); on CPU, the bytes autograd saves for
backward during one training forward pass (`saved_tensors_hooks`, unique non-parameter storages), i.e.
the activation memory, which is what grows with T (tracemalloc does not see torch's allocator and RSS
deltas are dominated by allocator caching, so neither is used). With
`--checkpoint` the CPU figure counts what stays saved between forward and backward; the transient
recompute of one block during backward comes on top of it.

Switches (`snnexp.speed.optimize_network`, applied to both networks of a pair): `--compile`
(torch.compile, the first steps are warm-up), `--channels-last`, `--checkpoint` (spikingjelly memopt
activation checkpointing of every block). On CUDA the steps run under bf16 autocast.
The target of issue 5 (CPU): train time / bound <= 1.5 for MLP-SPE-T at 32x32, T=4.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from hydra import compose, initialize_config_dir
from spikingjelly.activation_based import functional

from snnexp import CONFIG_DIR
from snnexp.models.build import build_network
from snnexp.speed import optimize_network


def build(model: str, img_size: int, relu: bool, compile: bool, channels_last: bool, checkpoint: bool = False):
    overrides = [f"model={model}", "dataset=synthetic", f"dataset.img_size={img_size}"]
    if relu:
        overrides.append("neuron=relu")
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    net = build_network(cfg.model)
    return optimize_network(net, compile=compile, channels_last=channels_last, checkpoint=checkpoint), cfg.dataset


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def train_step(net, opt, x, y, device) -> float:
    _sync(device)
    t = time.perf_counter()
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
        loss = F.cross_entropy(net(x).mean(0), y)
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    functional.reset_net(net)
    _sync(device)
    return time.perf_counter() - t


@torch.no_grad()
def infer_step(net, x, device) -> float:
    _sync(device)
    t = time.perf_counter()
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
        net(x)
    functional.reset_net(net)
    _sync(device)
    return time.perf_counter() - t


def activation_bytes(net, x, y, device) -> int:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        train_step(net, torch.optim.SGD(net.parameters(), lr=0.0), x, y, device)
        return torch.cuda.max_memory_allocated() - base  # peak above the resident weights/state
    params = {p.untyped_storage().data_ptr() for p in net.parameters()}
    seen: dict[int, int] = {}

    def pack(t):  # unique non-parameter storages saved for backward = activation memory
        st = t.untyped_storage()
        if st.data_ptr() not in params:
            seen[st.data_ptr()] = st.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = F.cross_entropy(net(x).mean(0), y)
    loss.backward()
    net.zero_grad(set_to_none=True)
    functional.reset_net(net)
    return sum(seen.values())


def bench(models, Ts, batch, img_size, reps, compile, channels_last, device, checkpoint=False) -> list[dict]:
    rows = []
    for model in models:
        variants = {}
        for T in Ts:
            for relu in (False, True):
                net, ds = build(model, img_size, relu, compile, channels_last, checkpoint)
                net = net.to(device).train()
                steps, b = (T, batch) if not relu else (1, batch * T)
                x = torch.randn(steps, b, ds.in_channels, img_size, img_size, device=device)
                if channels_last:
                    x = x.flatten(0, 1).contiguous(memory_format=torch.channels_last).unflatten(0, (steps, b))
                y = torch.randint(0, ds.num_classes, (b,), device=device)
                opt = torch.optim.SGD(net.parameters(), lr=1e-3)
                for _ in range(2):  # warm-up (and compilation)
                    train_step(net, opt, x, y, device)
                    infer_step(net.eval(), x, device)
                    net.train()
                variants[(T, relu)] = dict(net=net, opt=opt, x=x, y=y, train=[], infer=[],
                                           mem=activation_bytes(net, x, y, device))
        keys = list(variants)
        for _ in range(reps):
            random.shuffle(keys)
            for k in keys:
                v = variants[k]
                v["train"].append(train_step(v["net"].train(), v["opt"], v["x"], v["y"], device))
                v["infer"].append(infer_step(v["net"].eval(), v["x"], device))
        for T in Ts:
            snn, ann = variants[(T, False)], variants[(T, True)]
            ratio = lambda key: statistics.median(s / a for s, a in zip(snn[key], ann[key]))  # noqa: E731
            rows.append({
                "model": model, "T": T, "batch": batch, "img": img_size,
                "train img/s": batch / statistics.median(snn["train"]),
                "bound train img/s": batch / statistics.median(ann["train"]),
                "train time / bound": ratio("train"),
                "infer img/s": batch / statistics.median(snn["infer"]),
                "infer time / bound": ratio("infer"),
                "memory MB": snn["mem"] / 2**20, "bound memory MB": ann["mem"] / 2**20,
                "memory / bound": snn["mem"] / max(ann["mem"], 1),
            })
    return rows


def write(rows: list[dict], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "bench.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    fmt = lambda v: f"{v:.3g}" if isinstance(v, float) else str(v)  # noqa: E731
    md = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    md += ["| " + " | ".join(fmt(v) for v in r.values()) + " |" for r in rows]
    (out / "bench.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    return out / "bench.md"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m snnexp.bench", description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=["mlp_spe_t"])
    p.add_argument("--T", nargs="+", type=int, default=[1, 2, 4])
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--img-size", type=int, default=32)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--compile", action="store_true")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--checkpoint", action="store_true", help="spikingjelly memopt checkpointing of every block")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--out", type=Path, default=Path("bench_results"))
    p.add_argument("--smoke", action="store_true", help="tiny settings, seconds")
    a = p.parse_args(argv)
    if a.smoke:
        a.models, a.T, a.batch, a.img_size, a.reps = ["mlp_spe_c60"], [1, 2], 4, 16, 2
    if a.threads:
        torch.set_num_threads(a.threads)
    rows = bench(a.models, a.T, a.batch, a.img_size, a.reps, a.compile, a.channels_last, torch.device(a.device),
                 a.checkpoint)
    for r in rows:
        r.update(compile=a.compile, channels_last=a.channels_last, checkpoint=a.checkpoint, device=a.device)
    write(rows, a.out)


if __name__ == "__main__":
    main()
