"""``History``: a Qt-free undo stack with the semantics of ``QUndoStack`` (for tests,
scripts and the CLI; the app uses ``QUndoStack`` around the same commands)."""

from __future__ import annotations

from dis_annotator.annotation.commands import Command
from dis_annotator.annotation.document import Document


class History:
    """Commands ``[0, index)`` are applied, ``[index, count)`` can be redone.

    ``push`` applies the command, drops the redo tail, and merges it into the top
    command when both agree (never across the clean state, as in Qt). Commands whose
    first redo changed nothing (``obsolete``) are not kept. ``max_bytes`` drops the
    oldest commands when the held memory exceeds it.
    """

    def __init__(self, doc: Document, max_bytes: int | None = None) -> None:
        self.doc = doc
        self.max_bytes = max_bytes
        self._commands: list[Command] = []
        self._index = 0
        self._clean = 0

    @property
    def index(self) -> int:
        return self._index

    @property
    def count(self) -> int:
        return len(self._commands)

    @property
    def commands(self) -> list[Command]:
        return list(self._commands)

    def push(self, cmd: Command) -> None:
        cmd.redo(self.doc)
        del self._commands[self._index :]
        if self._clean > self._index:
            self._clean = -1  # the clean state was in the dropped tail: unreachable now
        top = self._commands[-1] if self._commands else None
        if top is not None and self._clean != self._index and top.merge_with(cmd):
            if top.obsolete:
                self._commands.pop()
                self._index -= 1
        elif not cmd.obsolete:
            self._commands.append(cmd)
            self._index += 1
        self._trim()

    def _trim(self) -> None:
        if self.max_bytes is None:
            return
        while len(self._commands) > 1 and self.nbytes > self.max_bytes and self._index > 0:
            self._commands.pop(0)
            self._index -= 1
            self._clean = self._clean - 1 if self._clean > 0 else -1

    def can_undo(self) -> bool:
        return self._index > 0

    def can_redo(self) -> bool:
        return self._index < len(self._commands)

    def undo(self) -> bool:
        if not self.can_undo():
            return False
        self._index -= 1
        self._commands[self._index].undo(self.doc)
        return True

    def redo(self) -> bool:
        if not self.can_redo():
            return False
        self._commands[self._index].redo(self.doc)
        self._index += 1
        return True

    @property
    def undo_text(self) -> str:
        return self._commands[self._index - 1].text if self.can_undo() else ""

    @property
    def redo_text(self) -> str:
        return self._commands[self._index].text if self.can_redo() else ""

    def set_clean(self) -> None:
        self._clean = self._index

    def is_clean(self) -> bool:
        return self._clean == self._index

    def clear(self) -> None:
        self._commands.clear()
        self._index = 0
        self._clean = 0

    @property
    def nbytes(self) -> int:
        """Memory held by all commands (the sum of their ``nbytes``)."""
        return sum(c.nbytes for c in self._commands)
