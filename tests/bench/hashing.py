"""Benchmark: ``baton verify FILE.baton`` against ``unzip`` + the stock OMS verifier.

    python tests/bench/hashing.py [--quick] [--runs N] [--dir DIR]

Builds one real bundle with ``baton pack`` (a scikit-learn model on a small test set),
then grows it to the sizes measured, as ``pack`` would write a large handover: the six
files (``model/model.skops``, ``contract.json``, ``card.md``, ``data/test.parquet``,
``predictions/test.parquet``, ``monitoring/baseline.json``) with the test set and the
predictions enlarged to random rows (incompressible, as real measurements are), the
contract and card describing them, signed again with the author's key and zipped by
Baton's writer. Sizes: about 1 MB and 1 GB (``--quick``: 1 MB and 200 MB).

Timed in the same run, in rotation, each a fresh process with the bundle in the page
cache (read once before every run), medians of ``--runs``:

- Baton: ``baton verify FILE.baton`` (structure, signature, every digest while it
  streams to staging, the contract, the card, the model's allowlist and the data's row
  counts and fingerprints in the checking child);
- reference: ``unzip -q FILE.baton -d DIR`` then ``model_signing verify key`` on DIR
  (only the digests and the signature).

Peak memory is the largest resident set of the process and everything it waited for
(``/usr/bin/time``), so the checking child counts. Also timed, on the largest bundle's
files: Baton hashing and signing them in this process against ``openssl dgst -sha256``
(one process per core). Goals: Baton's verify at least as fast as the reference at every
size and under 300 MB of peak memory whatever the size; hashing at least 0.8x openssl's
throughput (DESIGN.md section 7). Exits 1 when a goal is missed, 2 when a reference tool
is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

MB = 1_000_000
GOAL_MEMORY_MB = 300
GOAL_VS_OPENSSL = 0.8


def warm(path: Path) -> None:
    """Read the file once so the timed run finds it in the page cache."""
    buf = bytearray(8 << 20)
    with open(path, "rb", buffering=0) as fh:
        while fh.readinto(buf):
            pass


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Seconds and peak resident MB of ``cmd`` and every process it waited for.

    Measured by ``/usr/bin/time``, a small process: the peak a child reports includes
    the memory of the process that started it, up to its ``exec``, and this one holds the
    benchmark's bundles and libraries."""
    t0 = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "peak-kb %M", *cmd],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    elapsed = time.perf_counter() - t0
    if done.returncode:
        raise SystemExit(f"{Path(cmd[0]).name} failed ({done.returncode}): {done.stderr[-800:]}")
    peak_kb = int(done.stderr.strip().splitlines()[-1].removeprefix("peak-kb "))
    return elapsed, peak_kb / 1024


def split_balanced(paths: list[Path], parts: int) -> list[list[Path]]:
    """The files in ``parts`` groups of about equal bytes, largest first."""
    groups: list[list[Path]] = [[] for _ in range(parts)]
    loads = [0] * parts
    for p in sorted(paths, key=lambda p: p.stat().st_size, reverse=True):
        i = loads.index(min(loads))
        groups[i].append(p)
        loads[i] += p.stat().st_size
    return [g for g in groups if g]


def time_openssl(groups: list[list[Path]]) -> float:
    """``openssl dgst -sha256``, one process per group, all at once."""
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(["openssl", "dgst", "-sha256", *map(str, g)], stdout=subprocess.DEVNULL)
        for g in groups
    ]
    if any(p.wait() for p in procs):
        raise SystemExit("openssl failed")
    return time.perf_counter() - t0


def build_base(tmp: Path) -> tuple[Path, Path, Path, Path]:
    """One small bundle packed by ``baton pack``: (bundle, author home, engineer home,
    author's public key)."""
    import skops.io as sio
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from tests.handover import as_json, ok, run

    frame = load_breast_cancer(as_frame=True).frame
    X, y = frame.drop(columns="target"), frame["target"]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    sio.dump(model.fit(X.iloc[:400], y.iloc[:400]), tmp / "lr.skops")
    frame.iloc[400:].to_csv(tmp / "test.csv", index=False)
    ds, mle = tmp / "ds", tmp / "mle"
    for home, name in ((ds, "Dana"), (mle, "Eli")):
        as_json(ok(run(home, "keys", "create", "--name", name, "--email", f"{name}@example.org",
                       "--json")))  # fmt: skip
    pub = tmp / "dana.pub"
    ok(run(ds, "keys", "export", "--out", pub))
    ok(run(mle, "keys", "trust", pub, "--name", "Dana"))
    bundle = tmp / "base.baton"
    ok(run(ds, "pack", tmp / "lr.skops", "--test", tmp / "test.csv", "--target", "target",
           "--name", "bench", "--version", "1", "--intended-use", "Benchmark handover.",
           "--budget", "0.05", "--out", bundle, "--json"))  # fmt: skip
    return bundle, ds, mle, pub


def _write_random_parquet(path: Path, schema, rows: int, seed: int, make) -> None:
    import pyarrow.parquet as pq

    rng = __import__("numpy").random.default_rng(seed)
    with pq.ParquetWriter(path, schema) as writer:
        done = 0
        while done < rows:
            n = min(1 << 17, rows - done)
            writer.write_table(make(rng, done, n))
            done += n


def grow(base: Path, out: Path, size: int, ds_home: Path, work: Path) -> int:
    """``base`` with its test set and predictions grown to make a bundle of about
    ``size`` bytes, described, signed and zipped as ``baton pack`` does. Returns rows."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from baton.core.contract import card
    from baton.core.data.datasets import fingerprint_parquet
    from baton.core.fsutil import sha256_file
    from baton.core.handover import keys, oms
    from baton.core.handover.safezip import write_bundle_zip
    from tests.handover import PASSPHRASE

    folder = work / "bundle"
    with zipfile.ZipFile(base) as zf:
        zf.extractall(folder)
    (folder / "model.sig").unlink()
    test_path, pred_path = folder / "data/test.parquet", folder / "predictions/test.parquet"
    test_schema = pq.read_schema(test_path).remove_metadata()
    pred_schema = pq.read_schema(pred_path).remove_metadata()
    fixed = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) - (
        test_path.stat().st_size + pred_path.stat().st_size
    )
    per_row = 8 * (len(test_schema) + len(pred_schema))
    rows = max(169, (size - fixed) // per_row)

    def test_rows(rng, start: int, n: int) -> pa.Table:
        cols = [
            pa.array(rng.integers(0, 2, n)) if f.name == "target" else pa.array(rng.normal(size=n))
            for f in test_schema
        ]
        return pa.Table.from_arrays(cols, schema=test_schema)

    def pred_rows(rng, start: int, n: int) -> pa.Table:
        p = rng.random(n)
        arrays = {
            "row_id": pa.array(np.arange(start, start + n)),
            "prediction": pa.array((p > 0.5).astype(np.int64)),
            "proba_0": pa.array(1 - p),
            "proba_1": pa.array(p),
        }
        return pa.Table.from_arrays([arrays[f.name] for f in pred_schema], schema=pred_schema)

    _write_random_parquet(test_path, test_schema, rows, 1, test_rows)
    _write_random_parquet(pred_path, pred_schema, rows, 2, pred_rows)
    contract = json.loads((folder / "contract.json").read_text())
    test = next(d for d in contract["datasets"] if d["role"] == "test")
    test.update(
        rows=rows,
        format="parquet",
        sha256=sha256_file(test_path),
        fingerprint=fingerprint_parquet(test_path),
    )
    contract["labels"]["rows"] = rows
    contract["results"]["n_rows"] = rows
    contract["predictions"].update(rows=rows, sha256=sha256_file(pred_path))
    raw = json.dumps(contract, indent=2, sort_keys=True).encode() + b"\n"
    (folder / "contract.json").write_bytes(raw)
    (folder / "card.md").write_bytes(card.card_bytes(json.loads(raw)))
    key = keys.load_private_key(ds_home / "keys" / "signing-key.pem", PASSPHRASE)
    oms.sign_folder(folder, key, model_name=out.stem)
    write_bundle_zip(folder, out)
    shutil.rmtree(folder)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 MB and 200 MB instead of 1 MB and 1 GB")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per measurement (median)")
    ap.add_argument("--dir", default=None, help="where to create the temporary folder")
    args = ap.parse_args()

    stock = Path(sys.executable).with_name("model_signing")
    stock_cmd = str(stock) if stock.exists() else shutil.which("model_signing")
    baton = Path(sys.executable).with_name("baton")
    if not (
        stock_cmd
        and shutil.which("unzip")
        and shutil.which("openssl")
        and baton.exists()
        and Path("/usr/bin/time").exists()
    ):
        print(
            "needs unzip, openssl, /usr/bin/time, the stock model_signing CLI and baton "
            "beside this python"
        )
        return 2
    sizes = [1 * MB, (200 if args.quick else 1000) * MB]
    tmp = Path(tempfile.mkdtemp(prefix="baton-bench-verify-", dir=args.dir))
    try:
        print("packing a bundle with baton pack ...", flush=True)
        base, ds_home, mle_home, pub = build_base(tmp)
        cases = []
        for size in sizes:
            out = tmp / f"bench-{size // MB}mb.baton"
            work = tmp / f"work-{size // MB}"
            work.mkdir()
            print(f"growing it to about {size / MB:,.0f} MB ...", flush=True)
            rows = grow(base, out, size, ds_home, work)
            home = tmp / f"mle-{size // MB}"  # one engineer per bundle: no rollback between them
            shutil.copytree(mle_home, home)
            cases.append((out, rows, home))
        # Hashing alone (DESIGN.md section 7), on the largest bundle's files: Baton signing
        # the folder in this process against openssl, one process per core.
        from baton.core.handover import keys, oms

        folder = tmp / "hashing"
        with zipfile.ZipFile(cases[-1][0]) as zf:
            zf.extractall(folder)
        (folder / "model.sig").unlink()
        files = [p for p in folder.rglob("*") if p.is_file()]
        groups = split_balanced(files, os.cpu_count() or 1)
        key = keys.generate_key()
        hashing: dict[str, list[float]] = {"openssl": [], "baton": []}
        env = {**os.environ, "BATON_PASSPHRASE": ""}
        times: dict[tuple[int, str], list[tuple[float, float]]] = {}
        for run in range(args.runs):
            for who in ["openssl", "baton"][:: 1 if run % 2 == 0 else -1]:
                for path in files:
                    warm(path)
                t0 = time.perf_counter()
                if who == "openssl":
                    time_openssl(groups)
                else:
                    oms.sign_folder(folder, key)
                hashing[who].append(time.perf_counter() - t0)
            for i, (bundle, _, home) in enumerate(cases):
                ours = [str(baton), "--home", str(home), "verify", str(bundle)]
                extracted = tmp / "extracted"
                order = (
                    ["baton", "reference"] if (run + i) % 2 == 0 else ["baton", "reference"][::-1]
                )
                for who in order:
                    shutil.rmtree(extracted, ignore_errors=True)
                    warm(bundle)
                    if who == "baton":
                        result = timed(ours, env)
                    else:
                        t1, m1 = timed(["unzip", "-q", str(bundle), "-d", str(extracted)])
                        t2, m2 = timed([stock_cmd, "verify", "key", "--signature",
                                        str(extracted / "model.sig"), "--public_key", str(pub),
                                        str(extracted)])  # fmt: skip
                        result = (t1 + t2, max(m1, m2))
                    times.setdefault((i, who), []).append(result)
            print(f"  run {run + 1}/{args.runs} done", flush=True)
        print()
        failures = []
        parts = []
        for i, (bundle, rows, _) in enumerate(cases):
            size = bundle.stat().st_size
            ours_t = statistics.median(t for t, _ in times[(i, "baton")])
            ours_m = max(m for _, m in times[(i, "baton")])
            ref_t = statistics.median(t for t, _ in times[(i, "reference")])
            ref_m = max(m for _, m in times[(i, "reference")])
            ratio = ours_t / ref_t
            print(f"  {size / MB:8,.1f} MB bundle ({rows:,} test rows)")
            print(
                f"    baton verify                          {ours_t:7.3f} s  {ours_m:7.0f} MB peak"
            )
            print(f"    unzip + model_signing verify (ref.)   {ref_t:7.3f} s  {ref_m:7.0f} MB peak")
            print(f"    ratio                                 {ratio:7.2f} x")
            if ratio > 1:
                failures.append(f"slower than the reference at {size / MB:,.0f} MB")
            if ours_m > GOAL_MEMORY_MB:
                failures.append(f"{ours_m:,.0f} MB peak at {size / MB:,.0f} MB")
            parts.append(
                f"{size / MB:,.0f} MB: {ours_t:.2f} s / {ours_m:.0f} MB vs {ref_t:.2f} s / "
                f"{ref_m:.0f} MB = {ratio:.2f}x"
            )
        hashed = sum(p.stat().st_size for p in files) / MB
        speed = {k: hashed / statistics.median(v) for k, v in hashing.items()}
        versus = speed["baton"] / speed["openssl"]
        print(f"  hashing {hashed:,.0f} MB of files")
        print(f"    openssl dgst -sha256, {len(groups)} processes   {speed['openssl']:7.0f} MB/s")
        print(f"    baton sign_folder (in process)        {speed['baton']:7.0f} MB/s")
        if versus < GOAL_VS_OPENSSL:
            failures.append(f"hashing at {versus:.2f}x openssl")
        print()
        verdict = "PASS" if not failures else "FAIL (" + "; ".join(failures) + ")"
        print(
            f"SUMMARY verify as a process, baton vs unzip + model_signing (medians of "
            f"{args.runs}): " + "; ".join(parts) + f"; hashing {versus:.2f}x openssl; goals "
            f"<= 1x, < {GOAL_MEMORY_MB} MB, hashing >= {GOAL_VS_OPENSSL}x: " + verdict
        )
        return 0 if not failures else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
