"""The candidate models a contract hands over, read one way by every caller.

A contract of one model (every contract packed before candidates existed, and every pack
of one model still) has one candidate, named after the handover, and no ``candidates``
list: its layout is exactly the one-model layout.

A contract of several candidates, all measured on the one test set the contract
fingerprints, keeps that one-model shape for its *primary* candidate (the recommended
one, or the first when none is recommended), so a reader that knows nothing of
candidates still sees one complete model, and adds the optional list::

    "candidates": [
      {"name": "gbm", "recommended": true,
       "model": {"file": "model/model.skops", ...},        # the top-level files
       "predictions": {"file": "predictions/test.parquet", ...},
       "results": {...}, "targets": [...]},                 # equal to the top-level ones
      {"name": "logreg", "recommended": false,
       "model": {"file": "candidates/logreg/model.skops", ...},
       "predictions": {"file": "candidates/logreg/predictions.parquet", ...},
       "results": {...}, "targets": [...]}
    ]

Every entry has the model entry, predictions entry, results (metrics with intervals,
latency per batch size, memory) and the agreed targets with that candidate's measured
values and verdicts. The primary's entry repeats the top-level sections, so the list alone
describes every candidate. Each other candidate's files live in its own folder
``candidates/NAME/``, so no name can collide with the bundle's own files. The rules the
schema cannot state (:func:`issues`): two to twenty candidates, names unique as Baton
compares names, at most one recommended and then it is the primary, exactly one entry
naming the top-level files and equal to them, the others in their own folder, all of one
problem type and the same classes, and the same agreed targets.

A bundle's verification checks every candidate's files exactly as the one model's: the
signed manifest covers them, each model passes the skops allowlist or the ONNX checks in
the child, and nothing else is loaded. The engineer's choice (a review's ``--choose``),
optimisation (``--candidate``) and the side-by-side views all go through
:func:`candidates`, :func:`choose` and :func:`view`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from baton.core.errors import UsageError

CANDIDATE_FOLDER = "candidates"
SECTIONS = ("model", "predictions", "results", "targets")
MAX_CANDIDATES = 20


@dataclass(frozen=True)
class Candidate:
    """One model of a handover, with the evidence measured for it on the shared test set."""

    name: str
    model: Mapping[str, Any]  # the contract's model entry: file, format, sha256, features, …
    predictions: Mapping[str, Any] | None  # the predictions file entry (None while drafting)
    results: Mapping[str, Any]  # metrics with intervals, latency per batch size, memory
    targets: Sequence[Mapping[str, Any]]  # the agreed targets with this model's verdicts
    recommended: bool = False
    primary: bool = True  # its files are the top-level model/ and predictions/test.parquet


def model_file(name: str, fmt: str) -> str:
    """Where a candidate other than the primary keeps its model in a bundle."""
    return f"{CANDIDATE_FOLDER}/{name}/model.{fmt}"


def predictions_file(name: str) -> str:
    """Where a candidate other than the primary keeps its predictions in a bundle."""
    return f"{CANDIDATE_FOLDER}/{name}/predictions.parquet"


def is_multi(contract: Mapping[str, Any]) -> bool:
    """Whether ``contract`` hands over several candidates."""
    return bool(contract.get("candidates"))


def candidates(contract: Mapping[str, Any]) -> list[Candidate]:
    """Every candidate of ``contract``, in the contract's order."""
    listed = contract.get("candidates")
    if not listed:
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
    top = contract["model"]["file"]
    return [
        Candidate(
            name=str(entry["name"]),
            model=entry["model"],
            predictions=entry.get("predictions"),
            results=entry.get("results") or {},
            targets=entry.get("targets") or [],
            recommended=bool(entry.get("recommended")),
            primary=entry["model"]["file"] == top,
        )
        for entry in listed
    ]


def recommended(contract: Mapping[str, Any]) -> Candidate | None:
    """The candidate the data scientist recommends; None when there are several and none is."""
    found = [c for c in candidates(contract) if c.recommended]
    return found[0] if len(found) == 1 else None


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


def view(contract: Mapping[str, Any], candidate: Candidate | str) -> dict[str, Any]:
    """``contract`` as if ``candidate`` were its only model: its model, predictions, results
    and targets at the top, and no ``candidates`` list. What reproducing, checking or
    optimising one candidate reads, so that each is handled exactly as a one-model bundle."""
    chosen = candidate if isinstance(candidate, Candidate) else choose(contract, candidate)
    out = {k: copy.deepcopy(v) for k, v in contract.items() if k != "candidates"}
    out["model"] = copy.deepcopy(dict(chosen.model))
    out["predictions"] = copy.deepcopy(dict(chosen.predictions)) if chosen.predictions else None
    out["results"] = copy.deepcopy(dict(chosen.results))
    out["targets"] = copy.deepcopy(list(chosen.targets))
    return out


def entry(name: str, contract: Mapping[str, Any], *, recommended: bool = False) -> dict[str, Any]:
    """A ``candidates`` list entry from a one-model contract measured for that candidate."""
    return {
        "name": name,
        "recommended": recommended,
        **{k: copy.deepcopy(contract[k]) for k in SECTIONS},
    }


def others(contract: Mapping[str, Any]) -> list[Candidate]:
    """The candidates besides the primary one: what a bundle holds in ``candidates/``,
    beside the top-level model and predictions."""
    return [c for c in candidates(contract) if not c.primary]


# --------------------------------------------------------------------------- side by side


KEY_METRICS = {
    "binary": ("accuracy", "roc_auc", "f1"),
    "multiclass": ("accuracy", "f1_macro"),
    "regression": ("r2", "rmse", "mae"),
}


def key_metrics(problem_type: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The metrics the side-by-side views show for this problem, those measured at all."""
    wanted = KEY_METRICS.get(problem_type, ())
    return [m for m in wanted if any(m in (r.get("metrics") or {}) for r in rows)]


def primary_metric(problem_type: str) -> str:
    """The quality metric the side-by-side views plot: accuracy, or r2 for regression."""
    return "r2" if problem_type == "regression" else "accuracy"


def _p95_at_1(results: Mapping[str, Any]) -> float | None:
    for row in results.get("latency") or []:
        if row.get("batch_size") == 1:
            return row.get("p95_ms")
    return None


def comparison(contract: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per candidate for the side-by-side views (card, ``inspect``, the desktop):
    name, format, parameters, every metric with its interval, latency p95 at batch 1,
    memory, the targets' verdicts, and whether it is recommended."""
    rows = []
    for c in candidates(contract):
        memory = c.results.get("memory") or {}
        verdicts = [t.get("verdict") for t in c.targets]
        rows.append(
            {
                "name": c.name,
                "recommended": c.recommended and is_multi(contract),
                "primary": c.primary,
                "format": c.model.get("format"),
                "estimator": c.model.get("estimator"),
                "params": c.model.get("params"),
                "metrics": copy.deepcopy(dict(c.results.get("metrics") or {})),
                "latency_p95_ms_batch_1": _p95_at_1(c.results),
                "memory_mb": memory.get("peak_predict_mb"),
                "size_mb": memory.get("size_on_disk_mb"),
                "targets": {
                    "pass": verdicts.count("pass"),
                    "fail": verdicts.count("fail"),
                    "unmeasured": verdicts.count("unmeasured"),
                },
                "verdicts": {str(t.get("metric")) + _at(t): t.get("verdict") for t in c.targets},
            }
        )
    return rows


def _at(target: Mapping[str, Any]) -> str:
    return f"@{target['batch']}" if target.get("batch") is not None else ""


# --------------------------------------------------------------------------- rules


def _agreed(targets: Sequence[Mapping[str, Any]]) -> list[tuple]:
    """The targets as agreed, without what was measured for one model."""
    keys = ("metric", "op", "threshold", "batch", "tolerance", "note")
    return [tuple(t.get(k) for k in keys) for t in targets]


def issues(
    contract: Mapping[str, Any],
    check_one: Callable[[Mapping[str, Any]], list[tuple[str, str]]],
) -> list[tuple[str, str]]:
    """The rules of the ``candidates`` list the schema cannot state, as ``(path, message)``.

    ``check_one`` checks a one-model contract (the consistency rules of a contract); it
    runs on each candidate other than the primary, seen through :func:`view`, and its
    problems are named after that candidate.
    """
    from baton.core.contract.versions import name_key  # versions reads the schema's rules

    listed = contract.get("candidates")
    if not listed:
        return []
    out: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    top_file = contract["model"]["file"]
    primaries = [i for i, e in enumerate(listed) if e["model"]["file"] == top_file]
    if len(primaries) != 1:
        out.append(
            (
                "candidates",
                f"candidates must have exactly one entry whose model is {top_file} (the "
                f"primary candidate), not {len(primaries)}",
            )
        )
    chosen = [i for i, e in enumerate(listed) if e["recommended"]]
    if len(chosen) > 1:
        out.append(("candidates", "candidates recommends more than one model"))
    elif chosen and primaries and chosen != primaries[:1]:
        out.append(
            (
                f"candidates[{chosen[0]}].recommended",
                f"candidates[{chosen[0]}].recommended: the recommended candidate must be the "
                "primary one, whose model is the contract's top-level model",
            )
        )
    elif not chosen and primaries and primaries[0] != 0:
        out.append(
            (
                "candidates",
                "candidates: without a recommendation the first candidate is the primary one",
            )
        )
    agreed = _agreed(contract["targets"])
    for i, e in enumerate(listed):
        at, name = f"candidates[{i}]", e["name"]
        key = name_key(name)
        if key in seen:
            out.append((f"{at}.name", f"{at}.name {name!r} repeats candidates[{seen[key]}]'s name"))
        seen[key] = i
        if i in primaries:
            for section in SECTIONS:
                if e[section] != contract[section]:
                    out.append(
                        (
                            f"{at}.{section}",
                            f"{at}.{section} must equal the contract's {section}: this "
                            "candidate is the primary one",
                        )
                    )
            continue
        fmt = e["model"]["format"]
        if e["model"]["file"] != model_file(name, fmt):
            out.append(
                (
                    f"{at}.model.file",
                    f"{at}.model.file must be {model_file(name, fmt)!r}, not {e['model']['file']!r}",
                )
            )
        pred = e["predictions"]
        if pred is not None and pred["file"] != predictions_file(name):
            out.append(
                (
                    f"{at}.predictions.file",
                    f"{at}.predictions.file must be {predictions_file(name)!r}, not {pred['file']!r}",
                )
            )
        if (pred is None) != (contract["predictions"] is None):
            out.append(
                (
                    f"{at}.predictions",
                    f"{at}.predictions: every candidate has predictions, or none yet",
                )
            )
        if e["model"]["classes"] != contract["model"]["classes"]:
            out.append(
                (
                    f"{at}.model.classes",
                    f"{at}.model.classes: every candidate must predict the same classes",
                )
            )
        if _agreed(e["targets"]) != agreed:
            out.append(
                (
                    f"{at}.targets",
                    f"{at}.targets must be the contract's agreed targets, with this "
                    "candidate's measured values and verdicts",
                )
            )
        seen_view = view(contract, Candidate(name, e["model"], pred, e["results"], e["targets"]))
        out += [
            (f"{at}.{path}", f"{at} ({name}): {message}") for path, message in check_one(seen_view)
        ]
    return out
