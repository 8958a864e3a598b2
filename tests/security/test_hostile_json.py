"""Hostile JSON and damaged files: every JSON document Baton reads ends in one clear line.

``contract.json`` and ``review.json`` arrive inside signed files from other people;
``keys/identity.json`` and the catalog's JSON columns are Baton's own files, but a disk,
a sync tool or a careless edit can damage them. Each attack here (a 100 000-deep nesting,
a string where an object belongs, UTF-16 text, a damaged identity file, a flipped bit in
the catalog) must end in one line that names the file or the catalog row and says what to
do, with the documented exit code, and never a traceback: through the command line (the
click runner, which re-raises any unexpected exception, and a real process whose stderr
is read) and through the core call.
"""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from baton.core import jsonsafe
from baton.core.catalog.store import Catalog
from baton.core.contract import document as contracts
from baton.core.errors import CatalogError, ContractError, KeyError_, VerificationError
from baton.core.handover import review, trust

pytest.register_assert_rewrite("tests.handover")  # before the import below

from tests.handover import (  # noqa: E402
    BUNDLE,
    NAME,
    PASSPHRASE,
    Snapshot,
    error_line,
    ok,
    rewrite,
    run,
)

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world, private_tmp

DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a": ' * 100_000 + b"1" + b"}" * 100_000


def utf16(text: bytes) -> bytes:
    return text.decode("utf-8").encode("utf-16")  # with its byte-order mark


def utf16_no_bom(text: bytes) -> bytes:
    return text.decode("utf-8").encode("utf-16-le")


# Each damage: (id, bytes from the genuine document -> hostile bytes, what the line says).
DAMAGE = [
    ("deep-array", lambda d: DEEP_ARRAY, "is nested too deeply (more than 64 levels)"),
    ("deep-object", lambda d: DEEP_OBJECT, "is nested too deeply (more than 64 levels)"),
    ("string", lambda d: b'"a handover"', "is not a JSON object but a string"),
    ("array", lambda d: b"[" + d + b"]", "is not a JSON object but an array"),
    ("utf-16", utf16, "is not UTF-8 text (it is UTF-16); save it as UTF-8"),
    ("utf-16-no-bom", utf16_no_bom, "is not UTF-8 text (it is UTF-16); save it as UTF-8"),
    ("truncated", lambda d: d[: len(d) // 2], "is not valid JSON (truncated?): "),
]


def one_line(result, code: int) -> str:
    """The failed command's single stderr line (exit ``code``, nothing on stdout)."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    return error_line(result)


def baton_process(home: Path, *args: str) -> subprocess.CompletedProcess:
    """A real ``baton`` process, so what the user sees on stderr is what we read."""
    env = {**os.environ, "BATON_PASSPHRASE": PASSPHRASE}
    return subprocess.run(
        [sys.executable, "-m", "baton.core.cli.main", "--home", str(home), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def assert_one_clean_line(proc: subprocess.CompletedProcess, code: int, *needles: str) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.rstrip().splitlines()  # progress lines ("  [ 50%] ...") may come first
    errors = [line for line in lines if not line.startswith("  ")]
    assert errors == [lines[-1]] and lines[-1].startswith("Error: "), proc.stderr
    for needle in needles:
        assert needle in lines[-1], lines[-1]
    return lines[-1]


# --- the reader itself --------------------------------------------------------------------


def test_deep_nesting_never_reaches_the_recursive_decoder():
    """The depth is measured without recursion, before ``json`` would recurse at all."""
    with mock.patch.object(json.JSONDecoder, "raw_decode", side_effect=AssertionError):
        for deep in (DEEP_ARRAY, DEEP_OBJECT, b'["' + b"[" * 100 + b'"]' + b"[" * 65):
            with pytest.raises(VerificationError, match="nested too deeply"):
                jsonsafe.loads(deep, source="x.json", expect=None)


def test_brackets_inside_strings_do_not_count_as_depth():
    text = json.dumps({"note": "[" * 10_000 + "{" * 10_000, "q": 'a "quoted" [ \\" ['})
    assert jsonsafe.loads(text.encode(), source="x.json")["q"] == 'a "quoted" [ \\" ['
    nested = b"[" * 64 + b"]" * 64
    assert jsonsafe.loads(nested, source="x.json", expect=list)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "x.json is empty"),
        (b"\xef\xbb\xbf{}", "x.json starts with a byte-order mark; save it as UTF-8 without BOM"),
        (b"\xff\xfe\x00\x00{\x00\x00\x00}\x00\x00\x00",
         "x.json is not UTF-8 text (it is UTF-32); save it as UTF-8"),
        (b'{"a": 1, "a": 2}', "x.json repeats the JSON key 'a'"),
        (b'{"a": NaN}', "x.json contains NaN, which JSON does not allow"),
        (b'{"a": -Infinity}', "x.json contains -Infinity, which JSON does not allow"),
        (b'{"a": 1e999}', "x.json contains the number 1e999, which is out of range"),
        (b'{"a": ' + b"9" * 5000 + b"}", "x.json contains a number with too many digits"),
        (b'{"a": "\xff"}', "x.json is not UTF-8 text (bad byte at offset 7)"),
        (b"{} {}", "x.json is not valid JSON: Extra data at line 1, column 4"),
        (b" " * 6001, "x.json is too large (6,001 bytes; at most 6,000)"),
    ],
    ids=["empty", "utf8-bom", "utf-32", "duplicate-key", "nan", "infinity", "overflow",
         "huge-int", "bad-byte", "extra-data", "too-large"],
)  # fmt: skip
def test_the_reader_refuses_with_one_named_reason(data, message):
    with pytest.raises(ContractError) as info:
        jsonsafe.loads(data, source="x.json", error=ContractError, max_bytes=6000)
    assert str(info.value) == message
    assert info.value.path == "x.json"


def test_the_reader_adds_what_to_do():
    with pytest.raises(KeyError_) as info:
        jsonsafe.loads(b"[]", source="me.json", error=KeyError_, hint="restore it")
    assert str(info.value) == "me.json is not a JSON object but an array; restore it"


def test_one_parser_for_every_document():
    """``model.sig``, contracts and receipts go through the same reader."""
    from baton.core.handover import oms

    for call in (
        lambda: oms.parse_signature(DEEP_ARRAY),
        lambda: contracts.parse_contract(DEEP_ARRAY),
    ):
        with (
            mock.patch.object(jsonsafe, "loads", side_effect=RuntimeError("used")),
            pytest.raises(RuntimeError, match="used"),
        ):
            call()


# --- contract.json and review.json under a valid, trusted signature -----------------------


@pytest.mark.parametrize(("mangle", "reason"), [d[1:] for d in DAMAGE], ids=[d[0] for d in DAMAGE])
def test_hostile_contract_in_a_signed_bundle(world, private_tmp, mangle, reason):
    def swap(members):
        members["contract.json"] = mangle(members["contract.json"])

    bad = rewrite(world.bundle, world.path("hostile.baton"), swap, resign=world.dana_key)
    snap = Snapshot([world.mle, world.ds], [world.root], private_tmp)
    line = one_line(run(world.mle, "verify", bad, "--json"), 1)
    assert line.startswith(f"Error: hostile.baton/contract.json {reason}"), line
    snap.unchanged()
    with (
        Catalog(world.mle) as catalog,
        pytest.raises(VerificationError, match=re.escape(reason[:20])),
    ):
        review.verify(catalog, bad)


@pytest.fixture
def receipt(world) -> Path:
    out = world.path(f"{BUNDLE[:-6]}.review.baton")
    ok(run(world.mle, "review", world.bundle, "--decision", "accept", "--comment", "fine",
           "--out", out))  # fmt: skip
    return out


def test_a_resigned_receipt_is_accepted(world, receipt):
    """The control for the cases below: re-signing alone changes nothing."""
    same = rewrite(receipt, world.path("same.review.baton"), resign=world.eli_key,
                   sig="review.sig")  # fmt: skip
    ok(run(world.ds, "verify", same, "--json"))


@pytest.mark.parametrize(("mangle", "reason"), [d[1:] for d in DAMAGE], ids=[d[0] for d in DAMAGE])
def test_hostile_review_in_a_signed_receipt(world, private_tmp, receipt, mangle, reason):
    def swap(members):
        members["review.json"] = mangle(members["review.json"])

    bad = rewrite(receipt, world.path("hostile.review.baton"), swap, resign=world.eli_key,
                  sig="review.sig")  # fmt: skip
    snap = Snapshot([world.mle, world.ds], [world.root], private_tmp)
    line = one_line(run(world.ds, "verify", bad, "--json"), 1)
    assert line.startswith(f"Error: hostile.review.baton/review.json {reason}"), line
    snap.unchanged()
    with (
        Catalog(world.ds) as catalog,
        pytest.raises(VerificationError, match=re.escape(reason[:20])),
    ):
        review.verify_receipt(catalog, bad)


def test_deep_contract_in_a_real_process(world):
    def swap(members):
        members["contract.json"] = DEEP_OBJECT

    bad = rewrite(world.bundle, world.path("deep.baton"), swap, resign=world.dana_key)
    assert_one_clean_line(baton_process(world.mle, "verify", bad), 1,
                          "deep.baton/contract.json is nested too deeply")  # fmt: skip


def test_utf16_review_in_a_real_process(world, receipt):
    def swap(members):
        members["review.json"] = utf16(members["review.json"])

    bad = rewrite(receipt, world.path("wide.review.baton"), swap, resign=world.eli_key,
                  sig="review.sig")  # fmt: skip
    assert_one_clean_line(baton_process(world.ds, "verify", bad), 1,
                          "wide.review.baton/review.json is not UTF-8 text (it is UTF-16)")  # fmt: skip


# --- keys/identity.json -----------------------------------------------------------------------

IDENTITY_DAMAGE = [
    # identity.json is capped at 64 KiB: its deep nestings must fit under the cap
    ("deep-array", lambda d: b"[" * 20_000 + b"]" * 20_000,
     "is nested too deeply (more than 64 levels)"),
    ("deep-object", lambda d: b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
     "is nested too deeply (more than 64 levels)"),
    *(d for d in DAMAGE if not d[0].startswith("deep")),
    ("too-large", lambda d: b" " * 70_000 + d, "is too large (70,"),
    ("empty", lambda d: b"", "is empty"),
    ("no-fingerprint", lambda d: json.dumps({**json.loads(d), "fingerprint": None}).encode(),
     "has no valid fingerprint"),
    ("short-fingerprint", lambda d: json.dumps({**json.loads(d), "fingerprint": "abc"}).encode(),
     "has no valid fingerprint"),
    ("name-is-a-list", lambda d: json.dumps({**json.loads(d), "name": ["Dana"]}).encode(),
     "has no valid name"),
]  # fmt: skip


def identity_hint(home: Path) -> str:
    return (
        f"restore it from your backup, or move {home / 'keys'} aside and run "
        "`baton keys create` to make a new key"
    )


@pytest.mark.parametrize(
    ("mangle", "reason"), [d[1:] for d in IDENTITY_DAMAGE], ids=[d[0] for d in IDENTITY_DAMAGE]
)
@pytest.mark.parametrize(
    "command",
    [("keys", "list", "--json"), ("keys", "export", "--out", "{tmp}/me.pub"),
     ("pack", "{model}", "--test", "{test}", "--target", "target", "--name", NAME,
      "--version", "7", "--intended-use", "x", "--out", "{tmp}/x-7.baton")],
    ids=["keys-list", "keys-export", "pack"],
)  # fmt: skip
def test_damaged_identity_file(world, files, tmp_path, command, mangle, reason):
    path = world.ds / "keys" / "identity.json"
    path.write_bytes(mangle(path.read_bytes()))
    values = {"tmp": tmp_path, "model": files.lr_skops, "test": files.bc_test_csv}
    line = one_line(run(world.ds, *(a.format(**values) for a in command)), 1)
    assert line.startswith(f"Error: the identity file {path} {reason}"), line
    assert line.endswith(identity_hint(world.ds)), line
    assert not (tmp_path / "x-7.baton").exists() and not (tmp_path / "me.pub").exists()


def test_damaged_identity_in_core_and_a_real_process(world):
    path = world.ds / "keys" / "identity.json"
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(KeyError_, match="is not valid JSON"):
        trust.identity(world.ds)
    assert_one_clean_line(baton_process(world.ds, "keys", "list"), 1, str(path),
                          identity_hint(world.ds))  # fmt: skip


# --- the catalog's JSON columns ---------------------------------------------------------------

CATALOG_HINT = (
    "the catalog is damaged: restore catalog.db from a backup, or move it aside and run "
    "`baton init` to start a new one"
)


def set_column(home: Path, table: str, column: str, value, where: str = "1 = 1") -> str:
    """Write ``value`` straight into the database, as damage would; returns the row id."""
    conn = sqlite3.connect(home / "catalog.db")
    try:
        with conn:
            conn.execute(f"update {table} set [{column}] = ? where {where}", [value])  # noqa: S608
        return conn.execute(f"select id from {table} where {where}").fetchone()[0]  # noqa: S608
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("table", "column", "value", "command", "reason"),
    [
        ("datasets", "columns", '"radius"', ("dataset", "show", "bc-lr-test"),
         "columns is not a JSON array but a string"),
        ("datasets", "profile", DEEP_ARRAY.decode(), ("dataset", "show", "bc-lr-test"),
         "profile is nested too deeply (more than 64 levels)"),
        ("datasets", "tags", "[1, 2", ("dataset", "list"), "tags is not valid JSON (truncated?)"),
        ("models", "features", "{}", ("model", "show", "bc-lr"),
         "features is not a JSON array but an object"),
        ("models", "info", b"\xff\xfe{\x00}\x00", ("model", "show", "bc-lr"),
         "info holds bytes where JSON text belongs"),
        ("models", "params", "many", ("model", "list"), "params holds text where a number belongs"),
        ("models", "safety", '{"allowed": NaN}', ("model", "show", "bc-lr"),
         "safety contains NaN, which JSON does not allow"),
    ],
    ids=["string-for-list", "deep", "truncated", "object-for-list", "bytes", "text-for-int",
         "nan"],
)  # fmt: skip
def test_damaged_catalog_column(world, table, column, value, command, reason):
    name = "bc-lr-test" if table == "datasets" else "bc-lr"
    row_id = set_column(world.ds, table, column, value, f"name = '{name}'")
    line = one_line(run(world.ds, *command, "--json"), 1)
    assert line.startswith(f"Error: the catalog's {table} row {name!r} (id {row_id}): {reason}"), (
        line
    )
    assert line.endswith(CATALOG_HINT), line
    with Catalog(world.ds) as catalog, pytest.raises(CatalogError, match=re.escape(reason[:20])):
        (catalog.get_dataset if table == "datasets" else catalog.get_model)(name)


def flip_bit(path: Path, offset: int, bit: int = 0) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)[0]
        fh.seek(offset)
        fh.write(bytes([byte ^ (1 << bit)]))


def checkpoint(home: Path) -> Path:
    """Fold the WAL into catalog.db, so that the file on disk holds every row."""
    db = home / "catalog.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db


def test_flipped_bit_in_a_json_column(world):
    db = checkpoint(world.ds)
    conn = sqlite3.connect(db)
    value, row_id = conn.execute("select columns, id from datasets").fetchone()
    conn.close()
    data, stored = db.read_bytes(), value.encode()
    at = data.find(stored)
    assert at > 0
    while at >= 0:  # the live row, and any stale copy SQLite left in a free page
        flip_bit(db, at)  # "[" becomes "Z"
        at = data.find(stored, at + 1)
    line = one_line(run(world.ds, "dataset", "show", "bc-lr-test", "--json"), 1)
    assert line.startswith(
        f"Error: the catalog's datasets row 'bc-lr-test' (id {row_id}): columns is not valid JSON"
    ), line
    assert line.endswith(CATALOG_HINT), line
    assert_one_clean_line(baton_process(world.ds, "dataset", "show", "bc-lr-test"), 1,
                          "the catalog's datasets row 'bc-lr-test'", CATALOG_HINT)  # fmt: skip


def test_flipped_bit_in_a_table_page(world):
    db = checkpoint(world.ds)
    conn = sqlite3.connect(db)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("select rootpage from sqlite_master where name = 'datasets'").fetchone()[0]
    conn.close()
    flip_bit(db, (root - 1) * page_size, bit=3)  # the b-tree page type: no longer a table page
    line = one_line(run(world.ds, "dataset", "list", "--json"), 1)
    assert line.startswith(f"Error: the catalog {db} is damaged"), line
    assert "restore it from a backup, or move it aside and run `baton init`" in line, line


def test_flipped_bit_in_the_file_header(world):
    db = checkpoint(world.ds)
    flip_bit(db, 0)
    assert_one_clean_line(baton_process(world.ds, "model", "list"), 1, f"the catalog {db}",
                          "move it aside and run `baton init`")  # fmt: skip


COMMANDS = [
    ("dataset", "list", "--json"),
    ("dataset", "show", "bc-lr-test", "--json"),
    ("model", "list", "--json"),
    ("model", "show", "bc-lr", "--json"),
    ("search", "cancer", "--json"),
    ("keys", "list", "--json"),
]


def test_random_bit_flips_never_end_in_a_traceback(world, tmp_path):
    """Wherever a bit flips in a page of rows, each command works or says one line."""
    db = checkpoint(world.ds)
    pristine = db.read_bytes()
    conn = sqlite3.connect(db)
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    try:  # the pages that hold rows of the tables commands read (dbstat may be missing)
        pages = [p for (p,) in conn.execute(
            "select pageno from dbstat where name in ('datasets', 'models', 'trusted_keys')"
        )]  # fmt: skip
    except sqlite3.OperationalError:
        pages = [1 + pristine.index(v.encode()) // page for (v,) in conn.execute(
            "select columns from datasets union all select features from models"
        )]  # fmt: skip
    conn.close()
    rng = random.Random(9)
    outcomes = {"ok": 0, "refused": 0}
    for n in range(60):
        home = tmp_path / f"flip{n}"
        (home / "keys").mkdir(parents=True)
        for f in (world.ds / "keys").iterdir():
            (home / "keys" / f.name).write_bytes(f.read_bytes())
        offset = max(100, (rng.choice(pages) - 1) * page + rng.randrange(page))
        (home / "catalog.db").write_bytes(pristine)
        flip_bit(home / "catalog.db", offset, rng.randrange(8))
        for command in COMMANDS:
            result = run(home, *command)  # an unexpected exception fails the test here
            if result.exit_code == 0:
                outcomes["ok"] += 1
                continue
            assert result.exit_code in (1, 2), (offset, command, result.stderr)
            error_line(result)  # exactly one line, nothing on stdout
            outcomes["refused"] += 1
    assert outcomes["ok"] and outcomes["refused"], outcomes
