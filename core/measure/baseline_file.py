"""Reading a bundle's ``monitoring/baseline.json``: its constants and a strict parser.

Apart from :mod:`baton.core.measure.baseline`, which profiles and compares data with
pyarrow: ``baton verify`` reads the file without importing pyarrow.
"""

from __future__ import annotations

from typing import Any

from baton.core import jsonsafe
from baton.core.errors import VerificationError

SCHEMA = "baton.baseline/v1"
FILE = "monitoring/baseline.json"
MAX_BYTES = 8 * 2**20  # a baseline is a few KB per column; this caps a hostile one
SETS = ("test", "train", "predictions")


def _bad(source: str, why: str) -> VerificationError:
    return VerificationError(f"{source} {why}", path=FILE)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_column(column: Any, source: str) -> None:
    if not isinstance(column, dict) or not isinstance(column.get("name"), str):
        raise _bad(source, "has a column profile without a name")
    name = jsonsafe.visible(column["name"], 60)
    if not (_count(column.get("count")) and _count(column.get("missing"))):
        raise _bad(source, f"has no row counts for column {name!r}")
    kind = column.get("kind")
    if kind == "numeric":
        cuts, counts = column.get("cuts"), column.get("counts")
        if not (
            isinstance(cuts, list)
            and isinstance(counts, list)
            and all(_number(c) for c in cuts)
            and all(_count(c) for c in counts)
            and len(counts) == len(cuts) + 1
            and cuts == sorted(cuts)
        ):
            raise _bad(source, f"has a malformed histogram for column {name!r}")
    elif kind == "categorical":
        values = column.get("values")
        if not (
            isinstance(values, list)
            and all(
                isinstance(v, dict) and isinstance(v.get("value"), str) and _count(v.get("count"))
                for v in values
            )
            and _count(column.get("other"))
        ):
            raise _bad(source, f"has malformed frequencies for column {name!r}")
    elif kind != "other":
        raise _bad(source, f"has column {name!r} of unknown kind")


def parse_baseline(data: bytes, *, source: str = FILE) -> dict[str, Any]:
    """Strictly read a baseline (size-capped, strict JSON, every profile's shape checked);
    anything else is a :class:`VerificationError` naming ``source``."""
    doc = jsonsafe.loads(data, source=source, max_bytes=MAX_BYTES, path=FILE)
    if doc.get("schema") != SCHEMA:
        raise _bad(source, f"is not a {SCHEMA} document")
    sets = doc.get("sets")
    if not isinstance(sets, dict) or "test" not in sets or "predictions" not in sets:
        raise _bad(source, "lacks the test set's or the predictions' profile")
    for name, profile in sets.items():
        if name not in SETS:
            raise _bad(source, f"has an unknown profile {jsonsafe.visible(name, 40)!r}")
        if not isinstance(profile, dict) or not _count(profile.get("rows")):
            raise _bad(source, f"has a malformed {name} profile")
        columns = profile.get("columns")
        if not isinstance(columns, list):
            raise _bad(source, f"has a malformed {name} profile")
        for column in columns:
            _check_column(column, source)
        names = [c["name"] for c in columns]
        if len(set(names)) != len(names):
            raise _bad(source, f"profiles a column twice in its {name} profile")
    return doc
