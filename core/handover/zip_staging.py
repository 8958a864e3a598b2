"""Where an untrusted ZIP's members land: a private staging folder (0700, emptied on any
failure), and each member streamed into it or into memory, inflated by Baton with its size
capped, its CRC-32 checked, its SHA-256 computed and its first bytes sniffed for a pickle."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import stat
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from baton.core.errors import UnsafeInput, UsageError, VerificationError
from baton.core.fsutil import CHUNK
from baton.core.handover.zip_rules import (
    PICKLE_REFUSAL,
    Limits,
    Member,
    Refusal,
    looks_like_pickle,
)
from baton.core.handover.zip_structure import (
    DIR_FD,
    O_BINARY,
    O_CLOEXEC,
    O_DIRECTORY,
    O_NOFOLLOW,
    Entry,
    Reader,
    nested_zip_problem,
)
from baton.core.present import fmt_size
from baton.core.progress import CancelToken


def private_staging_dir(parent: str | os.PathLike[str] | None = None) -> Path:
    """Create a new, empty folder only the current user can enter (mode 0700)."""
    path = Path(tempfile.mkdtemp(prefix="baton-staging-", dir=parent))
    os.chmod(path, 0o700)
    return path


@contextlib.contextmanager
def private_staging(parent: str | os.PathLike[str] | None = None) -> Iterator[Path]:
    """A :func:`private_staging_dir` that is removed, with its content, on leaving."""
    path = private_staging_dir(parent)
    try:
        yield path
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)  # never hide the error that got us here
        raise
    shutil.rmtree(path)


def prepare_staging(staging_dir: Path) -> None:
    """Create ``staging_dir`` 0700, or accept it if it is already private and empty."""
    try:
        st = os.lstat(staging_dir)
    except FileNotFoundError:
        staging_dir.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(staging_dir, 0o700)
        os.chmod(staging_dir, 0o700)
        return
    if not stat.S_ISDIR(st.st_mode):
        raise UsageError(
            f"Staging folder {staging_dir} is not a plain folder.", path=str(staging_dir)
        )
    if os.name == "posix" and (st.st_uid != os.getuid() or st.st_mode & 0o077):
        raise UsageError(
            f"Staging folder {staging_dir} is not private (mode {stat.S_IMODE(st.st_mode):04o}); "
            "it must belong to you and be 0700.",
            path=str(staging_dir),
        )
    with os.scandir(staging_dir) as it:
        if any(True for _ in it):
            raise UsageError(f"Staging folder {staging_dir} is not empty.", path=str(staging_dir))


def empty_folder(folder: Path) -> None:
    """Remove everything inside ``folder`` (which this module filled), keeping the folder."""
    with contextlib.suppress(FileNotFoundError), os.scandir(folder) as it:
        for entry in list(it):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


class Staging:
    """Creates folders and files strictly inside a staging root, never following links."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root_fd: int | None = None
        if DIR_FD:
            self._root_fd = os.open(root, os.O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

    def close(self) -> None:
        if self._root_fd is not None:
            os.close(self._root_fd)
            self._root_fd = None

    def _walk(self, segments: Sequence[str], create: bool) -> int:
        assert self._root_fd is not None
        fd = os.dup(self._root_fd)
        try:
            for seg in segments:
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(seg, 0o700, dir_fd=fd)
                nxt = os.open(seg, os.O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, dir_fd=fd)
                os.close(fd)
                fd = nxt
        except BaseException:
            os.close(fd)
            raise
        return fd

    def make_folders(self, folder: str) -> None:
        segments = folder.split("/")
        if self._root_fd is None:
            self.root.joinpath(*segments).mkdir(mode=0o700, parents=True, exist_ok=True)
        else:
            os.close(self._walk(segments, create=True))

    def create_file(self, name: str) -> int:
        """A new file opened read-write; fails if anything already has its name."""
        *parents, leaf = name.split("/")
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | O_NOFOLLOW | O_BINARY | O_CLOEXEC
        if self._root_fd is None:
            return os.open(self.root.joinpath(*parents, leaf), flags, 0o600)
        parent_fd = self._walk(parents, create=False)
        try:
            return os.open(leaf, flags, 0o600, dir_fd=parent_fd)
        finally:
            os.close(parent_fd)


class Stopped(Exception):
    """Another member failed; this one stops quietly."""


class Shared:
    """Byte counts and the stop flag shared by the extraction workers."""

    def __init__(self, cancel: CancelToken, limits: Limits) -> None:
        self.cancel = cancel
        self.limits = limits
        self.stop = threading.Event()
        self.done = 0
        self._lock = threading.Lock()

    def checkpoint(self, nbytes: int) -> None:
        self.cancel.check()
        if self.stop.is_set():
            raise Stopped
        with self._lock:
            self.done += nbytes
            done = self.done
        if done > self.limits.max_total_size:
            raise Refusal(
                UnsafeInput,
                f"brings the unpacked total over the limit of {fmt_size(self.limits.max_total_size, exact=True)}",
            )


class Sink:
    """Receives a member's bytes: sniffs, counts, hashes and writes them."""

    def __init__(self, out: Callable[[bytes], object], declared: int, shared: Shared) -> None:
        self.out = out
        self.declared = declared
        self.shared = shared
        self.count = 0
        self.crc = 0
        self.sha = hashlib.sha256()
        self.head = b""  # the first bytes, kept to sniff for a pickle or a nested ZIP
        self._sniffed = False

    def write(self, data: bytes) -> None:
        self.count += len(data)
        if self.count > self.declared:
            raise Refusal(
                VerificationError,
                f"unpacks to more than its declared size of {fmt_size(self.declared)}; the ZIP is malformed",
            )
        if not self._sniffed:
            self.head += data
            if len(self.head) < 8 and self.count < self.declared:
                return
            data, self.head, self._sniffed = self.head, self.head[:8], True
            if looks_like_pickle(data):
                raise Refusal(UnsafeInput, PICKLE_REFUSAL)
        self.sha.update(data)
        self.crc = zlib.crc32(data, self.crc)
        self.out(data)
        self.shared.checkpoint(len(data))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _stream_member(reader: Reader, entry: Entry, sink: Sink) -> None:
    """Feed ``entry``'s decompressed bytes to ``sink``, never more than declared + 1."""
    offset, left = entry.data_offset, entry.compressed_size

    def read() -> bytes:
        nonlocal offset, left
        chunk = reader.read_at(offset, min(CHUNK, left))
        if not chunk:
            raise Refusal(VerificationError, "ends after the end of the file; the ZIP is truncated")
        offset += len(chunk)
        left -= len(chunk)
        return chunk

    if entry.method == zipfile.ZIP_STORED:
        while left:
            sink.write(read())
        return
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        while not inflater.eof:
            buf = inflater.unconsumed_tail or (read() if left else b"")
            room = min(CHUNK, entry.size - sink.count + 1)  # one byte past the promise
            out = inflater.decompress(buf, room)
            if out:
                sink.write(out)
            elif not buf:
                raise Refusal(
                    VerificationError,
                    "has compressed data that ends early; the ZIP is truncated or damaged",
                )
    except zlib.error as exc:
        raise Refusal(VerificationError, f"has damaged compressed data ({exc})") from None
    if left or inflater.unused_data:
        raise Refusal(
            VerificationError,
            "has bytes after the end of its compressed data; the ZIP is malformed",
        )


def inflate_checked(reader: Reader, entry: Entry, sink: Sink, check_crc: bool) -> None:
    """Stream ``entry`` into ``sink``, then hold it to its declared size and CRC-32."""
    _stream_member(reader, entry, sink)
    if sink.count != entry.size:
        raise Refusal(
            VerificationError,
            f"unpacks to {fmt_size(sink.count)}, less than its declared size of {fmt_size(entry.size)}; the ZIP is truncated or damaged",
        )
    if check_crc and sink.crc != entry.crc:
        raise Refusal(
            VerificationError,
            "is damaged: its CRC-32 does not match (changed or corrupted after packing)",
        )


def stage_file(
    staging: Staging, name: str, size: int, shared: Shared, feed: Callable[[Sink], None]
) -> str:
    """Create ``name`` in ``staging``, let ``feed`` write its bytes through a :class:`Sink`
    (sniffed, counted, hashed) and refuse a nested ZIP that holds a pickle; its SHA-256.

    One path for a ZIP member and for a file of an extracted folder, so both are held to
    the same content rules."""
    fd = staging.create_file(name)
    try:
        sink = Sink(functools.partial(_write_all, fd), size, shared)
        feed(sink)
        if sink.head.startswith(b"PK\x03\x04"):
            with open(fd, "rb", closefd=False) as fh:
                problem = nested_zip_problem(fh, sink.count)
            if problem:
                raise Refusal(UnsafeInput, problem)
        return sink.sha.hexdigest()
    finally:
        os.close(fd)


def extract_member(
    reader: Reader, entry: Entry, staging: Staging, shared: Shared, check_crc: bool
) -> Member:
    def feed(sink: Sink) -> None:
        inflate_checked(reader, entry, sink, check_crc)

    return entry.member(stage_file(staging, entry.name, entry.size, shared, feed))
