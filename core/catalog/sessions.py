"""The lock file each open catalog holds, which tells the next open whether a session
ended without closing the catalog (a crash, ``kill -9``, a power cut).

Each :class:`Catalog` creates ``sessions/<random>.lock`` in its home and holds it locked
(``flock``) until it closes, when it removes it. The operating system drops the lock of
a process that dies, so a file nobody holds was left by a session that ended uncleanly;
the next open removes it and checks the database. A live session beside it (another
window, a command) holds its file and is left alone. On Windows an open file cannot be
deleted, which tells the two apart instead.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

SUFFIX = ".lock"


class Session:
    """This process's hold on one catalog: :meth:`close` ends it cleanly."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        while True:
            path = folder / f"{os.urandom(8).hex()}{SUFFIX}"
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            if fcntl is None:
                break
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits while a sweep holds it, which unlinks it
            if os.fstat(fd).st_nlink > 0:
                break
            os.close(fd)
        self.path = path
        self._fd: int | None = fd

    def close(self, *, clean: bool = True) -> None:
        """End the session; ``clean=False`` leaves its file, so the next open checks."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if fcntl is None:  # Windows deletes only closed files
            os.close(fd)
        if clean:
            with contextlib.suppress(OSError):
                os.unlink(self.path)  # still locked: a sweep cannot take it for a dead one
        if fcntl is not None:
            os.close(fd)


def sweep_dead(folder: Path) -> int:
    """Remove the lock files of sessions that ended without closing; how many there were."""
    try:
        entries = [e.path for e in os.scandir(folder) if e.name.endswith(SUFFIX)]
    except OSError:
        return 0
    dead = 0
    for path in entries:
        with contextlib.suppress(OSError):
            dead += _remove_if_dead(path)
    return dead


def _remove_if_dead(path: str) -> bool:
    if fcntl is None:
        try:
            os.unlink(path)  # fails while its session has it open
        except PermissionError:
            return False
        return True
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        os.unlink(path)
        return True
    finally:
        os.close(fd)
