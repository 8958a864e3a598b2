"""The engineer's side: reproduce a bundle's claims here, and countersign a decision.

Reproduce runs the bundled model on the bundled test set in a fresh child process,
compares its predictions with the data scientist's, recomputes every metric, re-measures
latency and memory on this machine, and gives each contract target a verdict showing the
claimed value, the value measured here and the threshold.

A review receipt (``NAME-VERSION.review.baton``) is a ZIP of ``review.json`` and
``review.sig``: the decision (accept / changes / reject), comments, the reviewer, the
time and what was reproduced on which hardware, bound to exactly one bundle by its name,
version, manifest root digest and the SHA-256 of its ``model.sig``, and signed (OMS v1.0)
with the engineer's key.

Nobody approves their own handover: a receipt signed by one of the bundle's authors is
refused, whether its author tries to write it (:func:`decide`) or it arrives
(:func:`verify_receipt`). A receipt is recorded against a bundle packed here only when its
reviewer's key is trusted; otherwise the summary says it was not recorded.

:func:`verify` takes either kind of ``.baton`` file, a bundle or a receipt; it lives here,
above :mod:`baton.core.handover.bundle`, which knows nothing of receipts.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from baton.core import jsonsafe
from baton.core.catalog.rows import timestamp
from baton.core.catalog.store import Catalog
from baton.core.contract import candidates as cands
from baton.core.contract.targets import (
    BATCHED_METRICS,
    Target,
    evaluate_target,
    measured_value,
    metric_direction,
)
from baton.core.data.runner import Limits, run_task
from baton.core.errors import (
    BatonError,
    DatasetError,
    UntrustedSigner,
    UsageError,
    VerificationError,
)
from baton.core.handover import bundle as bundles
from baton.core.handover import oms, safezip, trust
from baton.core.handover.signed_zip import describe_opened, open_signed_zip
from baton.core.present import fmt_target_value
from baton.core.progress import CancelToken, ProgressFn, no_progress

if TYPE_CHECKING:
    from baton.core.lean_jsonschema import jsonschema

REVIEW = "review.json"
REVIEW_SIG = "review.sig"
DECISIONS = ("accept", "changes", "reject")


def require_trusted(opened, label: str) -> None:
    if not opened.trusted:
        raise UntrustedSigner(
            f"{label} is intact but {opened.trust_problem or 'its signer is not trusted'}. Compare the "
            f"fingerprint {opened.signer} with the signer (by phone or on paper) and trust their key "
            "with `baton keys trust FILE.pub --name NAME` before reproducing or reviewing it"
        )


# A decision signed with one of the bundle's author keys is no review, whatever it says.
SELF_REVIEW = "a handover cannot be approved by its author"


def model_info(contract: dict) -> dict[str, Any]:
    model = contract["model"]
    return {
        "features": model.get("features"),
        "data_label": "the bundle's test set",
        "classes": model.get("classes"),
        "task": contract["identity"]["problem_type"],
        # Class ids, logit or probability, threshold: read as at packing (absent: detected).
        "output": model.get("output"),
    }


def reproduce(
    catalog: Catalog,
    path: str | Path,
    *,
    budget_s: float = 1.0,
    bootstrap: int = 1000,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Re-run a verified, trusted bundle here and check every claim of its contract.

    A bundle of several candidates has each reproduced as a one-model bundle would be:
    the result is the primary candidate's, with ``candidates`` holding every candidate's
    judgement; the claims reproduce only when every candidate's do.
    """

    report = progress or no_progress
    label = Path(path).name
    report(0, 5, f"Verifying {label}")
    with bundles.open_bundle(catalog, path, cancel=cancel) as opened:
        require_trusted(opened.opened, label)
        c = opened.contract
        run = functools.partial(
            _reproduce_model,
            folder=opened.folder,
            label=label,
            budget_s=budget_s,
            bootstrap=bootstrap,
            limits=limits,
            report=report,
            cancel=cancel,
        )
        result = {
            "bundle": {
                "name": opened.name,
                "version": opened.version,
                "root_digest": opened.opened.root_digest,
            },
            **run(c),
        }
        if cands.is_multi(c):
            result.update(_each_candidate(c, result, run))
        catalog.handovers.add_reproduction(
            opened.opened.root_digest, opened.name, opened.version, result
        )
        report(5, 5, "Reproduced")
        return result


CANDIDATE_FIELDS = (
    "verdict",
    "claims_reproduced",
    "targets_met_on_this_machine",
    "headline",
    "agreement",
    "metrics",
    "latency",
    "memory",
    "targets",
)


def _each_candidate(c: dict, primary: dict[str, Any], run) -> dict[str, Any]:
    """Every candidate reproduced (the primary one already was, as ``primary``), and the
    claims' verdict over all of them."""
    rows, failed = [], []
    for cand in cands.candidates(c):
        one = primary if cand.primary else run(cands.view(c, cand), who=f"candidate {cand.name}: ")
        rows.append(
            {
                "name": cand.name,
                "recommended": cand.recommended,
                "primary": cand.primary,
                **{k: one[k] for k in CANDIDATE_FIELDS},
            }
        )
        if not one["claims_reproduced"]:
            failed.append(cand.name)
    if not failed:
        return {"candidates": rows}
    line = "Candidates whose claims did not reproduce: " + ", ".join(failed) + "."
    # The primary model's own lines say whose claims they are, so "Claims reproduced:
    # yes" never stands under a verdict that says they were not.
    name = next(r["name"] for r in rows if r["primary"])
    own = [
        text.replace("Claims reproduced: ", f"Claims of the primary model {name} reproduced: ", 1)
        for text in primary["headline"]
    ]
    return {
        "candidates": rows,
        "claims_reproduced": False,
        "claims_failed_for": failed,
        "verdict": "fail",
        "headline": [line, *own],
    }


def _reproduce_model(
    c: dict,
    *,
    folder: Path,
    label: str,
    budget_s: float,
    bootstrap: int,
    limits: Limits | None,
    report: ProgressFn,
    cancel: CancelToken | None,
    who: str = "",
) -> dict[str, Any]:
    """Reproduce the one model of ``c`` (a contract, or one candidate's view of it)."""

    from baton.core.data import declare
    from baton.core.measure import metrics
    from baton.core.measure import runs as measure
    from baton.core.measure.profiling import DEFAULT_BATCH_SIZES

    labels_info = c["labels"]
    predictions_file = c["predictions"]["file"]
    params = {
        "path": str(folder / c["model"]["file"]),
        "format": c["model"]["format"],
        "info": model_info(c),
        "data": str(folder / labels_info["file"]),
        "target": labels_info["target"],
        "id_column": labels_info.get("id_column"),
    }
    work = Path(tempfile.mkdtemp(prefix="baton-reproduce-"))
    try:
        params["out"] = str(work / "predictions.parquet")
        report(1, 5, f"{who}Predicting the test set")
        run_task("predict", params, limits=limits, cancel=cancel, what=c["model"]["file"])
        # Ordered as the signed metrics were: the positive class of a binary problem last.
        classes = declare.metric_classes(
            c["model"].get("classes"), c["results"].get("positive_class")
        )
        here_pred, here_proba, here_ids = measure.predictions_frame_to_arrays(
            Path(params["out"]), classes
        )
        ds_pred, ds_proba, ds_ids = _ds_predictions(
            folder / predictions_file, classes, label, predictions_file
        )
        y_true = measure.labels_of(folder / labels_info["file"], labels_info["target"])
        if len(ds_pred) != len(y_true):
            raise VerificationError(
                f"{label}: {predictions_file} has {len(ds_pred)} rows but the test labels have {len(y_true)}"
            )
        if not _same_ids(ds_ids, here_ids):
            raise VerificationError(
                f"{label}: the row ids of {predictions_file} do not match the test set"
            )
        problem = c["identity"]["problem_type"]
        report(2, 5, f"{who}Recomputing the metrics")
        here_eval = metrics.evaluate_predictions(
            problem, y_true, here_pred, here_proba, classes, bootstrap=bootstrap, cancel=cancel
        )
        try:
            claimed_from_ds = metrics.evaluate_predictions(
                problem, y_true, ds_pred, ds_proba, classes, bootstrap=0, cancel=cancel
            )
        except DatasetError as exc:
            raise VerificationError(
                f"{label}: {predictions_file}: {exc}", path=predictions_file
            ) from None
        report(3, 5, f"{who}Measuring latency and memory here")
        # The claimed batch sizes and every batch size a target names, so that no
        # target is left unmeasured here; the defaults only when nothing was claimed.
        claimed_batches = [row["batch_size"] for row in c["results"].get("latency") or []]
        batches = measure.batch_sizes_for(
            c.get("targets") or [], base=claimed_batches or DEFAULT_BATCH_SIZES
        )
        profile = run_task(
            "profile",
            {**params, "batch_sizes": list(batches), "budget_s": budget_s},
            limits=limits,
            cancel=cancel,
            what=c["model"]["file"],
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(4, 5, f"{who}Judging the targets")
    result = {
        "agreement": _agreement(problem, ds_pred, here_pred, ds_proba, here_proba),
        "metrics": _metric_rows(
            c["results"]["metrics"], claimed_from_ds["metrics"], here_eval["metrics"]
        ),
        "latency": _latency_rows(c["results"].get("latency") or [], profile["latency"]),
        "memory": {
            "claimed": c["results"].get("memory"),
            "here": memory_here(profile["memory"]),
        },
        "hardware": {"claimed": c["results"].get("hardware"), "here": profile["hardware"]},
        "environment_here": profile["environment"],
        "targets": _target_rows(c, here_eval, profile),
        "evaluation_here": here_eval,
        "created": timestamp(),
    }
    result.update(judge_reproduction(result))
    return result


def _equal_values(claimed: Any, here: Any) -> Any:
    """Row by row, whether two columns read from predictions files (row ids, predicted
    classes) hold the same values: compared as they are when both files gave them one
    type, as text only when they typed them differently (as text, 37 M values took 2.4 GB
    and seconds)."""
    import numpy as np

    a, b = np.asarray(claimed), np.asarray(here)
    if a.dtype != b.dtype:
        a, b = a.astype(str), b.astype(str)
    return a == b


def _same_ids(claimed: Any, here: Any) -> bool:
    """Whether two predictions files name the same rows in the same order."""
    return len(claimed) == len(here) and bool(_equal_values(claimed, here).all())


def _ds_predictions(path: Path, classes, label: str, member: str = "predictions/test.parquet"):
    from baton.core.measure import runs as measure

    try:
        return measure.predictions_frame_to_arrays(path, classes)
    except (KeyError, ValueError) as exc:
        raise VerificationError(
            f"{label}: {member} lacks the prediction or row_id column ({exc})"
        ) from None


def _agreement(problem: str, ds_pred, here_pred, ds_proba, here_proba) -> dict[str, Any]:
    import numpy as np

    n = len(ds_pred)
    if problem == "regression":
        diff = np.abs(np.asarray(ds_pred, float) - np.asarray(here_pred, float))
        same = diff <= 1e-9 * np.maximum(1.0, np.abs(np.asarray(ds_pred, float)))
        out = {
            "rows": n,
            "agreeing": int(same.sum()),
            "rate": float(same.mean()),
            "max_abs_difference": float(diff.max(initial=0.0)),
        }
    else:
        same = _equal_values(ds_pred, here_pred)
        out = {"rows": n, "agreeing": int(same.sum()), "rate": float(same.mean())}
        if ds_proba is not None and here_proba is not None and ds_proba.shape == here_proba.shape:
            out["max_probability_difference"] = float(
                np.max(np.abs(ds_proba - here_proba), initial=0.0)
            )
    return out


def _metric_rows(claimed: dict, from_ds: dict, here: dict) -> list[dict[str, Any]]:
    rows = []
    for name, entry in claimed.items():
        value = entry.get("value")
        here_value = (here.get(name) or {}).get("value")
        ds_value = (from_ds.get(name) or {}).get("value")
        rows.append(
            {
                "metric": name,
                "claimed": value,
                "ci_low": entry.get("ci_low"),
                "ci_high": entry.get("ci_high"),
                "recomputed_from_ds_predictions": ds_value,
                "consistent": value is None
                or (ds_value is not None and abs(ds_value - value) <= 1e-9),
                "here": here_value,
                "delta": None if value is None or here_value is None else here_value - value,
            }
        )
    return rows


def _latency_rows(claimed: list[dict], here: list[dict]) -> list[dict[str, Any]]:
    by_batch = {row["batch_size"]: row for row in here}
    # Batch sizes measured here only for a target (no claimed row) are listed too.
    extra = [{"batch_size": b} for b in by_batch if b not in {r["batch_size"] for r in claimed}]
    rows = []
    for row in sorted([*claimed, *extra], key=lambda r: r["batch_size"]):
        h = by_batch.get(row["batch_size"], {})
        rows.append(
            {
                "batch_size": row["batch_size"],
                "busy_claimed": row.get("machine_busy"),
                "busy_here": h.get("machine_busy"),
                "busy_reason_here": h.get("busy_reason"),
                "other_cpu_share_here": h.get("other_cpu_share"),
                "p50_stable_here": h.get("p50_stable"),
                **{
                    f"claimed_{k}": row.get(k)
                    for k in ("p50_ms", "p95_ms", "p99_ms", "throughput_rps")
                },
                **{f"here_{k}": h.get(k) for k in ("p50_ms", "p95_ms", "p99_ms", "throughput_rps")},
                "samples_here": h.get("samples"),
                "raw_ms_here": h.get("raw_ms", [])[:5000],
            }
        )
    return rows


def memory_here(memory: dict) -> dict[str, Any]:
    return {
        "rss_delta_after_load_mb": memory.get("resident_delta_mb"),
        "peak_predict_mb": memory.get("peak_during_predict_mb"),
        "size_on_disk_mb": memory.get("size_on_disk_mb"),
    }


CLAIM_SLACK = 0.25
"""A latency, throughput or memory claim reproduces when the figure here is within the
target's tolerance of it, or within 25 % of it if that is wider: two runs of one model
never time the same, and a faster or leaner figure here never counts against a claim."""

PERFORMANCE_METRICS = BATCHED_METRICS | {"memory_mb"}


def _claim_holds(target: Target, claimed: Any, here: float | None) -> dict[str, Any]:
    """Whether a performance figure the data scientist claimed holds here."""
    if target.metric not in PERFORMANCE_METRICS or not isinstance(claimed, int | float):
        return {"claim_allowance": None, "claim_within_tolerance": None}
    allowance = max(target.tolerance, CLAIM_SLACK * abs(claimed))
    if here is None:
        within = False
    elif metric_direction(target.metric) == "lower":
        within = here <= claimed + allowance
    else:
        within = here >= claimed - allowance
    return {"claim_allowance": allowance, "claim_within_tolerance": within}


def _target_rows(contract: dict, here_eval: dict, profile: dict) -> list[dict[str, Any]]:
    here_profile = {"latency": profile["latency"], "memory": memory_here(profile["memory"])}
    by_batch = {row["batch_size"]: row for row in profile["latency"]}
    rows = []
    for entry in contract.get("targets") or []:
        target = Target.from_dict(entry)
        here = measured_value(target, here_eval, here_profile, contract["model"])
        latency_here = by_batch.get(target.batch, {}) if target.metric in BATCHED_METRICS else {}
        rows.append(
            {
                "target": target.key,
                "expr": target.expr(),
                "metric": target.metric,
                "op": target.op,
                "threshold": target.threshold,
                "tolerance": target.tolerance,
                "claimed": entry.get("measured"),
                "verdict_claimed": entry.get("verdict"),
                "here": here,
                "verdict_here": evaluate_target(target, here),
                **_claim_holds(target, entry.get("measured"), here),
                "busy_here": bool(latency_here.get("machine_busy")),
                "busy_reason_here": latency_here.get("busy_reason"),
            }
        )
    return rows


def _same(claimed: float, value: float | None) -> bool:
    return value is not None and abs(value - claimed) <= 1e-9 * max(1.0, abs(claimed))


def _claim_problems(result: dict[str, Any]) -> list[str]:
    """Why the data scientist's claims did not reproduce here, one phrase each."""

    problems = []
    a = result["agreement"]
    if a["agreeing"] != a["rows"]:
        problems.append(
            f"{a['rows'] - a['agreeing']:,} of {a['rows']:,} predictions differ from the "
            "data scientist's"
        )
    for m in result["metrics"]:
        claimed = m["claimed"]
        if claimed is None:
            continue
        if not m["consistent"]:
            problems.append(
                f"{m['metric']} is claimed as {fmt_target_value(m['metric'], claimed)} but the data "
                f"scientist's own predictions give "
                f"{fmt_target_value(m['metric'], m['recomputed_from_ds_predictions'])}"
            )
        elif not _same(claimed, m["here"]):
            problems.append(
                f"{m['metric']} is {fmt_target_value(m['metric'], m['here'])} here against "
                f"{fmt_target_value(m['metric'], claimed)} claimed"
            )
    for t in result["targets"]:
        if t["claim_within_tolerance"] is False:
            metric = t["metric"]
            problems.append(
                f"{t['target']} is {fmt_target_value(metric, t['here'])} here against "
                f"{fmt_target_value(metric, t['claimed'])} claimed (allowed ±"
                f"{fmt_target_value(metric, t['claim_allowance'])})"
                + (" while this machine was busy" if t["busy_here"] else "")
            )
    return problems


def judge_reproduction(result: dict[str, Any]) -> dict[str, Any]:
    """The two verdicts of a reproduction, kept apart, and the headline that words them.

    ``claims_reproduced``: the predictions agree row by row, every claimed metric
    recomputes equal (from the data scientist's predictions and from those made here),
    and every latency, throughput and memory target's claimed figure holds here within
    the target's tolerance or :data:`CLAIM_SLACK`. ``targets_met_on_this_machine``: every
    target passes as measured here (an unmeasured one does not). ``headline`` says both
    in those words, with the reasons, then the latency notes when this machine was busy
    or its p50 unstable. ``verdict`` is "pass" only when both hold.
    """
    from baton.core.measure.latency_notes import latency_caveats

    latency_here = [
        {
            "batch_size": row["batch_size"],
            "machine_busy": row.get("busy_here"),
            "busy_reason": row.get("busy_reason_here"),
            "other_cpu_share": row.get("other_cpu_share_here"),
            "p50_stable": row.get("p50_stable_here"),
        }
        for row in result.get("latency") or []
    ]
    problems = _claim_problems(result)
    targets = result["targets"]
    missed = [t for t in targets if t["verdict_here"] != "pass"]
    a = result["agreement"]
    if problems:
        claims_line = "Claims reproduced: no — " + "; ".join(problems) + "."
    else:
        claims_line = (
            f"Claims reproduced: yes — {a['agreeing']:,} of {a['rows']:,} predictions agree, "
            "every metric recomputes equal"
            + (
                ", latency and memory within tolerance of the claims."
                if any(t["claim_within_tolerance"] for t in targets)
                else "."
            )
        )
    if not targets:
        targets_line = "Targets met on this machine: no targets were agreed."
    elif not missed:
        n = len(targets)
        targets_line = (
            f"Targets met on this machine: yes — {n} of {n} {'passes' if n == 1 else 'pass'}."
        )
    else:
        targets_line = (
            "Targets met on this machine: no — "
            + "; ".join(
                f"{t['expr']} not measured here"
                if t["verdict_here"] == "unmeasured"
                else f"{t['expr']} measured {fmt_target_value(t['metric'], t['here'])} here"
                + (" on a busy machine" if t["busy_here"] else "")
                for t in missed
            )
            + "."
        )
    notes = latency_caveats(latency_here)
    busy = any(row.get("machine_busy") for row in latency_here)
    if busy:
        notes.append("Latency here may improve on a quiet machine: reproduce again when it is.")
    return {
        "claims_reproduced": not problems,
        "targets_met_on_this_machine": not missed,
        "claim_problems": problems,
        "machine_busy_here": busy,
        "headline": [claims_line, targets_line, *notes],
        # one word for scripts: pass only when the claims reproduced and the targets hold
        "verdict": "pass" if not problems and not missed else "fail",
    }


def latest_reproduction(catalog: Catalog, root_digest: str) -> dict[str, Any] | None:
    return catalog.handovers.latest_reproduction(root_digest)


# --- receipts ---------------------------------------------------------------------------


def _reproduced_summary(result: dict[str, Any] | None) -> dict[str, Any] | None:

    if result is None:
        return None
    hw = result["hardware"]["here"]
    return {
        "created": result["created"],
        "verdict": result["verdict"],
        # Two verdicts, never mixed (older reproductions here lack them: None).
        "claims_reproduced": result.get("claims_reproduced"),
        "targets_met_on_this_machine": result.get("targets_met_on_this_machine"),
        "machine_busy_here": result.get("machine_busy_here"),
        "headline": result.get("headline"),
        "agreement": result["agreement"],
        "targets": [
            {k: t[k] for k in ("target", "expr", "claimed", "here", "verdict_here")}
            for t in result["targets"]
        ],
        "metrics": [
            {k: m[k] for k in ("metric", "claimed", "here", "consistent")}
            for m in result["metrics"]
        ],
        "hardware": {
            k: hw.get(k) for k in ("cpu_model", "cores_logical", "ram_total_gb", "os", "machine")
        },
    }


def decide(
    catalog: Catalog,
    path: str | Path,
    *,
    decision: str,
    comment: str,
    target_comments: dict[str, str] | None = None,
    out: str | Path,
    passphrase: str,
    choose: str | None = None,
) -> dict[str, Any]:
    """Countersign a decision on a verified, trusted bundle; writes the receipt ``out``.

    Accepting a bundle of several candidates chooses one (``choose``, or the one the
    data scientist recommends: the result's ``chosen_by_recommendation`` says so); the
    receipt's ``chosen`` names it. A bundle of one model records ``chosen`` only when
    named. Only an acceptance chooses.
    """
    if decision not in DECISIONS:
        raise UsageError(f"--decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    if choose is not None and decision != "accept":
        raise UsageError(
            f"--choose names the candidate you accept; a decision of {decision!r} chooses none"
        )
    if not comment.strip():
        raise UsageError("--comment must say why (the data scientist reads it)")
    out = Path(out)
    if not out.name.endswith(".review.baton"):
        raise UsageError("--out must end in .review.baton")
    me = trust.require_identity(catalog.home)
    key = trust.load_signing_key(catalog.home, passphrase)
    label = Path(path).name
    with bundles.open_bundle(catalog, path) as opened:
        require_trusted(opened.opened, label)
        if me["fingerprint"] in {a["fingerprint"] for a in opened.contract["identity"]["authors"]}:
            me_label = trust.key_label(me["name"], me["fingerprint"])
            raise VerificationError(
                f"{label}: {SELF_REVIEW}: you sign as {me_label}, an author of "
                f"{opened.name} {opened.version}; another engineer must review it"
            )
        known = {Target.from_dict(t).key: t for t in opened.contract.get("targets") or []}
        comments = []
        for target, text in (target_comments or {}).items():
            key_text = target.replace(" ", "")
            if key_text not in known and f"{key_text}@1" in known:
                key_text = f"{key_text}@1"
            if key_text not in known:
                raise UsageError(
                    f"--target-comment names {target!r}, which is not a target of this contract; its targets are: "
                    + (", ".join(known) or "none")
                )
            comments.append({"target": key_text, "comment": text})
        chosen, by_recommendation = None, False
        if decision == "accept" and (choose is not None or cands.is_multi(opened.contract)):
            try:
                chosen = cands.choose(opened.contract, choose).name
            except UsageError as exc:
                raise UsageError(f"{exc} (--choose NAME)") from None
            by_recommendation = choose is None
        review: dict[str, Any] = {
            "schema": "baton.review/v1",
            "bundle": {
                "name": opened.name,
                "version": opened.version,
                "root_digest": opened.opened.root_digest,
                "signature_sha256": opened.opened.signature_sha256,
                "signer_fingerprint": opened.opened.signer_fingerprint,
            },
            "decision": decision,
            **({"chosen": chosen} if chosen is not None else {}),
            "comment": comment,
            "target_comments": comments,
            "reviewer": {
                **{k: me[k] for k in ("name", "email", "fingerprint")},
                "public_key": trust.my_public_pem(catalog.home).decode(),
            },
            "created": timestamp(),
            "reproduced": _reproduced_summary(
                latest_reproduction(catalog, opened.opened.root_digest)
            ),
        }
        _validate_review(review, "review.json")
        folder = Path(tempfile.mkdtemp(prefix="baton-review-"))
        try:
            (folder / REVIEW).write_bytes(
                json.dumps(review, indent=2, sort_keys=True).encode() + b"\n"
            )
            oms.sign_folder(
                folder, key, REVIEW_SIG, model_name=f"{opened.name}-{opened.version}-review"
            )
            safezip.write_bundle_zip(folder, out)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        handover = _handover(catalog, "received", review["bundle"])
        if handover:
            catalog.handovers.record_review(handover["id"], review)
        out_summary = {"file": str(out), **review}
        if chosen is not None:
            out_summary["chosen_by_recommendation"] = by_recommendation
        return out_summary


@functools.cache
def _review_validator() -> jsonschema.Draft202012Validator:
    from baton.core.lean_jsonschema import jsonschema

    schema = json.loads(
        importlib.resources.files("baton.resources")
        .joinpath("schemas/review.schema.json")
        .read_text()
    )
    return jsonschema.Draft202012Validator(schema)


def _validate_review(review: Any, source: str) -> None:
    errors = sorted(_review_validator().iter_errors(review), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        raise VerificationError(f"{source}: {where}: {err.message}")


def is_receipt(path: str | Path) -> bool:
    path = Path(path)
    if path.name.endswith(".review.baton"):
        return True
    if path.is_dir():  # an extracted receipt: only which files it holds decides, as below
        return (path / REVIEW).is_file() and not os.path.lexists(path / "contract.json")
    try:  # the reader that verifies it next: one reading of the ZIP, never two
        names = {m.name for m in safezip.list_members(path)}
    except (OSError, BatonError):
        return False  # verifying it as a bundle then says what is wrong
    return REVIEW in names and "contract.json" not in names


def _handover(catalog: Catalog, direction: str, binding: dict) -> dict | None:
    return catalog.handovers.find(
        direction,
        binding["name"],
        binding["version"],
        binding["root_digest"],
        binding["signature_sha256"],
    )


def _bundle_authors(catalog: Catalog, binding: dict) -> set[str]:
    """The keys that authored the bundle a receipt answers: its signer as the receipt
    states it, and the authors of its contract when this catalog knows the bundle."""
    authors = {binding["signer_fingerprint"]}
    for direction in ("sent", "received"):
        row = _handover(catalog, direction, binding)
        if row:
            authors |= {a["fingerprint"] for a in row["contract"]["identity"]["authors"]}
    return authors


def verify_receipt(
    catalog: Catalog,
    path: str | Path,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Verify a review receipt; if it answers a bundle packed here, record the decision."""
    opened = open_signed_zip(
        catalog, path, sig_name=REVIEW_SIG, document=REVIEW, progress=progress, cancel=cancel
    )
    label = opened.label
    try:
        if set(opened.digests) != {REVIEW}:
            raise VerificationError(
                f"{label}: a receipt holds review.json and review.sig only, not {', '.join(sorted(opened.digests))}"
            )
        review = jsonsafe.loads(opened.read_json(REVIEW), source=f"{label}/{REVIEW}", path=REVIEW)
        _validate_review(review, f"{label}/{REVIEW}")
        if review["reviewer"]["fingerprint"] != opened.signer_fingerprint:
            raise VerificationError(
                f"{label}: review.json names a reviewer whose key did not sign it"
            )
        binding = review["bundle"]
        if opened.signer_fingerprint in _bundle_authors(catalog, binding):
            signer = trust.key_label(opened.signer_name, opened.signer_fingerprint)
            raise VerificationError(
                f"{label}: {SELF_REVIEW}: signed by {signer}, an author of "
                f"{binding['name']} {binding['version']}; not recorded"
            )
        sent = _handover(catalog, "sent", binding)
        summary = {**describe_opened(opened), "kind": "receipt", "review": review}
        summary["bound_to"] = sent["path"] if sent else None
        summary["recorded"], summary["not_recorded"] = False, None
        if not opened.trusted:
            summary["not_recorded"] = (
                "not recorded: the reviewer's key is not trusted here, "
                "so the handover's status is unchanged"
            )
        elif sent is None:
            summary["not_recorded"] = (
                "not recorded: it answers a bundle that was not packed in this catalog"
            )
        else:
            catalog.handovers.record_review(sent["id"], review)
            summary["recorded"] = True
        return summary
    finally:
        opened.close()


def verify(
    catalog: Catalog,
    path: str | Path,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Verify a bundle or a review receipt; returns a summary (``trusted`` may be False)."""
    if is_receipt(path):
        return verify_receipt(catalog, path, progress=progress, cancel=cancel)
    with bundles.open_bundle(catalog, path, progress=progress, cancel=cancel) as bundle:
        return bundle.summary()
