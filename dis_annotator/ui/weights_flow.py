"""How the window gets the learned engine: the first-run bar, the Models dialog and
Settings all lead to one :class:`~dis_annotator.ui.model_service.ModelService`; a model
that arrives switches the pipeline at once, without a restart (docs/adr/0140).

A mixin of :class:`~dis_annotator.ui.main_window.MainWindow` (it uses the window's
``settings``, ``models``, ``offer``, ``worker``, ``status`` and ``stages``).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from dis_annotator.ui.model_service import SAM_NAMES, display_name, first_line


class WeightsFlow:
    def rebuild_pipeline(self) -> None:
        """Switch to the pipeline the installed weights and the settings allow now —
        no restart; requests made meanwhile run on the new one."""
        self._rebuilding = True
        self.worker.rebuild(self.factory_for(self.settings) if self.factory_for else None)

    # --- getting the learned engine (first-run bar, Models dialog, Settings) --------------------
    def wanted_sam(self) -> str:
        """The SAM to offer: the one chosen in Settings, else the one for this machine."""
        return self.sam_for(self.settings.sam_model)

    def sam_for(self, model: str) -> str:
        """``model`` itself, or for "auto" the SAM recommended for this machine."""
        if model != "auto":
            return model
        from dis_annotator.engine.sam_choice import recommended_sam

        try:
            return recommended_sam(self.device).name
        except Exception:  # noqa: BLE001 - a broken manifest must not stop the window
            return "mobile_sam"

    def _offer_models(self) -> tuple[tuple[str, int | None], tuple[str, int | None] | None]:
        def entry(name: str) -> tuple[str, int | None]:
            info = self.models.info(name)
            return name, getattr(info, "size", None)

        primary = self.wanted_sam()
        other = None
        if self.settings.sam_model == "auto":
            from dis_annotator.engine.sam_choice import recommended_sam

            try:
                alts = [o.name for o in recommended_sam(self.device).alternatives]
            except Exception:  # noqa: BLE001
                alts = []
            other = entry(alts[0]) if alts and alts[0] != primary else None
        return entry(primary), other

    def _update_offer(self) -> None:
        """Show the bar while the coarse stage is classical though the user wants SAM."""
        learned = bool(self.stages) and bool(self.stages[0]["learned"])
        wanted = self.settings.engine != "classical" and not self.settings.offer_dismissed
        if learned or not wanted:
            if not self.models.busy():
                self.offer.hide()
            return
        if self.models.busy() or self.models.last_error.get(self.wanted_sam()):
            self.offer.show()
            return  # progress or an error is on display: keep it until the next action
        self.offer.set_offer(*self._offer_models())
        note = ""
        if self.models.sam_installed(self.settings.sam_model):
            note = "The installed SAM could not be used (the status bar's engine tooltip says why)."
        self.offer.show_offer(note)
        self.offer.show()

    def _offer_dismissed(self) -> None:
        self.settings.offer_dismissed = True

    def download_model(self, name: str) -> None:
        if not self.models.download(name):
            self.status.show_error(f"{display_name(self.models.current)} is still being fetched; wait or cancel it")

    def ask_import_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Use a SAM checkpoint you have", self.settings.last_folder,
            "Checkpoints (*.pt *.pth *.safetensors);;All files (*)")
        if path:
            self.import_model(path)

    def import_model(self, path: str | Path, name: str | None = None) -> None:
        if not self.models.import_file(path, name):
            self.status.show_error("another model is being fetched; wait or cancel it")

    def _model_started(self, name: str, kind: str) -> None:
        what = "Downloading" if kind == "download" else "Checking and copying"
        self.offer.show_busy(f"{what} {display_name(name)}…")
        if kind == "download" and self.settings.engine != "classical":
            self.offer.show()

    def _model_finished(self, name: str, kind: str, error: str) -> None:
        if kind == "verify":
            self._update_offer()
            return
        if error == "cancelled":
            self.offer.show_offer("Download cancelled; it resumes where it stopped.")
            self.models.last_error.pop(name, None)
        elif error:
            reason = first_line(error).removeprefix(f"{name}: ")
            what = "download" if kind == "download" else "use the file for"
            # short: the buttons share the line (the tooltip and the status bar say more)
            self.offer.show_error(f"{display_name(name)}: {reason}", self.models.manual_route(name))
            self.status.show_error(f"could not {what} {display_name(name)}: {reason}")
        else:
            self.status.showMessage(f"{display_name(name)} installed and verified; switching engine…", 8000)
            self.offer.show_busy(f"{display_name(name)} installed; loading it…")

    def _model_installed(self, name: str) -> None:
        if name in SAM_NAMES and self.settings.engine == "classical":
            return  # the user chose classical: their choice stands
        self.rebuild_pipeline()

    def open_models(self, select: str | None = None) -> None:
        """The Models dialog (non-blocking), with ``select`` highlighted."""
        from dis_annotator.ui.dialogs.models import ModelsDialog

        if self.models_dialog is None:
            self.models_dialog = ModelsDialog(self.models, self)
            self.models_dialog.import_requested.connect(self.ask_import_model)
        self.models_dialog.refresh()
        if select:
            self.models_dialog.select(select)
        self.models_dialog.show()
        self.models_dialog.raise_()

    def _models(self) -> None:
        self.open_models()

    def _settings_dialog(self) -> None:
        from dis_annotator.ui.dialogs.settings import SettingsDialog

        before = (self.settings.engine, self.settings.sam_model)
        dialog = SettingsDialog(self.settings, self, models=self.models)
        dialog.get_weights.connect(lambda: self.open_models(self.sam_for(dialog.chosen_sam())))
        dialog.import_requested.connect(self.ask_import_model)
        dialog.accepted.connect(lambda: self._settings_applied(before))
        self.settings_dialog = dialog
        dialog.open()

    def _settings_applied(self, before: tuple[str, str]) -> None:
        self.actions.apply_shortcuts(self.settings)
        self._suggestion_keys()
        now = (self.settings.engine, self.settings.sam_model)
        if now == before:
            return
        self.rebuild_pipeline()  # at once: no restart
        engine, model = now
        if engine != "classical" and not self.models.sam_installed(model):
            # Choosing SAM without its weights leads to getting them, not to nothing.
            self.settings.offer_dismissed = False
            self.models.last_error.pop(self.wanted_sam(), None)
            self._update_offer()
            self.open_models(self.wanted_sam())
            self.status.showMessage(f"{display_name(self.wanted_sam())} is not installed: download it, "
                                    "or use a file you have", 12000)
