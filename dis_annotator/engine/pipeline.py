"""``Pipeline``: composes whichever stages exist and records where a mask came from."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from dis_annotator.engine.constraints import apply_click_constraints
from dis_annotator.engine.empty_result import box_result_problem
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

Stage = CoarseStage | CorrectStage | RefineStage

if TYPE_CHECKING:  # sam_backbone imports torch; this module is on the UI's start-up path
    from dis_annotator.engine.sam_backbone import SamBackbone


@dataclass
class Pipeline:
    """coarse (or correct) → refine, with checks for superseded requests between stages.

    ``corrector`` handles follow-up clicks on an object that already has a mask; without
    one the coarse stage is re-run with every prompt so far and the previous output (SAM
    re-prompting with its previous logits, or GrabCut with hard seeds).
    ``notes`` are human sentences about what is classical and how to get learned stages.

    What callers outside the engine (the UI's inference thread, commands) use is the
    public surface below — ``device``, ``learned``, ``stage_names``, ``prefetches``,
    :meth:`prefetch`, :meth:`prepare`, :meth:`corrects`, :meth:`run`, :meth:`describe`,
    ``notes`` — never the stages themselves (docs/adr/0090). ``backbone`` is the SAM
    backbone the stages share (None without SAM); ``device`` where the learned stages run
    (default: the backbone's, else ``"cpu"``). ``uncertainty``: final results carry
    ``output.uncertainty`` — the band, the suggested click, the effort (docs/adr/0150).
    """

    coarse: CoarseStage
    refiner: RefineStage | None = None
    corrector: CorrectStage | None = None
    refine_after_correct: bool = True
    notes: list[str] = field(default_factory=list)
    backbone: SamBackbone | None = None
    device: str = ""
    uncertainty: bool = True

    def __post_init__(self) -> None:
        if not self.device:
            self.device = str(self.backbone.device) if self.backbone is not None else "cpu"

    @property
    def stage_names(self) -> dict[str, str]:
        """Role → stage name of every stage that can run, e.g. ``{"coarse": "grabcut", …}``."""
        return {r["stage"]: r["name"] for r in self.describe()}

    @property
    def learned(self) -> bool:
        """True when every stage that can run is learned (no classical fallback in use)."""
        return all(r["learned"] for r in self.describe())

    @property
    def prefetches(self) -> bool:
        """True when :meth:`prefetch` does work (a SAM backbone caches image embeddings)."""
        return self.backbone is not None

    def prefetch(self, image: ImageData, is_current: IsCurrent | None = None) -> bool:
        """Pre-encode the next image; True when its embedding is now cached.

        Returns early (False) when ``is_current`` turns False, and at once without a
        backbone (classical stages have nothing to pre-compute).
        """
        if self.backbone is None:
            return False
        return self.backbone.prefetch(image, is_current)

    def corrects(self, request: Request) -> bool:
        """True when ``request`` goes to the corrector (clicks on an existing mask)."""
        return (
            self.corrector is not None
            and request.previous is not None
            and bool(request.prompt.points)
        )

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

        def timed(stage_role: str, stage: Stage, call: Callable[[], MaskOutput]) -> MaskOutput:
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

        correcting = self.corrects(request)
        if correcting:
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

        use_refiner = self.refiner is not None and (not correcting or self.refine_after_correct)
        if use_refiner:
            if on_partial is not None:
                on_partial(Result(request.object_id, request.generation, out, list(reports), True))
            coarse = out
            refined = timed(
                "refine", self.refiner, lambda: self.refiner.refine(image, coarse, prompt)  # type: ignore[union-attr]
            )
            # The next correction continues from the coarse stage's own state (SAM logits).
            refined.state = {**coarse.state, **refined.state}
            refined.failure = refined.failure or coarse.failure
            out = refined
        if out.failure is None and prompt.box is not None and not prompt.points:
            out.failure = box_result_problem(out.mask, prompt.box)
        if not check():
            raise Superseded(request.object_id)
        # Clicks are hard constraints for every engine: repair violations locally.
        out = apply_click_constraints(image, out, prompt)
        if self.uncertainty:
            # Imported here: the estimator pulls in scipy/skimage, off the UI's start-up path.
            from dis_annotator.engine.uncertainty import estimate_uncertainty

            if on_partial is not None:
                # Show the final mask before the estimate (~0.1–0.2 s at 1 MP), so neither a
                # click's answer nor a box's refined mask is held back by the band.
                on_partial(Result(request.object_id, request.generation, out, list(reports), True))
                if not check():
                    raise Superseded(request.object_id)
            # a new output: the partial above may already be on its way to another thread
            out = replace(out, uncertainty=estimate_uncertainty(image, out, prompt))
        return Result(request.object_id, request.generation, out, reports, False)
