"""The data scientist's desktop: catalog sidebar, search, model and dataset pages.

Threads: the window's :class:`~baton.core.catalog.store.Catalog` belongs to the GUI thread and
only reads; every import and measurement runs on :class:`~baton.gui.common.workers.TaskRunner`
with its own catalog connection, and the window re-reads when it ends. The status bar
shows the running task with a progress bar and a Cancel button.

Settings (window geometry, splitter, theme, recent files) live in ``gui.ini`` in the
Baton home, as an INI file with a schema version, so a test home never touches the
user's settings and nothing is pickled.

Start-up (``load_in_background=True``, what ``baton gui`` uses) never holds the event loop
for long, so that the first window is on screen about as fast as an empty QMainWindow and
stays responsive while the rest arrives:

1. the shell: palette, layout, search box, menu titles — few Qt classes, no core
   modules, nothing that loads Qt's big enum namespaces;
2. right after its first paint a helper thread (:func:`_load_in_background`) imports
   the window's code, then the catalog's (sqlite-utils pulls in pandas, the largest cost
   of all), opens the catalog on its own connection and reads the sidebar's first page;
   meanwhile the GUI thread builds the rest (sidebar, pages, status bar, task runner),
   then the menus and stylesheet in the next turn of the event loop, then shows the
   listing and opens its own read-only connection;
3. once the listing is painted, the thread warms the pages' code (pyqtgraph, pandas, the
   review package), so that opening a model or a bundle only builds widgets.

Without ``load_in_background`` (tests, embedding) everything happens in the constructor.
The sidebar lists a page of each section at a time (:mod:`~baton.gui.shell.sidebar`); a
bundle's page builds its tabs a piece per turn of the event loop
(:mod:`~baton.gui.common.stages`). Once the long-lived objects exist the garbage collector
is told to leave them alone (see ``_settle_heap``).

The window is assembled from mixins by job: menus, actions and settings
(:mod:`~baton.gui.shell.window_menus`), files coming in
(:mod:`~baton.gui.shell.window_files`) and document tabs
(:mod:`~baton.gui.shell.window_documents`); this module builds it and shows the catalog.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from baton.core.catalog.home import resolve_home
from baton.gui.common import theme
from baton.gui.shell.window_documents import DocumentsMixin
from baton.gui.shell.window_files import FilesMixin
from baton.gui.shell.window_menus import MenusMixin

# Everything else (sidebar, pages, dialogs, workers) is imported when the window is
# completed: after its first paint when it starts in the background (module docstring).


def _settle_heap() -> None:
    """Move what start-up built out of the garbage collector's way.

    The app holds hundreds of thousands of long-lived objects (Qt wrappers, pandas,
    pyarrow, pyqtgraph). A full collection walks them all and can hold the GUI thread
    for 100 ms or more, in whichever thread happens to allocate. Freezing them once
    they exist keeps later collections to the objects that come and go.
    """
    import gc

    gc.freeze()


# What the window needs right after its first paint, imported off the GUI thread so that
# building it only makes widgets (defining PySide6 classes creates Qt's enum namespaces:
# hundreds of milliseconds).
WINDOW_MODULES = (
    "baton.gui.common.widgets",
    "baton.gui.common.workers",
    "baton.gui.shell.sidebar",
    "baton.gui.shell.status",
)
# What the first bundle, receipt, model or dataset page needs (pyqtgraph, pandas, the
# review package), warmed once the catalog is listed so that opening one only builds it.
PAGE_MODULES = (
    "baton.gui.shell.file_pages",
    "baton.gui.catalog.model_view",
    "baton.gui.catalog.dataset_view",
    "baton.gui.keys.keys_view",
    "pandas",
)


def _load_in_background(home: Path, report, shown) -> None:
    """Start-up's imports and first catalog read, off the GUI thread (module docstring).

    Reports ``(stage, payload)`` through ``report`` in order: ``window`` once the window's
    code is loaded; ``catalog`` with the first page of the sidebar (read on a connection
    of this thread, which also ran the catalog's opening checks and migrations); ``pages``
    once the pages' code is warm, which starts only when the window has shown the
    listing (the ``shown`` event): importing holds the interpreter, and the GUI thread
    would wait for it at each of its calls into Qt. A stage that fails reports ``failed``
    with why.
    """
    import importlib

    stage = "window"
    try:
        for name in WINDOW_MODULES:
            importlib.import_module(name)
        report.emit(stage, None)
        stage = "catalog"
        from baton.core.catalog.store import Catalog
        from baton.core.errors import BatonError
        from baton.gui.shell.sidebar import load_sections

        try:
            with Catalog(home) as catalog:
                listing = load_sections(catalog)
        except BatonError as exc:
            report.emit("failed", str(exc))
            return
        report.emit(stage, listing)
        shown.wait(30)
        stage = "pages"
        for name in PAGE_MODULES:
            importlib.import_module(name)
        report.emit(stage, None)
    except Exception as exc:  # reported in the window, never raised on a thread
        report.emit("failed", f"Baton cannot load its {stage} code: {type(exc).__name__}: {exc}")


class MainWindow(MenusMixin, FilesMixin, DocumentsMixin, QMainWindow):
    """The main window on the catalog of one Baton home.

    Public surface used by tests: ``search`` (the search box), ``sidebar`` and
    :meth:`listed_items`, ``runner`` (long work), ``banner``, ``undo_stack`` (Edit › Undo /
    Redo), ``documents`` (the tabs of opened bundles, receipts and comparisons; the first
    tab is the catalog), :meth:`open_path`, :meth:`open_document`, :meth:`compare_bundles`,
    :meth:`new_handover`, :meth:`export_bundle` (``export_dialog``), :meth:`show_keys`.
    """

    loaded = Signal(str, object)  # a stage of start-up off the GUI thread, and its payload
    catalog_listed = Signal()  # the sidebar lists the catalog: the window is usable

    def __init__(self, home: str | Path | None = None, *, load_in_background: bool = False) -> None:
        home = resolve_home(home)
        home.mkdir(parents=True, exist_ok=True)
        settings = QSettings(str(home / "gui.ini"), QSettings.Format.IniFormat)
        # The palette goes on before the first widget exists: widgets made earlier keep
        # the old one until they are re-polished.
        manager = theme.manager(QApplication.instance())
        manager.apply(
            str(settings.value("view/theme", "system")), with_stylesheet=not load_in_background
        )
        super().__init__()
        self.setWindowTitle("Baton")
        self.setAcceptDrops(True)
        self.home = home
        self.settings = settings
        self.theme = manager
        self.catalog = None
        self.catalog_error = ""
        self.sidebar = None
        self.import_dialog = None
        self.export_dialog = None
        self.documents = None
        self._key_to_select: str | None = None
        self._pending_paths: list[Path] = []
        self._after_start: list[Path] = []
        self._pages: dict[str, QWidget] = {}
        self._loader = None  # the thread loading code and the first listing (start-up)
        self._listing = None  # that first listing, until the window can show it
        self.pages_warm = not load_in_background
        self._complete = False
        self._background = load_in_background
        self._check_settings_version()
        self._build_shell()
        self._restore_geometry()
        if load_in_background:
            # Loading starts right after the first paint (paintEvent), or soon anyway if
            # the window is never shown.
            QTimer.singleShot(500, self._start_loading)
        else:
            self._complete_window()
            self.open_catalog()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().paintEvent(event)
        if self._loader is None and self._background:
            QTimer.singleShot(0, self._start_loading)

    def _start_loading(self) -> None:
        if self._loader is not None:
            return
        import threading

        self.loaded.connect(self._stage_loaded)
        self._listing_shown = threading.Event()
        self._loader = threading.Thread(
            target=_load_in_background,
            args=(self.home, self.loaded, self._listing_shown),
            name="baton-start-up",
            daemon=True,
        )
        self._loader.start()

    def _stage_loaded(self, stage: str, payload: object) -> None:
        """One stage of :func:`_load_in_background` is done: take the next step here."""
        if stage == "window":
            self._complete_window()
        elif stage == "catalog":
            self._listing = payload
            # After the stylesheet and menus (queued behind them), so each step stays short.
            QTimer.singleShot(0, self._show_first_listing)
        elif stage == "pages":
            self.pages_warm = True
            if self.catalog is not None:
                self._open_pending()
        else:
            if not self._complete:
                self._complete_window()
            QTimer.singleShot(0, lambda: self._catalog_failed(str(payload)))

    # -- building

    def _build_shell(self) -> None:
        """What the first frame shows: the layout, the search box, the menu titles."""
        side = QWidget()
        side.setObjectName("Sidebar")
        self._side_layout = QVBoxLayout(side)
        self._side_layout.setContentsMargins(8, 10, 6, 8)
        self._side_layout.setSpacing(8)
        self.search = QLineEdit()
        self.search.setObjectName("Search")
        self.search.setPlaceholderText("Search models and datasets…")
        self.search.setEnabled(False)  # until the catalog is open
        self._side_layout.addWidget(self.search)
        self._opening = QLabel("Opening the catalog…")
        self._opening.setObjectName("Muted")
        self._side_layout.addWidget(self._opening)
        self._side_layout.addStretch(1)
        side.setMinimumWidth(220)

        right = QWidget()
        self._right_layout = QVBoxLayout(right)
        self._right_layout.setContentsMargins(0, 0, 0, 0)
        self._right_layout.setSpacing(0)
        self.pages = QStackedWidget()
        self._right_layout.addWidget(self.pages, 1)

        self.splitter = QSplitter()  # horizontal
        self.splitter.addWidget(side)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([270, 1010])
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)
        bar = self.menuBar()
        self.file_menu = bar.addMenu("&File")
        self.edit_menu = bar.addMenu("&Edit")
        self.view_menu = bar.addMenu("&View")
        self.help_menu = bar.addMenu("&Help")
        self.statusBar().showMessage(f"Catalog: {self.home}")

    def _complete_window(self) -> None:
        """Build the rest (sidebar, pages, menu actions, stylesheet), then open the catalog."""
        if self._complete:
            return
        self._complete = True
        from PySide6.QtGui import QUndoStack

        from baton.gui.common.widgets import Banner
        from baton.gui.common.workers import TaskRunner
        from baton.gui.shell.home import HomePage
        from baton.gui.shell.sidebar import CatalogSidebar
        from baton.gui.shell.status import TaskStatus

        self.setWindowIcon(theme.icon("baton", "#2f6feb"))
        self.undo_stack = QUndoStack(self)
        self.runner = TaskRunner(self.home, self)
        self.runner.task_failed.connect(self._task_failed)
        self.runner.task_cancelled.connect(lambda title: self.show_status(f"Cancelled: {title}."))

        self._opening.hide()
        self._side_layout.takeAt(self._side_layout.count() - 1)  # the shell's stretch
        self.search.setClearButtonEnabled(True)
        self.search.setAcceptDrops(False)
        self.search.addAction(
            theme.icon("search", theme.current_colors()["muted"]),
            QLineEdit.ActionPosition.LeadingPosition,
        )
        self.search.textChanged.connect(self._search_changed)
        self.sidebar = CatalogSidebar()
        self.sidebar.record_selected.connect(self._show_record)
        self.sidebar.record_clicked.connect(self._record_clicked)
        self.sidebar.more_requested.connect(self._list_more)
        self._side_layout.addWidget(self.sidebar, 1)

        self.banner = Banner()
        banner_box = QWidget()
        bl = QVBoxLayout(banner_box)
        bl.setContentsMargins(12, 8, 12, 0)
        bl.addWidget(self.banner)
        self.banner.dismissed.connect(lambda: banner_box.setVisible(False))
        self._banner_box = banner_box
        banner_box.hide()
        self._right_layout.insertWidget(0, banner_box)
        self.home_page = HomePage()
        self.home_page.action_requested.connect(self._home_action)
        self.pages.addWidget(self.home_page)
        self._build_documents()
        self.task_status = TaskStatus(self.runner)
        self.statusBar().addPermanentWidget(self.task_status)
        if self._background:
            # The menus and the stylesheet next, in their own turn of the event loop.
            QTimer.singleShot(0, self._complete_menus)
        else:
            self._complete_menus()

    def _complete_menus(self) -> None:
        if self._background:
            self.theme.apply(self.theme.mode)  # adds the stylesheet now that the window shows
        self._build_menus()
        self.theme.changed.connect(self._retheme)

    # -- settings

    # -- the catalog

    def _show_first_listing(self) -> None:
        """The catalog as the start-up thread read it; the window's own connection opens
        in the next turn of the event loop."""
        listing, self._listing = self._listing, None
        if not self.search.text().strip():
            self.sidebar.populate(listing)
        self.catalog_listed.emit()
        QTimer.singleShot(0, lambda: self.open_catalog(listed=True))
        # Once it is painted, the start-up thread goes on to the pages' code.
        QTimer.singleShot(50, self._listing_shown.set)

    def open_catalog(self, *, listed: bool = False) -> None:
        """Open the catalog on the GUI thread (read-only use) and list it (unless the
        start-up thread already did)."""
        from baton.core.catalog.store import Catalog
        from baton.core.errors import BatonError

        try:
            self.catalog = Catalog(self.home)
        except BatonError as exc:
            self._catalog_failed(str(exc))
            return
        self.search.setEnabled(True)
        if not listed:
            self.refresh()
            self.catalog_listed.emit()
        else:
            self.refresh_home()
        _settle_heap()
        self.statusBar().showMessage(f"Catalog: {self.catalog.path}", 8000)
        # Files given on the command line or dropped while the window started open once
        # the pages' code is loaded (building a page needs it).
        self._after_start, self._pending_paths = self._pending_paths, []
        if self.pages_warm:
            self._open_pending()

    def _open_pending(self) -> None:
        pending, self._after_start = self._after_start, []
        for path in pending:
            self.open_path(path)

    def _catalog_failed(self, message: str) -> None:
        self.catalog_error = message
        self.sidebar.set_loading("The catalog cannot be opened")
        self.show_message(message, "error")
        for action in (self.action_import_model, self.action_import_dataset):
            action.setEnabled(False)

    def refresh(self, *_: object) -> None:
        """Re-read the catalog into the sidebar and the open model page (after a change)."""
        if self.catalog is None:
            return
        if self._list():
            self.refresh_home()
            model_page = self._pages.get("model")
            if model_page is not None and model_page.record is not None:
                model_page.refresh_datasets()

    def refresh_home(self) -> None:
        """Read what waits (:func:`~baton.core.catalog.overview.overview`, about 20 ms at
        100 000 models) into the home page."""
        from baton.core.catalog.overview import overview
        from baton.core.errors import BatonError

        if self.catalog is None:
            return
        try:
            self.home_page.set_overview(overview(self.catalog))
        except BatonError as exc:
            self.show_message(str(exc), "error")

    def show_home(self) -> None:
        """View › Home: what waits in the catalog."""
        self.refresh_home()
        self.pages.setCurrentWidget(self.home_page)
        self.documents.setCurrentIndex(0)

    def _home_action(self, action: str, ref: str) -> None:
        """A home page button: take a record's next step (see :mod:`~baton.gui.shell.home`)."""
        from baton.core.errors import NotFound

        if action == "import_model":
            self.action_import_model.trigger()
        elif action == "open_bundle":
            self.action_open_bundle.trigger()
        elif action == "open":
            self.open_path(ref)
        elif action in ("evaluate", "draft", "export") and self.catalog is not None:
            try:
                record = self.catalog.get_model(ref)
            except NotFound as exc:
                self.show_message(str(exc), "error")
                return
            self._show_record("model", record)
            page = self.model_page
            if action == "evaluate":
                page.tabs.setCurrentWidget(page.evaluation)
            elif action == "draft":
                self.new_handover()
            else:
                page.tabs.setCurrentWidget(page.contract)
                self.export_bundle()

    def _search_changed(self, _text: str) -> None:
        # Typing changes what is listed, not the catalog: the pages keep what they read.
        if self.catalog is not None:
            self._list()

    def _list(self) -> bool:
        """List the first page of every section for the search box's text (search as you
        type); False if the catalog could not be read."""
        from baton.core.errors import BatonError
        from baton.gui.shell.sidebar import load_sections

        query = self.search.text().strip()
        try:
            listing = load_sections(self.catalog, query)
        except BatonError as exc:
            self.show_message(str(exc), "error")
            return False
        self.sidebar.populate(listing, query)
        return True

    def _list_more(self, section: str) -> None:
        """The next page of one sidebar section ("Show more")."""
        from baton.core.errors import BatonError
        from baton.gui.shell.sidebar import load_page

        if self.catalog is None:
            return
        query = self.search.text().strip()
        try:
            records, more = load_page(
                self.catalog, section, query, offset=self.sidebar.shown_count(section)
            )
        except BatonError as exc:
            self.show_message(str(exc), "error")
            return
        self.sidebar.append_page(section, records, more)

    def listed_items(self, section: str | None = None) -> list[str]:
        """Names listed in the sidebar: all, or one section ("models", "datasets", …)."""
        return self.sidebar.listed(section) if self.sidebar is not None else []

    def select_item(self, section: str, name: str) -> bool:
        """Select ``name`` in a sidebar section ("models" or "datasets") and show its page."""
        return self.sidebar is not None and self.sidebar.select(section, name)

    # -- pages

    def _page(self, kind: str) -> QWidget:
        from baton.gui.shell.record_view import RecordPage

        page = self._pages.get(kind)
        if page is None:
            if kind == "model":
                from baton.gui.catalog.model_view import ModelPage

                page = ModelPage(self)
                page.contract.draft_opened.connect(self._draft_state_changed)
                page.contract.saved.connect(lambda _c: self.refresh())
            elif kind == "dataset":
                from baton.gui.catalog.dataset_view import DatasetPage

                page = DatasetPage(self)
            else:
                page = RecordPage()
            self._pages[kind] = page
            self.pages.addWidget(page)
            _settle_heap()
        return page

    @property
    def model_page(self):
        return self._page("model")

    @property
    def dataset_page(self):
        return self._page("dataset")

    def _record_clicked(self, kind: str, record: dict) -> None:
        """A click on a listed record: show its page unless it is already in front."""
        if not self._showing(kind, record):
            self._show_record(kind, record)

    def _showing(self, kind: str, record: dict) -> bool:
        if kind == "handover" or self.documents.currentIndex() != 0:
            return False  # a handover's tab is found again by its file
        name = kind if kind in ("model", "dataset") else "keys" if kind == "key" else "record"
        page = self._pages.get(name)
        if page is None or self.pages.currentWidget() is not page:
            return False
        if kind == "key":
            return True
        shown = getattr(page, "record", None) or {}
        return shown.get("id") == record.get("id") and shown.get("name") == record.get("name")

    def _show_record(self, kind: str, record: dict) -> None:
        if kind == "none" or not record:
            self.pages.setCurrentWidget(self.home_page)
            return
        if kind == "handover":
            self._open_handover(record)
            return
        if kind == "key":
            self.show_keys(record.get("fingerprint"))
            return
        if kind in ("model", "dataset"):
            if self.catalog is None:  # listed by the start-up thread, not open here yet
                return
            # Search hits carry the row as it was; the page shows the full, current record.
            from baton.core.errors import NotFound

            try:
                record = (self.catalog.get_model if kind == "model" else self.catalog.get_dataset)(
                    record["id"]
                )
            except NotFound as exc:
                self.show_message(str(exc), "error")
                return
        page = self._page(kind if kind in ("model", "dataset") else "record")
        if kind in ("model", "dataset"):
            page.set_record(record)
        else:
            page.set_record(kind, record)
        self.pages.setCurrentWidget(page)
        self.documents.setCurrentIndex(0)

    # -- documents: bundles, receipts, comparisons

    # -- messages

    def show_message(self, text: str, kind: str = "info") -> None:
        """A message where the user looks: the banner above the page."""
        self.banner.show_message(text, kind)
        self._banner_box.show()

    def show_status(self, text: str, msecs: int = 8000) -> None:
        self.statusBar().showMessage(text, msecs)

    def _task_failed(self, title: str, message: str) -> None:
        self.show_message(f"{title} failed: {message}", "error")

    # -- importing

    # -- drag and drop

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt naming
        from baton.gui.catalog.dialogs import kind_of

        paths = self._dropped_paths(event.mimeData())
        if paths and any(kind_of(p) or p.suffix.lower() == ".baton" for p in paths):
            event.acceptProposedAction()
            self.show_status("Drop to import " + ", ".join(p.name for p in paths[:3]), 3000)
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt naming
        event.acceptProposedAction() if self._dropped_paths(event.mimeData()) else event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt naming
        paths = self._dropped_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.import_paths(paths)

    # -- contracts and bundles

    def new_handover(self) -> None:
        """File › New handover: draft a contract for the model shown (or pick one)."""
        if self.catalog is None:
            return
        models = self.catalog.list_models(limit=500)
        if not models:
            self.show_message(
                "Import a model and its test set first (File › Import), then draft its contract.",
                "info",
            )
            return
        page = self._pages.get("model")
        current = page.record if page is not None and self.pages.currentWidget() is page else None
        if current is None:
            current = models[0]
            self.search.clear()
            self.select_item("models", current["name"])
        page = self.model_page
        page.tabs.setCurrentWidget(page.contract)
        self.documents.setCurrentIndex(0)
        return page.contract.open_new_draft_dialog(models=models)

    def _draft_state_changed(self, open_: bool) -> None:
        self.action_export_bundle.setEnabled(open_)

    def export_bundle(self):
        """File › Export bundle…: sign the open contract draft (:class:`ExportDialog`)."""
        page = self._pages.get("model")
        contract_page = page.contract if page is not None else None
        if contract_page is None or not contract_page.has_draft():
            self.show_message("Open or draft a contract first (a model's Contract tab).", "info")
            return None
        from baton.gui.export.export_dialog import ExportDialog

        editor = contract_page.editor
        errors = editor.error_count()
        blocking = (
            f"{errors} field{'s' if errors != 1 else ''} of the contract "
            f"{'are' if errors != 1 else 'is'} marked red in the editor."
            if errors
            else ""
        )
        dialog = ExportDialog(self, editor.contract, contract_page.model, self, blocking=blocking)
        dialog.exported.connect(
            lambda result, p=contract_page, d=dialog: self._exported(p, d.contract, result)
        )
        dialog.key_created.connect(lambda _me: self.refresh())
        self.export_dialog = dialog
        dialog.open()
        return dialog

    def _exported(self, contract_page, contract: dict, result: dict) -> None:
        contract_page.mark_saved(contract)
        self.refresh()
        self.show_status(f"Exported {Path(result['file']).name}.")

    # -- view and help

    def set_theme(self, mode: str) -> None:
        self.theme.apply(mode)
        self.theme_actions[self.theme.mode].setChecked(True)
        self.settings.setValue("view/theme", self.theme.mode)

    def toggle_dark(self) -> None:
        self.set_theme("light" if self.theme.dark else "dark")

    def _retheme(self) -> None:
        from PySide6.QtGui import QAction

        for action in self.findChildren(QAction):
            name = action.property("iconName")
            if name:
                action.setIcon(theme.icon(name))
        self.task_status.cancel_button.setIcon(theme.icon("cancel"))
        self.search.actions()[0].setIcon(theme.icon("search", theme.current_colors()["muted"]))
        for kind, page in self._pages.items():
            if kind in ("model", "dataset"):
                page.retheme()
        if self.documents is not None:
            from PySide6.QtWidgets import QTabBar

            self.documents.setTabIcon(0, theme.icon("model"))
            for i in range(1, self.documents.count()):
                button = self.documents.tabBar().tabButton(i, QTabBar.ButtonPosition.RightSide)
                if button is not None:
                    button.setIcon(theme.icon("close"))

    def _focus_search(self) -> None:
        from PySide6.QtCore import Qt

        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # -- closing

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        self.save_settings()
        if self._complete:
            for page in self.document_pages():
                if hasattr(page, "shutdown"):
                    page.shutdown()
            if "model" in self._pages:
                self._pages["model"].contract.shutdown()
            if self.runner.busy():
                self.runner.cancel_all()
            self.runner.wait(15_000)
        if self._loader is not None:
            self._listing_shown.set()
            self._loader.join(15)
        if self.catalog is not None:
            self.catalog.close()
            self.catalog = None
        super().closeEvent(event)
