"""Benchmark of packing a large test set, side by side with ``openssl dgst -sha256``.

    python tests/bench/pack.py [--quick] [--mb N] [--rounds N]

Builds, in a temporary directory, a catalog holding a Parquet test set of about 1 GB
(150 MB with --quick; 16 float columns and an integer label, random, so it does not
compress), a logistic regression fitted on a slice of it, and a contract draft for it
with the evaluation and the profile already measured (set up once, not timed; the whole
handover of a large test set, evaluation included, is ``large.py``'s). Each round then
signs one version of that draft, ``baton contract pack`` as the desktop's export does
(:func:`baton.core.handover.packing.pack_draft`), in a fresh process: nothing is measured
again, so what is timed is what a pack does outside evaluation and profiling (placing
the files, the monitoring baseline, signing, zipping, the catalog record). The
baseline's share is printed apart, for information.

The reference, taking turns with the packs in the same run, is ``openssl dgst -sha256``
over the bundle the previous round wrote: the same bytes, hashed once by a tool that does
nothing else. Both find the files in the page cache.

Figures are medians over the rounds (5, 3 with --quick). Beside the time: the packing
process's peak resident memory (its own ``VmHWM``) and how many bytes it read
(``rchar``), as a multiple of the bundle's size. Goals: pack time <= 3 x openssl's, and
peak memory < 500 MB whatever the data size. The last line is one SUMMARY with PASS or
MISS per goal; the exit status is 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

TIME_GOAL = 3.0  # pack time / openssl time
MEMORY_GOAL_MB = 500
PASSPHRASE = "bench-pass"
COLUMNS = 16

PACK_ONE = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path

    def peak_mb():
        # VmHWM, the peak of this program alone: ru_maxrss would also count the benchmark's
        # own memory, which this process shared for a moment when it was forked from it.
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) for l in fh if l.startswith("VmHWM:")) / 1024

    def read_bytes():
        with open("/proc/self/io") as fh:
            return int(dict(line.split(": ") for line in fh.read().splitlines())["rchar"])

    from baton.core.catalog.store import Catalog
    from baton.core.handover import packing
    from baton.core.measure import baseline

    # The monitoring baseline's share of the time, said apart (it reads the whole tables).
    spent = {"baseline": 0.0}
    real = baseline.write_for_bundle

    def timed(*args, **kwargs):
        t = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            spent["baseline"] += time.perf_counter() - t

    baseline.write_for_bundle = timed
    home, ref, out, passphrase = sys.argv[1:5]
    catalog = Catalog(home)
    before = read_bytes()
    t0 = time.perf_counter()
    result = packing.pack_draft(catalog, ref, passphrase=passphrase, out=out)
    seconds = time.perf_counter() - t0
    print(json.dumps({
        "seconds": seconds,
        "baseline": spent["baseline"],
        "read": read_bytes() - before,
        "bytes": result.bytes,
        "peak_mb": peak_mb(),
    }))
    """
)


def make_test_set(path: Path, mb: int, seed: int = 0) -> int:
    """A Parquet test set of about ``mb`` MB, written in row groups; returns its rows."""
    rng = np.random.default_rng(seed)
    rows = int(mb * 1e6 / (COLUMNS * 8 + 8))
    weights = rng.normal(size=COLUMNS)
    schema = pa.schema([(f"x{i}", pa.float64()) for i in range(COLUMNS)] + [("label", pa.int64())])
    with pq.ParquetWriter(path, schema, compression="snappy") as writer:
        step = 1_000_000
        for start in range(0, rows, step):
            n = min(step, rows - start)
            X = rng.normal(size=(n, COLUMNS))
            label = (X @ weights + rng.normal(size=n) > 0).astype(np.int64)
            writer.write_table(
                pa.table({**{f"x{i}": X[:, i] for i in range(COLUMNS)}, "label": label})
            )
    return rows


def set_up(root: Path, mb: int, rounds: int) -> tuple[Path, Path]:
    """A home with the test set, the model, a measured draft and one version per round."""
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    from baton.core.catalog.store import Catalog
    from baton.core.contract import drafts
    from baton.core.data.importer import import_dataset, import_model
    from baton.core.handover import trust

    test = root / "test.parquet"
    rows = make_test_set(test, mb)
    head = pq.ParquetFile(test).read_row_group(0).to_pandas().head(20_000)
    model = LogisticRegression(max_iter=500).fit(head.drop(columns="label"), head["label"])
    sio.dump(model, root / "model.skops")
    home = root / "home"
    catalog = Catalog(home)
    try:
        trust.create_identity(catalog, "Bench Scientist", "bench@example.org", PASSPHRASE)
        import_dataset(catalog, test, name="big-test", role="test", target="label")
        import_model(catalog, root / "model.skops", name="big-lr")
        contract = drafts.new_draft(
            catalog,
            "big-lr",
            test="big-test",
            name="big",
            version="1",
            intended_use="A benchmark of packing a large test set.",
            budget_s=0.05,
        )
        record = catalog.get_model("big-lr")
        for v in range(1, rounds + 1):
            contract["identity"]["version"] = str(v)
            drafts.save(catalog, contract, record)
    finally:
        catalog.close()
    print(
        f"  test set {rows:,} rows x {COLUMNS + 1} columns, {test.stat().st_size / 1e6:.0f} MB; "
        "model, evaluation and profile recorded"
    )
    return home, test


def pack_once(home: Path, version: int, out: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", PACK_ONE, str(home), f"big@{version}", str(out), PASSPHRASE],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"pack failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def openssl_once(path: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(["openssl", "dgst", "-sha256", str(path)], check=True, capture_output=True)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 150 MB test set, 3 rounds")
    parser.add_argument("--mb", type=int, help="size of the test set in MB (default 1000)")
    parser.add_argument("--rounds", type=int, help="timed rounds (default 5, --quick 3)")
    args = parser.parse_args(argv)
    mb = args.mb or (150 if args.quick else 1000)
    rounds = args.rounds or (3 if args.quick else 5)
    if shutil.which("openssl") is None:
        sys.exit("openssl is not on PATH: it is the reference this benchmark compares with")
    print(
        f"Pack benchmark: a {mb} MB Parquet test set, {rounds} rounds; Python "
        f"{platform.python_version()}, {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory(prefix="baton-bench-pack-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        home, _ = set_up(root, mb, rounds)
        print(f"  set up in {time.perf_counter() - t0:.0f} s")
        packs: list[dict[str, float]] = []
        hashes: list[float] = []
        previous: Path | None = None
        for v in range(1, rounds + 1):
            out = root / f"big-{v}.baton"
            # Taking turns: openssl hashes the last bundle, then the next pack runs, and
            # in every other round the other way round.
            if previous is not None and v % 2 == 0:
                hashes.append(openssl_once(previous))
            packs.append(pack_once(home, v, out))
            if v % 2 == 1 or previous is None:
                hashes.append(openssl_once(out))
            if previous is not None:
                previous.unlink()
            previous = out
        size = packs[-1]["bytes"]

    pack_s = statistics.median(p["seconds"] for p in packs)
    hash_s = statistics.median(hashes)
    peak = max(p["peak_mb"] for p in packs)
    reads = statistics.median(p["read"] for p in packs) / size
    ratio = pack_s / hash_s
    print(
        f"  pack (outside evaluation and profiling) {pack_s:6.2f} s "
        f"({size / 1e6 / pack_s:5.0f} MB/s) | openssl dgst -sha256 {hash_s:6.2f} s "
        f"({size / 1e6 / hash_s:5.0f} MB/s) -> {ratio:.2f}x (goal <= {TIME_GOAL:g}x)"
    )
    base_s = statistics.median(p["baseline"] for p in packs)
    print(
        f"  of which the monitoring baseline {base_s:.2f} s; the rest {pack_s - base_s:.2f} s = "
        f"{(pack_s - base_s) / hash_s:.2f}x openssl (for information)"
    )
    print(
        f"  packing process: peak memory {peak:.0f} MB (goal < {MEMORY_GOAL_MB} MB), "
        f"read {reads:.1f}x the bundle's {size / 1e6:.0f} MB"
    )

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "MISS"

    goals = [
        (ratio <= TIME_GOAL, f"pack {ratio:.2f}x openssl (goal <= {TIME_GOAL:g}x)"),
        (peak < MEMORY_GOAL_MB, f"peak {peak:.0f} MB (goal < {MEMORY_GOAL_MB} MB)"),
    ]
    print(
        f"SUMMARY pack {size / 1e6:.0f} MB bundle: "
        + " | ".join(f"{verdict(ok)} {text}" for ok, text in goals)
        + f" | reads {reads:.1f}x its bytes"
    )
    return 0 if all(ok for ok, _ in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
