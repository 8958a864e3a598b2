"""Benchmark of the quality metrics (DESIGN.md section 7).

    python tests/bench/metrics.py [--quick]

(a) Accuracy + F1 + confusion matrix on 10 M rows (1 M with --quick), for a binary and a
    5-class problem with int64 labels. Ours is ``evaluate_predictions(..., bootstrap=0)``,
    which returns those three and every other confusion-derived metric and per-class row.
    References in the same run: scikit-learn (``accuracy_score`` + ``f1_score`` +
    ``confusion_matrix``) and the numpy floor ``np.bincount(y_true * k + y_pred)`` on the
    same arrays. Goals: >= 10x faster than scikit-learn, <= 2x the floor, equal values.
(b) ROC AUC on the same number of rows, binary, float32-rounded scores (so with ties, as
    an ONNX model gives them): ``roc_auc`` against ``sklearn.metrics.roc_auc_score``.
    Goals: faster, equal to 1e-12.

Rounds are interleaved (ours, floor, reference) and each figure is a median over rounds,
all measured in this one run; the last line is one SUMMARY with PASS or MISS per goal.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time

import numpy as np
import sklearn
from sklearn import metrics as skm

from baton.core.measure.metrics import evaluate_predictions, roc_auc

SPEEDUP_GOAL = 10.0
FLOOR_GOAL = 2.0
AUC_TOLERANCE = 1e-12


def timed(fn) -> tuple[float, object]:
    gc.collect()
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def median_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1e3


def make_labels(n: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Labels with unequal class sizes and a classifier that is right about 80 % of the time."""
    weights = np.arange(1, k + 1, dtype=np.float64)
    y_true = rng.choice(k, size=n, p=weights / weights.sum())
    wrong = rng.random(n) < 0.2
    y_pred = np.where(wrong, rng.integers(0, k, n), y_true)
    return y_true, y_pred


def bench_confusion(n: int, k: int, rounds: int, sk_rounds: int, rng: np.random.Generator):
    name = "binary" if k == 2 else f"{k}-class"
    problem = "binary" if k == 2 else "multiclass"
    average = "binary" if k == 2 else "macro"
    f1_name = "f1" if k == 2 else "f1_macro"
    y_true, y_pred = make_labels(n, k, rng)

    def ours():
        return evaluate_predictions(problem, y_true, y_pred, bootstrap=0)

    def floor():
        return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)

    def reference():
        return (
            skm.accuracy_score(y_true, y_pred),
            skm.f1_score(y_true, y_pred, average=average),
            skm.confusion_matrix(y_true, y_pred),
        )

    times: dict[str, list[float]] = {"ours": [], "floor": [], "sklearn": []}
    result = expected = None
    for r in range(rounds):
        t, result = timed(ours)
        times["ours"].append(t)
        t, _ = timed(floor)
        times["floor"].append(t)
        if r < sk_rounds:
            t, expected = timed(reference)
            times["sklearn"].append(t)
    assert result is not None and expected is not None
    accuracy, f1, matrix = expected
    equal = (
        abs(result["metrics"]["accuracy"]["value"] - accuracy) <= 1e-12
        and abs(result["metrics"][f1_name]["value"] - f1) <= 1e-12
        and np.array_equal(np.array(result["confusion_matrix"]["matrix"]), matrix)
    )
    ours_ms, floor_ms, sk_ms = (median_ms(times[key]) for key in ("ours", "floor", "sklearn"))
    speedup, over_floor = sk_ms / ours_ms, ours_ms / floor_ms
    print(
        f"  {name:8s} ours {ours_ms:9.1f} ms | scikit-learn {sk_ms:9.1f} ms -> "
        f"{speedup:6.1f}x faster (goal >= {SPEEDUP_GOAL:g}x)"
    )
    print(
        f"  {'':8s} ours {ours_ms:9.1f} ms | bincount floor {floor_ms:7.1f} ms -> "
        f"{over_floor:6.2f}x the floor (goal <= {FLOOR_GOAL:g}x)"
    )
    print(
        f"  {'':8s} accuracy {result['metrics']['accuracy']['value']:.12f} vs {accuracy:.12f}, "
        f"{f1_name} {result['metrics'][f1_name]['value']:.12f} vs {f1:.12f}, "
        f"confusion matrix {'identical' if equal else 'DIFFERENT'}"
    )
    t, full = timed(lambda: evaluate_predictions(problem, y_true, y_pred))
    print(
        f"  {'':8s} (for information: with 1000-resample 95 % intervals ours takes "
        f"{t * 1e3:.1f} ms, accuracy CI {full['metrics']['accuracy']['ci_low']:.5f} - "
        f"{full['metrics']['accuracy']['ci_high']:.5f})"
    )
    return speedup, over_floor, equal


def bench_auc(n: int, rounds: int, rng: np.random.Generator):
    y = rng.random(n) < 0.3
    logits = 1.5 * y + rng.normal(size=n)
    score = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32).astype(np.float64)
    ties = n - len(np.unique(score))
    times: dict[str, list[float]] = {"ours": [], "sklearn": []}
    ours = reference = None
    for _ in range(rounds):
        t, ours = timed(lambda: roc_auc(y, score))
        times["ours"].append(t)
        t, reference = timed(lambda: skm.roc_auc_score(y, score))
        times["sklearn"].append(t)
    assert ours is not None and reference is not None
    diff = abs(ours - reference)
    ours_ms, sk_ms = median_ms(times["ours"]), median_ms(times["sklearn"])
    print(f"  scores: float32-rounded probabilities, {ties:,} rows tied with another")
    print(
        f"  ours {ours_ms:9.1f} ms | scikit-learn {sk_ms:9.1f} ms -> "
        f"{sk_ms / ours_ms:6.2f}x faster (goal > 1x)"
    )
    print(
        f"  AUC ours {ours:.15f} vs scikit-learn {reference:.15f}: "
        f"|difference| {diff:.1e} (goal <= {AUC_TOLERANCE:g})"
    )
    return sk_ms / ours_ms, diff


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 M rows instead of 10 M")
    args = parser.parse_args(argv)
    n = 1_000_000 if args.quick else 10_000_000
    rounds, sk_rounds, auc_rounds = 7, 3, 3
    rng = np.random.default_rng(0)

    print(
        f"Metrics benchmark: {n:,} rows; Python {platform.python_version()}, numpy "
        f"{np.__version__}, scikit-learn {sklearn.__version__}, {os.cpu_count()} CPUs"
    )
    print(
        f"Medians over {rounds} interleaved rounds ({sk_rounds} for scikit-learn in (a), "
        f"{auc_rounds} in (b))."
    )
    print("(a) accuracy + F1 + confusion matrix")
    confusion = [bench_confusion(n, k, rounds, sk_rounds, rng) for k in (2, 5)]
    print("(b) ROC AUC, binary")
    auc_speedup, auc_diff = bench_auc(n, auc_rounds, rng)

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    speedups = [c[0] for c in confusion]
    floors = [c[1] for c in confusion]
    equal = all(c[2] for c in confusion)
    goals = [
        (
            min(speedups) >= SPEEDUP_GOAL,
            f">= {SPEEDUP_GOAL:g}x scikit-learn ({', '.join(f'{s:.1f}x' for s in speedups)})",
        ),
        (
            max(floors) <= FLOOR_GOAL,
            f"<= {FLOOR_GOAL:g}x floor ({', '.join(f'{f:.2f}x' for f in floors)})",
        ),
        (equal, "equal values"),
        (auc_speedup > 1.0, f"AUC faster ({auc_speedup:.2f}x)"),
        (auc_diff <= AUC_TOLERANCE, f"AUC equal to 1e-12 ({auc_diff:.1e})"),
    ]
    print("SUMMARY metrics: " + " | ".join(f"{verdict(ok)} {text}" for ok, text in goals))
    return 0 if all(ok for ok, _ in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
