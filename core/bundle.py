"""Handover bundles: pack (import, measure, contract, sign, zip) and open (verify).

A bundle is ``NAME-VERSION.baton``, a ZIP whose extracted folder the OpenSSF Model
Signing v1.0 verifier accepts as it stands (DESIGN.md section 3)::

    contract.json  card.md  model/model.skops|onnx  data/test.parquet
    [data/train.parquet  data/validation.parquet]  predictions/test.parquet  model.sig

Rollback protection: the catalog remembers every bundle it has packed or opened. For
one bundle name it refuses an older version than the newest it has received, and for
one version it refuses any root digest but the one it first saw.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from . import card, keys, measure, oms, safezip, trust
from . import contract as contracts
from . import datasets as ds
from .catalog import Catalog, _encode, _now
from .errors import BatonError, ContractError, NotFound, UsageError, VerificationError
from .fsutil import sha256_file
from .importer import dataset_file, import_dataset, import_model, model_summary
from .models import load_onnx_checked, skops_allowed_types
from .profiling import latency_caveats
from .progress import CancelToken, ProgressFn, no_progress
from .signed_zip import OpenedZip, describe_opened, open_signed_zip

SIG = "model.sig"
CONTRACT = "contract.json"


# --- packing ----------------------------------------------------------------------------


def _find_by_sha(catalog: Catalog, table: str, sha: str) -> dict | None:
    rows = list(catalog.db[table].rows_where("sha256 = ?", [sha], limit=1, select="name"))
    return rows[0]["name"] if rows else None


def ensure_model(
    catalog: Catalog,
    model: str,
    *,
    name: str,
    trust_pickle: bool,
    check_on: str | None,
    progress=None,
    cancel=None,
) -> dict:
    """A catalog model by name, or a model file imported (reused if already imported)."""
    try:
        return catalog.get_model(model)
    except NotFound:
        if not Path(model).is_file():
            raise
    existing = _find_by_sha(catalog, "models", sha256_file(model))
    if existing:
        return catalog.get_model(existing)
    return import_model(
        catalog,
        model,
        name=_free_name(catalog, "models", name),
        trust_pickle=trust_pickle,
        check_on=check_on,
        progress=progress,
        cancel=cancel,
    )


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
            catalog.db["datasets"].rows_where(
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
            "signer": keys.format_fingerprint(self.signer_fingerprint),
            "files": self.files,
            "bytes": self.bytes,
            "targets": self.contract.get("targets", []),
            "targets_failed": len(failed),
            "latency_notes": latency_caveats(self.contract["results"].get("latency") or []),
        }


def check_new_version(catalog: Catalog, name: str, version: str, direction: str = "sent") -> None:
    """Refuse to pack a version that is not newer than every version packed before."""
    rows = list(catalog.db["handovers"].rows_where("name = ? and direction = ?", [name, direction]))
    for row in rows:
        cmp = contracts.compare_versions(version, row["version"])
        if cmp <= 0:
            raise UsageError(
                f"{name} version {row['version']} was already packed; a new bundle needs a higher --version than {row['version']}"
                if cmp == 0
                else f"{name} version {row['version']} was already packed; {version} is older — use a higher --version"
            )


def _write_dataset(catalog: Catalog, record: dict, target: Path) -> None:
    """The stored dataset re-serialised as Parquet (its fingerprint does not change)."""
    with tempfile.TemporaryDirectory(prefix="baton-data-") as tmp:
        source, _ = dataset_file(catalog, record["name"], Path(tmp))
        table = ds.read_table(source).table
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, target, compression="zstd")


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
    budget_s: float = 1.0,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> PackResult:
    """Import, evaluate, profile, write the contract, sign and zip a handover bundle."""
    report = progress or no_progress
    me = trust.require_identity(catalog.home)
    private_key = trust.load_signing_key(catalog.home, passphrase)
    try:  # a bad --require, --version or --name is a usage error, found before any long work
        targets = [contracts._as_target(r) for r in requires]
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
    out = Path(out)
    if out.suffix != ".baton":
        raise UsageError(f"--out must end in .baton, e.g. {name}-{version}.baton")

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
        cancel=cancel,
    )
    report(2, 6, "Evaluating on the test set")
    evaluation = measure.evaluate(catalog, model_rec["name"], test_rec["name"], cancel=cancel)
    report(3, 6, "Profiling latency and memory")
    profile = measure.profile(
        catalog,
        model_rec["name"],
        test_rec["name"],
        batch_sizes=measure.batch_sizes_for(targets),
        budget_s=budget_s,
        cancel=cancel,
    )

    staging = Path(tempfile.mkdtemp(prefix="baton-pack-"))
    folder = staging / f"{name}-{version}"
    try:
        report(4, 6, "Writing the bundle files")
        fmt = model_rec["format"]
        (folder / "model").mkdir(parents=True)
        catalog.objects.export(model_rec["sha256"], folder / "model" / f"model.{fmt}")
        _write_dataset(catalog, test_rec, folder / "data" / "test.parquet")
        dataset_entries = [contracts.dataset_entry(test_rec, "test", "data/test.parquet")]
        for role, rec in others.items():
            file = f"data/{role}.parquet" if role in include else None
            if file:
                _write_dataset(catalog, rec, folder / file)
            dataset_entries.append(contracts.dataset_entry(rec, role, file))
        pred_path = folder / "predictions" / "test.parquet"
        pred_path.parent.mkdir()
        catalog.objects.export(evaluation["predictions_sha256"], pred_path)
        pred_table = pq.read_table(pred_path)
        author = {
            **{k: me[k] for k in ("name", "email", "fingerprint")},
            "public_key": trust.my_public_pem(catalog.home).decode(),
        }
        draft = contracts.draft_contract(
            name,
            version,
            model_summary(model_rec),
            dataset_entries,
            evaluation["result"],
            profile["result"],
            authors=[author],
            intended_use=intended_use,
            limitations=limitations,
            targets=targets,
            predictions={
                "file": "predictions/test.parquet",
                "rows": pred_table.num_rows,
                "columns": [{"name": f.name, "dtype": str(f.type)} for f in pred_table.schema],
                "sha256": sha256_file(pred_path),
            },
        )
        contracts.check_contract(draft, complete=True)
        (folder / CONTRACT).write_bytes(contracts.dump_contract(draft))
        (folder / "card.md").write_text(card.render_markdown(draft), encoding="utf-8")
        report(5, 6, "Signing")
        oms.sign_folder(folder, private_key, SIG, model_name=f"{name}-{version}", cancel=cancel)
        written = safezip.write_bundle_zip(folder, out, cancel=cancel)
        verified = oms.verify_folder(folder, private_key.public_key(), strict=True)
        _record(
            catalog,
            "sent",
            name,
            version,
            verified.root_digest,
            sha256_file(folder / SIG),
            me["fingerprint"],
            out,
            "packed",
            draft,
        )
        report(6, 6, f"Wrote {out.name}")
        return PackResult(
            out,
            name,
            version,
            verified.root_digest,
            me["fingerprint"],
            len(written),
            out.stat().st_size,
            draft,
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)


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
            db["handovers"].rows_where(
                "direction = ? and name = ? and version = ? and root_digest = ?",
                [direction, name, version, root],
                limit=1,
            )
        )
        if existing:
            db["handovers"].update(existing[0]["id"], {"path": row["path"]})
            return existing[0]
        db["handovers"].insert(_encode(row))
    return row


# --- opening ----------------------------------------------------------------------------


@dataclass
class OpenedBundle:
    """A verified bundle: the signed files in ``opened.staging`` and the parsed contract."""

    opened: OpenedZip
    contract: dict
    name: str
    version: str

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
        check_rollback(catalog, name, version, opened.root_digest, label)
        _check_contents(opened, contract, label)  # only now parse data and inspect the model
        bundle = OpenedBundle(opened, contract, name, version)
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


def _check_contents(opened: OpenedZip, contract: dict, label: str) -> None:
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
    folder = opened.staging
    try:
        if model_file.endswith(".skops"):
            skops_allowed_types(folder / model_file)
        else:
            load_onnx_checked(folder / model_file)
    except BatonError as exc:
        raise type(exc)(f"{label}: {model_file}: {exc}", path=model_file) from None
    for entry in contract["datasets"]:
        if not entry.get("file"):
            continue
        try:
            loaded = ds.read_table(folder / entry["file"])
        except BatonError as exc:  # name the member, not the private staging path
            text = str(exc).replace(str(folder / entry["file"]), entry["file"])
            raise type(exc)(f"{label}: {entry['file']}: {text}", path=entry["file"]) from None
        if ds.fingerprint(loaded.table) != entry["fingerprint"]:
            raise VerificationError(
                f"{label}: {entry['file']} does not hold the {entry['role']} data the contract fingerprints"
            )
    predictions = folder / "predictions" / "test.parquet"
    try:
        rows = pq.ParquetFile(predictions).metadata.num_rows
    except (pa.ArrowInvalid, OSError) as exc:
        raise VerificationError(
            f"{label}: predictions/test.parquet is not a readable Parquet file ({exc})"
        ) from None
    if rows != contract["labels"]["rows"]:
        raise VerificationError(
            f"{label}: predictions/test.parquet has {rows} rows but the test labels have {contract['labels']['rows']}"
        )


def check_rollback(catalog: Catalog, name: str, version: str, root: str, label: str) -> None:
    for row in catalog.db["handovers"].rows_where("name = ?", [name]):
        if row["version"] == version and row["root_digest"] != root:
            raise VerificationError(
                f"{label}: {name} version {version} was seen before with different content "
                f"(root digest {row['root_digest'][:16]}…, now {root[:16]}…); refusing a changed bundle under a known version"
            )
        if (
            row["direction"] == "received"
            and contracts.compare_versions(version, row["version"]) < 0
        ):
            raise VerificationError(
                f"{label}: {name} version {version} is older than version {row['version']} already received; refusing a rollback"
            )


def verify(
    catalog: Catalog,
    path: str | Path,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Verify a bundle or a review receipt; returns a summary (``trusted`` may be False)."""
    from . import review

    if review.is_receipt(path):
        return review.verify_receipt(catalog, path, progress=progress, cancel=cancel)
    with open_bundle(catalog, path, progress=progress, cancel=cancel) as bundle:
        return bundle.summary()


def inspect(catalog: Catalog, path: str | Path) -> dict[str, Any]:
    """A verified bundle's contract and card, for reading (untrusted signers allowed)."""
    with open_bundle(catalog, path, record=False) as bundle:
        out = bundle.summary()
        out["contract"] = bundle.contract
        out["card"] = (bundle.folder / "card.md").read_text(encoding="utf-8")
        return out


def diff(catalog: Catalog, old: str | Path, new: str | Path) -> dict[str, Any]:
    """Two verified bundles compared: contract fields, targets, metric deltas, files."""
    with open_bundle(catalog, old, record=False) as a, open_bundle(catalog, new, record=False) as b:
        if a.name != b.name:
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
