"""DIS evaluation measures (as the DIS papers report them) and evaluation runners.

Per image, ``pred`` is an H×W uint8 map (0–255, soft or binary) and ``gt`` an H×W uint8
mask (binarised at > 128) of the same size. Definitions and tie-breaking follow the
standard SOD toolboxes (PySODMetrics) and the DIS authors' HCE code; see docs/adr/0011.
"""

from dis_annotator.metrics.emeasure import emeasure_curve
from dis_annotator.metrics.evaluator import COLUMNS, DISEvaluator, ImageScores, score_image
from dis_annotator.metrics.fmeasure import fmeasure_curve
from dis_annotator.metrics.hce import HCEParts, hce, hce_parts
from dis_annotator.metrics.mae import mae
from dis_annotator.metrics.skeleton import SkeletonCache, gt_skeleton
from dis_annotator.metrics.smeasure import s_measure
from dis_annotator.metrics.wfmeasure import weighted_fmeasure

__all__ = [
    "COLUMNS",
    "DISEvaluator",
    "HCEParts",
    "ImageScores",
    "SkeletonCache",
    "emeasure_curve",
    "fmeasure_curve",
    "gt_skeleton",
    "hce",
    "hce_parts",
    "mae",
    "s_measure",
    "score_image",
    "weighted_fmeasure",
]
