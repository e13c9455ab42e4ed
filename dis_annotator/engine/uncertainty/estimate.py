"""Fusing the sources into one uncertainty map, a suggested click and the effort left.

Everything runs on a working grid over the prompt's window (≤ ``max_pixels``) and is
upsampled on demand, so it adds tens of milliseconds to a click at any photo size
(``benchmarks/uncertainty_latency.py``). Why these sources and this fusion:
docs/adr/0150-uncertainty-band-suggested-click-effort.md.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from dis_annotator.engine.classical.roi import Roi
from dis_annotator.engine.types import ImageData, MaskOutput, Prompt
from dis_annotator.engine.uncertainty import sources
from dis_annotator.engine.uncertainty.effort import effort as estimate_effort
from dis_annotator.engine.uncertainty.effort import expected_loss
from dis_annotator.engine.uncertainty.hypothesis import recut_disagreement
from dis_annotator.engine.uncertainty.suggest import BAND, suggest
from dis_annotator.engine.uncertainty.window import soft_over, uncertainty_window


@dataclass
class Uncertainty:
    """Where a result is probably wrong.

    ``work``: h×w float32 in [0, 1] over ``roi`` at ``roi.scale`` (1 = most likely wrong;
    zero outside the window); ``suggested_click``: ``(x, y)`` in image pixels or None;
    ``suggested_positive``: whether the mask probably misses the object there (a
    foreground click would fix it); ``effort``: estimated corrections left (HCE-like);
    ``band_share``: the share of the box (or window) with uncertainty ≥ 0.5.
    """

    roi: Roi
    work: np.ndarray
    image_size: tuple[int, int]  # (height, width)
    suggested_click: tuple[float, float] | None
    suggested_positive: bool | None
    effort: float
    band_share: float
    ms: float = 0.0
    sources: tuple[str, ...] = field(default_factory=tuple)
    box: tuple[int, int, int, int] | None = None  # the user's box: nothing uncertain outside it
    expected_loss: float = 0.0  # expected 1 − IoU against the truth (size-free, unlike effort)

    def full(self) -> np.ndarray:
        """H×W float32 at the image's full size, 0 outside the window. Nearest-neighbour:
        each working pixel already holds the largest doubt of the pixels it covers, and
        interpolating would dim a one-pixel wire below the band."""
        h, w = self.image_size
        out = np.zeros((h, w), np.float32)
        rh, rw = self.roi.shape
        wh, ww = self.work.shape
        rows = np.minimum((np.arange(rh) * wh) // rh, wh - 1)
        cols = np.minimum((np.arange(rw) * ww) // rw, ww - 1)
        self.roi.crop(out)[:] = np.clip(self.work[np.ix_(rows, cols)], 0.0, 1.0)
        if self.box is not None:  # working pixels astride the box edge must not spill over it
            x0, y0, x1, y1 = self.box
            keep = np.zeros((h, w), bool)
            keep[y0:y1, x0:x1] = True
            out[~keep] = 0.0
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "effort": round(self.effort, 2),
            "band_share": round(self.band_share, 4),
            "expected_loss": round(self.expected_loss, 4),
            "suggested_click": self.suggested_click,
            "suggested_positive": self.suggested_positive,
            "sources": list(self.sources),
            "ms": round(self.ms, 2),
        }


class UncertaintyEstimator:
    """Image + a stage's output + the prompt → :class:`Uncertainty`.

    ``half_distance``: the distance prior halves every this fraction of the window's
    diagonal; ``click_radius``: fraction of the diagonal around each click that the
    click settles (its own colour-connected neighbourhood is what correctors change).
    """

    def __init__(self, max_pixels: int = 100_000, half_distance: float = 0.01,
                 click_radius: float = 0.015, evidence_scale: float = 1.0, stage: bool = True,
                 empirical: bool = True, fine_pixels: int = 500_000, settle_parts: bool = True,
                 recut: float = 0.35,
                 prior_odds: float = 0.7, click_doubt: float = 0.35, click_reach: float = 0.2,
                 click_tol: float = 12.0) -> None:
        """``click_doubt``: P(wrong) given to the pixels near a click (within
        ``click_reach`` of the window's diagonal), on the other side of the mask, whose
        colour is within ``click_tol`` (8-bit Lab) of the click's; 0 turns it off
        (docs/adr/0169)."""
        self.click_doubt = click_doubt
        self.click_reach = click_reach
        self.click_tol = click_tol
        self.recut = recut
        self.prior_odds = prior_odds
        self.settle_parts = settle_parts
        self.fine_pixels = fine_pixels
        self.max_pixels = max_pixels
        self.half_distance = half_distance
        self.click_radius = click_radius
        self.evidence_scale = evidence_scale
        self.stage = stage
        self.empirical = empirical

    def __call__(self, image: ImageData, output: MaskOutput, prompt: Prompt) -> Uncertainty:
        t0 = time.perf_counter()
        roi = uncertainty_window(image, output.mask, prompt, self.max_pixels)
        fine = self._fine_grid(roi)
        # The full-resolution crop is read once, onto the finer of the two grids; the
        # working grid comes from that (uint8 resizes: several times faster than float).
        base = fine or roi
        rgb_b = np.ascontiguousarray(base.to_work(roi.crop(image.array)))
        m8 = np.ascontiguousarray(roi.crop(output.mask)).view(np.uint8) * np.uint8(255)
        m_b = base.to_work(m8, cv2.INTER_AREA)
        if fine is None:
            rgb, m_w = rgb_b, m_b
        else:
            h, w = roi.work_shape
            rgb = cv2.resize(rgb_b, (w, h), interpolation=cv2.INTER_AREA)
            m_w = cv2.resize(m_b, (w, h), interpolation=cv2.INTER_AREA)
        maskf = m_w.astype(np.float32) / 255.0
        mask = maskf > 0.5
        inside = roi.box_mask(prompt.box)
        fine_data = None if fine is None else (rgb_b, m_b > 127, fine.box_mask(prompt.box))
        clicks = [(roi.point_to_work(p), bool(p.positive)) for p in prompt.points]
        u, used = self._fuse(rgb, mask, maskf, inside, roi, output, fine_data, clicks)
        if inside.any() and not mask[inside].any():
            # A box holds an object; an empty answer could be wrong anywhere in it.
            u[inside] = 1.0
            used = (*used, "empty")
        u[~inside] = 0.0  # the user's box is a constraint: nothing of the object is outside it
        # What the clicks say about their neighbourhoods shows where to look next, but it
        # is not counted as error: effort and expected loss are read without it (a fixing
        # click would otherwise raise them; docs/adr/0169).
        counted = u
        alike = self._click_doubt(rgb, mask, clicks, inside)
        if alike is not None:
            counted = u.copy()
            u = np.clip(2.0 * (1.0 - (1.0 - 0.5 * u) * (1.0 - self.click_doubt * alike)), 0.0, 1.0)
            u = u.astype(np.float32)
            used = (*used, "clicks")
            self._settle_clicks(counted, clicks, mask)
        self._settle_clicks(u, clicks, mask)
        share = float((u[inside] >= BAND).mean()) if inside.any() else 0.0
        s = suggest(u, mask)  # at least one working pixel of expected error
        click = None
        positive = None
        if s is not None:
            click = (roi.x0 + (s.col + 0.5) / roi.scale, roi.y0 + (s.row + 0.5) / roi.scale)
            click = (min(click[0], roi.x1 - 0.5), min(click[1], roi.y1 - 0.5))
            positive = s.positive
        work_effort = estimate_effort(mask, counted, roi.scale)
        loss = expected_loss(mask, counted)
        box = None
        if prompt.box is not None:
            b = prompt.box
            box = (max(0, math.floor(b.x0)), max(0, math.floor(b.y0)), math.ceil(b.x1), math.ceil(b.y1))
        return Uncertainty(roi, u, (image.height, image.width), click, positive, work_effort,
                           share, (time.perf_counter() - t0) * 1e3, used, box, loss)

    def _fine_grid(self, roi: Roi) -> Roi | None:
        """The grid the colour evidence is read on when finer than the working grid."""
        scale = min(1.0, math.sqrt(self.fine_pixels / max(1, roi.shape[0] * roi.shape[1])))
        return Roi(roi.x0, roi.y0, roi.x1, roi.y1, scale) if scale > 1.01 * roi.scale else None

    def _colour_doubt(self, model, rgb: np.ndarray, mask: np.ndarray, inside: np.ndarray,  # noqa: ANN001
                      fine_data: tuple | None) -> np.ndarray:
        """σ(logit(prior) + colour evidence): the prior is the share of the box whose
        colour contradicts its label (empirical Bayes: a clean photo gets a low prior, an
        ambiguous one a high one). Where the working grid is coarser than ``fine_pixels``
        allows, the evidence is read on the finer grid (``fine_data``: its rgb, mask and
        box) and max-pooled, so thin structures keep their doubt."""
        if fine_data is not None:
            rgb, mask_e, inside_e = fine_data
        else:
            mask_e, inside_e = mask, inside
        e = self.evidence_scale * sources.evidence_against(model, rgb, mask_e)
        flat = 1.0 / (1.0 + np.exp(-e))
        prior = float(flat[inside_e].mean()) if (self.empirical and inside_e.any()) else 0.5
        if self.prior_odds != 1.0:
            prior = self.prior_odds * prior / (1.0 - prior + self.prior_odds * prior)
        p = sources.colour_doubt(np.full(e.shape, prior, np.float32), e)
        return p if p.shape == mask.shape else sources.max_pool_to(p, mask.shape)

    def _fuse(self, rgb: np.ndarray, mask: np.ndarray, maskf: np.ndarray, inside: np.ndarray,
              roi: Roi, output: MaskOutput, fine_data: tuple | None,
              clicks: list[tuple[tuple[int, int], bool]]) -> tuple[np.ndarray, tuple[str, ...]]:
        """The most doubtful source wins at each pixel (any source that doubts a label
        is reason enough to look): max over the sources' probabilities of a wrong label.
        The re-cut's disagreement joins the photo's evidence by noisy-or: two
        independent reasons to doubt a pixel make it more doubtful than either alone."""
        dist = sources.boundary_distance(mask)
        model = sources.colour_model(rgb, mask, dist, ~inside)
        if model is not None:
            p = self._colour_doubt(model, rgb, mask, inside, fine_data)
            used = ["colour"]
        else:
            half = sources.half_distance_for(mask.shape, self.half_distance)
            p = sources.distance_prior(dist, half)
            used = ["distance"]
        if self.recut > 0:
            flip = recut_disagreement(rgb, mask, inside, clicks)
            if flip is not None:
                p = 1.0 - (1.0 - p) * (1.0 - self.recut * flip)
                used.append("recut")
        soft = soft_over(roi, output.prob, output.prob_box, maskf)
        if soft is not None and self.stage:
            p = np.maximum(p, sources.stage_doubt(mask, soft))
            used.append("stage")
        return np.clip(2.0 * p, 0.0, 1.0).astype(np.float32), tuple(used)

    def _click_doubt(self, rgb: np.ndarray, mask: np.ndarray,
                     clicks: list[tuple[tuple[int, int], bool]], inside: np.ndarray) -> np.ndarray | None:
        """The pixels a click puts in doubt (:func:`sources.click_doubt`) inside the box,
        or None when there are none."""
        if self.click_doubt <= 0 or not clicks:
            return None
        reach = self.click_reach * math.hypot(*mask.shape)
        alike = sources.click_doubt(rgb, mask, clicks, reach, self.click_tol) & inside
        return alike if alike.any() else None

    def _settle_clicks(self, u: np.ndarray, clicks: list[tuple[tuple[int, int], bool]],
                       mask: np.ndarray) -> None:
        """A click settles a disc around it and, when ``settle_parts``, the band part of
        its own label it lands in: the user looked there and said which side it is on
        (a confirm click leaves the mask as it was, so without this the next suggestion
        would land in the same part again). ``clicks``: ``((col, row), positive)`` on the
        working grid."""
        if not clicks:
            return
        h, w = u.shape
        r = max(2, round(self.click_radius * math.hypot(h, w)))
        disc = np.zeros((h, w), np.uint8)
        for c, _ in clicks:
            cv2.circle(disc, c, r, 1, -1)
        if self.settle_parts:
            settle_parts(u, mask, clicks)
        u[disc > 0] = 0.0


def settle_parts(u: np.ndarray, mask: np.ndarray, clicks: list[tuple[tuple[int, int], bool]]) -> None:
    """Zero the 8-connected band part on each click's side of the mask (positive: inside
    it) that the click touches. ``clicks``: ``((col, row), positive)`` on the working grid.
    In place. A correcting click flips its neighbourhood to its own side, so what it
    settles is what it just fixed; the doubt left on the other side stays."""
    h, w = u.shape
    band = u >= BAND
    for (c, r), positive in clicks:
        if not (0 <= r < h and 0 <= c < w):
            continue
        side = (band & (mask if positive else ~mask)).astype(np.uint8)
        n, labels = cv2.connectedComponents(side, connectivity=8)
        # the click's own pixel may sit just off the part (its disc is settled anyway)
        r0, r1, c0, c1 = max(0, r - 2), min(h, r + 3), max(0, c - 2), min(w, c + 3)
        hit = np.unique(labels[r0:r1, c0:c1][side[r0:r1, c0:c1] > 0])
        if hit.size:
            u[np.isin(labels, hit)] = 0.0


_default = UncertaintyEstimator()


def estimate_uncertainty(image: ImageData, output: MaskOutput, prompt: Prompt) -> Uncertainty:
    """:class:`Uncertainty` with the default estimator."""
    return _default(image, output, prompt)
