"""The box path's speed-ups keep their promises (docs/adr/0160).

- The guided filter's in-place form returns exactly what the textbook form returns.
- Colour models fitted from precomputed bins are the models fitted from the pixels.
- ``run_grabcut`` with ``settled=0`` is exactly one ``cv2.grabCut`` call; with the
  default it stops once settled, on a clean drawn object after fewer iterations and with
  (almost) the same mask.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from dis_annotator.engine.classical import box_cut
from dis_annotator.engine.classical.colour_model import ColourModel, colour_bins
from dis_annotator.engine.classical.guided_filter import guided_filter
from tests.synthetic import iou, two_tone_blob


def _box(x, r):
    return cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REFLECT)


def textbook_guided_filter(guide, src, r, eps):
    """He et al.'s colour guided filter, written out with temporaries (subsample 1)."""
    g = guide.astype(np.float32)
    p = src.astype(np.float32)
    mean_g = [_box(g[:, :, c], r) for c in range(3)]
    mean_p = _box(p, r)
    cov = [_box(g[:, :, c] * p, r) - mean_g[c] * mean_p for c in range(3)]
    v = {}
    for i in range(3):
        for j in range(i, 3):
            v[i, j] = _box(g[:, :, i] * g[:, :, j], r) - mean_g[i] * mean_g[j]
            if i == j:
                v[i, j] = v[i, j] + eps
    a00, a01, a02, a11, a12, a22 = v[0, 0], v[0, 1], v[0, 2], v[1, 1], v[1, 2], v[2, 2]
    i00 = a11 * a22 - a12 * a12
    i01 = a02 * a12 - a01 * a22
    i02 = a01 * a12 - a02 * a11
    i11 = a00 * a22 - a02 * a02
    i12 = a01 * a02 - a00 * a12
    i22 = a00 * a11 - a01 * a01
    det = a00 * i00 + a01 * i01 + a02 * i02
    det = np.where(np.abs(det) < 1e-12, 1e-12, det)
    ax = (i00 * cov[0] + i01 * cov[1] + i02 * cov[2]) / det
    ay = (i01 * cov[0] + i11 * cov[1] + i12 * cov[2]) / det
    az = (i02 * cov[0] + i12 * cov[1] + i22 * cov[2]) / det
    b = mean_p - ax * mean_g[0] - ay * mean_g[1] - az * mean_g[2]
    ca, cb, cc, cd = (_box(c, r) for c in (ax, ay, az, b))
    return ca * g[:, :, 0] + cb * g[:, :, 1] + cc * g[:, :, 2] + cd


@pytest.mark.parametrize("shape,r,eps", [((121, 173), 2, 1e-3), ((64, 48), 1, 1e-6)])
def test_guided_filter_is_the_textbook_filter_bit_for_bit(shape, r, eps):
    rng = np.random.default_rng(3)
    guide = rng.random((*shape, 3), dtype=np.float32)
    guide[: shape[0] // 2] = np.round(guide[: shape[0] // 2] * 3) / 3  # flat, near-singular
    src = (rng.random(shape) > 0.4).astype(np.float32)
    assert np.array_equal(guided_filter(guide, src, r, eps, 1),
                          textbook_guided_filter(guide, src, r, eps))


def test_colour_model_from_bins_is_the_model_from_pixels():
    rng = np.random.default_rng(4)
    img = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    sel = rng.random((40, 50)) > 0.3
    a = ColourModel(img[sel], img[~sel])
    bins = colour_bins(img)
    b = ColourModel.from_bins(bins[sel], bins[~sel])
    assert np.array_equal(a.log_ratio(img), b.log_ratio_of_bins(bins))
    assert a.log_ratio(img).dtype == np.float32


def _scene():
    img, truth, box = two_tone_blob()
    img, truth = np.ascontiguousarray(img[::2, ::2]), truth[::2, ::2]  # 300×400: quick
    feat = cv2.cvtColor(img, cv2.COLOR_RGB2LAB)
    labels = np.full(truth.shape, cv2.GC_BGD, np.uint8)
    x0, y0, x1, y1 = (v // 2 for v in box)
    labels[y0:y1, x0:x1] = cv2.GC_PR_FGD
    return feat, labels, truth


def test_settled_zero_is_one_plain_grabcut_call():
    feat, labels, _ = _scene()
    plain = labels.copy()
    bgd, fgd = np.zeros((1, 65)), np.zeros((1, 65))
    cv2.setRNGSeed(0)
    cv2.grabCut(feat, plain, None, bgd, fgd, 5, cv2.GC_INIT_WITH_MASK)
    ours = labels.copy()
    fg, models = box_cut.run_grabcut(feat, ours, 5, settled=0.0)
    assert np.array_equal(ours, plain)
    assert models is not None and np.array_equal(models[0], bgd) and np.array_equal(models[1], fgd)


def test_a_settled_cut_stops_early_with_the_same_object(monkeypatch):
    feat, labels, truth = _scene()
    calls = []
    real = cv2.grabCut

    def counting(img, mask, rect, bgd, fgd, it, mode):
        calls.append(it)
        return real(img, mask, rect, bgd, fgd, it, mode)

    monkeypatch.setattr(box_cut.cv2, "grabCut", counting)
    full, _ = box_cut.run_grabcut(feat, labels.copy(), 5, settled=0.0)
    assert sum(calls) == 5
    calls.clear()
    early, _ = box_cut.run_grabcut(feat, labels.copy(), 5)
    assert sum(calls) < 5  # a clean two-tone object settles within a few iterations
    assert iou(early, full) > 0.99
    assert iou(early, truth) > 0.9
