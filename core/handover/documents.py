"""A handover's documents for other tools: its model card and its CycloneDX ML-BOM.

Both are renderings of a contract. The contract comes from a bundle file (verified
first, exactly as ``baton verify`` does: a tampered bundle is refused, an intact one from
an untrusted signer is rendered but says so) or from the catalog by ``NAME@VERSION``: a
draft, or a handover packed or received here (its contract as recorded when it was
packed or verified).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baton.core.catalog.store import Catalog
from baton.core.contract import bom, card, drafts
from baton.core.contract.versions import version_key
from baton.core.errors import MissingFile, NotFound, UsageError

FORMATS = ("md", "html", "bom")


@dataclass(frozen=True)
class HandoverContract:
    """A contract and where it came from: ``source`` reads as "bundle X.baton, signed by
    Y" or "draft NAME@VERSION"; ``trusted`` is False only for a bundle whose signer is not
    trusted here (``trust_problem`` says why)."""

    contract: dict[str, Any]
    source: str
    trusted: bool = True
    trust_problem: str = ""


def _is_bundle_path(ref: str) -> bool:
    """A ``.baton`` file, any other file but a ``contract.json`` (a draft's), or an
    unzipped bundle's folder (its ``model.sig``)."""
    path = Path(ref)
    if path.suffix == ".json":
        return False
    return path.suffix == ".baton" or path.is_file() or (path / "model.sig").is_file()


def handover_contract(catalog: Catalog, ref: str) -> HandoverContract:
    """The contract behind ``ref``: a ``.baton`` file, or ``NAME[@VERSION]`` in the catalog."""
    if _is_bundle_path(ref):
        from baton.core.handover.bundle import open_bundle

        path = Path(ref)
        if not path.exists():
            raise MissingFile(ref)
        with open_bundle(catalog, path, record=False) as opened:
            summary = opened.summary()
            signer = summary.get("signer_name") or "an untrusted key"
            return HandoverContract(
                contract=opened.contract,
                source=f"bundle {path.name}, signed by {signer}",
                trusted=bool(summary["trusted"]),
                trust_problem=str(summary.get("trust_problem") or ""),
            )
    name, _, version = ref.partition("@")
    rows = [r for r in catalog.handovers.with_name(name) if not version or r["version"] == version]
    if rows:
        # The newest version; of one version, what was packed here before what was received.
        recorded = max(rows, key=lambda r: (version_key(r["version"]), r["direction"] == "sent"))
        return HandoverContract(
            contract=recorded["contract"],
            source=f"handover {recorded['name']}@{recorded['version']} "
            f"({'packed' if recorded['direction'] == 'sent' else 'received'} here)",
        )
    try:
        found = drafts.load(catalog, ref)
    except NotFound:
        raise NotFound(
            f"no bundle file, handover or draft called {ref!r}: give a .baton file, or "
            "NAME@VERSION of a draft or a handover packed or received here"
        ) from None
    ident = found["identity"]
    return HandoverContract(contract=found, source=f"draft {ident['name']}@{ident['version']}")


def render(contract: dict[str, Any], fmt: str) -> str:
    """``contract`` as ``md`` (card.md, metadata first), ``html`` (a standalone page) or
    ``bom`` (CycloneDX 1.6 JSON)."""
    if fmt == "md":
        return card.render_markdown(contract)
    if fmt == "html":
        return card.render_html(contract)
    if fmt == "bom":
        return bom.dumps(contract)
    raise UsageError(f"unknown document format {fmt!r}: use one of {', '.join(FORMATS)}")
