"""Benchmark of dataset loading (DESIGN.md section 7), side by side with pandas and pyarrow.

    python tests/bench/datasets.py [--quick] [--rows N] [--rounds N]

Builds, in a temporary directory, one realistic customer table of 2 M rows (300 k with
--quick) x 21 columns: a unique integer id and a unique text reference, integer and float
features (rounded money amounts and full-precision scores), a boolean, four
low-cardinality text columns, missing values in a few numeric columns, and an integer
label. The same table is written as CSV
(``pyarrow.csv``) and as Parquet (``pyarrow.parquet``, snappy, as pandas writes it).
Both files are read once before timing, so every run finds them in the page cache.

(a) Load. Ours is ``baton.core.data.datasets.read_table`` (parse + the strict checks: encoding,
    ragged rows, empty file, numbers mixed with text); the references, measured in the same
    run and taking turns with it, are ``pandas.read_csv`` (default engine) and
    ``pandas.read_parquet`` on the same files, and for Parquet also
    ``pyarrow.parquet.read_table`` (the bare reader Baton's load wraps, so the gap is the
    cost of the strict checks). Goal: Baton's load >= 0.9 x the throughput of each
    reference, i.e. our time <= its time / 0.9.
    For information, ``describe()`` (what an import runs: load + column checks + file
    SHA-256 + content fingerprint + per-column profile) with its stages timed separately.
(b) The content fingerprint of the CSV and of the Parquet file (and of the in-memory table
    they were written from) must be one and the same.

Text columns carry no missing values here: a CSV cannot tell an empty string from a
missing one, so only numeric gaps survive the CSV round trip unambiguously.

Figures are medians over the rounds (CSV loads 7, 15 with --quick; Parquet loads 15;
describe 3), with the CPU time of the loads beside them: on a busy machine a multithreaded
reader cannot show its speed in wall time. The last line is one SUMMARY with PASS or MISS
per goal. The temporary directory is removed at the end.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from baton.core.data import datasets as ds
from baton.core.fsutil import sha256_file

LOAD_GOAL = 0.9  # our throughput / pandas throughput


def make_table(n: int, seed: int = 0) -> pa.Table:
    """A customer-churn-like table: 20 columns of mixed types with some gaps."""
    rng = np.random.default_rng(seed)

    def with_gaps(values: np.ndarray, share: float) -> pa.Array:
        return pa.array(values, mask=rng.random(n) < share)

    regions = np.array(["north", "south", "east", "west", "central", "islands"])
    plans = np.array(["basic", "plus", "pro", "enterprise"])
    channels = np.array(["web", "app", "store", "phone", "partner"])
    devices = np.array(["android", "ios", "desktop"])
    age = rng.integers(18, 90, n)
    tenure = rng.integers(0, 120, n)
    income = np.round(rng.lognormal(10.5, 0.6, n), 2)
    balance = np.round(rng.normal(1500.0, 900.0, n), 2)
    scores = rng.normal(size=(7, n))
    logit = 0.8 * scores[0] - 0.5 * scores[1] + 0.01 * (60 - tenure) - 1.0
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    columns = {
        "customer_id": pa.array(np.arange(10_000_000, 10_000_000 + n, dtype=np.int64)),
        "customer_ref": pc.binary_join_element_wise(
            "C-", pc.cast(pa.array(rng.permutation(n)), pa.string()), ""
        ),
        "age": with_gaps(age, 0.01),
        "tenure_months": pa.array(tenure),
        "n_orders": pa.array(rng.poisson(12, n).astype(np.int64)),
        "income": with_gaps(income, 0.03),
        "balance": pa.array(balance),
        "discount_rate": pa.array(np.round(rng.random(n) * 0.3, 4)),
        "is_active": pa.array(rng.random(n) < 0.7),
        "region": pa.array(regions[rng.integers(0, len(regions), n)]),
        "plan": pa.array(plans[rng.integers(0, len(plans), n)]),
        "channel": pa.array(channels[rng.integers(0, len(channels), n)]),
        "device": pa.array(devices[rng.integers(0, len(devices), n)]),
    }
    for i in range(7):
        share = 0.02 if i in (2, 5) else 0.0
        columns[f"score_{i + 1}"] = with_gaps(scores[i], share)
    columns["churned"] = pa.array(label)
    return pa.table(columns)


def write_files(table: pa.Table, folder: Path) -> tuple[Path, Path]:
    csv_path, parquet_path = folder / "customers.csv", folder / "customers.parquet"
    pacsv.write_csv(table, csv_path)
    pq.write_table(table, parquet_path, compression="snappy")
    return csv_path, parquet_path


def warm(*paths: Path) -> None:
    buf = bytearray(8 << 20)
    for p in paths:
        with open(p, "rb", buffering=0) as fh:
            while fh.readinto(buf):
                pass


CPU: dict[str, list[float]] = {}


def timed(fn, key: str | None = None) -> tuple[float, object]:
    """Wall time of ``fn()``; with ``key``, its CPU time (all threads) is kept in CPU."""
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    t = time.perf_counter() - t0
    if key:
        CPU.setdefault(key, []).append(time.process_time() - c0)
    return t, out


def describe_stages(path: Path, target: str) -> dict[str, float]:
    """The stages of ``describe()`` of a table read whole, timed one by one (the calls of
    a CSV file's description; a Parquet file is described a column at a time, and these
    stages show what the same work costs on the whole table)."""
    stages: dict[str, float] = {}
    t, loaded = timed(lambda: ds.read_table(path))
    stages["load"] = t
    t0 = time.perf_counter()
    ds.check_columns(loaded, target, None)
    stages["checks"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    sha256_file(path)
    stages["sha256"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ds.fingerprint(loaded.table)
    stages["fingerprint"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ds.profile(loaded.table)
    stages["profile"] = time.perf_counter() - t0
    return stages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 k rows instead of 2 M")
    parser.add_argument("--rows", type=int, help="number of rows (overrides --quick's)")
    parser.add_argument(
        "--rounds",
        type=int,
        help="timed load rounds (default: CSV 7, --quick 15; Parquet 15; describe 3)",
    )
    args = parser.parse_args(argv)
    n = args.rows or (300_000 if args.quick else 2_000_000)
    # Parquet loads are short, so more rounds are cheap and steady the median on a busy box.
    rounds = {"csv": args.rounds or (15 if args.quick else 7), "parquet": args.rounds or 15}
    describe_rounds = min(rounds["csv"], 3)
    target = "churned"

    print(
        f"Dataset benchmark: {n:,} rows; Python {platform.python_version()}, pandas "
        f"{pd.__version__}, pyarrow {pa.__version__}, numpy {np.__version__}, "
        f"{os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory(prefix="baton-bench-datasets-") as tmp:
        t0 = time.perf_counter()
        table = make_table(n)
        csv_path, parquet_path = write_files(table, Path(tmp))
        warm(csv_path, parquet_path)
        print(
            f"  table {table.num_rows:,} x {table.num_columns} columns, built and written in "
            f"{time.perf_counter() - t0:.1f} s: CSV {csv_path.stat().st_size / 1e6:.0f} MB, "
            f"Parquet {parquet_path.stat().st_size / 1e6:.0f} MB"
        )
        print(
            f"Medians over {rounds['csv']} rounds for CSV loads, {rounds['parquet']} for Parquet "
            f"(one format at a time, the readers taking turns to go first) and "
            f"{describe_rounds} for describe()."
        )

        runs: dict[str, list[float]] = {}
        stages: dict[str, dict[str, list[float]]] = {"csv": {}, "parquet": {}}
        prints: dict[str, str] = {}
        readers = {
            "csv": (
                ("ours", lambda: ds.read_table(csv_path)),
                ("pandas", lambda: pd.read_csv(csv_path)),
            ),
            "parquet": (
                ("ours", lambda: ds.read_table(parquet_path)),
                ("pandas", lambda: pd.read_parquet(parquet_path)),
                ("pyarrow", lambda: pq.read_table(parquet_path)),
            ),
        }
        for fmt, pair in readers.items():
            for r in range(rounds[fmt]):
                # One format at a time (each read follows a read of the same file), and the
                # readers take turns to go first, so allocator and cache effects even out.
                shift = r % len(pair)
                for who, fn in pair[shift:] + pair[:shift]:
                    t, out = timed(fn, f"{fmt}/{who}")
                    runs.setdefault(f"{fmt}/{who}", []).append(t)
                    del out
        for _ in range(describe_rounds):
            for fmt, path in (("csv", csv_path), ("parquet", parquet_path)):
                t, record = timed(lambda p=path: ds.describe(p, target=target))
                runs.setdefault(f"{fmt}/describe", []).append(t)
                prints[fmt] = record["fingerprint"]
                del record
                for stage, secs in describe_stages(path, target).items():
                    stages[fmt].setdefault(stage, []).append(secs)

        def med(key: str) -> float:
            return statistics.median(runs[key])

        print("(a) load")
        ratios = {}
        for fmt, ref in (("csv", "pandas.read_csv"), ("parquet", "pandas.read_parquet")):
            ours, theirs = med(f"{fmt}/ours"), med(f"{fmt}/pandas")
            ratios[fmt] = theirs / ours
            mb = (csv_path if fmt == "csv" else parquet_path).stat().st_size / 1e6
            cpu_ours, cpu_theirs = (
                statistics.median(CPU[f"{fmt}/{who}"]) for who in ("ours", "pandas")
            )
            print(
                f"  {fmt:7s} read_table {ours * 1e3:8.0f} ms ({mb / ours:6.0f} MB/s) | "
                f"{ref} {theirs * 1e3:8.0f} ms -> {ratios[fmt]:5.2f}x pandas throughput "
                f"(goal >= {LOAD_GOAL:g}x)"
            )
            print(
                f"  {'':7s} CPU time, all threads (for information): read_table "
                f"{cpu_ours * 1e3:.0f} ms, {ref} {cpu_theirs * 1e3:.0f} ms"
            )
        ours, bare = med("parquet/ours"), med("parquet/pyarrow")
        ratios["pyarrow"] = bare / ours
        print(
            f"  {'parquet':7s} read_table {ours * 1e3:8.0f} ms | pyarrow.parquet.read_table "
            f"{bare * 1e3:8.0f} ms -> {ratios['pyarrow']:5.2f}x its throughput "
            f"(goal >= {LOAD_GOAL:g}x; CPU {statistics.median(CPU['parquet/pyarrow']) * 1e3:.0f} ms)"
        )
        for fmt in ("csv", "parquet"):
            desc, load = med(f"{fmt}/describe"), med(f"{fmt}/ours")
            parts = ", ".join(
                f"{stage} {statistics.median(v) * 1e3:.0f}" for stage, v in stages[fmt].items()
            )
            print(
                f"  {fmt:7s} describe() {desc * 1e3:8.0f} ms = {desc / load:4.2f}x its load "
                f"(for information; stages in ms: {parts})"
            )

        print("(b) fingerprint")
        in_memory = ds.fingerprint(table)
        print(f"  CSV       {prints['csv']}")
        print(f"  Parquet   {prints['parquet']}")
        print(f"  in memory {in_memory}")
        same = prints["csv"] == prints["parquet"] == in_memory
        print(f"  {'identical' if same else 'DIFFERENT'}")

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    goals = [
        (
            ratios["csv"] >= LOAD_GOAL,
            f"CSV load {ratios['csv']:.2f}x pandas (goal >= {LOAD_GOAL:g}x)",
        ),
        (
            ratios["parquet"] >= LOAD_GOAL,
            f"Parquet load {ratios['parquet']:.2f}x pandas (goal >= {LOAD_GOAL:g}x)",
        ),
        (
            ratios["pyarrow"] >= LOAD_GOAL,
            f"Parquet load {ratios['pyarrow']:.2f}x pyarrow.parquet.read_table "
            f"(goal >= {LOAD_GOAL:g}x)",
        ),
        (same, "CSV and Parquet fingerprints equal"),
    ]
    print(
        f"SUMMARY datasets {n:,} rows: " + " | ".join(f"{verdict(ok)} {text}" for ok, text in goals)
    )
    return 0 if all(ok for ok, _ in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
