"""Read-only tables: the signed-document pages' generic table, and the measurement tables
(metrics with intervals, per-class figures, latency per batch size) every page shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QRect, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QToolTip,
    QWidget,
)

from baton.core.present import (
    SHARE_METRICS,
    fmt_bounds,
    fmt_count,
    fmt_duration,
    fmt_percent,
    fmt_rate,
    fmt_ratio,
    half_width,
    metric_label,
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
#: Added to a row fitted to its wrapped text, above and below its lines together.
ROW_MARGIN = 10


class VerdictCellDelegate(QStyledItemDelegate):
    """Paints a verdict cell in its own colours, selected or not.

    The selection colour would otherwise replace a red FAIL with the pale selection
    background exactly when the user points at that row; the rest of the row still shows
    the selection.
    """

    def paint(self, painter, option, index) -> None:
        if index.data(Qt.ItemDataRole.BackgroundRole) is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.state &= ~QStyle.StateFlag.State_Selected
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is None:
            super().paint(painter, opt, index)
            return
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)


def cell_fits(table: QTableWidget, row: int, column: int) -> bool:
    """Whether a cell's text (and icon) fits its cell, or is drawn elided: the size its
    delegate asks for (the style's padding included) against the cell's. In a table that
    wraps words, the text is laid out at the column's width first, so a cell fits when its
    lines fit the row's height and no word is wider than the column."""
    item = table.item(row, column)
    if item is None or not item.text():
        return True
    option = QStyleOptionViewItem()
    table.initViewItemOption(option)
    index = table.model().index(row, column)
    width, height = table.columnWidth(column), table.rowHeight(row)
    if not table.wordWrap():
        return table.itemDelegateForIndex(index).sizeHint(option, index).width() <= width
    option.rect = QRect(0, 0, width, height)
    needed = table.itemDelegateForIndex(index).sizeHint(option, index)
    return needed.width() <= width and needed.height() <= height


class ReadOnlyTable(QTableWidget):
    """A read-only table sized to its rows, with optional coloured rows.

    ``set_rows(rows, kinds=…, status_column=…)``: a row whose kind is ``ok``, ``error`` or
    ``warning`` gets that background; its ``status_column`` cell is bold with an icon, so
    a failed row is obvious at a glance. A table sized to its rows wraps a cell too long
    for its column onto more lines (its row grows to show them, and shrinks back when the
    column widens); a word longer than its column, or any long cell of a scrolling table,
    is elided in the middle and shows its whole text when hovered.
    """

    tips_elided_cells = True  # see viewportEvent

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
        # Rows of one height scroll fast; a table that shows all its rows wraps instead.
        self.setWordWrap(fit_to_rows)
        self._rows_fitted = False  # rows sized to their wrapped text: refit on every resize
        self._filling = False
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
        self._verdict_delegate = VerdictCellDelegate(self)
        header.sectionResized.connect(self._fit_rows)

    def set_rows(
        self,
        rows: Sequence[Sequence[Any]],
        *,
        kinds: Sequence[str | None] = (),
        status_column: int | None = None,
        tooltips: Sequence[str | None] = (),
    ) -> None:
        self._filling = True  # the columns' resizing below refits the rows once, at the end
        if self._rows_fitted:  # rows sized to the old text: start again from one line
            self.setRowCount(0)
        self.setRowCount(len(rows))
        self.kinds = [kinds[r] if r < len(kinds) else None for r in range(len(rows))]
        if status_column is not None:
            self.setItemDelegateForColumn(status_column, self._verdict_delegate)
        bold = QFont(self.font())
        bold.setBold(True)
        several_lines = False
        for r, row in enumerate(rows):
            colors = kind_colors(self.kinds[r])
            for c, value in enumerate(row):
                item = QTableWidgetItem(plain_text(value))
                several_lines = several_lines or "\n" in item.text()
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
        self._filling = False
        self._rows_fitted = several_lines  # a cell of several lines shows them all
        self._fit_rows()

    def viewportEvent(self, event) -> bool:  # noqa: N802 - Qt naming
        """Hovering an elided cell without a tooltip of its own shows its whole text."""
        if event.type() == QEvent.Type.ToolTip:
            index = self.indexAt(event.pos())
            item = self.item(index.row(), index.column()) if index.isValid() else None
            if item is not None and not item.toolTip():
                if cell_fits(self, index.row(), index.column()):
                    QToolTip.hideText()
                else:
                    QToolTip.showText(
                        event.globalPos(),
                        plain_tooltip(item.text()),
                        self.viewport(),
                        self.visualRect(index),
                    )
                return True
        return super().viewportEvent(event)

    def _fit_rows(self, *_: Any) -> None:
        """Rows as tall as their wrapped text at the columns' present widths, once a cell
        needs more than one line; then the table's height to its rows."""
        if self._filling:
            return
        if self.wordWrap() and not self._rows_fitted:
            self._rows_fitted = not all(
                cell_fits(self, r, c)
                for r in range(self.rowCount())
                for c in range(self.columnCount())
            )
        if self._rows_fitted:
            self.resizeRowsToContents()
            # Qt fits a row to its text alone: give a row of several lines a margin, and
            # keep a row of one line at the usual height.
            one_line = self.verticalHeader().defaultSectionSize()
            for r in range(self.rowCount()):
                text = self.rowHeight(r)
                self.setRowHeight(r, text + ROW_MARGIN if text > one_line else one_line)
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
        self._fit_rows()

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


class _Table(QTableWidget):
    """A read-only table that sizes itself to its rows (no inner scrolling for short data)."""

    HEADERS: tuple[str, ...] = ()
    NUMERIC: tuple[int, ...] = ()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.HEADERS), parent)
        self.setHorizontalHeaderLabels(list(self.HEADERS))
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.setShowGrid(False)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)

    def _fill(self, rows: Sequence[Sequence[Any]], tooltips: Sequence[str | None] = ()) -> None:
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(plain_text(value))
                if c in self.NUMERIC:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if r < len(tooltips) and tooltips[r]:
                    item.setToolTip(plain_tooltip(tooltips[r]))
                self.setItem(r, c, item)
        self.resizeColumnsToContents()
        # Never narrower than its columns: a cramped page scrolls instead of cutting cells.
        self.setMinimumWidth(
            sum(self.columnWidth(c) for c in range(self.columnCount())) + 2 * self.frameWidth() + 2
        )
        self.updateGeometry()

    def sizeHint(self):  # noqa: N802 - Qt naming
        """As tall as its rows, computed when the layout asks (after styling)."""
        hint = super().sizeHint()
        height = self.horizontalHeader().sizeHint().height() + self.verticalHeader().length()
        hint.setHeight(height + 2 * self.frameWidth() + 2)
        return hint

    def minimumSizeHint(self):  # noqa: N802 - Qt naming
        hint = super().minimumSizeHint()
        hint.setHeight(self.sizeHint().height())
        return hint

    def has_data(self) -> bool:
        return self.rowCount() > 0

    def cell_texts(self) -> list[list[str]]:
        """The table as the user reads it (for tests)."""
        return [
            [self.item(r, c).text() if self.item(r, c) else "" for c in range(self.columnCount())]
            for r in range(self.rowCount())
        ]


METRIC_HELP = {
    "accuracy": "Share of rows predicted correctly.",
    "balanced_accuracy": "Mean recall over the classes present in the labels.",
    "precision": "Of the rows predicted positive, the share that are (macro average for multiclass).",
    "recall": "Of the positive rows, the share found (macro average for multiclass).",
    "specificity": "Of the negative rows, the share predicted negative.",
    "f1": "Harmonic mean of precision and recall.",
    "f1_macro": "F1 averaged over classes, each class weighing the same.",
    "f1_weighted": "F1 averaged over classes, weighted by support.",
    "roc_auc": "Area under the ROC curve: the chance a positive scores above a negative.",
    "pr_auc": "Average precision: area under the precision-recall curve.",
    "log_loss": "Cross-entropy of the predicted probabilities (lower is better).",
    "mcc": "Matthews correlation coefficient, from -1 to 1.",
    "mae": "Mean absolute error.",
    "rmse": "Root mean squared error.",
    "r2": "Coefficient of determination.",
    "mape": "Mean absolute percentage error: the error as a share of the true value.",
    "max_error": "Largest absolute error on one row (no interval: the bootstrap of an extreme is unreliable).",
}


class MetricsTable(_Table):
    """``set_data({"accuracy": {"value", "ci_low", "ci_high"}, …}, level=0.95)``."""

    HEADERS = ("Metric", "Value", "95 % interval")
    NUMERIC = (1,)

    def set_data(
        self,
        metrics: Mapping[str, Mapping[str, Any]] | None,
        level: float | None = 0.95,
        task: str | None = None,
    ) -> None:
        """``task`` "multiclass" names the macro averages as such and shows ``f1`` once
        (it is ``f1_macro``)."""
        pct = f"{level:.0%}".replace("%", " %") if level else "95 %"
        self.setHorizontalHeaderLabels(["Metric", "Value", f"{pct} interval"])
        rows, tips = [], []
        metrics = dict(metrics or {})
        if task == "multiclass" and "f1_macro" in metrics:
            metrics.pop("f1", None)
        for name, m in metrics.items():
            low, high = m.get("ci_low"), m.get("ci_high")
            # MAPE is a share of the true value: 43 %, not 0.4296. The value shows the
            # digits its interval allows, and the interval the same decimals.
            share = name in SHARE_METRICS
            figure = fmt_percent if share else fmt_ratio
            value = figure(m.get("value"), half_width(low, high))
            interval = fmt_bounds(low, high, m.get("value"), share=share)
            rows.append((metric_label(name, task), value, interval))
            tips.append(METRIC_HELP.get(name))
        self._fill(rows, tips)


class PerClassTable(_Table):
    """``set_data([{"label", "support", "precision", "recall", "specificity", "f1"}, …])``."""

    HEADERS = ("Class", "Support", "Precision", "Recall", "Specificity", "F1")
    NUMERIC = (1, 2, 3, 4, 5)

    def set_data(self, per_class: Sequence[Mapping[str, Any]] | None) -> None:
        self._fill(
            [
                (
                    str(c.get("label")),
                    fmt_count(c.get("support")),
                    fmt_ratio(c.get("precision")),
                    fmt_ratio(c.get("recall")),
                    fmt_ratio(c.get("specificity")),
                    fmt_ratio(c.get("f1")),
                )
                for c in per_class or []
            ]
        )


class LatencyTable(_Table):
    """One row per batch size from a profile's ``latency`` list."""

    HEADERS = ("Batch size", "Samples", "p50", "p90", "p95", "p99", "Throughput", "Stable p99")
    NUMERIC = (0, 1, 2, 3, 4, 5, 6)

    def set_data(self, latency: Sequence[Mapping[str, Any]] | None) -> None:
        rows, tips = [], []
        for r in sorted(latency or [], key=lambda r: r["batch_size"]):
            tput = r.get("throughput_rps")
            rows.append(
                (
                    fmt_count(r["batch_size"]),
                    fmt_count(r.get("samples", 0)),
                    fmt_duration(r.get("p50_ms")),
                    fmt_duration(r.get("p90_ms")),
                    fmt_duration(r.get("p95_ms")),
                    fmt_duration(r.get("p99_ms")),
                    fmt_rate(tput) if tput else "—",
                    "yes" if r.get("p99_stable") else "no",
                )
            )
            tips.append(r.get("sample_rule"))
        self._fill(rows, tips)
