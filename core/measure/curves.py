"""Display data for a classifier: ROC and precision-recall curves thinned to a few hundred
points, the calibration curve, and the operating point at the decision threshold."""

from __future__ import annotations

from typing import Any

import numpy as np

from baton.core.measure.labels import (
    as_floats,
    safe_div,
)
from baton.core.measure.resampling import (
    Ranked,
)


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


def roc_curve(ranked: Ranked) -> dict[str, list[Any]] | None:
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
    return {"fpr": as_floats(fpr[keep]), "tpr": as_floats(tpr[keep]), "thresholds": as_floats(thr)}


def pr_curve(ranked: Ranked) -> dict[str, list[Any]] | None:
    tp, fp = ranked.above()
    total_pos = ranked.total_pos
    if total_pos == 0:
        return None
    precision = np.concatenate((safe_div(tp, tp + fp), [1.0]))
    recall = np.concatenate((tp / total_pos, [0.0]))
    keep = _thin(recall, precision, CURVE_POINTS)
    return {
        "precision": as_floats(precision[keep]),
        "recall": as_floats(recall[keep]),
        "thresholds": as_floats(ranked.values[keep[:-1]]),
    }


def calibration_curve(score: np.ndarray, positive: np.ndarray) -> dict[str, list[Any]]:
    edges = np.linspace(0.0, 1.0, CALIBRATION_BINS + 1)
    bins = np.searchsorted(edges[1:-1], score)
    count = np.bincount(bins, minlength=CALIBRATION_BINS)
    total = np.bincount(bins, weights=score, minlength=CALIBRATION_BINS)
    hits = np.bincount(bins, weights=positive, minlength=CALIBRATION_BINS)
    used = count > 0
    return {
        "mean_predicted": as_floats(total[used] / count[used]),
        "fraction_positive": as_floats(hits[used] / count[used]),
        "count": count[used].tolist(),
    }


def operating_point(ranked: Ranked) -> dict[str, Any]:
    """Rates when rows scoring at least ``OPERATING_THRESHOLD`` are called positive."""
    g = int(np.searchsorted(ranked.values, OPERATING_THRESHOLD, side="left"))
    total_pos, total_neg = int(ranked.total_pos), int(ranked.total_neg)
    tp = total_pos - (int(ranked.pos_start[g]) if g < len(ranked.values) else total_pos)
    fp = total_neg - (int(ranked.neg_start[g]) if g < len(ranked.values) else total_neg)
    tpr = float(safe_div(tp, total_pos))
    return {
        "threshold": OPERATING_THRESHOLD,
        "fpr": float(safe_div(fp, total_neg)),
        "tpr": tpr,
        "precision": float(safe_div(tp, tp + fp)),
        "recall": tpr,
    }


CURVE_POINTS = 500
CALIBRATION_BINS = 10
OPERATING_THRESHOLD = 0.5
