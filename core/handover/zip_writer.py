"""Writing a bundle ZIP that the reader accepts: deterministic bytes (sorted names,
1980-01-01 timestamps, mode 0644), written atomically, each file deflated or stored
depending on whether a sample of it compresses."""

from __future__ import annotations

import functools
import hashlib
import os
import stat
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from baton.core.errors import BatonError, NotFound, UnsafeInput, UsageError, VerificationError
from baton.core.fsutil import CHUNK, atomic_writer
from baton.core.handover.zip_rules import (
    PICKLE_WRITE_REFUSAL,
    KiB,
    Limits,
    Member,
    NameSet,
    is_pickle_name,
    looks_like_pickle,
    name_problem,
    show_name,
)
from baton.core.handover.zip_structure import (
    METHODS,
    O_BINARY,
    O_CLOEXEC,
    O_NOFOLLOW,
    nested_zip_problem,
)
from baton.core.present import fmt_size
from baton.core.progress import NEVER_CANCELLED, CancelToken, ProgressFn, no_progress

_ALREADY_COMPRESSED = frozenset(
    {
        ".parquet",
        ".zip",
        ".baton",
        ".gz",
        ".bz2",
        ".xz",
        ".zst",
        ".lz4",
        ".7z",
        ".png",
        ".jpg",
        ".jpeg",
        ".webp",
        ".npz",
    }
)


_SAMPLE = 256 * KiB
_SAMPLES = 4
_DEFLATE_WHEN_BELOW = 0.9
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_ZIP_MODE = (stat.S_IFREG | 0o644) << 16


def _choose_method(name: str, fh: BinaryIO, size: int, limits: Limits) -> int:
    """Deflate a file only if a sample of it shrinks by 10 % or more, and not too much.

    Extension alone cannot decide for models: measured with scikit-learn and skl2onnx,
    a random forest's ``.skops`` and ``.onnx`` deflate to 15-20 % (skops stores its
    arrays uncompressed), while a neural network's float weights only reach 93 % at
    35 MB/s, and Parquet reaches 96 %. Four 256 KiB samples spread over the file at
    zlib level 1 decide in a few milliseconds; the choice depends only on the bytes, so
    the bundle stays deterministic.

    A legitimate file can deflate beyond the reader's ratio limit (a sparse model's
    zeros, a repetitive CSV); such a file is stored instead, so that Baton never writes
    a bundle it would refuse as a ZIP bomb.
    """
    if size == 0 or Path(name).suffix.lower() in _ALREADY_COMPRESSED:
        return zipfile.ZIP_STORED
    if size <= _SAMPLES * _SAMPLE:
        offsets = [0]
        length = size
    else:
        step = (size - _SAMPLE) // (_SAMPLES - 1)
        offsets = [i * step for i in range(_SAMPLES)]
        length = _SAMPLE
    raw = packed = 0
    for offset in offsets:
        fh.seek(offset)
        sample = fh.read(length)
        raw += len(sample)
        packed += len(zlib.compress(sample, 1))
    fh.seek(0)
    if packed >= _DEFLATE_WHEN_BELOW * raw:
        return zipfile.ZIP_STORED
    if size > limits.ratio_min_size and _deflates_beyond(fh, limits.max_ratio * 0.95):
        return zipfile.ZIP_STORED
    return zipfile.ZIP_DEFLATED


def _deflates_beyond(fh: BinaryIO, ratio: float) -> bool:
    """Whether ``fh`` deflates (as zipfile does it) by more than ``ratio``:1.

    The dry run stops as soon as the output is big enough to prove it does not, which
    for ordinary data (5:1) is within the first few percent of the file.
    """
    size = os.fstat(fh.fileno()).st_size
    enough = size / ratio
    deflater = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -zlib.MAX_WBITS)
    packed = 0
    try:
        while chunk := fh.read(CHUNK):
            packed += len(deflater.compress(chunk))
            if packed > enough:
                return False
        return packed + len(deflater.flush()) <= enough
    finally:
        fh.seek(0)


def _bundle_files(folder: Path) -> list[tuple[str, Path]]:
    """Every regular file under ``folder`` as (POSIX relative name, path), sorted by name."""
    found: list[tuple[str, Path]] = []

    def walk(here: Path, prefix: str) -> None:
        with os.scandir(here) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            rel = prefix + entry.name
            if entry.is_symlink():
                raise UnsafeInput(
                    f"{folder.name}: {show_name(rel)} is a symbolic link; a bundle holds regular files only",
                    path=entry.path,
                )
            if entry.is_dir(follow_symlinks=False):
                walk(Path(entry.path), rel + "/")
            elif entry.is_file(follow_symlinks=False):
                found.append((rel, Path(entry.path)))
            else:
                raise UnsafeInput(
                    f"{folder.name}: {show_name(rel)} is not a regular file; a bundle holds regular files only",
                    path=entry.path,
                )

    walk(folder, "")
    found.sort(key=lambda item: item[0])
    return found


def write_bundle_zip(
    folder: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    limits: Limits = Limits(),  # noqa: B008
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    replace: bool = True,
    before_commit: Callable[[Path], None] | None = None,
    check_members: Callable[[list[Member]], None] | None = None,
) -> list[Member]:
    """Pack the regular files under ``folder`` into the ZIP ``out_path``, atomically.

    The bytes depend only on the files' names and contents: names sorted by code point,
    timestamps 1980-01-01, mode 0644, Unix as the creating system, no folder entries.
    Each file is deflated or stored as :func:`_choose_method` decides; ZIP64 is used
    when a size needs it. Files are streamed, never read whole. Anything that
    :func:`safe_extract` would refuse under ``limits`` (a pickle, a symlink, an unsafe
    name, too many or too large files, too high a ratio) is refused here first, so
    Baton never writes a bundle it would not open.

    A crash, an error or a cancel leaves the previous ``out_path`` (or none) and no
    temporary file (one from a crash is swept later, see :mod:`baton.core.fsutil`);
    ``replace`` and ``before_commit`` are those of :func:`~baton.core.fsutil.atomic_writer`.
    Returns the members with the SHA-256 of the bytes actually packed,
    which the caller can compare with what it signed: ``check_members(members)`` runs
    once the ZIP is complete and before ``before_commit``, so a refusal there leaves no
    bundle (the check costs no second reading of the files).
    """
    folder = Path(folder)
    out_path = Path(out_path)
    report = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    label = folder.name
    if not folder.is_dir():
        raise NotFound(f"{folder}: no such folder", path=str(folder))
    if out_path.resolve().is_relative_to(folder.resolve()):
        raise UsageError(
            f"The bundle {out_path.name} cannot be written inside the folder it packs ({folder})."
        )

    files = _bundle_files(folder)
    if len(files) > limits.max_members:
        raise UnsafeInput(
            f"{label}: has {len(files)} files, over the limit of {limits.max_members} for a bundle",
            path=str(folder),
        )
    names = NameSet()
    for name, _ in files:
        problem = name_problem(name, limits) or names.add(name)
        if problem is None and is_pickle_name(name):
            problem = PICKLE_WRITE_REFUSAL
        if problem:
            raise UnsafeInput(f"{label}: file {show_name(name)} {problem}", path=str(folder / name))

    sizes = [p.stat().st_size for _, p in files]
    total = sum(sizes)
    if total > limits.max_total_size:
        raise UnsafeInput(
            f"{label}: files total {fmt_size(total)}, over the limit of {fmt_size(limits.max_total_size, exact=True)} for a bundle",
            path=str(folder),
        )

    members: list[Member] = []
    done = 0

    def finish(tmp: Path) -> None:
        if check_members is not None:
            check_members(members)
        if before_commit is not None:
            before_commit(tmp)

    report(0, total, f"Packing {out_path.name}")
    try:
        with (
            atomic_writer(out_path, replace=replace, before_commit=finish) as out,
            zipfile.ZipFile(out, "w", allowZip64=True) as zf,
        ):
            for name, src_path in files:
                cancel.check()
                member = _pack_file(
                    zf,
                    name,
                    src_path,
                    label,
                    limits,
                    cancel,
                    functools.partial(_report_packed, report, done, total, name),
                )
                members.append(member)
                done += member.size
                report(done, total, f"Packed {name}")
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise BatonError(
            f"Cannot write {out_path.name}: {exc.strerror or exc}{where}", path=str(out_path)
        ) from exc
    return members


def _report_packed(report: ProgressFn, done: int, total: int, name: str, n: int) -> None:
    report(done + n, total, f"Packing {name}")


def _pack_file(
    zf: zipfile.ZipFile,
    name: str,
    src_path: Path,
    label: str,
    limits: Limits,
    cancel: CancelToken,
    tick: Callable[[int], None],
) -> Member:
    def refuse(cls: type[BatonError], reason: str) -> BatonError:
        return cls(f"{label}: file {show_name(name)} {reason}", path=str(src_path))

    fd = os.open(src_path, os.O_RDONLY | O_NOFOLLOW | O_BINARY | O_CLOEXEC)
    with os.fdopen(fd, "rb") as src:
        st = os.fstat(src.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise refuse(UnsafeInput, "is not a regular file; a bundle holds regular files only")
        if st.st_size > limits.max_member_size:
            raise refuse(
                UnsafeInput,
                f"is {fmt_size(st.st_size)}, over the limit of {fmt_size(limits.max_member_size, exact=True)} per member",
            )
        head = src.read(8)
        src.seek(0)
        if looks_like_pickle(head):
            raise refuse(UnsafeInput, PICKLE_WRITE_REFUSAL)
        info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
        info.create_system = 3
        info.external_attr = _ZIP_MODE
        info.compress_type = _choose_method(name, src, st.st_size, limits)
        info.file_size = st.st_size  # lets zipfile pick ZIP64 headers up front
        sha = hashlib.sha256()
        size = 0
        with zf.open(info, "w") as dst:
            while chunk := src.read(CHUNK):
                cancel.check()
                sha.update(chunk)
                dst.write(chunk)
                size += len(chunk)
                tick(size)
        if size != st.st_size:
            raise refuse(VerificationError, "changed while it was being packed; pack again")
        if head.startswith(b"PK\x03\x04"):
            problem = nested_zip_problem(src, size)
            if problem:
                raise refuse(UnsafeInput, problem)
    if size > limits.ratio_min_size and size > limits.max_ratio * info.compress_size:
        raise refuse(
            UnsafeInput,
            f"compresses {size / max(info.compress_size, 1):.0f}:1, over the limit of {limits.max_ratio:.0f}:1 that bundle readers accept",
        )
    return Member(name, size, info.compress_size, METHODS[info.compress_type], sha.hexdigest())
