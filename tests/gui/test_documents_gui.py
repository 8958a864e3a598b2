"""The handover's documents in the desktop: "Save model card…" and "Save ML-BOM…" on the
bundle page and on the exported-bundle page, and the in-app card in the app's colours.

Each saved file must be exactly core's rendering (``documents.render``), which ``baton
card`` and ``baton bom`` print too."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog, QTextBrowser

from baton.core.handover import documents
from baton.gui.common import theme
from baton.gui.export.export_dialog import ExportDialog
from baton.gui.review.review_view import open_bundle_page
from baton.gui.shell.file_pages import open_file_page
from tests.handover import contract_of, read_members

WAIT_MS = 30_000
SHOTS = os.environ.get("BATON_SCREENSHOTS")  # a folder: save what the card looks like


def opened(qtbot, page, state: str):
    qtbot.addWidget(page)
    if page.state == "verifying":
        with qtbot.waitSignal(page.verification_finished, timeout=WAIT_MS):
            pass
    assert page.state == state, page.banner.text()
    return page


@pytest.fixture
def save_as(monkeypatch):
    """QFileDialog.getSaveFileName answering with the path set in ``answer``; records the
    default name it was offered."""
    asked: dict = {"answer": None, "offered": []}

    def fake(parent, caption, start, filters):
        asked["offered"].append(Path(start).name)
        return str(asked["answer"]), filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))
    return asked


@pytest.mark.parametrize(
    ("button", "name", "fmt"),
    [
        ("card_button", "breast-cancer-lr-1.card.md", "md"),
        ("card_button", "card.html", "html"),
        ("bom_button", "breast-cancer-lr-1.cdx.json", "bom"),
    ],
)
def test_bundle_page_saves_cores_card_and_bom(
    qtbot, world, homes, tmp_path, save_as, button, name, fmt
):
    page = opened(qtbot, open_bundle_page(homes.mle, world.bundle), "verified")
    buttons = page.document_buttons
    assert not buttons.isHidden()
    save_as["answer"] = tmp_path / name
    with qtbot.waitSignal(buttons.saved, timeout=WAIT_MS):
        getattr(buttons, button).click()
    default = "breast-cancer-lr-1." + ("cdx.json" if fmt == "bom" else "card.md")
    assert save_as["offered"] == [default]
    written = (tmp_path / name).read_text(encoding="utf-8")
    assert written == documents.render(page.contract, fmt)
    assert page.contract == contract_of(read_members(world.bundle))
    if fmt == "md":
        assert written.startswith("---\n")  # the Hugging Face metadata block
    if fmt == "html":
        assert written.startswith("<!DOCTYPE html>")
    if fmt == "bom":
        assert json.loads(written)["bomFormat"] == "CycloneDX"
    assert str(tmp_path / name) in buttons.status.text()


def test_a_refused_bundle_offers_neither(qtbot, world, homes):
    page = opened(qtbot, open_file_page(homes.mle, world.tampered), "refused")
    assert page.contract is None
    assert page.document_buttons.isHidden()
    assert page.document_buttons.save_card() is None


def test_a_failed_write_is_said_beside_the_buttons(qtbot, world, homes, tmp_path, save_as):
    page = opened(qtbot, open_bundle_page(homes.mle, world.bundle), "verified")
    (tmp_path / "a-file").write_text("not a folder")
    save_as["answer"] = tmp_path / "a-file" / "card.md"
    with qtbot.waitSignal(page.document_buttons.failed, timeout=WAIT_MS) as blocker:
        page.document_buttons.card_button.click()
    assert blocker.args[0].startswith("Could not save card.md: ")
    assert (tmp_path / "a-file").read_text() == "not a folder"


def test_exported_bundle_page_saves_the_signed_contracts_documents(
    qtbot, world, homes, tmp_path, save_as
):
    contract = contract_of(read_members(world.bundle))
    ctx = SimpleNamespace(home=homes.ds, settings=None, runner=None)
    dialog = ExportDialog(ctx, contract, {"name": "bc-lr"})
    qtbot.addWidget(dialog)
    assert dialog.document_buttons.isHidden()  # nothing signed yet
    out = tmp_path / "out" / "breast-cancer-lr-1.baton"
    out.parent.mkdir()
    dialog._exported(
        {
            "file": str(out),
            "bytes": 1,
            "files": 1,
            "root_digest": "0" * 64,
            "signer_fingerprint": world.dana["fingerprint"],
            "targets": contract["targets"],
            "contract": contract,
        }
    )
    assert not dialog.document_buttons.isHidden()
    save_as["answer"] = out.parent / "breast-cancer-lr-1.cdx.json"
    dialog.document_buttons.bom_button.click()
    assert save_as["offered"] == ["breast-cancer-lr-1.cdx.json"]
    assert save_as["answer"].read_text() == documents.render(contract, "bom")
    save_as["answer"] = out.parent / "breast-cancer-lr-1.card.md"
    dialog.document_buttons.card_button.click()
    assert save_as["answer"].read_text() == documents.render(contract, "md")


def _cell(view, text: str):
    """The first table cell in the card reading ``text``."""
    for table in view.tables:
        for r in range(table.rowCount()):
            for c in range(table.columnCount()):
                if table.item(r, c) is not None and table.item(r, c).text() == text:
                    return table.item(r, c)
    raise AssertionError(f"no cell reads {text!r}")


def test_model_card_uses_the_apps_colours_in_light_and_dark(qtbot, world, homes):
    app = QApplication.instance()
    manager = theme.manager(app)
    manager.apply("light", with_stylesheet=False)
    try:
        page = opened(qtbot, open_bundle_page(homes.mle, world.bundle), "verified")
        page.resize(1000, 760)
        page.tabs.setCurrentIndex(page.tabs.indexOf(page.card_view.parentWidget()))
        view = page.card_view
        # The app's own widgets, in its colours: a passed target's row in the pass colours.
        assert view.tables and not view.findChildren(QTextBrowser)
        assert _cell(view, "✓ pass").foreground().color().name() == theme.LIGHT["ok_text"]
        assert _cell(view, "✓ pass").background().color().name() == theme.LIGHT["ok_bg"]
        light_text = view.text()
        assert light_text.startswith("breast-cancer-lr 1\n")
        if SHOTS:
            page.grab().save(str(Path(SHOTS) / "card-light.png"))

        manager.apply("dark", with_stylesheet=False)
        qtbot.waitUntil(
            lambda: _cell(view, "✓ pass").foreground().color().name() == theme.DARK["ok_text"],
            timeout=WAIT_MS,
        )
        assert view.text() == light_text  # the same card, in the other colours
        if SHOTS:
            page.grab().save(str(Path(SHOTS) / "card-dark.png"))
    finally:
        manager.apply("light", with_stylesheet=False)
