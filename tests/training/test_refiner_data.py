"""RefinerDataset over a tiny synthetic DIS5K-layout set: shapes, channels, cache, coarse."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from dis_annotator.training.refiner_data import RefinerDataset
from dis_annotator.training.synth import write_dataset


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    r = tmp_path_factory.mktemp("synth")
    write_dataset(r, 6, seed=5, size=(96, 80), splits={"DIS-TR": 0.5, "DIS-VD": 0.5})
    return r


def test_samples_have_the_stage_input_layout(root, tmp_path) -> None:
    ds = RefinerDataset(root, "DIS-TR", size=48, cache_dir=tmp_path, flip=False)
    assert len(ds) >= 3  # enrichment: at least one sample per image
    item = ds[0]
    x, gt = item["x"], item["gt"]
    assert x.shape == (5, 48, 48) and gt.shape == (1, 48, 48) and x.dtype == torch.float32
    assert float(x[:3].min()) >= -0.5 and float(x[:3].max()) <= 0.5
    assert 0.0 <= float(x[3].min()) and float(x[3].max()) <= 1.0
    assert set(torch.unique(x[4]).tolist()) <= {0.0, 1.0}
    # the box channel covers the GT (box = component's GT box)
    assert float((gt[0] > 0.5).float().mul(1 - x[4]).sum()) == 0.0
    assert list(tmp_path.glob("*.npz")) and list(tmp_path.glob("index-*.json"))
    # a second dataset reads the cache and yields the same tensors
    again = RefinerDataset(root, "DIS-TR", size=48, cache_dir=tmp_path, flip=False)
    assert torch.equal(again[0]["gt"], gt) and torch.equal(again[0]["x"][:3], x[:3])


def test_coarse_draws_change_per_epoch_but_not_when_fixed(root) -> None:
    ds = RefinerDataset(root, "DIS-TR", size=48, flip=False)
    a = ds[0]["x"][3]
    ds.epoch = 1
    b = ds[0]["x"][3]
    assert not torch.equal(a, b)
    fixed = RefinerDataset(root, "DIS-TR", size=48, fixed_coarse=True)
    c = fixed[0]["x"][3]
    fixed.epoch = 3
    assert torch.equal(c, fixed[0]["x"][3])


def test_flip_mirrors_input_and_gt_together(root) -> None:
    plain = RefinerDataset(root, "DIS-TR", size=48, flip=False)
    flipping = RefinerDataset(root, "DIS-TR", size=48, flip=True)
    flipped = 0
    for epoch in range(8):
        plain.epoch = flipping.epoch = epoch
        p, f = plain[0], flipping[0]
        if torch.equal(p["gt"], f["gt"]):
            continue
        flipped += 1
        assert torch.equal(f["gt"], torch.flip(p["gt"], [2]))
        assert torch.equal(f["x"][:3], torch.flip(p["x"][:3], [2]))
    assert 0 < flipped < 8


def test_precomputed_coarse_mask_is_used(root) -> None:
    ds = RefinerDataset(root, "DIS-VD", size=48, flip=False)
    ref = ds.refs[0]
    gt = cv2.imread(ref.gt, cv2.IMREAD_GRAYSCALE)
    coarse = np.zeros_like(gt)
    coarse[:, : gt.shape[1] // 2] = 255  # left half: an unmistakable coarse mask
    (root / "DIS-VD" / "coarse").mkdir(exist_ok=True)
    from pathlib import Path

    cv2.imwrite(str(root / "DIS-VD" / "coarse" / f"{Path(ref.image).stem}_{ref.k}.png"), coarse)
    try:
        m = ds[0]["x"][3].numpy()
        assert set(np.unique(np.round(m, 3))) <= {0.0, 1.0} or (m.min() == 0 and m.max() == 1)
        assert m[:, 0].max() > 0.99 or m[:, -1].max() < 0.01
    finally:
        for f in (root / "DIS-VD" / "coarse").iterdir():
            f.unlink()


def test_gt_only_mode_skips_inputs(root) -> None:
    ds = RefinerDataset(root, "DIS-TR", size=32, with_input=False)
    item = ds[0]
    assert item["x"].shape[0] == 0 and item["gt"].shape == (1, 32, 32)
