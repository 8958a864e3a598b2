"""Handover bundles: pack (import, measure, contract, sign, zip) and open (verify).

A bundle is ``NAME-VERSION.baton``, a ZIP whose extracted folder the OpenSSF Model
Signing v1.0 verifier accepts as it stands (DESIGN.md section 3)::

    contract.json  card.md  model/model.skops|onnx  data/test.parquet
    [data/train.parquet  data/validation.parquet]  predictions/test.parquet  model.sig

Who may sign: the signer must be one of the authors the contract names (by key
fingerprint); a trusted colleague's valid signature over someone else's contract is refused.

Rollback protection: the catalog remembers every bundle it has packed or opened, with its
signer. A bundle is checked against the history of its own authors' keys only: for one
bundle name it refuses an older version than the newest received from them, and for one
version any root digest but the one first seen. Names compare after case folding and NFC,
versions by the contract's ordering (``"2" == "2.0"``). Bundles of the same name from
other authors are a *name collision*: reported, never a reason to refuse the genuine
author's versions.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from baton.core.catalog.store import PACKING, Catalog, _encode, _now
from baton.core.contract import card, drafts
from baton.core.contract import document as contracts
from baton.core.contract.targets import Target
from baton.core.data import datasets as ds
from baton.core.data import declare
from baton.core.data.importer import (
    Declared,
    bound_features,
    dataset_file,
    import_dataset,
    import_model,
    model_summary,
)
from baton.core.data.runner import Limits, run_task
from baton.core.errors import (
    BatonError,
    Cancelled,
    ContractError,
    NotFound,
    RunnerError,
    UsageError,
    VerificationError,
)
from baton.core.fsutil import sha256_file, sweep_temps
from baton.core.handover import oms, safezip, trust
from baton.core.handover.signed_zip import OpenedZip, describe_opened, open_signed_zip
from baton.core.measure import runs as measure
from baton.core.measure.profiling import DEFAULT_BATCH_SIZES, environment_info, latency_caveats
from baton.core.present import format_fingerprint
from baton.core.progress import CancelToken, ProgressFn, no_progress

SIG = "model.sig"
CONTRACT = "contract.json"
# Memory of the child that checks a bundle's model and data: this much, plus this many MB
# per MB of unpacked bundle, and never more than the usual limit.
CHECK_MEMORY_FLOOR_MB = 512
CHECK_MEMORY_PER_MB = 64


# --- packing ----------------------------------------------------------------------------


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
        if not Path(model).is_file():
            raise
    else:
        declare.check_reused(record, declared)
        return _with_declared_features(catalog, record, declared)
    sha = sha256_file(model)
    # The same file read another way (task, classes, threshold) is another catalog model.
    for row in catalog.db.table("models").rows_where("sha256 = ?", [sha], select="name"):
        existing = catalog.get_model(row["name"])
        if declare.same_declaration(existing, declared):
            return _with_declared_features(catalog, existing, declared)
    return import_model(
        catalog,
        model,
        name=_free_name(catalog, "models", name),
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


def ensure_dataset(
    catalog: Catalog, data: str, *, name: str, role: str, target: str | None, id_column: str | None
) -> dict:
    """A catalog dataset by name, or a file imported with this role and target."""
    try:
        record = catalog.get_dataset(data)
    except NotFound:
        if not Path(data).is_file():
            raise
        sha = sha256_file(data)
        rows = list(
            catalog.db.table("datasets").rows_where(
                "sha256 = ? and coalesce(target, '') = ? and coalesce(id_column, '') = ?",
                [sha, target or "", id_column or ""],
                limit=1,
            )
        )
        if rows:
            return catalog.get_dataset(rows[0]["name"])
        return import_dataset(
            catalog,
            data,
            name=_free_name(catalog, "datasets", name),
            role=role,
            target=target,
            id_column=id_column,
        )
    if target and record.get("target") != target:
        raise UsageError(
            f"dataset {record['name']!r} has target {record.get('target')!r}, not {target!r}"
        )
    return record


def _free_name(catalog: Catalog, table: str, base: str) -> str:
    name, n = base, 2
    while catalog.db[table].count_where("name = ?", [name]):
        name, n = f"{base}-{n}", n + 1
    return name


@dataclass
class PackResult:
    path: Path
    name: str
    version: str
    root_digest: str
    signer_fingerprint: str
    files: int
    bytes: int
    contract: dict

    def as_dict(self) -> dict[str, Any]:
        failed = [t for t in self.contract.get("targets", []) if t.get("verdict") == "fail"]
        return {
            "file": str(self.path),
            "name": self.name,
            "version": self.version,
            "root_digest": self.root_digest,
            "signer_fingerprint": self.signer_fingerprint,
            "signer": format_fingerprint(self.signer_fingerprint),
            "files": self.files,
            "bytes": self.bytes,
            "targets": self.contract.get("targets", []),
            "targets_failed": len(failed),
            "latency_notes": latency_caveats(self.contract["results"].get("latency") or []),
        }


def bundle_file_name(name: str, version: str) -> str:
    """``NAME-VERSION.baton`` from the name and version as Baton compares them, so two
    spellings of one handover ("Churn" 2.0, "churn" 2) suggest one file, not two."""
    return f"{contracts.name_key(name)}-{contracts.canonical_version(version)}.baton"


def receipt_file_name(name: str, version: str) -> str:
    """``NAME-VERSION.review.baton`` for a receipt, spelled as :func:`bundle_file_name`."""
    return bundle_file_name(name, version).removesuffix(".baton") + ".review.baton"


def check_new_version(catalog: Catalog, name: str, version: str, direction: str = "sent") -> None:
    """Refuse to pack a version that is not newer than every version packed before under
    this name (names and versions compared as :mod:`baton.core.contract.document` says)."""
    for row in catalog.handover_history():
        if row["direction"] != direction or not contracts.same_name(name, row["name"]):
            continue
        cmp = contracts.compare_versions(version, row["version"])
        if cmp > 0:
            continue
        asked = (name, version) != (row["name"], row["version"])
        known = f"{row['name']} version {row['version']} was already packed" + (
            f" (you asked for {name} {version})" if cmp == 0 and asked else ""
        )
        raise UsageError(
            f"{known}; a new bundle needs a higher --version than {row['version']}"
            if cmp == 0
            else f"{known}; {version} is older — use a higher --version"
        )


def _write_dataset(catalog: Catalog, record: dict, target: Path) -> None:
    """The stored dataset re-serialised as Parquet (its fingerprint does not change)."""
    with tempfile.TemporaryDirectory(prefix="baton-data-") as tmp:
        source, _ = dataset_file(catalog, record["name"], Path(tmp))
        table = ds.read_table(source).table
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, target, compression="zstd")


@dataclass
class Draft:
    """A handover resolved from the command line's arguments or the desktop's choices.

    Catalog records (model, test set, the other roles' sets), the texts and targets, and
    ``seen``: the contract as the data scientist last saw it (a stored draft), whose
    measurements :func:`pack_contract` reuses while they hold. None when nothing was seen.
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


def pack(
    catalog: Catalog,
    model: str,
    *,
    test: str,
    target: str | None,
    name: str,
    version: str,
    passphrase: str,
    out: str | Path,
    train: str | None = None,
    validation: str | None = None,
    include: tuple[str, ...] = ("train", "validation"),
    id_column: str | None = None,
    requires: tuple[str, ...] = (),
    intended_use: str = "",
    limitations: str = "",
    trust_pickle: bool = False,
    declared: Declared | None = None,
    budget_s: float = 1.0,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> PackResult:
    """Import, evaluate, profile, write the contract, sign and zip a handover bundle.

    The imports commit with the bundle's handover record or not at all: a pack refused or
    failing midway leaves the catalog as it was.
    """
    report = progress or no_progress
    signing_key = trust.load_signing_key(catalog.home, passphrase)
    try:  # a bad --require, --version or --name is a usage error, found before any long work
        targets = tuple(contracts._as_target(r) for r in requires)
    except ContractError as exc:
        raise UsageError(str(exc)) from None
    _check_request(catalog, name, version, intended_use, Path(out))
    declare.check_declared(declared)
    with catalog.all_or_nothing():
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
        report(1, 6, "Importing the model")
        model_rec = ensure_model(
            catalog,
            model,
            name=name,
            trust_pickle=trust_pickle,
            check_on=test_rec["name"],
            declared=declared,
            cancel=cancel,
        )
        draft = Draft(
            model_rec,
            test_rec,
            name,
            version,
            others,
            targets,
            intended_use=intended_use,
            limitations=limitations,
        )
        return pack_contract(
            catalog,
            draft,
            signing_key=signing_key,
            out=out,
            include=include,
            budget_s=budget_s,
            progress=progress,
            cancel=cancel,
        )


def _check_request(catalog: Catalog, name: str, version: str, intended_use: str, out: Path) -> None:
    """The usage errors of a pack, found before any long work."""
    try:
        contracts.version_key(version)
    except ContractError as exc:
        raise UsageError(str(exc)) from None
    name_rule = contracts.load_schema()["$defs"]["identity"]["properties"]["name"]
    if not isinstance(name, str) or not re.fullmatch(name_rule["pattern"], name):
        raise UsageError(
            f"--name must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter "
            f"or digit, not {name!r}"
        )
    if not intended_use.strip():
        raise UsageError(
            "a bundle needs an intended use: pass --intended-use TEXT (what the model is for, and for whom)"
        )
    check_new_version(catalog, name, version)
    if out.suffix != ".baton":
        raise UsageError(f"--out must end in .baton, e.g. {bundle_file_name(name, version)}")
    sweep_temps(out.parent)  # what packs that died here left behind
    _check_free(out)


def stale_parts(catalog: Catalog, draft: Draft) -> dict[str, str]:
    """Why the evaluation or the profile the draft shows cannot be signed as they are.

    Maps ``"evaluation"`` and ``"profile"`` to a reason; a part not named is reusable.
    They hold while the model's digest, the datasets' fingerprints and the installed
    package versions are those they were measured with, and (for the evaluation) its
    predictions file is still stored. A target's batch size the draft lacks is measured
    on its own, not counted here.
    """
    seen = draft.seen
    if seen is None:
        return {"evaluation": "nothing measured yet", "profile": "nothing measured yet"}
    common = None
    if seen["model"].get("sha256") != draft.model["sha256"]:
        common = "the model is not the one the draft measured"
    else:
        records = {"test": draft.test, **draft.others}
        fingerprints = {d["role"]: d.get("fingerprint") for d in seen["datasets"]}
        if fingerprints != {role: r["fingerprint"] for role, r in records.items()}:
            common = "the datasets are not the ones the draft measured"
        elif (seen.get("environment") or {}).get("packages") != installed_packages():
            common = "the installed package versions differ from the draft's"
    if common:
        return {"evaluation": common, "profile": common}
    stale = {}
    sha = (seen.get("predictions") or {}).get("sha256")
    if not sha:
        stale["evaluation"] = "the draft records no predictions file"
    elif not catalog.objects.has(sha) or not catalog.evaluation_with_predictions(
        draft.model, draft.test, sha
    ):
        stale["evaluation"] = "the draft's predictions are no longer stored"
    if not seen["results"].get("latency"):
        stale["profile"] = "the draft has no latency measured"
    return stale


def installed_packages() -> dict[str, str | None]:
    """The versions of the packages a profile records, as installed here."""
    return environment_info()["packages"]


def _seen_profile(seen: dict) -> dict[str, Any]:
    """The draft's speed figures in the shape a profile result has."""
    return {
        "latency": seen["results"]["latency"],
        "hardware": seen["results"]["hardware"],
        "memory": seen["results"]["memory"],
        "environment": seen["environment"],
    }


def _with_seen_speed(contract: dict, seen: dict, fresh: dict | None) -> dict:
    """``contract`` carrying the draft's own speed figures, plus ``fresh`` rows (a profile
    at the batch sizes the draft lacked)."""
    new = copy.deepcopy(contract)
    rows = {r["batch_size"]: r for r in seen["results"]["latency"]}
    if fresh is not None:
        added = contracts.with_profile(contract, fresh)["results"]["latency"]
        rows.update({r["batch_size"]: r for r in added})
    new["results"]["latency"] = [copy.deepcopy(rows[b]) for b in sorted(rows)]
    for key in ("hardware", "memory"):
        new["results"][key] = copy.deepcopy(seen["results"][key])
    new["environment"] = copy.deepcopy(seen["environment"])
    return contracts.reevaluate_targets(new)


# What a latency row tells a reader; its other fields (the clock, the sampling budget, the
# machine's load) say how it was measured and are not listed as changed figures.
LATENCY_FIGURES = ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "mean_ms", "throughput_rps")


def signed_changes(seen: dict, contract: dict) -> list[contracts.Change]:
    """Every figure that differs between what the editor showed and what would be signed,
    and every target whose measured value or verdict moved."""
    out = []
    for c in contracts.diff_contracts(seen, contract):
        if not (
            c.path.startswith(("results", "environment"))
            or (c.path.startswith("targets") and c.path.endswith((".measured", ".verdict")))
        ):
            continue
        if c.path.startswith("results.latency["):
            field = c.path.rpartition("].")[2] if "]." in c.path else None
            if c.kind == "added" and isinstance(c.new, dict):  # a new row: its figures
                out += [
                    contracts.Change(f"{c.path}.{k}", "added", new=c.new[k])
                    for k in LATENCY_FIGURES
                    if k in c.new
                ]
            elif field is None or field in LATENCY_FIGURES:
                out.append(c)
        else:
            out.append(c)
    return out


def _measurements(
    catalog: Catalog,
    draft: Draft,
    budget_s: float,
    report: ProgressFn,
    cancel: CancelToken | None,
) -> tuple[dict, dict | None, bool]:
    """The evaluation record to sign, the profile record measured now (None if none was
    needed) and whether the draft's speed figures are kept."""
    stale = stale_parts(catalog, draft)
    model, test = draft.model["name"], draft.test["name"]
    # A draft measured again says why, in the progress line.
    why = {part: f" ({reason})" if draft.seen is not None else "" for part, reason in stale.items()}
    if "evaluation" in stale:
        report(2, 6, f"Evaluating on the test set{why['evaluation']}")
        evaluation = measure.evaluate(catalog, model, test, cancel=cancel)
    else:
        assert draft.seen is not None  # nothing is reused from a draft never seen
        sha = draft.seen["predictions"]["sha256"]
        found = catalog.evaluation_with_predictions(draft.model, draft.test, sha)
        assert found is not None  # stale_parts found it, in this transaction
        evaluation = found
    if "profile" in stale:
        report(3, 6, f"Profiling latency and memory{why['profile']}")
        base = [r["batch_size"] for r in (draft.seen or {}).get("results", {}).get("latency") or []]
        batches = measure.batch_sizes_for(draft.targets, base=base or DEFAULT_BATCH_SIZES)
        fresh = measure.profile(
            catalog, model, test, batch_sizes=batches, budget_s=budget_s, cancel=cancel
        )
        return evaluation, fresh, False
    assert draft.seen is not None  # a fresh profile was measured above otherwise
    measured = {r["batch_size"] for r in draft.seen["results"]["latency"]}
    missing = tuple(sorted({t.batch for t in draft.targets if t.batch} - measured))
    if not missing:
        return evaluation, None, True
    report(3, 6, f"Profiling at batch size {', '.join(map(str, missing))}")
    fresh = measure.profile(
        catalog, model, test, batch_sizes=missing, budget_s=budget_s, cancel=cancel
    )
    return evaluation, fresh, True


def pack_contract(
    catalog: Catalog,
    draft: Draft,
    *,
    signing_key: Any,
    out: str | Path,
    include: tuple[str, ...] = ("train", "validation"),
    budget_s: float = 1.0,
    confirm: Callable[[list[contracts.Change]], bool] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> PackResult:
    """Measure what the draft lacks or holds stale, fill the contract, sign and write it.

    What the draft showed and still holds is signed as it is (see :func:`stale_parts`);
    the rest is measured now. When a figure or verdict differs from what the draft showed,
    ``confirm(changes)`` decides before signing (False: :class:`Cancelled`, nothing
    written); without ``confirm`` the pack goes on. A packed draft is stored again with
    the signed figures. The measurements, the stored draft and the handover record commit
    together, or not at all.
    """
    report = progress or no_progress
    me = trust.require_identity(catalog.home)
    out = Path(out)
    _check_request(catalog, draft.name, draft.version, draft.intended_use, out)
    with catalog.all_or_nothing():
        evaluation, fresh, keep_speed = _measurements(catalog, draft, budget_s, report, cancel)
        # the model's features as the evaluation may just have named them
        draft = dataclasses.replace(draft, model=catalog.get_model(draft.model["id"]))
        staging = Path(tempfile.mkdtemp(prefix="baton-pack-"))
        folder = staging / f"{draft.name}-{draft.version}"
        try:
            report(4, 6, "Writing the bundle files")
            contract = _write_files(
                catalog, draft, folder, include, me, evaluation, fresh, keep_speed
            )
            if draft.seen is not None:
                changes = signed_changes(draft.seen, contract)
                if changes and confirm is not None and not confirm(changes):
                    raise Cancelled(
                        "stopped before signing: the figures measured now differ from the "
                        "draft's; nothing was signed and the catalog is as it was"
                    )
            contracts.check_contract(contract, complete=True)
            contract_bytes = contracts.dump_contract(contract)
            (folder / CONTRACT).write_bytes(contract_bytes)
            # Rendered from the bytes a verifier will read, which is what it compares against.
            (folder / card.CARD).write_bytes(
                card.card_bytes(contracts.parse_contract(contract_bytes))
            )
            report(5, 6, "Signing")
            name, version = draft.name, draft.version
            oms.sign_folder(folder, signing_key, SIG, model_name=f"{name}-{version}", cancel=cancel)
            verified = oms.verify_folder(folder, signing_key.public_key(), strict=True)
            if draft.seen is not None:  # the editor shows what was signed
                drafts.save(catalog, contract, draft.model)
            handover = {
                "name": name,
                "version": version,
                "root": verified.root_digest,
                "sig_sha": sha256_file(folder / SIG),
                "signer": me["fingerprint"],
                "contract": contract,
            }
            written = _write_recorded(catalog, folder, out, handover, cancel)
            report(6, 6, f"Wrote {out.name}")
            return PackResult(
                out,
                name,
                version,
                verified.root_digest,
                me["fingerprint"],
                len(written),
                out.stat().st_size,
                contract,
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _write_files(
    catalog: Catalog,
    draft: Draft,
    folder: Path,
    include: tuple[str, ...],
    me: dict,
    evaluation: dict,
    fresh: dict | None,
    keep_speed: bool,
) -> dict:
    """The model, data and predictions files in ``folder``; returns the filled contract."""
    model_rec, test_rec = draft.model, draft.test
    (folder / "model").mkdir(parents=True)
    catalog.objects.export(model_rec["sha256"], folder / "model" / f"model.{model_rec['format']}")
    _write_dataset(catalog, test_rec, folder / "data" / "test.parquet")
    dataset_entries = [contracts.dataset_entry(test_rec, "test", "data/test.parquet")]
    for role, rec in draft.others.items():
        file = f"data/{role}.parquet" if role in include else None
        if file:
            _write_dataset(catalog, rec, folder / file)
        dataset_entries.append(contracts.dataset_entry(rec, role, file))
    pred_path = folder / "predictions" / "test.parquet"
    pred_path.parent.mkdir()
    catalog.objects.export(evaluation["predictions_sha256"], pred_path)
    author = {
        **{k: me[k] for k in ("name", "email", "fingerprint")},
        "public_key": trust.my_public_pem(catalog.home).decode(),
    }
    seen = draft.seen
    if keep_speed:
        assert seen is not None  # speed is kept only from a draft that was seen
        profile = _seen_profile(seen)
    else:
        assert fresh is not None  # a profile was measured when none is kept
        profile = fresh["result"]
    contract = contracts.draft_contract(
        draft.name,
        draft.version,
        model_summary(model_rec),
        dataset_entries,
        evaluation["result"],
        profile,
        authors=[author],
        intended_use=draft.intended_use,
        limitations=draft.limitations,
        targets=draft.targets,
        predictions=measure.predictions_entry(pred_path),
    )
    if seen is not None and keep_speed:
        contract = _with_seen_speed(contract, seen, fresh and fresh["result"])
    return contract


def _check_free(out: Path) -> None:
    if os.path.lexists(out):
        raise UsageError(
            f"{out} already exists; Baton never replaces a bundle, since someone may already "
            "hold that copy: move it away or choose another --out"
        )


def _write_recorded(
    catalog: Catalog, folder: Path, out: Path, handover: dict[str, Any], cancel: CancelToken | None
) -> list[safezip.Member]:
    """Zip ``folder`` to ``out`` so that a crash at any moment leaves no bundle the catalog
    does not know.

    The handover is recorded as ``packing`` once the ZIP is complete in its temp file and
    before that file is renamed to ``out``; then it is marked ``packed``. A run killed in
    between leaves a ``packing`` row that the next opening of the catalog settles (see
    ``Catalog._settle_interrupted_packs``). Recording first means the catalog may briefly
    know a bundle that is not on disk, never the reverse: a bundle on disk that the
    catalog does not know could be handed over without rollback protection.
    """
    recorded: dict[str, Any] = {}

    def record(tmp: Path) -> None:
        stat = tmp.stat()
        with catalog.write():  # the checks and the row in one transaction
            check_new_version(catalog, handover["name"], handover["version"])
            _check_free(out)
            recorded["row"] = _record(
                catalog,
                "sent",
                handover["name"],
                handover["version"],
                handover["root"],
                handover["sig_sha"],
                handover["signer"],
                out,
                PACKING,
                handover["contract"],
            )
        catalog.commit()  # with the row, whatever this pack imported and measured
        recorded["file"] = (stat.st_dev, stat.st_ino)

    try:
        written = safezip.write_bundle_zip(
            folder, out, cancel=cancel, replace=False, before_commit=record
        )
    except BaseException as exc:
        if "row" in recorded:
            catalog.settle_pack(recorded["row"]["id"], placed=_same_file(out, recorded["file"]))
        if isinstance(exc.__cause__, FileExistsError):  # created meanwhile by someone else
            _check_free(out)
        raise
    catalog.settle_pack(recorded["row"]["id"], placed=True)
    return written


def _same_file(path: Path, identity: tuple[int, int]) -> bool:
    try:
        stat = path.stat()
    except OSError:
        return False
    return (stat.st_dev, stat.st_ino) == identity


def _record(
    catalog: Catalog,
    direction: str,
    name: str,
    version: str,
    root: str,
    sig_sha: str,
    signer: str,
    path: Path,
    status: str,
    contract: dict,
) -> dict:
    row = {
        "id": uuid.uuid4().hex,
        "direction": direction,
        "name": name,
        "version": version,
        "root_digest": root,
        "signature_sha256": sig_sha,
        "signer_fingerprint": signer,
        "path": str(Path(path).resolve()),
        "status": status,
        "contract": contract,
        "created_at": _now(),
    }
    with catalog.write() as db:
        existing = list(
            db.table("handovers").rows_where(
                "direction = ? and name = ? and version = ? and root_digest = ?",
                [direction, name, version, root],
                limit=1,
            )
        )
        if existing:
            db.table("handovers").update(existing[0]["id"], {"path": row["path"]})
            return existing[0]
        db.table("handovers").insert(_encode(row))
    return row


# --- opening ----------------------------------------------------------------------------


@dataclass
class OpenedBundle:
    """A verified bundle: the signed files in ``opened.staging`` and the parsed contract."""

    opened: OpenedZip
    contract: dict
    name: str
    version: str
    name_collision: str | None = None

    @property
    def folder(self) -> Path:
        return self.opened.staging

    def close(self) -> None:
        self.opened.close()

    def __enter__(self) -> OpenedBundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def summary(self) -> dict[str, Any]:
        c = self.contract
        return {
            **describe_opened(self.opened),
            "kind": "bundle",
            "name": self.name,
            "version": self.version,
            "problem_type": c["identity"]["problem_type"],
            "authors": [
                {k: a[k] for k in ("name", "email", "fingerprint")}
                for a in c["identity"]["authors"]
            ],
            "model": {
                k: c["model"].get(k)
                for k in (
                    "file",
                    "format",
                    "framework",
                    "framework_version",
                    "estimator",
                    "params",
                    "size_bytes",
                )
            },
            "datasets": [
                {k: d.get(k) for k in ("role", "name", "file", "rows", "fingerprint")}
                for d in c["datasets"]
            ],
            "targets": c.get("targets", []),
            "members": self.opened.members,
            "name_collision": self.name_collision,
        }


def open_bundle(
    catalog: Catalog,
    path: str | Path,
    *,
    record: bool = True,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> OpenedBundle:
    """Verify a bundle completely; the caller closes it (its staging folder) when done.

    An untrusted but intact bundle opens with ``opened.trusted`` False; the caller decides
    (the CLI exits 3). Tampering, unsafe content or a rollback raises.
    """
    opened = open_signed_zip(
        catalog, path, sig_name=SIG, document=CONTRACT, progress=progress, cancel=cancel
    )
    try:
        label = Path(path).name
        try:
            contract = contracts.parse_contract(
                opened.read_json(CONTRACT), source=f"{label}/{CONTRACT}"
            )
            contracts.check_contract(contract, complete=True, source=f"{label}/{CONTRACT}")
        except ContractError as exc:
            raise VerificationError(str(exc), path=CONTRACT) from None
        name, version = contract["identity"]["name"], contract["identity"]["version"]
        authors = _check_signer_is_author(opened, contract, label)
        collision = check_rollback(
            catalog, name, version, opened.root_digest, label, authors=authors, opened=opened
        )
        card.check_card(opened.staging, contract, label)
        _check_contents(opened, contract, label, cancel)  # only now parse data, inspect the model
        bundle = OpenedBundle(opened, contract, name, version, collision)
        if record and opened.trusted:
            me = trust.identity(catalog.home)
            direction = (
                "sent" if me and me["fingerprint"] == opened.signer_fingerprint else "received"
            )
            if direction == "received":
                _record(
                    catalog,
                    direction,
                    name,
                    version,
                    opened.root_digest,
                    opened.signature_sha256,
                    opened.signer_fingerprint,
                    Path(path),
                    "verified",
                    contract,
                )
        return bundle
    except BaseException:
        opened.close()
        raise


def _check_contents(
    opened: OpenedZip, contract: dict, label: str, cancel: CancelToken | None = None
) -> None:
    """The signed files must be the ones the contract describes, and safe to load."""
    model_file = contract["model"]["file"]
    expected = {CONTRACT, "card.md", model_file, "predictions/test.parquet"} | {
        d["file"] for d in contract["datasets"] if d.get("file")
    }
    actual = set(opened.digests)
    if actual != expected:
        extra, missing = sorted(actual - expected), sorted(expected - actual)
        parts = ([f"unexpected {', '.join(extra)}"] if extra else []) + (
            [f"missing {', '.join(missing)}"] if missing else []
        )
        raise VerificationError(
            f"{label}: the signed files do not match the contract ({'; '.join(parts)})"
        )
    if opened.digests["predictions/test.parquet"] != contract["predictions"]["sha256"]:
        raise VerificationError(
            f"{label}: predictions/test.parquet is not the file the contract describes"
        )
    if opened.digests[model_file] != contract["model"]["sha256"]:
        raise VerificationError(
            f"{label}: {model_file} is not the model the contract describes (its SHA-256 differs)",
            path=model_file,
        )
    # Only now, every digest matching, is the model or data parsed, and then in a
    # memory-limited child: a small hostile file can cost the child its limit, never this
    # process.
    tables = [d["file"] for d in contract["datasets"] if d.get("file")]
    try:
        found = run_task(
            "check_bundle",
            {
                "folder": str(opened.staging),
                "model": model_file,
                "tables": tables,
                "predictions": "predictions/test.parquet",
            },
            limits=check_limits(opened.total_bytes),
            cancel=cancel,
            what=f"{label}: reading the model and data files",
        )
    except RunnerError:
        raise  # already names the bundle
    except BatonError as exc:  # the child's message names the member
        raise type(exc)(f"{label}: {exc}") from None
    for entry in contract["datasets"]:
        file = entry.get("file")
        if file and found["tables"][file]["fingerprint"] != entry["fingerprint"]:
            raise VerificationError(
                f"{label}: {file} does not hold the {entry['role']} data the contract fingerprints"
            )
    rows = found["predictions_rows"]
    if rows != contract["labels"]["rows"]:
        raise VerificationError(
            f"{label}: predictions/test.parquet has {rows} rows but the test labels have {contract['labels']['rows']}"
        )


def check_limits(unpacked_bytes: int) -> Limits:
    """The checking child's limits: the usual ones, its memory also capped in proportion
    to the bundle, so that a small bundle cannot take more than a few hundred MB."""
    usual = Limits.from_env()
    proportional = CHECK_MEMORY_FLOOR_MB + CHECK_MEMORY_PER_MB * unpacked_bytes // 2**20
    return Limits(memory_mb=min(usual.memory_mb, proportional), timeout_s=usual.timeout_s)


def _check_signer_is_author(opened: OpenedZip, contract: dict, label: str) -> frozenset[str]:
    """The contract's author fingerprints, once the signer is shown to be one of them.

    A valid signature only says who signed; without this rule a trusted colleague could
    sign a contract that names someone else as its author, and the card would say so.
    """
    authors = contract["identity"]["authors"]
    fingerprints = frozenset(a["fingerprint"] for a in authors)
    if opened.signer_fingerprint not in fingerprints:
        named = " and ".join(trust.key_label(a["name"], a["fingerprint"]) for a in authors)
        signer = trust.key_label(opened.signer_name, opened.signer_fingerprint)
        raise VerificationError(
            f"{label}: signed by {signer}, but the contract names {named} as its "
            f"author{'s' if len(authors) > 1 else ''}",
            path=SIG,
        )
    return fingerprints


def _spelled(row: dict, name: str, version: str) -> str:
    """How the history wrote this name and version, when it wrote them otherwise."""
    if row["name"] != name:
        return f" as {row['name']} version {row['version']}"
    return f" as version {row['version']}" if row["version"] != version else ""


def check_rollback(
    catalog: Catalog,
    name: str,
    version: str,
    root: str,
    label: str,
    *,
    authors: frozenset[str],
    opened: OpenedZip,
) -> str | None:
    """Refuse an older version, or other content under a known version, of this name
    from these authors' keys; return a note when other keys sent bundles of this name.

    History is kept per (name, author key): a trusted colleague who sends "churn"
    version 99 must not lock the genuine author of "churn" out of their own versions,
    nor make their version 2 look like a rollback.
    """
    others: list[str] = []
    newest: dict | None = None
    for row in catalog.handover_history():
        if not contracts.same_name(name, row["name"]):
            continue
        if row["signer_fingerprint"] not in authors:
            if row["signer_fingerprint"] not in others:
                others.append(row["signer_fingerprint"])
            continue
        cmp = contracts.compare_versions(version, row["version"])
        if cmp == 0 and row["root_digest"] != root:
            raise VerificationError(
                f"{label}: {name} version {version} was seen before{_spelled(row, name, version)} with different content "
                f"(root digest {row['root_digest'][:16]}…, now {root[:16]}…); refusing a changed bundle under a known version"
            )
        if row["direction"] == "received" and (
            newest is None or contracts.compare_versions(row["version"], newest["version"]) > 0
        ):
            newest = row
    if newest is not None and contracts.compare_versions(version, newest["version"]) < 0:
        seen = "" if newest["name"] == name else f" (as {newest['name']})"
        raise VerificationError(
            f"{label}: {name} version {version} is older than version {newest['version']} already received{seen}; refusing a rollback"
        )
    if not others:
        return None
    elsewhere = " and ".join(trust.label_of(catalog, fp) for fp in others)
    signer = trust.key_label(opened.signer_name, opened.signer_fingerprint)
    return (
        f"name collision: bundles named {name} also came from {elsewhere}; this one is from "
        f"{signer} and is checked against that author's versions only"
    )


def verify(
    catalog: Catalog,
    path: str | Path,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Verify a bundle or a review receipt; returns a summary (``trusted`` may be False)."""
    from baton.core.handover import review

    if review.is_receipt(path):
        return review.verify_receipt(catalog, path, progress=progress, cancel=cancel)
    with open_bundle(catalog, path, progress=progress, cancel=cancel) as bundle:
        return bundle.summary()


def inspect(catalog: Catalog, path: str | Path) -> dict[str, Any]:
    """A verified bundle's contract and card, for reading (untrusted signers allowed)."""
    with open_bundle(catalog, path, record=False) as bundle:
        out = bundle.summary()
        out["contract"] = bundle.contract
        out["card"] = card.render_markdown(bundle.contract)  # card.md was checked equal to it
        return out


def diff(catalog: Catalog, old: str | Path, new: str | Path) -> dict[str, Any]:
    """Two verified bundles compared: contract fields, targets, metric deltas, files."""
    with open_bundle(catalog, old, record=False) as a, open_bundle(catalog, new, record=False) as b:
        if not contracts.same_name(a.name, b.name):
            raise UsageError(
                f"these are bundles of two different models ({a.name} and {b.name}); diff compares versions of one"
            )
        changes = contracts.diff_contracts(a.contract, b.contract)
        files = []
        for f in sorted(set(a.opened.digests) | set(b.opened.digests)):
            da, db_ = a.opened.digests.get(f), b.opened.digests.get(f)
            if da != db_:
                files.append(
                    {
                        "file": f,
                        "change": "added"
                        if da is None
                        else "removed"
                        if db_ is None
                        else "changed",
                    }
                )
        return {
            "old": a.summary(),
            "new": b.summary(),
            "name": a.name,
            "changes": [dataclasses.asdict(c) for c in changes],
            "old_contract": a.contract,
            "new_contract": b.contract,
            "files": files,
        }


def pack_draft(
    catalog: Catalog,
    ref: str,
    *,
    passphrase: str,
    out: str | Path,
    include: tuple[str, ...] = ("train", "validation"),
    budget_s: float = 1.0,
    confirm: Callable[[list[contracts.Change]], bool] | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
):
    """Sign a stored draft as a bundle with the figures it shows, where they still hold.

    See :func:`baton.core.handover.bundle.pack_contract`: what is stale or missing is measured,
    ``confirm`` sees what changed before signing, and the draft is stored again as signed.
    """
    signing_key = trust.load_signing_key(catalog.home, passphrase)
    seen = drafts.load(catalog, ref)
    by_role = {d["role"]: catalog.get_dataset(d["name"]) for d in seen["datasets"]}
    identity = seen["identity"]
    draft = Draft(
        drafts.model_of(catalog, seen),
        by_role.pop("test"),
        identity["name"],
        identity["version"],
        by_role,
        tuple(Target.from_dict(t) for t in seen.get("targets") or []),
        intended_use=identity["intended_use"],
        limitations=identity["limitations"],
        seen=seen,
    )
    return pack_contract(
        catalog,
        draft,
        signing_key=signing_key,
        out=out,
        include=include,
        budget_s=budget_s,
        confirm=confirm,
        progress=progress,
        cancel=cancel,
    )
