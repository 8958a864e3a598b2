"""Libraries imported without the optional companions Baton never uses: held out for
that one import only, never for what is imported after it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from baton.core.lean_imports import held_out


def _fresh(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_a_held_out_module_cannot_be_imported_inside_the_block_only():
    name = "baton_no_such_companion_but_json"
    sys.modules.pop("colorsys", None)
    with held_out(["colorsys", name]), pytest.raises(ImportError):
        import colorsys  # noqa: F401
    import colorsys  # noqa: F401, F811  (importable again once the block is left)

    assert name not in sys.modules and sys.modules["colorsys"] is not None
    with held_out(["json"]):  # already imported: left alone
        import json as again

    assert again is json


def test_a_new_catalog_is_created_without_importing_pandas_or_numpy(tmp_path):
    """The window's first start creates the catalog in a background thread: with
    sqlite-utils importing pandas it held the interpreter for half a second."""
    ran = _fresh(
        "import json, sys\n"
        "from baton.core.catalog.store import Catalog\n"
        f"with Catalog({str(tmp_path / 'home')!r}) as c:\n"
        "    tables = sorted(c.db.table_names())\n"
        "loaded = sorted(m for m in ('pandas', 'numpy') if m in sys.modules)\n"
        "import pandas\n"
        "print(json.dumps({'tables': tables, 'loaded': loaded, 'pandas': pandas.__name__}))"
    )
    assert {"models", "datasets", "contracts", "handovers"} <= set(ran["tables"])
    assert ran["loaded"] == []
    assert ran["pandas"] == "pandas"  # importable as ever afterwards
