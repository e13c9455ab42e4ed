"""``Pipeline``: composes whichever stages exist and records where a mask came from."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dis_annotator.engine.constraints import apply_click_constraints
from dis_annotator.engine.stages import CoarseStage, CorrectStage, RefineStage
from dis_annotator.engine.types import (
    ImageData,
    IsCurrent,
    MaskOutput,
    OnPartial,
    Request,
    Result,
    StageReport,
    Superseded,
)


@dataclass
class Pipeline:
    """coarse (or correct) → refine, with checks for superseded requests between stages.

    ``corrector`` handles follow-up clicks on an object that already has a mask; without
    one the coarse stage is re-run with every prompt so far and the previous output (SAM
    re-prompting with its previous logits, or GrabCut with hard seeds).
    ``notes`` are human sentences about what is classical and how to get learned stages.
    """

    coarse: CoarseStage
    refiner: RefineStage | None = None
    corrector: CorrectStage | None = None
    refine_after_correct: bool = True
    notes: list[str] = field(default_factory=list)

    def describe(self) -> list[dict[str, Any]]:
        """One entry per stage: role, name, learned — for status bars and ``--version``."""
        rows = [{"stage": "coarse", "name": self.coarse.name, "learned": self.coarse.learned}]
        if self.corrector is not None:
            rows.append(
                {"stage": "correct", "name": self.corrector.name, "learned": self.corrector.learned}
            )
        else:
            rows.append(
                {"stage": "correct", "name": f"{self.coarse.name} (re-prompt)",
                 "learned": self.coarse.learned}
            )
        if self.refiner is not None:
            rows.append(
                {"stage": "refine", "name": self.refiner.name, "learned": self.refiner.learned}
            )
        return rows

    def summary(self) -> str:
        """e.g. ``coarse=grabcut (classical), refine=guided-filter (classical)``."""
        return ", ".join(
            f"{r['stage']}={r['name']} ({'learned' if r['learned'] else 'classical'})"
            for r in self.describe()
        )

    def prepare(self, image: ImageData, is_current: IsCurrent | None = None) -> None:
        """Per-image work (SAM embedding) so that later prompts are fast."""
        self.coarse.prepare(image, is_current)

    def run(
        self,
        request: Request,
        on_partial: OnPartial | None = None,
        is_current: IsCurrent | None = None,
    ) -> Result:
        """Run the stages for ``request``.

        Raises ``ValueError`` for an unusable prompt and :class:`Superseded` when
        ``is_current`` turns False between stages.
        """
        image = request.image
        prompt = request.prompt.validated(image.width, image.height)
        check = is_current or (lambda: True)
        reports: list[StageReport] = []

        def timed(stage_role: str, stage: Any, call: Callable[[], MaskOutput]) -> MaskOutput:
            if not check():
                raise Superseded(request.object_id)
            t0 = time.perf_counter()
            out = call()
            ms = (time.perf_counter() - t0) * 1000.0
            report = out.report or StageReport(stage_role, stage.name, stage.learned)
            report.stage = stage_role
            report.ms = ms
            out.report = report
            reports.append(report)
            return out

        correcting = request.previous is not None and bool(prompt.points)
        if correcting and self.corrector is not None:
            previous = request.previous
            out = timed(
                "correct",
                self.corrector,
                lambda: self.corrector.correct(image, prompt, previous),  # type: ignore[union-attr]
            )
        else:
            self.coarse.prepare(image, check)
            out = timed(
                "coarse", self.coarse, lambda: self.coarse.predict(image, prompt, request.previous)
            )

        use_refiner = self.refiner is not None and (
            not (correcting and self.corrector is not None) or self.refine_after_correct
        )
        if use_refiner:
            if on_partial is not None:
                on_partial(Result(request.object_id, request.generation, out, list(reports), True))
            coarse = out
            refined = timed(
                "refine", self.refiner, lambda: self.refiner.refine(image, coarse, prompt)  # type: ignore[union-attr]
            )
            # The next correction continues from the coarse stage's own state (SAM logits).
            refined.state = {**coarse.state, **refined.state}
            out = refined
        if not check():
            raise Superseded(request.object_id)
        # Clicks are hard constraints for every engine: repair violations locally.
        out = apply_click_constraints(image, out, prompt)
        return Result(request.object_id, request.generation, out, reports, False)
