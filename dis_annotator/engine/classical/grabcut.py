"""Classical coarse stage: OpenCV GrabCut from the box, clicks as hard seeds."""

from __future__ import annotations

import cv2
import numpy as np

from dis_annotator.engine.classical.box_cut import BoxCut
from dis_annotator.engine.classical.roi import Roi, make_roi, prompt_region
from dis_annotator.engine.empty_result import box_result_problem
from dis_annotator.engine.types import ImageData, IsCurrent, MaskOutput, Prompt, StageReport


def _seed_radius(roi: Roi) -> int:
    h, w = roi.work_shape
    return max(2, round(0.006 * max(h, w)))


class GrabCutStage:
    """GrabCut on the prompt's region at a capped working resolution.

    A box goes to :class:`BoxCut` (wide background context, Lab, the see-through prior
    and its fallbacks; an empty result is reported in ``failure``, never passed off as a
    mask). With a previous mask (follow-up clicks) GrabCut starts from it, so a click
    corrects the current result. The soft output is the working-resolution mask
    upsampled over the ROI; the refiner recovers full-resolution edges.
    """

    name = "grabcut"
    learned = False

    def __init__(
        self,
        iterations: int = 5,
        max_work_pixels: int = 250_000,
        margin: float = 0.1,
        box_cut: BoxCut | None = None,
    ):
        self.iterations = iterations
        self.max_work_pixels = max_work_pixels
        self.margin = margin
        self.box_cut = box_cut or BoxCut()

    def prepare(self, image: ImageData, is_current: IsCurrent | None = None) -> None:
        """Nothing to precompute: GrabCut has no per-image embedding."""

    def _labels(
        self,
        roi: Roi,
        prompt: Prompt,
        inside: np.ndarray,
        previous: MaskOutput | None,
    ) -> np.ndarray:
        h, w = inside.shape
        labels = np.full((h, w), cv2.GC_BGD, np.uint8)
        if previous is not None and previous.mask is not None:
            prev = roi.to_work(roi.crop(previous.mask).astype(np.float32), cv2.INTER_AREA) > 0.5
            labels[inside] = cv2.GC_PR_BGD
            labels[inside & prev] = cv2.GC_PR_FGD
        elif prompt.box is not None:
            labels[inside] = cv2.GC_PR_FGD
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

    def _grabcut(self, bgr: np.ndarray, labels: np.ndarray) -> np.ndarray:
        fg_any = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
        if fg_any.any() and not fg_any.all():
            bgd = np.zeros((1, 65), np.float64)
            fgd = np.zeros((1, 65), np.float64)
            cv2.setRNGSeed(0)  # GrabCut's k-means init is random: same input, same mask
            cv2.grabCut(bgr, labels, None, bgd, fgd, self.iterations, cv2.GC_INIT_WITH_MASK)
        return (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)

    def predict(
        self, image: ImageData, prompt: Prompt, previous: MaskOutput | None
    ) -> MaskOutput:
        if previous is None and prompt.box is not None:
            roi, fg, init = self.box_cut(image, prompt)
        else:
            roi, fg, init = self._follow_up(image, prompt, previous)
        prob = np.clip(roi.from_work(fg.astype(np.float32)), 0.0, 1.0)
        mask = np.zeros((image.height, image.width), bool)
        roi.crop(mask)[:] = prob > 0.5
        failure = None
        if previous is None and prompt.box is not None:
            failure = box_result_problem(mask, prompt.box)
        return MaskOutput(
            mask=mask,
            prob=prob,
            prob_box=roi.box,
            score=None,
            state={},
            failure=failure,
            report=StageReport(
                "coarse",
                self.name,
                learned=False,
                model="opencv.grabCut",
                settings={
                    "iterations": self.iterations,
                    "work_scale": round(roi.scale, 4),
                    "init": init,
                },
            ),
        )

    def _follow_up(
        self, image: ImageData, prompt: Prompt, previous: MaskOutput | None
    ) -> tuple[Roi, np.ndarray, str]:
        """Clicks on a previous mask, or clicks alone: GrabCut with hard seeds on the ROI."""
        region = prompt_region(prompt, image.width, image.height)
        roi = make_roi(region, image.width, image.height, self.margin, self.max_work_pixels)
        rgb = np.ascontiguousarray(roi.to_work(roi.crop(image.array)))
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        inside = roi.box_mask(prompt.box)
        fg = self._grabcut(bgr, self._labels(roi, prompt, inside, previous))
        return roi, fg, "previous mask" if previous is not None else "clicks"
