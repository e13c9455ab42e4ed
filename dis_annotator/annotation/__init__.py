"""Qt-free annotation model: documents, objects, undoable commands, brush, sidecar, export.

Never imports PySide6 (house rule); the UI wraps these commands in ``QUndoCommand``.
"""

from dis_annotator.annotation.brush import stroke_mask
from dis_annotator.annotation.commands import (
    AddObject,
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
from dis_annotator.annotation.packed import MaskPatch, PackedBits, PackedMask
from dis_annotator.annotation.palette import PALETTE, next_color
from dis_annotator.annotation.serialize import SidecarError, mask_digest
from dis_annotator.annotation.sidecar import (
    SIDECAR_DIR,
    SidecarMismatch,
    load_sidecar,
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
    "Command",
    "Compactor",
    "DeleteObject",
    "Document",
    "History",
    "ImageList",
    "MaskPatch",
    "MoveObject",
    "ObjectRecord",
    "PackedBits",
    "PackedMask",
    "PaintMask",
    "Rect",
    "RenameObject",
    "SetMask",
    "SetObjectColor",
    "SetObjectVisible",
    "SidecarError",
    "SidecarMismatch",
    "bbox_of",
    "changed_rect",
    "default_export_dir",
    "export_document",
    "list_images",
    "load_sidecar",
    "mask_digest",
    "natural_key",
    "new_object_id",
    "next_color",
    "save_sidecar",
    "sidecar_dir",
    "sidecar_path",
    "sidecar_status",
    "stroke_mask",
]
