"""Object colours that read well as overlays on dark and on light photos.

Mid-luminance, saturated hues (no near-black, near-white or grey) in an order where
neighbours differ strongly, so the first objects of an image are easy to tell apart.
"""

from __future__ import annotations

import colorsys
from collections.abc import Iterable

Color = tuple[int, int, int]

PALETTE: tuple[Color, ...] = (
    (230, 25, 75),    # red
    (60, 180, 75),    # green
    (0, 130, 200),    # blue
    (245, 130, 48),   # orange
    (145, 30, 180),   # purple
    (70, 200, 200),   # cyan
    (240, 50, 230),   # magenta
    (190, 210, 60),   # lime
    (250, 190, 30),   # amber
    (0, 128, 128),    # teal
    (170, 110, 40),   # brown
    (120, 110, 230),  # lavender blue
    (255, 95, 150),   # pink
    (40, 160, 120),   # jade
    (200, 80, 20),    # rust
    (90, 150, 255),   # sky
)


def _generated(i: int) -> Color:
    # Golden-ratio hue walk: endless, well-spread colours once the palette is used up.
    hue = (0.11 + i * 0.618033988749895) % 1.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.75, 0.92)
    return (round(r * 255), round(g * 255), round(b * 255))


def next_color(used: Iterable[Color]) -> Color:
    """The first palette colour not in ``used`` (then generated ones), distinct per object."""
    taken = {tuple(c) for c in used}
    for c in PALETTE:
        if c not in taken:
            return c
    i = 0
    while True:
        c = _generated(i)
        if c not in taken:
            return c
        i += 1
