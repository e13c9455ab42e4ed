"""Application start-up: QApplication, stylesheet, the main window, the pipeline factory."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from dis_annotator.engine.pipeline import Pipeline
from dis_annotator.resources import resource_path
from dis_annotator.ui.settings import APP, ORG, Settings


def stylesheet() -> str:
    """The stylesheet with ``@ICONS@`` replaced by the icons folder (checkout, wheel or bundle)."""
    try:
        text = resource_path("style.qss").read_text(encoding="utf-8")
        return text.replace("@ICONS@", resource_path("icons").as_posix())
    except (FileNotFoundError, OSError):
        return ""  # the app works unstyled rather than not at all


def pipeline_factory(engine: str = "auto", sam_model: str = "auto") -> Callable[[], Pipeline]:
    """Builds the pipeline in the inference thread (never import torch on the UI thread).

    ``sam_model``: a manifest name (``mobile_sam``, ``sam_vit_b`` …) or "auto".

    A learned engine that cannot load (missing or refused weights) falls back to the
    classical stages; the first note says why, and the status bar shows it.
    """

    def build() -> Pipeline:
        from dis_annotator.engine.errors import WeightsError
        from dis_annotator.engine.factory import build_pipeline

        try:
            options = {} if sam_model == "auto" else {"sam_model": sam_model}
            return build_pipeline(engine=engine, **options)  # type: ignore[arg-type]
        except (WeightsError, ImportError) as exc:  # ImportError: SAM stage not in this build
            pipeline = build_pipeline(engine="classical")
            pipeline.notes.insert(0, f"{engine} engine unavailable ({exc}); using the classical stages")
            return pipeline

    return build


def dark_palette() -> QPalette:
    """Fusion's colours for what the stylesheet leaves native (spin boxes, check boxes, scroll bars)."""
    pal = QPalette()
    base, window, text, accent = QColor(27, 29, 33), QColor(36, 39, 44), QColor(214, 217, 222), QColor(61, 106, 160)
    for role, color in [
        (QPalette.ColorRole.Window, window), (QPalette.ColorRole.WindowText, text),
        (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, window),
        (QPalette.ColorRole.Text, text), (QPalette.ColorRole.Button, QColor(53, 58, 66)),
        (QPalette.ColorRole.ButtonText, text), (QPalette.ColorRole.Highlight, accent),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
        (QPalette.ColorRole.ToolTipBase, base), (QPalette.ColorRole.ToolTipText, text),
        (QPalette.ColorRole.PlaceholderText, QColor(128, 134, 142)),
    ]:
        pal.setColor(role, color)
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(110, 114, 120))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(110, 114, 120))
    return pal


def application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORG)
    app.setApplicationName(APP)
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    app.setStyleSheet(stylesheet())
    return app  # type: ignore[return-value]


def _close_on_signals(window: QWidget) -> None:
    """Ctrl+C / SIGTERM close the window the normal way, so pending autosaves are flushed."""
    import signal

    def close(*_args: object) -> None:
        # A modal dialog runs its own event loop: end it first, or the app never quits.
        modal = QApplication.activeModalWidget()
        while modal is not None and modal is not window:
            modal.close()
            if QApplication.activeModalWidget() is modal:
                break
            modal = QApplication.activeModalWidget()
        window.close()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, close)
        except (ValueError, OSError):  # not the main thread, or unsupported here
            return
    # Python runs signal handlers only between bytecodes; let it in now and then.
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(250)


def run(path: str | None = None, factory: Callable[[], Pipeline] | None = None) -> int:
    """Open the app on ``path`` (an image or a folder); returns the exit code."""
    from dis_annotator.ui.main_window import MainWindow

    app = application()
    settings = Settings()
    # Another engine chosen in Settings, or weights that arrive, switch the pipeline at
    # once: the window asks ``factory_for`` for the new factory (no restart).
    factory_for = None if factory is not None else (lambda st: pipeline_factory(st.engine, st.sam_model))
    window = MainWindow(factory or pipeline_factory(settings.engine, settings.sam_model), settings,
                        factory_for=factory_for)
    window.show()
    _close_on_signals(window)
    start = Path(path) if path else None
    if start is None and settings.last_folder and Path(settings.last_folder).is_dir():
        start = Path(settings.last_folder)
    if start is not None:
        try:
            window.open_path(start)
        except Exception as exc:  # noqa: BLE001 - bad data must never stop the app starting
            window.status.show_error(f"could not open {start}: {type(exc).__name__}: {exc}")
    return int(app.exec())
