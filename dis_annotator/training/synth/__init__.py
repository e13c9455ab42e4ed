"""Synthetic DIS-like data with exact ground truth (thin and meshed objects on hard backgrounds).

Public API: :func:`generate_sample`, :class:`SynthSample`, :data:`KINDS`,
:func:`write_dataset` (DIS5K layout). See ``sample.py`` for the recipe and
docs/adr/0020 for why the GT is the supersampled coverage > 0.5.
"""

from dis_annotator.training.synth.dataset import DEFAULT_SPLITS, split_counts, write_dataset
from dis_annotator.training.synth.sample import KINDS, SynthSample, generate_sample

__all__ = [
    "DEFAULT_SPLITS",
    "KINDS",
    "SynthSample",
    "generate_sample",
    "split_counts",
    "write_dataset",
]
