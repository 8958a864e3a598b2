"""Opening a signed ZIP (a bundle or a review receipt) in DESIGN.md's verification order.

1. ZIP structure (names, types, sizes, counts, ratio) — :mod:`baton.core.safezip`;
2. strict parse of the signature member (size cap, duplicate keys, NaN, OMS schemas);
3. the signer's key: in the trust store and not revoked. An unknown signer can still be
   checked for integrity when the signed document names its public key (the contract's
   or review's author entry, whose fingerprint must equal the signature's hint): the
   result is then *intact but untrusted* (exit code 3), never trusted;
4. the DSSE signature over the exact payload bytes;
5. every member hashed while it streams into a private staging folder; the set of files
   must equal the signed manifest exactly.

Only after this does the caller parse data or load a model.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import jsonsafe, keys, oms, safezip, trust
from .catalog import Catalog
from .errors import BatonError, NotFound, UntrustedSigner, UsageError, VerificationError
from .progress import CancelToken, ProgressFn


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
        return keys.format_fingerprint(self.signer_fingerprint)

    def close(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)

    def read_json(self, name: str, limit: int = 16 * 2**20) -> bytes:
        path = self.staging / name
        if path.stat().st_size > limit:
            raise VerificationError(
                f"{self.path.name}: {name} is too large ({path.stat().st_size:,} bytes)"
            )
        return path.read_bytes()


def _read_member(zf: zipfile.ZipFile, name: str, limit: int, label: str) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise VerificationError(
            f"{label}: {name} is too large ({info.file_size:,} bytes; at most {limit:,})", path=name
        )
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise VerificationError(f"{label}: {name} is larger than its header says", path=name)
    return data


def _embedded_key(zf: zipfile.ZipFile, doc_name: str, fp: str, label: str) -> bytes | None:
    """The signer's PEM named inside the (still unverified) signed document, if any.

    Safe to use only because its fingerprint must equal the signature's hint and the
    document itself is covered by the signature checked with that very key.
    """
    try:
        doc = jsonsafe.loads(_read_member(zf, doc_name, 16 * 2**20, label), source=doc_name)
    except (KeyError, ValueError, BatonError):
        return None
    people = []
    if isinstance(doc, dict):
        people += (doc.get("identity") or {}).get("authors") or []
        if isinstance(doc.get("reviewer"), dict):
            people.append(doc["reviewer"])
    for person in people:
        if (
            isinstance(person, dict)
            and person.get("fingerprint") == fp
            and isinstance(person.get("public_key"), str)
        ):
            pem = person["public_key"].encode("ascii", "replace")
            with contextlib.suppress(BatonError):
                if keys.fingerprint(pem) == fp:
                    return pem
    return None


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
    """Run verification steps 1-5 on ``path``; ``document`` is the signed JSON that may
    name the signer's public key (``contract.json`` or ``review.json``)."""
    path = Path(path)
    label = path.name
    if not path.exists():
        raise NotFound(f"{path}: no such file", path=str(path))
    if not path.is_file():
        raise UsageError(f"{path} is not a file", path=str(path))
    members = safezip.list_members(path)
    names = {m.name for m in members}
    for required in (sig_name, document):
        if required not in names:
            raise VerificationError(
                f"{label} has no {required}: it is not a Baton {'bundle' if sig_name == 'model.sig' else 'receipt'}",
                path=required,
            )
    with zipfile.ZipFile(path) as zf:
        sig_bytes = _read_member(zf, sig_name, oms.MAX_SIGNATURE_BYTES, label)
        parsed = oms.parse_signature(sig_bytes, source=sig_name)
        fp = parsed.key_fingerprint or ""
        trusted, trust_problem = True, None
        try:
            key = oms.lookup_key(parsed, trust.lookup(catalog))
        except UntrustedSigner as exc:
            trusted, trust_problem = False, str(exc)
            row = trust._row(catalog, fp) if fp else None
            pem = row["public_pem"].encode() if row else _embedded_key(zf, document, fp, label)
            if pem is None:
                raise UntrustedSigner(
                    f"{label} is signed by a key you do not trust ({keys.format_fingerprint(fp) or 'unknown'}) "
                    "and names no public key to check it with; ask the signer for their public key "
                    "and compare its fingerprint with them before `baton keys trust`"
                ) from None
            key = keys.load_public_pem(pem)
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
    staging = safezip.private_staging_dir(staging_parent)
    found: dict[str, str] = {}
    total = 0

    def on_member(name: str, digest: str, size: int) -> None:
        nonlocal total
        total += size
        if name != sig_name:
            found[name] = digest

    try:
        safezip.safe_extract(path, staging, on_member=on_member, progress=progress, cancel=cancel)
        oms.compare_manifest(dict(parsed.digests), found, source=f"{label}/{sig_name}")
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
