"""An MLflow Model Registry as a team's shared engine: versions in, signed decisions out.

A team that outgrows one workstation keeps its models in an MLflow tracking server inside
its own network. Its approvals there are tags and aliases: anyone with write access can
change them, and nothing proves who decided. Baton brings the proof along:

- :func:`pull` imports a registered version into the catalog, through the same checks as
  any MLflow model folder, remembering where it came from;
- :func:`push_decision` attaches a verified, countersigned review receipt to the version's
  run as an artifact and sets ``baton.*`` tags that point at it (and, on accept, an
  alias the team chooses);
- :func:`check` reads the tags back and compares them with the signed receipt: tags are
  mutable, the receipt is not, so a tag changed after the decision is reported.

Only MLflow's client library talks to the server (``MlflowClient``, and
``mlflow.artifacts`` for downloads); Baton never parses the server's responses itself.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from baton.core.catalog.store import Catalog
from baton.core.errors import BatonError, MissingFile, NotFound, UsageError, VerificationError
from baton.core.handover import desk

TAG_DECISION = "baton.decision"
TAG_ROOT = "baton.bundle_root_digest"
TAG_RECEIPT = "baton.receipt_sha256"
TAG_REVIEWER = "baton.reviewer"
TAGS = (TAG_DECISION, TAG_ROOT, TAG_RECEIPT, TAG_REVIEWER)
ARTIFACT_FOLDER = "baton"


class RegistryError(BatonError):
    """The registry could not be reached or refused a request (exit code 1)."""


def _client(tracking_uri: str):
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    from mlflow import MlflowClient

    try:
        return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    except Exception as exc:  # noqa: BLE001 - MLflow refuses a URI in many ways
        raise RegistryError(f"cannot use the registry at {tracking_uri}: {exc}") from None


def _version(client, model: str, version: str):
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version(model, str(version))
    except MlflowException as exc:
        if "RESOURCE_DOES_NOT_EXIST" in str(exc.error_code):
            raise NotFound(
                f"the registry has no version {version} of the model {model!r}"
            ) from None
        raise RegistryError(
            f"the registry refused to read {model} version {version}: {exc.message}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - connection errors come in many kinds
        raise RegistryError(f"cannot reach the registry: {type(exc).__name__}: {exc}") from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Pulled:
    record: dict[str, Any]
    model: str
    version: str
    run_id: str | None


def pull(
    catalog: Catalog,
    model: str,
    version: str,
    tracking_uri: str,
    *,
    name: str | None = None,
    trust_pickle: bool = False,
    progress=None,
    cancel=None,
) -> Pulled:
    """Import registered version ``version`` of ``model`` (its MLflow model folder)."""
    import mlflow.artifacts

    from baton.core.data.importer import import_model

    client = _client(tracking_uri)
    mv = _version(client, model, version)
    with tempfile.TemporaryDirectory(prefix="baton-registry-") as tmp:
        try:
            folder = mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{model}/{version}",
                dst_path=tmp,
                tracking_uri=tracking_uri,
            )
        except Exception as exc:  # noqa: BLE001
            raise RegistryError(
                f"cannot download {model} version {version} from the registry: {exc}"
            ) from None
        record = import_model(
            catalog,
            Path(folder),
            name=name or catalog.free_name("models", f"{model}-v{version}"),
            description=f"{model} version {version} from the registry at {tracking_uri}",
            trust_pickle=trust_pickle,
            progress=progress,
            cancel=cancel,
            registry={
                "tracking_uri": tracking_uri,
                "model": model,
                "version": str(version),
                "run_id": mv.run_id,
            },
        )
    return Pulled(record=record, model=model, version=str(version), run_id=mv.run_id)


def _receipt_tags(check: desk.ReceiptCheck) -> dict[str, str]:
    review = check.review
    reviewer = review["reviewer"]
    return {
        TAG_DECISION: review["decision"],
        TAG_ROOT: review["bundle"]["root_digest"],
        TAG_RECEIPT: _sha256(check.path),
        TAG_REVIEWER: f"{reviewer['name']} <{reviewer['email']}> {reviewer['fingerprint']}",
    }


def _verified_receipt(catalog: Catalog, receipt: str | Path) -> desk.ReceiptCheck:
    path = Path(receipt)
    if not path.is_file():
        raise MissingFile(receipt)
    check = desk.verify_receipt(catalog, path)
    if not check.trusted:
        raise VerificationError(
            f"{path.name} is signed by a reviewer you do not trust: only a decision from a "
            "trusted reviewer is pushed to the registry"
        )
    return check


@dataclass(frozen=True)
class Pushed:
    model: str
    version: str
    tags: dict[str, str]
    artifact: str | None
    alias: str | None


def push_decision(
    catalog: Catalog,
    receipt: str | Path,
    tracking_uri: str,
    model: str,
    version: str,
    *,
    alias: str | None = None,
) -> Pushed:
    """Attach a verified receipt to a registered version and tag the version with it."""
    check = _verified_receipt(catalog, receipt)
    tags = _receipt_tags(check)
    client = _client(tracking_uri)
    mv = _version(client, model, version)
    if alias and tags[TAG_DECISION] != "accept":
        raise UsageError(
            f"the receipt's decision is {tags[TAG_DECISION]!r}: an alias is set only on accept"
        )
    artifact = None
    try:
        if mv.run_id:
            client.log_artifact(mv.run_id, str(check.path), artifact_path=ARTIFACT_FOLDER)
            artifact = f"runs:/{mv.run_id}/{ARTIFACT_FOLDER}/{check.path.name}"
        for key, value in tags.items():
            client.set_model_version_tag(model, str(version), key, value)
        if alias:
            client.set_registered_model_alias(model, alias, str(version))
    except BatonError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise RegistryError(f"the registry refused the decision: {exc}") from None
    return Pushed(model=model, version=str(version), tags=tags, artifact=artifact, alias=alias)


@dataclass(frozen=True)
class Checked:
    model: str
    version: str
    decision: str
    mismatches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _attached_receipt(tracking_uri: str, mv, folder: Path) -> Path | None:
    """The receipt attached to the version's run whose SHA-256 the tags name, or None."""
    import mlflow.artifacts

    wanted = (mv.tags or {}).get(TAG_RECEIPT)
    if not mv.run_id or not wanted:
        return None
    try:
        local = mlflow.artifacts.download_artifacts(
            run_id=mv.run_id, artifact_path=ARTIFACT_FOLDER, dst_path=str(folder),
            tracking_uri=tracking_uri,
        )  # fmt: skip
    except Exception:  # noqa: BLE001 - nothing attached
        return None
    for path in sorted(Path(local).glob("*.review.baton")):
        if _sha256(path) == wanted:
            return path
    return None


def check(
    catalog: Catalog,
    tracking_uri: str,
    model: str,
    version: str,
    *,
    receipt: str | Path | None = None,
) -> Checked:
    """Compare a version's ``baton.*`` tags with the signed receipt they stand for: the
    ``receipt`` given, else the one attached to the version's run that the tags name."""
    if receipt is not None and not Path(receipt).is_file():  # before asking the server
        raise MissingFile(receipt)
    mv = _version(_client(tracking_uri), model, version)
    actual = dict(mv.tags or {})
    with tempfile.TemporaryDirectory(prefix="baton-registry-") as tmp:
        if receipt is None:
            found = _attached_receipt(tracking_uri, mv, Path(tmp))
            if found is None:
                return Checked(
                    model=model,
                    version=str(version),
                    decision=actual.get(TAG_DECISION, ""),
                    mismatches=[
                        f"no receipt attached to the run of {model} version {version} has the "
                        f"SHA-256 that {TAG_RECEIPT} names: push the decision again, or give "
                        "the receipt with --receipt"
                    ],
                )
            receipt = found
        expected = _receipt_tags(_verified_receipt(catalog, receipt))
    mismatches = []
    for key in TAGS:
        now = actual.get(key)
        if now != expected[key]:
            mismatches.append(
                f"{key} is {now!r} in the registry but {expected[key]!r} in the signed receipt"
                if now is not None
                else f"{key} is missing in the registry; the signed receipt says {expected[key]!r}"
            )
    return Checked(
        model=model, version=str(version), decision=expected[TAG_DECISION], mismatches=mismatches
    )
