"""Classical coarse stage: OpenCV GrabCut from the box, clicks as hard seeds."""

from __future__ import annotations

import cv2
import numpy as np

from dis_annotator.engine.classical.colour_model import ColourModel
from dis_annotator.engine.classical.roi import Roi, make_roi, prompt_region
from dis_annotator.engine.types import ImageData, IsCurrent, MaskOutput, Prompt, StageReport


def _seed_radius(roi: Roi) -> int:
    h, w = roi.work_shape
    return max(2, round(0.006 * max(h, w)))


class GrabCutStage:
    """GrabCut on the prompt's region at a capped working resolution (default 0.25 MP).

    With a previous mask (follow-up clicks) GrabCut starts from it instead of the box,
    so a click corrects the current result rather than starting over. The soft output is
    the working-resolution mask upsampled bilinearly over the ROI; the refiner recovers
    full-resolution edges.
    """

    name = "grabcut"
    learned = False

    def __init__(
        self,
        iterations: int = 5,
        max_work_pixels: int = 250_000,
        margin: float = 0.1,
        contrast_ratio: float = 2.0,
    ):
        self.iterations = iterations
        self.contrast_ratio = contrast_ratio
        self.max_work_pixels = max_work_pixels
        self.margin = margin

    def prepare(self, image: ImageData, is_current: IsCurrent | None = None) -> None:
        """Nothing to precompute: GrabCut has no per-image embedding."""

    def _contrast_prior(self, rgb: np.ndarray, inside: np.ndarray) -> np.ndarray | None:
        """Pixels whose colour is over-represented inside the box relative to its surround.

        Plain box initialisation lets GrabCut cut along a closed rim and fill everything
        inside (a wheel becomes a disc); starting from colours that distinguish the box
        from its surround keeps see-through objects see-through. Returns None when the
        surround is too small or the prior covers too little of the box to trust.
        """
        outside = ~inside
        if outside.sum() < 64:
            return None
        model = ColourModel(rgb[inside], rgb[outside])
        prior = model.log_ratio(rgb) > np.log(self.contrast_ratio)
        frac = prior[inside].mean()
        if frac < 0.01:
            return None
        return prior

    def _init_labels(
        self, roi: Roi, prompt: Prompt, previous: MaskOutput | None, work_rgb: np.ndarray
    ) -> np.ndarray:
        h, w = roi.work_shape
        labels = np.full((h, w), cv2.GC_BGD, np.uint8)
        inside = np.zeros((h, w), bool)
        if prompt.box is not None:
            bx0 = int(np.floor((prompt.box.x0 - roi.x0) * roi.scale))
            by0 = int(np.floor((prompt.box.y0 - roi.y0) * roi.scale))
            bx1 = int(np.ceil((prompt.box.x1 - roi.x0) * roi.scale))
            by1 = int(np.ceil((prompt.box.y1 - roi.y0) * roi.scale))
            inside[max(0, by0) : by1, max(0, bx0) : bx1] = True
        else:
            inside[:] = True
        if previous is not None and previous.mask is not None:
            prev = roi.to_work(roi.crop(previous.mask).astype(np.float32), cv2.INTER_AREA) > 0.5
            labels[inside] = cv2.GC_PR_BGD
            labels[inside & prev] = cv2.GC_PR_FGD
        elif prompt.box is not None:
            labels[inside] = cv2.GC_PR_FGD
            prior = self._contrast_prior(work_rgb, inside)
            if prior is not None:
                labels[inside & ~prior] = cv2.GC_PR_BGD
        else:
            labels[:] = cv2.GC_PR_BGD
            reach = max(3, round(0.08 * max(h, w)))
            for p in prompt.points:
                if p.positive:
                    cv2.circle(labels, roi.point_to_work(p), reach, int(cv2.GC_PR_FGD), -1)
        r = _seed_radius(roi)
        for p in prompt.points:
            seed = cv2.GC_FGD if p.positive else cv2.GC_BGD
            cv2.circle(labels, roi.point_to_work(p), r, int(seed), -1)
        # GrabCut needs samples of both models; the ROI border is background evidence.
        bg = (labels == cv2.GC_BGD) | (labels == cv2.GC_PR_BGD)
        if bg.sum() < 16:
            border = np.zeros_like(inside)
            border[[0, -1], :] = True
            border[:, [0, -1]] = True
            labels[border & (labels == cv2.GC_PR_FGD)] = cv2.GC_PR_BGD
        return labels

    def predict(
        self, image: ImageData, prompt: Prompt, previous: MaskOutput | None
    ) -> MaskOutput:
        region = prompt_region(prompt, image.width, image.height)
        roi = make_roi(region, image.width, image.height, self.margin, self.max_work_pixels)
        work = np.ascontiguousarray(roi.to_work(roi.crop(image.array))[:, :, ::-1])  # BGR
        labels = self._init_labels(roi, prompt, previous, work[:, :, ::-1])
        fg_any = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
        if fg_any.any() and not fg_any.all():
            bgd = np.zeros((1, 65), np.float64)
            fgd = np.zeros((1, 65), np.float64)
            cv2.grabCut(work, labels, None, bgd, fgd, self.iterations, cv2.GC_INIT_WITH_MASK)
        fg = ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).astype(np.float32)
        prob = np.clip(roi.from_work(fg), 0.0, 1.0)
        mask = np.zeros((image.height, image.width), bool)
        roi.crop(mask)[:] = prob > 0.5
        return MaskOutput(
            mask=mask,
            prob=prob,
            prob_box=roi.box,
            score=None,
            state={},
            report=StageReport(
                "coarse",
                self.name,
                learned=False,
                model="opencv.grabCut",
                settings={
                    "iterations": self.iterations,
                    "work_scale": round(roi.scale, 4),
                    "from_previous": previous is not None,
                },
            ),
        )
