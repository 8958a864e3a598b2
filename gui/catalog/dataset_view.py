"""The page of one dataset: identity (role, target, fingerprint, SHA-256), rows, profile.

The Data tab reads the stored file lazily (see :mod:`baton.gui.catalog.table_models`): the
stored copy is first verified against its SHA-256 on a worker thread, then Parquet files
open with windowed access and CSV files stream as the table scrolls. The Columns tab
renders the per-column profile stored in the catalog record, with a small histogram for
each column.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from baton.core.present import fmt_when
from baton.gui.catalog.table_models import ArrowTableModel, ColumnProfileModel
from baton.gui.common import jobs, theme
from baton.gui.common.widgets import EmptyState, KeyValueGrid, card, muted_label, page_header


class SparklineDelegate(QStyledItemDelegate):
    """Draws the histogram (or top-value bars) carried in ``ColumnProfileModel.HistogramRole``."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().paint(painter, option, index)
        data = index.data(ColumnProfileModel.HistogramRole)
        if not data or not data.get("counts"):
            return
        counts = [max(0, float(c)) for c in data["counts"]]
        top = max(counts) or 1.0
        rect = QRectF(option.rect).adjusted(6, 5, -6, -5)
        n = len(counts)
        gap = 1.0 if rect.width() / n > 3 else 0.0
        width = rect.width() / n
        color = QColor(theme.current_colors()["accent"])
        if data.get("bars"):
            color = QColor(theme.SERIES[1])
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        for i, c in enumerate(counts):
            h = rect.height() * c / top
            if c > 0:
                h = max(h, 1.0)
            painter.drawRect(QRectF(rect.left() + i * width, rect.bottom() - h, width - gap, h))
        painter.restore()

    def sizeHint(self, option, index):  # noqa: N802 - Qt naming
        hint = super().sizeHint(option, index)
        hint.setWidth(max(hint.width(), 150))
        hint.setHeight(max(hint.height(), 30))
        return hint


class DatasetPage(QWidget):
    """One dataset. ``ctx`` is the main window (catalog, runner, messages)."""

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.record: dict[str, Any] | None = None
        self.table_model: ArrowTableModel | None = None
        self._verified: dict[str, Path] = {}  # digest -> path verified in this session
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 10)
        layout.setSpacing(8)

        page_header(self, layout)

        self.identity = KeyValueGrid(columns=2)
        layout.addWidget(card(self.identity))

        self.tabs = QTabWidget()
        # Data tab: the lazy table, or a message while the file is verified.
        self.data_stack = QStackedWidget()
        self.data_message = EmptyState("", "dataset")
        self.table = QTableView()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vheader = self.table.verticalHeader()
        vheader.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vheader.setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft)
        self.data_note = muted_label()
        data_page = QWidget()
        dl = QVBoxLayout(data_page)
        dl.setContentsMargins(6, 6, 6, 6)
        dl.addWidget(self.table, 1)
        dl.addWidget(self.data_note)
        self.data_stack.addWidget(self.data_message)
        self.data_stack.addWidget(data_page)
        self._data_page = data_page
        self.tabs.addTab(self.data_stack, theme.icon("dataset"), "Data")

        self.columns = QTableView()
        self.columns.setAlternatingRowColors(True)
        self.columns.setWordWrap(False)
        self.columns.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.columns.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.columns.verticalHeader().hide()
        self.columns.verticalHeader().setDefaultSectionSize(30)
        self.columns.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft)
        self.columns.horizontalHeader().setStretchLastSection(True)
        self.columns.setItemDelegateForColumn(
            ColumnProfileModel.DISTRIBUTION, SparklineDelegate(self.columns)
        )
        self.tabs.addTab(self.columns, theme.icon("profile"), "Columns")
        layout.addWidget(self.tabs, 1)

    def retheme(self) -> None:
        """Re-tint the icons after a theme change."""
        self.icon.setPixmap(theme.pixmap("dataset", 36, theme.current_colors()["accent"]))
        self.tabs.setTabIcon(0, theme.icon("dataset"))
        self.tabs.setTabIcon(1, theme.icon("profile"))

    def set_record(self, record: Mapping[str, Any]) -> None:
        self.record = dict(record)
        rows = record.get("rows") or 0
        columns = record.get("columns") or []
        self.icon.setPixmap(theme.pixmap("dataset", 36, theme.current_colors()["accent"]))
        self.title.setText(record["name"])
        role = record.get("role")
        bits = [
            f"{role} set" if role else "no role",
            f"{rows:,} rows × {len(columns):,} columns",
            f"target {record['target']!r}" if record.get("target") else "no target column",
            (record.get("format") or "").upper(),
        ]
        self.subtitle.setText(" · ".join(b for b in bits if b))
        self.identity.set_rows(
            [
                ("Role", role or "—"),
                ("Target", record.get("target") or "— (needed to evaluate a model)"),
                ("Id column", record.get("id_column") or "—"),
                ("Rows", f"{rows:,}"),
                ("Columns", f"{len(columns):,}"),
                ("File", f"{record.get('file_name')} ({(record.get('format') or '').upper()})"),
                ("Imported", fmt_when(record.get("created_at"))),
                ("SHA-256", record.get("sha256")),
                ("Fingerprint", record.get("fingerprint")),
            ],
            mono=("SHA-256", "Fingerprint"),
        )
        self.identity.setToolTip(
            "SHA-256: the file's bytes. Fingerprint: the table's content, the same whether "
            "it is saved as CSV or Parquet."
        )
        profile_model = ColumnProfileModel(
            record.get("profile") or [],
            rows,
            record.get("target"),
            record.get("id_column"),
            parent=self.columns,
        )
        self.columns.setModel(profile_model)
        self.columns.resizeColumnsToContents()
        self.columns.setColumnWidth(ColumnProfileModel.DISTRIBUTION, 170)
        self._open_data()

    # -- the Data tab

    def _open_data(self) -> None:
        record = self.record
        if record is None:
            return
        self.table.setModel(None)
        self.table_model = None
        digest = record["sha256"]
        if digest in self._verified:
            self._show_table(record, self._verified[digest])
            return
        self.data_message.setText(f"Verifying the stored copy of {record['file_name']}…")
        self.data_stack.setCurrentWidget(self.data_message)
        self.ctx.runner.submit(
            f"Verifying {record['name']}",
            jobs.verify_object_job(self.ctx.home, digest, record["file_name"]),
            on_success=lambda path, d=digest, r=record: self._verified_ok(r, d, path),
            on_failure=lambda msg, r=record: self._verify_failed(r, msg),
            writes=False,
            needs_catalog=False,
        )

    def _verified_ok(self, record: dict, digest: str, path: Path) -> None:
        self._verified[digest] = Path(path)
        if self.record is not None and self.record.get("id") == record.get("id"):
            self._show_table(record, Path(path))

    def _verify_failed(self, record: dict, message: str) -> None:
        if self.record is not None and self.record.get("id") == record.get("id"):
            self.data_message.setText(f"The rows cannot be shown: {message}")
            self.data_stack.setCurrentWidget(self.data_message)

    def _show_table(self, record: Mapping[str, Any], path: Path) -> None:
        from baton.core.errors import BatonError
        from baton.gui.catalog.table_models import CsvSource, ParquetSource

        try:
            if record.get("format") == "parquet":
                source = ParquetSource(path)
                how = "Parquet: rows are read in blocks as you scroll; the whole file is never loaded."
            else:
                types = {
                    c["name"]: c.get("dtype") for c in record.get("columns") or [] if c.get("dtype")
                }
                source = CsvSource(path, total_rows=record.get("rows"), column_types=types)
                how = "CSV: rows stream in as you scroll down."
            model = ArrowTableModel(
                source,
                target=record.get("target"),
                id_column=record.get("id_column"),
                parent=self.table,
            )
        except (OSError, ValueError, BatonError) as exc:
            self.data_message.setText(f"The rows cannot be shown: {exc}")
            self.data_stack.setCurrentWidget(self.data_message)
            return
        self.table_model = model
        self.table.setModel(model)
        self.data_note.setText(f"{record.get('rows', 0):,} rows. {how}")
        self.data_stack.setCurrentWidget(self._data_page)
        QTimer.singleShot(0, self._size_columns)

    def _size_columns(self) -> None:
        model = self.table_model
        if model is None:
            return
        metrics = self.table.fontMetrics()
        header_font = self.table.horizontalHeader().font()
        header_font.setBold(True)
        from PySide6.QtGui import QFontMetrics

        bold = QFontMetrics(header_font)
        rows = min(model.rowCount(), 40)
        for col in range(model.columnCount()):
            width = (
                bold.horizontalAdvance(str(model.headerData(col, Qt.Orientation.Horizontal))) + 28
            )
            for row in range(rows):
                text = model.data(model.index(row, col))
                width = max(
                    width, metrics.horizontalAdvance(str(text)) + 30
                )  # the stylesheet pads cells 6 px a side
            self.table.setColumnWidth(col, min(width, 320))
