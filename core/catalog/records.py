"""The shape of catalog records, for the layers above that read them (no SQL here, so the
child process can import it cheaply)."""

from __future__ import annotations

from typing import Any


def feature_names(features: list[dict] | None) -> list[str] | None:
    """The model's input names in order, or None while any input is unnamed."""
    names = [f.get("name") for f in features or ()]
    return [str(n) for n in names] if names and all(names) else None


def model_summary(record: dict[str, Any]) -> dict[str, Any]:
    """A model record flattened for display and JSON output."""
    out = {k: v for k, v in record.items() if k != "info"}
    out.update(record.get("info") or {})
    return out
