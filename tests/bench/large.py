"""Benchmark of a whole handover of a large test set with the default limits.

    python tests/bench/large.py [--gb N] [--dir DIR] [--keep]

Builds a Parquet test set of about N GB (5 by default; 16 random float columns and a
label, so it does not compress) and a logistic regression fitted on a slice of it, then
runs, each as a process and one after the other, what the two people of a handover run:

1. the data scientist: ``baton pack MODEL --test TEST`` (import, evaluation with its
   bootstrap intervals in the checking child, latency and memory profile, monitoring
   baseline, signing, zipping) in a new home;
2. the engineer, in a home of their own that trusts the author's key: ``baton verify``
   then ``baton review --reproduce`` (the model run again on the bundle's test set and
   every claim checked).

Nothing is raised: no BATON_CHILD_MEMORY_MB, no BATON_CHILD_TIMEOUT_S. Each step prints its
time and the peak resident memory of the command and the children it waited for (GNU
``time``), and the bundle's size. Reference, measured in the same run as a process: the
least an evaluation does, in one Python process, ``pyarrow.parquet.read_table`` of the
test set, the model's ``predict_proba`` and scikit-learn's accuracy and ROC AUC. Goal
(issue 14, "evaluation in batches"): every step succeeds with the default limits on a
24 GB machine. The last line is one SUMMARY; the exit status is 1 when a step fails.
Needs about 4 x N GB of free disk in ``--dir``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from pack import PASSPHRASE, make_test_set  # noqa: E402  (the same incompressible test set)

GNU_TIME = "/usr/bin/time"
REFERENCE = """
import sys
import pyarrow.parquet as pq
import skops.io as sio
from sklearn.metrics import accuracy_score, roc_auc_score
model = sio.load(sys.argv[2], trusted=sio.get_untrusted_types(file=sys.argv[2]))
frame = pq.read_table(sys.argv[1]).to_pandas()
y = frame.pop("label")
p = model.predict_proba(frame)[:, 1]
print(accuracy_score(y, p > 0.5), roc_auc_score(y, p))
"""


def run(step: str, argv: list[str], env: dict[str, str]) -> tuple[bool, float, float, str]:
    """Run one command; whether it succeeded, its seconds, its peak MB and its output."""
    with tempfile.NamedTemporaryFile("r") as peak:
        t0 = time.perf_counter()
        done = subprocess.run(
            [GNU_TIME, "-f", "%M", "-o", peak.name, *argv],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - t0
        text = peak.read().split()
    mb = float(text[-1]) / 1024 if text else float("nan")
    ok = done.returncode == 0
    print(
        f"  {step:<34} {seconds:8.1f} s  peak {mb:7.0f} MB  "
        + ("ok" if ok else f"FAILED (exit {done.returncode})"),
        flush=True,
    )
    if not ok:
        print(textwrap_tail(done.stdout + done.stderr))
    return ok, seconds, mb, done.stdout


def textwrap_tail(text: str, lines: int = 15) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines()[-lines:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gb", type=float, default=5.0, help="test set size in GB (5)")
    parser.add_argument("--dir", type=Path, help="where to work (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the folder afterwards")
    args = parser.parse_args(argv)
    if not shutil.which(GNU_TIME):
        print(f"{GNU_TIME} (GNU time) is needed to measure peak memory", file=sys.stderr)
        return 2
    for name in ("BATON_CHILD_MEMORY_MB", "BATON_CHILD_TIMEOUT_S"):
        if name in os.environ:
            print(f"unset {name}: this benchmark runs with the default limits", file=sys.stderr)
            return 2
    baton = str(Path(sys.executable).with_name("baton"))
    root = Path(tempfile.mkdtemp(prefix="baton-bench-large-", dir=args.dir))
    print(
        f"Large handover: a {args.gb:g} GB test set, {os.cpu_count()} CPUs, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB of memory"
    )
    try:
        import skops.io as sio
        from pyarrow import parquet as pq
        from sklearn.linear_model import LogisticRegression

        test = root / "test.parquet"
        rows = make_test_set(test, int(args.gb * 1000))
        head = pq.ParquetFile(test).read_row_group(0).to_pandas().head(20_000)
        model = LogisticRegression(max_iter=500).fit(head.drop(columns="label"), head["label"])
        sio.dump(model, root / "big-lr.skops")
        print(f"  test set {rows:,} rows, {test.stat().st_size / 1e9:.2f} GB")
        (root / "pass").write_text(PASSPHRASE)
        env = {k: v for k, v in os.environ.items() if not k.startswith("BATON_")}
        author = [baton, "--home", str(root / "author"), "--passphrase-file", str(root / "pass")]
        engineer = [
            baton,
            "--home",
            str(root / "engineer"),
            "--passphrase-file",
            str(root / "pass"),
        ]
        steps: list[tuple[str, bool, float, float]] = []

        def step(name: str, argv: list[str]) -> bool:
            ok, seconds, mb, _ = run(name, argv, env)
            steps.append((name, ok, seconds, mb))
            return ok

        step(
            "reference: read, predict, metrics",
            [sys.executable, "-c", REFERENCE, str(test), str(root / "big-lr.skops")],
        )
        bundle = root / "big-1.baton"
        ok = step(
            "author: keys create",
            [*author, "keys", "create", "--name", "Bench", "--email", "bench@example.org"],
        ) and step(
            "author: baton pack",
            [
                *author,
                "pack",
                str(root / "big-lr.skops"),
                "--test",
                str(test),
                "--target",
                "label",
                "--name",
                "big",
                "--version",
                "1",
                "--intended-use",
                "A benchmark of a large handover.",
                "--out",
                str(bundle),
            ],
        )
        if ok:
            print(f"  bundle {bundle.stat().st_size / 1e9:.2f} GB")
            public = root / "author.pub"
            ok = (
                step("author: keys export", [*author, "keys", "export", "--out", str(public)])
                and step(
                    "engineer: keys trust",
                    [*engineer, "keys", "trust", str(public), "--name", "Bench"],
                )
                and step("engineer: baton verify", [*engineer, "verify", str(bundle)])
                and step(
                    "engineer: review --reproduce",
                    [*engineer, "review", "--reproduce", str(bundle)],
                )
            )
        ok = ok and all(good for _, good, _, _ in steps)  # the reference's too
        verdict = "PASS" if ok else "MISS"
        figures = "; ".join(f"{name.split(': ')[1]} {s:.0f} s / {mb:.0f} MB"
                            for name, good, s, mb in steps if good and "keys" not in name)  # fmt: skip
        print(
            f"SUMMARY large handover, {args.gb:g} GB test set ({rows:,} rows), default limits: "
            f"{verdict} every step succeeds; {figures}"
        )
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
