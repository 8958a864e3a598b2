"""The main window opens on a catalog and searches it as the user types."""

from __future__ import annotations

from baton.core.catalog import Catalog
from baton.gui.main_window import MainWindow


def test_window_shows_catalog_and_searches(qtbot, home):
    cat = Catalog(home)
    cat.add_model(
        {
            "name": "churn-lr",
            "format": "skops",
            "sha256": "a" * 64,
            "estimator": "LogisticRegression",
        }
    )
    cat.add_dataset(
        {
            "name": "customers",
            "format": "csv",
            "sha256": "b" * 64,
            "fingerprint": "f",
            "columns": [{"name": "tenure"}],
        }
    )
    cat.close()
    window = MainWindow(home=home)
    qtbot.addWidget(window)
    window.show()
    assert window.windowTitle() == "Baton"
    assert window.items.count() == 2
    qtbot.keyClicks(window.search, "tenu")
    assert [window.items.item(i).text() for i in range(window.items.count())] == [
        "Dataset: customers"
    ]
