"""Features bound by name in the desktop: the import dialog names a model's inputs after a
catalog dataset's columns (or typed names), the model page shows them and where they came
from, and names unnamed inputs after a dataset once the user has read the names."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from baton.core.catalog.store import Catalog
from baton.core.data.importer import Declared, import_dataset, import_model
from baton.core.measure import runs as measure

WAIT_MS = 90_000


@pytest.fixture
def wine_home(home, wine):
    with Catalog(home) as cat:
        import_dataset(cat, wine.train, name="wine-train", role="train", target="target")
        import_dataset(cat, wine.shuffled, name="wine-shuffled", role="test", target="target")
        import_dataset(cat, wine.missing_extra, name="wine-cut", role="test", target="target")
    return home


def _rows(table) -> list[tuple[str, ...]]:
    return [
        tuple(table.item(r, c).text() for c in range(table.columnCount()))
        for r in range(table.rowCount())
    ]


def test_the_import_dialog_names_the_features_after_a_dataset(wine_home, wine, window_on, qtbot):
    window = window_on(wine_home)
    window.open_path(wine.onnx)
    dialog = window.import_dialog
    assert dialog.features_from.currentText() == "From the model, or its first evaluation"
    assert not dialog.features_typed.isVisible()
    dialog.features_from.setCurrentIndex(dialog.features_from.findData("wine-train"))
    assert dialog.features_shown.text().startswith(
        "13 names, in the model's order: alcohol, malic_acid, ash, alcalinity_of_ash,"
    )
    assert dialog.values()["declared"] == Declared(
        features=tuple(wine.features), features_source="dataset wine-train"
    )
    dialog.features_from.setCurrentIndex(dialog.features_from.findData("typed"))
    assert dialog.features_typed.isVisible()
    assert dialog.problem.text() == (
        "Type the feature names, separated by commas, or choose where they come from."
    )
    assert not dialog.import_button.isEnabled()
    dialog.features_from.setCurrentIndex(dialog.features_from.findData("wine-train"))
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "wine-rf" in window.listed_items("models"), timeout=WAIT_MS)
    page = window.model_page
    assert page.inputs_note.text().startswith(
        "13 features, named by dataset wine-train. Every dataset is matched to them by name"
    )
    assert not page.naming.isVisible()
    assert _rows(page.inputs)[:2] == [("1", "alcohol", "float32"), ("2", "malic_acid", "float32")]
    with Catalog(wine_home) as cat:
        accuracy = measure.evaluate(cat, "wine-rf", "wine-shuffled", bootstrap=0)["result"]
    assert accuracy["metrics"]["accuracy"]["value"] == pytest.approx(1.0)


def test_typed_names_of_the_wrong_length_are_refused_in_the_banner(
    wine_home, wine, window_on, qtbot
):
    window = window_on(wine_home)
    window.open_path(wine.onnx)
    dialog = window.import_dialog
    dialog.features_from.setCurrentIndex(dialog.features_from.findData("typed"))
    qtbot.keyClicks(dialog.features_typed, "a, b, c")
    assert dialog.features_shown.text().startswith("3 names, in the model's order: a, b, c.")
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.banner.text() != "", timeout=WAIT_MS)
    assert window.banner.kind == "error"
    assert window.banner.text().startswith(
        "Importing wine-rf.onnx failed: the model reads 13 input features but the declared "
        "list names 3: a, b, c"
    )
    assert "wine-rf" not in window.listed_items("models")


def test_the_model_page_names_unnamed_features_after_a_dataset(wine_home, wine, window_on, qtbot):
    with Catalog(wine_home) as cat:
        import_model(cat, wine.onnx, name="wine-rf")
    window = window_on(wine_home)
    window.select_item("models", "wine-rf")
    page = window.model_page
    assert page.inputs_note.text().startswith(
        "13 unnamed features. The first evaluation names them after its dataset's columns"
    )
    assert page.naming.isVisible()
    assert _rows(page.inputs)[0] == ("1", "column 1 (by position)", "float32")
    page.naming_choice.setCurrentIndex(page.naming_choice.findData("wine-cut"))
    assert page.naming_preview.text() == (
        "This dataset has 12 feature columns; the model reads 13."
    )
    assert not page.naming_button.isEnabled()
    page.naming_choice.setCurrentIndex(page.naming_choice.findData("wine-train"))
    assert page.naming_preview.text().startswith(
        "The inputs will be named, in order: alcohol, malic_acid, ash,"
    )
    assert page.naming_preview.text().endswith(". Names once recorded are not changed.")
    qtbot.mouseClick(page.naming_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.naming.isVisible(), timeout=WAIT_MS)
    assert page.inputs_note.text().startswith("13 features, named by dataset wine-train.")
    assert _rows(page.inputs)[0] == ("1", "alcohol", "float32")
    assert window.statusBar().currentMessage() == (
        "The features of wine-rf are named after dataset wine-train."
    )

    page.select_dataset("wine-cut")
    page.evaluate()
    qtbot.waitUntil(lambda: window.banner.text() != "", timeout=WAIT_MS)
    assert window.banner.kind == "error"
    assert (
        "the test set wine-cut lacks alcohol, ash and has columns the model does not read: colour"
        in window.banner.text()
    )
