"""Packing a handover bundle, in two steps.

First the inputs are resolved into a :class:`Draft`: the command line's arguments (files
imported, catalog records found) by :func:`draft_from_arguments`, a stored or on-screen
contract draft by :func:`draft_from_contract`. Then :func:`pack_contract` measures what the
draft lacks or holds stale, fills the contract, signs it and writes the bundle, recording
it in the catalog. :func:`pack` (``baton pack``) and :func:`pack_draft` (``baton contract
pack``, the desktop's export) are those two steps; what a bundle holds is
:mod:`baton.core.handover.bundle`'s.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from baton.core.catalog.store import PACKING, Catalog
from baton.core.contract import candidates as cands
from baton.core.contract import card, drafts
from baton.core.contract import document as contracts
from baton.core.contract.targets import Target
from baton.core.data import datasets as ds
from baton.core.data import declare
from baton.core.data.importer import (
    Declared,
    dataset_file,
    model_summary,
)
from baton.core.errors import Cancelled, ContractError, UsageError, VerificationError
from baton.core.fsutil import sha256_file, sweep_temps
from baton.core.handover import oms, safezip, trust
from baton.core.handover.bundle import CONTRACT, SIG, bundle_file_name
from baton.core.handover.drafting import (
    Draft,
    check_candidate_request,
    draft_from_arguments,
    draft_from_contract,
)
from baton.core.measure import baseline
from baton.core.measure import runs as measure
from baton.core.measure.profiling import DEFAULT_BATCH_SIZES, environment_info, latency_caveats
from baton.core.present import format_fingerprint
from baton.core.progress import CancelToken, ProgressFn, no_progress


@dataclass
class PackResult:
    """A bundle written: where, what it is, who signed it, and the contract signed."""

    path: Path
    name: str
    version: str
    root_digest: str
    signer_fingerprint: str
    files: int
    bytes: int
    contract: dict

    def as_dict(self) -> dict[str, Any]:
        """What ``baton pack --json`` prints (and the desktop shows)."""
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
            **(
                {
                    "problem_type": self.contract["identity"]["problem_type"],
                    "candidates": cands.comparison(self.contract),
                }
                if cands.is_multi(self.contract)
                else {}
            ),
        }


def pack(
    catalog: Catalog,
    model: str | Sequence[str],
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
    candidate_names: Sequence[str] = (),
    recommend: str | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> PackResult:
    """Import, evaluate, profile, write the contract, sign and zip a handover bundle.

    ``model`` is one model, or several candidates measured on the same test set (named
    ``candidate_names``, by default their catalog names; ``recommend`` names the one the
    data scientist recommends). The imports commit with the bundle's handover record or not at all: a pack refused or
    failing midway leaves the catalog as it was.
    """
    signing_key = trust.load_signing_key(catalog.home, passphrase)
    try:  # a bad --require, --version or --name is a usage error, found before any long work
        targets = tuple(contracts.as_target(r) for r in requires)
    except ContractError as exc:
        raise UsageError(str(exc)) from None
    _check_request(catalog, name, version, intended_use, Path(out))
    declare.check_declared(declared)
    models = [model] if isinstance(model, str) else list(model)
    check_candidate_request(len(models), candidate_names, recommend)
    with catalog.all_or_nothing():
        draft = draft_from_arguments(
            catalog,
            model,
            test=test,
            target=target,
            name=name,
            version=version,
            train=train,
            validation=validation,
            id_column=id_column,
            targets=targets,
            intended_use=intended_use,
            limitations=limitations,
            trust_pickle=trust_pickle,
            declared=declared,
            candidate_names=candidate_names,
            recommend=recommend,
            progress=progress,
            cancel=cancel,
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
) -> PackResult:
    """Sign a stored draft (``NAME``, ``NAME@VERSION`` or a ``contract.json``) as a bundle
    with the figures it shows, where they still hold.

    See :func:`pack_contract`: what is stale or missing is measured, ``confirm`` sees what
    changed before signing, and the draft is stored again as signed.
    """
    signing_key = trust.load_signing_key(catalog.home, passphrase)
    draft = draft_from_contract(catalog, drafts.load(catalog, ref))
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
        # The digests of the files as they are written, so that signing reads none again.
        known: dict[str, str] = {}
        try:
            report(4, 6, "Writing the bundle files")
            contract = _write_files(
                catalog, draft, folder, include, me, evaluation, fresh, keep_speed, known
            )
            if draft.candidates:
                contract = _with_candidates(
                    catalog, draft, folder, contract, budget_s, report, cancel, known
                )
            if draft.seen is not None:
                _confirm_changes(signed_changes(draft.seen, contract), confirm)
            name, version = draft.name, draft.version
            root_digest = seal(
                folder, contract, signing_key, f"{name}-{version}", report, cancel, known
            )
            if draft.seen is not None:  # the editor shows what was signed
                drafts.save(catalog, contract, draft.model)
            handover = {
                "name": name,
                "version": version,
                "root": root_digest,
                "sig_sha": sha256_file(folder / SIG),
                "signer": me["fingerprint"],
                "contract": contract,
            }
            written = write_recorded(catalog, folder, out, handover, cancel)
            report(6, 6, f"Wrote {out.name}")
            return PackResult(
                out,
                name,
                version,
                root_digest,
                me["fingerprint"],
                len(written),
                out.stat().st_size,
                contract,
            )
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _confirm_changes(
    changes: list[contracts.Change], confirm: Callable[[list[contracts.Change]], bool] | None
) -> None:
    """Go on signing figures that differ from the draft's only if ``confirm`` agrees."""
    if changes and confirm is not None and not confirm(changes):
        raise Cancelled(
            "stopped before signing: the figures measured now differ from the "
            "draft's; nothing was signed and the catalog is as it was"
        )


def seal(
    folder: Path,
    contract: dict,
    signing_key: Any,
    model_name: str,
    report: ProgressFn,
    cancel: CancelToken | None,
    known: dict[str, str] | None = None,
) -> str:
    """Write the contract and its card into ``folder``, sign the folder and check the
    signature as a verifier will; returns the manifest's root digest.

    ``known``: the digests of files the caller hashed while writing them, which are not
    read again. The files themselves are checked against the manifest as they are
    zipped (:func:`write_recorded`), which reads each of them once more, and only once.
    """
    contracts.check_contract(contract, complete=True)
    contract_bytes = contracts.dump_contract(contract)
    # Rendered from the bytes a verifier will read, which is what it compares against.
    card_bytes = card.card_bytes(contracts.parse_contract(contract_bytes))
    known = dict(known or {})
    for file, data in ((CONTRACT, contract_bytes), (card.CARD, card_bytes)):
        (folder / file).write_bytes(data)
        known[file] = hashlib.sha256(data).hexdigest()
    report(5, 6, "Signing")
    oms.sign_folder(
        folder, signing_key, SIG, model_name=model_name, cancel=cancel, known_digests=known
    )
    parsed = oms.read_signature(folder / SIG, source=SIG)
    oms.verify_signature(parsed, signing_key.public_key())
    return parsed.root_digest


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
    check_free(out)


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


def check_free(out: Path) -> None:
    if os.path.lexists(out):
        raise UsageError(
            f"{out} already exists; Baton never replaces a bundle, since someone may already "
            "hold that copy: move it away or choose another --out"
        )


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


def _write_files(
    catalog: Catalog,
    draft: Draft,
    folder: Path,
    include: tuple[str, ...],
    me: dict,
    evaluation: dict,
    fresh: dict | None,
    keep_speed: bool,
    known: dict[str, str],
) -> dict:
    """The model, data and predictions files in ``folder`` (their digests added to
    ``known``); returns the filled contract."""
    model_rec, test_rec = draft.model, draft.test
    _place(catalog, model_rec["sha256"], folder, f"model/model.{model_rec['format']}", known)
    _write_dataset(catalog, test_rec, folder, "data/test.parquet", known)
    dataset_entries = [contracts.dataset_entry(test_rec, "test", "data/test.parquet")]
    for role, rec in draft.others.items():
        file = f"data/{role}.parquet" if role in include else None
        if file:
            _write_dataset(catalog, rec, folder, file, known)
        dataset_entries.append(contracts.dataset_entry(rec, role, file))
    pred_path = folder / "predictions" / "test.parquet"
    _place(catalog, evaluation["predictions_sha256"], folder, "predictions/test.parquet", known)
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
    # what `baton drift` compares production data with, signed with the rest
    exclude = (test_rec.get("target"), test_rec.get("id_column"))
    # the profiles the evaluation kept, by the stored bytes each file was made from
    sources = {"test": test_rec["sha256"], "predictions": evaluation["predictions_sha256"]}
    if "train" in include and "train" in draft.others:
        sources["train"] = draft.others["train"]["sha256"]
    contract["monitoring"] = baseline.write_for_bundle(
        folder, exclude=exclude, cache=catalog, sources=sources
    )
    known[contract["monitoring"]["file"]] = contract["monitoring"]["sha256"]
    return contract


def _with_candidates(
    catalog: Catalog,
    draft: Draft,
    folder: Path,
    contract: dict,
    budget_s: float,
    report: ProgressFn,
    cancel: CancelToken | None,
    known: dict[str, str],
) -> dict:
    """``contract`` (the primary candidate's) listing every candidate: the others are
    evaluated and profiled now, on the same test set and at the same batch sizes, and
    their model and predictions written in their own folder of the bundle."""
    primary = draft.recommend or draft.candidates[0][0]
    batches = tuple(row["batch_size"] for row in contract["results"]["latency"])
    agreed = tuple(Target.from_dict(t) for t in contract["targets"])
    entries = []
    for name, record in draft.candidates:
        if name == primary:
            entries.append(cands.entry(name, contract, recommended=draft.recommend is not None))
            continue
        report(4, 6, f"Evaluating candidate {name} on the test set")
        evaluation = measure.evaluate(catalog, record["name"], draft.test["name"], cancel=cancel)
        report(4, 6, f"Profiling candidate {name}")
        profile = measure.profile(
            catalog,
            record["name"],
            draft.test["name"],
            batch_sizes=batches,
            budget_s=budget_s,
            cancel=cancel,
        )
        record = catalog.get_model(record["id"])  # its features, as the evaluation named them
        file = cands.model_file(name, record["format"])
        _place(catalog, record["sha256"], folder, file, known)
        pred_path = folder / cands.predictions_file(name)
        _place(
            catalog,
            evaluation["predictions_sha256"],
            folder,
            pred_path.relative_to(folder).as_posix(),
            known,
        )
        alone = contracts.draft_contract(
            draft.name,
            draft.version,
            model_summary(record),
            contract["datasets"],
            evaluation["result"],
            profile["result"],
            targets=agreed,
            predictions=measure.predictions_entry(pred_path),
        )
        # drafted as a one-model contract; its files are those of its own folder
        alone["model"]["file"] = file
        alone["predictions"]["file"] = cands.predictions_file(name)
        entries.append(cands.entry(name, alone))
    return {**contract, "candidates": entries}


def _place(catalog: Catalog, digest: str, folder: Path, file: str, known: dict[str, str]) -> None:
    """A stored object as the bundle file ``file`` (linked where it can be: the staging
    folder's files are only read), its digest known without reading it again.

    Its bytes are proved as they are zipped (:func:`write_recorded`), so they are not
    read to verify them here: a damaged object fails the pack before a bundle exists."""
    (folder / file).parent.mkdir(parents=True, exist_ok=True)
    catalog.objects.place(digest, folder / file, checked_later=True)
    known[file] = digest


def _write_dataset(
    catalog: Catalog, record: dict, folder: Path, file: str, known: dict[str, str]
) -> None:
    """The stored dataset as the bundle's Parquet file: a Parquet file as it is, never
    re-encoded; a CSV file converted (its fingerprint does not change)."""
    if record["format"] == "parquet":
        _place(catalog, record["sha256"], folder, file, known)
        return
    with tempfile.TemporaryDirectory(prefix="baton-data-") as tmp:
        source, _ = dataset_file(catalog, record["name"], Path(tmp))
        table = ds.read_table(source).table
    (folder / file).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / file, compression="zstd")


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


def write_recorded(
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
            check_free(out)
            recorded["row"] = catalog.handovers.record(
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

    # The ZIP writer hashes every file as it packs it; those digests must be the signed
    # ones, which proves the bundle holds exactly what was signed without reading the
    # files again (the signature itself was checked when it was made).
    signed = oms.read_signature(folder / SIG, source=SIG).digests

    def check(members: list[safezip.Member]) -> None:
        try:
            oms.compare_manifest(signed, {m.name: m.sha256 for m in members if m.name != SIG})
        except VerificationError as exc:
            raise VerificationError(
                "the bundle's files are not the ones signed (a file changed while it was "
                f"packed, or its copy in the catalog's object store is damaged): {exc.message}; "
                "nothing was written",
                path=exc.path,
            ) from None

    try:
        written = safezip.write_bundle_zip(
            folder, out, cancel=cancel, replace=False, before_commit=record, check_members=check
        )
    except BaseException as exc:
        if "row" in recorded:
            catalog.settle_pack(recorded["row"]["id"], placed=_same_file(out, recorded["file"]))
        if isinstance(exc.__cause__, FileExistsError):  # created meanwhile by someone else
            check_free(out)
        raise
    catalog.settle_pack(recorded["row"]["id"], placed=True)
    return written


def _same_file(path: Path, identity: tuple[int, int]) -> bool:
    try:
        stat = path.stat()
    except OSError:
        return False
    return (stat.st_dev, stat.st_ino) == identity
