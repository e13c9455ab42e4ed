"""Builds the best pipeline the installed weights allow, and says what is classical.

Learned stages live in their own modules, each exposing ``load_default(...)`` that
returns a ready stage, or ``None`` when its weights are not installed, and raises
:class:`WeightsError` for a checkpoint that exists but cannot be used. A broken
checkpoint never stops the app: the classical stage takes over and a note says why.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any, Literal

from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.pipeline import Pipeline

log = logging.getLogger(__name__)

EngineChoice = Literal["auto", "classical", "sam"]
RefinerChoice = Literal["auto", "classical", "is5net", "none"]
CorrectorChoice = Literal["auto", "classical", "pisam"]

HOW_TO_GET = {
    "sam": "dis-annotator models download sam_vit_b (or: models import PATH)",
    "is5net": "dis-annotator models download dis_sam (or train one: dis-annotator train refiner)",
    "pisam": "train one: dis-annotator train pisam --stage 1, then --stage 2",
}


def _load_learned(module: str, notes: list[str], required: bool, **kwargs: Any) -> Any:
    """Import ``dis_annotator.engine.<module>`` and call its ``load_default``."""
    mod = importlib.import_module(f"dis_annotator.engine.{module}")
    try:
        stage = mod.load_default(**kwargs)
    except WeightsError as exc:
        if required:
            raise
        notes.append(f"{module}: checkpoint refused ({exc}); using the classical stage")
        log.warning("%s refused: %s", module, exc)
        return None
    if stage is None and required:
        raise WeightsError(f"no weights installed for {module}")
    return stage


def build_pipeline(
    engine: EngineChoice = "auto",
    refiner: RefinerChoice = "auto",
    corrector: CorrectorChoice = "auto",
    device: str | None = None,
    **options: Any,
) -> Pipeline:
    """Compose coarse/correct/refine stages.

    ``auto`` picks the learned stage when its weights are installed, else the classical
    one; naming a learned stage explicitly makes its absence an error
    (:class:`WeightsError`). ``options`` are passed to learned loaders (e.g.
    ``sam_model="vit_b"``, ``crop_to_box=True``, ``cpu_bf16=True``); ``refine_after_correct``
    decides whether the refiner also runs after a click correction (default: yes after
    Pi-SAM, no after the classical local corrector, whose edits are final).
    """
    from dis_annotator.engine.classical import ClassicalRefiner, GrabCutStage

    # Pipeline-level switches; everything else in ``options`` is for the SAM loader.
    pisam_boxes = bool(options.pop("pisam_boxes", True))
    refine_after_correct = options.pop("refine_after_correct", None)
    notes: list[str] = []
    coarse = None
    if engine in ("auto", "sam"):
        coarse = _load_learned(
            "sam_stage", notes, required=engine == "sam", device=device, **options
        )
    if coarse is None:
        coarse = GrabCutStage()
        notes.append(f"coarse stage is classical (GrabCut); for SAM: {HOW_TO_GET['sam']}")

    refine_stage = None
    if refiner in ("auto", "is5net"):
        refine_stage = _load_learned(
            "is5net_stage", notes, required=refiner == "is5net", device=device
        )
    if refine_stage is None and refiner != "none":
        refine_stage = ClassicalRefiner()
        notes.append(
            f"refine stage is classical (edge-aware guided filter); for IS5Net: {HOW_TO_GET['is5net']}"
        )

    correct_stage = None
    if corrector in ("auto", "pisam") and getattr(coarse, "learned", False):
        correct_stage = _load_learned(
            "pisam_stage", notes, required=corrector == "pisam", sam_stage=coarse, device=device
        )
        if correct_stage is not None and pisam_boxes:
            # Boxes go through Pi-SAM's high-resolution decoder, clicks through its interactor.
            coarse = correct_stage.coarse_stage()
    elif corrector == "pisam":
        raise WeightsError("the Pi-SAM corrector needs SAM weights as well")
    if correct_stage is None and not coarse.learned:
        # Classical clicks: local, cumulative corrections (docs/adr/0105). Their edits are
        # final — the refiner would re-decide the whole ROI and undo locality.
        from dis_annotator.engine.classical.corrector import LocalCorrector

        correct_stage = LocalCorrector()
        if refine_after_correct is None:
            refine_after_correct = False
        notes.append(f"clicks are handled by local GrabCut corrections; for Pi-SAM: {HOW_TO_GET['pisam']}")
    elif correct_stage is None:
        notes.append(
            f"clicks are handled by SAM re-prompting with previous logits; for Pi-SAM: {HOW_TO_GET['pisam']}"
        )

    return Pipeline(
        coarse=coarse,
        refiner=refine_stage,
        corrector=correct_stage,
        refine_after_correct=True if refine_after_correct is None else bool(refine_after_correct),
        notes=notes,
    )
