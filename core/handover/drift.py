"""Drift: a batch of production data compared with what a bundle was measured on.

:func:`check_drift` verifies the bundle (its signer must be trusted, as for reproduce),
reads its monitoring baseline (:mod:`baton.core.measure.baseline`) and compares the batch
with it, feature by feature: the population stability index over the baseline's buckets
and the two-sample Kolmogorov-Smirnov test against the bundled test set's own column. The
model then predicts the batch in the child process, as reproduce runs it, and its
predictions are compared the same way with the bundled predictions.

Columns are matched by name, as evaluation matches them. A feature the batch lacks is a
usage error (exit code 2: the batch cannot be checked); columns the baseline does not
know are named and left out. A bundle packed before baselines existed is compared with a
reference built here from its test set and predictions, and the result says so.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from baton.core.catalog.store import Catalog
from baton.core.data.datasets import read_table
from baton.core.data.runner import Limits, run_task
from baton.core.errors import BatonError, Cancelled, DatasetError, UsageError
from baton.core.handover import bundle as bundles
from baton.core.handover.review import model_info, require_trusted
from baton.core.measure import baseline
from baton.core.progress import CancelToken, ProgressFn, no_progress

THRESHOLDS = {
    "psi_watch": baseline.PSI_WATCH,
    "psi_drift": baseline.PSI_DRIFT,
    "ks_p_drift": baseline.KS_P,
}
THRESHOLDS_TEXT = (
    f"PSI ≥ {baseline.PSI_WATCH} watch, ≥ {baseline.PSI_DRIFT} drift; KS p < {baseline.KS_P} drift"
)
# Below this many rows the PSI of an unchanged population often reads above 0.1.
SMALL_BATCH = 500


@dataclass(frozen=True)
class DriftCheck:
    """What :func:`check_drift` found; ``result`` is what ``baton drift --json`` prints."""

    result: dict[str, Any]

    @property
    def drifted(self) -> bool:
        return self.result["verdict"] == "drift"

    @property
    def features(self) -> list[dict[str, Any]]:
        return self.result["features"]


def _listed(names: list[str], limit: int = 8) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def check_drift(
    catalog: Catalog,
    path: str | Path,
    batch: str | Path,
    *,
    predict: bool = True,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> DriftCheck:
    """Compare a batch (CSV or Parquet) with a verified, trusted bundle's baseline; with
    ``predict``, run the bundled model on it and compare its predictions too."""
    report = progress or no_progress
    label, batch = Path(path).name, Path(batch)
    report(0, 4, f"Verifying {label}")
    with bundles.open_bundle(catalog, path, cancel=cancel) as opened:
        require_trusted(opened.opened, label)
        c, folder = opened.contract, opened.folder
        notes: list[str] = []
        reference = baseline_of(opened, notes)
        report(1, 4, f"Reading {batch.name}")
        try:
            table = read_table(batch).table
        except DatasetError as exc:  # exit code 1 means drift: an unusable batch is usage
            raise UsageError(str(exc), path=str(batch)) from None
        test = pq.read_table(folder / c["labels"]["file"])
        profiles = reference["sets"]["test"]["columns"]
        names = [p["name"] for p in profiles]
        missing = [n for n in names if n not in table.column_names]
        if missing:
            raise UsageError(
                f"{batch.name} lacks the feature column{'s' if len(missing) > 1 else ''} "
                f"{_listed(missing)}; columns are matched by name, and {label} was measured on "
                f"{len(names)}: {_listed(names, 12)}"
            )
        extra = [n for n in table.column_names if n not in set(names)]
        report(2, 4, "Comparing the features")
        features = [
            baseline.compare_column(
                p,
                table.column(p["name"]),
                test.column(p["name"]) if p["name"] in test.column_names else None,
            )
            for p in profiles
        ]
        predictions: list[dict[str, Any]] = []
        predictions_note = None
        if predict:
            report(3, 4, "Predicting the batch")
            try:
                predictions = _prediction_drift(c, folder, table, names, reference, limits, cancel)
            except Cancelled:
                raise
            except BatonError as exc:
                predictions_note = f"the predictions were not compared: {exc}"
        else:
            predictions_note = "the predictions were not compared (the model was not run)"
        if table.num_rows < SMALL_BATCH:
            notes.append(
                f"the batch has {table.num_rows:,} rows: below {SMALL_BATCH} the PSI of an "
                "unchanged population often reads above 0.1"
            )
        result = {
            "bundle": {
                "name": opened.name,
                "version": opened.version,
                "root_digest": opened.opened.root_digest,
            },
            "batch": {"file": str(batch), "rows": table.num_rows},
            "reference": {
                "source": "baseline" if c.get("monitoring") else "test set",
                "rows": reference["sets"]["test"]["rows"],
            },
            "thresholds": THRESHOLDS,
            "thresholds_text": THRESHOLDS_TEXT,
            "features": features,
            "predictions": predictions,
            "predictions_note": predictions_note,
            "missing": missing,
            "extra": extra,
            "notes": notes,
        }
        result.update(_judge(features, predictions))
        report(4, 4, "Compared")
        return DriftCheck(result)


def baseline_of(opened: bundles.OpenedBundle, notes: list[str]) -> dict[str, Any]:
    """The bundle's signed baseline, or one built here from its test set and predictions
    for a bundle packed without one (and a note saying so)."""
    c = opened.contract
    found = bundles.read_baseline(opened.opened, c, opened.opened.path.name)
    if found is not None:
        return found
    notes.append(
        "this bundle was packed without a monitoring baseline: the reference was built "
        "here from its test set and predictions"
    )
    labels = c["labels"]
    return baseline.build_baseline(
        pq.read_table(opened.folder / labels["file"]),
        pq.read_table(opened.folder / c["predictions"]["file"]),
        exclude=[n for n in (labels.get("target"), labels.get("id_column")) if n],
    )


def _prediction_drift(
    contract: dict[str, Any],
    folder: Path,
    table: pa.Table,
    names: list[str],
    reference: dict[str, Any],
    limits: Limits | None,
    cancel: CancelToken | None,
) -> list[dict[str, Any]]:
    """The model's predictions on the batch (in the child), compared with the bundled
    predictions' profile and values."""
    model = contract["model"]
    read = [f["name"] for f in model.get("features") or [] if f.get("name")] or names
    work = Path(tempfile.mkdtemp(prefix="baton-drift-"))
    try:
        data = work / "batch.parquet"
        pq.write_table(table.select(read), data)
        out = work / "predictions.parquet"
        run_task(
            "predict",
            {
                "path": str(folder / model["file"]),
                "format": model["format"],
                "info": {**model_info(contract), "data_label": "the batch"},
                "data": str(data),
                "target": None,
                "id_column": None,
                "out": str(out),
            },
            limits=limits,
            cancel=cancel,
            what=model["file"],
        )
        here = pq.read_table(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    bundled = pq.read_table(folder / contract["predictions"]["file"])
    return [
        baseline.compare_column(
            p,
            here.column(p["name"]),
            bundled.column(p["name"]) if p["name"] in bundled.column_names else None,
        )
        for p in reference["sets"]["predictions"]["columns"]
        if p["name"] in here.column_names
    ]


def _judge(features: list[dict], predictions: list[dict]) -> dict[str, Any]:
    """The verdict (``drift``, ``watch`` or ``stable``) and the headline that words it."""
    rows = features + predictions
    drifted = [r["column"] for r in features if r["flag"] == "drift"]
    watch = [r["column"] for r in features if r["flag"] == "watch"]
    pred_flags = {r["flag"] for r in predictions}
    verdict = (
        "drift"
        if any(r["flag"] == "drift" for r in rows)
        else "watch"
        if any(r["flag"] == "watch" for r in rows)
        else "stable"
    )
    parts = []
    if drifted:
        parts.append(f"{len(drifted)} of {len(features)} features drifted ({_listed(drifted)})")
    if watch:
        parts.append(f"{len(watch)} to watch ({_listed(watch)})")
    if "drift" in pred_flags:
        parts.append("the predictions drifted")
    elif "watch" in pred_flags:
        parts.append("the predictions are to watch")
    if verdict == "stable":
        what = f"{len(features)} features" + (" and the predictions" if predictions else "")
        headline = f"No drift: {what} stable against the reference."
    else:
        headline = ("Drift: " if verdict == "drift" else "Watch: ") + "; ".join(parts) + "."
    return {
        "verdict": verdict,
        "drifted": drifted,
        "watch": watch,
        "predictions_drifted": "drift" in pred_flags,
        "headline": headline,
    }
