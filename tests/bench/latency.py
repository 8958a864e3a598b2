"""Benchmark of the latency harness (DESIGN.md section 7).

    python tests/bench/latency.py [--quick]

(a) Harness overhead: ``measure_latency`` on an empty model (a no-op lambda) against a
    bare ``time.perf_counter_ns`` loop timing the same no-op in the same run. Figure: our
    p50 minus the bare loop's p50, median over rounds. Goal: <= 1 us.
(b) Repeatability: p50 of a real model (StandardScaler + LogisticRegression on
    scikit-learn's bundled breast_cancer data, DataFrame input) over 5 runs at batch sizes
    1 and 64, next to a bare loop over the same model. Figure: max/min - 1 of the 5 p50s.
    Goal: <= 5 %.

Ends with one SUMMARY line giving PASS or MISS per goal. Machines are noisy: the figures
are medians over interleaved rounds, all measured in this one run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np

from baton.core.measure.profiling import hardware_info, measure_latency

OVERHEAD_GOAL_US = 1.0
SPREAD_GOAL_PCT = 5.0


def bare_loop(fn, arg, n: int) -> list[int]:
    """The reference: the plainest perf_counter_ns loop around one call."""
    pc = time.perf_counter_ns
    out: list[int] = []
    append = out.append
    for _ in range(n):
        t0 = pc()
        fn(arg)
        t1 = pc()
        append(t1 - t0)
    return out


def p50_ms(samples_ns: list[int]) -> float:
    return float(np.percentile(np.asarray(samples_ns, dtype=np.float64), 50)) / 1e6


def bench_overhead(rounds: int, budget_s: float) -> float:
    print("(a) harness overhead on an empty model (predict = lambda b: None), batch size 1")
    X = np.zeros((64, 4))

    def noop(b):
        return None

    diffs_us, ours_us, bare_us, loop_ratio = [], [], [], []
    for r in range(rounds):
        (res,) = measure_latency(noop, X, batch_sizes=(1,), budget_s=budget_s)
        n = res["samples"]
        t0 = time.perf_counter_ns()
        bare = bare_loop(noop, X[:1], n)
        bare_wall_ns = time.perf_counter_ns() - t0
        ours = res["p50_ms"] * 1000
        ref = p50_ms(bare) * 1000
        ours_us.append(ours)
        bare_us.append(ref)
        diffs_us.append(ours - ref)
        loop_ratio.append((res["elapsed_s"] * 1e9 / n) / (bare_wall_ns / n))
        print(
            f"    round {r + 1}: n={n:>7}  harness p50 {ours:8.3f} us   "
            f"bare loop p50 {ref:8.3f} us   difference {ours - ref:+8.3f} us"
        )
    diff = statistics.median(diffs_us)
    print(
        f"    median: harness p50 {statistics.median(ours_us):.3f} us vs bare loop "
        f"{statistics.median(bare_us):.3f} us -> overhead {diff:+.3f} us "
        f"(goal <= {OVERHEAD_GOAL_US:g} us)"
    )
    print(
        f"    (information) wall time per sample, harness / bare loop: "
        f"{statistics.median(loop_ratio):.2f} x"
    )
    return diff


def bench_repeatability(runs: int, budget_s: float) -> dict[int, float]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer(as_frame=True)
    X, y = data.data, data.target
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
    sizes = (1, 64)
    print(
        f"(b) p50 repeatability: StandardScaler + LogisticRegression on breast_cancer "
        f"({len(X)} rows x {X.shape[1]} columns, DataFrame input), {runs} runs, "
        f"budget {budget_s:g} s per batch size"
    )
    p50s: dict[int, list[float]] = {b: [] for b in sizes}
    samples: dict[int, list[int]] = {b: [] for b in sizes}
    for _ in range(runs):
        for res in measure_latency(model.predict, X, batch_sizes=sizes, budget_s=budget_s):
            p50s[res["batch_size"]].append(res["p50_ms"])
            samples[res["batch_size"]].append(res["samples"])
    spreads: dict[int, float] = {}
    for b in sizes:
        batch = X.iloc[np.arange(b) % len(X)]
        model.predict(batch)
        ref = p50_ms(bare_loop(model.predict, batch, min(samples[b])))
        values = p50s[b]
        spread = (max(values) / min(values) - 1) * 100
        spreads[b] = spread
        med = statistics.median(values)
        runs_txt = " ".join(f"{v:.4f}" for v in values)
        print(
            f"    batch {b:>3}: p50 per run (ms) {runs_txt}  samples/run ~{int(statistics.median(samples[b]))}"
        )
        print(
            f"               median {med:.4f} ms vs bare loop {ref:.4f} ms "
            f"(ratio {med / ref:.3f}); spread max/min-1 = {spread:.2f} % "
            f"(goal <= {SPREAD_GOAL_PCT:g} %)"
        )
    return spreads


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter budgets, fewer rounds")
    args = parser.parse_args(argv)
    rounds, overhead_budget, real_budget = (3, 0.2, 0.4) if args.quick else (7, 1.0, 2.0)

    hw = hardware_info()
    print(
        f"latency bench on {hw['cpu_model']} ({hw['cores_available']} usable of "
        f"{hw['cores_logical']} logical cores), Python {sys.version.split()[0]}"
        f"{' [quick]' if args.quick else ''}"
    )
    overhead = bench_overhead(rounds, overhead_budget)
    spreads = bench_repeatability(5, real_budget)

    ok_overhead = overhead <= OVERHEAD_GOAL_US
    worst = max(spreads.values())
    ok_spread = worst <= SPREAD_GOAL_PCT
    spread_txt = " ".join(f"b{b} {s:.2f} %" for b, s in spreads.items())
    print(
        f"SUMMARY latency: overhead p50 {overhead:+.3f} us (goal <= {OVERHEAD_GOAL_US:g} us) "
        f"{'PASS' if ok_overhead else 'MISS'}; p50 spread over 5 runs {spread_txt} "
        f"(goal <= {SPREAD_GOAL_PCT:g} %) {'PASS' if ok_spread else 'MISS'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
