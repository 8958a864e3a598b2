"""A table cell too long for its column: a table that shows all its rows wraps it onto
more lines; a word too long to wrap (a digest, a path) is elided, and hovering it reads the
whole text."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from baton.gui.common.tables import ReadOnlyTable, cell_fits

LONG = "measured 0.9649 → 0.9766 (better); threshold old 0.9300 → 0.9500 (stricter)"
DIGEST = "sha256:77a3b271efba4fe5e2013a4bab1ec2795c972676524bfccd2ad83a0a594fc23c"


def _hover(qtbot, table, row: int, column: int) -> str:
    QToolTip.hideText()
    qtbot.waitUntil(lambda: not QToolTip.isVisible())
    rect = table.visualRect(table.model().index(row, column))
    viewport = table.viewport()
    event = QHelpEvent(QEvent.Type.ToolTip, rect.center(), viewport.mapToGlobal(rect.center()))
    QApplication.sendEvent(viewport, event)
    return QToolTip.text() if QToolTip.isVisible() else ""


def _shown(qtbot, first: str, width: int) -> ReadOnlyTable:
    """Two changes, the first one ``first``, in a table ``width`` pixels wide."""
    table = ReadOnlyTable(["Target", "What changed"])
    qtbot.addWidget(table)
    table.set_rows([["accuracy", first], ["roc_auc", "removed"]])
    table.resize(width, 120)
    table.show()
    qtbot.waitExposed(table)
    return table


def test_hovering_an_elided_cell_shows_its_whole_text(qtbot):
    table = _shown(qtbot, DIGEST, 260)
    assert not cell_fits(table, 0, 1) and cell_fits(table, 1, 1)
    assert _hover(qtbot, table, 0, 1) == DIGEST
    assert _hover(qtbot, table, 1, 1) == ""  # a cell that fits needs no tooltip


def test_a_long_cell_wraps_and_its_row_follows_the_width(qtbot):
    table = _shown(qtbot, LONG, 300)
    line = table.fontMetrics().height()
    one_line = table.verticalHeader().defaultSectionSize()  # a row's height, its padding in
    qtbot.waitUntil(lambda: cell_fits(table, 0, 1))  # whole, on several lines
    assert table.rowHeight(0) >= 3 * line and table.rowHeight(0) > one_line
    assert table.rowHeight(0) >= table.sizeHintForRow(0) + 8  # its lines off the row's edges
    assert table.rowHeight(1) == one_line  # a one-line row keeps the usual height
    assert _hover(qtbot, table, 0, 1) == ""  # all of it is in sight
    # the table shows every row: it grew with the wrapped one
    assert table.height() >= table.rowHeight(0) + table.rowHeight(1)
    table.resize(1200, 120)  # room for it on one line: the row shrinks back
    qtbot.waitUntil(lambda: table.rowHeight(0) <= one_line)
    assert cell_fits(table, 0, 1)
    table.resize(300, 120)
    qtbot.waitUntil(lambda: table.rowHeight(0) > one_line)
    table.set_rows([["f1", "added"]])  # new rows start from one line
    assert table.rowHeight(0) == one_line
