"""Interaction state machines for the canvas — no Qt, no painting.

A tool receives pointer events already mapped to image pixels and turns them into
*intents* (a box was drawn, a point was clicked, a stroke ended) delivered to a
listener. The view draws whatever :meth:`Tool.preview` describes. Keeping this apart
from the widget (as labelme does with its hit-testing helpers) makes every gesture
testable without a window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from dis_annotator.engine.types import Box, Point

LEFT, RIGHT, MIDDLE = "left", "right", "middle"

# A press that moves less than this many *screen* pixels is a click, not a drag.
CLICK_SLOP_PX = 4.0


@dataclass(frozen=True)
class PointerEvent:
    """``x, y``: image pixels (float); ``sx, sy``: screen pixels; ``scale``: screen/image."""

    x: float
    y: float
    sx: float
    sy: float
    button: str = LEFT
    shift: bool = False
    scale: float = 1.0


class ToolListener(Protocol):
    def box_drawn(self, box: Box) -> None: ...
    def point_clicked(self, point: Point) -> None: ...
    def stroke_finished(self, points: list[tuple[float, float]], radius: float, erase: bool) -> None: ...


@dataclass(frozen=True)
class BoxPreview:
    box: Box


@dataclass(frozen=True)
class StrokePreview:
    points: tuple[tuple[float, float], ...]
    radius: float
    erase: bool


Preview = BoxPreview | StrokePreview | None


class Tool:
    """Base: ignores everything. ``cursor`` names a cursor role for the view."""

    name = "none"
    cursor = "arrow"

    def __init__(self, listener: ToolListener) -> None:
        self.listener = listener

    def press(self, ev: PointerEvent) -> None: ...
    def move(self, ev: PointerEvent) -> None: ...
    def release(self, ev: PointerEvent) -> None: ...

    def cancel(self) -> bool:
        """Drop the gesture in progress; True when there was one (so Esc was used)."""
        return False

    def preview(self) -> Preview:
        return None


class PromptTool(Tool):
    """Left-drag: box (new object). Left-click: FG point. Right-click / Shift+click: BG point."""

    name = "prompt"
    cursor = "cross"

    def __init__(self, listener: ToolListener) -> None:
        super().__init__(listener)
        self._start: PointerEvent | None = None
        self._current: PointerEvent | None = None
        self._dragging = False

    def press(self, ev: PointerEvent) -> None:
        if ev.button in (LEFT, RIGHT):
            self._start, self._current, self._dragging = ev, ev, False

    def move(self, ev: PointerEvent) -> None:
        if self._start is None:
            return
        self._current = ev
        if self._start.button == LEFT and not self._dragging:
            if math.hypot(ev.sx - self._start.sx, ev.sy - self._start.sy) > CLICK_SLOP_PX:
                self._dragging = True

    def release(self, ev: PointerEvent) -> None:
        start = self._start
        if start is None or ev.button != start.button:
            return
        self.move(ev)
        dragging = self._dragging
        self._start, self._current, self._dragging = None, None, False
        if dragging:
            box = Box(min(start.x, ev.x), min(start.y, ev.y), max(start.x, ev.x), max(start.y, ev.y))
            if box.width >= 1 and box.height >= 1:
                self.listener.box_drawn(box)
            return
        positive = start.button == LEFT and not start.shift
        self.listener.point_clicked(Point(start.x, start.y, positive))

    def cancel(self) -> bool:
        had = self._start is not None
        self._start, self._current, self._dragging = None, None, False
        return had

    def preview(self) -> Preview:
        if not self._dragging or self._start is None or self._current is None:
            return None
        s, c = self._start, self._current
        return BoxPreview(Box(min(s.x, c.x), min(s.y, c.y), max(s.x, c.x), max(s.y, c.y)))


class BrushTool(Tool):
    """Left-drag paints (or erases) a round brush of ``radius`` image pixels."""

    cursor = "brush"

    def __init__(self, listener: ToolListener, erase: bool = False, radius: float = 12.0) -> None:
        super().__init__(listener)
        self.erase = erase
        self.radius = radius
        self._points: list[tuple[float, float]] = []
        self._active = False

    @property
    def name(self) -> str:  # type: ignore[override]
        return "eraser" if self.erase else "brush"

    def press(self, ev: PointerEvent) -> None:
        if ev.button == LEFT:
            self._active = True
            self._points = [(ev.x, ev.y)]

    def move(self, ev: PointerEvent) -> None:
        if self._active and (ev.x, ev.y) != self._points[-1]:
            self._points.append((ev.x, ev.y))

    def release(self, ev: PointerEvent) -> None:
        if not self._active or ev.button != LEFT:
            return
        self.move(ev)
        points, self._points, self._active = self._points, [], False
        self.listener.stroke_finished(points, self.radius, self.erase)

    def cancel(self) -> bool:
        had = self._active
        self._points, self._active = [], False
        return had

    def preview(self) -> Preview:
        if not self._active:
            return None
        return StrokePreview(tuple(self._points), self.radius, self.erase)


def preview_bounds(preview: Preview) -> tuple[float, float, float, float] | None:
    """Image-space rectangle ``(x0, y0, x1, y1)`` a preview covers (for partial repaints)."""
    if isinstance(preview, BoxPreview):
        b = preview.box
        return (b.x0, b.y0, b.x1, b.y1)
    if isinstance(preview, StrokePreview) and preview.points:
        xs = [p[0] for p in preview.points]
        ys = [p[1] for p in preview.points]
        r = preview.radius + 1
        return (min(xs) - r, min(ys) - r, max(xs) + r, max(ys) + r)
    return None
