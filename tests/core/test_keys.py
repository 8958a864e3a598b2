"""Signing keys as files: generation, passphrase protection, fingerprints, passphrases."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from baton.core.errors import KeyError_, MissingFile
from baton.core.handover import keys
from baton.core.present import format_fingerprint


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return keys.generate_key()


def test_generate_key_is_p256(key):
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.curve.name == "secp256r1"


def test_save_and_load_round_trip(tmp_path, key):
    path = tmp_path / "me.key"
    keys.save_private_key(key, path, "correct horse")
    pem = path.read_bytes()
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert b"BEGIN EC PRIVATE KEY" not in pem
    loaded = keys.load_private_key(path, "correct horse")
    assert keys.public_pem(loaded) == keys.public_pem(key)
    # no temp file left beside the key
    assert sorted(p.name for p in tmp_path.iterdir()) == ["me.key"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_saved_key_is_owner_only(tmp_path, key):
    path = tmp_path / "keys" / "me.key"
    old = os.umask(0)
    try:
        keys.save_private_key(key, path, b"pw")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_wrong_passphrase_names_the_file(tmp_path, key):
    path = tmp_path / "me.key"
    keys.save_private_key(key, path, "right")
    with pytest.raises(KeyError_) as info:
        keys.load_private_key(path, "wrong")
    assert str(info.value) == f"wrong passphrase for {path}"
    with pytest.raises(KeyError_) as info:
        keys.load_private_key(path, "")
    assert str(info.value) == f"no passphrase given for {path}"


def test_save_refuses_to_replace_a_key_unless_asked(tmp_path, key):
    path = tmp_path / "me.key"
    keys.save_private_key(key, path, "pw")
    other = keys.generate_key()
    with pytest.raises(KeyError_, match="a signing key already exists at"):
        keys.save_private_key(other, path, "pw")
    assert keys.public_pem(keys.load_private_key(path, "pw")) == keys.public_pem(key)
    keys.save_private_key(other, path, "pw", overwrite=True)
    assert keys.public_pem(keys.load_private_key(path, "pw")) == keys.public_pem(other)


def test_empty_passphrase_refused(tmp_path, key):
    with pytest.raises(KeyError_, match="an empty passphrase cannot protect"):
        keys.save_private_key(key, tmp_path / "k", "")
    assert not (tmp_path / "k").exists()


def test_load_missing_and_garbage(tmp_path):
    with pytest.raises(MissingFile, match=r"no signing key at .*nope\.key"):
        keys.load_private_key(tmp_path / "nope.key", "pw")
    junk = tmp_path / "junk.key"
    junk.write_bytes(b"not a key at all")
    with pytest.raises(KeyError_, match="is not a PEM private key"):
        keys.load_private_key(junk, "pw")


def test_load_refuses_other_key_types(tmp_path):
    path = tmp_path / "rsa.key"
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        rsa_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        )
    )
    with pytest.raises(
        KeyError_, match=r"holds an unsupported key \(RSA 2048-bit\); Baton signs with ECDSA P-256"
    ):
        keys.load_private_key(path, "pw")
    p384 = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(KeyError_, match="secp384r1"):
        keys.save_private_key(p384, tmp_path / "p384.key", "pw")


def test_public_pem_and_fingerprint(key):
    pem = keys.public_pem(key)
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----\n")
    fp = keys.fingerprint(key.public_key())
    assert fp == hashlib.sha256(pem).hexdigest()
    assert len(fp) == 64 and fp == fp.lower()
    # the same fingerprint from the private key, the PEM bytes, the PEM text, or a
    # PEM with Windows line endings
    assert keys.fingerprint(key) == fp
    assert keys.fingerprint(pem) == fp
    assert keys.fingerprint(pem.decode()) == fp
    assert keys.fingerprint(pem.replace(b"\n", b"\r\n")) == fp


def test_fingerprint_of_garbage():
    with pytest.raises(KeyError_, match="not a PEM public key"):
        keys.fingerprint(b"hello")


def test_format_fingerprint():
    fp = "0123456789abcdef" * 4
    assert format_fingerprint(fp) == (
        "0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567 89AB CDEF"
    )
    assert format_fingerprint("ABCD EF01 23") == "ABCD EF01 23"


def test_load_public_pem(key):
    loaded = keys.load_public_pem(keys.public_pem(key))
    assert keys.fingerprint(loaded) == keys.fingerprint(key)


def test_load_public_pem_refuses_keys_oms_does_not_allow():
    rsa_pub = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pem = rsa_pub.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(KeyError_) as info:
        keys.load_public_pem(pem, source="alice.pub")
    assert str(info.value) == (
        "alice.pub is not an ECDSA key (RSA 2048-bit); Baton accepts ECDSA P-256, P-384 and "
        "P-521 keys only"
    )
    k1 = ec.generate_private_key(ec.SECP256K1()).public_key()
    with pytest.raises(KeyError_) as info:
        keys.load_public_pem(
            k1.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            source="bob.pub",
        )
    assert str(info.value) == (
        "bob.pub is not an ECDSA P-256, P-384 or P-521 key (elliptic-curve secp256k1); "
        "Baton accepts those OpenSSF Model Signing curves only"
    )
    for curve in (ec.SECP384R1(), ec.SECP521R1()):  # OMS allows them: verifiable
        public = ec.generate_private_key(curve).public_key()
        pem = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert keys.load_public_pem(pem).curve.name == curve.name
    ed = ed25519.Ed25519PrivateKey.generate().public_key()
    with pytest.raises(KeyError_, match=r"\(Ed25519\)"):
        keys.load_public_pem(
            ed.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


def test_load_public_pem_refuses_garbage_and_private_keys(key):
    with pytest.raises(KeyError_, match="^public key is not a PEM public key$"):
        keys.load_public_pem(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyError_, match="is a private key; share only the public key"):
        keys.load_public_pem(private_pem)


def test_load_public_key_file(tmp_path, key):
    path = tmp_path / "me.pub"
    path.write_bytes(keys.public_pem(key))
    assert keys.fingerprint(keys.load_public_key_file(path)) == keys.fingerprint(key)
    with pytest.raises(MissingFile, match="no public key at"):
        keys.load_public_key_file(tmp_path / "missing.pub")


# -------------------------------------------------------------- resolve_passphrase


def test_passphrase_from_file_first_line(tmp_path):
    path = tmp_path / "pass.txt"
    path.write_bytes(b"  spaced secret \r\nsecond line\n")
    assert keys.resolve_passphrase(path, env={"BATON_PASSPHRASE": "from-env"}) == "  spaced secret "
    path.write_text("only\n")
    assert keys.resolve_passphrase(str(path), env={}) == "only"
    path.write_text("no newline")
    assert keys.resolve_passphrase(path, env={}) == "no newline"


def test_passphrase_file_problems(tmp_path):
    with pytest.raises(MissingFile, match="no passphrase file at"):
        keys.resolve_passphrase(tmp_path / "missing", env={})
    empty = tmp_path / "empty"
    empty.write_text("\nsecret on line two\n")
    with pytest.raises(KeyError_, match="has an empty first line"):
        keys.resolve_passphrase(empty, env={})


def test_passphrase_from_env_then_prompt():
    assert keys.resolve_passphrase(env={"BATON_PASSPHRASE": "s3cret"}) == "s3cret"
    assert keys.resolve_passphrase(env={"BATON_PASSPHRASE": ""}, prompt=lambda: "typed") == "typed"
    assert keys.resolve_passphrase(env={}, prompt=lambda: "typed") == "typed"
    with pytest.raises(KeyError_, match="no passphrase was entered"):
        keys.resolve_passphrase(env={}, prompt=lambda: "")


def test_no_passphrase_source():
    with pytest.raises(KeyError_) as info:
        keys.resolve_passphrase(env={})
    assert str(info.value) == (
        "a passphrase is needed for the signing key: use --passphrase-file FILE or set BATON_PASSPHRASE"
    )
