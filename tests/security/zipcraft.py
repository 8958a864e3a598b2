"""ZIP files built byte by byte, for attacks that ``zipfile`` will not write.

:func:`build` lays out local entries, central directory and end record from a list of
:class:`Entry`, with every field open to override in the local header, the central
record or both, and room for bytes before, between and after the entries. By default it
writes exactly what Python's ``zipfile`` (and so Baton's own writer) writes, which
:func:`entries_of` and the tests use to rebuild a real signed bundle identically before
changing one thing in it.

:func:`stream_members` is the other way of reading a ZIP: it walks local headers from
offset 0 as a streaming extractor does, never looking at the central directory. A ZIP
has one reading only if this, ``zipfile`` and Baton all see the same files.
"""

from __future__ import annotations

import dataclasses
import functools
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LOCAL_SIG = b"PK\x03\x04"
CENTRAL_SIG = b"PK\x01\x02"
END_SIG = b"PK\x05\x06"
ZIP64_END_SIG = b"PK\x06\x06"
ZIP64_LOCATOR_SIG = b"PK\x06\x07"

# sig, version needed, flags, method, time, date, crc, csize, usize, name len, extra len
LOCAL = struct.Struct("<4sHHHHHIIIHH")
# sig, made by, version needed, flags, method, time, date, crc, csize, usize, name len,
# extra len, comment len, disk, internal attr, external attr, local header offset
CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
# sig, disk, disk of directory, entries here, entries total, directory size, offset, comment len
END = struct.Struct("<4sHHHHIIH")
# sig, record size, made by, version needed, disk, disk of directory, entries here,
# entries total, directory size, directory offset
ZIP64_END = struct.Struct("<4sQHHIIQQQQ")
# sig, disk with the ZIP64 end record, its offset, number of disks
ZIP64_LOCATOR = struct.Struct("<4sIQI")

MAX32 = 0xFFFF_FFFF
DOS_DATE_1980 = (0 << 9) | (1 << 5) | 1  # 1980-01-01
REGULAR_0644 = 0o100644 << 16


def deflate(content: bytes) -> bytes:
    """Raw deflate, as ``zipfile`` writes it."""
    packer = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return packer.compress(content) + packer.flush()


@functools.cache
def zeros_crc(n: int) -> int:
    """CRC-32 of ``n`` zero bytes, without holding them in memory."""
    block = bytes(1 << 20)
    crc = 0
    while n:
        crc = zlib.crc32(block[: min(n, len(block))], crc)
        n -= min(n, len(block))
    return crc


def zip64_extra(*values: int) -> bytes:
    return struct.pack(f"<HH{len(values)}Q", 1, 8 * len(values), *values)


@dataclass
class Entry:
    """One member. ``local`` and ``central`` override fields in one of its two headers
    (keys: ``name`` as bytes, ``version``, ``flags``, ``method``, ``time``, ``date``,
    ``crc``, ``csize``, ``usize``, ``extra``; ``central`` also ``made_by``, ``comment``,
    ``disk``, ``mode`` (the external attributes) and ``offset``)."""

    name: str
    content: bytes
    method: int = zipfile.ZIP_DEFLATED
    data: bytes | None = None  # the stored bytes; derived from content and method if None
    flags: int | None = None
    version: int = 20
    made_by: int = (3 << 8) | 20
    mode: int = REGULAR_0644
    time: int = 0
    date: int = DOS_DATE_1980
    extra: bytes = b""
    local: dict[str, Any] = field(default_factory=dict)
    central: dict[str, Any] = field(default_factory=dict)
    hole: int = 0  # stored content of this many zero bytes, written as a sparse hole

    def __post_init__(self) -> None:
        if self.hole:
            self.method, self.data = zipfile.ZIP_STORED, b""
        if self.data is None:
            self.data = deflate(self.content) if self.method == 8 else self.content
        if self.flags is None:
            self.flags = 0 if self.name.isascii() else 0x800

    def fields(self) -> dict[str, Any]:
        assert self.data is not None and self.flags is not None
        return {
            "name": self.name.encode("utf-8"),
            "version": self.version,
            "flags": self.flags,
            "method": self.method,
            "time": self.time,
            "date": self.date,
            "crc": zeros_crc(self.hole) if self.hole else zlib.crc32(self.content),
            "csize": self.hole or len(self.data),
            "usize": self.hole or len(self.content),
            "extra": self.extra,
        }

    def with_(self, **changes: Any) -> Entry:
        return dataclasses.replace(self, **changes)


def local_entry(entry: Entry) -> bytes:
    """Local header, name, extra and data of ``entry``."""
    f = {**entry.fields(), **entry.local}
    head = LOCAL.pack(LOCAL_SIG, f["version"], f["flags"], f["method"], f["time"], f["date"],
                      f["crc"], f["csize"], f["usize"], len(f["name"]), len(f["extra"]))  # fmt: skip
    assert entry.data is not None
    return head + f["name"] + f["extra"] + entry.data


def central_record(entry: Entry, offset: int) -> bytes:
    f = {**entry.fields(), "made_by": entry.made_by, "comment": b"", "disk": 0,
         "mode": entry.mode, "offset": offset, **entry.central}  # fmt: skip
    head = CENTRAL.pack(CENTRAL_SIG, f["made_by"], f["version"], f["flags"], f["method"],
                        f["time"], f["date"], f["crc"], f["csize"], f["usize"], len(f["name"]),
                        len(f["extra"]), len(f["comment"]), f["disk"], 0, f["mode"],
                        f["offset"])  # fmt: skip
    return head + f["name"] + f["extra"] + f["comment"]


def build(
    entries: Iterable[Entry],
    *,
    prefix: bytes = b"",
    gaps: Mapping[int, bytes] | None = None,
    before_directory: bytes = b"",
    comment: bytes = b"",
    suffix: bytes = b"",
    end: Mapping[str, int] | None = None,
    zip64: Mapping[str, int] | None = None,
    order: list[int] | None = None,
) -> bytes:
    """A ZIP of ``entries`` in this order, whose central directory lists them in the same order.

    ``prefix`` comes first and the offsets count it (as ``zip -A`` fixes them);
    ``gaps[i]`` goes right before entry ``i`` and ``before_directory`` after the last
    one, both skipped by the central directory; ``comment`` is the archive comment and
    ``suffix`` follows everything. ``end`` overrides end-record fields (``entries``,
    ``size``, ``offset``, ``comment_len``); ``zip64`` adds a ZIP64 end record and
    locator with these overrides (``entries``, ``size``, ``offset``, ``record_size``,
    ``disk``, ``at``: the locator's pointer). ``order`` lists the entries' indexes in
    the order the central directory should list them.
    """
    chunks = _layout(list(entries), prefix, gaps or {}, before_directory, comment, suffix,
                     end or {}, zip64, order)  # fmt: skip
    assert all(isinstance(c, bytes) for c in chunks), "use write() for entries with a hole"
    return b"".join(chunks)  # type: ignore[arg-type]


def write(path: Path, entries: Iterable[Entry], **options: Any) -> Path:
    """:func:`build` into ``path``; the content of entries with a ``hole`` is left sparse."""
    chunks = _layout(list(entries), options.pop("prefix", b""), options.pop("gaps", {}),
                     options.pop("before_directory", b""), options.pop("comment", b""),
                     options.pop("suffix", b""), options.pop("end", {}),
                     options.pop("zip64", None), options.pop("order", None))  # fmt: skip
    assert not options, options
    with open(path, "wb") as fh:
        for chunk in chunks:
            if isinstance(chunk, int):
                fh.seek(chunk, 1)
            else:
                fh.write(chunk)
        fh.truncate()
    return path


def _layout(
    entries: list[Entry],
    prefix: bytes,
    gaps: Mapping[int, bytes],
    before_directory: bytes,
    comment: bytes,
    suffix: bytes,
    end: Mapping[str, int],
    zip64: Mapping[str, int] | None,
    order: list[int] | None = None,
) -> list[bytes | int]:
    """The file as byte strings and hole sizes (ints), in order."""
    chunks: list[bytes | int] = [prefix]
    at = len(prefix)
    offsets = []
    for i, entry in enumerate(entries):
        chunks.append(gaps.get(i, b""))
        at += len(gaps.get(i, b""))
        offsets.append(at)
        chunks.append(local_entry(entry))
        at += len(chunks[-1])  # type: ignore[arg-type]
        if entry.hole:
            chunks.append(entry.hole)
            at += entry.hole
    chunks.append(before_directory)
    at += len(before_directory)
    directory_at = at
    listed = order if order is not None else range(len(entries))
    directory = b"".join(central_record(entries[i], offsets[i]) for i in listed)
    tail = bytearray(directory)
    size, count = len(directory), len(entries)
    if zip64 is not None:
        z = {"entries": count, "size": size, "offset": directory_at, "record_size": 44,
             "disk": 0, "at": directory_at + len(tail), **zip64}  # fmt: skip
        tail += ZIP64_END.pack(ZIP64_END_SIG, z["record_size"], (3 << 8) | 45, 45, z["disk"], 0,
                               z["entries"], z["entries"], z["size"], z["offset"])  # fmt: skip
        tail += ZIP64_LOCATOR.pack(ZIP64_LOCATOR_SIG, 0, z["at"], 1)
    e = {"entries": count, "size": size, "offset": directory_at, "comment_len": len(comment),
         **end}  # fmt: skip
    tail += END.pack(END_SIG, 0, 0, e["entries"], e["entries"], e["size"], e["offset"],
                     e["comment_len"])  # fmt: skip
    chunks.append(bytes(tail) + comment + suffix)
    return chunks


def entries_of(path: Path) -> list[Entry]:
    """The members of a ZIP Baton wrote, with their stored bytes, ready for :func:`build`."""
    raw = path.read_bytes()
    out = []
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            at = info.header_offset
            name_len, extra_len = struct.unpack("<HH", raw[at + 26 : at + 30])
            start = at + 30 + name_len + extra_len
            out.append(
                Entry(
                    info.orig_filename,
                    zf.read(info),
                    method=info.compress_type,
                    data=raw[start : start + info.compress_size],
                    flags=info.flag_bits,
                    version=info.extract_version,
                    made_by=(info.create_system << 8) | info.create_version,
                    mode=info.external_attr,
                )
            )
    return out


def find(entries: list[Entry], name: str) -> int:
    return next(i for i, e in enumerate(entries) if e.name == name)


# --- the streaming reading -----------------------------------------------------------------


class StreamError(Exception):
    """The local headers cannot be walked to the central directory."""


def stream_members(data: bytes) -> list[tuple[str, bytes]]:
    """Every member as a streaming extractor sees it: local headers walked from offset 0
    until the central directory, each checked against its own CRC-32."""
    found = []
    pos = 0
    while data[pos : pos + 4] == LOCAL_SIG:
        if pos + LOCAL.size > len(data):
            raise StreamError(f"truncated local header at {pos}")
        _, _, flags, method, _, _, crc, csize, usize, nlen, xlen = LOCAL.unpack_from(data, pos)
        if flags & 0x08:
            raise StreamError("data descriptors are not supported by this reader")
        name = data[pos + 30 : pos + 30 + nlen].decode("utf-8" if flags & 0x800 else "cp437")
        extra = data[pos + 30 + nlen : pos + 30 + nlen + xlen]
        if MAX32 in (csize, usize):
            usize, csize = _local_zip64(extra)
        start = pos + 30 + nlen + xlen
        stored = data[start : start + csize]
        if len(stored) != csize:
            raise StreamError(f"{name}: data runs past the end")
        if method == zipfile.ZIP_STORED:
            content = stored
        elif method == zipfile.ZIP_DEFLATED:
            inflater = zlib.decompressobj(-15)
            content = inflater.decompress(stored)
            if not inflater.eof or inflater.unused_data:
                raise StreamError(f"{name}: deflate stream does not fill its space")
        else:
            raise StreamError(f"{name}: method {method}")
        if len(content) != usize or zlib.crc32(content) != crc:
            raise StreamError(f"{name}: size or CRC-32 differs from its local header")
        found.append((name, content))
        pos = start + csize
    if data[pos : pos + 4] not in (CENTRAL_SIG, END_SIG, ZIP64_END_SIG):
        raise StreamError(f"no local header and no central directory at {pos}")
    return found


def _local_zip64(extra: bytes) -> tuple[int, int]:
    while len(extra) >= 4:
        tag, size = struct.unpack("<HH", extra[:4])
        if tag == 1 and size >= 16:
            usize, csize = struct.unpack("<QQ", extra[4:20])
            return usize, csize
        extra = extra[4 + size :]
    raise StreamError("ZIP64 sizes without a ZIP64 extra field")


def zipfile_members(data: bytes) -> list[tuple[str, bytes]]:
    """Every member as Python's ``zipfile`` reads it (central directory first)."""
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]
