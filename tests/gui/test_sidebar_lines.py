"""The sidebar's handovers read whole at the window's default size: name and version on one
line, the state under it, neither cut short."""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics

from baton.gui.shell.sidebar import ROLE_LINES, TwoLineDelegate


def _handover_items(sidebar):
    for key in ("handovers", "received"):
        section = sidebar.sections[key]
        for i in range(section.childCount()):
            item = section.child(i)
            if item.data(0, ROLE_LINES):
                yield item


def test_every_item_fits_the_sidebar_at_the_default_size(world, homes, window_on, qtbot):
    for home in (homes.ds, homes.mle):
        window = window_on(home)
        window.resize(1280, 800)
        qtbot.waitUntil(lambda w=window: bool(w.listed_items("keys")), timeout=60_000)
        sidebar = window.sidebar
        items = list(_handover_items(sidebar))
        assert items, "the demo's homes list handovers"
        for item in items:
            name, state = item.data(0, ROLE_LINES)
            assert item.text(0) == f"{name} — {state}"  # both lines say the whole label
            font = item.font(0)
            two_lines = (
                QFontMetrics(font).height()
                + QFontMetrics(TwoLineDelegate.state_font(font)).height()
            )
            assert sidebar.visualItemRect(item).height() >= two_lines
        assert sidebar.clipped_items() == [], sidebar.listed()
