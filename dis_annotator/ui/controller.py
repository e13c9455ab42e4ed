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
from dis_annotator.ui.provisional import AdoptObject
from dis_annotator.ui.statusbar import activity_text
from dis_annotator.ui.worker import InferenceWorker


@dataclass(frozen=True)
class Tag:
    """Travels with a request through the worker and back."""

    doc: Document
    obj_id: str
    prompt: Prompt
    what: str  # "box" | "click"


def _problem(obj: ObjectRecord) -> str:
    """Why the object has (almost) no mask, when its last model run said so."""
    failure = obj.provenance.get("failure")
    return str(failure) if failure and not obj.edits else ""


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
    step = Signal(str)  # what a request just submitted will do first ("coarse" | "correcting")

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
        # objects a box or first click made, not yet in the history (docs/adr/0141)
        self._provisional: dict[tuple[int, str], ObjectRecord] = {}
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
        if doc is not None and self.image is not None:
            self._resume_unfinished(doc)

    def _resume_unfinished(self, doc: Document) -> None:
        """Run again the objects saved before their first result landed (the app was
        closed while they were segmenting): their box or clicks are the user's work, and an
        empty row that never fills would look like a failure. A result that came back
        empty has provenance (and its failure) and is left alone."""
        for obj in list(doc):
            prompt = obj.prompt
            if obj.provenance or obj.edits or obj.mask.any() or self._in_flight(obj.id):
                continue
            if prompt.box is not None:
                self._submit(obj.id, prompt, "box")
            elif prompt.points:
                self._submit(obj.id, prompt, "click")

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

    def _add_provisional(self, prompt: Prompt) -> str | None:
        """A new object in the document but not (yet) in the history."""
        if self.doc is None:
            return None
        record = self.doc.new_object(prompt=prompt)
        old, self.selected = self.selected, record.id
        self.canvas.overlay.selected = record.id
        self._provisional[(id(self.doc), record.id)] = record
        self.doc.insert(len(self.doc.objects), record)
        self.doc.changed(Change("objects", record.id))
        if old:
            self._restyle(old)
        self._refresh_points()
        return record.id

    def _drop_provisional(self, doc: Document, obj_id: str) -> bool:
        """Remove an object whose first request never landed (Esc, failure, delete)."""
        if self._provisional.pop((id(doc), obj_id), None) is None:
            return False
        if doc.find(obj_id) is not None:
            doc.pop(obj_id)
            doc.changed(Change("objects", obj_id))
        return True

    def _adopt(self, doc: Document, obj_id: str | None) -> None:
        """Put a provisional object into the history before another command touches it."""
        record = self._provisional.pop((id(doc), obj_id), None) if obj_id else None
        if record is not None and doc.find(record.id) is record:
            self.histories.push(doc, AdoptObject(record))

    def delete_selected(self) -> None:
        if self.doc is None or self.selected is None or self.doc.find(self.selected) is None:
            return
        obj_id = self.selected
        provisional = (id(self.doc), obj_id) in self._provisional
        self._cancel(self.doc, obj_id)  # a provisional object goes with its request
        if not provisional:
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
        self._adopt(self.doc, obj.id)
        self.histories.push(self.doc, ClearEdits(obj.id, text=f"Clear manual edits of {obj.label}", compress=False))
        return True

    def rename(self, obj_id: str, label: str) -> None:
        if self.doc is not None and self.doc.find(obj_id) is not None:
            self._adopt(self.doc, obj_id)
            self.histories.push(self.doc, RenameObject(obj_id, label))

    def set_visible(self, obj_id: str, visible: bool) -> None:
        if self.doc is not None and self.doc.find(obj_id) is not None:
            self._adopt(self.doc, obj_id)
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
        """Stop the request for ``obj_id``; an object it was creating goes with it."""
        self.worker.cancel(obj_id, document=str(doc.image_path))
        self._pending.pop((id(doc), obj_id), None)
        if doc is self.doc:
            self.canvas.update_image_rect(self.canvas.overlay.set_preview(obj_id, None, (0, 0, 0)))
            self._busy_done(obj_id)
        self._drop_provisional(doc, obj_id)
        self._refresh_points()

    # --- busy marks ----------------------------------------------------------------------
    def set_step(self, what: str) -> None:
        """The worker's current step, named beside the busy marks."""
        if what in ("coarse", "correcting", "refining") and self.canvas.busy.marks:
            self.canvas.busy.set_step(activity_text(what))
            self.canvas.busy_changed()

    def _busy_done(self, obj_id: str) -> None:
        if self.canvas.busy.drop(obj_id):
            self.canvas.busy_changed()

    # --- prompts -----------------------------------------------------------------------
    def _submit(self, obj_id: str, prompt: Prompt, what: str) -> None:
        assert self.doc is not None and self.image is not None
        if self.inference_error is not None:
            self.message.emit(f"segmentation is unavailable ({self.inference_error}); the brush still works")
            return
        doc = self.doc
        previous = doc.previous_output(obj_id) if what == "click" else None
        self._pending[(id(doc), obj_id)] = prompt
        if prompt.box is not None and what == "box":
            b = prompt.box
            self.canvas.busy.set(obj_id, (b.x0, b.y0, b.x1, b.y1), "box", "Segmenting…")
        elif prompt.points:
            p = prompt.points[-1]
            step = "Correcting…" if previous is not None else "Segmenting…"
            self.canvas.busy.set(obj_id, (p.x + 0.5, p.y + 0.5, p.x + 0.5, p.y + 0.5), "click", step)
        self.canvas.busy.notice = None
        self.canvas.busy_changed()
        mark = self.canvas.busy.marks.get(obj_id)
        # at once, not when the worker gets to it (it may still be encoding)
        self.step.emit("correcting" if mark is not None and mark.step == "Correcting…" else "coarse")
        self._panel_timer.start()
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
            obj_id = self._add_provisional(prompt)
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
            obj_id = self._add_provisional(Prompt(points=(point,)))
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
        self._adopt(self.doc, obj_id)
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
        if doc is self.doc:
            self._busy_done(tag.obj_id)
        if obj is None:  # deleted (or undone) while it ran
            if doc is self.doc:
                self.canvas.update_image_rect(self.canvas.overlay.set_preview(tag.obj_id, None, (0, 0, 0)))
            return
        text = f"Segment {obj.label}" if tag.what == "box" else f"Click on {obj.label}"
        provenance = dict(result.provenance)
        if result.failure is not None:
            provenance["failure"] = result.failure  # the row's marker says why it is empty
        set_mask = SetMask(tag.obj_id, result.mask, prompt=tag.prompt, provenance=provenance,
                           stage_output=result.output, text=text, compress=False)
        record = self._provisional.pop((id(doc), tag.obj_id), None)
        if record is not None and record is obj:
            # One undo step creates the object with its mask: undoing it leaves no row.
            self.histories.push_group(doc, [AdoptObject(record, text=text), set_mask], text)
        else:
            self.histories.push(doc, set_mask)
        if result.uncertainty is not None:
            self._uncertainty[(id(doc), tag.obj_id)] = result.uncertainty
        if doc is self.doc:
            # The coarse preview goes away even when the refined mask equals the object's
            # (the overlay keeps it until a refined layer still being built is in place).
            self.canvas.update_image_rect(self.canvas.overlay.set_preview(tag.obj_id, None, obj.color))
            self._refresh_uncertainty()
        self.result_shown.emit(result.provenance, False)
        self._refresh_points()
        if result.failure is not None:  # an empty result is shown, and said out loud
            self.message.emit(f"{obj.label}: {result.failure}; draw the box closer or click on the object")
            if doc is self.doc:
                box = tag.prompt.box
                where = (box.x0, box.y0, box.x1, box.y1) if box is not None else None
                if where is None and tag.prompt.points:
                    p = tag.prompt.points[-1]
                    where = (p.x, p.y, p.x + 1, p.y + 1)
                if where is not None:
                    found = "in this box" if box is not None else "at this click"
                    self.canvas.busy.notice = (f"No object found {found}: {obj.label} is empty", where)
                    self.canvas.busy_changed()

    def on_failed(self, object_id: str, generation: int, message: str, tag: Tag | None) -> None:
        if tag is not None:
            self._pending.pop((id(tag.doc), tag.obj_id), None)
            if tag.doc is self.doc:
                self.canvas.update_image_rect(self.canvas.overlay.set_preview(tag.obj_id, None, (0, 0, 0)))
                self._busy_done(tag.obj_id)
            self._drop_provisional(tag.doc, tag.obj_id)
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
            ObjectRow(o.id, o.label, tuple(o.color), o.visible, o.area, _source(o), bool(o.edits), _problem(o),
                      (id(self.doc), o.id) in self._pending, object_effort(o.provenance))
            for o in self.doc
        ]
        self.objects.set_objects(rows, self.selected)
