"""Charts of the bundle page: a contract's metrics with their intervals, and latency claimed against measured here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QLabel,
    QVBoxLayout,
    QWidget,
)

from baton.gui.common import theme
from baton.gui.common.widgets import (
    muted_label,
    title_label,
)


class PlotPanel(QWidget):
    """A titled pyqtgraph plot with an empty state, coloured from the palette."""

    title = ""
    empty_text = "Nothing to show."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(title_label(self.title, "SectionTitle"))
        self.subtitle = muted_label()
        # app-owned: the legend's coloured marks; it never holds text from a bundle
        self.subtitle.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.subtitle)
        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setMinimumHeight(240)
        self.empty = QLabel(self.empty_text)
        self.empty.setObjectName("ChartEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.empty)
        self.items: list[Any] = []
        self._show(False)

    @property
    def plot(self) -> pg.PlotItem:
        return self.plot_widget.getPlotItem()

    def _show(self, has_data: bool) -> None:
        self.plot_widget.setVisible(has_data)
        self.empty.setVisible(not has_data)

    def has_data(self) -> bool:
        return bool(self.items)

    def _begin(self, x_label: str, y_label: str) -> pg.PlotItem:
        c = theme.current_colors()
        self.plot_widget.setBackground(c["base"])
        plot = self.plot
        plot.clear()
        if plot.legend is not None:
            if plot.legend.scene() is not None:
                plot.legend.scene().removeItem(plot.legend)
            plot.legend = None
        self.items = []
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setPen(pg.mkPen(c["border"]))
            axis.setTextPen(pg.mkPen(c["muted"]))
        plot.setLabel("bottom", x_label, color=c["muted"])
        plot.setLabel("left", y_label, color=c["muted"])
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        return plot

    def _add(self, item: Any) -> Any:
        self.plot.addItem(item)
        self.items.append(item)
        return item

    def _legend(self) -> pg.LegendItem:
        c = theme.current_colors()
        return self.plot.addLegend(
            offset=(-8, 8),
            brush=pg.mkBrush(QColor(c["base"])),
            pen=pg.mkPen(c["border"]),
            labelTextColor=c["text"],
            labelTextSize="9pt",
        )


def _pen(color: str, width: float = 2.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine):
    pen = pg.mkPen(QColor(color), width=width)
    pen.setStyle(style)
    pen.setCosmetic(True)
    return pen


# Quality metrics shown on a common 0..1 axis; error-like metrics have their own scales.
UNBOUNDED_METRICS = {"log_loss", "mae", "rmse", "mape", "max_error"}


class MetricIntervalsChart(PlotPanel):
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
            self.items = []
            self._show(False)
            return
        c = theme.current_colors()
        plot = self._begin("Value (95 % interval)", "")
        blue, green, red = theme.SERIES[0], theme.SERIES[2], theme.SERIES[3]
        y = np.arange(len(names), dtype=float)
        x = np.array([float(metrics[n]["value"]) for n in names])
        lo = np.array([float(metrics[n].get("ci_low", metrics[n]["value"])) for n in names])
        hi = np.array([float(metrics[n].get("ci_high", metrics[n]["value"])) for n in names])
        self._add(
            pg.ErrorBarItem(x=x, y=y, left=x - lo, right=hi - x, beam=0.25, pen=_pen(blue, 1.5))
        )
        self._add(
            pg.ScatterPlotItem(x, y, size=9, brush=pg.mkBrush(QColor(blue)), pen=_pen(c["base"], 1))
        )
        legend = [f"<span style='color:{blue}'>●</span> claimed by the data scientist"]
        lows = [lo.min()]
        thresholds = [
            (names.index(t["metric"]), float(t["threshold"]))
            for t in targets
            if t.get("metric") in names and t.get("threshold") is not None
        ]
        if thresholds:
            tx = np.array([t for _, t in thresholds])
            ty = np.array([float(i) for i, _ in thresholds])
            self._add(
                pg.ScatterPlotItem(
                    tx, ty, symbol="|", size=22, pen=_pen(red, 3), brush=pg.mkBrush(QColor(red))
                )
            )
            legend.append(f"<span style='color:{red}'>▍</span> target threshold")
            lows.append(tx.min())
        if here:
            pts = [(i, float(here[n])) for i, n in enumerate(names) if here.get(n) is not None]
            if pts:
                hx = np.array([v for _, v in pts])
                hy = np.array([float(i) for i, _ in pts])
                self._add(
                    pg.ScatterPlotItem(
                        hx, hy, symbol="d", size=11, brush=pg.mkBrush(None), pen=_pen(green, 2)
                    )
                )
                legend.append(f"<span style='color:{green}'>◇</span> measured here")
        self.subtitle.setText("&nbsp;&nbsp;&nbsp;".join(legend))
        plot.getAxis("left").setTicks([[(i, n) for i, n in enumerate(names)], []])
        plot.getAxis("left").setWidth(120)
        plot.invertY(True)
        low = float(min(lows))
        plot.setXRange(max(-1.0, low - 0.05 * (1.0 - low + 1e-3) - 0.01), 1.0, padding=0.02)
        plot.setYRange(-0.6, len(names) - 0.4, padding=0)
        self.plot_widget.setMinimumHeight(max(240, 28 * len(names) + 80))
        self._show(True)


class LatencyCompareChart(PlotPanel):
    """Latency per batch size, claimed (dashed) against measured here (solid)."""

    title = "Latency: claimed vs measured here"
    empty_text = "No latency to compare."

    def set_data(self, rows: Sequence[Mapping[str, Any]] | None) -> None:
        rows = sorted(rows or [], key=lambda r: r["batch_size"])
        if not rows:
            self.items = []
            self._show(False)
            return
        plot = self._begin("Batch size (rows, log scale)", "Latency per batch (ms)")
        x = np.log10([max(1, r["batch_size"]) for r in rows])
        legend = self._legend()
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
                item = self._add(
                    pg.PlotDataItem(
                        x,
                        y,
                        pen=_pen(color, width, style),
                        symbol="o" if who == "here" else "t",
                        symbolSize=7,
                        symbolBrush=QColor(color),
                        symbolPen=_pen(color, 1),
                    )
                )
                legend.addItem(item, f"{label} {'claimed' if who == 'claimed' else 'here'}")
        plot.getAxis("bottom").setTicks(
            [[(xi, f"{r['batch_size']:,}") for xi, r in zip(x, rows, strict=True)], []]
        )
        span = float(x.max() - x.min()) or 1.0
        plot.setXRange(float(x.min()) - 0.05 * span, float(x.max()) + 0.05 * span, padding=0)
        plot.setYRange(0, top * 1.25 or 1.0, padding=0)
        self._show(True)


def memory_for_chart(memory: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A contract's memory block in the key names of :class:`~baton.gui.common.charts.MemoryChart`."""
    if not memory:
        return None
    return {
        "resident_delta_mb": memory.get("rss_delta_after_load_mb"),
        "peak_during_predict_mb": memory.get("peak_predict_mb"),
        "size_on_disk_mb": memory.get("size_on_disk_mb"),
    }
