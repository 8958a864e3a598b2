"""A table cell too long for its column is elided, and hovering it reads the whole text."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from baton.gui.common.tables import ReadOnlyTable, cell_fits

LONG = "measured 0.9649 → 0.9766 (better); threshold old 0.9300 → 0.9500 (stricter)"


def _hover(qtbot, table, row: int, column: int) -> str:
    QToolTip.hideText()
    qtbot.waitUntil(lambda: not QToolTip.isVisible())
    rect = table.visualRect(table.model().index(row, column))
    viewport = table.viewport()
    event = QHelpEvent(QEvent.Type.ToolTip, rect.center(), viewport.mapToGlobal(rect.center()))
    QApplication.sendEvent(viewport, event)
    return QToolTip.text() if QToolTip.isVisible() else ""


def test_hovering_an_elided_cell_shows_its_whole_text(qtbot):
    table = ReadOnlyTable(["Target", "What changed"])
    qtbot.addWidget(table)
    table.set_rows([["accuracy", LONG], ["roc_auc", "removed"]])
    table.resize(260, 120)
    table.show()
    qtbot.waitExposed(table)
    assert not cell_fits(table, 0, 1) and cell_fits(table, 1, 1)
    assert _hover(qtbot, table, 0, 1) == LONG
    assert _hover(qtbot, table, 1, 1) == ""  # a cell that fits needs no tooltip
