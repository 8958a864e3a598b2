"""The exact counts behind the metrics and their bootstrap: confusion scores from the k x k
counts and their multinomial resamples, tie-aware ranks for ROC AUC, row resamples in
vectorised blocks, and percentile intervals (see :mod:`baton.core.measure.metrics`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from baton.core.errors import DatasetError
from baton.core.measure.labels import (
    block_sizes,
    safe_div,
)
from baton.core.progress import CancelToken, ProgressFn


class BootstrapJob:
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


def per_class_rates(
    tp: np.ndarray, true_sum: np.ndarray, pred_sum: np.ndarray
) -> dict[str, np.ndarray]:
    """Precision, recall, f1 and specificity of each class (last axis), 0 when undefined."""
    negatives = true_sum.sum(-1, keepdims=True) - true_sum
    return {
        "precision": safe_div(tp, pred_sum),
        "recall": safe_div(tp, true_sum),
        "f1": safe_div(2 * tp, true_sum + pred_sum),
        "specificity": safe_div(negatives - (pred_sum - tp), negatives),
    }


def confusion_scores(
    tp: np.ndarray, true_sum: np.ndarray, pred_sum: np.ndarray, binary: bool
) -> dict[str, np.ndarray]:
    """Confusion metrics from per-class counts with shape (..., k); broadcast over resamples.

    Counts are taken as floats, as scikit-learn does for the Matthews correlation (whose
    products of squared row counts overflow 64-bit integers beyond ~55 000 rows).
    """
    tp, true_sum, pred_sum = (np.asarray(a, dtype=np.float64) for a in (tp, true_sum, pred_sum))
    n = true_sum.sum(-1)
    precision, recall, f1, specificity = per_class_rates(tp, true_sum, pred_sum).values()

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


def bootstrap_confusion(
    matrix: np.ndarray, binary: bool, job: BootstrapJob
) -> dict[str, np.ndarray]:
    """B resampled values of every confusion metric: multinomial draws over the cells."""
    k = matrix.shape[0]
    rows, cols = np.nonzero(matrix)
    n = int(matrix.sum())
    p = matrix[rows, cols] / n
    diagonal = rows == cols
    parts: list[dict[str, np.ndarray]] = []
    for size in block_sizes(job.resamples, max(1, _BLOCK_ELEMENTS // max(len(rows), k))):
        draws = job.cells_rng.multinomial(n, p, size=size).astype(np.float64)
        tp = _per_class_sums(rows[diagonal], draws[:, diagonal], k)
        true_sum = _per_class_sums(rows, draws, k)
        pred_sum = _per_class_sums(cols, draws, k)
        parts.append(confusion_scores(tp, true_sum, pred_sum, binary))
        job.advance(size)
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


class Ranked(NamedTuple):
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


def rank_scores(score: np.ndarray, positive: np.ndarray) -> Ranked:
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
    return Ranked(
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


def rank_scores_weighted(
    score: np.ndarray, positive: np.ndarray
) -> Callable[[np.ndarray], _Resampled]:
    """Sort a (small) subsample once; return AUC and AP as functions of row counts.

    The returned function takes int32 counts of shape (resamples, rows). It evaluates the
    same sums as :class:`Ranked`, restricted to the runs of equal scores that hold a
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


class RowResampler:
    """Per-row metrics (AUC, AP, log loss, regression) over bootstrap row resamples."""

    def __init__(self, n: int, job: BootstrapJob) -> None:
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
        for size in block_sizes(job.resamples, max(1, _BLOCK_ELEMENTS // m)):
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


def percentile_intervals(
    names: Sequence[str],
    point: dict[str, Any],
    boot: dict[str, np.ndarray],
    job: BootstrapJob,
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


BOOTSTRAP_LEVEL = 0.95
MAX_BOOTSTRAP_ROWS = 50_000


# Elements per block of bootstrap work: large enough for numpy to be efficient, small
# enough to stay in a few tens of MB and to report progress often.
_BLOCK_ELEMENTS = 1 << 21


_BOUNDS: dict[str, tuple[float, float]] = {
    "mcc": (-1.0, 1.0),
    "log_loss": (0.0, math.inf),
    "mae": (0.0, math.inf),
    "rmse": (0.0, math.inf),
    "mape": (0.0, math.inf),
    "r2": (-math.inf, 1.0),
}  # every other metric lies in [0, 1]
