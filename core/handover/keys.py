"""Signing keys as files: ECDSA P-256, passphrase-protected PKCS#8 PEM.

A person's identity in Baton is a key pair. The private key lives in one file,
encrypted with a passphrase; the public key travels as PEM. A key is named by its
*fingerprint*: the hex SHA-256 of its PEM public key bytes, which is exactly the
``verificationMaterial.publicKey.hint`` an OMS v1.0 signature carries, so a trust store
can find the signer of a ``model.sig`` by that hint. The trust store itself (trusted and
revoked colleagues) lives in the catalog, not here.

Passphrases come from ``--passphrase-file`` (first line), else ``BATON_PASSPHRASE``,
else an interactive prompt; see :func:`resolve_passphrase`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeAlias

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from baton.core.errors import KeyError_, MissingFile
from baton.core.fsutil import atomic_writer

PASSPHRASE_ENV = "BATON_PASSPHRASE"
CURVE_NAME = "secp256r1"
# The curves OpenSSF Model Signing allows: a signature made with any of them (e.g. by the
# stock model_signing tool) verifies; Baton's own keys stay P-256.
VERIFY_CURVES = ("secp256r1", "secp384r1", "secp521r1")
# A passphrase file or a PEM key is small; refusing big inputs keeps a wrong path
# (a dataset, a device) from being read into memory.
_MAX_KEY_FILE_BYTES = 64 * 1024
_MAX_PASSPHRASE_FILE_BYTES = 64 * 1024

PublicKeyLike: TypeAlias = ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey | bytes | str


def generate_key() -> ec.EllipticCurvePrivateKey:
    """A fresh ECDSA P-256 signing key."""
    return ec.generate_private_key(ec.SECP256R1())


def _passphrase_bytes(
    passphrase: str | bytes, path: str | os.PathLike[str], *, loading: bool = False
) -> bytes:
    data = passphrase.encode("utf-8") if isinstance(passphrase, str) else bytes(passphrase)
    if not data and loading:
        raise KeyError_(f"no passphrase given for {path}", path=str(path))
    if not data:
        raise KeyError_(
            f"an empty passphrase cannot protect the signing key {path}", path=str(path)
        )
    return data


def save_private_key(
    key: ec.EllipticCurvePrivateKey,
    path: str | os.PathLike[str],
    passphrase: str | bytes,
    *,
    overwrite: bool = False,
) -> None:
    """Write ``key`` as passphrase-encrypted PKCS#8 PEM, atomically, readable by owner only.

    Refuses to replace an existing file unless ``overwrite``: losing a signing key
    cannot be undone.
    """
    path = Path(path)
    _check_p256(key.public_key(), str(path))
    secret = _passphrase_bytes(passphrase, path)
    if path.exists() and not overwrite:
        raise KeyError_(f"a signing key already exists at {path}; not replacing it", path=str(path))
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(secret),
    )
    # atomic_writer creates its temp file with mode 0600 (mkstemp), so the key is
    # never readable by others, not even for a moment.
    with atomic_writer(path, mode=0o600) as fh:
        fh.write(pem)


def _read_small(path: Path, limit: int, what: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise MissingFile(path, f"no {what} at {path}") from None
    except IsADirectoryError:
        raise KeyError_(f"{path} is a folder, not a {what}", path=str(path)) from None
    except OSError as err:
        raise KeyError_(f"cannot read the {what} {path}: {err.strerror}", path=str(path)) from None
    if len(data) > limit:
        raise KeyError_(f"{path} is too large to be a {what}", path=str(path))
    return data


def load_private_key(
    path: str | os.PathLike[str], passphrase: str | bytes
) -> ec.EllipticCurvePrivateKey:
    """Read a signing key written by :func:`save_private_key`.

    A wrong passphrase raises :class:`KeyError_` "wrong passphrase for <path>".
    """
    path = Path(path)
    data = _read_small(path, _MAX_KEY_FILE_BYTES, "signing key")
    secret = _passphrase_bytes(passphrase, path, loading=True)
    encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data
    try:
        if encrypted:
            key = serialization.load_pem_private_key(data, password=secret)
        else:
            # An unencrypted key is readable without a passphrase; accept it but never
            # write one (save_private_key always encrypts).
            key = serialization.load_pem_private_key(data, password=None)
    except ValueError:
        if encrypted:
            raise KeyError_(f"wrong passphrase for {path}", path=str(path)) from None
        raise KeyError_(f"{path} is not a PEM private key", path=str(path)) from None
    except (TypeError, UnicodeError):
        raise KeyError_(f"{path} is not a PEM private key", path=str(path)) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyError_(
            f"{path} holds an unsupported key ({_describe_key(key)}); Baton signs with ECDSA P-256 keys only",
            path=str(path),
        )
    _check_p256(key.public_key(), str(path))
    return key


def public_pem(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    """The PEM (SubjectPublicKeyInfo) bytes of a key's public half."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        key = key.public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _describe_key(key: object) -> str:
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return f"elliptic-curve {key.curve.name}"
    size = getattr(key, "key_size", None)
    kind = type(key).__name__.removeprefix("_").replace("PublicKey", "").replace("PrivateKey", "")
    return f"{kind} {size}-bit" if size else kind or "unknown"


def _check_p256(key: ec.EllipticCurvePublicKey, where: str) -> None:
    if key.curve.name != CURVE_NAME:
        raise KeyError_(
            f"{where} holds an elliptic-curve {key.curve.name} key; "
            "Baton uses ECDSA P-256 (secp256r1) keys only",
            path=where,
        )


def load_public_pem(data: bytes | str, *, source: str = "public key") -> ec.EllipticCurvePublicKey:
    """Parse a PEM public key, refusing anything but ECDSA on an OMS curve (P-256, P-384,
    P-521) with a clear message."""
    raw = data.encode("ascii", "replace") if isinstance(data, str) else bytes(data)
    if len(raw) > _MAX_KEY_FILE_BYTES:
        raise KeyError_(f"{source} is too large to be a PEM public key")
    if b"PRIVATE KEY-----" in raw:
        raise KeyError_(f"{source} is a private key; share only the public key (PEM)")
    try:
        key = serialization.load_pem_public_key(raw)
    except (ValueError, TypeError, UnicodeError):
        raise KeyError_(f"{source} is not a PEM public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise KeyError_(
            f"{source} is not an ECDSA key ({_describe_key(key)}); Baton accepts ECDSA "
            "P-256, P-384 and P-521 keys only"
        )
    if key.curve.name not in VERIFY_CURVES:
        raise KeyError_(
            f"{source} is not an ECDSA P-256, P-384 or P-521 key (elliptic-curve "
            f"{key.curve.name}); Baton accepts those OpenSSF Model Signing curves only"
        )
    return key


def load_public_key_file(path: str | os.PathLike[str]) -> ec.EllipticCurvePublicKey:
    """Read a ``.pub`` PEM file (see :func:`load_public_pem`)."""
    path = Path(path)
    return load_public_pem(_read_small(path, _MAX_KEY_FILE_BYTES, "public key"), source=str(path))


def fingerprint(key: PublicKeyLike) -> str:
    """Hex SHA-256 of the key's PEM public key bytes: the OMS ``publicKey.hint``.

    PEM text is re-serialised first, so the same key always gets the same
    fingerprint whatever line endings or wrapping its file used.
    """
    public: Any
    if isinstance(key, bytes | str):
        raw = key.encode("ascii", "replace") if isinstance(key, str) else key
        try:
            public = serialization.load_pem_public_key(raw)
        except (ValueError, TypeError, UnicodeError):
            raise KeyError_("cannot compute a fingerprint: not a PEM public key") from None
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        public = key.public_key()
    else:
        public = key
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(pem).hexdigest()


def resolve_passphrase(
    passphrase_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] = os.environ,
    prompt: Callable[[], str] | None = None,
) -> str:
    """The passphrase for the signing key, from the first source that has one.

    1. ``passphrase_file`` (``--passphrase-file``): its first line, without the newline;
    2. the ``BATON_PASSPHRASE`` environment variable (an empty value counts as unset);
    3. ``prompt()`` (the CLI asks on the terminal, the GUI shows a dialog).

    Raises :class:`KeyError_` when no source gives a non-empty passphrase.
    """
    if passphrase_file is not None:
        path = Path(passphrase_file)
        data = _read_small(path, _MAX_PASSPHRASE_FILE_BYTES, "passphrase file")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise KeyError_(
                f"the passphrase file {path} is not UTF-8 text", path=str(path)
            ) from None
        first = text.split("\n", 1)[0].removesuffix("\r")
        if not first:
            raise KeyError_(f"the passphrase file {path} has an empty first line", path=str(path))
        return first
    value = env.get(PASSPHRASE_ENV)
    if value:
        return value
    if prompt is not None:
        answer = prompt()
        if not answer:
            raise KeyError_("no passphrase was entered")
        return answer
    raise KeyError_(
        f"a passphrase is needed for the signing key: use --passphrase-file FILE or set {PASSPHRASE_ENV}"
    )
