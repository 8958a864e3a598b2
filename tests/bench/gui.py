"""GUI figures of DESIGN.md section 7: chart redraw with 1 M points, the dataset preview
of 10 M rows (first screen, scrolling, rows held in memory), and the window's stalls at
100 k models.

    python tests/bench/gui.py [--quick] [--stalls-only] [--runs N]

Runs Qt offscreen. The chart reference is the same chart redrawn with downsampling and clipping switched
off, in the same run, to show what those two settings buy.

(c) Stalls: the longest gap between the ticks of a 5 ms timer (the event loop's longest
freeze) while the window (1) starts as ``baton gui`` does on a catalog of 100 k models
(20 k with --quick) and 2,000 datasets, until the catalog is listed and the pages' code
is loaded; (2) lists the whole catalog again when the search box is cleared; (3) opens a
signed bundle, until it is verified and shown. Goal: no stall over 100 ms. Each run is a
new process; the three cases and the reference (the same probe over a bare window doing
nothing for 2 s: the machine's own noise) alternate, and the figure is the median over
the runs of each run's longest gap, with the process's peak resident memory. The catalog
is inserted in one transaction as tests/bench/catalog.py does; the bundle is a small
logistic regression signed by a key the engineer's home trusts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableView  # noqa: E402


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bench_chart(points: int, repeats: int) -> tuple[float, float, float]:
    from baton.gui.common.speed_charts import LatencyDistributionChart

    rng = np.random.default_rng(0)
    raw = rng.lognormal(mean=0.0, sigma=0.4, size=points)
    chart = LatencyDistributionChart()
    chart.resize(900, 420)
    chart.show()
    t0 = time.perf_counter()
    chart.set_data(
        raw, {"p50": float(np.percentile(raw, 50)), "p99": float(np.percentile(raw, 99))}, 1
    )
    chart.grab()
    first = (time.perf_counter() - t0) * 1000
    redraw = _median_ms(lambda: chart.view.grab(), repeats)

    # Reference: the same chart with downsampling and clipping switched off.
    for plot in chart.plots():
        for item in plot.listDataItems():
            if isinstance(item, pg.PlotDataItem):
                item.setDownsampling(ds=1, auto=False)
                item.setClipToView(False)
    chart.view.grab()
    reference = _median_ms(lambda: chart.view.grab(), repeats)
    return first, redraw, reference


def bench_preview(rows: int, tmp: Path) -> dict[str, float]:
    from baton.gui.catalog.table_models import ArrowTableModel, ParquetSource

    path = tmp / "big.parquet"
    idx = np.arange(rows, dtype=np.int64)
    table = pa.table(
        {
            "id": idx,
            "x": np.random.default_rng(1).normal(size=rows),
            "city": pa.DictionaryArray.from_arrays(
                pa.array((idx % 3).astype(np.int32)), pa.array(["Lyon", "Porto", "Turku"])
            ).cast(pa.string()),
            "label": (idx % 2).astype(np.int8),
        }
    )
    pq.write_table(table, path, row_group_size=1 << 20)
    del table
    view = QTableView()
    view.resize(1000, 700)
    view.show()
    t0 = time.perf_counter()
    source = ParquetSource(path)
    model = ArrowTableModel(source)
    view.setModel(model)
    view.grab()
    first = (time.perf_counter() - t0) * 1000
    out = {"first": first}
    for name, row in (("middle", rows // 2), ("end", rows - 1)):
        t0 = time.perf_counter()
        view.scrollTo(model.index(row, 0))
        view.grab()
        out[name] = (time.perf_counter() - t0) * 1000
    step = []
    for _ in range(30):  # page down from the middle, as a user scrolling would
        t0 = time.perf_counter()
        view.verticalScrollBar().setValue(view.verticalScrollBar().value() + 30)
        view.grab()
        step.append((time.perf_counter() - t0) * 1000)
    out["scroll_p50"] = statistics.median(step)
    out["scroll_max"] = max(step)
    out["held"] = source.held_rows()
    return out


STALL_GOAL_MS = 100.0

# One case per process; prints "gap MS" (the longest gap between the probe's ticks while
# the case ran) and leaves at once.
STALL_CHILD = r"""
import os, sys, time
case, home, bundle = sys.argv[1], sys.argv[2], sys.argv[3]
from PySide6.QtCore import QEventLoop, QTimer

class Probe:
    def __init__(self):
        self.last = None
        self.gap = 0.0
        self.on = False
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self.tick)
    def start(self):
        self.on, self.last, self.gap = True, time.perf_counter(), 0.0
    def tick(self):
        now = time.perf_counter()
        if self.on and self.last is not None:
            self.gap = max(self.gap, (now - self.last) * 1000)
        self.last = now

def wait(cond, ms):
    loop = QEventLoop()
    end = time.perf_counter() + ms / 1000
    check = QTimer()
    check.timeout.connect(lambda: (cond() or time.perf_counter() > end) and loop.quit())
    check.start(5)
    loop.exec()
    check.stop()

probe = Probe()
if case == "idle":
    from PySide6.QtWidgets import QApplication, QMainWindow
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.resize(1280, 820)
    window.show()
    probe.timer.start()
    wait(lambda: False, 300)
    probe.start()
    wait(lambda: False, 2000)
else:
    from baton.gui.shell.app import make_window  # what `baton gui` runs, minus app.exec()
    app, window = make_window(home)
    probe.timer.start()
    if case == "start":
        probe.start()
    window.show()
    ready = lambda: window.catalog is not None and window.pages_warm
    wait(ready, 120_000)
    assert ready(), "the window never finished starting"
    wait(lambda: False, 300)
    if case == "clear":
        window.search.setText("churn")
        wait(lambda: False, 300)
        assert window.listed_items("models"), "no model matches 'churn'"
        probe.start()
        window.search.clear()
        wait(lambda: False, 500)
        assert len(window.listed_items("models")) >= 50, window.listed_items("models")
    elif case == "open":
        probe.start()
        page = window.open_document(bundle)
        wait(lambda: page.state not in ("verifying", None), 120_000)
        assert page.state == "verified", page.banner.text()
        wait(lambda: False, 300)
# Peak resident memory of this process since it started (VmHWM): the rusage of a child
# would also count the parent's memory at the fork.
with open("/proc/self/status") as status:
    hwm = next((l.split()[1] for l in status if l.startswith("VmHWM:")), "0")
print(f"gap {probe.gap:.1f} {int(hwm) / 1024:.1f}", flush=True)
os._exit(0)
"""


def make_stall_world(folder: Path, n_models: int) -> tuple[Path, Path]:
    """An engineer's home with ``n_models`` models (and n/50 datasets) that trusts the
    signer of a small bundle; returns the home and the bundle."""
    import random

    import pandas as pd
    import skops.io as sio
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from baton.core.catalog.store import Catalog
    from baton.core.handover import packing, trust

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.bench.catalog import dataset_rows, model_rows

    passphrase = "correct horse battery staple"
    ds_home, mle_home = folder / "scientist", folder / "engineer"
    frame = load_breast_cancer(as_frame=True).frame
    frame.insert(0, "patient_id", [f"P{i:04d}" for i in range(len(frame))])
    test = frame.sample(frac=0.3, random_state=0)
    train = frame.drop(test.index)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    model.fit(train.drop(columns=["patient_id", "target"]), train["target"])
    sio.dump(model, folder / "bc-lr.skops")
    pd.DataFrame(test).to_csv(folder / "bc-test.csv", index=False)
    with Catalog(ds_home) as ds, Catalog(mle_home) as mle:
        dana = trust.create_identity(ds, "Dana Scientist", "dana@example.org", passphrase)
        trust.create_identity(mle, "Eli Engineer", "eli@example.org", passphrase)
        (folder / "dana.pub").write_bytes(trust.my_public_pem(ds_home))
        trust.trust_key(mle, folder / "dana.pub", dana["name"], dana["email"])
        bundle = folder / "bc-lr-1.baton"
        packing.pack(
            ds,
            str(folder / "bc-lr.skops"),
            test=str(folder / "bc-test.csv"),
            target="target",
            id_column="patient_id",
            name="bc-lr",
            version="1",
            passphrase=passphrase,
            out=bundle,
            budget_s=0.05,
            intended_use="Second reader for breast-cancer biopsies; a pathologist decides.",
        )
        rng = random.Random(0)
        with mle.write() as db:
            db["models"].insert_all(model_rows(n_models, rng), batch_size=500)
            db["datasets"].insert_all(dataset_rows(max(50, n_models // 50), rng), batch_size=100)
    return mle_home, bundle


def stall_run(case: str, home: Path, bundle: Path, cache: str) -> tuple[float, float]:
    """The longest gap in ms of one case in a new process, and its peak memory in MB."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed app runs from bytecode
    env["PYTHONPYCACHEPREFIX"] = cache
    env.pop("BATON_HOME", None)
    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", STALL_CHILD, case, str(home), str(bundle)],
            stdout=subprocess.PIPE,
            stderr=err,
            env=env,
            text=True,
        )
        assert proc.stdout is not None
        out = proc.stdout.read()
        proc.wait()
        err.seek(0)
        errors = err.read()
    found = [line.split()[1:] for line in out.splitlines() if line.startswith("gap ")]
    if not found:
        raise SystemExit(f"the {case} case failed:\n{errors[-2000:]}")
    return float(found[0][0]), float(found[0][1])


def bench_stalls(n_models: int, runs: int) -> dict[str, tuple[float, float, float]]:
    """Median and worst longest gap and median peak MB per case (module docstring, (c))."""
    cases = ("idle", "start", "clear", "open")
    with tempfile.TemporaryDirectory(prefix="baton-bench-stalls-") as tmp:
        t0 = time.perf_counter()
        home, bundle = make_stall_world(Path(tmp), n_models)
        print(
            f"  catalog of {n_models:,} models and a signed bundle built in {time.perf_counter() - t0:.1f} s"
        )
        cache = str(Path(tmp) / "pycache")
        for case in cases:  # warm-up: bytecode, file cache, fonts
            stall_run(case, home, bundle, cache)
        gaps: dict[str, list[float]] = {c: [] for c in cases}
        mbs: dict[str, list[float]] = {c: [] for c in cases}
        for i in range(runs):
            for case in cases:
                gap, mb = stall_run(case, home, bundle, cache)
                gaps[case].append(gap)
                mbs[case].append(mb)
            print(
                "  run " + str(i + 1) + ": " + ", ".join(f"{c} {gaps[c][-1]:.0f} ms" for c in cases)
            )
    return {c: (statistics.median(gaps[c]), max(gaps[c]), statistics.median(mbs[c])) for c in cases}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="100 k chart points, 1 M preview rows, 20 k models, 3 runs",
    )
    parser.add_argument("--stalls-only", action="store_true", help="only (c), the window's stalls")
    parser.add_argument("--runs", type=int, default=None, help="runs per stall case (default 5)")
    args = parser.parse_args()
    points = 100_000 if args.quick else 1_000_000
    rows = 1_000_000 if args.quick else 10_000_000
    n_models = 20_000 if args.quick else 100_000
    runs = args.runs or (3 if args.quick else 5)
    if args.stalls_only:
        print(
            f"GUI benchmark (Qt offscreen), Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
        )
        stalls = bench_stalls(n_models, runs)
        print_stalls(stalls, n_models, runs)
        ok = stalls_ok(stalls)
        print(f"SUMMARY gui: {stall_summary(stalls, n_models)}")
        return 0 if ok else 1
    app = QApplication.instance() or QApplication(sys.argv[:1])
    print(f"GUI benchmark (Qt offscreen), Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    first, redraw, reference = bench_chart(points, 9)
    print(
        f"(a) chart with {points:,} points: first draw {first:.1f} ms; redraw median {redraw:.1f} ms "
        f"| without downsampling and clipping {reference:.1f} ms -> {reference / redraw:.1f}x faster (goal redraw <= 33 ms)"
    )
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as tmp:
        p = bench_preview(rows, Path(tmp))
    print(
        f"(b) preview of {rows:,} rows: first screen {p['first']:.1f} ms (goal <= 300 ms); jump to the middle "
        f"{p['middle']:.1f} ms, to the end {p['end']:.1f} ms; scrolling p50 {p['scroll_p50']:.1f} ms, max {p['scroll_max']:.1f} ms; "
        f"rows held in memory {p['held']:,} of {rows:,}"
    )
    chart_ok, first_ok, held_ok = redraw <= 33, p["first"] <= 300, p["held"] < rows // 10
    stalls = bench_stalls(n_models, runs)
    print_stalls(stalls, n_models, runs)
    print(
        f"SUMMARY gui: {'PASS' if chart_ok else 'MISS'} chart redraw {redraw:.1f} ms with {points:,} points (goal <= 33) | "
        f"{'PASS' if first_ok else 'MISS'} first screen {p['first']:.0f} ms of {rows:,} rows (goal <= 300) | "
        f"{'PASS' if held_ok else 'MISS'} scrolling never loads all rows ({p['held']:,} held) | "
        f"{stall_summary(stalls, n_models)}"
    )
    app.quit()
    return 0 if chart_ok and first_ok and held_ok and stalls_ok(stalls) else 1


CASE_WORDS = {
    "start": "starting",
    "clear": "clearing the search box",
    "open": "opening a bundle",
}


def print_stalls(stalls: dict[str, tuple[float, float, float]], n_models: int, runs: int) -> None:
    idle = stalls["idle"]
    print(
        f"(c) longest stall of the event loop at {n_models:,} models, median of {runs} runs (worst):"
    )
    for case, words in CASE_WORDS.items():
        median, worst, mb = stalls[case]
        print(f"    {words:<24} {median:6.0f} ms ({worst:.0f})   peak {mb:.0f} MB")
    print(
        f"    {'reference: a bare window':<24} {idle[0]:6.0f} ms ({idle[1]:.0f})   peak {idle[2]:.0f} MB  (the machine's noise, goal <= {STALL_GOAL_MS:.0f} ms)"
    )


def stalls_ok(stalls: dict[str, tuple[float, float, float]]) -> bool:
    return all(stalls[c][0] <= STALL_GOAL_MS for c in CASE_WORDS)


def stall_summary(stalls: dict[str, tuple[float, float, float]], n_models: int) -> str:
    parts = ", ".join(f"{CASE_WORDS[c]} {stalls[c][0]:.0f}" for c in CASE_WORDS)
    verdict = "PASS" if stalls_ok(stalls) else "MISS"
    return (
        f"{verdict} longest stall at {n_models:,} models: {parts} ms "
        f"(bare window {stalls['idle'][0]:.0f} ms; goal <= {STALL_GOAL_MS:.0f})"
    )


if __name__ == "__main__":
    sys.exit(main())
