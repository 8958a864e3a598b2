"""Benchmark of evaluation in batches: time and peak memory beside predict + scikit-learn.

    python tests/bench/evaluate.py [--rows N] [--rounds R] [--quick]

Builds, in a temporary directory, a test set of N rows (5 M by default, 1 M with --quick)
x 10 float features and a binary label, as Parquet (row groups of 1 Mi rows, as pandas
writes it), and a StandardScaler + LogisticRegression saved as .skops. Both are imported
into a fresh catalog once, before anything is measured.

Baton: ``baton.core.measure.runs.evaluate`` of that model on that test set with the default
child limits, as pack runs it but with ``bootstrap=0`` (point figures, as the reference
computes): the child reads the model's columns a row group at a time, predicts and writes
the predictions; the parent reads the labels and predictions and computes every metric.
Reference: in one process, ``pyarrow.parquet.read_table`` + ``to_pandas``, the model's
``predict`` and ``predict_proba``, and scikit-learn's ``accuracy_score``, ``f1_score``,
``roc_auc_score`` and ``log_loss``.

Every run is a fresh process, Baton's and the reference's taking turns; figures are
medians over the rounds. Both are timed from a fresh interpreter's first import to the
metrics, since Baton's child imports scikit-learn and loads the model too. Peak memory comes from ``getrusage``: the measured process's own
(``RUSAGE_SELF``) and, for Baton, its child's (``RUSAGE_CHILDREN``).

Goals: Baton's child peak under CHILD_GOAL_MB whatever N (bounded by the batch, not the
table); the parent's peak under PARENT_BASE_MB plus PARENT_BYTES_PER_ROW a row (the
per-row outputs: labels, predictions, probabilities, row ids, and the metrics' work on
them); Baton's time at most
TIME_FACTOR x the reference's. The last line is one SUMMARY with PASS or MISS per goal;
the exit status is 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FEATURES = 10
CHILD_GOAL_MB = 1024.0
PARENT_BASE_MB = 400.0
# The per-row outputs the parent reads (predictions file 32 B a row, labels 8, the
# probabilities side by side 16) and the metrics' sorting of the scores (about 110).
PARENT_BYTES_PER_ROW = 192
TIME_FACTOR = 2.0
MODEL = "scaled-logreg"
DATASET = "big-test"


def _peaks() -> dict[str, float]:
    """Peak resident memory of this process and of its largest waited-for child, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"self_mb": own, "child_mb": child}


def build(folder: Path, rows: int) -> None:
    """The test set, the model and a catalog holding both."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from baton.core.catalog.store import Catalog
    from baton.core.data.importer import import_dataset, import_model

    rng = np.random.default_rng(0)
    names = [f"f{i}" for i in range(FEATURES)]
    weights = rng.normal(size=FEATURES)
    writer = None
    step = 1 << 20
    train = None
    for start in range(0, rows, step):
        n = min(step, rows - start)
        X = rng.normal(size=(n, FEATURES))
        y = (X @ weights + rng.normal(size=n) > 0).astype(np.int64)
        if train is None:
            train = (X[:20_000], y[:20_000])
        table = pa.table({**{c: X[:, i] for i, c in enumerate(names)}, "label": y})
        if writer is None:
            writer = pq.ParquetWriter(folder / "test.parquet", table.schema, compression="snappy")
        writer.write_table(table)
    assert writer is not None and train is not None
    writer.close()
    import pandas as pd

    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        pd.DataFrame(train[0], columns=names), train[1]
    )
    sio.dump(model, folder / "model.skops")
    catalog = Catalog(folder / "home")
    import_model(catalog, folder / "model.skops", name=MODEL)
    import_dataset(catalog, folder / "test.parquet", name=DATASET, role="test", target="label")


def run_baton(folder: Path) -> dict[str, float]:
    t0 = time.perf_counter()
    from baton.core.catalog.store import Catalog
    from baton.core.measure import runs

    catalog = Catalog(folder / "home")
    result = runs.evaluate(catalog, MODEL, DATASET, bootstrap=0)
    seconds = time.perf_counter() - t0
    accuracy = result["result"]["metrics"]["accuracy"]["value"]
    return {"seconds": seconds, **_peaks(), "accuracy": float(accuracy)}


def run_reference(folder: Path) -> dict[str, float]:
    # Timed from the imports on, as Baton's child imports and loads the model too.
    t0 = time.perf_counter()
    import numpy as np
    import pyarrow.parquet as pq
    import skops.io as sio
    from sklearn import metrics as skm

    path = folder / "model.skops"
    model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    frame = pq.read_table(folder / "test.parquet").to_pandas()
    X, y = frame.drop(columns="label"), frame["label"].to_numpy()
    pred = model.predict(X)
    proba = model.predict_proba(X)
    accuracy = skm.accuracy_score(y, pred)
    skm.f1_score(y, pred)
    skm.roc_auc_score(y, proba[:, 1])
    skm.log_loss(y, np.clip(proba, 1e-15, 1))
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, **_peaks(), "accuracy": float(accuracy)}


def measure(side: str, folder: Path) -> dict[str, float]:
    """One run of ``side`` in a fresh process."""
    out = subprocess.run(
        [sys.executable, __file__, "--side", side, "--folder", str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, help="test set rows (default 5 M, 1 M with --quick)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 3, 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--side", choices=("build", "baton", "reference"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    rows = args.rows or (1_000_000 if args.quick else 5_000_000)
    if args.side == "build":
        build(args.folder, rows)
        return 0
    if args.side:
        run = run_baton if args.side == "baton" else run_reference
        print(json.dumps(run(args.folder)))
        return 0

    rounds = args.rounds or (1 if args.quick else 3)
    folder = Path(tempfile.mkdtemp(prefix="baton-bench-evaluate-"))
    try:
        t0 = time.perf_counter()
        # In a process of its own: a peak resident size passes on to the processes this
        # one starts, and every measured run starts from here.
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--side",
                "build",
                "--folder",
                str(folder),
                "--rows",
                str(rows),
            ],
            check=True,
        )
        size = (folder / "test.parquet").stat().st_size
        limit = os.environ.get("BATON_CHILD_MEMORY_MB", "4096 (default)")
        print(
            f"evaluate bench: {rows:,} rows x {FEATURES} features, Parquet {size / 2**20:,.0f} MB, "
            f"child memory limit {limit} MB; set up in {time.perf_counter() - t0:.0f} s"
        )
        runs: dict[str, list[dict[str, float]]] = {"baton": [], "reference": []}
        for r in range(rounds):
            order = ("baton", "reference") if r % 2 == 0 else ("reference", "baton")
            for side in order:
                got = measure(side, folder)
                runs[side].append(got)
                print(
                    f"    round {r + 1} {side:<9} {got['seconds']:7.2f} s  own peak "
                    f"{got['self_mb']:7.0f} MB  child peak {got['child_mb']:7.0f} MB  "
                    f"accuracy {got['accuracy']:.6f}"
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    def med(side: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[side])

    baton_s, ref_s = med("baton", "seconds"), med("reference", "seconds")
    child_mb, parent_mb = med("baton", "child_mb"), med("baton", "self_mb")
    ref_mb = med("reference", "self_mb")
    parent_goal = PARENT_BASE_MB + PARENT_BYTES_PER_ROW * rows / 2**20
    same = all(
        abs(b["accuracy"] - f["accuracy"]) < 1e-12
        for b, f in zip(runs["baton"], runs["reference"], strict=True)
    )
    ok_child = child_mb <= CHILD_GOAL_MB
    ok_parent = parent_mb <= parent_goal
    ok_time = baton_s <= TIME_FACTOR * ref_s
    print(
        f"    median: Baton {baton_s:.2f} s (parent peak {parent_mb:,.0f} MB, child peak "
        f"{child_mb:,.0f} MB) vs predict + scikit-learn {ref_s:.2f} s (peak {ref_mb:,.0f} MB)"
    )
    word = {True: "PASS", False: "MISS"}
    print(
        f"SUMMARY evaluate {rows:,} rows: time {baton_s:.2f} s vs {ref_s:.2f} s = "
        f"{baton_s / ref_s:.2f}x (goal <= {TIME_FACTOR:g}x) {word[ok_time]}; child peak "
        f"{child_mb:,.0f} MB (goal <= {CHILD_GOAL_MB:,.0f} MB) {word[ok_child]}; parent peak "
        f"{parent_mb:,.0f} MB (goal <= {parent_goal:,.0f} MB) {word[ok_parent]}; reference "
        f"peak {ref_mb:,.0f} MB; same accuracy {word[same]}"
    )
    return 0 if ok_child and ok_parent and ok_time and same else 1


if __name__ == "__main__":
    sys.exit(main())
