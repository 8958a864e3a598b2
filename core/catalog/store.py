"""The local catalog: SQLite through sqlite-utils, plus the object store beside it.

Settings (DESIGN.md section 1): WAL journal, ``synchronous=FULL``, a busy timeout,
``BEGIN IMMEDIATE`` for every write (so two app instances queue instead of failing with
"database is locked"), foreign keys on, FTS5 search over models and datasets.
``quick_check`` runs when a previous session ended without closing the catalog (a crash,
``kill -9``, a power cut; see sessions.py) and whenever :meth:`Catalog.check` is asked
(``baton doctor``): at 100 k models it costs a fifth of a second, too much for every
command. Schema changes are named migrations recorded in ``migrations`` and mirrored in
``PRAGMA user_version``; a catalog from a newer Baton is refused rather than guessed at. One :class:`Catalog` belongs to one thread: the GUI gives it to a single
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
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeGuard, cast

from baton.core import jsonsafe
from baton.core.catalog.drafts import Drafts
from baton.core.catalog.handovers import Handovers
from baton.core.catalog.migrations import MIGRATIONS, SCHEMA_VERSION, SEARCH_INDEX_VERSION
from baton.core.catalog.records import feature_names
from baton.core.catalog.rows import decode, encode, timestamp
from baton.core.catalog.sessions import Session, sweep_dead
from baton.core.catalog.trusted_keys import TrustedKeys
from baton.core.errors import CatalogError, NotFound, UsageError
from baton.core.lean_imports import held_out

if TYPE_CHECKING:  # sqlite-utils is imported on first use (Catalog.db): only writes need it
    import sqlite_utils

    from baton.core.catalog.objects import ObjectStore

BUSY_TIMEOUT_MS = 30_000
# A sent handover's status while its bundle is being renamed into place, and after.
PACKING, PACKED = "packing", "packed"
# Where each open catalog holds its lock file (see sessions.py).
SESSIONS_DIR = "sessions"
# Page cache per connection (KiB, as a negative cache_size): ranking a broad search reads
# the full-text index and its document sizes, several MB at 100 k models.
CACHE_KIB = 32 * 1024
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# What a listing or a search hit carries: enough to show and pick a row, without the large
# JSON parts (column profiles, introspection) that only a detail view needs.
SUMMARY_COLUMNS = {
    "models": "id, name, description, tags, file_name, format, framework, framework_version, "
    "estimator, task, params, size_bytes, sha256, created_at",
    "datasets": "id, name, description, tags, file_name, role, format, rows, target, "
    "id_column, sha256, fingerprint, created_at",
}


# --- migrations -------------------------------------------------------------------------


# --- the catalog ------------------------------------------------------------------------


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=True
    )
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    mode = _switch_to_wal(conn)
    if str(mode).lower() != "wal":
        raise CatalogError(f"could not switch {path} to WAL journaling (got {mode})")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    return conn


def _switch_to_wal(conn: sqlite3.Connection) -> str:
    """``PRAGMA journal_mode=WAL``, waiting for other connections as a write would.

    While another connection creates the file or switches it, the pragma fails at once with
    SQLITE_BUSY: SQLite does not call the busy handler for it. Two Batons opening a new
    home at the same moment then failed, one saying the catalog "stayed locked for 30 s".
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode=WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


class Catalog:
    """The catalog of one Baton home: ``catalog.db`` plus ``objects/``."""

    def __init__(
        self,
        home: str | os.PathLike[str],
        *,
        migrate_to: int | None = None,
        check: bool = False,
    ) -> None:
        """Open (or create) the catalog of ``home``; ``check`` runs the integrity check
        even after a clean shutdown (``integrity_checked`` says whether it ran).

        A new catalog is built in one step (:mod:`~baton.core.catalog.schema`); with
        ``migrate_to`` it goes through the migrations up to that version instead, one by
        one, as an existing catalog does."""
        self.home = Path(home)
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CatalogError(f"cannot create the Baton home {self.home}: {exc.strerror}") from exc
        self.path = self.home / "catalog.db"
        self._objects: ObjectStore | None = None
        self.handovers = Handovers(self)
        self.drafts = Drafts(self)
        self.trusted_keys = TrustedKeys(self)
        self._db: sqlite_utils.Database | None = None
        self._session: Session | None = None
        self._search_indexed = False  # until the schema has the index (migration 9)
        unclean = self._start_session()
        self.integrity_checked = False
        try:
            self.conn = _connect(self.path)
            if check or unclean:
                self._check_integrity()
            if migrate_to is not None or not self._create_schema():
                self._migrate(SCHEMA_VERSION if migrate_to is None else migrate_to)
            self._search_indexed = self.schema_version >= SEARCH_INDEX_VERSION
            self._settle_interrupted_packs()
        except sqlite3.DatabaseError as exc:
            self._abandon()
            raise database_error(self.path, exc) from exc
        except BaseException:
            self._abandon()
            raise

    # -- housekeeping

    @property
    def db(self) -> sqlite_utils.Database:
        """The connection wrapped by sqlite-utils, imported on first use: reads that list
        and search go through ``conn`` and stay off its import time."""
        if self._db is None:
            # sqlite-utils would import pandas and numpy (half a second) to type columns
            # from their values; Baton creates every table with declared types.
            with held_out(("pandas", "numpy")):
                import sqlite_utils

            # Without sqlite-utils' plugins: finding them scans every installed package's
            # entry points (25 ms), and a plugin would run its code on the catalog's
            # connection.
            self._db = sqlite_utils.Database(self.conn, execute_plugins=False)
        return self._db

    @property
    def objects(self) -> ObjectStore:
        """The object store, opened (and its dead temp files swept) on first use."""
        if self._objects is None:
            from baton.core.catalog.objects import ObjectStore

            self._objects = ObjectStore(self.home / "objects")
            self._objects.sweep()
        return self._objects

    def close(self) -> None:
        self.conn.close()
        if self._session is not None:
            self._session.close()  # a clean close: the next session need not check

    def _abandon(self) -> None:
        """Let go of a catalog that failed to open, as a session that did not end well:
        the next open checks it again."""
        with contextlib.suppress(sqlite3.Error, AttributeError):
            self.conn.close()
        if self._session is not None:
            self._session.close(clean=False)

    def _start_session(self) -> bool:
        """Hold this session's locked file; True if an earlier session died holding one.

        The lock, not the file, tells a live session (another window, a command running
        beside it) from one that ended without :meth:`close`: the operating system drops
        the lock of a process that dies. A new catalog has nothing to check.
        """
        folder = self.home / SESSIONS_DIR
        dead = sweep_dead(folder)
        try:
            self._session = Session(folder)
        except OSError as exc:
            raise CatalogError(
                f"cannot write in the Baton home {self.home}: {exc.strerror}; check that the "
                "folder is writable",
                path=str(self.home),
            ) from exc
        return dead > 0 and self.path.exists()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_integrity(self) -> None:
        rows = [r[0] for r in self.conn.execute("PRAGMA quick_check").fetchall()]
        if rows != ["ok"]:
            raise CatalogError(_damaged(self.path, "; ".join(map(str, rows[:3]))))
        self.integrity_checked = True

    def check(self) -> list[dict[str, Any]]:
        """Check the catalog as ``baton doctor`` does: each check's name, what it looked
        at, and ``ok`` with a ``problem`` if not. Checks that SQLite refuses to run on a
        damaged file count as failed, with SQLite's words."""
        checks: list[dict[str, Any]] = []

        def run(name: str, what: str, probe: Any) -> None:
            try:
                problem = probe()
            except sqlite3.DatabaseError as exc:
                problem = jsonsafe.visible(str(exc), 200)
            checks.append({"check": name, "what": what, "ok": not problem, "problem": problem})

        def quick() -> str:
            rows = [str(r[0]) for r in self.conn.execute("PRAGMA quick_check").fetchall()]
            return "" if rows == ["ok"] else "; ".join(rows[:3])

        def foreign_keys() -> str:
            rows = self.conn.execute("PRAGMA foreign_key_check").fetchall()
            return "" if not rows else f"{len(rows)} rows name a missing {rows[0][2]} row"

        def fts(table: str) -> Any:
            def probe() -> str:
                if f"{table}_fts" not in self._table_names():
                    return f"the search index {table}_fts is missing"
                # 'integrity-check' with rank 1 also compares the index with its table.
                self.conn.execute(
                    f"INSERT INTO [{table}_fts]([{table}_fts], rank) VALUES('integrity-check', 1)"
                )
                return ""

            return probe

        def schema() -> str:
            applied = [m["version"] for m in self.applied_migrations()]
            if self.schema_version != SCHEMA_VERSION or applied[-1:] != [SCHEMA_VERSION]:
                return (
                    f"schema {self.schema_version}, migrations {applied}; this Baton expects "
                    f"{SCHEMA_VERSION}"
                )
            return ""

        run("integrity", "every page and index of catalog.db (PRAGMA quick_check)", quick)
        run(
            "foreign keys",
            "every row that names another row (PRAGMA foreign_key_check)",
            foreign_keys,
        )
        for table in ("models", "datasets"):
            run(
                f"{table} search index",
                f"the full-text index of {table} against its rows",
                fts(table),
            )
        if self._search_indexed:
            from baton.core.catalog import search_index

            run(
                "short-word search",
                "the side index of words of up to three letters against the full-text indexes",
                lambda: search_index.problem(self.conn),
            )
        run("schema", f"the applied migrations against schema {SCHEMA_VERSION}", schema)
        self.integrity_checked = True
        return checks

    def _select(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Rows of a query as dicts (column name to value), read through ``conn``."""
        cursor = self.conn.execute(sql, params)
        cols = [d[0] for d in cursor.description]
        return [dict(zip(cols, row, strict=True)) for row in cursor.fetchall()]

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        """Insert one row (values already encoded) through ``conn``."""
        cols = ", ".join(f"[{c}]" for c in row)
        self.conn.execute(
            f"insert into [{table}] ({cols}) values ({', '.join('?' * len(row))})",
            list(row.values()),
        )

    def _table_names(self) -> set[str]:
        return {
            r[0] for r in self.conn.execute("select name from sqlite_master where type = 'table'")
        }

    def _settle_interrupted_packs(self) -> None:
        """Finish the books of packs that died between recording a bundle and renaming it.

        ``pack`` records its bundle as ``packing`` before the bundle file may appear, then
        marks it ``packed``. A ``packing`` row whose temp file nobody holds any more
        belongs to a run that died: if its file made it into place the catalog keeps it
        (``packed``), otherwise the row goes, and so do the run's temp files.
        """
        if "handovers" not in self._table_names():
            return
        rows = self.conn.execute(
            "select id, path from handovers where status = ?", [PACKING]
        ).fetchall()
        if not rows:
            return
        from baton.core.fsutil import sweep_temps  # a rare path: kept off every open's

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

    def _create_schema(self) -> bool:
        """Build a new, empty catalog's schema in one step (:mod:`~baton.core.catalog.schema`)
        rather than migration by migration; False if the catalog is not new."""
        if self.schema_version != 0:
            return False
        from baton.core.catalog import schema

        with self.write():
            # Re-read inside the write lock: another process may have built it meanwhile.
            if self.schema_version != 0 or self._table_names():
                return self.schema_version == SCHEMA_VERSION
            schema.create(self.conn, [(m.version, m.name) for m in MIGRATIONS], timestamp())
        return True

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
                        {
                            "version": migration.version,
                            "name": migration.name,
                            "applied_at": timestamp(),
                        }
                    )
                    self.conn.execute(f"PRAGMA user_version={migration.version}")

    def applied_migrations(self) -> list[dict]:
        if "migrations" not in self._table_names():
            return []
        cursor = self.conn.execute("select * from migrations order by version")
        cols = [d[0] for d in cursor.description]
        return [dict(zip(cols, row, strict=True)) for row in cursor]

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction taken with ``BEGIN IMMEDIATE`` (waits on the busy timeout).

        Nested, it is a savepoint. What it yields is :attr:`db`, imported only when a
        block uses it: a block that writes through :meth:`_insert` and ``conn`` (recording
        a received bundle) keeps `baton verify` off sqlite-utils' import of pandas.
        """
        lazy = cast("sqlite_utils.Database", _LazyDatabase(self))
        if self.conn.in_transaction:
            savepoint = f"baton_{uuid.uuid4().hex}"
            self.conn.execute(f"SAVEPOINT {savepoint}")
            try:
                yield lazy
            except BaseException:
                if self.conn.in_transaction:  # a trigger may have ended the transaction
                    self.conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                    self.conn.execute(f"RELEASE SAVEPOINT {savepoint}")
                raise
            self.conn.execute(f"RELEASE SAVEPOINT {savepoint}")
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield lazy
                self._catch_up_search()
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
                if self.conn.in_transaction:
                    self._catch_up_search()
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
                self._catch_up_search()
                self.conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                raise database_error(self.path, exc) from exc

    def _catch_up_search(self) -> None:
        """Before a commit: the short-word search index takes in the rows just added
        (:mod:`~baton.core.catalog.search_index`), in the same transaction.

        The index only speeds search up, so it never fails a write: if indexing fails, its
        part is undone and the index stays behind the catalog, which keeps it unread
        (search ranks with FTS5) until a later write catches it up."""
        if not self._search_indexed:
            return
        from baton.core.catalog import search_index

        self.conn.execute("SAVEPOINT baton_search_index")
        try:
            search_index.catch_up(self.conn)
        except sqlite3.Error:
            self.conn.execute("ROLLBACK TO SAVEPOINT baton_search_index")
        self.conn.execute("RELEASE SAVEPOINT baton_search_index")

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
        row = encode(record)
        row.setdefault("id", uuid.uuid4().hex)
        row.setdefault("created_at", timestamp())
        with self.write() as db:
            self._check_new_name("models", row["name"])
            db.table("models").insert(row)
        return self.get_model(row["name"])

    def add_dataset(self, record: dict[str, Any]) -> dict:
        row = encode(record)
        row.setdefault("id", uuid.uuid4().hex)
        row.setdefault("created_at", timestamp())
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
            db.table("models").update(current["id"], encode({"features": features, "info": info}))
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
        return decode(rows[0], table)

    def get_model(self, name_or_id: str) -> dict:
        return self._get("models", name_or_id)

    def get_dataset(self, name_or_id: str) -> dict:
        return self._get("datasets", name_or_id)

    def model_names_with_sha256(self, sha256: str) -> list[str]:
        """The catalog models made from the file with this digest (each read another way)."""
        rows = self.db.table("models").rows_where("sha256 = ?", [sha256], select="name")
        return [r["name"] for r in rows]

    def dataset_read_alike(
        self, sha256: str, target: str | None, id_column: str | None
    ) -> str | None:
        """The name of a dataset imported from the file with this digest and read with this
        target and id column, or None."""
        rows = list(
            self.db.table("datasets").rows_where(
                "sha256 = ? and coalesce(target, '') = ? and coalesce(id_column, '') = ?",
                [sha256, target or "", id_column or ""],
                select="name",
                limit=1,
            )
        )
        return rows[0]["name"] if rows else None

    def free_name(self, table: Literal["models", "datasets"], base: str) -> str:
        """``base``, or ``base-2``, ``base-3``… whichever no record of ``table`` has yet."""
        name, n = base, 2
        while self.db.table(table).count_where("name = ?", [name]):
            name, n = f"{base}-{n}", n + 1
        return name

    def _iter(self, table: str, limit: int | None, offset: int, summary: bool) -> Iterator[dict]:
        # Read from the (created_at DESC, name) index, so the first row comes at once.
        cursor = self.conn.execute(
            f"select {SUMMARY_COLUMNS[table] if summary else '*'} from {table} "
            "order by created_at desc, name limit ? offset ?",
            [-1 if limit is None else limit, offset],
        )
        cols = [d[0] for d in cursor.description]
        while rows := cursor.fetchmany(256):
            for row in rows:
                yield decode(dict(zip(cols, row, strict=True)), table)

    def iter_models(
        self, limit: int | None = None, offset: int = 0, *, summary: bool = False
    ) -> Iterator[dict]:
        """Models, newest first, read as they are consumed (a listing of every model
        holds one page of rows at a time); ``summary`` leaves out the large JSON parts.
        Consume it before the next write on this catalog."""
        return self._iter("models", limit, offset, summary)

    def iter_datasets(
        self, limit: int | None = None, offset: int = 0, *, summary: bool = False
    ) -> Iterator[dict]:
        """Datasets, newest first, as :meth:`iter_models` reads models."""
        return self._iter("datasets", limit, offset, summary)

    def list_models(
        self, limit: int | None = None, offset: int = 0, *, summary: bool = False
    ) -> list[dict]:
        """Models, newest first; ``summary`` leaves out the large JSON parts."""
        return list(self.iter_models(limit, offset, summary=summary))

    def list_datasets(
        self, limit: int | None = None, offset: int = 0, *, summary: bool = False
    ) -> list[dict]:
        """Datasets, newest first; ``summary`` leaves out the column profiles."""
        return list(self.iter_datasets(limit, offset, summary=summary))

    def list_dataset_choices(self, limit: int | None = None, offset: int = 0) -> list[dict]:
        """Datasets, newest first, with their summary columns and their column list but
        not their profiles: what offering a dataset for a model needs, read quickly from a
        catalog of thousands of profiled datasets."""
        rows = self.db.table("datasets").rows_where(
            select=f"{SUMMARY_COLUMNS['datasets']}, columns",
            order_by="created_at desc, name",
            limit=limit,
            offset=offset,
        )
        return [decode(r, "datasets") for r in rows]

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
            "created_at": timestamp(),
        }
        with self.write() as db:
            db.table(table).insert(row)
        return decode(row, table)

    def latest_measurement(self, table: str, model: dict, dataset: dict) -> dict | None:
        rows = list(
            self.db.table(table).rows_where(
                "model_id = ? and dataset_id = ?",
                [model["id"], dataset["id"]],
                order_by="created_at desc, rowid desc",
                limit=1,
            )
        )
        return decode(rows[0], table) if rows else None

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
        return decode(rows[0], "evaluations") if rows else None

    def baseline_profile(self, sha256: str, key: str) -> dict | None:
        """The baseline profile kept for the stored bytes ``sha256`` read as ``key`` says."""
        row = self.conn.execute(
            "select sha256, key, baseline from baseline_profiles where sha256 = ? and key = ?",
            [sha256, key],
        ).fetchone()
        if row is None:
            return None
        return decode(
            dict(zip(("sha256", "key", "baseline"), row, strict=True)), "baseline_profiles"
        )["baseline"]

    def keep_baseline_profile(self, sha256: str, key: str, profile: dict) -> None:
        """Keep ``profile`` for :meth:`baseline_profile` (replacing an older one)."""
        with self.write() as db:
            db.table("baseline_profiles").upsert(
                encode({"sha256": sha256, "key": key, "baseline": profile})
                | {"created_at": timestamp()},
                pk=("sha256", "key"),
            )

    def last_measured_dataset_id(self, model_id: str) -> str | None:
        """The dataset of the model's most recent evaluation or profile, if any."""
        best: tuple[str, str] | None = None
        for table in ("evaluations", "profiles"):
            rows = list(
                self.db.table(table).rows_where(
                    "model_id = ?",
                    [model_id],
                    select="dataset_id, created_at",
                    order_by="created_at desc, rowid desc",
                    limit=1,
                )
            )
            if rows and (best is None or rows[0]["created_at"] > best[1]):
                best = (rows[0]["dataset_id"], rows[0]["created_at"])
        return best[0] if best else None

    def handover_history(self) -> list[dict]:
        """Every bundle packed or received here, oldest first: direction, name, version,
        root digest and signer fingerprint (what the rollback check compares with)."""
        if "handovers" not in self._table_names():
            return []
        return self._select(
            "select direction, name, version, root_digest, signer_fingerprint from handovers "
            "order by created_at, rowid"
        )

    def count(self, table: str) -> int:
        if table not in self._table_names():
            raise UsageError(f"the catalog has no table {table!r} to count")
        return int(self.conn.execute(f"select count(*) from [{table}]").fetchone()[0])

    def search(self, text: str, limit: int = 50) -> list[dict]:
        """Full-text search over models and datasets; every word matches as a prefix.

        Hits are ordered by FTS5's bm25 (the tables' ``rank``) computed over every match of
        each table (SQLite keeps only the best ``limit`` while it ranks), then merged across
        the two tables, models first on equal rank. Ranking costs about half a microsecond
        per match; a word of one to three letters, which can match most of a large catalog
        (at 100 000 models, "s" matches 98 000: 55 ms), is ranked from a side index to the
        same result (:mod:`~baton.core.catalog.search_index`).
        Hits carry the summary columns (``SUMMARY_COLUMNS``) plus ``kind``; fetch the full
        record with :meth:`get_model` / :meth:`get_dataset`.
        """
        query = fts_query(text)
        if not query or limit < 1:
            return []
        words = query_words(text)
        prefix = words[0].lower() if len(words) == 1 else None
        candidates: list[tuple[float, int, str, int]] = []
        for order, table in enumerate(("models", "datasets")):
            candidates += [
                (rank, order, table, rowid)
                for rowid, rank in self._ranked(table, query, limit, prefix)
            ]
        candidates.sort(key=lambda c: (c[0], c[1]))  # stable within a table
        chosen = candidates[:limit]
        rows: dict[tuple[str, int], dict] = {}
        for table in ("models", "datasets"):
            ids = [rowid for _, _, t, rowid in chosen if t == table]
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
        for _, _, table, rowid in chosen:
            row = rows.get((table, rowid))
            if row is None:
                continue  # not in the table (only if the index and the table disagree)
            record = decode(row, table)
            record["kind"] = table[:-1]
            hits.append(record)
        return hits

    def _ranked(self, table: str, query: str, limit: int, prefix: str | None = None) -> list:
        """The best ``limit`` (rowid, rank) pairs of ``table`` for an FTS5 ``query`` (as
        :func:`fts_query` writes it), best first, ranked over every match; from the side
        index when the query is the one word ``prefix`` and the index can answer."""
        if prefix is not None and self._search_indexed:
            from baton.core.catalog import search_index

            found = search_index.ranked(self.conn, table, prefix, limit)
            if found is not None:
                return found
        fts = f"{table}_fts"
        # bm25() itself, which is what ``rank`` stands for (migration 6 sets it): ORDER BY
        # rank makes FTS5 rank every match in a sorter of its own before SQLite's LIMIT,
        # a third slower than SQLite keeping the best ``limit`` as it goes.
        return self.conn.execute(
            f"select rowid, bm25({fts}) as score from {fts} where {fts} match ? "
            "order by score limit ?",
            [query, limit],
        ).fetchall()


class _LazyDatabase:
    """Stands for :attr:`Catalog.db` in a write block until the block uses it."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def __getattr__(self, name: str) -> Any:
        return getattr(self._catalog.db, name)

    def __getitem__(self, table: str) -> Any:
        return self._catalog.db[table]


def query_words(text: str) -> list[str]:
    """The words of what a user types, as :func:`fts_query` quotes them."""
    return re.findall(r"\w+", text, flags=re.UNICODE)


def fts_query(text: str) -> str:
    """Turn what a user types into a safe FTS5 query: each word quoted, prefix-matched."""
    return " ".join(f'"{w}"*' for w in query_words(text))


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
