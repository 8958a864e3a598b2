"""Writing bundle ZIPs, and reading untrusted ones without trusting anything in them.

A bundle (``NAME-VERSION.baton``) and a review receipt are ZIPs of regular files only
(DESIGN.md sections 3 and 6). This module is the one place that turns such a ZIP into
files on disk, and it does so in two phases:

1. **Structure, before a single byte is extracted** (:func:`open_archive`,
   :func:`list_members`): the file must be exactly one ZIP, with one reading whether a
   tool starts from the central directory (as :mod:`zipfile` does) or walks local
   headers from offset 0 (as streaming extractors do):

   - the end record ends the file: no archive comment, nothing appended;
   - a ZIP64 end record and locator only right before it, agreeing with every
     end-record field not marked as ZIP64 (``0xFFFF`` / ``0xFFFFFFFF``); per member, a
     ZIP64 extra field exactly where a field is so marked, holding exactly those values;
   - the central directory holds exactly the members the end record counts and ends
     where the ZIP64 end record or the end record starts;
   - local entries are contiguous from offset 0 (nothing prepended, such as a script),
     in central-directory order, up to the central directory: no gap where a hidden
     entry could sit, no overlap;
   - each local header repeats its central record: name bytes, flags, method, time,
     date, CRC-32 and both sizes (from its ZIP64 field when marked); no data
     descriptors, no flags beyond UTF-8 names and deflate levels, no "version needed"
     beyond 4.5, no member comments, no second disk.

   Every member is also checked for a safe, portable name, a plain file type, no
   encryption, a supported compression method, sizes and a compression ratio within
   :class:`Limits`, and a name that is not a pickle's. The central directory is parsed
   here, not by :mod:`zipfile`, so that nothing is read twice by two parsers.
2. **Streaming** (:meth:`Archive.read`, :meth:`Archive.extract`, :func:`safe_extract`):
   each member is decompressed by this module (not by :mod:`zipfile`), from the same
   open file that was checked, into memory (a small member) or a private staging folder,
   with the output capped at the size the central directory declares, the CRC-32
   checked, the SHA-256 computed on the way, and the first bytes sniffed for a pickle.
   A caller that knows every name a member may have (the signed manifest) passes them
   as ``allowed``: any other member is refused by name before a byte of it is inflated.
   Any failure empties the staging folder again.

Policy decisions worth knowing:

- *Folder entries.* A pure folder entry (name ending in ``/``, no data, not marked as
  anything but a folder) is tolerated and skipped; folders are created as needed for the
  files beneath them, and an empty folder carries nothing a manifest could sign. It is
  not returned as a :class:`Member`. Anything else marked as a folder is refused.
- *File types* are read from the Unix mode in the high 16 bits of ``external_attr``
  whenever it is set, whatever the ``create_system``: symlinks, devices, FIFOs and
  sockets are refused. Modes are never applied: files are created 0600, folders 0700.
- *Names* must be portable to every desktop the bundle may reach, so besides ``..``,
  absolute, backslash, drive-letter and control-character names, the characters
  ``<>:"|?*``, Windows device names (``CON``, ``NUL``, ``COM1``...), segments ending in a
  dot or space, non-NFC names, and names that differ only by case are refused.
- *Pickles* are refused anywhere: by name (``.pkl .pickle .joblib .pt .pth``, also
  when followed by a compression suffix such as ``.gz``), by their first bytes (protocol
  2-5 header), and inside a nested ZIP (a member that is itself a ZIP, as PyTorch's
  ``archive/data.pkl`` format is). Nested ZIPs are inspected one level deep.
- *Error types.* A damaged or malformed ZIP (not a ZIP, truncated, bad CRC, sizes that
  lie, local headers that disagree, gaps, overlapping members, inconsistent ZIP64
  records, a member not allowed) raises :class:`~baton.core.errors.VerificationError`;
  input refused on purpose (hostile names, types, sizes, ratio, encryption, pickles,
  bytes before or after the ZIP, comments, ZIP features Baton does not read) raises
  :class:`~baton.core.errors.UnsafeInput`. Both name the ZIP, the member (if one is to
  blame) and the reason.

:func:`write_bundle_zip` writes a bundle that this reader accepts: deterministic bytes
(sorted names, 1980-01-01 timestamps, mode 0644), written atomically, each file either
deflated or stored depending on whether a sample of it compresses.

This module is the safe-ZIP API and owns the extraction (:class:`Archive`); the work is
done by :mod:`~baton.core.handover.zip_rules` (limits, names, pickles, messages),
:mod:`~baton.core.handover.zip_structure` (phase 1),
:mod:`~baton.core.handover.zip_staging` (staging folders and streaming one member) and
:mod:`~baton.core.handover.zip_writer` (writing).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import BinaryIO

from baton.core.errors import BatonError, NotFound, UnsafeInput, VerificationError
from baton.core.handover.zip_rules import (
    PICKLE_REFUSAL,
    Limits,
    Member,
    MemberCallback,
    Refusal,
    is_pickle_name,
    looks_like_pickle,
    member_error,
)
from baton.core.handover.zip_staging import (
    Shared,
    Sink,
    Staging,
    Stopped,
    empty_folder,
    extract_member,
    inflate_checked,
    prepare_staging,
    private_staging,
    private_staging_dir,
)
from baton.core.handover.zip_structure import (
    Entry,
    Reader,
    check_structure,
    open_zip_file,
)
from baton.core.handover.zip_writer import (
    write_bundle_zip,
)
from baton.core.progress import NEVER_CANCELLED, CancelToken, ProgressFn, no_progress

__all__ = [
    "PICKLE_REFUSAL",
    "Archive",
    "Limits",
    "Member",
    "MemberCallback",
    "is_pickle_name",
    "list_members",
    "looks_like_pickle",
    "open_archive",
    "private_staging",
    "private_staging_dir",
    "safe_extract",
    "write_bundle_zip",
]


# --------------------------------------------------------------------------------------
# Extraction


class Archive:
    """An untrusted ZIP whose whole structure passed :func:`open_archive`'s checks.

    The file stays open, so what :meth:`read` and :meth:`extract` inflate is what was
    checked, even if the path is replaced meanwhile.
    """

    def __init__(self, fh: BinaryIO, label: str, path: str, limits: Limits) -> None:
        self._reader = Reader(fh)
        self.label = label
        self.path = path
        self.limits = limits
        self._entries = check_structure(self._reader, label, path, limits)
        self._files = [e for e in self._entries if not e.is_folder]

    @property
    def members(self) -> list[Member]:
        """The files, in archive order, without their SHA-256 (nothing is read yet)."""
        return [e.member() for e in self._files]

    def read(self, name: str, limit: int) -> bytes:
        """One small member, inflated into memory with its size and CRC-32 checked."""
        entry = next((e for e in self._files if e.name == name), None)
        if entry is None:
            raise NotFound(f"{self.label} has no {name}", path=name)
        if entry.size > limit:
            raise VerificationError(
                f"{self.label}: {name} is too large ({entry.size:,} bytes; at most {limit:,})",
                path=name,
            )
        out = bytearray()
        sink = Sink(out.extend, entry.size, Shared(NEVER_CANCELLED, self.limits))
        try:
            inflate_checked(self._reader, entry, sink, check_crc=True)
        except Refusal as refusal:
            raise member_error(refusal.cls, self.label, name, refusal.reason, self.path) from None
        return bytes(out)

    def extract(
        self,
        staging_dir: str | os.PathLike[str],
        *,
        allowed: Collection[str] | None = None,
        unlisted: str = "is not one of the files this archive may hold",
        on_member: MemberCallback | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        workers: int | None = None,
        check_crc: bool = True,
    ) -> list[Member]:
        """Stream every file into ``staging_dir``; see :func:`safe_extract`."""
        label, path = self.label, self.path
        if allowed is not None:
            # Refused by name before a byte of it is inflated: a member nobody signed
            # costs nothing, however large it says it is.
            stranger = next((e for e in self._files if e.name not in allowed), None)
            if stranger is not None:
                raise member_error(VerificationError, label, stranger.name, unlisted, path)
        on_member = on_member or (lambda name, sha256, size: None)
        report = progress or no_progress
        cancel = cancel or NEVER_CANCELLED
        staging_root = Path(staging_dir)
        files = self._files
        total = sum(e.size for e in files)
        prepare_staging(staging_root)
        reader = self._reader
        shared = Shared(cancel, self.limits)
        staging = Staging(staging_root)
        try:
            for folder in sorted({e.name.rpartition("/")[0] for e in files} - {""}):
                staging.make_folders(folder)
            n_workers = workers or min(4, os.cpu_count() or 1)
            report(0, total, f"Extracting {label}")
            if n_workers <= 1 or len(files) <= 1:
                results = []
                for entry in files:
                    member = _run_one(reader, entry, staging, shared, check_crc, label, path)
                    on_member(member.name, member.sha256 or "", member.size)
                    results.append(member)
                    report(shared.done, total, f"Extracted {entry.name}")
            else:
                results = _run_parallel(
                    reader,
                    files,
                    staging,
                    shared,
                    check_crc,
                    label,
                    path,
                    n_workers,
                    on_member,
                    report,
                    total,
                )
            report(total, total, f"Extracted {len(results)} files from {label}")
            return results
        except BaseException:
            shared.stop.set()
            staging.close()
            empty_folder(staging_root)
            raise
        finally:
            staging.close()


@contextlib.contextmanager
def open_archive(
    zip_path: str | os.PathLike[str],
    limits: Limits = Limits(),  # noqa: B008
) -> Iterator[Archive]:
    """Open an untrusted ZIP and check its whole structure; nothing is inflated yet.

    The file must be exactly one ZIP (see the module docstring); any problem raises
    before the ``with`` body runs.
    """
    with open_zip_file(zip_path) as fh:
        yield Archive(fh, Path(zip_path).name, str(zip_path), limits)


def list_members(zip_path: str | os.PathLike[str], limits: Limits = Limits()) -> list[Member]:  # noqa: B008
    """Check a ZIP's structure (everything short of decompressing) and list its files.

    Folder entries are checked but not listed. Raises what :func:`safe_extract` would
    raise for the same structural problem.
    """
    with open_archive(zip_path, limits) as archive:
        return archive.members


def safe_extract(
    zip_path: str | os.PathLike[str],
    staging_dir: str | os.PathLike[str],
    *,
    limits: Limits = Limits(),  # noqa: B008
    allowed: Collection[str] | None = None,
    unlisted: str = "is not one of the files this archive may hold",
    on_member: MemberCallback | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
    check_crc: bool = True,
) -> list[Member]:
    """Check an untrusted ZIP, then stream its files into a private staging folder.

    Nothing is written before the whole structure has passed (see the module
    docstring). ``allowed``, if given, is every name a file may have: any other file is
    refused (``"<zip>: member <name> <unlisted>"``) before anything is inflated.
    ``staging_dir`` is created 0700 or must already be private and empty; on any
    failure, cancellation included, it is emptied again. ``on_member(name, sha256,
    size)`` is called in this thread, in archive order, once a file is complete and
    checked; an exception from it aborts the extraction the same way. Returns the
    files, with their SHA-256, in archive order.

    ``workers`` (default: up to 4, one per CPU) extracts members in parallel; hashing
    and inflating release the GIL. ``check_crc=False`` skips the CRC-32, which only
    makes sense when the caller compares every SHA-256 with a signed manifest.
    """
    with open_archive(zip_path, limits) as archive:
        return archive.extract(
            staging_dir,
            allowed=allowed,
            unlisted=unlisted,
            on_member=on_member,
            progress=progress,
            cancel=cancel,
            workers=workers,
            check_crc=check_crc,
        )


def _run_one(
    reader: Reader,
    entry: Entry,
    staging: Staging,
    shared: Shared,
    check_crc: bool,
    label: str,
    path: str,
) -> Member:
    try:
        return extract_member(reader, entry, staging, shared, check_crc)
    except Refusal as refusal:
        raise member_error(refusal.cls, label, entry.name, refusal.reason, path) from None
    except FileExistsError:
        raise member_error(
            UnsafeInput, label, entry.name, "collides with another member on this file system", path
        ) from None
    except OSError as exc:
        raise member_error(
            BatonError,
            label,
            entry.name,
            f"could not be written to the staging folder ({exc.strerror or exc})",
            path,
        ) from None


def _run_parallel(
    reader: Reader,
    files: list[Entry],
    staging: Staging,
    shared: Shared,
    check_crc: bool,
    label: str,
    path: str,
    n_workers: int,
    on_member: MemberCallback,
    report: ProgressFn,
    total: int,
) -> list[Member]:
    def stop_on_failure(future: Future[Member]) -> None:
        if not future.cancelled() and future.exception() is not None:
            shared.stop.set()

    results: list[Member] = []
    with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="baton-unzip") as pool:
        futures = [
            pool.submit(_run_one, reader, e, staging, shared, check_crc, label, path) for e in files
        ]
        for future in futures:
            future.add_done_callback(stop_on_failure)
        try:
            for entry, future in zip(files, futures, strict=True):
                while True:
                    try:
                        member = future.result(timeout=0.1)
                        break
                    except FutureTimeout:
                        report(shared.done, total, f"Extracting {entry.name}")
                on_member(member.name, member.sha256 or "", member.size)
                results.append(member)
                report(shared.done, total, f"Extracted {entry.name}")
        except BaseException as exc:
            shared.stop.set()
            for future in futures:
                future.cancel()
            pool.shutdown(wait=True)
            if isinstance(exc, Stopped):
                # This member was stopped because another one failed: report that one.
                for future in futures:
                    if future.done() and not future.cancelled():
                        error = future.exception()
                        if error is not None and not isinstance(error, Stopped):
                            raise error from None
            raise
    return results
