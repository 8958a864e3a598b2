"""The candidate models a contract hands over, read one way by every caller.

A contract of one model (every contract so far) has one candidate, named after the
handover. The engineer's choice (a review's ``--choose``), optimisation (``--candidate``)
and the side-by-side views all go through :func:`candidates` and :func:`choose`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from baton.core.errors import UsageError


@dataclass(frozen=True)
class Candidate:
    """One model of a handover, with the evidence measured for it on the shared test set."""

    name: str
    model: Mapping[str, Any]  # the contract's model entry: file, format, sha256, features, …
    predictions: Mapping[str, Any] | None  # the predictions file entry (None while drafting)
    results: Mapping[str, Any]  # metrics with intervals, latency per batch size, memory
    targets: Sequence[Mapping[str, Any]]  # the agreed targets with this model's verdicts
    recommended: bool = False


def candidates(contract: Mapping[str, Any]) -> list[Candidate]:
    """Every candidate of ``contract``, in the contract's order."""
    return [
        Candidate(
            name=str(contract["identity"]["name"]),
            model=contract["model"],
            predictions=contract.get("predictions"),
            results=contract.get("results") or {},
            targets=contract.get("targets") or [],
            recommended=True,
        )
    ]


def choose(contract: Mapping[str, Any], name: str | None = None) -> Candidate:
    """The candidate called ``name``; without a name, the only one or the recommended one."""
    found = candidates(contract)
    if name is None:
        if len(found) == 1:
            return found[0]
        recommended = [c for c in found if c.recommended]
        if len(recommended) == 1:
            return recommended[0]
        raise UsageError(
            f"this handover has {len(found)} candidates and recommends none: name one of "
            + ", ".join(c.name for c in found)
        )
    for candidate in found:
        if candidate.name == name:
            return candidate
    raise UsageError(
        f"no candidate named {name!r} in this handover; its candidates are "
        + ", ".join(c.name for c in found)
    )
