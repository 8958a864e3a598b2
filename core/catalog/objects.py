"""A content-addressed object store beside the catalog.

Large artifacts (model files, datasets, predictions) live here rather than in SQLite, at
``objects/sha256/ab/cdef…``. Writes are atomic: the bytes go to a locked temp file in
``objects/tmp/`` (hashed while copied), are flushed to disk and renamed into place, so a
crash or a full disk leaves no partial object; temp files of runs that died are swept
when the catalog opens. Reads are verified against the digest, so a damaged object is
reported instead of silently used.

A pack uses the same large test set many times (checking a model, evaluating,
profiling, writing the bundle), so a store remembers which objects it has verified (or
written, hashing while it copied) together with their file status, and hashes one again
only when that status changed. A status from within :data:`RACY_S` of when it was taken
proves nothing (a change in the same clock tick leaves the times as they were), so such
an object is hashed again on its next use, as git does with "racily clean" files.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import time
from pathlib import Path
from typing import BinaryIO

from baton.core.errors import CatalogError
from baton.core.fsutil import (
    CHUNK,
    atomic_writer,
    commit,
    locked_temp,
    sha256_file,
    sweep_temps,
    write_all,
)

_NO_SPACE = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))
# The coarsest timestamp granularity among common file systems (FAT: 2 s).
RACY_S = 2.0
_Status = tuple[int, int, int, int, int]


def _status(st: os.stat_result) -> _Status:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class ObjectStore:
    """Files named by their SHA-256 under ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.tmp = self.root / "tmp"
        # digest -> (file status when its bytes were proved, when that was, in ns)
        self._proved: dict[str, tuple[_Status, int]] = {}

    def path_for(self, digest: str) -> Path:
        digest = digest.lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise CatalogError(f"not a SHA-256 digest: {digest!r}")
        return self.root / "sha256" / digest[:2] / digest[2:]

    def has(self, digest: str) -> bool:
        return self.path_for(digest).is_file()

    def put_file(self, source: str | os.PathLike[str]) -> str:
        """Copy a file into the store (hashing while copying); return its digest."""
        name = Path(source).name
        try:
            with locked_temp(self.tmp, "object") as (out, tmp), open(source, "rb") as src:
                h = hashlib.sha256()
                while chunk := src.read(CHUNK):
                    h.update(chunk)
                    write_all(out.fileno(), chunk)
                return self._adopt(out, tmp, h.hexdigest())
        except OSError as exc:
            raise _store_error(exc, name) from exc

    def _adopt(self, out: BinaryIO, tmp: Path, digest: str) -> str:
        """Rename a written temp file into place, unless the object is there already."""
        final = self.path_for(digest)
        if not final.is_file():  # else the temp file is removed when its block ends
            final.parent.mkdir(parents=True, exist_ok=True)
            commit(out, tmp, final, mode=0o444)
            self._remember(digest, os.stat(final))  # the bytes just hashed and written
        return digest

    def _remember(self, digest: str, st: os.stat_result) -> None:
        self._proved[digest] = (_status(st), time.time_ns())

    def _still_proved(self, digest: str, st: os.stat_result) -> bool:
        """Whether the object's bytes were proved before and its status has not changed
        since, with a status taken well after its last change (see the module's notes)."""
        known = self._proved.get(digest)
        if known is None or known[0] != _status(st):
            return False
        changed = max(st.st_mtime_ns, st.st_ctime_ns)
        return known[1] - changed > RACY_S * 1e9

    def sweep(self) -> None:
        """Remove temp files left by runs that died."""
        sweep_temps(self.tmp)
        # Baton's earlier layout staged copies here; nothing writes there any more.
        shutil.rmtree(self.root / "sha256" / "incoming", ignore_errors=True)

    def open_verified(self, digest: str) -> Path:
        """Return the path of an object after checking that its bytes still match."""
        path = self.path_for(digest)
        try:
            st = os.stat(path)
        except OSError:
            st = None
        if st is None or not stat.S_ISREG(st.st_mode):
            raise CatalogError(
                f"object {digest[:12]}… is missing from {self.root}; re-import the file"
            )
        if self._still_proved(digest, st):
            return path
        actual = sha256_file(path)
        self._check(digest, actual)
        self._remember(digest, st)
        return path

    def _check(self, digest: str, actual: str) -> None:
        if actual != digest:
            self._proved.pop(digest, None)
            raise CatalogError(
                f"object {digest[:12]}… in {self.root} is damaged (its content hash is now "
                f"{actual[:12]}…); re-import the file"
            )

    def export(self, digest: str, target: str | os.PathLike[str]) -> None:
        """Copy an object to ``target`` atomically, checking its bytes as they are copied
        (one reading); a damaged object leaves no ``target``."""
        src = self.path_for(digest)
        if not src.is_file():
            self.open_verified(digest)  # says it is missing
        try:
            with atomic_writer(target) as out, open(src, "rb") as fh:
                st = os.fstat(fh.fileno())
                if self._still_proved(digest, st):
                    shutil.copyfileobj(fh, out, CHUNK)
                else:
                    h = hashlib.sha256()
                    while chunk := fh.read(CHUNK):
                        h.update(chunk)
                        out.write(chunk)
                    self._check(digest, h.hexdigest())  # before the rename: nothing placed
                    self._remember(digest, st)
        except OSError as exc:
            raise _store_error(exc, Path(target).name, storing=False) from exc

    def place(
        self, digest: str, target: str | os.PathLike[str], *, checked_later: bool = False
    ) -> None:
        """Make a verified object appear at ``target``: a hard link where the file system
        allows one (no bytes copied), else a checked copy.

        Only for files nobody writes to, such as a bundle's staging folder: a link shares
        its bytes with the store (which keeps them read-only). ``checked_later``: the
        caller hashes the linked file anyway and refuses it unless it has ``digest`` (a
        bundle's ZIP writer compares every file with the signed manifest), so the link
        is made without reading the object first."""
        path = self.path_for(digest) if checked_later else self.open_verified(digest)
        try:
            os.link(path, target)
        except OSError:
            self.export(digest, target)


def _store_error(exc: OSError, name: str, *, storing: bool = True) -> CatalogError:
    doing = f"storing {name}" if storing else f"writing {name}"
    if exc.errno in _NO_SPACE:
        return CatalogError(f"no space left on device while {doing}; free space and try again")
    return CatalogError(f"cannot finish {doing}: {exc.strerror or exc}", path=exc.filename)
