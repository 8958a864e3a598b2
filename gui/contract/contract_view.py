"""The handover contract editor: the model page's Contract tab.

:class:`ContractPage` shows, for the selected model, its stored drafts (``core.drafts``):
"Draft contract…" asks for a name, a version and the catalog datasets (test, and
optionally train and validation) and runs ``drafts.new_draft`` on the worker; a stored
draft opens in :class:`ContractEditor`.

The editor is a face of :mod:`baton.core.contract.document`. Every change goes through
``set_field`` / ``add_target`` / ``remove_target`` on a copy of the contract: what core
accepts becomes the contract (a :class:`ContractEdit` on the main window's undo stack,
holding the contract before and after); what core refuses stays in its field, marked
red with core's sentence beside it, and is not part of the contract until fixed. The
sentences come from ``validate_contract`` on the contract with those values in place,
so each one names the field it is about; a target's measured value and verdict are
core's, recomputed on every accepted keystroke. The measured sections (model, datasets,
environment, results) are shown read-only: they change only by measuring again.

Save stores the draft (``drafts.save``) on the worker. Saving under a new name or version
stores a new draft and keeps the old one, which is how a second version starts; "Compare
with previous version" shows ``diff_contracts`` against the newest stored draft of the
same name with a lower version. Edits are never dropped silently: unsaved ones are stored
when another draft or model takes the editor's place, and when the window closes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import QEvent, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QKeySequence, QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from baton.core.present import fmt_number, fmt_when
from baton.gui.common import jobs, theme
from baton.gui.common.charts import LatencyTable, MetricsTable
from baton.gui.common.tables import ReadOnlyTable, scroll_page
from baton.gui.common.verdicts import (
    FAIL_BG,
    FAIL_FG,
    KIND_ICONS,
    VERDICT_KIND,
    VERDICT_TEXT,
    fmt_target_value,
    kind_colors,
    model_rows,
)
from baton.gui.common.widgets import (
    Banner,
    EmptyState,
    FlowLayout,
    KeyValueGrid,
    card,
    group,
    muted_label,
    title_label,
)

NO_MODEL = "Pick a model on the left to write its handover contract."
NO_DRAFT = (
    "No contract for {model} yet. A contract is the handover's evidence — the model, the "
    "data it was measured on, its results — and the targets you agree with the engineer, "
    "such as accuracy ≥ 0.95 or p95 latency at batch 32 ≤ 20 ms."
)
NO_TARGETS = (
    "No targets yet. Add the clauses agreed with the engineer below, e.g. accuracy>=0.95 or "
    "latency_p95_ms@32<=20."
)
ADD_TARGET_HINT = "accuracy>=0.95, latency_p95_ms@32<=20±2, memory_mb<=256 …"
IDENTITY_FIELDS = ("name", "version", "intended_use", "limitations")
TARGET_FIELDS = ("metric", "op", "threshold", "batch", "tolerance", "note")
# Issues a draft has by nature: packing adds the predictions and names the signer.
FILLED_WHEN_PACKED = ("predictions", "identity.authors")
OPERATOR_TEXT = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}
UNITS = {"ms": "milliseconds", "mb": "MB (2^20 bytes)", "rps": "rows per second"}
_TARGET_PATH = re.compile(r"^targets\[(\d+)\](?:\.(\w+))?")


def _unit_of(metric: str) -> str:
    return UNITS.get(metric.rsplit("_", 1)[-1], "")


def _polish(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()


def mark_invalid(widget: QWidget, kind: str | None) -> None:
    """Give a field the stylesheet's red (``error``) or amber (``warning``) border, or none."""
    if widget.property("problem") != (kind or ""):
        widget.setProperty("problem", kind or "")
        _polish(widget)


def _parse_number(text: str) -> Any:
    """A number typed into a field, or the text itself for core to name the problem."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        return text


class FieldMessage(QWidget):
    """A sentence beside a field: an icon and wrapped text, red for errors, amber for warnings."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.icon = QLabel()
        self.icon.setFixedSize(16, 16)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.label, 1)
        self.kind = ""
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        if not text:
            self.clear()
            return
        self.kind = kind
        self.label.setObjectName("FieldError" if kind == "error" else "FieldWarning")
        _polish(self.label)
        colors = theme.current_colors()
        color = colors["err_text"] if kind == "error" else colors["warn_text"]
        self.icon.setPixmap(theme.pixmap("error" if kind == "error" else "warning", 16, color))
        self.label.setText(text)
        self.show()

    def clear(self) -> None:
        self.kind = ""
        self.label.setText("")
        self.hide()

    def text(self) -> str:
        return self.label.text() if not self.isHidden() else ""


# --- undo ---------------------------------------------------------------------------------


class ContractEdit(QUndoCommand):
    """One change to the contract: the whole contract before and after it.

    Keystrokes in one field merge into one command while the field keeps the focus, so
    Undo takes back what was typed there, not one character.
    """

    ID = 0xBA70

    def __init__(
        self,
        editor: ContractEditor,
        before: dict[str, Any],
        after: dict[str, Any],
        text: str,
        merge_key: tuple | None = None,
    ) -> None:
        super().__init__(text)
        self.editor = editor
        self.before = before
        self.after = after
        self.merge_key = merge_key

    def id(self) -> int:  # noqa: A003 - Qt naming
        return self.ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt naming
        key = getattr(other, "merge_key", None)
        if (
            key is None
            or key != self.merge_key
            or getattr(other, "editor", None) is not self.editor
        ):
            return False
        self.after = other.after
        self.setObsolete(self.after == self.before)
        return True

    def redo(self) -> None:
        self.editor.restore(self.after)

    def undo(self) -> None:
        self.editor.restore(self.before)


# --- the targets table --------------------------------------------------------------------


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
            lambda text, i=i: self._emit(i, "threshold", _parse_number(text))
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
                i, "tolerance", _parse_number(text) if text.strip() else 0.0
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
        unit = _unit_of(name)
        metric.setToolTip(f"{name}" + (f" (in {unit})" if unit else ""))
        op: QComboBox = self.cellWidget(row, self.OP)
        if op.currentData() != target["op"]:
            op.setCurrentIndex(op.findData(target["op"]))
        threshold: QLineEdit = self.cellWidget(row, self.THRESHOLD)
        if _parse_number(threshold.text()) != target["threshold"]:
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
        if (_parse_number(tolerance.text()) if tolerance.text().strip() else 0.0) != value:
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


# --- the editor -----------------------------------------------------------------------------


class ContractEditor(QWidget):
    """Edits one contract through core; see the module docstring.

    ``contract`` is always a contract core accepted. Fields core refused are ``pending``:
    shown, marked, explained, and left out of the contract. Signals: ``changed()`` after
    every accepted change, undo or redo; ``problems_changed(count)``.
    """

    changed = Signal()
    problems_changed = Signal(int)
    measure_requested = Signal()  # profile again at the batch sizes the targets name

    def __init__(self, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ContractEditor")
        self.undo_stack = undo_stack
        self.contract: dict[str, Any] = {}
        self._pending: dict[str, tuple[Any, str]] = {}  # identity field -> (value, why)
        self._pending_rows: dict[int, dict[str, Any]] = {}  # target row -> fields typed
        self._row_errors: dict[int, str] = {}  # target row -> core's refusal
        self._pushing = False
        self._syncing = False
        self._focus_token = 0
        self._facts: list[tuple[str, Any]] = []
        self.problems: list[tuple[str, str, str]] = []  # (path, message, kind) on screen

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(12)
        self.summary = Banner(closable=False)
        layout.addWidget(self.summary)
        layout.addWidget(self._identity_card())
        layout.addWidget(self._targets_card())
        self.model_grid = KeyValueGrid(columns=2)
        self.features = muted_label()
        layout.addWidget(card(self.model_grid, self.features, title="Model (measured)"))
        self.datasets = ReadOnlyTable(
            ("Role", "Name", "In the bundle", "Rows", "Columns", "Target", "Fingerprint"),
            numeric=(3, 4),
            mono=(6,),
        )
        layout.addWidget(card(self.datasets, title="Datasets (measured)"))
        self.metrics = MetricsTable()
        self.latency = LatencyTable()
        self.memory = KeyValueGrid()
        self.results_note = muted_label()
        results = QWidget()
        grid = QGridLayout(results)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(8)
        grid.addWidget(title_label("Quality", "SectionTitle"), 0, 0)
        grid.addWidget(self.metrics, 1, 0, Qt.AlignmentFlag.AlignTop)
        side = QVBoxLayout()
        side.addWidget(title_label("Latency per batch size", "SectionTitle"))
        side.addWidget(self.latency)
        side.addWidget(title_label("Memory and size", "SectionTitle"))
        side.addWidget(self.memory)
        side.addStretch(1)
        grid.addLayout(side, 0, 1, 2, 1)
        grid.setColumnStretch(2, 1)
        layout.addWidget(card(self.results_note, results, title="Results (measured)"))
        self.environment = KeyValueGrid(columns=2)
        layout.addWidget(card(self.environment, title="Environment it was measured in"))
        layout.addStretch(1)

    # -- building

    def _identity_card(self) -> QFrame:
        self.name_edit = QLineEdit()
        self.name_edit.setMaximumWidth(520)
        self.version_edit = QLineEdit()
        self.version_edit.setFixedWidth(120)
        self.use_edit = QPlainTextEdit()
        self.use_edit.setPlaceholderText(
            "What the model is for, for whom, and who decides (required before export)"
        )
        self.limitations_edit = QPlainTextEdit()
        self.limitations_edit.setPlaceholderText(
            "Where it should not be used: data it never saw, known weak spots"
        )
        for edit in (self.use_edit, self.limitations_edit):
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(72)
        self.field_messages = {f: FieldMessage() for f in IDENTITY_FIELDS}
        self.field_widgets: dict[str, QWidget] = {
            "name": self.name_edit,
            "version": self.version_edit,
            "intended_use": self.use_edit,
            "limitations": self.limitations_edit,
        }
        self.name_edit.textEdited.connect(lambda text: self._identity_edited("name", text))
        self.version_edit.textEdited.connect(lambda text: self._identity_edited("version", text))
        self.use_edit.textChanged.connect(
            lambda: self._identity_edited("intended_use", self.use_edit.toPlainText())
        )
        self.limitations_edit.textChanged.connect(
            lambda: self._identity_edited("limitations", self.limitations_edit.toPlainText())
        )
        for widget in self.field_widgets.values():
            widget.installEventFilter(self)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        form.setVerticalSpacing(6)

        def field(widget: QWidget, message: FieldMessage, hint: str = "") -> QWidget:
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(3)
            if hint:
                line = QHBoxLayout()
                line.setSpacing(10)
                line.addWidget(widget)
                line.addWidget(muted_label(hint), 1)
                column.addLayout(line)
            else:
                column.addWidget(widget)
            column.addWidget(message)
            return box

        form.addRow(
            "&Name",
            field(
                self.name_edit,
                self.field_messages["name"],
                "The bundle's name; versions of one model share it.",
            ),
        )
        form.addRow(
            "&Version",
            field(
                self.version_edit,
                self.field_messages["version"],
                "Saving under a new name or version stores a new draft and keeps this one.",
            ),
        )
        form.addRow("Intended &use", field(self.use_edit, self.field_messages["intended_use"]))
        form.addRow(
            "&Limitations", field(self.limitations_edit, self.field_messages["limitations"])
        )
        self.identity_facts = KeyValueGrid(columns=2)
        box = QWidget()
        box.setLayout(form)
        return card(box, self.identity_facts, title="Identity")

    def _targets_card(self) -> QFrame:
        self.targets = TargetsTable()
        self.targets.edited.connect(self._target_edited)
        self.targets.remove_requested.connect(self._remove_target)
        self.targets.focus_moved.connect(self._new_focus)
        self.no_targets = muted_label(NO_TARGETS)
        self.add_edit = QLineEdit()
        self.add_edit.setPlaceholderText(ADD_TARGET_HINT)
        self.add_edit.returnPressed.connect(self.add_target_from_text)
        self.add_edit.textEdited.connect(lambda _t: self._show_add_problem(""))
        from baton.core.contract.targets import TARGET_METRICS

        completer = QCompleter(list(TARGET_METRICS), self.add_edit)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.add_edit.setCompleter(completer)
        self.add_button = QPushButton(theme.icon("contract"), "Add target")
        self.add_button.clicked.connect(self.add_target_from_text)
        self.add_message = FieldMessage()
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(QLabel("New target"))
        line.addWidget(self.add_edit, 1)
        line.addWidget(self.add_button)
        self.verdict_note = muted_label(
            "Verdicts are recomputed as you type, from the measured results below: "
            "PASS, FAIL, or NOT MEASURED when the results hold no such figure."
        )
        # A target at a batch size never profiled: offer to measure it here and now.
        self.measure_note = muted_label()
        self._measure_text = "Measure"
        self.measure_button = QPushButton(theme.icon("profile"), self._measure_text)
        self.measure_button.clicked.connect(self.measure_requested)
        self.measure_row = group(self.measure_note, self.measure_button, spacing=8)
        self.measure_row.hide()
        return card(
            self.targets,
            self.no_targets,
            row,
            self.add_message,
            self.measure_row,
            self.verdict_note,
            title="Targets",
        )

    def set_measuring(self, measuring: bool) -> None:
        """While the profile runs, the button waits (the page runs it on the worker)."""
        self.measure_button.setEnabled(not measuring)
        self.measure_button.setText("Measuring…" if measuring else self._measure_text)

    def apply_measurement(self, contract: dict[str, Any]) -> bool:
        """Take the draft measured again (``drafts.measure_targets``) as one undo step."""
        if not self.contract or contract["identity"]["id"] != self.contract["identity"]["id"]:
            return False
        from baton.core.contract.document import reevaluate_targets

        # Keep what was edited while the profile ran; take only the measured sections.
        after = copy.deepcopy(self.contract)
        for key in ("results", "environment"):
            after[key] = copy.deepcopy(contract[key])
        self._push(reevaluate_targets(after), "Measure latency at the targets' batch sizes")
        return True

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.FocusIn:
            self._new_focus()
        return super().eventFilter(watched, event)

    def _new_focus(self) -> None:
        # Typing after the focus moved starts a new undo step.
        self._focus_token += 1

    # -- loading

    def set_contract(self, contract: Mapping[str, Any]) -> None:
        """Show a contract afresh (a newly opened draft): no pending fields, no undo history."""
        self._pending.clear()
        self._pending_rows.clear()
        self._row_errors.clear()
        self.contract = copy.deepcopy(dict(contract))
        self._sync(rebuild=True)
        self._show_measured()

    def restore(self, contract: dict[str, Any]) -> None:
        """Make ``contract`` current (called by the undo stack's commands)."""
        measured_before = self._measured_part(self.contract)
        self.contract = copy.deepcopy(contract)
        if not self._pushing:  # undo or redo: what was typed and refused goes too
            self._pending.clear()
            self._pending_rows.clear()
            self._row_errors.clear()
        self._sync(rebuild=False)
        if self._measured_part(self.contract) != measured_before:
            self._show_measured()
        self.changed.emit()

    @staticmethod
    def _measured_part(contract: Mapping[str, Any]) -> tuple:
        return tuple(contract.get(k) for k in ("model", "datasets", "results", "environment"))

    def _sync(self, rebuild: bool) -> None:
        """Put the contract into the fields (leaving pending ones as typed), then revalidate."""
        c = self.contract
        ident = c["identity"]
        self._syncing = True
        try:
            for field in ("name", "version"):
                edit = self.field_widgets[field]
                if field not in self._pending and edit.text() != ident[field]:
                    edit.setText(ident[field])
            for field in ("intended_use", "limitations"):
                edit = self.field_widgets[field]
                if field not in self._pending and edit.toPlainText() != ident[field]:
                    edit.setPlainText(ident[field])
        finally:
            self._syncing = False
        from baton.core.present import format_fingerprint

        authors = ", ".join(
            f"{a.get('name')} <{a.get('email')}> {format_fingerprint(a.get('fingerprint', ''))[:19]}…"
            for a in ident.get("authors") or []
        )
        facts = [
            ("Problem", ident.get("problem_type")),
            ("Created", fmt_when(ident.get("created"))),
            ("Authors", authors or "none yet — export signs with your key and names you"),
            ("Contract id", ident.get("id")),
        ]
        if facts != self._facts:
            self._facts = facts
            self.identity_facts.set_rows(facts)
        self._sync_targets(rebuild)

    def _sync_targets(self, rebuild: bool = False) -> None:
        from baton.core.contract.targets import TARGET_METRICS, metric_applies

        problem = self.contract["identity"]["problem_type"]
        metrics = [m for m in TARGET_METRICS if metric_applies(m, problem)]
        batches = sorted(r["batch_size"] for r in self.contract["results"].get("latency") or [])
        shown = []
        for i, target in enumerate(self.contract["targets"]):
            shown.append({**target, **self._pending_rows.get(i, {})})
        self.targets.set_targets(shown, metrics, batches, rebuild=rebuild)
        for i, target in enumerate(self.contract["targets"]):
            self.targets.set_result(i, None if i in self._pending_rows else target)
        self.targets.setVisible(bool(shown))
        self.no_targets.setVisible(not shown)
        self._offer_measurement()
        self._revalidate()

    def _offer_measurement(self) -> None:
        from baton.core.contract.document import unmeasured_batches

        missing = unmeasured_batches(self.contract)
        sizes = ", ".join(f"{b:,}" for b in missing)
        noun = "size" if len(missing) == 1 else "sizes"
        self._measure_text = f"Measure batch {noun} {sizes}"
        self.measure_note.setText(
            f"Latency was never measured at batch {noun} {sizes}, which a target names."
        )
        if self.measure_button.isEnabled():
            self.measure_button.setText(self._measure_text)
        self.measure_button.setToolTip(
            "Profile the model again on the test set, at these batch sizes and the ones "
            "already measured; the results below are replaced (undo brings them back)."
        )
        self.measure_row.setVisible(bool(missing))

    def _show_measured(self) -> None:
        """The read-only sections: model, datasets, results, environment."""
        from baton.core.present import format_fingerprint

        c = self.contract
        model = c["model"]
        self.model_grid.set_rows(model_rows(model, "File in the bundle"), mono=("SHA-256",))
        features = model.get("features") or []
        self.features.setText(
            f"{len(features)} input features: "
            + ", ".join(
                f"{f.get('name') or '(by position)'} ({f.get('dtype')})" for f in features[:30]
            )
            + (f", and {len(features) - 30} more" if len(features) > 30 else "")
        )
        self.features.setVisible(bool(features))
        datasets = c.get("datasets") or []
        self.datasets.set_rows(
            [
                (
                    d.get("role"),
                    d.get("name"),
                    "yes" if d.get("role") == "test" else "you choose at export",
                    fmt_number(d.get("rows")),
                    fmt_number(len(d.get("columns") or [])),
                    d.get("target") or "—",
                    format_fingerprint(d.get("fingerprint") or ""),
                )
                for d in datasets
            ],
            tooltips=[
                f"Fingerprint: {d.get('fingerprint')}\nFile SHA-256: {d.get('sha256')}"
                for d in datasets
            ],
        )
        results = c.get("results") or {}
        confidence = results.get("confidence") or {}
        level = confidence.get("level", 0.95)
        self.metrics.set_data(results.get("metrics"), level)
        self.latency.set_data(results.get("latency"))
        memory = results.get("memory") or {}
        self.memory.set_rows(
            [
                ("Resident after load", _mb(memory.get("rss_delta_after_load_mb"))),
                ("Extra at peak while predicting", _mb(memory.get("peak_predict_mb"))),
                ("Size on disk", _mb(memory.get("size_on_disk_mb"))),
            ]
        )
        bits = [
            f"{fmt_number(results.get('n_rows'))} test rows" if results.get("n_rows") else None,
            f"{confidence.get('resamples'):,} bootstrap resamples, seed {confidence.get('seed')}"
            if confidence.get("resamples")
            else None,
            f"positive class {results.get('positive_class')}"
            if results.get("positive_class") is not None
            else None,
        ]
        self.results_note.setText(
            "Measured on the test set: "
            + " · ".join(b for b in bits if b)
            + ". To change these figures, evaluate or profile again and draft a new contract."
        )
        env = c.get("environment") or {}
        packages = env.get("packages") or {}
        self.environment.set_rows(
            [
                ("Python", env.get("python")),
                ("OS", env.get("os")),
                ("CPU", env.get("cpu")),
                ("Machine", env.get("machine")),
                ("Baton", env.get("baton_version")),
                (
                    "Packages",
                    ", ".join(f"{k} {v}" for k, v in sorted(packages.items()) if v) or None,
                ),
            ]
        )

    # -- editing

    def _push(self, after: dict[str, Any], text: str, merge_key: tuple | None = None) -> None:
        if after == self.contract:
            self._revalidate()
            return
        command = ContractEdit(self, copy.deepcopy(self.contract), after, text, merge_key)
        self._pushing = True
        try:
            self.undo_stack.push(command)
        finally:
            self._pushing = False

    def _identity_edited(self, field: str, value: str) -> None:
        if self._syncing or not self.contract:
            return
        from baton.core.contract.document import set_field
        from baton.core.errors import ContractError

        self._pending.pop(field, None)
        try:
            after = set_field(self.contract, f"identity.{field}", value)
        except ContractError as exc:
            self._pending[field] = (value, str(exc))
            self._revalidate()
            return
        label = field.replace("_", " ")
        self._push(after, f"Edit the {label}", ("identity", field, self._focus_token))

    def _target_edited(self, i: int, field: str, value: Any) -> None:
        if not self.contract or i >= len(self.contract["targets"]):
            return
        from baton.core.contract.document import set_field
        from baton.core.contract.targets import BATCHED_METRICS, DEFAULT_BATCH
        from baton.core.errors import ContractError

        pending = self._pending_rows.setdefault(i, {})
        pending[field] = value
        entry = {**self.contract["targets"][i], **pending}
        if field == "metric":
            # The batch follows the metric: latency and throughput read one batch size.
            if value in BATCHED_METRICS:
                entry["batch"] = entry.get("batch") or DEFAULT_BATCH
            else:
                entry["batch"] = None
            pending["batch"] = entry["batch"]
        try:
            after = set_field(self.contract, f"targets.{i}", entry)
        except ContractError as exc:
            self._row_errors[i] = str(exc)
            self._sync_targets()
            return
        self._pending_rows.pop(i, None)
        self._row_errors.pop(i, None)
        metric = after["targets"][i]["metric"]
        self._push(
            after,
            f"Edit the {field} of the {metric} target",
            ("targets", i, field, self._focus_token),
        )
        if after == self.contract:  # no change after all: show the row as it is
            self._sync_targets()

    def _remove_target(self, i: int) -> None:
        from baton.core.contract.document import remove_target
        from baton.core.contract.targets import Target

        if i >= len(self.contract["targets"]):
            return
        expr = Target.from_dict(self.contract["targets"][i]).expr()
        self._pending_rows.clear()  # rows move up: what was typed in them no longer fits
        self._row_errors.clear()
        self._push(remove_target(self.contract, i), f"Remove the target {expr}")

    def add_target_from_text(self) -> bool:
        """Add the target typed in the "New target" field (core parses and judges it)."""
        from baton.core.contract.document import add_target
        from baton.core.contract.targets import parse_target
        from baton.core.errors import ContractError

        text = self.add_edit.text().strip()
        if not text:
            self._show_add_problem("Type a target first, such as accuracy>=0.95.")
            return False
        try:
            target = parse_target(text)
            after = add_target(self.contract, target)
        except ContractError as exc:
            self._show_add_problem(str(exc))
            return False
        self._show_add_problem("")
        self.add_edit.clear()
        self._push(after, f"Add the target {target.expr()}")
        return True

    def _show_add_problem(self, message: str) -> None:
        self.add_message.show_message(message, "error")
        mark_invalid(self.add_edit, "error" if message else None)

    # -- validation

    def _issues(self) -> list:
        """Core's sentences for the contract with the refused values in place.

        Each refused value is judged on its own (the identity fields together, each target
        row apart), so a schema problem in one field does not hide what core would say
        about another.
        """
        from baton.core.contract.document import validate_contract

        def judged(candidate: dict[str, Any], keep: Callable[[str], bool]) -> list:
            return [
                i
                for i in validate_contract(candidate, complete=True)
                if i.path not in FILLED_WHEN_PACKED and keep(i.path)
            ]

        def row_of(path: str) -> int | None:
            match = _TARGET_PATH.match(path)
            return int(match[1]) if match else None

        refused_rows = set(self._pending_rows)
        issues = judged(
            self.contract,
            lambda p: (
                not (p.startswith("identity.") and p[9:] in self._pending)
                and row_of(p) not in refused_rows
            ),
        )
        if self._pending:
            candidate = copy.deepcopy(self.contract)
            for field, (value, _why) in self._pending.items():
                candidate["identity"][field] = value
            issues += judged(
                candidate, lambda p: p.startswith("identity.") and p[9:] in self._pending
            )
        for i, fields in self._pending_rows.items():
            if i < len(self.contract["targets"]):
                candidate = copy.deepcopy(self.contract)
                candidate["targets"][i].update(fields)
                issues += judged(candidate, lambda p, i=i: row_of(p) == i)
        return issues

    def _revalidate(self) -> None:
        if not self.contract:
            return
        identity: dict[str, list[str]] = {}
        rows: dict[int, tuple[set[str], list[str]]] = {}
        other: list[str] = []
        for issue in self._issues():
            if issue.path.startswith("identity.") and issue.path[9:] in IDENTITY_FIELDS:
                identity.setdefault(issue.path[9:], []).append(issue.message)
                continue
            match = _TARGET_PATH.match(issue.path)
            if match:
                fields, messages = rows.setdefault(int(match[1]), (set(), []))
                if match[2] in TargetsTable.FIELD_COLUMN:
                    fields.add(match[2])
                messages.append(issue.message)
                continue
            other.append(issue.message)
        problems: list[tuple[str, str, str]] = []
        for field in IDENTITY_FIELDS:
            messages = identity.get(field, [])
            if field in self._pending and not messages:
                messages = [self._pending[field][1]]
            # A problem with a value the contract holds (an empty intended use) is a
            # warning: it is allowed in a draft, and only stops the export.
            kind = "error" if field in self._pending else "warning"
            self.field_messages[field].show_message("\n".join(messages), kind)
            mark_invalid(self.field_widgets[field], kind if messages else None)
            problems += [(f"identity.{field}", m, kind) for m in messages]
        for i in range(self.targets.count()):
            fields, messages = rows.get(i, (set(), []))
            pending = set(self._pending_rows.get(i, {}))
            if pending and not messages and i in self._row_errors:
                messages = [self._row_errors[i]]
            if messages and not fields:
                fields = pending or {"metric"}
            self.targets.set_problem(
                i, fields | (pending if messages else set()), "\n".join(messages)
            )
            problems += [(f"targets[{i}]", m, "error") for m in messages]
        problems += [("", m, "error") for m in other]
        self.problems = problems
        errors = {p[0] for p in problems if p[2] == "error"}
        if errors:
            noun = "field needs" if len(errors) == 1 else "fields need"
            self.summary.show_message(
                f"{len(errors)} {noun} fixing before this contract can be saved; the marked "
                "values are not part of it yet. Undo brings back the last accepted contract.",
                "error",
            )
        elif problems:
            self.summary.show_message(
                "The draft is valid. Before export: " + " ".join(m for _p, m, _k in problems) + ".",
                "warning",
            )
        else:
            targets = self.contract["targets"]
            failing = [t for t in targets if t.get("verdict") == "fail"]
            unmeasured = [t for t in targets if t.get("verdict") == "unmeasured"]
            caveats = []
            if failing:
                caveats.append(
                    f"{len(failing)} target{'s' if len(failing) != 1 else ''} "
                    f"{'fail' if len(failing) != 1 else 'fails'} as measured"
                )
            if unmeasured:
                caveats.append(
                    f"{len(unmeasured)} {'is' if len(unmeasured) == 1 else 'are'} not measured"
                )
            # Never a green banner over a failing or unmeasured target.
            self.summary.show_message(
                "The contract is valid and complete"
                + (f", but {' and '.join(caveats)}; the bundle will say so." if caveats else "."),
                "warning" if caveats else "ok",
            )
        self.problems_changed.emit(len(errors))

    def error_count(self) -> int:
        """How many fields (an identity field, a target row, elsewhere) have an error."""
        return len({p[0] for p in self.problems if p[2] == "error"})

    def message_for(self, field: str) -> str:
        """The sentence shown beside an identity field ("name", "intended_use", …)."""
        return self.field_messages[field].text()

    def retheme(self) -> None:
        self._sync_targets()


def _mb(value: Any) -> str | None:
    if value is None:
        return None
    from baton.core.present import fmt_mb

    return fmt_mb(value)


# --- dialogs ----------------------------------------------------------------------------------


NONE = "(none)"


class NewDraftDialog(QDialog):
    """Model, name, version and catalog datasets of a new draft (``drafts.new_draft``).

    ``issues(name, version)`` is core's ``new_draft_issues`` on the caller's catalog; its
    sentences are shown beside the name and the version, and Draft waits until there are
    none. With more than one model (File › New handover) the model is chosen here too.
    """

    def __init__(
        self,
        model: Mapping[str, Any],
        datasets: Sequence[Mapping[str, Any]],
        *,
        default_test: str | None,
        issues: Callable[[str, str], list],
        next_version: Callable[[str], str],
        models: Sequence[Mapping[str, Any]] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.models = {m["name"]: dict(m) for m in models} or {model["name"]: dict(model)}
        self.models.setdefault(model["name"], dict(model))
        self.datasets = [dict(d) for d in datasets]
        self.initial = model["name"]
        self.default_test = default_test
        self._issues, self._next_version = issues, next_version
        self.setObjectName("NewDraftDialog")
        self.setWindowTitle("Draft a contract")
        self.setMinimumWidth(580)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        self.heading = title_label("", "SectionTitle")
        layout.addWidget(self.heading)
        layout.addWidget(
            muted_label(
                "The contract is filled from the model's latest evaluation and profile on the "
                "test set; what is missing is measured now. You write the intended use, the "
                "limitations and the targets next."
            )
        )
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.model_choice = QComboBox()
        for name in self.models:
            self.model_choice.addItem(theme.icon("model"), name, name)
        self.model_choice.setCurrentIndex(self.model_choice.findData(model["name"]))
        self.model_choice.currentIndexChanged.connect(lambda _i: self._model_changed())
        self.name = QLineEdit()
        self.version = QLineEdit()
        self.version.setMaximumWidth(160)
        self._name_touched = self._version_touched = False
        self.name.textEdited.connect(lambda _t: setattr(self, "_name_touched", True))
        self.version.textEdited.connect(lambda _t: setattr(self, "_version_touched", True))
        self.name_message, self.version_message = FieldMessage(), FieldMessage()
        self.test, self.train, self.validation = QComboBox(), QComboBox(), QComboBox()
        self.test.setToolTip("The labelled data every metric of the contract is measured on")
        self.train.setToolTip(
            "Listed in the contract by fingerprint; at export you choose whether its rows travel"
        )
        self.validation.setToolTip(self.train.toolTip())
        self.intended_use = QPlainTextEdit()
        self.intended_use.setPlaceholderText("Optional now, required before export")
        self.intended_use.setFixedHeight(70)
        self.intended_use.setTabChangesFocus(True)

        def with_message(widget: QWidget, message: FieldMessage) -> QWidget:
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(3)
            column.addWidget(widget)
            column.addWidget(message)
            return box

        if len(self.models) > 1:
            form.addRow("&Model", self.model_choice)
        else:
            self.model_choice.hide()
        form.addRow("&Name", with_message(self.name, self.name_message))
        form.addRow("&Version", with_message(self.version, self.version_message))
        form.addRow("&Test set", self.test)
        form.addRow("T&rain set", self.train)
        form.addRow("Va&lidation set", self.validation)
        form.addRow("Intended &use", self.intended_use)
        layout.addLayout(form)
        self.no_test = muted_label(
            "Import a test set with its target column first: the contract's metrics are "
            "measured on it."
        )
        layout.addWidget(self.no_test)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.draft_button = self.buttons.addButton("Draft", QDialogButtonBox.ButtonRole.AcceptRole)
        self.draft_button.setObjectName("Primary")
        self.draft_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.name.textChanged.connect(self._name_changed)
        self.version.textChanged.connect(self._validate)
        self._model_changed()

    def model(self) -> dict[str, Any]:
        return self.models[self.model_choice.currentData()]

    def _model_changed(self) -> None:
        model = self.model()
        self.heading.setText(f"Draft a contract for {model['name']}")
        needed = {f["name"] for f in model.get("features") or [] if f.get("name")}

        def fits(d: Mapping[str, Any]) -> bool:
            return needed <= {c["name"] for c in d.get("columns") or []}

        def label(d: Mapping[str, Any], rows: bool = True) -> str:
            text = d["name"] + (f" · {d['role']}" if d.get("role") else "")
            if rows and isinstance(d.get("rows"), int):
                text += f" · {d['rows']:,} rows"
            return text + ("" if fits(d) else " (columns differ)")

        self.test.clear()
        for d in sorted(self.datasets, key=lambda d: not fits(d)):
            if d.get("target"):
                self.test.addItem(theme.icon("dataset"), label(d), d["name"])
        test = (self.default_test if model["name"] == self.initial else None) or next(
            (
                d["name"]
                for d in self.datasets
                if d.get("role") == "test" and d.get("target") and fits(d)
            ),
            None,
        )
        if test and self.test.findData(test) >= 0:
            self.test.setCurrentIndex(self.test.findData(test))
        for combo, role in ((self.train, "train"), (self.validation, "validation")):
            combo.clear()
            combo.addItem(NONE, None)
            for d in sorted(self.datasets, key=lambda d: not fits(d)):
                combo.addItem(theme.icon("dataset"), label(d), d["name"])
            guess = next(
                (d["name"] for d in self.datasets if d.get("role") == role and fits(d)), None
            )
            if guess:
                combo.setCurrentIndex(combo.findData(guess))
        self.no_test.setVisible(self.test.count() == 0)
        if not self._name_touched:
            self.name.setText(model["name"])
        self._name_changed(self.name.text())

    def _name_changed(self, name: str) -> None:
        if not self._version_touched:
            self.version.setText(self._next_version(name.strip()))
        self._validate()

    def problems(self) -> list:
        return self._issues(self.name.text().strip(), self.version.text().strip())

    def _validate(self, *_: object) -> None:
        issues = self.problems()
        by_field: dict[str, list[str]] = {"identity.name": [], "identity.version": []}
        for issue in issues:
            by_field.setdefault(issue.path, []).append(issue.message)
        for field, edit, message in (
            ("identity.name", self.name, self.name_message),
            ("identity.version", self.version, self.version_message),
        ):
            text = "\n".join(by_field[field])
            message.show_message(text, "error")
            mark_invalid(edit, "error" if text else None)
        self.draft_button.setEnabled(not issues and self.test.count() > 0)

    def accept(self) -> None:
        if self.problems() or self.test.count() == 0:
            self._validate()
            return
        super().accept()

    def values(self) -> dict[str, Any]:
        return {
            "model": self.model_choice.currentData(),
            "name": self.name.text().strip(),
            "version": self.version.text().strip(),
            "test": self.test.currentData(),
            "train": self.train.currentData(),
            "validation": self.validation.currentData(),
            "intended_use": self.intended_use.toPlainText().strip(),
        }


class CompareVersionsDialog(QDialog):
    """``diff_contracts(previous, current)`` as a table, better in green and worse in red."""

    HEADERS = ("Field", "Previous", "This version", "Change", "")

    def __init__(
        self, previous: Mapping[str, Any], current: Mapping[str, Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        from baton.core.contract.document import diff_contracts
        from baton.gui.common.verdicts import change_kind, direction_text, fmt_delta, fmt_value

        old_id, new_id = previous["identity"], current["identity"]
        self.setWindowTitle("Compare with the previous version")
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(
            title_label(
                f"{old_id['name']} {old_id['version']} → {new_id['name']} {new_id['version']}",
                "SectionTitle",
            )
        )
        self.changes = diff_contracts(previous, current)
        better = sum(1 for c in self.changes if c.better is True)
        worse = sum(1 for c in self.changes if c.better is False)
        self.summary = muted_label(
            f"{len(self.changes)} change(s) from the stored draft of version {old_id['version']}"
            + (f": {better} better, {worse} worse" if better or worse else "")
            + ". Green is better, red is worse, by each figure's direction."
            if self.changes
            else f"Nothing changed since the stored draft of version {old_id['version']}."
        )
        layout.addWidget(self.summary)
        self.table = ReadOnlyTable(self.HEADERS, numeric=(3,), fit_to_rows=False)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)

        def shown(value: Any) -> str:
            # A whole target added or removed reads as its expression.
            if isinstance(value, Mapping) and "metric" in value and "op" in value:
                from baton.gui.common.verdicts import target_expr

                return target_expr(value)
            return fmt_value(value)

        rows, kinds, tips = [], [], []
        for change in self.changes:
            as_dict = {"better": change.better}
            rows.append(
                (
                    change.path,
                    "" if change.kind == "added" else shown(change.old),
                    "" if change.kind == "removed" else shown(change.new),
                    fmt_delta(change.delta) if change.kind == "changed" else change.kind,
                    direction_text(as_dict),
                )
            )
            kinds.append(change_kind(as_dict))
            tips.append(str(change))
        self.table.set_rows(rows, kinds=kinds, status_column=4, tooltips=tips)
        layout.addWidget(self.table, 1)
        self.table.setVisible(bool(rows))
        if not rows:
            layout.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        height = self.table.horizontalHeader().sizeHint().height() + sum(
            self.table.rowHeight(r) for r in range(self.table.rowCount())
        )
        self.resize(900, min(640, max(260, height + 150)))

    def rows(self) -> list[list[str]]:
        return self.table.cell_texts()


# --- the page ---------------------------------------------------------------------------------


class ContractPage(QWidget):
    """The model page's Contract tab; see the module docstring.

    ``ctx`` is the main window (catalog for reading, runner, undo stack, messages). The
    model page calls :meth:`set_model` whenever the model or its chosen dataset changes.
    Signals: ``draft_opened(bool)`` (a draft is open in the editor or not), ``saved(dict)``.
    """

    draft_opened = Signal(bool)
    saved = Signal(dict)
    drafted = Signal(dict)
    failed = Signal(str)

    def __init__(self, ctx=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model: dict[str, Any] | None = None
        self.dataset: Mapping[str, Any] | None = None
        self.budget_s: Callable[[], float] = lambda: 1.0
        self.stored: tuple[str, str] | None = None  # name and version as last stored
        self.dialog: QDialog | None = None
        self._draft_worker = None
        self.undo_stack: QUndoStack = ctx.undo_stack if ctx is not None else QUndoStack(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack)

        self.empty = EmptyState(NO_MODEL, "contract")
        self.stack.addWidget(self.empty)

        start = QWidget()
        column = QVBoxLayout(start)
        column.addStretch(1)
        self.start_text = EmptyState("", "contract")
        column.addWidget(self.start_text)
        self.start_button = QPushButton(
            theme.icon("new-handover", theme.current_colors()["accent_text"]), "Draft contract…"
        )
        self.start_button.setObjectName("Primary")
        self.start_button.clicked.connect(lambda: self.open_new_draft_dialog())
        self.start_status = muted_label()
        self.start_status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.start_button)
        row.addStretch(1)
        column.addLayout(row)
        column.addWidget(self.start_status)
        column.addStretch(2)
        self.start = start
        self.stack.addWidget(start)

        editing = QWidget()
        column = QVBoxLayout(editing)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self._toolbar())
        self.editor = ContractEditor(self.undo_stack)
        self.editor.changed.connect(self._update_state)
        self.editor.problems_changed.connect(lambda _n: self._update_state())
        self.editor.measure_requested.connect(self.measure_targets)
        self._measure_worker = None
        column.addWidget(scroll_page(self.editor), 1)
        self.editing = editing
        self.stack.addWidget(editing)
        self.undo_stack.cleanChanged.connect(self._clean_changed)

    def _toolbar(self) -> QWidget:
        bar = QFrame()
        bar.setObjectName("MeasureBar")
        flow = FlowLayout(bar, spacing=6)
        flow.setContentsMargins(10, 6, 10, 6)
        self.heading = title_label("", "SectionTitle")
        self.heading.setWordWrap(False)
        self.state_label = QLabel()
        self.state_label.setObjectName("Chip")
        self.drafts = QComboBox()
        self.drafts.setToolTip("Stored drafts of this model")
        self.drafts.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.drafts.activated.connect(self._draft_chosen)
        self.new_button = QPushButton(theme.icon("new-handover"), "New draft…")
        self.new_button.setToolTip("Draft another contract for this model")
        self.new_button.clicked.connect(lambda: self.open_new_draft_dialog())
        self.save_button = QPushButton("Save")
        self.save_button.setShortcut(QKeySequence.StandardKey.Save)
        self.save_button.setToolTip("Store this draft in the catalog (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        self.compare_button = QPushButton("Compare with previous version")
        self.compare_button.clicked.connect(self.open_compare_dialog)
        self.export_button = QPushButton(
            theme.icon("export", theme.current_colors()["accent_text"]), "Export bundle…"
        )
        self.export_button.setObjectName("Primary")
        self.export_button.setToolTip("Sign this contract with your key and write the bundle")
        self.export_button.clicked.connect(self._export)
        self.heading.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.state_label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        flow.addWidget(group(self.heading, self.state_label, spacing=8))
        flow.addWidget(group(QLabel("Draft"), self.drafts, self.new_button))
        flow.addWidget(group(self.save_button, self.compare_button, self.export_button))
        return bar

    # -- the model

    @property
    def contract(self) -> dict[str, Any] | None:
        return self.editor.contract if self.stored is not None else None

    def has_draft(self) -> bool:
        return self.stored is not None

    def set_model(
        self, model: Mapping[str, Any] | None, dataset: Mapping[str, Any] | None = None
    ) -> None:
        self.dataset = dataset
        if model is None:
            self._leave_draft()
            self.model = None
            self.stack.setCurrentWidget(self.empty)
            self.draft_opened.emit(False)
            return
        if self.model is not None and self.model.get("id") == model.get("id"):
            self.model = dict(model)
            return
        self._leave_draft()
        self.model = dict(model)
        drafts = self._list_drafts()
        if drafts:
            self.open_draft(drafts[0]["name"], drafts[0]["version"])
        else:
            self._show_start()

    def _catalog(self):
        return self.ctx.catalog if self.ctx is not None else None

    def _list_drafts(self) -> list[dict[str, Any]]:
        from baton.core.contract import drafts

        catalog = self._catalog()
        if catalog is None or self.model is None:
            return []
        return drafts.list_drafts(catalog, self.model["id"])

    def _show_start(self) -> None:
        self.stored = None
        self.start_text.setText(NO_DRAFT.format(model=self.model["name"]))
        self.start_status.setText("")
        self.start_button.setEnabled(self._draft_worker is None)
        self.stack.setCurrentWidget(self.start)
        self.draft_opened.emit(False)

    def _leave_draft(self) -> None:
        """Store unsaved edits of the open draft before another one replaces it."""
        if self.stored is not None and not self.undo_stack.isClean() and self.editor.contract:
            self._submit_save(self.editor.contract, quiet=True)
        self.undo_stack.clear()
        self.stored = None

    def open_draft(self, name: str, version: str) -> bool:
        """Load a stored draft into the editor (the undo history starts afresh)."""
        from baton.core.contract import drafts
        from baton.core.errors import BatonError

        catalog = self._catalog()
        if catalog is None:
            return False
        if self.stored is not None and self.stored != (name, version):
            self._leave_draft()
        try:
            contract = drafts.load(catalog, f"{name}@{version}")
        except BatonError as exc:
            self._message(str(exc), "error")
            return False
        self.undo_stack.clear()
        self.stored = (name, version)
        self.editor.set_contract(contract)
        self._fill_drafts()
        self.stack.setCurrentWidget(self.editing)
        self.undo_stack.setClean()
        self._update_state()
        self.draft_opened.emit(True)
        return True

    def _fill_drafts(self) -> None:
        self.drafts.blockSignals(True)
        self.drafts.clear()
        for d in self._list_drafts():
            self.drafts.addItem(f"{d['name']} {d['version']}", (d["name"], d["version"]))
            self.drafts.setItemData(
                self.drafts.count() - 1,
                f"Last saved {fmt_when(d.get('updated_at'))}",
                Qt.ItemDataRole.ToolTipRole,
            )
        index = self.drafts.findData(self.stored)
        if index >= 0:
            self.drafts.setCurrentIndex(index)
        self.drafts.blockSignals(False)

    def _draft_chosen(self, index: int) -> None:
        key = self.drafts.itemData(index)
        if key and tuple(key) != self.stored:
            self.open_draft(*key)

    def _clean_changed(self, _clean: bool) -> None:
        from shiboken6 import isValid

        if isValid(self.heading):  # the stack outlives this page when the window closes
            self._update_state()

    def shutdown(self) -> None:
        """Store unsaved edits and let go of the undo history (the window is closing)."""
        self._leave_draft()

    def _update_state(self) -> None:
        if self.stored is None or not self.editor.contract:
            return
        ident = self.editor.contract["identity"]
        self.heading.setText(f"{ident['name']} {ident['version']}")
        errors = self.editor.error_count()
        if errors:
            self.state_label.setText(f"{errors} problem{'s' if errors != 1 else ''}")
        elif not self.undo_stack.isClean():
            self.state_label.setText("Unsaved changes")
        else:
            self.state_label.setText("Saved")
        self.save_button.setEnabled(not errors)
        self.save_button.setToolTip(
            "Fix the marked fields first" if errors else "Store this draft in the catalog (Ctrl+S)"
        )
        self.export_button.setEnabled(not errors)
        previous = self._previous()
        self.compare_button.setEnabled(previous is not None)
        self.compare_button.setToolTip(
            f"What changed since the stored draft of version {previous['identity']['version']}"
            if previous
            else f"No stored draft of {ident['name']} has a lower version than {ident['version']}"
        )

    def _previous(self) -> dict[str, Any] | None:
        from baton.core.contract import drafts
        from baton.core.errors import BatonError

        catalog = self._catalog()
        if catalog is None or not self.editor.contract:
            return None
        ident = self.editor.contract["identity"]
        try:
            return drafts.previous_draft(catalog, ident["name"], ident["version"])
        except BatonError:
            return None

    # -- actions

    def open_new_draft_dialog(
        self, models: Sequence[Mapping[str, Any]] = ()
    ) -> NewDraftDialog | None:
        """Ask for a new draft's model (when ``models`` offers a choice), name, version and data."""
        from baton.core.contract import drafts

        catalog = self._catalog()
        if catalog is None or self.model is None:
            return None
        datasets = catalog.list_datasets(limit=500)
        dialog = NewDraftDialog(
            self.model,
            datasets,
            default_test=(self.dataset or {}).get("name"),
            issues=lambda n, v: drafts.new_draft_issues(catalog, n, v),
            next_version=lambda n: drafts.next_version(catalog, n),
            models=models,
            parent=self,
        )
        dialog.accepted.connect(lambda d=dialog: self.start_draft(**d.values()))
        self.dialog = dialog
        dialog.open()
        return dialog

    def start_draft(self, *, model: str | None = None, **values: Any) -> None:
        """Run ``drafts.new_draft`` on the worker; the editor opens the draft when it lands."""
        if self.ctx is None or (self.model is None and model is None):
            return
        from baton.gui.common.review_worker import submit

        model = model or self.model["name"]
        if self.model is None or self.model["name"] != model:
            # Drafting for another model (File › New handover): show that model first.
            self.ctx.select_item("models", model)
        self._leave_draft()
        self.draft_opened.emit(False)
        self.start_text.setText(f"Drafting a contract for {model}.")
        self.start_button.setEnabled(False)
        self.start_status.setText(
            f"Drafting {values['name']} {values['version']}: reading the latest measurements "
            "(measuring what is missing)…"
        )
        if self.model is not None and self.model["name"] == model:
            self.stack.setCurrentWidget(self.start)
        self._draft_worker = submit(
            self.ctx.runner,
            self,
            f"Drafting the contract {values['name']} {values['version']}",
            jobs.new_draft_job(model, budget_s=float(self.budget_s()), **values),
            on_success=lambda c, m=model: self._drafted(m, c),
            on_failure=self._draft_failed,
            on_cancel=lambda _m: self._draft_failed("Drafting was cancelled."),
        )

    def _drafted(self, model: str, contract: dict[str, Any]) -> None:
        self._draft_worker = None
        self.start_button.setEnabled(True)
        ident = contract["identity"]
        self.ctx.show_status(f"Drafted the contract {ident['name']} {ident['version']}.")
        if self.model is not None and self.model["name"] == model:
            self.open_draft(ident["name"], ident["version"])
        self.drafted.emit(contract)

    def _draft_failed(self, message: str) -> None:
        self._draft_worker = None
        self.start_button.setEnabled(True)
        self.start_status.setText("")
        self._message(f"The contract could not be drafted: {message}", "error")
        self.failed.emit(message)

    def measure_targets(self) -> None:
        """Profile again at the batch sizes the draft's targets name, on the worker."""
        from baton.gui.common.review_worker import submit

        if self.ctx is None or self.model is None or self._measure_worker is not None:
            return
        contract = copy.deepcopy(self.editor.contract)
        self.editor.set_measuring(True)

        def done(after: dict[str, Any] | None = None, message: str = "") -> None:
            self._measure_worker = None
            self.editor.set_measuring(False)
            if after is not None and self.editor.apply_measurement(after):
                self.ctx.show_status("Measured latency at the targets' batch sizes.")
            elif message:
                self._message(f"Latency could not be measured: {message}", "error")

        self._measure_worker = submit(
            self.ctx.runner,
            self,
            "Measuring latency at the targets' batch sizes",
            jobs.measure_targets_job(contract, self.model["name"], budget_s=self.budget_s()),
            on_success=lambda after: done(after),
            on_failure=lambda message: done(message=message),
            on_cancel=lambda _m: done(),
        )

    def save(self) -> None:
        """Store the draft as shown (``drafts.save`` on the worker)."""
        if self.stored is None or self.editor.error_count():
            return
        self._submit_save(self.editor.contract)

    def _submit_save(self, contract: dict[str, Any], quiet: bool = False) -> None:
        from baton.gui.common.review_worker import submit

        if self.ctx is None or self.model is None:
            return
        contract = copy.deepcopy(contract)
        ident = contract["identity"]
        index = self.undo_stack.index()
        submit(
            self.ctx.runner,
            self,
            f"Saving the draft {ident['name']} {ident['version']}",
            jobs.save_draft_job(contract, self.model["name"]),
            on_success=lambda c, i=index, q=quiet: self._saved(c, i, q),
            on_failure=lambda m: self._message(f"The draft was not saved: {m}", "error"),
        )

    def _saved(self, contract: dict[str, Any], index: int, quiet: bool) -> None:
        ident = contract["identity"]
        if self.stored is not None and self.editor.contract["identity"]["id"] == ident["id"]:
            self.stored = (ident["name"], ident["version"])
            if self.undo_stack.index() == index:
                self.undo_stack.setClean()
            self._fill_drafts()
            self._update_state()
        if not quiet:
            self.ctx.show_status(f"Saved the draft {ident['name']} {ident['version']}.")
        self.saved.emit(contract)

    def mark_saved(self, contract: Mapping[str, Any]) -> None:
        """The export stored the draft as signed: the page shows that, saved."""
        ident = contract["identity"]
        if self.stored is not None and self.editor.contract["identity"]["id"] == ident["id"]:
            self.stored = (ident["name"], ident["version"])
            self.undo_stack.setClean()
            self.open_draft(ident["name"], ident["version"])

    def open_compare_dialog(self) -> CompareVersionsDialog | None:
        previous = self._previous()
        if previous is None:
            return None
        dialog = CompareVersionsDialog(previous, self.editor.contract, self)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _export(self) -> None:
        if self.ctx is not None:
            self.ctx.export_bundle()

    def _message(self, text: str, kind: str) -> None:
        if self.ctx is not None:
            self.ctx.show_message(text, kind)

    def retheme(self) -> None:
        colors = theme.current_colors()
        self.start_button.setIcon(theme.icon("new-handover", colors["accent_text"]))
        self.export_button.setIcon(theme.icon("export", colors["accent_text"]))
        self.new_button.setIcon(theme.icon("new-handover"))
        if self.stored is not None:
            self.editor.retheme()
