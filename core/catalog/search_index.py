"""Exact bm25 ranking of a short search word without ranking every match.

The first letters of a word typed into the search box match most of a large catalog ("s"
matches 98 000 of 100 000 models, "se" 50 000), and FTS5 ranks a match in about half a
microsecond: 55 ms for "s". This module ranks a one-word query of up to ``LONGEST``
letters from a side index instead and returns what FTS5's ``bm25()`` would, to the last
bit, for the best ``limit`` rows.

Why it can: the catalog ranks with ``bm25()`` and equal column weights, and a query of one
prefix is one phrase, so a row's score depends only on ``tf`` (how many of its tokens
start with the prefix) and ``dl`` (how many tokens it has)::

    score = -idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl))

which grows with ``tf`` and shrinks with ``dl``. ``search_postings`` holds, per table and
prefix, a row's ``(tf, dl)`` in that order; for each distinct ``tf`` the best rows are
the ``limit`` of smallest ``dl``, so a few index seeks give the exact top ``limit``.
``idf`` needs how many rows hold the prefix (``search_prefixes``) and ``avgdl`` the rows
and tokens of the table (``search_state``), all kept here.

The tokens are FTS5's own: new rows go through a temporary FTS5 table with the catalog's
tokenizer and are read back through ``fts5vocab``, so a prefix means what it means to
FTS5 (case folded, diacritics removed). Models and datasets are only ever added (an
update leaves their searched text as it was), so :func:`catch_up` indexes the rows added
since it last ran. Triggers count every insert, and every update or delete that touches a
searched column (``search_state``); the index is used only while it has seen all of
them, and an update or delete of searched text rebuilds it: a stale index is never read.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter

# Table -> (its code in the side tables, the columns its FTS5 index holds, in order).
TABLES: dict[str, tuple[int, tuple[str, ...]]] = {
    "models": (0, ("name", "description", "tags", "estimator", "file_name")),
    "datasets": (1, ("name", "description", "tags", "column_names", "file_name")),
}
# FTS5's bm25() constants (fts5_aux.c).
K1, B = 1.2, 0.75
# Rows tokenized per pass while catching up (a 100 000-model catalog: 20 passes).
CHUNK = 5_000
# The prefixes indexed: a word of up to this many letters is ranked here. FTS5 ranks a
# longer one fast enough (at 100 000 models, few 4-letter prefixes match 16 000 rows).
LONGEST = 3

_TOKENS = "baton_search_tokens"
_VOCAB = "baton_search_vocab"
# Per row of a chunk, how many of its tokens start with each prefix of 1 to LONGEST
# letters (a token shorter than a prefix length has no prefix of that length).
_PREFIX_COUNTS = (
    "select doc, prefix, count(*) from ("
    + " union all ".join(
        f"select doc, substr(term, 1, {n}) as prefix from temp.{_VOCAB}"
        + (f" where length(term) >= {n}" if n > 1 else "")
        for n in range(1, LONGEST + 1)
    )
    + ") group by doc, prefix"
)


def schema_statements() -> list[str]:
    """The side tables and the triggers that count changes (migration 9)."""
    statements = [
        "CREATE TABLE [search_state] (\n"
        "   [fts] INTEGER PRIMARY KEY,\n"
        "   [inserted] INTEGER NOT NULL DEFAULT 0,\n"
        "   [changed] INTEGER NOT NULL DEFAULT 0,\n"
        "   [seen_inserted] INTEGER NOT NULL DEFAULT 0,\n"
        "   [seen_changed] INTEGER NOT NULL DEFAULT 0,\n"
        "   [last_row] INTEGER NOT NULL DEFAULT 0,\n"
        "   [rows] INTEGER NOT NULL DEFAULT 0,\n"
        "   [tokens] INTEGER NOT NULL DEFAULT 0\n"
        ")",
        "CREATE TABLE [search_postings] (\n"
        "   [fts] INTEGER NOT NULL,\n"
        "   [prefix] TEXT NOT NULL,\n"
        "   [tf] INTEGER NOT NULL,\n"
        "   [dl] INTEGER NOT NULL,\n"
        "   [row] INTEGER NOT NULL,\n"
        "   PRIMARY KEY ([fts], [prefix], [tf], [dl], [row])\n"
        ") WITHOUT ROWID",
        "CREATE TABLE [search_prefixes] (\n"
        "   [fts] INTEGER NOT NULL,\n"
        "   [prefix] TEXT NOT NULL,\n"
        "   [rows] INTEGER NOT NULL,\n"
        "   PRIMARY KEY ([fts], [prefix])\n"
        ") WITHOUT ROWID",
    ]
    for table, (code, columns) in TABLES.items():
        searched = ", ".join(f"[{c}]" for c in columns)
        # An upsert: the state row of a table appears with its first row.
        count = (
            f"  INSERT INTO [search_state] ([fts], [{{0}}]) VALUES ({code}, 1)\n"
            f"    ON CONFLICT ([fts]) DO UPDATE SET [{{0}}] = [{{0}}] + 1;\n"
        )
        statements += [
            f"CREATE TRIGGER [{table}_search_ai] AFTER INSERT ON [{table}] BEGIN\n"
            + count.format("inserted")
            + "END",
            f"CREATE TRIGGER [{table}_search_au] AFTER UPDATE OF {searched} ON [{table}] BEGIN\n"
            + count.format("changed")
            + "END",
            f"CREATE TRIGGER [{table}_search_ad] AFTER DELETE ON [{table}] BEGIN\n"
            + count.format("changed")
            + "END",
        ]
    return statements


def catch_up(conn: sqlite3.Connection) -> None:
    """Index the rows added since the last call (all of them after a change to searched
    text). Runs inside the caller's write transaction, so the index commits with them."""
    for table, (code, columns) in TABLES.items():
        state = conn.execute(
            "select inserted, changed, seen_inserted, seen_changed, last_row, rows, tokens "
            "from search_state where fts = ?",
            [code],
        ).fetchone()
        if state is None:  # no row was ever added to the table
            continue
        inserted, changed, seen_inserted, seen_changed, last_row, rows, tokens = state
        if changed != seen_changed:  # searched text changed or went: start again
            conn.execute("delete from search_postings where fts = ?", [code])
            conn.execute("delete from search_prefixes where fts = ?", [code])
            last_row = rows = tokens = 0
        elif inserted == seen_inserted:
            continue
        last_row, added_rows, added_tokens = _index_after(conn, table, code, columns, last_row)
        conn.execute(
            "update search_state set seen_inserted = ?, seen_changed = ?, last_row = ?, "
            "rows = ?, tokens = ? where fts = ?",
            [inserted, changed, last_row, rows + added_rows, tokens + added_tokens, code],
        )


def _index_after(
    conn: sqlite3.Connection, table: str, code: int, columns: tuple[str, ...], after: int
) -> tuple[int, int, int]:
    """Postings for the rows of ``table`` past rowid ``after``: the last rowid, how many
    rows and tokens were added."""
    _tokenizer(conn)
    rows = tokens = 0
    last = after
    selected = ", ".join(f"[{c}]" for c in columns)
    while True:
        conn.execute(f"delete from temp.{_TOKENS}")
        conn.execute(
            f"insert into temp.{_TOKENS} (rowid, c0, c1, c2, c3, c4) "
            f"select rowid, {selected} from main.[{table}] where rowid > ? "
            "order by rowid limit ?",
            [last, CHUNK],
        )
        chunk = conn.execute(f"select max(rowid), count(*) from temp.{_TOKENS}").fetchone()
        if not chunk[1]:
            break
        last = chunk[0]
        counts = conn.execute(_PREFIX_COUNTS).fetchall()
        # A row's length: every token has one first letter, so its 1-letter counts add up.
        lengths: Counter[int] = Counter()
        for doc, prefix, tf in counts:
            if len(prefix) == 1:
                lengths[doc] += tf
        conn.executemany(
            "insert into search_postings (fts, prefix, tf, dl, row) values (?, ?, ?, ?, ?)",
            [(code, prefix, tf, lengths[doc], doc) for doc, prefix, tf in counts],
        )
        per_prefix = Counter(prefix for _, prefix, _ in counts)
        conn.executemany(
            "insert into search_prefixes (fts, prefix, rows) values (?, ?, ?) "
            "on conflict (fts, prefix) do update set rows = rows + excluded.rows",
            [(code, prefix, n) for prefix, n in per_prefix.items()],
        )
        rows += chunk[1]
        tokens += lengths.total()
    conn.execute(f"delete from temp.{_TOKENS}")
    return last, rows, tokens


def _tokenizer(conn: sqlite3.Connection) -> None:
    """A temporary FTS5 table with the catalog's tokenizer, and its list of token instances."""
    conn.execute(
        f"create virtual table if not exists temp.{_TOKENS} "
        "using fts5(c0, c1, c2, c3, c4, tokenize='unicode61')"
    )
    conn.execute(
        f"create virtual table if not exists temp.{_VOCAB} "
        f"using fts5vocab(temp, {_TOKENS}, instance)"
    )


def _in_use(conn: sqlite3.Connection, code: int) -> tuple[int, int] | None:
    """A table's rows and tokens if its index has seen every change, else None."""
    state = conn.execute(
        "select inserted = seen_inserted and changed = seen_changed, rows, tokens "
        "from search_state where fts = ?",
        [code],
    ).fetchone()
    return (state[1], state[2]) if state is not None and state[0] else None


def ranked(conn: sqlite3.Connection, table: str, prefix: str, limit: int) -> list | None:
    """The best ``limit`` ``(rowid, bm25)`` of ``table`` for the FTS5 query ``"prefix"*``,
    best first, exactly as FTS5 ranks them (rows of equal score in any order); None when
    the index cannot answer: it has not seen every change, or ``prefix`` is longer than
    ``LONGEST`` or not lowercase ASCII letters and digits (whose folding FTS5 and Python
    agree on)."""
    if not 0 < len(prefix) <= LONGEST or not all(
        "a" <= c <= "z" or "0" <= c <= "9" for c in prefix
    ):
        return None
    code = TABLES[table][0]
    state = _in_use(conn, code)
    if state is None:
        return None
    n_row, n_token = state
    hit = conn.execute(
        "select rows from search_prefixes where fts = ? and prefix = ?", [code, prefix]
    ).fetchone()
    if not hit or not n_row or limit < 1:
        return []
    # As fts5Bm25Function computes them, in the same order of operations.
    avgdl = float(n_token) / float(n_row)
    idf = math.log((n_row - hit[0] + 0.5) / (hit[0] + 0.5))
    if idf <= 0.0:
        idf = 1e-6
    scored: list[tuple[float, int]] = []
    tf = 0
    while True:
        row = conn.execute(
            "select min(tf) from search_postings where fts = ? and prefix = ? and tf > ?",
            [code, prefix, tf],
        ).fetchone()
        if row is None or row[0] is None:
            break
        tf = row[0]
        for dl, rowid in conn.execute(
            "select dl, row from search_postings where fts = ? and prefix = ? and tf = ? "
            "order by dl limit ?",
            [code, prefix, tf, limit],
        ):
            f = float(tf)
            score = 0.0 + idf * ((f * (K1 + 1.0)) / (f + K1 * (1 - B + B * float(dl) / avgdl)))
            scored.append((-1.0 * score, rowid))
    scored.sort()
    return [(rowid, score) for score, rowid in scored[:limit]]


def problem(conn: sqlite3.Connection) -> str:
    """What ``baton doctor`` finds wrong with the index in use: a table's row count, or a
    letter's or digit's number of matching rows, that differs from FTS5's; "" if none (an
    index that has not caught up yet is not in use, so not wrong)."""
    for table, (code, _) in TABLES.items():
        state = _in_use(conn, code)
        if state is None:
            continue
        (count,) = conn.execute(f"select count(*) from [{table}]").fetchone()
        if state[0] != count:
            return f"it counts {state[0]} {table}, the table holds {count}"
        for first in "abcdefghijklmnopqrstuvwxyz0123456789":
            held = conn.execute(
                "select rows from search_prefixes where fts = ? and prefix = ?", [code, first]
            ).fetchone()
            (matches,) = conn.execute(
                f"select count(*) from [{table}_fts] where [{table}_fts] match ?", [f'"{first}"*']
            ).fetchone()
            if (held[0] if held else 0) != matches:
                return (
                    f"it has {held[0] if held else 0} {table} under '{first}', the full-text "
                    f"index {matches}"
                )
    return ""
