"""Importing datasets and models through the dialogs; the work runs on a worker thread."""

from __future__ import annotations

from PySide6.QtCore import Qt

from baton.core.catalog.store import Catalog
from baton.core.data.importer import Declared, import_dataset
from baton.gui.catalog.dialogs import ImportDatasetDialog, ImportModelDialog

WAIT_MS = 60_000


def test_import_a_dataset_then_a_model_through_the_dialogs(home, window_on, files, qtbot):
    window = window_on(home)
    window.open_path(files.bc_csv)
    dialog = window.import_dialog
    assert isinstance(dialog, ImportDatasetDialog)
    dialog.name.clear()
    qtbot.keyClicks(dialog.name, "bc test")
    assert dialog.problem.text().startswith("Use 1 to 64 letters")
    assert not dialog.import_button.isEnabled()
    dialog.name.setText("bc-test")
    dialog.role.setCurrentText("test")
    dialog.target.setCurrentText("target")
    assert dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)

    assert window.task_status.isVisible()
    assert window.task_status.label.text().startswith("Importing breast_cancer.csv")
    qtbot.waitUntil(lambda: window.listed_items("datasets") == ["bc-test"], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.task_status.isVisible())
    page = window.pages.currentWidget()
    assert page is window.dataset_page
    assert page.title.text() == "bc-test"
    assert page.identity.value("Target") == "target"
    assert page.identity.value("Rows") == "569"
    assert window.statusBar().currentMessage() == (
        "Imported dataset 'bc-test' from breast_cancer.csv."
    )

    window.open_path(files.lr_skops)
    dialog = window.import_dialog
    assert isinstance(dialog, ImportModelDialog)
    assert not dialog.is_pickle and not dialog.consent.isVisible()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.listed_items("models") == ["lr"], timeout=WAIT_MS)
    page = window.pages.currentWidget()
    assert page is window.model_page
    assert page.title.text() == "lr"
    assert page.dataset_choice.currentData() == "bc-test"
    assert (
        page.evaluation.empty.text() == "No evaluation yet — choose a dataset and press Evaluate."
    )
    assert window.recent_files()[:2] == [str(files.lr_skops.resolve()), str(files.bc_csv.resolve())]


def test_a_pickle_needs_consent_and_a_dataset_to_check_on(home, window_on, files, qtbot):
    window = window_on(home)
    window.open_path(files.lr_joblib)
    dialog = window.import_dialog
    assert dialog.is_pickle
    assert dialog.warning.text().startswith(
        "lr.joblib is a pickle. Loading a pickle can run any code"
    )
    assert dialog.problem.text().startswith(
        "Import the dataset this model was trained or tested on first"
    )
    assert not dialog.import_button.isEnabled()
    dialog.reject()
    qtbot.waitUntil(lambda: window.import_dialog is None)

    with Catalog(home) as cat:
        import_dataset(cat, files.bc_csv, name="breast_cancer", role="test", target="target")
    window.refresh()
    window.open_path(files.lr_joblib)
    dialog = window.import_dialog
    assert dialog.check_on.currentData() == "breast_cancer"
    assert dialog.problem.text() == "Tick “I made this file” to import a pickle."
    assert not dialog.import_button.isEnabled()
    dialog.consent.setChecked(True)
    assert dialog.import_button.isEnabled()
    assert dialog.values() == {
        "name": "lr",
        "trust_pickle": True,
        "check_on": "breast_cancer",
        "declared": Declared(),
    }
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.listed_items("models") == ["lr"], timeout=WAIT_MS)
    page = window.model_page
    assert page.safety.text().startswith(
        "Safe to load: imported from a pickle you said you made, re-saved as .skops; "
        "predictions identical on breast_cancer (569 rows)"
    )
    assert page.details.value("Imported from") == "lr.joblib"
    assert page.details.value("Stored as") == "lr.skops"


def test_a_failed_import_says_why_in_the_banner(home, window_on, files, qtbot):
    window = window_on(home)
    window.open_path(files.bc_csv)
    dialog = window.import_dialog
    dialog.target.setCurrentText("diagnosis")
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.banner.text() != "", timeout=WAIT_MS)
    assert window.banner.kind == "error"
    assert window.banner.text().startswith(
        "Importing breast_cancer.csv failed: breast_cancer.csv has no target column 'diagnosis'"
    )
    assert window.listed_items("datasets") == []


def test_cancel_stops_the_running_work(measured_copy, window_on, qtbot):
    window = window_on(measured_copy)
    window.select_item("models", "bc-lr")
    page = window.model_page
    page.evaluate()
    assert window.task_status.isVisible()
    assert window.task_status.label.text().startswith("Evaluating bc-lr on breast_cancer")
    qtbot.mouseClick(window.task_status.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.runner.busy(), timeout=WAIT_MS)
    assert window.statusBar().currentMessage() == "Cancelled: Evaluating bc-lr on breast_cancer."
    assert window.banner.text() == ""


def test_a_model_already_in_the_catalog_is_shown_not_added_again(
    home, window_on, files, qtbot, tmp_path
):
    import shutil

    from baton.core.data.importer import import_model

    with Catalog(home) as catalog:
        import_model(catalog, files.lr_skops, name="churn-lr")
    copy = tmp_path / "downloaded-again.skops"
    shutil.copyfile(files.lr_skops, copy)
    window = window_on(home)
    window.open_path(copy)
    dialog = window.import_dialog
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.banner.text() != "", timeout=WAIT_MS)
    assert window.banner.kind == "info"
    assert window.banner.text() == (
        "downloaded-again.skops is already in the catalog as churn-lr (the same bytes), "
        "shown here; nothing was added."
    )
    assert window.pages.currentWidget() is window.model_page
    assert window.model_page.title.text() == "churn-lr"
    assert window.listed_items("models") == ["churn-lr"]
