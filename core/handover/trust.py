"""My signing identity and the trust store of colleagues' keys.

My key: ``HOME/keys/signing-key.pem`` (passphrase-encrypted PKCS#8, mode 0600) with
``HOME/keys/identity.json`` (name, email, fingerprint). It never enters the catalog or a
bundle. The trust store lives in the catalog (``trusted_keys``): name, email,
fingerprint, public key, when it was trusted and, if revoked, when and why. Nothing is
trusted on first use: a key is trusted only by an explicit ``baton keys trust`` (or the
GUI's confirmation dialog that shows the fingerprint). My own key is trusted when I
create it, so I can verify what I sign.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from baton.core.catalog.home import IDENTITY_FILE, identity, key_dir
from baton.core.catalog.rows import timestamp
from baton.core.catalog.store import Catalog
from baton.core.errors import KeyError_, NotFound, UntrustedSigner, UsageError
from baton.core.fsutil import atomic_write_bytes
from baton.core.handover import keys
from baton.core.present import format_fingerprint

KEY_FILE = "signing-key.pem"


def require_identity(home: Path) -> dict[str, Any]:
    me = identity(home)
    if me is None:
        raise KeyError_(
            "you have no signing key yet: create one with `baton keys create --name NAME --email EMAIL`"
        )
    return me


def create_identity(catalog: Catalog, name: str, email: str, passphrase: str) -> dict[str, Any]:
    """Make my signing key; refuses to replace an existing one."""
    if not name.strip():
        raise UsageError("--name must not be empty")
    if "@" not in email or any(c.isspace() for c in email):
        raise UsageError(f"{email!r} is not an e-mail address")
    if len(passphrase) < 8:
        raise UsageError("the passphrase must have at least 8 characters")
    folder = key_dir(catalog.home)
    if (folder / KEY_FILE).exists():
        me = identity(catalog.home) or {}
        raise UsageError(
            f"a signing key already exists in {folder} ({me.get('name', '?')}, "
            f"{format_fingerprint(me.get('fingerprint', ''))}); Baton keeps one key per user"
        )
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    private = keys.generate_key()
    keys.save_private_key(private, folder / KEY_FILE, passphrase)
    pem = keys.public_pem(private)
    me = {
        "name": name.strip(),
        "email": email,
        "fingerprint": keys.fingerprint(pem),
        "created_at": timestamp(),
    }
    atomic_write_bytes(folder / IDENTITY_FILE, json.dumps(me, indent=2).encode())
    atomic_write_bytes(folder / "signing-key.pub", pem)
    _insert_trusted(catalog, me["fingerprint"], me["name"], email, pem)
    return me


def load_signing_key(home: Path, passphrase: str) -> ec.EllipticCurvePrivateKey:
    require_identity(home)
    return keys.load_private_key(key_dir(home) / KEY_FILE, passphrase)


def my_public_pem(home: Path) -> bytes:
    require_identity(home)
    return (key_dir(home) / "signing-key.pub").read_bytes()


def _insert_trusted(catalog: Catalog, fp: str, name: str, email: str | None, pem: bytes) -> None:
    catalog.trusted_keys.put(fp, name, email, pem.decode("ascii"))


def trust_key(
    catalog: Catalog, pem_file: str | os.PathLike[str], name: str, email: str | None = None
) -> dict[str, Any]:
    """Trust a colleague's public key file; returns the stored row (with its fingerprint)."""
    return trust_pem(catalog, keys.public_pem(keys.load_public_key_file(pem_file)), name, email)


def trust_pem(
    catalog: Catalog, pem: bytes | str, name: str, email: str | None = None
) -> dict[str, Any]:
    """Trust a public key given as PEM (e.g. the author key a bundle names, after the user
    compared its fingerprint with its owner); refuses a revoked key."""
    spki = keys.public_pem(keys.load_public_pem(pem))
    fp = keys.fingerprint(spki)
    existing = key_record(catalog, fp)
    if existing and existing["revoked_at"]:
        raise UsageError(
            f"the key {format_fingerprint(fp)} ({existing['name']}) was revoked on "
            f"{existing['revoked_at']} ({existing['revoked_reason']}); a revoked key cannot be trusted again"
        )
    if not name.strip():
        raise UsageError("--name must not be empty")
    _insert_trusted(catalog, fp, name.strip(), email, spki)
    return _stored(catalog, fp)


def key_status(catalog: Catalog, fp: str) -> str:
    """``"trusted"``, ``"revoked"`` or ``"unknown"`` for a fingerprint."""
    row = key_record(catalog, fp)
    return "unknown" if row is None else "revoked" if row["revoked_at"] else "trusted"


def key_record(catalog: Catalog, fp: str) -> dict[str, Any] | None:
    return catalog.trusted_keys.get(fp)


def _stored(catalog: Catalog, fp: str) -> dict[str, Any]:
    """The row just written for ``fp``."""
    row = key_record(catalog, fp)
    assert row is not None, fp
    return row


def find_key(catalog: Catalog, text: str) -> dict[str, Any]:
    """A trusted key by full fingerprint or a unique prefix (spaces and case ignored)."""
    prefix = "".join(text.split()).lower()
    if len(prefix) < 8 or any(c not in "0123456789abcdef" for c in prefix):
        raise UsageError(f"{text!r} is not a fingerprint: give at least 8 hex digits")
    rows = catalog.trusted_keys.with_prefix(prefix)
    if not rows:
        raise NotFound(f"no trusted key has the fingerprint {format_fingerprint(prefix)}")
    if len(rows) > 1:
        raise UsageError(f"{text!r} matches {len(rows)} keys; give more of the fingerprint")
    return rows[0]


def revoke_key(catalog: Catalog, fingerprint_text: str, reason: str) -> dict[str, Any]:
    if not reason.strip():
        raise UsageError("--reason must say why the key is revoked")
    row = find_key(catalog, fingerprint_text)
    catalog.trusted_keys.revoke(row["fingerprint"], reason.strip())
    return _stored(catalog, row["fingerprint"])


def list_keys(catalog: Catalog) -> list[dict[str, Any]]:
    return catalog.trusted_keys.listing()


def lookup(catalog: Catalog):
    """A trust-store lookup for :func:`baton.core.handover.oms.lookup_key`: PEM of a trusted key,
    None for an unknown one, and :class:`UntrustedSigner` for a revoked one."""

    def find(fp: str) -> bytes | None:
        row = key_record(catalog, fp)
        if row is None:
            return None
        if row["revoked_at"]:
            raise UntrustedSigner(
                f"signed by {row['name']}'s key {format_fingerprint(fp)}, which was revoked on "
                f"{row['revoked_at']}: {row['revoked_reason']}"
            )
        return row["public_pem"].encode("ascii")

    return find


def signer_name(catalog: Catalog, fp: str) -> str | None:
    row = key_record(catalog, fp)
    return row["name"] if row else None


def key_label(name: str | None, fp: str) -> str:
    """A person as the user should check them: a name and the full fingerprint. The name
    alone proves nothing (anyone can claim "Dana"); the fingerprint is the identity."""
    return f"{name or 'an unknown key'} ({format_fingerprint(fp)})"


def label_of(catalog: Catalog, fp: str) -> str:
    """:func:`key_label` with the name this trust store gave the key."""
    return key_label(signer_name(catalog, fp), fp)
