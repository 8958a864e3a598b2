"""Versions and names of a handover: versions compared number by number (``"2" == "2.0"``),
names after Unicode case folding and NFC."""

from __future__ import annotations

import re
import unicodedata

from baton.core.contract.validation import (
    show_value,
)
from baton.core.errors import ContractError

_VERSION = re.compile(r"(0|[1-9][0-9]{0,8})(\.(0|[1-9][0-9]{0,8})){0,3}")


def version_key(version: str) -> tuple[int, ...]:
    """Sort key of a version: its numbers with trailing zeros dropped (``"1.0"`` -> ``(1,)``)."""
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise ContractError(
            f"{show_value(version)} is not a version; use one to four dot-separated whole numbers "
            "without leading zeros, such as '3' or '1.0.0'"
        )
    numbers = [int(n) for n in version.split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as version ``a`` is older than, the same as, or newer than ``b``.

    Numbers compare from the left and a missing number counts as 0: ``"1.10" > "1.9"``,
    ``"2" > "1.9.9"``, ``"1.0" == "1.0.0"``.
    """
    ka, kb = version_key(a), version_key(b)
    return (ka > kb) - (ka < kb)


def canonical_version(version: str) -> str:
    """The shortest spelling of a version (``"2.0.0"`` -> ``"2"``), for file names: two
    spellings of one version must never name two different files."""
    return ".".join(map(str, version_key(version)))


def name_key(name: str) -> str:
    """A bundle name as Baton compares it: Unicode's canonical caseless form.

    Case folding (not ``lower()``: ``"STRASSE"`` matches ``"straße"``) between two
    normalisations, so ``"Churn"`` and ``"churn"``, or a composed and a decomposed
    ``"é"``, are one name for the rollback history and for file names. Otherwise a
    bundle could slip past the history of its own name, or two handovers share one
    file on a case-insensitive disk.
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", name).casefold())


def same_name(a: str, b: str) -> bool:
    """Whether two bundle names are one name (see :func:`name_key`)."""
    return name_key(a) == name_key(b)
