"""The main window: lays out the pieces and connects actions to them — nothing more.

Editing logic lives in :mod:`controller`, inference in :mod:`worker`, persistence in
:mod:`autosave` / :mod:`session`, drawing in :mod:`canvas`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dis_annotator.engine.pipeline import Pipeline
from dis_annotator.ui.actions import Actions, icon
from dis_annotator.ui.autosave import Autosaver
from dis_annotator.ui.canvas.tools import BrushTool, PromptTool
from dis_annotator.ui.canvas.view import CanvasView
from dis_annotator.ui.controller import Controller
from dis_annotator.ui.export import (
    ExportAllJob,
    ExportItem,
    ExportRefused,
    export_current,
    run_export_all,
)
from dis_annotator.ui.first_run import FirstRunBar
from dis_annotator.ui.history import Histories
from dis_annotator.ui.model_service import ModelService
from dis_annotator.ui.panels.files import FilesPanel
from dis_annotator.ui.panels.objects import ObjectsPanel
from dis_annotator.ui.session import ImageLoadError, Session
from dis_annotator.ui.settings import Settings
from dis_annotator.ui.statusbar import StatusBar
from dis_annotator.ui.weights_flow import WeightsFlow
from dis_annotator.ui.worker import InferenceWorker


def export_summary(done: int, total: int, failed: int, cancelled: bool) -> str:
    """Plain words for the end of "Export all"."""
    def images(n: int) -> str:
        return f"{n} image" + ("" if n == 1 else "s")

    if cancelled:
        text = f"Export cancelled: masks of {images(done)} saved"
    elif done == 0 and not failed:
        text = "Nothing to export: no image has masks yet"
    else:
        text = f"Saved the masks of {images(done)}"
        skipped = total - done - failed
        if skipped > 0:
            text += f" ({images(skipped)} without masks skipped)"
    return text + (f"; {images(failed)} failed" if failed else "")


KEEP_DOCS = 8  # documents kept in memory (with their undo history) besides the current


class MainWindow(WeightsFlow, QMainWindow):
    def __init__(
        self,
        pipeline_factory: Callable[[], Pipeline],
        settings: Settings | None = None,
        factory_for: Callable[[Settings], Callable[[], Pipeline]] | None = None,
        models: ModelService | None = None,
    ) -> None:
        """``factory_for(settings)``: the factory after the engine settings changed (None:
        ``pipeline_factory`` again, which looks for weights anew each time it runs)."""
        super().__init__()
        self.setWindowTitle("dis-annotator")
        self.setWindowIcon(icon("app"))
        self.settings = settings or Settings()
        self.session = Session()
        self.factory_for = factory_for
        self.models = models or ModelService(self)
        self.device = "cpu"
        self.canvas = CanvasView(self)
        self.offer = FirstRunBar()
        self.offer.setVisible(False)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.offer)
        column.addWidget(self.canvas, 1)
        self.setCentralWidget(central)
        self.files = FilesPanel()
        self.objects = ObjectsPanel()
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.histories = Histories()
        self.autosaver = Autosaver(parent=self)
        self.worker = InferenceWorker(pipeline_factory)
        self.controller = Controller(self.canvas, self.objects, self.worker, self.histories, self.autosaver, self)
        self.actions = Actions(self, self.settings)
        self.stages: list[dict] = []
        self.export_job: ExportAllJob | None = None
        self.notices: list[str] = []  # warnings shown with notify(), newest last
        self._notice_box: QMessageBox | None = None
        self.models_dialog = None
        self.settings_dialog = None
        self._rebuilding = False
        self._build_docks()
        self._build_menus_and_toolbar()
        self._connect()
        self.resize(1400, 900)
        self.worker.start()

    # --- layout ------------------------------------------------------------------------
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        images = self._dock("Images", self.files, Qt.DockWidgetArea.LeftDockWidgetArea)
        side = QWidget()
        lay = QVBoxLayout(side)
        lay.setContentsMargins(8, 8, 8, 4)
        row = QHBoxLayout()
        row.addWidget(QLabel("Opacity"))
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(round(self.settings.opacity * 100))
        self.opacity.setToolTip("Overlay opacity")
        row.addWidget(self.opacity, 1)
        lay.addLayout(row)
        self.outline_box = QCheckBox("Outline only (O)")
        lay.addWidget(self.outline_box)
        row = QHBoxLayout()
        row.addWidget(QLabel("Brush size"))
        self.brush_size = QSpinBox()
        self.brush_size.setRange(1, 500)
        self.brush_size.setSuffix(" px")
        self.brush_size.setValue(self.settings.brush_radius)
        row.addWidget(self.brush_size, 1)
        lay.addLayout(row)
        hint = QLabel("Drag a box to add an object · click: add · right-click: remove · double-click a name to rename")
        hint.setObjectName("panelCaption")
        hint.setWordWrap(True)
        lay.addWidget(hint)
        lay.addWidget(self.objects, 1)
        objects = self._dock("Objects", side, Qt.DockWidgetArea.RightDockWidgetArea)
        self.resizeDocks([images, objects], [190, 250], Qt.Orientation.Horizontal)
        self.canvas.overlay.opacity = self.settings.opacity

    def _build_menus_and_toolbar(self) -> None:
        a = self.actions
        menus = {
            "&File": ["open_image", "open_folder", None, "save", "export_current", "export_all", None, "quit"],
            "&Edit": ["undo", "redo", None, "new_object", "delete_object", "clear_edits", "cancel_prompt", None,
                      "settings"],
            "&View": ["fit", "zoom_100", None, "toggle_overlay", "toggle_outline", "toggle_edits",
                      "toggle_uncertainty", "accept_suggestion_fg", "accept_suggestion_bg", None,
                      "next_image", "prev_image"],
            "&Tools": ["prompt_tool", "brush", "eraser", "brush_smaller", "brush_larger", None, "models"],
            "&Help": ["about"],
        }
        for title, names in menus.items():
            menu = self.menuBar().addMenu(title)
            for n in names:
                menu.addSeparator() if n is None else menu.addAction(a[n])
        tb = self.addToolBar("Main")
        tb.setObjectName("mainToolbar")
        tb.setMovable(False)
        for n in ["open_image", "open_folder", "save", "export_current", None, "undo", "redo", None,
                  "prompt_tool", "brush", "eraser", None, "new_object", "delete_object", None,
                  "prev_image", "next_image", None, "fit", "zoom_100", "toggle_overlay", "toggle_outline"]:
            tb.addSeparator() if n is None else tb.addAction(a[n])
        # Actions must belong to the window for their shortcuts to work without a menu.
        self.addActions(list(a.by_name.values()))
        self.objects.context_actions = [a["clear_edits"], a["delete_object"]]

    def _connect(self) -> None:
        a, c = self.actions, self.controller
        a["open_image"].triggered.connect(self._ask_open_image)
        a["open_folder"].triggered.connect(self._ask_open_folder)
        a["save"].triggered.connect(self.save)
        a["export_current"].triggered.connect(self.export_current)
        a["export_all"].triggered.connect(self.export_all)
        a["quit"].triggered.connect(self.close)
        a["undo"].triggered.connect(self.histories.group.undo)
        a["redo"].triggered.connect(self.histories.group.redo)
        self.histories.group.canUndoChanged.connect(a["undo"].setEnabled)
        self.histories.group.canRedoChanged.connect(a["redo"].setEnabled)
        a["undo"].setEnabled(False)
        a["redo"].setEnabled(False)
        a["new_object"].triggered.connect(lambda: c.new_object())
        a["delete_object"].triggered.connect(c.delete_selected)
        a["clear_edits"].triggered.connect(lambda: c.clear_edits())
        a["toggle_edits"].toggled.connect(self._set_edits_shown)
        a["toggle_uncertainty"].toggled.connect(self._set_uncertainty_shown)
        a["accept_suggestion_fg"].triggered.connect(lambda: c.accept_suggestion(True))
        a["accept_suggestion_bg"].triggered.connect(lambda: c.accept_suggestion(False))
        self._suggestion_keys()
        self.files.effort_source = self._image_effort
        a["cancel_prompt"].triggered.connect(c.cancel_prompt)
        a["prompt_tool"].triggered.connect(lambda: self.set_tool("prompt"))
        a["brush"].triggered.connect(lambda: self.set_tool("brush"))
        a["eraser"].triggered.connect(lambda: self.set_tool("eraser"))
        a["brush_smaller"].triggered.connect(lambda: self.brush_size.setValue(max(1, round(self.brush_size.value() / 1.25))))
        a["brush_larger"].triggered.connect(lambda: self.brush_size.setValue(max(self.brush_size.value() + 1, round(self.brush_size.value() * 1.25))))
        a["toggle_overlay"].toggled.connect(self._set_overlay_shown)
        a["toggle_outline"].toggled.connect(self.outline_box.setChecked)
        self.outline_box.toggled.connect(self._set_outline)
        a["fit"].triggered.connect(self.canvas.fit)
        a["zoom_100"].triggered.connect(self.canvas.zoom_100)
        a["next_image"].triggered.connect(lambda: self.step(+1))
        a["prev_image"].triggered.connect(lambda: self.step(-1))
        a["models"].triggered.connect(self._models)
        a["about"].triggered.connect(self._about)
        a["settings"].triggered.connect(self._settings_dialog)
        self.opacity.valueChanged.connect(self._set_opacity)
        self.brush_size.valueChanged.connect(self._set_brush_size)
        self.files.activated.connect(self.show_index)
        self.canvas.cursor_moved.connect(self._cursor)
        self.canvas.zoom_changed.connect(self.status.set_zoom)
        self.worker.pipeline_ready.connect(self._pipeline_ready)
        self.worker.pipeline_failed.connect(self._pipeline_failed)
        self.worker.activity.connect(self.status.set_activity)
        c.result_shown.connect(self.status.set_latency)
        c.step.connect(self.status.set_activity)
        c.message.connect(self.status.show_error)
        c.document_changed.connect(self._doc_changed)
        self.autosaver.failed.connect(lambda _doc, msg: self.status.show_error(msg))
        self.worker.activity.connect(self.controller.set_step)
        m = self.models
        self.offer.download_requested.connect(self.download_model)
        self.offer.import_requested.connect(self.ask_import_model)
        self.offer.cancel_requested.connect(m.cancel)
        self.offer.dismissed.connect(self._offer_dismissed)
        m.started.connect(self._model_started)
        m.progress.connect(self.offer.show_progress)
        m.finished.connect(self._model_finished)
        m.installed.connect(self._model_installed)
        m.removed.connect(lambda _name: self.rebuild_pipeline())

    # --- images --------------------------------------------------------------------------
    def open_path(self, path: str | Path) -> bool:
        """Open an image (with its folder in the list) or a folder; False on failure."""
        p = Path(path).expanduser().resolve()
        if not p.exists():
            self.status.show_error(f"{p} does not exist")
            return False
        self.autosaver.flush()
        try:
            start = self.session.open_path(p)
        except (OSError, ValueError) as exc:
            self.status.show_error(f"cannot open {p}: {exc}")
            return False
        self.settings.last_folder = str(p if p.is_dir() else p.parent)
        if not self.session.images:
            self.controller.show(None, None)
            self.status.show_error(f"no images in {p}")
            return False
        self.files.set_files(self.session.images, self.session.annotated(), -1)
        if p.is_dir():  # reopening a folder: back to the image last edited in it
            last = Path(self.settings.last_image) if self.settings.last_image else None
            if last is not None and last in self.session.images:
                start = self.session.images.index(last)
        return self.show_index(max(0, start))

    def show_index(self, index: int) -> bool:
        if not (0 <= index < len(self.session.images)) or index == self.session.index:
            return False
        self.autosaver.flush()
        try:
            opened = self.session.open(index)
        except ImageLoadError as exc:
            self.status.show_error(str(exc))
            self.files.set_current(self.session.index)
            QMessageBox.warning(self, "Cannot open image", str(exc))
            return False
        if opened.warning:
            self.status.show_error(opened.warning)
            if opened.damaged:
                self.notify("Saved annotation damaged", opened.warning)
        self.status.clear_image()  # the previous image's timings and messages
        self.controller.show(opened.doc, opened.rgb, opened.levels)
        self.canvas.setFocus()  # Space+drag and the single-key tools work at once
        self.files.set_current(index)
        self._release_docs()
        h, w = opened.rgb.shape[:2]
        self.setWindowTitle(f"{opened.path.name} ({w}×{h}) — {index + 1}/{len(self.session.images)} — dis-annotator")
        self.worker.prepare(self.controller.image)
        nxt = self.session.next_path(index)
        self.session.preload(nxt)
        self.worker.prefetch(nxt)
        return True

    def step(self, delta: int) -> None:
        """Next/previous image in the file list's order (worst first when sorted so)."""
        n = len(self.session.images)
        if not n:
            return
        order = self.files.image_order() or list(range(n))
        pos = order.index(self.session.index) if self.session.index in order else 0
        target = pos + delta
        if not 0 <= target < n:
            where = "the last" if delta > 0 else "the first"
            self.status.showMessage(f"This is {where} image ({pos + 1} of {n})", 3000)
            return
        self.show_index(order[target])

    def _release_docs(self) -> None:
        current = self.session.current_path
        keep = {current} if current else set()
        for path in list(self.session.docs)[::-1]:
            doc = self.session.docs[path]
            if len(keep) <= KEEP_DOCS or self.controller.has_pending(doc):
                keep.add(path)
        for doc in self.session.release(keep):
            self.controller.unwatch(doc)
            self.histories.forget(doc)

    def _doc_changed(self, doc) -> None:
        if doc is self.controller.doc and str(doc.image_path) != self.settings.last_image:
            self.settings.last_image = str(doc.image_path)
        if doc.image_path in self.session.images:
            index = self.session.images.index(doc.image_path)
            self.files.set_annotated(index, doc.has_masks())
            from dis_annotator.ui.effort import document_effort

            self.files.set_effort(index, document_effort(doc))

    def _ask_open_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open image", self.settings.last_folder,
                                              "Images (*.jpg *.jpeg *.png *.tif *.tiff *.bmp *.webp)")
        if path:
            self.open_path(path)

    def _ask_open_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open folder", self.settings.last_folder)
        if path:
            self.open_path(path)

    def notify(self, title: str, text: str) -> None:
        """A non-modal warning (one box, reused): never blocks start-up or navigation."""
        self.notices.append(text)
        box = self._notice_box
        if box is None:
            box = self._notice_box = QMessageBox(QMessageBox.Icon.Warning, title, text,
                                                 QMessageBox.StandardButton.Ok, self)
            box.setModal(False)
        box.setWindowTitle(title)
        box.setText(text)
        box.show()

    # --- save / export ---------------------------------------------------------------------
    def save(self) -> None:
        doc = self.controller.doc
        if doc is None:
            return
        try:
            self.autosaver.save_now(doc)
        except Exception as exc:  # noqa: BLE001
            self.status.show_error(f"save failed: {exc}")
            return
        self.status.showMessage(f"Saved {doc.image_path.name}", 4000)

    def export_current(self) -> list[Path]:
        doc, img = self.controller.doc, self.controller.image
        if doc is None:
            return []
        counts = {p: len(d) for p, d in self.session.docs.items()}
        try:
            written = export_current(doc, img.array if img else None, None,
                                     self.session.relative(doc.image_path).parent / doc.image_path.name,
                                     self.settings.export_cutouts, self.session.images, counts)
        except ExportRefused as exc:
            self.status.show_error(str(exc))
            QMessageBox.warning(self, "Export", str(exc))
            return []
        except Exception as exc:  # noqa: BLE001
            self.status.show_error(f"export failed: {exc}")
            return []
        self.status.showMessage(f"Exported {len(written)} file(s) to {written[0].parent}", 6000)
        return written

    def export_all(self) -> ExportAllJob | None:
        if not self.session.images or self.export_job is not None:
            return None
        self.autosaver.flush()
        items = []
        for path in self.session.images:
            doc = self.session.docs.get(path)
            items.append(ExportItem(path, Path(path.name), doc.snapshot() if doc is not None else None))
        job = ExportAllJob(items, None, self.settings.export_cutouts)
        self.export_job = job

        def done(count: int, errors: list, cancelled: bool) -> None:
            # run() emitted this just before returning: let the thread end before the last
            # reference goes, or Qt aborts ("QThread: Destroyed while thread is still running")
            job.wait(10000)
            self.export_job = None
            self.export_dialog.close()
            self.status.showMessage(export_summary(count, len(job.items), len(errors), cancelled), 10000)
            if errors:
                QMessageBox.warning(self, "Export", "\n".join(errors[:20]))

        self.export_dialog = run_export_all(self, job)
        job.finished_with.connect(done)
        return job

    # --- tools and view -----------------------------------------------------------------------
    def set_tool(self, name: str) -> None:
        listener = self.canvas.listener
        if name == "prompt":
            self.canvas.set_tool(PromptTool(listener))
        else:
            self.canvas.set_tool(BrushTool(listener, erase=name == "eraser", radius=self.brush_size.value()))
        self.actions["prompt_tool" if name == "prompt" else name].setChecked(True)

    def _set_brush_size(self, value: int) -> None:
        self.settings.brush_radius = value
        if isinstance(self.canvas.tool, BrushTool):
            self.canvas.tool.radius = value
            self.canvas.update()

    def _set_opacity(self, value: int) -> None:
        self.canvas.overlay.opacity = value / 100
        self.settings.opacity = value / 100
        self.canvas.update()

    def _set_outline(self, on: bool) -> None:
        self.canvas.overlay.outline_only = on
        self.actions["toggle_outline"].setChecked(on)
        self.canvas.update()

    def _set_edits_shown(self, on: bool) -> None:
        """Outline what brush and eraser locked (painted solid, erased dashed)."""
        self.canvas.edit_outlines.shown = on
        self.canvas.update()

    def _set_uncertainty_shown(self, on: bool) -> None:
        """Tint where the selected object's mask is probably wrong; mark the suggested click."""
        self.canvas.uncertainty.shown = on
        self.canvas.update()

    def _suggestion_keys(self) -> None:
        """The accept keys as the hint beside the suggestion names them (remappable)."""
        keys = []
        for name in ("accept_suggestion_fg", "accept_suggestion_bg"):
            seq = self.actions[name].shortcuts()
            keys.append(seq[0].toString() if seq else "menu")
        self.controller.suggestion_keys = (keys[0], keys[1])

    def _image_effort(self, index: int) -> float | None:
        """Total estimated effort of image ``index``: its open document, else its sidecar."""
        from dis_annotator.ui.effort import document_effort, sidecar_effort

        path = self.session.images[index]
        doc = self.session.docs.get(path)
        return document_effort(doc) if doc is not None else sidecar_effort(path)

    def _set_overlay_shown(self, on: bool) -> None:
        self.canvas.overlay.shown = on
        self.canvas.update()

    def _cursor(self, x: float, y: float) -> None:
        if self.controller.doc is not None:
            self.status.set_position(x, y, self.controller.doc.width, self.controller.doc.height)

    # --- worker -------------------------------------------------------------------------------
    def _pipeline_ready(self, rows: list, notes: list, device: str) -> None:
        self.stages = rows
        self.device = device
        self.status.set_pipeline(rows, notes, device)
        if notes and "unavailable" in notes[0]:
            self.status.show_error(notes[0])
        if self._rebuilding:
            self._rebuilding = False
            self.controller.inference_error = None
            if self.controller.image is not None:
                self.worker.prepare(self.controller.image)  # the new model's embedding
            if rows and rows[0]["learned"]:
                self.status.showMessage(f"Now segmenting with {rows[0]['name']} (learned)", 8000)
        self._update_offer()

    def _pipeline_failed(self, message: str) -> None:
        self.controller.inference_error = message
        self.status.set_activity("models unavailable")
        QMessageBox.critical(self, "Models", f"The segmentation pipeline could not start:\n{message}\n\n"
                             "You can still browse images and paint masks with the brush.")

    # --- dialogs ------------------------------------------------------------------------------
    def _about(self) -> None:
        from dis_annotator.ui.dialogs.about import AboutDialog

        AboutDialog(getattr(self, "device", "cpu"), self.stages, self).exec()

    # --- shutdown -----------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.export_job is not None:
            self.export_job.cancel()
            self.export_job.wait(10000)
        problem = self._unsaved_problem()
        if problem and QMessageBox.question(
            self, "Unsaved changes", f"{problem}\nThese edits are not on disk. Close anyway?"
        ) != QMessageBox.StandardButton.Yes:
            event.ignore()
            return
        try:
            self.autosaver.shutdown()
        except Exception:  # noqa: BLE001 - already asked above; never block closing twice
            pass
        self.models.shutdown()
        self.worker.stop()
        super().closeEvent(event)

    def _unsaved_problem(self) -> str:
        """Why some edits are not on disk after a last save attempt ('' when all are)."""
        try:
            self.autosaver.flush()
        except Exception as exc:  # noqa: BLE001
            return f"Autosave failed: {exc}"
        failed = self.autosaver.failures()
        for doc, _ in failed:  # one more, synchronous try (the cause may be gone)
            try:
                self.autosaver.save_now(doc)
            except Exception:  # noqa: BLE001 - reported below
                pass
        failed = self.autosaver.failures()
        if not failed:
            return ""
        names = ", ".join(doc.image_path.name for doc, _ in failed[:5])
        return f"Saving failed for {len(failed)} image(s) ({names}): {failed[0][1]}"
