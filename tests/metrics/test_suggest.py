"""``eval --suggest`` and its measures (issue 15) on drawn benchmark folders."""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image

from dis_annotator.cli import main
from dis_annotator.metrics.suggest import run_suggest, spearman, summarise
from tests.synthetic import two_tone_blob


def test_spearman_by_hand():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == 1.0
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert math.isclose(spearman([1, 2, 2, 3], [1, 2, 3, 4]), 0.9486832980505138)
    assert math.isnan(spearman([1, 2], [1, 2]))


def test_protocol_clicks_at_the_suggestion_with_the_truths_label():
    truth = np.zeros((100, 100), np.uint8)
    truth[20:80, 20:80] = 255
    missed = (slice(20, 40), slice(20, 40))
    clicks_seen = []

    def segment(box, clicks, state):
        pred = truth > 128
        pred = pred.copy()
        if not clicks:
            pred[missed] = False
        clicks_seen.append(tuple(clicks))
        return pred, len(clicks)

    def analyse(state):
        u = np.zeros((100, 100), np.float32)
        if state == 0:
            u[missed] = 1.0
            return u, (30.0, 30.0), 1.0
        return u, None, 0.0

    rec = run_suggest(segment, analyse, truth, clicks=2)
    assert rec.box_iou < 1.0 and rec.wrong_in_band_px == rec.wrong_px == 400
    assert rec.suggest_iou == [1.0, 1.0] and rec.oracle_iou == [1.0, 1.0]
    assert clicks_seen[1][0].positive and (clicks_seen[1][0].x, clicks_seen[1][0].y) == (30, 30)
    s = summarise([rec], clicks=2)
    assert s["wrong_in_band"] == 1.0 and s["gain_kept"] == 1.0


def test_eval_suggest_command_prints_the_table(tmp_path, capsys):
    root = tmp_path / "Drawn"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    img, truth, _ = two_tone_blob()
    small = cv2.resize(img, (400, 300), interpolation=cv2.INTER_AREA)
    gt = cv2.resize(truth.astype(np.uint8) * 255, (400, 300), interpolation=cv2.INTER_NEAREST)
    Image.fromarray(small).save(root / "images" / "a.png")
    Image.fromarray(gt).save(root / "masks" / "a.png")
    rc = main(["eval", "--suggest", "--clicks", "1", "--data", str(root), "--engine", "classical",
               "--csv", str(tmp_path / "rows.csv")])
    out = capsys.readouterr().out
    assert rc == 0
    assert "wrong_in_band" in out and "suggest_miou@1" in out and "oracle_miou@1" in out
    assert "Spearman(effort, 1 - IoU)" in out
    assert (tmp_path / "rows.csv").read_text().startswith("set,name,box_iou")
