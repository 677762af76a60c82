"""Data modules: digits split, CIFAR pickles and ImageFolders in their real formats, clear errors."""

from __future__ import annotations

import math

import pytest
import torch
from hydra.utils import instantiate

from snnexp.errors import DatasetNotFoundError
from tests.conftest import compose_cfg
from tests.fixtures_data import write_cifar, write_image_folder


def first_batch(dm, split="train"):
    dm.setup("fit")
    return next(iter(getattr(dm, f"{split}_dataloader")()))


def test_digits_split_is_fixed_stratified_and_disjoint():
    dm = instantiate(compose_cfg([]).dataset)
    dm.setup()
    sizes = [len(dm.train_set), len(dm.val_set), len(dm.test_set)]
    assert sum(sizes) == 1797 and sizes[2] == math.ceil(0.2 * 1797)
    x, y = first_batch(dm)
    assert x.shape == (64, 1, 32, 32) and y.dtype == torch.int64
    again = instantiate(compose_cfg([]).dataset)
    again.setup()
    assert again.test_set.base.labels.tolist() == dm.test_set.base.labels.tolist()
    train_imgs = {img.tobytes() for img in dm.train_set.base.images}
    assert sum(img.tobytes() in train_imgs for img in dm.test_set.base.images) < 10  # digits has a few duplicates


@pytest.mark.parametrize("variant", [10, 100])
def test_cifar_loads_test_made_pickles(tmp_path, variant):
    write_cifar(tmp_path, variant, per_file=8)
    cfg = compose_cfg([f"dataset=cifar{variant}", f"dataset.root={tmp_path}", "dataset.num_workers=0",
                       "dataset.batch_size=4"])
    dm = instantiate(cfg.dataset)
    x, y = first_batch(dm)
    assert x.shape == (4, 3, 32, 32) and int(y.max()) < variant
    n_train = 5 * 8 if variant == 10 else 8
    assert len(dm.train_set) == n_train and len(dm.test_set) == 8
    # pixel order: torchvision un-flattens CHW rows; our normalised tensor must invert exactly
    raw = dm.test_set.base.data[0]
    img, _ = dm.test_set[0]
    mean, std = torch.tensor(dm.mean).view(3, 1, 1), torch.tensor(dm.std).view(3, 1, 1)
    torch.testing.assert_close((img * std + mean) * 255, torch.tensor(raw).permute(2, 0, 1).float(), atol=1e-3, rtol=0)


def test_missing_cifar_says_where_and_what_to_do(tmp_path):
    cfg = compose_cfg(["dataset=cifar10", f"dataset.root={tmp_path}/nowhere"])
    with pytest.raises(DatasetNotFoundError) as err:
        instantiate(cfg.dataset).setup()
    msg = str(err.value)
    assert f"{tmp_path}/nowhere/cifar-10-batches-py" in msg and "dataset.download=true" in msg


def test_image_folder_and_its_missing_error(tmp_path):
    write_image_folder(tmp_path / "inet", classes=3)
    cfg = compose_cfg(["dataset=imagenet", f"dataset.root={tmp_path}/inet", "dataset.num_classes=3",
                       "dataset.img_size=32", "dataset.batch_size=2", "dataset.num_workers=0"])
    x, y = first_batch(instantiate(cfg.dataset), "val")
    assert x.shape == (2, 3, 32, 32)
    cfg = compose_cfg(["dataset=imagenet", f"dataset.root={tmp_path}/inet", "dataset.num_classes=1000"])
    with pytest.raises(ValueError, match="3 class folders"):
        instantiate(cfg.dataset).setup()
    cfg = compose_cfg(["dataset=imagenet", f"dataset.root={tmp_path}/none"])
    with pytest.raises(DatasetNotFoundError, match=f"{tmp_path}/none/train"):
        instantiate(cfg.dataset).setup()


@pytest.mark.parametrize("preset", ["none", "simple", "strong", "pad_crop"])
def test_augmentation_presets_make_model_sized_tensors(preset):
    cfg = compose_cfg([f"augment={preset}", "dataset.batch_size=100"])
    dm = instantiate(cfg.dataset)
    dm.setup()
    for _, (x, y) in zip(range(4), dm.train_dataloader()):  # 400 random draws of each op
        assert x.shape == (100, 1, 32, 32) and torch.isfinite(x).all()
    if preset != "none":  # random: two passes over the same image differ
        assert not torch.equal(dm.train_set[0][0], dm.train_set[0][0])


def test_strong_augmentation_mixes_labels_in_the_module(tmp_path):
    from snnexp.module import SpikingClassifier
    from snnexp.models.build import build_network

    cfg = compose_cfg(["augment=strong", "model=mlp_spe_c60"], tmp_path)
    module = SpikingClassifier(build_network(cfg.model), 10, 1, cfg.schedule, cfg.augment)
    assert module.mixup is not None and module.label_smoothing == 0.1
    x, y = torch.rand(4, 1, 32, 32), torch.tensor([0, 1, 2, 3])
    mixed, soft = module.mixup(x, y)
    assert soft.shape == (4, 10) and torch.allclose(soft.sum(1), torch.ones(4))
    assert (soft.max(1).values < 1).all()  # smoothed and/or mixed


def test_synthetic_images_carry_their_class():
    dm = instantiate(compose_cfg(["dataset=synthetic", "dataset.noise=0.1"]).dataset)
    x, y = first_batch(dm)
    assert x.shape == (32, 3, 32, 32)
    protos = {int(c): x[y == c].mean(0) for c in y.unique()}
    for c, proto in protos.items():  # each image is nearest to its own class prototype
        d = {k: (x[y == c] - p).pow(2).mean().item() for k, p in protos.items()}
        assert min(d, key=d.get) == c
