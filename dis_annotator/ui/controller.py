"""Turns gestures into document commands and inference requests, and results back into
commands; keeps the overlay and the objects panel in step with the document.

Every edit of the document goes through the undo history (``Histories.push``); the
document's change notifications — not the code that caused them — drive repaints and
autosave, so undo/redo, model results and brush strokes all take the same path.
Commands that hold pixels are created with ``compress=False``: ``Histories`` compresses
them on its background thread (docs/adr/0061).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from dis_annotator.annotation.brush import stroke_mask
from dis_annotator.annotation.commands import (
    AddObject,
    ClearEdits,
    DeleteObject,
    PaintMask,
    RenameObject,
    SetMask,
    SetObjectVisible,
)
from dis_annotator.annotation.document import Change, Document, ObjectRecord
from dis_annotator.engine.types import Box, ImageData, Point, Prompt, Result
from dis_annotator.ui.autosave import Autosaver
from dis_annotator.ui.canvas.view import CanvasView
from dis_annotator.ui.effort import object_effort
from dis_annotator.ui.history import Histories
from dis_annotator.ui.panels.objects import ObjectRow, ObjectsPanel
from dis_annotator.ui.worker import InferenceWorker


@dataclass(frozen=True)
class Tag:
    """Travels with a request through the worker and back."""

    doc: Document
    obj_id: str
    prompt: Prompt
    what: str  # "box" | "click"


def _source(obj: ObjectRecord) -> str:
    provenance = obj.provenance
    stages = provenance.get("stages") or []
    if not stages:
        text = "manual" if provenance or obj.edits else ""
    else:
        names = " → ".join(s.get("name", "?") for s in stages)
        text = f"{names}, {provenance.get('total_ms', 0):.0f} ms"
    if obj.edits:
        painted, erased = obj.edits.counts()
        text += f"\nmanual edits (kept by every model run): {painted:,} px painted, {erased:,} px erased"
    return text


class Controller(QObject):
    document_changed = Signal(object)  # Document (any, not only the current one)
    message = Signal(str)  # a one-line error or notice for the status bar
    result_shown = Signal(object, bool)  # provenance dict, partial

    def __init__(
        self,
        canvas: CanvasView,
        objects: ObjectsPanel,
        worker: InferenceWorker,
        histories: Histories,
        autosaver: Autosaver,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.canvas, self.objects, self.worker = canvas, objects, worker
        self.histories, self.autosaver = histories, autosaver
        self.doc: Document | None = None
        self.image: ImageData | None = None
        self.selected: str | None = None
        self.inference_error: str | None = None  # set when the pipeline could not start
        self._pending: dict[tuple[int, str], Prompt] = {}  # (doc, obj) -> prompt in flight
        self._listening: dict[int, object] = {}
        # (doc, obj) -> the engine's Uncertainty of the object's latest model result;
        # dropped when the mask changes any other way (brush, undo), as it no longer fits.
        self._uncertainty: dict[tuple[int, str], object] = {}
        self.suggestion_keys = ("Y", "X")  # set by the window from the shortcut settings
        self._panel_timer = QTimer(self)
        self._panel_timer.setSingleShot(True)
        self._panel_timer.setInterval(0)
        self._panel_timer.timeout.connect(self._refresh_panel)

        canvas.box_drawn.connect(self.on_box)
        canvas.point_clicked.connect(self.on_point)
        canvas.stroke_finished.connect(self.on_stroke)
        objects.selected.connect(lambda oid: self.select(oid or None))
        objects.renamed.connect(self.rename)
        objects.visibility_changed.connect(self.set_visible)
        worker.partial.connect(self.on_partial)
        worker.result.connect(self.on_result)
        worker.failed.connect(self.on_failed)

    # --- documents ---------------------------------------------------------------------
    def watch(self, doc: Document) -> None:
        """Autosave (and, while current, repaint) on every change of ``doc``."""
        if id(doc) in self._listening:
            return

        def listener(change: Change, doc: Document = doc) -> None:
            self._on_change(doc, change)

        doc.subscribe(listener)
        self._listening[id(doc)] = listener

    def unwatch(self, doc: Document) -> None:
        listener = self._listening.pop(id(doc), None)
        if listener is not None:
            doc.unsubscribe(listener)  # type: ignore[arg-type]

    def has_pending(self, doc: Document) -> bool:
        return any(key[0] == id(doc) for key in self._pending)

    def show(self, doc: Document | None, rgb: np.ndarray | None, levels: list[np.ndarray] | None = None) -> None:
        """Make ``doc`` (with its pixels ``rgb``) the document on screen."""
        self.doc = doc
        self.image = ImageData(rgb, name=str(doc.image_path)) if (doc is not None and rgb is not None) else None
        self.selected = None
        self.canvas.set_image(rgb, levels)
        self.histories.activate(doc)
        if doc is not None:
            self.watch(doc)
            for obj in doc:
                self.canvas.overlay.set_mask(obj.id, obj.mask, obj.color, obj.visible)
                self.canvas.edit_outlines.track(obj.id, obj.edits, obj.visible)
            if len(doc):
                self.selected = doc.objects[-1].id
                self._restyle(self.selected)
        self._refresh_panel()
        self._refresh_points()
        self._refresh_uncertainty()
        self.canvas.update()

    def _on_change(self, doc: Document, change: Change) -> None:
        self.autosaver.schedule(doc)
        self.document_changed.emit(doc)
        if change.obj_id is not None and change.kind in ("mask", "objects"):
            if self._uncertainty.pop((id(doc), change.obj_id), None) is not None and doc is self.doc:
                self._refresh_uncertainty()
        if doc is not self.doc:
            return
        overlay, outlines = self.canvas.overlay, self.canvas.edit_outlines
        if change.kind == "objects":
            present = set(doc.ids())
            for obj_id in list(overlay.layers) + list(overlay.previews):
                if obj_id not in present:
                    self.canvas.update_image_rect(overlay.remove(obj_id))
                    self.canvas.update_image_rect(outlines.remove(obj_id))
            obj = doc.find(change.obj_id) if change.obj_id else None
            if obj is not None:
                self.canvas.update_image_rect(overlay.set_mask(obj.id, obj.mask, obj.color, obj.visible))
                self.canvas.update_image_rect(outlines.track(obj.id, obj.edits, obj.visible))
            elif change.obj_id is not None:
                self.canvas.update_image_rect(outlines.remove(change.obj_id))
            if self.selected not in present:
                self.selected = doc.objects[-1].id if len(doc) else None
                if self.selected:
                    self._restyle(self.selected)
        elif change.obj_id is not None:
            obj = doc.find(change.obj_id)
            if obj is not None:
                region = tuple(change.rect) if change.kind == "mask" and change.rect is not None else None
                if change.kind == "mask" and change.rect is None:
                    region = None
                dirty = overlay.set_mask(obj.id, obj.mask, obj.color, obj.visible, region=region)
                self.canvas.update_image_rect(dirty)
                self.canvas.update_image_rect(outlines.track(obj.id, obj.edits, obj.visible))
                if change.kind == "meta":
                    self.canvas.update_image_rect(overlay.bounds(obj.id))
        self._panel_timer.start()
        self._refresh_points()

    # --- selection / object operations ---------------------------------------------------
    def select(self, obj_id: str | None) -> None:
        if obj_id == self.selected:
            return
        old, self.selected = self.selected, obj_id
        for oid in (old, obj_id):
            if oid:
                self._restyle(oid)
        self._refresh_points()
        self._refresh_uncertainty()
        self._panel_timer.start()

    def _restyle(self, obj_id: str) -> None:
        if self.doc is None:
            return
        obj = self.doc.find(obj_id)
        self.canvas.overlay.selected = self.selected
        if obj is not None:
            self.canvas.update_image_rect(self.canvas.overlay.set_mask(obj.id, obj.mask, obj.color, obj.visible))

    def new_object(self, prompt: Prompt | None = None) -> str | None:
        if self.doc is None:
            return None
        record = self.doc.new_object(prompt=prompt)
        old, self.selected = self.selected, record.id
        self.canvas.overlay.selected = record.id
        self.histories.push(self.doc, AddObject(record, compress=False))
        if old:
            self._restyle(old)
        self._refresh_points()
        return record.id

    def delete_selected(self) -> None:
        if self.doc is None or self.selected is None or self.doc.find(self.selected) is None:
            return
        obj_id = self.selected
        self._cancel(self.doc, obj_id)
        self.histories.push(self.doc, DeleteObject(obj_id, compress=False))

    def clear_edits(self, obj_id: str | None = None) -> bool:
        """"Clear manual edits" of ``obj_id`` (default: the selection), one undo step;
        False when it has none."""
        obj_id = obj_id or self.selected
        obj = self.doc.find(obj_id) if (self.doc is not None and obj_id) else None
        if obj is None or not obj.edits:
            self.message.emit("no manual edits to clear" if obj is not None else "select an object first")
            return False
        assert self.doc is not None
        self.histories.push(self.doc, ClearEdits(obj.id, text=f"Clear manual edits of {obj.label}", compress=False))
        return True

    def rename(self, obj_id: str, label: str) -> None:
        if self.doc is not None and self.doc.find(obj_id) is not None:
            self.histories.push(self.doc, RenameObject(obj_id, label))

    def set_visible(self, obj_id: str, visible: bool) -> None:
        if self.doc is not None and self.doc.find(obj_id) is not None:
            self.histories.push(self.doc, SetObjectVisible(obj_id, visible))

    def cancel_prompt(self) -> bool:
        """Esc: drop the gesture in progress, else the request in flight for the selection."""
        if self.canvas.cancel_gesture():
            return True
        if self.doc is not None and self.selected and (id(self.doc), self.selected) in self._pending:
            self._cancel(self.doc, self.selected)
            self.message.emit("prompt cancelled")
            return True
        return False

    def _cancel(self, doc: Document, obj_id: str) -> None:
        self.worker.cancel(obj_id, document=str(doc.image_path))
        self._pending.pop((id(doc), obj_id), None)
        if doc is self.doc:
            self.canvas.update_image_rect(self.canvas.overlay.set_preview(obj_id, None, (0, 0, 0)))
        self._refresh_points()

    # --- prompts -----------------------------------------------------------------------
    def _submit(self, obj_id: str, prompt: Prompt, what: str) -> None:
        assert self.doc is not None and self.image is not None
        if self.inference_error is not None:
            self.message.emit(f"segmentation is unavailable ({self.inference_error}); the brush still works")
            return
        doc = self.doc
        previous = doc.previous_output(obj_id) if what == "click" else None
        self._pending[(id(doc), obj_id)] = prompt
        self.worker.submit(self.image, prompt, obj_id, previous, Tag(doc, obj_id, prompt, what),
                           document=str(doc.image_path))
        self._refresh_points()

    def on_box(self, box: Box) -> None:
        if self.doc is None:
            return
        prompt = Prompt(box=box)
        target = self.doc.find(self.selected) if self.selected else None
        # A box on an empty, box-less object (made with N) fills it; otherwise: new object.
        if target is not None and target.prompt.box is None and not target.mask.any() and not self._in_flight(target.id):
            obj_id = target.id
        else:
            obj_id = self.new_object(prompt)
        if obj_id is not None:
            self._submit(obj_id, prompt, "box")

    def _in_flight(self, obj_id: str) -> bool:
        return self.doc is not None and (id(self.doc), obj_id) in self._pending

    def on_point(self, point: Point) -> None:
        if self.doc is None:
            return
        obj = self.doc.find(self.selected) if self.selected else None
        if obj is None:
            if not point.positive:
                self.message.emit("select an object first: a background click needs an object")
                return
            obj_id = self.new_object(Prompt(points=(point,)))
            if obj_id is not None:
                self._submit(obj_id, Prompt(points=(point,)), "click")
            return
        base = self._pending.get((id(self.doc), obj.id), obj.prompt)
        self._submit(obj.id, base.with_point(point), "click")

    def on_stroke(self, points: list, radius: float, erase: bool) -> None:
        if self.doc is None:
            return
        obj_id = self.selected if self.selected and self.doc.find(self.selected) else None
        if obj_id is None:
            if erase:
                self.message.emit("select an object to erase from")
                return
            obj_id = self.new_object()
        if obj_id is None:
            return
        region = stroke_mask(self.doc.shape, [(float(x), float(y)) for x, y in points], radius)
        self.histories.push(self.doc, PaintMask(obj_id, region, value=not erase, compress=False))

    # --- results -------------------------------------------------------------------------
    def on_partial(self, result: Result, tag: Tag) -> None:
        if tag.doc is not self.doc or tag.doc.find(tag.obj_id) is None:
            return
        obj = tag.doc.get(tag.obj_id)
        self.canvas.update_image_rect(self.canvas.overlay.set_preview(tag.obj_id, result.mask, obj.color))
        self.result_shown.emit(result.provenance, True)

    def on_result(self, result: Result, tag: Tag) -> None:
        doc = tag.doc
        self._pending.pop((id(doc), tag.obj_id), None)
        obj = doc.find(tag.obj_id)
        if obj is None:  # deleted (or undone) while it ran
            if doc is self.doc:
                self.canvas.update_image_rect(self.canvas.overlay.set_preview(tag.obj_id, None, (0, 0, 0)))
            return
        text = f"Segment {obj.label}" if tag.what == "box" else f"Click on {obj.label}"
        self.histories.push(
            doc,
            SetMask(tag.obj_id, result.mask, prompt=tag.prompt, provenance=result.provenance,
                    stage_output=result.output, text=text, compress=False),
        )
        if result.uncertainty is not None:
            self._uncertainty[(id(doc), tag.obj_id)] = result.uncertainty
        if doc is self.doc:
            # The coarse preview goes away even when the refined mask equals the object's.
            self.canvas.update_image_rect(self.canvas.overlay.set_preview(tag.obj_id, None, obj.color))
            self._refresh_uncertainty()
        self.result_shown.emit(result.provenance, False)
        self._refresh_points()
        if result.failure is not None:  # an empty result is shown, and said out loud
            self.message.emit(f"{obj.label}: {result.failure}; draw the box closer or click on the object")

    def on_failed(self, object_id: str, generation: int, message: str, tag: Tag | None) -> None:
        if tag is not None:
            self._pending.pop((id(tag.doc), tag.obj_id), None)
            if tag.doc is self.doc:
                self.canvas.update_image_rect(self.canvas.overlay.set_preview(tag.obj_id, None, (0, 0, 0)))
            self._refresh_points()
        self.message.emit(message)

    # --- uncertainty (issue 15) ----------------------------------------------------------
    def uncertainty_of(self, obj_id: str | None):  # noqa: ANN201 - engine type
        """The selected (or given) object's latest uncertainty in the current document."""
        if self.doc is None or obj_id is None:
            return None
        return self._uncertainty.get((id(self.doc), obj_id))

    def _refresh_uncertainty(self) -> None:
        """Show the selected object's band and suggestion (the canvas paints them when U is on)."""
        u = self.uncertainty_of(self.selected)
        hint = ""
        if u is not None and u.suggested_click is not None:
            fg, bg = self.suggestion_keys
            guess = "missed object?" if u.suggested_positive else "not the object?"
            hint = f"{guess}  {fg}: object · {bg}: background"
        view = self.canvas.uncertainty
        old = view.bounds()
        view.set(u, hint)
        if view.shown:
            self.canvas.update_image_rect(old)
            self.canvas.update_image_rect(view.bounds())
            self.canvas.update()

    def accept_suggestion(self, positive: bool) -> bool:
        """A click of the given label at the selected object's suggested point; False when
        there is none (or its result is still being computed)."""
        if self.doc is None or self.selected is None or self._in_flight(self.selected):
            return False
        u = self.uncertainty_of(self.selected)
        if u is None or u.suggested_click is None:
            self.message.emit("no suggestion: nothing of the selected object looks uncertain")
            return False
        x, y = u.suggested_click
        self._uncertainty.pop((id(self.doc), self.selected), None)
        self._refresh_uncertainty()
        self.on_point(Point(float(x), float(y), positive))
        return True

    # --- views ---------------------------------------------------------------------------
    def _refresh_points(self) -> None:
        """The selected object's clicks as dots, and its colour for the brush preview."""
        points: list[Point] = []
        if self.doc is not None and self.selected:
            obj = self.doc.find(self.selected)
            if obj is not None:
                points = list(self._pending.get((id(self.doc), obj.id), obj.prompt).points)
                self.canvas.stroke_color = tuple(obj.color)
        if points != self.canvas.points:
            self.canvas.points = points
            self.canvas.update()

    def _refresh_panel(self) -> None:
        if self.doc is None:
            self.objects.set_objects([], None)
            return
        rows = [
            ObjectRow(o.id, o.label, tuple(o.color), o.visible, o.area, _source(o), bool(o.edits),
                      object_effort(o.provenance))
            for o in self.doc
        ]
        self.objects.set_objects(rows, self.selected)
