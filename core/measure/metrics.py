"""Quality metrics with bootstrap confidence intervals, exact and fast on millions of rows.

:func:`evaluate_predictions` turns test labels, predictions and (for classifiers) class
probabilities into one JSON-serialisable dict: point values, 95 % intervals, the confusion
matrix, per-class figures, curves for display and, for regression, residuals.

Exactness. Every value equals its scikit-learn counterpart (to rounding, 1e-12):

- Labels are mapped to class indices once; the whole confusion family comes from one
  ``np.bincount(true_idx * k + pred_idx)``. Integer labels in a small range skip the
  mapping: the joint count is taken over the range itself, and the classes are read off
  its margins, so no sort and no gather touch the rows.
- A ratio with an empty denominator (precision of a class never predicted, ...) is 0, as
  scikit-learn's default ``zero_division`` gives. Macro averages run over the classes that
  occur in the labels or the predictions, as scikit-learn's do when no ``labels`` are
  passed; ``balanced_accuracy`` over the classes that occur in the labels.
- Binary precision / recall / f1 are those of the positive class ``classes[1]``;
  specificity is the recall of ``classes[0]``. For multiclass, precision, recall and
  specificity are macro averages and ``f1`` is ``f1_macro``.
- ROC AUC is the Mann-Whitney statistic with ties counted one half, in integers: each
  class's scores are sorted on their own, merged, and the area summed per distinct
  score. Multiclass ROC AUC is one-vs-rest with a macro average, ``pr_auc`` is
  scikit-learn's ``average_precision_score`` (macro for multiclass) and ``log_loss``
  clips probabilities to ``[eps, 1 - eps]`` as scikit-learn does.

Confidence intervals: a percentile bootstrap at the 95 % level with ``bootstrap``
resamples (0 turns intervals off). Randomness comes from numpy ``Generator(PCG64)``
streams spawned from ``SeedSequence(seed)`` -- one for the confusion family, one for the
row resamples, one for display sampling -- so a result depends only on its inputs and
the seed, not on which other figures were asked for.

- Confusion-derived metrics depend on the rows only through the k x k counts, so
  resampling n rows with replacement is exactly a multinomial draw of n over the cells
  with probabilities ``count / n``. That is what is drawn (over the non-empty cells), so
  the cost is O(B * cells) whatever n is.
- Metrics that need every row (roc_auc, pr_auc, log_loss and the regression metrics)
  resample rows: per-row counts from uniform indices and one bincount, exactly as
  drawing rows with replacement, evaluated in vectorised blocks. Up to
  ``MAX_BOOTSTRAP_ROWS`` rows this is the ordinary bootstrap. Beyond it the work is
  capped: the resamples are drawn from a random subsample of ``m = MAX_BOOTSTRAP_ROWS``
  rows and their spread around the subsample's own value is scaled by ``sqrt(m / n)``
  and centred on the full-data value (the m-out-of-n bootstrap; these metrics are
  smooth, so their spread shrinks as 1 / sqrt(n)). The result says so in ``notes``.
- ``max_error`` gets no interval: the bootstrap of an extreme value is not consistent.
- A resample in which a metric is undefined (no positive rows, ...) is left out of that
  metric's interval, and ``notes`` says how many were.

Display data: ROC curves keep scikit-learn's ``drop_intermediate`` corners and, like
precision-recall curves, are thinned to at most ``CURVE_POINTS`` points with
largest-triangle-three-buckets, which keeps both ends and the visible shape. A curve's
first ROC threshold (scikit-learn's ``inf``) is ``None``; a PR curve has one threshold
fewer than points, as in scikit-learn. Calibration uses ``CALIBRATION_BINS`` uniform bins
like ``sklearn.calibration.calibration_curve``. Residuals are ``y_true - y_pred``, a
seeded sample of at most ``RESIDUAL_POINTS`` rows that always includes the worst row;
``residual_histogram`` counts every row's residual in equal bins.
The confusion matrix has true classes as rows and predicted classes as columns.

This module computes the metrics; :mod:`~baton.core.measure.labels` encodes the labels,
:mod:`~baton.core.measure.resampling` does the counting, ranking and bootstrap, and
:mod:`~baton.core.measure.curves` the display data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from baton.core.errors import DatasetError, UsageError
from baton.core.measure.curves import (
    calibration_curve,
    operating_point,
    pr_curve,
    roc_curve,
)
from baton.core.measure.labels import (
    as_floats,
    encode_labels,
    label_pair,
    metric_entry,
    quote_values,
    rows_text,
)
from baton.core.measure.metric_names import (
    METRIC_NAMES_CLASSIFICATION,
    METRIC_NAMES_REGRESSION,
    PROBLEM_TYPES,
)
from baton.core.measure.resampling import (
    BootstrapJob,
    RowResampler,
    bootstrap_confusion,
    confusion_scores,
    per_class_rates,
    percentile_intervals,
    rank_scores,
    rank_scores_weighted,
)
from baton.core.progress import NEVER_CANCELLED, CancelToken, ProgressFn, no_progress

RESIDUAL_POINTS = 5_000
RESIDUAL_BINS_MAX = 60

# Probabilities may stray this far outside [0, 1] (float32 rounding) and are clipped.
_PROBA_SLACK = 1e-6
_EPS = float(np.finfo(np.float64).eps)


# --------------------------------------------------------------------------- public API


def evaluate_predictions(
    problem_type: str,
    y_true: Any,
    y_pred: Any,
    proba: Any = None,
    classes: Any = None,
    *,
    bootstrap: int = 1000,
    seed: int = 0,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Measure predictions against test labels; see the module docstring for the method.

    ``problem_type`` is "binary", "multiclass" or "regression". For classifiers,
    ``classes`` fixes the class order of ``proba``'s columns (default: the sorted labels)
    and ``classes[1]`` is the positive class of a binary problem; a binary ``proba`` may
    also be the positive-class column alone. Raises :class:`DatasetError` for unusable
    inputs and :class:`~baton.core.errors.Cancelled` when ``cancel`` is set.
    """
    if problem_type not in PROBLEM_TYPES:
        raise UsageError(
            f"the problem type must be one of {', '.join(PROBLEM_TYPES)}, not {problem_type!r}"
        )
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int | np.integer) or bootstrap < 0:
        raise UsageError(f"bootstrap must be a whole number of resamples >= 0, not {bootstrap!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise UsageError(f"the seed must be a whole number >= 0, not {seed!r}")
    job = BootstrapJob(
        int(bootstrap), int(seed), progress or no_progress, cancel or NEVER_CANCELLED
    )

    yt, yp = label_pair(y_true, y_pred)
    if problem_type == "regression":
        if proba is not None or (classes is not None and len(classes)):
            raise UsageError("a regression problem takes no probabilities or classes")
        return _evaluate_regression(yt, yp, job)
    return _evaluate_classification(problem_type, yt, yp, proba, classes, job)


def confusion_matrix(y_true: Any, y_pred: Any, classes: Any = None) -> tuple[list[Any], np.ndarray]:
    """Return ``(classes, matrix)``: counts with true classes as rows, predicted as columns.

    ``classes`` defaults to the sorted test labels; predictions outside them, or labels
    outside given ``classes``, raise :class:`DatasetError`.
    """
    yt, yp = label_pair(y_true, y_pred)
    labels, matrix, _ = encode_labels(yt, yp, classes, need_index=False)
    return labels, matrix


def confusion_metrics(matrix: Any, problem_type: str) -> dict[str, float]:
    """Every confusion-derived metric of a k x k count matrix (rows true, columns predicted)."""
    c = np.asarray(matrix)
    if c.ndim != 2 or c.shape[0] != c.shape[1] or c.shape[0] < 2:
        raise UsageError(f"a confusion matrix must be square with 2 or more classes, not {c.shape}")
    values = confusion_scores(np.diagonal(c), c.sum(1), c.sum(0), problem_type == "binary")
    return {name: float(v) for name, v in values.items()}


def roc_auc(positive: Any, score: Any) -> float | None:
    """Area under the ROC curve of ``score`` for the boolean mask ``positive``.

    Equals ``sklearn.metrics.roc_auc_score(positive, score)``; ``None`` when one of the
    two groups is empty.
    """
    return rank_scores(np.asarray(score, dtype=np.float64), np.asarray(positive, dtype=bool)).auc()


# --------------------------------------------------------------------------- classification


def _probabilities(proba: Any, n: int, k: int, binary: bool) -> np.ndarray:
    try:
        p = np.asarray(proba, dtype=np.float64)
    except (TypeError, ValueError):
        raise DatasetError("the probabilities must be numbers") from None
    positive_only = binary and p.shape == (n,)
    if p.shape != (n, k) and not positive_only:
        raise DatasetError(
            f"the probabilities have shape {p.shape} but {n} rows and {k} classes were expected"
        )
    if not np.isfinite(p).all():
        raise DatasetError("the probabilities contain NaN or infinite values")
    low, high = float(p.min()), float(p.max())
    if low < -_PROBA_SLACK or high > 1.0 + _PROBA_SLACK:
        raise DatasetError(
            "the probabilities must lie between 0 and 1, but range from "
            f"{low:.6g} to {high:.6g} (scores rather than probabilities?)"
        )
    if low < 0.0 or high > 1.0:
        p = np.clip(p, 0.0, 1.0)
    return np.column_stack((1.0 - p, p)) if positive_only else p


def _evaluate_classification(
    problem_type: str,
    yt: np.ndarray,
    yp: np.ndarray,
    proba: Any,
    classes: Any,
    job: BootstrapJob,
) -> dict[str, Any]:
    binary = problem_type == "binary"
    labels, matrix, true_index = encode_labels(yt, yp, classes, need_index=proba is not None)
    n, k = len(yt), len(labels)
    if binary and k != 2:
        hint = "" if classes is not None else "; give the model's classes"
        raise DatasetError(
            f"a binary problem needs exactly 2 classes, but there are {k}: {quote_values(labels)}{hint}"
        )
    if k < 2:
        raise DatasetError(
            f"a multiclass problem needs 2 or more classes, but there is 1: {quote_values(labels)}; "
            "give the model's classes"
        )
    p = None if proba is None else _probabilities(proba, n, k, binary)
    job.plan(1 if p is None else 2)

    true_sum, pred_sum, tp = matrix.sum(1), matrix.sum(0), np.diagonal(matrix)
    point: dict[str, Any] = {
        name: float(v) for name, v in confusion_scores(tp, true_sum, pred_sum, binary).items()
    }
    boot: dict[str, np.ndarray] = {}
    if job.resamples:
        boot = bootstrap_confusion(matrix, binary, job)
    ci = percentile_intervals(list(point), point, boot, job)

    result: dict[str, Any] = {
        "problem_type": problem_type,
        "n_rows": n,
        "classes": labels,
    }
    if binary:
        result["positive_class"] = labels[1]

    curves: dict[str, Any] | None = None
    operating: dict[str, Any] | None = None
    if p is not None and true_index is not None:
        curves, operating = _probability_metrics(p, true_index, labels, binary, point, ci, job)
    else:
        point.update(roc_auc=None, pr_auc=None, log_loss=None)

    result["metrics"] = {
        name: metric_entry(point[name], ci.get(name, (None, None)))
        for name in METRIC_NAMES_CLASSIFICATION
    }
    result["confusion_matrix"] = {"labels": labels, "matrix": matrix.tolist()}
    rates = per_class_rates(tp, true_sum, pred_sum)
    result["per_class"] = [
        {
            "label": label,
            **{name: float(rates[name][i]) for name in ("precision", "recall", "f1")},
            "support": int(true_sum[i]),
            "specificity": float(rates["specificity"][i]),
        }
        for i, label in enumerate(labels)
    ]
    result["curves"] = curves
    if binary:
        result["operating_point"] = operating
    result["bootstrap"] = job.summary()
    result["notes"] = job.notes
    return result


def _probability_metrics(
    p: np.ndarray,
    true_index: np.ndarray,
    labels: list[Any],
    binary: bool,
    point: dict[str, Any],
    ci: dict[str, tuple[float | None, float | None]],
    job: BootstrapJob,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """roc_auc, pr_auc and log_loss with their intervals, plus curves; fills point and ci."""
    n = len(true_index)
    sums = p.sum(1)
    worst = float(np.max(np.abs(sums - 1.0)))
    if worst > 1e-6:
        job.notes.append(
            f"some rows' probabilities do not sum to 1 (off by up to {worst:.3g}); "
            "log_loss uses them as given"
        )
    loss = -np.log(np.clip(p[np.arange(n), true_index], _EPS, 1.0 - _EPS))
    point["log_loss"] = float(loss.mean())

    columns = [1] if binary else list(range(len(labels)))
    curves: dict[str, Any] = {}
    per_class_roc, per_class_pr = [], []
    aucs: list[float | None] = []
    aps: list[float | None] = []
    operating = None
    for c in columns:
        job.cancel.check()
        positive = true_index == c
        ranked = rank_scores(p[:, c], positive)
        aucs.append(ranked.auc())
        aps.append(ranked.average_precision())
        roc, pr = roc_curve(ranked), pr_curve(ranked)
        if binary:
            curves["roc"], curves["pr"] = roc, pr
            curves["calibration"] = calibration_curve(p[:, 1], positive)
            operating = operating_point(ranked)
        else:
            per_class_roc.append({"label": labels[c], "auc": aucs[-1], **(roc or _NO_ROC)})
            per_class_pr.append({"label": labels[c], "ap": aps[-1], **(pr or _NO_PR)})
        del ranked
    if not binary:
        curves["roc_per_class"] = per_class_roc
        curves["pr_per_class"] = per_class_pr

    for name, values in (("roc_auc", aucs), ("pr_auc", aps)):
        undefined = [labels[c] for c, v in zip(columns, values, strict=True) if v is None]
        if undefined:
            why = (
                "the test labels hold only one class"
                if binary
                else "one-vs-rest needs both each class and another in the test labels, "
                f"which fails for {quote_values(undefined)}"
            )
            job.notes.append(f"{name} is undefined: {why}")
            point[name] = None
        else:
            point[name] = float(
                np.mean(np.asarray(values, dtype=np.float64))
            )  # one-vs-rest macro average

    if job.resamples:
        ci.update(_bootstrap_probability_metrics(p, true_index, columns, loss, point, job))
    return curves, operating


_NO_ROC: dict[str, list[Any]] = {"fpr": [], "tpr": [], "thresholds": []}
_NO_PR: dict[str, list[Any]] = {"precision": [], "recall": [], "thresholds": []}


def _bootstrap_probability_metrics(
    p: np.ndarray,
    true_index: np.ndarray,
    columns: list[int],
    loss: np.ndarray,
    point: dict[str, Any],
    job: BootstrapJob,
) -> dict[str, tuple[float | None, float | None]]:
    names = ("roc_auc", "pr_auc", "log_loss")
    rows = RowResampler(len(true_index), job)
    sub_true = rows.take(true_index)
    sub_loss = rows.take(loss)
    rankers = [rank_scores_weighted(rows.take(p[:, c]), sub_true == c) for c in columns]

    def metric_fn(counts: np.ndarray) -> dict[str, np.ndarray]:
        auc = np.zeros(len(counts))
        ap = np.zeros(len(counts))
        for rank in rankers:  # one class at a time keeps the memory at one block
            one = rank(counts)
            auc += one.auc
            ap += one.average_precision
        return {
            "roc_auc": auc / len(rankers),
            "pr_auc": ap / len(rankers),
            "log_loss": counts.astype(np.float64) @ sub_loss / rows.m,
        }

    boot, own = rows.run(metric_fn, names)
    return percentile_intervals(names, point, boot, job, own=own, scale=rows.scale)


# --------------------------------------------------------------------------- regression


def _numbers(values: np.ndarray, what: str) -> np.ndarray:
    if values.dtype.kind not in "biuf":
        try:
            values = values.astype(np.float64)
        except (TypeError, ValueError):
            raise DatasetError(f"{what} of a regression must be numbers") from None
    values = values.astype(np.float64, copy=False)
    bad = int(np.count_nonzero(~np.isfinite(values)))
    if bad:
        raise DatasetError(f"{what} contain missing or infinite values in {rows_text(bad)}")
    return values


def _regression_scores(
    abs_err: np.ndarray, sq_err: np.ndarray, pct_err: np.ndarray, y: np.ndarray
) -> dict[str, Any]:
    """Point regression metrics in scikit-learn's formulas."""
    sse = sq_err.sum()
    sst = ((y - y.mean()) ** 2).sum()
    # scikit-learn's force_finite rule when the labels are constant
    r2 = 1.0 - sse / sst if sst != 0 else float(sse == 0)
    return {
        "mae": float(abs_err.mean()),
        "rmse": float(np.sqrt(sq_err.mean())),
        "r2": float(r2),
        "mape": float(pct_err.mean()),
        "max_error": float(abs_err.max()),
    }


def residual_histogram(residual: np.ndarray) -> dict[str, Any]:
    """Counts of every row's residual in equal bins (the Rice rule, 10 to 60 bins).

    The residual plot shows a sample of the rows; this counts them all, so the shape of
    the errors is that of the whole dataset."""
    n = len(residual)
    bins = int(min(RESIDUAL_BINS_MAX, max(10, round(2 * n ** (1 / 3)))))
    low, high = float(residual.min()), float(residual.max())
    if high <= low:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(residual, bins=bins, range=(low, high))
    return {"edges": as_floats(edges), "counts": [int(c) for c in counts]}


def _evaluate_regression(yt: np.ndarray, yp: np.ndarray, job: BootstrapJob) -> dict[str, Any]:
    y = _numbers(yt, "the labels")
    pred = _numbers(yp, "the predictions")
    n = len(y)
    job.plan(1)
    residual = y - pred
    abs_err = np.abs(residual)
    sq_err = residual * residual
    pct_err = abs_err / np.maximum(np.abs(y), _EPS)
    point = _regression_scores(abs_err, sq_err, pct_err, y)
    worst = int(np.argmax(abs_err))

    ci: dict[str, tuple[float | None, float | None]] = {}
    if job.resamples:
        rows = RowResampler(n, job)
        centred = rows.take(y) - rows.take(y).mean()  # limits cancellation in the variance
        table = np.column_stack(
            (rows.take(abs_err), rows.take(sq_err), rows.take(pct_err), centred, centred**2)
        )

        def metric_fn(counts: np.ndarray) -> dict[str, np.ndarray]:
            mean = counts.astype(np.float64) @ table / rows.m
            mse, var = mean[:, 1], mean[:, 4] - mean[:, 3] ** 2
            r2 = np.where(mse == 0, 1.0, 0.0)
            np.divide(mse, var, out=r2, where=var > 0)
            np.subtract(1.0, r2, out=r2, where=var > 0)
            return {"mae": mean[:, 0], "rmse": np.sqrt(mse), "r2": r2, "mape": mean[:, 2]}

        names = ("mae", "rmse", "r2", "mape")
        boot, own = rows.run(metric_fn, names)
        ci = percentile_intervals(names, point, boot, job, own=own, scale=rows.scale)
        job.notes.append("max_error has no interval: the bootstrap of an extreme is unreliable")

    if n <= RESIDUAL_POINTS:
        shown = np.arange(n)
    else:
        others = np.delete(np.arange(n), worst)
        picked = job.display_rng.choice(others, RESIDUAL_POINTS - 1, replace=False)
        shown = np.sort(np.append(picked, worst))
    return {
        "problem_type": "regression",
        "n_rows": n,
        "metrics": {
            name: metric_entry(point[name], ci.get(name, (None, None)))
            for name in METRIC_NAMES_REGRESSION
        },
        "residuals": {"predicted": as_floats(pred[shown]), "residual": as_floats(residual[shown])},
        "residual_histogram": residual_histogram(residual),
        "max_error": {
            "value": point["max_error"],
            "row": worst,
            "actual": float(y[worst]),
            "predicted": float(pred[worst]),
        },
        "bootstrap": job.summary(),
        "notes": job.notes,
    }
