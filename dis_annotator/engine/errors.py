"""Engine exceptions that callers show to people as one line."""

from __future__ import annotations


class WeightsError(RuntimeError):
    """A checkpoint is missing, corrupt, has the wrong keys/shapes/hash, or is unsafe."""
