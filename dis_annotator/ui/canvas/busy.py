"""What the canvas shows while a request runs and when it came back empty.

While a box (or click) is being segmented its outline (or marker) stays on the canvas
with a small spinner and the step's name next to it; an empty result leaves a one-line
notice by its box. Only state and painting here; the view animates, the controller
decides (issue 14).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen

SPIN = 9  # spinner radius, screen px


@dataclass
class Mark:
    rect: tuple[float, float, float, float]  # image coords; a click: a zero-size rect
    kind: str  # "box" | "click"
    step: str = "Segmenting…"


class BusyMarks:
    def __init__(self) -> None:
        self.marks: dict[str, Mark] = {}
        self.notice: tuple[str, tuple[float, float, float, float]] | None = None
        self.angle = 0

    def set(self, obj_id: str, rect: tuple[float, float, float, float], kind: str, step: str) -> None:
        self.marks[obj_id] = Mark(rect, kind, step)

    def drop(self, obj_id: str) -> bool:
        return self.marks.pop(obj_id, None) is not None

    def clear(self) -> None:
        self.marks.clear()
        self.notice = None

    def set_step(self, step: str) -> None:
        for m in self.marks.values():
            m.step = step

    # --- geometry (screen) -------------------------------------------------------------
    @staticmethod
    def _anchor(m: Mark, to_screen: Callable[[float, float], QPointF]) -> QPointF:
        """Where the spinner sits: just outside the box's top-right corner; beside a click."""
        if m.kind == "box":
            p = to_screen(m.rect[2], m.rect[1])
            return QPointF(p.x() + SPIN + 4, p.y() + SPIN + 2)
        p = to_screen(m.rect[0], m.rect[1])
        return QPointF(p.x() + SPIN + 10, p.y())

    def regions(self, to_screen: Callable[[float, float], QPointF], fm: QFontMetrics) -> list[QRect]:
        """Screen rectangles the spinner animation repaints (not the whole canvas)."""
        out = []
        for m in self.marks.values():
            a = self._anchor(m, to_screen)
            w = fm.horizontalAdvance(m.step) + 2 * SPIN + 24
            out.append(QRectF(a.x() - SPIN - 4, a.y() - SPIN - 4, w, 2 * SPIN + 8).toAlignedRect())
        return out

    # --- painting ----------------------------------------------------------------------
    def paint(self, painter: QPainter, to_screen: Callable[[float, float], QPointF], area: QRect) -> None:
        """``area``: the widget's rectangle; the notice stays inside it."""
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        fm = painter.fontMetrics()
        for m in self.marks.values():
            if m.kind == "box":
                r = QRectF(to_screen(m.rect[0], m.rect[1]), to_screen(m.rect[2], m.rect[3]))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(QPen(QColor(0, 0, 0, 150), 3))
                painter.drawRect(r)
                painter.setPen(QPen(QColor(120, 190, 255), 1.5, Qt.PenStyle.DashLine))
                painter.drawRect(r)
            a = self._anchor(m, to_screen)
            label = QRectF(a.x() - SPIN - 3, a.y() - SPIN - 3, fm.horizontalAdvance(m.step) + 2 * SPIN + 16,
                           2 * SPIN + 6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(20, 22, 26, 200))
            painter.drawRoundedRect(label, 6, 6)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(255, 255, 255, 60), 2.5))
            painter.drawEllipse(a, SPIN - 3, SPIN - 3)
            painter.setPen(QPen(QColor(240, 195, 109), 2.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            arc = QRectF(a.x() - SPIN + 3, a.y() - SPIN + 3, 2 * SPIN - 6, 2 * SPIN - 6)
            painter.drawArc(arc, -self.angle * 16, 100 * 16)
            painter.setPen(QColor(235, 238, 242))
            painter.drawText(QRectF(a.x() + SPIN + 2, label.top(), label.width(), label.height()),
                             int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), m.step)
        if self.notice is not None:
            text, rect = self.notice
            where = QRectF(to_screen(rect[0], rect[1]), to_screen(rect[2], rect[3]))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(0, 0, 0, 150), 3))
            painter.drawRect(where)
            painter.setPen(QPen(QColor(240, 163, 109), 1.5, Qt.PenStyle.DashLine))
            painter.drawRect(where)  # where the box was: the notice speaks of it
            a = to_screen(rect[0], rect[3])
            box = QRectF(a.x(), a.y() + 6, fm.horizontalAdvance(text) + 20, fm.height() + 10)
            if box.bottom() > area.bottom() - 4:  # a box at the bottom: the notice goes above it
                top = to_screen(rect[0], rect[1]).y()
                box.moveBottom(top - 6)
            box.moveLeft(max(area.left() + 4, min(box.left(), area.right() - box.width() - 4)))
            box.moveTop(max(area.top() + 4, box.top()))
            painter.setPen(QPen(QColor(240, 163, 109), 1.2))
            painter.setBrush(QColor(50, 34, 24, 230))
            painter.drawRoundedRect(box, 6, 6)
            painter.setPen(QColor(255, 226, 200))
            painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()
