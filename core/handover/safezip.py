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
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import shutil
import stat
import struct
import tempfile
import threading
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from baton.core.errors import BatonError, NotFound, UnsafeInput, UsageError, VerificationError
from baton.core.fsutil import CHUNK, atomic_writer
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

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30

PICKLE_REFUSAL = "contains a pickle file; Baton never loads pickles from bundles"
_PICKLE_WRITE_REFUSAL = "is a pickle file; Baton never puts pickles in bundles"

MemberCallback = Callable[[str, str, int], None]
"""``on_member(name, sha256_hex, size)``, called once per extracted file."""


@dataclass(frozen=True)
class Limits:
    """What an untrusted ZIP may contain; the defaults suit a model bundle.

    - ``max_members`` (1000): entries in the central directory, folder entries included.
    - ``max_member_size`` (8 GiB): unpacked size of any one member.
    - ``max_total_size`` (8 GiB): unpacked size of all members together.
    - ``max_ratio`` (200): unpacked / packed size allowed for a member ...
    - ``ratio_min_size`` (1 MiB): ... once it unpacks to more than this (small files
      such as a JSON of zeros legitimately compress far better).
    - ``max_name_bytes`` (1024): length of a member name in UTF-8 bytes.
    """

    max_members: int = 1000
    max_member_size: int = 8 * GiB
    max_total_size: int = 8 * GiB
    max_ratio: float = 200.0
    ratio_min_size: int = 1 * MiB
    max_name_bytes: int = 1024

    def __post_init__(self) -> None:
        for field in ("max_members", "max_member_size", "max_total_size", "max_name_bytes"):
            if getattr(self, field) < 1:
                raise ValueError(f"Limits.{field} must be at least 1")
        if self.max_ratio < 1 or self.ratio_min_size < 0:
            raise ValueError("Limits.max_ratio must be >= 1 and ratio_min_size >= 0")


@dataclass(frozen=True)
class Member:
    """One regular file of a bundle ZIP.

    ``sha256`` is the hex SHA-256 of its content once it has been extracted or written,
    ``None`` from :func:`list_members` (which reads no data).
    """

    name: str
    size: int
    compressed_size: int
    method: str  # "stored" or "deflated"
    sha256: str | None = None


# --------------------------------------------------------------------------------------
# Messages


def _show(name: str) -> str:
    """A member name, quoted, on one line, with control characters made visible."""
    shown = "".join(
        ch
        if ch.isprintable()
        else (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        for ch in name[:200]
    )
    if len(name) > 200:
        shown += "..."
    return f'"{shown}"'


def _human(n: float) -> str:
    if n < KiB:
        return f"{int(n)} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n /= 1024
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}"
    raise AssertionError("unreachable")


class _Refusal(Exception):
    """A problem with one member, before the ZIP's name is known to the message."""

    def __init__(self, cls: type[BatonError], reason: str) -> None:
        super().__init__(reason)
        self.cls = cls
        self.reason = reason


def _member_error(
    cls: type[BatonError], label: str, name: str, reason: str, path: str
) -> BatonError:
    return cls(f"{label}: member {_show(name)} {reason}", path=path)


# --------------------------------------------------------------------------------------
# Names

_PICKLE_SUFFIXES = frozenset({"pkl", "pickle", "joblib", "pt", "pth"})
_WRAPPER_SUFFIXES = frozenset({"gz", "bz2", "xz", "lzma", "z", "zst", "zip"})
_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"{p}{i}" for p in ("COM", "LPT") for i in (*"123456789", "\u00b9", "\u00b2", "\u00b3")}
)
_WINDOWS_FORBIDDEN = frozenset('<>:"|?*')
_DRIVE = re.compile(r"^[A-Za-z]:")


def is_pickle_name(name: str) -> bool:
    """True for ``x.pkl``, ``x.joblib``, ``x.pt`` ... and ``x.pkl.gz``-style wrappers."""
    parts = name.rsplit("/", 1)[-1].lower().split(".")[1:]
    if not parts:
        return False
    if parts[-1] in _PICKLE_SUFFIXES:
        return True
    return len(parts) >= 2 and parts[-1] in _WRAPPER_SUFFIXES and parts[-2] in _PICKLE_SUFFIXES


def looks_like_pickle(head: bytes) -> bool:
    """True if ``head`` starts with a pickle protocol 2-5 header (``\\x80\\x02``..``\\x80\\x05``)."""
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def _name_problem(name: str, limits: Limits) -> str | None:
    """Why ``name`` may not be a member name (``None`` if it may); folders end in ``/``."""
    if not name:
        return "has an empty name"
    if len(name.encode("utf-8", "surrogatepass")) > limits.max_name_bytes:
        return f"has a name longer than {limits.max_name_bytes} bytes"
    if "\x00" in name:
        return "has a NUL character in its name"
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in name):
        return "has a control character in its name"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in name):
        return "has a name that is not valid Unicode"
    hidden = next((c for c in name if unicodedata.category(c) == "Cf"), None)
    if hidden is not None:
        return f"has an invisible formatting character (U+{ord(hidden):04X}) in its name"
    if "\\" in name:
        return 'has a backslash in its name; only "/" may separate folders'
    if name.startswith("/"):
        return "has an absolute path"
    if _DRIVE.match(name):
        return "starts with a drive letter"
    segments = (name[:-1] if name.endswith("/") else name).split("/")
    if ".." in segments:
        return "has a path that leaves the bundle folder"
    if "" in segments:
        return 'has an empty path segment ("//" or a lone "/")'
    if "." in segments:
        return 'has a "." path segment'
    bad = sorted({c for c in name if c in _WINDOWS_FORBIDDEN})
    if bad:
        return f"has a character that is not allowed in file names on Windows ({' '.join(bad)})"
    for seg in segments:
        if seg.endswith((".", " ")):
            return "has a path segment ending in a dot or a space, which Windows drops"
        if seg.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_DEVICES:
            return f'uses "{seg}", a device name reserved by Windows'
        if len(seg.encode("utf-8")) > 255:
            return "has a path segment longer than 255 bytes"
    if not unicodedata.is_normalized("NFC", name):
        return "has a name that is not in Unicode NFC form"
    return None


class _NameSet:
    """Detects duplicate, case-colliding and file-versus-folder names as they are added."""

    def __init__(self) -> None:
        self._exact: set[str] = set()
        self._files: dict[str, str] = {}  # casefolded path -> name as written
        self._folders: dict[str, str] = {}  # casefolded path -> path as first written

    def add(self, name: str) -> str | None:
        if name in self._exact:
            return "appears more than once"
        self._exact.add(name)
        is_folder = name.endswith("/")
        path = name.rstrip("/")
        parts = path.split("/")
        # Every ancestor (and a folder entry itself) must be a folder, spelled one way.
        for i in range(1, len(parts) + (1 if is_folder else 0)):
            prefix = "/".join(parts[:i])
            key = prefix.casefold()
            if key in self._files:
                return f"needs {_show(self._files[key])} to be a folder, but it is a file"
            seen = self._folders.setdefault(key, prefix)
            if seen != prefix:
                return f"collides with {_show(seen + '/')} on a case-insensitive file system"
        if not is_folder:
            key = path.casefold()
            if key in self._files:
                return f"collides with {_show(self._files[key])} on a case-insensitive file system"
            if key in self._folders:
                return f"is a file but {_show(self._folders[key] + '/')} makes it a folder"
            self._files[key] = name
        return None


# --------------------------------------------------------------------------------------
# Reading the structure
#
# The central directory is parsed here, not by :mod:`zipfile`, whose reader forgives
# what a second reader would read differently: it skips bytes before the first member
# (and shifts every offset to match), looks for the end record anywhere in the last
# 64 KiB, ignores the member count, and never looks at local headers.

_LOCAL_SIG = b"PK\x03\x04"
_CENTRAL_SIG = b"PK\x01\x02"
_END_SIG = b"PK\x05\x06"
_ZIP64_END_SIG = b"PK\x06\x06"
_ZIP64_LOCATOR_SIG = b"PK\x06\x07"
# sig, version needed, flags, method, time, date, crc, compressed size, size, name
# length, extra length
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
# sig, made by, version needed, flags, method, time, date, crc, compressed size, size,
# name length, extra length, comment length, disk, internal attributes, external
# attributes, local header offset
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
# sig, disk, disk of the directory, members on this disk, members, directory size,
# directory offset, comment length
_END = struct.Struct("<4sHHHHIIH")
# sig, size of the rest of the record, made by, version needed, disk, disk of the
# directory, members on this disk, members, directory size, directory offset
_ZIP64_END = struct.Struct("<4sQHHIIQQQQ")
# sig, disk of the ZIP64 end record, its offset, number of disks
_ZIP64_LOCATOR = struct.Struct("<4sIQI")
_MAX16, _MAX32 = 0xFFFF, 0xFFFF_FFFF  # "the real value is in a ZIP64 record"
_ZIP64_TAG = 0x0001
# Stored, deflated and ZIP64 need ZIP 4.5 at most; a higher "version needed" is a
# feature this reader does not have (and zipfile refuses past 6.3).
_MAX_VERSION_NEEDED = 45

_FLAG_ENCRYPTED = 0x01
_FLAG_DATA_DESCRIPTOR = 0x08
_FLAG_STRONG_ENCRYPTION = 0x40
_FLAG_UTF8 = 0x800
_FLAGS_KNOWN = _FLAG_UTF8 | 0x06  # 0x06: the deflate level a writer used; changes nothing
_UNICODE_EXTRAS = (0x7075, 0x6375)  # Info-ZIP Unicode path / comment
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
_METHOD_NAMES = {
    1: "shrink",
    6: "implode",
    9: "deflate64",
    12: "bzip2",
    14: "lzma",
    93: "zstandard",
    95: "xz",
    98: "ppmd",
    99: "AES encryption",
}
_HAS_PREAD = hasattr(os, "pread")
_O_BINARY = getattr(os, "O_BINARY", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIR_FD = os.open in os.supports_dir_fd and os.mkdir in os.supports_dir_fd


class _Reader:
    """Positional reads that several threads can share (``pread`` where there is one)."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self._fd = fh.fileno()
        self._lock = threading.Lock()
        self.size = os.fstat(self._fd).st_size

    def read_at(self, offset: int, n: int) -> bytes:
        if not _HAS_PREAD:
            with self._lock:
                self._fh.seek(offset)
                return self._fh.read(n)
        parts = []
        while n > 0:
            got = os.pread(self._fd, n, offset)
            if not got:
                break
            parts.append(got)
            offset += len(got)
            n -= len(got)
        return b"".join(parts)


@dataclass(frozen=True)
class _Record:
    """One central-directory record as read, its sizes and offset taken from ZIP64
    where it says so."""

    name: str
    raw_name: bytes
    version: int
    flags: int
    method: int
    time: int
    date: int
    crc: int
    compressed_size: int
    size: int
    extra: bytes
    comment: bytes
    disk: int
    external_attr: int
    header_offset: int


@dataclass(frozen=True)
class _Entry:
    """A member that passed the structural checks, with where its data starts."""

    name: str
    is_folder: bool
    method: int
    crc: int
    size: int
    compressed_size: int
    header_offset: int
    data_offset: int

    def member(self, sha256: str | None = None) -> Member:
        return Member(self.name, self.size, self.compressed_size, _METHODS[self.method], sha256)


def _extra_fields(extra: bytes) -> dict[int, bytes] | None:
    """The extra field's blocks by tag; ``None`` if it is damaged or repeats a tag."""
    fields: dict[int, bytes] = {}
    while len(extra) >= 4:
        tag, length = struct.unpack("<HH", extra[:4])
        if length + 4 > len(extra) or tag in fields:
            return None
        fields[tag] = extra[4 : 4 + length]
        extra = extra[4 + length :]
    return fields if not extra else None


def _unreadable(label: str, path: str, why: str) -> VerificationError:
    return VerificationError(
        f"{label}: is not a readable ZIP file; it is truncated or damaged ({why})", path=path
    )


def _hidden_entry(reader: _Reader, start: int, length: int) -> str:
    """Words for unlisted bytes that hold a local entry: the name a streaming reader sees."""
    head = reader.read_at(start, min(length, _LOCAL.size))
    if len(head) < _LOCAL.size or head[:4] != _LOCAL_SIG:
        return ""
    (flags,) = struct.unpack_from("<H", head, 6)
    (name_len,) = struct.unpack_from("<H", head, 26)
    if _LOCAL.size + name_len > length:
        return ""
    raw = reader.read_at(start + _LOCAL.size, name_len)
    name = raw.decode("utf-8" if flags & _FLAG_UTF8 else "cp437", "replace")
    return f" (they hold a hidden local entry for {_show(name)})"


def _prefix_error(reader: _Reader, length: int, label: str, path: str) -> BatonError:
    hidden = _hidden_entry(reader, 0, length)
    if hidden:
        return VerificationError(
            f"{label}: has {length} bytes before its first member{hidden}", path=path
        )
    return UnsafeInput(
        f"{label}: has {length} bytes before its first member (something was prepended to "
        "the ZIP, such as a script)",
        path=path,
    )


@dataclass(frozen=True)
class _Directory:
    count: int
    offset: int
    size: int
    end: int  # where the ZIP64 end record or the end record starts


def _find_directory(reader: _Reader, label: str, path: str, limits: Limits) -> _Directory:
    """The end record, last in the file, and what it says of the central directory."""
    size = reader.size
    if size < _END.size:
        raise _unreadable(label, path, "it is too short to be a ZIP")
    window = min(size, _END.size + _MAX16)
    tail = reader.read_at(size - window, window)
    at = tail.rfind(_END_SIG, 0, window - _END.size + 4)
    if at < 0:
        raise _unreadable(label, path, "it has no end-of-central-directory record")
    end_at = size - window + at
    _, disk, directory_disk, here, count, dsize, doffset, comment = _END.unpack_from(tail, at)
    after = size - end_at - _END.size
    if after and comment == after:
        raise UnsafeInput(
            f"{label}: has an archive comment ({comment} bytes); Baton bundles carry none",
            path=path,
        )
    if comment > after:
        raise _unreadable(label, path, "its end record promises a comment that is not there")
    if after:
        raise UnsafeInput(
            f"{label}: has {after - comment} bytes after the end of the ZIP (data appended to it)",
            path=path,
        )
    if disk or directory_disk or here != count:
        raise UnsafeInput(
            f"{label}: is one part of a split ZIP; Baton reads single-file ZIPs only", path=path
        )

    directory_end = end_at
    locator_at = end_at - _ZIP64_LOCATOR.size
    locator = reader.read_at(locator_at, _ZIP64_LOCATOR.size) if locator_at >= 0 else b""
    if locator[:4] == _ZIP64_LOCATOR_SIG:
        directory_end = locator_at - _ZIP64_END.size
        count, dsize, doffset = _zip64_end(
            reader, locator, directory_end, (count, dsize, doffset), label, path
        )
    elif count == _MAX16 or _MAX32 in (dsize, doffset):
        raise VerificationError(
            f"{label}: its end record calls for a ZIP64 end record that is not there; "
            "the ZIP is truncated or damaged",
            path=path,
        )
    if count > limits.max_members:
        raise UnsafeInput(
            f"{label}: has {count} members, over the limit of {limits.max_members}", path=path
        )
    if doffset + dsize != directory_end:
        shift = directory_end - dsize - doffset
        if shift > 0 and (not count or reader.read_at(doffset + shift, 4) == _CENTRAL_SIG):
            # `cat script bundle.zip`: every offset is short by the script's length
            raise _prefix_error(reader, shift, label, path)
        if shift > 0 and (not count or reader.read_at(doffset, 4) == _CENTRAL_SIG):
            raise VerificationError(
                f"{label}: has {shift} bytes between its central directory and its end "
                "record; the ZIP is malformed",
                path=path,
            )
        raise _unreadable(label, path, "its central directory is not where its end record says")
    return _Directory(count, doffset, dsize, directory_end)


def _zip64_end(
    reader: _Reader,
    locator: bytes,
    record_at: int,
    values: tuple[int, int, int],
    label: str,
    path: str,
) -> tuple[int, int, int]:
    """Members, directory size and offset from the ZIP64 end record, which must sit right
    before its locator and agree with every end-record field not marked as ZIP64."""
    _, record_disk, pointer, disks = _ZIP64_LOCATOR.unpack(locator)
    record = reader.read_at(record_at, _ZIP64_END.size) if record_at >= 0 else b""
    damaged = VerificationError(
        f"{label}: has a damaged ZIP64 end record; the ZIP is malformed", path=path
    )
    if record_disk or disks != 1 or pointer != record_at or len(record) != _ZIP64_END.size:
        raise damaged
    sig, rest, _, _, disk, directory_disk, here, count, dsize, doffset = _ZIP64_END.unpack(record)
    if sig != _ZIP64_END_SIG or rest != _ZIP64_END.size - 12 or disk or directory_disk:
        raise damaged
    if here != count:
        raise UnsafeInput(
            f"{label}: is one part of a split ZIP; Baton reads single-file ZIPs only", path=path
        )
    fields = (
        "the number of members",
        "the size of the central directory",
        "where the central directory starts",
    )
    for what, small, big, marker in zip(
        fields,
        values,
        (count, dsize, doffset),
        (_MAX16, _MAX32, _MAX32),
        strict=True,
    ):
        if small not in (marker, big):
            raise VerificationError(
                f"{label}: its ZIP64 end record and its end record disagree on {what} "
                f"({big} and {small}); the ZIP is malformed",
                path=path,
            )
    return count, dsize, doffset


def _read_directory(reader: _Reader, directory: _Directory, label: str, path: str) -> list[_Record]:
    """Exactly ``directory.count`` records, filling the directory to its last byte."""
    data = reader.read_at(directory.offset, directory.size)
    miscounted = VerificationError(
        f"{label}: its central directory does not hold exactly the {directory.count} members "
        "its end record counts; the ZIP is malformed",
        path=path,
    )
    records = []
    at = 0
    for _ in range(directory.count):
        if at + _CENTRAL.size > len(data) or data[at : at + 4] != _CENTRAL_SIG:
            raise miscounted
        (_, _, version, flags, method, time, date, crc, csize, size, name_len, extra_len,
         comment_len, disk, _, external_attr, offset) = _CENTRAL.unpack_from(data, at)  # fmt: skip
        at += _CENTRAL.size
        raw_name = data[at : at + name_len]
        extra = data[at + name_len : at + name_len + extra_len]
        comment = data[at + name_len + extra_len : at + name_len + extra_len + comment_len]
        at += name_len + extra_len + comment_len
        if at > len(data):
            raise miscounted
        # Without the UTF-8 flag a name is CP437 (as zipfile reads it); such a name is
        # refused later unless it is ASCII, where both readings agree.
        if flags & _FLAG_UTF8:
            name = raw_name.decode("utf-8", "surrogateescape")
        else:
            name = raw_name.decode("cp437")
        csize, size, offset = _central_zip64(name, extra, (size, csize, offset), label, path)
        records.append(
            _Record(
                name,
                raw_name,
                version,
                flags,
                method,
                time,
                date,
                crc,
                csize,
                size,
                extra,
                comment,
                disk,
                external_attr,
                offset,
            )  # fmt: skip
        )
    if at != len(data):
        raise miscounted
    return records


def _central_zip64(
    name: str, extra: bytes, values: tuple[int, int, int], label: str, path: str
) -> tuple[int, int, int]:
    """Compressed size, size and offset, from the ZIP64 extra field exactly where the
    record marks them, in the order the format fixes (size, compressed size, offset)."""
    fields = _extra_fields(extra)
    if fields is None:
        damaged = "has a damaged extra field in the central directory"
        raise _member_error(VerificationError, label, name, damaged, path)
    marked = [i for i, v in enumerate(values) if v == _MAX32]
    block = fields.get(_ZIP64_TAG)
    problem = None
    if block is None and marked:
        problem = "marks a field as ZIP64 but has no ZIP64 extra field in its central record"
    elif block is not None and not marked:
        problem = "has a ZIP64 extra field in its central record that none of its fields calls for"
    elif block is not None and len(block) != 8 * len(marked):
        problem = (
            f"has a ZIP64 extra field in its central record of {len(block)} bytes, where its "
            f"fields call for {8 * len(marked)}"
        )
    if problem:
        raise _member_error(VerificationError, label, name, problem, path)
    real = list(values)
    for i, value in zip(marked, struct.unpack(f"<{len(marked)}Q", block or b""), strict=True):
        real[i] = value
    size, csize, offset = real
    return csize, size, offset


def _version_problem(version: int) -> str:
    return (
        f"needs ZIP version {version // 10}.{version % 10} to be read; Baton reads ZIP 4.5 "
        "(stored, deflated and ZIP64 members)"
    )


def _entry_problem(record: _Record, limits: Limits) -> _Refusal | None:
    """Everything about one central-directory record that needs no other record."""
    name = record.name
    problem = _name_problem(name, limits)
    if problem:
        return _Refusal(UnsafeInput, problem)
    if not record.flags & _FLAG_UTF8 and not record.raw_name.isascii():
        return _Refusal(
            UnsafeInput,
            "has a non-ASCII name not marked as UTF-8; other tools could read it differently",
        )
    fields = _extra_fields(record.extra) or {}
    if any(tag in _UNICODE_EXTRAS for tag in fields):
        return _Refusal(
            UnsafeInput,
            "carries a second, Unicode name in an extra field; other tools could read it differently",
        )
    if record.comment:
        return _Refusal(UnsafeInput, "has a comment; Baton bundles carry none")
    if record.disk:
        return _Refusal(
            UnsafeInput,
            f"is on disk {record.disk + 1} of a split ZIP; Baton reads single-file ZIPs only",
        )

    ftype = stat.S_IFMT(record.external_attr >> 16)
    kinds = {
        stat.S_IFLNK: "a symbolic link",
        stat.S_IFCHR: "a character device",
        stat.S_IFBLK: "a block device",
        stat.S_IFIFO: "a FIFO (named pipe)",
        stat.S_IFSOCK: "a socket",
    }
    if ftype in kinds:
        return _Refusal(UnsafeInput, f"is {kinds[ftype]}; a bundle holds regular files only")
    if ftype not in (0, stat.S_IFREG, stat.S_IFDIR):
        return _Refusal(
            UnsafeInput, f"has an unknown file type ({ftype:#o}); a bundle holds regular files only"
        )
    if name.endswith("/"):
        if ftype == stat.S_IFREG:
            return _Refusal(UnsafeInput, "is named like a folder but marked as a file")
        if record.size or record.compressed_size > 2:
            return _Refusal(UnsafeInput, "is a folder entry that carries data")
    elif ftype == stat.S_IFDIR or record.external_attr & 0x10:
        return _Refusal(UnsafeInput, 'is marked as a folder but its name does not end in "/"')

    if record.flags & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION):
        return _Refusal(UnsafeInput, "is encrypted; Baton does not accept encrypted bundles")
    if record.flags & _FLAG_DATA_DESCRIPTOR:
        return _Refusal(
            UnsafeInput,
            "has its sizes after its data (a data descriptor); Baton refuses those, since "
            "readers can disagree on where such a member ends",
        )
    if record.flags & ~_FLAGS_KNOWN:
        return _Refusal(
            UnsafeInput,
            f"uses ZIP features Baton does not read (general-purpose flags 0x{record.flags & ~_FLAGS_KNOWN:04x})",
        )
    if record.method not in _METHODS:
        what = _METHOD_NAMES.get(record.method, "unknown")
        return _Refusal(
            UnsafeInput,
            f"uses compression method {record.method} ({what}); only stored and deflated are accepted",
        )
    if record.version > _MAX_VERSION_NEEDED:
        return _Refusal(UnsafeInput, _version_problem(record.version))
    if record.method == zipfile.ZIP_STORED and record.compressed_size != record.size:
        return _Refusal(
            VerificationError, "is stored uncompressed but declares two different sizes"
        )
    if record.size > limits.max_member_size:
        return _Refusal(
            UnsafeInput,
            f"unpacks to {_human(record.size)}, over the limit of {_human(limits.max_member_size)} per member",
        )
    if record.size > limits.ratio_min_size and (
        record.compressed_size == 0 or record.size / record.compressed_size > limits.max_ratio
    ):
        ratio = record.size / max(record.compressed_size, 1)
        return _Refusal(
            UnsafeInput,
            f"compresses {ratio:.0f}:1, over the limit of {limits.max_ratio:.0f}:1 (a likely ZIP bomb)",
        )
    if record.size and not record.compressed_size:
        return _Refusal(VerificationError, "declares content but stores no data")
    if not name.endswith("/") and is_pickle_name(name):
        return _Refusal(UnsafeInput, PICKLE_REFUSAL)
    return None


def _open_zip_file(zip_path: str | os.PathLike[str]) -> BinaryIO:
    """Open ``zip_path`` for reading, refusing anything but a regular file (never blocks)."""
    label = Path(zip_path).name
    try:
        fd = os.open(zip_path, os.O_RDONLY | _O_BINARY | _O_NONBLOCK | _O_CLOEXEC)
    except FileNotFoundError:
        raise NotFound(f"{label}: no such file", path=str(zip_path)) from None
    except OSError as exc:
        raise VerificationError(
            f"{label}: cannot be opened ({exc.strerror})", path=str(zip_path)
        ) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise VerificationError(f"{label}: is not a regular file", path=str(zip_path))
    return os.fdopen(fd, "rb")


def _check_structure(reader: _Reader, label: str, path: str, limits: Limits) -> list[_Entry]:
    """Every check that needs no decompression; returns all entries, folders included."""
    directory = _find_directory(reader, label, path, limits)
    records = _read_directory(reader, directory, label, path)
    names = _NameSet()
    total = 0
    for record in records:
        refusal = _entry_problem(record, limits)
        if refusal is None:
            collision = names.add(record.name)
            refusal = _Refusal(UnsafeInput, collision) if collision else None
        if refusal is not None:
            raise _member_error(refusal.cls, label, record.name, refusal.reason, path)
        total += record.size
        if total > limits.max_total_size:
            raise _member_error(
                UnsafeInput,
                label,
                record.name,
                f"brings the unpacked total to {_human(total)}, over the limit of {_human(limits.max_total_size)}",
                path,
            )
    _check_order(records, label, path)
    return _check_local_entries(reader, records, directory.offset, label, path)


def _check_order(records: list[_Record], label: str, path: str) -> None:
    """Local entries must lie in the central directory's order, one per record."""
    for before, after in zip(records, records[1:], strict=False):
        if after.header_offset < before.header_offset:
            raise _member_error(
                VerificationError,
                label,
                after.name,
                f"is listed after {_show(before.name)} in the central directory but stored "
                "before it; local entries must follow the central directory's order",
                path,
            )
        if after.header_offset == before.header_offset:
            raise _member_error(
                VerificationError,
                label,
                after.name,
                f"overlaps member {_show(before.name)}; the ZIP is malformed",
                path,
            )


def _check_local_entries(
    reader: _Reader, records: list[_Record], directory_at: int, label: str, path: str
) -> list[_Entry]:
    """Walk the local entries from offset 0 to the central directory: each must start
    where the previous one ends and repeat its central record, so that a reader of local
    headers sees exactly the members the central directory lists (nothing hides in a gap,
    nothing overlaps)."""
    entries: list[_Entry] = []
    at = 0
    previous: _Record | None = None
    for record in records:
        if record.header_offset > at:
            gap = record.header_offset - at
            if previous is None:
                raise _prefix_error(reader, gap, label, path)
            raise _member_error(
                VerificationError,
                label,
                record.name,
                f"starts {gap} bytes after the end of {_show(previous.name)}; the bytes "
                f"between them belong to no listed member{_hidden_entry(reader, at, gap)}",
                path,
            )
        if record.header_offset < at:
            assert previous is not None  # the first record cannot start before offset 0
            raise _member_error(
                VerificationError,
                label,
                record.name,
                f"overlaps member {_show(previous.name)}; the ZIP is malformed",
                path,
            )
        try:
            data_offset = _check_local_header(reader, record, label, path)
        except _Refusal as refusal:
            raise _member_error(refusal.cls, label, record.name, refusal.reason, path) from None
        end = data_offset + record.compressed_size
        if end > reader.size:
            raise _member_error(
                VerificationError,
                label,
                record.name,
                "ends after the end of the file; the ZIP is truncated",
                path,
            )
        if end > directory_at:
            raise _member_error(
                VerificationError,
                label,
                record.name,
                "runs into the central directory; the ZIP is malformed",
                path,
            )
        entries.append(
            _Entry(
                record.name,
                record.name.endswith("/"),
                record.method,
                record.crc,
                record.size,
                record.compressed_size,
                record.header_offset,
                data_offset,
            )  # fmt: skip
        )
        at, previous = end, record
    if directory_at > at:
        gap = directory_at - at
        where = (
            f"after the end of the last member {_show(previous.name)}"
            if previous
            else "after the start of the file"
        )
        raise VerificationError(
            f"{label}: the central directory starts {gap} bytes {where}; the bytes between "
            f"them belong to no listed member{_hidden_entry(reader, at, gap)}",
            path=path,
        )
    return entries


def _check_local_header(reader: _Reader, record: _Record, label: str, path: str) -> int:
    """Where ``record``'s data starts, once its local header is found to repeat it."""
    header = reader.read_at(record.header_offset, _LOCAL.size)
    if len(header) < _LOCAL.size or header[:4] != _LOCAL_SIG:
        raise _Refusal(VerificationError, "has no local header where the central directory points")
    # The "version needed" may differ from the central record's: zipfile raises it there
    # alone when a member's offset needs ZIP64. It only has to stay within reach.
    (_, version, flags, method, time, date, crc, csize, size, name_len,
     extra_len) = _LOCAL.unpack(header)  # fmt: skip
    local_name = reader.read_at(record.header_offset + _LOCAL.size, name_len)
    if local_name != record.raw_name:
        raise _Refusal(
            VerificationError, "has a different name in its local header; the ZIP was tampered with"
        )
    if version > _MAX_VERSION_NEEDED:
        raise _Refusal(UnsafeInput, _version_problem(version) + " (in its local header)")
    extra = reader.read_at(record.header_offset + _LOCAL.size + name_len, extra_len)
    fields = _extra_fields(extra) if len(extra) == extra_len else None
    if fields is None:
        raise _Refusal(VerificationError, "has a damaged local header")
    if any(tag in _UNICODE_EXTRAS for tag in fields):
        raise _Refusal(
            UnsafeInput,
            "carries a second, Unicode name in an extra field; other tools could read it differently",
        )
    block = fields.get(_ZIP64_TAG)
    marked = (csize, size).count(_MAX32)
    if marked or block is not None:
        # The format asks for both sizes in a local ZIP64 field, and nothing else.
        if block is None:
            raise _Refusal(
                VerificationError,
                "marks its sizes as ZIP64 but has no ZIP64 extra field in its local header",
            )
        if not marked:
            raise _Refusal(
                VerificationError,
                "has a ZIP64 extra field in its local header that none of its fields calls for",
            )
        if marked == 1:
            raise _Refusal(
                VerificationError,
                "marks only one of its sizes as ZIP64 in its local header; the format wants both",
            )
        if len(block) != 16:
            raise _Refusal(
                VerificationError,
                f"has a ZIP64 extra field in its local header of {len(block)} bytes, where its fields call for 16",
            )
        size, csize = struct.unpack("<QQ", block)
    for what, here, there, shown in (
        ("flags", flags, record.flags, "0x{:04x}"),
        ("compression method", method, record.method, "{}"),
        ("modification time", time, record.time, "{}"),
        ("modification date", date, record.date, "{}"),
        ("CRC-32", crc, record.crc, "0x{:08x}"),
        ("compressed size", csize, record.compressed_size, "{}"),
        ("size", size, record.size, "{}"),
    ):
        if here != there:
            raise _Refusal(
                VerificationError,
                f"has a local header that disagrees with the central directory on its {what} "
                f"({shown.format(here)} in the local header, {shown.format(there)} in the "
                "central directory)",
            )
    return record.header_offset + _LOCAL.size + name_len + extra_len


def list_members(zip_path: str | os.PathLike[str], limits: Limits = Limits()) -> list[Member]:  # noqa: B008
    """Check a ZIP's structure (everything short of decompressing) and list its files.

    Folder entries are checked but not listed. Raises what :func:`safe_extract` would
    raise for the same structural problem.
    """
    with open_archive(zip_path, limits) as archive:
        return archive.members


# --------------------------------------------------------------------------------------
# Nested ZIPs (a member that is itself a ZIP, e.g. a PyTorch checkpoint)

_NESTED_MAX_ENTRIES = 100_000
_NESTED_MAX_DIRECTORY = 32 * MiB
_NESTED_UNREADABLE = (
    "starts like a ZIP but cannot be read as one, so it cannot be checked for pickles"
)


def _nested_zip_problem(fh: BinaryIO, size: int) -> str | None:
    """Why a member that starts like a ZIP must be refused, or ``None``.

    Only the names are read; the directory is sized first from the end record so a
    crafted member cannot make this check itself eat memory.
    """
    tail_len = min(size, 65535 + 22)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return _NESTED_UNREADABLE
    entries, directory = struct.unpack("<HI", tail[at + 10 : at + 16])
    if entries == 0xFFFF or directory == 0xFFFFFFFF:
        locator = tail[at - 20 : at] if at >= 20 else b""
        if locator[:4] != b"PK\x06\x07":
            return _NESTED_UNREADABLE
        (offset,) = struct.unpack("<Q", locator[8:16])
        fh.seek(offset)
        record = fh.read(56)
        if record[:4] != b"PK\x06\x06" or len(record) < 56:
            return _NESTED_UNREADABLE
        entries, directory = struct.unpack("<QQ", record[32:48])
    if entries > _NESTED_MAX_ENTRIES or directory > _NESTED_MAX_DIRECTORY:
        return "is a ZIP with too large a directory to check for pickles"
    fh.seek(0)
    try:
        with zipfile.ZipFile(fh) as inner:
            inner_names = [i.orig_filename for i in inner.infolist()]
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        ValueError,
        struct.error,
        EOFError,
        OSError,
    ):
        return _NESTED_UNREADABLE
    for inner_name in inner_names:
        if is_pickle_name(inner_name):
            return f"{PICKLE_REFUSAL} (nested {_show(inner_name)})"
    return None


# --------------------------------------------------------------------------------------
# Staging folders


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


def _prepare_staging(staging_dir: Path) -> None:
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


def _empty_folder(folder: Path) -> None:
    """Remove everything inside ``folder`` (which this module filled), keeping the folder."""
    with contextlib.suppress(FileNotFoundError), os.scandir(folder) as it:
        for entry in list(it):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


class _Staging:
    """Creates folders and files strictly inside a staging root, never following links."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root_fd: int | None = None
        if _DIR_FD:
            self._root_fd = os.open(root, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC)

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
                nxt = os.open(seg, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC, dir_fd=fd)
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
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_BINARY | _O_CLOEXEC
        if self._root_fd is None:
            return os.open(self.root.joinpath(*parents, leaf), flags, 0o600)
        parent_fd = self._walk(parents, create=False)
        try:
            return os.open(leaf, flags, 0o600, dir_fd=parent_fd)
        finally:
            os.close(parent_fd)


# --------------------------------------------------------------------------------------
# Extraction


class _Stopped(Exception):
    """Another member failed; this one stops quietly."""


class _Shared:
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
            raise _Stopped
        with self._lock:
            self.done += nbytes
            done = self.done
        if done > self.limits.max_total_size:
            raise _Refusal(
                UnsafeInput,
                f"brings the unpacked total over the limit of {_human(self.limits.max_total_size)}",
            )


class _Sink:
    """Receives a member's bytes: sniffs, counts, hashes and writes them."""

    def __init__(self, out: Callable[[bytes], object], declared: int, shared: _Shared) -> None:
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
            raise _Refusal(
                VerificationError,
                f"unpacks to more than its declared size of {_human(self.declared)}; the ZIP is malformed",
            )
        if not self._sniffed:
            self.head += data
            if len(self.head) < 8 and self.count < self.declared:
                return
            data, self.head, self._sniffed = self.head, self.head[:8], True
            if looks_like_pickle(data):
                raise _Refusal(UnsafeInput, PICKLE_REFUSAL)
        self.sha.update(data)
        self.crc = zlib.crc32(data, self.crc)
        self.out(data)
        self.shared.checkpoint(len(data))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _stream_member(reader: _Reader, entry: _Entry, sink: _Sink) -> None:
    """Feed ``entry``'s decompressed bytes to ``sink``, never more than declared + 1."""
    offset, left = entry.data_offset, entry.compressed_size

    def read() -> bytes:
        nonlocal offset, left
        chunk = reader.read_at(offset, min(CHUNK, left))
        if not chunk:
            raise _Refusal(
                VerificationError, "ends after the end of the file; the ZIP is truncated"
            )
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
                raise _Refusal(
                    VerificationError,
                    "has compressed data that ends early; the ZIP is truncated or damaged",
                )
    except zlib.error as exc:
        raise _Refusal(VerificationError, f"has damaged compressed data ({exc})") from None
    if left or inflater.unused_data:
        raise _Refusal(
            VerificationError,
            "has bytes after the end of its compressed data; the ZIP is malformed",
        )


def _inflate_checked(reader: _Reader, entry: _Entry, sink: _Sink, check_crc: bool) -> None:
    """Stream ``entry`` into ``sink``, then hold it to its declared size and CRC-32."""
    _stream_member(reader, entry, sink)
    if sink.count != entry.size:
        raise _Refusal(
            VerificationError,
            f"unpacks to {_human(sink.count)}, less than its declared size of {_human(entry.size)}; the ZIP is truncated or damaged",
        )
    if check_crc and sink.crc != entry.crc:
        raise _Refusal(
            VerificationError,
            "is damaged: its CRC-32 does not match (changed or corrupted after packing)",
        )


def _extract_member(
    reader: _Reader, entry: _Entry, staging: _Staging, shared: _Shared, check_crc: bool
) -> Member:
    fd = staging.create_file(entry.name)
    try:
        sink = _Sink(functools.partial(_write_all, fd), entry.size, shared)
        _inflate_checked(reader, entry, sink, check_crc)
        if sink.head.startswith(b"PK\x03\x04"):
            with open(fd, "rb", closefd=False) as fh:
                problem = _nested_zip_problem(fh, sink.count)
            if problem:
                raise _Refusal(UnsafeInput, problem)
        return entry.member(sink.sha.hexdigest())
    finally:
        os.close(fd)


class Archive:
    """An untrusted ZIP whose whole structure passed :func:`open_archive`'s checks.

    The file stays open, so what :meth:`read` and :meth:`extract` inflate is what was
    checked, even if the path is replaced meanwhile.
    """

    def __init__(self, fh: BinaryIO, label: str, path: str, limits: Limits) -> None:
        self._reader = _Reader(fh)
        self.label = label
        self.path = path
        self.limits = limits
        self._entries = _check_structure(self._reader, label, path, limits)
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
        sink = _Sink(out.extend, entry.size, _Shared(NEVER_CANCELLED, self.limits))
        try:
            _inflate_checked(self._reader, entry, sink, check_crc=True)
        except _Refusal as refusal:
            raise _member_error(refusal.cls, self.label, name, refusal.reason, self.path) from None
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
                raise _member_error(VerificationError, label, stranger.name, unlisted, path)
        on_member = on_member or (lambda name, sha256, size: None)
        report = progress or no_progress
        cancel = cancel or NEVER_CANCELLED
        staging_root = Path(staging_dir)
        files = self._files
        total = sum(e.size for e in files)
        _prepare_staging(staging_root)
        reader = self._reader
        shared = _Shared(cancel, self.limits)
        staging = _Staging(staging_root)
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
            _empty_folder(staging_root)
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
    with _open_zip_file(zip_path) as fh:
        yield Archive(fh, Path(zip_path).name, str(zip_path), limits)


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
    reader: _Reader,
    entry: _Entry,
    staging: _Staging,
    shared: _Shared,
    check_crc: bool,
    label: str,
    path: str,
) -> Member:
    try:
        return _extract_member(reader, entry, staging, shared, check_crc)
    except _Refusal as refusal:
        raise _member_error(refusal.cls, label, entry.name, refusal.reason, path) from None
    except FileExistsError:
        raise _member_error(
            UnsafeInput, label, entry.name, "collides with another member on this file system", path
        ) from None
    except OSError as exc:
        raise _member_error(
            BatonError,
            label,
            entry.name,
            f"could not be written to the staging folder ({exc.strerror or exc})",
            path,
        ) from None


def _run_parallel(
    reader: _Reader,
    files: list[_Entry],
    staging: _Staging,
    shared: _Shared,
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
            if isinstance(exc, _Stopped):
                # This member was stopped because another one failed: report that one.
                for future in futures:
                    if future.done() and not future.cancelled():
                        error = future.exception()
                        if error is not None and not isinstance(error, _Stopped):
                            raise error from None
            raise
    return results


# --------------------------------------------------------------------------------------
# Writing

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
                    f"{folder.name}: {_show(rel)} is a symbolic link; a bundle holds regular files only",
                    path=entry.path,
                )
            if entry.is_dir(follow_symlinks=False):
                walk(Path(entry.path), rel + "/")
            elif entry.is_file(follow_symlinks=False):
                found.append((rel, Path(entry.path)))
            else:
                raise UnsafeInput(
                    f"{folder.name}: {_show(rel)} is not a regular file; a bundle holds regular files only",
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
    which the caller can compare with what it signed.
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
    names = _NameSet()
    for name, _ in files:
        problem = _name_problem(name, limits) or names.add(name)
        if problem is None and is_pickle_name(name):
            problem = _PICKLE_WRITE_REFUSAL
        if problem:
            raise UnsafeInput(f"{label}: file {_show(name)} {problem}", path=str(folder / name))

    sizes = [p.stat().st_size for _, p in files]
    total = sum(sizes)
    if total > limits.max_total_size:
        raise UnsafeInput(
            f"{label}: files total {_human(total)}, over the limit of {_human(limits.max_total_size)} for a bundle",
            path=str(folder),
        )

    members: list[Member] = []
    done = 0
    report(0, total, f"Packing {out_path.name}")
    try:
        with (
            atomic_writer(out_path, replace=replace, before_commit=before_commit) as out,
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
        return cls(f"{label}: file {_show(name)} {reason}", path=str(src_path))

    fd = os.open(src_path, os.O_RDONLY | _O_NOFOLLOW | _O_BINARY | _O_CLOEXEC)
    with os.fdopen(fd, "rb") as src:
        st = os.fstat(src.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise refuse(UnsafeInput, "is not a regular file; a bundle holds regular files only")
        if st.st_size > limits.max_member_size:
            raise refuse(
                UnsafeInput,
                f"is {_human(st.st_size)}, over the limit of {_human(limits.max_member_size)} per member",
            )
        head = src.read(8)
        src.seek(0)
        if looks_like_pickle(head):
            raise refuse(UnsafeInput, _PICKLE_WRITE_REFUSAL)
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
            problem = _nested_zip_problem(src, size)
            if problem:
                raise refuse(UnsafeInput, problem)
    if size > limits.ratio_min_size and size > limits.max_ratio * info.compress_size:
        raise refuse(
            UnsafeInput,
            f"compresses {size / max(info.compress_size, 1):.0f}:1, over the limit of {limits.max_ratio:.0f}:1 that bundle readers accept",
        )
    return Member(name, size, info.compress_size, _METHODS[info.compress_type], sha.hexdigest())
