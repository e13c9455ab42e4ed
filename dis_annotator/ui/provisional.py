"""The object a box (or a first click) creates joins the undo history only with its
result, as one step (docs/adr/0141).

While the request runs the object is in the document (its row and busy mark show) but
not in the history; Esc, a failure or deleting it removes it without a trace, and
undoing the "Segment" step removes it with its mask — no empty "object N" row is left.
"""

from __future__ import annotations

from dis_annotator.annotation.commands import AddObject
from dis_annotator.annotation.document import Document, ObjectRecord
from dis_annotator.annotation.packed import PackedLayers, PackedMask


class AdoptObject(AddObject):
    """``AddObject`` for a record already in the document: the first redo only records
    it (and where it is); undo removes it; a later redo puts it back."""

    def __init__(self, record: ObjectRecord, text: str | None = None) -> None:
        super().__init__(record, text=text, compress=False)
        self._adopted = False

    def redo(self, doc: Document) -> None:
        if self._adopted:
            super().redo(doc)
            return
        self._adopted = True
        record, self._record = self._record, None
        assert record is not None
        self._packed = PackedMask.pack(doc.check_mask(record.mask), self._compress)
        self._edits = PackedLayers(record.edits, self._compress)
        self._index = doc.index_of(self.obj_id)
