"""Resolving what the data scientist asks for into a :class:`Draft`: catalog records for
the model or candidates, the test set and the other roles' sets, from the command line's
arguments (imported when they are files) or from a stored or on-screen draft. Packing
(:mod:`baton.core.handover.packing`) then measures, fills, signs and writes it."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from baton.core.catalog.store import Catalog
from baton.core.contract import candidates as cands
from baton.core.contract import document as contracts
from baton.core.contract import drafts
from baton.core.contract.targets import Target
from baton.core.data import declare, mlflow_model
from baton.core.data.datasets import detect_format
from baton.core.data.importer import (
    Declared,
    bound_features,
    import_dataset,
    import_model,
    model_summary,
)
from baton.core.errors import MissingFile, NotFound, UsageError
from baton.core.fsutil import sha256_file
from baton.core.progress import CancelToken, ProgressFn, no_progress


@dataclass
class Draft:
    """A handover resolved from the command line's arguments or the desktop's choices.

    Catalog records (model, test set, the other roles' sets), the texts and targets, and
    ``seen``: the contract as the data scientist last saw it (a stored draft), whose
    measurements :func:`pack_contract` reuses while they hold. None when nothing was seen.

    ``candidates``: for a handover of several models, every candidate as ``(name, catalog
    model)`` in the data scientist's order; ``model`` is the primary one among them (the
    recommended one, ``recommend``, or the first). Empty for a handover of one model.
    """

    model: dict
    test: dict
    name: str
    version: str
    others: dict[str, dict] = dataclasses.field(default_factory=dict)
    targets: tuple[Target, ...] = ()
    intended_use: str = ""
    limitations: str = ""
    seen: dict | None = None
    candidates: tuple[tuple[str, dict], ...] = ()
    recommend: str | None = None


def draft_from_arguments(
    catalog: Catalog,
    model: str | Sequence[str],
    *,
    test: str,
    target: str | None,
    name: str,
    version: str,
    train: str | None = None,
    validation: str | None = None,
    id_column: str | None = None,
    targets: tuple[Target, ...] = (),
    intended_use: str = "",
    limitations: str = "",
    trust_pickle: bool = False,
    declared: Declared | None = None,
    candidate_names: Sequence[str] = (),
    recommend: str | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Draft:
    """``baton pack``'s arguments as a draft: each file imported (or the catalog record it
    names, or one already imported from it, found again). Nothing was seen before, so
    everything is measured. Several models are candidates (see :func:`with_candidates`);
    a model file is imported under its candidate name, or its file name without suffix."""
    models = [model] if isinstance(model, str) else list(model)
    check_candidate_request(len(models), candidate_names, recommend)
    report = progress or no_progress
    report(0, 6, "Importing the test set")
    test_rec = ensure_dataset(
        catalog, test, name=f"{name}-test", role="test", target=target, id_column=id_column
    )
    if not test_rec.get("target"):
        raise UsageError("the test set needs a target column: pass --target COLUMN")
    others = {}
    for role, data in (("train", train), ("validation", validation)):
        if data:
            others[role] = ensure_dataset(
                catalog,
                data,
                name=f"{name}-{role}",
                role=role,
                target=test_rec["target"],
                id_column=id_column,
            )
    report(1, 6, "Importing the model" if len(models) == 1 else "Importing the models")
    records = []
    for i, ref in enumerate(models):
        import_as = name
        if len(models) > 1:
            import_as = candidate_names[i] if candidate_names else _stem_name(ref)
        records.append(
            ensure_model(
                catalog,
                ref,
                name=import_as,
                trust_pickle=trust_pickle,
                check_on=test_rec["name"],
                declared=declared,
                cancel=cancel,
            )
        )
    draft = Draft(
        records[0],
        test_rec,
        name,
        version,
        others,
        targets,
        intended_use=intended_use,
        limitations=limitations,
    )
    if len(records) == 1:
        if recommend is not None:
            _check_names([name], recommend)
        return draft
    names = list(candidate_names) or [r["name"] for r in records]
    return with_candidates(draft, list(zip(names, records, strict=True)), recommend)


def check_candidate_request(
    count: int, candidate_names: Sequence[str], recommend: str | None
) -> None:
    """The usage errors of naming candidates, found before any import."""
    if candidate_names and count == 1:
        raise UsageError(
            "--candidate-names names the candidates of a pack of several models; "
            "this pack has one MODEL"
        )
    if candidate_names and len(candidate_names) != count:
        raise UsageError(
            f"--candidate-names gives {len(candidate_names)} names for {count} models; "
            "give one name per MODEL, in the same order"
        )
    if count > cands.MAX_CANDIDATES:
        raise UsageError(
            f"a handover carries at most {cands.MAX_CANDIDATES} candidates, not {count}"
        )
    if candidate_names:
        _check_names(list(candidate_names), recommend)


def _check_names(names: Sequence[str], recommend: str | None) -> None:
    """Candidate names: each a valid name, no two alike, and ``recommend`` one of them."""
    rule = contracts.load_schema()["$defs"]["candidate"]["properties"]["name"]["pattern"]
    seen: set[str] = set()
    for n in names:
        if not re.fullmatch(rule, n):
            raise UsageError(
                f"candidate name {n!r} must be 1 to 64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit: pass --candidate-names a,b"
            )
        key = contracts.name_key(n)
        if key in seen:
            raise UsageError(
                f"two candidates are named {n!r}; each needs its own name "
                "(pass --candidate-names a,b)"
            )
        seen.add(key)
    if recommend is not None and recommend not in names:
        raise UsageError(
            f"--recommend names {recommend!r}, which is not a candidate; the candidates are "
            + ", ".join(names)
        )


def _stem_name(ref: str) -> str:
    """The name a model file is imported under as a candidate: its file name without
    suffix, spelled as a candidate name may be (a catalog name is kept as it is)."""
    if mlflow_model.is_mlflow_folder(ref):
        stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(ref).resolve().name).strip("-._")[:64]
        return stem or "model"
    if not Path(ref).is_file():
        return ref
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(ref).stem).strip("-._")[:64]
    return stem or "model"


def with_candidates(
    draft: Draft, named: Sequence[tuple[str, dict]], recommend: str | None = None
) -> Draft:
    """``draft`` handing over every ``(name, catalog model)`` of ``named`` as candidates,
    the recommended one (or the first) as its primary model.

    Refused (usage errors): two candidates of one name, a recommendation naming none of
    them, and candidates that disagree on the task or the classes they predict.
    """
    names = [n for n, _ in named]
    _check_names(names, recommend)
    first_name, first = named[0]
    first_info = model_summary(first)
    for other_name, other in named[1:]:
        info = model_summary(other)
        if info.get("task") != first_info.get("task"):
            raise UsageError(
                f"candidates {first_name!r} and {other_name!r} disagree on the task "
                f"({first_info.get('task')} against {info.get('task')}); every candidate "
                "must answer the same question"
            )
        if (info.get("classes") or None) != (first_info.get("classes") or None):
            raise UsageError(
                f"candidates {first_name!r} and {other_name!r} predict different classes "
                f"({first_info.get('classes')} against {info.get('classes')})"
            )
    primary = dict(named)[recommend] if recommend is not None else first
    return dataclasses.replace(draft, model=primary, candidates=tuple(named), recommend=recommend)


def draft_from_contract(catalog: Catalog, contract: dict, model: dict | None = None) -> Draft:
    """A contract draft (stored, or as the editor shows it) as a draft to pack: its catalog
    records, texts and targets, and the contract itself as what was seen. ``model`` is the
    catalog model it was drafted for; without it, the one it was stored with."""
    by_role = {d["role"]: catalog.get_dataset(d["name"]) for d in contract["datasets"]}
    identity = contract["identity"]
    draft = Draft(
        model if model is not None else drafts.model_of(catalog, contract),
        by_role.pop("test"),
        identity["name"],
        identity["version"],
        by_role,
        tuple(Target.from_dict(t) for t in contract.get("targets") or []),
        intended_use=identity["intended_use"],
        limitations=identity["limitations"],
        seen=contract,
    )
    if not cands.is_multi(contract):
        return draft
    named = []
    for c in cands.candidates(contract):
        if c.primary:
            named.append((c.name, draft.model))
            continue
        found = catalog.model_names_with_sha256(str(c.model.get("sha256")))
        if not found:
            raise NotFound(f"candidate {c.name!r}: its model is not in this catalog")
        # the catalog model of the candidate's name when it is one of them
        named.append((c.name, catalog.get_model(c.name if c.name in found else found[0])))
    chosen = cands.recommended(contract)
    return with_candidates(draft, named, chosen.name if chosen else None)


def ensure_model(
    catalog: Catalog,
    model: str,
    *,
    name: str,
    trust_pickle: bool,
    check_on: str | None,
    declared: Declared | None = None,
    progress=None,
    cancel=None,
) -> dict:
    """A catalog model by name, or a model file imported (reused if already imported)."""
    try:
        record = catalog.get_model(model)
    except NotFound:
        if not (Path(model).is_file() or mlflow_model.is_mlflow_folder(model)):
            _raise_missing_file(model)
            raise
    else:
        declare.check_reused(record, declared)
        return _with_declared_features(catalog, record, declared)
    folder = mlflow_model.is_mlflow_folder(model)
    sha = sha256_file(mlflow_model.read(model).model_file if folder else model)
    # The same file read another way (task, classes, threshold) is another catalog model.
    for known in catalog.model_names_with_sha256(sha):
        existing = catalog.get_model(known)
        if declare.same_declaration(existing, declared):
            return _with_declared_features(catalog, existing, declared)
    return import_model(
        catalog,
        model,
        name=catalog.free_name("models", name),
        trust_pickle=trust_pickle,
        check_on=check_on,
        declared=declared,
        progress=progress,
        cancel=cancel,
    )


def _with_declared_features(catalog: Catalog, record: dict, declared: Declared | None) -> dict:
    """A catalog model found again, its features bound to a declared list (refused if
    they were bound to other names)."""
    if declared and declared.features:
        features, source = bound_features(record, declared, record["name"])
        return catalog.bind_features(record, features, source or "declared")
    return record


def _raise_missing_file(ref: str) -> None:
    """A reference that is neither a catalog name nor a file is a missing file when it
    reads as a path (a folder in it, or a file suffix no catalog name is given)."""
    if Path(ref).name != ref or Path(ref).suffix.lower() in _FILE_SUFFIXES:
        raise MissingFile(ref) from None


_FILE_SUFFIXES = {".skops", ".onnx", ".joblib", ".pkl", ".pickle", ".csv", ".parquet", ".pq"}


def ensure_dataset(
    catalog: Catalog, data: str, *, name: str, role: str, target: str | None, id_column: str | None
) -> dict:
    """A catalog dataset by name, or a file imported with this role and target."""
    try:
        record = catalog.get_dataset(data)
    except NotFound:
        if not Path(data).is_file():
            _raise_missing_file(data)
            raise
        detect_format(data)  # refused before anything is stored
        # Stored first, hashed as it is copied: one reading finds a dataset imported
        # before and stores a new one (an unreferenced object if its import fails).
        sha = catalog.objects.put_file(data)
        same = catalog.dataset_read_alike(sha, target, id_column)
        if same is not None:
            return catalog.get_dataset(same)
        return import_dataset(
            catalog,
            data,
            name=catalog.free_name("datasets", name),
            role=role,
            target=target,
            id_column=id_column,
            stored=sha,
        )
    if target and record.get("target") != target:
        raise UsageError(
            f"dataset {record['name']!r} has target {record.get('target')!r}, not {target!r}"
        )
    return record
