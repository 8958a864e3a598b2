"""Declaring a model's problem type and labels in the import dialog, and the model page
saying how they were decided."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from baton.core.data.importer import Declared
from baton.gui.catalog.dialogs import ImportModelDialog
from tests.factories import breast_cancer_frame, logit_network

WAIT_MS = 60_000


@pytest.fixture(scope="module")
def logit_onnx(tmp_path_factory):
    bc = breast_cancer_frame()
    X, y = bc.drop(columns="target").iloc[:400], bc["target"].iloc[:400]
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(X, y)
    return logit_network(tmp_path_factory.mktemp("net") / "net.onnx", lr)


def test_the_declaration_fields_are_off_until_ticked_and_check_what_is_typed(
    qtbot, catalog, logit_onnx
):
    dialog = ImportModelDialog(logit_onnx, catalog)
    qtbot.addWidget(dialog)
    box = dialog.declare_task
    assert not box.isChecked() and not box.task.isEnabled()
    assert dialog.values()["declared"] == Declared()
    assert dialog.import_button.isEnabled()

    box.setChecked(True)
    box.task.setCurrentIndex(box.task.findData("binary"))
    box.threshold.setText("1.5")
    assert dialog.problem.text() == "Threshold must lie between 0 and 1 (exclusive), not 1.5."
    assert not dialog.import_button.isEnabled()
    box.threshold.setText("half")
    assert dialog.problem.text() == "The threshold must be a number between 0 and 1, such as 0.5."
    box.threshold.setText("0.3")
    box.classes.setText("benign, malignant")
    box.positive.setText("cancer")
    assert dialog.problem.text() == (
        "Positive class 'cancer' is not one of Class names benign, malignant."
    )
    box.positive.setText("malignant")
    assert dialog.problem.text() == "" and dialog.import_button.isEnabled()
    assert dialog.values()["declared"] == Declared(
        task="binary", classes=("benign", "malignant"), positive_class="malignant", threshold=0.3
    )
    box.setChecked(False)
    assert dialog.values()["declared"] == Declared()


def test_a_network_declared_binary_in_the_dialog_and_the_model_page_says_so(
    home, window_on, logit_onnx, qtbot
):
    window = window_on(home)
    window.open_path(logit_onnx)
    dialog = window.import_dialog
    dialog.name.setText("taken-as-regression")
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.listed_items("models") == ["taken-as-regression"], timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: not window.task_status.isVisible(), timeout=WAIT_MS)
    details = window.model_page.details
    assert details.value("Problem type") == (
        "regression (one output column: taken as a regression — import it again declared a "
        "binary classifier if it is a classifier's score)"
    )

    window.open_path(logit_onnx)
    dialog = window.import_dialog
    dialog.name.setText("declared")
    dialog.declare_task.setChecked(True)
    dialog.declare_task.task.setCurrentIndex(dialog.declare_task.task.findData("binary"))
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "declared" in window.listed_items("models"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.task_status.isVisible(), timeout=WAIT_MS)
    page = window.model_page
    assert page.title.text() == "declared"
    assert page.details.value("Problem type") == "binary (declared at import)"
    assert page.details.value("Classes") == (
        "0, 1 (class ids 0 and 1; the score is the probability of 1)"
    )
    assert page.details.value("Score") == (
        "logit: a sigmoid turns it into the probability of 1 (the output comes from an Add "
        "node, not a Sigmoid or Softmax)"
    )
    assert page.details.value("Threshold") == "0.5"


def test_a_declaration_the_model_contradicts_is_refused_in_the_dialog_s_words(
    home, window_on, logit_onnx, qtbot
):
    window = window_on(home)
    window.open_path(logit_onnx)
    dialog = window.import_dialog
    dialog.declare_task.setChecked(True)
    dialog.declare_task.classes.setText("a,b")
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.task_status.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.banner.text() != "", timeout=WAIT_MS)
    assert window.banner.kind == "error"
    assert window.listed_items("models") == []
    assert window.banner.text() == (
        "Importing net.onnx failed: Class names lists classes, but net.onnx has one output "
        "column, taken as a regression; declare it a binary classifier if it is a "
        "classifier's score"
    )
