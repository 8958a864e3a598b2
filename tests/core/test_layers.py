"""The layering rules of DESIGN.md section 1: core never imports Qt or the GUI."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BLOCKER = r"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6") or name.startswith("baton.gui"):
            raise ImportError(f"blocked for this test: {name}")
sys.meta_path.insert(0, Block())
import importlib, pkgutil, baton.core
names = [m.name for m in pkgutil.walk_packages(baton.core.__path__, "baton.core.")]
for name in names:
    importlib.import_module(name)
print(len(names), "modules")
"""


def test_every_core_module_imports_with_qt_unavailable():
    result = subprocess.run(
        [sys.executable, "-c", BLOCKER], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[0]) >= 10


def test_import_linter_contract_holds(tmp_path):
    # Lay the source tree out as the installed package (baton.core, baton.gui, …) so the
    # contract is checked against the files in this checkout, however Baton was installed.
    pkg = tmp_path / "baton"
    pkg.mkdir()
    for part in ("core", "gui", "resources"):
        (pkg / part).symlink_to(ROOT / part, target_is_directory=True)
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


# SQLite's and sqlite-utils' ways of running a query or reading a table.
SQL_CALLS = ("execute", "executescript", "rows_where", "count_where", "table_names")


def _sql_outside_the_catalog(path: Path) -> list[str]:
    """Where a module outside ``core/catalog/`` reaches into the catalog's SQL: a ``.db``
    attribute, a query call (:data:`SQL_CALLS`), or a private name of the catalog package
    (imported, or read from a name imported from it)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(ROOT)
    found = []
    from_catalog: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "baton.core.catalog"
        ):
            for alias in node.names:
                if alias.name.startswith("_"):
                    found.append(f"{where}:{node.lineno}: imports {alias.name} from {node.module}")
                from_catalog.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("baton.core.catalog") and alias.asname:
                    from_catalog.add(alias.asname)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if node.attr == "db":
                found.append(f"{where}:{node.lineno}: reads .db")
            elif (
                node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name)
                and node.value.id in from_catalog
            ):
                found.append(f"{where}:{node.lineno}: uses {node.value.id}.{node.attr}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS
        ):
            found.append(f"{where}:{node.lineno}: calls .{node.func.attr}(")
    return found


def test_only_the_catalog_package_speaks_sql():
    """Queries have one owner: everything else calls the catalog's named methods."""
    catalog = ROOT / "core" / "catalog"
    found = []
    for part in ("core", "gui"):
        for path in sorted((ROOT / part).rglob("*.py")):
            if catalog not in path.parents:
                found += _sql_outside_the_catalog(path)
    assert not found, "SQL outside core/catalog/:\n" + "\n".join(found)


def _privates_from_other_modules(path: Path) -> list[str]:
    """Where a module uses another Baton module's private name (a leading underscore):
    imported from it, or read from the module imported whole."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    where = path.relative_to(ROOT)
    found, modules = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("baton"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{where}:{node.lineno}: imports {alias.name} from {node.module}")
                else:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules |= {a.asname or a.name for a in node.names if a.name.startswith("baton")}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            found.append(f"{where}:{node.lineno}: uses {node.value.id}.{node.attr}")
    return found


def test_no_module_reaches_into_another_modules_private_names():
    """What a module shares is public; its private names are its own to change."""
    found = []
    for part in ("core", "gui"):
        for path in sorted((ROOT / part).rglob("*.py")):
            found += _privates_from_other_modules(path)
    assert not found, "private names used across modules:\n" + "\n".join(found)
