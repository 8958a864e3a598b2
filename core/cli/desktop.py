"""Desktop integration on Linux and other freedesktop.org systems (``baton desktop-install``).

Installs, for the current user, the desktop entry (``applications/baton.desktop``, which
runs ``baton gui %f``), the shared-MIME-info types ``application/x-baton-bundle``
(``*.baton``) and ``application/x-baton-review`` (``*.review.baton``) in
``mime/packages/baton-mime.xml``, and the application icon
(``icons/hicolor/scalable/apps/baton.svg``), all under ``prefix`` (default
``~/.local/share``, the XDG data home). Then it refreshes the MIME and desktop databases
with ``update-mime-database`` and ``update-desktop-database`` when those tools are
installed; without them the files are in place and the desktop picks them up at its next
scan. After this, double-clicking a bundle or a receipt opens it in Baton.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from baton.core.errors import BatonError, UsageError
from baton.core.fsutil import atomic_write_bytes

DESKTOP_FILE = "baton.desktop"
MIME_FILE = "baton-mime.xml"
ICON_FILE = "icons/baton.svg"
EXEC_LINE = "Exec=baton gui %f"
TOOL_TIMEOUT_S = 60


def default_prefix() -> Path:
    """``$XDG_DATA_HOME``, else ``~/.local/share``."""
    xdg = os.environ.get("XDG_DATA_HOME")
    return Path(xdg) if xdg else Path.home() / ".local" / "share"


def _resource(name: str) -> bytes:
    return resources.files("baton.resources").joinpath(name).read_bytes()


def desktop_entry(command: str | None = None) -> bytes:
    """The desktop entry; ``command`` replaces ``baton`` (e.g. the absolute path of a venv's
    ``baton`` script, so the entry works without the venv on ``PATH``)."""
    text = _resource(DESKTOP_FILE).decode("utf-8")
    if command:
        if any(c in command for c in "\n\r\"'\\`$%"):
            raise UsageError(f"{command!r} cannot be written into a desktop entry's Exec line")
        quoted = f'"{command}"' if " " in command else command
        text = text.replace(EXEC_LINE, f"Exec={quoted} gui %f").replace(
            "TryExec=baton", f"TryExec={command}"
        )
    return text.encode("utf-8")


def _refresh(tool: str, folder: Path) -> str | None:
    """Run a database tool on ``folder`` if it is installed; returns what it said on failure."""
    exe = shutil.which(tool)
    if exe is None:
        return None
    try:
        done = subprocess.run(
            [exe, str(folder)], capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{tool} failed: {exc}"
    if done.returncode != 0:
        return (
            f"{tool} exited with {done.returncode}: {(done.stderr or done.stdout).strip()[-500:]}"
        )
    return None


def install_desktop_entry(
    prefix: str | os.PathLike[str] | None = None, *, command: str | None = None
) -> list[Path]:
    """Install the desktop entry, the MIME types and the icon under ``prefix``.

    Returns the files written. Refreshing the MIME and desktop databases is best effort:
    a missing tool is skipped silently, a failing one raises :class:`BatonError` naming it
    (the files stay installed).
    """
    root = Path(prefix).expanduser() if prefix is not None else default_prefix()
    targets = [
        (root / "applications" / DESKTOP_FILE, desktop_entry(command)),
        (root / "mime" / "packages" / MIME_FILE, _resource(MIME_FILE)),
        (root / "icons" / "hicolor" / "scalable" / "apps" / "baton.svg", _resource(ICON_FILE)),
    ]
    written = []
    for path, data in targets:
        try:
            atomic_write_bytes(path, data)
        except OSError as exc:
            raise BatonError(f"cannot write {path}: {exc.strerror or exc}") from None
        written.append(path)
    problems = [
        p
        for p in (
            _refresh("update-mime-database", root / "mime"),
            _refresh("update-desktop-database", root / "applications"),
        )
        if p
    ]
    if problems:
        raise BatonError(
            "the files are installed, but refreshing the desktop databases failed: "
            + "; ".join(problems)
        )
    return written
