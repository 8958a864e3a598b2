"""Hashing a model folder as OMS v1.0 does: the files it covers (regular files only, no
links, the ignored paths left out), each file's digest computed in parallel from a file
opened without following links, and the root digest over the sorted manifest."""

from __future__ import annotations

import concurrent.futures
import contextlib
import errno
import hashlib
import os
import stat
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from baton.core.errors import (
    BatonError,
    NotFound,
    UnsafeInput,
    UsageError,
)
from baton.core.progress import CancelToken, ProgressFn

SIGNATURE_NAME = "model.sig"
# Excluded by default at the top level of the model (OMS v1.0 section 6.2).
DEFAULT_IGNORE_PATHS: tuple[str, ...] = (".git", ".gitattributes", ".github", ".gitignore")


# Large reads into one reused buffer per worker: few system calls, no allocations.
READ_CHUNK = 4 << 20


def is_canonical(name: str) -> bool:
    """A canonical OMS resource path: relative, '/'-separated, no '.', '..' or empty parts."""
    if not name or "\x00" in name or name.startswith("/") or name.endswith("/"):
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def normalise_ignore(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """User-given ignore paths as canonical relative POSIX paths (``./a//b`` → ``a/b``)."""
    out = []
    for p in paths:
        text = os.fspath(p).replace(os.sep, "/") if os.sep != "/" else os.fspath(p)
        pure = PurePosixPath(text)
        if pure.is_absolute() or ".." in pure.parts or not pure.parts or str(pure) == ".":
            raise UsageError(f"ignore path {text!r} must be a path inside the model folder")
        if any(c in text for c in "*?["):
            raise UsageError(f"ignore path {text!r} must not contain glob characters (* ? [)")
        out.append(str(pure))
    return out


def ignore_set(paths: Iterable[str]) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(p.split("/")) for p in paths)


def is_ignored(name: str, ignore: frozenset[tuple[str, ...]]) -> bool:
    parts = tuple(name.split("/"))
    return any(parts[:i] in ignore for i in range(1, len(parts) + 1))


@dataclass(frozen=True, slots=True)
class _File:
    name: str  # canonical relative POSIX path
    path: str  # path on disk
    size: int


def enumerate_files(
    root: Path, ignore: frozenset[tuple[str, ...]]
) -> tuple[list[_File], list[str]]:
    """Every regular file under ``root`` not under an ignore path, plus the ignored entries.

    Refuses symbolic links, devices, FIFOs and sockets, and names that are not UTF-8
    (they cannot be written losslessly into the JSON manifest).
    """
    found: list[_File] = []
    ignored: list[str] = []
    stack: list[tuple[tuple[str, ...], str]] = [((), os.fspath(root))]
    while stack:
        parts, folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as err:
            where = "/".join(parts) or os.fspath(root)
            raise BatonError(f"cannot list {where}: {err.strerror}", path=where) from None
        for entry in entries:
            rel_parts = (*parts, entry.name)
            name = "/".join(rel_parts)
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                raise UnsafeInput(
                    f"{shown} has a file name that is not valid UTF-8; OMS signatures cannot name it",
                    path=shown,
                ) from None
            if rel_parts in ignore:
                ignored.append(name)
                continue
            if entry.is_symlink():
                raise UnsafeInput(
                    f"{name} is a symbolic link; signatures cover regular files only "
                    "(allow_symlinks is false)",
                    path=name,
                )
            if entry.is_dir(follow_symlinks=False):
                stack.append((rel_parts, entry.path))
            elif entry.is_file(follow_symlinks=False):
                found.append(_File(name, entry.path, entry.stat(follow_symlinks=False).st_size))
            else:
                raise UnsafeInput(
                    f"{name} is not a regular file (a device, FIFO or socket); it cannot be signed",
                    path=name,
                )
    return found, ignored


def regular_file_inside(root: Path, name: str) -> _File | None:
    """``root/name`` if it is a regular file reached without any symbolic link, else None."""
    path = root
    for part in name.split("/"):
        path = path / part
        try:
            st = os.lstat(path)
        except OSError:
            return None
        if stat.S_ISLNK(st.st_mode):
            raise UnsafeInput(
                f"{name} goes through a symbolic link; signatures cover regular files only",
                path=name,
            )
    return _File(name, os.fspath(path), st.st_size) if stat.S_ISREG(st.st_mode) else None


def check_folder(folder: str | os.PathLike[str]) -> Path:
    root = Path(folder)
    try:
        st = root.stat()
    except FileNotFoundError:
        raise NotFound(f"folder {root} does not exist", path=str(root)) from None
    except OSError as err:
        raise BatonError(f"cannot open folder {root}: {err.strerror}", path=str(root)) from None
    if not stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{root} is not a folder", path=str(root))
    return root


class _Stopped(Exception):
    """Internal: another worker failed or the user cancelled."""


OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in after listing must not block us
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def _hash_file(
    f: _File, view: memoryview, done: list[int], slot: int, stop: threading.Event
) -> str:
    try:
        fd = os.open(f.path, OPEN_FLAGS)
    except FileNotFoundError:
        raise BatonError(f"{f.name} disappeared while it was being hashed", path=f.name) from None
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise UnsafeInput(
                f"{f.name} is a symbolic link; signatures cover regular files only", path=f.name
            ) from None
        raise BatonError(f"cannot read {f.name}: {err.strerror}", path=f.name) from None
    with open(fd, "rb", buffering=0, closefd=True) as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnsafeInput(f"{f.name} is not a regular file; it cannot be signed", path=f.name)
        if hasattr(os, "posix_fadvise"):
            with contextlib.suppress(OSError):  # a hint only
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        h = hashlib.sha256()
        while True:
            n = fh.readinto(view)
            if not n:
                break
            # hashlib releases the GIL for large buffers, so workers hash in parallel.
            h.update(view[:n])
            done[slot] += n
            if stop.is_set():
                raise _Stopped
        return h.hexdigest()


def default_workers() -> int:
    """One hashing thread per core available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def hash_files(
    found: list[_File],
    *,
    progress: ProgressFn | None,
    cancel: CancelToken | None,
    workers: int | None,
    message: str,
) -> dict[str, str]:
    """SHA-256 of each file, in parallel threads; progress and cancel from this thread.

    OMS "files" hashes each file whole, so one file cannot be split between cores; the
    largest files start first so the cores finish together.
    """
    total = sum(f.size for f in found)
    queue = iter(sorted(found, key=lambda f: f.size, reverse=True))
    n = max(1, min(workers or default_workers(), len(found)))
    lock = threading.Lock()
    stop = threading.Event()
    done = [0] * n
    digests: dict[str, str] = {}

    def work(slot: int) -> None:
        view = memoryview(bytearray(READ_CHUNK))
        while not stop.is_set():
            with lock:
                f = next(queue, None)
            if f is None:
                return
            digests[f.name] = _hash_file(f, view, done, slot, stop)

    def report() -> None:
        if progress is not None:
            progress(float(sum(done)), float(total), message)

    report()
    if not found:
        return {}
    with concurrent.futures.ThreadPoolExecutor(
        max_workers=n, thread_name_prefix="baton-hash"
    ) as pool:
        futures = [pool.submit(work, slot) for slot in range(n)]
        try:
            while True:
                finished, pending = concurrent.futures.wait(
                    futures, timeout=0.1, return_when=concurrent.futures.FIRST_EXCEPTION
                )
                for fut in finished:
                    exc = fut.exception()
                    if exc is not None and not isinstance(exc, _Stopped):
                        raise exc
                if not pending:
                    break
                report()
                if cancel is not None:
                    cancel.check()
        except BaseException:
            stop.set()
            raise
    report()
    if cancel is not None:
        cancel.check()
    return digests


def hash_tree(
    folder: str | os.PathLike[str],
    ignore_paths: Iterable[str | os.PathLike[str]] = (),
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
) -> dict[str, str]:
    """``{relative POSIX path: hex sha256}`` of every regular file under ``folder``.

    ``ignore_paths`` are relative paths excluded with their subtrees, exactly as given:
    the OMS defaults and the signature file are added by :func:`sign_folder` and
    :func:`verify_folder`, not here. Symbolic links and special files are refused.
    Files are hashed by ``workers`` threads (default: one per core). The result is
    ordered by code point.
    """
    root = check_folder(folder)
    found, _ = enumerate_files(root, ignore_set(normalise_ignore(ignore_paths)))
    digests = hash_files(
        found, progress=progress, cancel=cancel, workers=workers, message="Hashing files"
    )
    return {name: digests[name] for name in sorted(digests)}


def root_digest(hex_digests: Iterable[str]) -> str:
    """The OMS root digest: SHA-256 over the raw bytes of the given digests, in order."""
    h = hashlib.sha256()
    for d in hex_digests:
        h.update(bytes.fromhex(d))
    return h.hexdigest()


def default_ignore_paths(sig_name: str = SIGNATURE_NAME) -> list[str]:
    """What a signer leaves out and records: the OMS defaults and the signature file."""
    return sorted({*DEFAULT_IGNORE_PATHS, sig_name})
