"""Table models over datasets too large to hold as Python objects.

:class:`ArrowTableModel` shows rows from a *row source* and never turns more than the
visible cells into Python values:

- :class:`ParquetSource` gives windowed random access: the row count comes from the file
  footer, and a row is read on demand as part of a block of ``BLOCK_ROWS`` rows from
  its row group (record batches from ``ParquetFile.iter_batches``). A small LRU keeps
  the last blocks; reading a block further down the same row group continues the open
  reader instead of starting over, so scrolling down streams the file once.
- :class:`CsvSource` streams: a CSV has no index, so rows arrive in order through
  ``canFetchMore`` / ``fetchMore`` as the view scrolls (Arrow record batches from
  pyarrow's streaming reader, column types pinned from the catalog record so a late
  block cannot change a column's type).
- :class:`ArrowSource` wraps an in-memory ``pyarrow.Table`` (small tables and tests).

Cells are formatted on demand, a column slice of ``CHUNK_ROWS`` rows at a time, into an
LRU of strings; ``data()`` does no other work.
"""

from __future__ import annotations

import bisect
import math
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from baton.core.present import fmt_count, fmt_percent, fmt_ratio
from baton.gui.common import theme

BLOCK_ROWS = 4096
BLOCK_CACHE = 24  # blocks kept: at most ~100 k rows of Arrow data
CHUNK_ROWS = 256
CELL_CHUNK_CACHE = 600  # formatted column slices kept: ~150 k strings
MAX_CELL_CHARS = 200

Index = QModelIndex | QPersistentModelIndex


class RowSource(ABC):
    """Rows of a table, addressed by position; subclasses decide how they are read."""

    names: list[str]
    types: list[Any]  # pyarrow DataTypes
    total_rows: int  # rows in the whole dataset (may exceed available() while streaming)

    @abstractmethod
    def available(self) -> int:
        """Rows that can be addressed now."""

    def can_load_more(self) -> bool:
        return False

    def load_more(self, rows: int) -> int:
        """Make up to ``rows`` more rows available; returns how many were added."""
        return 0

    @abstractmethod
    def column_slice(self, col: int, start: int, length: int) -> list[Any]:
        """Python values of ``col`` for rows ``start .. start+length`` (clipped)."""

    @abstractmethod
    def held_rows(self) -> int:
        """Rows currently held in memory as Arrow data (for tests and the status line)."""


class ArrowSource(RowSource):
    def __init__(self, table) -> None:
        self.table = table
        self.names = list(table.column_names)
        self.types = [f.type for f in table.schema]
        self.total_rows = table.num_rows

    def available(self) -> int:
        return self.total_rows

    def column_slice(self, col: int, start: int, length: int) -> list[Any]:
        return self.table.column(col).slice(start, length).to_pylist()

    def held_rows(self) -> int:
        return self.total_rows


class ParquetSource(RowSource):
    """Windowed random access to a Parquet file by row-group blocks."""

    def __init__(self, path: str | Path, block_rows: int = BLOCK_ROWS) -> None:
        import pyarrow.parquet as pq

        self.path = Path(path)
        self.file = pq.ParquetFile(self.path)
        schema = self.file.schema_arrow
        keep = [i for i, n in enumerate(schema.names) if not n.startswith("__index_level_")]
        self.names = [schema.names[i] for i in keep]
        self.types = [schema.field(i).type for i in keep]
        meta = self.file.metadata
        self.total_rows = meta.num_rows
        self._group_start: list[int] = []
        start = 0
        for g in range(meta.num_row_groups):
            self._group_start.append(start)
            start += meta.row_group(g).num_rows
        self.block_rows = block_rows
        self._blocks: OrderedDict[int, Any] = OrderedDict()  # absolute start row -> batch
        self._reader: tuple[int, int, Any] | None = None  # (group, next start row, iterator)
        self.blocks_read = 0

    def available(self) -> int:
        return self.total_rows

    def held_rows(self) -> int:
        return sum(b.num_rows for b in self._blocks.values())

    def _block_for(self, row: int):
        for start, batch in reversed(self._blocks.items()):
            if start <= row < start + batch.num_rows:
                self._blocks.move_to_end(start)
                return start, batch
        group = bisect.bisect_right(self._group_start, row) - 1
        g_start = self._group_start[group]
        reader = self._reader
        if reader is None or reader[0] != group or reader[1] > row:
            iterator = self.file.iter_batches(
                batch_size=self.block_rows,
                row_groups=[group],
                columns=self.names,
                use_threads=False,
            )
            reader = (group, g_start, iterator)
        group_id, position, iterator = reader
        while True:
            batch = next(iterator)
            self.blocks_read += 1
            start = position
            position += batch.num_rows
            if position > row:
                break
        self._reader = (group_id, position, iterator)
        self._blocks[start] = batch
        while len(self._blocks) > BLOCK_CACHE:
            self._blocks.popitem(last=False)
        return start, batch

    def column_slice(self, col: int, start: int, length: int) -> list[Any]:
        out: list[Any] = []
        row, end = start, min(start + length, self.total_rows)
        while row < end:
            b_start, batch = self._block_for(row)
            take = min(end, b_start + batch.num_rows) - row
            out.extend(batch.column(col).slice(row - b_start, take).to_pylist())
            row += take
        return out


class CsvSource(RowSource):
    """Streams a CSV file into Arrow record batches as rows are asked for."""

    def __init__(
        self,
        path: str | Path,
        total_rows: int | None = None,
        column_types: dict[str, str] | None = None,
        block_size: int = 1 << 20,
    ) -> None:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        types = {}
        for name, alias in (column_types or {}).items():
            try:
                types[name] = pa.type_for_alias(alias)
            except (ValueError, KeyError, TypeError):
                continue  # let the reader infer anything we cannot name
        self.path = Path(path)
        self._reader = pacsv.open_csv(
            self.path,
            read_options=pacsv.ReadOptions(block_size=block_size, use_threads=True),
            convert_options=pacsv.ConvertOptions(column_types=types),
        )
        schema = self._reader.schema
        self.names = list(schema.names)
        self.types = [f.type for f in schema]
        self._batches: list[Any] = []
        self._starts: list[int] = []
        self._loaded = 0
        self._exhausted = False
        self.total_rows = total_rows if total_rows is not None else -1

    def available(self) -> int:
        return self._loaded

    def held_rows(self) -> int:
        return self._loaded

    def can_load_more(self) -> bool:
        return not self._exhausted

    def load_more(self, rows: int) -> int:
        added = 0
        while added < rows and not self._exhausted:
            try:
                batch = self._reader.read_next_batch()
            except StopIteration:
                self._exhausted = True
                break
            if batch.num_rows == 0:
                continue
            self._starts.append(self._loaded)
            self._batches.append(batch)
            self._loaded += batch.num_rows
            added += batch.num_rows
        if self._exhausted and self.total_rows < 0:
            self.total_rows = self._loaded
        return added

    def column_slice(self, col: int, start: int, length: int) -> list[Any]:
        out: list[Any] = []
        row, end = start, min(start + length, self._loaded)
        while row < end:
            i = bisect.bisect_right(self._starts, row) - 1
            b_start, batch = self._starts[i], self._batches[i]
            take = min(end, b_start + batch.num_rows) - row
            out.extend(batch.column(col).slice(row - b_start, take).to_pylist())
            row += take
        return out


def _is_numeric(dtype: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype)


NULL_TEXT = "null"


def format_value(value: Any) -> str | None:
    """Display text of one cell; ``None`` for a missing value (shown muted as "null")."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return f"{value:.6g}" if (value == 0 or 1e-4 <= abs(value) < 1e15) else f"{value:.4e}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return value[: MAX_CELL_CHARS // 2].hex()
    text = str(value)
    return text if len(text) <= MAX_CELL_CHARS else text[: MAX_CELL_CHARS - 1] + "…"


class ArrowTableModel(QAbstractTableModel):
    """A read-only table over a :class:`RowSource`; see the module docstring."""

    FETCH_ROWS = 8192

    def __init__(
        self,
        source: RowSource,
        *,
        target: str | None = None,
        id_column: str | None = None,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.source = source
        self.target = target
        self.id_column = id_column
        self._numeric = [_is_numeric(t) for t in source.types]
        self._cells: OrderedDict[tuple[int, int], list[str | None]] = OrderedDict()
        self._rows = source.available()
        if self._rows == 0 and source.can_load_more():
            source.load_more(self.FETCH_ROWS)
            self._rows = source.available()

    # -- shape

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.source.names)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: N802, B008
        return not parent.isValid() and self.source.can_load_more()

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: N802, B008
        if parent.isValid() or not self.source.can_load_more():
            return
        before = self._rows
        self.source.load_more(self.FETCH_ROWS)
        after = self.source.available()
        if after > before:
            self.beginInsertRows(QModelIndex(), before, after - 1)
            self._rows = after
            self.endInsertRows()

    # -- cells

    def cached_cells(self) -> int:
        """Formatted cells held in the cache (for tests and diagnostics)."""
        return sum(len(v) for v in self._cells.values())

    def held_rows(self) -> int:
        """Rows of the dataset held in memory as Arrow data."""
        return self.source.held_rows()

    def _text(self, row: int, col: int) -> str | None:
        chunk = row // CHUNK_ROWS
        key = (chunk, col)
        texts = self._cells.get(key)
        if texts is None:
            values = self.source.column_slice(col, chunk * CHUNK_ROWS, CHUNK_ROWS)
            texts = [format_value(v) for v in values]
            self._cells[key] = texts
            if len(self._cells) > CELL_CHUNK_CACHE:
                self._cells.popitem(last=False)
        else:
            self._cells.move_to_end(key)
        offset = row - chunk * CHUNK_ROWS
        return texts[offset] if offset < len(texts) else ""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if not (0 <= row < self._rows and 0 <= col < len(self.source.names)):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            text = self._text(row, col)
            return NULL_TEXT if text is None else text
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if self._numeric[col]:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if self._text(row, col) in (None, "NaN"):
                return QBrush(QColor(theme.current_colors()["muted"]))
            return None
        if role == Qt.ItemDataRole.FontRole and self._text(row, col) is None:
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            text = self._text(row, col)
            return text if text is not None and len(text) > 40 else None
        return None

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Vertical:
            if role == Qt.ItemDataRole.DisplayRole and 0 <= section < self._rows:
                return f"{section + 1:,}"
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if not 0 <= section < len(self.source.names):
            return None
        name = self.source.names[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return name
        if role == Qt.ItemDataRole.ToolTipRole:
            extra = (
                " — the target"
                if name == self.target
                else " — the id column"
                if name == self.id_column
                else ""
            )
            return f"{name}: {self.source.types[section]}{extra}"
        if role == Qt.ItemDataRole.FontRole and name in (self.target, self.id_column):
            font = QFont()
            font.setBold(True)
            return font
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class ColumnProfileModel(QAbstractTableModel):
    """The stored per-column profile of a dataset (``record["profile"]``), one row a column.

    The *Distribution* column carries the histogram (or top values) in ``HistogramRole``
    for :class:`~baton.gui.catalog.dataset_view.SparklineDelegate` to draw.
    """

    HEADERS = (
        "Column",
        "Role",
        "Type",
        "Missing",
        "Distinct",
        "Min",
        "Mean",
        "Max",
        "Std",
        "Distribution",
        "Most frequent",
    )
    DISTRIBUTION = HEADERS.index("Distribution")
    HistogramRole = Qt.ItemDataRole.UserRole + 1

    def __init__(
        self,
        profile: Sequence[dict[str, Any]],
        rows: int | None = None,
        target: str | None = None,
        id_column: str | None = None,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.profile = list(profile or [])
        self.rows = rows
        self.target = target
        self.id_column = id_column

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.profile)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self.profile):
            return str(section + 1)
        return None

    def _cell(self, col: dict[str, Any], column: int) -> str:
        header = self.HEADERS[column]
        if header == "Column":
            return str(col.get("name", ""))
        if header == "Role":
            name = col.get("name")
            return "target" if name == self.target else "id" if name == self.id_column else ""
        if header == "Type":
            return f"{col.get('dtype', '')} ({col.get('kind', '')})"
        if header == "Missing":
            missing = col.get("missing")
            if missing is None:
                return "—"
            if self.rows:
                return f"{fmt_count(missing)} ({fmt_percent(missing / self.rows)})"
            return f"{missing:,}"
        if header == "Distinct":
            return fmt_count(col.get("distinct"))
        if header in ("Min", "Mean", "Max", "Std"):
            value = col.get(header.lower())
            return "" if value is None else fmt_ratio(value)
        if header == "Most frequent":
            top = col.get("top") or []
            return ", ".join(f"{t['value']} ({t['count']:,})" for t in top[:3])
        return ""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.profile):
            return None
        if not 0 <= index.column() < len(self.HEADERS):
            return None
        col = self.profile[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(col, index.column())
        if role == self.HistogramRole and index.column() == self.DISTRIBUTION:
            if col.get("histogram"):
                return {"counts": col["histogram"].get("counts", [])}
            if col.get("top"):
                return {"counts": [t["count"] for t in col["top"]], "bars": True}
            return None
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == self.DISTRIBUTION:
            hist = col.get("histogram")
            if hist and hist.get("edges"):
                edges = hist["edges"]
                bins = len(hist.get("counts", []))
                return f"{bins} bins from {fmt_ratio(edges[0])} to {fmt_ratio(edges[-1])}"
            top = col.get("top")
            if top:
                return "\n".join(f"{t['value']}: {t['count']:,}" for t in top)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if self.HEADERS[index.column()] in ("Missing", "Distinct", "Min", "Mean", "Max", "Std"):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if (
            role == Qt.ItemDataRole.FontRole
            and index.column() == 0
            and col.get("name") in (self.target, self.id_column)
        ):
            font = QFont()
            font.setBold(True)
            return font
        return None
