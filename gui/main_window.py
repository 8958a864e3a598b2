"""The main window: catalog sidebar, search and detail pane."""

from __future__ import annotations

import json
from pathlib import Path

from baton.core.catalog import Catalog
from baton.core.errors import BatonError
from baton.core.home import resolve_home
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)


class MainWindow(QMainWindow):
    def __init__(self, home: str | Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Baton")
        self.resize(1200, 800)
        self.home = resolve_home(home)
        self.catalog = Catalog(self.home)

        self.search = QLineEdit(placeholderText="Search models and datasets…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.refresh)
        self.items = QListWidget()
        self.items.currentItemChanged.connect(self._show_item)
        left = QWidget()
        layout = QVBoxLayout(left)
        layout.addWidget(self.search)
        layout.addWidget(self.items)
        self.detail = QPlainTextEdit(readOnly=True)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.detail)
        splitter.setSizes([350, 850])
        self.setCentralWidget(splitter)
        self.statusBar().showMessage(f"Catalog: {self.catalog.path}")
        self.refresh()

    def refresh(self) -> None:
        text = self.search.text().strip()
        self.items.clear()
        if text:
            records = self.catalog.search(text)
        else:
            records = [dict(r, kind="model") for r in self.catalog.list_models()] + [
                dict(r, kind="dataset") for r in self.catalog.list_datasets()
            ]
        for record in records:
            item = QListWidgetItem(f"{record['kind'].title()}: {record['name']}")
            item.setData(Qt.ItemDataRole.UserRole, record)
            self.items.addItem(item)

    def _show_item(self, item: QListWidgetItem | None) -> None:
        if item is None:
            self.detail.clear()
            return
        record = dict(item.data(Qt.ItemDataRole.UserRole))
        record.pop("profile", None)
        self.detail.setPlainText(json.dumps(record, indent=2, default=str))

    def open_path(self, path: str) -> None:
        try:
            raise BatonError(f"opening {Path(path).name} is not possible yet")
        except BatonError as exc:
            QMessageBox.warning(self, "Baton", str(exc))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self.catalog.close()
        super().closeEvent(event)
