"""Stored contract drafts (the ``contracts`` table), one per name and version. Reached as
``catalog.drafts``; what a draft holds and how versions compare are
:mod:`baton.core.contract`'s."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from baton.core.catalog.rows import decode, timestamp

if TYPE_CHECKING:
    from baton.core.catalog.store import Catalog


class Drafts:
    """The ``contracts`` rows of one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def save(self, name: str, version: str, body: dict[str, Any], model_id: str | None) -> None:
        """Store a draft under its name and version, replacing the body already there."""
        text = json.dumps(body, sort_keys=True)
        with self._catalog.write() as db:
            rows = list(
                db.table("contracts").rows_where(
                    "name = ? and version = ?", [name, version], limit=1
                )
            )
            if rows:
                db.table("contracts").update(
                    rows[0]["id"], {"body": text, "updated_at": timestamp()}
                )
            else:
                db.table("contracts").insert(
                    {
                        "id": uuid.uuid4().hex,
                        "name": name,
                        "version": version,
                        "model_id": model_id,
                        "body": text,
                        "created_at": timestamp(),
                        "updated_at": timestamp(),
                    }
                )

    def of_name(self, name: str) -> list[dict[str, Any]]:
        """Every stored version of ``name``, decoded (``body`` is the contract)."""
        return [
            decode(r, "contracts")
            for r in self._catalog.db.table("contracts").rows_where("name = ?", [name])
        ]

    def names_and_versions(self) -> list[tuple[str, str]]:
        return [
            (r["name"], r["version"])
            for r in self._catalog.db.table("contracts").rows_where(select="name, version")
        ]

    def versions(self, name: str) -> list[str]:
        return [
            r["version"]
            for r in self._catalog.db.table("contracts").rows_where(
                "name = ?", [name], select="version"
            )
        ]

    def model_id(self, name: str, version: str) -> str | None:
        """The catalog model a draft was stored with, or None."""
        rows = list(
            self._catalog.db.table("contracts").rows_where(
                "name = ? and version = ?", [name, version], limit=1
            )
        )
        return rows[0]["model_id"] if rows else None

    def listing(
        self, model_id: str | None = None, model_sha256: str | None = None
    ) -> list[dict[str, Any]]:
        """``name``, ``version``, ``model_id``, ``created_at``, ``updated_at`` of every draft,
        or with ``model_id``, of that model's: stored with it, or stored without a model
        while their contract names ``model_sha256``."""
        where, args = None, []
        if model_id is not None:
            where = (
                "model_id = ? or (model_id is null and json_extract(body, '$.model.sha256') = ?)"
            )
            args = [model_id, model_sha256]
        return list(
            self._catalog.db.table("contracts").rows_where(
                where, args, select="name, version, model_id, created_at, updated_at"
            )
        )
