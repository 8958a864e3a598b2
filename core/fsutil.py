"""Small file-system helpers: crash-safe writes, stale temp files, streaming hashes.

Every file Baton writes in place of another (a bundle, an object in the store, a key) is
first written to a temp file beside its target, named ``.baton-tmp-<target>.<random>``,
flushed to disk and renamed into place, so a crash leaves the old file or none. While it
is being written the temp file is locked (``flock``); a temp file that nobody holds
locked was left by a run that died (``kill -9``, a power cut), and :func:`sweep_temps`
removes it. The lock, not the file's age, tells the two apart, so a slow writer in
another process is never swept. Only names with Baton's prefix are ever considered.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

try:
    import fcntl
except ImportError:  # Windows: an open file cannot be deleted, which protects it instead
    fcntl = None  # type: ignore[assignment]

CHUNK = 1 << 20
TEMP_PREFIX = ".baton-tmp-"


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entry table so a rename inside it survives a crash (POSIX only)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """``os.write`` until every byte is written (a write may take only part of them)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _lock_new(fd: int) -> bool:
    """Lock a temp file just created; False if a sweep removed it before we held it."""
    if fcntl is None:
        return True
    fcntl.flock(fd, fcntl.LOCK_EX)  # waits while a sweep holds it, which then unlinks it
    return os.fstat(fd).st_nlink > 0


@contextlib.contextmanager
def locked_temp(folder: str | os.PathLike[str], label: str) -> Iterator[tuple[BinaryIO, Path]]:
    """A new temp file in ``folder``, locked until the block ends, then removed unless the
    block renamed it into place. Yields the open file (unbuffered) and its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{label}.", dir=folder)
        if _lock_new(fd):
            break
        os.close(fd)
    fh = os.fdopen(fd, "w+b", buffering=0)
    try:
        yield fh, Path(name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        fh.close()


def commit(fh: BinaryIO, tmp: Path, target: Path, *, mode: int, replace: bool = True) -> None:
    """Make the written temp file ``target``: fsync, set ``mode``, rename, fsync the folder.

    With ``replace=False`` an existing ``target`` is never replaced: FileExistsError.
    """
    fh.flush()
    os.fsync(fh.fileno())
    os.chmod(tmp, mode)
    if os.name != "posix":
        fh.close()  # Windows renames only closed files
    if replace:
        os.replace(tmp, target)
    else:
        _rename_no_replace(tmp, target)
    fsync_dir(target.parent)


def _rename_no_replace(tmp: Path, target: Path) -> None:
    try:
        os.link(tmp, target)  # atomic, and fails if target exists
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links (FAT, some network shares)
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target)) from None
        os.replace(tmp, target)
        return
    os.unlink(tmp)


@contextlib.contextmanager
def atomic_writer(
    target: str | os.PathLike[str],
    mode: int = 0o644,
    *,
    replace: bool = True,
    before_commit: Callable[[Path], None] | None = None,
) -> Iterator[BinaryIO]:
    """Open a locked temp file beside ``target``; on success fsync and rename it into place.

    A crash or exception leaves the old file (or none), never a half-written one.
    ``before_commit(temp_path)`` runs once the bytes are on disk, just before the rename
    (the temp file is still locked): what must be recorded before the file may appear.
    ``replace=False`` refuses to replace an existing ``target`` (FileExistsError).
    """
    target = Path(target)
    with locked_temp(target.parent, target.name) as (raw, tmp):
        with open(raw.fileno(), "wb", closefd=False) as fh:
            yield fh
        if before_commit is not None:
            before_commit(tmp)
        commit(raw, tmp, target, mode=mode, replace=replace)


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``target`` atomically (temp file, fsync, rename)."""
    with atomic_writer(target, mode) as fh:
        fh.write(data)


def sweep_temps(folder: str | os.PathLike[str], label: str = "") -> list[Path]:
    """Remove the temp files in ``folder`` left by runs that died; return the live ones.

    Only Baton's temp names count (``label``: only those for that target name); a temp
    file some process still holds locked is being written and is left alone. A folder
    that is missing or unreadable has nothing to sweep.
    """
    prefix = f"{TEMP_PREFIX}{label}." if label else TEMP_PREFIX
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(prefix)]
    except OSError:
        return []
    live = []
    for entry in entries:
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False) and not _remove_if_dead(entry.path):
                live.append(Path(entry.path))
    return live


def _remove_if_dead(path: str) -> bool:
    """Delete a temp file unless its writer still holds it; True if it was deleted."""
    if fcntl is None:
        try:
            os.unlink(path)  # fails while the writer has it open
        except PermissionError:
            return False
        return True
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        os.unlink(path)  # still locked by us: a writer waiting for it will see it gone
        return True
    finally:
        os.close(fd)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()
