"""Switching the theme while pages are open.

A page that rebuilt its rows inside the palette change deleted widgets Qt was still about
to visit while it replaced the application's stylesheet: the whole app crashed (a
segmentation fault, the test process with it). Pages now redraw once the change has
reached every widget.
"""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from baton.gui.common import theme
from baton.gui.receipts.receipt_view import ReceiptPage
from baton.gui.review.review_view import BundlePage, open_bundle_page
from baton.gui.shell.file_pages import open_file_page

WAIT_MS = 60_000


def _verified(qtbot, page):
    qtbot.addWidget(page)
    if page.state == "verifying":
        with qtbot.waitSignal(page.verification_finished, timeout=WAIT_MS):
            pass
    assert page.state == "verified", page.banner.text()
    return page


def _background(page) -> str:
    return page.palette().color(page.backgroundRole()).name()


def test_switching_the_theme_with_a_bundle_and_a_receipt_open(world, homes, qtbot):
    manager = theme.manager(QApplication.instance())
    manager.apply("light")
    bundle = _verified(qtbot, open_bundle_page(homes.mle, world.bundle))
    receipt = _verified(qtbot, open_file_page(homes.ds, world.receipt))
    assert isinstance(bundle, BundlePage) and isinstance(receipt, ReceiptPage)
    for page in (bundle, receipt):
        page.resize(1000, 800)
        page.show()
    rows_before = bundle.decision_view.targets.cell_texts()
    try:
        manager.apply("dark")
        assert _background(bundle) == theme.DARK["window"]
        manager.apply("light")
        manager.apply("dark")  # twice in a row: one redraw is due, not two
        # The rows are drawn again in the new colours once the change has gone round.
        qtbot.waitUntil(lambda: not bundle.retheme_due and not receipt.retheme_due)
        assert bundle.decision_view.targets.cell_texts() == rows_before
        assert receipt.decision.text() == "ACCEPTED"
    finally:
        manager.apply("light")
    qtbot.waitUntil(lambda: not bundle.retheme_due)
    assert _background(bundle) == theme.LIGHT["window"]


def test_a_page_closed_before_the_switch_is_left_alone(world, homes, qtbot):
    """The case that crashed: pages already closed (deleted later) when the theme changes."""
    manager = theme.manager(QApplication.instance())
    manager.apply("light")
    page = _verified(qtbot, open_bundle_page(homes.mle, world.bundle))
    page.show()
    page.close()
    page.deleteLater()
    try:
        manager.apply("dark")
        window = QApplication.palette().color(QApplication.palette().ColorRole.Window)
        assert window.name() == theme.DARK["window"]
    finally:
        manager.apply("light")
