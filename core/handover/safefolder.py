"""Reading an extracted bundle or receipt folder exactly as its ZIP is read.

A folder (``unzip NAME.baton -d NAME/``, or one signed with the stock OpenSSF
``model_signing`` tool) becomes what a ZIP becomes in :mod:`~baton.core.handover.safezip`:
first a list of plain files with safe, portable names, then, file by file, a copy streamed
into a private staging folder with its size capped, its SHA-256 computed and its first
bytes sniffed for a pickle. :class:`Folder` offers the same ``members`` / ``read`` /
``extract`` as :class:`~baton.core.handover.safezip.Archive`, so a folder joins the one
verification pipeline (:mod:`~baton.core.handover.signed_zip`) instead of a second
checker; every later check reads the staging copy, never the folder, so a file changed
in the folder after it was hashed changes nothing.

The same rules as a ZIP member's (:mod:`~baton.core.handover.zip_rules`), and for the
same reasons:

- only regular files: a symbolic link (wherever it points, even inside the folder), a
  device, a FIFO or a socket is refused before any file is read; a FIFO is never opened
  in a way that could block;
- names as a member's: portable, NFC, no case collisions, no pickle names;
- the member count and the sizes of :class:`~baton.core.handover.zip_rules.Limits`;
- each file is opened without following links and must still be the file that was
  listed (same device, inode and size) while it is copied: a folder swapped for a link
  to somewhere else between listing and reading is refused.

Empty folders are skipped, as a ZIP's folder entries are: they carry nothing a manifest
could sign.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Collection, Iterator
from pathlib import Path

from baton.core.errors import BatonError, NotFound, UnsafeInput, UsageError, VerificationError
from baton.core.fsutil import CHUNK
from baton.core.handover.zip_rules import (
    PICKLE_REFUSAL,
    Limits,
    Member,
    MemberCallback,
    NameSet,
    Refusal,
    is_pickle_name,
    name_problem,
    show_name,
)
from baton.core.handover.zip_staging import (
    Shared,
    Sink,
    Staging,
    empty_folder,
    prepare_staging,
    stage_file,
)
from baton.core.handover.zip_structure import O_BINARY, O_CLOEXEC, O_NOFOLLOW
from baton.core.present import fmt_size
from baton.core.progress import NEVER_CANCELLED, CancelToken, ProgressFn, no_progress

_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
CHANGED = "changed while Baton was reading it; verify the folder again once nothing writes to it"
_KINDS = {
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
}


def file_error(cls: type[BatonError], label: str, name: str, reason: str, path: str) -> BatonError:
    return cls(f"{label}: file {show_name(name)} {reason}", path=path)


class Folder:
    """An untrusted folder whose listing passed every check; nothing is read yet."""

    def __init__(self, root: Path, label: str, limits: Limits) -> None:
        self.root = root
        self.label = label
        self.path = str(root)
        self.limits = limits
        # name -> (size, device, inode) as listed
        self._files: dict[str, tuple[int, int, int]] = {}
        self._list()

    def _list(self) -> None:
        names = NameSet()
        total = 0
        for name, st in self._walk():
            refusal = _entry_problem(name, st, self.limits)
            if refusal is None:
                collision = names.add(name)
                refusal = Refusal(UnsafeInput, collision) if collision else None
            if refusal is not None:
                raise file_error(refusal.cls, self.label, name, refusal.reason, self.path)
            if len(self._files) >= self.limits.max_members:
                raise UnsafeInput(
                    f"{self.label}: holds more than {self.limits.max_members} files, over the limit",
                    path=self.path,
                )
            total += st.st_size
            if total > self.limits.max_total_size:
                raise file_error(
                    UnsafeInput,
                    self.label,
                    name,
                    f"brings the total to {fmt_size(total)}, over the limit of {fmt_size(self.limits.max_total_size, exact=True)}",
                    self.path,
                )
            self._files[name] = (st.st_size, st.st_dev, st.st_ino)

    def _walk(self) -> Iterator[tuple[str, os.stat_result]]:
        """Every non-folder below the root as (``a/b`` name, its lstat), sorted by name;
        folders are entered, links never followed."""
        pending = [""]
        found: list[tuple[str, os.stat_result]] = []
        while pending:
            prefix = pending.pop()
            try:
                with os.scandir(self.root / prefix if prefix else self.root) as it:
                    entries = list(it)
            except OSError as exc:
                raise VerificationError(
                    f"{self.label}: the folder {show_name(prefix or '.')} cannot be read ({exc.strerror or exc})",
                    path=self.path,
                ) from None
            for entry in entries:
                name = f"{prefix}/{entry.name}" if prefix else entry.name
                # os.lstat, not entry.stat: on Windows only it fills the inode compared later
                try:
                    st = os.lstat(entry.path)
                except OSError as exc:
                    raise file_error(
                        VerificationError,
                        self.label,
                        name,
                        f"cannot be read ({exc.strerror or exc})",
                        self.path,
                    ) from None
                if stat.S_ISDIR(st.st_mode):
                    pending.append(name)
                else:
                    found.append((name, st))
            if len(found) > self.limits.max_members:
                break  # _list refuses it by count; listing more would only cost time
        return iter(sorted(found, key=lambda item: item[0]))

    @property
    def members(self) -> list[Member]:
        """The files, sorted by name, without their SHA-256 (nothing is read yet)."""
        return [Member(name, size, size, "stored") for name, (size, _, _) in self._files.items()]

    @contextlib.contextmanager
    def _open(self, name: str) -> Iterator[int]:
        """``name`` opened for reading, never through a link, never blocking, and still
        the file that was listed."""
        size, dev, ino = self._files[name]
        flags = os.O_RDONLY | O_BINARY | O_CLOEXEC | O_NOFOLLOW | _O_NONBLOCK
        try:
            fd = os.open(self.root.joinpath(*name.split("/")), flags)
        except OSError as exc:
            raise file_error(
                VerificationError,
                self.label,
                name,
                f"cannot be opened ({exc.strerror or exc})",
                self.path,
            ) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino, st.st_size) != (
                dev,
                ino,
                size,
            ):
                raise file_error(VerificationError, self.label, name, CHANGED, self.path)
            yield fd
        finally:
            os.close(fd)

    def read(self, name: str, limit: int) -> bytes:
        """One small file, read into memory with the same checks as a copied one."""
        if name not in self._files:
            raise NotFound(f"{self.label} has no {name}", path=name)
        size = self._files[name][0]
        if size > limit:
            raise VerificationError(
                f"{self.label}: {name} is too large ({size:,} bytes; at most {limit:,})",
                path=name,
            )
        out = bytearray()
        with self._open(name) as fd:
            sink = Sink(out.extend, size, Shared(NEVER_CANCELLED, self.limits))
            try:
                _copy(fd, sink, size)
            except Refusal as refusal:
                raise file_error(refusal.cls, self.label, name, refusal.reason, self.path) from None
        return bytes(out)

    def extract(
        self,
        staging_dir: str | os.PathLike[str],
        *,
        allowed: Collection[str] | None = None,
        unlisted: str = "is not one of the files this folder may hold",
        on_member: MemberCallback | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> list[Member]:
        """Copy every file into ``staging_dir``, as
        :meth:`~baton.core.handover.safezip.Archive.extract` does a ZIP's members."""
        label, path = self.label, self.path
        if allowed is not None:
            stranger = next((n for n in self._files if n not in allowed), None)
            if stranger is not None:
                raise file_error(VerificationError, label, stranger, unlisted, path)
        on_member = on_member or (lambda name, sha256, size: None)
        report = progress or no_progress
        staging_root = Path(staging_dir)
        total = sum(size for size, _, _ in self._files.values())
        prepare_staging(staging_root)
        shared = Shared(cancel or NEVER_CANCELLED, self.limits)
        staging = Staging(staging_root)
        results: list[Member] = []
        try:
            for folder in sorted({n.rpartition("/")[0] for n in self._files} - {""}):
                staging.make_folders(folder)
            report(0, total, f"Reading {label}")
            for name, (size, _, _) in self._files.items():
                member = Member(
                    name, size, size, "stored", self._stage(name, size, staging, shared)
                )
                on_member(member.name, member.sha256 or "", member.size)
                results.append(member)
                report(shared.done, total, f"Read {name}")
            report(total, total, f"Read {len(results)} files from {label}")
            return results
        except BaseException:
            staging.close()
            empty_folder(staging_root)
            raise
        finally:
            staging.close()

    def _stage(self, name: str, size: int, staging: Staging, shared: Shared) -> str:
        try:
            with self._open(name) as fd:
                return stage_file(staging, name, size, shared, lambda sink: _copy(fd, sink, size))
        except Refusal as refusal:
            raise file_error(refusal.cls, self.label, name, refusal.reason, self.path) from None
        except FileExistsError:
            raise file_error(
                UnsafeInput,
                self.label,
                name,
                "collides with another file on this file system",
                self.path,
            ) from None
        except OSError as exc:
            raise file_error(
                BatonError,
                self.label,
                name,
                f"could not be copied to the staging folder ({exc.strerror or exc})",
                self.path,
            ) from None


def _entry_problem(name: str, st: os.stat_result, limits: Limits) -> Refusal | None:
    kind = stat.S_IFMT(st.st_mode)
    if kind in _KINDS:
        return Refusal(UnsafeInput, f"is {_KINDS[kind]}; a bundle holds regular files only")
    if kind != stat.S_IFREG:
        return Refusal(
            UnsafeInput, f"has an unknown file type ({kind:#o}); a bundle holds regular files only"
        )
    problem = name_problem(name, limits)
    if problem:
        return Refusal(UnsafeInput, problem)
    if st.st_size > limits.max_member_size:
        return Refusal(
            UnsafeInput,
            f"is {fmt_size(st.st_size)}, over the limit of {fmt_size(limits.max_member_size, exact=True)} per file",
        )
    if is_pickle_name(name):
        return Refusal(UnsafeInput, PICKLE_REFUSAL)
    return None


def _copy(fd: int, sink: Sink, size: int) -> None:
    """Feed the open file to ``sink``: exactly the ``size`` bytes that were listed."""
    while chunk := os.read(fd, CHUNK):
        if sink.count + len(chunk) > size:
            raise Refusal(VerificationError, CHANGED)
        sink.write(chunk)
    if sink.count != size:
        raise Refusal(VerificationError, CHANGED)


@contextlib.contextmanager
def open_folder(
    folder: str | os.PathLike[str],
    limits: Limits = Limits(),  # noqa: B008
) -> Iterator[Folder]:
    """List an untrusted folder and check every entry; nothing is read yet.

    The folder itself may be reached through a link (it is the user's own argument);
    nothing inside it may be one.
    """
    root = Path(folder)
    if not root.exists():
        raise NotFound(f"{root}: no such file or folder", path=str(root))
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder", path=str(root))
    yield Folder(root, source_label(root), limits)


def source_label(path: str | os.PathLike[str]) -> str:
    """How messages name a bundle file or folder: its last part (``.`` resolved)."""
    p = Path(path)
    return p.name or p.resolve().name or str(p)
