"""The trust store: colleagues' public keys, by fingerprint, with when each was trusted and,
if revoked, when and why. Reached as ``catalog.trusted_keys``; the rules of trusting
(nothing on first use, a revoked key never again) are :mod:`baton.core.handover.trust`'s."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from baton.core.catalog.rows import timestamp

if TYPE_CHECKING:
    from baton.core.catalog.store import Catalog


class TrustedKeys:
    """The ``trusted_keys`` rows of one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def put(self, fingerprint: str, name: str, email: str | None, public_pem: str) -> None:
        """Trust a key from now on (a row already there is replaced, its revocation too)."""
        with self._catalog.write() as db:
            db.table("trusted_keys").upsert(
                {
                    "fingerprint": fingerprint,
                    "name": name,
                    "email": email,
                    "public_pem": public_pem,
                    "trusted_at": timestamp(),
                    "revoked_at": None,
                    "revoked_reason": None,
                },
                pk="fingerprint",
            )

    def get(self, fingerprint: str) -> dict[str, Any] | None:
        rows = list(
            self._catalog.db.table("trusted_keys").rows_where("fingerprint = ?", [fingerprint])
        )
        return rows[0] if rows else None

    def with_prefix(self, prefix: str) -> list[dict[str, Any]]:
        """The keys whose fingerprint starts with ``prefix`` (lowercase hex)."""
        return list(
            self._catalog.db.table("trusted_keys").rows_where("fingerprint like ?", [prefix + "%"])
        )

    def revoke(self, fingerprint: str, reason: str) -> None:
        with self._catalog.write() as db:
            db.table("trusted_keys").update(
                fingerprint, {"revoked_at": timestamp(), "revoked_reason": reason}
            )

    def listing(
        self, order_by: Literal["trusted_at", "name"] = "trusted_at", limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Every key, revoked ones too, in the order asked."""
        if "trusted_keys" not in self._catalog.db.table_names():
            return []
        return list(
            self._catalog.db.table("trusted_keys").rows_where(order_by=order_by, limit=limit)
        )
