"""Trainers end to end on a tiny set: checkpoints, metadata, resume, CLI, metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dis_annotator.cli import main
from dis_annotator.engine.checkpoint import load_checkpoint
from dis_annotator.engine.is5net_stage import load_stage
from dis_annotator.training import trainer as T
from dis_annotator.training.losses import LossWeights
from dis_annotator.training.synth import write_dataset
from dis_annotator.training.train_gt_encoder import GTEncoderConfig, train_gt_encoder
from dis_annotator.training.train_refiner import RefinerConfig, train_refiner

TINY = {"size": 32, "width": 0.125, "batch_size": 2, "progress": False, "val_max": 2}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    r = tmp_path_factory.mktemp("synth")
    write_dataset(r, 4, seed=9, size=(64, 64), splits={"DIS-TR": 0.5, "DIS-VD": 0.5})
    return r


def test_gt_encoder_then_refiner_with_feature_loss_and_resume(root, tmp_path) -> None:
    enc = train_gt_encoder(GTEncoderConfig(data=str(root), out=str(tmp_path / "enc"),
                                           iterations=2, val_every=1, **TINY))
    assert enc["step"] <= 2 and "max_f" in enc["val"]
    ck = load_checkpoint(enc["path"])
    assert ck["kind"] == "gt_encoder" and ck["config"]["width"] == 0.125

    cfg = RefinerConfig(data=str(root), out=str(tmp_path / "ref"), iterations=2, val_every=2,
                        save_every=1, lr=1e-3, gt_encoder=enc["path"],
                        loss=LossWeights(ortho=1e-6), **TINY)
    res = train_refiner(cfg)
    last = load_checkpoint(res["last"])
    assert last["kind"] == "is5net" and last["config"] == {"in_ch": 5, "width": 0.125,
                                                           "size": 32, "margin": 0.1}
    meta = last["meta"]
    assert meta["step"] == 2 and set(meta["loss"]) >= {"bce", "iou", "fea", "ortho", "total"}
    assert {"refined", "coarse"} <= set(meta["val"]) and meta["data"].endswith(root.name)
    assert "git" in meta and meta["train_config"]["gt_encoder"] == enc["path"]
    stage = load_stage(res["last"])  # the app can load what training wrote
    assert stage.size == 32

    cfg.iterations, cfg.resume = 3, True
    before = {k: v.clone() for k, v in stage.net.state_dict().items()}
    res = train_refiner(cfg)
    meta = load_checkpoint(res["last"])["meta"]
    assert meta["step"] == 3
    after = load_stage(res["last"]).net.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before if after[k].is_floating_point())


def test_cli_trains_both_stages(root, tmp_path) -> None:
    common = ["--data", str(root), "--size", "32", "--width", "0.125", "--batch-size", "2",
              "--iterations", "1", "--no-progress", "--val-max", "1"]
    rc = main(["train", "gt-encoder", *common, "--out", str(tmp_path / "e"), "--target-max-f", "0.0"])
    assert rc == 0 and (tmp_path / "e" / "gt_encoder.pth").is_file()
    rc = main(["train", "refiner", *common, "--out", str(tmp_path / "r"), "--lr", "1e-3",
               "--gt-encoder", str(tmp_path / "e" / "gt_encoder.pth"), "--ortho-norm", "l1"])
    assert rc == 0 and (tmp_path / "r" / "last.pth").is_file()
    assert main(["train", "refiner", "--data", str(tmp_path / "missing"), "--no-progress"]) == 2


def test_metrics_by_hand() -> None:
    gt = np.zeros((20, 20), np.float32)
    gt[5:15, 5:15] = 1
    assert T.iou(gt > 0.5, gt) == 1.0 and T.boundary_f(gt > 0.5, gt) == 1.0
    shifted = np.roll(gt, 1, axis=1) > 0.5  # IoU 90/110, boundary within 2 px
    assert T.iou(shifted, gt) == pytest.approx(90 / 110)
    assert T.boundary_f(shifted, gt, tol=2) == 1.0
    assert T.boundary_f(np.zeros_like(gt, bool), gt) == 0.0
    avg = T.MetricAverager()
    avg.add(gt, gt)
    r = avg.result()
    assert r["max_f"] == pytest.approx(1.0) and r["mae"] == 0.0 and r["n"] == 1
