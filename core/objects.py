"""A content-addressed object store beside the catalog.

Large artifacts (model files, datasets, predictions) live here rather than in SQLite, at
``objects/sha256/ab/cdef…``. Writes are atomic (temp file, fsync, rename) and reads are
verified against the digest, so a damaged object is reported instead of silently used.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from .errors import CatalogError
from .fsutil import CHUNK, atomic_writer, sha256_file


class ObjectStore:
    """Files named by their SHA-256 under ``root``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def path_for(self, digest: str) -> Path:
        digest = digest.lower()
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise CatalogError(f"not a SHA-256 digest: {digest!r}")
        return self.root / "sha256" / digest[:2] / digest[2:]

    def has(self, digest: str) -> bool:
        return self.path_for(digest).is_file()

    def put_file(self, source: str | os.PathLike[str]) -> str:
        """Copy a file into the store (hashing while copying); return its digest."""
        h = hashlib.sha256()
        staging = self.root / "sha256" / "incoming"
        staging.mkdir(parents=True, exist_ok=True)
        tmp_target = staging / f"{os.getpid()}-{id(h)}"
        with atomic_writer(tmp_target, mode=0o444) as out, open(source, "rb") as src:
            while chunk := src.read(CHUNK):
                h.update(chunk)
                out.write(chunk)
        return self._adopt(tmp_target, h.hexdigest())

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if not self.has(digest):
            with atomic_writer(self.path_for(digest), mode=0o444) as out:
                out.write(data)
        return digest

    def _adopt(self, tmp: Path, digest: str) -> str:
        final = self.path_for(digest)
        if final.is_file():
            tmp.unlink()
        else:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
        return digest

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
        with atomic_writer(target) as out, open(src, "rb") as fh:
            shutil.copyfileobj(fh, out, CHUNK)
