"""The layering rules of DESIGN.md section 1: core never imports Qt or the GUI."""

from __future__ import annotations

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
    assert "4 kept, 0 broken" in result.stdout
