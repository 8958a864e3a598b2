"""Charts of a model's speed and memory, fed with the dicts core's profiling produces.

The latency per batch size, the distribution of single-row latencies, the memory at
load and at peak, and the candidates of a handover side by side: the DS's profiling view
and the engineer's contract tab draw them, as :mod:`baton.gui.common.charts` draws the
quality charts, with the same base (:mod:`baton.gui.common.chart_base`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QWidget,
)

from baton.core.present import fmt_duration, fmt_target_value
from baton.gui.common.chart_base import (
    ChartBase,
    chart_axes,
    make_pen,
    qcolor,
    series_color,
    style_plot,
    text_item,
    theme_color,
    tick_format,
)
from baton.gui.common.widgets import plain_text


class LatencyChart(ChartBase):
    """Latency per batch size: ``set_data([{"batch_size", "p50_ms", "p95_ms", "p99_ms"}, …])``.

    The p50 line is drawn with p50–p95 and p95–p99 bands around it; the x axis is
    logarithmic (ticks at the measured batch sizes).
    """

    title = "Latency by batch size"
    empty_text = "No latency measured yet."

    def set_data(self, latency: Sequence[Mapping[str, Any]] | None) -> None:
        self._update(latency=list(latency) if latency else None)

    def _render(self, latency: list[Mapping[str, Any]]) -> None:
        plot = self.view.getPlotItem()
        style_plot(plot, "Batch size (rows, log scale)", "Latency per batch")
        rows = sorted(latency, key=lambda r: r["batch_size"])
        x = np.log10([max(1, r["batch_size"]) for r in rows])
        p50 = np.asarray([r["p50_ms"] for r in rows], float)
        p95 = np.asarray([r["p95_ms"] for r in rows], float)
        p99 = np.asarray([r["p99_ms"] for r in rows], float)
        blue = series_color(0)
        c50 = pg.PlotDataItem(
            x,
            p50,
            pen=make_pen(blue, 2.5),
            symbol="o",
            symbolSize=7,
            symbolBrush=qcolor(blue),
            symbolPen=make_pen(theme_color("base"), 1),
        )
        c95 = pg.PlotDataItem(x, p95, pen=make_pen(blue, 1, Qt.PenStyle.DashLine))
        c99 = pg.PlotDataItem(x, p99, pen=make_pen(blue, 1, Qt.PenStyle.DotLine))
        band1 = pg.FillBetweenItem(c50, c95, brush=pg.mkBrush(qcolor(blue, 90)))
        band2 = pg.FillBetweenItem(c95, c99, brush=pg.mkBrush(qcolor(blue, 40)))
        for item in (band2, band1, c99, c95, c50):
            plot.addItem(item)
        self.legend.add("p50", blue, width=2.5, symbol="o")
        self.legend.add("p95 (band from p50)", blue, Qt.PenStyle.DashLine, 1, fill_alpha=90)
        self.legend.add("p99 (band from p95)", blue, Qt.PenStyle.DotLine, 1, fill_alpha=40)
        tick_format(plot, "left", "ms")
        plot.getAxis("bottom").setTicks(
            [[(xi, f"{r['batch_size']:,}") for xi, r in zip(x, rows, strict=True)], []]
        )
        span = float(x.max() - x.min()) or 1.0
        plot.setXRange(float(x.min()) - 0.05 * span, float(x.max()) + 0.05 * span, padding=0)
        plot.setYRange(0, float(np.nanmax(p99)) * 1.1 if np.isfinite(p99).any() else 1.0, padding=0)


class LatencyDistributionChart(ChartBase):
    """Raw latency samples of one batch size as a histogram and a cumulative curve.

    ``set_data(raw_ms=[...], percentiles={"p50": …, "p95": …, "p99": …}, batch_size=…)``.
    """

    title = "Latency distribution"
    empty_text = "No raw samples were stored for this batch size."

    def _make_view(self) -> QWidget:
        view = pg.GraphicsLayoutWidget()
        self._hist_plot = view.addPlot(row=0, col=0, axisItems=chart_axes())
        self._cdf_plot = view.addPlot(row=0, col=1, axisItems=chart_axes())
        return view

    def plots(self) -> list[pg.PlotItem]:
        return [self._hist_plot, self._cdf_plot]

    def set_data(
        self,
        raw_ms: Sequence[float] | None,
        percentiles: Mapping[str, float] | None = None,
        batch_size: int | None = None,
    ) -> None:
        if raw_ms is None or len(raw_ms) == 0:
            self._update()
            return
        self._update(raw_ms=raw_ms, percentiles=percentiles or {}, batch_size=batch_size)

    def _render(self, raw_ms, percentiles, batch_size) -> None:
        values = np.sort(np.asarray(raw_ms, dtype=np.float64))
        n = values.size
        hist, cdf = self._hist_plot, self._cdf_plot
        style_plot(hist, "Latency", "Samples")
        style_plot(cdf, "Latency", "Share of calls at most this fast")
        for plot in (hist, cdf):
            tick_format(plot, "bottom", "ms")
        tick_format(hist, "left", "count")
        # The body of the distribution matters more than a few slow outliers: the axes
        # stop at 1.5 x p99 and the subtitle says how many samples lie beyond.
        lower = values[0]
        p99 = percentiles.get("p99")
        upper = min(values[-1], 1.5 * p99) if p99 else values[-1]
        if upper <= lower:
            upper = lower + max(abs(lower) * 0.01, 1e-6)
        beyond = int(n - np.searchsorted(values, upper, side="right"))
        bins = int(min(100, max(20, 2 * math.sqrt(n))))
        counts, edges = np.histogram(values, bins=bins, range=(lower, upper))
        blue = series_color(0)
        hist.addItem(
            pg.PlotCurveItem(
                edges,
                counts,
                stepMode="center",
                fillLevel=0,
                brush=pg.mkBrush(qcolor(blue, 110)),
                pen=make_pen(blue, 1.5),
            )
        )
        fraction = np.arange(1, n + 1, dtype=np.float64) / n
        cdf.addItem(pg.PlotDataItem(values, fraction, pen=make_pen(blue, 2)))
        for i, (name, value) in enumerate(sorted(percentiles.items(), key=lambda kv: kv[1])):
            if value is None:
                continue
            color = series_color(i + 1)
            for plot in (hist, cdf):
                plot.addItem(
                    pg.InfiniteLine(
                        pos=value, angle=90, pen=make_pen(color, 1.5, Qt.PenStyle.DashLine)
                    )
                )
            # named under the plots: a label beside the line covered the histogram's bars
            self.legend.add(f"{name} {fmt_duration(value)}", color, Qt.PenStyle.DashLine, 1.5)
        for plot in (hist, cdf):
            plot.setXRange(lower, upper, padding=0.02)
        cdf.setYRange(0, 1, padding=0.02)
        hist.setYRange(0, max(1, int(counts.max())) * 1.1, padding=0)
        what = f"Batch size {batch_size:,}: " if batch_size is not None else ""
        self.set_subtitle(
            f"{what}{n:,} samples from {fmt_duration(values[0])} to {fmt_duration(values[-1])}"
            + (
                f"; the axes stop at 1.5 × p99 ({fmt_duration(upper)}), {beyond:,} slower sample"
                f"{'s' if beyond != 1 else ''} beyond"
                if beyond
                else ""
            )
        )


class MemoryChart(ChartBase):
    """Memory bars from a profile's ``memory`` dict (resident delta, peak, size on disk)."""

    title = "Memory"
    empty_text = "No memory measured yet."
    BARS = (
        ("resident_delta_mb", "Resident after load"),
        ("peak_during_predict_mb", "Peak during predict"),
        ("size_on_disk_mb", "Size on disk"),
    )

    def set_data(self, memory: Mapping[str, Any] | None) -> None:
        self._update(memory=memory or None)

    def _render(self, memory: Mapping[str, Any]) -> None:
        plot = self.view.getPlotItem()
        style_plot(plot, "", "Memory (1 MB = 2²⁰ bytes)")
        plot.showGrid(x=False, y=True, alpha=0.15)
        tick_format(plot, "left", "mb")
        bars = [(key, label, memory.get(key)) for key, label in self.BARS]
        heights = [float(v) if v is not None else 0.0 for _, _, v in bars]
        top = max(heights + [0.001])
        brushes = [pg.mkBrush(qcolor(series_color(i))) for i in range(len(bars))]
        plot.addItem(
            pg.BarGraphItem(
                x=np.arange(len(bars)),
                height=heights,
                width=0.55,
                brushes=brushes,
                pen=pg.mkPen(None),
            )
        )
        for i, (_key, _label, value) in enumerate(bars):
            item = text_item(
                fmt_target_value("memory_mb", value),
                theme_color("text"),
                anchor=(0.5, 1.0),
                bold=True,
            )
            item.setPos(i, heights[i])
            plot.addItem(item)
        batch = memory.get("batch_size")
        bottom = plot.getAxis("bottom")
        bottom.setTicks([[(i, label) for i, (_, label, _) in enumerate(bars)], []])
        # Without an axis title pyqtgraph leaves too little room under word ticks.
        bottom.setHeight(QFontMetrics(bottom.style["tickFont"] or QFont()).height() + 16)
        plot.setXRange(-0.6, len(bars) - 0.4, padding=0)
        plot.setYRange(0, top * 1.25, padding=0)
        notes = []
        if batch:
            notes.append(f"Peak while predicting a batch of {batch:,} rows")
        if memory.get("peak_method"):
            notes.append(
                f"measured with {memory['peak_method']}"
                if notes
                else f"Peak measured with {memory['peak_method']}"
            )
        if memory.get("peak_reset") is False:
            notes.append("it could not be reset before predicting, so it is an upper bound")
        self.set_subtitle("; ".join(notes) + ("." if notes else ""))


# --------------------------------------------------------------------------- tables


# --------------------------------------------------------------------------- candidates


class CandidatesChart(ChartBase):
    """Quality against latency, one point per candidate model of a handover.

    ``set_data(rows, metric, targets)``: rows as
    :func:`baton.core.contract.candidates.comparison` gives them; x is latency p95 at
    batch 1, y the ``metric`` (accuracy, or r2) with its interval as an error bar. The
    agreed targets on either axis are drawn as dashed lines, so the candidates that meet
    both sit in one corner. The recommended candidate is drawn larger.
    """

    title = "Candidates: quality against latency"
    empty_text = "No candidate has both the quality metric and latency at batch 1 measured."

    def set_data(
        self,
        rows: Sequence[Mapping[str, Any]] | None,
        metric: str = "accuracy",
        targets: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self.target_lines: list[tuple[str, float]] = []
        usable = [
            r
            for r in rows or []
            if r.get("latency_p95_ms_batch_1") is not None
            and (r.get("metrics") or {}).get(metric, {}).get("value") is not None
        ]
        if not usable:
            self._update(rows=None)  # the empty state
            return
        self._update(rows=usable, metric=metric, targets=list(targets))

    def _render(self, rows, metric, targets) -> None:
        from baton.core.present import METRIC_LABELS

        plot = self.view.getPlotItem()
        label = METRIC_LABELS.get(metric, metric)
        style_plot(plot, "Latency p95 at batch 1", label)
        tick_format(plot, "bottom", "ms")
        self.target_lines = []
        xs, ys = [], []
        for i, r in enumerate(rows):
            value = r["metrics"][metric]
            x, y = float(r["latency_p95_ms_batch_1"]), float(value["value"])
            xs.append(x)
            ys.append(y)
            color = series_color(i)
            low, high = value.get("ci_low"), value.get("ci_high")
            if low is not None and high is not None:
                plot.addItem(
                    pg.ErrorBarItem(
                        x=np.array([x]),
                        y=np.array([y]),
                        top=np.array([high - y]),
                        bottom=np.array([y - low]),
                        beam=0,
                        pen=make_pen(color, 1.5),
                    )
                )
                ys += [low, high]
            point = pg.ScatterPlotItem(
                [x],
                [y],
                size=14 if r.get("recommended") else 10,
                brush=pg.mkBrush(qcolor(color)),
                pen=make_pen(
                    theme_color("text") if r.get("recommended") else theme_color("base"), 1.5
                ),
            )
            plot.addItem(point)
            # a TextItem shows plain text: candidate names are data from the bundle
            name = plain_text(str(r["name"])) + (" (recommended)" if r.get("recommended") else "")
            tag = text_item(name, theme_color("text"), anchor=(0, 1))
            tag.setPos(x, y)
            plot.addItem(tag)
        for t in targets:
            if t.get("metric") == metric:
                self._target_line(
                    plot,
                    0,
                    float(t["threshold"]),
                    f"{label} {t['op']} {fmt_target_value(metric, t['threshold'], exact=True)}",
                )
                ys.append(float(t["threshold"]))
            elif t.get("metric") == "latency_p95_ms" and t.get("batch") == 1:
                limit = fmt_target_value("latency_p95_ms", t["threshold"], exact=True)
                self._target_line(plot, 90, float(t["threshold"]), f"p95@1 {t['op']} {limit}")
                xs.append(float(t["threshold"]))
        x_span = (max(xs) - min(xs)) or max(xs) or 1.0
        y_span = (max(ys) - min(ys)) or 0.01
        # room on the right for the names written beside the points
        plot.setXRange(max(0.0, min(xs) - 0.15 * x_span), max(xs) + 0.6 * x_span, padding=0)
        plot.setYRange(min(ys) - 0.15 * y_span, max(ys) + 0.15 * y_span, padding=0)

    def _target_line(self, plot: pg.PlotItem, angle: int, at: float, text: str) -> None:
        line = pg.InfiniteLine(
            pos=at,
            angle=angle,
            pen=make_pen(theme_color("warn_text"), 1.5, Qt.PenStyle.DashLine),
            label=text,
            # the latency target's name at the top of its line, the quality target's at
            # the right end of its own: written in one corner, they overlapped
            labelOpts={
                "color": theme_color("warn_text"),
                "position": 0.98 if angle == 0 else 0.97,
                "anchors": [(1, 1), (1, 1)] if angle == 0 else [(0, 0), (0, 0)],
            },
        )
        plot.addItem(line)
        self.target_lines.append(("y" if angle == 0 else "x", at))
