"""GrabCut from a box on real photos: context, colour space, tidying and the fallbacks.

Choices and the alternatives measured: docs/adr/0101-classical-box-stage.md.

- The background model sees a wide context around the box (``context`` × the box size
  on each side), not a thin ring: a ring holds too few background colours and GrabCut
  then explains the whole box as background (empty results on real photos).
- GrabCut runs on CIE Lab, whose distances follow perceived colour differences better
  than RGB's for both the GMMs and the edge weights, at a coarse working scale; one more
  cut with frozen colour models then moves only the boundary band at the finer output
  scale (``band_cut``, docs/adr/0103).
- Foreground islands far smaller than the main part are dropped.
- A result that is almost empty or does not fill its box is suspicious: the see-through
  prior and another working scale are tried, and the result that fits the box best wins.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from dis_annotator.engine.classical.band_cut import band_labels, recut
from dis_annotator.engine.classical.colour_model import ColourModel, surround_likeness
from dis_annotator.engine.classical.roi import Roi, make_roi
from dis_annotator.engine.types import Box, ImageData, Prompt

# Below these the result "does not fill its box" and the alternatives are tried.
SUSPICIOUS_AREA = 0.05  # of the box
SUSPICIOUS_FIT = 0.5  # box_fit() score
SWITCH_FIT = 0.8  # the see-through result must still reach (nearly) every side of the box
# GrabCut has settled when one iteration flips fewer than this share of the undecided
# pixels; later iterations then only jitter the boundary, which the band re-cut re-decides
# at the output scale anyway. At least MIN_ITERATIONS run. docs/adr/0160.
SETTLED_FRACTION = 0.002
MIN_ITERATIONS = 2


Models = tuple[np.ndarray, np.ndarray]  # OpenCV's (background, foreground) GMMs, 1×65 each


def run_grabcut(feat: np.ndarray, labels: np.ndarray, iterations: int,
                settled: float = SETTLED_FRACTION) -> tuple[np.ndarray, Models | None]:
    """Seeded GrabCut on an H×W×3 uint8 image; ``labels`` (cv2.GC_*) is updated in place.
    ``(H×W bool mask, the fitted colour models or None when GrabCut could not run)``.

    Up to ``iterations`` iterations, fewer once the cut has settled: after
    ``MIN_ITERATIONS`` it stops at the first iteration that flips fewer than ``settled`` ×
    the undecided pixels (docs/adr/0160). ``settled=0`` runs them all, exactly as one
    ``cv2.grabCut`` call with ``iterations`` (the models pass between calls unchanged).
    """
    fg_any = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    bg_any = (labels == cv2.GC_BGD) | (labels == cv2.GC_PR_BGD)
    models = None
    if fg_any.any() and bg_any.any():
        bgd = np.zeros((1, 65), np.float64)
        fgd = np.zeros((1, 65), np.float64)
        undecided = np.count_nonzero(labels >= cv2.GC_PR_BGD)
        first = iterations if settled <= 0 else min(iterations, MIN_ITERATIONS)
        cv2.setRNGSeed(0)  # GrabCut's k-means init is random: same input, same mask
        try:
            cv2.grabCut(feat, labels, None, bgd, fgd, first, cv2.GC_INIT_WITH_MASK)
            done = first
            while done < iterations:
                before = labels & 1  # GC_FGD and GC_PR_FGD are the odd labels
                cv2.grabCut(feat, labels, None, bgd, fgd, 1, cv2.GC_EVAL)
                done += 1
                if np.count_nonzero(before != (labels & 1)) < settled * undecided:
                    break
            models = (bgd, fgd)
        except cv2.error:
            pass  # one side has too few distinct samples for a GMM: keep the labels
    return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD), models


def drop_islands(fg: np.ndarray, keep: np.ndarray | None, fraction: float) -> np.ndarray:
    """``fg`` without 8-connected parts smaller than ``fraction`` × the largest part;
    parts touching ``keep`` (clicked pixels) always stay."""
    if fraction <= 0 or not fg.any():
        return fg
    n, lab, stats, _ = cv2.connectedComponentsWithStats(fg.astype(np.uint8), connectivity=8)
    if n <= 2:
        return fg
    areas = stats[1:, cv2.CC_STAT_AREA]
    ok = np.zeros(n, bool)
    ok[1:] = areas >= fraction * areas.max()
    if keep is not None and keep.any():
        ok[np.unique(lab[keep & fg])] = True
        ok[0] = False
    return ok[lab]


def box_fit(fg: np.ndarray, inside: np.ndarray) -> float:
    """How well the mask fills its box, in [0, 1]: 1 when its extent reaches every side.

    People draw a box around the whole object, so a good result comes close to each of
    the four sides; a patch in one corner of the box does not.
    """
    rows = np.flatnonzero(inside.any(axis=1))
    cols = np.flatnonzero(inside.any(axis=0))
    if rows.size == 0 or not (fg & inside).any():
        return 0.0
    ext = Box.from_mask(fg & inside)
    assert ext is not None
    by0, by1, bx0, bx1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    h, w = by1 - by0, bx1 - bx0
    gaps = [(ext.x0 - bx0) / w, (bx1 - ext.x1) / w, (ext.y0 - by0) / h, (by1 - ext.y1) / h]
    return float(np.mean([max(0.0, 1.0 - g / 0.25) for g in gaps]))


def _resample(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A bool mask on another grid of the same region (``shape`` = rows, cols)."""
    small = cv2.resize(mask.astype(np.uint8) * np.uint8(255), (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return small > 127


def switch_demand(plain_fit: float, plain_area: float, full_area: tuple[float, float]) -> float:
    """The box fit the prior's cut needs to replace a plain cut of ``plain_fit`` that keeps
    ``plain_area`` of the box (docs/adr/0161, 0167).

    About the plain cut's own fit (at least ``SWITCH_FIT``): a solid object's cut must not
    be swapped for a fragment. A plain cut that keeps (nearly) the whole box separated
    nothing, and its extent is no standard: from ``full_area[0]`` to ``full_area[1]`` of
    the box kept, the demand eases to what any candidate needs (``SUSPICIOUS_FIT``), so
    that redrawing the box by a pixel does not flip the verdict at one threshold."""
    need = max(SWITCH_FIT, plain_fit - 0.05)
    lo, hi = full_area
    ease = min(1.0, max(0.0, (plain_area - lo) / (hi - lo)))
    return need - ease * (need - SUSPICIOUS_FIT)


def suspicious(fg: np.ndarray, inside: np.ndarray) -> bool:
    area = (fg & inside).sum() / max(1, inside.sum())
    return bool(area < SUSPICIOUS_AREA or box_fit(fg, inside) < SUSPICIOUS_FIT)


class BoxCut:
    """One box (plus any clicks given with it) → a working-resolution mask over an ROI.

    ``max_work_pixels`` caps the output (fine) scale, ``coarse_pixels`` the scale at which
    GrabCut iterates; between them only the boundary band is re-cut (``band_cut``).
    """

    def __init__(
        self,
        iterations: int = 5,
        max_work_pixels: int = 250_000,
        context: float = 1.0,
        lab: bool = True,
        border_prior: float = 0.06,
        island_fraction: float = 0.0,
        contrast_ratio: float = 2.0,
        filled_threshold: float = 0.15,
        switch_gain: float = 0.1,
        alt_scale: float = 0.25,
        coarse_pixels: int = 120_000,
        check_scale: float = 0.25,
        full_area: tuple[float, float] = (0.7, 0.9),
    ) -> None:
        self.iterations = iterations
        self.max_work_pixels = max_work_pixels
        self.coarse_pixels = min(coarse_pixels, max_work_pixels)
        self.context = context
        self.lab = lab
        self.border_prior = border_prior
        self.island_fraction = island_fraction
        self.contrast_ratio = contrast_ratio
        self.filled_threshold = filled_threshold
        self.switch_gain = switch_gain
        self.alt_scale = alt_scale
        self.check_scale = check_scale
        self.full_area = full_area

    def roi(self, image: ImageData, box: Box, max_work_pixels: int | None = None) -> Roi:
        return make_roi(box, image.width, image.height, self.context,
                        max_work_pixels or self.coarse_pixels)

    def _features(self, rgb: np.ndarray) -> np.ndarray:
        if self.lab:
            return cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
        return np.ascontiguousarray(rgb[:, :, ::-1])

    def _labels(self, roi: Roi, prompt: Prompt, inside: np.ndarray,
                prior: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        labels = np.full(inside.shape, cv2.GC_BGD, np.uint8)
        labels[inside] = cv2.GC_PR_FGD
        self._border_strip(labels, inside)
        if prior is not None:
            labels[inside & ~prior] = cv2.GC_PR_BGD
        if not (labels == cv2.GC_BGD).any():
            # The box is the whole image: its border is the only background evidence.
            labels[[0, -1], :] = cv2.GC_PR_BGD
            labels[:, [0, -1]] = cv2.GC_PR_BGD
        clicked = self._seed(labels, roi, prompt)
        return labels, clicked

    @staticmethod
    def _seed(labels: np.ndarray, roi: Roi, prompt: Prompt) -> np.ndarray:
        """Paint clicks as hard seeds into ``labels``; the mask of positive seeds."""
        clicked = np.zeros(labels.shape, bool)
        h, w = labels.shape
        r = max(2, round(0.006 * max(h, w)))
        for p in prompt.points:
            c = roi.point_to_work(p)
            cv2.circle(labels, c, r, int(cv2.GC_FGD if p.positive else cv2.GC_BGD), -1)
            if p.positive:
                cv2.circle(clicked.view(np.uint8), c, r, 1, -1)
        return clicked

    def _border_strip(self, labels: np.ndarray, inside: np.ndarray) -> None:
        """A strip just inside the box starts as "probably background": people leave some
        slack around the object, so the colours there are mostly background. Only GrabCut's
        first colour models see it; the cut itself may still give the strip to the object."""
        rows = np.flatnonzero(inside.any(axis=1))
        cols = np.flatnonzero(inside.any(axis=0))
        if self.border_prior <= 0 or rows.size < 8 or cols.size < 8:
            return
        y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        sy = max(1, round(self.border_prior * (y1 - y0)))
        sx = max(1, round(self.border_prior * (x1 - x0)))
        strip = np.zeros_like(inside)
        strip[y0:y1, x0:x1] = True
        strip[y0 + sy : y1 - sy, x0 + sx : x1 - sx] = False
        labels[strip] = cv2.GC_PR_BGD

    def _cut(self, image: ImageData, prompt: Prompt, roi: Roi, use_prior: bool = False
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, Models | None] | None:
        assert prompt.box is not None
        rgb = np.ascontiguousarray(roi.to_work(roi.crop(image.array)))
        inside = roi.box_mask(prompt.box)
        prior = None
        if use_prior:
            prior = self._contrast_prior(rgb, inside)
            if prior is None:
                return None
        labels, clicked = self._labels(roi, prompt, inside, prior)
        fg, models = run_grabcut(self._features(rgb), labels, self.iterations)
        return drop_islands(fg, clicked, self.island_fraction), rgb, inside, models

    def _contrast_prior(self, rgb: np.ndarray, inside: np.ndarray) -> np.ndarray | None:
        """Pixels whose colour is over-represented inside the box relative to its surround."""
        if (~inside).sum() < 64:
            return None
        model = ColourModel(rgb[inside], rgb[~inside])
        prior = model.log_ratio(rgb) > np.log(self.contrast_ratio)
        return prior if prior[inside].mean() >= 0.01 else None

    def __call__(self, image: ImageData, prompt: Prompt) -> tuple[Roi, np.ndarray, str]:
        """``(roi, working-resolution bool mask over the roi, how it was found)``."""
        assert prompt.box is not None
        roi = self.roi(image, prompt.box)
        first = self._cut(image, prompt, roi)
        assert first is not None
        fg, rgb, inside, models = first
        best = (roi, fg, "box", models)
        filled = surround_likeness(rgb, fg, ~inside) if (~inside).any() else 0.0
        verdict = self._prior_fits_better(image, prompt, roi, fg, inside, filled) \
            if filled > self.filled_threshold else None
        if verdict is not None:
            # A verdict that needed the coarse scale came from a thin structure.
            best = self._see_through(image, prompt, roi, best, thin=verdict is roi)
        out = self._fine(image, prompt, *best, whole=suspicious(best[1], best[0].box_mask(prompt.box)))
        if suspicious(out[1], out[0].box_mask(prompt.box)):
            out = self._alternatives(image, prompt, out, roi)
        return out

    def _prior_fits_better(self, image: ImageData, prompt: Prompt, roi: Roi, fg: np.ndarray,
                           inside: np.ndarray, filled: float) -> Roi | None:
        """Whether the colour-contrast prior's cut beats the plain cut ``fg`` over the
        coarse ``roi`` (filled like its surround by ``filled``): it must be far less like
        the surround and still reach the box's sides. Filled like its surround means a
        see-through object closed along its rim, or a background colour that GrabCut's
        models gave to the object (a box covering most of the photo leaves few
        background samples outside it).

        The prior is cut at ``check_scale`` × the coarse pixels first: on solid objects
        its verdict equals the coarse scale's for a quarter of the time. Thin structures
        (spokes, mesh) vanish there and leave an almost empty cut: then the verdict is
        taken at the coarse scale (docs/adr/0161). Returns the ROI whose cut gave a verdict
        for the prior, None for the plain cut."""
        assert prompt.box is not None
        small = self.roi(image, prompt.box, max(4096, int(self.coarse_pixels * self.check_scale)))
        for at in ((small, roi) if small.scale < roi.scale else (roi,)):
            alt = self._cut(image, prompt, at, use_prior=True)
            if alt is None:
                return None
            ins = at.box_mask(prompt.box)
            if suspicious(alt[0], ins):
                continue
            # On real photos the surround test also fires on solid objects, and the prior
            # then keeps a fragment: the switch must keep the object's extent in the box.
            # Both extents are read on the same grid: a mask's extent moves by a few
            # pixels with the scale, and the comparison must not turn on that.
            plain_fit = box_fit(fg, inside) if at is roi else box_fit(_resample(fg, at.work_shape), ins)
            area = float((fg & inside).sum() / max(1, inside.sum()))
            if box_fit(alt[0], ins) < switch_demand(plain_fit, area, self.full_area):
                return None
            return at if filled - surround_likeness(alt[1], alt[0], ~ins) > self.switch_gain else None
        return None

    def _see_through(self, image: ImageData, prompt: Prompt, roi: Roi, plain: tuple,
                     thin: bool = True) -> tuple:
        """The prior's cut at the coarse ``roi``; for a ``thin`` object at the output
        scale when that is finer (a see-through object is all boundary: spokes, mesh,
        lattice, thinner than a coarse pixel in places; a solid one gets its boundary at
        the output scale from the band re-cut, for a fraction of the time). ``plain``
        when the prior finds nothing."""
        assert prompt.box is not None
        fine = self.roi(image, prompt.box, self.max_work_pixels)
        for at in ((fine, roi) if thin and fine.scale > roi.scale else (roi,)):
            cut = self._cut(image, prompt, at, use_prior=True)
            if cut is not None:
                return (at, cut[0], "colour-contrast prior", cut[3])
        return plain

    def _fine(self, image: ImageData, prompt: Prompt, roi: Roi, fg: np.ndarray, how: str,
              models: Models | None, whole: bool = False) -> tuple[Roi, np.ndarray, str]:
        """The coarse result re-cut at the output scale with its colour models frozen:
        only the boundary band, or the whole box when the coarse result does not fill
        the box (structures thinner than a coarse pixel, such as spokes, vanish there)."""
        assert prompt.box is not None
        fine = make_roi(prompt.box, image.width, image.height, self.context, self.max_work_pixels)
        fine = dataclasses.replace(roi, scale=max(roi.scale, fine.scale))
        ratio = fine.scale / roi.scale
        if models is None or ratio < 1.25 or not (fg.any() or whole):
            return roi, fg, how
        rgb = np.ascontiguousarray(fine.to_work(fine.crop(image.array)))
        inside = fine.box_mask(prompt.box)
        labels = band_labels(fg, rgb.shape[:2], inside, ratio)
        if whole:
            labels[inside & (labels == cv2.GC_FGD)] = cv2.GC_PR_FGD
            labels[inside & (labels == cv2.GC_BGD)] = cv2.GC_PR_BGD
        self._seed(labels, fine, prompt)
        return fine, recut(self._features(rgb), labels, models), how

    def _alternatives(self, image: ImageData, prompt: Prompt, out: tuple, roi: Roi
                      ) -> tuple[Roi, np.ndarray, str]:
        """The see-through prior, a coarser and the output scale; the best box fit wins.
        ``out``: the result so far; ``roi``: the coarse working ROI."""
        assert prompt.box is not None
        candidates = [(*out, None)]
        alt = self._cut(image, prompt, roi, use_prior=True)
        if alt is not None:
            candidates.append((roi, alt[0], "colour-contrast prior (fallback)", alt[3]))
        small = self.roi(image, prompt.box, max(4096, int(self.coarse_pixels * self.alt_scale)))
        if small.scale < roi.scale or small.scale < 1.0:
            cut = self._cut(image, prompt, small)
            assert cut is not None
            candidates.append((small, cut[0], "box at a coarser scale (fallback)", cut[3]))

        def area(c: tuple) -> float:
            ins = c[0].box_mask(prompt.box)
            return float((c[1] & ins).sum() / max(1, ins.sum()))

        # GrabCut's outcome depends on the scale: the same box can lock onto "all
        # background" at the coarse scale and find the object at the output scale. Only
        # then is the (costly) iterated cut at the output scale worth its time; a result
        # with substance that misses the box's sides has lost sub-pixel parts instead.
        fine = self.roi(image, prompt.box, self.max_work_pixels)
        if fine.scale > roi.scale and max(area(c) for c in candidates) < SUSPICIOUS_AREA:
            cut = self._cut(image, prompt, fine)
            assert cut is not None
            candidates.append((fine, cut[0], "box at the output scale (fallback)", None))

        def score(c: tuple) -> float:
            return box_fit(c[1], c[0].box_mask(prompt.box)) + min(area(c), SUSPICIOUS_AREA) / SUSPICIOUS_AREA

        best = max(candidates, key=score)
        return self._fine(image, prompt, *best) if best[3] is not None else best[:3]
