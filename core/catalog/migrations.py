"""The catalog's schema as named migrations, applied in order and recorded in ``migrations``
and ``PRAGMA user_version``: a catalog is migrated, never rebuilt."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # imported by the catalog only when a migration runs (it imports pandas)
    import sqlite_utils


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


def _m006_search_ranked_over_all_matches(db: sqlite_utils.Database) -> None:
    """Search now ranks every match with bm25, so the full-text indexes are merged into one
    segment each (a catalog filled one import at a time holds many small ones, and every
    query reads them all) and each table's ``rank`` is bm25 spelled out, so a catalog
    whose default rank was changed ranks as this Baton expects.

    Later imports add segments again; FTS5's automerge keeps their number bounded.
    """
    for table in ("models", "datasets"):
        fts = f"{table}_fts"
        db.execute(f"INSERT INTO [{fts}]([{fts}], rank) VALUES('rank', 'bm25()')")
        db.execute(f"INSERT INTO [{fts}]([{fts}]) VALUES('optimize')")


def _m007_stage_lookups(db: sqlite_utils.Database) -> None:
    """The home page and ``baton status`` ask which models a draft names and which models
    went out in a bundle (by their bytes' digest), and an import asks whether the same
    bytes are already in the catalog: indexes make each one lookup, not a scan of the
    table (the overview of a 100 000-model catalog took 0.2 s without them, 20 ms with)."""
    db.table("contracts").create_index(["model_id"])
    db.table("models").create_index(["sha256"])


def _m008_baseline_profiles(db: sqlite_utils.Database) -> None:
    """The monitoring baseline's profile of a table, kept by the digest of the stored
    bytes it was read from and the columns it leaves out (``key``): an evaluation
    profiles its test set and its predictions once, and every pack of them reuses the
    profiles instead of reading both tables again (most of a large test set's pack)."""
    db.table("baseline_profiles").create(
        {"sha256": str, "key": str, "baseline": str, "created_at": str}, pk=("sha256", "key")
    )


def _m009_short_word_search(db: sqlite_utils.Database) -> None:
    """A search of one short word ranks from a side index instead of ranking every match
    (:mod:`~baton.core.catalog.search_index`); the rows already in the catalog are indexed
    here, the next ones as they are added."""
    from baton.core.catalog import search_index

    for statement in search_index.schema_statements():
        db.execute(statement)
    for table, (code, _) in search_index.TABLES.items():  # the rows already there
        db.execute(
            f"INSERT INTO [search_state] ([fts], [inserted]) SELECT {code}, count(*) FROM [{table}]"
        )
    search_index.catch_up(db.conn)


class Migration(NamedTuple):
    version: int
    name: str
    apply: Callable[[sqlite_utils.Database], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial", _m001_initial),
    Migration(2, "trust_and_handovers", _m002_trust_and_handovers),
    Migration(3, "measurements_and_contracts", _m003_measurements_and_contracts),
    Migration(4, "reproductions", _m004_reproductions),
    Migration(5, "search_prefixes_and_list_order", _m005_search_prefixes_and_list_order),
    Migration(6, "search_ranked_over_all_matches", _m006_search_ranked_over_all_matches),
    Migration(7, "stage_lookups", _m007_stage_lookups),
    Migration(8, "baseline_profiles", _m008_baseline_profiles),
    Migration(9, "short_word_search", _m009_short_word_search),
)


SCHEMA_VERSION = MIGRATIONS[-1].version
SEARCH_INDEX_VERSION = 9  # from this schema on, the catalog keeps search_index's tables
