"""The home page: what waits in the catalog, with a button for each record's next step."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from baton.core.catalog.store import Catalog
from baton.core.handover import desk
from baton.gui.shell.home import START_STEPS

WAIT_MS = 60_000


def _asked(monkeypatch, answer: str = "") -> list[str]:
    """Answer the open-file dialog with ``answer``; the titles it was shown with."""
    titles: list[str] = []

    def pick(_parent, title, *_args, **_kwargs):
        titles.append(title)
        return answer, ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", pick)
    return titles


def test_an_empty_catalog_starts_here_on_both_desks(home, window_on, monkeypatch):
    window = window_on(home)
    page = window.home_page
    assert window.pages.currentWidget() is page
    text = page.text()
    assert text.startswith("Home\nYour catalog is empty.\nStart here\n")
    for number, (title, step) in enumerate(START_STEPS, 1):
        assert f"{number}. {title}\n{step}" in text
    titles = _asked(monkeypatch)
    page.button("Import a model…").click()
    page.button("Open a bundle you received…").click()
    assert titles == ["Import model", "Open a bundle or a review receipt"]


def test_models_wait_by_stage_and_each_button_takes_the_next_step(measured_copy, window_on, qtbot):
    with Catalog(measured_copy) as catalog:
        catalog.add_model(
            {"name": "fresh", "format": "onnx", "sha256": "f" * 64, "task": "binary",
             "estimator": "MLPClassifier", "created_at": "2030-01-01T00:00:00Z"}
        )  # fmt: skip
    window = window_on(measured_copy)
    page = window.home_page
    text = page.text()
    assert "Your models" in text and "Handovers you sent" not in text
    assert "Not evaluated · 1\nEvaluate it on a labelled test set" in text
    assert "Evaluated, no contract yet · 3\n" in text
    assert "fresh\nMLPClassifier · binary" in text

    page.buttons[[b.text() for b in page.buttons].index("Evaluate…")].click()
    assert window.pages.currentWidget() is window.model_page
    assert window.model_page.record["name"] == "fresh"
    assert window.model_page.tabs.currentWidget() is window.model_page.evaluation

    window.show_home()
    draft = page.button("Draft contract…")
    draft.click()
    dialog = window.model_page.contract.dialog
    assert dialog.isVisible() and dialog.windowTitle() == "Draft a contract"
    dialog.reject()


def test_the_engineer_sees_a_received_bundle_awaiting_a_decision(world, homes, window_on, qtbot):
    with Catalog(homes.mle) as catalog:
        desk.open_for_review(catalog, world.bundle_v2)  # as File › Open records it
    window = window_on(homes.mle)
    page = window.home_page
    text = page.text()
    assert text.index("Bundles you received") < text.index("Handovers you sent")
    assert "Your models" not in text  # the engineer has none of their own
    assert "Received, awaiting your decision · 1\n" in text
    assert "breast-cancer-lr 2\nsigned by Dana Scientist, verified, no decision yet" in text
    assert "Decided · 1\n" in text
    opened = window.documents.count()
    page.button("Open").click()
    qtbot.waitUntil(lambda: window.documents.count() == opened + 1, timeout=WAIT_MS)
    assert Path(window.documents.currentWidget().path) == world.bundle_v2.resolve()


def test_a_drafted_model_s_export_button_opens_its_draft_for_signing(measured_copy, window_on):
    from baton.core.contract import drafts

    with Catalog(measured_copy) as catalog:
        drafts.new_draft(
            catalog, "bc-lr", test="breast_cancer", name="bc", version="1", budget_s=0.05
        )
    window = window_on(measured_copy)
    page = window.home_page
    assert "Contract drafted, not sent · 1\nExport the signed bundle" in page.text()
    page.button("Export…").click()
    assert window.model_page.record["name"] == "bc-lr"
    assert window.model_page.tabs.currentWidget() is window.model_page.contract
    dialog = window.export_dialog
    assert dialog.isVisible() and dialog.contract["identity"]["name"] == "bc"
    dialog.reject()
