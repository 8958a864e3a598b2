"""Charts of a model's quality, fed with plain dicts (the speed charts are in
:mod:`baton.gui.common.speed_charts`).

Every widget here renders data in the shapes core produces (see
:mod:`baton.core.measure.metrics`) and nothing else: the DS's evaluation view uses them
with catalog records, and the engineer's review
view can use them with the same dicts read from a bundle or a reproduction. Each widget
has ``set_data(...)`` (``None`` shows its empty state) and ``has_data()``; charts also
have ``data_items()`` listing what is plotted.

Charts are pyqtgraph plots coloured from the application palette (they redraw when the
theme changes). Curves with many points use pyqtgraph's automatic peak downsampling and
clip-to-view, so a million-point curve redraws quickly. Mouse zoom is off: the charts sit
in scrolling pages, where the wheel should scroll the page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QWidget,
)

from baton.core.present import fmt_ratio
from baton.gui.common.chart_base import (
    CHART_MIN_HEIGHT,
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

# --------------------------------------------------------------------------- evaluation


class ConfusionMatrixChart(ChartBase):
    """``set_data({"labels": [...], "matrix": [[...]]})``: rows true, columns predicted.

    Cells are shaded by the share of their row (the recall of each true class) and carry
    the count and that share. Every row and column is named, however many classes there
    are: past :data:`FEW_CLASSES` the names are smaller and each row is tall enough for its
    name; when the names do not fit under their columns, the columns carry the rows'
    numbers and each row its number and name. Hovering a cell names it in a tooltip.
    """

    title = "Confusion matrix"
    empty_text = "No confusion matrix: this is not a classifier's evaluation."

    FEW_CLASSES = 8  # up to this many, names at the usual size and shares in the cells

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._labels: list[str] = []
        self._counts: np.ndarray | None = None
        self._numbered = False
        self._refit_pending = False
        self.view.setMouseTracking(True)
        self.view.scene().sigMouseMoved.connect(self._hovered)

    def set_data(self, confusion: Mapping[str, Any] | None) -> None:
        self._update(confusion=confusion)

    def axis_font(self, k: int) -> QFont:
        font = QFont(self.font())
        if k > self.FEW_CLASSES:
            font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        return font

    def _columns_numbered(self, labels: list[str]) -> bool:
        """Whether the names are too wide for their columns at the chart's width."""
        metrics = QFontMetrics(self.axis_font(len(labels)))
        widest = max((metrics.horizontalAdvance(lab) for lab in labels), default=0)
        left = self.view.getPlotItem().getAxis("left").width()
        column = (self.view.width() - left - 16) / max(len(labels), 1)
        return widest + 6 > column

    def cell_text(self, row: int, column: int) -> str:
        """What the tooltip says of a cell: its true and predicted class, count and share."""
        if self._counts is None:
            return ""
        n = int(self._counts[row, column])
        total = float(self._counts[row].sum())
        share = n / total if total else 0.0
        true, predicted = self._labels[row], self._labels[column]
        return f"True {true}, predicted {predicted}: {n:,} rows ({share:.1%} of {true})"

    def _hovered(self, pos) -> None:
        plot = self.view.getPlotItem()
        text = ""
        if self._counts is not None and plot.vb.sceneBoundingRect().contains(pos):
            point = plot.vb.mapSceneToView(pos)
            row, column = math.floor(point.y()), math.floor(point.x())
            k = len(self._labels)
            if 0 <= row < k and 0 <= column < k:
                text = self.cell_text(row, column)
        self.view.setToolTip(plain_text(text) if text else "")

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        if self._labels and not self._refit_pending:
            # once the resizing is over, never from inside it
            self._refit_pending = True
            QTimer.singleShot(0, self, self._refit)

    def _refit(self) -> None:
        self._refit_pending = False
        if self._labels and self._columns_numbered(self._labels) != self._numbered:
            self._redraw()  # the names fit under their columns now, or no longer do

    def _render(self, confusion: Mapping[str, Any]) -> None:
        plot = self.view.getPlotItem()
        labels = [str(v) for v in confusion["labels"]]
        counts = np.asarray(confusion["matrix"], dtype=np.float64)
        k = len(labels)
        self._labels, self._counts = labels, counts
        sums = counts.sum(axis=1, keepdims=True)
        share = np.divide(counts, sums, out=np.zeros_like(counts), where=sums > 0)
        low, high = QColor(theme_color("base")), QColor(theme_color("accent"))
        t = np.linspace(0.0, 1.0, 256)[:, None]
        lo = np.array([low.red(), low.green(), low.blue()], dtype=np.float64)
        hi = np.array([high.red(), high.green(), high.blue()], dtype=np.float64)
        lut = (lo + (hi - lo) * (0.06 + 0.94 * t)).astype(np.uint8)
        image = pg.ImageItem(share, axisOrder="row-major")
        image.setLookupTable(lut)
        image.setLevels([0.0, 1.0])
        image.setRect(QRectF(0, 0, k, k))
        plot.addItem(image)
        few = k <= self.FEW_CLASSES
        if k <= 20:
            for i in range(k):
                for j in range(k):
                    n = int(counts[i, j])
                    color = (
                        theme_color("accent_text") if share[i, j] > 0.55 else theme_color("text")
                    )
                    count = text_item(f"{n:,}", color, anchor=(0.5, 0.9 if few else 0.5), bold=True)
                    count.setPos(j + 0.5, i + 0.5)
                    plot.addItem(count)
                    if few:
                        pct = text_item(f"{share[i, j]:.1%}", color, anchor=(0.5, 0.1))
                        pct.setPos(j + 0.5, i + 0.5)
                        plot.addItem(pct)
        self._numbered = self._columns_numbered(labels)
        rows = [f"{i + 1}  {lab}" if self._numbered else lab for i, lab in enumerate(labels)]
        columns = [str(i + 1) if self._numbered else lab for i, lab in enumerate(labels)]
        style_plot(
            plot,
            "Predicted class (numbered as the rows)" if self._numbered else "Predicted class",
            "True class",
        )
        plot.showGrid(x=False, y=False)
        font = self.axis_font(k)
        for name, names in (("bottom", columns), ("left", rows)):
            axis = plot.getAxis(name)
            axis.every_label = True  # each class named, never every n-th
            axis.setStyle(tickFont=font)
            axis.setTicks([[(i + 0.5, lab) for i, lab in enumerate(names)], []])
        # each row tall enough for its name
        row_height = QFontMetrics(font).height() + 4
        self.view.setMinimumHeight(max(CHART_MIN_HEIGHT, row_height * k + 70))
        plot.invertY(True)
        plot.setAspectLocked(False)
        plot.setXRange(0, k, padding=0)
        plot.setYRange(0, k, padding=0)
        total = int(counts.sum())
        correct = int(np.trace(counts))
        self.set_subtitle(
            f"{correct:,} of {total:,} rows on the diagonal; shading is the share of each true "
            "class" + ("; hover a cell to name it" if not few else "")
        )


class RocChart(ChartBase):
    """ROC curve(s) with the operating point.

    ``set_data(roc=..., per_class=..., operating_point=..., auc=...)`` where ``roc`` is
    ``{"fpr", "tpr", "thresholds"}`` (binary), ``per_class`` a list of such dicts with
    ``label`` and ``auc`` (one-vs-rest), ``operating_point`` ``{"fpr", "tpr", "threshold"}``.
    """

    title = "ROC curve"
    empty_text = "No ROC curve: it needs class probabilities."

    def set_data(
        self,
        roc: Mapping[str, Any] | None = None,
        per_class: Sequence[Mapping[str, Any]] | None = None,
        operating_point: Mapping[str, Any] | None = None,
        auc: float | None = None,
        auc_uncertainty: float | None = None,
    ) -> None:
        """``auc_uncertainty``: the half-width of the AUC's interval, which sets its digits."""
        if not roc and not per_class:
            self._update()
            return
        self._update(
            roc=roc,
            per_class=per_class,
            operating_point=operating_point,
            auc=auc,
            auc_uncertainty=auc_uncertainty,
        )

    def _render(self, roc, per_class, operating_point, auc, auc_uncertainty) -> None:
        plot = self.view.getPlotItem()
        style_plot(plot, "False positive rate", "True positive rate")
        chance = pg.PlotDataItem(
            [0, 1], [0, 1], pen=make_pen(theme_color("muted"), 1, Qt.PenStyle.DashLine)
        )
        plot.addItem(chance)
        if roc:
            plot.addItem(
                pg.PlotDataItem(roc["fpr"], roc["tpr"], pen=make_pen(series_color(0), 2.5))
            )
            self.title_label.setText(
                f"ROC curve · AUC {fmt_ratio(auc, auc_uncertainty)}"
                if auc is not None
                else "ROC curve"
            )
        else:
            for i, curve in enumerate(per_class or []):
                item = pg.PlotDataItem(curve["fpr"], curve["tpr"], pen=make_pen(series_color(i), 2))
                plot.addItem(item)
                # plain text under the plot: class labels are data
                self.legend.add(
                    f"{curve['label']} (AUC {fmt_ratio(curve.get('auc'))})", series_color(i)
                )
            self.title_label.setText("ROC curves, one class against the rest")
        if operating_point and operating_point.get("fpr") is not None:
            _mark_point(plot, operating_point["fpr"], operating_point["tpr"], operating_point)
            self.set_subtitle(
                f"Operating point at threshold {_g(operating_point.get('threshold'))}: "
                f"TPR {fmt_ratio(operating_point['tpr'])}, FPR {fmt_ratio(operating_point['fpr'])}"
            )
        else:
            self.set_subtitle("")
        plot.setXRange(0, 1)
        plot.setYRange(0, 1)


def _g(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else "—"


def _mark_point(plot: pg.PlotItem, x: float, y: float, op: Mapping[str, Any]) -> None:
    point = pg.ScatterPlotItem(
        [x],
        [y],
        size=11,
        symbol="o",
        brush=pg.mkBrush(qcolor(series_color(1))),
        pen=make_pen(theme_color("base"), 1.5),
    )
    point.setZValue(10)
    plot.addItem(point)
    # Keep the label inside the plot: left of points near the right edge, below points
    # near the top.
    anchor = (1.08 if x > 0.6 else -0.08, -0.15 if y > 0.85 else 1.1)
    threshold = op.get("threshold")
    text = f"threshold {threshold:g}" if isinstance(threshold, int | float) else "operating point"
    label = text_item(text, theme_color("text"), anchor=anchor)
    label.setPos(x, y)
    label.setZValue(10)
    plot.addItem(label)


class PrChart(ChartBase):
    """Precision-recall curve(s) with the operating point and the chance level.

    ``set_data(pr=..., per_class=..., operating_point=..., average_precision=...,
    baseline=...)`` where ``pr`` is ``{"precision", "recall", "thresholds"}``,
    ``per_class`` a list of such dicts with ``label`` and ``ap``, ``operating_point``
    ``{"precision", "recall", "threshold"}`` and ``baseline`` the share of positives.
    """

    title = "Precision-recall curve"
    empty_text = "No precision-recall curve: it needs class probabilities."

    def set_data(
        self,
        pr: Mapping[str, Any] | None = None,
        per_class: Sequence[Mapping[str, Any]] | None = None,
        operating_point: Mapping[str, Any] | None = None,
        average_precision: float | None = None,
        baseline: float | None = None,
        ap_uncertainty: float | None = None,
    ) -> None:
        """``ap_uncertainty``: the half-width of the AP's interval, which sets its digits."""
        if not pr and not per_class:
            self._update()
            return
        self._update(
            pr=pr,
            per_class=per_class,
            operating_point=operating_point,
            average_precision=average_precision,
            baseline=baseline,
            ap_uncertainty=ap_uncertainty,
        )

    def _render(
        self, pr, per_class, operating_point, average_precision, baseline, ap_uncertainty
    ) -> None:
        plot = self.view.getPlotItem()
        style_plot(plot, "Recall", "Precision")
        if baseline is not None:
            plot.addItem(
                pg.PlotDataItem(
                    [0, 1],
                    [baseline, baseline],
                    pen=make_pen(theme_color("muted"), 1, Qt.PenStyle.DashLine),
                )
            )
        if pr:
            plot.addItem(
                pg.PlotDataItem(pr["recall"], pr["precision"], pen=make_pen(series_color(0), 2.5))
            )
            ap = (
                f" · AP {fmt_ratio(average_precision, ap_uncertainty)}"
                if average_precision is not None
                else ""
            )
            self.title_label.setText(f"Precision-recall curve{ap}")
        else:
            for i, curve in enumerate(per_class or []):
                item = pg.PlotDataItem(
                    curve["recall"], curve["precision"], pen=make_pen(series_color(i), 2)
                )
                plot.addItem(item)
                # plain text under the plot: class labels are data
                self.legend.add(
                    f"{curve['label']} (AP {fmt_ratio(curve.get('ap'))})", series_color(i)
                )
            self.title_label.setText("Precision-recall curves, one class against the rest")
        if operating_point and operating_point.get("recall") is not None:
            _mark_point(
                plot, operating_point["recall"], operating_point["precision"], operating_point
            )
            self.set_subtitle(
                f"Operating point: precision {fmt_ratio(operating_point['precision'])}, "
                f"recall {fmt_ratio(operating_point['recall'])}"
                + (
                    f"; dashed line: share of positives ({baseline:.1%})"
                    if baseline is not None
                    else ""
                )
            )
        else:
            self.set_subtitle("")
        plot.setXRange(0, 1)
        plot.setYRange(0, 1.02)


class CalibrationChart(ChartBase):
    """Reliability curve: ``set_data({"mean_predicted", "fraction_positive", "count"})``.

    The upper plot compares predicted probability with the observed share of positives
    per bin; the lower one shows how many rows each bin holds.
    """

    title = "Calibration"
    empty_text = "No calibration curve: it needs the probabilities of a binary classifier."

    def _make_view(self) -> QWidget:
        view = pg.GraphicsLayoutWidget()
        self._curve_plot = view.addPlot(row=0, col=0, axisItems=chart_axes())
        self._count_plot = view.addPlot(row=1, col=0, axisItems=chart_axes())
        view.ci.layout.setRowStretchFactor(0, 3)
        view.ci.layout.setRowStretchFactor(1, 1)
        self._count_plot.setXLink(self._curve_plot)
        return view

    def plots(self) -> list[pg.PlotItem]:
        return [self._curve_plot, self._count_plot]

    def set_data(self, calibration: Mapping[str, Any] | None) -> None:
        self._update(calibration=calibration or None)

    def _render(self, calibration: Mapping[str, Any]) -> None:
        mp = np.asarray([np.nan if v is None else v for v in calibration["mean_predicted"]], float)
        fp = np.asarray(
            [np.nan if v is None else v for v in calibration["fraction_positive"]], float
        )
        counts = np.asarray(calibration.get("count") or [0] * len(mp), dtype=float)
        keep = np.isfinite(mp) & np.isfinite(fp)
        top, bottom = self._curve_plot, self._count_plot
        style_plot(top, "", "Observed share of positives")
        style_plot(bottom, "Mean predicted probability", "Rows")
        tick_format(bottom, "left", "count")
        top.addItem(
            pg.PlotDataItem(
                [0, 1], [0, 1], pen=make_pen(theme_color("muted"), 1, Qt.PenStyle.DashLine)
            )
        )
        top.addItem(
            pg.PlotDataItem(
                mp[keep],
                fp[keep],
                pen=make_pen(series_color(0), 2.5),
                symbol="o",
                symbolSize=7,
                symbolBrush=qcolor(series_color(0)),
                symbolPen=make_pen(theme_color("base"), 1),
            )
        )
        top.getAxis("bottom").setStyle(showValues=False)
        top.setXRange(0, 1)
        top.setYRange(0, 1)
        n_bins = len(counts)
        width = 1.0 / max(n_bins, 1)
        centres = (np.arange(n_bins) + 0.5) * width
        bottom.addItem(
            pg.BarGraphItem(
                x=centres,
                height=counts,
                width=width * 0.85,
                brush=qcolor(series_color(0), 120),
                pen=pg.mkPen(None),
            )
        )
        bottom.setYRange(0, max(1.0, float(counts.max()) if counts.size else 1.0))
        self.set_subtitle("Dashed line: perfectly calibrated probabilities")


class ResidualChart(ChartBase):
    """Residuals against predictions: ``set_data({"predicted": [...], "residual": [...]},
    max_error={"predicted", "actual", "value", "row"})``; residual = true − predicted."""

    title = "Residuals"
    empty_text = "No residuals: they belong to regression models."

    def set_data(
        self, residuals: Mapping[str, Any] | None, max_error: Mapping[str, Any] | None = None
    ) -> None:
        if not residuals:
            self._update()
            return
        self._update(residuals=residuals, max_error=max_error)

    def _render(self, residuals, max_error) -> None:
        plot = self.view.getPlotItem()
        style_plot(plot, "Predicted value", "Residual (true − predicted)")
        x = np.asarray(residuals["predicted"], dtype=np.float64)
        y = np.asarray(residuals["residual"], dtype=np.float64)
        plot.addItem(
            pg.InfiniteLine(
                pos=0, angle=0, pen=make_pen(theme_color("muted"), 1, Qt.PenStyle.DashLine)
            )
        )
        scatter = pg.ScatterPlotItem(
            x, y, size=5, pen=pg.mkPen(None), brush=pg.mkBrush(qcolor(series_color(0), 150))
        )
        plot.addItem(scatter)
        x_pad = 0.04 * (float(x.max() - x.min()) or 1.0)
        y_top = float(np.abs(y).max()) * 1.08 or 1.0
        plot.setXRange(float(x.min()) - x_pad, float(x.max()) + x_pad, padding=0)
        plot.setYRange(-y_top, y_top, padding=0)  # zero error in the middle
        if max_error and max_error.get("predicted") is not None:
            px = float(max_error["predicted"])
            _mark_worst(plot, px, float(max_error["actual"]) - px)
            _name_worst(self.legend, max_error.get("value"))
        self.set_subtitle(f"{len(x):,} rows shown")


def _mark_worst(plot: pg.PlotItem, x: float, y: float) -> None:
    """The row with the largest error, drawn over the others; it is named in the legend
    (:func:`_name_worst`), where the words hide no point."""
    worst = pg.ScatterPlotItem(
        [x],
        [y],
        size=11,
        symbol="o",
        brush=pg.mkBrush(qcolor(series_color(3))),
        pen=make_pen(theme_color("base"), 1.5),
    )
    worst.setZValue(10)
    plot.addItem(worst)


def _name_worst(legend, value: Any) -> None:
    legend.add(f"largest error {fmt_ratio(value)}", series_color(3), None, symbol="o")


class PredictedActualChart(ResidualChart):
    """Predicted against actual values, one point per row, with the line y = x where a
    perfect model's points would lie: the same ``set_data(residuals, max_error)`` as
    :class:`ResidualChart` (actual = predicted + residual), drawn another way."""

    title = "Predicted vs actual"
    empty_text = "No predictions to compare: they belong to regression models."

    def _render(self, residuals, max_error) -> None:
        plot = self.view.getPlotItem()
        style_plot(plot, "Actual value", "Predicted value")
        predicted = np.asarray(residuals["predicted"], dtype=np.float64)
        actual = predicted + np.asarray(residuals["residual"], dtype=np.float64)
        both = np.concatenate([predicted, actual])
        low, high = float(both.min()), float(both.max())
        pad = 0.04 * ((high - low) or 1.0)
        low, high = low - pad, high + pad
        plot.addItem(
            pg.PlotDataItem(
                [low, high],
                [low, high],
                pen=make_pen(theme_color("muted"), 1.5, Qt.PenStyle.DashLine),
            )
        )
        plot.addItem(
            pg.ScatterPlotItem(
                actual,
                predicted,
                size=5,
                pen=pg.mkPen(None),
                brush=pg.mkBrush(qcolor(series_color(0), 150)),
            )
        )
        # the same scale on both axes, so the distance from the line reads as the error
        plot.setXRange(low, high, padding=0)
        plot.setYRange(low, high, padding=0)
        worst = max_error and max_error.get("predicted") is not None
        if worst:
            _mark_worst(plot, float(max_error["actual"]), float(max_error["predicted"]))
        self.legend.add("rows", series_color(0), None, symbol="o")
        self.legend.add(
            "perfect prediction (y = x)", theme_color("muted"), Qt.PenStyle.DashLine, 1.5
        )
        if worst:
            _name_worst(self.legend, max_error.get("value"))
        self.set_subtitle(f"{len(predicted):,} rows shown")


class ResidualHistogramChart(ChartBase):
    """How the residuals spread: ``set_data(histogram, residuals)`` where ``histogram``
    is ``{"edges", "counts"}`` over every row (core's ``residual_histogram``); an older
    result without it is binned from the ``residuals`` sample, and the subtitle says so."""

    title = "Distribution of residuals"
    empty_text = "No residuals: they belong to regression models."

    def set_data(
        self,
        histogram: Mapping[str, Any] | None,
        residuals: Mapping[str, Any] | None = None,
    ) -> None:
        if not histogram and not residuals:
            self._update()
            return
        self._update(histogram=histogram, residuals=residuals)

    def _render(self, histogram, residuals) -> None:
        plot = self.view.getPlotItem()
        style_plot(plot, "Residual (true − predicted)", "Rows")
        tick_format(plot, "left", "count")
        if histogram:
            edges = np.asarray(histogram["edges"], dtype=np.float64)
            counts = np.asarray(histogram["counts"], dtype=np.float64)
            what = f"Every row's residual ({int(counts.sum()):,} rows)"
        else:
            values = np.asarray(residuals["residual"], dtype=np.float64)
            bins = int(min(60, max(10, round(2 * values.size ** (1 / 3)))))
            counts, edges = np.histogram(values, bins=bins)
            counts = counts.astype(np.float64)
            what = f"The residuals of the {values.size:,} rows shown"
        blue = series_color(0)
        plot.addItem(
            pg.PlotCurveItem(
                edges,
                counts,
                stepMode="center",
                fillLevel=0,
                brush=pg.mkBrush(qcolor(blue, 110)),
                pen=make_pen(blue, 1.5),
            )
        )
        plot.addItem(
            pg.InfiniteLine(
                pos=0, angle=90, pen=make_pen(theme_color("muted"), 1.5, Qt.PenStyle.DashLine)
            )
        )
        span = float(edges[-1] - edges[0]) or 1.0
        low, high = min(float(edges[0]), 0.0), max(float(edges[-1]), 0.0)
        plot.setXRange(low - 0.02 * span, high + 0.02 * span, padding=0)
        plot.setYRange(0, max(1.0, float(counts.max())) * 1.1, padding=0)
        self.set_subtitle(f"{what} in {len(counts)} bins; dashed line: no error")
