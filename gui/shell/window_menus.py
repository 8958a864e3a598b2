"""The main window's menus and settings: the actions with their shortcuts, the recent-files
menu, the keyboard-shortcut and About boxes, and ``gui.ini`` (geometry, splitter, theme,
recent files) with its schema version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize

from baton.gui.common import theme

SETTINGS_VERSION = 1
MAX_RECENT = 10


class MenusMixin:
    """Menus, actions and settings of :class:`~baton.gui.shell.main_window.MainWindow`."""

    def _action(
        self,
        text: str,
        icon_name: str | None = None,
        shortcut: Any = None,
        slot=None,
        tip: str = "",
    ):
        from PySide6.QtGui import QAction, QKeySequence

        action = QAction(text, self)
        if icon_name:
            action.setIcon(theme.icon(icon_name))
            action.setProperty("iconName", icon_name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if slot is not None:
            action.triggered.connect(slot)
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        return action

    def _build_menus(self) -> None:
        from PySide6.QtGui import QAction, QActionGroup, QKeySequence

        file_menu = self.file_menu
        file_menu.setToolTipsVisible(True)
        self.action_import_model = self._action(
            "Import &model…",
            "import-model",
            "Ctrl+I",
            self.choose_model_file,
            "Add a .skops, .onnx, .joblib or .pkl model to the catalog",
        )
        self.action_import_mlflow = self._action(
            "Import ML&flow model folder…",
            "import-model",
            None,
            self.choose_mlflow_folder,
            "Add a model saved by mlflow.sklearn or mlflow.onnx (a folder with an MLmodel file)",
        )
        self.action_import_dataset = self._action(
            "Import &dataset…",
            "import-dataset",
            "Ctrl+Shift+I",
            self.choose_dataset_file,
            "Add a CSV or Parquet dataset to the catalog",
        )
        file_menu.addAction(self.action_import_model)
        file_menu.addAction(self.action_import_mlflow)
        file_menu.addAction(self.action_import_dataset)
        self.recent_menu = file_menu.addMenu(theme.icon("recent"), "Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file_menu.addSeparator()
        self.action_new_handover = self._action(
            "&New handover…",
            "new-handover",
            QKeySequence.StandardKey.New,
            self.new_handover,
            "Draft a handover contract for a model of the catalog",
        )
        self.action_open_bundle = self._action(
            "&Open bundle…",
            "open-bundle",
            QKeySequence.StandardKey.Open,
            self.choose_bundle_file,
            "Open a signed bundle (.baton) or a review receipt (.review.baton)",
        )
        self.action_compare_bundles = self._action(
            "&Compare bundles…",
            "handover",
            None,
            self.choose_bundles_to_compare,
            "Two versions of one model side by side",
        )
        self.action_optimize_bundle = self._action(
            "O&ptimise bundle…",
            "export",
            None,
            self.choose_bundle_to_optimize,
            "Convert a received bundle's model to ONNX, prove parity and sign the result",
        )
        self.action_export_bundle = self._action(
            "&Export bundle…",
            "export",
            "Ctrl+Shift+E",
            self.export_bundle,
            "Sign the open contract draft and write NAME-VERSION.baton",
        )
        self.action_export_bundle.setEnabled(False)
        self.action_close_document = self._action(
            "&Close tab", "close", QKeySequence.StandardKey.Close, self.close_current_document
        )
        for action in (
            self.action_new_handover,
            self.action_open_bundle,
            self.action_compare_bundles,
            self.action_optimize_bundle,
            self.action_export_bundle,
            self.action_close_document,
        ):
            file_menu.addAction(action)
        file_menu.addSeparator()
        self.action_quit = self._action("&Quit", "quit", QKeySequence.StandardKey.Quit, self.close)
        if self.action_quit.shortcut().isEmpty():  # some platforms define no Quit key
            self.action_quit.setShortcut(QKeySequence("Ctrl+Q"))
        self.action_quit.setMenuRole(QAction.MenuRole.QuitRole)
        file_menu.addAction(self.action_quit)

        edit_menu = self.edit_menu
        self.action_undo = self.undo_stack.createUndoAction(self, "&Undo")
        self.action_undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.action_redo = self.undo_stack.createRedoAction(self, "&Redo")
        self.action_redo.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addAction(self.action_undo)
        edit_menu.addAction(self.action_redo)
        edit_menu.addSeparator()
        self.action_find = self._action(
            "&Find in catalog", "search", QKeySequence.StandardKey.Find, self._focus_search
        )
        edit_menu.addAction(self.action_find)

        view_menu = self.view_menu
        theme_menu = view_menu.addMenu(theme.icon("theme"), "&Theme")
        self.theme_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for mode, label in (
            ("system", "Follow the &system"),
            ("light", "&Light"),
            ("dark", "&Dark"),
        ):
            action = QAction(label, self, checkable=True)
            action.setData(mode)
            action.triggered.connect(lambda _checked=False, m=mode: self.set_theme(m))
            group.addAction(action)
            theme_menu.addAction(action)
            self.theme_actions[mode] = action
        self.theme_actions[self.theme.mode].setChecked(True)
        self.action_toggle_dark = self._action(
            "Toggle &dark mode", None, "Ctrl+Shift+D", self.toggle_dark
        )
        view_menu.addAction(self.action_toggle_dark)
        view_menu.addSeparator()
        self.action_home = self._action(
            "&Home",
            "baton",
            "Alt+Home",
            self.show_home,
            "What waits in the catalog, and the next steps",
        )
        view_menu.addAction(self.action_home)
        self.action_keys = self._action(
            "My &key and trusted keys",
            "key",
            "Ctrl+K",
            self.show_keys,
            "Create or export your signing key; trust or revoke colleagues' keys",
        )
        view_menu.addAction(self.action_keys)

        help_menu = self.help_menu
        self.action_shortcuts = self._action(
            "&Keyboard shortcuts", "keyboard", "F1", self.show_shortcuts
        )
        self.action_about = self._action("&About Baton", "about", None, self.show_about)
        self.action_about.setMenuRole(QAction.MenuRole.AboutRole)
        help_menu.addAction(self.action_shortcuts)
        help_menu.addAction(self.action_about)

    def _check_settings_version(self) -> None:
        version = int(self.settings.value("settings/version", 0) or 0)
        if version > SETTINGS_VERSION:
            # Written by a newer Baton: read what we know, never rewrite its version.
            return
        self.settings.setValue("settings/version", SETTINGS_VERSION)

    def _restore_geometry(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(QSize(1280, 820))
        splitter = self.settings.value("window/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def save_settings(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.setValue("view/theme", self.theme.mode)
        self.settings.sync()

    def recent_files(self) -> list[str]:
        import json

        raw = self.settings.value("recent/files", "[]")
        try:
            files = json.loads(raw) if isinstance(raw, str) else []
        except ValueError:
            files = []
        return [f for f in files if isinstance(f, str)][:MAX_RECENT]

    def add_recent(self, path: str | Path) -> None:
        import json

        path = str(Path(path).resolve())
        files = [path] + [f for f in self.recent_files() if f != path]
        self.settings.setValue("recent/files", json.dumps(files[:MAX_RECENT]))

    def _fill_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        files = self.recent_files()
        if not files:
            empty = menu.addAction("No recent files")
            empty.setEnabled(False)
            return
        for f in files:
            path = Path(f)
            action = menu.addAction(f"{path.name}  —  {path.parent}")
            action.setEnabled(path.is_file())
            action.triggered.connect(lambda _checked=False, p=f: self.open_path(p))
        menu.addSeparator()
        menu.addAction("Clear the list", lambda: self.settings.setValue("recent/files", "[]"))

    def all_actions(self) -> list:
        """Every action with its shortcut, for Help › Keyboard shortcuts."""
        from PySide6.QtGui import QAction, QKeySequence

        actions = list(self.findChildren(QAction))
        model_page = self._pages.get("model")
        if model_page is None:
            actions += [
                QAction("Evaluate", self, shortcut=QKeySequence("Ctrl+E")),
                QAction("Profile", self, shortcut=QKeySequence("Ctrl+P")),
            ]
        else:
            actions += [model_page.action_evaluate, model_page.action_profile]
        return actions

    def show_shortcuts(self) -> None:
        from PySide6.QtCore import Qt

        from baton.gui.catalog.dialogs import ShortcutsDialog

        dialog = ShortcutsDialog(self.all_actions(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def show_about(self) -> None:
        from importlib import metadata

        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        try:
            version = metadata.version("baton-handover")
        except metadata.PackageNotFoundError:
            version = "development"
        box = QMessageBox(self)
        box.setWindowTitle("About Baton")
        box.setIconPixmap(theme.pixmap("baton", 64, "#2f6feb"))
        box.setText(f"<b>Baton</b> {version}")
        box.setInformativeText(
            "Hands a trained model from the data scientist who built it to the ML engineer "
            "who will run it, as a signed bundle that proves who signed it and that nothing "
            "changed.<br><br>Apache License 2.0."
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
