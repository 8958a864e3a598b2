"""The lazy dataset table: correct cells, model contract, and no full materialisation."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

from baton.gui.catalog.table_models import (
    BLOCK_CACHE,
    BLOCK_ROWS,
    ArrowSource,
    ArrowTableModel,
    ColumnProfileModel,
    CsvSource,
    ParquetSource,
)


def _table(n: int) -> pa.Table:
    idx = np.arange(n, dtype=np.int64)
    return pa.table(
        {
            "id": idx,
            "x": idx * 0.5,
            "city": pa.array(np.array(["Lyon", "Porto", "Turku"])[idx % 3]),
            "maybe": pa.array([None if i % 4 == 0 else float(i) for i in range(n)])
            if n <= 100_000
            else pa.array(idx.astype(np.float64)),
        }
    )


def _text(model, row, col):
    return model.data(model.index(row, col), Qt.ItemDataRole.DisplayRole)


def test_in_memory_model_passes_the_model_tester(qtmodeltester):
    model = ArrowTableModel(ArrowSource(_table(300)), target="x")
    qtmodeltester.check(model, force_py=True)
    assert _text(model, 2, 2) == "Turku"
    assert _text(model, 0, 3) == "null"  # a missing value
    assert model.headerData(1, Qt.Orientation.Horizontal) == "x"
    assert model.headerData(1, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == (
        "x: double — the target"
    )
    assert model.headerData(9, Qt.Orientation.Vertical) == "10"


def test_parquet_model_passes_the_model_tester_across_row_groups(tmp_path, qtmodeltester):
    path = tmp_path / "small.parquet"
    pq.write_table(_table(5_000), path, row_group_size=1_500)
    model = ArrowTableModel(ParquetSource(path, block_rows=400))
    qtmodeltester.check(model, force_py=True)
    for row in (0, 399, 400, 1_499, 1_500, 4_999, 2_345):
        assert _text(model, row, 0) == str(row)
        assert _text(model, row, 1) == f"{row * 0.5:.6g}"


def test_csv_model_streams_rows_as_the_view_asks(tmp_path, qtmodeltester):
    path = tmp_path / "rows.csv"
    pacsv.write_csv(_table(60_000), path)
    source = CsvSource(
        path, total_rows=60_000, column_types={"id": "int64", "x": "double"}, block_size=1 << 16
    )
    model = ArrowTableModel(source)
    first = model.rowCount()
    assert 0 < first < 60_000
    assert model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() > first
    assert _text(model, first, 0) == str(first)
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 60_000
    assert _text(model, 59_999, 2) == ["Lyon", "Porto", "Turku"][59_999 % 3]
    small = tmp_path / "small.csv"
    pacsv.write_csv(_table(2_000), small)
    qtmodeltester.check(ArrowTableModel(CsvSource(small, block_size=1 << 12)), force_py=True)


@pytest.fixture(scope="module")
def two_million(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.parquet"
    pq.write_table(_table(2_000_000), path)
    return path


def test_two_million_rows_open_without_loading_them(two_million, qtbot):
    model = ArrowTableModel(ParquetSource(two_million))
    assert model.rowCount() == 2_000_000
    assert model.held_rows() == 0  # opening reads the footer only

    view = QTableView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.setModel(model)
    view.show()
    qtbot.waitExposed(view)
    assert _text(model, 0, 0) == "0"
    assert model.held_rows() <= BLOCK_ROWS

    view.scrollToBottom()
    qtbot.wait(20)
    assert _text(model, 1_999_999, 0) == "1999999"
    assert _text(model, 1_000_123, 2) == ["Lyon", "Porto", "Turku"][1_000_123 % 3]
    for row in range(0, 2_000_000, 97_001):  # jump around like a dragged scrollbar
        assert _text(model, row, 1) == f"{row * 0.5:.6g}"
    assert model.held_rows() <= BLOCK_CACHE * BLOCK_ROWS  # bounded, far below 2 M
    assert model.cached_cells() < 50_000


def test_column_profile_model(measured_home, qtmodeltester):
    from baton.core.catalog.store import Catalog

    with Catalog(measured_home) as cat:
        record = cat.get_dataset("breast_cancer")
    model = ColumnProfileModel(record["profile"], record["rows"], record["target"])
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 31
    target_row = [model.data(model.index(r, 0)) for r in range(31)].index("target")
    assert model.data(model.index(target_row, 1)) == "target"
    hist = model.data(
        model.index(0, ColumnProfileModel.DISTRIBUTION), ColumnProfileModel.HistogramRole
    )
    assert len(hist["counts"]) == 20


def test_dataset_page_shows_identity_profile_and_rows(measured_home, window_on, qtbot):
    window = window_on(measured_home)
    window.select_item("datasets", "breast_cancer")
    page = window.dataset_page
    record = window.catalog.get_dataset("breast_cancer")
    assert page.title.text() == "breast_cancer"
    assert page.subtitle.text() == "test set · 569 rows × 31 columns · target 'target' · CSV"
    assert page.identity.value("SHA-256") == record["sha256"]
    assert page.identity.value("Fingerprint") == record["fingerprint"]
    assert page.identity.value("Role") == "test"
    assert page.columns.model().rowCount() == 31
    qtbot.waitUntil(lambda: page.table_model is not None, timeout=10_000)
    model = page.table.model()
    assert model.headerData(0, Qt.Orientation.Horizontal) == "mean radius"
    assert _text(model, 0, 0) == "17.99"
    assert page.data_note.text() == "569 rows. CSV: rows stream in as you scroll down."
