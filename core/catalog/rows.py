"""How catalog rows are written and read: JSON columns encoded, every column's type checked
when read back, and the timestamps rows carry."""

from __future__ import annotations

import json
import time
from typing import Any

from baton.core import jsonsafe
from baton.core.errors import CatalogError

# The catalog's JSON columns are Baton's own writing, so their cap only keeps damage from
# exhausting memory; a profile of a very wide dataset stays well under it.
MAX_JSON_COLUMN_CHARS = 256 * 2**20
DAMAGED_HINT = (
    "the catalog is damaged: restore catalog.db from a backup, or move it aside and run "
    "`baton init` to start a new one"
)


def timestamp() -> str:
    """Now in UTC, as every row (and every receipt and reproduction) records it."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# Each JSON column and the type its value has; None stands for SQL NULL, never decoded.
_JSON_FIELDS: dict[str, type | tuple[type, ...]] = {
    "tags": list,
    "classes": (list, type(None)),
    "features": list,
    "info": dict,
    "safety": dict,
    "columns": list,
    "profile": list,
    "contract": dict,
    "receipt": dict,
    "result": dict,
    "body": dict,
    "baseline": dict,
}


_INTEGER_COLUMNS = frozenset({"params", "size_bytes", "rows"})


_STORED = {str: "text", bytes: "bytes", int: "a number", float: "a decimal number"}


def encode(record: dict[str, Any]) -> dict[str, Any]:
    row = dict(record)
    for key in _JSON_FIELDS:
        if key in row and not isinstance(row[key], str | None):
            row[key] = json.dumps(row[key], sort_keys=True)
    return row


def _row_label(table: str, row: dict[str, Any]) -> str:
    name, row_id = row.get("name"), row.get("id")
    ident = f"(id {jsonsafe.visible(str(row_id), 64)})" if row_id is not None else ""
    if isinstance(name, str):
        return f"the catalog's {table} row {name[:64]!r} {ident}".rstrip()
    return f"the catalog's {table} row {ident}".rstrip()


def decode(row: dict[str, Any], table: str) -> dict[str, Any]:
    """A catalog row as Python values, its JSON columns parsed and every column's type
    checked, so damage on disk is one :class:`CatalogError` naming the row and column."""
    record = dict(row)
    for key, value in row.items():
        if value is None:
            continue
        expected = str if key not in _INTEGER_COLUMNS else int
        if type(value) is not expected:
            wanted = "JSON text" if key in _JSON_FIELDS else _STORED[expected]
            raise CatalogError(
                f"{_row_label(table, row)}: {key} holds "
                f"{_STORED.get(type(value), type(value).__name__)} where {wanted} belongs; "
                f"{DAMAGED_HINT}"
            )
        if key in _JSON_FIELDS and isinstance(value, str):  # JSON columns are text, checked above
            record[key] = jsonsafe.loads(
                value,
                source=f"{_row_label(table, row)}: {key}",
                error=CatalogError,
                expect=_JSON_FIELDS[key],
                max_bytes=MAX_JSON_COLUMN_CHARS,
                hint=DAMAGED_HINT,
                path=table,
            )
    record.pop("column_names", None)
    return record
