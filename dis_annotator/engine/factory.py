"""Builds the best pipeline the installed weights allow, and says what is classical.

Composition (docs/adr/0090): the factory builds each shared piece once and passes it in.
One :class:`~dis_annotator.engine.sam_backbone.SamBackbone` (model, device, embedding
cache, crop policy) serves the SAM coarse stage and Pi-SAM; Pi-SAM's box path is an
option of the SAM coarse stage. Every learned loader is a ``load_default(*, …)`` with
explicit keyword arguments that finds its checkpoint with
:func:`~dis_annotator.engine.weights.resolve_weights` and its device with
:func:`~dis_annotator.engine.device.pick_device`; it returns None when its weights are
not installed and raises :class:`WeightsError` for a checkpoint that exists but cannot be
used. A broken checkpoint never stops the app: the classical stage takes over and a note
says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, TypeVar

from dis_annotator.engine.device import pick_device
from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.pipeline import Pipeline

if TYPE_CHECKING:
    from dis_annotator.engine.pisam_stage import PiSam
    from dis_annotator.engine.sam_backbone import SamBackbone
    from dis_annotator.engine.stages import CoarseStage, CorrectStage, RefineStage

log = logging.getLogger(__name__)

EngineChoice = Literal["auto", "classical", "sam"]
RefinerChoice = Literal["auto", "classical", "is5net", "none"]
CorrectorChoice = Literal["auto", "classical", "pisam"]

HOW_TO_GET = {
    "sam": "dis-annotator models download mobile_sam (41 MB, for a CPU) or sam_vit_b (or: models import PATH)",
    "is5net": "dis-annotator models download dis_sam (or train one: dis-annotator train refiner)",
    "pisam": "train one: dis-annotator train pisam --stage 1, then --stage 2",
}

T = TypeVar("T")


def _attempt(what: str, load: Callable[[], T | None], notes: list[str], required: bool) -> T | None:
    """Run a learned loader; a refused checkpoint becomes a note unless ``required``."""
    try:
        loaded = load()
    except WeightsError as exc:
        if required:
            raise
        notes.append(f"{what}: checkpoint refused ({exc}); using the classical stage")
        log.warning("%s refused: %s", what, exc)
        return None
    if loaded is None and required:
        raise WeightsError(f"no weights installed for {what}")
    return loaded


def build_pipeline(
    engine: EngineChoice = "auto",
    refiner: RefinerChoice = "auto",
    corrector: CorrectorChoice = "auto",
    device: str | None = None,
    *,
    sam_model: str | None = None,
    crop_to_box: bool = False,
    cpu_bf16: bool = False,
    pisam_boxes: bool = True,
    refine_after_correct: bool | None = None,
) -> Pipeline:
    """Compose coarse/correct/refine stages.

    ``auto`` picks the learned stage when its weights are installed, else the classical
    one; naming a learned stage explicitly makes its absence an error
    (:class:`WeightsError`). ``device``: where learned stages run (default
    :func:`pick_device`). SAM options: ``sam_model`` (a name such as ``vit_l`` or
    ``mobile_sam``, a checkpoint path, or None / "auto" for ``sam_choice.auto_order``),
    ``crop_to_box``, ``cpu_bf16``. ``pisam_boxes`` (default True) sends
    box prompts through Pi-SAM's HR decoder when Pi-SAM is installed;
    ``refine_after_correct`` decides whether the refiner also runs after a click correction
    (default: yes after Pi-SAM, no after the classical local corrector, whose edits are final).
    An unknown option is a ``TypeError``.
    """
    notes: list[str] = []
    backbone = _backbone(engine, device, sam_model, crop_to_box, cpu_bf16, notes)
    if backbone is None:
        notes.append(f"coarse stage is classical (GrabCut); for SAM: {HOW_TO_GET['sam']}")
    refine_stage = _refiner(refiner, device, notes)
    pisam = _pisam(corrector, backbone, notes)
    coarse = _coarse(backbone, pisam if pisam_boxes else None)
    correct_stage = _corrector(pisam, backbone, notes)
    any_learned = backbone is not None or (refine_stage is not None and refine_stage.learned)
    # Every learned loader asked pick_device with the same argument: this is where they run.
    learned_device = str(pick_device(device)) if any_learned else "cpu"
    return Pipeline(
        coarse=coarse,
        refiner=refine_stage,
        corrector=correct_stage,
        # The classical corrector's edits are final: the refiner would re-decide the whole
        # ROI and undo their locality.
        refine_after_correct=(
            not (correct_stage is not None and not correct_stage.learned)
            if refine_after_correct is None
            else refine_after_correct
        ),
        notes=notes,
        backbone=backbone,
        device=learned_device,
    )


def _backbone(
    engine: EngineChoice,
    device: str | None,
    sam_model: str | None,
    crop_to_box: bool,
    cpu_bf16: bool,
    notes: list[str],
) -> SamBackbone | None:
    """The one SAM backbone, or None (classical engine, or no SAM weights)."""
    if engine not in ("auto", "sam"):
        return None
    from dis_annotator.engine import sam_backbone

    return _attempt(
        "sam_stage",
        lambda: sam_backbone.load_default(
            device=device, sam_model=sam_model, crop_to_box=crop_to_box, cpu_bf16=cpu_bf16
        ),
        notes,
        required=engine == "sam",
    )


def _refiner(choice: RefinerChoice, device: str | None, notes: list[str]) -> RefineStage | None:
    stage: RefineStage | None = None
    if choice in ("auto", "is5net"):
        from dis_annotator.engine import is5net_stage

        stage = _attempt(
            "is5net_stage",
            lambda: is5net_stage.load_default(device=device),
            notes,
            required=choice == "is5net",
        )
    if stage is None and choice != "none":
        from dis_annotator.engine.classical import ClassicalRefiner

        stage = ClassicalRefiner()
        notes.append(
            f"refine stage is classical (edge-aware guided filter); for IS5Net: {HOW_TO_GET['is5net']}"
        )
    return stage


def _pisam(choice: CorrectorChoice, backbone: SamBackbone | None, notes: list[str]) -> PiSam | None:
    """Pi-SAM on the backbone when asked for (or ``auto``) and installed."""
    if choice not in ("auto", "pisam"):
        return None
    if backbone is None:
        if choice == "pisam":
            raise WeightsError("the Pi-SAM corrector needs SAM weights as well")
        return None
    if choice == "pisam" and not backbone.has_interm:
        raise WeightsError("the Pi-SAM corrector needs SAM ViT-B's intermediate features; "
                           f"{backbone.name} has none (use sam_vit_b)")
    from dis_annotator.engine import pisam_stage

    return _attempt(
        "pisam_stage",
        lambda: pisam_stage.load_default(backbone=backbone),
        notes,
        required=choice == "pisam",
    )


def _coarse(backbone: SamBackbone | None, box_path: PiSam | None) -> CoarseStage:
    if backbone is None:
        from dis_annotator.engine.classical import GrabCutStage

        return GrabCutStage()
    from dis_annotator.engine.sam_stage import SamCoarseStage

    return SamCoarseStage(backbone, box_path=box_path)


def _corrector(
    pisam: PiSam | None, backbone: SamBackbone | None, notes: list[str]
) -> CorrectStage | None:
    """Pi-SAM's interactor when installed; the classical local corrector for the classical
    engine (docs/adr/0105); otherwise None: SAM re-prompting with its previous logits."""
    if pisam is not None:
        from dis_annotator.engine.pisam_stage import PiSamCorrector

        return PiSamCorrector(pisam)
    if backbone is None:
        from dis_annotator.engine.classical.corrector import LocalCorrector

        notes.append(f"clicks are handled by local GrabCut corrections; for Pi-SAM: {HOW_TO_GET['pisam']}")
        return LocalCorrector()
    if not backbone.has_interm:
        notes.append(
            "clicks are handled by SAM re-prompting with previous logits: Pi-SAM needs SAM "
            f"ViT-B's intermediate features, which {backbone.name} lacks"
        )
        return None
    notes.append(
        f"clicks are handled by SAM re-prompting with previous logits; for Pi-SAM: {HOW_TO_GET['pisam']}"
    )
    return None
