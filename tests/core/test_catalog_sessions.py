"""The catalog checks its integrity after a session that ended without closing it, and
when asked (``baton doctor``), not on every open."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from click.testing import CliRunner

from baton.core.catalog.store import Catalog
from baton.core.cli.main import cli


def _model(name: str) -> dict:
    return {"name": name, "format": "onnx", "sha256": "a" * 64, "estimator": "Ridge"}


def _die_holding_the_catalog(home) -> None:
    """Open the catalog in another process, which then ends without closing it."""
    code = (
        "import os, sys; from baton.core.catalog.store import Catalog; "
        "Catalog(sys.argv[1]).add_model({'name': 'late', 'format': 'onnx', "
        "'sha256': 'b' * 64}); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", code, str(home)], check=True, timeout=120)


def test_a_clean_close_skips_the_check_next_time(home):
    with Catalog(home) as new:
        assert not new.integrity_checked  # nothing to check in a new catalog
        new.add_model(_model("m1"))
    with Catalog(home) as again:
        assert not again.integrity_checked
    with Catalog(home, check=True) as asked:
        assert asked.integrity_checked


def test_a_session_that_died_makes_the_next_open_check(home):
    Catalog(home).close()
    _die_holding_the_catalog(home)
    with Catalog(home) as after:
        assert after.integrity_checked
        assert [m["name"] for m in after.list_models()] == ["late"]
    with Catalog(home) as next_one:  # the dead session's mark went with that check
        assert not next_one.integrity_checked


def test_a_live_session_beside_is_not_taken_for_a_dead_one(home):
    with Catalog(home) as first, Catalog(home) as second:
        assert not first.integrity_checked and not second.integrity_checked


def test_doctor_prints_what_it_checked(home):
    with Catalog(home) as catalog:
        catalog.add_model(_model("m1"))
    runner = CliRunner()
    result = runner.invoke(cli, ["--home", str(home), "doctor"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Checked {home / 'catalog.db'}:")
    for check in ("integrity", "foreign keys", "models search index", "schema"):
        assert f"  {check}" in result.stdout
    assert "PRAGMA quick_check" in result.stdout
    assert result.stdout.rstrip().endswith("All checks passed.")
    data = json.loads(runner.invoke(cli, ["--home", str(home), "doctor", "--json"]).stdout)
    assert data["ok"] and [c["check"] for c in data["checks"]] == [
        "integrity",
        "foreign keys",
        "models search index",
        "datasets search index",
        "short-word search",
        "schema",
    ]


def test_doctor_exits_1_on_a_short_word_index_out_of_step(home):
    with Catalog(home) as catalog:
        catalog.add_model(_model("m1"))
        catalog.add_model(_model("m2"))
    conn = sqlite3.connect(home / "catalog.db")
    conn.execute("update search_prefixes set rows = rows + 1 where fts = 0 and prefix = 'm'")
    conn.commit()
    conn.close()
    result = CliRunner().invoke(cli, ["--home", str(home), "doctor"])
    assert result.exit_code == 1
    assert (
        "  short-word search        FAILED: it has 3 models under 'm', the full-text index 2"
        in result.stdout
    )


def test_doctor_exits_1_on_a_search_index_out_of_step(home):
    with Catalog(home) as catalog:
        catalog.add_model(_model("m1"))
    conn = sqlite3.connect(home / "catalog.db")
    conn.execute("drop trigger models_ai")  # a row the search index never saw
    conn.execute(
        "insert into models (id, name, format, sha256, created_at) "
        "values ('x', 'unindexed', 'onnx', 'c', '2025-01-01T00:00:00Z')"
    )
    conn.commit()
    conn.close()
    runner = CliRunner()
    result = runner.invoke(cli, ["--home", str(home), "doctor"])
    assert result.exit_code == 1
    assert "  models search index      FAILED: database disk image is malformed" in result.stdout
    assert "  datasets search index    ok" in result.stdout
    assert result.stderr == (
        f"Error: the catalog {home / 'catalog.db'} failed models search index: restore it "
        "from a backup, or move it aside and run `baton init` to start a new one\n"
    )
    as_json = runner.invoke(cli, ["--home", str(home), "doctor", "--json"])
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["ok"] is False
