"""Dataset loading, fingerprints, profiles and every broken-input case of DESIGN.md §6."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baton.core.data import datasets as ds
from baton.core.data.importer import import_dataset
from baton.core.errors import DatasetError


def test_same_table_as_csv_and_parquet_has_one_fingerprint(files):
    a = ds.describe(files.bc_csv, target="target")
    b = ds.describe(files.bc_parquet, target="target")
    assert a["fingerprint"] == b["fingerprint"]
    assert a["sha256"] != b["sha256"]
    assert a["rows"] == 569 and len(a["columns"]) == 31


def test_fingerprint_changes_with_content_and_order(tmp_path):
    df = pd.DataFrame({"x": [1.5, 2.0, 3.25], "c": ["a", "", None], "y": [0, 1, 0]})
    base = ds.fingerprint(ds.read_table(_csv(tmp_path / "a.csv", df)).table)
    changed = df.copy()
    changed.loc[1, "x"] = 2.5
    assert ds.fingerprint(ds.read_table(_csv(tmp_path / "b.csv", changed)).table) != base
    shuffled = df.iloc[[1, 0, 2]]
    assert ds.fingerprint(ds.read_table(_csv(tmp_path / "c.csv", shuffled)).table) != base


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(allow_nan=True, allow_infinity=False, width=64) | st.none(),
            st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=8),
            st.integers(-(2**40), 2**40),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_fingerprint_survives_csv_parquet_round_trip(tmp_path_factory, rows):
    tmp = tmp_path_factory.mktemp("rt")
    df = pd.DataFrame(rows, columns=["f", "t", "i"])
    df["t"] = "s" + df["t"]  # keep text columns text in CSV
    df.to_csv(tmp / "a.csv", index=False)
    df.to_parquet(tmp / "a.parquet")
    assert ds.fingerprint(ds.read_table(tmp / "a.csv").table) == ds.fingerprint(
        ds.read_table(tmp / "a.parquet").table
    )


def test_profile_has_what_a_user_needs(files):
    record = ds.describe(files.mixed_csv, target="label")
    by_name = {p["name"]: p for p in record["profile"]}
    income = by_name["income"]
    assert income["missing"] > 0 and income["kind"] == "number"
    assert income["min"] < income["mean"] < income["max"] and income["std"] > 0
    assert sum(income["histogram"]["counts"]) == 300 - income["missing"]
    assert len(income["histogram"]["edges"]) == ds.HISTOGRAM_BINS + 1
    city = by_name["city"]
    assert city["distinct"] == 3 and {t["value"] for t in city["top"]} == {"Lyon", "Porto", "Turku"}


def _csv(path, df):
    df.to_csv(path, index=False)
    return path


# --- broken input: each error names the file, the place and what to do -----------------


def test_bad_encoding(tmp_path):
    p = tmp_path / "latin.csv"
    p.write_bytes("name,label\nJosé,1\n".encode() + "Zoë,0\n".encode("latin-1"))
    with pytest.raises(
        DatasetError, match=r"latin.csv: line 3 is not valid UTF-8 .*save the file as UTF-8"
    ):
        ds.describe(p, target="label")


def test_ragged_rows(tmp_path):
    p = tmp_path / "ragged.csv"
    p.write_text("a,b,label\n1,2,0\n3,4\n5,6,1\n")
    with pytest.raises(DatasetError, match=r"ragged.csv: line 3 has 2 fields but the header has 3"):
        ds.describe(p)


def test_mixed_types(tmp_path):
    values = [str(i) for i in range(30)]
    values[17] = "n/a?"
    p = _csv(tmp_path / "mixed.csv", pd.DataFrame({"x": values, "label": [0, 1] * 15}))
    with pytest.raises(
        DatasetError,
        match=r"column 'x' mixes numbers and text \(row 18 \(line 19 of the file\) holds 'n/a\?'\)",
    ):
        ds.describe(p, target="label")


@pytest.mark.parametrize("bad", [None, np.nan])
def test_missing_or_nan_labels(tmp_path, bad):
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "label": [0.0, 1.0, bad, 1.0]})
    p = _csv(tmp_path / "labels.csv", df)
    with pytest.raises(
        DatasetError,
        match=r"labels.csv: the target column 'label' is missing or NaN in 1 row \(first at row 3 \(line 4\)\); fill or drop those rows",
    ):
        ds.describe(p, target="label")
    df.to_parquet(tmp_path / "labels.parquet")
    with pytest.raises(DatasetError, match=r"missing or NaN in 1 row \(first at row 3\)"):
        ds.describe(tmp_path / "labels.parquet", target="label")


def test_unknown_target_suggests(files):
    with pytest.raises(
        DatasetError,
        match=r"has no target column 'Target' \(did you mean 'target'\?\); its columns are: mean radius",
    ):
        ds.describe(files.bc_csv, target="Target")


def test_zero_rows(tmp_path):
    p = tmp_path / "header_only.csv"
    p.write_text("a,b,label\n")
    with pytest.raises(DatasetError, match="header_only.csv has no data rows"):
        ds.describe(p, target="label")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DatasetError, match="empty.csv is empty"):
        ds.describe(empty)


def test_truncated_parquet(files, tmp_path):
    data = files.bc_parquet.read_bytes()
    p = tmp_path / "cut.parquet"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        DatasetError, match="cut.parquet is not a readable Parquet file .*export it again"
    ):
        ds.describe(p)


def test_id_column_must_be_unique(tmp_path):
    p = _csv(tmp_path / "ids.csv", pd.DataFrame({"id": [1, 2, 2], "label": [0, 1, 0]}))
    with pytest.raises(DatasetError, match="the id column 'id' has duplicate values"):
        ds.describe(p, target="label", id_column="id")


def test_unsupported_format(tmp_path):
    p = tmp_path / "data.xlsx"
    p.write_bytes(b"PK")
    with pytest.raises(
        DatasetError, match=r"unsupported dataset format '.xlsx'; use a .csv or .parquet file"
    ):
        ds.describe(p)


def test_failed_import_leaves_catalog_as_it_was(catalog, tmp_path):
    p = tmp_path / "ragged.csv"
    p.write_text("a,label\n1,0\n2\n3,1,9\n")
    with pytest.raises(DatasetError):
        import_dataset(catalog, p, target="label")
    assert catalog.count("datasets") == 0


def test_import_records_everything(catalog, files):
    record = import_dataset(
        catalog, files.bc_parquet, name="bc", role="test", target="target", tags=["medical"]
    )
    assert record["role"] == "test" and record["rows"] == 569 and record["target"] == "target"
    assert (
        catalog.objects.open_verified(record["sha256"]).stat().st_size
        == files.bc_parquet.stat().st_size
    )
    assert catalog.search("medical")[0]["name"] == "bc"


def test_empty_text_is_missing_in_csv_and_parquet_alike(tmp_path):
    df = pd.DataFrame(
        {"city": ["Lyon", None, "", "Turku"], "note": ["", None, "", None], "y": [0, 1, 0, 1]}
    )
    df.to_csv(tmp_path / "t.csv", index=False)
    df.to_parquet(tmp_path / "t.parquet")
    a = ds.describe(tmp_path / "t.csv", target="y")
    b = ds.describe(tmp_path / "t.parquet", target="y")
    assert a["fingerprint"] == b["fingerprint"]
    assert a["profile"][0]["missing"] == b["profile"][0]["missing"] == 2


def test_huge_integers_and_categoricals(tmp_path):
    df = pd.DataFrame(
        {
            "hashed_id": np.array([2**62 + 1, 2**62 + 3, 5], dtype=np.int64),
            "colour": pd.Categorical(["red", "blue", "red"]),
            "y": [0, 1, 0],
        }
    )
    df.to_parquet(tmp_path / "t.parquet")
    record = ds.describe(tmp_path / "t.parquet", target="y")
    by_name = {p["name"]: p for p in record["profile"]}
    assert by_name["hashed_id"]["max"] == pytest.approx(2.0**62)
    assert by_name["colour"]["distinct"] == 2 and by_name["colour"]["top"][0] == {
        "value": "red",
        "count": 2,
    }
    df.assign(colour=df["colour"].astype(str)).to_csv(tmp_path / "t.csv", index=False)
    assert ds.describe(tmp_path / "t.csv", target="y")["fingerprint"] == record["fingerprint"]


def test_describing_a_parquet_file_holds_a_column_or_two_not_the_table(tmp_path):
    """Importing a test set describes it (checks, profile, fingerprint) a column at a
    time: a 5 GB test set read whole took 11 GB at its import, most of a pack's peak.
    Four times the rows may not take anything like four times the memory."""
    import json
    import subprocess
    import sys

    code = (
        "import json, sys, pyarrow as pa\n"
        "from baton.core.data import datasets as ds\n"
        "record = ds.describe(sys.argv[1], target='label')\n"
        "print(json.dumps({'rows': record['rows'], 'fingerprint': record['fingerprint'],\n"
        "                  'pool_mb': pa.default_memory_pool().max_memory() / 1e6}))\n"
    )
    rng = np.random.default_rng(0)
    peaks = []
    for rows in (100_000, 400_000):  # 60 columns: 49 MB, then 195 MB of values
        table = pa.table(
            {
                **{f"x{i}": rng.normal(size=rows) for i in range(60)},
                "label": rng.integers(0, 2, rows),
            }
        )
        path = tmp_path / f"wide-{rows}.parquet"
        pq.write_table(table, path, row_group_size=50_000)
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        answer = json.loads(done.stdout)
        assert answer["rows"] == rows
        assert answer["fingerprint"] == ds.fingerprint(table)  # as of the whole table
        peaks.append(answer["pool_mb"])
    assert peaks[1] < 2 * peaks[0] and peaks[1] < table.nbytes / 1e6 / 2, peaks
