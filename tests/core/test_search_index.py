"""A search of one short word ranks from a side index exactly as FTS5 ranks every match,
and the index is never read while it is behind the catalog."""

from __future__ import annotations

import random
import sqlite3
import string
import uuid

import pytest

from baton.core.catalog import search_index
from baton.core.catalog.store import Catalog

WORDS = [
    "churn",
    "Churn",
    "CHURN",
    "élan",
    "Éclair",
    "naïve",
    "straße",
    "Ørsted",
    "über",
    "_private",
    "snake_case",
    "logistic",
    "LogisticRegression",
    "RandomForestClassifier",
    "x",
    "y",
    "z",
    "0",
    "1",
    "2024",
    "v12",
    "gbm-v3",
    "s3://bucket/key",
    "résumé",
    "façade",
    "東京",
    "данные",
    "µs",
    "tenure",
    "senior-analyst",
    "α",
    "β",
]
PREFIXES = [
    *string.ascii_lowercase,
    *string.digits,
    "ch",
    "lo",
    "lr",
    "s3",
    "20",
    "log",
    "chu",
    "ten",
    "sna",
    "zzz",
]


def _text(rng: random.Random, most: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, most)))


def _model(rng: random.Random, i: int) -> dict:
    return {
        "id": uuid.uuid4().hex,
        "name": f"m{i}-{rng.choice(WORDS)}",
        "description": _text(rng, 12),
        "tags": f'["{rng.choice(WORDS)}", "{rng.choice(WORDS)}"]' if rng.random() < 0.7 else None,
        "estimator": rng.choice(["LogisticRegression", "Pipeline(StandardScaler, SVC)", None]),
        "file_name": f"model_{i}.onnx",
        "format": "onnx",
        "sha256": f"{i:064x}",
        "created_at": f"2026-12-08T00:00:{i % 60:02d}Z",
    }


def _dataset(rng: random.Random, i: int) -> dict:
    return {
        "id": uuid.uuid4().hex,
        "name": f"d{i}",
        "description": _text(rng, 8),
        "column_names": ",".join(rng.choice(WORDS) for _ in range(rng.randint(1, 30))),
        "file_name": f"data_{i}.parquet",
        "format": "parquet",
        "sha256": f"{i:064x}",
        "fingerprint": f"{i:064x}",
        "created_at": "2026-12-08T00:00:00Z",
    }


def _add(catalog: Catalog, rng: random.Random, start: int, models: int, datasets: int) -> None:
    with catalog.write() as db:
        db["models"].insert_all([_model(rng, start + i) for i in range(models)])
        db["datasets"].insert_all([_dataset(rng, start + i) for i in range(datasets)])


def _fts_ranked(conn: sqlite3.Connection, table: str, letter: str) -> list[tuple[int, float]]:
    """Every match of the letter, ranked by FTS5 itself."""
    fts = f"{table}_fts"
    return conn.execute(
        f"select rowid, bm25({fts}) as score from {fts} where {fts} match ? order by score",
        [f'"{letter}"*'],
    ).fetchall()


def _assert_same_top(conn, table: str, letter: str, limit: int) -> None:
    ours = search_index.ranked(conn, table, letter, limit)
    assert ours is not None, f"the index could not answer {letter!r} on {table}"
    full = _fts_ranked(conn, table, letter)
    assert [score for _, score in ours] == [score for _, score in full[:limit]], (table, letter)
    # The same rows, but for the order (and the choice at the cut) among equal scores.
    cut = full[limit - 1][1] if len(full) >= limit else None
    assert {r for r, s in ours if s != cut} == {r for r, s in full[:limit] if s != cut}
    assert all(r in {fr for fr, fs in full if fs == s} for r, s in ours)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_letter_ranks_as_fts5_ranks_every_match(tmp_path, seed):
    rng = random.Random(seed)
    with Catalog(tmp_path / "home") as catalog:
        _add(catalog, rng, 0, 300, 40)
        _add(catalog, rng, 300, 200, 20)  # a second import: only the new rows are indexed
        with catalog.write() as db:  # one at a time, as `baton model add` adds them
            for i in range(500, 510):
                db["models"].insert(_model(rng, i))
        for table in ("models", "datasets"):
            for letter in PREFIXES:
                for limit in (1, 7, 50):
                    _assert_same_top(catalog.conn, table, letter, limit)


def _scores(conn, letter: str, hits: list[dict]) -> list[tuple[str, float]]:
    """Each hit's kind and its bm25 as FTS5 computes it."""
    out = []
    for hit in hits:
        fts = f"{hit['kind']}s_fts"
        (score,) = conn.execute(
            f"select bm25({fts}) from {fts} where {fts} match ? and rowid = "
            f"(select rowid from {hit['kind']}s where id = ?)",
            [f'"{letter}"*', hit["id"]],
        ).fetchone()
        out.append((hit["kind"], score))
    return out


def test_search_of_a_letter_gives_what_fts5_gives(tmp_path, monkeypatch):
    rng = random.Random(7)
    with Catalog(tmp_path / "home") as catalog:
        _add(catalog, rng, 0, 400, 60)
        asked = []
        real = search_index.ranked
        monkeypatch.setattr(
            search_index, "ranked", lambda conn, *args: asked.append(args[:2]) or real(conn, *args)
        )
        for text in ("s", "S ", "l", "0", "e", "Lo", "chu", "ten "):
            fast = catalog.search(text)
            catalog._search_indexed = False  # the same search, every match ranked by FTS5
            slow = catalog.search(text)
            catalog._search_indexed = True
            letter = text.strip().lower()
            # The same ranks in the same order, models before datasets on equal rank (the
            # rows chosen among equal ranks at the cut may differ).
            assert len(fast) == len(slow) > 0
            assert _scores(catalog.conn, letter, fast) == _scores(catalog.conn, letter, slow)
        assert ("models", "s") in asked and ("datasets", "e") in asked


def test_a_change_the_index_has_not_seen_is_never_read(tmp_path):
    rng = random.Random(5)
    with Catalog(tmp_path / "home") as catalog:
        _add(catalog, rng, 0, 100, 10)
        conn = catalog.conn
        assert search_index.ranked(conn, "models", "s", 10) is not None
        # A write from outside Baton's write path: searched text changes, a row goes.
        conn.execute("update models set description = 'zebra zebra zebra' where rowid = 3")
        assert search_index.ranked(conn, "models", "z", 10) is None
        conn.execute("delete from datasets where rowid = 2")
        assert search_index.ranked(conn, "datasets", "d", 10) is None
        conn.execute(
            "insert into models (id, name, format, sha256, created_at) "
            "values ('x', 'zz-new', 'onnx', 'ab', 'now')"
        )
        # The next write of Baton's catches up (a rebuild after a change), and it agrees.
        with catalog.write():
            pass
        _assert_same_top(conn, "models", "z", 10)
        _assert_same_top(conn, "datasets", "d", 10)
        assert search_index.ranked(conn, "models", "z", 1)[0][0] == 3


def test_words_fts5_folds_otherwise_or_longer_ones_are_left_to_fts5(tmp_path):
    with Catalog(tmp_path / "home") as catalog:
        _add(catalog, random.Random(3), 0, 50, 5)
        for letter in ("é", "ß", "東", "_", "sé", "logi", ""):
            assert search_index.ranked(catalog.conn, "models", letter, 10) is None


def test_a_catalog_migrated_from_schema_8_indexes_what_it_holds(tmp_path):
    rng = random.Random(11)
    home = tmp_path / "home"
    with Catalog(home, migrate_to=8) as old:
        _add(old, rng, 0, 120, 12)
        assert "search_postings" not in old._table_names()
    with Catalog(home) as catalog:
        assert catalog.schema_version == 9
        for letter in "smld0":
            _assert_same_top(catalog.conn, "models", letter, 20)
            _assert_same_top(catalog.conn, "datasets", letter, 20)


def test_an_index_that_cannot_catch_up_never_fails_an_import(tmp_path, monkeypatch):
    rng = random.Random(13)
    with Catalog(tmp_path / "home") as catalog:
        _add(catalog, rng, 0, 50, 5)
        real = search_index.catch_up

        def failing(conn):
            conn.execute("insert into search_postings values (0, 'zz', 1, 1, 999999)")
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(search_index, "catch_up", failing)
        added = catalog.add_model(
            {"name": "late-model", "format": "onnx", "sha256": "c" * 64, "estimator": "Ridge"}
        )
        assert catalog.get_model("late-model")["id"] == added["id"]  # the import stands
        # The index is behind the catalog, so search ranks with FTS5 and still finds it.
        assert search_index.ranked(catalog.conn, "models", "l", 10) is None
        assert [h["name"] for h in catalog.search("late")] == ["late-model"]
        assert "late-model" in [h["name"] for h in catalog.search("l", limit=1000)]
        assert not catalog.conn.execute(
            "select 1 from search_postings where prefix = 'zz'"
        ).fetchall()
        monkeypatch.setattr(search_index, "catch_up", real)
        with catalog.write():  # the next write catches it up
            pass
        _assert_same_top(catalog.conn, "models", "l", 10)
