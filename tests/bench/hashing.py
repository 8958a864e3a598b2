"""Benchmark: hashing for OMS signing and verification, side by side with references.

    python tests/bench/hashing.py [--quick] [--runs N] [--dir DIR]

Builds a model folder in a temporary directory (full: 2 x 400 MB + 200 MB in 2000
files = 1 GB; --quick: 2 x 80 MB + 40 MB in 400 files = 200 MB), then times, in the same
run and in rotation:

- reference: ``openssl dgst -sha256`` over the same files, the file list split across
  one process per core (largest files first, balanced by size), all running at once;
- Baton: ``oms.sign_folder`` (hash_tree + statement + ECDSA + atomic write of model.sig);
- Baton: ``oms.verify_folder`` in this process, and as a fresh ``python`` process (so it
  pays interpreter start-up as the stock tool does);
- reference: the stock ``model_signing verify key`` command.

Every timed run is preceded by reading all files once, so each one starts with the data
in the page cache: this measures hashing, not the disk. Figures are medians of --runs.
Goals (DESIGN.md section 7): Baton's hashing >= 0.8 x the openssl throughput; Baton's
verify faster than model_signing. The temporary directory is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from baton.core.handover import keys, oms

MB = 1_000_000
GOAL_VS_OPENSSL = 0.8


def make_folder(root: Path, big: int, n_big: int, small_total: int, n_small: int) -> list[Path]:
    """Random (incompressible) files: ``n_big`` of ``big`` bytes and ``n_small`` small ones."""
    block = os.urandom(8 << 20)
    paths = []

    def write(path: Path, size: int, salt: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            left = size
            i = 0
            while left:
                # vary each chunk so no two files or chunks are identical
                chunk = (salt * 1_000_003 + i).to_bytes(8, "little") + block[
                    8 : min(left, len(block))
                ]
                chunk = chunk[:left]
                fh.write(chunk)
                left -= len(chunk)
                i += 1
        paths.append(path)

    for i in range(n_big):
        write(root / "model" / f"weights-{i}.bin", big, i)
    each = small_total // n_small
    for i in range(n_small):
        write(root / "data" / f"part-{i // 100:03d}" / f"{i:05d}.bin", each, 1000 + i)
    return paths


def warm(paths: list[Path]) -> None:
    """Read every file once so the timed run finds it in the page cache."""
    buf = bytearray(8 << 20)
    for p in paths:
        with open(p, "rb", buffering=0) as fh:
            while fh.readinto(buf):
                pass


def split_balanced(paths: list[Path], parts: int) -> list[list[Path]]:
    groups: list[list[Path]] = [[] for _ in range(parts)]
    loads = [0] * parts
    for p in sorted(paths, key=lambda p: p.stat().st_size, reverse=True):
        i = loads.index(min(loads))
        groups[i].append(p)
        loads[i] += p.stat().st_size
    return [g for g in groups if g]


def time_openssl(groups: list[list[Path]]) -> float:
    t0 = time.perf_counter()
    procs = [
        subprocess.Popen(
            ["openssl", "dgst", "-sha256", *map(str, g)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for g in groups
    ]
    for p in procs:
        _, err = p.communicate()
        if p.returncode:
            raise SystemExit(f"openssl failed: {err.decode(errors='replace')}")
    return time.perf_counter() - t0


def time_call(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def time_command(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if done.returncode:
        raise SystemExit(f"{cmd[0]} failed: {done.stderr.strip() or done.stdout.strip()}")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="200 MB instead of 1 GB")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per measurement (median)")
    ap.add_argument("--dir", default=None, help="where to create the temporary folder")
    args = ap.parse_args()

    if shutil.which("openssl") is None:
        print("openssl not found on PATH: the reference cannot be measured")
        return 2
    stock = Path(sys.executable).with_name("model_signing")
    stock_cmd = str(stock) if stock.exists() else shutil.which("model_signing")

    if args.quick:
        big, n_big, small_total, n_small = 80 * MB, 2, 40 * MB, 400
    else:
        big, n_big, small_total, n_small = 400 * MB, 2, 200 * MB, 2000
    cores = os.cpu_count() or 1

    tmp = Path(tempfile.mkdtemp(prefix="baton-bench-hash-", dir=args.dir))
    try:
        folder = tmp / "model"
        print(
            f"building {n_big} x {big // MB} MB + {small_total // MB} MB in {n_small} files ...",
            flush=True,
        )
        paths = make_folder(folder, big, n_big, small_total, n_small)
        total = sum(p.stat().st_size for p in paths)
        key = keys.generate_key()
        private_pem = tmp / "key.pem"
        private_pem.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        public_pem = tmp / "key.pub"
        public_pem.write_bytes(keys.public_pem(key))
        groups = split_balanced(paths, cores)
        oms.sign_folder(folder, key)  # model.sig exists for the verify runs
        ours_cmd = [
            sys.executable,
            "-c",
            "import sys; from baton.core.handover import keys, oms; "
            "oms.verify_folder(sys.argv[1], keys.load_public_key_file(sys.argv[2]))",
            str(folder),
            str(public_pem),
        ]
        stock_verify = (
            [
                stock_cmd,
                "verify",
                "key",
                "--signature",
                str(folder / "model.sig"),
                "--public_key",
                str(public_pem),
                str(folder),
            ]
            if stock_cmd
            else None
        )

        print(
            f"{total / MB:,.0f} MB in {len(paths)} files, {cores} cores, {oms.default_workers()} hashing "
            f"threads, {args.runs} runs each, medians; page cache warmed before every run "
            "(all files read once), so this measures hashing, not the disk",
            flush=True,
        )
        times: dict[str, list[float]] = {
            k: [] for k in ("openssl", "sign", "verify", "verify_proc", "stock")
        }
        for run in range(args.runs):
            warm(paths)
            times["openssl"].append(time_openssl(groups))
            warm(paths)
            times["sign"].append(time_call(lambda: oms.sign_folder(folder, key)))
            warm(paths)
            times["verify"].append(time_call(lambda: oms.verify_folder(folder, key.public_key())))
            warm(paths)
            times["verify_proc"].append(time_command(ours_cmd))
            if stock_verify:
                warm(paths)
                times["stock"].append(time_command(stock_verify))
            print(f"  run {run + 1}/{args.runs} done", flush=True)

        med = {k: statistics.median(v) for k, v in times.items() if v}
        mbps = {k: total / MB / t for k, t in med.items()}
        ref = mbps["openssl"]

        def row(label: str, k: str, note: str) -> None:
            print(f"  {label:<44} {med[k]:7.3f} s  {mbps[k]:8.0f} MB/s  {note}")

        print()
        row(
            f"openssl dgst -sha256, {len(groups)} processes (reference)",
            "openssl",
            "1.00 x reference",
        )
        row("Baton sign_folder (hash_tree + sign)", "sign", f"{mbps['sign'] / ref:.2f} x openssl")
        row("Baton verify_folder (in process)", "verify", f"{mbps['verify'] / ref:.2f} x openssl")
        row(
            "Baton verify_folder (fresh python process)",
            "verify_proc",
            f"{mbps['verify_proc'] / ref:.2f} x openssl",
        )
        if "stock" in med:
            row(
                "model_signing verify key (reference)",
                "stock",
                f"{mbps['stock'] / ref:.2f} x openssl",
            )
            print(
                f"  verify speed-up over model_signing: {med['stock'] / med['verify']:.2f} x in process, "
                f"{med['stock'] / med['verify_proc']:.2f} x as a process"
            )
        else:
            print("  model_signing not installed: verify comparison skipped")

        sign_ratio = mbps["sign"] / ref
        verify_ratio = mbps["verify"] / ref
        hash_ok = min(sign_ratio, verify_ratio) >= GOAL_VS_OPENSSL
        parts = [
            f"SUMMARY hashing {total / 1e9:.2f} GB:",
            f"sign {mbps['sign']:.0f} MB/s = {sign_ratio:.2f}x openssl,",
            f"verify {mbps['verify']:.0f} MB/s = {verify_ratio:.2f}x openssl",
            f"(goal >= {GOAL_VS_OPENSSL}x: {'PASS' if hash_ok else 'FAIL'});",
        ]
        verify_ok = True
        if "stock" in med:
            speedup = med["stock"] / med["verify_proc"]
            verify_ok = speedup > 1
            parts.append(
                f"verify as a process {med['verify_proc']:.2f} s vs model_signing {med['stock']:.2f} s "
                f"= {speedup:.2f}x faster (goal > 1x: {'PASS' if verify_ok else 'FAIL'})"
            )
        else:
            parts.append("model_signing comparison skipped")
        print()
        print(" ".join(parts))
        return 0 if hash_ok and verify_ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
