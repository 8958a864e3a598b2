"""Differences between two models' predictions on the same rows, with the uncertainty a
reader needs before calling one of them better.

"0.951 against 0.948 on 171 rows" is no winner. :func:`paired_differences` gives every
metric's difference (B minus A) a *paired* percentile bootstrap interval: each resample
draws the rows once and computes both models' metric on those same rows, so what the rows
have in common (hard cases both miss) cancels out, as it should. Resampling follows
:mod:`baton.core.measure.metrics`: the same seeded streams, the same row counts per
resample (:class:`~baton.core.measure.resampling.RowResampler`, with its m-out-of-n cap on
very large test sets) and the same 95 % level. Accuracy also gets McNemar's exact test on
the rows where exactly one model is right.

The verdict is in words: ``not distinguishable`` when the interval covers 0 (for
accuracy, also when McNemar's p is at least 0.05), else ``better`` or ``worse`` for B,
by the metric's direction (:data:`~baton.core.measure.metric_names.LOWER_IS_BETTER`).

:func:`compare_bundled` pairs the predictions two bundles carry, when they were measured
on the same test set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from baton.core.data import declare
from baton.core.errors import BatonError, DatasetError
from baton.core.measure import metrics
from baton.core.measure import runs as measure
from baton.core.measure.labels import encode_labels, label_pair
from baton.core.measure.metric_names import LOWER_IS_BETTER
from baton.core.measure.resampling import (
    BOOTSTRAP_LEVEL,
    BootstrapJob,
    RowResampler,
    confusion_scores,
    rank_scores_weighted,
)
from baton.core.progress import NEVER_CANCELLED, no_progress

NOT_DISTINGUISHABLE = "not distinguishable"
MCNEMAR_ALPHA = 0.05
CONFUSION_METRICS = tuple(
    m for m in metrics.METRIC_NAMES_CLASSIFICATION if m not in ("roc_auc", "pr_auc", "log_loss")
)
PROBABILITY_METRICS = ("roc_auc", "pr_auc", "log_loss")
# max_error has no interval: the bootstrap of an extreme is unreliable (as in metrics.py)
REGRESSION_METRICS = ("mae", "rmse", "r2", "mape")
_EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class MetricDifference:
    """One metric of models A and B on the same rows: ``difference`` is B minus A, with
    its paired bootstrap interval; ``verdict`` says what B is, in words."""

    metric: str
    a: float
    b: float
    difference: float
    ci_low: float | None
    ci_high: float | None
    direction: str  # "higher" or "lower": which way the metric gets better
    verdict: str  # "better", "worse" or "not distinguishable"
    mcnemar_p: float | None = None  # accuracy only
    only_a_right: int | None = None  # the discordant rows McNemar's test counts
    only_b_right: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _split(predicted: Any) -> tuple[Any, Any]:
    """``(labels, probabilities)`` from a pair, or labels alone (no probabilities)."""
    if isinstance(predicted, tuple):
        labels, proba = predicted
        return labels, proba
    return predicted, None


def _verdict(
    metric: str, diff: float, low: float | None, high: float | None, p: float | None
) -> str:
    if low is None or high is None or low <= 0.0 <= high or diff == 0.0:
        return NOT_DISTINGUISHABLE
    if p is not None and p >= MCNEMAR_ALPHA:
        return NOT_DISTINGUISHABLE
    higher_is_better = metric not in LOWER_IS_BETTER
    return "better" if (diff > 0) == higher_is_better else "worse"


def _interval(
    values: np.ndarray, point: float, own: float, scale: float
) -> tuple[float | None, float | None]:
    """The percentile interval of the resampled differences (undefined resamples left
    out), rescaled around ``point`` when the resamples came from a subsample."""
    values = values[np.isfinite(values)]
    if not len(values):
        return None, None
    tail = 50.0 * (1.0 - BOOTSTRAP_LEVEL)
    low, high = np.percentile(values, [tail, 100.0 - tail])
    if scale != 1.0:
        low, high = point + scale * (low - own), point + scale * (high - own)
    return float(low), float(high)


def _mcnemar(right_a: np.ndarray, right_b: np.ndarray) -> tuple[float, int, int]:
    """McNemar's exact test: a binomial test of the rows only one model gets right."""
    from scipy.stats import binomtest

    only_a = int(np.count_nonzero(right_a & ~right_b))
    only_b = int(np.count_nonzero(right_b & ~right_a))
    if only_a + only_b == 0:
        return 1.0, 0, 0
    return float(binomtest(only_b, only_a + only_b, 0.5).pvalue), only_a, only_b


def paired_differences(
    y_true: Any,
    a: Any,
    b: Any,
    *,
    task: str,
    classes: Any = None,
    positive_class: Any = None,
    seed: int = 0,
    n_boot: int = 1000,
) -> list[MetricDifference]:
    """Every metric both models have, B minus A, with paired intervals and a verdict.

    ``a`` and ``b`` are predictions as :func:`~baton.core.measure.metrics.evaluate_predictions`
    takes them: the predicted labels (or values), or a ``(labels, probabilities)`` pair.
    ``classes`` orders the probabilities' columns; ``positive_class`` is the positive
    class of a binary problem (default: the second class). Metrics undefined for either
    model are left out. Unusable inputs raise :class:`DatasetError`.
    """
    (pred_a, proba_a), (pred_b, proba_b) = _split(a), _split(b)
    ordered = declare.metric_classes(list(classes) if classes is not None else None, positive_class)
    # The point values, exactly as the contract's metrics are computed (and every input
    # checked there, with its words).
    points = [
        metrics.evaluate_predictions(task, y_true, pred, proba, ordered, bootstrap=0)["metrics"]
        for pred, proba in ((pred_a, proba_a), (pred_b, proba_b))
    ]
    yt, ya = label_pair(y_true, pred_a)
    _, yb = label_pair(y_true, pred_b)
    job = BootstrapJob(int(n_boot), int(seed), no_progress, NEVER_CANCELLED)
    rows = RowResampler(len(yt), job)
    extras: dict[str, tuple[float, int, int]] = {}
    if task == "regression":
        names, metric_fn = _regression(yt, ya, yb, rows)
    else:
        labels, _, t_idx = encode_labels(yt, ya, ordered, need_index=True)
        encode_labels(yt, yb, labels, need_index=False)  # B's classes, checked with its words
        a_idx = encode_labels(ya, yt, labels, need_index=True)[2]
        b_idx = encode_labels(yb, yt, labels, need_index=True)[2]
        assert t_idx is not None and a_idx is not None and b_idx is not None
        extras["accuracy"] = _mcnemar(a_idx == t_idx, b_idx == t_idx)
        with_proba = proba_a is not None and proba_b is not None
        probabilities = (proba_a, proba_b) if with_proba else None
        names, metric_fn = _classification(
            task == "binary", len(labels), t_idx, (a_idx, b_idx), probabilities, rows
        )
    names = [n for n in names if all(p.get(n, {}).get("value") is not None for p in points)]
    boot, own = rows.run(metric_fn, names) if job.resamples and names else ({}, {})
    out = []
    for name in names:
        va, vb = points[0][name]["value"], points[1][name]["value"]
        diff = vb - va
        low, high = (
            _interval(boot[name], diff, own[name], rows.scale) if name in boot else (None, None)
        )
        p, only_a, only_b = extras.get(name, (None, None, None))
        out.append(
            MetricDifference(
                name,
                va,
                vb,
                diff,
                low,
                high,
                "lower" if name in LOWER_IS_BETTER else "higher",
                _verdict(name, diff, low, high, p),
                p,
                only_a,
                only_b,
            )
        )
    return out


MetricFn = Callable[[np.ndarray], dict[str, np.ndarray]]


def _classification(
    binary: bool,
    k: int,
    t_idx: np.ndarray,
    predicted: tuple[np.ndarray, np.ndarray],
    probabilities: tuple[Any, Any] | None,
    rows: RowResampler,
) -> tuple[list[str], MetricFn]:
    """The classification metrics' differences as a function of row counts."""
    t = rows.take(t_idx)
    cells = [t * k + rows.take(p) for p in predicted]

    def confusion(cell: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        size = len(counts)
        flat = (cell[None, :] + (np.arange(size) * k * k)[:, None]).ravel()
        joint = np.bincount(flat, counts.ravel().astype(np.float64), minlength=size * k * k)
        joint = joint.reshape(size, k, k)
        tp = np.diagonal(joint, axis1=1, axis2=2)
        return confusion_scores(tp, joint.sum(2), joint.sum(1), binary)

    names = list(CONFUSION_METRICS)
    scorers: list[MetricFn] = []
    if probabilities is not None:
        names += PROBABILITY_METRICS
        scorers = [_probability_scorer(p, t_idx, binary, rows) for p in probabilities]

    def metric_fn(counts: np.ndarray) -> dict[str, np.ndarray]:
        a, b = (confusion(cell, counts) for cell in cells)
        if scorers:
            a.update(scorers[0](counts))
            b.update(scorers[1](counts))
        return {n: b[n] - a[n] for n in names}

    return names, metric_fn


def _probability_scorer(
    proba: Any, t_idx: np.ndarray, binary: bool, rows: RowResampler
) -> MetricFn:
    """roc_auc, pr_auc and log_loss of one model under row counts (as metrics.py computes
    their intervals)."""
    p = np.clip(np.asarray(proba, dtype=np.float64), 0.0, 1.0)
    if p.ndim == 1:
        p = np.column_stack((1.0 - p, p))
    loss = -np.log(np.clip(p[np.arange(len(t_idx)), t_idx], _EPS, 1.0 - _EPS))
    t = rows.take(t_idx)
    sub_loss = rows.take(loss)
    columns = [1] if binary else list(range(p.shape[1]))
    rankers = [rank_scores_weighted(rows.take(p[:, c]), t == c) for c in columns]

    def scores(counts: np.ndarray) -> dict[str, np.ndarray]:
        auc, ap = np.zeros(len(counts)), np.zeros(len(counts))
        for rank in rankers:
            one = rank(counts)
            auc += one.auc
            ap += one.average_precision
        return {
            "roc_auc": auc / len(rankers),
            "pr_auc": ap / len(rankers),
            "log_loss": counts.astype(np.float64) @ sub_loss / rows.m,
        }

    return scores


def _regression(
    yt: np.ndarray, ya: np.ndarray, yb: np.ndarray, rows: RowResampler
) -> tuple[list[str], MetricFn]:
    """The regression metrics' differences as a function of row counts."""
    y = rows.take(np.asarray(yt, dtype=np.float64))
    centred = y - y.mean()

    def table(pred: np.ndarray) -> np.ndarray:
        residual = y - rows.take(np.asarray(pred, dtype=np.float64))
        abs_err = np.abs(residual)
        return np.column_stack(
            (abs_err, residual**2, abs_err / np.maximum(np.abs(y), _EPS), centred, centred**2)
        )

    tables = [table(ya), table(yb)]

    def one(tab: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
        mean = counts.astype(np.float64) @ tab / rows.m
        mse, var = mean[:, 1], mean[:, 4] - mean[:, 3] ** 2
        r2 = np.where(mse == 0, 1.0, 0.0)
        np.divide(mse, var, out=r2, where=var > 0)
        np.subtract(1.0, r2, out=r2, where=var > 0)
        return {"mae": mean[:, 0], "rmse": np.sqrt(mse), "r2": r2, "mape": mean[:, 2]}

    def metric_fn(counts: np.ndarray) -> dict[str, np.ndarray]:
        a, b = one(tables[0], counts), one(tables[1], counts)
        return {n: b[n] - a[n] for n in REGRESSION_METRICS}

    return list(REGRESSION_METRICS), metric_fn


# --------------------------------------------------------------------------- two bundles


def _test_fingerprint(contract: Mapping[str, Any]) -> str | None:
    return next((d.get("fingerprint") for d in contract["datasets"] if d["role"] == "test"), None)


def compare_bundled(
    old: Mapping[str, Any],
    old_folder: Path,
    new: Mapping[str, Any],
    new_folder: Path,
    *,
    seed: int = 0,
    n_boot: int = 1000,
) -> dict[str, Any]:
    """The paired differences of two verified bundles' predictions (new minus old), when
    both were measured on the same test set (same fingerprint).

    Rows are matched by the id column when both test sets have one, else by position.
    ``compared`` is False, with ``why``, when they cannot be paired.
    """
    out: dict[str, Any] = {"compared": False, "why": None, "differences": []}
    task = old["identity"]["problem_type"]
    if _test_fingerprint(old) != _test_fingerprint(new):
        out["why"] = (
            "the two versions were measured on different test sets, so their predictions "
            "cannot be paired row by row"
        )
        return out
    if new["identity"]["problem_type"] != task:
        out["why"] = "the two versions solve different problem types"
        return out
    classes = declare.metric_classes(
        old["model"].get("classes"), old["results"].get("positive_class")
    )
    try:
        pa_, proba_a, ids_a = measure.predictions_frame_to_arrays(
            old_folder / old["predictions"]["file"], classes
        )
        pb, proba_b, ids_b = measure.predictions_frame_to_arrays(
            new_folder / new["predictions"]["file"], classes
        )
        labels = old["labels"]
        y_true = measure.labels_of(old_folder / labels["file"], labels["target"])
    except (KeyError, ValueError, BatonError) as exc:
        out["why"] = f"the predictions files cannot be read ({exc})"
        return out
    matched_by = "position"
    if labels.get("id_column") and new["labels"].get("id_column"):
        where = {str(v): i for i, v in enumerate(np.asarray(ids_b).tolist())}
        keys = [str(v) for v in np.asarray(ids_a).tolist()]
        if len(where) != len(keys) or any(k not in where for k in keys):
            out["why"] = "the two predictions files do not hold the same row ids"
            return out
        order = np.asarray([where[k] for k in keys], dtype=np.intp)
        pb = np.asarray(pb)[order]
        proba_b = None if proba_b is None else proba_b[order]
        matched_by = "id column"
    try:
        found = paired_differences(
            y_true,
            (pa_, proba_a),
            (pb, proba_b),
            task=task,
            classes=classes,
            seed=seed,
            n_boot=n_boot,
        )
    except DatasetError as exc:
        out["why"] = str(exc)
        return out
    return {
        "compared": True,
        "why": None,
        "rows": len(y_true),
        "matched_by": matched_by,
        "resamples": n_boot,
        "seed": seed,
        "level": BOOTSTRAP_LEVEL,
        "differences": [d.as_dict() for d in found],
    }
