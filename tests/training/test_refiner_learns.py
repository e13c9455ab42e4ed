"""THE learning proof: a narrow IS5Net trained on CPU beats the coarse masks it refines.

Trains ``ISNetDIS(in_ch=5, width=0.125)`` at 128² on a small synthetic DIS-like set
(``training.synth``: thin/meshed objects over hard backgrounds) with the DIS-SAM side
losses (20·BCE + 0.5·IoU on six side outputs, λ_ortho 1e-6; the GT-encoder feature term
is exercised in test_refiner_trainer.py and left out here to stay within the time budget),
then runs the real refine stage (``load_stage`` on the written checkpoint → ROI crop →
net → threshold) on held-out full-resolution images whose coarse masks come from
``degrade.sam_like_coarse``, prompted with each component's GT box.

Measured numbers and floors: below and docs/adr/0034. It took 171 s on this project's
shared 2-core machine (load average ≈ 5–6 from other sessions), hence ``slow``:
``pytest -m slow tests/training/test_refiner_learns.py``.
"""

from __future__ import annotations

import pytest
import torch

from dis_annotator.engine.is5net_stage import load_stage
from dis_annotator.training.losses import LossWeights
from dis_annotator.training.synth import write_dataset
from dis_annotator.training.train_refiner import RefinerConfig, evaluate_stage, train_refiner

N_IMAGES, IMAGE_SIZE = 60, 128
SPLITS = {"DIS-TR": 0.75, "DIS-VD": 0.25}
CONFIG = {"size": 128, "width": 0.125, "batch_size": 8, "lr": 2e-3, "lr_schedule": "constant",
          "iterations": 300, "seed": 0}
# Measured with exactly this setup (CPU, deterministic): coarse IoU .462 / boundary F .583,
# refined IoU .473 / boundary F .621 over 17 held-out components. The IoU margin is small
# (a cosine-lr variant measured −.012 IoU, +.125 boundary F): the floor only demands
# "not worse"; boundary F must gain at least half the measured margin.
IOU_GAIN, BOUNDARY_F_GAIN = 0.0, 0.02


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scores(tmp_path_factory) -> dict:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny convolutions: one thread is faster on 2 shared cores
    try:
        tmp = tmp_path_factory.mktemp("learn")
        write_dataset(tmp / "data", N_IMAGES, seed=0, size=(IMAGE_SIZE, IMAGE_SIZE), splits=SPLITS)
        cfg = RefinerConfig(data=str(tmp / "data"), out=str(tmp / "run"), val_subset=None,
                            save_every=10**9, progress=False, loss=LossWeights(fea=0.0),
                            **CONFIG)
        res = train_refiner(cfg)
        stage = load_stage(res["last"], device="cpu")
        scores = evaluate_stage(stage, str(tmp / "data"), "DIS-VD", seed=1)
    finally:
        torch.set_num_threads(threads)
    print(scores)
    return scores


def test_refined_masks_beat_coarse_iou(scores: dict) -> None:
    coarse, refined = scores["coarse"], scores["refined@0.5"]
    assert refined["n"] == coarse["n"] >= 15
    assert refined["iou"] > coarse["iou"] + IOU_GAIN, scores


def test_refined_masks_beat_coarse_boundary_f(scores: dict) -> None:
    coarse, refined = scores["coarse"], scores["refined@0.5"]
    assert refined["boundary_f"] > coarse["boundary_f"] + BOUNDARY_F_GAIN, scores
