"""`baton desktop-install`: the desktop entry, MIME types and icon land under a prefix."""

from __future__ import annotations

import configparser
import shutil
import xml.etree.ElementTree as ET

import pytest

from baton.core.cli import desktop
from baton.core.errors import BatonError, UsageError

MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"


def _entry(path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # desktop keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_installs_entry_mime_types_and_icon(tmp_path, monkeypatch):
    monkeypatch.setattr(desktop.shutil, "which", lambda tool: None)  # no database tools
    written = desktop.install_desktop_entry(tmp_path)
    assert written == [
        tmp_path / "applications" / "baton.desktop",
        tmp_path / "mime" / "packages" / "baton-mime.xml",
        tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "baton.svg",
    ]
    assert all(p.is_file() for p in written)
    entry = _entry(written[0])
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "baton gui %f"
    assert entry["Icon"] == "baton"
    assert "application/x-baton-bundle" in entry["MimeType"].split(";")
    types = {
        t.get("type"): [g.get("pattern") for g in t.iter(f"{MIME_NS}glob")]
        for t in ET.parse(written[1]).getroot()
    }
    assert types["application/x-baton-bundle"] == ["*.baton"]
    assert types["application/x-baton-review"] == ["*.review.baton"]
    # installing again replaces the files in place
    assert desktop.install_desktop_entry(tmp_path) == written


def test_command_replaces_baton_in_exec(tmp_path, monkeypatch):
    monkeypatch.setattr(desktop.shutil, "which", lambda tool: None)
    path = desktop.install_desktop_entry(tmp_path, command="/opt/baton venv/bin/baton")[0]
    entry = _entry(path)
    assert entry["Exec"] == '"/opt/baton venv/bin/baton" gui %f'
    assert entry["TryExec"] == "/opt/baton venv/bin/baton"
    with pytest.raises(UsageError, match="Exec line"):
        desktop.install_desktop_entry(tmp_path, command="baton; rm -rf $HOME")


def test_default_prefix_follows_xdg_data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert desktop.default_prefix() == tmp_path / "data"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert desktop.default_prefix().parts[-2:] == (".local", "share")


@pytest.mark.skipif(shutil.which("update-mime-database") is None, reason="needs shared-mime-info")
def test_mime_database_knows_bundles_and_receipts(tmp_path, monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(
        desktop.shutil,
        "which",
        lambda tool: real_which(tool) if tool == "update-mime-database" else None,
    )
    desktop.install_desktop_entry(tmp_path)
    globs = (tmp_path / "mime" / "globs2").read_text()
    assert ":application/x-baton-bundle:*.baton" in globs
    assert ":application/x-baton-review:*.review.baton" in globs


def test_a_failing_database_tool_is_reported(tmp_path, monkeypatch):
    tool = tmp_path / "bin" / "update-mime-database"
    tool.parent.mkdir()
    tool.write_text("#!/bin/sh\necho 'broken database' >&2\nexit 3\n")
    tool.chmod(0o755)
    monkeypatch.setattr(
        desktop.shutil, "which", lambda name: str(tool) if name == "update-mime-database" else None
    )
    with pytest.raises(BatonError, match="update-mime-database exited with 3: broken database"):
        desktop.install_desktop_entry(tmp_path / "share")
    assert (tmp_path / "share" / "applications" / "baton.desktop").is_file()
