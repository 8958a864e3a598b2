"""The handovers the sidebar lists: bundles received here and bundles packed here.

Both functions read a catalog the caller owns (the main window's, on the GUI thread) and
add only what the sidebar shows: a label, the status in words, whether the file is still
there. Kept apart from the review page so that listing the sidebar does not load the
charting code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from baton.core.catalog.overview import RECEIVED_STATUS_TEXT as STATUS_TEXT
from baton.core.catalog.overview import SENT_STATUS_TEXT

# The icon and colour kind of each status (see baton.gui.review.review_view.kind_colors).
STATUS_KIND = {
    "accept": "ok",
    "changes": "warning",
    "reject": "error",
}


def received_rows(catalog) -> list[dict[str, Any]]:
    """Bundles opened here (newest first) for the main window's "Received" section.

    Each row: ``id``, ``name``, ``version``, ``label``, ``status`` (``verified``,
    ``accept``, ``changes`` or ``reject``), ``status_text``, ``path``, ``exists`` (the file
    is still there), ``signer_fingerprint``, ``signer`` (grouped), ``signer_name``,
    ``root_digest``, ``created_at``.
    """
    rows = catalog.handovers.received()
    if not rows:  # the key modules (and cryptography) load only when there is a row
        return []
    from baton.core.handover import trust
    from baton.core.present import format_fingerprint

    out = []
    for row in rows:
        status = row.get("status") or "verified"
        fp = row.get("signer_fingerprint") or ""
        out.append(
            {
                **row,
                "label": f"{row['name']} {row['version']}",
                "status": status,
                "status_text": STATUS_TEXT.get(status, status),
                "exists": bool(row.get("path")) and Path(row["path"]).is_file(),
                "signer": format_fingerprint(fp),
                "signer_name": trust.signer_name(catalog, fp) if fp else None,
            }
        )
    return out


def sent_rows(catalog) -> list[dict[str, Any]]:
    """Bundles packed here (newest first) with the decision their reviewer sent back.

    Each row is :meth:`baton.core.catalog.handovers.Handovers.sent`'s plus ``label``,
    ``status_text`` ("awaiting review", "accepted", …), ``decided_by`` ("Eli Engineer",
    or None) and ``exists``.
    """
    out = []
    for row in catalog.handovers.sent():
        status = row.get("decision") or row.get("status") or "packed"
        out.append(
            {
                **row,
                "label": f"{row['name']} {row['version']}",
                "status": status,
                "status_text": SENT_STATUS_TEXT.get(status, status),
                "decided_by": row.get("reviewer") if row.get("decision") else None,
                "exists": bool(row.get("path")) and Path(row["path"]).is_file(),
            }
        )
    return out
