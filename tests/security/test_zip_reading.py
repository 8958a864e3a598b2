"""One reading of a ZIP: the attacks that make two readers see two different bundles.

A ZIP can be read from its central directory (``zipfile``, Baton) or by walking local
headers from offset 0 (streaming extractors, some scanners and mail filters). Every
archive here is built byte by byte (``zipcraft``) so that the two readings differ: a
second local entry for ``card.md`` or for the model hidden in a gap the central directory
skips, local headers that disagree with their central record, a script prepended, data
appended, an archive comment, inconsistent ZIP64 records. Baton must refuse each one with
a message naming the member and the reason, first on small archives through
:mod:`baton.core.handover.safezip`, then on the real signed bundle through ``baton verify`` and
:func:`baton.core.handover.bundle.verify`.

Also here: a member the signed manifest does not name is refused *unread* (a sparse
1 GiB member, with the bytes the process reads counted), the order in which a bundle
from an unknown signer is checked (digests before its document is parsed for a key), and
a property test: whatever Baton accepts after random damage to a valid bundle, Python's
``zipfile`` and a streaming reader extract byte for byte the same.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baton.core import jsonsafe
from baton.core.catalog.store import Catalog
from baton.core.errors import BatonError, UnsafeInput, VerificationError
from baton.core.handover import oms, review, signed_zip
from baton.core.handover.safezip import list_members, safe_extract

pytest.register_assert_rewrite("tests.handover")  # before the imports below

from tests.handover import (  # noqa: E402
    contract_of,
    edit_contract,
    evil_skops,
    public_pem,
    read_members,
    rewrite,
)
from tests.security.test_bundle_security import refused as refused_by_verify  # noqa: E402
from tests.security.test_bundle_security import staging_watch, verify  # noqa: E402
from tests.security.zipcraft import (  # noqa: E402
    LOCAL,
    MAX32,
    Entry,
    StreamError,
    build,
    entries_of,
    find,
    local_entry,
    stream_members,
    write,
    zip64_extra,
    zipfile_members,
)

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world, private_tmp

SCRIPT = b"#!/bin/sh\n# unpacks the model below, then runs it\nexit 0\n"


def small() -> list[Entry]:
    """Three members as Baton writes them: two deflated, one stored."""
    return [
        Entry("card.md", b"# Demo model\n\nIntended use: tests only.\n" * 20),
        Entry("contract.json", b'{"schema": "baton.contract/v1", "name": "demo"}\n' * 30),
        Entry("model/model.onnx", bytes(range(256)) * 12, method=zipfile.ZIP_STORED),
    ]


def contents(entries: list[Entry]) -> list[tuple[str, bytes]]:
    return [(e.name, e.content) for e in entries]


def refused(tmp_path: Path, data: bytes, exc_type: type[BatonError], message: str) -> None:
    """Both ways in (listing and extracting) refuse ``data`` with exactly ``message``,
    before any staging folder exists."""
    path = tmp_path / "evil.baton"
    path.write_bytes(data)
    staging = tmp_path / "staging"
    for attempt in (lambda: list_members(path), lambda: safe_extract(path, staging)):
        with pytest.raises(BatonError) as caught:
            attempt()
        assert type(caught.value) is exc_type, caught.value
        assert str(caught.value) == message
    assert not staging.exists()


def hidden_note(name: str) -> str:
    return f' (they hold a hidden local entry for "{name}")'


# --- the helper itself ---------------------------------------------------------------------


def test_a_crafted_archive_reads_the_same_three_ways(tmp_path):
    data = build(small())
    path = tmp_path / "ok.baton"
    path.write_bytes(data)
    members = safe_extract(path, tmp_path / "staging")
    baton = [(m.name, (tmp_path / "staging" / m.name).read_bytes()) for m in members]
    assert baton == zipfile_members(data) == stream_members(data) == contents(small())


def test_the_builder_rewrites_the_signed_bundle_byte_for_byte(handover):
    assert build(entries_of(handover.bundle)) == handover.bundle.read_bytes()


# --- around the ZIP: prefix, suffix, comment ----------------------------------------------


@pytest.mark.parametrize("offsets", ["as they were", "adjusted"])
def test_a_prepended_script_is_refused(tmp_path, offsets):
    # `cat script.sh bundle.zip` leaves the offsets as they were (zipfile compensates);
    # `zip -A` adjusts them. Either way zipfile reads the bundle: the attack is real.
    data = SCRIPT + build(small()) if offsets == "as they were" else build(small(), prefix=SCRIPT)
    assert zipfile_members(data) == contents(small())
    refused(tmp_path, data, UnsafeInput,
            f"evil.baton: has {len(SCRIPT)} bytes before its first member (something was "
            "prepended to the ZIP, such as a script)")  # fmt: skip


def test_a_hidden_entry_before_the_first_member_is_refused(tmp_path):
    hidden = local_entry(Entry("card.md", b"# All targets met.\n"))
    data = build(small(), prefix=hidden)
    assert zipfile_members(data) == contents(small())
    assert stream_members(data)[0] == ("card.md", b"# All targets met.\n")
    refused(tmp_path, data, VerificationError,
            f"evil.baton: has {len(hidden)} bytes before its first member" + hidden_note("card.md"))  # fmt: skip


@pytest.mark.parametrize("tail", [b"\n", b"echo appended\n" * 40, b"PK\x03\x04" + bytes(100)])
def test_appended_data_is_refused(tmp_path, tail):
    data = build(small()) + tail
    assert zipfile_members(data) == contents(small())
    refused(tmp_path, data, UnsafeInput,
            f"evil.baton: has {len(tail)} bytes after the end of the ZIP (data appended to it)")  # fmt: skip


def test_a_second_end_record_appended_is_refused(tmp_path):
    good = build(small())
    data = good + good[-22:]  # a copy of the end record, pointing at the same directory
    assert stream_members(data) == contents(small())
    refused(tmp_path, data, VerificationError,
            "evil.baton: has 22 bytes between its central directory and its end record; "
            "the ZIP is malformed")  # fmt: skip


def test_an_archive_comment_is_refused(tmp_path):
    data = build(small(), comment=b"All targets met. Signed: the review board")
    assert zipfile_members(data) == contents(small())
    refused(tmp_path, data, UnsafeInput,
            "evil.baton: has an archive comment (41 bytes); Baton bundles carry none")  # fmt: skip


def test_an_end_record_promising_a_comment_that_is_not_there(tmp_path):
    data = build(small(), end={"comment_len": 5})
    path = tmp_path / "evil.baton"
    path.write_bytes(data)
    with pytest.raises(VerificationError) as caught:
        list_members(path)
    assert str(caught.value).startswith(
        "evil.baton: is not a readable ZIP file; it is truncated or damaged"
    )


# --- between the members: gaps, overlaps, order --------------------------------------------


@pytest.mark.parametrize("at", [1, 2])
def test_a_hidden_card_between_two_members_is_refused(tmp_path, at):
    fake = b"# Demo model\n\nAll targets met; approved for production.\n"
    hidden = local_entry(Entry("card.md", fake))
    entries = small()
    data = build(entries, gaps={at: hidden})
    # the central directory's reading is the genuine one; a streaming one ends on the fake
    assert zipfile_members(data) == contents(entries)
    assert [n for n, _ in stream_members(data)].count("card.md") == 2
    after, before = entries[at].name, entries[at - 1].name
    refused(tmp_path, data, VerificationError,
            f'evil.baton: member "{after}" starts {len(hidden)} bytes after the end of '
            f'"{before}"; the bytes between them belong to no listed member'
            + hidden_note("card.md"))  # fmt: skip


def test_a_hidden_model_before_the_central_directory_is_refused(tmp_path):
    hidden = local_entry(Entry("model/model.onnx", b"\x08\x07evil graph", method=0))
    data = build(small(), before_directory=hidden)
    assert zipfile_members(data) == contents(small())
    assert stream_members(data)[-1] == ("model/model.onnx", b"\x08\x07evil graph")
    refused(tmp_path, data, VerificationError,
            f"evil.baton: the central directory starts {len(hidden)} bytes after the end of "
            'the last member "model/model.onnx"; the bytes between them belong to no listed '
            "member" + hidden_note("model/model.onnx"))  # fmt: skip


def test_a_gap_of_plain_bytes_is_refused(tmp_path):
    data = build(small(), gaps={2: b"\x00" * 7})
    refused(tmp_path, data, VerificationError,
            'evil.baton: member "model/model.onnx" starts 7 bytes after the end of '
            '"contract.json"; the bytes between them belong to no listed member')  # fmt: skip


def test_a_central_directory_in_another_order_is_refused(tmp_path):
    data = build(small(), order=[1, 0, 2])
    assert sorted(zipfile_members(data)) == sorted(contents(small()))
    refused(tmp_path, data, VerificationError,
            'evil.baton: member "card.md" is listed after "contract.json" in the central '
            "directory but stored before it; local entries must follow the central "
            "directory's order")  # fmt: skip


def test_two_records_for_one_local_entry_are_refused(tmp_path):
    entries = small()
    entries[1] = entries[1].with_(central={"offset": 0})  # contract.json's record -> card.md
    refused(tmp_path, build(entries), VerificationError,
            'evil.baton: member "contract.json" overlaps member "card.md"; the ZIP is malformed')  # fmt: skip


# --- local headers that disagree with the central directory ---------------------------------


@pytest.mark.parametrize(
    ("field", "value", "what"),
    [
        ("crc", 0xDEADBEEF, "CRC-32 (0xdeadbeef in the local header, {crc} in the central directory)"),
        ("csize", 17, "compressed size (17 in the local header, {csize} in the central directory)"),
        ("usize", 17, "size (17 in the local header, {usize} in the central directory)"),
        ("method", 0, "compression method (0 in the local header, 8 in the central directory)"),
        ("flags", 0x0800, "flags (0x0800 in the local header, 0x0000 in the central directory)"),
        ("flags", 0x0008, "flags (0x0008 in the local header, 0x0000 in the central directory)"),
        ("time", 0x6000, "modification time (24576 in the local header, 0 in the central directory)"),
        ("date", 0x5921, "modification date (22817 in the local header, 33 in the central directory)"),
    ],
)  # fmt: skip
def test_a_local_header_that_disagrees_is_refused(tmp_path, field, value, what):
    entries = small()
    card = entries[0]
    fields = card.fields()
    entries[0] = card.with_(local={field: value})
    data = build(entries)
    expected = what.format(crc=f"0x{fields['crc']:08x}", csize=fields["csize"],
                           usize=fields["usize"])  # fmt: skip
    refused(tmp_path, data, VerificationError,
            'evil.baton: member "card.md" has a local header that disagrees with the central '
            f"directory on its {expected}")  # fmt: skip


def test_a_local_header_with_another_name_is_refused(tmp_path):
    entries = small()
    entries[0] = entries[0].with_(local={"name": b"card.MD"})
    refused(tmp_path, build(entries), VerificationError,
            'evil.baton: member "card.md" has a different name in its local header; '
            "the ZIP was tampered with")  # fmt: skip


def test_a_data_descriptor_is_refused(tmp_path):
    entries = small()
    entries[0] = entries[0].with_(flags=0x08, local={"crc": 0, "csize": 0, "usize": 0})
    refused(tmp_path, build(entries), UnsafeInput,
            'evil.baton: member "card.md" has its sizes after its data (a data descriptor); '
            "Baton refuses those, since readers can disagree on where such a member ends")  # fmt: skip


@pytest.mark.parametrize("flag", [0x10, 0x20, 0x2000])
def test_unknown_zip_features_are_refused(tmp_path, flag):
    entries = small()
    entries[1] = entries[1].with_(flags=flag)
    refused(tmp_path, build(entries), UnsafeInput,
            f'evil.baton: member "contract.json" uses ZIP features Baton does not read '
            f"(general-purpose flags 0x{flag:04x})")  # fmt: skip


@pytest.mark.parametrize("where", ["central", "local"])
def test_a_member_needing_a_later_zip_version_is_refused(tmp_path, where):
    # zipfile refuses "version needed" past 6.3; a reader that ignores it does not
    entries = small()
    entries[1] = entries[1].with_(**{where: {"version": 64}})
    suffix = " (in its local header)" if where == "local" else ""
    refused(tmp_path, build(entries), UnsafeInput,
            'evil.baton: member "contract.json" needs ZIP version 6.4 to be read; Baton reads '
            f"ZIP 4.5 (stored, deflated and ZIP64 members){suffix}")  # fmt: skip


def test_a_member_comment_is_refused(tmp_path):
    entries = small()
    entries[2] = entries[2].with_(central={"comment": b"weights v2"})
    refused(tmp_path, build(entries), UnsafeInput,
            'evil.baton: member "model/model.onnx" has a comment; Baton bundles carry none')  # fmt: skip


def test_a_member_on_another_disk_is_refused(tmp_path):
    entries = small()
    entries[2] = entries[2].with_(central={"disk": 1})
    refused(tmp_path, build(entries), UnsafeInput,
            'evil.baton: member "model/model.onnx" is on disk 2 of a split ZIP; Baton reads '
            "single-file ZIPs only")  # fmt: skip


# --- the central directory and the end record ----------------------------------------------


@pytest.mark.parametrize("count", [2, 4])
def test_an_end_record_that_miscounts_the_members_is_refused(tmp_path, count):
    refused(tmp_path, build(small(), end={"entries": count}), VerificationError,
            f"evil.baton: its central directory does not hold exactly the {count} members its "
            "end record counts; the ZIP is malformed")  # fmt: skip


# --- ZIP64 ---------------------------------------------------------------------------------


def zip64_small() -> list[Entry]:
    """small(), with every size given in ZIP64 extra fields, local and central."""
    out = []
    for e in small():
        f = e.fields()
        sizes = {"usize": MAX32, "csize": MAX32, "version": 45,
                 "extra": zip64_extra(f["usize"], f["csize"])}  # fmt: skip
        out.append(e.with_(version=45, local=dict(sizes), central=dict(sizes)))
    return out


def test_consistent_zip64_records_read_the_same_three_ways(tmp_path):
    data = build(zip64_small(), zip64={}, end={"offset": MAX32})
    path = tmp_path / "ok.baton"
    path.write_bytes(data)
    members = safe_extract(path, tmp_path / "staging")
    baton = [(m.name, (tmp_path / "staging" / m.name).read_bytes()) for m in members]
    assert baton == zipfile_members(data) == stream_members(data) == contents(small())


def test_zip64_end_record_that_disagrees_with_the_end_record(tmp_path):
    data = build(small(), zip64={"entries": 4})
    refused(tmp_path, data, VerificationError,
            "evil.baton: its ZIP64 end record and its end record disagree on the number of "
            "members (4 and 3); the ZIP is malformed")  # fmt: skip


def test_end_record_calling_for_zip64_records_that_are_missing(tmp_path):
    refused(tmp_path, build(small(), end={"offset": MAX32}), VerificationError,
            "evil.baton: its end record calls for a ZIP64 end record that is not there; "
            "the ZIP is truncated or damaged")  # fmt: skip


@pytest.mark.parametrize("change", [{"record_size": 52}, {"disk": 1}, {"at": 3}])
def test_damaged_zip64_end_record(tmp_path, change):
    refused(tmp_path, build(small(), zip64=change), VerificationError,
            "evil.baton: has a damaged ZIP64 end record; the ZIP is malformed")  # fmt: skip


def test_zip64_extra_field_where_none_is_needed(tmp_path):
    entries = small()
    f = entries[0].fields()
    entries[0] = entries[0].with_(central={"extra": zip64_extra(f["usize"])})
    refused(tmp_path, build(entries), VerificationError,
            'evil.baton: member "card.md" has a ZIP64 extra field in its central record that '
            "none of its fields calls for")  # fmt: skip


def test_zip64_marker_without_zip64_extra_field(tmp_path):
    entries = small()
    entries[0] = entries[0].with_(central={"usize": MAX32})
    refused(tmp_path, build(entries), VerificationError,
            'evil.baton: member "card.md" marks a field as ZIP64 but has no ZIP64 extra field '
            "in its central record")  # fmt: skip


def test_zip64_extra_field_of_the_wrong_length(tmp_path):
    entries = small()
    f = entries[0].fields()
    entries[0] = entries[0].with_(central={"usize": MAX32,
                                           "extra": zip64_extra(f["usize"], f["csize"])})  # fmt: skip
    refused(tmp_path, build(entries), VerificationError,
            'evil.baton: member "card.md" has a ZIP64 extra field in its central record of 16 '
            "bytes, where its fields call for 8")  # fmt: skip


def test_local_zip64_sizes_that_disagree(tmp_path):
    entries = zip64_small()
    f = small()[0].fields()
    entries[0].local["extra"] = zip64_extra(f["usize"] + 1, f["csize"])
    refused(tmp_path, build(entries, zip64={}, end={"offset": MAX32}), VerificationError,
            'evil.baton: member "card.md" has a local header that disagrees with the central '
            f"directory on its size ({f['usize'] + 1} in the local header, {f['usize']} in the "
            "central directory)")  # fmt: skip


def test_local_zip64_extra_field_without_the_marker(tmp_path):
    entries = small()
    f = entries[0].fields()
    entries[0] = entries[0].with_(local={"extra": zip64_extra(f["usize"], f["csize"])})
    refused(tmp_path, build(entries), VerificationError,
            'evil.baton: member "card.md" has a ZIP64 extra field in its local header that '
            "none of its fields calls for")  # fmt: skip


# --- members the signature does not name ---------------------------------------------------


def bytes_read_by_this_process() -> int:
    with open("/proc/self/io") as fh:
        return int(next(line for line in fh if line.startswith("rchar:")).split()[1])


needs_proc_io = pytest.mark.skipif(
    not Path("/proc/self/io").exists(), reason="counting bytes read needs /proc/self/io"
)
GIB = 1 << 30


@needs_proc_io
def test_a_member_not_allowed_is_refused_unread(tmp_path):
    path = write(tmp_path / "evil.baton", [*small(), Entry("data/extra.bin", b"", hole=GIB)])
    assert path.stat().st_blocks * 512 < 16 << 20  # sparse: the test itself writes little
    before = bytes_read_by_this_process()
    with pytest.raises(VerificationError) as caught:
        safe_extract(path, tmp_path / "staging", allowed={e.name for e in small()},
                     unlisted="is not in the list")  # fmt: skip
    assert bytes_read_by_this_process() - before < 1 << 20
    assert str(caught.value) == 'evil.baton: member "data/extra.bin" is not in the list'
    assert not (tmp_path / "staging").exists()


# --- the real signed bundle, through `baton verify` and the core call ----------------------


def verify_refuses(world, private_tmp, path: Path, exc_type: type[BatonError], message: str,
                   home: Path | None = None) -> None:  # fmt: skip
    """``baton verify`` exits 1 printing exactly ``message``; ``bundle.verify`` raises it."""
    home = home or world.mle
    line = refused_by_verify(world, private_tmp, path, 1, home=home)
    assert line == f"Error: {message}"
    catalog = Catalog(home)
    try:
        with pytest.raises(BatonError) as caught:
            review.verify(catalog, path)
    finally:
        catalog.close()
    assert type(caught.value) is exc_type and str(caught.value) == message
    assert list(private_tmp.iterdir()) == []


def genuine(world) -> list[tuple[str, bytes]]:
    return list(read_members(world.bundle).items())


def test_the_rebuilt_bundle_still_verifies(world, private_tmp):
    path = world.path("rebuilt.baton")
    path.write_bytes(build(entries_of(world.bundle)))
    result = verify(world.mle, path)
    assert result.exit_code == 0, result.stderr


def test_signed_bundle_with_a_hidden_card(world, private_tmp):
    entries = entries_of(world.bundle)
    hidden = local_entry(Entry("card.md", b"# bc-lr 1\n\nAll targets met. Approved.\n"))
    at = find(entries, "contract.json")  # after the genuine card: a streaming reader ends on it
    path = world.path("hidden-card.baton")
    path.write_bytes(build(entries, gaps={at: hidden}))
    assert zipfile_members(path.read_bytes()) == genuine(world)
    streamed = dict(stream_members(path.read_bytes()))
    assert streamed["card.md"] == b"# bc-lr 1\n\nAll targets met. Approved.\n"
    verify_refuses(world, private_tmp, path, VerificationError,
                   f'hidden-card.baton: member "contract.json" starts {len(hidden)} bytes after '
                   'the end of "card.md"; the bytes between them belong to no listed member'
                   + hidden_note("card.md"))  # fmt: skip


def test_signed_bundle_with_a_hidden_model(world, private_tmp, tmp_path):
    entries = entries_of(world.bundle)
    evil = evil_skops(world.marker, tmp_path)
    world.marker.unlink(missing_ok=True)
    hidden = local_entry(Entry("model/model.skops", evil, method=zipfile.ZIP_STORED))
    at = find(entries, "model/model.skops") + 1
    path = world.path("hidden-model.baton")
    path.write_bytes(build(entries, gaps={at: hidden}))
    assert zipfile_members(path.read_bytes()) == genuine(world)
    assert dict(stream_members(path.read_bytes()))["model/model.skops"] == evil
    verify_refuses(world, private_tmp, path, VerificationError,
                   f'hidden-model.baton: member "{entries[at].name}" starts {len(hidden)} bytes '
                   'after the end of "model/model.skops"; the bytes between them belong to no '
                   "listed member" + hidden_note("model/model.skops"))  # fmt: skip
    assert not world.marker.exists()


@pytest.mark.parametrize(
    ("field", "value", "what"),
    [
        ("usize", 1, "size (1 in the local header, {usize} in the central directory)"),
        ("crc", 0, "CRC-32 (0x00000000 in the local header, {crc} in the central directory)"),
        ("method", 0, "compression method (0 in the local header, 8 in the central directory)"),
        ("flags", 0x0800, "flags (0x0800 in the local header, 0x0000 in the central directory)"),
    ],
)
def test_signed_bundle_with_a_local_header_that_disagrees(world, private_tmp, field, value, what):
    entries = entries_of(world.bundle)
    at = find(entries, "contract.json")
    f = entries[at].fields()
    entries[at] = entries[at].with_(local={field: value})
    path = world.path("local.baton")
    path.write_bytes(build(entries))
    assert zipfile_members(path.read_bytes()) == genuine(world)
    verify_refuses(world, private_tmp, path, VerificationError,
                   'local.baton: member "contract.json" has a local header that disagrees with '
                   "the central directory on its "
                   + what.format(usize=f["usize"], crc=f"0x{f['crc']:08x}"))  # fmt: skip


def test_signed_bundle_with_a_local_header_naming_another_file(world, private_tmp):
    entries = entries_of(world.bundle)
    at = find(entries, "card.md")
    entries[at] = entries[at].with_(local={"name": b"run.sh\x00\x00"})
    path = world.path("renamed.baton")
    path.write_bytes(build(entries))
    verify_refuses(world, private_tmp, path, VerificationError,
                   'renamed.baton: member "card.md" has a different name in its local header; '
                   "the ZIP was tampered with")  # fmt: skip


@pytest.mark.parametrize("offsets", ["as they were", "adjusted"])
def test_signed_bundle_with_a_script_prepended(world, private_tmp, offsets):
    path = world.path("script.baton")
    if offsets == "as they were":
        path.write_bytes(SCRIPT + world.bundle.read_bytes())
    else:
        path.write_bytes(build(entries_of(world.bundle), prefix=SCRIPT))
    assert zipfile_members(path.read_bytes()) == genuine(world)
    verify_refuses(world, private_tmp, path, UnsafeInput,
                   f"script.baton: has {len(SCRIPT)} bytes before its first member (something "
                   "was prepended to the ZIP, such as a script)")  # fmt: skip


def test_signed_bundle_with_data_appended(world, private_tmp):
    path = world.path("appended.baton")
    tail = b"\n# appended after signing\n" * 20
    path.write_bytes(world.bundle.read_bytes() + tail)
    assert zipfile_members(path.read_bytes()) == genuine(world)
    verify_refuses(world, private_tmp, path, UnsafeInput,
                   f"appended.baton: has {len(tail)} bytes after the end of the ZIP (data "
                   "appended to it)")  # fmt: skip


def test_signed_bundle_with_an_archive_comment(world, private_tmp):
    path = world.path("comment.baton")
    path.write_bytes(build(entries_of(world.bundle), comment=b"Reviewed: all targets met."))
    assert zipfile_members(path.read_bytes()) == genuine(world)
    verify_refuses(world, private_tmp, path, UnsafeInput,
                   "comment.baton: has an archive comment (26 bytes); Baton bundles carry none")  # fmt: skip


@needs_proc_io
def test_signed_bundle_with_an_unsigned_1_gib_member(world, private_tmp):
    """A stored 1 GiB member, correct in every header, that model.sig does not name: it
    is refused by name, before a byte of it is read (the file is sparse)."""
    path = write(world.path("big.baton"),
                 [*entries_of(world.bundle), Entry("data/train.bin", b"", hole=GIB)])  # fmt: skip
    assert path.stat().st_size > GIB and path.stat().st_blocks * 512 < 16 << 20
    message = ('big.baton: member "data/train.bin" was added after signing: model.sig does not '
               "name it, so it was refused unread")  # fmt: skip
    before = bytes_read_by_this_process()
    verify_refuses(world, private_tmp, path, VerificationError, message)
    assert bytes_read_by_this_process() - before < 64 << 20  # twice through, imports included
    before = bytes_read_by_this_process()
    verify_refuses(world, private_tmp, path, VerificationError, message, home=world.stranger)
    assert bytes_read_by_this_process() - before < 64 << 20


# --- what is read before the signer is trusted ---------------------------------------------


def _as_mallory(contract: dict, world) -> None:
    contract["identity"]["authors"] = [{
        "name": "Mallory", "email": "mallory@example.org", "fingerprint": world.base.mallory_fp,
        "public_key": public_pem(world.mallory_key)}]  # fmt: skip


@pytest.fixture
def mallorys(world) -> Path:
    """Dana's bundle re-signed by Mallory, whose key nobody trusts; the contract names it."""
    return rewrite(world.bundle, world.path("mallory.baton"),
                   edit_contract(lambda c: _as_mallory(c, world)), resign=world.mallory_key)  # fmt: skip


@pytest.mark.parametrize("contract", [b"[" * 100_000, b'{"identity": {"authors": []}}\n'])
def test_unknown_signer_contract_changed_after_signing_is_tampering(world, private_tmp,
                                                                    mallorys, contract):  # fmt: skip
    """The contract is looked at for a key only once its digest matched: a contract
    changed after signing, however hostile, is reported as the change it is."""
    bad = rewrite(mallorys, world.path("changed.baton"),
                  lambda m: m.update({"contract.json": contract}))  # fmt: skip
    verify_refuses(world, private_tmp, bad, VerificationError,
                   "contract.json was changed after signing")  # fmt: skip


def _sneak(text: str) -> str:
    return '{"identity": {"authors": []}, ' + text[1:]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_sneak, "repeats the JSON key 'identity'"),
        (lambda t: '{"nan": NaN, ' + t[1:], "contains NaN, which JSON does not allow"),
        (
            lambda t: '{"deep": ' + "[" * 100_000 + "]" * 100_000 + ", " + t[1:],
            "is nested too deeply (more than 64 levels)",
        ),
    ],
    ids=["duplicate-key", "nan", "deep"],
)
def test_unknown_signer_key_is_read_by_the_strict_parser(world, private_tmp, change, reason):
    """A lax parser would find Mallory's key in these signed contracts (the last
    ``identity`` wins, NaN passes) and call the bundle intact; the strict one refuses."""

    def hostile(members):
        contract = contract_of(members)
        _as_mallory(contract, world)
        members["contract.json"] = change(json.dumps(contract, indent=2, sort_keys=True)).encode()

    bad = rewrite(world.bundle, world.path("strict.baton"), hostile, resign=world.mallory_key)
    verify_refuses(world, private_tmp, bad, VerificationError,
                   f"strict.baton/contract.json {reason}")  # fmt: skip


def test_unknown_signer_document_is_parsed_only_after_every_digest_matched(world, private_tmp,
                                                                           mallorys):  # fmt: skip
    events: list[str] = []
    real_compare, real_parse = oms.compare_manifest, jsonsafe.loads

    def compare(*args, **kwargs):
        events.append("digests compared")
        return real_compare(*args, **kwargs)

    def parse(data, *, source, **options):
        events.append(f"parsed {source}")
        return real_parse(data, source=source, **options)

    catalog = Catalog(world.mle)
    try:
        with mock.patch.object(oms, "compare_manifest", compare), \
                mock.patch.object(jsonsafe, "loads", parse):  # fmt: skip
            summary = signed_zip.open_signed_zip(catalog, mallorys, sig_name="model.sig",
                                                 document="contract.json")  # fmt: skip
        summary.close()
    finally:
        catalog.close()
    assert summary.trusted is False and summary.signer_fingerprint == world.base.mallory_fp
    assert "parsed mallory.baton/contract.json" in events
    assert events.index("digests compared") < events.index("parsed mallory.baton/contract.json")


def test_trusted_signer_signature_is_checked_before_anything_is_extracted(world, private_tmp):
    signed = rewrite(world.bundle, world.path("forged-src.baton"), resign=world.mallory_key)

    def forge(members):
        sig = json.loads(members["model.sig"])
        sig["verificationMaterial"]["publicKey"]["hint"] = world.base.dana_fp
        members["model.sig"] = json.dumps(sig, indent=2).encode()

    bad = rewrite(signed, world.path("forged.baton"), forge)
    catalog = Catalog(world.mle)
    try:
        with staging_watch() as staged, pytest.raises(VerificationError, match="does not match"):
            review.verify(catalog, bad)
    finally:
        catalog.close()
    assert staged == []  # refused on model.sig alone: nothing else was inflated


# --- property: whatever is accepted has one reading ----------------------------------------


def _structure(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every header of a ZIP we wrote: where damage is interesting."""
    import io

    regions = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist():
            at = info.header_offset
            lengths = int.from_bytes(data[at + 26 : at + 28], "little") + int.from_bytes(
                data[at + 28 : at + 30], "little"
            )
            regions.append((at, at + LOCAL.size + lengths))
        regions.append((zf.start_dir, len(data)))  # the central directory and end records
    return regions


def _mutate(data: bytes, draw) -> bytes:
    regions = _structure(data)
    start, end = draw(st.sampled_from(regions), label="region")
    at = draw(st.integers(start, end - 1), label="offset")
    kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "append"]),
                label="kind")  # fmt: skip
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    if kind == "set":
        value = draw(st.sampled_from([0, 1, 0xFF, 0xFFFF, MAX32, 0x8000_0000, len(data)]))
        width = draw(st.sampled_from([2, 4]))
        raw = (value & ((1 << 8 * width) - 1)).to_bytes(width, "little")
        return data[:at] + raw + data[at + width :]
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    if kind == "delete":
        return data[:at] + data[at + draw(st.integers(1, 64)) :]
    if kind == "truncate":
        return data[:at]
    return data + draw(st.binary(min_size=1, max_size=64))


def _files(members: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    return [(n, b) for n, b in members if not (n.endswith("/") and not b)]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(data=st.data())
def test_whatever_baton_accepts_reads_the_same_with_zipfile_and_a_streaming_reader(handover, data):
    original = handover.bundle.read_bytes()
    damaged = _mutate(original, data.draw)
    work = Path(tempfile.mkdtemp(prefix="zip-prop-"))
    try:
        path = work / "damaged.baton"
        path.write_bytes(damaged)
        try:
            members = safe_extract(path, work / "staging", workers=1)
        except BatonError as exc:
            message = str(exc)
            assert message.startswith("damaged.baton: ") and "\n" not in message, message
            return
        accepted = [(m.name, (work / "staging" / m.name).read_bytes()) for m in members]
        try:
            streamed = stream_members(damaged)
        except StreamError as exc:
            raise AssertionError(f"accepted, but a streaming reader fails: {exc}") from None
        assert accepted == _files(zipfile_members(damaged)) == _files(streamed)
    finally:
        shutil.rmtree(work)


def test_damage_that_changes_no_content_is_accepted(handover):
    """The mutations above do reach bytes that change nothing (so the property is not
    vacuous): e.g. a file mode bit in the central directory."""
    data = bytearray(handover.bundle.read_bytes())
    directory = data.index(b"PK\x01\x02")
    data[directory + 38] ^= 0x04  # external attributes, low byte: MS-DOS "system" bit
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "b.baton"
        path.write_bytes(bytes(data))
        members = safe_extract(path, Path(work) / "staging")
    assert [m.name for m in members] == [n for n, _ in stream_members(bytes(data))]
    assert [m.name for m in members] == [n for n, _ in zipfile_members(bytes(data))]


def test_telling_a_receipt_from_a_bundle_reads_the_zip_as_verifying_does(tmp_path):
    """Python's zipfile reads a ZIP behind a prefix; Baton's reader refuses it. Deciding
    "receipt" with the first and verifying with the second would read one file two ways."""
    import io
    import zipfile

    from baton.core.handover.review import is_receipt

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("review.json", "{}")
        zf.writestr("model.sig", "{}")
    plain = tmp_path / "answer.baton"
    plain.write_bytes(buffer.getvalue())
    prefixed = tmp_path / "prefixed.baton"
    prefixed.write_bytes(b"MZ" + b"\0" * 62 + buffer.getvalue())
    assert zipfile.ZipFile(prefixed).namelist() == ["review.json", "model.sig"]
    assert is_receipt(plain) is True
    assert is_receipt(prefixed) is False
