"""Which SAM to use: the ``auto`` search order and the first-run recommendation.

Qt-free and torch-free (the UI may call :func:`recommended_sam` on its own thread when it
passes the device type it got from the inference thread). docs/adr/0112.
"""

from __future__ import annotations

from dataclasses import dataclass

CPU_ORDER = ("sam_vit_b", "mobile_sam", "sam_vit_l", "sam_vit_h")
"""On CPU: ViT-B when the user has it, else MobileSAM, before the slow large models."""
GPU_ORDER = ("sam_vit_h", "sam_vit_l", "sam_vit_b", "mobile_sam")
"""On a GPU (CUDA, Apple MPS): the largest installed SAM."""

# One line each for the first-run offer. Timings: benchmarks/sam_latency.py on the 2-core
# CPU the project is developed on (random weights; encode per image, clicks are ~0.1 s).
_BLURBS = {
    ("mobile_sam", "cpu"): "MobileSAM: {size}, about 1–2 s per image on CPU",
    ("sam_vit_b", "cpu"): "SAM ViT-B: {size}, more accurate, 8–17 s per image on CPU",
    ("sam_vit_b", "gpu"): "SAM ViT-B: {size}, the reference SAM, fast on this GPU",
    ("mobile_sam", "gpu"): "MobileSAM: {size}, a smaller download, less accurate",
}


def _kind(device: str) -> str:
    return "cpu" if device.split(":")[0].strip().lower() == "cpu" else "gpu"


def auto_order(device: str) -> tuple[str, ...]:
    """Manifest names ``auto`` tries, first installed wins; ``device`` e.g. "cpu", "cuda:0"."""
    return CPU_ORDER if _kind(device) == "cpu" else GPU_ORDER


@dataclass(frozen=True)
class SamOffer:
    """One model to offer: manifest ``name`` (for ``weights.download``) and a one-line blurb."""

    name: str
    blurb: str


@dataclass(frozen=True)
class SamRecommendation:
    """What the first-run offer shows: the recommended model, then the other choice."""

    recommended: SamOffer
    alternatives: tuple[SamOffer, ...]

    @property
    def name(self) -> str:
        return self.recommended.name

    @property
    def blurb(self) -> str:
        return self.recommended.blurb


def _offer(name: str, kind: str) -> SamOffer:
    from dis_annotator.engine.weights import manifest

    size = manifest.get(name).size
    text = "?" if size is None else f"{size / 1e6:.0f} MB"
    return SamOffer(name, _BLURBS[(name, kind)].format(size=text))


def recommended_sam(device: str | None = None) -> SamRecommendation:
    """The SAM to offer on first run: MobileSAM on CPU (ViT-B still offered), ViT-B on a GPU.

    ``device`` is the type the pipeline runs on ("cpu", "cuda", "mps"; pass the
    inference thread's ``stage.device.type``). None asks torch (not on the UI thread:
    importing torch there costs seconds).
    """
    if device is None:
        from dis_annotator.engine.device import pick_device

        device = pick_device().type
    if _kind(device) == "cpu":
        return SamRecommendation(_offer("mobile_sam", "cpu"), (_offer("sam_vit_b", "cpu"),))
    return SamRecommendation(_offer("sam_vit_b", "gpu"), (_offer("mobile_sam", "gpu"),))
