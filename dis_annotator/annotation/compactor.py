"""``Compactor``: compresses commands' pixels on a background thread.

The UI creates mask commands with ``compress=False`` (pushing them then costs only a
diff and ``np.packbits``, ~40 ms on 8K instead of up to ~250 ms with zlib), and hands
them to a compactor, which calls ``command.compact()`` off the UI thread. ``zlib``
releases the GIL, and ``compact`` only swaps immutable blobs, so undo/redo may run at
the same time (docs/adr/0061). Qt-free: plain ``threading``.
"""

from __future__ import annotations

import logging
import queue
import threading

from dis_annotator.annotation.commands import Command

log = logging.getLogger(__name__)


class Compactor:
    """One daemon thread compacting submitted commands in order."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Command | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.saved_bytes = 0

    def submit(self, cmd: Command) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="dis-annotator-compactor", daemon=True
                )
                self._thread.start()
        self._queue.put(cmd)

    def _run(self) -> None:
        while True:
            cmd = self._queue.get()
            try:
                if cmd is None:
                    return
                self.saved_bytes += cmd.compact()
            except Exception:  # never kill the thread: an uncompressed command still works
                log.exception("compacting %r failed", cmd)
            finally:
                self._queue.task_done()

    def flush(self) -> None:
        """Wait until every submitted command is compacted."""
        self._queue.join()

    def close(self) -> None:
        """Finish the queued work and stop the thread."""
        with self._lock:
            thread = self._thread
            self._thread = None
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join()
