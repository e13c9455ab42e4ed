"""Where a mask is probably wrong: a per-pixel uncertainty, the suggested next click and
the estimated corrections left (issue 15, docs/adr/0150).

One module per idea: ``window`` (where and at what scale), ``sources`` (per-source
probabilities of a wrong label), ``hypothesis`` (a second cut of the box and where it
disagrees, docs/adr/0153), ``estimate`` (their fusion and the result type),
``suggest`` (the next click), ``effort`` (HCE-like corrections left).
"""

from dis_annotator.engine.uncertainty.estimate import (
    Uncertainty,
    UncertaintyEstimator,
    estimate_uncertainty,
)

__all__ = ["Uncertainty", "UncertaintyEstimator", "estimate_uncertainty"]
