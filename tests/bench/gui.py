"""GUI figures of DESIGN.md section 7: chart redraw with 1 M points, and the dataset
preview of 10 M rows (first screen, scrolling, rows held in memory).

    python tests/bench/gui.py [--quick]

Runs Qt offscreen. The chart reference is the same chart redrawn with downsampling and clipping switched
off, in the same run, to show what those two settings buy.
"""

from __future__ import annotations

import argparse
import os
import statistics
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
    from baton.gui.common.charts import LatencyDistributionChart

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 k chart points, 1 M preview rows")
    args = parser.parse_args()
    points = 100_000 if args.quick else 1_000_000
    rows = 1_000_000 if args.quick else 10_000_000
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
    print(
        f"SUMMARY gui: {'PASS' if chart_ok else 'MISS'} chart redraw {redraw:.1f} ms with {points:,} points (goal <= 33) | "
        f"{'PASS' if first_ok else 'MISS'} first screen {p['first']:.0f} ms of {rows:,} rows (goal <= 300) | "
        f"{'PASS' if held_ok else 'MISS'} scrolling never loads all rows ({p['held']:,} held)"
    )
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
