"""Open the real app (``dis-annotator gui``), report once the main window is shown, quit.

Used by the wheel test, the PyInstaller bundle check and benchmarks/startup_time.py::

    QT_QPA_PLATFORM=offscreen python packaging/smoke.py [gui args...]

It creates the QApplication first (``dis_annotator.ui.app`` reuses an existing one), arms
a zero-delay timer, then runs ``dis-annotator gui`` unchanged. The timer fires on the
first pass of the event loop, i.e. after ``window.show()``; it prints one line
``SMOKE window-shown visible=1 title=... torch=0|1 t=<s since process start>``, closes
the window (its closeEvent stops the inference thread) and ends the loop. Exit code 0 only
when a visible main window was found.
"""

from __future__ import annotations

import sys
import time


def _process_age() -> float:
    """Seconds since this process started (Linux: /proc; elsewhere since import)."""
    try:
        import os

        with open(f"/proc/{os.getpid()}/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _T0


_T0 = time.perf_counter()


def main(argv: list[str]) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    found: list[QMainWindow] = []

    def check() -> None:
        app.processEvents()
        windows = [w for w in app.topLevelWidgets() if isinstance(w, QMainWindow) and w.isVisible()]
        found.extend(windows)
        title = windows[0].windowTitle() if windows else ""
        print(
            f"SMOKE window-shown visible={int(bool(windows))} title={title!r} "
            f"torch={int('torch' in sys.modules)} t={_process_age():.3f}",
            flush=True,
        )
        for w in windows:
            w.close()
        app.quit()

    QTimer.singleShot(0, check)
    from dis_annotator.cli import main as cli_main

    rc = cli_main(["gui", *argv])
    if not found:
        print("SMOKE no main window was shown", flush=True)
        return 1
    return rc


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
