"""The three stage protocols of the house plan: coarse, correct, refine.

A stage is any object with a ``name``, a ``learned`` flag and the one method of its
protocol. Stages are Qt-free and are only ever called from the inference thread.
What stages share (the SAM backbone, Pi-SAM's decoder) is built once by the factory and
passed to their constructors as typed arguments; a stage never reaches into another
stage, and callers outside the engine use only ``Pipeline`` (docs/adr/0090).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from dis_annotator.engine.types import ImageData, IsCurrent, MaskOutput, Prompt


@runtime_checkable
class CoarseStage(Protocol):
    """Finds the object from a box and/or clicks (SAM decoder, or GrabCut)."""

    name: str
    learned: bool

    def prepare(self, image: ImageData, is_current: IsCurrent | None = None) -> None:
        """Do per-image work ahead of prompts (e.g. SAM's image embedding).

        Must be safe to call repeatedly (cached) and may return early when
        ``is_current`` turns False.
        """
        ...

    def predict(
        self, image: ImageData, prompt: Prompt, previous: MaskOutput | None
    ) -> MaskOutput:
        """Full-resolution mask for ``prompt``; ``previous`` is this object's last output."""
        ...


@runtime_checkable
class CorrectStage(Protocol):
    """Turns FG/BG clicks on an existing mask into a corrected mask (Pi-SAM interactor)."""

    name: str
    learned: bool

    def correct(self, image: ImageData, prompt: Prompt, previous: MaskOutput) -> MaskOutput:
        """``prompt.points`` holds all clicks so far, in order; ``previous`` the last output."""
        ...


@runtime_checkable
class RefineStage(Protocol):
    """Sharpens a coarse mask at full resolution (IS5Net, or an edge-aware filter)."""

    name: str
    learned: bool

    def refine(self, image: ImageData, coarse: MaskOutput, prompt: Prompt) -> MaskOutput:
        """Refined full-resolution mask; must keep ``coarse.state`` untouched."""
        ...
