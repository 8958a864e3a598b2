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

    # Reads go through the catalog's own connection (_select), not sqlite-utils: checking
    # a signer is on the path of `baton verify`, which must not wait for pandas' import.
    def get(self, fingerprint: str) -> dict[str, Any] | None:
        rows = self._catalog._select(
            "select * from trusted_keys where fingerprint = ?", [fingerprint]
        )
        return rows[0] if rows else None

    def with_prefix(self, prefix: str) -> list[dict[str, Any]]:
        """The keys whose fingerprint starts with ``prefix`` (lowercase hex)."""
        return self._catalog._select(
            "select * from trusted_keys where fingerprint like ?", [prefix + "%"]
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
        if order_by not in ("trusted_at", "name"):
            raise ValueError(f"trusted keys are listed by trusted_at or name, not {order_by!r}")
        if "trusted_keys" not in self._catalog._table_names():
            return []
        return self._catalog._select(
            f"select * from trusted_keys order by {order_by} limit ?",
            [-1 if limit is None else limit],
        )
