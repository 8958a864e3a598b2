"""The handovers table and the two that hang off it: the bundles packed and received here,
the review decisions recorded against them, and the reproductions run here.

Reached as ``catalog.handovers``. Rows come back decoded (JSON columns parsed and checked),
except the listings, which carry only plain columns.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from baton.core.catalog.rows import decode, encode, timestamp

if TYPE_CHECKING:
    from baton.core.catalog.store import Catalog


class Handovers:
    """The handover records of one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def record(
        self,
        direction: str,
        name: str,
        version: str,
        root_digest: str,
        signature_sha256: str,
        signer_fingerprint: str,
        path: Path,
        status: str,
        contract: dict,
    ) -> dict[str, Any]:
        """Remember a bundle packed (``sent``) or opened (``received``) here.

        A bundle already known under this direction, name, version and root digest is not
        recorded twice: its row keeps its status and only learns the new path.
        """
        row = {
            "id": uuid.uuid4().hex,
            "direction": direction,
            "name": name,
            "version": version,
            "root_digest": root_digest,
            "signature_sha256": signature_sha256,
            "signer_fingerprint": signer_fingerprint,
            "path": str(Path(path).resolve()),
            "status": status,
            "contract": contract,
            "created_at": timestamp(),
        }
        catalog = self._catalog
        # Through the catalog's own connection: `baton verify` records what it received
        # and must not wait for sqlite-utils' import of pandas.
        with catalog.write():
            existing = catalog._select(
                "select * from handovers where direction = ? and name = ? and version = ? "
                "and root_digest = ? limit 1",
                [direction, name, version, root_digest],
            )
            if existing:
                catalog.conn.execute(
                    "update handovers set path = ? where id = ?", [row["path"], existing[0]["id"]]
                )
                return existing[0]
            catalog._insert("handovers", encode(row))
        return row

    def find(
        self, direction: str, name: str, version: str, root_digest: str, signature_sha256: str
    ) -> dict[str, Any] | None:
        """The handover bound to exactly this bundle (as a receipt names it), or None."""
        rows = list(
            self._catalog.db.table("handovers").rows_where(
                "direction = ? and name = ? and version = ? and root_digest = ? "
                "and signature_sha256 = ?",
                [direction, name, version, root_digest, signature_sha256],
                limit=1,
            )
        )
        return decode(rows[0], "handovers") if rows else None

    def packed_versions(self, name: str) -> list[str]:
        """The versions packed here under exactly this name."""
        return [
            r["version"]
            for r in self._catalog.db.table("handovers").rows_where(
                "name = ? and direction = 'sent'", [name], select="version"
            )
        ]

    def with_name(self, name: str) -> list[dict[str, Any]]:
        """Every handover packed or received here under exactly this name, with its
        contract: ``name``, ``version``, ``direction``, ``contract``, ``created_at``;
        newest first."""
        rows = self._catalog.db.table("handovers").rows_where(
            "name = ?",
            [name],
            order_by="created_at desc, rowid desc",
            select="id, name, version, direction, contract, created_at",
        )
        return [decode(row, "handovers") for row in rows]

    def received(self) -> list[dict[str, Any]]:
        """Bundles opened here, newest first: ``id``, ``name``, ``version``, ``status``,
        ``path``, ``signer_fingerprint``, ``root_digest``, ``created_at``."""
        if "handovers" not in self._catalog._table_names():
            return []
        # Through the catalog's own connection: `baton status` must not wait for
        # sqlite-utils' import of pandas.
        return self._catalog._select(
            "select id, name, version, status, path, signer_fingerprint, root_digest, "
            "created_at from handovers where direction = 'received' "
            "order by created_at desc, rowid desc"
        )

    def sent(self, limit: int | None = 500) -> list[dict[str, Any]]:
        """Bundles packed here, newest first, each with the latest review recorded against it.

        Each row: ``id``, ``name``, ``version``, ``status``, ``path``, ``root_digest``,
        ``signer_fingerprint``, ``created_at``, and from the newest review (``None`` before
        any receipt came back): ``decision``, ``reviewer``, ``reviewer_fingerprint``,
        ``review_comment``, ``decided_at``.
        """
        cursor = self._catalog.conn.execute(
            "select h.id, h.name, h.version, h.status, h.path, h.root_digest, "
            "h.signer_fingerprint, h.created_at, r.decision, r.reviewer, "
            "r.reviewer_fingerprint, r.comment as review_comment, r.created_at as decided_at "
            "from handovers h left join reviews r on r.id = ("
            "  select id from reviews where handover_id = h.id "
            "  order by created_at desc, rowid desc limit 1) "
            "where h.direction = 'sent' order by h.created_at desc, h.rowid desc limit ?",
            [-1 if limit is None else limit],
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def record_review(self, handover_id: str, review: dict[str, Any]) -> None:
        """Record a receipt's decision against a handover (once per reviewer and time); the
        handover's status becomes the newest decision recorded."""
        with self._catalog.write() as db:
            exists = db.table("reviews").count_where(
                "handover_id = ? and reviewer_fingerprint = ? and created_at = ?",
                [handover_id, review["reviewer"]["fingerprint"], review["created"]],
            )
            if not exists:
                db.table("reviews").insert(
                    encode(
                        {
                            "id": uuid.uuid4().hex,
                            "handover_id": handover_id,
                            "decision": review["decision"],
                            "comment": review["comment"],
                            "reviewer": review["reviewer"]["name"],
                            "reviewer_fingerprint": review["reviewer"]["fingerprint"],
                            "receipt": review,
                            "created_at": review["created"],
                        }
                    )
                )
            # The newest decision wins: replaying an older receipt must not undo a later one.
            latest = next(
                db.query(
                    "select decision from reviews where handover_id = ? "
                    "order by created_at desc, rowid desc limit 1",
                    [handover_id],
                )
            )
            db.table("handovers").update(handover_id, {"status": latest["decision"]})

    def add_reproduction(
        self, root_digest: str, name: str, version: str, result: dict[str, Any]
    ) -> None:
        """Keep a reproduction's result, found again by the bundle's root digest."""
        with self._catalog.write() as db:
            db.table("reproductions").insert(
                {
                    "id": uuid.uuid4().hex,
                    "root_digest": root_digest,
                    "name": name,
                    "version": version,
                    "result": json.dumps(result, default=str),
                    "created_at": timestamp(),
                }
            )

    def latest_reproduction(self, root_digest: str) -> dict[str, Any] | None:
        """The result of the newest reproduction of this bundle here, or None."""
        # Through the bare connection: `baton verify` asks this and stays off
        # sqlite-utils' import time.
        row = self._catalog.conn.execute(
            "select id, name, result from reproductions where root_digest = ? "
            "order by created_at desc, rowid desc limit 1",
            [root_digest],
        ).fetchone()
        if row is None:
            return None
        return decode(dict(zip(("id", "name", "result"), row, strict=True)), "reproductions")[
            "result"
        ]


def sent_handovers(catalog: Catalog, limit: int | None = 500) -> list[dict[str, Any]]:
    """:meth:`Handovers.sent` of ``catalog``."""
    return catalog.handovers.sent(limit)
