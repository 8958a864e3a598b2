"""Evaluation in batches: the child reads the model's columns a batch at a time and writes
the same predictions as a prediction of the whole table; profiling's batches are built
from the leading rows alone and turned into the model's input before timing."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from baton.core.data.models import Predictor, introspect_sklearn, load_skops_checked
from baton.core.errors import FeatureMismatch
from baton.core.measure import child, profiling
from baton.core.measure.runs import labels_of


@pytest.fixture(scope="session")
def mixed(files, tmp_path_factory):
    """The mixed-type test set (text, missing values) as Parquet with an id column, and
    the parameters of a predict request on it."""
    folder = tmp_path_factory.mktemp("batched")
    frame = pd.read_csv(files.mixed_csv)
    frame.insert(0, "ref", [f"r{i:04d}" for i in range(len(frame))])
    frame.to_parquet(folder / "mixed.parquet", row_group_size=64)
    model, _ = load_skops_checked(files.hgb_skops)
    info = {**introspect_sklearn(model), "task": "classification"}
    params = {
        "path": str(files.hgb_skops),
        "format": "skops",
        "info": info,
        "data": str(folder / "mixed.parquet"),
        "target": "label",
        "id_column": "ref",
    }
    return folder, frame, params


def _predict(params, out, **extra):
    answer = child.task_predict({**params, **extra, "out": str(out)})
    return answer, pq.read_table(out)


def test_predictions_in_small_batches_equal_those_of_the_whole_table(mixed):
    folder, frame, params = mixed
    answer, batched = _predict(params, folder / "batched.parquet", batch_rows=7)
    assert answer == {"rows": len(frame), "seconds": answer["seconds"], "has_proba": True}
    model = Predictor(params["path"], "skops", params["info"])
    labels, proba = model.predict(model.select_features(frame.drop(columns=["ref", "label"])))
    assert batched.column_names == ["row_id", "prediction", "proba_0", "proba_1"]
    assert batched.column("row_id").to_pylist() == frame["ref"].tolist()
    assert np.array_equal(batched.column("prediction").to_numpy(), labels)
    assert np.array_equal(batched.column("proba_1").to_numpy(), proba[:, 1])
    _, whole = _predict(params, folder / "whole.parquet")
    assert whole.equals(batched)


def test_a_dataset_with_a_column_the_model_does_not_read_is_refused_before_reading(mixed, tmp_path):
    folder, frame, params = mixed
    frame.assign(extra=1.0).to_parquet(tmp_path / "extra.parquet")
    with pytest.raises(FeatureMismatch, match=r"has columns the model does not read: extra"):
        _predict({**params, "data": str(tmp_path / "extra.parquet")}, tmp_path / "out.parquet")


def test_labels_are_read_alone(mixed):
    folder, frame, _ = mixed
    assert labels_of(folder / "mixed.parquet", "label").tolist() == frame["label"].tolist()


@pytest.mark.parametrize("n", [5, 700, 70_000, 300_000])
def test_profiling_draws_its_batches_from_the_leading_rows_only(n):
    X = np.arange(n)
    sizes = (1, 8, 64, 512, 4096, 100_000)
    head = X[: profiling.rows_used(sizes)]
    for b in sizes:
        whole, lead = profiling._make_batches(X, b), profiling._make_batches(head, b)
        assert len(whole) == len(lead)
        assert all(np.array_equal(w, h) for w, h in zip(whole, lead, strict=True))


def test_batches_are_prepared_once_before_timing():
    prepared, seen = [], set()

    def prepare(batch):
        prepared.append(len(batch))
        return ("feed", len(prepared))

    def predict(feed):
        assert feed[0] == "feed"  # never a raw batch
        seen.add(feed[1])

    (row,) = profiling.measure_latency(
        predict, np.zeros((100, 3)), (8,), budget_s=0.05, min_samples=20, prepare=prepare
    )
    assert prepared == [8] * row["distinct_batches"]
    assert seen == set(range(1, row["distinct_batches"] + 1))


def test_the_footer_check_takes_a_parquet_file_of_more_than_two_gigabytes(tmp_path):
    """pyarrow's limits on a footer's strings and lists are 32-bit integers: the check that
    holds them to the file's size must not pass a size over 2 GiB as is. It did, and
    `baton verify` of a bundle with a 5.5 GB test set failed with OverflowError."""
    import os
    from pathlib import PosixPath

    import pyarrow as pa

    path = tmp_path / "test.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0, 3.0], "label": [0, 1, 0]}), path)

    class FiveGigabytes(PosixPath):
        def stat(self, **kwargs):
            real = list(os.stat(self))
            real[6] = 5_500_000_000  # st_size
            return os.stat_result(real)

    meta = child.parquet_metadata(FiveGigabytes(path), "data/test.parquet")
    assert (meta.num_rows, meta.num_columns) == (3, 2)


def test_verify_fingerprints_a_table_holding_a_batch_not_a_column(files, tmp_path):
    """The checking child fingerprints a bundle's test set a batch at a time. Opened with
    pyarrow's default pre-buffering, reading a column kept every row group read so far,
    so the child held a whole column at the end: 429 MB for a 5.5 GB bundle's test set,
    over the 300 MB that `baton verify` keeps to whatever the size."""
    import shutil
    import subprocess
    import sys

    import pyarrow as pa

    folder = tmp_path / "bundle"
    (folder / "model").mkdir(parents=True)
    (folder / "data").mkdir()
    (folder / "predictions").mkdir()
    shutil.copyfile(files.lr_skops, folder / "model" / "model.skops")
    rows, groups = 4_000_000, 40  # one float column: 32 MB, in row groups of 100 000 rows
    pq.write_table(
        pa.table({"x": np.arange(rows, dtype=np.float64)}),
        folder / "data" / "test.parquet",
        row_group_size=rows // groups,
    )
    pq.write_table(pa.table({"prediction": [0, 1]}), folder / "predictions" / "test.parquet")
    code = (
        "import json, sys, pyarrow as pa\n"
        "from baton.core.measure import child\n"
        "answer = child.task_check_bundle(json.loads(sys.argv[1]))\n"
        "print(json.dumps({'rows': answer['tables']['data/test.parquet']['rows'],\n"
        "                  'pool_mb': pa.default_memory_pool().max_memory() / 1e6}))\n"
    )
    params = {
        "folder": str(folder),
        "model": "model/model.skops",
        "tables": ["data/test.parquet"],
        "predictions": "predictions/test.parquet",
    }
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(params)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["rows"] == rows
    assert answer["pool_mb"] < 8, answer  # a few batches; the column is 32 MB
