"""OMS v1.0 "key" signatures: format, strict parsing, tampering, stock-tool interop."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import jsonschema
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from baton.core.errors import Cancelled, UnsafeInput, UntrustedSigner, UsageError, VerificationError
from baton.core.handover import keys, oms
from baton.core.present import format_fingerprint
from baton.core.progress import CancelToken

ROOT = Path(__file__).resolve().parents[2]
# A copy of the OpenSSF Model Signing v1.0 reference (Apache-2.0; see its LICENSE).
REFERENCE = ROOT / "tests" / "data" / "oms-v1.0"
VECTORS = REFERENCE / "test-vectors" / "v1.0"
SCHEMA_COPY = ROOT / "resources" / "schemas" / "oms"
STOCK = Path(sys.executable).with_name("model_signing")

needs_reference = pytest.mark.skipif(
    not VECTORS.is_dir(), reason="OMS reference folder not present"
)
needs_stock = pytest.mark.skipif(not STOCK.exists(), reason="stock model_signing CLI not installed")

FILES = {
    "contract.json": b'{"schema": "baton.contract/v1"}\n',
    "card.md": b"# Model card\n",
    "model/model.skops": os.urandom(3000),
    "data/test.parquet": b"PAR1" + os.urandom(5000) + b"PAR1",
    "predictions/test.parquet": b"PAR1" + os.urandom(700) + b"PAR1",
}


# ------------------------------------------------------------------------ helpers


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return keys.generate_key()


def make_model(folder: Path, files: dict[str, bytes] = FILES) -> Path:
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


@pytest.fixture
def model(tmp_path) -> Path:
    return make_model(tmp_path / "iris-1.0")


@pytest.fixture
def signed(model, key) -> Path:
    oms.sign_folder(model, key)
    return model


def reference_validator(name: str) -> jsonschema.Draft202012Validator:
    """Validators built from the reference schemas, independently of oms.py."""
    schemas = {
        p.name.split(".")[0]: json.loads(p.read_text()) for p in SCHEMA_COPY.glob("*.schema.json")
    }
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT202012))
        for s in schemas.values()
    )
    return jsonschema.Draft202012Validator(schemas[name], registry=registry)


def bundle_for(payload: bytes, key: ec.EllipticCurvePrivateKey, **overrides) -> dict:
    """A bundle signing arbitrary payload bytes correctly (to test what is signed)."""
    sig = key.sign(oms.pae(oms.PAYLOAD_TYPE, payload), ec.ECDSA(hashes.SHA256()))
    bundle = {
        "mediaType": oms.BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {"publicKey": {"hint": keys.fingerprint(key)}, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": base64.b64encode(payload).decode(),
            "payloadType": oms.PAYLOAD_TYPE,
            "signatures": [{"sig": base64.b64encode(sig).decode(), "keyid": ""}],
        },
    }
    bundle.update(overrides)
    return bundle


def statement_for(digests: dict[str, str]) -> dict:
    return oms.build_statement(digests, model_name="m")


def encode(obj) -> bytes:
    return json.dumps(obj).encode()


def digests_of(files: dict[str, bytes]) -> dict[str, str]:
    return {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}


def refused(data: bytes) -> str:
    with pytest.raises(VerificationError) as info:
        oms.parse_signature(data)
    return str(info.value)


def failure(folder: Path, key, **kw) -> str:
    with pytest.raises(VerificationError) as info:
        oms.verify_folder(folder, key.public_key(), **kw)
    return str(info.value)


# ------------------------------------------------------------ reference vectors


@needs_reference
def test_schema_copies_match_reference():
    for src in (REFERENCE / "schemas" / "v1.0").glob("*.json"):
        assert (SCHEMA_COPY / src.name).read_bytes() == src.read_bytes(), src.name
    assert (SCHEMA_COPY / "LICENSE").read_bytes() == (REFERENCE / "LICENSE").read_bytes()


@needs_reference
@pytest.mark.parametrize(
    ("name", "method", "subject"),
    [
        ("key", "key", "model"),
        ("certificate", "certificate", "model"),
        ("sigstore", "sigstore", "v1.1.0-sigstore"),
    ],
)
def test_valid_vectors_parse(name, method, subject):
    data = (VECTORS / "valid" / f"{name}.bundle.json").read_bytes()
    parsed = oms.parse_signature(data)
    assert parsed.method == method
    assert parsed.model_name == subject
    assert list(parsed.digests) == ["signme-1", "signme-2"]
    assert parsed.root_digest == oms.root_digest(parsed.digests.values())
    assert "ignore-me" in parsed.ignore_paths
    assert parsed.payload_type == "application/vnd.in-toto+json"
    # and they validate against all four schemas, as the spec's conformance asks
    bundle = json.loads(data)
    reference_validator("bundle").validate(bundle)
    reference_validator("envelope").validate(bundle["dsseEnvelope"])
    reference_validator("statement").validate(parsed.statement)
    reference_validator("predicate").validate(parsed.statement["predicate"])


@needs_reference
def test_valid_key_vector_identifies_its_signer_but_is_not_trusted(key):
    parsed = oms.parse_signature((VECTORS / "valid" / "key.bundle.json").read_bytes())
    assert (
        parsed.key_fingerprint == "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e"
    )
    with pytest.raises(UntrustedSigner) as info:
        oms.lookup_key(parsed, {})
    assert str(info.value) == (
        "model.sig is signed by a key you do not trust (fingerprint "
        "E845 0DEC 4EB9 9DAE 995D A9AF 1BC2 CC9F 76ED 669E E2E7 44F5 7ABB A763 DF3E 3F8E)"
    )
    assert info.value.exit_code == 3
    with pytest.raises(
        VerificationError,
        match=r"^model\.sig was signed with key E845 0DEC .*, not with the key given",
    ):
        oms.verify_signature(parsed, key.public_key())


@needs_reference
@pytest.mark.parametrize("name", ["certificate", "sigstore"])
def test_non_key_methods_are_refused_at_verification(name, key):
    parsed = oms.parse_signature((VECTORS / "valid" / f"{name}.bundle.json").read_bytes())
    with pytest.raises(
        VerificationError,
        match=f"uses the '{name}' signing method; Baton verifies signatures made with a signing key only",
    ):
        oms.lookup_key(parsed, {})
    with pytest.raises(VerificationError, match=f"uses the '{name}' signing method"):
        oms.verify_signature(parsed, key.public_key())


@needs_reference
@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("invalid/empty.bundle.json", "model.sig is empty"),
        (
            "invalid/missing-envelope.bundle.json",
            "model.sig is not a valid OMS signature: 'dsseEnvelope' is missing",
        ),
        (
            "invalid/missing-verification-material.bundle.json",
            "model.sig is not a valid OMS signature: 'verificationMaterial' is missing",
        ),
        (
            "invalid/missing-tlog-entries.bundle.json",
            "model.sig is not a valid OMS signature: verificationMaterial holds no usable key material "
            "(a publicKey, an x509CertificateChain, or a certificate with tlogEntries)",
        ),
        (
            "invalid-payload/wrong-predicate.bundle.json",
            "model.sig does not hold an OMS model signature: predicateType is "
            "'https://example.com/wrong-predicate/v1.0', expected 'https://model_signing/signature/v1.0'",
        ),
    ],
)
def test_invalid_vectors_refused(path, message):
    assert refused((VECTORS / path).read_bytes()) == message


# ----------------------------------------------------------------- the format


def test_pae_matches_dsse_spec():
    # the example from the DSSE protocol document
    assert oms.pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_sign_folder_writes_a_conforming_bundle(model, key):
    data = oms.sign_folder(model, key)
    assert (model / "model.sig").read_bytes() == data
    assert not [p for p in model.iterdir() if p.name.startswith(".model.sig")]  # no temp left
    bundle = json.loads(data)
    reference_validator("bundle").validate(bundle)
    assert bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert bundle["verificationMaterial"] == {
        "publicKey": {"hint": keys.fingerprint(key)},
        "tlogEntries": [],
    }
    envelope = bundle["dsseEnvelope"]
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    payload = base64.b64decode(envelope["payload"])
    statement = json.loads(payload)
    reference_validator("statement").validate(statement)
    expected = digests_of(FILES)
    names = sorted(expected)
    assert statement == {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {
                "name": "iris-1.0",
                "digest": {
                    "sha256": hashlib.sha256(
                        b"".join(bytes.fromhex(expected[n]) for n in names)
                    ).hexdigest()
                },
            }
        ],
        "predicateType": "https://model_signing/signature/v1.0",
        "predicate": {
            "resources": [{"name": n, "digest": expected[n], "algorithm": "sha256"} for n in names],
            "serialization": {
                "method": "files",
                "hash_type": "sha256",
                "allow_symlinks": False,
                "ignore_paths": [".git", ".gitattributes", ".github", ".gitignore", "model.sig"],
            },
        },
    }
    # ECDSA P-256 / SHA-256 DER signature over the PAE of the exact payload bytes
    sig = base64.b64decode(envelope["signatures"][0]["sig"])
    key.public_key().verify(sig, oms.pae(oms.PAYLOAD_TYPE, payload), ec.ECDSA(hashes.SHA256()))


def test_resources_sorted_by_code_point(tmp_path, key):
    files = {"a/b": b"1", "a-c": b"2", "B": b"3", "a_": b"4", "é": b"5"}
    folder = make_model(tmp_path / "m", files)
    parsed = oms.parse_signature(oms.sign_folder(folder, key))
    assert list(parsed.digests) == ["B", "a-c", "a/b", "a_", "é"]


def test_hash_tree(model):
    (model / ".git").mkdir()
    (model / ".git" / "HEAD").write_text("ref")
    got = oms.hash_tree(model, [".git"])
    assert got == digests_of(FILES)
    assert list(got) == sorted(got)
    assert oms.hash_tree(model, [".git"], workers=1) == got
    assert oms.hash_tree(model, [".git"], workers=8) == got
    # ignore paths are exact relative paths with their subtree, nothing more
    assert set(oms.hash_tree(model, ["data", ".git"])) == set(FILES) - {"data/test.parquet"}
    assert ".git/HEAD" in oms.hash_tree(model)


def test_hash_tree_large_file_across_chunks(tmp_path):
    data = os.urandom(oms.READ_CHUNK * 2 + 12345)
    folder = make_model(tmp_path / "m", {"w.bin": data, "small": b"x"})
    assert oms.hash_tree(folder) == {
        "small": hashlib.sha256(b"x").hexdigest(),
        "w.bin": hashlib.sha256(data).hexdigest(),
    }


@pytest.mark.skipif(os.name != "posix", reason="symlinks and FIFOs")
def test_symlinks_and_special_files_refused(model, key):
    os.symlink(model / "card.md", model / "data" / "link.md")
    with pytest.raises(UnsafeInput) as info:
        oms.sign_folder(model, key)
    assert str(info.value) == (
        "data/link.md is a symbolic link; signatures cover regular files only (allow_symlinks is false)"
    )
    assert not (model / "model.sig").exists()
    os.unlink(model / "data" / "link.md")
    os.mkfifo(model / "pipe")
    with pytest.raises(
        UnsafeInput, match=r"^pipe is not a regular file \(a device, FIFO or socket\)"
    ):
        oms.hash_tree(model)


@pytest.mark.skipif(sys.platform != "linux", reason="non-UTF-8 file names")
def test_non_utf8_name_refused(model):
    with open(os.path.join(os.fsencode(model), b"bad\xffname"), "wb") as fh:
        fh.write(b"x")
    with pytest.raises(UnsafeInput, match="is not valid UTF-8"):
        oms.hash_tree(model)


def test_empty_folder_and_missing_folder(tmp_path, key):
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="^nothing to sign: .*empty holds no files$"):
        oms.sign_folder(tmp_path / "empty", key)
    with pytest.raises(Exception, match="does not exist"):
        oms.hash_tree(tmp_path / "nope")


def test_user_ignore_paths_are_recorded_and_honoured(model, key):
    (model / "notes").mkdir()
    (model / "notes" / "todo.txt").write_text("later")
    parsed = oms.parse_signature(oms.sign_folder(model, key, ignore_paths=["notes", "./card.md"]))
    assert "notes/todo.txt" not in parsed.digests and "card.md" not in parsed.digests
    assert parsed.ignore_paths == (
        ".git",
        ".gitattributes",
        ".github",
        ".gitignore",
        "card.md",
        "model.sig",
        "notes",
    )
    (model / "notes" / "todo.txt").write_text("changed, but ignored")
    assert oms.verify_folder(model, key.public_key()).file_count == len(FILES) - 1
    with pytest.raises(UsageError, match="must be a path inside the model folder"):
        oms.sign_folder(model, key, ignore_paths=["../x"])


# ---------------------------------------------------------------- round trip


def test_round_trip(signed, key):
    result = oms.verify_folder(signed, key.public_key())
    assert result.signer_fingerprint == keys.fingerprint(key)
    assert result.signer == format_fingerprint(keys.fingerprint(key))
    assert result.file_count == len(FILES)
    assert result.digests == digests_of(FILES)
    assert result.total_bytes == sum(len(d) for d in FILES.values())
    assert result.model_name == "iris-1.0"
    assert result.root_digest == oms.root_digest(digests_of(FILES)[n] for n in sorted(FILES))


def test_step_by_step_api_for_the_bundle_reader(signed, key):
    fp = keys.fingerprint(key)
    trusted = {fp: keys.public_pem(key)}
    asked = []

    def trust_store(hint: str):
        asked.append(hint)
        return trusted.get(hint)

    parsed = oms.parse_signature((signed / "model.sig").read_bytes())
    public = oms.lookup_key(parsed, trust_store)
    assert asked == [fp]
    statement = oms.verify_signature(parsed, public)
    assert statement["predicateType"] == oms.PREDICATE_TYPE
    oms.compare_manifest(parsed.digests, digests_of(FILES))
    # the whole thing through verify_folder with the same callable
    assert oms.verify_folder(signed, trust_store).file_count == len(FILES)


def test_revoked_key_reported_by_trust_store(signed, key):
    def trust_store(hint):
        raise UntrustedSigner(f"the key {format_fingerprint(hint)} was revoked: laptop stolen")

    with pytest.raises(UntrustedSigner, match="was revoked: laptop stolen"):
        oms.verify_folder(signed, trust_store)


def test_unknown_signer_is_exit_code_3(signed):
    stranger = keys.generate_key()
    with pytest.raises(UntrustedSigner) as info:
        oms.verify_folder(signed, stranger.public_key())
    assert info.value.exit_code == 3
    assert "is signed by a key you do not trust" in str(info.value)
    with pytest.raises(UntrustedSigner):
        oms.verify_folder(signed, {keys.fingerprint(stranger): stranger.public_key()})


def test_progress_and_cancel(model, key):
    reports = []
    oms.sign_folder(
        model, key, progress=lambda done, total, msg: reports.append((done, total, msg))
    )
    total = float(sum(len(d) for d in FILES.values()))
    assert reports[0] == (0.0, total, "Hashing files")
    assert reports[-1] == (total, total, "Hashing files")
    os.unlink(model / "model.sig")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        oms.sign_folder(model, key, cancel=token)
    assert not (model / "model.sig").exists()


# ------------------------------------------------------------------ tampering


def test_byte_flip_names_the_file(signed, key):
    path = signed / "data" / "test.parquet"
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    assert failure(signed, key) == "data/test.parquet was changed after signing"


def test_added_file_named(signed, key):
    (signed / "data" / "extra.csv").write_text("a,b\n")
    assert failure(signed, key) == "data/extra.csv was added after signing (it is not in model.sig)"


def test_removed_file_named(signed, key):
    os.unlink(signed / "predictions" / "test.parquet")
    assert failure(signed, key) == "predictions/test.parquet was removed after signing"


def test_renamed_file_named(signed, key):
    os.rename(signed / "card.md", signed / "README.md")
    assert failure(signed, key) == "card.md was renamed to README.md after signing"


def test_several_problems_listed(signed, key):
    (signed / "card.md").write_text("changed")
    (signed / "zzz").write_text("new")
    os.unlink(signed / "contract.json")
    with pytest.raises(VerificationError) as info:
        oms.verify_folder(signed, key.public_key())
    assert str(info.value) == (
        "3 files differ from model.sig: card.md was changed after signing; "
        "contract.json was removed after signing; zzz was added after signing (it is not in model.sig)"
    )
    assert info.value.problems == [
        "card.md was changed after signing",
        "contract.json was removed after signing",
        "zzz was added after signing (it is not in model.sig)",
    ]


def test_default_ignored_files_tolerated_unless_strict(signed, key):
    (signed / ".gitignore").write_text("*.pyc\n")
    assert oms.verify_folder(signed, key.public_key()).file_count == len(FILES)
    assert (
        failure(signed, key, strict=True)
        == ".gitignore was added after signing (it is not in model.sig)"
    )


def test_signed_file_under_a_default_ignore_path_is_still_checked(model, key):
    # e.g. a folder signed by the stock tool with --no-ignore-git-paths
    (model / ".gitignore").write_text("*.pyc\n")
    digests = oms.hash_tree(model)
    assert ".gitignore" in digests
    statement = oms.build_statement(digests, model_name="m", ignore_paths=["model.sig"])
    (model / "model.sig").write_bytes(oms.sign_statement(statement, key))
    assert oms.verify_folder(model, key.public_key(), strict=True).file_count == len(FILES) + 1
    (model / ".gitignore").write_text("changed\n")
    assert failure(model, key) == ".gitignore was changed after signing"
    if os.name == "posix":
        os.unlink(model / ".gitignore")
        os.symlink(model / "card.md", model / ".gitignore")
        with pytest.raises(UnsafeInput, match=r"^\.gitignore goes through a symbolic link"):
            oms.verify_folder(model, key.public_key())


def test_missing_signature(model, key):
    assert failure(model, key) == f"model.sig is missing: {model} is not signed"


def test_tampered_payload_fails_signature(signed, key):
    bundle = json.loads((signed / "model.sig").read_bytes())
    statement = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    statement["predicate"]["resources"][0]["digest"] = "0" * 64
    statement["subject"][0]["digest"]["sha256"] = oms.root_digest(
        r["digest"] for r in statement["predicate"]["resources"]
    )
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(statement).encode()).decode()
    (signed / "model.sig").write_bytes(encode(bundle))
    assert failure(signed, key) == (
        "the signature in model.sig does not match its content: model.sig was altered after signing"
    )


def test_signature_by_another_key_with_a_forged_hint(signed, key):
    mallory = keys.generate_key()
    bundle = json.loads((signed / "model.sig").read_bytes())
    payload = base64.b64decode(bundle["dsseEnvelope"]["payload"])
    forged = bundle_for(payload, mallory)
    forged["verificationMaterial"]["publicKey"]["hint"] = keys.fingerprint(key)
    (signed / "model.sig").write_bytes(encode(forged))
    assert failure(signed, key) == (
        "the signature in model.sig does not match its content: model.sig was altered after signing"
    )


def test_older_rawbytes_public_key_form_accepted(signed, key):
    bundle = json.loads((signed / "model.sig").read_bytes())
    bundle["verificationMaterial"]["publicKey"] = {
        "rawBytes": base64.b64encode(keys.public_pem(key)).decode(),
        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
    }
    del bundle["verificationMaterial"]["tlogEntries"]
    bundle["dsseEnvelope"]["signatures"][0]["keyid"] = None
    (signed / "model.sig").write_bytes(encode(bundle))
    parsed = oms.parse_signature((signed / "model.sig").read_bytes())
    assert parsed.key_fingerprint == keys.fingerprint(key) and parsed.key_hint is None
    assert oms.verify_folder(signed, key.public_key()).file_count == len(FILES)
    # DER SubjectPublicKeyInfo works as well
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    bundle["verificationMaterial"]["publicKey"] = {"rawBytes": base64.b64encode(der).decode()}
    del bundle["dsseEnvelope"]["signatures"][0]["keyid"]
    assert oms.parse_signature(encode(bundle)).key_fingerprint == keys.fingerprint(key)


# ------------------------------------------------------------- strict parsing


@pytest.fixture(scope="module")
def good_sig(key) -> bytes:
    return oms.sign_statement(statement_for(digests_of(FILES)), key)


def test_good_signature_parses(good_sig, key):
    parsed = oms.parse_signature(good_sig)
    assert oms.verify_signature(parsed, key.public_key()) == parsed.statement


def test_duplicate_keys_refused(good_sig, key):
    text = good_sig.decode()
    dup = text.replace('"mediaType":', '"mediaType": "x", "mediaType":', 1)
    assert refused(dup.encode()) == "model.sig repeats the JSON key 'mediaType'"
    payload = b'{"_type": "https://in-toto.io/Statement/v1", "_type": "x"}'
    assert refused(encode(bundle_for(payload, key))) == (
        "the signed statement in model.sig repeats the JSON key '_type'"
    )


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_refused(good_sig, key, constant):
    bundle = json.loads(good_sig)
    text = json.dumps(bundle)[:-1] + f', "x": {constant}}}'
    assert refused(text.encode()) == f"model.sig contains {constant}, which JSON does not allow"
    statement = statement_for(digests_of(FILES))
    payload = json.dumps(statement)[:-1] + f', "n": {constant}}}'
    assert refused(encode(bundle_for(payload.encode(), key))) == (
        f"the signed statement in model.sig contains {constant}, which JSON does not allow"
    )


def test_truncated_refused(good_sig):
    message = refused(good_sig[: len(good_sig) // 2])
    assert message.startswith("model.sig is not valid JSON (truncated?): ")


def test_oversized_refused(good_sig, tmp_path):
    big = good_sig + b" " * (oms.MAX_SIGNATURE_BYTES - len(good_sig) + 1)
    assert (
        refused(big) == "model.sig is too large (1,048,577 bytes; a signature is at most 1,048,576)"
    )
    folder = make_model(tmp_path / "m")
    (folder / "model.sig").write_bytes(big)
    with pytest.raises(VerificationError, match="model.sig is too large"):
        oms.verify_folder(folder, {})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe{}", "model.sig is not UTF-8 text (it is UTF-16); save it as UTF-8"),
        (b"{\xff}", "model.sig is not UTF-8 text (bad byte at offset 1)"),
        (b"[]", "model.sig is not a JSON object but an array"),
        (b"   \n", "model.sig is empty"),
        (b'{"a": 1}', "model.sig is not a valid OMS signature: 'mediaType' is missing"),
    ],
)
def test_garbage_refused(data, message):
    assert refused(data) == message


def test_envelope_problems_refused(good_sig, key):
    bundle = json.loads(good_sig)
    bad = json.loads(good_sig)
    bad["dsseEnvelope"]["payload"] = "not base64!"
    assert refused(encode(bad)) == "model.sig: the DSSE payload is not valid base64"
    bad = json.loads(good_sig)
    bad["dsseEnvelope"]["payload"] = bad["dsseEnvelope"]["payload"].rstrip("=")[:-1]
    assert refused(encode(bad)) == "model.sig: the DSSE payload is not valid base64"
    bad = json.loads(good_sig)
    bad["dsseEnvelope"]["signatures"].append(dict(bad["dsseEnvelope"]["signatures"][0]))
    assert refused(encode(bad)) == "model.sig carries 2 signatures; exactly one is expected"
    bad = json.loads(good_sig)
    bad["dsseEnvelope"]["payloadType"] = "text/plain"
    assert refused(encode(bad)).startswith(
        "model.sig is not a valid OMS signature: dsseEnvelope/payloadType:"
    )
    bad = json.loads(good_sig)
    bad["mediaType"] = "application/vnd.dev.sigstore.bundle.v9+json"
    assert refused(encode(bad)).startswith(
        "model.sig has media type 'application/vnd.dev.sigstore.bundle.v9+json'"
    )
    bad = dict(bundle, extra=1)
    assert refused(encode(bad)).startswith(
        "model.sig is not a valid OMS signature: top level: Additional properties"
    )


def _statement_with(mutate) -> dict:
    statement = statement_for(digests_of(FILES))
    mutate(statement)
    resources = statement["predicate"]["resources"]
    # keep the root digest consistent so that the intended check is the one hit
    with contextlib.suppress(ValueError):
        statement["subject"][0]["digest"]["sha256"] = oms.root_digest(
            r["digest"] for r in resources
        )
    return statement


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda s: s["predicate"]["resources"][0].update(name="../evil"),
            "model.sig names a file by a non-canonical path '../evil'",
        ),
        (
            lambda s: s["predicate"]["resources"][0].update(name="/etc/passwd"),
            "model.sig names a file by a non-canonical path '/etc/passwd'",
        ),
        (
            lambda s: s["predicate"]["resources"][0].update(name="data//x"),
            "model.sig names a file by a non-canonical path 'data//x'",
        ),
        (
            lambda s: s["predicate"]["resources"].append(dict(s["predicate"]["resources"][0])),
            "model.sig lists 'card.md' twice",
        ),
        (lambda s: s["predicate"].update(resources=[]), "model.sig lists no files"),
        (
            lambda s: s["predicate"]["resources"][0].update(algorithm="blake2b"),
            "model.sig: 'card.md' is hashed with blake2b, but the signature says sha256",
        ),
        (
            lambda s: s["predicate"]["resources"][0].update(digest="abcd"),
            "model.sig: the digest of 'card.md' is not a sha256 digest",
        ),
        (
            lambda s: s["predicate"]["resources"][0].update(digest="Z" * 64),
            "the signed statement in model.sig is not valid: predicate/resources/0/digest: "
            "'ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ' does not match '^[0-9a-f]+$'",
        ),
        (
            lambda s: s["predicate"]["serialization"].pop("allow_symlinks"),
            "the signed statement in model.sig is not valid: predicate/serialization: 'allow_symlinks' is missing",
        ),
        (
            lambda s: s["predicate"]["serialization"]["ignore_paths"].append("../up"),
            "model.sig: ignore path '../up' points outside the model",
        ),
    ],
)
def test_bad_statements_refused(key, mutate, message):
    statement = _statement_with(mutate)
    assert refused(encode(bundle_for(json.dumps(statement).encode(), key))) == message


def test_inconsistent_root_digest_refused(key):
    statement = statement_for(digests_of(FILES))
    statement["subject"][0]["digest"]["sha256"] = "0" * 64
    assert refused(encode(bundle_for(json.dumps(statement).encode(), key))) == (
        "model.sig is inconsistent: its root digest does not match its file list"
    )


def test_unsupported_hash_refused_at_verification(tmp_path, key):
    folder = make_model(tmp_path / "m")
    statement = statement_for(digests_of(FILES))
    for r in statement["predicate"]["resources"]:
        r.update(algorithm="blake2b", digest="ab" * 64)
    statement["predicate"]["serialization"]["hash_type"] = "blake2b"
    statement["subject"][0]["digest"]["sha256"] = oms.root_digest(
        r["digest"] for r in statement["predicate"]["resources"]
    )
    (folder / "model.sig").write_bytes(encode(bundle_for(json.dumps(statement).encode(), key)))
    assert failure(folder, key) == (
        "model.sig uses files serialization with blake2b; Baton verifies per-file sha256 signatures only"
    )


# ------------------------------------------------------------------ hypothesis


@pytest.fixture(scope="module")
def flip_folder(key):
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_model(Path(tmp) / "m")
        oms.sign_folder(folder, key)
        yield folder


@settings(max_examples=12, deadline=None)
@given(
    name=st.sampled_from(sorted(FILES)),
    where=st.floats(min_value=0, max_value=1, exclude_max=True),
    mask=st.integers(min_value=1, max_value=255),
)
def test_any_flipped_byte_is_named(flip_folder, key, name, where, mask):
    path = flip_folder / name
    original = path.read_bytes()
    data = bytearray(original)
    data[int(where * len(data))] ^= mask
    path.write_bytes(bytes(data))
    try:
        with pytest.raises(VerificationError) as info:
            oms.verify_folder(flip_folder, key.public_key())
        assert str(info.value) == f"{name} was changed after signing"
        assert info.value.path == name
    finally:
        path.write_bytes(original)


# ------------------------------------------------------------- stock tool


def run_stock(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(STOCK), *args], capture_output=True, text=True, timeout=60)


def stock_sign(folder: Path, private: Path) -> subprocess.CompletedProcess:
    sig = str(folder / "model.sig")
    return run_stock("sign", "key", "--signature", sig, "--private_key", str(private), str(folder))


def stock_verify(folder: Path, public: Path) -> subprocess.CompletedProcess:
    sig = str(folder / "model.sig")
    return run_stock("verify", "key", "--signature", sig, "--public_key", str(public), str(folder))


@pytest.fixture
def key_files(tmp_path, key) -> tuple[Path, Path]:
    private = tmp_path / "key.pem"
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = tmp_path / "key.pub"
    public.write_bytes(keys.public_pem(key))
    return private, public


@needs_stock
def test_stock_tool_verifies_our_signature_and_refuses_tampering(signed, key_files):
    _, public = key_files
    ok = stock_verify(signed, public)
    assert ok.returncode == 0, ok.stderr
    assert "Verification succeeded" in ok.stdout
    (signed / "data" / "test.parquet").write_bytes(b"tampered")
    bad = stock_verify(signed, public)
    assert bad.returncode != 0
    # its message is a Python list repr, so the quoting around the name varies
    assert "Hash mismatch for " in bad.stderr and "data/test.parquet" in bad.stderr


@needs_stock
def test_we_verify_the_stock_tools_signature(model, key, key_files):
    private, _ = key_files
    (model / ".gitignore").write_text("*.pyc\n")
    done = stock_sign(model, private)
    assert done.returncode == 0, done.stderr
    parsed = oms.parse_signature((model / "model.sig").read_bytes())
    # what the stock tool records: the git defaults and the signature file itself
    assert sorted(parsed.ignore_paths) == [
        ".git",
        ".gitattributes",
        ".github",
        ".gitignore",
        "model.sig",
    ]
    assert parsed.key_fingerprint == keys.fingerprint(key)
    result = oms.verify_folder(model, key.public_key())
    assert result.digests == digests_of(FILES)
    assert result.model_name == model.name
    # the digests and root digest are exactly ours for the same files
    ours = oms.build_statement(
        oms.hash_tree(model, oms.default_ignore_paths()), model_name=model.name
    )
    assert result.root_digest == ours["subject"][0]["digest"]["sha256"]
    (model / "card.md").write_text("tampered")
    assert failure(model, key) == "card.md was changed after signing"


@needs_stock
def test_stock_ordering_differs_from_code_point_yet_both_verify(tmp_path, key, key_files):
    # The stock tool orders "a/b" before "a-c" (by path parts); the spec says by code
    # point. Both orders must verify in both directions.
    private, public = key_files
    files = {"a/b": b"1", "a-c": b"2"}
    theirs = make_model(tmp_path / "theirs", files)
    assert stock_sign(theirs, private).returncode == 0
    assert list(oms.read_signature(theirs / "model.sig").digests) == ["a/b", "a-c"]
    assert oms.verify_folder(theirs, key.public_key()).file_count == 2
    ours = make_model(tmp_path / "ours", files)
    oms.sign_folder(ours, key)
    assert list(oms.read_signature(ours / "model.sig").digests) == ["a-c", "a/b"]
    ok = stock_verify(ours, public)
    assert ok.returncode == 0, ok.stderr


def test_no_runtime_dependency_on_model_signing():
    code = (
        "import sys; sys.modules['model_signing'] = None\n"
        "from baton.core.handover import keys, oms\n"
        "k = keys.generate_key(); s = oms.sign_statement(oms.build_statement({'a': '00' * 32}), k)\n"
        "p = oms.parse_signature(s); oms.verify_signature(p, k.public_key())\n"
        "assert 'model_signing' not in [m.split('.')[0] for m in sys.modules if sys.modules[m] is not None]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
