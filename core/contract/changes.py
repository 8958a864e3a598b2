"""What changed between two versions of a contract: fields, targets, metrics and latency,
each change marked better or worse where the direction is known."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from baton.core.contract.targets import (
    Target,
    metric_direction,
)
from baton.core.contract.validation import (
    PathKey,
    format_path,
    show_value,
    target_key,
)
from baton.core.errors import ContractError

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class Change:
    """One difference between two contracts.

    ``path`` names list entries by what identifies them, not by position:
    ``targets[latency_p95_ms@32].threshold``, ``datasets[test].rows``,
    ``results.latency[32].p95_ms``, ``model.features[mean radius].dtype``. ``delta`` is
    ``new - old`` for numbers; ``better`` says whether a measured figure improved (``None``
    when the field has no better direction or did not move).
    """

    path: str
    kind: ChangeKind
    old: Any = None
    new: Any = None
    delta: float | None = None
    better: bool | None = None

    def __str__(self) -> str:
        if self.kind == "added":
            return f"{self.path}: added {_brief(self.new)}"
        if self.kind == "removed":
            return f"{self.path}: removed (was {_brief(self.old)})"
        text = f"{self.path}: {_brief(self.old)} → {_brief(self.new)}"
        notes = []
        if self.delta is not None:
            notes.append(f"{'+' if self.delta >= 0 else ''}{self.delta:.6g}")
        if self.better is not None:
            notes.append("better" if self.better else "worse")
        return text + (f" ({', '.join(notes)})" if notes else "")


def _brief(value: Any) -> str:
    if isinstance(value, Mapping):
        if "metric" in value and "op" in value:
            try:
                return Target.from_dict(value).expr()
            except ContractError:
                pass
        return "{…}"
    if isinstance(value, list):
        return (
            "[" + ", ".join(_brief(v) for v in value[:6]) + (", …" if len(value) > 6 else "") + "]"
        )
    if isinstance(value, float):
        return format(value, ".6g")
    return show_value(value)


# How entries of a list are matched between two contracts ("*" stands for one entry).
_LIST_KEYS: dict[tuple[str, ...], Any] = {
    ("targets",): target_key,
    ("datasets",): lambda d: d.get("role"),
    ("datasets", "*", "columns"): lambda c: c.get("name"),
    ("model", "features"): lambda c: c.get("name"),
    ("predictions", "columns"): lambda c: c.get("name"),
    ("results", "latency"): lambda r: r.get("batch_size"),
    ("identity", "authors"): lambda a: a.get("fingerprint"),
}


# Lists whose order means something: a model reads its inputs by position.
_ORDERED_LISTS = {("datasets", "*", "columns"), ("model", "features"), ("predictions", "columns")}


_SECTION_ORDER = (
    "schema",
    "identity",
    "targets",
    "results",
    "model",
    "datasets",
    "predictions",
    "labels",
    "environment",
)


_VERDICT_RANK = {"fail": 0, "unmeasured": 1, "pass": 2}


def _distinct(keys: list[Any]) -> bool:
    return len({repr(k) for k in keys}) == len(keys)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _better(logical: tuple[str, ...], concrete: tuple[Any, ...], old: Any, new: Any) -> bool | None:
    if logical[:1] == ("targets",) and logical[-1:] == ("verdict",):
        ro, rn = _VERDICT_RANK.get(old), _VERDICT_RANK.get(new)
        return None if ro is None or rn is None or ro == rn else rn > ro
    if not (_is_number(old) and _is_number(new)) or old == new:
        return None
    direction: str | None = None
    if logical[:2] == ("results", "metrics") and logical[-1:] == ("value",):
        direction = metric_direction(str(concrete[2]))
    elif logical[:2] == ("results", "latency") and len(logical) == 4:
        field = logical[3]
        if field == "throughput_rps":
            direction = "higher"
        elif field.endswith("_ms") and field != "std_ms":
            direction = "lower"
    elif logical[:2] == ("results", "memory") or logical in (
        ("model", "size_bytes"),
        ("model", "params"),
    ):
        direction = "lower"
    elif logical[:1] == ("targets",) and logical[-1:] == ("measured",):
        direction = metric_direction(str(concrete[1].value).partition("@")[0])
    if direction is None:
        return None
    return (new > old) if direction == "higher" else (new < old)


def _diff(
    old: Any, new: Any, parts: tuple[Any, ...], logical: tuple[str, ...], out: list[Change]
) -> None:
    path = format_path(parts)
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        keys = list(old) + [k for k in new if k not in old]
        if not parts:
            keys.sort(
                key=lambda k: (
                    _SECTION_ORDER.index(k) if k in _SECTION_ORDER else len(_SECTION_ORDER)
                )
            )
        for key in keys:
            sub, lsub = (*parts, key), (*logical, key)
            if key not in new:
                out.append(Change(format_path(sub), "removed", old=old[key]))
            elif key not in old:
                out.append(Change(format_path(sub), "added", new=new[key]))
            else:
                _diff(old[key], new[key], sub, lsub, out)
        return
    if isinstance(old, list) and isinstance(new, list):
        keyfn = _LIST_KEYS.get(logical)
        if keyfn is not None and all(isinstance(x, Mapping) for x in old + new):
            okeys, nkeys = [keyfn(x) for x in old], [keyfn(x) for x in new]
            if _distinct(okeys) and _distinct(nkeys):
                _diff_keyed(old, new, okeys, nkeys, parts, logical, out)
                return
        if old != new:
            out.append(Change(path, "changed", old=old, new=new))
        return
    if old != new or (type(old) is not type(new) and not (_is_number(old) and _is_number(new))):
        delta = new - old if _is_number(old) and _is_number(new) else None
        out.append(
            Change(
                path,
                "changed",
                old=old,
                new=new,
                delta=delta,
                better=_better(logical, parts, old, new),
            )
        )


def _diff_keyed(
    old: list[Any],
    new: list[Any],
    okeys: list[Any],
    nkeys: list[Any],
    parts: tuple[Any, ...],
    logical: tuple[str, ...],
    out: list[Change],
) -> None:
    by_old = dict(zip(map(repr, okeys), old, strict=True))
    by_new = dict(zip(map(repr, nkeys), new, strict=True))
    order = okeys + [k for k in nkeys if repr(k) not in by_old]
    for key in order:
        sub = (*parts, PathKey(key))
        if repr(key) not in by_new:
            out.append(Change(format_path(sub), "removed", old=by_old[repr(key)]))
        elif repr(key) not in by_old:
            out.append(Change(format_path(sub), "added", new=by_new[repr(key)]))
        else:
            _diff(by_old[repr(key)], by_new[repr(key)], sub, (*logical, "*"), out)
    common_old = [k for k in okeys if repr(k) in by_new]
    common_new = [k for k in nkeys if repr(k) in by_old]
    if logical in _ORDERED_LISTS and common_old != common_new:
        out.append(Change(format_path(parts), "changed", old=common_old, new=common_new))


def diff_contracts(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Field-by-field changes from ``old`` to ``new``.

    Targets are matched by metric and batch, datasets by role, latency rows by batch size,
    features and columns by name, authors by key fingerprint; all changes of one target
    are adjacent. A new order of features or columns (which a model reads by position) is
    one change on the list, old and new order as values. Lists without an identity
    (classes, per-class rows) change as a whole.
    """
    out: list[Change] = []
    _diff(old, new, (), (), out)
    return out
