"""The OMS signature file (``model.sig``): the in-toto statement, its DSSE envelope and
the Sigstore bundle around it, written and signed, then read back strictly against the
OMS schemas before anything in it is trusted."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path, PurePosixPath
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from baton.core import jsonsafe
from baton.core.errors import (
    BatonError,
    KeyError_,
    UsageError,
    VerificationError,
)
from baton.core.handover.keys import fingerprint
from baton.core.handover.oms_hashing import (
    OPEN_FLAGS,
    SIGNATURE_NAME,
    default_ignore_paths,
    is_canonical,
    root_digest,
)
from baton.core.lean_jsonschema import jsonschema

PREDICATE_TYPE = "https://model_signing/signature/v1.0"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"


# Sigstore bundle media types that can carry a DSSE envelope (v0.1 and v0.2 used the
# "+json;version=" spelling). We always write v0.3.
ACCEPTED_MEDIA_TYPES = frozenset(
    {
        BUNDLE_MEDIA_TYPE,
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
    }
)


# A signature lists one line per file; 1 MiB is thousands of files, far more than a bundle.
MAX_SIGNATURE_BYTES = 1 << 20
_HEX_LENGTH = {"sha256": 64, "blake2b": 128, "blake3": 64}
_FINGERPRINT_RE = re.compile(r"[0-9a-f]{64}")
_SCHEMA_FILES = ("bundle", "envelope", "statement", "predicate")


@functools.cache
def _schemas() -> dict[str, dict[str, Any]]:
    base = files("baton.resources").joinpath("schemas", "oms")
    return {
        name: json.loads(base.joinpath(f"{name}.schema.json").read_text("utf-8"))
        for name in _SCHEMA_FILES
    }


@functools.cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for one OMS schema whose ``$ref``s resolve locally, never over the network."""
    schemas = _schemas()
    registry: Registry = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
        for schema in schemas.values()
    )
    return jsonschema.Draft202012Validator(schemas[name], registry=registry)


def _clip(text: str, limit: int = 160) -> str:
    """Shorten text from a hostile file for a one-line message; no control characters."""
    text = "".join(c if c.isprintable() else " " if c in "\r\n\t" else "?" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _schema_problem(validator: jsonschema.Draft202012Validator, instance: Any) -> str | None:
    """One readable line for the most relevant schema violation, or None if valid."""
    errors = list(validator.iter_errors(instance))
    if not errors:
        return None
    err = jsonschema.exceptions.best_match(errors)
    # best_match descends into anyOf branches and may blame an arbitrary one; name the
    # top-level alternative instead.
    top = min(errors, key=lambda e: len(e.absolute_path))
    if top.validator in ("anyOf", "oneOf") and len(top.absolute_path) <= len(err.absolute_path):
        err = top
    where = "/".join(str(p) for p in err.absolute_path) or "top level"
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return (
            f"'{missing}' is missing"
            if not err.absolute_path
            else f"{where}: '{missing}' is missing"
        )
    if err.validator in ("anyOf", "oneOf"):
        if tuple(err.absolute_path) == ("verificationMaterial",):
            return (
                "verificationMaterial holds no usable key material "
                "(a publicKey, an x509CertificateChain, or a certificate with tlogEntries)"
            )
        if tuple(err.absolute_path)[-1:] == ("publicKey",):
            return f"{where}: has neither 'hint' nor 'rawBytes'"
        return f"{where}: does not match any allowed form"
    return f"{where}: {_clip(err.message)}"


def build_statement(
    digests: Mapping[str, str],
    *,
    model_name: str = "model",
    ignore_paths: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The in-toto Statement v1 with the OMS v1.0 predicate for ``{path: sha256 hex}``.

    ``ignore_paths`` (recorded in ``serialization``) defaults to
    :func:`default_ignore_paths`; an empty list omits the field, as the stock tool does.
    """
    if not digests:
        raise UsageError("nothing to sign: the model holds no files")
    if not model_name:
        raise UsageError("the model name in a signature cannot be empty")
    resources = []
    for name in sorted(digests):
        digest = digests[name]
        if not is_canonical(name):
            raise UsageError(f"{name!r} is not a relative path inside the model")
        if (
            not isinstance(digest, str)
            or len(digest) != 64
            or not re.fullmatch(r"[0-9a-f]+", digest)
        ):
            raise UsageError(f"the digest of {name} is not a lowercase hex SHA-256")
        resources.append({"name": name, "digest": digest, "algorithm": "sha256"})
    ignored = default_ignore_paths() if ignore_paths is None else sorted(set(ignore_paths))
    serialization_: dict[str, Any] = {
        "method": "files",
        "hash_type": "sha256",
        "allow_symlinks": False,
    }
    if ignored:
        serialization_["ignore_paths"] = ignored
    return {
        "_type": STATEMENT_TYPE,
        "subject": [
            {"name": model_name, "digest": {"sha256": root_digest(r["digest"] for r in resources)}}
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": {"resources": resources, "serialization": serialization_},
    }


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 Pre-Authentication Encoding: the exact bytes that are signed."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def signature_hash(curve: ec.EllipticCurve) -> hashes.HashAlgorithm:
    # The pairing used by the stock tool and Sigstore's algorithm registry.
    match curve.name:
        case "secp256r1":
            return hashes.SHA256()
        case "secp384r1":
            return hashes.SHA384()
        case "secp521r1":
            return hashes.SHA512()
    raise KeyError_(f"unsupported elliptic curve {curve.name}; OMS keys are P-256, P-384 or P-521")


def sign_statement(statement: Mapping[str, Any], private_key: ec.EllipticCurvePrivateKey) -> bytes:
    """The ``model.sig`` bytes for ``statement``, signed with ``private_key``."""
    if not isinstance(private_key, ec.EllipticCurvePrivateKey):
        raise KeyError_("OMS key signatures need an elliptic-curve private key")
    payload = json.dumps(
        statement, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")
    der = private_key.sign(pae(PAYLOAD_TYPE, payload), ec.ECDSA(signature_hash(private_key.curve)))
    bundle = {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": {
            "publicKey": {"hint": fingerprint(private_key.public_key())},
            "tlogEntries": [],
        },
        "dsseEnvelope": {
            "payload": base64.b64encode(payload).decode("ascii"),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{"sig": base64.b64encode(der).decode("ascii"), "keyid": ""}],
        },
    }
    # The spec asks producers to validate their output; a failure here is a bug.
    for name, instance in (("bundle", bundle), ("statement", statement)):
        problem = _schema_problem(_validator(name), instance)
        if problem:
            raise BatonError(
                f"internal error: the signature does not follow the OMS {name} schema: {problem}"
            )
    return json.dumps(bundle, indent=2).encode("ascii") + b"\n"


def _b64decode(text: Any, what: str) -> bytes:
    """Strict base64: standard or URL-safe alphabet (DSSE allows both), padded, nothing else."""
    if not isinstance(text, str) or not text.isascii():
        raise VerificationError(f"{what} is not base64")
    if "-" in text or "_" in text:
        if "+" in text or "/" in text:
            raise VerificationError(f"{what} mixes two base64 alphabets")
        text = text.translate(str.maketrans("-_", "+/"))
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VerificationError(f"{what} is not valid base64") from None


def _load_raw_public_key(raw: bytes, source: str) -> ec.EllipticCurvePublicKey:
    try:
        key = (
            serialization.load_pem_public_key(raw)
            if raw.lstrip().startswith(b"-----BEGIN")
            else serialization.load_der_public_key(raw)
        )
    except (ValueError, TypeError, UnicodeError):
        raise VerificationError(f"{source}: publicKey.rawBytes is not a public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise VerificationError(f"{source}: publicKey.rawBytes is not an elliptic-curve key")
    return key


@dataclass(frozen=True)
class ParsedSignature:
    """A ``model.sig`` that passed every structural check; its signature is not yet checked.

    ``key_fingerprint`` (lowercase hex, the OMS hint) identifies the signing key for a
    trust-store lookup; it is None for non-key methods or an unrecognised hint.
    ``digests`` maps each signed path to its hex digest, in the order of the file.
    """

    source: str
    bundle: Mapping[str, Any]
    method: str  # "key", "certificate" or "sigstore"
    key_fingerprint: str | None
    key_hint: str | None  # as written in the file (hint form) or None (rawBytes form)
    payload_type: str
    payload: bytes
    signature: bytes
    statement: Mapping[str, Any]
    digests: Mapping[str, str] = field(repr=False)

    @property
    def model_name(self) -> str:
        return str(self.statement["subject"][0]["name"])

    @property
    def root_digest(self) -> str:
        return str(self.statement["subject"][0]["digest"]["sha256"])

    @property
    def serialization(self) -> Mapping[str, Any]:
        return self.statement["predicate"]["serialization"]

    @property
    def ignore_paths(self) -> tuple[str, ...]:
        return tuple(self.serialization.get("ignore_paths", ()))


def parse_signature(
    data: bytes,
    *,
    source: str = SIGNATURE_NAME,
    max_bytes: int = MAX_SIGNATURE_BYTES,
) -> ParsedSignature:
    """Strictly parse ``model.sig`` bytes: size, UTF-8, JSON, the four OMS schemas.

    Refuses duplicate JSON keys, NaN/Infinity, non-canonical or duplicate file names,
    a root digest that does not match the file list, and more than one signature.
    Every failure is a :class:`VerificationError` naming ``source`` and the reason.
    The DSSE signature itself is checked later by :func:`verify_signature`.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("parse_signature expects bytes")
    data = bytes(data)
    if len(data) > max_bytes:
        raise VerificationError(
            f"{source} is too large ({len(data):,} bytes; a signature is at most {max_bytes:,})",
            path=source,
        )
    bundle = jsonsafe.loads(data, source=source, max_bytes=max_bytes)
    problem = _schema_problem(_validator("bundle"), bundle)
    if problem:
        raise VerificationError(f"{source} is not a valid OMS signature: {problem}", path=source)
    media_type = bundle["mediaType"]
    if media_type not in ACCEPTED_MEDIA_TYPES:
        raise VerificationError(
            f"{source} has media type {_clip(media_type, 80)!r}; expected {BUNDLE_MEDIA_TYPE!r}",
            path=source,
        )

    material = bundle["verificationMaterial"]
    kinds = [k for k in ("publicKey", "x509CertificateChain", "certificate") if k in material]
    if len(kinds) != 1:
        raise VerificationError(
            f"{source} names more than one kind of signer ({', '.join(kinds)})", path=source
        )
    method = {"publicKey": "key", "x509CertificateChain": "certificate", "certificate": "sigstore"}[
        kinds[0]
    ]
    key_fingerprint: str | None = None
    key_hint: str | None = None
    if method == "key":
        ident = material["publicKey"]
        if "rawBytes" in ident:
            # Pre-v1.1.0 bundles carry the key itself; we use it only to derive the
            # fingerprint, and still take the key from the trust store.
            raw = _b64decode(ident["rawBytes"], f"{source}: publicKey.rawBytes")
            key_fingerprint = fingerprint(_load_raw_public_key(raw, source))
        if "hint" in ident:
            key_hint = ident["hint"]
            normal = key_hint.lower()
            hinted = normal if _FINGERPRINT_RE.fullmatch(normal) else None
            if key_fingerprint is not None and hinted != key_fingerprint:
                raise VerificationError(
                    f"{source}: publicKey.hint does not match publicKey.rawBytes", path=source
                )
            key_fingerprint = hinted

    envelope = bundle["dsseEnvelope"]
    if len(envelope["signatures"]) != 1:
        raise VerificationError(
            f"{source} carries {len(envelope['signatures'])} signatures; exactly one is expected",
            path=source,
        )
    signature = _b64decode(envelope["signatures"][0]["sig"], f"{source}: the signature")
    payload = _b64decode(envelope["payload"], f"{source}: the DSSE payload")
    statement = jsonsafe.loads(payload, source=f"the signed statement in {source}", path=source)
    for key, expected in (("_type", STATEMENT_TYPE), ("predicateType", PREDICATE_TYPE)):
        found = statement.get(key)
        if found != expected:
            shown = _clip(found, 80) if isinstance(found, str) else found
            raise VerificationError(
                f"{source} does not hold an OMS model signature: {key} is {shown!r}, expected {expected!r}",
                path=source,
            )
    problem = _schema_problem(_validator("statement"), statement)
    if problem:
        raise VerificationError(
            f"the signed statement in {source} is not valid: {problem}", path=source
        )

    digests = _check_manifest_shape(statement, source)
    return ParsedSignature(
        source=source,
        bundle=bundle,
        method=method,
        key_fingerprint=key_fingerprint,
        key_hint=key_hint,
        payload_type=envelope["payloadType"],
        payload=payload,
        signature=signature,
        statement=statement,
        digests=digests,
    )


def _check_manifest_shape(statement: Mapping[str, Any], source: str) -> dict[str, str]:
    """Checks the schemas cannot express; returns ``{name: digest}`` in file order."""
    predicate = statement["predicate"]
    ser = predicate["serialization"]
    hash_type = ser["hash_type"]
    resources = predicate["resources"]
    if not resources:
        raise VerificationError(f"{source} lists no files", path=source)
    if ser["method"] == "files" and "shard_size" in ser:
        raise VerificationError(
            f"{source}: shard_size is set but the method is 'files'", path=source
        )
    for p in ser.get("ignore_paths", ()):
        if PurePosixPath(p).is_absolute() or ".." in p.split("/"):
            raise VerificationError(
                f"{source}: ignore path {_clip(p, 80)!r} points outside the model", path=source
            )
    digests: dict[str, str] = {}
    for res in resources:
        name, digest, algorithm = res["name"], res["digest"], res["algorithm"]
        shown = _clip(repr(name), 100)
        if ser["method"] == "files" and not is_canonical(name):
            raise VerificationError(
                f"{source} names a file by a non-canonical path {shown}", path=source
            )
        if name in digests:
            raise VerificationError(f"{source} lists {shown} twice", path=source)
        if algorithm != hash_type:
            raise VerificationError(
                f"{source}: {shown} is hashed with {algorithm}, but the signature says {hash_type}",
                path=source,
            )
        if len(digest) != _HEX_LENGTH[algorithm]:
            raise VerificationError(
                f"{source}: the digest of {shown} is not a {algorithm} digest", path=source
            )
        digests[name] = digest
    subject_digest = statement["subject"][0]["digest"].get("sha256")
    if subject_digest is None:
        raise VerificationError(f"{source}: the subject has no sha256 root digest", path=source)
    if root_digest(digests.values()) != subject_digest:
        raise VerificationError(
            f"{source} is inconsistent: its root digest does not match its file list", path=source
        )
    return digests


def read_signature(
    path: str | os.PathLike[str],
    *,
    source: str | None = None,
    max_bytes: int = MAX_SIGNATURE_BYTES,
) -> ParsedSignature:
    """Read and parse a signature file; refuses symbolic links and oversized files."""
    path = Path(path)
    source = source or path.name
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise VerificationError(
            f"{source} is missing: {path.parent} is not signed", path=source
        ) from None
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        raise VerificationError(f"{source} is not a regular file", path=source)
    if st.st_size > max_bytes:
        raise VerificationError(
            f"{source} is too large ({st.st_size:,} bytes; a signature is at most {max_bytes:,})",
            path=source,
        )
    fd = os.open(path, OPEN_FLAGS)
    with open(fd, "rb", closefd=True) as fh:
        data = fh.read(max_bytes + 1)
    return parse_signature(data, source=source, max_bytes=max_bytes)
