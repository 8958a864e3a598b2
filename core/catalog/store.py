"""The local catalog: SQLite through sqlite-utils, plus the object store beside it.

Settings (DESIGN.md section 1): WAL journal, ``synchronous=FULL``, a busy timeout,
``BEGIN IMMEDIATE`` for every write (so two app instances queue instead of failing with
"database is locked"), foreign keys on, ``quick_check`` when opened, FTS5 search over
models and datasets. Schema changes are named migrations recorded in ``migrations`` and
mirrored in ``PRAGMA user_version``; a catalog from a newer Baton is refused rather than
guessed at. One :class:`Catalog` belongs to one thread: the GUI gives it to a single
worker, as Anki does with its collection.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import sqlite_utils

from baton.core import jsonsafe
from baton.core.catalog.objects import ObjectStore
from baton.core.catalog.records import feature_names
from baton.core.errors import CatalogError, NotFound, UsageError
from baton.core.fsutil import sweep_temps

BUSY_TIMEOUT_MS = 30_000
# A sent handover's status while its bundle is being renamed into place, and after.
PACKING, PACKED = "packing", "packed"
# The catalog's JSON columns are Baton's own writing, so their cap only keeps damage from
# exhausting memory; a profile of a very wide dataset stays well under it.
MAX_JSON_COLUMN_CHARS = 256 * 2**20
DAMAGED_HINT = (
    "the catalog is damaged: restore catalog.db from a backup, or move it aside and run "
    "`baton init` to start a new one"
)
# Catalog.search ranks at most this many matches per table: see its docstring.
SEARCH_RANK_WINDOW = 2_000
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# What a listing or a search hit carries: enough to show and pick a row, without the large
# JSON parts (column profiles, introspection) that only a detail view needs.
SUMMARY_COLUMNS = {
    "models": "id, name, description, tags, file_name, format, framework, framework_version, "
    "estimator, task, params, size_bytes, sha256, created_at",
    "datasets": "id, name, description, tags, file_name, role, format, rows, target, "
    "id_column, sha256, fingerprint, created_at",
}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# --- migrations -------------------------------------------------------------------------


def _m001_initial(db: sqlite_utils.Database) -> None:
    db.table("models").create(
        {
            "id": str,
            "name": str,
            "description": str,
            "tags": str,
            "file_name": str,
            "format": str,
            "framework": str,
            "framework_version": str,
            "estimator": str,
            "task": str,
            "classes": str,
            "features": str,
            "params": int,
            "size_bytes": int,
            "sha256": str,
            "info": str,
            "safety": str,
            "created_at": str,
        },
        pk="id",
        not_null={"name", "format", "sha256", "created_at"},
    )
    db.table("models").create_index(["name"], unique=True)
    db.table("datasets").create(
        {
            "id": str,
            "name": str,
            "description": str,
            "tags": str,
            "role": str,
            "file_name": str,
            "format": str,
            "sha256": str,
            "fingerprint": str,
            "rows": int,
            "columns": str,
            "column_names": str,
            "target": str,
            "id_column": str,
            "profile": str,
            "created_at": str,
        },
        pk="id",
        not_null={"name", "format", "sha256", "fingerprint", "created_at"},
    )
    db.table("datasets").create_index(["name"], unique=True)
    db.table("models").enable_fts(
        ["name", "description", "tags", "estimator", "file_name"],
        fts_version="FTS5",
        create_triggers=True,
        tokenize="unicode61",
    )
    db.table("datasets").enable_fts(
        ["name", "description", "tags", "column_names", "file_name"],
        fts_version="FTS5",
        create_triggers=True,
        tokenize="unicode61",
    )


def _m002_trust_and_handovers(db: sqlite_utils.Database) -> None:
    db.table("trusted_keys").create(
        {
            "fingerprint": str,
            "name": str,
            "email": str,
            "public_pem": str,
            "trusted_at": str,
            "revoked_at": str,
            "revoked_reason": str,
        },
        pk="fingerprint",
        not_null={"name", "public_pem", "trusted_at"},
    )
    db.table("handovers").create(
        {
            "id": str,
            "direction": str,  # "sent" (packed here) or "received" (opened here)
            "name": str,
            "version": str,
            "root_digest": str,
            "signature_sha256": str,
            "signer_fingerprint": str,
            "path": str,
            "status": str,
            "contract": str,
            "created_at": str,
        },
        pk="id",
        not_null={"direction", "name", "version", "root_digest", "created_at"},
    )
    db.table("handovers").create_index(["direction", "name", "version"])
    db.table("reviews").create(
        {
            "id": str,
            "handover_id": str,
            "decision": str,
            "comment": str,
            "reviewer": str,
            "reviewer_fingerprint": str,
            "receipt": str,
            "created_at": str,
        },
        pk="id",
        foreign_keys=[("handover_id", "handovers", "id")],
        not_null={"handover_id", "decision", "created_at"},
    )


def _m003_measurements_and_contracts(db: sqlite_utils.Database) -> None:
    for table in ("evaluations", "profiles"):
        db.table(table).create(
            {
                "id": str,
                "model_id": str,
                "dataset_id": str,
                "predictions_sha256": str,
                "result": str,
                "created_at": str,
            },
            pk="id",
            foreign_keys=[("model_id", "models", "id"), ("dataset_id", "datasets", "id")],
            not_null={"model_id", "dataset_id", "result", "created_at"},
        )
        db.table(table).create_index(["model_id", "dataset_id", "created_at"])
    db.table("contracts").create(
        {
            "id": str,
            "name": str,
            "version": str,
            "model_id": str,
            "body": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("model_id", "models", "id")],
        not_null={"name", "version", "body", "created_at"},
    )
    db.table("contracts").create_index(["name", "version"], unique=True)


def _m004_reproductions(db: sqlite_utils.Database) -> None:
    db.table("reproductions").create(
        {
            "id": str,
            "root_digest": str,
            "name": str,
            "version": str,
            "result": str,
            "created_at": str,
        },
        pk="id",
        not_null={"root_digest", "result", "created_at"},
    )
    db.table("reproductions").create_index(["root_digest", "created_at"])


def _m005_search_prefixes_and_list_order(db: sqlite_utils.Database) -> None:
    """Prefix indexes for 1-3 letter prefixes, and indexes for the newest-first lists.

    Without a prefix index FTS5 answers ``"s"*`` by merging the entries of every word that
    starts with "s"; with 100 k models that alone takes tens of milliseconds per keystroke.
    FTS5 options cannot be altered, so each full-text table is created again (same name,
    columns, tokenizer and external content; the triggers that keep it in step refer to it by
    name and stay as they are) and rebuilt from its table.
    """
    for table in ("models", "datasets"):
        fts = f"{table}_fts"
        columns = [row[1] for row in db.execute(f"PRAGMA table_info([{fts}])").fetchall()]
        db.execute(f"DROP TABLE [{fts}]")
        db.execute(
            f"CREATE VIRTUAL TABLE [{fts}] USING FTS5 (\n"
            f"    {', '.join(f'[{c}]' for c in columns)},\n"
            "    tokenize='unicode61',\n"
            f"    content=[{table}],\n"
            "    prefix='1 2 3'\n"
            ")"
        )
        db.execute(f"INSERT INTO [{fts}]([{fts}]) VALUES('rebuild')")
        # list_models / list_datasets: ORDER BY created_at DESC, name, read from an index.
        db.execute(
            f"CREATE INDEX [idx_{table}_created_at_desc_name] ON [{table}] (created_at DESC, name)"
        )


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[sqlite_utils.Database], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial", _m001_initial),
    Migration(2, "trust_and_handovers", _m002_trust_and_handovers),
    Migration(3, "measurements_and_contracts", _m003_measurements_and_contracts),
    Migration(4, "reproductions", _m004_reproductions),
    Migration(5, "search_prefixes_and_list_order", _m005_search_prefixes_and_list_order),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


# --- the catalog ------------------------------------------------------------------------


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=True
    )
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise CatalogError(f"could not switch {path} to WAL journaling (got {mode})")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class Catalog:
    """The catalog of one Baton home: ``catalog.db`` plus ``objects/``."""

    def __init__(self, home: str | os.PathLike[str], *, migrate_to: int | None = None) -> None:
        self.home = Path(home)
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CatalogError(f"cannot create the Baton home {self.home}: {exc.strerror}") from exc
        self.path = self.home / "catalog.db"
        self.objects = ObjectStore(self.home / "objects")
        try:
            self.conn = _connect(self.path)
            self.db = sqlite_utils.Database(self.conn)
            self._check_integrity()
            self._migrate(SCHEMA_VERSION if migrate_to is None else migrate_to)
            self.objects.sweep()
            self._settle_interrupted_packs()
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(sqlite3.Error, AttributeError):
                self.conn.close()
            raise database_error(self.path, exc) from exc

    # -- housekeeping

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_integrity(self) -> None:
        rows = [r[0] for r in self.conn.execute("PRAGMA quick_check").fetchall()]
        if rows != ["ok"]:
            raise CatalogError(_damaged(self.path, "; ".join(map(str, rows[:3]))))

    def _settle_interrupted_packs(self) -> None:
        """Finish the books of packs that died between recording a bundle and renaming it.

        ``pack`` records its bundle as ``packing`` before the bundle file may appear, then
        marks it ``packed``. A ``packing`` row whose temp file nobody holds any more
        belongs to a run that died: if its file made it into place the catalog keeps it
        (``packed``), otherwise the row goes, and so do the run's temp files.
        """
        if "handovers" not in self.db.table_names():
            return
        rows = self.conn.execute(
            "select id, path from handovers where status = ?", [PACKING]
        ).fetchall()
        for row_id, path in rows:
            out = Path(path)
            if sweep_temps(out.parent, out.name):
                continue  # a live pack is still writing it
            self.settle_pack(row_id, placed=out.exists())

    def settle_pack(self, row_id: str, *, placed: bool) -> None:
        """A ``packing`` handover becomes ``packed`` if its bundle is in place, else goes."""
        with self.write() as db:
            if placed:
                db.execute(
                    "update handovers set status = ? where id = ? and status = ?",
                    [PACKED, row_id, PACKING],
                )
            else:
                db.execute("delete from handovers where id = ? and status = ?", [row_id, PACKING])

    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self, target: int) -> None:
        current = self.schema_version
        if current > SCHEMA_VERSION:
            raise CatalogError(
                f"the catalog {self.path} was written by a newer Baton (schema {current}, "
                f"this Baton knows up to {SCHEMA_VERSION}); upgrade Baton to open it"
            )
        for migration in MIGRATIONS:
            if current < migration.version <= target:
                with self.write():
                    # Re-read inside the write lock: another process may have migrated.
                    if self.schema_version >= migration.version:
                        continue
                    if "migrations" not in self.db.table_names():
                        self.db.table("migrations").create(
                            {"version": int, "name": str, "applied_at": str}, pk="version"
                        )
                    migration.apply(self.db)
                    self.db.table("migrations").insert(
                        {"version": migration.version, "name": migration.name, "applied_at": _now()}
                    )
                    self.conn.execute(f"PRAGMA user_version={migration.version}")

    def applied_migrations(self) -> list[dict]:
        if "migrations" not in self.db.table_names():
            return []
        return list(self.db.table("migrations").rows_where(order_by="version"))

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction taken with ``BEGIN IMMEDIATE`` (waits on the busy timeout)."""
        if self.conn.in_transaction:
            with self.db.atomic():
                yield self.db
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                if self.conn.in_transaction:  # SQLite may have rolled back already
                    self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise database_error(self.path, exc) from exc

    @contextlib.contextmanager
    def all_or_nothing(self) -> Iterator[None]:
        """One transaction around a run of work that writes as it goes (a pack's imports
        and measurements): it all commits at :meth:`commit`, or at the end, or nothing does.

        Inside it, :meth:`write` blocks are savepoints. Nested, it joins the outer one.
        """
        if self.conn.in_transaction:
            yield
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            if self.conn.in_transaction:  # not committed early
                self.conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise database_error(self.path, exc) from exc

    def commit(self) -> None:
        """Commit the open :meth:`all_or_nothing` transaction now (no-op outside one)."""
        if self.conn.in_transaction:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                raise database_error(self.path, exc) from exc

    # -- models and datasets

    def _check_new_name(self, table: str, name: str) -> None:
        if not NAME_RE.match(name):
            raise UsageError(
                f"{name!r} is not a usable name: use 1 to 64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        if self.db.table(table).count_where("name = ?", [name]):
            kind = table[:-1]
            raise UsageError(
                f"a {kind} named {name!r} is already in the catalog; choose another --name"
            )

    def add_model(self, record: dict[str, Any]) -> dict:
        """Insert a model record (already introspected; its file already in the store)."""
        row = _encode(record)
        row.setdefault("id", uuid.uuid4().hex)
        row.setdefault("created_at", _now())
        with self.write() as db:
            self._check_new_name("models", row["name"])
            db.table("models").insert(row)
        return self.get_model(row["name"])

    def add_dataset(self, record: dict[str, Any]) -> dict:
        row = _encode(record)
        row.setdefault("id", uuid.uuid4().hex)
        row.setdefault("created_at", _now())
        row["column_names"] = " ".join(c["name"] for c in record.get("columns", []))
        with self.write() as db:
            self._check_new_name("datasets", row["name"])
            db.table("datasets").insert(row)
        return self.get_dataset(row["name"])

    def bind_features(self, model: dict, features: list[dict], source: str) -> dict:
        """Record the names of a model's input features and where they came from, once:
        binding the same names again changes nothing, other names are refused."""
        names = feature_names(features)
        if not names:
            raise UsageError("every input feature needs a name to bind the features")
        with self.write() as db:
            current = self.get_model(model["id"])
            bound = feature_names(current.get("features"))
            if bound == names:
                return current
            if bound:
                info = current.get("info") or {}
                raise UsageError(
                    f"the model {current['name']!r} already reads its features as "
                    f"{', '.join(bound[:12])}{' …' if len(bound) > 12 else ''} (from "
                    f"{info.get('features_source') or 'the model'}); Baton does not rename "
                    "them: import the model again under another name to name them otherwise"
                )
            if len(current.get("features") or []) != len(names):
                raise UsageError(
                    f"the model {current['name']!r} reads {len(current.get('features') or [])} "
                    f"input features, not {len(names)}"
                )
            info = {**(current.get("info") or {}), "features_source": source}
            db.table("models").update(current["id"], _encode({"features": features, "info": info}))
        return self.get_model(model["id"])

    def _get(self, table: str, name_or_id: str) -> dict:
        rows = list(
            self.db.table(table).rows_where("name = ? OR id = ?", [name_or_id, name_or_id], limit=1)
        )
        if not rows:
            kind = table[:-1]
            known = [r["name"] for r in self.db.table(table).rows_where(select="name", limit=20)]
            hint = (
                f" Known {table}: {', '.join(known)}."
                if known
                else f" The catalog has no {table} yet."
            )
            raise NotFound(f"no {kind} named {name_or_id!r} in the catalog.{hint}")
        return _decode(rows[0], table)

    def get_model(self, name_or_id: str) -> dict:
        return self._get("models", name_or_id)

    def get_dataset(self, name_or_id: str) -> dict:
        return self._get("datasets", name_or_id)

    def _list(self, table: str, limit: int | None, offset: int, summary: bool) -> list[dict]:
        rows = self.db.table(table).rows_where(
            select=SUMMARY_COLUMNS[table] if summary else "*",
            order_by="created_at desc, name",
            limit=limit,
            offset=offset,
        )
        return [_decode(r, table) for r in rows]

    def list_models(
        self, limit: int | None = None, offset: int = 0, *, summary: bool = False
    ) -> list[dict]:
        """Models, newest first; ``summary`` leaves out the large JSON parts."""
        return self._list("models", limit, offset, summary)

    def list_datasets(
        self, limit: int | None = None, offset: int = 0, *, summary: bool = False
    ) -> list[dict]:
        """Datasets, newest first; ``summary`` leaves out the column profiles."""
        return self._list("datasets", limit, offset, summary)

    def add_measurement(
        self,
        table: str,
        model: dict,
        dataset: dict,
        result: dict,
        predictions_sha256: str | None = None,
    ) -> dict:
        """Record an evaluation or a profile of ``model`` on ``dataset``."""
        row = {
            "id": uuid.uuid4().hex,
            "model_id": model["id"],
            "dataset_id": dataset["id"],
            "predictions_sha256": predictions_sha256,
            "result": json.dumps(result, sort_keys=True),
            "created_at": _now(),
        }
        with self.write() as db:
            db.table(table).insert(row)
        return _decode(row, table)

    def latest_measurement(self, table: str, model: dict, dataset: dict) -> dict | None:
        rows = list(
            self.db.table(table).rows_where(
                "model_id = ? and dataset_id = ?",
                [model["id"], dataset["id"]],
                order_by="created_at desc, rowid desc",
                limit=1,
            )
        )
        return _decode(rows[0], table) if rows else None

    def evaluation_with_predictions(self, model: dict, dataset: dict, sha: str) -> dict | None:
        """The evaluation of ``model`` on ``dataset`` that stored the predictions ``sha``."""
        rows = list(
            self.db.table("evaluations").rows_where(
                "model_id = ? and dataset_id = ? and predictions_sha256 = ?",
                [model["id"], dataset["id"], sha],
                order_by="created_at desc, rowid desc",
                limit=1,
            )
        )
        return _decode(rows[0], "evaluations") if rows else None

    def handover_history(self) -> list[dict]:
        """Every bundle packed or received here, oldest first: direction, name, version,
        root digest and signer fingerprint (what the rollback check compares with)."""
        return list(
            self.db.table("handovers").rows_where(
                select="direction, name, version, root_digest, signer_fingerprint",
                order_by="created_at, rowid",
            )
        )

    def count(self, table: str) -> int:
        return self.db.table(table).count

    def search(self, text: str, limit: int = 50) -> list[dict]:
        """Full-text search over models and datasets; every word matches as a prefix.

        Hits are ordered by FTS5's ``rank`` (bm25) across both tables. Ranking costs about a
        microsecond per matching entry, so when a query matches more than
        ``SEARCH_RANK_WINDOW`` entries of a table (one or two letters typed into the search
        box match most of a large catalog), only the most recently added
        ``SEARCH_RANK_WINDOW`` of them are ranked; a query that matches fewer is ranked over
        all its matches. Hits carry the summary columns (``SUMMARY_COLUMNS``) plus ``kind``;
        fetch the full record with :meth:`get_model` / :meth:`get_dataset`.
        """
        query = fts_query(text)
        if not query:
            return []
        window = max(SEARCH_RANK_WINDOW, limit)
        candidates: list[tuple[float, str, int]] = []
        for table in ("models", "datasets"):
            fts = f"{table}_fts"
            matches = self.conn.execute(
                f"select count(*) from (select rowid from {fts} where {fts} match ? limit ?)",
                [query, window + 1],
            ).fetchone()[0]
            if matches <= window:
                sql = f"select rowid, rank from {fts} where {fts} match ? order by rank limit ?"
                args: list[Any] = [query, limit]
            else:
                sql = (
                    f"select rowid, r from (select rowid, rank as r from {fts} "
                    f"where {fts} match ? order by rowid desc limit ?) order by r limit ?"
                )
                args = [query, window, limit]
            candidates += [(rank, table, rowid) for rowid, rank in self.conn.execute(sql, args)]
        candidates.sort(key=lambda c: c[0])  # stable: models before datasets on equal rank
        chosen = candidates[:limit]
        rows: dict[tuple[str, int], dict] = {}
        for table in ("models", "datasets"):
            ids = [rowid for _, t, rowid in chosen if t == table]
            for start in range(0, len(ids), 500):  # well under SQLite's variable limit
                part = ids[start : start + 500]
                cursor = self.conn.execute(
                    f"select rowid, {SUMMARY_COLUMNS[table]} from {table} "
                    f"where rowid in ({', '.join('?' * len(part))})",
                    part,
                )
                cols = [d[0] for d in cursor.description][1:]
                for row in cursor.fetchall():
                    rows[(table, row[0])] = dict(zip(cols, row[1:], strict=True))
        hits: list[dict] = []
        for _, table, rowid in chosen:
            row = rows.get((table, rowid))
            if row is None:
                continue  # not in the table (only if the index and the table disagree)
            record = _decode(row, table)
            record["kind"] = table[:-1]
            hits.append(record)
        return hits


def fts_query(text: str) -> str:
    """Turn what a user types into a safe FTS5 query: each word quoted, prefix-matched."""
    words = re.findall(r"\w+", text, flags=re.UNICODE)
    return " ".join(f'"{w}"*' for w in words)


# Each JSON column and the type its value has; None stands for SQL NULL, never decoded.
_JSON_FIELDS: dict[str, type | tuple[type, ...]] = {
    "tags": list,
    "classes": (list, type(None)),
    "features": list,
    "info": dict,
    "safety": dict,
    "columns": list,
    "profile": list,
    "contract": dict,
    "receipt": dict,
    "result": dict,
    "body": dict,
}
_INTEGER_COLUMNS = frozenset({"params", "size_bytes", "rows"})
_STORED = {str: "text", bytes: "bytes", int: "a number", float: "a decimal number"}


def _encode(record: dict[str, Any]) -> dict[str, Any]:
    row = dict(record)
    for key in _JSON_FIELDS:
        if key in row and not isinstance(row[key], str | None):
            row[key] = json.dumps(row[key], sort_keys=True)
    return row


def _row_label(table: str, row: dict[str, Any]) -> str:
    name, row_id = row.get("name"), row.get("id")
    ident = f"(id {jsonsafe.visible(str(row_id), 64)})" if row_id is not None else ""
    if isinstance(name, str):
        return f"the catalog's {table} row {name[:64]!r} {ident}".rstrip()
    return f"the catalog's {table} row {ident}".rstrip()


def _decode(row: dict[str, Any], table: str) -> dict[str, Any]:
    """A catalog row as Python values, its JSON columns parsed and every column's type
    checked, so damage on disk is one :class:`CatalogError` naming the row and column."""
    record = dict(row)
    for key, value in row.items():
        if value is None:
            continue
        expected = str if key not in _INTEGER_COLUMNS else int
        if type(value) is not expected:
            wanted = "JSON text" if key in _JSON_FIELDS else _STORED[expected]
            raise CatalogError(
                f"{_row_label(table, row)}: {key} holds "
                f"{_STORED.get(type(value), type(value).__name__)} where {wanted} belongs; "
                f"{DAMAGED_HINT}"
            )
        if key in _JSON_FIELDS and isinstance(value, str):  # JSON columns are text, checked above
            record[key] = jsonsafe.loads(
                value,
                source=f"{_row_label(table, row)}: {key}",
                error=CatalogError,
                expect=_JSON_FIELDS[key],
                max_bytes=MAX_JSON_COLUMN_CHARS,
                hint=DAMAGED_HINT,
                path=table,
            )
    record.pop("column_names", None)
    return record


def _damaged(path: Path, reason: str) -> str:
    return (
        f"the catalog {path} is damaged ({jsonsafe.visible(reason, 120)}): restore it from a "
        "backup, or move it aside and run `baton init` to start a new one; the object store "
        "in objects/ is untouched"
    )


def is_database_error(exc: BaseException) -> TypeGuard[sqlite3.DatabaseError]:
    """Whether ``exc`` is SQLite saying the database file is damaged, full or locked."""
    return isinstance(exc, sqlite3.DatabaseError)


def database_error(path: Path, exc: sqlite3.Error) -> CatalogError:
    """What an SQLite failure on the catalog at ``path`` means for the user."""
    code = getattr(exc, "sqlite_errorname", None) or ""
    text = str(exc)
    if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or text.startswith(
        "Could not decode to UTF-8"  # a text value whose bytes were damaged
    ):
        message = _damaged(path, text)
    elif code.startswith("SQLITE_FULL"):
        message = (
            f"no space left on device while writing the catalog {path}; free space and try again"
        )
    elif code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        message = (
            f"the catalog {path} stayed locked by another Baton for {BUSY_TIMEOUT_MS // 1000} s; "
            "try again when it has finished"
        )
    else:
        message = (
            f"the catalog {path} cannot be used ({jsonsafe.visible(text, 120)}); check that its "
            "folder is writable and its disk is healthy"
        )
    return CatalogError(message, path=str(path))


def sent_handovers(catalog: Catalog, limit: int | None = 500) -> list[dict[str, Any]]:
    """Bundles packed here, newest first, each with the latest review recorded against it.

    Each row: ``id``, ``name``, ``version``, ``status``, ``path``, ``root_digest``,
    ``signer_fingerprint``, ``created_at``, and from the newest review (``None`` before
    any receipt came back): ``decision``, ``reviewer``, ``reviewer_fingerprint``,
    ``review_comment``, ``decided_at``.
    """
    cursor = catalog.conn.execute(
        "select h.id, h.name, h.version, h.status, h.path, h.root_digest, "
        "h.signer_fingerprint, h.created_at, r.decision, r.reviewer, "
        "r.reviewer_fingerprint, r.comment as review_comment, r.created_at as decided_at "
        "from handovers h left join reviews r on r.id = ("
        "  select id from reviews where handover_id = h.id "
        "  order by created_at desc, rowid desc limit 1) "
        "where h.direction = 'sent' order by h.created_at desc, h.rowid desc limit ?",
        [-1 if limit is None else limit],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
