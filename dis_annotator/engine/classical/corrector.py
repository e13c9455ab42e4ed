"""Classical click corrector: each click fixes the region it sits in, and nothing far away.

Why local GrabCut and what else was measured: docs/adr/0105-classical-click-corrector.md
(texture: 0163, 0170; thin lines: 0164).

A click on the wrong side of the current mask names an error region: a foreground click
a missed part, a background click a false part. Two sizes describe it: ``d``, the click's
distance to the nearest pixel of the side it asks for (a click in the middle of a region
sits about its half-width from the region's edge), and ``e`` ≤ ``d``, the radius of the
coherent colour region around the click (a click in a narrow gap enclosed by the mask is
far from the background, but its region is narrow).

1. The neighbourhood is a square of half-size ``reach·d`` around the click (clipped to
   ``min_reach``..``max_reach`` of the image diagonal); nothing outside it changes.
2. GrabCut runs in it at ≤ ``max_work_pixels``, on colour and texture (``texture_cut``;
   ``cut="opencv"`` is OpenCV's colour-only cut): labels start from the current mask; the
   window's inner border keeps its labels as hard labels (the cut cannot leak out);
   every other click is a small hard seed. The click's coherent region (a colour flood,
   joined by the nearby pixels whose colours are nearer the click's than the far
   surround's: texture stops a flood, see ``similar_region``) and a disc of
   ``flip_frac·e`` (plus the part of a ``flip_frac·d`` disc inside the coherent region)
   become probable-click-side, so the colour models learn what the click means; a disc
   of ``seed_frac·e`` (plus the part of ``seed_frac·d`` inside the coherent region) is
   a hard seed.
   A foreground click whose colour region is a thin line far from the mask (a stem, a
   spoke) adds that line instead when the cut took colours that also stay background
   around it: at the working scale the line was lost (``thin_part``).
3. The change is one-sided and connected: a foreground click only adds, a background
   click only removes, and only the connected part of the change holding the click is
   kept. A change larger than ``max_growth·π·d²`` (when ``e`` < ``d``) is more than an
   error of that size can hold; it is cut to the disc of that area around the click.
   A background click in a box's result never removes most of the mask: that is the
   object, not a false part of it (cut to the click's colour region within ``2·d``).
4. A change computed at reduced scale is brought back to full resolution by deciding
   the pixels near its edge by colour.

Corrections are cumulative: the next click starts from this mask.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import cv2
import numpy as np

from dis_annotator.engine.classical.colour_flood import flood as _flood
from dis_annotator.engine.classical.colour_flood import flood_lab as _flood_lab
from dis_annotator.engine.classical.colour_flood import solid as _solid
from dis_annotator.engine.classical.colour_model import ColourModel
from dis_annotator.engine.classical.similar_region import similar_region
from dis_annotator.engine.classical.texture_cut import FEATURE_SIGMA, GAMMA, texture_grabcut
from dis_annotator.engine.classical.thin_part import MIN_GAP, colour_overlap, is_thin_line
from dis_annotator.engine.constraints import nearer_to_others
from dis_annotator.engine.types import ImageData, MaskOutput, Point, Prompt, StageReport


def distance_to(target: np.ndarray, x: int, y: int, start: int = 48) -> float:
    """Euclidean distance from pixel ``(x, y)`` to the nearest True pixel of ``target``
    (H×W bool); ``inf`` when there is none. Searches growing windows, so the cost follows
    the distance, not the image size."""
    h, w = target.shape
    r = start
    while True:
        x0, y0, x1, y1 = max(0, x - r), max(0, y - r), min(w, x + r + 1), min(h, y + r + 1)
        crop = target[y0:y1, x0:x1]
        if crop.any():
            dt = cv2.distanceTransform((~crop).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
            d = float(dt[y - y0, x - x0])
            if d <= r or (x0 == 0 and y0 == 0 and x1 == w and y1 == h):
                return d
        elif x0 == 0 and y0 == 0 and x1 == w and y1 == h:
            return math.inf
        r *= 2


def _full_resolution(
    keep: np.ndarray, rgb: np.ndarray, allowed: np.ndarray, scale: float
) -> np.ndarray:
    """Upsample a working-scale change (h×w bool) to the window's full size, deciding the
    pixels near its edge by colour at full resolution: the change's own colours against
    the colours of the pixels it could have taken but did not (``allowed`` & outside)."""
    ch, cw = allowed.shape
    soft = cv2.resize(keep.astype(np.float32), (cw, ch), interpolation=cv2.INTER_LINEAR)
    core = soft > 0.5
    r = int(math.ceil(1.0 / scale)) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
    grown = cv2.dilate(core.astype(np.uint8), kernel).astype(bool)
    shrunk = cv2.erode(core.astype(np.uint8), kernel).astype(bool)
    band = grown & ~shrunk & allowed
    other = allowed & ~grown
    if shrunk.sum() < 16 or other.sum() < 16 or not band.any():
        return core & allowed
    model = ColourModel(rgb[shrunk], rgb[other])
    out = shrunk.copy()
    out[band] = model.log_ratio(rgb[band][None])[0] > 0
    return out & allowed


def _box_limit(box: Any, p: Point, shape: tuple[int, ...]) -> tuple[int, int, int, int] | None:
    """Where a foreground click may add: inside the user's box, which says the object
    lies within it (a branch running out of the box is not the bird). None when there is
    no box, for background clicks (removing is never a leak), and for a click outside the
    box: the user's click outranks the box they drew."""
    if box is None or not p.positive:
        return None
    h, w = shape[:2]
    x0, y0, x1, y1 = box.int_bounds()
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if not (x0 <= int(p.x) < x1 and y0 <= int(p.y) < y1):
        return None
    return x0, y0, x1, y1


def _within(keep: np.ndarray, window: tuple[int, int, int, int], limit: tuple[int, int, int, int],
            click: tuple[int, int]) -> np.ndarray:
    """``keep`` (over ``window``) cut to ``limit`` and to its part connected to ``click``
    (window coordinates)."""
    wx0, wy0, wx1, wy1 = window
    lx0, ly0, lx1, ly1 = limit
    inside = np.zeros(keep.shape, bool)
    inside[max(0, ly0 - wy0):max(0, ly1 - wy0), max(0, lx0 - wx0):max(0, lx1 - wx0)] = True
    if inside.all():
        return keep
    return _part_holding(keep & inside, click)


def _in_disc(region: np.ndarray, centre: tuple[int, int], radius: float) -> np.ndarray:
    """``region`` cut to the disc of ``radius`` (rounded up) around ``centre`` (x, y)."""
    disc = np.zeros(region.shape, np.uint8)
    cv2.circle(disc, centre, int(math.ceil(radius)), 1, -1)
    return region & disc.astype(bool)


def _part_holding(region: np.ndarray, click: tuple[int, int]) -> np.ndarray:
    """The 8-connected part of ``region`` holding ``click`` (``(x, y)`` in its
    coordinates); ``region`` itself when the click is not in it."""
    cx, cy = click
    if not region[cy, cx]:
        return region
    _, lab = cv2.connectedComponents(region.astype(np.uint8), connectivity=8)
    return lab == lab[cy, cx]


class LocalCorrector:
    """CorrectStage for the classical engine: local, one-sided GrabCut per click."""

    name = "local-grabcut"
    learned = False

    def __init__(
        self,
        reach: float = 6.0,
        min_reach: float = 0.03,
        max_reach: float = 0.6,
        seed_frac: float = 0.6,
        flip_frac: float = 1.5,
        flood_tol: float = 12.0,
        guard: str = "both",
        max_growth: float = 4.0,
        min_halfwidth: float = 3.0,
        iterations: int = 3,
        max_work_pixels: int = 40_000,
        click_seed_px: int = 2,
        cache_images: int = 4,
        max_thickness: float = 3.0,
        similar_patch: float = 4.0,
        thin_halfwidth: float = 5.0,
        thin_overlap: float = 0.5,
        thin_flood_tol: float = 20.0,
        thin_reach: int = 256,
        max_removal: float = 0.5,
        cut: str = "texture",
        cut_gamma: float = GAMMA,
        feature_sigma: float = FEATURE_SIGMA,
    ) -> None:
        """``guard`` says where the seeds and the probable-click-side zone may reach:
        ``"both"`` (default) keeps the ``d``-sized discs inside the click's coherent colour
        region, ``"seed"`` only the seed, ``"disc"`` neither, ``"narrow"`` uses ``e``-sized
        discs only. ``flood_tol`` 0 turns the coherent region off (then ``e`` = ``d``).
        ``similar_patch`` > 0 joins to the flood the pixels near the click whose colours
        are nearer the click's (within that many working pixels) than the far surround's
        (:func:`similar_region`: texture stops a flood); 0 turns that off.
        A foreground click whose colour region is a thin line (half-width ≤
        ``thin_halfwidth`` px) far from the mask adds that line instead of the window's
        cut when the cut's colours overlap what stays background by ≥ ``thin_overlap``
        (``thin_part``); an overlap above 1 turns that off. A line a pixel or two wide
        blends with what is behind it, so when the ``flood_tol`` flood is not a line, one
        at ``thin_flood_tol`` is tried.
        A background click in a box's result removes at most ``max_removal`` of the mask
        (:meth:`_not_the_object`); 1 turns that off.
        ``cut``: the window's GrabCut, ``"texture"`` (:func:`texture_grabcut` with
        ``feature_sigma`` and ``cut_gamma``) or ``"opencv"`` (``cv2.grabCut``, colour only)."""
        if guard not in ("both", "seed", "disc", "narrow"):
            raise ValueError(f"unknown guard {guard!r}")
        if cut not in ("texture", "opencv"):
            raise ValueError(f"unknown cut {cut!r}")
        self.reach = reach
        self.min_reach = min_reach
        self.max_reach = max_reach
        self.seed_frac = seed_frac
        self.flip_frac = flip_frac
        self.flood_tol = flood_tol
        self.guard = guard
        self.max_growth = max_growth
        self.min_halfwidth = min_halfwidth
        self.iterations = iterations
        self.max_work_pixels = max_work_pixels
        self.click_seed_px = click_seed_px
        self.max_thickness = max_thickness
        self.similar_patch = similar_patch
        self.thin_halfwidth = thin_halfwidth
        self.thin_overlap = thin_overlap
        self.thin_flood_tol = thin_flood_tol
        self.thin_reach = thin_reach
        self.max_removal = max_removal
        self.cut = cut
        self.cut_gamma = cut_gamma
        self.feature_sigma = feature_sigma
        self._lab_cache: OrderedDict[str, tuple[np.ndarray, float]] = OrderedDict()
        self._cache_images = cache_images

    # -- the stage ------------------------------------------------------------------

    def correct(self, image: ImageData, prompt: Prompt, previous: MaskOutput) -> MaskOutput:
        """Fix every click (in order) that lies on the wrong side of ``previous.mask``.

        Normally that is only the newest click: the earlier ones were fixed by earlier
        calls and are hard seeds here. Returns the full-resolution corrected mask;
        ``report.settings["windows"]`` lists the windows that were allowed to change.
        """
        mask = previous.mask.copy()
        windows: list[tuple[int, int, int, int]] = []
        for p in prompt.points:
            x, y = int(p.x), int(p.y)
            if bool(mask[y, x]) == p.positive:
                continue
            windows.append(self._fix(image, mask, p, prompt.points, _box_limit(prompt.box, p, mask.shape),
                                     boxed=prompt.box is not None))
        return MaskOutput(
            mask=mask,
            state=dict(previous.state),
            report=StageReport(
                "correct",
                self.name,
                learned=False,
                model=("texture GrabCut (local, PyMaxflow)" if self.cut == "texture"
                       else "opencv.grabCut (local)"),
                settings={**self.describe(), "iterations": self.iterations, "windows": windows},
            ),
        )

    # -- one click ------------------------------------------------------------------

    def window(
        self, image: ImageData, mask: np.ndarray, p: Point
    ) -> tuple[tuple[int, int, int, int], float]:
        """The neighbourhood a click may change, ``(x0, y0, x1, y1)`` in image pixels (x1/y1
        exclusive), and the error size ``d`` it was derived from (see :meth:`geometry`)."""
        box, d, _ = self.geometry(image, mask, p)
        return box, d

    def geometry(
        self, image: ImageData, mask: np.ndarray, p: Point
    ) -> tuple[tuple[int, int, int, int], float, float]:
        """``(window, d, e)`` for a click on the wrong side of ``mask`` (module docstring)."""
        h, w = mask.shape
        x, y = int(p.x), int(p.y)
        d = distance_to(mask if p.positive else ~mask, x, y)
        hi = self.max_reach * math.hypot(h, w)
        if not math.isfinite(d):  # nothing on the click's side yet: the largest window
            d = hi / self.reach
        radius = self._coherent_radius(image, mask, p, max(1, int(math.ceil(min(hi, self.reach * d)))))
        e = min(d, max(radius, self.min_halfwidth))
        return self._square(p, d, mask.shape), d, e

    def _square(self, p: Point, size: float, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        h, w = shape[:2]
        diag = math.hypot(h, w)
        half = int(math.ceil(min(self.max_reach * diag, max(self.min_reach * diag, self.reach * size))))
        x, y = int(p.x), int(p.y)
        return (max(0, x - half), max(0, y - half), min(w, x + half + 1), min(h, y + half + 1))

    def _small_lab(self, image: ImageData) -> tuple[np.ndarray, float]:
        """Blurred 8-bit Lab of the whole image at ≤ 0.25 MP, and its scale (cached)."""
        hit = self._lab_cache.get(image.key)
        if hit is not None:
            self._lab_cache.move_to_end(image.key)
            return hit
        s = min(1.0, math.sqrt(250_000 / (image.width * image.height)))
        rgb = image.array
        if s < 1.0:
            size = (max(1, round(image.width * s)), max(1, round(image.height * s)))
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (5, 5), 0), cv2.COLOR_RGB2LAB)
        self._lab_cache[image.key] = (lab, s)
        while len(self._lab_cache) > self._cache_images:
            self._lab_cache.popitem(last=False)
        return lab, s

    def _coherent_radius(self, image: ImageData, mask: np.ndarray, p: Point, cap: int) -> float:
        """Radius (image pixels) of the coherent region around the click: similar colour,
        on the click's wrong side of ``mask``, within ``cap`` pixels; ``inf`` without a
        colour tolerance."""
        if self.flood_tol <= 0:
            return math.inf
        lab, s = self._small_lab(image)
        h, w = mask.shape
        x, y = int(p.x), int(p.y)
        x0, y0, x1, y1 = max(0, x - cap), max(0, y - cap), min(w, x + cap + 1), min(h, y + cap + 1)
        sx0, sy0 = int(x0 * s), int(y0 * s)
        sx1 = min(lab.shape[1], max(sx0 + 1, int(math.ceil(x1 * s))))
        sy1 = min(lab.shape[0], max(sy0 + 1, int(math.ceil(y1 * s))))
        sub = mask[y0:y1, x0:x1]
        if sub.shape != (sy1 - sy0, sx1 - sx0):
            sub = cv2.resize(sub.astype(np.uint8), (sx1 - sx0, sy1 - sy0),
                             interpolation=cv2.INTER_NEAREST).astype(bool)
        allowed = ~sub if p.positive else sub
        cx = min(sx1 - sx0 - 1, int(x * s) - sx0)
        cy = min(sy1 - sy0 - 1, int(y * s) - sy0)
        region = _flood_lab(np.ascontiguousarray(lab[sy0:sy1, sx0:sx1]), (cx, cy), allowed,
                            self.flood_tol)
        if not region.any():
            return 0.0
        # Texture leaves pinholes in a colour flood; close and fill them so the radius
        # measures the region, not the nearest speck of another colour.
        dt = cv2.distanceTransform(np.pad(_solid(region), 1).astype(np.uint8), cv2.DIST_L2, 5)
        return float(dt[cy + 1, cx + 1]) / s

    def _thin_part(self, image: ImageData, mask: np.ndarray, p: Point, d: float,
                   box: tuple[int, int, int, int]) -> np.ndarray | None:
        """The thin line a foreground click sits on, over ``box`` at full resolution, or
        None when its colour flood is not a thin line apart from the mask
        (``thin_part.is_thin_line``).

        The flood runs at full resolution (3×3-smoothed Lab) within ``thin_reach`` px of
        the click: on a reduced grid a 2-px wire is gone. A far part of the line is left
        to the next click."""
        if not p.positive or self.flood_tol <= 0 or not math.isfinite(d) or d < MIN_GAP:
            return None
        x, y = int(p.x), int(p.y)
        bx0, by0, bx1, by1 = box
        r = self.thin_reach
        x0, y0, x1, y1 = max(bx0, x - r), max(by0, y - r), min(bx1, x + r + 1), min(by1, y + r + 1)
        lab = cv2.cvtColor(cv2.GaussianBlur(image.array[y0:y1, x0:x1], (3, 3), 0), cv2.COLOR_RGB2LAB)
        allowed = ~mask[y0:y1, x0:x1]
        for tol in (self.flood_tol, self.thin_flood_tol):
            line = _solid(_flood_lab(lab.copy(), (x - x0, y - y0), allowed, tol)) & allowed
            if is_thin_line(line, 1.0, d, self.thin_halfwidth):
                break
        else:
            return None
        full = np.zeros((by1 - by0, bx1 - bx0), bool)
        full[y0 - by0:y1 - by0, x0 - bx0:x1 - bx0] = line
        return _part_holding(full, (x - bx0, y - by0))

    def _thin_part_instead(self, image: ImageData, mask: np.ndarray, p: Point, d: float,
                           box: tuple[int, int, int, int], keep: np.ndarray) -> np.ndarray:
        """``keep``, or the thin line the click sits on when the window's cut lost it: the
        cut took colours that also stay on the background side around it (their overlap
        ≥ ``thin_overlap``) while the click's own colour region is a thin line."""
        if self.thin_overlap > 1:
            return keep
        line = self._thin_part(image, mask, p, d, box)
        if line is None:
            return keep
        x0, y0, x1, y1 = box
        stays = ~mask[y0:y1, x0:x1] & ~keep
        if colour_overlap(image.array[y0:y1, x0:x1], keep, stays) < self.thin_overlap:
            return keep
        return line

    def _fix(
        self, image: ImageData, mask: np.ndarray, p: Point, clicks: tuple[Point, ...],
        limit: tuple[int, int, int, int] | None = None, boxed: bool = False,
    ) -> tuple[int, int, int, int]:
        """Apply click ``p`` to ``mask`` in place; the window it was allowed to change.
        ``boxed``: the mask answers a box (see :meth:`_not_the_object`)."""
        box, d, e = self.geometry(image, mask, p)
        keep = self._propose(image, mask, p, clicks, box, d, e)
        keep = self._thin_part_instead(image, mask, p, d, box, keep)
        keep = self._no_larger_than_the_error(keep, box, p, d, e)
        x0, y0, x1, y1 = box
        if limit is not None:
            keep = _within(keep, box, limit, (int(p.x) - x0, int(p.y) - y0))
        keep = self._spare_other_clicks(keep, box, p, clicks)
        keep = self._no_thicker_than_the_error(keep, box, p, d)
        if boxed and not p.positive:
            keep = self._not_the_object(keep, image, mask, box, p, d)
        mcrop = mask[y0:y1, x0:x1]
        if p.positive:
            mcrop |= keep
        else:
            mcrop &= ~keep
        mask[int(p.y), int(p.x)] = p.positive
        return box

    def _no_larger_than_the_error(self, keep: np.ndarray, box: tuple[int, int, int, int], p: Point,
                                  d: float, e: float) -> np.ndarray:
        """``keep`` cut to the disc of area ``max_growth·π·d²`` around the click when it is
        larger than that and the click's coherent region is narrower than ``d``.

        Such a change is more than an error of this size can hold (a BG click in a narrow
        gap taking the legs beside it). Redoing the click at the coherent region's size
        was measured worse (docs/adr/0161): in texture that region is a few pixels wide
        whatever the error's size, and the redo fixed a few pixels of a large error."""
        if self.max_growth <= 0 or e >= d or keep.sum() <= self.max_growth * math.pi * d * d:
            return keep
        click = (int(p.x) - box[0], int(p.y) - box[1])
        return _part_holding(_in_disc(keep, click, math.sqrt(self.max_growth) * d), click)

    def _not_the_object(self, keep: np.ndarray, image: ImageData, mask: np.ndarray,
                        box: tuple[int, int, int, int], p: Point, d: float) -> np.ndarray:
        """``keep`` (a background click's removal) cut to the click's own colour region
        within ``2·d`` of it (``d`` when that is still more) when it would remove more
        than ``max_removal`` of ``mask``.

        A box says an object is in it, and a background click in its result names a false
        part of that object's mask; a removal of most of the mask takes the object itself
        (the window's colour models could not tell the object from the part, as with a
        grey bird on a grey rock). What the click certainly names is its coherent colour
        region (the flood and the texture-aware region, as the window's cut is seeded),
        and near it; the rest of the false part is left to the next click. Without a box
        a foreground click's region may be mostly leak, and removing it is what the user
        asks (docs/adr/0168)."""
        if self.max_removal >= 1 or not keep.any():
            return keep
        if np.count_nonzero(keep) <= self.max_removal * np.count_nonzero(mask):
            return keep
        x0, y0 = box[0], box[1]
        cx, cy = int(p.x) - x0, int(p.y) - y0
        r = int(math.ceil(2.0 * max(d, self.min_halfwidth)))
        # Only the disc's square is read: the removal may span a 24-MP window.
        sx0, sy0 = max(0, cx - r), max(0, cy - r)
        sx1, sy1 = min(keep.shape[1], cx + r + 1), min(keep.shape[0], cy + r + 1)
        sub = keep[sy0:sy1, sx0:sx1]
        rgb = image.array[y0 + sy0:y0 + sy1, x0 + sx0:x0 + sx1]
        allowed = mask[y0 + sy0:y0 + sy1, x0 + sx0:x0 + sx1]
        scale = min(1.0, math.sqrt(self.max_work_pixels / max(1, sub.size)))
        if scale < 1.0:
            size = (max(1, round(sub.shape[1] * scale)), max(1, round(sub.shape[0] * scale)))
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            allowed = cv2.resize(allowed.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool)
        centre = (min(rgb.shape[1] - 1, int((cx - sx0) * scale)), min(rgb.shape[0] - 1, int((cy - sy0) * scale)))
        region = _flood(rgb, centre, allowed, self.flood_tol) if self.flood_tol > 0 else np.zeros_like(allowed)
        if self.similar_patch > 0:
            region |= similar_region(rgb, centre, allowed, self.similar_patch)
        region = _solid(region) & allowed
        if scale < 1.0:
            region = cv2.resize(region.astype(np.uint8), (sub.shape[1], sub.shape[0]),
                                interpolation=cv2.INTER_NEAREST).astype(bool)
        out = np.zeros_like(keep)
        out[sy0:sy1, sx0:sx1] = sub & region
        out = _in_disc(out, (cx, cy), r)
        if np.count_nonzero(out) > self.max_removal * np.count_nonzero(mask):
            out = _in_disc(out, (cx, cy), d)  # the region is the object's colour too
        out[cy, cx] = True
        return _part_holding(out, (cx, cy))

    def _no_thicker_than_the_error(self, keep: np.ndarray, box: tuple[int, int, int, int], p: Point,
                                   d: float) -> np.ndarray:
        """``keep`` cut to a disc around the click when it is far thicker than the error.

        ``d`` (the click's distance to the side it asks for) bounds the error's half-width
        at the click: a click in a 2-px gap between legs names a thin error, and a change
        whose inscribed radius is ``max_thickness`` times larger fills the space around
        it (the belly between a camel's legs) instead of fixing it."""
        if self.max_thickness <= 0 or not keep.any():
            return keep
        limit = self.max_thickness * max(d, 1.0)
        dt = cv2.distanceTransform(np.pad(keep, 1).astype(np.uint8), cv2.DIST_L2, 3)
        if float(dt.max()) <= limit:
            return keep
        return _in_disc(keep, (int(p.x) - box[0], int(p.y) - box[1]), limit)

    def _spare_other_clicks(self, keep: np.ndarray, box: tuple[int, int, int, int], p: Point,
                            clicks: tuple[Point, ...]) -> np.ndarray:
        """``keep`` without the pixels nearer to a click of the other label than to ``p``
        (the user said what those are: a neighbouring click must not undo it, nor take
        the surround the other click stands for), cut to its part connected to ``p``."""
        others = nearer_to_others(box, p, clicks)
        if others is None or not (others & keep).any():
            return keep
        return _part_holding(keep & ~others, (int(p.x) - box[0], int(p.y) - box[1]))

    def _propose(
        self,
        image: ImageData,
        mask: np.ndarray,
        p: Point,
        clicks: tuple[Point, ...],
        box: tuple[int, int, int, int],
        d: float,
        e: float,
    ) -> np.ndarray:
        """The change one click makes inside ``box``: a bool array over the window at full
        resolution, one-sided and connected to the click (see the module docstring)."""
        x0, y0, x1, y1 = box
        h, w = mask.shape
        cw, ch = x1 - x0, y1 - y0
        scale = min(1.0, math.sqrt(self.max_work_pixels / max(1, cw * ch)))
        ww, wh = max(1, round(cw * scale)), max(1, round(ch * scale))
        crop = image.array[y0:y1, x0:x1]
        mcrop = mask[y0:y1, x0:x1]
        if scale < 1.0:
            rgb = cv2.resize(crop, (ww, wh), interpolation=cv2.INTER_AREA)
            cur = cv2.resize(mcrop.astype(np.float32), (ww, wh), interpolation=cv2.INTER_AREA) > 0.5
        else:
            rgb, cur = crop, mcrop

        labels = np.where(cur, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
        # The window's inner border keeps its labels: the cut cannot run out of the window.
        ring = np.zeros_like(cur)
        if x0 > 0:
            ring[:, 0] = True
        if x1 < w:
            ring[:, -1] = True
        if y0 > 0:
            ring[0, :] = True
        if y1 < h:
            ring[-1, :] = True
        labels[ring & cur] = cv2.GC_FGD
        labels[ring & ~cur] = cv2.GC_BGD
        for q in clicks:
            if q is p:
                continue
            c = (int((q.x - x0) * scale), int((q.y - y0) * scale))
            if 0 <= c[0] < ww and 0 <= c[1] < wh:
                cv2.circle(labels, c, self.click_seed_px, int(cv2.GC_FGD if q.positive else cv2.GC_BGD), -1)
        centre = (min(ww - 1, int((p.x - x0) * scale)), min(wh - 1, int((p.y - y0) * scale)))
        allowed = ~cur if p.positive else cur
        free = (labels != cv2.GC_FGD) & (labels != cv2.GC_BGD)

        def disc(radius: float) -> np.ndarray:
            out = np.zeros((wh, ww), np.uint8)
            cv2.circle(out, centre, max(1, int(radius * scale)), 1, -1)
            return out.astype(bool)

        flood = np.zeros_like(cur)
        if self.flood_tol > 0:
            flood = _flood(rgb, centre, allowed, self.flood_tol)
            if self.similar_patch > 0:
                flood |= similar_region(rgb, centre, allowed, self.similar_patch)
        solid = _solid(flood) & allowed
        if self.guard == "disc":
            seed, flip = disc(self.seed_frac * d), disc(self.flip_frac * d)
        elif self.guard == "narrow":  # e-sized discs only
            seed, flip = disc(self.seed_frac * e), disc(self.flip_frac * e)
        elif self.guard == "seed":
            seed = (disc(self.seed_frac * d) & solid) | disc(self.seed_frac * e)
            flip = disc(self.flip_frac * d)
        else:  # "both"
            seed = (disc(self.seed_frac * d) & solid) | disc(self.seed_frac * e)
            flip = (disc(self.flip_frac * d) & solid) | disc(self.flip_frac * e)
        flip = (flip | flood) & allowed & free
        labels[flip] = cv2.GC_PR_FGD if p.positive else cv2.GC_PR_BGD
        # Never seed over the pixels the click does not ask to change.
        seed &= allowed
        labels[seed] = cv2.GC_FGD if p.positive else cv2.GC_BGD

        fg_any = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
        if fg_any.any() and not fg_any.all():
            if self.cut == "texture":
                texture_grabcut(np.ascontiguousarray(rgb), labels, self.iterations,
                                feature_sigma=self.feature_sigma, gamma=self.cut_gamma)
            else:
                cv2.setRNGSeed(0)  # GrabCut's k-means init is random: same input, same mask
                bgd = np.zeros((1, 65), np.float64)
                fgd = np.zeros((1, 65), np.float64)
                bgr = np.ascontiguousarray(rgb[:, :, ::-1])
                cv2.grabCut(bgr, labels, None, bgd, fgd, self.iterations, cv2.GC_INIT_WITH_MASK)
        res = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
        change = (res & ~cur) if p.positive else (cur & ~res)
        change |= seed
        n, lab = cv2.connectedComponents(change.astype(np.uint8), connectivity=8)
        keep = lab == lab[centre[1], centre[0]] if n > 1 and lab[centre[1], centre[0]] else seed
        if scale < 1.0:
            keep = _full_resolution(keep, crop, ~mcrop if p.positive else mcrop, scale)
            # Resampling may split the change: keep the parts touching the click.
            near = np.zeros(keep.shape, np.uint8)
            cv2.circle(near, (int(p.x) - x0, int(p.y) - y0), int(math.ceil(1 / scale)) + 1, 1, -1)
            n, lab = cv2.connectedComponents(keep.astype(np.uint8), connectivity=8)
            touching = np.unique(lab[(near > 0) & keep])
            touching = touching[touching > 0]
            if n > 2 and touching.size:
                keep = np.isin(lab, touching)
        return keep

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "reach": self.reach, "seed_frac": self.seed_frac,
                "flip_frac": self.flip_frac, "guard": self.guard, "max_growth": self.max_growth,
                "max_removal": self.max_removal, "cut": self.cut, "cut_gamma": self.cut_gamma,
                "feature_sigma": self.feature_sigma}
