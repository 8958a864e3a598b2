"""Benchmark of the latency harness (DESIGN.md section 7).

    python tests/bench/latency.py [--quick]

(a) Harness overhead: ``measure_latency`` on an empty model (a no-op lambda) against a
    bare ``time.perf_counter_ns`` loop timing the same no-op in the same run. Figure: our
    p50 minus the bare loop's p50, median over rounds. Goal: <= 1 us.
(b) Repeatability: p50 of a real model (StandardScaler + LogisticRegression on
    scikit-learn's bundled breast_cancer data, DataFrame input) over 5 runs at batch sizes
    1 and 64, next to a bare loop over the same model. Figure: max/min - 1 of the 5 p50s.
    Goal: <= 5 %.
(c) Faithful latency: what ``baton profile`` reports (``runs.profile``: the model run in
    Baton's child process) for the same breast_cancer model as .skops and as ONNX
    (skl2onnx), at batch sizes 1 and 64, against a bare ``time.perf_counter_ns`` loop in a
    fresh Python process over ``model.predict`` on a DataFrame batch of the same rows
    (scikit-learn) or ``session.run`` on the same rows as a float32 array (ONNX, with the
    same session options and the same requested output as Baton). Runs of the two take
    turns; figures are medians over rounds. Goal: Baton's p50 within 10 % of the bare
    loop's, for both formats.

Ends with one SUMMARY line giving PASS or MISS per goal. Machines are noisy: the figures
are medians over interleaved rounds, all measured in this one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from baton.core.measure.profiling import hardware_info, measure_latency

OVERHEAD_GOAL_US = 1.0
SPREAD_GOAL_PCT = 5.0
FAITHFUL_GOAL_PCT = 10.0
FAITHFUL_SIZES = (1, 64)


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
    X, _, model = _breast_cancer_model()
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


def _breast_cancer_model():
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer(as_frame=True)
    X, y = data.data, data.target
    return X, y, make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)


def bare_reference(fmt: str, folder: Path, budget_s: float) -> dict[int, float]:
    """In a fresh process: the p50 (ms) of a bare timing loop per batch size."""
    import gc

    import pyarrow.parquet as pq

    X = pq.read_table(folder / "test.parquet").to_pandas().drop(columns="target")
    if fmt == "onnx":
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        session = ort.InferenceSession(
            str(folder / "model.onnx"), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        name = session.get_inputs()[0].name
        outputs = [session.get_outputs()[0].name]

        def call(feed):
            return session.run(outputs, feed)

        def batch(b: int):
            return {name: X.iloc[np.arange(b) % len(X)].to_numpy().astype(np.float32)}
    else:
        import skops.io as sio

        path = folder / "model.skops"
        model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
        call = model.predict

        def batch(b: int):
            return X.iloc[np.arange(b) % len(X)]

    out = {}
    for b in FAITHFUL_SIZES:
        arg = batch(b)
        for _ in range(10):
            call(arg)
        gc.collect()
        gc.disable()
        samples: list[int] = []
        end = time.perf_counter() + budget_s
        while time.perf_counter() < end:
            samples.extend(bare_loop(call, arg, 100))
        gc.enable()
        out[b] = p50_ms(samples)
    return out


def bench_faithful(rounds: int, budget_s: float) -> dict[str, float]:
    """Worst |Baton p50 / bare loop p50 - 1| in %, per format."""
    import skops.io as sio
    from skl2onnx import to_onnx

    from baton.core.catalog.store import Catalog
    from baton.core.data.importer import import_dataset, import_model
    from baton.core.measure import runs

    X, y, model = _breast_cancer_model()
    print(
        f"(c) faithful latency: baton profile (child process) vs a bare loop in a fresh "
        f"process, batch sizes {', '.join(map(str, FAITHFUL_SIZES))}, {rounds} rounds, "
        f"budget {budget_s:g} s per batch size"
    )
    worst: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="baton-bench-latency-") as tmp:
        folder = Path(tmp)
        X.assign(target=y).to_parquet(folder / "test.parquet")
        sio.dump(model, folder / "model.skops")
        onx = to_onnx(model, X.iloc[:1].to_numpy(np.float32), options={"zipmap": False})
        (folder / "model.onnx").write_bytes(onx.SerializeToString())
        catalog = Catalog(folder / "home")
        import_dataset(catalog, folder / "test.parquet", name="bc", role="test", target="target")
        for fmt in ("skops", "onnx"):
            import_model(catalog, folder / f"model.{fmt}", name=fmt)
        ours: dict[str, dict[int, list[float]]] = {
            f: {b: [] for b in FAITHFUL_SIZES} for f in ("skops", "onnx")
        }
        bare: dict[str, dict[int, list[float]]] = {
            f: {b: [] for b in FAITHFUL_SIZES} for f in ("skops", "onnx")
        }
        for r in range(rounds):
            for fmt in ("skops", "onnx") if r % 2 == 0 else ("onnx", "skops"):
                result = runs.profile(
                    catalog, fmt, "bc", batch_sizes=FAITHFUL_SIZES, budget_s=budget_s
                )
                for row in result["result"]["latency"]:
                    ours[fmt][row["batch_size"]].append(row["p50_ms"])
                ref = subprocess.run(
                    [sys.executable, __file__, "--reference", fmt, "--folder", str(folder),
                     "--budget", str(budget_s)],
                    check=True, capture_output=True, text=True,
                )  # fmt: skip
                for b, v in json.loads(ref.stdout.strip().splitlines()[-1]).items():
                    bare[fmt][int(b)].append(v)
        for fmt in ("skops", "onnx"):
            gaps = []
            for b in FAITHFUL_SIZES:
                mine, theirs = statistics.median(ours[fmt][b]), statistics.median(bare[fmt][b])
                gap = (mine / theirs - 1) * 100
                gaps.append(abs(gap))
                print(
                    f"    {fmt:<5} batch {b:>3}: baton profile p50 {mine:.4f} ms vs bare loop "
                    f"{theirs:.4f} ms ({gap:+.1f} %, goal within {FAITHFUL_GOAL_PCT:g} %)"
                )
            worst[fmt] = max(gaps)
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter budgets, fewer rounds")
    parser.add_argument("--reference", choices=("skops", "onnx"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--budget", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reference:
        print(json.dumps(bare_reference(args.reference, args.folder, args.budget)))
        return 0
    rounds, overhead_budget, real_budget = (3, 0.2, 0.4) if args.quick else (7, 1.0, 2.0)

    hw = hardware_info()
    print(
        f"latency bench on {hw['cpu_model']} ({hw['cores_available']} usable of "
        f"{hw['cores_logical']} logical cores), Python {sys.version.split()[0]}"
        f"{' [quick]' if args.quick else ''}"
    )
    overhead = bench_overhead(rounds, overhead_budget)
    spreads = bench_repeatability(5, real_budget)
    faithful = bench_faithful(3 if args.quick else 5, real_budget)

    ok_overhead = overhead <= OVERHEAD_GOAL_US
    worst = max(spreads.values())
    ok_spread = worst <= SPREAD_GOAL_PCT
    spread_txt = " ".join(f"b{b} {s:.2f} %" for b, s in spreads.items())
    ok_faithful = max(faithful.values()) <= FAITHFUL_GOAL_PCT
    faithful_txt = " ".join(f"{f} {v:.1f} %" for f, v in faithful.items())
    print(
        f"SUMMARY latency: overhead p50 {overhead:+.3f} us (goal <= {OVERHEAD_GOAL_US:g} us) "
        f"{'PASS' if ok_overhead else 'MISS'}; p50 spread over 5 runs {spread_txt} "
        f"(goal <= {SPREAD_GOAL_PCT:g} %) {'PASS' if ok_spread else 'MISS'}; "
        f"profile p50 vs a bare loop in a fresh process: {faithful_txt} "
        f"(goal within {FAITHFUL_GOAL_PCT:g} %) {'PASS' if ok_faithful else 'MISS'}"
    )
    return 0 if ok_overhead and ok_spread and ok_faithful else 1


if __name__ == "__main__":
    sys.exit(main())
