"""The catalog: settings, migrations, concurrent writers, search and the object store."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from baton.core.catalog.home import resolve_home
from baton.core.catalog.objects import ObjectStore
from baton.core.catalog.store import SCHEMA_VERSION, Catalog, fts_query
from baton.core.errors import CatalogError, NotFound, UsageError


def test_settings_from_design(catalog):
    conn = catalog.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_migrations_from_empty_are_recorded(catalog):
    assert catalog.schema_version == SCHEMA_VERSION
    assert [m["name"] for m in catalog.applied_migrations()] == [
        "initial",
        "trust_and_handovers",
        "measurements_and_contracts",
        "reproductions",
        "search_prefixes_and_list_order",
        "search_ranked_over_all_matches",
        "stage_lookups",
        "baseline_profiles",
        "short_word_search",
    ]
    assert {
        "models",
        "datasets",
        "trusted_keys",
        "handovers",
        "reviews",
        "models_fts",
        "search_postings",
    } <= set(catalog.db.table_names())


def test_migration_from_previous_schema_keeps_data(home):
    old = Catalog(home, migrate_to=1)
    assert old.schema_version == 1
    assert "trusted_keys" not in old.db.table_names()
    old.add_dataset(
        {
            "name": "kept",
            "format": "csv",
            "sha256": "a" * 64,
            "fingerprint": "f",
            "columns": [{"name": "radius"}],
        }
    )
    old.close()
    new = Catalog(home)
    assert new.schema_version == SCHEMA_VERSION
    assert new.get_dataset("kept")["columns"] == [{"name": "radius"}]
    assert "trusted_keys" in new.db.table_names()
    assert new.search("radius")[0]["name"] == "kept"
    new.close()


def test_newer_catalog_is_refused(home):
    Catalog(home).close()
    conn = sqlite3.connect(home / "catalog.db")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(CatalogError, match="written by a newer Baton"):
        Catalog(home)


def test_garbage_file_is_refused_with_advice(home):
    home.mkdir(parents=True)
    (home / "catalog.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(CatalogError, match="is damaged.*baton init"):
        Catalog(home)


def _writer(home: str, prefix: str, n: int, queue) -> None:
    try:
        cat = Catalog(home)
        for i in range(n):
            cat.add_dataset(
                {
                    "name": f"{prefix}{i}",
                    "format": "csv",
                    "sha256": "b" * 64,
                    "fingerprint": "f",
                    "columns": [],
                }
            )
        cat.close()
        queue.put("ok")
    except Exception as exc:  # report to the parent rather than dying silently
        queue.put(f"{type(exc).__name__}: {exc}")


def test_two_processes_write_at_once_without_locking_errors(home):
    Catalog(home).close()
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(home), p, 60, queue)) for p in ("a", "b")]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert results == ["ok", "ok"]
    cat = Catalog(home)
    assert cat.count("datasets") == 120
    cat.close()


def test_failed_write_rolls_back(catalog):
    with pytest.raises(RuntimeError), catalog.write() as db:
        db["datasets"].insert(
            {
                "id": "x",
                "name": "ghost",
                "format": "csv",
                "sha256": "c" * 64,
                "fingerprint": "f",
                "created_at": "now",
            }
        )
        raise RuntimeError("boom")
    with pytest.raises(NotFound, match="no dataset named 'ghost'"):
        catalog.get_dataset("ghost")


def test_names_are_checked(catalog):
    with pytest.raises(UsageError, match="not a usable name"):
        catalog.add_model({"name": "../evil", "format": "skops", "sha256": "a" * 64})
    catalog.add_model({"name": "lr", "format": "skops", "sha256": "a" * 64})
    with pytest.raises(UsageError, match="already in the catalog; choose another --name"):
        catalog.add_model({"name": "lr", "format": "skops", "sha256": "a" * 64})


def test_search_prefix_matches_and_ignores_fts_syntax(catalog):
    catalog.add_model(
        {
            "name": "churn-lr",
            "format": "skops",
            "sha256": "a" * 64,
            "estimator": "Pipeline(StandardScaler, LogisticRegression)",
            "description": "predicts churn",
            "tags": ["retail"],
        }
    )
    catalog.add_dataset(
        {
            "name": "customers",
            "format": "csv",
            "sha256": "b" * 64,
            "fingerprint": "f",
            "columns": [{"name": "tenure_months"}],
        }
    )
    assert [h["name"] for h in catalog.search("logistic")] == ["churn-lr"]
    assert [h["name"] for h in catalog.search("retai")] == ["churn-lr"]
    assert [h["kind"] for h in catalog.search("tenure")] == ["dataset"]
    assert catalog.search('"unbalanced AND (') == []
    assert fts_query("a-b c") == '"a"* "b"* "c"*'


def test_search_returns_the_best_of_a_ranking_of_every_match(catalog):
    """The hits are the best ``limit`` of the catalog's own full ranking (FTS5's ``rank``
    over every match, no LIMIT), in its order, ties in any order, across both tables."""
    import random

    rng = random.Random(7)
    words = [
        "churn",
        "credit",
        "fraud",
        "scoring",
        "calibrated",
        "retail",
        "shap",
        "tenure",
        "balance",
        "score",
    ]
    rows = [
        {
            "id": f"m{i}",
            "name": f"model-{i}",
            "format": "skops",
            "sha256": f"{i:064x}",
            "description": " ".join(rng.choices(words, k=rng.randint(1, 12))),
            "tags": "[]",
            "created_at": f"2026-01-01T00:00:{i % 60:02d}Z",
        }
        for i in range(600)
    ]
    with catalog.write() as db:
        db["models"].insert_all(rows)
    for i in range(40):
        catalog.add_dataset(
            {
                "name": f"table-{i}",
                "format": "csv",
                "sha256": f"{i:064x}",
                "fingerprint": "f",
                "description": " ".join(rng.choices(words, k=rng.randint(1, 6))),
                "columns": [{"name": w} for w in rng.sample(words, 3)],
            }
        )
    for text in ("s", "sc", "c", "churn", "credit score", "t", "calibrated retail"):
        full = []
        for order, table in enumerate(("models", "datasets")):
            full += [
                (rank, order, name)
                for name, rank in catalog.conn.execute(
                    f"select t.name, f.rank from {table}_fts f join {table} t "
                    f"on t.rowid = f.rowid where {table}_fts match ? order by f.rank",
                    [fts_query(text)],
                )
            ]
        full.sort()
        rank_of = {name: rank for rank, _, name in full}
        hits = catalog.search(text, limit=25)
        assert len(full) > 25, text
        assert [rank_of[h["name"]] for h in hits] == [rank for rank, _, _ in full[:25]], text


def test_object_store_is_atomic_and_verified(tmp_path):
    store = ObjectStore(tmp_path / "objects")
    src = tmp_path / "f.bin"
    src.write_bytes(b"x" * 100_000)
    digest = store.put_file(src)
    path = store.path_for(digest)
    assert path.parent.name == digest[:2] and path.name == digest[2:]
    assert store.open_verified(digest) == path
    assert not list((tmp_path / "objects" / "tmp").iterdir())
    path.chmod(0o644)
    path.write_bytes(b"y" * 100_000)
    with pytest.raises(CatalogError, match="is damaged"):
        store.open_verified(digest)


def test_home_resolution_order(tmp_path, monkeypatch):
    assert resolve_home(tmp_path / "a", env={"BATON_HOME": str(tmp_path / "b")}) == tmp_path / "a"
    assert resolve_home(None, env={"BATON_HOME": str(tmp_path / "b")}) == tmp_path / "b"
    assert "Baton" in str(resolve_home(None, env={}))


def _endless_writer(home: str) -> None:
    cat = Catalog(home)
    i = 0
    while True:
        cat.add_dataset(
            {
                "name": f"k{i}",
                "format": "csv",
                "sha256": "d" * 64,
                "fingerprint": "f",
                "columns": [{"name": "x" * 200}] * 50,
            }
        )
        i += 1


def test_killed_mid_write_leaves_a_sound_catalog(home):
    import os
    import signal
    import time

    Catalog(home).close()
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_endless_writer, args=(str(home),))
    proc.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.2)
        probe = sqlite3.connect(home / "catalog.db", timeout=30)
        n = probe.execute("select count(*) from datasets").fetchone()[0]
        probe.close()
        if n >= 20:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    cat = Catalog(home)  # runs quick_check
    n = cat.count("datasets")
    assert n >= 20
    assert len(cat.search("k0")) == 1  # the FTS index agrees with the table
    assert cat.db.execute("select count(*) from datasets_fts").fetchone()[0] == n
    cat.add_dataset(
        {"name": "after", "format": "csv", "sha256": "e" * 64, "fingerprint": "f", "columns": []}
    )
    cat.close()
