"""The engineer's desk as use cases: one call per thing a reviewer (or a data scientist
reading a receipt) does, each returning a frozen dataclass.

The desktop's pages and the command line both call these, so what "open a bundle for
review" means (which author signed it, whether their key was revoked, the card, the
latest reproduction) is worked out once, here, and not in a view. Expected failures
are the typed errors of :mod:`baton.core.errors`, raised as they come from
:mod:`~baton.core.handover.bundle`, :mod:`~baton.core.handover.review` and
:mod:`~baton.core.handover.trust`; nothing here wraps them in a result.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baton.core.catalog.store import Catalog
from baton.core.contract.card import Block, blocks
from baton.core.errors import VerificationError
from baton.core.handover import bundle, keys, review, trust
from baton.core.present import format_fingerprint
from baton.core.progress import CancelToken, ProgressFn

VERIFIED, UNTRUSTED = "verified", "untrusted"


@dataclass(frozen=True)
class BundleReview:
    """A bundle opened for review: verified, and intact even when its signer is not trusted.

    ``state`` is ``verified`` (signer trusted) or ``untrusted``; ``author`` is the
    contract's entry for the signer (name, email, fingerprint, public key), ``revoked``
    the trust store's row when the signer's key was revoked here, ``card`` Baton's
    own rendering of the contract (blocks of plain text, see :func:`card.blocks`), ``reproduction`` the latest one recorded here (trusted
    bundles only).
    """

    path: Path
    state: str
    summary: dict[str, Any]
    contract: dict[str, Any]
    author: dict[str, Any] | None
    revoked: dict[str, Any] | None
    card: list[Block]
    reproduction: dict[str, Any] | None

    @property
    def trusted(self) -> bool:
        return self.state == VERIFIED

    @property
    def can_trust_signer(self) -> bool:
        """The signer's key can be trusted from here: the contract carries it, not revoked."""
        return bool(self.author and self.author.get("public_key") and not self.revoked)


@dataclass(frozen=True)
class Reproduction:
    """What ``review.reproduce`` found on this machine (``result``, as core records it)."""

    path: Path
    result: dict[str, Any]

    @property
    def passed(self) -> bool:
        return self.result["verdict"] == "pass"


@dataclass(frozen=True)
class Countersigned:
    """A decision countersigned into a receipt: ``receipt`` is the signed review with its
    ``file``."""

    receipt: dict[str, Any]

    @property
    def file(self) -> Path:
        return Path(self.receipt["file"])

    @property
    def decision(self) -> str:
        return self.receipt["decision"]


@dataclass(frozen=True)
class ReceiptCheck:
    """A verified review receipt: ``summary`` as ``review.verify_receipt`` returns it,
    ``review`` the signed decision, ``revoked`` the reviewer's revoked key row, if any."""

    path: Path
    state: str
    summary: dict[str, Any]
    revoked: dict[str, Any] | None

    @property
    def review(self) -> dict[str, Any]:
        return self.summary["review"]

    @property
    def trusted(self) -> bool:
        return self.state == VERIFIED

    @property
    def can_trust_signer(self) -> bool:
        return not self.revoked and bool(self.review["reviewer"].get("public_key"))


@dataclass(frozen=True)
class TrustedKey:
    """A key now in the trust store; ``row`` is the stored row."""

    row: dict[str, Any]

    @property
    def name(self) -> str:
        return self.row["name"]

    @property
    def fingerprint(self) -> str:
        return self.row["fingerprint"]


@dataclass(frozen=True)
class Comparison:
    """Two bundles of one model compared; ``diff`` is ``bundle.diff``'s result whole."""

    diff: dict[str, Any]

    @property
    def old(self) -> dict[str, Any]:
        """The older bundle's summary with its ``contract``."""
        return {"contract": self.diff["old_contract"], **self.diff["old"]}

    @property
    def new(self) -> dict[str, Any]:
        return {"contract": self.diff["new_contract"], **self.diff["new"]}


# --- opening --------------------------------------------------------------------------------


def revoked_key(catalog: Catalog, fingerprint: str) -> dict[str, Any] | None:
    """The trust store's row for ``fingerprint`` if that key was revoked here, else None."""
    if trust.key_status(catalog, fingerprint) != "revoked":
        return None
    return trust.find_key(catalog, fingerprint)


def open_for_review(
    catalog: Catalog,
    path: str | Path,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> BundleReview:
    """Verify a bundle (recording it as received when its signer is trusted) and gather
    what a reviewer reads first; a refused bundle raises."""
    with bundle.open_bundle(catalog, path, progress=progress, cancel=cancel) as opened:
        o, contract = opened.opened, opened.contract
        author = next(
            (
                a
                for a in contract["identity"].get("authors") or []
                if a.get("fingerprint") == o.signer_fingerprint
            ),
            None,
        )
        return BundleReview(
            path=Path(path),
            state=VERIFIED if o.trusted else UNTRUSTED,
            summary=opened.summary(),
            contract=contract,
            author=author,
            revoked=revoked_key(catalog, o.signer_fingerprint),
            # Baton's own rendering of the verified contract (which card.md had to equal)
            card=blocks(contract),
            reproduction=review.latest_reproduction(catalog, o.root_digest) if o.trusted else None,
        )


def reproduce(
    catalog: Catalog,
    path: str | Path,
    *,
    budget_s: float,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Reproduction:
    """Re-run a trusted bundle's model here and check every claim (recorded in the catalog)."""
    result = review.reproduce(catalog, path, budget_s=budget_s, progress=progress, cancel=cancel)
    return Reproduction(Path(path), result)


def countersign(
    catalog: Catalog,
    path: str | Path,
    *,
    decision: str,
    comment: str,
    target_comments: dict[str, str] | None = None,
    out: str | Path,
    passphrase: str,
    choose: str | None = None,
    progress: ProgressFn | None = None,
) -> Countersigned:
    """Sign a decision on a trusted bundle into the receipt ``out`` (accepting one
    candidate, ``choose``, of a bundle of several)."""
    if progress is not None:
        progress(None, None, "Signing the decision")
    receipt = review.decide(
        catalog,
        path,
        decision=decision,
        comment=comment,
        target_comments=target_comments,
        out=out,
        passphrase=passphrase,
        choose=choose,
    )
    return Countersigned(receipt)


def verify_receipt(
    catalog: Catalog,
    path: str | Path,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> ReceiptCheck:
    """Verify a review receipt (recording its decision when it answers a bundle packed here)."""
    summary = review.verify_receipt(catalog, path, progress=progress, cancel=cancel)
    return ReceiptCheck(
        path=Path(path),
        state=VERIFIED if summary["trusted"] else UNTRUSTED,
        summary=summary,
        revoked=revoked_key(catalog, summary["signer_fingerprint"]),
    )


def compare(
    catalog: Catalog,
    old: str | Path,
    new: str | Path,
    *,
    progress: ProgressFn | None = None,
) -> Comparison:
    """Verify two bundles of one model (untrusted signers allowed) and compare them."""
    if progress is not None:
        progress(0, 1, "Verifying and comparing both bundles")
    diff = bundle.diff(catalog, old, new)
    if progress is not None:
        progress(1, 1, "Compared")
    return Comparison(diff)


# --- trusting a signer ------------------------------------------------------------------------


def _check_compared(actual: str, compared: str, where: str) -> None:
    """Refuse a key whose fingerprint is not the one the user compared with its owner."""
    if actual != "".join(compared.split()).lower():
        raise VerificationError(
            f"the public key in {where} has the fingerprint {format_fingerprint(actual)}, "
            f"not {format_fingerprint(compared)}; nothing was trusted"
        )


def trust_signer(
    catalog: Catalog,
    public_pem: str | bytes,
    *,
    compared_fingerprint: str,
    name: str,
    email: str | None = None,
) -> TrustedKey:
    """Trust the key a signed document carries, after the user compared its fingerprint
    (``compared_fingerprint``, the one they were shown) with its owner."""
    pem = public_pem.encode("ascii") if isinstance(public_pem, str) else public_pem
    _check_compared(keys.fingerprint(pem), compared_fingerprint, "the signed document")
    return TrustedKey(trust.trust_pem(catalog, pem, name, email))


def trust_key_file(
    catalog: Catalog,
    pem_file: str | os.PathLike[str],
    *,
    name: str,
    email: str | None = None,
    compared_fingerprint: str | None = None,
) -> TrustedKey:
    """Trust a colleague's public key file; with ``compared_fingerprint``, only if the file
    still holds the key whose fingerprint the user compared."""
    if compared_fingerprint is not None:
        actual = keys.fingerprint(keys.load_public_key_file(pem_file))
        _check_compared(actual, compared_fingerprint, Path(pem_file).name)
    return TrustedKey(trust.trust_key(catalog, pem_file, name, email))
