"""Qt-free annotation model: documents, objects, undoable commands, brush, sidecar, export.

Never imports PySide6 (house rule); the UI wraps these commands in ``QUndoCommand``.

Typical use (what the app does)::

    rgb = load_image(path); image = ImageData(rgb)
    try:
        doc = load_sidecar(path, image_key=image.key, size=(image.width, image.height))
    except SidecarMismatch as exc:          # show str(exc); the old sidecar is kept
        doc = None
    doc = doc or Document(path, image.width, image.height, image.key)

    rec = doc.new_object(prompt=Prompt(box=box))          # colour + label chosen
    stack.push(Wrap(AddObject(rec)))                      # QUndoStack / History
    req = Request(image, rec.prompt, rec.id, gen, previous=doc.previous_output(rec.id))
    # on a result (coarse, then refined with the same merge_key → one undo step):
    stack.push(Wrap(cmd := SetMask(rec.id, result.mask, prompt=req.prompt,
                                   provenance=result.provenance, stage_output=result.output,
                                   merge_key=f"{rec.id}:{gen}", compress=False)))
    compactor.submit(cmd)             # zlib off the UI thread (ui/history.Histories does both)
    # brush drag: one PaintMask per mouse-move segment, same merge_key per drag
    stack.push(Wrap(PaintMask(rec.id, stroke_mask(doc.shape, [p0, p1], r), True,
                              merge_key=f"drag-{n}")))
    # strokes live in rec.edits: every later SetMask keeps them (mask = model + painted
    # - erased, docs/adr/0130); ClearEdits(rec.id) hands the pixels back to the model
    compose(model_mask, rec.edits)   # the same rule for a script's own model result
    save_sidecar(doc)        # autosave; in a thread: pending = prepare_save(doc) (cheap,
                             # UI thread) → pending.write() (worker) → doc.mark_saved(pending.revision)
    export_document(doc, rgb)                             # → <folder>/masks/

A ``QUndoCommand`` wrapper: ``redo()`` → ``cmd.redo(doc)``, ``undo()`` →
``cmd.undo(doc)``, ``id()`` → a constant when ``cmd.merge_key`` is set else -1,
``mergeWith(o)`` → ``cmd.merge_with(o.cmd)``; after the first redo call
``setObsolete(cmd.obsolete)``. Masks are read-only arrays: change them only through
commands (``Document.editing_mask`` is the unrecorded escape hatch). ``doc.subscribe(fn)`` reports each :class:`Change`
(``kind`` "objects" / "mask" with the changed ``rect`` / "meta") for repaints.
"""

from dis_annotator.annotation.brush import stroke_mask
from dis_annotator.annotation.commands import (
    AddObject,
    ClearEdits,
    Command,
    DeleteObject,
    MoveObject,
    PaintMask,
    RenameObject,
    SetMask,
    SetObjectColor,
    SetObjectVisible,
)
from dis_annotator.annotation.compactor import Compactor
from dis_annotator.annotation.document import Change, Document, ObjectRecord, new_object_id
from dis_annotator.annotation.export import default_export_dir, export_document
from dis_annotator.annotation.geometry import EMPTY_RECT, Rect, bbox_of, changed_rect
from dis_annotator.annotation.history import History
from dis_annotator.annotation.image_list import ImageList, list_images, natural_key
from dis_annotator.annotation.layers import EditLayers, compose
from dis_annotator.annotation.packed import MaskPatch, PackedBits, PackedMask
from dis_annotator.annotation.palette import PALETTE, next_color
from dis_annotator.annotation.serialize import SidecarError, mask_digest
from dis_annotator.annotation.sidecar import (
    SIDECAR_DIR,
    PendingSave,
    SidecarMismatch,
    load_sidecar,
    prepare_save,
    save_sidecar,
    sidecar_dir,
    sidecar_path,
    sidecar_status,
)

__all__ = [
    "EMPTY_RECT",
    "PALETTE",
    "SIDECAR_DIR",
    "AddObject",
    "Change",
    "ClearEdits",
    "Command",
    "Compactor",
    "DeleteObject",
    "Document",
    "EditLayers",
    "History",
    "ImageList",
    "MaskPatch",
    "MoveObject",
    "ObjectRecord",
    "PackedBits",
    "PackedMask",
    "PaintMask",
    "PendingSave",
    "Rect",
    "RenameObject",
    "SetMask",
    "SetObjectColor",
    "SetObjectVisible",
    "SidecarError",
    "SidecarMismatch",
    "bbox_of",
    "changed_rect",
    "compose",
    "default_export_dir",
    "export_document",
    "list_images",
    "load_sidecar",
    "mask_digest",
    "natural_key",
    "new_object_id",
    "next_color",
    "prepare_save",
    "save_sidecar",
    "sidecar_dir",
    "sidecar_path",
    "sidecar_status",
    "stroke_mask",
]
