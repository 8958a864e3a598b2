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
seeded sample of at most ``RESIDUAL_POINTS`` rows that always includes the worst row.
The confusion matrix has true classes as rows and predicted classes as columns.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from baton.core.errors import DatasetError, UsageError
from baton.core.progress import NEVER_CANCELLED, CancelToken, ProgressFn, no_progress

METRIC_NAMES_CLASSIFICATION: tuple[str, ...] = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "specificity",
    "f1",
    "f1_macro",
    "f1_weighted",
    "roc_auc",
    "pr_auc",
    "log_loss",
    "mcc",
)
METRIC_NAMES_REGRESSION: tuple[str, ...] = ("mae", "rmse", "r2", "mape", "max_error")
PROBLEM_TYPES: tuple[str, ...] = ("binary", "multiclass", "regression")

BOOTSTRAP_LEVEL = 0.95
MAX_BOOTSTRAP_ROWS = 50_000
CURVE_POINTS = 500
RESIDUAL_POINTS = 5_000
CALIBRATION_BINS = 10
OPERATING_THRESHOLD = 0.5

# Elements per block of bootstrap work: large enough for numpy to be efficient, small
# enough to stay in a few tens of MB and to report progress often.
_BLOCK_ELEMENTS = 1 << 21
# Integer labels whose span (max - min + 1) is at most this are counted directly.
_MAX_DIRECT_SPAN = 1024
# Probabilities may stray this far outside [0, 1] (float32 rounding) and are clipped.
_PROBA_SLACK = 1e-6
_EPS = float(np.finfo(np.float64).eps)

_BOUNDS: dict[str, tuple[float, float]] = {
    "mcc": (-1.0, 1.0),
    "log_loss": (0.0, math.inf),
    "mae": (0.0, math.inf),
    "rmse": (0.0, math.inf),
    "mape": (0.0, math.inf),
    "r2": (-math.inf, 1.0),
}  # every other metric lies in [0, 1]


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
    job = _Job(int(bootstrap), int(seed), progress or no_progress, cancel or NEVER_CANCELLED)

    yt, yp = _label_pair(y_true, y_pred)
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
    yt, yp = _label_pair(y_true, y_pred)
    labels, matrix, _ = _encode(yt, yp, classes, need_index=False)
    return labels, matrix


def confusion_metrics(matrix: Any, problem_type: str) -> dict[str, float]:
    """Every confusion-derived metric of a k x k count matrix (rows true, columns predicted)."""
    c = np.asarray(matrix)
    if c.ndim != 2 or c.shape[0] != c.shape[1] or c.shape[0] < 2:
        raise UsageError(f"a confusion matrix must be square with 2 or more classes, not {c.shape}")
    values = _confusion_scores(np.diagonal(c), c.sum(1), c.sum(0), problem_type == "binary")
    return {name: float(v) for name, v in values.items()}


def roc_auc(positive: Any, score: Any) -> float | None:
    """Area under the ROC curve of ``score`` for the boolean mask ``positive``.

    Equals ``sklearn.metrics.roc_auc_score(positive, score)``; ``None`` when one of the
    two groups is empty.
    """
    return _rank(np.asarray(score, dtype=np.float64), np.asarray(positive, dtype=bool)).auc()


# --------------------------------------------------------------------------- plumbing


class _Job:
    """Bootstrap settings, random streams and the progress / cancel pair of one call."""

    def __init__(self, resamples: int, seed: int, progress: ProgressFn, cancel: CancelToken):
        self.resamples = resamples
        self.seed = seed
        self.progress = progress
        self.cancel = cancel
        cells, rows, display = np.random.SeedSequence(seed).spawn(3)
        self.cells_rng = np.random.Generator(np.random.PCG64(cells))
        self.rows_rng = np.random.Generator(np.random.PCG64(rows))
        self.display_rng = np.random.Generator(np.random.PCG64(display))
        self.notes: list[str] = []
        self.subsample_rows: int | None = None
        self._done = 0
        self._total = 0

    def plan(self, phases: int) -> None:
        self._total = self.resamples * phases
        self.progress(0, self._total or None, "Computing metrics")
        self.cancel.check()

    def advance(self, resamples: int) -> None:
        self._done += resamples
        self.progress(self._done, self._total, "Bootstrapping confidence intervals")
        self.cancel.check()

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "resamples": self.resamples,
            "seed": self.seed,
            "method": "percentile",
            "level": BOOTSTRAP_LEVEL,
        }
        if self.subsample_rows is not None:
            out["subsample_rows"] = self.subsample_rows
        return out


def _one_column(values: Any, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DatasetError(f"{what} must be one column, but have shape {arr.shape}")
    return arr


def _label_pair(y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    yt = _one_column(y_true, "the labels")
    yp = _one_column(y_pred, "the predictions")
    if len(yp) != len(yt):
        raise DatasetError(f"predictions have {len(yp)} rows but the labels have {len(yt)}")
    if len(yt) == 0:
        raise DatasetError("there is nothing to evaluate: the labels have no rows")
    return yt, yp


def _quote(values: Sequence[Any], limit: int = 5) -> str:
    shown = ", ".join(repr(_plain(v)) for v in values[:limit])
    return shown if len(values) <= limit else f"{shown} and {len(values) - limit} more"


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _plain(v: Any) -> Any:
    """A JSON-friendly Python scalar: numpy scalars unwrapped, NaN and inf as None."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _floats(a: np.ndarray) -> list[float | None]:
    out = np.asarray(a, dtype=np.float64)
    if np.isfinite(out).all():
        return out.tolist()
    return [x if math.isfinite(x) else None for x in out.tolist()]


def _div(num: np.ndarray | int, den: np.ndarray | int) -> np.ndarray:
    """``num / den`` with 0 where ``den`` is 0 (scikit-learn's default zero_division)."""
    num, den = np.broadcast_arrays(np.asarray(num, dtype=np.float64), np.asarray(den))
    return np.divide(num, den, out=np.zeros(num.shape), where=den != 0)


def _metric(value: Any, ci: tuple[float | None, float | None] = (None, None)) -> dict[str, Any]:
    return {"value": _plain(value), "ci_low": ci[0], "ci_high": ci[1]}


def _blocks(total: int, per_block: int) -> Iterator[int]:
    done = 0
    while done < total:
        size = min(per_block, total - done)
        yield size
        done += size


# --------------------------------------------------------------------------- labels


def _encode(
    yt: np.ndarray, yp: np.ndarray, classes: Any, need_index: bool
) -> tuple[list[Any], np.ndarray, np.ndarray | None]:
    """Map labels to class indices and count the k x k confusion matrix in one pass.

    Returns ``(classes, matrix, true_index)``; ``true_index`` only when ``need_index``.
    """
    given = None
    if classes is not None:
        given = np.asarray(classes)
        if given.ndim != 1 or len(given) == 0:
            raise UsageError("classes must be a non-empty list of class labels")
        if len(set(given.tolist())) != len(given):
            raise UsageError(f"classes must be distinct, not {_quote(given.tolist())}")
    direct = _encode_small_ints(yt, yp, given, need_index)
    if direct is not None:
        return direct
    return _encode_general(yt, yp, given, need_index)


def _check_known(
    true_values: Sequence[Any], pred_values: Sequence[Any], known: set[Any], given: bool
) -> None:
    unknown_pred = [v for v in pred_values if v not in known]
    if unknown_pred:
        where = "among the model's classes" if given else "in the test labels"
        raise DatasetError(f"predictions contain classes not {where}: {_quote(unknown_pred)}")
    unknown_true = [v for v in true_values if v not in known]
    if unknown_true:
        raise DatasetError(
            f"the test labels contain classes not among the model's classes: {_quote(unknown_true)}"
        )


def _encode_small_ints(
    yt: np.ndarray, yp: np.ndarray, given: np.ndarray | None, need_index: bool
) -> tuple[list[Any], np.ndarray, np.ndarray | None] | None:
    """Integer labels in a short span: count over the span and read classes off its margins."""
    if yt.dtype.kind not in "iu" or yp.dtype.kind not in "iu":
        return None
    if given is not None and given.dtype.kind not in "iu":
        return None
    ends = [int(yt.min()), int(yt.max()), int(yp.min()), int(yp.max())]
    if given is not None:
        ends += [int(given.min()), int(given.max())]
    lo, hi = min(ends), max(ends)
    span = hi - lo + 1
    if span > _MAX_DIRECT_SPAN or span * span > max(1 << 16, 4 * len(yt)) or abs(lo) > 1 << 52:
        return None
    codes = np.multiply(yt, span, dtype=np.intp, casting="unsafe")
    np.add(codes, yp, out=codes, casting="unsafe")
    if lo:
        codes -= lo * (span + 1)
    joint = np.bincount(codes, minlength=span * span).reshape(span, span)
    del codes
    true_seen = (lo + np.flatnonzero(joint.sum(1))).tolist()
    pred_seen = (lo + np.flatnonzero(joint.sum(0))).tolist()
    values = true_seen if given is None else [int(v) for v in given.tolist()]
    _check_known(true_seen, pred_seen, set(values), given is not None)
    at = np.asarray(values, dtype=np.intp) - lo
    matrix = joint[np.ix_(at, at)]
    index = None
    if need_index:
        lookup = np.full(span, -1, dtype=np.intp)
        lookup[at] = np.arange(len(at))
        index = lookup[np.subtract(yt, lo, dtype=np.intp, casting="unsafe") if lo else yt]
    return values, matrix, index


def _factorize(values: np.ndarray, what: str) -> tuple[np.ndarray, list[Any]]:
    import pandas as pd  # hash-based: O(n) where np.unique would sort the rows

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    missing = int(np.count_nonzero(codes < 0))
    if missing:
        raise DatasetError(f"{what} contain missing values in {_rows(missing)}")
    return codes, [_plain(v) for v in np.asarray(uniques).tolist()]


def _encode_general(
    yt: np.ndarray, yp: np.ndarray, given: np.ndarray | None, need_index: bool
) -> tuple[list[Any], np.ndarray, np.ndarray | None]:
    true_codes, true_uniques = _factorize(yt, "the labels")
    pred_codes, pred_uniques = _factorize(yp, "the predictions")
    if given is None:
        try:
            values = sorted(true_uniques)
        except TypeError:
            raise DatasetError(f"the labels mix numbers and text: {_quote(true_uniques)}") from None
    else:
        values = [_plain(v) for v in given.tolist()]
    position = {v: i for i, v in enumerate(values)}
    _check_known(true_uniques, pred_uniques, set(position), given is not None)
    k = len(values)
    true_index = np.array([position[v] for v in true_uniques], dtype=np.intp)[true_codes]
    pred_index = np.array([position[v] for v in pred_uniques], dtype=np.intp)[pred_codes]
    flat = true_index * k
    flat += pred_index
    matrix = np.bincount(flat, minlength=k * k).reshape(k, k)
    return values, matrix, (true_index if need_index else None)


# --------------------------------------------------------------------------- confusion family


def _per_class_rates(
    tp: np.ndarray, true_sum: np.ndarray, pred_sum: np.ndarray
) -> dict[str, np.ndarray]:
    """Precision, recall, f1 and specificity of each class (last axis), 0 when undefined."""
    negatives = true_sum.sum(-1, keepdims=True) - true_sum
    return {
        "precision": _div(tp, pred_sum),
        "recall": _div(tp, true_sum),
        "f1": _div(2 * tp, true_sum + pred_sum),
        "specificity": _div(negatives - (pred_sum - tp), negatives),
    }


def _confusion_scores(
    tp: np.ndarray, true_sum: np.ndarray, pred_sum: np.ndarray, binary: bool
) -> dict[str, np.ndarray]:
    """Confusion metrics from per-class counts with shape (..., k); broadcast over resamples.

    Counts are taken as floats, as scikit-learn does for the Matthews correlation (whose
    products of squared row counts overflow 64-bit integers beyond ~55 000 rows).
    """
    tp, true_sum, pred_sum = (np.asarray(a, dtype=np.float64) for a in (tp, true_sum, pred_sum))
    n = true_sum.sum(-1)
    precision, recall, f1, specificity = _per_class_rates(tp, true_sum, pred_sum).values()

    present = (true_sum > 0) | (pred_sum > 0)
    n_present = present.sum(-1)

    def macro(x: np.ndarray) -> np.ndarray:
        return (x * present).sum(-1) / n_present

    in_labels = true_sum > 0
    correct = tp.sum(-1)
    out = {
        "accuracy": correct / n,
        "balanced_accuracy": (recall * in_labels).sum(-1) / in_labels.sum(-1),
        "f1_macro": macro(f1),
        "f1_weighted": (f1 * true_sum).sum(-1) / n,
    }
    if binary:
        out.update(precision=precision[..., 1], recall=recall[..., 1], f1=f1[..., 1])
        out["specificity"] = recall[..., 0]
    else:
        out.update(precision=macro(precision), recall=macro(recall), f1=out["f1_macro"])
        out["specificity"] = macro(specificity)
    # Matthews correlation in scikit-learn's covariance form (k classes).
    cov_tp = correct * n - (true_sum * pred_sum).sum(-1)
    cov_pp = n * n - (pred_sum * pred_sum).sum(-1)
    cov_tt = n * n - (true_sum * true_sum).sum(-1)
    denom = np.asarray(cov_pp * cov_tt)
    out["mcc"] = np.divide(cov_tp, np.sqrt(denom), out=np.zeros(denom.shape), where=denom != 0)
    return out


def _per_class_sums(at: np.ndarray, draws: np.ndarray, k: int) -> np.ndarray:
    """Sum each resample's cell counts ``draws`` (resamples, cells) into classes ``at``."""
    size = len(draws)
    flat = (at[None, :] + (np.arange(size) * k)[:, None]).ravel()
    return np.bincount(flat, draws.ravel(), minlength=size * k).reshape(size, k)


def _bootstrap_confusion(matrix: np.ndarray, binary: bool, job: _Job) -> dict[str, np.ndarray]:
    """B resampled values of every confusion metric: multinomial draws over the cells."""
    k = matrix.shape[0]
    rows, cols = np.nonzero(matrix)
    n = int(matrix.sum())
    p = matrix[rows, cols] / n
    diagonal = rows == cols
    parts: list[dict[str, np.ndarray]] = []
    for size in _blocks(job.resamples, max(1, _BLOCK_ELEMENTS // max(len(rows), k))):
        draws = job.cells_rng.multinomial(n, p, size=size).astype(np.float64)
        tp = _per_class_sums(rows[diagonal], draws[:, diagonal], k)
        true_sum = _per_class_sums(rows, draws, k)
        pred_sum = _per_class_sums(cols, draws, k)
        parts.append(_confusion_scores(tp, true_sum, pred_sum, binary))
        job.advance(size)
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


# --------------------------------------------------------------------------- ranking


class _Ranked(NamedTuple):
    """Runs of equal scores in ascending order, with the class counts around each run.

    For run g, ``pos_start[g]`` counts the positive rows scoring below ``values[g]`` and
    ``pos_end[g]`` those scoring up to it; ``neg_*`` likewise. Counts are int64, so the
    Mann-Whitney sum is exact.
    """

    values: np.ndarray
    pos_start: np.ndarray
    pos_end: np.ndarray
    neg_start: np.ndarray
    neg_end: np.ndarray
    total_pos: int
    total_neg: int

    def auc(self) -> float | None:
        """Mann-Whitney AUC: for each positive, negatives below it plus half the ties."""
        if self.total_pos == 0 or self.total_neg == 0:
            return None
        twice = ((self.pos_end - self.pos_start) * (self.neg_start + self.neg_end)).sum()
        return float(twice / (2 * self.total_pos * self.total_neg))

    def average_precision(self) -> float | None:
        """Recall-weighted precision over the distinct thresholds (scikit-learn's AP)."""
        if self.total_pos == 0:
            return None
        tp, fp = self.above()
        # A run holding positives has tp >= 1; the floor of 1 only touches runs without.
        area = ((self.pos_end - self.pos_start) * tp / np.maximum(tp + fp, 1)).sum()
        return float(area / self.total_pos)

    def above(self) -> tuple[np.ndarray, np.ndarray]:
        """True and false positives when the threshold is each run's score (score >= it)."""
        return self.total_pos - self.pos_start, self.total_neg - self.neg_start


def _runs(sorted_scores: np.ndarray) -> np.ndarray:
    """Start of each run of equal values, then the length."""
    change = np.flatnonzero(sorted_scores[1:] != sorted_scores[:-1]) + 1
    return np.concatenate(([0], change, [len(sorted_scores)]))


def _rank(score: np.ndarray, positive: np.ndarray) -> _Ranked:
    """Sort each class's scores on its own and merge: cheaper than an argsort of all rows."""
    if len(score) != len(positive):
        raise DatasetError(f"there are {len(score)} scores but {len(positive)} labels")
    if len(score) == 0:
        raise DatasetError("there is nothing to rank: no rows")
    if not np.isfinite(score).all():
        raise DatasetError("the scores contain NaN or infinite values")
    neg = np.sort(score[~positive])
    merged = np.concatenate((neg, np.sort(score[positive])))
    order = np.argsort(merged, kind="stable")  # two sorted runs: a linear merge
    cum_pos = np.zeros(len(merged) + 1, dtype=np.int64)
    np.cumsum(order >= len(neg), out=cum_pos[1:])
    del order
    merged.sort(kind="stable")
    bounds = _runs(merged)
    pos = cum_pos[bounds]
    del cum_pos
    neg_cum = bounds - pos
    return _Ranked(
        merged[bounds[:-1]],
        pos[:-1],
        pos[1:],
        neg_cum[:-1],
        neg_cum[1:],
        int(pos[-1]),
        int(neg_cum[-1]),
    )


class _Resampled(NamedTuple):
    """AUC and AP of one score column under a block of row resamples."""

    auc: np.ndarray
    average_precision: np.ndarray


def _rank_weighted(score: np.ndarray, positive: np.ndarray) -> Callable[[np.ndarray], _Resampled]:
    """Sort a (small) subsample once; return AUC and AP as functions of row counts.

    The returned function takes int32 counts of shape (resamples, rows). It evaluates the
    same sums as :class:`_Ranked`, restricted to the runs of equal scores that hold a
    positive row (the others add nothing), with prefix sums taken over the positive and
    the negative rows separately.
    """
    order = np.argsort(score, kind="stable")
    is_pos = positive[order]
    bounds = _runs(score[order])
    pos_before = np.concatenate(([0], np.cumsum(is_pos)))[bounds]
    neg_before = bounds - pos_before
    keep = np.flatnonzero(np.diff(pos_before) > 0)
    at = {
        "pos_start": pos_before[keep],
        "pos_end": pos_before[keep + 1],
        "neg_start": neg_before[keep],
        "neg_end": neg_before[keep + 1],
    }
    pos_rows, neg_rows = order[is_pos], order[~is_pos]

    def prefix(counts: np.ndarray, rows: np.ndarray) -> np.ndarray:
        out = np.zeros((len(counts), len(rows) + 1), dtype=np.int32)
        np.cumsum(np.take(counts, rows, axis=1), axis=1, out=out[:, 1:])
        return out

    def resampled(counts: np.ndarray) -> _Resampled:
        pos, neg = prefix(counts, pos_rows), prefix(counts, neg_rows)
        total_pos = pos[:, -1].astype(np.float64)
        total_neg = neg[:, -1].astype(np.float64)
        pos_start = np.take(pos, at["pos_start"], axis=1)
        pos_in = (np.take(pos, at["pos_end"], axis=1) - pos_start).astype(np.float64)
        neg_start = np.take(neg, at["neg_start"], axis=1)
        neg_sum = (neg_start + np.take(neg, at["neg_end"], axis=1)).astype(np.float64)
        del pos, neg
        twice = np.einsum("ij,ij->i", pos_in, neg_sum)
        auc = np.divide(
            twice,
            2 * total_pos * total_neg,
            out=np.full(len(counts), np.nan),
            where=(total_pos > 0) & (total_neg > 0),
        )
        tp = total_pos[:, None] - pos_start
        above = np.maximum(tp + (total_neg[:, None] - neg_start), 1.0)
        area = np.einsum("ij,ij->i", pos_in, tp / above)
        ap = np.divide(area, total_pos, out=np.full(len(counts), np.nan), where=total_pos > 0)
        return _Resampled(auc, ap)

    return resampled


class _RowResampler:
    """Per-row metrics (AUC, AP, log loss, regression) over bootstrap row resamples."""

    def __init__(self, n: int, job: _Job) -> None:
        self.n = n
        self.job = job
        self.m = min(n, MAX_BOOTSTRAP_ROWS)
        self.scale = math.sqrt(self.m / n)
        if self.m < n:
            self.rows: np.ndarray | None = np.sort(job.rows_rng.choice(n, self.m, replace=False))
            job.subsample_rows = self.m
        else:
            self.rows = None

    def take(self, a: np.ndarray) -> np.ndarray:
        return a if self.rows is None else a[self.rows]

    def run(
        self, metric_fn: Callable[[np.ndarray], dict[str, np.ndarray]], names: Sequence[str]
    ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """Return (resampled values, subsample values) of ``metric_fn(counts)``.

        ``counts`` (int32, shape (resamples, m)) says how often each subsample row was drawn.
        """
        m, job = self.m, self.job
        own = {k: float(v[0]) for k, v in metric_fn(np.ones((1, m), dtype=np.int32)).items()}
        parts: list[dict[str, np.ndarray]] = []
        for size in _blocks(job.resamples, max(1, _BLOCK_ELEMENTS // m)):
            draws = job.rows_rng.integers(0, m, size=(size, m))
            draws += (np.arange(size) * m)[:, None]
            counts = np.bincount(draws.ravel(), minlength=size * m).reshape(size, m)
            del draws
            parts.append(metric_fn(counts.astype(np.int32)))
            job.advance(size)
        if self.rows is not None:
            job.notes.append(
                f"intervals of {', '.join(names)} come from resamples of a random {m}-row "
                f"subsample, their spread scaled by sqrt({m}/{self.n}) (m-out-of-n bootstrap)"
            )
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}, own


# --------------------------------------------------------------------------- intervals


def _intervals(
    names: Sequence[str],
    point: dict[str, Any],
    boot: dict[str, np.ndarray],
    job: _Job,
    *,
    own: dict[str, float] | None = None,
    scale: float = 1.0,
) -> dict[str, tuple[float | None, float | None]]:
    """Percentile intervals; with a subsample, its spread is rescaled around ``point``."""
    tail = 50.0 * (1.0 - BOOTSTRAP_LEVEL)
    out: dict[str, tuple[float | None, float | None]] = {}
    for name in names:
        value = point.get(name)
        values = boot.get(name)
        if value is None or values is None:
            out[name] = (None, None)
            continue
        ok = np.isfinite(values)
        kept = int(ok.sum())
        if kept == 0:
            out[name] = (None, None)
            continue
        if kept < len(values):
            job.notes.append(
                f"{name}: {len(values) - kept} of {len(values)} resamples left out of the "
                "interval because the metric was undefined in them"
            )
        low, high = np.percentile(values[ok], [tail, 100.0 - tail])
        if own is not None and scale != 1.0:
            low = value + scale * (low - own[name])
            high = value + scale * (high - own[name])
        lo_bound, hi_bound = _BOUNDS.get(name, (0.0, 1.0))
        out[name] = (
            float(min(max(low, lo_bound), hi_bound)),
            float(min(max(high, lo_bound), hi_bound)),
        )
    return out


# --------------------------------------------------------------------------- display data


def _thin(x: np.ndarray, y: np.ndarray, limit: int) -> np.ndarray:
    """Indices of at most ``limit`` points by largest-triangle-three-buckets (ends kept)."""
    n = len(x)
    if n <= limit:
        return np.arange(n)
    edges = np.floor(np.arange(limit - 1) * ((n - 2) / (limit - 2))).astype(np.intp) + 1
    edges[-1] = n - 1
    cx = np.concatenate(([0.0], np.cumsum(x)))
    cy = np.concatenate(([0.0], np.cumsum(y)))
    keep = np.empty(limit, dtype=np.intp)
    keep[0], keep[-1] = 0, n - 1
    a = 0
    for i in range(limit - 2):
        lo, hi = edges[i], edges[i + 1]
        nlo, nhi = hi, (edges[i + 2] if i + 2 < len(edges) else n)
        ax, ay = x[a], y[a]
        mx = (cx[nhi] - cx[nlo]) / (nhi - nlo)
        my = (cy[nhi] - cy[nlo]) / (nhi - nlo)
        area = np.abs((ax - mx) * (y[lo:hi] - ay) - (ax - x[lo:hi]) * (my - ay))
        a = lo + int(np.argmax(area))
        keep[i + 1] = a
    return keep


def _roc_curve(ranked: _Ranked) -> dict[str, list[Any]] | None:
    tp, fp = ranked.above()
    tp, fp, thresholds = tp[::-1], fp[::-1], ranked.values[::-1]
    total_pos, total_neg = ranked.total_pos, ranked.total_neg
    if total_pos == 0 or total_neg == 0:
        return None
    if len(tp) > 2:  # scikit-learn's drop_intermediate: keep the corners only
        corner = np.flatnonzero(
            np.concatenate(([True], (np.diff(fp, 2) != 0) | (np.diff(tp, 2) != 0), [True]))
        )
        tp, fp, thresholds = tp[corner], fp[corner], thresholds[corner]
    fpr = np.concatenate(([0.0], fp / total_neg))
    tpr = np.concatenate(([0.0], tp / total_pos))
    keep = _thin(fpr, tpr, CURVE_POINTS)
    thr = np.concatenate(([np.inf], thresholds))[keep]
    return {"fpr": _floats(fpr[keep]), "tpr": _floats(tpr[keep]), "thresholds": _floats(thr)}


def _pr_curve(ranked: _Ranked) -> dict[str, list[Any]] | None:
    tp, fp = ranked.above()
    total_pos = ranked.total_pos
    if total_pos == 0:
        return None
    precision = np.concatenate((_div(tp, tp + fp), [1.0]))
    recall = np.concatenate((tp / total_pos, [0.0]))
    keep = _thin(recall, precision, CURVE_POINTS)
    return {
        "precision": _floats(precision[keep]),
        "recall": _floats(recall[keep]),
        "thresholds": _floats(ranked.values[keep[:-1]]),
    }


def _calibration(score: np.ndarray, positive: np.ndarray) -> dict[str, list[Any]]:
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    bins = np.searchsorted(edges[1:-1], score)
    count = np.bincount(bins, minlength=CALIBRATION_BINS)
    total = np.bincount(bins, weights=score, minlength=CALIBRATION_BINS)
    hits = np.bincount(bins, weights=positive, minlength=CALIBRATION_BINS)
    used = count > 0
    return {
        "mean_predicted": _floats(total[used] / count[used]),
        "fraction_positive": _floats(hits[used] / count[used]),
        "count": count[used].tolist(),
    }


def _operating_point(ranked: _Ranked) -> dict[str, Any]:
    """Rates when rows scoring at least ``OPERATING_THRESHOLD`` are called positive."""
    g = int(np.searchsorted(ranked.values, OPERATING_THRESHOLD, side="left"))
    total_pos, total_neg = int(ranked.total_pos), int(ranked.total_neg)
    tp = total_pos - (int(ranked.pos_start[g]) if g < len(ranked.values) else total_pos)
    fp = total_neg - (int(ranked.neg_start[g]) if g < len(ranked.values) else total_neg)
    tpr = float(_div(tp, total_pos))
    return {
        "threshold": OPERATING_THRESHOLD,
        "fpr": float(_div(fp, total_neg)),
        "tpr": tpr,
        "precision": float(_div(tp, tp + fp)),
        "recall": tpr,
    }


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
    job: _Job,
) -> dict[str, Any]:
    binary = problem_type == "binary"
    labels, matrix, true_index = _encode(yt, yp, classes, need_index=proba is not None)
    n, k = len(yt), len(labels)
    if binary and k != 2:
        hint = "" if classes is not None else "; give the model's classes"
        raise DatasetError(
            f"a binary problem needs exactly 2 classes, but there are {k}: {_quote(labels)}{hint}"
        )
    if k < 2:
        raise DatasetError(
            f"a multiclass problem needs 2 or more classes, but there is 1: {_quote(labels)}; "
            "give the model's classes"
        )
    p = None if proba is None else _probabilities(proba, n, k, binary)
    job.plan(1 if p is None else 2)

    true_sum, pred_sum, tp = matrix.sum(1), matrix.sum(0), np.diagonal(matrix)
    point: dict[str, Any] = {
        name: float(v) for name, v in _confusion_scores(tp, true_sum, pred_sum, binary).items()
    }
    boot: dict[str, np.ndarray] = {}
    if job.resamples:
        boot = _bootstrap_confusion(matrix, binary, job)
    ci = _intervals(list(point), point, boot, job)

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
        name: _metric(point[name], ci.get(name, (None, None)))
        for name in METRIC_NAMES_CLASSIFICATION
    }
    result["confusion_matrix"] = {"labels": labels, "matrix": matrix.tolist()}
    rates = _per_class_rates(tp, true_sum, pred_sum)
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
    job: _Job,
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
        ranked = _rank(p[:, c], positive)
        aucs.append(ranked.auc())
        aps.append(ranked.average_precision())
        roc, pr = _roc_curve(ranked), _pr_curve(ranked)
        if binary:
            curves["roc"], curves["pr"] = roc, pr
            curves["calibration"] = _calibration(p[:, 1], positive)
            operating = _operating_point(ranked)
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
                f"which fails for {_quote(undefined)}"
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
    job: _Job,
) -> dict[str, tuple[float | None, float | None]]:
    names = ("roc_auc", "pr_auc", "log_loss")
    rows = _RowResampler(len(true_index), job)
    sub_true = rows.take(true_index)
    sub_loss = rows.take(loss)
    rankers = [_rank_weighted(rows.take(p[:, c]), sub_true == c) for c in columns]

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
    return _intervals(names, point, boot, job, own=own, scale=rows.scale)


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
        raise DatasetError(f"{what} contain missing or infinite values in {_rows(bad)}")
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


def _evaluate_regression(yt: np.ndarray, yp: np.ndarray, job: _Job) -> dict[str, Any]:
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
        rows = _RowResampler(n, job)
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
        ci = _intervals(names, point, boot, job, own=own, scale=rows.scale)
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
            name: _metric(point[name], ci.get(name, (None, None)))
            for name in METRIC_NAMES_REGRESSION
        },
        "residuals": {"predicted": _floats(pred[shown]), "residual": _floats(residual[shown])},
        "max_error": {
            "value": point["max_error"],
            "row": worst,
            "actual": float(y[worst]),
            "predicted": float(pred[worst]),
        },
        "bootstrap": job.summary(),
        "notes": job.notes,
    }
