"""OpenSSF Model Signing (OMS) v1.0, "key" method: sign a folder, verify a folder.

``model.sig`` is a Sigstore bundle v0.3 (JSON) holding a DSSE envelope whose payload is
an in-toto Statement v1 with predicate type ``https://model_signing/signature/v1.0``::

    {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
     "verificationMaterial": {"publicKey": {"hint": <hex sha256 of the PEM public key>},
                              "tlogEntries": []},
     "dsseEnvelope": {"payload": <base64 statement>,
                      "payloadType": "application/vnd.in-toto+json",
                      "signatures": [{"sig": <base64 DER ECDSA over PAE>, "keyid": ""}]}}

The statement lists every regular file (``resources``: name, sha256 digest, algorithm),
sorted by code point, with ``serialization = {method: files, hash_type: sha256,
allow_symlinks: false, ignore_paths: [...]}``; its single subject is the folder name
and the *root digest*: SHA-256 over the concatenated raw file digests, in list order.

Compatibility with the stock ``model_signing`` 1.x tool (checked by the tests, which run
it as a subprocess; it is not a runtime dependency):

- ``ignore_paths`` records what was left out: the OMS defaults (``.git``,
  ``.gitattributes``, ``.github``, ``.gitignore``, top level only) and the signature
  file itself, as the stock signer does;
- the stock signer orders resources by path components (``a/b`` before ``a-c``) rather
  than by code point, and computes the root digest in *its* list order. The verifier
  therefore recomputes the root digest over the order found in the file and does not
  insist on a particular order; it does refuse duplicate or non-canonical names;
- the stock verifier checks only the first DSSE signature; this one refuses envelopes
  with more than one, since the key method names exactly one key.

Verification is split into steps so the bundle reader can put its own checks between
them (DESIGN.md section 3): :func:`parse_signature` (strict, size-capped) →
:func:`lookup_key` (trust store by fingerprint) → :func:`verify_signature` (DSSE over the
exact payload bytes) → hash the members → :func:`compare_manifest`.
:func:`verify_folder` runs them all on an extracted folder.

The JSON schemas in ``resources/schemas/oms/`` are the OMS v1.0 schemas, copied
unchanged with their Apache-2.0 licence.

This module signs and verifies folders and is OMS's API; :mod:`~baton.core.handover.oms_hashing`
hashes the folder and :mod:`~baton.core.handover.oms_envelope` writes and reads ``model.sig``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

from baton.core.errors import (
    KeyError_,
    UntrustedSigner,
    UsageError,
    VerificationError,
)
from baton.core.fsutil import atomic_write_bytes
from baton.core.handover.keys import fingerprint, load_public_pem
from baton.core.handover.oms_envelope import (
    ACCEPTED_MEDIA_TYPES,
    BUNDLE_MEDIA_TYPE,
    MAX_SIGNATURE_BYTES,
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    ParsedSignature,
    build_statement,
    pae,
    parse_signature,
    read_signature,
    sign_statement,
    signature_hash,
)
from baton.core.handover.oms_hashing import (
    DEFAULT_IGNORE_PATHS,
    READ_CHUNK,
    SIGNATURE_NAME,
    check_folder,
    default_ignore_paths,
    default_workers,
    enumerate_files,
    hash_files,
    hash_tree,
    ignore_set,
    is_canonical,
    is_ignored,
    normalise_ignore,
    regular_file_inside,
    root_digest,
)
from baton.core.present import format_fingerprint
from baton.core.progress import CancelToken, ProgressFn

__all__ = [
    "ACCEPTED_MEDIA_TYPES",
    "BUNDLE_MEDIA_TYPE",
    "DEFAULT_IGNORE_PATHS",
    "MAX_SIGNATURE_BYTES",
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "READ_CHUNK",
    "SIGNATURE_NAME",
    "STATEMENT_TYPE",
    "KeyLookup",
    "ParsedSignature",
    "VerifiedFolder",
    "build_statement",
    "compare_manifest",
    "default_ignore_paths",
    "default_workers",
    "hash_tree",
    "lookup_key",
    "pae",
    "parse_signature",
    "read_signature",
    "root_digest",
    "sign_folder",
    "sign_statement",
    "verify_folder",
    "verify_signature",
]

KeyLookup: TypeAlias = Mapping[str, Any] | Callable[[str], Any] | ec.EllipticCurvePublicKey


# --------------------------------------------------------------------------- signing


def sign_folder(
    folder: str | os.PathLike[str],
    private_key: ec.EllipticCurvePrivateKey,
    sig_name: str = SIGNATURE_NAME,
    ignore_paths: Iterable[str | os.PathLike[str]] = (),
    *,
    model_name: str | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
    known_digests: Mapping[str, str] | None = None,
) -> bytes:
    """Sign every regular file in ``folder``; write ``folder/sig_name`` atomically.

    Leaves out (and records) the OMS default paths, the signature file and
    ``ignore_paths``. The subject name is the folder's name unless ``model_name``.
    ``known_digests`` maps names (relative POSIX paths) to the SHA-256 the caller
    computed while writing those files, which are then not read again; every other file
    found is hashed. Returns the bytes written.
    """
    root = check_folder(folder)
    if not is_canonical(sig_name):
        raise UsageError(f"signature name {sig_name!r} must be a path inside the model folder")
    ignored = sorted({*default_ignore_paths(sig_name), *normalise_ignore(ignore_paths)})
    if known_digests:
        found, _ = enumerate_files(root, ignore_set(ignored))
        digests = hash_files(
            [f for f in found if f.name not in known_digests],
            progress=progress,
            cancel=cancel,
            workers=workers,
            message="Hashing files",
        )
        digests.update({f.name: known_digests[f.name] for f in found if f.name in known_digests})
        digests = {name: digests[name] for name in sorted(digests)}
    else:
        digests = hash_tree(root, ignored, progress=progress, cancel=cancel, workers=workers)
    if not digests:
        raise UsageError(f"nothing to sign: {root} holds no files", path=str(root))
    name = model_name or root.resolve().name or "model"
    data = sign_statement(
        build_statement(digests, model_name=name, ignore_paths=ignored), private_key
    )
    if cancel is not None:
        cancel.check()
    atomic_write_bytes(root / sig_name, data)
    return data


# ---------------------------------------------------------------------- verification


def lookup_key(parsed: ParsedSignature, keys: KeyLookup) -> ec.EllipticCurvePublicKey:
    """The public key that should have made ``parsed``, found by its fingerprint.

    ``keys`` is a mapping ``{fingerprint hex: key or PEM}``, a callable
    ``fingerprint -> key, PEM or None`` (a trust store; it may itself raise
    :class:`UntrustedSigner`, e.g. for a revoked key), or a single public key.
    An unknown signer raises :class:`UntrustedSigner`.
    """
    if parsed.method != "key":
        raise VerificationError(
            f"{parsed.source} uses the '{parsed.method}' signing method; "
            "Baton verifies signatures made with a signing key only",
            path=parsed.source,
        )
    fp = parsed.key_fingerprint
    if fp is None:
        raise UntrustedSigner(
            f"{parsed.source} names its signing key by an unrecognised hint; it cannot be matched to a trusted key",
            path=parsed.source,
        )
    if isinstance(keys, ec.EllipticCurvePublicKey):
        key: Any = keys if fingerprint(keys) == fp else None
    elif isinstance(keys, Mapping):
        key = keys.get(fp)
    else:
        key = keys(fp)
    if key is None:
        raise UntrustedSigner(
            f"{parsed.source} is signed by a key you do not trust (fingerprint {format_fingerprint(fp)})",
            path=parsed.source,
        )
    if isinstance(key, bytes | str):
        key = load_public_pem(key, source=f"the trusted key {format_fingerprint(fp)}")
    return key


def verify_signature(
    parsed: ParsedSignature, public_key: ec.EllipticCurvePublicKey | bytes | str
) -> Mapping[str, Any]:
    """Check the DSSE signature over the exact payload bytes; return the signed statement.

    ``public_key`` must be the key the signature names (its fingerprint equals the hint).
    """
    source = parsed.source
    if parsed.method != "key":
        raise VerificationError(
            f"{source} uses the '{parsed.method}' signing method; Baton verifies signatures made with a signing key only",
            path=source,
        )
    if isinstance(public_key, bytes | str):
        public_key = load_public_pem(public_key)
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise VerificationError(
            f"{source} can only be checked with an elliptic-curve public key", path=source
        )
    fp = fingerprint(public_key)
    if parsed.key_fingerprint != fp:
        named = (
            format_fingerprint(parsed.key_fingerprint)
            if parsed.key_fingerprint
            else "an unrecognised key"
        )
        raise VerificationError(
            f"{source} was signed with key {named}, not with the key given ({format_fingerprint(fp)})",
            path=source,
        )
    try:
        public_key.verify(
            parsed.signature,
            pae(parsed.payload_type, parsed.payload),
            ec.ECDSA(signature_hash(public_key.curve)),
        )
    except InvalidSignature:
        raise VerificationError(
            f"the signature in {source} does not match its content: {source} was altered after signing",
            path=source,
        ) from None
    except KeyError_ as err:
        raise VerificationError(f"{source}: {err}", path=source) from None
    return parsed.statement


def compare_manifest(
    expected: Mapping[str, str],
    actual: Mapping[str, str | None],
    *,
    source: str = SIGNATURE_NAME,
) -> None:
    """Refuse unless ``actual`` (the files found) equals ``expected`` (the signed list).

    Each difference is named: "X was changed after signing", "X was added after
    signing", "X was removed after signing", "X was renamed to Y after signing".
    ``actual`` may hold ``None`` for files found but not hashed (added files, when
    nothing was removed and a rename is therefore impossible).
    """
    changed = sorted(n for n in expected.keys() & actual.keys() if expected[n] != actual[n])
    added = sorted(actual.keys() - expected.keys())
    removed = sorted(expected.keys() - actual.keys())
    problems: list[str] = []
    by_digest: dict[str, list[str]] = {}
    for name in removed:
        by_digest.setdefault(expected[name], []).append(name)
    renamed_from: set[str] = set()
    renamed_to: set[str] = set()
    for name in added:
        digest = actual[name]
        olds = by_digest.get(digest) if digest else None
        if olds:
            old = olds.pop(0)
            renamed_from.add(old)
            renamed_to.add(name)
            problems.append(f"{old} was renamed to {name} after signing")
    problems += [f"{n} was changed after signing" for n in changed]
    problems += [f"{n} was removed after signing" for n in removed if n not in renamed_from]
    problems += [
        f"{n} was added after signing (it is not in {source})" for n in added if n not in renamed_to
    ]
    if not problems:
        return
    if len(problems) == 1:
        message = problems[0]
    else:
        shown = problems[:5]
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        message = f"{len(problems)} files differ from {source}: " + "; ".join(shown) + more
    first = next(iter(changed or removed or added), None)
    err = VerificationError(message, path=first)
    err.problems = problems  # type: ignore[attr-defined]
    raise err


@dataclass(frozen=True)
class VerifiedFolder:
    """What :func:`verify_folder` proved: who signed, and the exact files they signed."""

    folder: Path
    signer_fingerprint: str
    model_name: str
    root_digest: str
    digests: Mapping[str, str]
    total_bytes: int
    statement: Mapping[str, Any] = field(repr=False)

    @property
    def file_count(self) -> int:
        return len(self.digests)

    @property
    def signer(self) -> str:
        """The fingerprint grouped for people: ``"AB12 CD34 ..."``."""
        return format_fingerprint(self.signer_fingerprint)


def verify_folder(
    folder: str | os.PathLike[str],
    keys: KeyLookup,
    *,
    sig_name: str = SIGNATURE_NAME,
    strict: bool = False,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
) -> VerifiedFolder:
    """Verify ``folder`` against ``folder/sig_name``: signer, signature, then every file.

    ``keys`` finds the signer's public key by fingerprint (see :func:`lookup_key`).
    Files under the recorded ``ignore_paths`` and the OMS defaults are not expected in
    the manifest, per the spec; with ``strict`` they are refused too, so that the folder
    must hold exactly the signed files plus the signature (what a bundle requires).
    """
    root = check_folder(folder)
    if not is_canonical(sig_name):
        raise UsageError(f"signature name {sig_name!r} must be a path inside the model folder")
    parsed = read_signature(root / sig_name, source=sig_name)
    key = lookup_key(parsed, keys)
    verify_signature(parsed, key)
    ser = parsed.serialization
    if ser["method"] != "files" or ser["hash_type"] != "sha256":
        raise VerificationError(
            f"{sig_name} uses {ser['method']} serialization with {ser['hash_type']}; "
            "Baton verifies per-file sha256 signatures only",
            path=sig_name,
        )
    if cancel is not None:
        cancel.check()

    ignore_list = {*DEFAULT_IGNORE_PATHS, sig_name, *parsed.ignore_paths}
    ignore = ignore_set(ignore_list)
    found, ignored = enumerate_files(root, ignore)
    expected = parsed.digests
    present = {f.name for f in found}
    # A signed file under an ignore path (e.g. signed with git paths included) is
    # still checked: "ignored" only means "not expected in the manifest".
    for name in expected:
        if name not in present and is_ignored(name, ignore):
            signed_file = regular_file_inside(root, name)
            if signed_file is not None:
                found.append(signed_file)
                present.add(name)
    if strict:
        extra = [
            n
            for n in ignored
            if n != sig_name
            and n not in expected
            and not any(e.startswith(n + "/") for e in expected)
        ]
        if extra:
            raise VerificationError(
                f"{extra[0]} was added after signing (it is not in {sig_name})"
                + (f"; and {len(extra) - 1} more" if len(extra) > 1 else ""),
                path=extra[0],
            )
    missing = expected.keys() - present
    # Added files are hashed only when something is missing: then they may be renames.
    to_hash = [f for f in found if f.name in expected or missing]
    actual: dict[str, str | None] = dict.fromkeys(present - expected.keys())
    actual.update(
        hash_files(
            to_hash, progress=progress, cancel=cancel, workers=workers, message="Verifying files"
        )
    )
    compare_manifest(expected, actual, source=sig_name)
    sizes = {f.name: f.size for f in found}
    return VerifiedFolder(
        folder=root,
        signer_fingerprint=fingerprint(key),
        model_name=parsed.model_name,
        root_digest=parsed.root_digest,
        digests=dict(expected),
        total_bytes=sum(sizes[n] for n in expected),
        statement=parsed.statement,
    )
