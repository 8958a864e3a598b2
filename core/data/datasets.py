"""Datasets: strict loading of CSV and Parquet, profiles and content fingerprints.

CSV is parsed with pyarrow's multithreaded reader and Parquet with ``pyarrow.parquet``, so
loading keeps pace with pandas (``tests/bench/datasets.py`` times both side by side).
Loading is strict: bad encodings, ragged rows, columns that mix numbers and text, missing
labels and empty files are refused with a message that names the file, the row or column,
and what to do.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from baton.core.errors import DatasetError, MissingFile
from baton.core.fsutil import sha256_file

ROLES = ("train", "validation", "test")
FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
FINGERPRINT_VERSION = "baton.fingerprint/v1"
HISTOGRAM_BINS = 20
TOP_VALUES = 5
# A text column whose non-missing values are mostly numbers is almost always a numeric
# column with a stray entry; below this share we accept it as honest text.
MIXED_NUMERIC_SHARE = 0.9
# Empty fields are missing values, as pandas reads them.
_CSV_CONVERT = pacsv.ConvertOptions(strings_can_be_null=True)


class Columns(Protocol):
    """What describing a dataset asks of a table: a ``pa.Table``, or :class:`ParquetColumns`."""

    @property
    def column_names(self) -> list[str]: ...

    @property
    def num_rows(self) -> int: ...

    @property
    def schema(self) -> pa.Schema: ...

    def column(self, name: str) -> pa.ChunkedArray: ...


class ParquetColumns:
    """A Parquet file read a column at a time when asked: describing a 5 GB test set then
    holds a column or two, not the table (and not the table again in pyarrow's pool)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            file = pq.ParquetFile(path)
            self.schema: pa.Schema = file.schema_arrow
            self.num_rows: int = file.metadata.num_rows
        except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
            raise _damaged_parquet(path, exc) from exc
        self.column_names: list[str] = self.schema.names

    def column(self, name: str) -> pa.ChunkedArray:
        try:
            return pq.read_table(self.path, columns=[name]).column(0)
        except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
            raise _damaged_parquet(self.path, exc) from exc


@dataclass
class LoadedDataset:
    path: Path
    format: str
    table: pa.Table

    @property
    def rows(self) -> int:
        return self.table.num_rows


def detect_format(path: str | os.PathLike[str]) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise DatasetError(
            f"{Path(path).name}: unsupported dataset format {suffix or '(no extension)'!r}; "
            "use a .csv or .parquet file",
            path=str(path),
        )
    return FORMATS[suffix]


def read_table(path: str | os.PathLike[str]) -> LoadedDataset:
    """Read a CSV or Parquet file into an Arrow table, refusing broken files clearly."""
    path = Path(path)
    fmt = detect_format(path)
    if not path.is_file():
        raise MissingFile(path)
    table = _read_csv(path) if fmt == "csv" else _read_parquet(path)
    if table.num_rows == 0:
        raise DatasetError(
            f"{path.name} has no data rows; a dataset needs at least one row", path=str(path)
        )
    _check_mixed_types(path, table)
    return LoadedDataset(path=path, format=fmt, table=table)


# Rows are read for the model in batches of about this many bytes of feature values.
BATCH_BYTES = 32 * 2**20
MIN_BATCH_ROWS = 1024


def batch_rows_for(columns: int) -> int:
    """Rows per batch for a model reading ``columns`` values a row (8 bytes each, about)."""
    return max(MIN_BATCH_ROWS, BATCH_BYTES // (8 * max(columns, 1)))


def schema_of(path: str | os.PathLike[str]) -> pa.Schema:
    """The columns of a dataset file, without reading its values (a CSV file's types are
    inferred from a first block only: use them for names, not for types)."""
    path = Path(path)
    try:
        if detect_format(path) == "parquet":
            return pq.ParquetFile(path).schema_arrow
        with pacsv.open_csv(path, convert_options=_CSV_CONVERT) as reader:
            return reader.schema
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
        raise DatasetError(f"{path.name} cannot be read: {exc}", path=str(path)) from exc


def row_count(path: str | os.PathLike[str]) -> int | None:
    """The rows of a Parquet file, from its footer; None for CSV (not known before reading)."""
    path = Path(path)
    if detect_format(path) != "parquet":
        return None
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
        raise DatasetError(f"{path.name} cannot be read: {exc}", path=str(path)) from exc


def open_streaming(path: str | os.PathLike[str]) -> pq.ParquetFile:
    """A Parquet file opened to be read in batches: without pyarrow's pre-buffering, which
    keeps every row group read so far (a whole column, or the whole file, by the end),
    through a buffer of a megabyte."""
    return pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)


def iter_batches(
    path: str | os.PathLike[str], columns: list[str], batch_rows: int
) -> Iterator[pa.RecordBatch]:
    """The ``columns`` of a dataset file in batches of at most ``batch_rows`` rows, in order.

    Parquet is read a row group at a time, so memory holds one row group of those
    columns and one batch, never the whole table. A CSV file is read whole (those columns
    only): types inferred block by block could differ from those the file was imported
    with.
    """
    path = Path(path)
    try:
        if detect_format(path) == "parquet":
            yield from open_streaming(path).iter_batches(batch_size=batch_rows, columns=columns)
        else:
            options = pacsv.ConvertOptions(strings_can_be_null=True, include_columns=columns)
            yield from pacsv.read_csv(path, convert_options=options).to_batches(batch_rows)
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
        raise DatasetError(f"{path.name} cannot be read: {exc}", path=str(path)) from exc


def read_columns(
    path: str | os.PathLike[str], columns: list[str], rows: int | None = None
) -> pa.Table:
    """The ``columns`` of a dataset file (all its rows, or the first ``rows``)."""
    path = Path(path)
    if rows is None and detect_format(path) == "parquet":
        try:
            return pq.read_table(path, columns=columns)
        except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
            raise DatasetError(f"{path.name} cannot be read: {exc}", path=str(path)) from exc
    batches, total = [], 0
    for batch in iter_batches(path, columns, rows or batch_rows_for(len(columns))):
        batches.append(batch)
        total += batch.num_rows
        if rows is not None and total >= rows:
            break
    if not batches:
        raise DatasetError(
            f"{path.name} has no data rows; a dataset needs at least one row", path=str(path)
        )
    table = pa.Table.from_batches(batches)
    return table if rows is None else table.slice(0, rows)


def _read_parquet(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
        raise _damaged_parquet(path, exc) from exc


def _damaged_parquet(path: Path, exc: BaseException) -> DatasetError:
    return DatasetError(
        f"{path.name} is not a readable Parquet file (truncated or damaged: {exc}); "
        "export it again",
        path=str(path),
    )


def _read_csv(path: Path) -> pa.Table:
    try:
        table = pacsv.read_csv(path, convert_options=_CSV_CONVERT)
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            raise DatasetError(f"{path.name} is empty", path=str(path)) from exc
        _explain_csv_failure(path)
        raise DatasetError(f"{path.name} cannot be read as CSV: {exc}", path=str(path)) from exc
    binary = [f.name for f in table.schema if pa.types.is_binary(f.type)]
    if binary:
        _raise_encoding_error(path, table.column_names.index(binary[0]), binary[0])
    return table


def _explain_csv_failure(path: Path) -> None:
    """Find the first ragged line with the csv module (only on the error path)."""
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        for row in reader:
            if len(row) != len(header) and row:
                raise DatasetError(
                    f"{path.name}: line {reader.line_num} has {len(row)} fields but the header "
                    f"has {len(header)}; fix or remove that line (ragged rows are not guessed at)",
                    path=str(path),
                )


def _raise_encoding_error(path: Path, col_index: int, col_name: str) -> None:
    with open(path, "rb") as fh:
        for line_no, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DatasetError(
                    f"{path.name}: line {line_no} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} "
                    f"in column {col_name!r}); save the file as UTF-8",
                    path=str(path),
                ) from None
    raise DatasetError(
        f"{path.name}: column {col_name!r} is not valid UTF-8 text; save the file as UTF-8",
        path=str(path),
    )


_NUMBER_RE = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
# Bytes that can begin a value matching _NUMBER_RE: ASCII whitespace, a sign, a dot, a
# digit (RE2's \s and \d are ASCII-only).
_NUMBER_FIRST_BYTES = np.zeros(256, dtype=bool)
_NUMBER_FIRST_BYTES[np.frombuffer(b"\t\n\x0b\x0c\r +-.0123456789", dtype=np.uint8)] = True
_PIECE = 1 << 15  # values looked at per step by _mostly_not_numbers


def _mostly_not_numbers(column: pa.ChunkedArray, n_valid: int) -> bool:
    """True when fewer than MIXED_NUMERIC_SHARE of a text column's ``n_valid`` non-missing
    values can match _NUMBER_RE, judged by their first byte alone.

    Read straight from the Arrow buffers, a piece at a time, stopping as soon as enough
    values are certainly not numbers: a column of words ("north", "basic", …) is cleared
    after its first rows, without running the regular expression over every value.
    """
    not_numbers = 0
    for chunk in column.chunks:
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        for start in range(0, len(chunk), _PIECE):
            piece = chunk.slice(start, _PIECE)
            valid = len(piece) - piece.null_count
            if valid == 0:
                continue
            _, offsets_buf, data_buf = piece.buffers()
            offsets: Any = np.frombuffer(offsets_buf, dtype=width)[
                piece.offset : piece.offset + len(piece) + 1
            ]
            starts = offsets[:-1]
            present = offsets[1:] > starts
            if piece.null_count:
                present &= piece.is_valid().to_numpy(zero_copy_only=False)
            could = 0
            if data_buf is not None and present.any():
                data = np.frombuffer(data_buf, dtype=np.uint8)
                could = int(np.count_nonzero(_NUMBER_FIRST_BYTES[data[starts[present]]]))
            not_numbers += valid - could
            if (n_valid - not_numbers) / n_valid < MIXED_NUMERIC_SHARE:
                return True
    return False


def _check_mixed_types(path: Path, table: Columns) -> None:
    for name in table.column_names:
        kind = table.schema.field(name).type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            continue  # read only the text columns
        col = table.column(name)
        n_valid = len(col) - col.null_count
        if n_valid == 0:
            continue
        if _mostly_not_numbers(col, n_valid):
            continue
        valid = pc.drop_null(col)
        numeric = pc.cast(pc.match_substring_regex(valid, _NUMBER_RE), pa.int64())
        share = pc.sum(numeric).as_py() / len(valid)
        if MIXED_NUMERIC_SHARE <= share < 1.0:
            mask = pc.invert(pc.fill_null(pc.match_substring_regex(col, _NUMBER_RE), True))
            row = int(np.flatnonzero(mask.to_numpy(zero_copy_only=False))[0])
            value = col[row].as_py()
            where = (
                f"row {row + 1} (line {row + 2} of the file)"
                if path.suffix.lower() == ".csv"
                else f"row {row + 1}"
            )
            raise DatasetError(
                f"{path.name}: column {name!r} mixes numbers and text ({where} holds {value!r}); "
                "clean that value or make the whole column text",
                path=str(path),
            )


# --- checks against a role ---------------------------------------------------------------


def _suggest(name: str, options: list[str]) -> str:
    close = difflib.get_close_matches(name, options, n=1)
    if not close:
        lowered = {o.lower(): o for o in options}
        if name.lower() in lowered:
            close = [lowered[name.lower()]]
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_columns(loaded: LoadedDataset, target: str | None, id_column: str | None) -> None:
    """Refuse an unknown target / id column, missing labels and duplicate ids."""
    _check_columns(loaded.table, loaded.path, loaded.format, target, id_column)


def _check_columns(
    table: Columns, path: Path, fmt: str, target: str | None, id_column: str | None
) -> None:
    names = table.column_names
    fname = path.name
    for label, col in (("target", target), ("id", id_column)):
        if col is not None and col not in names:
            raise DatasetError(
                f"{fname} has no {label} column {col!r}{_suggest(col, names)}; its columns are: "
                f"{', '.join(names[:30])}{' …' if len(names) > 30 else ''}",
                path=str(path),
            )
    if target is not None:
        column = table.column(target)
        missing = _missing_mask(column)
        n_missing = int(missing.sum())
        if n_missing:
            first = int(np.flatnonzero(missing)[0])
            where = f"row {first + 1}" + (f" (line {first + 2})" if fmt == "csv" else "")
            raise DatasetError(
                f"{fname}: the target column {target!r} is missing or NaN in {n_missing} "
                f"row{'s' if n_missing != 1 else ''} (first at {where}); fill or drop those rows",
                path=str(path),
            )
    if id_column is not None:
        column = table.column(id_column)
        if column.null_count:
            raise DatasetError(
                f"{fname}: the id column {id_column!r} has {column.null_count} empty values; "
                "every row needs an id",
                path=str(path),
            )
        if pc.count_distinct(column).as_py() != len(column):
            raise DatasetError(
                f"{fname}: the id column {id_column!r} has duplicate values; ids must be unique",
                path=str(path),
            )
    if target is not None and target == id_column:
        raise DatasetError(f"{fname}: the target and the id column cannot be the same column")


def _missing_mask(column: pa.ChunkedArray) -> np.ndarray:
    mask = column.is_null().to_numpy(zero_copy_only=False)
    if pa.types.is_floating(column.type):
        mask = mask | pc.fill_null(pc.is_nan(column), False).to_numpy(zero_copy_only=False)
    elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        # Empty or only whitespace; the same test as trimming and comparing with "", with
        # no trimmed copy of the column.
        blank = pc.or_(pc.equal(pc.binary_length(column), 0), pc.utf8_is_space(column))
        mask = mask | pc.fill_null(blank, False).to_numpy(zero_copy_only=False)
    return mask


# --- fingerprint ------------------------------------------------------------------------


def _kind(dtype: pa.DataType) -> str:
    if pa.types.is_dictionary(dtype):
        return _kind(dtype.value_type)
    if (
        pa.types.is_integer(dtype)
        or pa.types.is_floating(dtype)
        or pa.types.is_boolean(dtype)
        or pa.types.is_decimal(dtype)
    ):
        return "number"
    if pa.types.is_temporal(dtype):
        return "time"
    if pa.types.is_null(dtype):
        return "empty"
    return "text"


def _as_float(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Numbers as float64; integers beyond 2**53 round instead of raising."""
    return pc.cast(column, pa.float64(), safe=False)


def _missing_text(text: pa.Array) -> np.ndarray:
    """Missing and empty text alike: a CSV file cannot tell them apart."""
    return pc.fill_null(pc.equal(pc.utf8_length(text), 0), True).to_numpy(zero_copy_only=False)


def fingerprint(table: pa.Table) -> str:
    """A content fingerprint that is the same for the same table saved as CSV or Parquet.

    Definition (``baton.fingerprint/v1``): SHA-256 over the version tag, the row count and,
    for each column in order, its name, its kind and its values, where

    - numbers (integers, floats, booleans, decimals) are cast to IEEE float64, missing
      values and every NaN become one canonical NaN and -0.0 becomes 0.0, so ``1``,
      ``1.0`` and ``True`` agree (integers beyond 2**53 may collide — acceptable for
      labels and features);
    - text is hashed as its UTF-8 bytes with the length of every value and a missing
      mask; an empty value counts as missing, since a CSV file cannot tell them apart;
    - dates and times are hashed as integer nanoseconds since the epoch;
    - a column with no values at all is kind ``empty`` whatever its declared type.

    Row order matters: a shuffled table is a different table. File formats, compression,
    chunking and pandas index columns do not.
    """
    h = hashlib.sha256()
    # Columns are hashed on a helper thread while the next one is prepared here (hashlib
    # releases the GIL); at most one column waits, so memory stays at about two columns.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="baton-fingerprint") as pool:
        pending = None
        for parts in _fingerprint_parts(table):
            if pending is not None:
                pending.result()
            pending = pool.submit(_hash_parts, h, parts)
        if pending is not None:
            pending.result()
    return h.hexdigest()


def _hash_parts(h: Any, parts: list[Any]) -> None:
    for part in parts:
        h.update(part)


def _fingerprint_parts(table: pa.Table) -> Iterator[list[Any]]:
    """What :func:`fingerprint` hashes, in order: a header, then one list per column of
    byte strings and C-contiguous little-endian arrays (hashed as their raw bytes)."""
    yield [FINGERPRINT_VERSION.encode(), np.int64(table.num_rows).tobytes()]
    for name in table.column_names:
        if name.startswith("__index_level_"):
            continue
        column = table.column(name)
        kind = "empty" if column.null_count == len(column) else _kind(column.type)
        if pa.types.is_dictionary(column.type):
            column = pc.cast(column, column.type.value_type)
        text: Any = None
        missing: Any = None
        if kind == "text":
            text = pc.cast(column, pa.large_string()).combine_chunks()
            missing = _missing_text(text)
            if missing.all():
                kind = "empty"
        encoded = name.encode("utf-8")
        parts: list[Any] = [np.int64(len(encoded)).tobytes() + encoded + kind.encode() + b"\0"]
        if kind == "empty":
            yield parts
            continue
        if kind == "number":
            values = _as_float(column).to_numpy(zero_copy_only=False).astype(np.float64, copy=True)
            values[np.isnan(values)] = np.nan
            values[values == 0.0] = 0.0
            parts.append(np.ascontiguousarray(values, dtype="<f8"))
        elif kind == "time":
            ints = pc.cast(pc.cast(column, pa.timestamp("ns")), pa.int64())
            parts.append(np.ascontiguousarray(column.is_null().to_numpy(zero_copy_only=False)))
            parts.append(np.ascontiguousarray(pc.fill_null(ints, 0).to_numpy(), dtype="<i8"))
        else:
            parts.append(np.ascontiguousarray(missing))
            offsets = np.frombuffer(text.buffers()[1], dtype="<i8")[
                text.offset : text.offset + len(text) + 1
            ]
            parts.append(np.ascontiguousarray(np.diff(offsets), dtype="<i8"))
            data = text.buffers()[2]
            if data is not None:
                parts.append(memoryview(data)[offsets[0] : offsets[-1]])
        yield parts


def fingerprint_parquet(path: str | os.PathLike[str], batch_rows: int = 1 << 16) -> str:
    """:func:`fingerprint` of a Parquet file, read one column at a time in batches.

    The file is opened with :func:`open_streaming`, so memory stays at about one batch of
    one column whatever the file's size (with pyarrow's default pre-buffering it would
    hold one whole column), and the digest equals ``fingerprint(pq.read_table(...))``
    byte for byte: the same parts go into the same SHA-256 in the same order. A column
    whose parts come in several runs (the missing mask, then lengths, then bytes of text)
    is read once per run, so text costs up to four readings of that column and numbers
    one or two; nothing is ever held whole.
    """
    pf = open_streaming(path)
    h: Any = hashlib.sha256()  # fed numpy arrays as buffers
    h.update(FINGERPRINT_VERSION.encode())
    h.update(np.int64(pf.metadata.num_rows).tobytes())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="baton-fingerprint") as pool:
        _fingerprint_columns(pf, batch_rows, _Hasher(h, pool))
    return h.hexdigest()


class _Hasher:
    """Feeds one SHA-256 on a helper thread while the caller decodes the next batch
    (hashlib and Arrow both release the GIL); at most one part waits, so memory stays at
    about two batches."""

    def __init__(self, h: Any, pool: ThreadPoolExecutor) -> None:
        self._h = h
        self._pool = pool
        self._pending: Any = None

    def update(self, part: Any) -> None:
        self.finish()
        self._pending = self._pool.submit(self._h.update, part)

    def finish(self) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None


def _fingerprint_columns(pf: pq.ParquetFile, batch_rows: int, h: _Hasher) -> None:
    schema = pf.schema_arrow
    for index, name in enumerate(schema.names):
        if name.startswith("__index_level_"):
            continue
        dtype = schema.field(index).type
        kind = _kind(dtype)

        def batches(name: str = name, index: int = index) -> Iterator[pa.Array]:
            for batch in pf.iter_batches(batch_size=batch_rows, columns=[name]):
                column = batch.column(0)
                if pa.types.is_dictionary(column.type):
                    column = pc.cast(column, column.type.value_type)
                yield column

        if kind != "empty" and not any(c.null_count < len(c) for c in batches()):
            kind = "empty"
        if kind == "text" and not any(not _missing_text_batch(c).all() for c in batches()):
            kind = "empty"
        encoded = name.encode("utf-8")
        h.update(np.int64(len(encoded)).tobytes() + encoded + kind.encode() + b"\0")
        if kind == "number":
            for column in batches():
                values = _values(pc.cast(column, pa.float64(), safe=False), np.float64, np.nan)
                values[np.isnan(values)] = np.nan
                values[values == 0.0] = 0.0
                h.update(np.ascontiguousarray(values, dtype="<f8"))
        elif kind == "time":
            for column in batches():
                h.update(_bools(column.is_null()))
            for column in batches():
                ints = pc.cast(pc.cast(column, pa.timestamp("ns")), pa.int64())
                h.update(np.ascontiguousarray(_values(ints, np.int64, 0), dtype="<i8"))
        elif kind == "text":
            for column in batches():
                h.update(_missing_text_batch(column))
            for column in batches():
                h.update(np.ascontiguousarray(np.diff(_text_offsets(column)), dtype="<i8"))
            for column in batches():
                text = pc.cast(column, pa.large_string())
                offsets = _text_offsets(text)
                data = text.buffers()[2]
                if data is not None:
                    h.update(memoryview(data)[offsets[0] : offsets[-1]])
    h.finish()


# The streaming fingerprint reads Arrow's buffers through numpy views: Arrow's copying
# conversions, and any Python scalar handed to a compute function, load pandas, which
# would cost the checking child most of its start-up.


def _bools(mask: pa.Array) -> np.ndarray:
    """A boolean Arrow array (no nulls) as numpy booleans."""
    return pc.cast(mask, pa.uint8()).to_numpy(zero_copy_only=True).view(np.bool_)


def _values(array: pa.Array, dtype: Any, missing: Any) -> np.ndarray:
    """A fixed-width Arrow array's values as a new numpy array, ``missing`` where null."""
    data = np.frombuffer(array.buffers()[1], dtype=dtype)
    values = data[array.offset : array.offset + len(array)].copy()
    if array.null_count:
        values[_bools(array.is_null())] = missing
    return values


def _missing_text_batch(column: pa.Array) -> np.ndarray:
    """:func:`_missing_text` of one batch: missing, or no characters."""
    text = pc.cast(column, pa.large_string())
    return _bools(text.is_null()) | (np.diff(_text_offsets(text)) == 0)


def _text_offsets(column: pa.Array) -> np.ndarray:
    text = pc.cast(column, pa.large_string())
    return np.frombuffer(text.buffers()[1], dtype="<i8")[text.offset : text.offset + len(text) + 1]


# --- profile ----------------------------------------------------------------------------


def _py(value: Any) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


# A numeric column with more values than this, mostly distinct in its first rows, has its
# distinct values counted by sorting: a hash table that outgrows the CPU caches is slower.
_SORT_DISTINCT_MIN = 1 << 16


def _count_distinct(column: pa.ChunkedArray) -> int:
    """Exactly ``pc.count_distinct(column)``: non-null values, floats told apart bit for bit
    (as Arrow's hash kernels do: ``0.0`` and ``-0.0`` differ), faster on large columns."""
    dtype = column.type
    n_valid = len(column) - column.null_count
    if not (pa.types.is_integer(dtype) or pa.types.is_floating(dtype)) or (
        n_valid < _SORT_DISTINCT_MIN
    ):
        return int(pc.count_distinct(column).as_py())
    head = column.slice(0, _SORT_DISTINCT_MIN)
    if 2 * pc.count_distinct(head).as_py() < len(head) - head.null_count:
        return int(pc.count_distinct(column).as_py())  # few distinct values: hashing wins
    values = (column.drop_null() if column.null_count else column).to_numpy()
    if pa.types.is_floating(dtype):
        values = values.view(f"u{values.dtype.itemsize}")
    else:
        low, high = int(values.min()), int(values.max())
        if high - low < 4 * len(values):
            # Integers in a narrow range (ids, counts, codes): mark them in a table.
            if values.dtype.kind == "u":
                index = (values - values.dtype.type(low)).astype(np.intp)
            else:
                index = values.astype(np.int64) - low
            seen = np.zeros(high - low + 1, dtype=bool)
            seen[index] = True
            return int(np.count_nonzero(seen))
    ordered = np.sort(values)
    return 1 + int(np.count_nonzero(ordered[1:] != ordered[:-1]))


def _top_values(counts: pa.StructArray) -> list[dict[str, Any]]:
    """The TOP_VALUES most frequent entries of a ``value_counts`` result, most frequent
    first, ties in their order of appearance (what a stable sort of all entries gives)."""
    n = np.asarray(counts.field("counts").to_numpy(zero_copy_only=False), dtype=np.int64)
    if len(n) > TOP_VALUES:
        kth = np.partition(n, len(n) - TOP_VALUES)[len(n) - TOP_VALUES]
        candidates = np.flatnonzero(n >= kth)
    else:
        candidates = np.arange(len(n))
    chosen = candidates[np.argsort(-n[candidates], kind="stable")][:TOP_VALUES]
    values = counts.field("values").take(pa.array(chosen, type=pa.int64())).to_pylist()
    return [
        {"value": str(v), "count": int(c)} for v, c in zip(values, n[chosen].tolist(), strict=True)
    ]


def profile_column(name: str, column: pa.ChunkedArray) -> dict[str, Any]:
    """dtype, missing, distinct, min/max/mean/std, top values and a histogram for one column."""
    if pa.types.is_dictionary(column.type):  # pandas categoricals saved as Parquet
        column = pc.cast(column, column.type.value_type)
    kind = "empty" if column.null_count == len(column) else _kind(column.type)
    missing = int(_missing_mask(column).sum()) if kind != "empty" else len(column)
    value_counts = None
    if kind == "empty":
        distinct = 0
    elif kind == "text" and (
        pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
    ):
        # Text gets its top values anyway: one hashing pass gives both.
        value_counts = pc.value_counts(pc.drop_null(column))
        distinct = len(value_counts)
    else:
        distinct = _count_distinct(column)
    info: dict[str, Any] = {
        "name": name,
        "dtype": str(column.type),
        "kind": kind,
        "missing": missing,
        "distinct": distinct,
    }
    if kind == "number":
        values = _as_float(column).to_numpy(zero_copy_only=False)
        finite = values[np.isfinite(values)]
        if finite.size:
            info.update(
                min=_py(float(finite.min())),
                max=_py(float(finite.max())),
                mean=_py(float(finite.mean())),
                std=_py(float(finite.std(ddof=1))) if finite.size > 1 else 0.0,
            )
            counts, edges = np.histogram(finite, bins=HISTOGRAM_BINS)
            info["histogram"] = {"counts": counts.tolist(), "edges": edges.tolist()}
    if kind in ("text", "number") and info["distinct"] <= 50 or kind == "text":
        if value_counts is None:
            value_counts = pc.value_counts(pc.drop_null(column))
        info["top"] = _top_values(value_counts)
    return info


def profile(table: Columns) -> list[dict[str, Any]]:
    """The profile of every column, columns profiled side by side on up to four cores (the
    Arrow and numpy kernels release the GIL; each worker holds about three copies of one
    column, so the cap bounds memory on large machines)."""
    names = [n for n in table.column_names if not n.startswith("__index_level_")]
    workers = min(len(names), os.cpu_count() or 1, 4)
    if workers <= 1:
        return [profile_column(n, table.column(n)) for n in names]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="baton-profile") as pool:
        return list(pool.map(lambda n: profile_column(n, table.column(n)), names))


def describe(
    path: str | os.PathLike[str],
    *,
    role: str | None = None,
    target: str | None = None,
    id_column: str | None = None,
    sha256: str | None = None,
) -> dict[str, Any]:
    """Check and describe a dataset file; the record is ready for the catalog.

    ``sha256``: the file's digest when the caller hashed it already (while storing it)."""
    if role is not None and role not in ROLES:
        raise DatasetError(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
    path = Path(path)
    fmt = detect_format(path)
    table: Columns
    if fmt == "parquet" and path.is_file():
        # A column at a time: the checks, the profile and the fingerprint each read what
        # they need, so memory holds a column or two whatever the file's size.
        table = ParquetColumns(path)
        if table.num_rows == 0:
            raise DatasetError(
                f"{path.name} has no data rows; a dataset needs at least one row", path=str(path)
            )
        _check_mixed_types(path, table)
        _check_columns(table, path, fmt, target, id_column)
        try:
            content = fingerprint_parquet(path)
        except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
            raise _damaged_parquet(path, exc) from exc
    else:
        loaded = read_table(path)
        check_columns(loaded, target, id_column)
        table = loaded.table
        content = fingerprint(loaded.table)
    record = {
        "file_name": path.name,
        "format": fmt,
        "role": role,
        "sha256": sha256 or sha256_file(path),
        "fingerprint": content,
        "rows": table.num_rows,
        "columns": [
            {"name": f.name, "dtype": str(f.type)}
            for f in table.schema
            if not f.name.startswith("__index_level_")
        ],
        "target": target,
        "id_column": id_column,
        "profile": profile(table),
    }
    return record
