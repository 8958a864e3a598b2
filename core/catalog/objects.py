"""A content-addressed object store beside the catalog.

Large artifacts (model files, datasets, predictions) live here rather than in SQLite, at
``objects/sha256/ab/cdef…``. Writes are atomic: the bytes go to a locked temp file in
``objects/tmp/`` (hashed while copied), are flushed to disk and renamed into place, so a
crash or a full disk leaves no partial object; temp files of runs that died are swept
when the catalog opens. Reads are verified against the digest, so a damaged object is
reported instead of silently used.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
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


class ObjectStore:
    """Files named by their SHA-256 under ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.tmp = self.root / "tmp"

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
        return digest

    def sweep(self) -> None:
        """Remove temp files left by runs that died."""
        sweep_temps(self.tmp)
        # Baton's earlier layout staged copies here; nothing writes there any more.
        shutil.rmtree(self.root / "sha256" / "incoming", ignore_errors=True)

    def open_verified(self, digest: str) -> Path:
        """Return the path of an object after checking that its bytes still match."""
        path = self.path_for(digest)
        if not path.is_file():
            raise CatalogError(
                f"object {digest[:12]}… is missing from {self.root}; re-import the file"
            )
        actual = sha256_file(path)
        if actual != digest:
            raise CatalogError(
                f"object {digest[:12]}… in {self.root} is damaged (its content hash is now "
                f"{actual[:12]}…); re-import the file"
            )
        return path

    def export(self, digest: str, target: str | os.PathLike[str]) -> None:
        """Copy a verified object to ``target`` atomically."""
        src = self.open_verified(digest)
        try:
            with atomic_writer(target) as out, open(src, "rb") as fh:
                shutil.copyfileobj(fh, out, CHUNK)
        except OSError as exc:
            raise _store_error(exc, Path(target).name, storing=False) from exc


def _store_error(exc: OSError, name: str, *, storing: bool = True) -> CatalogError:
    doing = f"storing {name}" if storing else f"writing {name}"
    if exc.errno in _NO_SPACE:
        return CatalogError(f"no space left on device while {doing}; free space and try again")
    return CatalogError(f"cannot finish {doing}: {exc.strerror or exc}", path=exc.filename)
