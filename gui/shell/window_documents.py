"""The main window's document tabs: opened bundles, receipts and comparisons beside the
catalog tab, the keys page, and the file choosers that open them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QWidget,
)

from baton.gui.common import theme


class DocumentsMixin:
    """Document tabs of :class:`~baton.gui.shell.main_window.MainWindow`."""

    def _build_documents(self) -> None:
        """Opened bundles, receipts and comparisons as closable tabs beside the catalog.

        The first tab holds the catalog's pages and cannot be closed; the tab bar shows
        only while a document is open.
        """
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QTabBar, QTabWidget

        documents = QTabWidget()
        documents.setDocumentMode(True)
        documents.setTabsClosable(True)
        documents.setMovable(True)
        documents.setTabBarAutoHide(True)
        documents.setElideMode(Qt.TextElideMode.ElideMiddle)
        self._right_layout.removeWidget(self.pages)
        documents.addTab(self.pages, theme.icon("model"), "Catalog")
        documents.tabBar().setTabButton(0, QTabBar.ButtonPosition.RightSide, None)
        documents.tabBar().setTabButton(0, QTabBar.ButtonPosition.LeftSide, None)
        documents.tabCloseRequested.connect(self.close_document)
        documents.tabBar().tabMoved.connect(self._keep_catalog_first)
        self._right_layout.addWidget(documents, 1)
        self.documents = documents

    def _open_handover(self, record: dict) -> None:
        """A bundle listed under Handovers or Received: open its file, if it is still there."""
        path = record.get("path")
        if path and Path(path).is_file():
            self.open_document(path)
            return
        where = f" at {path}" if path else ""
        self.show_message(
            f"The file of {record.get('label') or record.get('name')} is no longer{where}. "
            "Open it from where it is now with File › Open bundle….",
            "warning",
        )

    def show_keys(self, fingerprint: str | None = None):
        """The keys page (my key, the trust store), with ``fingerprint`` selected if given."""
        page = self._pages.get("keys")
        if page is None:
            from baton.gui.keys.keys_view import open_keys_page

            page = open_keys_page(self.home, self, runner=self.runner)
            page.changed.connect(lambda _message: self.refresh())
            page.loaded.connect(self._keys_loaded)
            self._pages["keys"] = page
            self.pages.addWidget(page)
        else:
            page.refresh()
        # Selected now if listed, else once the trust store is read.
        self._key_to_select = (
            fingerprint if fingerprint and not page.select_key(fingerprint) else None
        )
        self.pages.setCurrentWidget(page)
        self.documents.setCurrentIndex(0)
        return page

    def _keys_loaded(self) -> None:
        if self._key_to_select:
            self._pages["keys"].select_key(self._key_to_select)
            self._key_to_select = None

    def open_document(self, path: str | Path):
        """Open a ``.baton`` bundle or ``.review.baton`` receipt in a tab (or show its tab)."""
        from baton.gui.shell.file_pages import open_file_page

        path = Path(path)
        if not path.is_file():
            self.show_message(f"{path}: no such file.", "error")
            return None
        key = str(path.resolve())
        for i in range(1, self.documents.count()):
            page = self.documents.widget(i)
            if page.property("documentKey") == key:
                self.documents.setCurrentIndex(i)
                return page
        page = open_file_page(self.home, path, self, runner=self.runner)
        page.setProperty("documentKey", key)
        page.catalog_changed.connect(self.refresh)
        receipt = type(page).__name__ == "ReceiptPage"
        index = self.documents.addTab(
            page, theme.icon("handover" if receipt else "received"), path.name
        )
        self._add_close_button(page)
        self.documents.setTabToolTip(index, str(path))
        self.documents.setCurrentIndex(index)
        self.add_recent(path)
        return page

    def compare_bundles(self, old: str | Path, new: str | Path):
        """Two bundles of one model side by side, in a tab."""
        from baton.gui.review.compare_view import open_compare_page

        page = open_compare_page(self.home, old, new, self, runner=self.runner)
        index = self.documents.addTab(
            page, theme.icon("handover"), f"{Path(old).name} → {Path(new).name}"
        )
        self._add_close_button(page)
        self.documents.setTabToolTip(index, f"{old}\n{new}")
        self.documents.setCurrentIndex(index)
        return page

    def _add_close_button(self, page: QWidget) -> None:
        """A themed close button on a document's tab (Qt's own is a red box in Fusion)."""
        from PySide6.QtWidgets import QTabBar, QToolButton

        button = QToolButton()
        button.setObjectName("CloseTab")
        button.setAutoRaise(True)
        button.setIcon(theme.icon("close"))
        button.setToolTip("Close this tab (Ctrl+W)")
        button.clicked.connect(lambda: self.close_document(self.documents.indexOf(page)))
        index = self.documents.indexOf(page)
        self.documents.tabBar().setTabButton(index, QTabBar.ButtonPosition.RightSide, button)

    def document_pages(self) -> list[QWidget]:
        return [self.documents.widget(i) for i in range(1, self.documents.count())]

    def close_document(self, index: int) -> None:
        """Close a document tab; its page cancels its work first (``shutdown``)."""
        if index <= 0 or self.documents is None:
            return
        page = self.documents.widget(index)
        self.documents.removeTab(index)
        if hasattr(page, "shutdown"):
            page.shutdown()
        page.deleteLater()

    def close_current_document(self) -> None:
        self.close_document(self.documents.currentIndex())

    def _keep_catalog_first(self, _from: int, _to: int) -> None:
        index = self.documents.indexOf(self.pages)
        if index != 0:
            self.documents.tabBar().moveTab(index, 0)

    def choose_bundle_file(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open a bundle or a review receipt",
            self._last_dir(),
            "Bundles and receipts (*.baton);;All files (*)",
        )
        if path:
            self.open_path(path)

    def choose_bundle_to_optimize(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(
            self, "Optimise a received bundle", self._last_dir(), "Bundles (*.baton)"
        )
        if path:
            self.optimize_bundle(path)

    def optimize_bundle(self, path: str | Path):
        """Open a bundle in a tab on its Optimise tab."""
        page = self.open_document(path)
        if page is not None and hasattr(page, "show_optimize"):
            page.show_optimize()
        return page

    def choose_bundles_to_compare(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        old, _ = QFileDialog.getOpenFileName(
            self, "Compare: the older bundle", self._last_dir(), "Bundles (*.baton)"
        )
        if not old:
            return
        new, _ = QFileDialog.getOpenFileName(
            self,
            f"Compare {Path(old).name} with the newer bundle",
            str(Path(old).parent),
            "Bundles (*.baton)",
        )
        if new:
            self.compare_bundles(old, new)
