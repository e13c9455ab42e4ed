"""``QUndoCommand`` adapters around the Qt-free commands of :mod:`dis_annotator.annotation`.

The annotation commands hold the logic and the pixel patches; this module only lets
``QUndoStack`` drive them. One stack per image, all in one ``QUndoGroup`` so the
Undo/Redo actions follow the image on screen.

Compaction (docs/adr/0061): the app creates pixel-holding commands with
``compress=False`` (a push then costs a diff and ``np.packbits``, about half of pushing
with zlib on 8K results), and every pushed command goes to one background
:class:`~dis_annotator.annotation.compactor.Compactor` that compresses its patches a few
milliseconds later, off the UI thread.
"""

from __future__ import annotations

import zlib

from PySide6.QtGui import QUndoCommand, QUndoGroup, QUndoStack

from dis_annotator.annotation.commands import Command
from dis_annotator.annotation.compactor import Compactor
from dis_annotator.annotation.document import Document


def _merge_id(cmd: Command) -> int:
    """A stable positive id for commands that may merge (Qt merges equal ids only)."""
    if cmd.merge_key is None:
        return -1
    key = f"{type(cmd).__name__}:{getattr(cmd, 'obj_id', '')}:{cmd.merge_key}"
    return zlib.crc32(key.encode()) & 0x7FFFFFFF


class QtCommand(QUndoCommand):
    def __init__(self, doc: Document, cmd: Command) -> None:
        super().__init__(cmd.text)
        self.doc = doc
        self.cmd = cmd

    def redo(self) -> None:
        self.cmd.redo(self.doc)
        self.setText(self.cmd.text)
        self.setObsolete(self.cmd.obsolete)

    def undo(self) -> None:
        self.cmd.undo(self.doc)

    def id(self) -> int:
        return _merge_id(self.cmd)

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if not isinstance(other, QtCommand) or other.doc is not self.doc:
            return False
        merged = self.cmd.merge_with(other.cmd)
        if merged:
            self.setObsolete(self.cmd.obsolete)
        return merged


class Histories:
    """One ``QUndoStack`` per document, grouped; the active one follows the current image."""

    def __init__(self, undo_limit: int = 0) -> None:
        self.group = QUndoGroup()
        self._stacks: dict[int, QUndoStack] = {}
        self._undo_limit = undo_limit
        self.compactor = Compactor()

    def stack(self, doc: Document) -> QUndoStack:
        stack = self._stacks.get(id(doc))
        if stack is None:
            stack = QUndoStack(self.group)
            stack.setUndoLimit(self._undo_limit)
            self._stacks[id(doc)] = stack
        return stack

    def activate(self, doc: Document | None) -> None:
        self.group.setActiveStack(self.stack(doc) if doc is not None else None)

    def push(self, doc: Document, cmd: Command) -> None:
        """Apply ``cmd`` as the next undo step of ``doc``, then compact it in the background.

        Whether the stack kept ``cmd``, merged it into the top command (which then holds the
        same patch objects) or dropped it as obsolete, compacting ``cmd`` compresses its
        patches wherever they now live; already compressed ones are left as they are.
        """
        self.stack(doc).push(QtCommand(doc, cmd))
        self.compactor.submit(cmd)

    def push_group(self, doc: Document, cmds: list[Command], text: str) -> None:
        """Apply ``cmds`` as one undo step named ``text``."""
        stack = self.stack(doc)
        stack.beginMacro(text)
        try:
            for cmd in cmds:
                self.push(doc, cmd)
        finally:
            stack.endMacro()

    def flush(self) -> None:
        """Wait until every pushed command is compacted (tests, benchmarks)."""
        self.compactor.flush()

    def close(self) -> None:
        """Finish the queued compaction and stop its thread."""
        self.compactor.close()

    def forget(self, doc: Document) -> None:
        stack = self._stacks.pop(id(doc), None)
        if stack is not None:
            self.group.removeStack(stack)
            stack.deleteLater()

    def nbytes(self, doc: Document) -> int:
        stack = self._stacks.get(id(doc))
        if stack is None:
            return 0
        total = 0
        for i in range(stack.count()):
            c = stack.command(i)
            if isinstance(c, QtCommand):
                total += c.cmd.nbytes
        return total
