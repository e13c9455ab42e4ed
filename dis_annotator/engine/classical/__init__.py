"""Classical stages that need no weights: GrabCut coarse, guided-filter refiner."""

from dis_annotator.engine.classical.grabcut import GrabCutStage
from dis_annotator.engine.classical.refine import ClassicalRefiner

__all__ = ["ClassicalRefiner", "GrabCutStage"]
