"""The engineer's optimisation, proven: a received bundle's candidate converted to ONNX
(optionally quantised), checked against the original on the bundle's own test set, and
signed by the engineer as a new bundle that names its parent.

Both models run here, side by side, in child processes: the conversion (loading the
skops model is model code), the predictions and the profiles. The parent compares.

**Parity** holds when every check holds: labels agree on every row (a regressor's
values within :data:`VALUE_TOLERANCE` of the original's, relatively), the largest
difference between the two models' class probabilities is at most
:data:`MAX_PROBABILITY_DIFFERENCE`, and every metric recomputed from the optimised
model's predictions is within a tolerance of the original's: the tolerance of the
contract's target on that metric when it states one (above 0), else
:data:`METRIC_TOLERANCE`. A conversion that loses parity is reported with the failing
checks named, and no bundle is written: it is never signed as equivalent.

**Gain** is measured on this machine for both models with the same harness (latency per
batch size, memory, size on disk) and set against the agreed latency, throughput, memory
and model size targets.

The new bundle keeps the parent's name, test set (and the other data it carried),
intended use, limitations and targets; its model, predictions, metrics, profile and
environment are the optimised model's, measured here; its author is the engineer and its
contract's ``lineage`` names the parent by name, version and root digest, with what was
done, the parity and the gain. Its version is :func:`lineage_version`: the parent's,
with a fourth number, so it sorts after the parent and before any next version the
data scientist would give.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from baton.core.catalog.store import Catalog
from baton.core.contract import document as contracts
from baton.core.contract.candidates import choose, view
from baton.core.contract.compose import plain
from baton.core.contract.targets import (
    BATCHED_METRICS,
    Target,
    evaluate_target,
    measured_value,
)
from baton.core.data import declare
from baton.core.data.runner import Limits, run_task
from baton.core.errors import UsageError
from baton.core.fsutil import sha256_file
from baton.core.handover import bundle as bundles
from baton.core.handover import packing, trust
from baton.core.handover.bundle import SIG
from baton.core.handover.review import memory_here, model_info, require_trusted
from baton.core.measure import metrics
from baton.core.measure import runs as measure
from baton.core.measure.profiling import DEFAULT_BATCH_SIZES
from baton.core.present import lineage_line
from baton.core.progress import CancelToken, ProgressFn, no_progress
from baton.core.safetext import visible

FORMATS = ("onnx",)
QUANTIZE = ("dynamic",)
#: Labels must agree on this share of rows (all of them).
AGREEMENT = 1.0
#: The largest difference allowed between two models' probabilities for one class and row.
MAX_PROBABILITY_DIFFERENCE = 1e-4
#: A regressor's value agrees when within this share of the original's (at least of 1).
VALUE_TOLERANCE = 1e-4
#: A metric recomputed from the optimised predictions may move this much (absolute) when
#: the contract has no target with a tolerance on it.
METRIC_TOLERANCE = 1e-3
#: The targets an optimisation is for: speed, memory and size.
GAIN_METRICS = BATCHED_METRICS | {"memory_mb", "model_size_mb"}
STEPS = 7


@dataclass(frozen=True)
class Optimisation:
    """An optimisation tried: the parity and gain measured here, and the bundle signed when
    parity held (``path`` None when it did not: nothing was written)."""

    source: Path
    parent: dict[str, Any]  # name, version, root_digest
    candidate: str
    operation: dict[str, Any]
    parity: dict[str, Any]
    gain: dict[str, Any]
    path: Path | None
    name: str
    version: str
    root_digest: str | None
    signer_fingerprint: str
    contract: dict[str, Any] | None

    @property
    def passed(self) -> bool:
        return bool(self.parity["passed"])

    @property
    def line(self) -> str:
        """The lineage in words (see :func:`lineage_words`)."""
        return describe(self.parent, self.parity, self.gain, by=self.operation["by"])

    def as_dict(self) -> dict[str, Any]:
        """What ``baton optimize --json`` prints."""
        return {
            "source": str(self.source),
            "file": str(self.path) if self.path else None,
            "written": self.path is not None,
            "name": self.name,
            "version": self.version,
            "root_digest": self.root_digest,
            "signer_fingerprint": self.signer_fingerprint,
            "parent": self.parent,
            "candidate": self.candidate,
            "operation": self.operation,
            "parity": self.parity,
            "gain": self.gain,
            "line": self.line,
            "targets": (self.contract or {}).get("targets", []),
        }


# --- versions ---------------------------------------------------------------------------------


def lineage_version(catalog: Catalog, name: str, parent_version: str) -> str:
    """The optimised bundle's version: the parent's padded to three numbers with a fourth
    counting the optimisations signed here (``1`` -> ``1.0.0.1``, ``1.2`` -> ``1.2.0.1``;
    a parent of four numbers counts on from its last). It sorts after the parent and
    before any version the data scientist would give next (``1.0.1``, ``1.1``, ``2``)."""
    numbers = list(contracts.version_key(parent_version))
    if len(numbers) == 4:
        base, start = numbers[:3], numbers[3] + 1
    else:
        base, start = (numbers + [0, 0, 0])[:3], 1
    used = [
        contracts.version_key(row["version"])
        for row in catalog.handover_history()
        if row["direction"] == "sent" and contracts.same_name(row["name"], name)
    ]
    fourth = max([start - 1, *(v[3] for v in used if len(v) == 4 and list(v[:3]) == base)]) + 1
    return ".".join(map(str, [*base, fourth]))


# --- the use case -----------------------------------------------------------------------------


def optimize(
    catalog: Catalog,
    path: str | Path,
    *,
    out: str | Path,
    passphrase: str,
    candidate: str | None = None,
    to: str = "onnx",
    quantize: str | None = None,
    opset: int | None = None,
    budget_s: float = 1.0,
    bootstrap: int = 1000,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Optimisation:
    """Optimise a trusted bundle's candidate, prove parity, and sign the result as a new
    bundle when parity holds (see the module docstring)."""
    report = progress or no_progress
    out = Path(out)
    if to not in FORMATS:
        raise UsageError(f"--to must be one of {', '.join(FORMATS)}, not {to!r}")
    if quantize is not None and quantize not in QUANTIZE:
        raise UsageError(f"--quantize must be one of {', '.join(QUANTIZE)}, not {quantize!r}")
    if opset is not None and not 7 <= opset <= 30:
        raise UsageError(f"--opset must be an ONNX opset between 7 and 30, not {opset}")
    if out.suffix != ".baton" or out.name.endswith(".review.baton"):
        raise UsageError("--out must end in .baton (and not .review.baton)")
    packing.check_free(out)
    signing_key = trust.load_signing_key(catalog.home, passphrase)
    me = trust.require_identity(catalog.home)
    label = Path(path).name
    report(0, STEPS, f"Verifying {label}")
    with bundles.open_bundle(catalog, path, cancel=cancel) as opened:
        require_trusted(opened.opened, label)
        chosen = choose(opened.contract, candidate)
        # The chosen candidate read as a one-model contract: its model, results and targets.
        c = view(opened.contract, chosen)
        if chosen.model["format"] == to and quantize is None:
            raise UsageError(
                f"{chosen.name} is already {to.upper()}; nothing to convert "
                "(pass --quantize dynamic to quantise it)"
            )
        parent = {
            "name": opened.name,
            "version": opened.version,
            "root_digest": opened.opened.root_digest,
        }
        version = lineage_version(catalog, opened.name, opened.version)
        packing.check_new_version(catalog, opened.name, version)
        folder = opened.folder
        work = Path(tempfile.mkdtemp(prefix="baton-optimize-"))
        try:
            info = model_info(c)
            params = {
                "info": info,
                "data": str(folder / c["labels"]["file"]),
                "target": c["labels"]["target"],
                "id_column": c["labels"].get("id_column"),
            }
            original = {
                **params,
                "path": str(folder / chosen.model["file"]),
                "format": chosen.model["format"],
            }
            optimised_file = work / "model.onnx"
            report(1, STEPS, "Converting to ONNX" + (" and quantising" if quantize else ""))
            converted = run_task(
                "optimize_onnx",
                {**original, "out": str(optimised_file), "opset": opset, "quantize": quantize},
                limits=limits,
                progress=_sub(report, 1),
                cancel=cancel,
                what=chosen.model["file"],
            )
            optimised = {**params, "path": str(optimised_file), "format": "onnx"}
            report(2, STEPS, "Predicting the test set with both models")
            outputs = {}
            for key, model in (("original", original), ("optimised", optimised)):
                target = work / f"{key}.parquet"
                run_task("predict", {**model, "out": str(target)}, limits=limits, cancel=cancel,
                         what=chosen.model["file"] if key == "original" else "the optimised model")  # fmt: skip
                outputs[key] = target
            classes = declare.metric_classes(
                c["model"].get("classes"), c["results"].get("positive_class")
            )
            problem = c["identity"]["problem_type"]
            y_true = measure.labels_of(folder / c["labels"]["file"], c["labels"]["target"])
            orig_pred, orig_proba, _ = measure.predictions_frame_to_arrays(
                outputs["original"], classes
            )
            opt_pred, opt_proba, _ = measure.predictions_frame_to_arrays(
                outputs["optimised"], classes
            )
            report(3, STEPS, "Recomputing every metric")
            orig_eval = metrics.evaluate_predictions(
                problem, y_true, orig_pred, orig_proba, classes, bootstrap=0, cancel=cancel
            )
            opt_eval = metrics.evaluate_predictions(
                problem, y_true, opt_pred, opt_proba, classes, bootstrap=bootstrap, cancel=cancel
            )
            parity = judge_parity(
                problem, c.get("targets") or [], orig_pred, opt_pred, orig_proba, opt_proba,
                orig_eval["metrics"], opt_eval["metrics"],
            )  # fmt: skip
            operation = {
                "to": to,
                "quantize": quantize,
                "opset": converted["info"].get("opset"),
                "tools": converted["tools"],
                "by": me["name"],
            }
            if not parity["passed"]:
                report(STEPS, STEPS, "Parity lost: nothing was signed")
                return Optimisation(
                    Path(path), parent, chosen.name, operation, parity, {}, None,
                    opened.name, version, None, me["fingerprint"], None,
                )  # fmt: skip
            report(4, STEPS, "Measuring latency and memory of both models")
            claimed = [row["batch_size"] for row in chosen.results.get("latency") or []]
            batches = list(
                measure.batch_sizes_for(chosen.targets, base=claimed or DEFAULT_BATCH_SIZES)
            )
            profiles = {
                key: run_task(
                    "profile",
                    {**model, "batch_sizes": batches, "budget_s": budget_s},
                    limits=limits,
                    cancel=cancel,
                    what=chosen.model["file"] if key == "original" else "the optimised model",
                )
                for key, model in (("original", original), ("optimised", optimised))
            }
            report(5, STEPS, "Writing the optimised bundle")
            model_entry = _model_entry(chosen.model, converted, optimised_file, operation)
            gain = judge_gain(
                chosen.targets, chosen.model, model_entry, orig_eval, opt_eval, profiles
            )
            stage = work / "bundle"
            contract = _write_files(
                c, stage, folder, me, catalog, model_entry, optimised_file, outputs["optimised"],
                opt_eval, profiles["optimised"], version,
                lineage={"parent": parent, "candidate": chosen.name, "operation": operation,
                         "parity": parity, "gain": gain},
            )  # fmt: skip
            with catalog.all_or_nothing():
                root = packing.seal(
                    stage, contract, signing_key, f"{opened.name}-{version}",
                    lambda *_: report(6, STEPS, "Signing"), cancel,
                )  # fmt: skip
                handover = {
                    "name": opened.name,
                    "version": version,
                    "root": root,
                    "sig_sha": sha256_file(stage / SIG),
                    "signer": me["fingerprint"],
                    "contract": contract,
                }
                packing.write_recorded(catalog, stage, out, handover, cancel)
            report(STEPS, STEPS, f"Wrote {out.name}")
            return Optimisation(
                Path(path), parent, chosen.name, operation, parity, gain, out,
                opened.name, version, root, me["fingerprint"], contract,
            )  # fmt: skip
        finally:
            shutil.rmtree(work, ignore_errors=True)


def _sub(report: ProgressFn, step: int) -> ProgressFn:
    """The child's own progress shown as the words of one step."""
    return lambda _done, _total, message: report(step, STEPS, visible(str(message))[:200])


# --- parity -----------------------------------------------------------------------------------


def metric_tolerances(targets: list[Mapping[str, Any]]) -> dict[str, float]:
    """The tolerance each quality metric is held to: its target's, where one is stated."""
    out: dict[str, float] = {}
    for entry in targets:
        t = Target.from_dict(entry)
        if t.metric not in GAIN_METRICS and t.tolerance > 0:
            out[t.metric] = max(out.get(t.metric, 0.0), t.tolerance)
    return out


def judge_parity(
    problem: str,
    targets: list[Mapping[str, Any]],
    orig_pred: Any,
    opt_pred: Any,
    orig_proba: Any,
    opt_proba: Any,
    orig_metrics: Mapping[str, Any],
    opt_metrics: Mapping[str, Any],
) -> dict[str, Any]:
    """Every parity check with its tolerance, and the names of those that failed."""
    rows = len(orig_pred)
    failed: list[str] = []
    out: dict[str, Any] = {"rows": rows}
    if problem == "regression":
        a, b = np.asarray(orig_pred, float), np.asarray(opt_pred, float)
        diff = np.abs(a - b)
        same = diff <= VALUE_TOLERANCE * np.maximum(1.0, np.abs(a))
        out["max_abs_difference"] = float(diff.max(initial=0.0))
        out["value_tolerance"] = VALUE_TOLERANCE
    else:
        same = np.asarray(orig_pred).astype(str) == np.asarray(opt_pred).astype(str)
        if orig_proba is not None and opt_proba is not None:
            biggest = float(np.max(np.abs(orig_proba - opt_proba), initial=0.0))
            out["max_probability_difference"] = biggest
            out["max_probability_difference_allowed"] = MAX_PROBABILITY_DIFFERENCE
            if not biggest <= MAX_PROBABILITY_DIFFERENCE:
                failed.append("max_probability_difference")
    agreeing = int(same.sum())
    out.update(agreeing=agreeing, agreement=agreeing / rows if rows else 1.0)
    out["agreement_required"] = AGREEMENT
    if out["agreement"] < AGREEMENT:
        failed.insert(0, "agreement")
    given = metric_tolerances(list(targets))
    metric_rows = []
    for name, entry in orig_metrics.items():
        before = entry.get("value")
        after = (opt_metrics.get(name) or {}).get("value")
        tolerance = given.get(name, METRIC_TOLERANCE)
        if before is None and after is None:
            continue
        difference = None if before is None or after is None else after - before
        within = difference is not None and abs(difference) <= tolerance
        metric_rows.append(
            {
                "metric": name,
                "original": before,
                "optimised": after,
                "difference": difference,
                "tolerance": tolerance,
                "tolerance_from": "target" if name in given else "default",
                "within": within,
            }
        )
        if not within:
            failed.append(name)
    out["metrics"] = metric_rows
    out["failed"] = failed
    out["passed"] = not failed
    return out


# --- gain -------------------------------------------------------------------------------------


def _latency_rows(original: list[dict], optimised: list[dict]) -> list[dict[str, Any]]:
    after = {r["batch_size"]: r for r in optimised}
    rows = []
    for r in sorted(original, key=lambda r: r["batch_size"]):
        o = after.get(r["batch_size"])
        if o is None:
            continue
        before_ms, after_ms = r.get("p50_ms"), o.get("p50_ms")
        rows.append(
            {
                "batch_size": r["batch_size"],
                "original_p50_ms": before_ms,
                "optimised_p50_ms": after_ms,
                "original_p95_ms": r.get("p95_ms"),
                "optimised_p95_ms": o.get("p95_ms"),
                "speedup": before_ms / after_ms if before_ms and after_ms else None,
                "machine_busy": bool(r.get("machine_busy") or o.get("machine_busy")),
            }
        )
    return rows


def judge_gain(
    targets: Any,
    original_model: Mapping[str, Any],
    optimised_model: Mapping[str, Any],
    orig_eval: Mapping[str, Any],
    opt_eval: Mapping[str, Any],
    profiles: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """Latency, memory and size of both models measured here, and each speed, memory or
    size target judged for both."""
    memory = {k: memory_here(p["memory"]) for k, p in profiles.items()}
    target_rows = []
    for entry in targets:
        t = Target.from_dict(entry)
        if t.metric not in GAIN_METRICS:
            continue
        figures = {}
        for key, model, evaluation in (
            ("original", original_model, orig_eval),
            ("optimised", optimised_model, opt_eval),
        ):
            profile = {"latency": profiles[key]["latency"], "memory": memory[key]}
            figures[key] = measured_value(t, evaluation, profile, model)
        target_rows.append(
            {
                "target": t.key,
                "expr": t.expr(),
                "metric": t.metric,
                "original": figures["original"],
                "optimised": figures["optimised"],
                "verdict_original": evaluate_target(t, figures["original"]),
                "verdict": evaluate_target(t, figures["optimised"]),
            }
        )
    return {
        "latency": _latency_rows(profiles["original"]["latency"], profiles["optimised"]["latency"]),
        "memory": memory,
        "size_bytes": {
            "original": original_model.get("size_bytes"),
            "optimised": optimised_model.get("size_bytes"),
        },
        "targets": target_rows,
    }


def headline_speed(gain: Mapping[str, Any]) -> tuple[float | None, int | None]:
    """The speed-up to quote and its batch size: at batch 1 if measured, else the smallest."""
    rows = gain.get("latency") or []
    if not rows:
        return None, None
    row = next((r for r in rows if r["batch_size"] == 1), rows[0])
    return row.get("speedup"), row["batch_size"]


def describe(
    parent: Mapping[str, Any], parity: Mapping[str, Any], gain: Mapping[str, Any], *, by: str
) -> str:
    speedup, batch = headline_speed(gain)
    return lineage_line(
        visible(by),
        visible(parent["name"]),
        visible(parent["version"]),
        parent["root_digest"],
        speedup=speedup,
        batch=batch,
        agreement=parity.get("agreement"),
    )


def lineage_words(contract: Mapping[str, Any]) -> str | None:
    """The line ``verify``, ``inspect`` and the bundle page show for an optimised bundle
    (None for any other): who optimised what, how much faster, how well it agrees."""
    lineage = contract.get("lineage")
    if not lineage:
        return None
    authors = contract["identity"].get("authors") or [{}]
    by = lineage["operation"].get("by") or authors[0].get("name") or "an unnamed engineer"
    return describe(lineage["parent"], lineage["parity"], lineage["gain"], by=by)


# --- the bundle -------------------------------------------------------------------------------


def _model_entry(
    parent_model: Mapping[str, Any],
    converted: Mapping[str, Any],
    file: Path,
    operation: Mapping[str, Any],
) -> dict[str, Any]:
    """The optimised model as the contract describes it: its own file, format, size and
    parameters, the parent's features, classes and way of reading its output."""
    info = converted["info"]
    how = ", ".join(f"{k} {v}" for k, v in sorted(operation["tools"].items()))
    estimator = parent_model.get("estimator") or "model"
    quantised = ", dynamic quantisation" if operation.get("quantize") else ""
    entry: dict[str, Any] = {
        "format": "onnx",
        "task": None,
        "framework": "onnx",
        "framework_version": info.get("framework_version") or "",
        "estimator": f"{estimator} as ONNX ({how or 'copied'}{quantised})"[:2000],
        "producer": (info.get("producer") or None) and str(info["producer"])[:200],
        "opset": info.get("opset"),
        "sha256": sha256_file(file),
        "size_bytes": file.stat().st_size,
        "params": info.get("params"),
        "features": [dict(f) for f in parent_model["features"]],
        "classes": parent_model.get("classes"),
    }
    if parent_model.get("output"):
        entry["output"] = dict(parent_model["output"])
    return entry


def _write_files(
    parent: dict[str, Any],
    stage: Path,
    parent_folder: Path,
    me: dict[str, Any],
    catalog: Catalog,
    model_entry: dict[str, Any],
    model_file: Path,
    predictions: Path,
    evaluation: dict[str, Any],
    profile: dict[str, Any],
    version: str,
    *,
    lineage: dict[str, Any],
) -> dict[str, Any]:
    """The optimised model, the parent's data and the new predictions in ``stage``; returns
    the contract to sign."""
    (stage / "model").mkdir(parents=True)
    shutil.copyfile(model_file, stage / "model" / "model.onnx")
    for entry in parent["datasets"]:
        if entry.get("file"):
            (stage / entry["file"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(parent_folder / entry["file"], stage / entry["file"])
    (stage / "predictions").mkdir()
    shutil.copyfile(predictions, stage / "predictions" / "test.parquet")
    author = {
        **{k: me[k] for k in ("name", "email", "fingerprint")},
        "public_key": trust.my_public_pem(catalog.home).decode(),
    }
    identity = parent["identity"]
    contract = contracts.draft_contract(
        identity["name"],
        version,
        model_entry,
        parent["datasets"],
        evaluation,
        profile,
        authors=[author],
        intended_use=identity["intended_use"],
        limitations=identity["limitations"],
        targets=[Target.from_dict(t) for t in parent.get("targets") or []],
        predictions=measure.predictions_entry(stage / "predictions" / "test.parquet"),
    )
    contract["lineage"] = plain(lineage)
    contracts.check_contract(contract, complete=True)
    return contract
