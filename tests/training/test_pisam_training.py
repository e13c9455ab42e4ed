"""CPU proof on a tiny random SAM: stage 1 learns, stage 2 makes clicks fix errors.

The task is a controlled synthetic one (not ``training.synth``): with a *random* tiny
SAM every bit of knowledge has to be learned by Pi-SAM's own modules within a minute of
CPU, and on the realistic DIS-like generator the loss does not move in that budget
(measured: flat at ~2.45 after 100 steps). Each image has a bright target (a blob with
thin spokes) and a bright distractor blob that reaches into the target's box. Stage 1
can segment "bright things in the box" but cannot tell which is the target, so it is
left with false positives — exactly the errors clicks are for.

Floors (16 held-out images, frame 64², 4×4 embedding). Measured with these settings
(48 stage-1 steps at lr 3e-3, 96 stage-2 steps): the random SAM's upsampled mask IoU
0.057, the filled GT box 0.488, Pi-SAM stage 1 0.622 (loss 2.33 → 1.01); one round of
clicks (2.2 per image) after stage 2 at lr 1e-2: IoU 0.622 → 0.650, MAE 0.0415 → 0.0387
(at lr 3e-3: → 0.639).
* stage 1 must beat SAM's mask by ≥ 0.3 IoU and the filled box by ≥ 0.06 IoU, and
  have a lower MAE than both;
* after stage 2, one round of simulated clicks must raise the mean IoU (≥ +0.01) and
  lower the MAE. An untrained interactor changes nothing (asserted below and in
  tests/nets), so any gain is learned.

Runtime: ~40 s for both stages on a quiet 2-core CPU (4 min when other jobs share it).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from dis_annotator.engine.pisam_stage import load_pisam
from dis_annotator.nets.pisam.decoder import PiSamDecoder
from dis_annotator.training.pisam_data import DiskEmbeddingCache, PiSamItem
from dis_annotator.training.pisam_eval import evaluate_clicks, evaluate_stage1
from dis_annotator.training.pisam_tiny import build_tiny_sam
from dis_annotator.training.pisam_train import TrainConfig, train

FRAME = 64


def target_and_distractor(n: int, size: int, seed: int):
    rng = np.random.default_rng(seed)
    for i in range(n):
        bg = rng.uniform(0, 90, 3)
        noise = cv2.GaussianBlur(rng.normal(0, 20, (size, size, 3)).astype(np.float32), (0, 0), 2)
        img = np.clip(bg + noise, 0, 255)
        gt = np.zeros((size, size), np.uint8)
        cx, cy = rng.uniform(0.35, 0.65, 2) * size
        r = rng.uniform(0.12, 0.2) * size
        cv2.circle(gt, (int(cx), int(cy)), int(r), 1, -1)
        for _ in range(2):
            a = rng.uniform(0, 2 * np.pi)
            length = rng.uniform(1.3, 1.8) * r
            end = (int(cx + length * np.cos(a)), int(cy + length * np.sin(a)))
            cv2.line(gt, (int(cx), int(cy)), end, 1, 1)
        bx, by, bw, bh = cv2.boundingRect(gt)
        # distractor: a bright blob centred on a box corner, so part of it is in the box
        corner = (bx + bw * int(rng.integers(0, 2)), by + bh * int(rng.integers(0, 2)))
        dis = np.zeros_like(gt)
        cv2.circle(dis, corner, int(r * rng.uniform(0.6, 0.9)), 1, -1)
        dis &= 1 - gt
        img[dis > 0] = rng.uniform(150, 255, 3)
        img[gt > 0] = rng.uniform(150, 255, 3)
        yield PiSamItem(img.astype(np.uint8), gt > 0, f"t{seed}-{i}")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    # trained weights can produce denormal floats, which are very slow on x86 CPUs
    torch.set_flush_denormal(True)
    try:
        yield _train_both_stages(tmp_path_factory)
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(threads)


def _train_both_stages(tmp_path_factory):
    d = tmp_path_factory.mktemp("pisam")
    sam = build_tiny_sam(0, FRAME)
    cache = DiskEmbeddingCache(d / "cache", sam, "tiny")
    train_paths = cache.ensure_all(target_and_distractor(32, FRAME, 1))
    val_paths = cache.ensure_all(target_and_distractor(16, FRAME, 2))
    torch.manual_seed(0)
    dec = PiSamDecoder(vit_dim=32)
    before1 = evaluate_stage1(dec, sam, val_paths)
    cfg1 = TrainConfig(stage=1, epochs=6, batch_size=4, lr=3e-3, save_every=0, log_every=8)
    r1 = train(dec, sam, train_paths, cfg1, d / "s1.pth", "tiny")
    after1 = evaluate_stage1(dec, sam, val_paths)
    stage1, _, meta1 = load_pisam(d / "s1.pth", sam_model="tiny")
    before2 = evaluate_clicks(stage1, sam, val_paths, seed=3)
    cfg2 = TrainConfig(stage=2, epochs=12, batch_size=4, lr=1e-2, save_every=0, log_every=8)
    r2 = train(stage1, sam, train_paths, cfg2, d / "s2.pth", "tiny")
    after2 = evaluate_clicks(stage1, sam, val_paths, seed=3)
    s2, _, meta2 = load_pisam(d / "s2.pth", sam_model="tiny")
    print("stage1", before1, after1, "stage2", before2, after2)
    return dict(before1=before1, after1=after1, r1=r1, before2=before2, after2=after2, r2=r2,
                meta1=meta1, meta2=meta2, dec1=dec, dec2=s2)


def test_stage1_lowers_loss_and_beats_sam_and_box(trained):
    r1, after = trained["r1"], trained["after1"]
    assert np.mean(r1.losses[-8:]) < 0.6 * np.mean(r1.losses[:8])
    assert after["iou_pisam"] > after["iou_sam"] + 0.3
    assert after["iou_pisam"] > after["iou_box"] + 0.06
    assert after["mae_pisam"] < min(after["mae_sam"], after["mae_box"])
    assert trained["meta1"]["stage"] == 1 and trained["meta1"]["step"] == r1.steps


def test_stage2_clicks_reduce_error_and_only_the_interactor_changed(trained):
    before, after = trained["before2"], trained["after2"]
    # an untrained interactor: clicks change nothing
    assert before["iou_after"] == pytest.approx(before["iou_before"])
    assert before["clicks"] >= 1
    assert after["iou_before"] == pytest.approx(before["iou_before"])  # stage-1 part frozen
    assert after["iou_after"] >= after["iou_before"] + 0.01
    assert after["mae_after"] < after["mae_before"]
    sd2 = trained["dec2"].state_dict()
    sd1 = trained["dec1"].state_dict()
    changed = {k for k in sd1 if not torch.equal(sd1[k], sd2[k])}
    assert changed and all(k.startswith("interactor.") for k in changed)
