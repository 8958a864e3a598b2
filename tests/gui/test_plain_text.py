"""Untrusted text is text in the desktop app too: bundle and receipt text is never HTML.

Qt's labels and tooltips guess: text that looks like HTML is rendered as HTML. A contract
author called ``<b>Mallory</b>`` would be shown in bold, an intended use with ``<a href>``
would be a link, and ``<img src=...>`` would make Qt load a file. Every widget that shows
what a bundle or receipt says must show it literally: labels in ``Qt.PlainText``,
tooltips escaped, and the model card rendered by Baton from the verified contract with
every string in it escaped.

Each test opens a bundle or receipt whose free text is markup, under a valid signature
by a trusted key, and reads back what the user sees.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QTableWidget, QTextBrowser, QWidget

from baton.core.catalog.store import Catalog
from baton.core.handover import keys, trust
from baton.gui.common.widgets import plain_tooltip
from baton.gui.keys.keys_view import KeysPage
from baton.gui.receipts.receipt_view import ReceiptPage
from baton.gui.review.review_view import open_bundle_page
from tests.gui.world import PASSPHRASE
from tests.handover import contract_of, edit_contract, read_members, rewrite

WAIT_MS = 30_000
ROOT = Path(__file__).resolve().parents[2]

MARKUP = {
    "author": "<b>Mallory</b>",
    "email": "<i>m</i>@evil.example",
    "intended_use": "<img src=x> <a href='https://evil.example'>read this</a> <b>now</b>",
    "limitations": "<h1>None</h1>",
    "note": "<b>agreed</b> <img src=x>",
    "dataset": "<u>patients</u>",
    "estimator": "<s>Pipeline</s>",
    "os": "<font color=red>Linux</font>",
    "cpu": "<marquee>cpu</marquee>",
}


def signing_key(home: Path):
    return keys.load_private_key(home / "keys" / "signing-key.pem", PASSPHRASE)


def markup_contract(contract: dict) -> None:
    ident = contract["identity"]
    ident["version"] = "3"
    ident["authors"][0]["name"] = MARKUP["author"]
    ident["authors"][0]["email"] = MARKUP["email"]
    ident["intended_use"] = MARKUP["intended_use"]
    ident["limitations"] = MARKUP["limitations"]
    contract["targets"][0]["note"] = MARKUP["note"]
    contract["datasets"][0]["name"] = MARKUP["dataset"]
    contract["model"]["estimator"] = MARKUP["estimator"]
    contract["environment"]["os"] = MARKUP["os"]
    contract["environment"]["cpu"] = MARKUP["cpu"]
    # The demo's handover has candidates: the primary's entry repeats the top level, and
    # every candidate is judged on the same agreed targets (notes included).
    listed = contract.get("candidates") or []
    primary = next((c for c in listed if c.get("recommended")), listed[0] if listed else None)
    for candidate in listed:
        if candidate is primary:
            candidate["model"], candidate["targets"] = contract["model"], contract["targets"]
        else:
            candidate["targets"][0]["note"] = MARKUP["note"]


@pytest.fixture
def markup_bundle(world, homes, tmp_path) -> Path:
    """Version 3 of the world's bundle with markup in every free-text field, its card
    re-rendered by Baton, signed by Dana (whom the engineer trusts)."""

    out = tmp_path / "breast-cancer-lr-3.baton"
    return rewrite(world.bundle, out, edit_contract(markup_contract), resign=signing_key(homes.ds))


def opened(qtbot, page, state: str):
    qtbot.addWidget(page)
    if page.state == "verifying":
        with qtbot.waitSignal(page.verification_finished, timeout=WAIT_MS):
            pass
    assert page.state == state, page.banner.text()
    return page


def shown(tip: str) -> str:
    """A tooltip as Qt shows it: rich text when it looks like HTML, else as it is."""
    if not QtGui.Qt.mightBeRichText(tip):
        return tip
    doc = QTextDocument()
    doc.setHtml(tip)
    return doc.toPlainText()


def labels_showing(root: QWidget, text: str) -> list[QLabel]:
    return [label for label in root.findChildren(QLabel) if text in label.text()]


def tooltips(root: QWidget) -> list[str]:
    tips = [w.toolTip() for w in [root, *root.findChildren(QWidget)] if w.toolTip()]
    for table in root.findChildren(QTableWidget):
        for r in range(table.rowCount()):
            for c in range(table.columnCount()):
                item = table.item(r, c)
                if item is not None and item.toolTip():
                    tips.append(item.toolTip())
    return tips


def assert_only_plain_text(root: QWidget, markup: list[str]) -> None:
    """No label or tooltip under ``root`` renders any of ``markup`` as HTML."""
    for label in root.findChildren(QLabel):
        for text in markup:
            if text in label.text():
                assert label.textFormat() == Qt.TextFormat.PlainText, (label.text(), text)
    for tip in tooltips(root):
        for text in markup:
            # a tooltip showing the text, whole or rendered as HTML, must show it whole
            rendered = re.sub("<[^>]*>", "", text).strip()
            if text in tip or (rendered and rendered in shown(tip)):
                assert text in shown(tip), (tip, text)


# --- the engineer opens a bundle ---------------------------------------------------------


def test_bundle_with_markup_in_every_field_shows_it_literally(qtbot, homes, markup_bundle):
    page = opened(qtbot, open_bundle_page(homes.mle, markup_bundle), "verified")
    view = page.contract_view

    author = labels_showing(view, MARKUP["author"])
    assert [label.text() for label in author] == [MARKUP["author"]]
    assert author[0].textFormat() == Qt.TextFormat.PlainText
    email = labels_showing(view, MARKUP["email"])
    assert email and all(lb.textFormat() == Qt.TextFormat.PlainText for lb in email)
    assert view.use.text() == MARKUP["intended_use"]
    assert view.use.textFormat() == Qt.TextFormat.PlainText
    assert view.limitations.text() == MARKUP["limitations"]
    assert view.limitations.textFormat() == Qt.TextFormat.PlainText
    assert view.model.value("Estimator") == MARKUP["estimator"]
    assert view.environment.value("OS") == MARKUP["os"]
    assert view.environment.value("CPU") == MARKUP["cpu"]
    assert MARKUP["note"] in view.targets.column("Note")
    assert MARKUP["dataset"] in view.datasets.column("Name")
    assert_only_plain_text(page, list(MARKUP.values()))


def test_model_card_tab_is_batons_rendering_with_every_string_escaped(qtbot, homes, markup_bundle):
    page = opened(qtbot, open_bundle_page(homes.mle, markup_bundle), "verified")
    view = page.card_view
    text = view.text()
    for value in (MARKUP["author"], MARKUP["intended_use"], MARKUP["limitations"], MARKUP["note"]):
        assert value in text, value
    # Plain widgets only: no rich-text viewer, every label plain text, every cell literal.
    assert not view.findChildren(QTextBrowser)
    assert_only_plain_text(view, list(MARKUP.values()))
    cells = [c for table in view.tables for row in table.cell_texts() for c in row]
    assert MARKUP["note"] in cells


def test_untrusted_author_with_a_markup_name_is_named_literally(qtbot, homes, markup_bundle):
    page = opened(qtbot, open_bundle_page(homes.stranger, markup_bundle), "untrusted")
    assert f"The contract names its author as {MARKUP['author']} <{MARKUP['email']}>." in (
        page.banner.detail.text()
    )
    dialog = page.open_trust_dialog()
    qtbot.addWidget(dialog)
    assert labels_showing(dialog, f"Trust {MARKUP['author']}'s key?")
    assert dialog.name.text() == MARKUP["author"]
    assert_only_plain_text(page, list(MARKUP.values()))
    assert_only_plain_text(dialog, list(MARKUP.values()))


# --- the data scientist opens a receipt ----------------------------------------------------

RECEIPT_MARKUP = {
    "comment": "<b>Looks fine</b> <img src=x>",
    "target_comment": "<a href='https://evil.example'>see here</a>",
    "reviewer": "<i>Eli</i>",
    "created": "<b>yesterday</b>",
    "cpu": "<u>cpu</u>",
}


def test_receipt_with_markup_shows_it_literally(qtbot, world, homes, tmp_path):
    def edit(members: dict[str, bytes]) -> None:
        review = json.loads(members["review.json"])
        review["comment"] = RECEIPT_MARKUP["comment"]
        review["target_comments"][0]["comment"] = RECEIPT_MARKUP["target_comment"]
        review["reviewer"]["name"] = RECEIPT_MARKUP["reviewer"]
        assert review["reproduced"], "the world's receipt records a reproduction"
        review["reproduced"]["created"] = RECEIPT_MARKUP["created"]
        review["reproduced"]["hardware"]["cpu_model"] = RECEIPT_MARKUP["cpu"]
        members["review.json"] = json.dumps(review, indent=2).encode()

    receipt = rewrite(
        world.receipt,
        tmp_path / world.receipt.name,
        edit,
        resign=signing_key(homes.mle),
        sig="review.sig",
    )
    page = opened(qtbot, ReceiptPage(homes.ds, receipt), "verified")
    assert page.comment.text() == f"“{RECEIPT_MARKUP['comment']}”"
    assert page.comment.textFormat() == Qt.TextFormat.PlainText
    assert page.decided_by.text().startswith(f"by {RECEIPT_MARKUP['reviewer']} on ")
    assert page.reviewer.value("Name") == RECEIPT_MARKUP["reviewer"]
    assert page.target_comments.column("Reviewer's comment") == [RECEIPT_MARKUP["target_comment"]]
    assert page.reproduced.text().startswith(f"Reproduced {RECEIPT_MARKUP['created']}: ")
    assert RECEIPT_MARKUP["cpu"] in page.hardware.column("Reviewer's machine")
    assert_only_plain_text(page, list(RECEIPT_MARKUP.values()))


# --- names in the trust store ------------------------------------------------------------


def test_keys_page_shows_a_markup_name_literally(qtbot, homes):
    name = "<b>Sam</b> <img src=x>"
    with Catalog(homes.mle) as cat:
        trust.trust_pem(cat, trust.my_public_pem(homes.stranger).decode(), name, "s@x.example")
    page = KeysPage(homes.mle)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.table.rowCount() == 3, timeout=WAIT_MS)
    assert name in [row["name"] for row in page.rows()]
    assert name in [shown(tip) for tip in tooltips(page)]
    assert_only_plain_text(page, [name])


def test_plain_tooltip_shows_any_text_as_it_is():
    for text in ("<b>Mallory</b>", "Name: <img src=x>", "&lt;b&gt;", "a & b < c", "plain"):
        assert shown(plain_tooltip(text)) == text
    assert plain_tooltip("plain text") == "plain text"  # untouched when Qt would not guess


# --- the source ----------------------------------------------------------------------------


def test_every_rich_text_use_in_the_gui_says_why_it_is_safe():
    """``setHtml``, ``setMarkdown`` and ``RichText`` stay only for app-owned or escaped text,
    and each use says so in a comment on its line or the line above."""
    unexplained = []
    for path in sorted((ROOT / "gui").glob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if re.search(r"setHtml|setMarkdown|\bRichText\b", line.split("#", 1)[0]):
                context = line + (lines[i - 1] if i else "")
                if not re.search(r"#.*(app-owned|escaped)", context):
                    unexplained.append(f"{path.name}:{i + 1}: {line.strip()}")
    assert unexplained == []


def test_a_name_collision_is_shown_under_the_verified_banner(qtbot, world, homes):
    """Another key already sent a bundle of this name: the page says so, as the CLI does."""
    contract = contract_of(read_members(world.bundle))
    name = contract["identity"]["name"]
    other = "ab" * 32
    Catalog(homes.mle).handovers.record("received", name, "99", "cd" * 32, "ef" * 32, other,
                   homes.mle / "elsewhere.baton", "verified", contract)  # fmt: skip
    page = opened(qtbot, open_bundle_page(homes.mle, world.bundle), "verified")
    detail = page.banner.detail.text()
    assert detail.startswith(f"name collision: bundles named {name} also came from ")
    assert detail.endswith("and is checked against that author's versions only")
    assert page.banner.detail.isVisibleTo(page)
