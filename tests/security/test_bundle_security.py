"""Hostile and broken bundles, end to end through ``baton verify`` (DESIGN.md section 6).

Every case starts from one real bundle packed by the data scientist (``tests/handover.py``)
and rewrites its ZIP: either without touching the signature (tampering), or re-signed with
a key from the fixture homes, so that hostile content arrives under a *valid* signature
by a trusted key and must still be refused.

Each refusal is checked four ways: (a) the exit code (or the typed exception), (b) a
one-line message naming the file or member and the reason, (c) nothing ran: pickles and
skops files here write a marker file if anything ever loads them, and (d) nothing was
written outside a staging folder: every catalog table a handover touches and the whole
test folder are compared before and after, and Baton's temp folder must be empty again.

The raw ZIP matrix (every name, type, size and header trick) is covered at the
``safezip`` level in ``test_safezip.py``; here one sample of each family goes through the
whole command.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import pickle
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path
from unittest import mock

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baton.core.catalog.store import Catalog
from baton.core.errors import UnsafeInput, UntrustedSigner, VerificationError
from baton.core.handover import oms, review, safezip
from baton.core.present import format_fingerprint

pytest.register_assert_rewrite("tests.handover")  # before the import below

from tests.handover import (  # noqa: E402
    BUNDLE,
    Snapshot,
    as_json,
    contract_of,
    edit_contract,
    error_line,
    evil_pickle,
    evil_skops,
    external_data_onnx,
    handover_rows,
    ok,
    payload_of,
    public_pem,
    read_members,
    rewrite,
    run,
    signature_over,
    with_contract,
    write_zip,
    zip_info,
)

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world, private_tmp

# --- helpers ------------------------------------------------------------------------------


def verify(home: Path, path: Path, *extra: str):
    return run(home, "verify", path, "--json", *extra)


def refused(world, tmp: Path, path: Path, code: int, *needles: str, home: Path | None = None,
            command: tuple[str, ...] | None = None) -> str:  # fmt: skip
    """Run ``baton verify --json`` (or ``command``) on ``path``; check (a)-(d); the message."""
    home = home or world.mle
    snap = Snapshot([world.mle, world.ds, world.stranger], [world.root], tmp)
    args = command or ("verify", str(path), "--json")
    with staging_watch() as staged:
        result = run(home, *args)
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    for folder in staged:  # any staging happened in Baton's temp folder, and is gone
        assert folder.parent == tmp and not folder.exists(), folder
    message = error_line(result)
    for needle in needles:
        assert needle in message, message
    assert not world.marker.exists(), "hostile content was executed"
    snap.unchanged()
    return message


@contextlib.contextmanager
def staging_watch():
    """Record every private staging folder Baton creates meanwhile."""
    created: list[Path] = []
    real = safezip.private_staging_dir

    def recording(parent=None):
        created.append(real(parent))
        return created[-1]

    with mock.patch.object(safezip, "private_staging_dir", recording):
        yield created


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- the fixtures themselves ---------------------------------------------------------------


def test_hostile_fixtures_really_run_code_when_loaded(tmp_path):
    """Otherwise "the marker does not exist" would prove nothing."""
    import skops.io as sio

    marker = tmp_path / "ran-pickle"
    pickle.loads(evil_pickle(marker))
    assert marker.read_text() == "ran"

    marker = tmp_path / "ran-skops"
    path = tmp_path / "evil.skops"
    path.write_bytes(evil_skops(marker, tmp_path))
    marker.unlink(missing_ok=True)  # dumping may touch it; loading must create it
    sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert marker.read_text() == "ran"


def test_the_pristine_bundle_verifies(world, private_tmp):
    with staging_watch() as staged:
        result = ok(verify(world.mle, world.bundle))
    assert len(staged) == 1 and staged[0].parent == private_tmp and not staged[0].exists()
    data = as_json(result)
    assert data["trusted"] is True and data["signer_name"] == "Dana"
    assert result.stderr == ""
    assert [p.name for p in private_tmp.iterdir()] == []


# --- pickles, anywhere, even correctly signed ----------------------------------------------


@pytest.mark.parametrize("name", ["model/extra.pkl", "data/weights.joblib", "model/state.pt.gz"])
def test_signed_pickle_member_is_refused_by_name(world, private_tmp, name):
    def add(members):
        members[name] = evil_pickle(world.marker)

    bad = rewrite(world.bundle, world.path("pickle.baton"), add, resign=world.dana_key)
    message = refused(world, private_tmp, bad, 1, f'member "{name}"',
                      "contains a pickle file; Baton never loads pickles from bundles")  # fmt: skip
    assert message == (
        f'Error: pickle.baton: member "{name}" contains a pickle file; '
        "Baton never loads pickles from bundles"
    )


@pytest.mark.parametrize(
    "name", ["data/test.parquet", "predictions/test.parquet", "model/model.skops", "card.md"]
)
@pytest.mark.parametrize("protocol", [2, 5])
def test_signed_pickle_disguised_under_a_bundle_name_is_refused(world, private_tmp, name, protocol):
    def swap(members):
        members[name] = evil_pickle(world.marker, protocol)

    bad = rewrite(world.bundle, world.path("disguised.baton"), swap, resign=world.dana_key)
    refused(world, private_tmp, bad, 1, f'member "{name}"', "contains a pickle file")


def test_old_protocol_pickle_disguised_as_parquet_is_never_unpickled(world, private_tmp):
    """Protocol 0 has no header to sniff; it must still only ever be read as Parquet."""

    def swap(members):
        members["data/test.parquet"] = evil_pickle(world.marker, protocol=0)

    bad = rewrite(world.bundle, world.path("p0.baton"), swap, resign=world.dana_key)
    message = refused(world, private_tmp, bad, 1, "not a readable Parquet file")
    assert message.startswith("Error: p0.baton: data/test.parquet: "), message
    assert str(private_tmp) not in message  # no private staging path


def test_pickle_inside_the_signed_skops_zip_is_refused(world, private_tmp):
    def nest(members):
        buf = io.BytesIO()
        with (
            zipfile.ZipFile(io.BytesIO(members["model/model.skops"])) as inner,
            zipfile.ZipFile(buf, "w") as out,
        ):
            for info in inner.infolist():
                out.writestr(info, inner.read(info))
            out.writestr("payload.pkl", evil_pickle(world.marker))
        members["model/model.skops"] = buf.getvalue()

    bad = rewrite(world.bundle, world.path("nested.baton"), nest, resign=world.dana_key)
    refused(world, private_tmp, bad, 1, 'member "model/model.skops"', "pickle")


# --- models a trusted key signed that Baton still refuses ----------------------------------


def test_skops_with_types_off_the_allowlist_signed_by_a_trusted_key(world, private_tmp, tmp_path):
    evil = evil_skops(world.marker, tmp_path)
    world.marker.unlink(missing_ok=True)

    def swap(members):
        members["model/model.skops"] = evil
        contract = contract_of(members)
        contract["model"].update(sha256=sha256(evil), size_bytes=len(evil))
        return with_contract(members, contract)

    bad = rewrite(world.bundle, world.path("offlist.baton"), swap, resign=world.dana_key)
    for command in (("verify", str(bad), "--json"),
                    ("review", str(bad), "--reproduce", "--budget", "0.05", "--json")):  # fmt: skip
        message = refused(world, private_tmp, bad, 1, "model/model.skops",
                          "outside Baton's allowlist", "tests.handover.MarkerTransformer",
                          command=command)  # fmt: skip
        assert message.startswith("Error: offlist.baton: model/model.skops: "), message


@pytest.mark.parametrize("location", ["weights.bin", "../../../../etc/passwd", "/etc/shadow"])
def test_onnx_with_external_data_signed_by_a_trusted_key(world, private_tmp, files, location):
    onnx_bytes = external_data_onnx(files.mlp_onnx, location)

    def swap(members):
        del members["model/model.skops"]
        members["model/model.onnx"] = onnx_bytes
        contract = contract_of(members)
        contract["model"].update(file="model/model.onnx", format="onnx", framework="onnx",
                                 sha256=sha256(onnx_bytes), size_bytes=len(onnx_bytes))  # fmt: skip
        return with_contract(members, contract)

    bad = rewrite(world.bundle, world.path("external.baton"), swap, resign=world.dana_key)
    message = refused(world, private_tmp, bad, 1, "model/model.onnx", "external file",
                      repr(location), "inline weights")  # fmt: skip
    assert message.startswith("Error: external.baton: model/model.onnx: "), message


def test_contract_must_describe_the_signed_model(world, private_tmp):
    """A signed contract whose model digest is not the signed model's is refused."""
    bad = rewrite(world.bundle, world.path("other-model.baton"),
                  edit_contract(lambda c: c["model"].update(sha256="0" * 64)),
                  resign=world.dana_key)  # fmt: skip
    refused(world, private_tmp, bad, 1, "model/model.skops", "contract")


# --- ZIP structure, one sample per family, through the whole command -----------------------

_REG = stat.S_IFREG | 0o644


@pytest.mark.parametrize(
    ("entry", "shown", "reason"),
    [
        ("/etc/cron.d/evil", '"/etc/cron.d/evil"', "has an absolute path"),
        ("../../evil.sh", '"../../evil.sh"', "has a path that leaves the bundle folder"),
        ("model\\..\\..\\evil.sh", '"model\\..\\..\\evil.sh"', "has a backslash in its name"),
        ("C:/Windows/evil.dll", '"C:/Windows/evil.dll"', "starts with a drive letter"),
        ("card.md\x00.txt", '"card.md\\x00.txt"', "has a NUL character in its name"),
        ("card.md", '"card.md"', "appears more than once"),
        ("CARD.md", '"CARD.md"', 'collides with "card.md" on a case-insensitive file system'),
        ("Model/model.skops", '"Model/model.skops"', 'collides with "model/"'),
    ],
)
def test_hostile_member_names(world, private_tmp, entry, shown, reason):
    bad = rewrite(world.bundle, world.path("names.baton"), extra=[(zip_info(entry), b"evil")])
    message = refused(world, private_tmp, bad, 1, f"member {shown}", reason)
    assert message.startswith("Error: names.baton: member "), message


@pytest.mark.parametrize(
    ("mode", "kind"),
    [(stat.S_IFLNK | 0o777, "is a symbolic link"), (stat.S_IFCHR | 0o666, "is a character device")],
)
def test_links_and_devices(world, private_tmp, mode, kind):
    bad = rewrite(world.bundle, world.path("links.baton"),
                  extra=[(zip_info("data/link", mode=mode), b"/etc/passwd")])  # fmt: skip
    refused(world, private_tmp, bad, 1, 'member "data/link"', kind,
            "a bundle holds regular files only")  # fmt: skip


def test_too_many_members(world, private_tmp):
    extra = [(zip_info(f"data/f{i:04d}.txt"), b"") for i in range(1000)]
    bad = rewrite(world.bundle, world.path("many.baton"), extra=extra)
    message = refused(world, private_tmp, bad, 1)
    assert message == "Error: many.baton: has 1007 members, over the limit of 1000"


def test_compression_bomb(world, private_tmp):
    bad = rewrite(world.bundle, world.path("bomb.baton"),
                  extra=[(zip_info("data/zeros.bin"), bytes(16 << 20))])  # fmt: skip
    refused(world, private_tmp, bad, 1, 'member "data/zeros.bin" compresses ',
            "over the limit of 200:1 (a likely ZIP bomb)")  # fmt: skip


def test_not_a_zip_and_truncated(world, private_tmp):
    data = world.bundle.read_bytes()
    cut = world.path("cut.baton")
    cut.write_bytes(data[: len(data) // 2])
    refused(world, private_tmp, cut, 1, "is not a readable ZIP file; it is truncated or damaged")


# --- files added, removed, changed after signing (not re-signed) ---------------------------


def _added(name: str) -> str:
    """A member model.sig does not name is refused before it is read, so a renamed file
    reads as an added one."""
    return (f'tampered.baton: member "{name}" was added after signing: model.sig does not '
            "name it, so it was refused unread")  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda m: m.update({"notes.txt": b"hi"}), _added("notes.txt")),
        (lambda m: m.update({".gitignore": b"*"}), _added(".gitignore")),
        (lambda m: m.update({"model/extra.onnx": b"onnx"}), _added("model/extra.onnx")),
        (lambda m: m.pop("card.md"), "card.md was removed after signing"),
        (lambda m: m.pop("data/test.parquet"), "data/test.parquet was removed after signing"),
        (lambda m: m.update({"card.md": m["card.md"] + b"\nAll targets met.\n"}),
         "card.md was changed after signing"),
        (lambda m: m.update({"contract.json": m["contract.json"].replace(b'"1"', b'"9"', 1)}),
         "contract.json was changed after signing"),
        (lambda m: m.update({"model/model.skops": _flip(m["model/model.skops"], 1000)}),
         "model/model.skops was changed after signing"),
        (lambda m: m.update({"README.md": m.pop("card.md")}), _added("README.md")),
    ],
    ids=["added", "added-git", "added-model", "removed-card", "removed-data", "changed-card",
         "changed-contract", "changed-model", "renamed"],
)  # fmt: skip
def test_tampering_after_signing_names_the_file(world, private_tmp, edit, expected):
    def apply(members):
        edit(members)

    bad = rewrite(world.bundle, world.path("tampered.baton"), apply)
    message = refused(world, private_tmp, bad, 1, expected)
    assert message == f"Error: {expected}" or message.endswith(expected), message


def test_missing_signature(world, private_tmp):
    bad = rewrite(world.bundle, world.path("unsigned.baton"),
                  lambda m: {k: v for k, v in m.items() if k != "model.sig"})  # fmt: skip
    refused(world, private_tmp, bad, 1, "has no model.sig: it is not a Baton bundle")


# --- who signed: unknown, wrong, revoked ---------------------------------------------------


def _as_mallory(contract: dict, world, *, name: str = "Mallory", key: bool = True) -> None:
    author = {"name": name, "email": "mallory@example.org", "fingerprint": world.base.mallory_fp}
    if key:
        author["public_key"] = public_pem(world.mallory_key)
    contract["identity"]["authors"] = [author]


def test_unknown_signer_with_embedded_key_is_intact_but_untrusted(world, private_tmp):
    """The stranger has never trusted Dana: the bundle is checked with the key the
    contract names (its fingerprint is the signature's hint) and exits 3."""
    snap = Snapshot([world.stranger], [world.root], private_tmp)
    result = verify(world.stranger, world.bundle)
    assert result.exit_code == 3, result.stderr
    data = as_json(result)
    assert data["trusted"] is False and data["signer_name"] is None
    assert data["signer_fingerprint"] == world.base.dana_fp
    assert "signed by a key you do not trust" in data["trust_problem"]
    assert data["files"] == 6 and data["name"] == "bc-lr"
    text = run(world.stranger, "verify", world.bundle)
    assert text.exit_code == 3
    assert text.stdout.startswith(f"INTACT BUT UNTRUSTED: {BUNDLE}")
    assert format_fingerprint(world.base.dana_fp) in text.stdout
    snap.unchanged()  # an untrusted bundle is not recorded as received


def test_impostor_signer_is_shown_by_fingerprint_never_by_claimed_name(world, private_tmp):
    bad = rewrite(world.bundle, world.path("impostor.baton"),
                  edit_contract(lambda c: _as_mallory(c, world, name="Dana")),
                  resign=world.mallory_key)  # fmt: skip
    snap = Snapshot([world.mle], [world.root], private_tmp)
    result = verify(world.mle, bad)
    assert result.exit_code == 3, result.stderr
    data = as_json(result)
    assert data["trusted"] is False
    assert data["signer_fingerprint"] == world.base.mallory_fp and data["signer_name"] is None
    snap.unchanged()
    # nothing may be done with it before the key is trusted
    message = refused(world, private_tmp, bad, 3, "is intact but", "Compare the fingerprint",
                      command=("review", str(bad), "--reproduce", "--json"))  # fmt: skip
    assert format_fingerprint(world.base.mallory_fp) in message


def test_untrusted_and_tampered_is_tampered(world, private_tmp):
    signed = rewrite(world.bundle, world.path("mallory.baton"),
                     edit_contract(lambda c: _as_mallory(c, world)), resign=world.mallory_key)  # fmt: skip
    bad = rewrite(signed, world.path("mallory-tampered.baton"),
                  lambda m: m.update({"card.md": b"# harmless\n"}))  # fmt: skip
    refused(world, private_tmp, bad, 1, "card.md was changed after signing")


def test_public_key_stripped_and_resigned_by_the_author(world, private_tmp):
    """Without an embedded key a stranger cannot check the bundle at all: exit 3, saying
    so; whoever trusts the author's key verifies it as usual."""
    stripped = rewrite(world.bundle, world.path("stripped.baton"),
                       edit_contract(lambda c: c["identity"]["authors"][0].pop("public_key")),
                       resign=world.dana_key)  # fmt: skip
    message = refused(world, private_tmp, stripped, 3, "signed by a key you do not trust",
                      format_fingerprint(world.base.dana_fp),
                      "names no public key to check it with", home=world.stranger)  # fmt: skip
    assert "intact" not in message.lower()  # nothing was checked, so nothing is claimed
    assert as_json(ok(verify(world.mle, stripped)))["trusted"] is True


def test_public_key_stripped_not_resigned_is_tampering(world, private_tmp):
    bad = rewrite(world.bundle, world.path("stripped.baton"),
                  edit_contract(lambda c: c["identity"]["authors"][0].pop("public_key")))  # fmt: skip
    refused(world, private_tmp, bad, 1, "contract.json was changed after signing")


def test_public_key_stripped_and_resigned_by_someone_else(world, private_tmp):
    """Mallory re-signs Dana's contract (authors untouched) with her own key: the hint is
    Mallory's, the contract names only Dana's key, so no key can check it: exit 3 naming
    Mallory's fingerprint, never Dana as the signer."""
    bad = rewrite(world.bundle, world.path("resigned.baton"),
                  edit_contract(lambda c: c["identity"]["authors"][0].pop("public_key")),
                  resign=world.mallory_key)  # fmt: skip
    message = refused(world, private_tmp, bad, 3,
                      format_fingerprint(world.base.mallory_fp),
                      "names no public key to check it with")  # fmt: skip
    assert format_fingerprint(world.base.dana_fp) not in message
    # Dana's key left in the contract cannot vouch for Mallory's signature either.
    kept = rewrite(world.bundle, world.path("kept.baton"), resign=world.mallory_key)
    refused(world, private_tmp, kept, 3, format_fingerprint(world.base.mallory_fp),
            "names no public key to check it with")  # fmt: skip


@pytest.mark.parametrize("who", ["mle", "stranger"])
def test_wrong_key_signature_with_the_authors_hint(world, private_tmp, who):
    """Signed by Mallory's key while the hint names Dana's: a forgery, exit 1."""
    signed = rewrite(world.bundle, world.path("forged-src.baton"), resign=world.mallory_key)

    def forge(members):
        sig = json.loads(members["model.sig"])
        sig["verificationMaterial"]["publicKey"]["hint"] = world.base.dana_fp
        members["model.sig"] = json.dumps(sig, indent=2).encode()

    bad = rewrite(signed, world.path("forged.baton"), forge)
    refused(world, private_tmp, bad, 1, "the signature in model.sig does not match its content",
            home=getattr(world, who))  # fmt: skip


def test_revoked_key(world, private_tmp):
    revoked = ok(run(world.mle, "keys", "revoke", world.base.dana_fp[:16],
                     "--reason", "laptop stolen on 3 March", "--json"))  # fmt: skip
    assert as_json(revoked)["revoked_reason"] == "laptop stolen on 3 March"
    snap = Snapshot([world.mle], [world.root], private_tmp)
    result = verify(world.mle, world.bundle)
    assert result.exit_code == 3, result.stderr
    data = as_json(result)
    assert data["trusted"] is False and data["signer_name"] == "Dana"
    assert "revoked" in data["trust_problem"]
    assert "laptop stolen on 3 March" in data["trust_problem"]
    text = run(world.mle, "verify", world.bundle)
    assert text.exit_code == 3 and "laptop stolen on 3 March" in text.stdout
    snap.unchanged()
    refused(world, private_tmp, world.bundle, 3, "revoked", "laptop stolen on 3 March",
            command=("review", str(world.bundle), "--reproduce", "--json"))  # fmt: skip
    refused(world, private_tmp, world.bundle, 3, "revoked",
            command=("review", str(world.bundle), "--decision", "accept", "--comment", "ok",
                     "--out", str(world.path("r.review.baton"))))  # fmt: skip
    # a revoked key cannot be trusted again by accident
    again = run(world.mle, "keys", "trust", world.base.dana_pub, "--name", "Dana")
    assert again.exit_code == 2 and "was revoked" in again.stderr


def test_revoked_key_with_a_tampered_bundle_is_tampered(world, private_tmp):
    ok(run(world.mle, "keys", "revoke", world.base.dana_fp, "--reason", "left"))
    bad = rewrite(world.bundle, world.path("t.baton"), lambda m: m.update({"card.md": b"x"}))
    refused(world, private_tmp, bad, 1, "card.md was changed after signing")


# --- model.sig itself ----------------------------------------------------------------------


def _insert(sig: bytes, text: bytes) -> bytes:
    return sig.replace(b"{", b"{" + text, 1)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda s: b"", "model.sig is empty"),
        (lambda s: b"{not json", "model.sig is not valid JSON"),
        (lambda s: s[: len(s) // 2], "model.sig is not valid JSON (truncated?)"),
        (lambda s: s[:-40], "model.sig is not valid JSON (truncated?)"),
        (lambda s: b"\xff\xfe" + s, "model.sig is not UTF-8 text"),
        (lambda s: b"[]", "model.sig is not a JSON object"),
        (lambda s: _insert(s, b'"mediaType": "x", '), "model.sig repeats the JSON key 'mediaType'"),
        (lambda s: _insert(s, b'"extra": NaN, '), "model.sig contains NaN, which JSON does not allow"),
        (lambda s: _insert(s, b'"extra": -Infinity, '), "model.sig contains -Infinity"),
        (lambda s: _insert(s, b'"pad": "%s", ' % base64.b64encode(os.urandom(800_000))),
         "bytes; at most 1,048,576)"),
        (lambda s: json.dumps({**json.loads(s), "dsseEnvelope": {
            **json.loads(s)["dsseEnvelope"],
            "signatures": json.loads(s)["dsseEnvelope"]["signatures"] * 2}}).encode(),
         "model.sig carries 2 signatures; exactly one is expected"),
        (lambda s: s.replace(b'"sig": "M', b'"sig": "N', 1),
         "the signature in model.sig does not match its content"),
        (lambda s: s.replace(b"application/vnd.dev.sigstore.bundle.v0.3+json",
                             b"application/vnd.dev.sigstore.bundle.v9+json"),
         "model.sig has media type 'application/vnd.dev.sigstore.bundle.v9+json'"),
    ],
    ids=["empty", "garbage", "half", "cut-end", "not-utf8", "array", "duplicate-key", "nan",
         "infinity", "oversized", "two-signatures", "bad-signature", "media-type"],
)  # fmt: skip
def test_malformed_signature_file(world, private_tmp, make, reason):
    sig = read_members(world.bundle)["model.sig"]

    def swap(members):
        members["model.sig"] = make(sig)

    bad = rewrite(world.bundle, world.path("badsig.baton"), swap)
    refused(world, private_tmp, bad, 1, reason)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda p: p.replace(b'{"_type"', b'{"_type": "x", "_type"', 1),
         "the signed statement in model.sig repeats the JSON key '_type'"),
        (lambda p: p.replace(b'"predicate":{', b'"predicate":{"bonus": NaN, ', 1),
         "the signed statement in model.sig contains NaN"),
        (lambda p: p[:-1], "the signed statement in model.sig is not valid JSON"),
    ],
    ids=["duplicate-key", "nan", "truncated"],
)  # fmt: skip
def test_validly_signed_but_malformed_statement(world, private_tmp, change, reason):
    """The DSSE signature is good (Dana signed exactly these bytes); the statement is not."""
    sig = read_members(world.bundle)["model.sig"]
    payload = change(payload_of(sig))
    assert payload != payload_of(sig)

    def swap(members):
        members["model.sig"] = signature_over(payload, world.dana_key, world.base.dana_fp)

    bad = rewrite(world.bundle, world.path("stmt.baton"), swap)
    refused(world, private_tmp, bad, 1, reason)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda t: t.replace('"schema":', '"schema": "baton.contract/v0", "schema":', 1),
         "repeats the JSON key 'schema'"),
        (lambda t: t.replace('"params": 91', '"params": NaN', 1), "NaN"),
        (lambda t: t.replace('"params": 91', '"params": 1e999', 1), "the number 1e999, which is out of range"),
        (lambda t: t[: len(t) // 2], "contract.json is not valid JSON"),
    ],
    ids=["duplicate-key", "nan", "overflow", "truncated"],
)  # fmt: skip
def test_signed_malformed_contract(world, private_tmp, change, reason):
    def swap(members):
        text = members["contract.json"].decode()
        assert '"params": 91' in text
        members["contract.json"] = change(text).encode()

    bad = rewrite(world.bundle, world.path("contract.baton"), swap, resign=world.dana_key)
    refused(world, private_tmp, bad, 1, "contract.json", reason)


# --- versions: rollback and a changed digest -----------------------------------------------


def test_rollback_to_an_older_version_is_refused(world, private_tmp):
    v2 = rewrite(world.bundle, world.path("bc-lr-2.baton"),
                 edit_contract(lambda c: c["identity"].update(version="2")),
                 resign=world.dana_key)  # fmt: skip
    ok(verify(world.mle, v2))
    assert [r["version"] for r in handover_rows(world.mle, "received")] == ["2"]
    refused(world, private_tmp, world.bundle, 1, "bc-lr version 1 is older than version 2",
            "refusing a rollback")  # fmt: skip
    # the same holds for reproducing and deciding
    refused(world, private_tmp, world.bundle, 1, "refusing a rollback",
            command=("review", str(world.bundle), "--reproduce", "--json"))  # fmt: skip


def test_rollback_is_refused_before_the_model_or_data_is_looked_at(world, private_tmp, tmp_path):
    """DESIGN.md: the rollback check comes before any data is parsed or model inspected,
    so an old signed bundle with a since-refused model is refused as a rollback."""
    v2 = rewrite(world.bundle, world.path("bc-lr-2.baton"),
                 edit_contract(lambda c: c["identity"].update(version="2")),
                 resign=world.dana_key)  # fmt: skip
    ok(verify(world.mle, v2))
    evil = evil_skops(world.marker, tmp_path)
    world.marker.unlink(missing_ok=True)

    def old_and_evil(members):
        members["model/model.skops"] = evil
        members["data/test.parquet"] = b"PAR1 not really parquet PAR1"
        contract = contract_of(members)
        contract["model"].update(sha256=sha256(evil), size_bytes=len(evil))
        return with_contract(members, contract)

    old = rewrite(world.bundle, world.path("old.baton"), old_and_evil, resign=world.dana_key)
    message = refused(world, private_tmp, old, 1, "refusing a rollback")
    assert "allowlist" not in message and "Parquet" not in message


def test_changed_content_under_a_known_version_is_refused(world, private_tmp):
    ok(verify(world.mle, world.bundle))
    changed = rewrite(world.bundle, world.path("bc-lr-1-again.baton"),
                      edit_contract(lambda c: c["identity"].update(limitations="Now even better.")),
                      resign=world.dana_key)  # fmt: skip
    refused(world, private_tmp, changed, 1, "bc-lr version 1 was seen before with different content",
            "refusing a changed bundle under a known version")  # fmt: skip
    # the one it saw first still verifies
    ok(verify(world.mle, world.bundle))


def test_the_sender_also_refuses_a_changed_bundle_under_a_packed_version(world, private_tmp):
    changed = rewrite(world.bundle, world.path("changed.baton"),
                      lambda m: m.update({"card.md": b"# other\n"}), resign=world.dana_key)  # fmt: skip
    refused(world, private_tmp, changed, 1, "was seen before with different content", home=world.ds)


# --- predictions that do not match the labels ----------------------------------------------


def _predictions(members: dict[str, bytes]) -> pa.Table:
    return pq.read_table(io.BytesIO(members["predictions/test.parquet"]))


def _with_predictions(members: dict[str, bytes], table: pa.Table) -> dict[str, bytes]:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    members["predictions/test.parquet"] = buf.getvalue()
    contract = contract_of(members)
    contract["predictions"]["sha256"] = sha256(buf.getvalue())
    return with_contract(members, contract)


def test_predictions_shorter_than_the_labels(world, private_tmp):
    bad = rewrite(world.bundle, world.path("short.baton"),
                  lambda m: _with_predictions(m, _predictions(m).slice(0, 100)),
                  resign=world.dana_key)  # fmt: skip
    snap = Snapshot([world.mle], [world.root], private_tmp)
    result = run(world.mle, "review", bad, "--reproduce", "--budget", "0.05", "--json")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    message = error_line(result)
    assert message == (
        "Error: short.baton: predictions/test.parquet has 100 rows but the test labels have 169"
    )
    # verify alone refuses it too: the row count is checked against the contract
    verified = run(world.mle, "verify", bad, "--json")
    assert verified.exit_code == 1
    assert error_line(verified) == message
    snap.unchanged()
    assert not world.marker.exists()


def test_predictions_with_a_class_the_model_does_not_have(world, private_tmp):
    def relabel(members):
        table = _predictions(members)
        pred = table.column("prediction").to_pylist()
        pred[:10] = [7] * 10
        i = table.column_names.index("prediction")
        return _with_predictions(members, table.set_column(i, "prediction", pa.array(pred)))

    bad = rewrite(world.bundle, world.path("classes.baton"), relabel, resign=world.dana_key)
    snap = Snapshot([world.mle], [world.root], private_tmp)
    result = run(world.mle, "review", bad, "--reproduce", "--budget", "0.05", "--json")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert error_line(result) == (
        "Error: classes.baton: predictions/test.parquet: predictions contain classes "
        "not among the model's classes: 7"
    )
    snap.unchanged(except_tables=["handovers"])
    assert not world.marker.exists()


def test_predictions_whose_row_ids_are_not_the_test_sets(world, private_tmp):
    """Each prediction is joined to its label by row; predictions reordered (their ids
    with them) would be judged against the wrong labels, so the ids must be the test
    set's, in its order."""

    def reorder(members):
        table = _predictions(members)
        return _with_predictions(members, table.take(list(range(table.num_rows))[::-1]))

    bad = rewrite(world.bundle, world.path("order.baton"), reorder, resign=world.dana_key)
    result = run(world.mle, "review", bad, "--reproduce", "--budget", "0.05", "--json")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert error_line(result) == (
        "Error: order.baton: the row ids of predictions/test.parquet do not match the test set"
    )


# --- receipts ------------------------------------------------------------------------------


@pytest.fixture
def receipt(world) -> Path:
    out = world.path(f"{BUNDLE[:-6]}.review.baton")
    ok(run(world.mle, "review", world.bundle, "--decision", "reject", "--comment", "too slow",
           "--out", out))  # fmt: skip
    return out


def test_tampered_receipt_is_refused_and_not_recorded(world, private_tmp, receipt):
    def flip(members):
        members["review.json"] = members["review.json"].replace(b'"reject"', b'"accept"')

    bad = rewrite(receipt, world.path("flipped.review.baton"), flip, sig="review.sig")
    refused(world, private_tmp, bad, 1, "review.json was changed after signing", home=world.ds)


def test_receipt_signed_by_a_stranger_is_not_recorded(world, private_tmp, receipt):
    def as_mallory(members):
        review = json.loads(members["review.json"])
        review["reviewer"] = {"name": "Eli", "email": "eli@example.org",
                              "fingerprint": world.base.mallory_fp,
                              "public_key": public_pem(world.mallory_key)}  # fmt: skip
        review["decision"] = "accept"
        members["review.json"] = json.dumps(review, indent=2, sort_keys=True).encode()

    bad = rewrite(receipt, world.path("forged.review.baton"), as_mallory,
                  resign=world.mallory_key, sig="review.sig")  # fmt: skip
    snap = Snapshot([world.ds], [world.root], private_tmp)
    result = verify(world.ds, bad)
    assert result.exit_code == 3, result.stderr
    data = as_json(result)
    assert data["trusted"] is False and data["signer_fingerprint"] == world.base.mallory_fp
    snap.unchanged()
    assert [r["status"] for r in handover_rows(world.ds, "sent")] == ["packed"]


def test_a_replayed_older_receipt_does_not_undo_a_newer_decision(world, private_tmp, receipt):
    """Eli rejected, then (after a fix of the docs) accepted the same bundle; replaying
    the older, genuine "reject" receipt must not turn the handover back to rejected."""

    def later_accept(members):
        review = json.loads(members["review.json"])
        created = dt.datetime.strptime(review["created"], "%Y-%m-%dT%H:%M:%SZ")
        review["created"] = (created + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        review["decision"], review["comment"] = "accept", "Docs fixed; accepted."
        members["review.json"] = json.dumps(review, indent=2, sort_keys=True).encode() + b"\n"

    newer = rewrite(receipt, world.path("newer.review.baton"), later_accept,
                    resign=world.eli_key, sig="review.sig")  # fmt: skip
    assert as_json(ok(verify(world.ds, newer)))["review"]["decision"] == "accept"
    assert [r["status"] for r in handover_rows(world.ds, "sent")] == ["accept"]
    replay = as_json(ok(verify(world.ds, receipt)))
    assert replay["review"]["decision"] == "reject"
    assert [r["status"] for r in handover_rows(world.ds, "sent")] == ["accept"]


def test_receipt_with_an_extra_file_is_refused(world, private_tmp, receipt):
    bad = rewrite(receipt, world.path("extra.review.baton"),
                  lambda m: m.update({"notes.txt": b"x"}), resign=world.eli_key,
                  sig="review.sig")  # fmt: skip
    refused(world, private_tmp, bad, 1, "a receipt holds review.json and review.sig only",
            "notes.txt", home=world.ds)  # fmt: skip


# --- core API: typed exceptions -------------------------------------------------------------


def test_core_raises_typed_errors(world, private_tmp):
    cat = Catalog(world.mle)
    try:
        pkl = rewrite(world.bundle, world.path("p.baton"),
                      lambda m: m.update({"x.pkl": evil_pickle(world.marker)}))  # fmt: skip
        with pytest.raises(UnsafeInput) as err:
            review.verify(cat, pkl)
        assert err.value.path == str(pkl)
        tampered = rewrite(world.bundle, world.path("t.baton"),
                           lambda m: m.update({"card.md": b"x"}))  # fmt: skip
        with pytest.raises(VerificationError) as err:
            review.verify(cat, tampered)
        assert err.value.path == "card.md"
    finally:
        cat.close()
    cat = Catalog(world.stranger)
    try:
        stripped = rewrite(world.bundle, world.path("s.baton"),
                           edit_contract(lambda c: c["identity"]["authors"][0].pop("public_key")),
                           resign=world.dana_key)  # fmt: skip
        with pytest.raises(UntrustedSigner):
            review.verify(cat, stripped)
    finally:
        cat.close()
    assert not world.marker.exists()
    assert list(private_tmp.iterdir()) == []


# --- any byte of any member flipped, re-zipped but not re-signed ---------------------------


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(data=st.data())
def test_flipping_any_byte_of_any_member_is_caught(world, private_tmp, data):
    members = read_members(world.bundle)
    name = data.draw(st.sampled_from(sorted(members)), label="member")
    at = data.draw(st.integers(0, len(members[name]) - 1), label="offset")
    xor = data.draw(st.integers(1, 255), label="xor")
    changed = bytearray(members[name])
    changed[at] ^= xor
    members[name] = bytes(changed)
    folder = Path(tempfile.mkdtemp(dir=world.root.parent))
    try:
        bad = write_zip(folder / "flipped.baton", members)
        snap = Snapshot([world.mle], [world.root], private_tmp)
        result = verify(world.mle, bad)
        if name == "model.sig":
            original = oms.parse_signature(read_members(world.bundle)["model.sig"])
            try:
                parsed = oms.parse_signature(members[name])
                same = (parsed.payload, parsed.signature, parsed.key_fingerprint) == (
                    original.payload, original.signature, original.key_fingerprint)  # fmt: skip
            except VerificationError:
                same = False
            if same:  # e.g. JSON whitespace or the hint's letter case: nothing signed changed
                assert result.exit_code == 0, result.stderr
                return
            assert result.exit_code in (1, 3), result.stderr
            message = error_line(result) if result.exit_code == 1 else result.stderr
            assert "model.sig" in message or "do not trust" in message, message
        else:
            assert result.exit_code == 1, (name, at, xor, result.stdout, result.stderr)
            message = error_line(result)
            assert f"{name} was changed after signing" in message, message
        snap.unchanged()
    finally:
        shutil.rmtree(folder)
