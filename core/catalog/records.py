"""The shape of catalog records, for the layers above that read them (no SQL here, so the
child process can import it cheaply)."""

from __future__ import annotations


def feature_names(features: list[dict] | None) -> list[str] | None:
    """The model's input names in order, or None while any input is unnamed."""
    names = [f.get("name") for f in features or ()]
    return [str(n) for n in names] if names and all(names) else None
