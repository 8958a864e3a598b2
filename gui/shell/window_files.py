"""Files coming into the main window: the Import dialogs, opening a path, dropped files, and
the queue that imports them one at a time on the worker."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer

MODEL_FILTER = "Models (*.skops *.onnx *.joblib *.pkl *.pickle)"
DATASET_FILTER = "Datasets (*.csv *.parquet *.pq)"


class FilesMixin:
    """File dialogs, drops and the import queue of :class:`~baton.gui.shell.main_window.MainWindow`."""

    def choose_model_file(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(self, "Import model", self._last_dir(), MODEL_FILTER)
        if path:
            self.open_path(path)

    def choose_mlflow_folder(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path = QFileDialog.getExistingDirectory(
            self, "Import MLflow model folder", self._last_dir()
        )
        if path:
            self.open_path(path)

    def choose_dataset_file(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(
            self, "Import dataset", self._last_dir(), DATASET_FILTER
        )
        if path:
            self.open_path(path)

    def _last_dir(self) -> str:
        files = self.recent_files()
        return str(Path(files[0]).parent) if files else str(Path.home())

    def open_path(self, path: str | Path) -> None:
        """Open a file given on the command line, dropped, or picked.

        A ``.baton`` bundle or receipt opens in a tab; a model or dataset is imported.
        """
        self.import_paths([Path(path)])

    def import_paths(self, paths: list[Path]) -> None:
        """Import dropped or chosen files one after the other, each through its dialog."""
        from baton.gui.catalog.dialogs import kind_of

        if self.catalog is None:
            if self.catalog_error:
                self.show_message(self.catalog_error, "error")
            else:
                self._pending_paths.extend(paths)
            return
        refused = []
        for path in paths:
            if path.is_dir() and kind_of(path) is None:
                self.show_message(
                    f"{path.name} is a folder without an MLmodel file: Baton imports MLflow "
                    "model folders, and model and dataset files.",
                    "warning",
                )
            elif path.suffix.lower() == ".baton":
                self.open_document(path)
            elif kind_of(path) is None:
                refused.append(path.name)
            else:
                self._pending_paths.append(path)
        if refused:
            self.show_message(
                f"Baton cannot open {', '.join(refused)}: it imports models (.skops, .onnx, "
                ".joblib, .pkl) and datasets (.csv, .parquet), and opens bundles and review "
                "receipts (.baton).",
                "warning",
            )
        if self.import_dialog is None and self._pending_paths:
            self._next_import()

    def _next_import(self) -> None:
        from baton.gui.catalog.dialogs import ImportDatasetDialog, ImportModelDialog, kind_of

        self.import_dialog = None
        while self._pending_paths:
            path = self._pending_paths.pop(0)
            if not (path.is_file() or kind_of(path) == "model"):
                self.show_message(f"{path}: no such file.", "error")
                continue
            if kind_of(path) == "dataset":
                dialog = ImportDatasetDialog(path, self.catalog, self)
            else:
                datasets = self.catalog.list_datasets(limit=500)
                dialog = ImportModelDialog(path, self.catalog, datasets, self)
            dialog.accepted.connect(lambda d=dialog: self._start_import(d))
            dialog.finished.connect(lambda _result: QTimer.singleShot(0, self._next_import))
            self.import_dialog = dialog
            dialog.open()
            return

    def _start_import(self, dialog) -> None:
        from baton.gui.catalog.dialogs import ImportDatasetDialog
        from baton.gui.common import jobs

        values = dialog.values()
        path = dialog.path
        if isinstance(dialog, ImportDatasetDialog):
            job = jobs.import_dataset_job(path, **values)
            section = "datasets"
        else:
            job = jobs.import_model_job(path, **values)
            section = "models"
        self.runner.submit(
            f"Importing {path.name}",
            job,
            on_success=lambda record, p=path, s=section: self._imported(p, s, record),
        )

    def _imported(self, path: Path, section: str, record: dict) -> None:
        self.add_recent(path)
        if self.search.text():
            self.search.clear()  # refreshes
        else:
            self.refresh()
        kind = "dataset" if section == "datasets" else "model"
        already = record.get("already_in_catalog")
        if already:  # the same bytes, read the same way: show the model it already is
            self._show_record("model", {"id": record["name"]})
            self.show_message(
                f"{path.name} is already in the catalog as {', '.join(already)} (the same "
                "bytes), shown here; nothing was added.",
                "info",
            )
            return
        self.select_item(section, record["name"])
        self.show_status(f"Imported {kind} {record['name']!r} from {path.name}.")

    @staticmethod
    def _dropped_paths(mime) -> list[Path]:
        return (
            [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
            if mime.hasUrls()
            else []
        )
