"""Handover bundles: what one holds, how it is named, and opening one (verify, inspect, diff).

A bundle is ``NAME-VERSION.baton``, a ZIP whose extracted folder the OpenSSF Model
Signing v1.0 verifier accepts as it stands (DESIGN.md section 3)::

    contract.json  card.md  model/model.skops|onnx  data/test.parquet
    [data/train.parquet  data/validation.parquet]  predictions/test.parquet  model.sig
    [candidates/NAME/model.skops|onnx  candidates/NAME/predictions.parquet ...]

The ``candidates/`` folders hold the models handed over beside the primary one, when a
handover has several candidates (:mod:`baton.core.contract.candidates`); each is checked
exactly as the primary model is.

Who may sign: the signer must be one of the authors the contract names (by key
fingerprint); a trusted colleague's valid signature over someone else's contract is refused.

Rollback protection: the catalog remembers every bundle it has packed or opened, with its
signer. A bundle is checked against the history of its own authors' keys only: for one
bundle name it refuses an older version than the newest received from them, and for one
version any root digest but the one first seen. Names compare after case folding and NFC,
versions by the contract's ordering (``"2" == "2.0"``). Bundles of the same name from
other authors are a *name collision*: reported, never a reason to refuse the genuine
author's versions.

Packing one is :mod:`baton.core.handover.packing`'s job; a bundle or a receipt is verified
by :func:`baton.core.handover.review.verify`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baton.core.catalog.store import Catalog
from baton.core.contract import candidates as cands
from baton.core.contract import card
from baton.core.contract import document as contracts
from baton.core.data import runner
from baton.core.data.runner import Limits, run_task
from baton.core.errors import (
    BatonError,
    Cancelled,
    ContractError,
    RunnerError,
    UsageError,
    VerificationError,
)
from baton.core.handover import trust
from baton.core.handover.signed_zip import OpenedZip, describe_opened, open_signed_zip
from baton.core.progress import CancelToken, ProgressFn

SIG = "model.sig"
CONTRACT = "contract.json"
# Memory of the child that checks a bundle's model and data: this much, plus this many MB
# per MB of unpacked bundle, and never more than the usual limit.
CHECK_MEMORY_FLOOR_MB = 512
CHECK_MEMORY_PER_MB = 64


def bundle_file_name(name: str, version: str) -> str:
    """``NAME-VERSION.baton`` from the name and version as Baton compares them, so two
    spellings of one handover ("Churn" 2.0, "churn" 2) suggest one file, not two."""
    return f"{contracts.name_key(name)}-{contracts.canonical_version(version)}.baton"


def receipt_file_name(name: str, version: str) -> str:
    """``NAME-VERSION.review.baton`` for a receipt, spelled as :func:`bundle_file_name`."""
    return bundle_file_name(name, version).removesuffix(".baton") + ".review.baton"


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
            **({"candidates": cands.comparison(c)} if cands.is_multi(c) else {}),
        }


def open_bundle(
    catalog: Catalog,
    path: str | Path,
    *,
    record: bool = True,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> OpenedBundle:
    """Verify a bundle (a ``.baton`` file or the folder it was unzipped into) completely;
    the caller closes it (its staging folder) when done.

    An untrusted but intact bundle opens with ``opened.trusted`` False; the caller decides
    (the CLI exits 3). Tampering, unsafe content or a rollback raises.
    """
    runner.prestart("check_bundle")  # its imports overlap the signature's and contract's checks
    try:
        opened = open_signed_zip(
            catalog, path, sig_name=SIG, document=CONTRACT, progress=progress, cancel=cancel
        )
    except BaseException:
        runner.discard_prestarted()
        raise
    try:
        label = opened.label
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
                catalog.handovers.record(
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
        runner.discard_prestarted()
        opened.close()
        raise


def _check_contents(
    opened: OpenedZip, contract: dict, label: str, cancel: CancelToken | None = None
) -> None:
    """The signed files must be the ones the contract describes, and safe to load."""
    model_file = contract["model"]["file"]
    monitoring = contract.get("monitoring")  # bundles packed before it have none
    others = cands.others(contract)
    expected = {CONTRACT, "card.md", model_file, "predictions/test.parquet"} | {
        d["file"] for d in contract["datasets"] if d.get("file")
    }
    expected |= {monitoring["file"]} if monitoring else set()
    for other in others:
        expected |= {other.model["file"], (other.predictions or {})["file"]}
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
    for entry in [contract, *(dataclasses.asdict(o) for o in others)]:
        model, predictions = entry["model"], entry["predictions"]
        if opened.digests[predictions["file"]] != predictions["sha256"]:
            raise VerificationError(
                f"{label}: {predictions['file']} is not the file the contract describes"
            )
        if opened.digests[model["file"]] != model["sha256"]:
            raise VerificationError(
                f"{label}: {model['file']} is not the model the contract describes (its SHA-256 differs)",
                path=model["file"],
            )
    if monitoring:
        read_baseline(opened, contract, label)
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
    except (RunnerError, Cancelled):
        raise  # already names the bundle, or is no fault of it
    except BatonError as exc:  # the child's message names the member
        raise type(exc)(f"{label}: {exc}") from None
    for entry in contract["datasets"]:
        file = entry.get("file")
        if file and found["tables"][file]["fingerprint"] != entry["fingerprint"]:
            raise VerificationError(
                f"{label}: {file} does not hold the {entry['role']} data the contract fingerprints"
            )
    _check_rows(found["predictions_rows"], "predictions/test.parquet", contract, label)
    for other in others:  # each candidate's model and predictions, read as the primary's
        predictions = (other.predictions or {})["file"]
        try:
            found = run_task(
                "check_bundle",
                {
                    "folder": str(opened.staging),
                    "model": other.model["file"],
                    "tables": [],
                    "predictions": predictions,
                },
                limits=check_limits(opened.total_bytes),
                cancel=cancel,
                what=f"{label}: reading candidate {other.name}",
            )
        except (RunnerError, Cancelled):
            raise
        except BatonError as exc:
            raise type(exc)(f"{label}: {exc}") from None
        _check_rows(found["predictions_rows"], predictions, contract, label)


def _check_rows(rows: int, member: str, contract: dict, label: str) -> None:
    if rows != contract["labels"]["rows"]:
        raise VerificationError(
            f"{label}: {member} has {rows} rows but the test labels have {contract['labels']['rows']}"
        )


def read_baseline(opened: OpenedZip, contract: dict, label: str) -> dict | None:
    """The bundle's monitoring baseline, strictly parsed, once its digest matched the
    contract's; None for a bundle packed without one."""
    monitoring = contract.get("monitoring")
    if not monitoring:
        return None
    from baton.core.measure import baseline_file as baseline

    file = monitoring["file"]
    if opened.digests[file] != monitoring["sha256"]:
        raise VerificationError(f"{label}: {file} is not the baseline the contract describes")
    data = opened.read_json(file, baseline.MAX_BYTES)
    return baseline.parse_baseline(data, source=f"{label}/{file}")


def check_limits(unpacked_bytes: int) -> Limits:
    """The checking child's limits: the usual ones, its memory also capped in proportion
    to the bundle, so that a small bundle cannot take more than a few hundred MB."""
    usual = Limits.from_env()
    proportional = CHECK_MEMORY_FLOOR_MB + CHECK_MEMORY_PER_MB * unpacked_bytes // 2**20
    memory = min(usual.memory_mb, proportional)
    return Limits(memory_mb=memory, timeout_s=usual.timeout_s, address_space_cap_mb=memory)


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


def inspect(catalog: Catalog, path: str | Path) -> dict[str, Any]:
    """A verified bundle's contract and card, for reading (untrusted signers allowed)."""
    with open_bundle(catalog, path, record=False) as bundle:
        out = bundle.summary()
        out["contract"] = bundle.contract
        out["card"] = card.render_markdown(bundle.contract)  # card.md was checked equal to it
        if cands.is_multi(bundle.contract):
            out["candidate_differences"] = candidate_differences(bundle.contract, bundle.folder)
        return out


def candidate_differences(contract: dict[str, Any], folder: Path) -> list[dict[str, Any]]:
    """Each other candidate against the primary on the same test rows: every metric's
    difference (candidate minus primary) with its paired bootstrap interval and verdict,
    accuracy with McNemar's exact test, so that close figures read as not distinguishable."""
    from baton.core.measure import paired

    primary = next(c for c in cands.candidates(contract) if c.primary)
    base = cands.view(contract, primary)
    return [
        {
            "candidate": other.name,
            "against": primary.name,
            **paired.compare_bundled(base, folder, cands.view(contract, other), folder),
        }
        for other in cands.others(contract)
    ]


def diff(catalog: Catalog, old: str | Path, new: str | Path) -> dict[str, Any]:
    """Two verified bundles compared: contract fields, targets, metric deltas, files."""
    from baton.core.measure import paired

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
            # on the same test set: each metric's difference with its paired interval
            "paired": paired.compare_bundled(a.contract, a.folder, b.contract, b.folder),
        }
