"""The long work the desktop starts, as jobs for :class:`baton.gui.common.workers.TaskRunner`.

Each factory returns ``job(catalog, progress, cancel)``: a thin call into core, run on a
worker thread with that thread's own catalog. Core modules are imported inside the job,
so the window starts without them.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any


def import_dataset_job(
    path: str | Path,
    *,
    name: str,
    role: str | None,
    target: str | None,
    id_column: str | None,
):
    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.data import importer

        progress(None, None, f"Reading and checking {Path(path).name}")
        cancel.check()
        return importer.import_dataset(
            catalog, path, name=name, role=role, target=target, id_column=id_column
        )

    return job


def import_model_job(
    path: str | Path,
    *,
    name: str,
    trust_pickle: bool = False,
    check_on: str | None = None,
    declared=None,
):
    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.data import importer
        from baton.core.errors import AlreadyInCatalog, UsageError

        progress(None, None, f"Checking {Path(path).name}")
        try:
            return importer.import_model(
                catalog,
                path,
                name=name,
                trust_pickle=trust_pickle,
                check_on=check_on,
                declared=declared,
                progress=progress,
                cancel=cancel,
            )
        except AlreadyInCatalog as exc:  # not a failure: the window shows the model it is
            return {"name": exc.names[0], "already_in_catalog": exc.names}
        except UsageError as exc:  # a declaration the model contradicts: the dialog's words
            from baton.gui.common.words import in_dialog_words

            raise UsageError(in_dialog_words(str(exc)), path=exc.path) from None

    return job


def name_features_job(model: str, dataset: str):
    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.data import importer

        return importer.name_features_after(catalog, model, dataset)

    return job


def evaluate_job(model: str, dataset: str, *, bootstrap: int = 1000, seed: int = 0):
    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.measure import runs as measure

        return measure.evaluate(
            catalog,
            model,
            dataset,
            bootstrap=bootstrap,
            seed=seed,
            progress=progress,
            cancel=cancel,
        )

    return job


def profile_job(
    model: str,
    dataset: str,
    *,
    budget_s: float = 2.0,
    batch_sizes: tuple[int, ...] | None = None,
):
    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.measure import runs as measure

        kwargs: dict[str, Any] = {"budget_s": budget_s}
        if batch_sizes:
            kwargs["batch_sizes"] = tuple(batch_sizes)
        return measure.profile(catalog, model, dataset, progress=progress, cancel=cancel, **kwargs)

    return job


def verify_object_job(home: str | Path, digest: str, what: str):
    """Hash a stored file against its digest (the file a dataset view is about to read)."""

    def job(_catalog, progress, cancel) -> Path:
        from baton.core.catalog.objects import ObjectStore

        progress(None, None, f"Verifying the stored copy of {what}")
        cancel.check()
        return ObjectStore(Path(home) / "objects").open_verified(digest)

    return job


def new_draft_job(
    model: str,
    *,
    name: str,
    version: str,
    test: str,
    train: str | None = None,
    validation: str | None = None,
    intended_use: str = "",
    budget_s: float = 1.0,
):
    """Draft a contract from the model's latest measurements on ``test`` (measuring what is missing)."""

    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.contract import drafts

        progress(None, None, f"Drafting {name} {version} from the latest measurements")
        return drafts.new_draft(
            catalog,
            model,
            test=test,
            name=name,
            version=version,
            train=train,
            validation=validation,
            intended_use=intended_use,
            budget_s=budget_s,
            progress=progress,
            cancel=cancel,
        )

    return job


def measure_targets_job(contract: dict[str, Any], model: str, *, budget_s: float = 1.0):
    """Profile again at the batch sizes the draft's targets name (``drafts.measure_targets``)."""

    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.contract import drafts

        return drafts.measure_targets(
            catalog, contract, model, budget_s=budget_s, progress=progress, cancel=cancel
        )

    return job


def save_draft_job(contract: dict[str, Any], model: str):
    """Store a draft (insert or replace it under its name and version)."""

    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.contract import drafts

        return drafts.save(catalog, contract, catalog.get_model(model))

    return job


def export_job(
    contract: dict[str, Any],
    model: str,
    *,
    passphrase: str,
    out: str | Path,
    include: tuple[str, ...],
    budget_s: float,
    confirm=None,
):
    """Store the draft as it is on screen, then sign it as a bundle (``packing.pack_contract``).

    The passphrase is tried first, so a wrong one writes nothing, not even the draft.
    ``confirm(changes, cancel)`` decides whether figures that differ from the draft's are
    signed. The result carries the signed ``contract`` too, for the editor.
    """

    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.contract import drafts
        from baton.core.handover import drafting, packing, trust

        progress(None, None, "Unlocking the signing key")
        signing_key = trust.load_signing_key(catalog.home, passphrase)
        cancel.check()
        # What the screen showed when the export began: the editor keeps its own copy.
        shown = copy.deepcopy(contract)
        record = catalog.get_model(model)
        drafts.save(catalog, shown, record)
        result = packing.pack_contract(
            catalog,
            drafting.draft_from_contract(catalog, shown, record),
            signing_key=signing_key,
            out=out,
            include=include,
            budget_s=budget_s,
            confirm=None if confirm is None else (lambda changes: confirm(changes, cancel)),
            progress=progress,
            cancel=cancel,
        )
        return {**result.as_dict(), "contract": result.contract}

    return job


def create_key_job(name: str, email: str, passphrase: str):
    """Make my signing key (``trust.create_identity``)."""

    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.handover import trust

        progress(None, None, "Creating the signing key")
        return trust.create_identity(catalog, name, email, passphrase)

    return job
