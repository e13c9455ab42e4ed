"""Open the real app (``dis-annotator gui``), report once the main window is shown, quit.

Used by the wheel test, the PyInstaller bundle check and benchmarks/startup_time.py::

    QT_QPA_PLATFORM=offscreen python packaging/smoke.py [gui args...]

It creates the QApplication first (``dis_annotator.ui.app`` reuses an existing one), arms
a zero-delay timer, then runs ``dis-annotator gui`` unchanged. The timer fires on the
first pass of the event loop, i.e. after ``window.show()``; it prints one line
``SMOKE window-shown visible=1 title=... torch=0|1 t=<s since process start>``, then
``SMOKE pipeline-ready|failed|timeout`` once the inference thread has built its pipeline
(in a bundle this proves torch and the stages load), then closes the window (its
closeEvent stops the inference thread) and ends the loop. Exit code 0 only when a visible
main window was found and the app exited cleanly; "pipeline-failed" is reported, the
caller decides.
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


def _line(text: str) -> None:
    print(f"SMOKE {text} t={_process_age():.3f}", flush=True)


def main(argv: list[str], pipeline_timeout_s: float = 300.0) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    found: list[QMainWindow] = []
    deadline = [0.0]

    def close_all() -> None:
        for w in found:
            w.close()
        app.quit()

    def wait_for_pipeline() -> None:
        # Closing while the inference thread still builds the pipeline (imports torch)
        # must not be what this check tests, so wait for it: ready, failed, or timeout.
        worker = getattr(found[0], "worker", None)
        pipeline = getattr(worker, "pipeline", None)
        if worker is None or pipeline is not None or worker.isFinished():
            status = "ready" if pipeline is not None else ("failed" if worker is not None else "n/a")
            _line(f"pipeline-{status} torch={int('torch' in sys.modules)}")
            close_all()
        elif time.perf_counter() > deadline[0]:
            _line("pipeline-timeout")
            close_all()
        else:
            QTimer.singleShot(50, wait_for_pipeline)

    def check() -> None:
        app.processEvents()
        windows = [w for w in app.topLevelWidgets() if isinstance(w, QMainWindow) and w.isVisible()]
        found.extend(windows)
        title = windows[0].windowTitle() if windows else ""
        _line(f"window-shown visible={int(bool(windows))} title={title!r} "
              f"torch={int('torch' in sys.modules)}")
        if not windows:
            app.quit()
            return
        deadline[0] = time.perf_counter() + pipeline_timeout_s
        wait_for_pipeline()

    QTimer.singleShot(0, check)
    from dis_annotator.cli import main as cli_main

    rc = cli_main(["gui", *argv])
    if not found:
        print("SMOKE no main window was shown", flush=True)
        return 1
    return rc


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
