"""An MLflow model folder imports through the window: picked, or dropped, like a file."""

from __future__ import annotations

import pandas as pd
import skops.io
from PySide6.QtCore import Qt

from baton.gui.catalog.dialogs import ImportModelDialog

WAIT_MS = 120_000


def _mlflow_folder(files, folder):
    import mlflow.sklearn

    model = skops.io.load(files.lr_skops, trusted=skops.io.get_untrusted_types(file=files.lr_skops))
    X = pd.read_csv(files.bc_test_csv).drop(columns="target")
    mlflow.sklearn.save_model(model, folder, input_example=X.head(3))
    return folder


def test_an_mlflow_folder_is_imported_as_a_model(home, window_on, files, qtbot, tmp_path):
    folder = _mlflow_folder(files, tmp_path / "churn-model")
    window = window_on(home)
    window.open_path(folder)
    dialog = window.import_dialog
    assert isinstance(dialog, ImportModelDialog)
    assert dialog.name.text() == "churn-model"
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.listed_items("models") == ["churn-model"], timeout=WAIT_MS)
    record = window.catalog.get_model("churn-model")
    assert record["info"]["mlflow"]["smoke_test"] == "the input example (3 rows)"
    assert record["info"]["mlflow"]["provenance"]["source"] == "MLflow"


def test_a_plain_folder_is_refused_with_a_sentence(home, window_on, tmp_path):
    (tmp_path / "notes").mkdir()
    window = window_on(home)
    window.open_path(tmp_path / "notes")
    assert window.import_dialog is None
    assert window.banner.kind == "warning"
    assert window.banner.text() == (
        "notes is a folder without an MLmodel file: Baton imports MLflow model folders, "
        "and model and dataset files."
    )
