"""End-to-end training on the embedded digits data: learning, init_from across T, resume, the CLI."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from snnexp import PROJECT_ROOT
from snnexp.errors import UserError
from snnexp.models.build import build_network
from snnexp.train import train
from snnexp.weights import load_network_weights, network_state

SMALL = ["model=mlp_spe_c60", "dataset.img_size=16", "schedule.T=2"]
FEW_BATCHES = ["trainer.limit_train_batches=2", "trainer.limit_val_batches=1", "trainer.limit_test_batches=1",
               "trainer.num_sanity_val_steps=0"]


def read_metrics(run: Path) -> list[dict]:
    with open(run / "csv" / "metrics.csv") as f:
        return list(csv.DictReader(f))


def epoch_values(rows, key):
    return [float(r[key]) for r in rows if r.get(key)]


def test_short_training_on_digits_learns(make_cfg, tmp_path):
    """A real (short) training: the loss falls and test accuracy beats chance (10%) by a wide margin."""
    cfg = make_cfg(*SMALL, "schedule.epochs=2", "schedule=adamw_warmup", "schedule.warmup_epochs=0",
                   "schedule.optimizer.lr=0.003", "schedule.T=2", "dataset.batch_size=32",
                   "trainer.limit_train_batches=25")
    metrics = train(cfg)
    losses = epoch_values(read_metrics(tmp_path / "run"), "train/loss_epoch")
    assert len(losses) == 2 and losses[-1] < 0.6 * losses[0], losses
    assert metrics["test/acc"] > 0.6, metrics
    status = json.loads((tmp_path / "run" / "status.json").read_text())
    assert status["state"] == "completed" and status["metrics"]["test/acc"] == metrics["test/acc"]
    assert (tmp_path / "run" / "checkpoints" / "last.ckpt").is_file()


def test_init_from_a_T4_run_into_a_T6_run(make_cfg, tmp_path):
    """Time inheritance: phase two (T=6) starts from exactly phase one's (T=4) final weights."""
    first = make_cfg(*SMALL, "schedule.T=4", "schedule.epochs=1", *FEW_BATCHES, out=tmp_path / "t4")
    train(first)
    ckpt = tmp_path / "t4" / "checkpoints" / "last.ckpt"
    assert torch.load(ckpt, weights_only=False)["hyper_parameters"]["T"] == 4

    second = make_cfg(*SMALL, "schedule.T=6", "schedule.epochs=1", *FEW_BATCHES, f"init_from={ckpt}",
                      out=tmp_path / "t6")
    net = build_network(second.model)
    load_network_weights(net, ckpt)
    for k, v in network_state(ckpt).items():
        torch.testing.assert_close(net.state_dict()[k], v)
    metrics = train(second)
    assert torch.load(tmp_path / "t6" / "checkpoints" / "last.ckpt", weights_only=False)["hyper_parameters"]["T"] == 6
    assert "test/acc" in metrics


def test_init_from_another_dataset_needs_reset_head(make_cfg, tmp_path):
    train(make_cfg(*SMALL, "schedule.epochs=1", *FEW_BATCHES, out=tmp_path / "digits"))
    ckpt = tmp_path / "digits" / "checkpoints" / "last.ckpt"
    other = ["dataset=synthetic", "dataset.num_classes=5", "dataset.in_channels=1", "dataset.img_size=16"]
    cfg = make_cfg(*SMALL, *other, f"init_from={ckpt}", out=tmp_path / "ft")
    with pytest.raises(UserError, match="reset_head"):
        load_network_weights(build_network(cfg.model), ckpt)
    net = build_network(cfg.model)
    fresh_head = net.head.weight.clone()
    load_network_weights(net, ckpt, reset_head=True)
    torch.testing.assert_close(net.head.weight, fresh_head)
    torch.testing.assert_close(net.stages[1].blocks[0].channel.fc1.weight,
                               network_state(ckpt)["stages.1.blocks.0.channel.fc1.weight"])
    cfg = make_cfg(*SMALL, *other, f"init_from={ckpt}", "model.reset_head=true", "schedule.epochs=1",
                   *FEW_BATCHES, out=tmp_path / "ft")
    assert "test/acc" in train(cfg)


def test_resume_continues_from_last_checkpoint(make_cfg, tmp_path):
    run = tmp_path / "run"
    train(make_cfg(*SMALL, "schedule.epochs=1", *FEW_BATCHES, "trainer.log_every_n_steps=1", out=run))
    assert torch.load(run / "checkpoints" / "last.ckpt", weights_only=False)["global_step"] == 2
    train(make_cfg(*SMALL, "schedule.epochs=2", *FEW_BATCHES, "trainer.log_every_n_steps=1", "ckpt_path=last",
                   out=run))
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=False)
    assert ckpt["global_step"] == 4  # 2 steps restored + 2 new
    trained_epochs = {r["epoch"] for r in read_metrics(run) if r.get("train/loss_epoch")}
    assert trained_epochs == {"1"}  # the second run did not redo epoch 0


def cli(*args: str, cwd: Path = PROJECT_ROOT, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "WANDB_MODE": "offline", "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "snnexp", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_cli_run_with_int_tau_writes_a_self_contained_run_folder(tmp_path):
    run = tmp_path / "cli"
    res = cli("model=mlp_spe_c60", "neuron.tau=2", "debug=fast", "logger=default", "dataset.img_size=16",
              f"hydra.run.dir={run}", cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "tau: 2" in res.stdout  # the composed config is printed
    for path in [".hydra/config.yaml", "train.log", "checkpoints/last.ckpt", "csv/metrics.csv", "status.json"]:
        assert (run / path).exists(), path
    assert list((run / "wandb").glob("offline-run-*/run-*.wandb")), "no offline W&B run"
    assert json.loads((run / "status.json").read_text())["state"] == "completed"


def test_cli_errors_are_clear(tmp_path):
    res = cli("model=mlp_spe_xl", cwd=tmp_path)
    assert res.returncode != 0 and "Available options in 'model'" in res.stderr and "mlp_spe_t" in res.stderr
    res = cli("dataset=cifar10", f"dataset.root={tmp_path}/none", "debug=fast", f"hydra.run.dir={tmp_path}/r",
              cwd=tmp_path)
    assert res.returncode != 0
    assert f"looked for {tmp_path}/none/cifar-10-batches-py" in res.stderr
    assert "Traceback" not in res.stderr
    assert json.loads((tmp_path / "r" / "status.json").read_text())["state"] == "failed"


@pytest.mark.slow
def test_compile_switch_trains_and_keeps_checkpoint_names(make_cfg, tmp_path):
    """`compile=true` compiles the network in place: same parameter names in the checkpoint."""
    train(make_cfg(*SMALL, "compile=true", "schedule.epochs=1", *FEW_BATCHES))
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=False)["state_dict"]
    assert "net.head.weight" in state and not any("_orig_mod" in k for k in state)
