"""Charts of the bundle page: a contract's metrics with their intervals, and latency claimed against measured here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from baton.gui.common import theme
from baton.gui.common.chart_base import (
    CHART_MIN_HEIGHT,
    ChartBase,
    make_pen,
    style_plot,
    tick_format,
)

# Quality metrics shown on a common 0..1 axis; error-like metrics have their own scales.
UNBOUNDED_METRICS = {"log_loss", "mae", "rmse", "mape", "max_error"}


class MetricIntervalsChart(ChartBase):
    """Each quality metric with its 95 % interval; the contract's thresholds as red ticks.

    ``set_data(metrics, targets, here=None)``: ``metrics`` as in a contract's results,
    ``here`` an optional ``{metric: value}`` measured on this machine.
    """

    title = "Metrics with 95 % intervals"
    empty_text = "The contract holds no quality metrics on a 0–1 scale."

    def set_data(
        self,
        metrics: Mapping[str, Mapping[str, Any]] | None,
        targets: Sequence[Mapping[str, Any]] = (),
        here: Mapping[str, Any] | None = None,
    ) -> None:
        names = [
            n
            for n, m in (metrics or {}).items()
            if n not in UNBOUNDED_METRICS and m.get("value") is not None
        ]
        if not names:
            self._update()
            return
        self._update(metrics=metrics, targets=list(targets), here=here, names=names)

    def _render(self, metrics, targets, here, names) -> None:  # type: ignore[override]
        c = theme.current_colors()
        plot = self.plots()[0]
        style_plot(plot, "Value (95 % interval)", "")
        blue, green, red = theme.SERIES[0], theme.SERIES[2], theme.SERIES[3]
        y = np.arange(len(names), dtype=float)
        x = np.array([float(metrics[n]["value"]) for n in names])
        lo = np.array([float(metrics[n].get("ci_low", metrics[n]["value"])) for n in names])
        hi = np.array([float(metrics[n].get("ci_high", metrics[n]["value"])) for n in names])
        plot.addItem(
            pg.ErrorBarItem(x=x, y=y, left=x - lo, right=hi - x, beam=0.25, pen=make_pen(blue, 1.5))
        )
        plot.addItem(
            pg.ScatterPlotItem(
                x, y, size=9, brush=pg.mkBrush(QColor(blue)), pen=make_pen(c["base"], 1)
            )
        )
        self.legend.add("claimed by the data scientist", blue, None, symbol="o")
        lows = [lo.min()]
        thresholds = [
            (names.index(t["metric"]), float(t["threshold"]))
            for t in targets
            if t.get("metric") in names and t.get("threshold") is not None
        ]
        if thresholds:
            tx = np.array([t for _, t in thresholds])
            ty = np.array([float(i) for i, _ in thresholds])
            plot.addItem(
                pg.ScatterPlotItem(
                    tx, ty, symbol="|", size=22, pen=make_pen(red, 3), brush=pg.mkBrush(QColor(red))
                )
            )
            self.legend.add("target threshold", red, None, symbol="|")
            lows.append(tx.min())
        if here:
            pts = [(i, float(here[n])) for i, n in enumerate(names) if here.get(n) is not None]
            if pts:
                hx = np.array([v for _, v in pts])
                hy = np.array([float(i) for i, _ in pts])
                plot.addItem(
                    pg.ScatterPlotItem(
                        hx, hy, symbol="d", size=11, brush=pg.mkBrush(None), pen=make_pen(green, 2)
                    )
                )
                self.legend.add("measured here", green, None, symbol="d")
        left = plot.getAxis("left")
        # one named row per metric, each tall enough for its name (see the view's height)
        left.every_label = True
        left.setTicks([[(i, n) for i, n in enumerate(names)], []])
        plot.getAxis("left").setWidth(120)
        plot.invertY(True)
        low = float(min(lows))
        plot.setXRange(max(-1.0, low - 0.05 * (1.0 - low + 1e-3) - 0.01), 1.0, padding=0.02)
        plot.setYRange(-0.6, len(names) - 0.4, padding=0)
        self.view.setMinimumHeight(max(CHART_MIN_HEIGHT, 28 * len(names) + 80))


class LatencyCompareChart(ChartBase):
    """Latency per batch size, claimed (dashed) against measured here (solid)."""

    title = "Latency: claimed vs measured here"
    empty_text = "No latency to compare."

    def set_data(self, rows: Sequence[Mapping[str, Any]] | None) -> None:
        rows = sorted(rows or [], key=lambda r: r["batch_size"])
        self._update(rows=rows or None)

    def _render(self, rows) -> None:  # type: ignore[override]
        plot = self.plots()[0]
        style_plot(plot, "Batch size (rows, log scale)", "Latency per batch")
        tick_format(plot, "left", "ms")
        x = np.log10([max(1, r["batch_size"]) for r in rows])
        top = 0.0
        for i, (key, label) in enumerate((("p50_ms", "p50"), ("p95_ms", "p95"))):
            color = theme.SERIES[i]
            for who, style, width in (
                ("claimed", Qt.PenStyle.DashLine, 1.5),
                ("here", Qt.PenStyle.SolidLine, 2.5),
            ):
                values = [r.get(f"{who}_{key}") for r in rows]
                y = np.array([np.nan if v is None else float(v) for v in values])
                if not np.isfinite(y).any():
                    continue
                top = max(top, float(np.nanmax(y)))
                item = pg.PlotDataItem(
                    x,
                    y,
                    pen=make_pen(color, width, style),
                    symbol="o" if who == "here" else "t",
                    symbolSize=7,
                    symbolBrush=QColor(color),
                    symbolPen=make_pen(color, 1),
                )
                plot.addItem(item)
                self.legend.add(
                    f"{label} {'claimed' if who == 'claimed' else 'measured here'}",
                    color,
                    style,
                    width,
                    symbol="o" if who == "here" else "t",
                )
        plot.getAxis("bottom").setTicks(
            [[(xi, f"{r['batch_size']:,}") for xi, r in zip(x, rows, strict=True)], []]
        )
        span = float(x.max() - x.min()) or 1.0
        plot.setXRange(float(x.min()) - 0.05 * span, float(x.max()) + 0.05 * span, padding=0)
        plot.setYRange(0, top * 1.25 or 1.0, padding=0)


def memory_for_chart(memory: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A contract's memory block in the key names of :class:`~baton.gui.common.speed_charts.MemoryChart`."""
    if not memory:
        return None
    return {
        "resident_delta_mb": memory.get("rss_delta_after_load_mb"),
        "peak_during_predict_mb": memory.get("peak_predict_mb"),
        "size_on_disk_mb": memory.get("size_on_disk_mb"),
    }
