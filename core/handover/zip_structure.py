"""A ZIP's structure, checked before a byte is extracted: the end records, the central
directory parsed here (not by :mod:`zipfile`), every local header against its central
record, and nested ZIPs one level deep (see :mod:`baton.core.handover.safezip` for the rules)."""

from __future__ import annotations

import os
import stat
import struct
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from baton.core.errors import BatonError, NotFound, UnsafeInput, VerificationError
from baton.core.handover.zip_rules import (
    PICKLE_REFUSAL,
    Limits,
    Member,
    MiB,
    NameSet,
    Refusal,
    is_pickle_name,
    member_error,
    name_problem,
    show_name,
)
from baton.core.present import fmt_size

# --------------------------------------------------------------------------------------
# Reading the structure
#
# The central directory is parsed here, not by :mod:`zipfile`, whose reader forgives
# what a second reader would read differently: it skips bytes before the first member
# (and shifts every offset to match), looks for the end record anywhere in the last
# 64 KiB, ignores the member count, and never looks at local headers.

_MAX16, _MAX32 = 0xFFFF, 0xFFFF_FFFF  # "the real value is in a ZIP64 record"
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
METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}


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
O_BINARY = getattr(os, "O_BINARY", 0)
O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
DIR_FD = os.open in os.supports_dir_fd and os.mkdir in os.supports_dir_fd


class Reader:
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
class Entry:
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
        return Member(self.name, self.size, self.compressed_size, METHODS[self.method], sha256)


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


def _hidden_entry(reader: Reader, start: int, length: int) -> str:
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
    return f" (they hold a hidden local entry for {show_name(name)})"


def _prefix_error(reader: Reader, length: int, label: str, path: str) -> BatonError:
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


def _find_directory(reader: Reader, label: str, path: str, limits: Limits) -> _Directory:
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
    reader: Reader,
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


def _read_directory(reader: Reader, directory: _Directory, label: str, path: str) -> list[_Record]:
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
        raise member_error(VerificationError, label, name, damaged, path)
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
        raise member_error(VerificationError, label, name, problem, path)
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


def _entry_problem(record: _Record, limits: Limits) -> Refusal | None:
    """Everything about one central-directory record that needs no other record."""
    name = record.name
    problem = name_problem(name, limits)
    if problem:
        return Refusal(UnsafeInput, problem)
    if not record.flags & _FLAG_UTF8 and not record.raw_name.isascii():
        return Refusal(
            UnsafeInput,
            "has a non-ASCII name not marked as UTF-8; other tools could read it differently",
        )
    fields = _extra_fields(record.extra) or {}
    if any(tag in _UNICODE_EXTRAS for tag in fields):
        return Refusal(
            UnsafeInput,
            "carries a second, Unicode name in an extra field; other tools could read it differently",
        )
    if record.comment:
        return Refusal(UnsafeInput, "has a comment; Baton bundles carry none")
    if record.disk:
        return Refusal(
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
        return Refusal(UnsafeInput, f"is {kinds[ftype]}; a bundle holds regular files only")
    if ftype not in (0, stat.S_IFREG, stat.S_IFDIR):
        return Refusal(
            UnsafeInput, f"has an unknown file type ({ftype:#o}); a bundle holds regular files only"
        )
    if name.endswith("/"):
        if ftype == stat.S_IFREG:
            return Refusal(UnsafeInput, "is named like a folder but marked as a file")
        if record.size or record.compressed_size > 2:
            return Refusal(UnsafeInput, "is a folder entry that carries data")
    elif ftype == stat.S_IFDIR or record.external_attr & 0x10:
        return Refusal(UnsafeInput, 'is marked as a folder but its name does not end in "/"')

    if record.flags & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION):
        return Refusal(UnsafeInput, "is encrypted; Baton does not accept encrypted bundles")
    if record.flags & _FLAG_DATA_DESCRIPTOR:
        return Refusal(
            UnsafeInput,
            "has its sizes after its data (a data descriptor); Baton refuses those, since "
            "readers can disagree on where such a member ends",
        )
    if record.flags & ~_FLAGS_KNOWN:
        return Refusal(
            UnsafeInput,
            f"uses ZIP features Baton does not read (general-purpose flags 0x{record.flags & ~_FLAGS_KNOWN:04x})",
        )
    if record.method not in METHODS:
        what = _METHOD_NAMES.get(record.method, "unknown")
        return Refusal(
            UnsafeInput,
            f"uses compression method {record.method} ({what}); only stored and deflated are accepted",
        )
    if record.version > _MAX_VERSION_NEEDED:
        return Refusal(UnsafeInput, _version_problem(record.version))
    if record.method == zipfile.ZIP_STORED and record.compressed_size != record.size:
        return Refusal(VerificationError, "is stored uncompressed but declares two different sizes")
    if record.size > limits.max_member_size:
        return Refusal(
            UnsafeInput,
            f"unpacks to {fmt_size(record.size)}, over the limit of {fmt_size(limits.max_member_size, exact=True)} per member",
        )
    if record.size > limits.ratio_min_size and (
        record.compressed_size == 0 or record.size / record.compressed_size > limits.max_ratio
    ):
        ratio = record.size / max(record.compressed_size, 1)
        return Refusal(
            UnsafeInput,
            f"compresses {ratio:.0f}:1, over the limit of {limits.max_ratio:.0f}:1 (a likely ZIP bomb)",
        )
    if record.size and not record.compressed_size:
        return Refusal(VerificationError, "declares content but stores no data")
    if not name.endswith("/") and is_pickle_name(name):
        return Refusal(UnsafeInput, PICKLE_REFUSAL)
    return None


def open_zip_file(zip_path: str | os.PathLike[str]) -> BinaryIO:
    """Open ``zip_path`` for reading, refusing anything but a regular file (never blocks)."""
    label = Path(zip_path).name
    try:
        fd = os.open(zip_path, os.O_RDONLY | O_BINARY | _O_NONBLOCK | O_CLOEXEC)
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


def check_structure(reader: Reader, label: str, path: str, limits: Limits) -> list[Entry]:
    """Every check that needs no decompression; returns all entries, folders included."""
    directory = _find_directory(reader, label, path, limits)
    records = _read_directory(reader, directory, label, path)
    names = NameSet()
    total = 0
    for record in records:
        refusal = _entry_problem(record, limits)
        if refusal is None:
            collision = names.add(record.name)
            refusal = Refusal(UnsafeInput, collision) if collision else None
        if refusal is not None:
            raise member_error(refusal.cls, label, record.name, refusal.reason, path)
        total += record.size
        if total > limits.max_total_size:
            raise member_error(
                UnsafeInput,
                label,
                record.name,
                f"brings the unpacked total to {fmt_size(total)}, over the limit of {fmt_size(limits.max_total_size, exact=True)}",
                path,
            )
    _check_order(records, label, path)
    return _check_local_entries(reader, records, directory.offset, label, path)


def _check_order(records: list[_Record], label: str, path: str) -> None:
    """Local entries must lie in the central directory's order, one per record."""
    for before, after in zip(records, records[1:], strict=False):
        if after.header_offset < before.header_offset:
            raise member_error(
                VerificationError,
                label,
                after.name,
                f"is listed after {show_name(before.name)} in the central directory but stored "
                "before it; local entries must follow the central directory's order",
                path,
            )
        if after.header_offset == before.header_offset:
            raise member_error(
                VerificationError,
                label,
                after.name,
                f"overlaps member {show_name(before.name)}; the ZIP is malformed",
                path,
            )


def _check_local_entries(
    reader: Reader, records: list[_Record], directory_at: int, label: str, path: str
) -> list[Entry]:
    """Walk the local entries from offset 0 to the central directory: each must start
    where the previous one ends and repeat its central record, so that a reader of local
    headers sees exactly the members the central directory lists (nothing hides in a gap,
    nothing overlaps)."""
    entries: list[Entry] = []
    at = 0
    previous: _Record | None = None
    for record in records:
        if record.header_offset > at:
            gap = record.header_offset - at
            if previous is None:
                raise _prefix_error(reader, gap, label, path)
            raise member_error(
                VerificationError,
                label,
                record.name,
                f"starts {gap} bytes after the end of {show_name(previous.name)}; the bytes "
                f"between them belong to no listed member{_hidden_entry(reader, at, gap)}",
                path,
            )
        if record.header_offset < at:
            assert previous is not None  # the first record cannot start before offset 0
            raise member_error(
                VerificationError,
                label,
                record.name,
                f"overlaps member {show_name(previous.name)}; the ZIP is malformed",
                path,
            )
        try:
            data_offset = _check_local_header(reader, record, label, path)
        except Refusal as refusal:
            raise member_error(refusal.cls, label, record.name, refusal.reason, path) from None
        end = data_offset + record.compressed_size
        if end > reader.size:
            raise member_error(
                VerificationError,
                label,
                record.name,
                "ends after the end of the file; the ZIP is truncated",
                path,
            )
        if end > directory_at:
            raise member_error(
                VerificationError,
                label,
                record.name,
                "runs into the central directory; the ZIP is malformed",
                path,
            )
        entries.append(
            Entry(
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
            f"after the end of the last member {show_name(previous.name)}"
            if previous
            else "after the start of the file"
        )
        raise VerificationError(
            f"{label}: the central directory starts {gap} bytes {where}; the bytes between "
            f"them belong to no listed member{_hidden_entry(reader, at, gap)}",
            path=path,
        )
    return entries


def _check_local_header(reader: Reader, record: _Record, label: str, path: str) -> int:
    """Where ``record``'s data starts, once its local header is found to repeat it."""
    header = reader.read_at(record.header_offset, _LOCAL.size)
    if len(header) < _LOCAL.size or header[:4] != _LOCAL_SIG:
        raise Refusal(VerificationError, "has no local header where the central directory points")
    # The "version needed" may differ from the central record's: zipfile raises it there
    # alone when a member's offset needs ZIP64. It only has to stay within reach.
    (_, version, flags, method, time, date, crc, csize, size, name_len,
     extra_len) = _LOCAL.unpack(header)  # fmt: skip
    local_name = reader.read_at(record.header_offset + _LOCAL.size, name_len)
    if local_name != record.raw_name:
        raise Refusal(
            VerificationError, "has a different name in its local header; the ZIP was tampered with"
        )
    if version > _MAX_VERSION_NEEDED:
        raise Refusal(UnsafeInput, _version_problem(version) + " (in its local header)")
    extra = reader.read_at(record.header_offset + _LOCAL.size + name_len, extra_len)
    fields = _extra_fields(extra) if len(extra) == extra_len else None
    if fields is None:
        raise Refusal(VerificationError, "has a damaged local header")
    if any(tag in _UNICODE_EXTRAS for tag in fields):
        raise Refusal(
            UnsafeInput,
            "carries a second, Unicode name in an extra field; other tools could read it differently",
        )
    block = fields.get(_ZIP64_TAG)
    marked = (csize, size).count(_MAX32)
    if marked or block is not None:
        # The format asks for both sizes in a local ZIP64 field, and nothing else.
        if block is None:
            raise Refusal(
                VerificationError,
                "marks its sizes as ZIP64 but has no ZIP64 extra field in its local header",
            )
        if not marked:
            raise Refusal(
                VerificationError,
                "has a ZIP64 extra field in its local header that none of its fields calls for",
            )
        if marked == 1:
            raise Refusal(
                VerificationError,
                "marks only one of its sizes as ZIP64 in its local header; the format wants both",
            )
        if len(block) != 16:
            raise Refusal(
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
            raise Refusal(
                VerificationError,
                f"has a local header that disagrees with the central directory on its {what} "
                f"({shown.format(here)} in the local header, {shown.format(there)} in the "
                "central directory)",
            )
    return record.header_offset + _LOCAL.size + name_len + extra_len


_NESTED_MAX_ENTRIES = 100_000
_NESTED_MAX_DIRECTORY = 32 * MiB


_NESTED_UNREADABLE = (
    "starts like a ZIP but cannot be read as one, so it cannot be checked for pickles"
)


def nested_zip_problem(fh: BinaryIO, size: int) -> str | None:
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
            return f"{PICKLE_REFUSAL} (nested {show_name(inner_name)})"
    return None
