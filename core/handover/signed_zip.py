"""Opening a signed ZIP (a bundle or a review receipt) in DESIGN.md's verification order.

Nothing in the ZIP is read before its signer is trusted except ``model.sig`` (or
``review.sig``), read size-capped through the same checked reading as everything else:

1. ZIP structure, once (:func:`baton.core.handover.safezip.open_archive`): the file is exactly one
   ZIP (no prefix, gap, overlap, suffix or comment; local headers equal to the central
   directory), and names, types, sizes, counts and ratio are safe;
2. the signature member, inflated in memory (at most ``oms.MAX_SIGNATURE_BYTES``) and
   parsed strictly (duplicate keys, NaN, OMS schemas);
3. the signer's key. *Known* (in the trust store, trusted or revoked): the DSSE signature
   over the exact payload bytes is checked now, before anything else is inflated;
4. every member is hashed while it streams into a private staging folder. A member the
   signed manifest does not name is refused by name before a byte of it is inflated;
   the set of files must equal the manifest exactly;
5. *Unknown* signer only: the signed document (``contract.json`` or ``review.json``),
   whose digest has just matched the still unverified manifest, is read from staging
   (size-capped, strict JSON) for the author or reviewer entry whose fingerprint equals
   the signature's hint; the DSSE signature is checked with that key. The result is
   *intact but untrusted* (exit code 3), never trusted. No such entry: the signer is
   reported untrusted with nothing claimed.

So an unknown signer costs one extraction (bounded by the ZIP limits) before the
signature can be checked, and no document is parsed before its digest matched. Only
after this does the caller parse data or load a model.

An extracted folder (``unzip NAME.baton -d NAME/``) takes the same steps: step 1 lists it
with the same rules for names, types and sizes (:mod:`baton.core.handover.safefolder`:
regular files only, no links), and step 4 copies each file into staging as a member is
inflated, so every later check reads the same staging folder a ZIP fills.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from baton.core import jsonsafe
from baton.core.catalog.store import Catalog
from baton.core.errors import BatonError, NotFound, UntrustedSigner, UsageError, VerificationError
from baton.core.handover import keys, oms, safefolder, safezip, trust
from baton.core.handover.safefolder import source_label
from baton.core.present import format_fingerprint
from baton.core.progress import CancelToken, ProgressFn

MAX_DOCUMENT_BYTES = 16 * 2**20  # a signed JSON document (contract or review)


@dataclass
class OpenedZip:
    """A signed ZIP that passed steps 1-5; ``staging`` holds its files until closed."""

    path: Path
    staging: Path
    sig_name: str
    digests: dict[str, str]
    root_digest: str
    signature_sha256: str
    signer_fingerprint: str
    signer_name: str | None
    trusted: bool
    trust_problem: str | None
    total_bytes: int
    members: list[str] = field(default_factory=list)

    @property
    def signer(self) -> str:
        return format_fingerprint(self.signer_fingerprint)

    def close(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    @property
    def label(self) -> str:
        return source_label(self.path)

    def read_json(self, name: str, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
        return _read_staged(self.staging, name, limit, self.label)


def _read_staged(staging: Path, name: str, limit: int, label: str) -> bytes:
    path = staging / name
    size = path.stat().st_size
    if size > limit:
        raise VerificationError(f"{label}: {name} is too large ({size:,} bytes)", path=name)
    return path.read_bytes()


def _known_key(
    catalog: Catalog, parsed: oms.ParsedSignature
) -> tuple[ec.EllipticCurvePublicKey | None, bool, str | None]:
    """The signer's key if the trust store holds it (trusted, or revoked and so not
    trusted), whether it is trusted, and why not."""
    try:
        return oms.lookup_key(parsed, trust.lookup(catalog)), True, None
    except UntrustedSigner as exc:
        fp = parsed.key_fingerprint
        row = trust.key_record(catalog, fp) if fp else None
        key = keys.load_public_pem(row["public_pem"].encode()) if row else None
        return key, False, str(exc)


def _check_signature(
    parsed: oms.ParsedSignature, key: ec.EllipticCurvePublicKey, label: str, sig_name: str
) -> None:
    oms.verify_signature(parsed, key)
    ser = parsed.serialization
    if (
        ser.get("method") != "files"
        or ser.get("hash_type") != "sha256"
        or ser.get("allow_symlinks")
    ):
        raise VerificationError(
            f"{label}: {sig_name} must sign files with sha256 and no symlinks", path=sig_name
        )


def _embedded_key(staging: Path, document: str, fp: str, label: str) -> ec.EllipticCurvePublicKey:
    """The unknown signer's key, named in the signed document already extracted to
    ``staging`` (its digest matched the manifest, which is not yet verified).

    Safe to use only because its fingerprint must equal the signature's hint and the
    document itself is covered by the signature then checked with that very key. Read
    with the same strict parser as ``model.sig``: at most :data:`MAX_DOCUMENT_BYTES`,
    UTF-8, no duplicate keys, no NaN, nesting capped (:mod:`baton.core.jsonsafe`).
    """
    what = f"{label}/{document}"
    raw = _read_staged(staging, document, MAX_DOCUMENT_BYTES, label)
    doc = jsonsafe.loads(raw, source=what, path=document, expect=None)
    people: list[Any] = []
    if isinstance(doc, dict):
        identity = doc.get("identity")
        if isinstance(identity, dict) and isinstance(identity.get("authors"), list):
            people += identity["authors"]
        people.append(doc.get("reviewer"))
    for person in people:
        if (
            isinstance(person, dict)
            and person.get("fingerprint") == fp
            and isinstance(person.get("public_key"), str)
        ):
            pem = person["public_key"].encode("ascii", "replace")
            with contextlib.suppress(BatonError):
                if keys.fingerprint(pem) == fp:
                    return keys.load_public_pem(pem)
    raise UntrustedSigner(
        f"{label} is signed by a key you do not trust ({format_fingerprint(fp) or 'unknown'}) "
        "and names no public key to check it with; ask the signer for their public key "
        "and compare its fingerprint with them before `baton keys trust`"
    )


def open_signed_zip(
    catalog: Catalog,
    path: str | Path,
    *,
    sig_name: str,
    document: str,
    staging_parent: Path | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> OpenedZip:
    """Run the verification steps of the module docstring on ``path``; ``document`` is
    the signed JSON that may name the signer's public key (``contract.json`` or
    ``review.json``)."""
    path = Path(path)
    label = source_label(path)
    if not path.exists():
        raise NotFound(f"{path}: no such file or folder", path=str(path))
    source: contextlib.AbstractContextManager[safezip.Archive | safefolder.Folder]
    if path.is_dir():  # an extracted bundle: its files are listed and staged as a ZIP's
        source = safefolder.open_folder(path)
    elif path.is_file():
        source = safezip.open_archive(path)
    else:
        raise UsageError(f"{path} is neither a file nor a folder", path=str(path))
    with source as archive:
        names = {m.name for m in archive.members}
        for required in (sig_name, document):
            if required not in names:
                raise VerificationError(
                    f"{label} has no {required}: it is not a Baton {'bundle' if sig_name == 'model.sig' else 'receipt'}",
                    path=required,
                )
        sig_bytes = archive.read(sig_name, oms.MAX_SIGNATURE_BYTES)
        parsed = oms.parse_signature(sig_bytes, source=sig_name)
        fp = parsed.key_fingerprint or ""
        key, trusted, trust_problem = _known_key(catalog, parsed)
        if key is not None:
            _check_signature(parsed, key, label, sig_name)
        staging = safezip.private_staging_dir(staging_parent)
        found: dict[str, str] = {}
        total = 0

        def on_member(name: str, digest: str, size: int) -> None:
            nonlocal total
            total += size
            if name != sig_name:
                found[name] = digest

        try:
            archive.extract(
                staging,
                allowed={*parsed.digests, sig_name},
                unlisted=f"was added after signing: {sig_name} does not name it, so it was refused unread",
                on_member=on_member,
                progress=progress,
                cancel=cancel,
            )
            oms.compare_manifest(dict(parsed.digests), found, source=f"{label}/{sig_name}")
            if key is None:
                key = _embedded_key(staging, document, fp, label)
                _check_signature(parsed, key, label, sig_name)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return OpenedZip(
        path=path,
        staging=staging,
        sig_name=sig_name,
        digests=dict(parsed.digests),
        root_digest=parsed.root_digest,
        signature_sha256=hashlib.sha256(sig_bytes).hexdigest(),
        signer_fingerprint=fp,
        signer_name=trust.signer_name(catalog, fp),
        trusted=trusted,
        trust_problem=trust_problem,
        total_bytes=total,
        members=sorted(names),
    )


def describe_opened(opened: OpenedZip) -> dict[str, Any]:
    return {
        "file": str(opened.path),
        "signer_fingerprint": opened.signer_fingerprint,
        "signer": opened.signer,
        "signer_name": opened.signer_name,
        "trusted": opened.trusted,
        "trust_problem": opened.trust_problem,
        "root_digest": opened.root_digest,
        "signature_sha256": opened.signature_sha256,
        "files": len(opened.digests),
        "bytes": opened.total_bytes,
    }
