"""The streaming fingerprint of a Parquet file equals the fingerprint of the whole table."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from baton.core.data import datasets as ds


def _table() -> pa.Table:
    rng = np.random.default_rng(3)
    n = 1000
    floats = rng.normal(size=n)
    floats[::7] = np.nan
    floats[::11] = -0.0
    text = [None if i % 5 == 0 else ("" if i % 9 == 0 else f"v{i % 13}é") for i in range(n)]
    return pa.table(
        {
            "f": floats,
            "i": pa.array([None if i % 4 == 0 else i for i in range(n)], pa.int64()),
            "b": pa.array([i % 3 == 0 for i in range(n)]),
            "t": pa.array(text, pa.string()),
            "cat": pa.array(text, pa.string()).dictionary_encode(),
            "when": pa.array(
                [
                    None if i % 6 == 0 else dt.datetime(2024, 1, 1) + dt.timedelta(hours=i)
                    for i in range(n)
                ]  # fmt: skip
            ),
            "nothing": pa.array([None] * n, pa.float64()),
            "blank": pa.array([""] * n, pa.string()),
            "late": pa.array([None] * (n - 1) + [1.5]),
            "__index_level_0__": pa.array(range(n)),
        }
    )


@pytest.mark.parametrize("row_group", [1000, 97])
@pytest.mark.parametrize("batch_rows", [1 << 16, 50])
def test_equals_the_whole_table_fingerprint(tmp_path, row_group, batch_rows):
    table = _table()
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=row_group)
    whole = ds.fingerprint(pq.read_table(path))
    assert ds.fingerprint_parquet(path, batch_rows=batch_rows) == whole


def test_differs_when_one_value_differs(tmp_path):
    table = _table()
    changed = table.set_column(0, "f", pa.array([9.0] + table.column("f").to_pylist()[1:]))
    for name, t in (("a", table), ("b", changed)):
        pq.write_table(t, tmp_path / f"{name}.parquet", row_group_size=100)
    a, b = (ds.fingerprint_parquet(tmp_path / f"{n}.parquet") for n in "ab")
    assert a != b
