"""The main window: catalog sidebar, search as you type, menus, settings, drops."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from baton.core.catalog.store import Catalog
from baton.gui.catalog.dialogs import ImportDatasetDialog, ImportModelDialog
from baton.gui.keys.keys_view import KeysPage


def _seed(home: Path) -> None:
    with Catalog(home) as cat:
        cat.add_model(
            {
                "name": "churn-lr",
                "format": "skops",
                "sha256": "a" * 64,
                "estimator": "LogisticRegression",
                "task": "binary",
            }
        )
        cat.add_dataset(
            {
                "name": "customers",
                "format": "csv",
                "sha256": "b" * 64,
                "fingerprint": "f",
                "rows": 10,
                "columns": [{"name": "tenure"}],
            }
        )


def test_window_shows_catalog_and_searches(home, window_on, qtbot):
    _seed(home)
    window = window_on(home)
    assert window.windowTitle() == "Baton"
    assert window.listed_items() == ["churn-lr", "customers"]
    assert window.listed_items("models") == ["churn-lr"]

    qtbot.keyClicks(window.search, "tenu")
    assert window.listed_items() == ["customers"]
    assert window.sidebar.placeholder_texts()["models"] == "No matches"

    window.search.clear()
    qtbot.keyClicks(window.search, "logistic")
    assert window.listed_items() == ["churn-lr"]


def test_empty_catalog_shows_empty_states(home, window_on):
    window = window_on(home)
    empty = window.sidebar.placeholder_texts()
    assert empty == {
        "models": "No models yet — drop one here",
        "datasets": "No datasets yet — drop one here",
        "handovers": "No handovers yet",
        "received": "No bundles received yet",
        "keys": "No trusted keys yet",
    }
    assert window.home_page.text().startswith("Home\nYour catalog is empty.\nStart here")


def test_handovers_received_and_keys_come_from_the_catalog(home, window_on, qtbot):
    with Catalog(home) as cat, cat.write() as db:
        db["handovers"].insert_all(
            [
                {
                    "id": "h1",
                    "direction": "sent",
                    "name": "churn",
                    "version": "1.2.0",
                    "root_digest": "c" * 64,
                    "status": "packed",
                    "created_at": "2026-01-02T03:04:05Z",
                },
                {
                    "id": "h2",
                    "direction": "received",
                    "name": "fraud",
                    "version": "0.9.0",
                    "root_digest": "d" * 64,
                    "status": "accept",
                    "created_at": "2026-01-03T03:04:05Z",
                },
            ]
        )
        db["trusted_keys"].insert(
            {
                "fingerprint": "e" * 64,
                "name": "Ada",
                "email": "ada@example.org",
                "public_pem": "PEM",
                "trusted_at": "2026-01-01T00:00:00Z",
            }
        )
    with Catalog(home) as cat, cat.write() as db:
        db["reviews"].insert(
            {
                "id": "r1",
                "handover_id": "h1",
                "decision": "changes",
                "comment": "Latency at batch 32, please",
                "reviewer": "Eli",
                "created_at": "2026-01-04T03:04:05Z",
            }
        )
    window = window_on(home)
    assert window.listed_items("handovers") == ["churn 1.2.0 — changes requested"]
    tip = window.sidebar.sections["handovers"].child(0).toolTip(0)
    assert "decided by Eli" in tip and "“Latency at batch 32, please”" in tip
    assert window.listed_items("received") == ["fraud 0.9.0 — accepted"]
    assert window.listed_items("keys") == ["Ada"]

    # A key opens the keys page with it selected.
    window.select_item("keys", "Ada")
    page = window.pages.currentWidget()
    assert isinstance(page, KeysPage)
    qtbot.waitUntil(lambda: (page.selected_key() or {}).get("name") == "Ada", timeout=10_000)
    assert page.rows()[0]["fingerprint"].replace(" ", "").lower() == "e" * 64


def test_selecting_items_shows_their_pages(measured_home, window_on):
    window = window_on(measured_home)
    assert window.select_item("models", "bc-lr")
    page = window.pages.currentWidget()
    assert page is window.model_page
    assert page.title.text() == "bc-lr"
    assert "scikit-learn" in page.subtitle.text() and "binary classifier" in page.subtitle.text()
    assert page.safety.text().startswith("Safe to load: every type passed Baton's skops allowlist")
    assert page.inputs.rowCount() == 30
    assert page.inputs.item(0, 1).text() == "mean radius"
    assert page.details.value("Classes") == "0, 1 (from the classifier's classes_)"
    assert page.details.value("Positive class") == "1 (the second class)"
    assert page.details.value("SHA-256") == window.catalog.get_model("bc-lr")["sha256"]
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == [
        "Overview",
        "Evaluation",
        "Profiling",
        "Contract",
    ]
    assert page.contract.stack.currentWidget() is page.contract.start
    assert page.contract.start_text.text().startswith("No contract for bc-lr yet.")


def test_menus(home, window_on):
    window = window_on(home)
    menus = [a.text() for a in window.menuBar().actions()]
    assert menus == ["&File", "&Edit", "&View", "&Help"]
    file_menu = [a.text() for a in window.file_menu.actions() if a.text()]
    assert file_menu == [
        "Import &model…",
        "Import ML&flow model folder…",
        "Import &dataset…",
        "Open &recent",
        "&New handover…",
        "&Open bundle…",
        "&Compare bundles…",
        "O&ptimise bundle…",
        "&Export bundle…",
        "&Close tab",
        "&Quit",
    ]
    assert window.action_new_handover.isEnabled() and window.action_open_bundle.isEnabled()
    assert not window.action_export_bundle.isEnabled()  # until a contract draft is open
    # An empty catalog: New handover says what to do first.
    window.new_handover()
    assert window.banner.text().startswith("Import a model and its test set first")
    assert window.action_import_model.isEnabled() and window.action_import_dataset.isEnabled()
    assert window.action_undo.text().startswith("&Undo") or "Undo" in window.action_undo.text()
    assert not window.action_undo.isEnabled()  # nothing to undo yet
    assert window.theme.mode == "system"
    assert window.theme_actions["system"].isChecked()


def test_theme_toggle_switches_palettes(home, window_on):
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QApplication

    window = window_on(home)
    window.set_theme("dark")
    base = QApplication.palette().color(QPalette.ColorRole.Window)
    assert base.lightness() < 80
    window.set_theme("light")
    assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() > 200
    window.toggle_dark()
    assert window.theme.dark and window.theme_actions["dark"].isChecked()
    window.set_theme("system")


def test_geometry_theme_and_recent_files_are_remembered(home, window_on, files):
    window = window_on(home)
    window.resize(720, 520)
    window.set_theme("dark")
    window.add_recent(files.bc_csv)
    window.close()

    again = window_on(home)
    assert (again.width(), again.height()) == (720, 520)
    assert again.theme.mode == "dark"
    assert again.recent_files() == [str(files.bc_csv.resolve())]
    again._fill_recent_menu()
    assert again.recent_menu.actions()[0].text().startswith("breast_cancer.csv")
    again.set_theme("system")
    assert (home / "gui.ini").is_file()


def test_catalog_opens_after_the_window_when_loading_in_background(home, window_on, qtbot):
    _seed(home)
    window = window_on(home, load_in_background=True)
    qtbot.waitUntil(lambda: window.listed_items() == ["churn-lr", "customers"], timeout=10_000)


def _drop(window, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    return event


def test_dropping_files_opens_their_import_dialogs_in_turn(home, window_on, files, qtbot):
    window = window_on(home)
    _drop(window, [files.bc_csv, files.lr_onnx])
    dialog = window.import_dialog
    assert isinstance(dialog, ImportDatasetDialog)
    assert dialog.name.text() == "breast_cancer"
    assert dialog.target.currentText() == "target"  # guessed from the column names
    dialog.reject()
    qtbot.waitUntil(lambda: isinstance(window.import_dialog, ImportModelDialog))
    assert window.import_dialog.name.text() == "lr"
    window.import_dialog.reject()
    qtbot.waitUntil(lambda: window.import_dialog is None)


def test_dropping_an_unknown_file_says_what_baton_takes(home, window_on, tmp_path):
    window = window_on(home)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    _drop(window, [notes])
    assert window.banner.text() == (
        "Baton cannot open notes.txt: it imports models (.skops, .onnx, .joblib, .pkl) "
        "and datasets (.csv, .parquet), and opens bundles and review receipts (.baton)."
    )
    window.open_path(tmp_path / "handover-1.0.baton")
    assert window.banner.text() == f"{tmp_path / 'handover-1.0.baton'}: no such file."
