"""A new catalog is built in one step from the written-out schema; it must be the catalog
the migrations build, and it must not wait on sqlite-utils."""

from __future__ import annotations

import subprocess
import sys
import threading

from baton.core.catalog import schema
from baton.core.catalog.schema_sql import STATEMENTS, VERSION
from baton.core.catalog.store import SCHEMA_VERSION, Catalog


def _everything(catalog: Catalog) -> dict:
    """What two catalogs must share: every schema object with its SQL, each full-text
    table's settings and index pages, the migrations recorded, the schema version."""
    conn = catalog.conn
    objects = conn.execute(
        "select type, name, tbl_name, sql from sqlite_master order by type, name"
    ).fetchall()
    shadows = {}
    for table in ("models_fts", "datasets_fts"):
        for part in ("config", "data", "idx", "docsize"):
            shadows[f"{table}_{part}"] = conn.execute(
                f"select * from [{table}_{part}] order by 1"
            ).fetchall()
    migrations = conn.execute("select version, name from migrations order by version").fetchall()
    return {
        "objects": objects,
        "shadows": shadows,
        "migrations": migrations,
        "version": catalog.schema_version,
    }


def test_a_new_catalog_is_the_catalog_the_migrations_build(tmp_path):
    with (
        Catalog(tmp_path / "one-step") as fresh,
        Catalog(tmp_path / "migrated", migrate_to=SCHEMA_VERSION) as migrated,
    ):
        assert _everything(fresh) == _everything(migrated)
        assert fresh.schema_version == SCHEMA_VERSION
        applied = {m["applied_at"] for m in fresh.applied_migrations()}
        assert len(applied) == 1  # recorded at one moment, each migration by its name
        assert fresh.check() == migrated.check()
        assert all(check["ok"] for check in fresh.check())


def test_the_written_out_schema_is_the_one_the_migrations_lead_to(tmp_path):
    with Catalog(tmp_path, migrate_to=SCHEMA_VERSION) as migrated:
        statements = schema.dump(migrated.conn)
    assert VERSION == SCHEMA_VERSION, "run `python -m baton.core.catalog.schema`"
    assert statements == STATEMENTS, "run `python -m baton.core.catalog.schema`"


def test_a_catalog_built_in_one_step_searches_lists_and_migrates_on(tmp_path):
    with Catalog(tmp_path) as catalog:
        catalog.add_dataset(
            {
                "name": "churn-test",
                "format": "csv",
                "sha256": "a" * 64,
                "fingerprint": "f",
                "columns": [{"name": "tenure_months"}],
            }
        )
        assert [hit["name"] for hit in catalog.search("tenure")] == ["churn-test"]
        assert [d["name"] for d in catalog.list_datasets()] == ["churn-test"]
    with Catalog(tmp_path) as again:  # opened again: nothing to build or migrate
        assert again.schema_version == SCHEMA_VERSION
        assert len(again.applied_migrations()) == SCHEMA_VERSION


def test_two_processes_starting_on_one_new_home_build_it_once(tmp_path):
    """Four Batons open one new home at the same moment, forty times over (switching a new
    file to WAL journaling failed at once for one of them, about one time in twenty)."""
    for attempt in range(40):
        home = tmp_path / f"home-{attempt}"
        errors: list[BaseException] = []
        start = threading.Barrier(4)

        def open_it(home=home, errors=errors, start=start) -> None:
            try:
                start.wait()
                with Catalog(home) as catalog:
                    assert catalog.schema_version == SCHEMA_VERSION
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [], attempt
        with Catalog(home) as catalog:
            assert [m["version"] for m in catalog.applied_migrations()] == list(
                range(1, SCHEMA_VERSION + 1)
            )


def test_a_new_catalog_opens_and_lists_without_importing_sqlite_utils(tmp_path):
    code = (
        "import sys\n"
        "from baton.core.catalog.store import Catalog\n"
        f"with Catalog({str(tmp_path)!r}) as c:\n"
        "    c.list_models(); c.list_datasets(); c.search('churn')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlite_utils', 'pluggy', 'pandas')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_sqlite_utils_plugins_never_touch_the_catalog(tmp_path, monkeypatch):
    import sqlite_utils
    from sqlite_utils import plugins

    calls: list[str] = []

    class Plugin:
        @sqlite_utils.hookimpl
        def prepare_connection(self, conn):
            calls.append("prepare_connection")

    def scan(group):
        calls.append(f"scanned {group}")
        return 0

    monkeypatch.setattr(plugins.pm, "load_setuptools_entrypoints", scan)
    monkeypatch.setattr(plugins, "_plugins_loaded", False)
    plugin = Plugin()
    plugins.pm.register(plugin)
    try:
        with Catalog(tmp_path, migrate_to=SCHEMA_VERSION) as catalog:  # through sqlite-utils
            catalog.db.table("migrations").count  # noqa: B018 - the wrapper in use
    finally:
        plugins.pm.unregister(plugin)
    assert calls == []
