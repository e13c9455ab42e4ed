"""Helpers that drive the canvas with real mouse and key events (QTest via qtbot)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt


def at(window, x: float, y: float) -> QPoint:
    """The canvas widget position showing image pixel centre (x, y)."""
    p = window.canvas.to_screen(x + 0.5, y + 0.5).toPoint()
    assert window.canvas.rect().contains(p), f"image pixel ({x}, {y}) is off screen at {p}"
    return p


def image_pos(window, pos: QPoint) -> tuple[float, float]:
    p = window.canvas.to_image(QPointF(pos))
    return (p.x(), p.y())


def drag(qtbot, window, start: tuple[float, float], end: tuple[float, float], steps: int = 6) -> list[QPoint]:
    """Left-drag on the canvas from image pixel ``start`` to ``end``; returns the positions used."""
    c = window.canvas
    a, b = at(window, *start), at(window, *end)
    positions = [a]
    qtbot.mousePress(c, Qt.MouseButton.LeftButton, pos=a)
    for i in range(1, steps + 1):
        p = QPoint(round(a.x() + (b.x() - a.x()) * i / steps), round(a.y() + (b.y() - a.y()) * i / steps))
        qtbot.mouseMove(c, p)
        positions.append(p)
    qtbot.mouseRelease(c, Qt.MouseButton.LeftButton, pos=b)
    return positions


def click(qtbot, window, x: float, y: float, button=Qt.MouseButton.LeftButton, shift: bool = False) -> None:
    mod = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    qtbot.mouseClick(window.canvas, button, mod, at(window, x, y))


def idle(window) -> bool:
    c = window.controller
    return not window.worker.busy() and not c._pending and not window.canvas.overlay.busy()


def wait_idle(qtbot, window, timeout: int = 20000) -> None:
    qtbot.waitUntil(lambda: idle(window), timeout=timeout)
    qtbot.wait(20)  # let queued result signals land


def key(qtbot, window, k, mod=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(window.canvas, k, mod)
