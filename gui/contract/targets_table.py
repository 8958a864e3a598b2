"""The contract's targets as an editable table: metric, operator, threshold, batch size,
tolerance and note per row, with core's measured value and verdict beside them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QWidget,
)

from baton.core.present import fmt_target_value
from baton.gui.common import theme
from baton.gui.common.verdicts import (
    FAIL_BG,
    FAIL_FG,
    KIND_ICONS,
    VERDICT_KIND,
    VERDICT_TEXT,
    kind_colors,
)
from baton.gui.contract.fields import (
    OPERATOR_TEXT,
    mark_invalid,
    parse_number,
    unit_of,
)


class TargetsTable(QTableWidget):
    """The contract's targets, each row editable, with its measured value and verdict.

    Row ``2 * i`` is target ``i``; row ``2 * i + 1`` under it holds its problem, if any,
    spanning the table. Emits ``edited(i, field, value)`` for what the user changed and
    ``remove_requested(i)``; it never changes the contract itself.
    """

    edited = Signal(int, str, object)
    remove_requested = Signal(int)
    focus_moved = Signal()

    HEADERS = ("Metric", "", "Threshold", "Batch", "Tolerance ±", "Note", "Measured", "Verdict", "")
    METRIC, OP, THRESHOLD, BATCH, TOLERANCE, NOTE, MEASURED, VERDICT, REMOVE = range(9)
    FIELD_COLUMN = {"metric": 0, "op": 1, "threshold": 2, "batch": 3, "tolerance": 4, "note": 5}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(self.HEADERS), parent)
        self.setHorizontalHeaderLabels(list(self.HEADERS))
        self.horizontalHeaderItem(self.OP).setToolTip("Comparison")
        self.verticalHeader().hide()
        self.setShowGrid(False)
        self.setWordWrap(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        header = self.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(False)
        for column, mode in (
            (self.METRIC, QHeaderView.ResizeMode.Fixed),  # sized by _fit_columns
            (self.OP, QHeaderView.ResizeMode.Fixed),
            (self.THRESHOLD, QHeaderView.ResizeMode.Fixed),
            (self.BATCH, QHeaderView.ResizeMode.Fixed),
            (self.TOLERANCE, QHeaderView.ResizeMode.Fixed),
            (self.NOTE, QHeaderView.ResizeMode.Stretch),
            (self.MEASURED, QHeaderView.ResizeMode.ResizeToContents),
            (self.VERDICT, QHeaderView.ResizeMode.ResizeToContents),
            (self.REMOVE, QHeaderView.ResizeMode.Fixed),
        ):
            header.setSectionResizeMode(column, mode)
        self.setColumnWidth(self.THRESHOLD, 96)
        self.setColumnWidth(self.BATCH, 78)
        self.setColumnWidth(self.TOLERANCE, 86)
        self.setColumnWidth(self.REMOVE, 34)
        self.metrics: Sequence[str] = ()
        self.batches: Sequence[int] = ()
        self._count = 0
        self._syncing = False

    # -- building rows

    def set_targets(
        self,
        targets: Sequence[Mapping[str, Any]],
        metrics: Sequence[str],
        batches: Sequence[int],
        rebuild: bool = False,
    ) -> None:
        """Show ``targets``; rows are rebuilt only when their number changes (or ``rebuild``).

        A field whose text already means the value shown is left alone, so the cursor
        stays where the user is typing.
        """
        self.metrics, self.batches = list(metrics), list(batches)
        if rebuild or len(targets) != self._count:
            self._build(len(targets))
        self._syncing = True
        try:
            for i, target in enumerate(targets):
                self._sync_row(i, target)
        finally:
            self._syncing = False
        self._fit_columns()
        self.fit_height()

    def _fit_columns(self) -> None:
        """Cell widgets do not size their columns: size the metric and operator columns here."""
        for column in (self.METRIC, self.OP):
            hints = [self.cellWidget(2 * i, column).sizeHint().width() for i in range(self._count)]
            header = self.horizontalHeader().sectionSizeHint(column)
            self.setColumnWidth(column, max([header, *hints]) + 8)

    def _build(self, count: int) -> None:
        self.clearSpans()
        self.setRowCount(0)
        self.setRowCount(2 * count)
        self._count = count
        for i in range(count):
            self._build_row(i)
            message = QTableWidgetItem("")
            self.setItem(2 * i + 1, 0, message)
            self.setSpan(2 * i + 1, 0, 1, self.columnCount())
            self.setRowHidden(2 * i + 1, True)
            self.setRowHeight(2 * i, 36)

    def _build_row(self, i: int) -> None:
        row = 2 * i
        metric = QComboBox()
        metric.setObjectName("TargetMetric")
        metric.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        metric.activated.connect(
            lambda _=0, i=i, w=metric: self._emit(i, "metric", w.currentData())
        )
        op = QComboBox()
        for symbol, text in OPERATOR_TEXT.items():
            op.addItem(text, symbol)
        op.setToolTip("Comparison: at least, at most, above, below, equal")
        op.activated.connect(lambda _=0, i=i, w=op: self._emit(i, "op", w.currentData()))
        threshold = QLineEdit()
        threshold.setAlignment(Qt.AlignmentFlag.AlignRight)
        threshold.textEdited.connect(
            lambda text, i=i: self._emit(i, "threshold", parse_number(text))
        )
        batch = QSpinBox()
        batch.setRange(0, 1_000_000)
        batch.setSpecialValueText("—")
        batch.setGroupSeparatorShown(True)
        batch.setKeyboardTracking(True)
        batch.valueChanged.connect(lambda value, i=i: self._batch_changed(i, value))
        tolerance = QLineEdit()
        tolerance.setAlignment(Qt.AlignmentFlag.AlignRight)
        tolerance.setToolTip("How far the measured value may miss the threshold and still pass")
        tolerance.textEdited.connect(
            lambda text, i=i: self._emit(
                i, "tolerance", parse_number(text) if text.strip() else 0.0
            )
        )
        note = QLineEdit()
        note.setPlaceholderText("Why this target, agreed with whom")
        note.textEdited.connect(lambda text, i=i: self._emit(i, "note", text))
        remove = QToolButton()
        remove.setIcon(theme.icon("close"))
        remove.setAutoRaise(True)
        remove.setToolTip("Remove this target")
        remove.clicked.connect(lambda _=False, i=i: self.remove_requested.emit(i))
        for column, widget in (
            (self.METRIC, metric),
            (self.OP, op),
            (self.THRESHOLD, threshold),
            (self.BATCH, batch),
            (self.TOLERANCE, tolerance),
            (self.NOTE, note),
            (self.REMOVE, remove),
        ):
            if column != self.REMOVE:
                widget.installEventFilter(self)
            self.setCellWidget(row, column, widget)
        for column in (self.MEASURED, self.VERDICT):
            item = QTableWidgetItem("")
            item.setTextAlignment(
                (
                    Qt.AlignmentFlag.AlignRight
                    if column == self.MEASURED
                    else Qt.AlignmentFlag.AlignLeft
                )
                | Qt.AlignmentFlag.AlignVCenter
            )
            self.setItem(row, column, item)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.FocusIn:
            self.focus_moved.emit()
        return super().eventFilter(watched, event)

    def _sync_row(self, i: int, target: Mapping[str, Any]) -> None:
        from baton.core.contract.targets import BATCHED_METRICS, format_number

        row = 2 * i
        name = target["metric"]
        metric: QComboBox = self.cellWidget(row, self.METRIC)
        names = list(self.metrics) if name in self.metrics else [*self.metrics, name]
        if [metric.itemData(k) for k in range(metric.count())] != names:
            metric.clear()
            for n in names:
                metric.addItem(n, n)
        if metric.currentData() != name:
            metric.setCurrentIndex(metric.findData(name))
        unit = unit_of(name)
        metric.setToolTip(f"{name}" + (f" (in {unit})" if unit else ""))
        op: QComboBox = self.cellWidget(row, self.OP)
        if op.currentData() != target["op"]:
            op.setCurrentIndex(op.findData(target["op"]))
        threshold: QLineEdit = self.cellWidget(row, self.THRESHOLD)
        if parse_number(threshold.text()) != target["threshold"]:
            threshold.setText(format_number(target["threshold"]))
        threshold.setToolTip("Threshold" + (f" in {unit}" if unit else ""))
        batch: QSpinBox = self.cellWidget(row, self.BATCH)
        batched = name in BATCHED_METRICS
        batch.setEnabled(batched)
        batch.setMinimum(1 if batched else 0)
        batch.setSpecialValueText("" if batched else "—")
        wanted = target.get("batch") or 0
        if batch.value() != wanted:
            batch.setValue(wanted)
        measured_at = ", ".join(f"{b:,}" for b in self.batches) or "none yet"
        batch.setToolTip(
            f"Batch size of the latency row this target reads (measured at: {measured_at})"
            if batched
            else "Only latency and throughput targets take a batch size"
        )
        tolerance: QLineEdit = self.cellWidget(row, self.TOLERANCE)
        value = target.get("tolerance") or 0.0
        if (parse_number(tolerance.text()) if tolerance.text().strip() else 0.0) != value:
            tolerance.setText(format_number(value) if value else "")
        tolerance.setPlaceholderText("0")
        note: QLineEdit = self.cellWidget(row, self.NOTE)
        if note.text() != (target.get("note") or ""):
            note.setText(target.get("note") or "")
            note.setCursorPosition(0)
        self.set_result(i, target)

    def set_result(self, i: int, target: Mapping[str, Any] | None) -> None:
        """The measured value and the verdict of row ``i`` (``None``: the row is being fixed)."""
        measured = self.item(2 * i, self.MEASURED)
        verdict_item = self.item(2 * i, self.VERDICT)
        bold = QFont(self.font())
        bold.setBold(True)
        if target is None:
            measured.setText("")
            verdict_item.setText("—")
            verdict_item.setToolTip("Fix the marked field to see the verdict")
            verdict_item.setIcon(theme.icon("warning", theme.current_colors()["muted"]))
            verdict_item.setData(Qt.ItemDataRole.BackgroundRole, None)
            verdict_item.setData(Qt.ItemDataRole.ForegroundRole, None)
            return
        metric, verdict = target["metric"], target.get("verdict")
        measured.setText(fmt_target_value(metric, target.get("measured")))
        kind = VERDICT_KIND.get(verdict)
        verdict_item.setText(VERDICT_TEXT.get(verdict, verdict or "—"))
        verdict_item.setFont(bold)
        colors = kind_colors(kind)
        if colors is not None:
            bg, fg = colors
            if kind == "error":  # a failure must stand out in any theme
                bg, fg = QColor(FAIL_BG), QColor(FAIL_FG)
            verdict_item.setBackground(bg)
            verdict_item.setForeground(fg)
            verdict_item.setIcon(theme.icon(KIND_ICONS[kind], fg.name()))
        if verdict == "unmeasured":
            at = f" at batch {target['batch']:,}" if target.get("batch") else ""
            measured_at = ", ".join(f"{b:,}" for b in self.batches) or "none"
            tip = (
                f"{metric} was not measured{at}. Latency was measured at batch sizes "
                f"{measured_at}; profile at this batch size or pick a measured one."
                if target.get("batch")
                else f"{metric} is not in the results: evaluate or profile the model first."
            )
        elif verdict == "fail":
            tip = "The measured value misses the threshold (tolerance included)."
        else:
            tip = "The measured value meets the threshold."
        verdict_item.setToolTip(tip)

    def _emit(self, i: int, field: str, value: Any) -> None:
        if not self._syncing:
            self.edited.emit(i, field, value)

    def _batch_changed(self, i: int, value: int) -> None:
        if not self._syncing and value > 0:
            self.edited.emit(i, "batch", value)

    # -- problems

    def set_problem(self, i: int, fields: set[str], message: str) -> None:
        """Mark ``fields`` of row ``i`` red and show ``message`` under it (empty: none)."""
        for field, column in self.FIELD_COLUMN.items():
            widget = self.cellWidget(2 * i, column)
            if widget is not None:
                mark_invalid(widget, "error" if field in fields else None)
        item = self.item(2 * i + 1, 0)
        colors = theme.current_colors()
        item.setText(message)
        item.setForeground(QColor(colors["err_text"]))
        item.setBackground(QColor(colors["err_bg"]))
        item.setIcon(theme.icon("error", colors["err_text"]) if message else QIcon())
        self.setRowHidden(2 * i + 1, not message)
        if message:
            # The message spans the table: wrap it to the table's width, not the first column's.
            width = max(200, self.viewport().width() - 48)
            box = self.fontMetrics().boundingRect(
                QRect(0, 0, width, 0), int(Qt.TextFlag.TextWordWrap), message
            )
            self.setRowHeight(2 * i + 1, box.height() + 12)
        self.fit_height()

    # -- sizing and reading

    def fit_height(self) -> None:
        height = self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth() + 2
        height += sum(self.rowHeight(r) for r in range(self.rowCount()) if not self.isRowHidden(r))
        self.setFixedHeight(max(height, 48))

    def count(self) -> int:
        return self._count

    def editor(self, i: int, field: str) -> QWidget:
        return self.cellWidget(2 * i, self.FIELD_COLUMN[field])

    def threshold_editor(self, i: int) -> QLineEdit:
        return self.editor(i, "threshold")

    def measured_text(self, i: int) -> str:
        return self.item(2 * i, self.MEASURED).text()

    def verdict_text(self, i: int) -> str:
        return self.item(2 * i, self.VERDICT).text()

    def message_text(self, i: int) -> str:
        return "" if self.isRowHidden(2 * i + 1) else self.item(2 * i + 1, 0).text()

    def invalid_fields(self, i: int) -> set[str]:
        return {
            f for f, c in self.FIELD_COLUMN.items() if self.cellWidget(2 * i, c).property("problem")
        }
