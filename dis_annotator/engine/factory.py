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
    (default True) decides whether the refiner also runs after a Pi-SAM click correction.
    """
    from dis_annotator.engine.classical import ClassicalRefiner, GrabCutStage

    # Pipeline-level switches; everything else in ``options`` is for the SAM loader.
    pisam_boxes = bool(options.pop("pisam_boxes", True))
    refine_after_correct = bool(options.pop("refine_after_correct", True))
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
    if correct_stage is None and not getattr(coarse, "has_interm", True):
        notes.append(
            "clicks are handled by SAM re-prompting with previous logits: Pi-SAM needs SAM "
            f"ViT-B's intermediate features, which {coarse.name} lacks"
        )
    elif correct_stage is None:
        how = "SAM re-prompting with previous logits" if coarse.learned else "GrabCut hard seeds"
        notes.append(f"clicks are handled by {how}; for Pi-SAM: {HOW_TO_GET['pisam']}")

    return Pipeline(
        coarse=coarse,
        refiner=refine_stage,
        corrector=correct_stage,
        refine_after_correct=refine_after_correct,
        notes=notes,
    )
