"""Editing a contract: setting a field by its path, adding and removing targets, and
re-evaluating every target's verdict against the measured results."""

from __future__ import annotations

import contextlib
import copy
import json
import re
from collections.abc import Mapping
from typing import Any

from baton.core.contract.compose import (
    append_target,
    environment_section,
    plain,
    results_section,
)
from baton.core.contract.targets import (
    BATCHED_METRICS,
    DEFAULT_BATCH,
    Target,
    measured_value,
    parse_target,
)
from baton.core.contract.validation import (
    SCHEMA_ID,
    check_contract,
    did_you_mean,
    format_path,
    schema_issues,
    show_value,
    target_key,
    validate_contract,
)
from baton.core.errors import ContractError, ContractInvalid, MalformedExpression, UnknownField
from baton.core.present import counted

_PATH_PART = re.compile(r'\.?([^.\[\]"]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def _parse_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    pos = 0
    text = path.strip()
    while pos < len(text):
        match = _PATH_PART.match(text, pos)
        if match is None or (pos == 0 and text.startswith(".")):
            raise MalformedExpression(
                f'cannot read the field path "{path}"; write it like "identity.intended_use" or "targets.0.threshold"'
            )
        if match[1] is not None:
            parts.append(match[1])
        elif match[2] is not None:
            parts.append(int(match[2]))
        else:
            parts.append(json.loads(match[3]))
        pos = match.end()
    if not parts:
        raise MalformedExpression("an empty field path names no field")
    return parts


def _key_in(node: Any, part: str | int, done: list[str | int]) -> str | int:
    """The key or index ``part`` names in ``node`` (the field at path ``done``)."""
    here = format_path(done) or "the contract"
    if isinstance(node, list):
        if isinstance(part, str) and part.isdigit():
            part = int(part)
        if not isinstance(part, int):
            raise MalformedExpression(
                f"{here} is a list; name an entry by its index, as in {here}.0"
            )
        if not 0 <= part < len(node):
            full = format_path([*done, part])
            if not node:
                raise UnknownField(f"{here} is empty; there is no {full}")
            have = f"{len(node)} entries" if len(node) != 1 else "1 entry"
            raise UnknownField(f"{here} has {have}; there is no {full}")
        return part
    if isinstance(node, dict):
        return str(part)
    raise UnknownField(f"{here} is {show_value(node)}; it has no field {part!r}")


def set_field(contract: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``contract`` with the field at ``path`` set to ``value``.

    ``path`` is dotted, with list indices as numbers: ``"identity.intended_use"``,
    ``"targets.0.threshold"`` (``"targets[0].threshold"`` works too). Refuses unknown
    fields, computed fields (a target's ``measured`` and ``verdict``) and any value that
    would make the contract invalid, with a :class:`ContractError` that says why. Target
    verdicts are re-evaluated after the change.
    """
    parts = _parse_path(path)
    before = set(validate_contract(contract))
    new = copy.deepcopy(dict(contract))
    node: Any = new
    done: list[str | int] = []
    for part in parts[:-1]:
        key = _key_in(node, part, done)
        if isinstance(node, dict) and key not in node:
            field = format_path([*done, key])
            hint = did_you_mean(key, node) or (
                "; it has: " + ", ".join(sorted(node)) if node else ""
            )
            raise UnknownField(f"there is no field {field} in the contract{hint}")
        node = node[key]
        done.append(key)
    key = _key_in(node, parts[-1], done)
    done.append(key)
    where = format_path(done)
    if done == ["schema"]:
        raise ContractError(f"schema is fixed at {SCHEMA_ID!r}")
    if len(done) == 3 and done[0] == "targets" and done[2] in ("measured", "verdict"):
        raise ContractError(
            f"{where} is computed from the results; change the target or the results instead"
        )
    node[key] = plain(copy.deepcopy(value))
    if not schema_issues(new):
        with contextlib.suppress(ContractError):  # the validation below names the problem
            new = _reevaluated(new)
    introduced = [i for i in validate_contract(new) if i not in before]
    if introduced:
        raise ContractInvalid(
            f"cannot set {where}: " + "; ".join(i.message for i in introduced), issues=introduced
        )
    return new


def _reevaluated(contract: dict[str, Any]) -> dict[str, Any]:
    results, model = contract["results"], contract["model"]
    fresh = []
    for item in contract["targets"]:
        target = Target.from_dict(item)
        fresh.append(target.to_dict(measured_value(target, results, results, model)))
    contract["targets"] = fresh
    _sync_candidates(contract)
    return contract


def _sync_candidates(contract: dict[str, Any]) -> None:
    """The candidates list following an edit: the primary candidate's entry equal to the
    top-level sections, every other candidate judged on the same agreed targets."""
    top = contract["model"]["file"]
    for entry in contract.get("candidates") or []:
        if entry["model"]["file"] == top:
            for section in ("model", "predictions", "results", "targets"):
                entry[section] = copy.deepcopy(contract[section])
            continue
        results, model = entry["results"], entry["model"]
        entry["targets"] = [
            Target.from_dict(item).to_dict(
                measured_value(Target.from_dict(item), results, results, model)
            )
            for item in contract["targets"]
        ]


def reevaluate_targets(contract: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``contract`` whose targets carry measured values and verdicts from its results."""
    return _reevaluated(copy.deepcopy(dict(contract)))


def unmeasured_batches(contract: Mapping[str, Any]) -> list[int]:
    """Batch sizes that the contract's latency and throughput targets name but its results lack."""
    measured = {row.get("batch_size") for row in contract["results"].get("latency") or []}
    named = {t.get("batch") for t in contract.get("targets") or [] if t.get("batch")}
    return sorted(named - measured)


def with_profile(contract: Mapping[str, Any], profile: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``contract`` measured again for speed: latency, memory, hardware and
    environment from ``profile`` (one profile, so they stay consistent), targets re-judged.

    The quality results are left as they are: a profile does not predict the test set.
    """
    new = copy.deepcopy(dict(contract))
    fresh = results_section({}, profile, new["model"])
    for key in ("latency", "hardware", "memory"):
        new["results"][key] = fresh[key]
    new["environment"] = environment_section(profile)
    new = _reevaluated(new)
    check_contract(new)
    return new


def add_target(contract: Mapping[str, Any], expr_or_target: str | Target) -> dict[str, Any]:
    """A copy of ``contract`` with one more target, measured and judged from its results."""
    new = copy.deepcopy(dict(contract))
    append_target(new, expr_or_target)
    return _reevaluated(new)


def _target_index(contract: Mapping[str, Any], which: int | str | Target) -> int:
    targets = contract["targets"]
    listing = ", ".join(Target.from_dict(t).expr() for t in targets) or "none"
    if isinstance(which, int) and not isinstance(which, bool):
        if 0 <= which < len(targets):
            return which
        raise UnknownField(
            f"there is no targets[{which}]; the contract has "
            f"{counted(len(targets), 'target')}: {listing}"
        )
    if isinstance(which, Target):
        key = which.key
    else:
        text = str(which).strip()
        try:
            key = parse_target(text).key
        except ContractError:
            metric, at, batch = text.replace(" ", "").partition("@")
            metric = metric.lower()
            if at:
                key = f"{metric}@{batch}"
            else:
                key = f"{metric}@{DEFAULT_BATCH}" if metric in BATCHED_METRICS else metric
    for i, item in enumerate(targets):
        if target_key(item) == key:
            return i
    raise UnknownField(f'there is no target for "{key}"; the contract\'s targets are: {listing}')


def remove_target(contract: Mapping[str, Any], which: int | str | Target) -> dict[str, Any]:
    """A copy of ``contract`` without one target.

    ``which`` is an index, a :class:`Target`, an expression, or a key such as
    ``"accuracy"`` or ``"latency_p95_ms@32"`` (targets are identified by metric and batch).
    """
    index = _target_index(contract, which)
    new = copy.deepcopy(dict(contract))
    del new["targets"][index]
    return _reevaluated(new)
