"""CIFAR10-DVS: a tiny tree of real AEDAT-2.0 files, through spikingjelly's pipeline, to [T, B, 2, H, W] batches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hydra.utils import instantiate
from spikingjelly.datasets import split_to_train_test_set
from spikingjelly.datasets.cifar10_dvs import CIFAR10DVS_CLASS_NAMES

from snnexp.errors import DatasetNotFoundError
from tests.conftest import compose_cfg

PER_CLASS = 11  # 9:1 -> ceil(9.9) = 10 train + 1 test per class; file-name order puts _10 before _2
T = 4
HEADER = (b"#!AER-DAT2.0\r\n# This is a raw AE data file - do not edit\r\n"
          b"# Data format is int32 address, int32 timestamp (8 bytes total), repeated for each event\r\n"
          b"# Timestamps tick is 1 us\r\n# created Thu Jan 01 00:00:00 CET 2015\r\n")


def write_cifar10_dvs(root: Path, per_class: int = PER_CLASS, seed: int = 0) -> dict[str, np.ndarray]:
    """<root>/extract/<class>/cifar10_<class>_<i>.aedat as in the figshare zips: AEDAT 2.0 ('#' header lines,
    then big-endian uint32 (address, timestamp) pairs; DVS128 address bits: polarity 0, x 1-7, y 8-14).
    Returns the expected [T, 2, 128, 128] frames per file stem, using spikingjelly's documented mapping
    (x' = 127 - y, y' = 127 - x, p' = 1 - p) and split_by='number' (T equal event counts, last the rest)."""
    rng = np.random.default_rng(seed)
    expected = {}
    for c, name in enumerate(CIFAR10DVS_CLASS_NAMES):
        folder = root / "extract" / name
        folder.mkdir(parents=True)
        for i in range(per_class):
            n = 9 + 3 * c + i  # a different event count per sample (not a multiple of T for most)
            x, y, p = rng.integers(0, 128, n), rng.integers(0, 128, n), rng.integers(0, 2, n)
            x[0], y[0] = c, i  # a class/sample-specific first pixel
            words = np.empty(2 * n, dtype=">u4")
            words[0::2] = (y << 8) | (x << 1) | p
            words[1::2] = np.cumsum(rng.integers(1, 500, n))
            (folder / f"cifar10_{name}_{i}.aedat").write_bytes(HEADER + words.tobytes())
            frames = np.zeros((T, 2, 128, 128), np.float32)
            per = n // T
            for k in range(n):
                frames[min(k // per, T - 1), 1 - p[k], 127 - x[k], 127 - y[k]] += 1
            expected[f"cifar10_{name}_{i}"] = frames
    return expected


@pytest.fixture(scope="module")
def dvs_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("cifar10_dvs")
    return root, write_cifar10_dvs(root)


def make_dm(root, *overrides):
    cfg = compose_cfg(["dataset=cifar10_dvs", f"dataset.root={root}", f"schedule.T={T}", "dataset.num_workers=0",
                       "dataset.batch_size=5", *overrides])
    dm = instantiate(cfg.dataset)
    dm.setup("fit")
    return cfg, dm


def test_raw_aedat_becomes_exact_time_major_frames(dvs_root):
    root, expected = dvs_root
    cfg, dm = make_dm(root)
    assert cfg.dataset.frames == T and (dm.num_classes, dm.in_channels, dm.img_size) == (10, 2, 128)
    assert not any((root / "download").iterdir())  # the extracted files were used, nothing fetched
    assert (root / f"frames_number_{T}_split_by_number").is_dir()
    assert len(dm.full_set) == 10 * PER_CLASS and len(dm.train_set) == 100 and len(dm.test_set) == 10
    x, y = next(iter(dm.test_dataloader()))
    assert x.shape == (T, 5, 2, 128, 128) and x.dtype == torch.float32
    assert y.tolist() == [0, 1, 2, 3, 4]  # one test sample per class, in class order
    for b in range(5):
        path, label = dm.full_set.samples[dm.test_set.indices[b]]
        assert label == y[b] and Path(path).parent.name == CIFAR10DVS_CLASS_NAMES[label]
        want = torch.from_numpy(expected[Path(path).stem])
        torch.testing.assert_close(x[:, b], want, rtol=0, atol=0)  # every event in its frame/polarity/pixel
        n = 9 + 3 * label + int(Path(path).stem.rsplit("_", 1)[1])
        assert x[:, b].sum() == n and (x[:-1, b].sum((1, 2, 3)) == n // T).all()


def test_splits_match_spikingjelly_and_tebn(dvs_root):
    root, _ = dvs_root
    _, dm = make_dm(root)
    sj_train, sj_test = split_to_train_test_set(0.9, dm.full_set, 10, random_split=False)
    assert dm.train_set.indices == sorted(sj_train.indices) and dm.test_set.indices == sorted(sj_test.indices)
    stems = {Path(dm.full_set.samples[i][0]).stem.rsplit("_", 1)[1] for i in dm.test_set.indices}
    assert stems == {"9"}  # file-name order: 0, 1, 10, 2, ..., 9
    assert not set(dm.train_set.indices) & set(dm.test_set.indices)
    _, tebn = make_dm(root, "dataset.split=tebn")
    stems = {Path(tebn.full_set.samples[i][0]).stem.rsplit("_", 1)[1] for i in tebn.test_set.indices}
    assert stems == {"0"} and len(tebn.train_set) == 100


def test_resize_and_normalisation(dvs_root):
    root, expected = dvs_root
    _, native = make_dm(root)
    full, _ = native.full_set[0]
    _, small = make_dm(root, "dataset.img_size=32")
    x, _ = small.full_set[0]
    assert x.shape == (T, 2, 32, 32)
    torch.testing.assert_close(x * 16, full.unflatten(-1, (32, 4)).unflatten(-3, (32, 4)).sum((-3, -1)))
    _, logn = make_dm(root, "dataset.norm=log")
    torch.testing.assert_close(logn.full_set[0][0], torch.log1p(full))
    _, clamp = make_dm(root, "dataset.norm=clamp")
    assert set(clamp.full_set[0][0].unique().tolist()) <= {0.0, 1.0} and clamp.full_set[0][0].sum() == (full > 0).sum()


def test_resnet_forward_on_a_dvs_batch(dvs_root):
    from snnexp.models.build import build_network
    from snnexp.module import SpikingClassifier

    root, _ = dvs_root
    cfg, dm = make_dm(root, "dataset.img_size=32", "model=resnet_cifar")
    x, y = next(iter(dm.train_dataloader()))
    net = build_network(cfg.model)
    module = SpikingClassifier(net, num_classes=10, T=T, schedule=cfg.schedule, augment=cfg.get("augment"))
    logits = module(x)
    assert logits.shape == (T, 5, 10) and torch.isfinite(logits).all()
    torch.nn.functional.cross_entropy(logits.mean(0), y).backward()
    stem_weight = next(net.stem.parameters())
    assert stem_weight.shape[1] == 2 and stem_weight.grad.abs().sum() > 0  # 2 polarity input channels


def test_missing_data_says_where_and_what_to_do(tmp_path):
    cfg = compose_cfg(["dataset=cifar10_dvs", f"dataset.root={tmp_path}/nowhere", f"schedule.T={T}"])
    with pytest.raises(DatasetNotFoundError) as err:
        instantiate(cfg.dataset).setup()
    msg = str(err.value)
    assert f"{tmp_path}/nowhere/extract" in msg and f"{tmp_path}/nowhere/download" in msg
    assert "dataset.download=true" in msg and "https://ndownloader.figshare.com/files/7712788" in msg
    (tmp_path / "part" / "download").mkdir(parents=True)
    (tmp_path / "part" / "download" / "airplane.zip").write_bytes(b"")
    cfg = compose_cfg(["dataset=cifar10_dvs", f"dataset.root={tmp_path}/part", f"schedule.T={T}"])
    with pytest.raises(DatasetNotFoundError, match=r"missing: automobile.zip, bird.zip") as err:
        instantiate(cfg.dataset).setup()
    assert "airplane.zip," not in str(err.value)
    assert not list((tmp_path / "part").glob("*.building"))  # spikingjelly was not started
