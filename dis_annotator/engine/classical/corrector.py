"""Classical click corrector: each click fixes the region it sits in, and nothing far away.

Why local GrabCut and not the alternatives: docs/adr/0105-classical-click-corrector.md.

A click on the wrong side of the current mask names an error region: a foreground click
a missed part, a background click a false part. Its distance ``d`` to the nearest pixel
of the side it asks for says how large that region is (a click in the middle of a
region sits about its half-width away from the region's edge), so the corrector works
in a square window of half-size ``reach·d`` around the click (clipped to a minimum and
maximum fraction of the image diagonal), at a reduced working scale:

1. GrabCut labels start from the current mask (probable FG/BG); a disc of radius
   ``seed_frac·d`` around the click is a hard seed of the click's side (it lies in the
   region the user pointed at), every other click in the window a small hard seed, and
   the window's inner border keeps its current labels (hard), so the cut cannot leak
   out of the window.
2. The change is one-sided and connected: a foreground click only adds, a background
   click only removes, and only the connected part of the change that contains the click
   is kept — no islands far from the click, no flips elsewhere in the window.

Corrections are therefore cumulative: the next click starts from this mask.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import cv2
import numpy as np

from dis_annotator.engine.classical.colour_model import ColourModel
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


def _flood(rgb: np.ndarray, centre: tuple[int, int], allowed: np.ndarray, tol: float) -> np.ndarray:
    """Pixels of ``allowed`` connected to ``centre`` through colours (smoothed Lab) within
    ``tol`` of the centre's: the coherent region the click sits in."""
    lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (5, 5), 0), cv2.COLOR_RGB2LAB)
    return _flood_lab(lab, centre, allowed, tol)


def _flood_lab(lab: np.ndarray, centre: tuple[int, int], allowed: np.ndarray, tol: float) -> np.ndarray:
    """:func:`_flood` on a ready 8-bit Lab image."""
    h, w = allowed.shape
    block = np.ones((h + 2, w + 2), np.uint8)
    block[1:-1, 1:-1] = ~allowed
    if block[centre[1] + 1, centre[0] + 1]:
        return np.zeros_like(allowed)
    t = (int(tol),) * 3
    flags = 4 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (2 << 8)
    cv2.floodFill(lab, block, centre, 0, t, t, flags)
    return block[1:-1, 1:-1] == 2


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
        iterations: int = 3,
        max_work_pixels: int = 40_000,
        click_seed_px: int = 2,
        flip_frac: float = 1.5,
        flood_tol: float = 12.0,
        flood_window: float = 0.0,
        cache_images: int = 4,
    ) -> None:
        self.flood_window = flood_window
        self._lab_cache: OrderedDict[str, tuple[np.ndarray, float]] = OrderedDict()
        self._cache_images = cache_images
        self.flip_frac = flip_frac
        self.flood_tol = flood_tol
        self.reach = reach
        self.min_reach = min_reach
        self.max_reach = max_reach
        self.seed_frac = seed_frac
        self.iterations = iterations
        self.max_work_pixels = max_work_pixels
        self.click_seed_px = click_seed_px

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
            windows.append(self._fix(image, mask, p, prompt.points))
        return MaskOutput(
            mask=mask,
            state=dict(previous.state),
            report=StageReport(
                "correct",
                self.name,
                learned=False,
                model="opencv.grabCut (local)",
                settings={
                    "reach": self.reach,
                    "seed_frac": self.seed_frac,
                    "iterations": self.iterations,
                    "windows": windows,
                },
            ),
        )

    # -- one click ------------------------------------------------------------------

    def window(
        self, image: ImageData, mask: np.ndarray, p: Point
    ) -> tuple[tuple[int, int, int, int], float]:
        """The neighbourhood a click may change: ``((x0, y0, x1, y1), d)`` in image pixels
        (x1/y1 exclusive), ``d`` = distance to the nearest pixel of the click's side."""
        h, w = mask.shape
        x, y = int(p.x), int(p.y)
        d = distance_to(mask if p.positive else ~mask, x, y)
        diag = math.hypot(h, w)
        lo, hi = self.min_reach * diag, self.max_reach * diag
        half = int(math.ceil(min(hi, max(lo, self.reach * d))))
        if not math.isfinite(d):
            d = half / self.reach
        box = [max(0, x - half), max(0, y - half), min(w, x + half + 1), min(h, y + half + 1)]
        if self.flood_window > 0:
            # An elongated error (a missed arm, a band of background) reaches further than
            # its half-width: grow the window over the coherent region the click sits in.
            cap = int(min(hi, self.flood_window * half))
            ext = self._extent(image, mask, p, cap)
            if ext is not None:
                m = int(math.ceil(d))
                box = [min(box[0], max(0, ext[0] - m)), min(box[1], max(0, ext[1] - m)),
                       max(box[2], min(w, ext[2] + m)), max(box[3], min(h, ext[3] + m))]
        return (box[0], box[1], box[2], box[3]), d

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

    def _extent(
        self, image: ImageData, mask: np.ndarray, p: Point, cap: int
    ) -> tuple[int, int, int, int] | None:
        """Bounding box (image pixels) of the coherent region around the click within
        ``cap`` pixels, on the click's wrong side of ``mask``; None when there is none."""
        lab, s = self._small_lab(image)
        h, w = mask.shape
        x, y = int(p.x), int(p.y)
        x0, y0, x1, y1 = max(0, x - cap), max(0, y - cap), min(w, x + cap + 1), min(h, y + cap + 1)
        sx0, sy0 = int(x0 * s), int(y0 * s)
        sx1, sy1 = max(sx0 + 1, int(math.ceil(x1 * s))), max(sy0 + 1, int(math.ceil(y1 * s)))
        sx1, sy1 = min(sx1, lab.shape[1]), min(sy1, lab.shape[0])
        sub = mask[y0:y1, x0:x1]
        if s < 1.0:
            sub = cv2.resize(sub.astype(np.uint8), (sx1 - sx0, sy1 - sy0),
                             interpolation=cv2.INTER_NEAREST).astype(bool)
        allowed = ~sub if p.positive else sub
        cx = min(sx1 - sx0 - 1, int(x * s) - sx0)
        cy = min(sy1 - sy0 - 1, int(y * s) - sy0)
        region = _flood_lab(np.ascontiguousarray(lab[sy0:sy1, sx0:sx1]), (cx, cy), allowed,
                            self.flood_tol or 12.0)
        if not region.any():
            return None
        rows = np.flatnonzero(region.any(axis=1))
        cols = np.flatnonzero(region.any(axis=0))
        return (int((sx0 + cols[0]) / s), int((sy0 + rows[0]) / s),
                int(math.ceil((sx0 + cols[-1] + 1) / s)), int(math.ceil((sy0 + rows[-1] + 1) / s)))

    def _fix(
        self, image: ImageData, mask: np.ndarray, p: Point, clicks: tuple[Point, ...]
    ) -> tuple[int, int, int, int]:
        (x0, y0, x1, y1), d = self.window(image, mask, p)
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
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])

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
        if self.flip_frac > 0:
            zone = np.zeros((wh, ww), np.uint8)
            cv2.circle(zone, centre, max(1, int(self.flip_frac * d * scale)), 1, -1)
            zone = zone.astype(bool) & (labels != cv2.GC_FGD) & (labels != cv2.GC_BGD)
            zone &= ~cur if p.positive else cur
            labels[zone] = cv2.GC_PR_FGD if p.positive else cv2.GC_PR_BGD
        if self.flood_tol > 0:
            zone = _flood(rgb, centre, ~cur if p.positive else cur, self.flood_tol)
            zone &= (labels != cv2.GC_FGD) & (labels != cv2.GC_BGD)
            labels[zone] = cv2.GC_PR_FGD if p.positive else cv2.GC_PR_BGD
        seed = np.zeros((wh, ww), np.uint8)
        cv2.circle(seed, centre, max(1, int(self.seed_frac * d * scale)), 1, -1)
        seed = seed.astype(bool)
        # Never seed over the pixels the click does not ask to change.
        seed &= ~cur if p.positive else cur
        labels[seed] = cv2.GC_FGD if p.positive else cv2.GC_BGD

        fg_any = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
        if fg_any.any() and not fg_any.all():
            cv2.setRNGSeed(0)  # GrabCut's k-means init is random: same input, same mask
            bgd = np.zeros((1, 65), np.float64)
            fgd = np.zeros((1, 65), np.float64)
            cv2.grabCut(bgr, labels, None, bgd, fgd, self.iterations, cv2.GC_INIT_WITH_MASK)
        res = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
        change = (res & ~cur) if p.positive else (cur & ~res)
        change |= seed
        n, lab = cv2.connectedComponents(change.astype(np.uint8), connectivity=8)
        keep = lab == lab[centre[1], centre[0]] if n > 1 and lab[centre[1], centre[0]] else seed
        if scale < 1.0:
            keep = _full_resolution(keep, crop, ~mcrop if p.positive else mcrop, scale)
            cy, cx = int(p.y) - y0, int(p.x) - x0
            n, lab = cv2.connectedComponents(keep.astype(np.uint8), connectivity=8)
            if n > 1 and lab[cy, cx]:
                keep = lab == lab[cy, cx]
        if p.positive:
            mcrop |= keep
        else:
            mcrop &= ~keep
        mask[int(p.y), int(p.x)] = p.positive
        return (x0, y0, x1, y1)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "reach": self.reach, "seed_frac": self.seed_frac}
