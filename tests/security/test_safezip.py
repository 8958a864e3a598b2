"""Hostile and broken ZIPs against baton.core.handover.safezip, and the bundle writer it trusts.

Every hostile ZIP is built by hand (crafted ZipInfo, or header bytes patched after the
fact). Each refusal is checked for its type, for a message that names the ZIP, the member
and the reason, and for leaving nothing behind outside the staging folder (and nothing
inside it either).
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import shutil
import stat
import struct
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from baton.core.errors import (
    BatonError,
    Cancelled,
    NotFound,
    UnsafeInput,
    UsageError,
    VerificationError,
)
from baton.core.fsutil import sha256_file
from baton.core.handover.safezip import (
    Limits,
    Member,
    list_members,
    private_staging,
    private_staging_dir,
    safe_extract,
    write_bundle_zip,
)
from baton.core.progress import CancelToken

PICKLE_REASON = "contains a pickle file; Baton never loads pickles from bundles"

# ----------------------------------------------------------------------------------------
# Helpers


def info(name: str, **attrs: object) -> zipfile.ZipInfo:
    """A ZipInfo whose name is taken verbatim (ZipInfo() would cut it at a NUL)."""
    zi = zipfile.ZipInfo("placeholder", date_time=(1980, 1, 1, 0, 0, 0))
    zi.filename = name
    zi.orig_filename = name
    zi.compress_type = zipfile.ZIP_STORED
    zi.create_system = 3
    zi.external_attr = (stat.S_IFREG | 0o644) << 16
    for key, value in attrs.items():
        setattr(zi, key, value)
    return zi


def build_zip(path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for item, data in members:
            zf.writestr(item if isinstance(item, zipfile.ZipInfo) else info(item), data)
    return path


_LOCAL_FIELDS = {"flags": (6, "<H"), "method": (8, "<H"), "crc": (14, "<I"),
                 "csize": (18, "<I"), "usize": (22, "<I")}  # fmt: skip
_CENTRAL_FIELDS = {"flags": (8, "<H"), "method": (10, "<H"), "crc": (16, "<I"),
                   "csize": (20, "<I"), "usize": (24, "<I"), "offset": (42, "<I")}  # fmt: skip


def _records(data: bytes, signature: bytes, name_at: int, name: bytes) -> list[int]:
    found, at = [], data.find(signature)
    while at >= 0:
        if data[at + name_at : at + name_at + len(name)] == name:
            found.append(at)
        at = data.find(signature, at + 1)
    return found


def patch(
    path: Path, name: str, *, local: bool = True, central: bool = True, **fields: int
) -> None:
    """Overwrite header fields of member ``name`` in the local and/or central record."""
    data = bytearray(path.read_bytes())
    raw = name.encode()
    if local:
        (at,) = _records(data, b"PK\x03\x04", 30, raw)
        for field, value in fields.items():
            if field in _LOCAL_FIELDS:
                off, fmt = _LOCAL_FIELDS[field]
                struct.pack_into(fmt, data, at + off, value)
    if central:
        (at,) = _records(data, b"PK\x01\x02", 46, raw)
        for field, value in fields.items():
            off, fmt = _CENTRAL_FIELDS[field]
            struct.pack_into(fmt, data, at + off, value)
    path.write_bytes(bytes(data))


def data_offset(path: Path, name: str) -> int:
    with zipfile.ZipFile(path) as zf:
        zi = zf.getinfo(name)
    header = path.read_bytes()[zi.header_offset : zi.header_offset + 30]
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return zi.header_offset + 30 + name_len + extra_len


def snapshot(root: Path, skip: Path) -> dict[str, tuple[int, int, int]]:
    """Every path under ``root`` except ``skip`` and what is inside it."""
    seen = {}
    for p in root.rglob("*"):
        if p == skip or skip in p.parents:
            continue
        st = p.lstat()
        seen[str(p.relative_to(root))] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return seen


def refused(tmp_path: Path, zip_path: Path, exc_type: type[BatonError], *needles: str,
            structural: bool = True, limits: Limits | None = None, **kwargs: object) -> str:  # fmt: skip
    """Run safe_extract (and list_members if ``structural``) and check the refusal."""
    limits = limits or Limits()
    staging = tmp_path / "staging"
    before = snapshot(tmp_path, staging)
    with pytest.raises(exc_type) as caught:
        safe_extract(zip_path, staging, limits=limits, **kwargs)
    message = str(caught.value)
    assert type(caught.value) is exc_type, message
    assert message.startswith(f"{zip_path.name}: "), message
    for needle in needles:
        assert needle in message, message
    assert "\n" not in message
    assert snapshot(tmp_path, staging) == before, "something was written outside the staging folder"
    if structural:
        assert not staging.exists(), "a structural refusal must come before any extraction"
        with pytest.raises(exc_type) as again:
            list_members(zip_path, limits)
        assert str(again.value) == message
    else:
        assert list(staging.iterdir()) == [], "a failed extraction must leave staging empty"
        shutil.rmtree(staging)
    return message


@pytest.fixture
def zpath(tmp_path: Path) -> Path:
    return tmp_path / "in" / "evil.baton"


# ----------------------------------------------------------------------------------------
# Names


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil.txt", "has a path that leaves the bundle folder"),
        ("a/../../evil.txt", "has a path that leaves the bundle folder"),
        ("..", "has a path that leaves the bundle folder"),
        ("/tmp/evil.txt", "has an absolute path"),
        ("dir\\..\\evil.txt", 'has a backslash in its name; only "/" may separate folders'),
        ("C:/evil.txt", "starts with a drive letter"),
        ("c:evil.txt", "starts with a drive letter"),
        ("a\x00b.txt", "has a NUL character in its name"),
        ("a\x1bb.txt", "has a control character in its name"),
        ("a\x85b.txt", "has a control character in its name"),
        ("a//b.txt", 'has an empty path segment ("//" or a lone "/")'),
        ("./a.txt", 'has a "." path segment'),
        ("e\u0301.txt", "has a name that is not in Unicode NFC form"),
        ("model:stream", "has a character that is not allowed in file names on Windows (:)"),
        ("what?.txt", "has a character that is not allowed in file names on Windows (?)"),
        ("data/CON.txt", 'uses "CON.txt", a device name reserved by Windows'),
        ("lpt1", 'uses "lpt1", a device name reserved by Windows'),
        ("trailing./x.txt", "has a path segment ending in a dot or a space"),
        ("x" * 300, "has a path segment longer than 255 bytes"),
        ("a/" * 600 + "x", "has a name longer than 1024 bytes"),
        ("evil\u202etxt.exe", "has an invisible formatting character (U+202E) in its name"),
    ],
)
def test_unsafe_names_are_refused_before_anything_is_written(tmp_path, zpath, name, reason):
    build_zip(zpath, [("ok.txt", b"fine"), (name, b"payload")])
    message = refused(tmp_path, zpath, UnsafeInput, reason)
    if name == "../evil.txt":
        assert (
            message == 'evil.baton: member "../evil.txt" has a path that leaves the bundle folder'
        )
    if name == "a\x00b.txt":
        assert 'member "a\\x00b.txt"' in message  # shown, not cut at the NUL


def test_names_that_collide_are_refused(tmp_path, zpath):
    build_zip(zpath, [("a.txt", b"1"), ("A.TXT", b"2")])
    message = refused(tmp_path, zpath, UnsafeInput)
    assert message == (
        'evil.baton: member "A.TXT" collides with "a.txt" on a case-insensitive file system'
    )


@pytest.mark.parametrize(
    ("names", "culprit", "reason"),
    [
        (["a.txt", "a.txt"], "a.txt", "appears more than once"),
        (["model/x.json", "Model/y.json"], "Model/y.json", 'collides with "model/"'),
        (
            ["model", "model/x.json"],
            "model/x.json",
            'needs "model" to be a folder, but it is a file',
        ),
        (["model/x.json", "model"], "model", 'is a file but "model/" makes it a folder'),
        (["straße.txt", "STRASSE.txt"], "STRASSE.txt", 'collides with "straße.txt"'),
    ],
)
def test_duplicate_and_clashing_names_are_refused(tmp_path, zpath, names, culprit, reason):
    with pytest.warns(UserWarning) if len(set(names)) < len(names) else _nothing():
        build_zip(zpath, [(n, b"x") for n in names])
    message = refused(tmp_path, zpath, UnsafeInput, f'member "{culprit}" {reason}')
    assert message.startswith(f'evil.baton: member "{culprit}" ')


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_non_ascii_name_not_marked_utf8_is_refused(tmp_path, zpath):
    build_zip(zpath, [("café.txt", b"x")])
    patch(zpath, "café.txt", flags=0)  # drop the UTF-8 flag: readers now disagree on the name
    refused(tmp_path, zpath, UnsafeInput, "has a non-ASCII name not marked as UTF-8")


def test_second_unicode_name_in_extra_field_is_refused(tmp_path, zpath):
    alias = b"../evil.txt"
    extra = struct.pack("<HHBI", 0x7075, 5 + len(alias), 1, zlib.crc32(b"ok.txt")) + alias
    build_zip(zpath, [(info("ok.txt", extra=extra), b"x")])
    refused(tmp_path, zpath, UnsafeInput, 'member "ok.txt" carries a second, Unicode name')


def test_unicode_nfc_name_round_trips(tmp_path, zpath):
    build_zip(zpath, [("données/café.txt", b"ok")])
    members = safe_extract(zpath, tmp_path / "staging")
    assert [m.name for m in members] == ["données/café.txt"]
    assert (tmp_path / "staging" / "données" / "café.txt").read_bytes() == b"ok"


# ----------------------------------------------------------------------------------------
# Entry types


@pytest.mark.parametrize(
    ("mode", "kind"),
    [
        (stat.S_IFLNK | 0o777, "is a symbolic link"),
        (stat.S_IFCHR | 0o666, "is a character device"),
        (stat.S_IFBLK | 0o660, "is a block device"),
        (stat.S_IFIFO | 0o644, "is a FIFO (named pipe)"),
        (stat.S_IFSOCK | 0o755, "is a socket"),
    ],
)
def test_links_devices_fifos_and_sockets_are_refused(tmp_path, zpath, mode, kind):
    build_zip(
        zpath,
        [(info("model/model.onnx", external_attr=mode << 16, create_system=3), b"/etc/passwd")],
    )
    message = refused(tmp_path, zpath, UnsafeInput)
    assert (
        message
        == f'evil.baton: member "model/model.onnx" {kind}; a bundle holds regular files only'
    )


def test_symlink_is_refused_whatever_the_creating_system(tmp_path, zpath):
    link = info("a.txt", external_attr=(stat.S_IFLNK | 0o777) << 16, create_system=0)
    build_zip(zpath, [(link, b"/etc/passwd")])
    refused(tmp_path, zpath, UnsafeInput, 'member "a.txt" is a symbolic link')


def test_pure_folder_entries_are_tolerated_and_skipped(tmp_path, zpath):
    folder = info("model/", external_attr=(stat.S_IFDIR | 0o755) << 16 | 0x10)
    empty = info("empty/", external_attr=(stat.S_IFDIR | 0o755) << 16 | 0x10)
    build_zip(zpath, [(folder, b""), ("model/model.onnx", b"onnx"), (empty, b"")])
    members = safe_extract(zpath, tmp_path / "staging")
    assert [m.name for m in members] == ["model/model.onnx"]
    assert [m.name for m in list_members(zpath)] == ["model/model.onnx"]
    assert sorted(p.name for p in (tmp_path / "staging").iterdir()) == ["model"]


def test_folder_entry_with_data_is_refused(tmp_path, zpath):
    build_zip(zpath, [(info("model/", external_attr=(stat.S_IFDIR | 0o755) << 16), b"hidden")])
    refused(tmp_path, zpath, UnsafeInput, 'member "model/" is a folder entry that carries data')


def test_folder_type_without_slash_is_refused(tmp_path, zpath):
    build_zip(zpath, [(info("model", external_attr=(stat.S_IFDIR | 0o755) << 16), b"")])
    refused(
        tmp_path,
        zpath,
        UnsafeInput,
        'member "model" is marked as a folder but its name does not end in "/"',
    )


def test_encrypted_member_is_refused(tmp_path, zpath):
    build_zip(zpath, [("secret.json", b"{}")])
    patch(zpath, "secret.json", flags=0x1)
    refused(
        tmp_path,
        zpath,
        UnsafeInput,
        'member "secret.json" is encrypted; Baton does not accept encrypted bundles',
    )


def test_unsupported_compression_is_refused(tmp_path, zpath):
    build_zip(zpath, [(info("card.md", compress_type=zipfile.ZIP_BZIP2), b"# card\n" * 100)])
    refused(tmp_path, zpath, UnsafeInput,
            'member "card.md" uses compression method 12 (bzip2); only stored and deflated are accepted')  # fmt: skip


# ----------------------------------------------------------------------------------------
# Counts, sizes, ratio, lying headers


def test_too_many_members(tmp_path, zpath):
    build_zip(zpath, [(f"f{i:04d}.txt", b"") for i in range(1001)])
    message = refused(tmp_path, zpath, UnsafeInput)
    assert message == "evil.baton: has 1001 members, over the limit of 1000"


def test_member_over_size_limit(tmp_path, zpath):
    build_zip(zpath, [("data/test.parquet", b"x" * 2000)])
    refused(tmp_path, zpath, UnsafeInput,
            'member "data/test.parquet" unpacks to 1.953 KB, over the limit of 1,000 B per member',
            limits=Limits(max_member_size=1000))  # fmt: skip


def test_total_over_size_limit_names_the_member_that_crosses_it(tmp_path, zpath):
    build_zip(zpath, [("a.bin", b"a" * 2000), ("b.bin", b"b" * 2000)])
    refused(tmp_path, zpath, UnsafeInput,
            'member "b.bin" brings the unpacked total to 3.906 KB, over the limit of 2.93 KB',
            limits=Limits(max_total_size=3000))  # fmt: skip


def test_zip_bomb_is_refused_quickly(tmp_path, zpath):
    bomb = info("predictions/test.parquet", compress_type=zipfile.ZIP_DEFLATED)
    build_zip(zpath, [(bomb, bytes(64 << 20))])  # 64 MiB of zeros -> about 64 KiB
    started = time.perf_counter()
    message = refused(tmp_path, zpath, UnsafeInput, 'member "predictions/test.parquet" compresses ',
                      "over the limit of 200:1 (a likely ZIP bomb)")  # fmt: skip
    assert time.perf_counter() - started < 1.0, message


def test_small_members_may_compress_well(tmp_path, zpath):
    build_zip(
        zpath, [(info("contract.json", compress_type=zipfile.ZIP_DEFLATED), bytes(512 << 10))]
    )
    (member,) = safe_extract(zpath, tmp_path / "staging")
    assert member.size == 512 << 10 and member.method == "deflated"


def test_lying_small_size_cannot_smuggle_a_big_member(tmp_path, zpath, monkeypatch):
    """The header says 1000 bytes; the data inflates to 32 MiB. At most 1001 get out."""
    body = info("contract.json", compress_type=zipfile.ZIP_DEFLATED)
    build_zip(zpath, [(body, bytes(32 << 20))])
    patch(zpath, "contract.json", usize=1000)
    written = []
    real_write = os.write
    monkeypatch.setattr(
        os, "write", lambda fd, data: written.append(len(data)) or real_write(fd, data)
    )
    started = time.perf_counter()
    refused(tmp_path, zpath, VerificationError,
            'member "contract.json" unpacks to more than its declared size of 1,000 B; the ZIP is malformed',
            structural=False, limits=Limits(max_member_size=1 << 20))  # fmt: skip
    assert sum(written) <= 1001
    assert time.perf_counter() - started < 1.0


def test_lying_large_size_is_caught(tmp_path, zpath):
    build_zip(zpath, [(info("card.md", compress_type=zipfile.ZIP_DEFLATED), b"# card\n" * 500)])
    patch(zpath, "card.md", usize=3500 + 100)
    refused(tmp_path, zpath, VerificationError,
            'member "card.md" unpacks to 3.418 KB, less than its declared size of 3.516 KB',
            structural=False)  # fmt: skip


def test_lying_huge_size_hits_the_limit_before_extraction(tmp_path, zpath):
    build_zip(zpath, [(info("card.md", compress_type=zipfile.ZIP_DEFLATED), b"# card\n" * 500)])
    patch(zpath, "card.md", usize=0xFFFF_FFF0)
    refused(tmp_path, zpath, UnsafeInput, 'member "card.md" unpacks to 4.000 GB, over the limit of',
            limits=Limits(max_member_size=1 << 30))  # fmt: skip


def test_stored_member_claiming_more_data_than_the_file_has(tmp_path, zpath):
    build_zip(zpath, [("a.txt", b"hello")])
    patch(zpath, "a.txt", csize=1 << 20, usize=1 << 20)
    refused(
        tmp_path,
        zpath,
        VerificationError,
        'member "a.txt" ends after the end of the file; the ZIP is truncated',
    )


def test_overlapping_members_are_refused(tmp_path, zpath):
    # b.txt's central record points inside a.txt's data, where a copy of its header sits:
    # the trick behind "non-recursive" ZIP bombs that reuse one compressed block.
    inner = tmp_path / "inner.zip"
    build_zip(inner, [("b.txt", b"B" * 100)])
    inner_member = inner.read_bytes()[: 30 + 5 + 100]
    build_zip(zpath, [("a.txt", inner_member), ("b.txt", b"B" * 100)])
    patch(zpath, "b.txt", local=False, offset=data_offset(zpath, "a.txt"))
    refused(
        tmp_path,
        zpath,
        VerificationError,
        'member "b.txt" overlaps member "a.txt"; the ZIP is malformed',
    )


def test_local_header_with_another_name_is_refused(tmp_path, zpath):
    build_zip(zpath, [("a.txt", b"hello")])
    data = bytearray(zpath.read_bytes())
    data[30:35] = b"../ev"  # same length, local header only
    zpath.write_bytes(bytes(data))
    refused(tmp_path, zpath, VerificationError,
            'member "a.txt" has a different name in its local header; the ZIP was tampered with')  # fmt: skip


# ----------------------------------------------------------------------------------------
# Damaged files


def test_bad_crc_is_caught_while_streaming(tmp_path, zpath):
    build_zip(zpath, [("contract.json", b'{"ok": true}'), ("card.md", b"# card")])
    at = data_offset(zpath, "card.md")
    data = bytearray(zpath.read_bytes())
    data[at] ^= 0x01
    zpath.write_bytes(bytes(data))
    assert [m.name for m in list_members(zpath)] == ["contract.json", "card.md"]
    message = refused(tmp_path, zpath, VerificationError, structural=False, workers=1)
    assert message == ('evil.baton: member "card.md" is damaged: its CRC-32 does not match '
                       "(changed or corrupted after packing)")  # fmt: skip


def test_damaged_deflate_stream(tmp_path, zpath):
    build_zip(zpath, [(info("card.md", compress_type=zipfile.ZIP_DEFLATED), b"# card\n" * 100)])
    at = data_offset(zpath, "card.md")
    data = bytearray(zpath.read_bytes())
    data[at] = 0xFF  # block type 3 does not exist
    zpath.write_bytes(bytes(data))
    refused(
        tmp_path,
        zpath,
        VerificationError,
        'member "card.md" has damaged compressed data',
        structural=False,
    )


@pytest.mark.parametrize("damage", ["random", "empty", "first-half", "last-byte-gone"])
def test_not_a_zip_or_truncated(tmp_path, zpath, damage):
    build_zip(zpath, [("contract.json", b"{}" * 1000), ("card.md", b"# card")])
    good = zpath.read_bytes()
    bad = {"random": os.urandom(4096), "empty": b"", "first-half": good[: len(good) // 2],
           "last-byte-gone": good[:-1]}[damage]  # fmt: skip
    zpath.write_bytes(bad)
    message = refused(tmp_path, zpath, VerificationError)
    assert message.startswith("evil.baton: is not a readable ZIP file; it is truncated or damaged")


def test_missing_file_and_non_files(tmp_path):
    with pytest.raises(NotFound, match="^nope.baton: no such file$"):
        safe_extract(tmp_path / "nope.baton", tmp_path / "staging")
    fifo = tmp_path / "pipe.baton"
    os.mkfifo(fifo)
    with pytest.raises(VerificationError, match="^pipe.baton: is not a regular file$"):
        list_members(fifo)  # must not block waiting for a writer
    with pytest.raises(VerificationError, match="is not a regular file"):
        list_members(tmp_path)
    assert not (tmp_path / "staging").exists()


# ----------------------------------------------------------------------------------------
# Pickles


@pytest.mark.parametrize(
    "name",
    ["model/model.pkl", "model/model.PICKLE", "model.joblib", "w.pt", "w.pth", "model.pkl.gz"],
)
def test_pickle_names_are_refused(tmp_path, zpath, name):
    build_zip(zpath, [("contract.json", b"{}"), (name, b"not even a pickle")])
    message = refused(tmp_path, zpath, UnsafeInput)
    assert message == f'evil.baton: member "{name}" {PICKLE_REASON}'


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_content_is_refused_and_staging_emptied(tmp_path, zpath, protocol):
    payload = pickle.dumps({"weights": list(range(10))}, protocol=protocol)
    build_zip(zpath, [("contract.json", b"{}"), ("model/weights.bin", payload)])
    message = refused(tmp_path, zpath, UnsafeInput, structural=False)
    assert message == f'evil.baton: member "model/weights.bin" {PICKLE_REASON}'


def test_pickle_inside_a_nested_zip_is_refused(tmp_path, zpath):
    torch_like = io.BytesIO()
    with zipfile.ZipFile(torch_like, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps([1, 2, 3], protocol=0))
        zf.writestr("archive/data/0", b"\x00" * 64)
    build_zip(zpath, [("model/model.bin", torch_like.getvalue())])
    refused(tmp_path, zpath, UnsafeInput,
            f'member "model/model.bin" {PICKLE_REASON} (nested "archive/data.pkl")', structural=False)  # fmt: skip


def test_nested_zip_without_pickles_is_fine(tmp_path, zpath):
    skops_like = io.BytesIO()
    with zipfile.ZipFile(skops_like, "w") as zf:
        zf.writestr("schema.json", "{}")
        zf.writestr("a.npy", b"\x93NUMPY" + bytes(100))
    build_zip(zpath, [("model/model.skops", skops_like.getvalue())])
    (member,) = safe_extract(zpath, tmp_path / "staging")
    assert member.sha256 == hashlib.sha256(skops_like.getvalue()).hexdigest()


def test_unreadable_nested_zip_is_refused(tmp_path, zpath):
    build_zip(zpath, [("model/model.skops", b"PK\x03\x04" + os.urandom(200))])
    refused(tmp_path, zpath, UnsafeInput, 'member "model/model.skops" starts like a ZIP but',
            "cannot be checked for pickles", structural=False)  # fmt: skip


# ----------------------------------------------------------------------------------------
# Staging folder


def test_staging_is_created_private(tmp_path, zpath):
    build_zip(zpath, [("model/model.onnx", b"onnx")])
    staging = tmp_path / "new" / "staging"
    safe_extract(zpath, staging)
    assert stat.S_IMODE(staging.stat().st_mode) == 0o700
    assert stat.S_IMODE((staging / "model").stat().st_mode) == 0o700
    assert stat.S_IMODE((staging / "model" / "model.onnx").stat().st_mode) == 0o600


def test_staging_must_be_empty_private_and_a_real_folder(tmp_path, zpath):
    build_zip(zpath, [("a.txt", b"a")])
    busy = private_staging_dir(tmp_path)
    (busy / "left-over").write_text("x")
    with pytest.raises(UsageError, match="is not empty"):
        safe_extract(zpath, busy)
    open_dir = tmp_path / "open"
    open_dir.mkdir(mode=0o755)
    open_dir.chmod(0o755)
    with pytest.raises(UsageError, match=r"is not private \(mode 0755\)"):
        safe_extract(zpath, open_dir)
    link = tmp_path / "link"
    link.symlink_to(private_staging_dir(tmp_path))
    with pytest.raises(UsageError, match="is not a plain folder"):
        safe_extract(zpath, link)
    assert list(open_dir.iterdir()) == []


def test_private_staging_context_removes_the_folder(tmp_path):
    with private_staging(tmp_path) as staging:
        assert stat.S_IMODE(staging.stat().st_mode) == 0o700
        (staging / "x").write_text("x")
    assert not staging.exists()
    with pytest.raises(RuntimeError), private_staging(tmp_path) as staging:
        (staging / "y").write_text("y")
        raise RuntimeError("boom")
    assert not staging.exists()


def test_cancel_during_extraction_empties_staging(tmp_path, zpath):
    build_zip(zpath, [("a.txt", b"a"), ("b.txt", b"b"), ("c.txt", b"c")])
    token = CancelToken()
    seen = []

    def on_member(name, sha, size):
        seen.append(name)
        token.cancel()

    with pytest.raises(Cancelled):
        safe_extract(zpath, tmp_path / "staging", on_member=on_member, cancel=token, workers=1)
    assert seen == ["a.txt"]
    assert list((tmp_path / "staging").iterdir()) == []


def test_cancel_with_parallel_workers(tmp_path, zpath):
    build_zip(zpath, [(f"part{i}.bin", os.urandom(3 << 20)) for i in range(3)])
    token = CancelToken()
    with pytest.raises(Cancelled):
        safe_extract(zpath, tmp_path / "staging", cancel=token, workers=3,
                     progress=lambda done, total, message: token.cancel())  # fmt: skip
    assert list((tmp_path / "staging").iterdir()) == []


def test_error_from_on_member_aborts_and_empties_staging(tmp_path, zpath):
    build_zip(zpath, [("a.txt", b"a"), ("b.txt", b"b")])

    def not_in_manifest(name, sha, size):
        if name == "b.txt":
            raise VerificationError(f"{name} is not in the manifest")

    with pytest.raises(VerificationError, match="b.txt is not in the manifest"):
        safe_extract(zpath, tmp_path / "staging", on_member=not_in_manifest)
    assert list((tmp_path / "staging").iterdir()) == []


def test_parallel_failure_reports_the_failing_member(tmp_path, zpath):
    members = [(f"big{i}.bin", os.urandom(2 << 20)) for i in range(3)]
    members.append(("model/weights.bin", pickle.dumps([0], protocol=4)))
    build_zip(zpath, members)
    refused(tmp_path, zpath, UnsafeInput, f'member "model/weights.bin" {PICKLE_REASON}',
            structural=False, workers=4)  # fmt: skip


# ----------------------------------------------------------------------------------------
# Writing bundles


def make_bundle_folder(root: Path) -> Path:
    folder = root / "bundle"
    files = {
        "contract.json": b'{"schema": "baton.contract/v1", "name": "demo"}\n' * 50,
        "card.md": "# Demo model\n\nIntended use: tests. Données.\n".encode() * 20,
        "model/model.onnx": os.urandom(3 << 20),  # float weights: do not compress
        "data/test.parquet": b"PAR1" + bytes(1 << 20) + b"PAR1",  # stored by its kind
        "data/notes.txt": "".join(f"{i},{i * i % 997}\n" for i in range(200_000)).encode(),
        "data/sparse.bin": bytes(2 << 20),  # deflates 1000:1, past the reader's ratio limit
        "predictions/test.parquet": b"PAR1" + os.urandom(5000) + b"PAR1",
        "empty.txt": b"",
    }
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (folder / "unused-empty-folder").mkdir()
    return folder


def test_round_trip_returns_the_same_files_and_hashes(tmp_path):
    folder = make_bundle_folder(tmp_path)
    out = tmp_path / "out" / "demo-1.baton"
    written = write_bundle_zip(folder, out)
    expected = {
        p.relative_to(folder).as_posix(): (sha256_file(p), p.stat().st_size)
        for p in folder.rglob("*")
        if p.is_file()
    }
    assert [m.name for m in written] == sorted(expected)
    assert {m.name: (m.sha256, m.size) for m in written} == expected

    calls = []
    extracted = safe_extract(out, tmp_path / "staging",
                             on_member=lambda n, h, s: calls.append((n, h, s)))  # fmt: skip
    assert calls == [(m.name, m.sha256, m.size) for m in written]
    assert [(m.name, m.sha256, m.size) for m in extracted] == calls
    for name, (digest, _) in expected.items():
        assert sha256_file(tmp_path / "staging" / name) == digest

    methods = {m.name: m.method for m in written}
    assert methods["model/model.onnx"] == "stored"
    assert methods["data/test.parquet"] == "stored"
    assert methods["data/notes.txt"] == "deflated"
    assert methods["contract.json"] == "deflated"
    assert methods["data/sparse.bin"] == "stored"  # so that our own reader accepts it
    assert [m.method for m in list_members(out)] == [m.method for m in written]


def test_written_zip_is_deterministic_and_plain(tmp_path):
    folder = make_bundle_folder(tmp_path)
    first, second = tmp_path / "one.baton", tmp_path / "two.baton"
    write_bundle_zip(folder, first)
    for p in folder.rglob("*"):
        os.utime(p, (1_700_000_000, 1_700_000_000))
        if p.is_file():
            p.chmod(0o600)
    write_bundle_zip(folder, second)
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        assert zf.testzip() is None
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    for i in infos:
        assert not i.is_dir()
        assert i.date_time == (1980, 1, 1, 0, 0, 0)
        assert i.create_system == 3
        assert i.external_attr >> 16 == stat.S_IFREG | 0o644
    assert stat.S_IMODE(first.stat().st_mode) == 0o644


def test_workers_do_not_change_the_result(tmp_path):
    folder = make_bundle_folder(tmp_path)
    out = tmp_path / "demo.baton"
    write_bundle_zip(folder, out)
    serial = safe_extract(out, tmp_path / "s1", workers=1)
    parallel = safe_extract(out, tmp_path / "s2", workers=4)
    assert serial == parallel
    assert all(isinstance(m, Member) and m.sha256 for m in serial)


def test_zip64_structures_are_written_and_read(tmp_path, monkeypatch):
    # Real 4 GiB files are too slow for a unit test; lowering zipfile's threshold makes
    # it emit the same ZIP64 local, central and end records for small files.
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 1000)
    folder = make_bundle_folder(tmp_path)
    out = tmp_path / "demo.baton"
    written = write_bundle_zip(folder, out)
    monkeypatch.undo()
    assert b"PK\x06\x06" in out.read_bytes()  # the ZIP64 end record
    extracted = safe_extract(out, tmp_path / "staging")
    assert [(m.name, m.sha256) for m in extracted] == [(m.name, m.sha256) for m in written]


def test_progress_is_monotonic_and_complete(tmp_path):
    folder = make_bundle_folder(tmp_path)
    out = tmp_path / "demo.baton"
    reports: list[tuple[float, float]] = []
    write_bundle_zip(folder, out, progress=lambda d, t, m: reports.append((d, t)))
    extract_reports: list[tuple[float, float]] = []
    safe_extract(out, tmp_path / "staging", progress=lambda d, t, m: extract_reports.append((d, t)))
    for seq in (reports, extract_reports):
        dones = [d for d, _ in seq]
        assert dones == sorted(dones)
        assert seq[-1][0] == seq[-1][1] > 0


def _dir_listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_cancel_mid_write_keeps_the_old_bundle(tmp_path):
    folder = make_bundle_folder(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "demo-1.baton"
    target.write_bytes(b"the previous bundle")
    token = CancelToken()

    def progress(done, total, message):
        if message.startswith("Packed "):  # trips after the first file
            token.cancel()

    with pytest.raises(Cancelled):
        write_bundle_zip(folder, target, progress=progress, cancel=token)
    assert target.read_bytes() == b"the previous bundle"
    assert _dir_listing(out_dir) == ["demo-1.baton"]


def test_crash_mid_file_leaves_no_bundle_and_no_temp(tmp_path):
    folder = make_bundle_folder(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    def crash(done, total, message):
        if message == "Packing model/model.onnx" and done > 0:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        write_bundle_zip(folder, out_dir / "demo-1.baton", progress=crash)
    assert _dir_listing(out_dir) == []


def test_failed_rename_keeps_the_old_bundle(tmp_path, monkeypatch):
    folder = make_bundle_folder(tmp_path)
    target = tmp_path / "out" / "demo-1.baton"
    target.parent.mkdir()
    target.write_bytes(b"old")

    def refuse_rename(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse_rename)
    with pytest.raises(BatonError, match="^Cannot write demo-1.baton: No space left on device"):
        write_bundle_zip(folder, target)
    assert target.read_bytes() == b"old"
    assert _dir_listing(target.parent) == ["demo-1.baton"]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("model/model.pkl", b"anything", "is a pickle file; Baton never puts pickles in bundles"),
        (
            "model/model.bin",
            pickle.dumps([1], protocol=4),
            "is a pickle file; Baton never puts pickles in bundles",
        ),
        (
            "data/Notes.TXT",
            b"x",
            'collides with "data/Notes.TXT" on a case-insensitive file system',
        ),
    ],
)
def test_writer_refuses_what_the_reader_would(tmp_path, name, data, reason):
    folder = make_bundle_folder(tmp_path)
    (folder / name).write_bytes(data)
    target = tmp_path / "demo.baton"
    with pytest.raises(UnsafeInput) as caught:
        write_bundle_zip(folder, target)
    culprit = "data/notes.txt" if name == "data/Notes.TXT" else name  # sorted after its twin
    assert str(caught.value) == f'bundle: file "{culprit}" {reason}'
    assert not target.exists()
    assert _dir_listing(tmp_path) == ["bundle"]


def test_writer_refuses_symlinks_and_special_files(tmp_path):
    folder = make_bundle_folder(tmp_path)
    (folder / "model" / "link.onnx").symlink_to(folder / "model" / "model.onnx")
    with pytest.raises(UnsafeInput, match='^bundle: "model/link.onnx" is a symbolic link'):
        write_bundle_zip(folder, tmp_path / "demo.baton")
    (folder / "model" / "link.onnx").unlink()
    os.mkfifo(folder / "data" / "pipe")
    with pytest.raises(UnsafeInput, match='^bundle: "data/pipe" is not a regular file'):
        write_bundle_zip(folder, tmp_path / "demo.baton")
    assert _dir_listing(tmp_path) == ["bundle"]


def test_writer_refuses_to_write_inside_its_own_folder(tmp_path):
    folder = make_bundle_folder(tmp_path)
    with pytest.raises(UsageError, match="cannot be written inside the folder it packs"):
        write_bundle_zip(folder, folder / "demo.baton")


def test_writer_respects_member_count(tmp_path):
    folder = make_bundle_folder(tmp_path)
    with pytest.raises(
        UnsafeInput, match="^bundle: has 8 files, over the limit of 3 for a bundle$"
    ):
        write_bundle_zip(folder, tmp_path / "demo.baton", limits=Limits(max_members=3))
