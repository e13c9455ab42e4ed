"""When a box result is empty or almost empty, and so must not pass silently (issue 17).

"Almost empty" is a small blob in a big box: few pixels *and* a small extent. A thin
object drawn across its box (a wire, a spoke) has few pixels but spans the box, so
pixel count alone would call every wire a failure.
"""

from __future__ import annotations

import numpy as np

from dis_annotator.engine.types import Box

MIN_PIXELS = 16
MAX_AREA_FRACTION = 0.005
MAX_EXTENT_FRACTION = 0.25


def box_result_problem(mask: np.ndarray, box: Box) -> str | None:
    """A sentence saying why ``mask`` (H×W bool) is no answer for ``box``, else None."""
    x0, y0, x1, y1 = box.int_bounds()
    inside = mask[max(0, y0) : y1, max(0, x0) : x1]
    bh, bw = inside.shape
    area = int(np.count_nonzero(inside))
    if area == 0:
        return f"empty result for box {[x0, y0, x1, y1]}"
    if area >= max(MIN_PIXELS, MAX_AREA_FRACTION * bw * bh):
        return None
    extent = Box.from_mask(inside)
    assert extent is not None
    if extent.width < MAX_EXTENT_FRACTION * bw and extent.height < MAX_EXTENT_FRACTION * bh:
        return (f"almost empty result for box {[x0, y0, x1, y1]}: {area} px in "
                f"{int(extent.width)}x{int(extent.height)}")
    return None
