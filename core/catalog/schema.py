"""A new catalog in one step: the schema that every migration leads to, written out.

A catalog is migrated, never rebuilt (:mod:`~baton.core.catalog.migrations`). Running all
migrations on a new, empty catalog goes through sqlite-utils, whose import alone takes
most of 60 ms; the window's first start and the first command on a new home waited on
it. A new catalog instead runs the statements the migrations produce, kept in
:mod:`~baton.core.catalog.schema_sql` with the version they lead to, and records every
migration as applied. ``tests/core/test_catalog_schema.py`` builds a catalog through the
migrations and through :func:`create` and requires the same tables, indexes, triggers,
full-text settings and migrations, so the two cannot drift apart. After adding a
migration, write the statements again::

    python -m baton.core.catalog.schema
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

# The tables FTS5 makes for a full-text table ``t`` (``t_data``, ``t_idx``...): created by
# its CREATE VIRTUAL TABLE, so never written out themselves.
FTS5_SHADOWS = ("data", "idx", "content", "docsize", "config")


def dump(conn: sqlite3.Connection) -> tuple[str, ...]:
    """The statements that build ``conn``'s schema again, in the order it was built: each
    table, index, trigger and view, then each full-text table rebuilt and its settings (its
    ``rank``)."""
    rows = conn.execute(
        "select type, name, sql from sqlite_master where sql is not null order by rowid"
    ).fetchall()
    virtual = [name for kind, name, sql in rows if sql.upper().startswith("CREATE VIRTUAL")]
    shadows = {f"{name}_{suffix}" for name in virtual for suffix in FTS5_SHADOWS}
    statements = [sql for _, name, sql in rows if name not in shadows]
    for name in virtual:
        # Rebuilt (empty), as the migrations leave it: that writes its averages record.
        statements.append(f"INSERT INTO [{name}]([{name}]) VALUES('rebuild')")
        for key, value in conn.execute(f"select k, v from [{name}_config] order by k"):
            if key != "version":  # FTS5's own format number, written by CREATE
                statements.append(
                    f"INSERT INTO [{name}]([{name}], rank) VALUES({_literal(key)}, "
                    f"{_literal(value)})"
                )
    return tuple(statements)


def create(conn: sqlite3.Connection, migrations: list[tuple[int, str]], applied_at: str) -> None:
    """Build the whole schema on the empty database ``conn``, inside the caller's
    transaction, and record ``migrations`` (version, name) as applied at ``applied_at``."""
    from baton.core.catalog.schema_sql import STATEMENTS, VERSION

    if migrations[-1][0] != VERSION:
        raise RuntimeError(
            f"the written-out schema is for version {VERSION}, the migrations reach "
            f"{migrations[-1][0]}: run `python -m baton.core.catalog.schema`"
        )
    for statement in STATEMENTS:
        conn.execute(statement)
    conn.executemany(
        "insert into migrations (version, name, applied_at) values (?, ?, ?)",
        [(version, name, applied_at) for version, name in migrations],
    )
    conn.execute(f"PRAGMA user_version={VERSION}")


def _literal(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def source(statements: tuple[str, ...], version: int) -> str:
    """``schema_sql.py`` for ``statements``: one string per statement, a line per line of
    SQL."""
    out = [
        '"""The statements that build a new catalog, written out from the migrations by',
        "``python -m baton.core.catalog.schema``: do not edit (see "
        ':mod:`~baton.core.catalog.schema`)."""',
        "",
        f"VERSION = {version}",
        "",
        "STATEMENTS = (",
    ]
    for statement in statements:
        lines = statement.split("\n")
        if len(lines) == 1:
            out.append(f"    {_string(statement)},")
            continue
        out.append("    (")
        ends = ["\n"] * (len(lines) - 1) + [""]
        out += [f"        {_string(line + end)}" for line, end in zip(lines, ends, strict=True)]
        out.append("    ),")
    out.append(")")
    return "\n".join(out) + "\n"


def _string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def main() -> int:
    """Run every migration on a new catalog in a temporary folder and write its schema
    to ``schema_sql.py`` beside this module."""
    import subprocess
    import tempfile

    from baton.core.catalog.migrations import SCHEMA_VERSION
    from baton.core.catalog.store import Catalog

    with tempfile.TemporaryDirectory() as tmp, Catalog(tmp, migrate_to=SCHEMA_VERSION) as catalog:
        statements = dump(catalog.conn)
    target = Path(__file__).with_name("schema_sql.py")
    target.write_text(source(statements, SCHEMA_VERSION), encoding="utf-8")
    # In the project's format when its formatter is installed (the test extras have it).
    subprocess.run([sys.executable, "-m", "ruff", "format", "-q", str(target)], check=False)
    print(f"wrote {len(statements)} statements for schema {SCHEMA_VERSION} to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
