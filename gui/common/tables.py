"""Read-only tables and page layout helpers shared by the signed-document pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from baton.gui.common import theme
from baton.gui.common.verdicts import (
    FAIL_BG,
    FAIL_FG,
    KIND_ICONS,
    kind_colors,
)
from baton.gui.common.widgets import mono_font, plain_text, plain_tooltip

MAX_COLUMN_WIDTH = 360


class ReadOnlyTable(QTableWidget):
    """A read-only table sized to its rows, with optional coloured rows.

    ``set_rows(rows, kinds=…, status_column=…)``: a row whose kind is ``ok``, ``error`` or
    ``warning`` gets that background; its ``status_column`` cell is bold with an icon, so
    a failed row is obvious at a glance.
    """

    def __init__(
        self,
        headers: Sequence[str],
        parent: QWidget | None = None,
        *,
        numeric: Sequence[int] = (),
        mono: Sequence[int] = (),
        editable: Sequence[int] = (),
        fit_to_rows: bool = True,
    ) -> None:
        super().__init__(0, len(headers), parent)
        self.fit_to_rows = fit_to_rows  # False: a scrolling table that takes the room it gets
        self.headers = list(headers)
        self.numeric, self.mono, self.editable = tuple(numeric), tuple(mono), tuple(editable)
        self.setHorizontalHeaderLabels(self.headers)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.AllEditTriggers
            if editable
            else QAbstractItemView.EditTrigger.NoEditTriggers
        )
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.verticalHeader().hide()
        self.setWordWrap(False)
        self.setShowGrid(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setMaximumSectionSize(MAX_COLUMN_WIDTH)
        # A numeric last column stays next to its neighbours instead of drifting right.
        header.setStretchLastSection(len(headers) - 1 not in self.numeric)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        if fit_to_rows:
            self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.kinds: list[str | None] = []

    def set_rows(
        self,
        rows: Sequence[Sequence[Any]],
        *,
        kinds: Sequence[str | None] = (),
        status_column: int | None = None,
        tooltips: Sequence[str | None] = (),
    ) -> None:
        self.setRowCount(len(rows))
        self.kinds = [kinds[r] if r < len(kinds) else None for r in range(len(rows))]
        bold = QFont(self.font())
        bold.setBold(True)
        for r, row in enumerate(rows):
            colors = kind_colors(self.kinds[r])
            for c, value in enumerate(row):
                item = QTableWidgetItem(plain_text(value))
                flags = item.flags()
                if c not in self.editable:
                    item.setFlags(flags & ~Qt.ItemFlag.ItemIsEditable)
                if c in self.numeric:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if c in self.mono:
                    item.setFont(mono_font())
                if colors is not None and c not in self.editable:
                    item.setBackground(colors[0])
                    item.setForeground(colors[1])
                if c == status_column and self.kinds[r] in KIND_ICONS:
                    item.setFont(bold)
                    fg = colors[1]
                    if self.kinds[r] == "error":  # a failure must stand out in any theme
                        item.setBackground(QColor(FAIL_BG))
                        fg = QColor(FAIL_FG)
                        item.setForeground(fg)
                    item.setIcon(theme.icon(KIND_ICONS[self.kinds[r]], fg.name()))
                if r < len(tooltips) and tooltips[r]:
                    item.setToolTip(plain_tooltip(tooltips[r]))
                self.setItem(r, c, item)
        self.resizeColumnsToContents()
        self.fit_height()

    def fit_height(self) -> None:
        if not self.fit_to_rows:
            return
        height = self.horizontalHeader().height() + 2 * self.frameWidth()
        height += sum(self.rowHeight(r) for r in range(self.rowCount()))
        if self.horizontalScrollBar().isVisible() or self.horizontalScrollBar().maximum() > 0:
            height += self.horizontalScrollBar().sizeHint().height()
        self.setFixedHeight(height + 2)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self.fit_height()

    def cell_texts(self) -> list[list[str]]:
        """The table as the user reads it (for tests)."""
        return [
            [self.item(r, c).text() if self.item(r, c) else "" for c in range(self.columnCount())]
            for r in range(self.rowCount())
        ]

    def column(self, name: str) -> list[str]:
        c = self.headers.index(name)
        return [row[c] for row in self.cell_texts()]


def scroll_page(content: QWidget) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setObjectName("Page")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(content)
    return scroll


def pair(left: QWidget, right: QWidget, stretch: tuple[int, int] = (1, 1)) -> QWidget:
    """Two widgets side by side; cards share one height with their content at the top."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(12)
    for widget, factor in ((left, stretch[0]), (right, stretch[1])):
        if widget.objectName() == "Card":
            widget.layout().addStretch(1)
            row.addWidget(widget, factor)
        else:
            row.addWidget(widget, factor, Qt.AlignmentFlag.AlignTop)
    return box
