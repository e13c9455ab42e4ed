"""Classical refine stage: colour re-classification near the boundary + guided filter.

Why this and not closed-form alpha matting: docs/adr/0005-classical-refiner.md.
"""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

from dis_annotator.engine.classical.colour_model import ColourModel, colour_bins
from dis_annotator.engine.classical.guided_filter import guided_filter
from dis_annotator.engine.classical.mixed_pixels import mixed_pixels
from dis_annotator.engine.classical.roi import Roi, make_roi
from dis_annotator.engine.types import Box, ImageData, MaskOutput, Prompt, StageReport

# ROIs up to this size are refined at full resolution (band-only above ``full_pixels``).
BAND_ONLY_MAX_PIXELS = 64_000_000


def _prior_over(roi_box: Box, shape: tuple[int, int], coarse: MaskOutput) -> np.ndarray:
    """Coarse probability over the ROI: the soft map where given, the binary mask elsewhere."""
    x0, y0 = int(roi_box.x0), int(roi_box.y0)
    prior = coarse.mask[y0 : y0 + shape[0], x0 : x0 + shape[1]].astype(np.float32)
    if coarse.prob is not None and coarse.prob_box is not None:
        px0, py0, px1, py1 = (int(v) for v in coarse.prob_box.as_tuple())
        ix0, iy0 = max(px0, x0), max(py0, y0)
        ix1, iy1 = min(px1, x0 + shape[1]), min(py1, y0 + shape[0])
        if ix1 > ix0 and iy1 > iy0:
            prior[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] = coarse.prob[
                iy0 - py0 : iy1 - py0, ix0 - px0 : ix1 - px0
            ]
    return prior


class ClassicalRefiner:
    """Edge-aware refinement of a coarse mask at full resolution inside its ROI.

    1. Soften the coarse mask with a Gaussian whose width follows the ROI size: the
       uncertain band around the boundary.
    2. Learn colour models from the confident inside and outside and add their
       log-likelihood ratio to the prior's logit — inside the band this decides; far
       from it only overwhelming colour evidence (> ``flip_ratio``×) flips a pixel,
       which opens gaps between spokes that the coarse mask filled.
    3. Guided-filter the posterior with the photo as guide so edges snap to the photo;
       clicks stay hard constraints.
    """

    name = "guided-filter"
    learned = False

    def __init__(
        self,
        margin: float = 0.08,
        max_pixels: int = 16_000_000,
        radius: int = 2,
        eps: float = 1e-3,
        colour_weight: float = 1.0,
        flip_ratio: float = 50.0,
        min_surround: int = 2000,
        full_pixels: int = 2_000_000,
        tile: int = 256,
        mixed_alpha: float = 0.4,
    ) -> None:
        """``mixed_alpha``: a pixel just outside the result whose colour sits at least
        that far from the background's towards the object's joins it
        (``mixed_pixels``); 1 turns that off."""
        self.mixed_alpha = mixed_alpha
        self.full_pixels = full_pixels
        self.tile = tile
        self.min_surround = min_surround
        self.margin = margin
        self.max_pixels = max_pixels
        self.radius = radius
        self.eps = eps
        self.colour_weight = colour_weight
        self.flip_ratio = flip_ratio

    def refine(self, image: ImageData, coarse: MaskOutput, prompt: Prompt) -> MaskOutput:
        region = Box.from_mask(coarse.mask)
        if region is not None and prompt.box is not None:
            b = prompt.box
            region = Box(min(region.x0, b.x0), min(region.y0, b.y0), max(region.x1, b.x1), max(region.y1, b.y1))
        if region is None:
            return MaskOutput(coarse.mask.copy(), coarse.prob, coarse.prob_box, coarse.score,
                              report=self._report(0.0, 1.0, skipped="empty coarse mask"))
        roi = make_roi(region, image.width, image.height, self.margin, self.max_pixels)
        if roi.scale < 1.0 and roi.shape[0] * roi.shape[1] <= BAND_ONLY_MAX_PIXELS:
            # Band-only work touches full-resolution tiles alone: resampling the whole
            # ROI to a slightly smaller grid would cost more than the tiles (24 MP: ~1 s).
            roi = dataclasses.replace(roi, scale=1.0)
        rgb = roi.to_work(roi.crop(image.array))
        prior = roi.to_work(_prior_over(roi.box, roi.shape, coarse), cv2.INTER_LINEAR)
        h, w = prior.shape
        sigma = float(np.clip(0.004 * math.hypot(h, w), 1.0, 12.0))
        inside = roi.box_mask(prompt.box)
        d = max(1, math.ceil(math.sqrt(h * w / self.full_pixels)))
        if d == 1:
            soft = cv2.GaussianBlur(prior, (0, 0), sigma)
            bins = colour_bins(rgb)
            model = self._model(bins, prior, (soft > 0.02) & (soft < 0.98), inside)
            alpha = self._filtered(rgb, soft, model, bins)
            tiles = None
        else:
            alpha, tiles = self._band_only(rgb, prior, sigma, inside, d)

        # Clicks are hard constraints.
        seed_r = max(1, round(2 * roi.scale))
        for p in prompt.points:
            c = (int((p.x - roi.x0) * roi.scale), int((p.y - roi.y0) * roi.scale))
            if 0 <= c[0] < w and 0 <= c[1] < h:
                cv2.circle(alpha, c, seed_r, 1.0 if p.positive else 0.0, -1)
        alpha = roi.from_work(alpha)
        decided = alpha > 0.5
        if self.mixed_alpha < 1.0 and prompt.box is not None:
            # Only a box's result has the object's outline for an edge: a first click's
            # result is a fragment (measured: the click start needs more clicks).
            decided |= self._mixed(image, roi, decided, prompt)
        mask = coarse.mask.copy()
        roi.crop(mask)[:] = decided
        return MaskOutput(mask, alpha, roi.box, coarse.score,
                          report=self._report(sigma, roi.scale, tiles=tiles))

    def _mixed(self, image: ImageData, roi: Roi, decided: np.ndarray, prompt: Prompt) -> np.ndarray:
        """``mixed_pixels`` of ``decided`` (H×W bool over the ROI at full resolution),
        inside the user's box and off background clicks' seeds."""
        assert prompt.box is not None
        mixed = mixed_pixels(roi.crop(image.array), decided, self.mixed_alpha)
        x0, y0, x1, y1 = prompt.box.int_bounds()
        inside = np.zeros_like(mixed)
        inside[max(0, y0 - roi.y0) : max(0, y1 - roi.y0), max(0, x0 - roi.x0) : max(0, x1 - roi.x0)] = True
        mixed &= inside
        for p in prompt.points:
            if not p.positive:
                cv2.circle(mixed.view(np.uint8), (int(p.x) - roi.x0, int(p.y) - roi.y0), 3, 0, -1)
        return mixed

    def _model(self, bins: np.ndarray, prior: np.ndarray, band: np.ndarray, inside: np.ndarray
               ) -> ColourModel | None:
        """Colour models from the confident parts; ``bins``: the ROI's ``colour_bins``."""
        fg_sample = (prior > 0.5) & ~band
        # Background colours come from outside the user's box where there is enough of it:
        # the coarse mask's outside also holds whatever the coarse stage missed (the very
        # spokes we want back), which would teach the model that they are background.
        bg_sample = ~inside
        if bg_sample.sum() < self.min_surround:
            bg_sample = (prior <= 0.5) & ~band
        if fg_sample.sum() < 32:
            fg_sample = prior > 0.5
        if bg_sample.sum() < 32:
            bg_sample = prior <= 0.5
        if fg_sample.sum() >= 8 and bg_sample.sum() >= 8:
            return ColourModel.from_bins(bins[fg_sample], bins[bg_sample])
        return None

    def _filtered(self, rgb: np.ndarray, soft: np.ndarray, model: ColourModel | None,
                  bins: np.ndarray | None = None) -> np.ndarray:
        """The softened prior ``soft`` + colour evidence, guided-filtered: H×W float32.
        ``bins``: ``colour_bins(rgb)`` where already computed. In place where the
        textbook form would allocate, same operations in the same order."""
        lo = 1.0 / (1.0 + self.flip_ratio)
        logit = np.clip(soft, lo, self.flip_ratio / (1.0 + self.flip_ratio))
        odds = np.subtract(1.0, logit)
        np.divide(logit, odds, out=logit)
        np.log(logit, out=logit)
        if model is not None:
            evidence = model.log_ratio(rgb) if bins is None else model.log_ratio_of_bins(bins)
            np.clip(evidence, -8.0, 8.0, out=evidence)
            evidence *= self.colour_weight
            logit += evidence
        post = np.negative(logit, out=logit)
        np.exp(post, out=post)
        post += 1.0
        np.divide(1.0, post, out=post)
        guide = rgb.astype(np.float32)
        guide /= 255.0
        out = guided_filter(guide, post.astype(np.float32, copy=False), self.radius, self.eps, 1)
        return np.clip(out, 0.0, 1.0, out=out)

    def _band_only(self, rgb: np.ndarray, prior: np.ndarray, sigma: float, inside: np.ndarray,
                   d: int) -> tuple[np.ndarray, int]:
        """Large ROIs: find the uncertain band and fit the colours on a ``d``-times smaller
        grid, then work at full resolution only in the tiles the band passes through;
        elsewhere the coarse decision stands (far from the boundary it rarely changes)."""
        h, w = prior.shape
        size = (max(1, w // d), max(1, h // d))
        small = cv2.resize(prior, size, interpolation=cv2.INTER_AREA)
        soft = cv2.GaussianBlur(small, (0, 0), max(0.5, sigma / d))
        band = (soft > 0.02) & (soft < 0.98)
        rgb_small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        ins_small = cv2.resize(inside.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
        model = self._model(colour_bins(rgb_small), small, band, ins_small)
        alpha = prior.copy()
        t = self.tile
        pad = int(math.ceil(3 * sigma)) + 2 * self.radius + 2
        count = 0
        for y in range(0, h, t):
            for x in range(0, w, t):
                if not band[y // d : (y + t) // d + 1, x // d : (x + t) // d + 1].any():
                    continue
                y0, x0 = max(0, y - pad), max(0, x - pad)
                y1, x1 = min(h, y + t + pad), min(w, x + t + pad)
                soft = cv2.GaussianBlur(prior[y0:y1, x0:x1], (0, 0), sigma)
                out = self._filtered(rgb[y0:y1, x0:x1], soft, model)
                alpha[y : y + t, x : x + t] = out[y - y0 : y - y0 + t, x - x0 : x - x0 + t]
                count += 1
        return alpha, count

    def _report(self, sigma: float, scale: float, skipped: str | None = None,
                tiles: int | None = None) -> StageReport:
        settings = {
            "radius": self.radius,
            "eps": self.eps,
            "band_sigma": round(sigma, 2),
            "colour_weight": self.colour_weight,
            "work_scale": round(scale, 4),
            "mixed_alpha": self.mixed_alpha,
        }
        if skipped:
            settings["skipped"] = skipped
        if tiles is not None:
            settings["band_tiles"] = tiles
        return StageReport("refine", self.name, learned=False, model="guided-filter", settings=settings)
