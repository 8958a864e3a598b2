"""The monitoring baseline a bundle carries, and a batch of data compared with it.

At pack time every bundle gets ``monitoring/baseline.json``: a profile of the test set's
feature columns, of the training set's when it ships, and of the predictions on the test
set. It reads Parquet only (no model code), so it is computed in this process, once per
stored table: :func:`cached_profile` keeps each profile in the catalog by the digest of
the bytes it read, and an evaluation makes its test set's and predictions' while it has
them at hand, so a pack only assembles them. A bundle's baseline is read back by
:mod:`baton.core.measure.baseline_file`, which needs no pyarrow.

Per numeric column: quantiles, and a histogram whose cut points are the column's deciles
(deduplicated: a 0/1 column gets two cuts). Bucket ``i`` holds values in
``[cuts[i-1], cuts[i])``, the first from minus infinity and the last to plus infinity, so
any later value falls in exactly one bucket. Missing values (null, NaN) are a bucket of
their own: a column that starts arriving empty has drifted. Per categorical column: the
:data:`TOP_VALUES` most frequent values, the rest counted as "other", and the missing.

A batch is compared column by column (:func:`compare_column`): the population stability
index over those buckets, and for numeric columns the two-sample Kolmogorov-Smirnov test
against the reference column's own values. The flags and their thresholds are
:data:`PSI_WATCH`, :data:`PSI_DRIFT` and :data:`KS_P`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from baton.core.fsutil import sha256_file
from baton.core.measure.baseline_file import FILE, SCHEMA

if TYPE_CHECKING:
    import pyarrow.parquet as pq

QUANTILES = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1.0)
CUTS = tuple(i / 10 for i in range(1, 10))
TOP_VALUES = 20
MAX_VALUE_CHARS = 200  # longer categorical values are counted as "other"

PSI_WATCH = 0.1
PSI_DRIFT = 0.25
KS_P = 0.01
# An empty bucket on either side would make the PSI infinite: it counts as this share.
PSI_FLOOR = 1e-4
FLAGS = ("stable", "watch", "drift")
PREDICTIONS_EXCLUDE = ("row_id",)  # the predictions' profile leaves out their row ids


# --------------------------------------------------------------------------- profiles


def _plain_type(dtype: pa.DataType) -> pa.DataType:
    return dtype.value_type if pa.types.is_dictionary(dtype) else dtype


def column_kind(dtype: pa.DataType) -> str:
    """``numeric``, ``categorical`` or ``other`` (times and nested types: not profiled)."""
    dtype = _plain_type(dtype)
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        return "numeric"
    if (
        pa.types.is_boolean(dtype)
        or pa.types.is_string(dtype)
        or pa.types.is_large_string(dtype)
        or pa.types.is_null(dtype)
    ):
        return "categorical"
    return "other"


def numeric_values(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, int]:
    """The finite values of a numeric column as float64, and how many were missing."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    values = pc.cast(column, pa.float64(), safe=False).to_numpy(zero_copy_only=False)
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    return finite, len(values) - len(finite)


def text_values(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, int]:
    """The present values of a categorical column as text, and how many were missing."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    text = pc.cast(column, pa.string())
    present = pc.drop_null(text).to_numpy(zero_copy_only=False)
    return np.asarray(present, dtype=object), len(text) - len(present)


def _numeric_profile(values: np.ndarray, missing: int) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "numeric", "count": len(values), "missing": missing}
    if not len(values):
        return {**out, "quantiles": [], "cuts": [], "counts": [0]}
    cuts = np.unique(np.quantile(values, CUTS))
    counts = np.bincount(np.searchsorted(cuts, values, side="right"), minlength=len(cuts) + 1)
    return {
        **out,
        "mean": float(values.mean()),
        "std": float(values.std()),
        "quantiles": [
            [q, float(v)] for q, v in zip(QUANTILES, np.quantile(values, QUANTILES), strict=True)
        ],
        "cuts": [float(c) for c in cuts],
        "counts": [int(c) for c in counts],
    }


def _categorical_profile(values: np.ndarray, missing: int) -> dict[str, Any]:
    found: dict[str, int] = {}
    for value in values.tolist():
        found[value] = found.get(value, 0) + 1
    ranked = sorted(
        ((v, c) for v, c in found.items() if len(v) <= MAX_VALUE_CHARS),
        key=lambda vc: (-vc[1], vc[0]),
    )[:TOP_VALUES]
    kept = sum(c for _, c in ranked)
    return {
        "kind": "categorical",
        "count": len(values),
        "missing": missing,
        "values": [{"value": v, "count": c} for v, c in ranked],
        "other": len(values) - kept,
    }


def profile_column(name: str, column: pa.ChunkedArray) -> dict[str, Any]:
    """One column's reference profile (see the module docstring)."""
    kind = column_kind(column.type)
    if kind == "numeric":
        return {"name": name, **_numeric_profile(*numeric_values(column))}
    if kind == "categorical":
        return {"name": name, **_categorical_profile(*text_values(column))}
    return {"name": name, "kind": "other", "count": len(column), "missing": column.null_count}


def profile_table(table: pa.Table | pq.ParquetFile, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """Every column of ``table`` but ``exclude`` (the target, the row ids), profiled. A
    Parquet file is read a column at a time, so memory holds one column, not the table."""
    skip = set(exclude)
    if not isinstance(table, pa.Table):
        source = table
        names = source.schema_arrow.names
        rows = source.metadata.num_rows

        def column(name: str) -> pa.ChunkedArray:
            return source.read(columns=[name]).column(0)
    else:
        names, rows, column = table.column_names, table.num_rows, table.column
    return {
        "rows": rows,
        "columns": [profile_column(name, column(name)) for name in names if name not in skip],
    }


class ProfileCache(Protocol):
    """Where profiles are kept by the digest of the stored bytes they were read from
    (:class:`~baton.core.catalog.store.Catalog`)."""

    def baseline_profile(self, sha256: str, key: str) -> dict | None: ...

    def keep_baseline_profile(self, sha256: str, key: str, profile: dict) -> None: ...


def profile_key(exclude: Iterable[str | None]) -> str:
    """What a kept profile depends on besides the bytes: the columns left out, and the
    profile's format (a newer Baton profiles anew)."""
    return json.dumps({"schema": SCHEMA, "exclude": sorted({c for c in exclude if c})})


def cached_profile(
    read: Callable[[], pa.Table | pq.ParquetFile],
    exclude: Iterable[str | None],
    cache: ProfileCache | None = None,
    sha256: str | None = None,
) -> dict[str, Any]:
    """:func:`profile_table` of what ``read`` opens, kept in ``cache`` under the digest of
    the stored bytes it reads (``sha256``), and taken from there when kept before."""
    left_out = [c for c in exclude if c]
    key = profile_key(left_out)
    if cache is not None and sha256:
        kept = cache.baseline_profile(sha256, key)
        if kept is not None:
            return kept
    profile = profile_table(read(), left_out)
    if cache is not None and sha256:
        cache.keep_baseline_profile(sha256, key, profile)
    return profile


def build_baseline(
    test: pa.Table | pq.ParquetFile,
    predictions: pa.Table | pq.ParquetFile,
    *,
    exclude: Iterable[str],
    train: pa.Table | pq.ParquetFile | None = None,
) -> dict[str, Any]:
    """The baseline document: the test (and training) features and the predictions."""
    exclude = tuple(exclude)
    sets = {"test": profile_table(test, exclude)}
    if train is not None:
        sets["train"] = profile_table(train, exclude)
    sets["predictions"] = profile_table(predictions, PREDICTIONS_EXCLUDE)
    return baseline_document(sets)


def baseline_document(sets: Mapping[str, Any]) -> dict[str, Any]:
    """The baseline document of the sets' profiles."""
    return {
        "schema": SCHEMA,
        "psi_buckets": "deciles of the reference, missing values apart",
        "sets": dict(sets),
    }


def write_baseline(folder: Path, baseline: Mapping[str, Any]) -> dict[str, str]:
    """Write ``baseline`` as ``folder/monitoring/baseline.json``; returns the contract's
    ``monitoring`` entry (the file and its SHA-256)."""
    path = folder / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(baseline, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False)
    path.write_bytes((text + "\n").encode("utf-8"))
    return {"file": FILE, "sha256": sha256_file(path)}


# --------------------------------------------------------------------------- comparing


def bucket_shares(
    profile: Mapping[str, Any], column: pa.ChunkedArray | pa.Array
) -> tuple[np.ndarray, np.ndarray]:
    """The reference's and the batch's shares per bucket of ``profile`` (missing last)."""
    if profile["kind"] == "numeric":
        values, missing = numeric_values(column)
        cuts = np.asarray(profile["cuts"], dtype=np.float64)
        counts = np.bincount(np.searchsorted(cuts, values, side="right"), minlength=len(cuts) + 1)
        reference = list(profile["counts"])
    else:
        values, missing = text_values(column)
        known = {v["value"]: i for i, v in enumerate(profile["values"])}
        counts = np.zeros(len(known) + 1, dtype=np.int64)
        for value in values.tolist():
            counts[known.get(value, len(known))] += 1
        reference = [v["count"] for v in profile["values"]] + [profile["other"]]
    expected = np.asarray([*reference, profile["missing"]], dtype=np.float64)
    actual = np.asarray([*counts.tolist(), missing], dtype=np.float64)
    return expected / max(expected.sum(), 1.0), actual / max(actual.sum(), 1.0)


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """The population stability index of two share vectors over the same buckets."""
    e = np.maximum(expected, PSI_FLOOR)
    a = np.maximum(actual, PSI_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def flag(psi_value: float | None, ks_p: float | None) -> str:
    """``drift`` (PSI >= 0.25 or KS p < 0.01), ``watch`` (PSI >= 0.1) or ``stable``."""
    if (psi_value is not None and psi_value >= PSI_DRIFT) or (ks_p is not None and ks_p < KS_P):
        return "drift"
    if psi_value is not None and psi_value >= PSI_WATCH:
        return "watch"
    return "stable"


def compare_column(
    profile: Mapping[str, Any],
    batch: pa.ChunkedArray | pa.Array,
    reference: pa.ChunkedArray | pa.Array | None,
) -> dict[str, Any]:
    """PSI against the profile, KS against the ``reference`` column's values (numeric
    columns), and the flag; ``note`` says what could not be compared."""
    from scipy.stats import ks_2samp

    row: dict[str, Any] = {
        "column": profile["name"],
        "kind": profile["kind"],
        "psi": None,
        "ks_statistic": None,
        "ks_p": None,
        "flag": "stable",
        "note": None,
    }
    if profile["kind"] == "other":
        row["note"] = "not compared: neither numbers nor categories"
        return row
    if profile["kind"] == "numeric" and column_kind(batch.type) != "numeric":
        row.update(flag="drift", note="the reference holds numbers, the batch does not")
        return row
    expected, actual = bucket_shares(profile, batch)
    row["psi"] = psi(expected, actual)
    if profile["kind"] == "numeric" and reference is not None:
        mine, _ = numeric_values(batch)
        theirs, _ = numeric_values(reference)
        if len(mine) and len(theirs):
            result = ks_2samp(theirs, mine)
            row["ks_statistic"] = float(result.statistic)
            p = float(result.pvalue)
            row["ks_p"] = p if math.isfinite(p) else None
        else:
            row["note"] = "no values to test"
    row["flag"] = flag(row["psi"], row["ks_p"])
    return row


def write_for_bundle(
    folder: Path,
    *,
    exclude: Iterable[str | None],
    cache: ProfileCache | None = None,
    sources: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Profile a bundle folder's ``data/test.parquet`` (and ``data/train.parquet`` when it
    ships) and ``predictions/test.parquet``, write the baseline there, return its entry.

    ``sources`` gives, by set (``test``, ``train``, ``predictions``), the digest of the
    stored bytes the file was made from: a profile ``cache`` kept for them (an
    evaluation keeps its test set's and predictions') is used instead of reading it."""
    import pyarrow.parquet as pq

    features = [c for c in exclude if c]
    sources = sources or {}
    files = {"test": "data/test.parquet", "train": "data/train.parquet"}
    files["predictions"] = "predictions/test.parquet"
    sets = {}
    for name, file in files.items():
        path = folder / file
        if name == "train" and not path.is_file():
            continue

        def read(path: Path = path) -> pq.ParquetFile:
            return pq.ParquetFile(path)

        left_out = PREDICTIONS_EXCLUDE if name == "predictions" else features
        sets[name] = cached_profile(read, left_out, cache, sources.get(name))
    return write_baseline(folder, baseline_document(sets))
