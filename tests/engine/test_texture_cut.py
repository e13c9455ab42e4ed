"""The corrector's window cut: GrabCut on colour and texture (docs/adr/0170)."""

from __future__ import annotations

import cv2
import numpy as np

from dis_annotator.engine.classical.corrector import LocalCorrector
from dis_annotator.engine.classical.texture_cut import (
    Gmm,
    contrast_weights,
    texture_features,
    texture_grabcut,
)
from dis_annotator.engine.types import ImageData, MaskOutput, Point, Prompt
from tests.synthetic import iou


def _fg(labels: np.ndarray) -> np.ndarray:
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)


def _same_colours_other_grain(size: int = 160, grain: int = 1, blocks: int = 8):
    """Black and white pixels in equal shares everywhere: fine grain (``grain`` px) in a
    disc, coarse ``blocks`` px squares around it. Colour alone cannot tell them apart."""
    rng = np.random.default_rng(3)
    coarse = rng.integers(0, 2, (size // blocks + 1, size // blocks + 1)).repeat(blocks, 0).repeat(blocks, 1)
    fine = rng.integers(0, 2, (size // grain + 1, size // grain + 1)).repeat(grain, 0).repeat(grain, 1)
    disc = np.zeros((size, size), np.uint8)
    cv2.circle(disc, (size // 2, size // 2), size // 4, 1, -1)
    truth = disc.astype(bool)
    grey = np.where(truth, fine[:size, :size], coarse[:size, :size]) * 200 + 25
    return np.repeat(grey[:, :, None], 3, axis=2).astype(np.uint8), truth


def _labels_from_rect(shape: tuple[int, int], rect: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = rect
    labels = np.full(shape, cv2.GC_BGD, np.uint8)
    labels[y0:y1, x0:x1] = cv2.GC_PR_FGD
    return labels


def test_texture_separates_what_colour_cannot():
    img, truth = _same_colours_other_grain()
    rect = (30, 30, 130, 130)
    tex = _labels_from_rect(truth.shape, rect)
    texture_grabcut(img, tex, 3)
    colour = _labels_from_rect(truth.shape, rect)
    cv2.setRNGSeed(0)
    cv2.grabCut(img[:, :, ::-1].copy(), colour, None, np.zeros((1, 65)), np.zeros((1, 65)), 3,
                cv2.GC_INIT_WITH_MASK)
    assert iou(_fg(tex), truth) >= 0.75  # 0.80: the coarse squares' corners read as grain
    assert iou(_fg(colour), truth) < 0.3  # 0.00: OpenCV's colour-only cut loses the disc


def test_rgb_mode_is_opencvs_grabcut():
    """Without texture and smoothing it is the algorithm OpenCV runs (same input, nearly the
    same answer: the k-means draws differ)."""
    rng = np.random.default_rng(0)
    img = np.full((120, 160, 3), (70, 120, 60), np.uint8)
    cv2.ellipse(img, (80, 60), (40, 28), 15, 0, 360, (200, 80, 60), -1)
    img = np.clip(img + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
    ours = _labels_from_rect(img.shape[:2], (25, 20, 135, 100))
    texture_grabcut(img, ours, 3, features="rgb", pair_sigma=0, gamma=50.0)
    theirs = _labels_from_rect(img.shape[:2], (25, 20, 135, 100))
    cv2.setRNGSeed(0)
    cv2.grabCut(img[:, :, ::-1].copy(), theirs, None, np.zeros((1, 65)), np.zeros((1, 65)), 3,
                cv2.GC_INIT_WITH_MASK)
    assert (_fg(ours) == _fg(theirs)).mean() >= 0.99


def test_hard_labels_stay_and_the_answer_repeats():
    img, _ = _same_colours_other_grain()
    labels = _labels_from_rect(img.shape[:2], (30, 30, 130, 130))
    labels[78:82, 78:82] = cv2.GC_FGD
    labels[35:40, 35:40] = cv2.GC_BGD  # coarse-grain corner: inside the rect, background
    first = labels.copy()
    texture_grabcut(img, first, 3)
    second = labels.copy()
    texture_grabcut(img, second, 3)
    assert (first == second).all()
    assert (first[78:82, 78:82] == cv2.GC_FGD).all()
    assert (first[35:40, 35:40] == cv2.GC_BGD).all()
    assert (first[labels == cv2.GC_BGD] == cv2.GC_BGD).all()
    assert np.isin(first[labels == cv2.GC_PR_FGD], (cv2.GC_PR_FGD, cv2.GC_PR_BGD)).all()


def test_one_sided_labels_are_left_alone():
    img, _ = _same_colours_other_grain(64)
    labels = np.full(img.shape[:2], cv2.GC_PR_FGD, np.uint8)
    texture_grabcut(img, labels, 3)
    assert (labels == cv2.GC_PR_FGD).all()


def test_features_and_weights_shapes():
    img, _ = _same_colours_other_grain(64)
    feat = texture_features(img)
    assert feat.shape == (64, 64, 7) and feat.dtype == np.float32
    weights = contrast_weights(img)
    assert len(weights) == 4 and all(w.shape == (64, 64) for w in weights)
    assert (weights[0][:, -1] == 0).all() and (weights[1][-1, :] == 0).all()  # no neighbour there
    assert (weights[3][:, 0] == 0).all()  # down-left has none in the first column


def test_gmm_prefers_its_own_samples():
    rng = np.random.default_rng(1)
    a = rng.normal(0, 1, (500, 7)).astype(np.float32)
    b = rng.normal(6, 1, (500, 7)).astype(np.float32)
    ma, mb = Gmm(a), Gmm(b)
    assert (ma.log_likelihood(a) > mb.log_likelihood(a)).mean() > 0.99
    assert Gmm(a[:1]).log_likelihood(a).shape == (500,)  # one sample: one broad component


def test_a_click_on_missed_fine_grain_adds_it():
    """The corrector's cut: a foreground click in the missed half of the fine-grain disc
    takes that half, not the coarse grain around it (same colours)."""
    img, truth = _same_colours_other_grain(240)
    previous = truth.copy()
    previous[:, 120:] = False
    out = LocalCorrector().correct(ImageData(img), Prompt(points=(Point(150.5, 120.5, True),)),
                                   MaskOutput(previous))
    added = out.mask & ~previous
    missed = truth & ~previous
    assert iou(added, missed) >= 0.6


def test_a_resumed_cut_equals_a_fresh_one():
    """The cut resumes from the last flow when only the unaries change (Kohli and Torr);
    the answer must be the fresh cut's, including where the costs fell."""
    from dis_annotator.engine.classical.texture_cut import _GridCut

    rng = np.random.default_rng(5)
    img, _ = _same_colours_other_grain(96)
    weights = contrast_weights(img)
    first = rng.random((96, 96)) * 8
    second = np.clip(first + rng.normal(0, 2, first.shape), 0, None)
    resumed = _GridCut((96, 96), weights)
    resumed(first, 8 - first)
    fresh = _GridCut((96, 96), weights)
    assert (resumed(second, 8 - first) == fresh(second, 8 - first)).all()
