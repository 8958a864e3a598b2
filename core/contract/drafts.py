"""Contracts being written: drafted from the catalog's measurements, edited, then packed.

A draft is stored in the catalog (``contracts``) under its name and version. Its
measured parts (model, datasets, results, environment) come from the latest evaluation
and profile of the model on the test set, run now if missing; its written parts
(intended use, limitations, targets with tolerances and notes) are the data
scientist's. :func:`baton.core.handover.packing.pack_draft` signs a draft with the figures it shows where they still
hold, measuring only what is stale or missing, and stores it again as signed.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from baton.core.catalog.home import identity
from baton.core.catalog.store import Catalog
from baton.core.contract import candidates
from baton.core.contract import document as contracts
from baton.core.contract.targets import Target
from baton.core.data.importer import model_summary
from baton.core.errors import NotFound, UsageError
from baton.core.measure import runs as measure
from baton.core.measure.profiling import DEFAULT_BATCH_SIZES
from baton.core.progress import CancelToken, ProgressFn


def _measurement(catalog: Catalog, table: str, model: dict, dataset: dict, run, **kw) -> dict:
    found = catalog.latest_measurement(table, model, dataset)
    return found if found is not None else run(catalog, model["name"], dataset["name"], **kw)


def new_draft(
    catalog: Catalog,
    model_name: str,
    *,
    test: str,
    name: str,
    version: str,
    train: str | None = None,
    validation: str | None = None,
    requires: tuple[str | Target, ...] = (),
    intended_use: str = "",
    limitations: str = "",
    budget_s: float = 1.0,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Draft a contract for a catalog model and store it; measures what is missing."""
    model = catalog.get_model(model_name)
    test_rec = catalog.get_dataset(test)
    if not test_rec.get("target"):
        raise UsageError(
            f"dataset {test!r} has no target column; add it again with --target COLUMN"
        )
    entries = [contracts.dataset_entry(test_rec, "test", "data/test.parquet")]
    for role, ref in (("train", train), ("validation", validation)):
        if ref:
            entries.append(
                contracts.dataset_entry(catalog.get_dataset(ref), role, f"data/{role}.parquet")
            )
    evaluation = _measurement(
        catalog, "evaluations", model, test_rec, measure.evaluate, progress=progress, cancel=cancel
    )
    profile = catalog.latest_measurement("profiles", model, test_rec)
    measured = {row["batch_size"] for row in (profile or {}).get("result", {}).get("latency", [])}
    named = [contracts.as_target(r) for r in requires]
    if profile is None or not {t.batch for t in named if t.batch} <= measured:
        # A target's batch size the latest profile lacks is measured now, never left unmeasured.
        profile = measure.profile(
            catalog,
            model["name"],
            test_rec["name"],
            batch_sizes=measure.batch_sizes_for(named, base=measured or DEFAULT_BATCH_SIZES),
            budget_s=budget_s,
            progress=progress,
            cancel=cancel,
        )
    me = identity(catalog.home)
    authors = [{k: me[k] for k in ("name", "email", "fingerprint")}] if me else []
    # The predictions file names the evaluation behind the figures, which packing reuses.
    predictions = measure.predictions_entry(
        catalog.objects.open_verified(evaluation["predictions_sha256"])
    )
    draft = contracts.draft_contract(
        name,
        version,
        model_summary(model),
        entries,
        evaluation["result"],
        profile["result"],
        authors=authors,
        intended_use=intended_use,
        limitations=limitations,
        targets=named,
        predictions=predictions,
    )
    return save(catalog, draft, model)


def measure_targets(
    catalog: Catalog,
    contract: dict,
    model_name: str,
    *,
    budget_s: float = 1.0,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Profile the model again on the draft's test set, at every batch size its targets
    name as well as those it has, and return the draft with that profile's figures.

    What the editor offers when a target names a batch size the draft never measured, so
    its verdict shows a value instead of "unmeasured". The draft is not stored.
    """
    test = next(d for d in contract["datasets"] if d["role"] == "test")
    measured = [row["batch_size"] for row in contract["results"].get("latency") or []]
    record = measure.profile(
        catalog,
        model_name,
        test["name"],
        batch_sizes=measure.batch_sizes_for(
            contract.get("targets") or [], base=measured or DEFAULT_BATCH_SIZES
        ),
        budget_s=budget_s,
        progress=progress,
        cancel=cancel,
    )
    return contracts.with_profile(contract, record["result"])


def save(catalog: Catalog, contract: dict, model: dict | None = None) -> dict[str, Any]:
    """Store (insert or replace) a draft under its name and version."""
    contracts.check_contract(contract)
    identity = contract["identity"]
    catalog.drafts.save(
        identity["name"], identity["version"], contract, model["id"] if model else None
    )
    return contract


def load(catalog: Catalog, ref: str) -> dict[str, Any]:
    """A contract by ``NAME`` (newest version), ``NAME@VERSION`` or a ``contract.json`` path."""
    path = Path(ref)
    if path.suffix == ".json" and path.is_file():
        return contracts.load_contract(path)
    name, _, version = ref.partition("@")
    rows = catalog.drafts.of_name(name)
    if version:
        rows = [r for r in rows if r["version"] == version]
    if not rows:
        known = sorted({f"{n}@{v}" for n, v in catalog.drafts.names_and_versions()})
        hint = (
            f" Known contracts: {', '.join(known)}."
            if known
            else " Draft one with `baton contract new`."
        )
        raise NotFound(f"no contract {ref!r} in the catalog.{hint}")
    rows.sort(key=lambda r: contracts.version_key(r["version"]))
    return rows[-1]["body"]


def model_of(catalog: Catalog, contract: dict) -> dict:
    model_id = catalog.drafts.model_id(
        contract["identity"]["name"], contract["identity"]["version"]
    )
    if model_id:
        return catalog.get_model(model_id)
    found = catalog.model_names_with_sha256(contract["model"].get("sha256"))
    if not found:
        raise NotFound("the contract's model is not in this catalog")
    return catalog.get_model(found[0])


# --- listing drafts (the desktop's contract editor) ---------------------------------------


def list_drafts(catalog: Catalog, model: str | None = None) -> list[dict[str, Any]]:
    """Stored drafts as ``name``, ``version``, ``model_id``, ``created_at``, ``updated_at``.

    The most recently edited name first, its versions newest first. With ``model`` (a
    catalog model's name or id), only that model's drafts: those stored with it, and
    those stored without a model (``baton contract set`` under a new version) whose
    contract names the model's SHA-256.
    """
    if model is None:
        rows = catalog.drafts.listing()
    else:
        record = catalog.get_model(model)
        rows = catalog.drafts.listing(record["id"], record["sha256"])
    latest: dict[str, str] = {}
    for row in rows:
        latest[row["name"]] = max(latest.get(row["name"], ""), row["updated_at"] or "")
    rows.sort(key=lambda r: contracts.version_key(r["version"]), reverse=True)
    rows.sort(key=lambda r: (latest[r["name"]], r["name"]), reverse=True)
    return rows


def previous_draft(catalog: Catalog, name: str, version: str) -> dict[str, Any] | None:
    """The newest stored draft of ``name`` with a lower version than ``version``, or None."""
    rows = [
        r
        for r in catalog.drafts.of_name(name)
        if contracts.compare_versions(r["version"], version) < 0
    ]
    if not rows:
        return None
    rows.sort(key=lambda r: contracts.version_key(r["version"]))
    return rows[-1]["body"]


def _versions(catalog: Catalog, name: str) -> tuple[list[str], list[str]]:
    return catalog.drafts.versions(name), catalog.handovers.packed_versions(name)


def next_version(catalog: Catalog, name: str) -> str:
    """A version for a new draft of ``name``: one more than any drafted or packed, else "1"."""
    drafted, packed = _versions(catalog, name)
    if not drafted + packed:
        return "1"
    newest = max(drafted + packed, key=contracts.version_key)
    return str(contracts.version_key(newest)[0] + 1)


def new_draft_issues(catalog: Catalog, name: str, version: str) -> list[contracts.ValidationIssue]:
    """What stops a new draft under ``name`` and ``version``, as the contract's sentences.

    The name and version rules are the schema's. A version already drafted is refused
    (drafting would replace that draft), and so is one not above every version packed
    (the bundle would be refused).
    """
    rules = contracts.load_schema()["$defs"]["identity"]["properties"]
    issues = []
    for field, value in (("name", name), ("version", version)):
        rule = rules[field]
        if not isinstance(value, str) or not re.fullmatch(rule["pattern"], value):
            where = f"identity.{field}"
            message = rule["x-message"].format(path=where, value=contracts.show_value(value))
            issues.append(contracts.ValidationIssue(where, message))
    if issues:
        return issues
    drafted, packed = _versions(catalog, name)
    newest_packed = max(packed, key=contracts.version_key) if packed else None
    if any(contracts.compare_versions(version, v) == 0 for v in drafted):
        issues.append(
            contracts.ValidationIssue(
                "identity.version",
                f"a draft of {name} version {version} is already stored; open it, or choose "
                f"another version, such as {next_version(catalog, name)}",
            )
        )
    elif newest_packed is not None and contracts.compare_versions(version, newest_packed) <= 0:
        issues.append(
            contracts.ValidationIssue(
                "identity.version",
                f"{name} version {newest_packed} was already packed; a new draft needs a higher "
                f"version, such as {next_version(catalog, name)}",
            )
        )
    return issues


def add_candidate(
    catalog: Catalog,
    contract: dict,
    model_name: str,
    *,
    primary: str,
    budget_s: float = 1.0,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """The draft with the catalog model ``model_name`` added as a candidate, measured on
    the draft's test set against its targets (its latest evaluation and profile there,
    run now if missing); ``primary`` names the draft's own model when it becomes the first
    candidate. The draft is not stored. Refused (:class:`UsageError`): a name already a
    candidate, a model of another task or other classes."""
    listed = (
        [c.name for c in candidates.candidates(contract)]
        if candidates.is_multi(contract)
        else [primary]
    )
    if any(contracts.same_name(model_name, n) for n in listed):
        raise UsageError(f"{model_name!r} is already a candidate of this draft")
    test = next(d for d in contract["datasets"] if d["role"] == "test")
    measured = [row["batch_size"] for row in contract["results"].get("latency") or []]
    alone = new_draft_contract(
        catalog,
        model_name,
        test=test["name"],
        targets=tuple(Target.from_dict(t) for t in contract["targets"]),
        batches=tuple(measured),
        budget_s=budget_s,
        progress=progress,
        cancel=cancel,
    )
    if alone["identity"]["problem_type"] != contract["identity"]["problem_type"]:
        raise UsageError(
            f"{model_name!r} is {alone['identity']['problem_type']}, this draft is "
            f"{contract['identity']['problem_type']}: every candidate answers the same question"
        )
    if alone["model"]["classes"] != contract["model"]["classes"]:
        raise UsageError(f"{model_name!r} predicts other classes than this draft's model")
    alone["model"]["file"] = candidates.model_file(model_name, alone["model"]["format"])
    alone["predictions"]["file"] = candidates.predictions_file(model_name)
    new = copy.deepcopy(contract)
    entries = new.get("candidates") or [candidates.entry(primary, contract)]
    new["candidates"] = [*entries, candidates.entry(model_name, alone)]
    contracts.check_contract(new)
    return new


def new_draft_contract(
    catalog: Catalog,
    model_name: str,
    *,
    test: str,
    targets: tuple[Target, ...],
    batches: tuple[int, ...],
    budget_s: float,
    progress: ProgressFn | None,
    cancel: CancelToken | None,
) -> dict[str, Any]:
    """A one-model contract of a catalog model on a test set, from its latest evaluation
    there and a profile at ``batches`` (run now when the latest lacks one of them)."""
    model = catalog.get_model(model_name)
    test_rec = catalog.get_dataset(test)
    evaluation = _measurement(
        catalog, "evaluations", model, test_rec, measure.evaluate, progress=progress, cancel=cancel
    )
    profile = catalog.latest_measurement("profiles", model, test_rec)
    have = {row["batch_size"] for row in (profile or {}).get("result", {}).get("latency", [])}
    if profile is None or not set(batches) <= have:
        profile = measure.profile(
            catalog,
            model["name"],
            test_rec["name"],
            batch_sizes=measure.batch_sizes_for(targets, base=list(batches) or DEFAULT_BATCH_SIZES),
            budget_s=budget_s,
            progress=progress,
            cancel=cancel,
        )
    return contracts.draft_contract(
        "candidate",
        "1",
        model_summary(model),
        [contracts.dataset_entry(test_rec, "test", "data/test.parquet")],
        evaluation["result"],
        profile["result"],
        targets=targets,
        predictions=measure.predictions_entry(
            catalog.objects.open_verified(evaluation["predictions_sha256"])
        ),
    )
