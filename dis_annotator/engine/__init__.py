"""Qt-free inference: request/result types, stage protocols, the pipeline and its stages."""

from dis_annotator.engine.errors import WeightsError
from dis_annotator.engine.pipeline import Pipeline
from dis_annotator.engine.types import (
    Box,
    ImageData,
    MaskOutput,
    Point,
    Prompt,
    Request,
    Result,
    StageReport,
    Superseded,
)

__all__ = [
    "Box",
    "ImageData",
    "MaskOutput",
    "Pipeline",
    "Point",
    "Prompt",
    "Request",
    "Result",
    "StageReport",
    "Superseded",
    "WeightsError",
]
