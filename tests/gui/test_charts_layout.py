"""What a user sees of a chart: its legend beside the data, never over it; axes with a
readable number of ticks; and a regression evaluation that fills its page.

Each chart is drawn at a size the app gives it (600 x 360, a card on a page half a
wide window across) with real measurements from ``measured_home`` where there are any.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, QRect, QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from baton.core.catalog.store import Catalog
from baton.gui.common import charts, speed_charts
from baton.gui.common.chart_base import ChartBase
from baton.gui.review.charts import LatencyCompareChart, MetricIntervalsChart

SIZES = [(600, 360), (440, 380), (900, 420)]
#: The most labelled ticks a user should find on one axis.
MAX_TICKS = 8


@pytest.fixture(scope="module")
def measured(measured_home):
    """The multiclass and regression evaluations and the binary profile, as stored."""
    with Catalog(measured_home) as cat:

        def latest(table, model, dataset):
            row = cat.latest_measurement(table, cat.get_model(model), cat.get_dataset(dataset))
            return row["result"]

        return {
            "multiclass": latest("evaluations", "wine-lr", "wine"),
            "binary": latest("evaluations", "bc-lr", "breast_cancer"),
            "regression": latest("evaluations", "diabetes-linreg", "diabetes"),
            "profile": latest("profiles", "bc-lr", "breast_cancer"),
        }


def _roc(result):
    chart = charts.RocChart()
    chart.set_data(None, result["curves"]["roc_per_class"])
    return chart


def _pr(result):
    chart = charts.PrChart()
    chart.set_data(None, result["curves"]["pr_per_class"])
    return chart


def _latency(profile):
    chart = speed_charts.LatencyChart()
    chart.set_data(profile["latency"])
    return chart


def _latency_compare(profile):
    chart = LatencyCompareChart()
    rows = []
    for r in profile["latency"]:
        rows.append(
            {
                "batch_size": r["batch_size"],
                # the claimed figures a little above what was measured here
                "claimed_p50_ms": r["p50_ms"] * 1.1,
                "claimed_p95_ms": r["p95_ms"] * 1.2,
                "here_p50_ms": r["p50_ms"],
                "here_p95_ms": r["p95_ms"],
            }
        )
    chart.set_data(rows)
    return chart


def _intervals(result):
    chart = MetricIntervalsChart()
    metrics = {n: result["metrics"][n] for n in ("accuracy", "f1", "roc_auc", "mcc")}
    chart.set_data(
        metrics,
        [{"metric": "accuracy", "op": ">=", "threshold": 0.9}],
        here={"accuracy": metrics["accuracy"]["value"]},
    )
    return chart


def _every_interval(result):
    """All eleven quality metrics of a binary classifier: one row each, a tall plot."""
    chart = MetricIntervalsChart()
    metrics = result["metrics"]
    chart.set_data(
        metrics,
        [{"metric": "roc_auc", "op": ">=", "threshold": 0.97}],
        here={"accuracy": metrics["accuracy"]["value"]},
    )
    return chart


def _predicted_actual(result):
    chart = charts.PredictedActualChart()
    chart.set_data(result["residuals"], result["max_error"])
    return chart


def _distribution(profile):
    row = profile["latency"][0]
    chart = speed_charts.LatencyDistributionChart()
    chart.set_data(
        row.get("raw_ms") or [row["p50_ms"], row["p95_ms"], row["p99_ms"]],
        {"p50": row["p50_ms"], "p95": row["p95_ms"], "p99": row["p99_ms"]},
        row["batch_size"],
    )
    return chart


LEGENDS = {
    "roc_per_class": (_roc, "multiclass", 3),
    "pr_per_class": (_pr, "multiclass", 3),
    "latency": (_latency, "profile", 3),
    "latency_claimed_vs_here": (_latency_compare, "profile", 4),
    "metric_intervals": (_intervals, "binary", 3),
    "metric_intervals_every_metric": (_every_interval, "binary", 3),
    "predicted_actual": (_predicted_actual, "regression", 3),  # and the largest error
    "residuals": (lambda result: _residuals(result), "regression", 1),  # the largest error
    "latency_distribution": (_distribution, "profile", 3),
}


def shown(qtbot, chart: ChartBase, width: int, height: int) -> ChartBase:
    """The chart in a card's column ``width`` wide, at the height it asks for there (at
    least ``height``), as the app's cards lay it out."""
    holder = QWidget()
    column = QVBoxLayout(holder)
    column.setContentsMargins(0, 0, 0, 0)
    column.addWidget(chart)
    column.addStretch(1)
    qtbot.addWidget(holder)
    holder.resize(width, 1200)
    holder.show()
    qtbot.waitExposed(holder)
    QApplication.processEvents()
    if chart.height() < height:
        chart.setMinimumHeight(height)
        QApplication.processEvents()
    assert chart.width() == width
    assert chart.height() >= chart.heightForWidth(width) - 1
    return chart


def view_box_rect(chart: ChartBase, plot) -> QRect:
    """Where the plot's data area is, in the chart widget's coordinates."""
    scene_rect = plot.getViewBox().sceneBoundingRect()
    in_view = chart.view.mapFromScene(scene_rect).boundingRect()
    return in_view.translated(chart.view.mapTo(chart, QPoint(0, 0)))


def legend_rect(chart: ChartBase) -> QRect:
    return QRect(chart.legend.mapTo(chart, QPoint(0, 0)), chart.legend.size())


def drawn_tick_labels(axis) -> list[str]:
    """The tick labels pyqtgraph draws on an axis at its present size."""
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [] if specs is None else [text for _, _, text in specs[2]]


def axes_of(chart: ChartBase):
    for plot in chart.plots():
        for name in ("left", "bottom", "right", "top"):
            axis = plot.getAxis(name)
            if axis.isVisible():
                yield name, axis


@pytest.mark.parametrize("name", sorted(LEGENDS))
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_legend_never_covers_the_data(qtbot, measured, name, width, height):
    make, source, entries = LEGENDS[name]
    chart = shown(qtbot, make(measured[source]), width, height)
    assert chart.has_data()
    assert len(chart.legend.entries()) == entries
    assert chart.legend.isVisible()
    legend = legend_rect(chart)
    assert not legend.isEmpty()
    assert chart.rect().contains(legend), "the legend is cut off by the chart's edge"
    for plot in chart.plots():
        data = view_box_rect(chart, plot)
        assert not data.isEmpty()
        assert not legend.intersects(data), f"legend {legend} over the data {data}"
        bottom = plot.getAxis("bottom")
        if bottom.isVisible() and bottom.style["showValues"]:
            # the axis's own box (its bounding rectangle spans the grid lines too)
            in_scene = bottom.mapRectToScene(QRectF(QPointF(0, 0), bottom.size()))
            axis_rect = chart.view.mapFromScene(in_scene).boundingRect()
            axis_rect.translate(chart.view.mapTo(chart, QPoint(0, 0)))
            assert not legend.intersects(axis_rect), "the legend covers the axis"
            assert chart.rect().contains(axis_rect), "the axis is cut off"
    # every entry whole and inside the legend, its name at full length
    for label in chart.legend.labels():
        entry = label.parentWidget()
        assert chart.legend.rect().contains(entry.geometry()), label.text()
        assert label.width() >= label.sizeHint().width(), label.text()


def test_class_names_in_a_legend_are_plain_text(qtbot, measured):
    per_class = [dict(c) for c in measured["multiclass"]["curves"]["roc_per_class"]]
    per_class[0]["label"] = "<b>setosa</b> & co"
    chart = charts.RocChart()
    chart.set_data(None, per_class)
    shown(qtbot, chart, 600, 360)
    first = chart.legend.labels()[0]
    assert first.text().startswith("<b>setosa</b> & co (AUC ")
    assert first.textFormat().name == "PlainText"


def _memory(profile):
    chart = speed_charts.MemoryChart()
    chart.set_data(profile["memory"])
    return chart


def _memory_crowded(_profile):
    """The figures that drew 15 tick labels up the memory axis."""
    chart = speed_charts.MemoryChart()
    chart.set_data(
        {"resident_delta_mb": 12.5, "peak_during_predict_mb": 3.0, "size_on_disk_mb": 1.0}
    )
    return chart


def _memory_large(_profile):
    chart = speed_charts.MemoryChart()
    chart.set_data(
        {"resident_delta_mb": 1536.0, "peak_during_predict_mb": 812.5, "size_on_disk_mb": 96.0}
    )
    return chart


def _confusion(result):
    chart = charts.ConfusionMatrixChart()
    chart.set_data(result["confusion_matrix"])
    return chart


def _calibration(result):
    chart = charts.CalibrationChart()
    chart.set_data(result["curves"]["calibration"])
    return chart


def _residuals(result):
    chart = charts.ResidualChart()
    chart.set_data(result["residuals"], result["max_error"])
    return chart


def _residual_histogram(result):
    chart = charts.ResidualHistogramChart()
    chart.set_data(result["residual_histogram"], result["residuals"])
    return chart


def _many_batches(_profile):
    rows = [
        {"batch_size": 2**i, "p50_ms": 0.1 * 2**i, "p95_ms": 0.12 * 2**i, "p99_ms": 0.15 * 2**i}
        for i in range(14)
    ]
    chart = speed_charts.LatencyChart()
    chart.set_data(rows)
    return chart


def _candidates(_profile):
    chart = speed_charts.CandidatesChart()
    rows = [
        {
            "name": f"model-{i}",
            "latency_p95_ms_batch_1": 0.05 + 0.37 * i,
            "metrics": {"accuracy": {"value": 0.9 + 0.01 * i, "ci_low": 0.88, "ci_high": 0.97}},
        }
        for i in range(4)
    ]
    chart.set_data(rows, "accuracy", [{"metric": "accuracy", "op": ">=", "threshold": 0.9}])
    return chart


TICKED = {
    **{name: (make, source) for name, (make, source, _) in LEGENDS.items()},
    "memory": (_memory, "profile"),
    "memory_crowded": (_memory_crowded, "profile"),
    "memory_in_gb": (_memory_large, "profile"),
    "latency_many_batch_sizes": (_many_batches, "profile"),
    "confusion": (_confusion, "multiclass"),
    "calibration": (_calibration, "binary"),
    "residuals": (_residuals, "regression"),
    "residual_histogram": (_residual_histogram, "regression"),
    "candidates": (_candidates, "profile"),
}


@pytest.mark.parametrize("name", sorted(TICKED))
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_axis_has_at_most_eight_labelled_ticks(qtbot, measured, name, width, height):
    make, source = TICKED[name]
    chart = shown(qtbot, make(measured[source]), width, height)
    assert chart.has_data()
    labelled = {}
    for axis_name, axis in axes_of(chart):
        labels = drawn_tick_labels(axis)
        labelled[axis_name] = labels
        if getattr(axis, "every_label", False):
            # a list of named rows (one per metric): each row has room for its name
            rows = chart.plots()[0].getViewBox().height() / len(labels)
            assert rows >= 20, labels
            continue
        assert len(labels) <= MAX_TICKS, f"{axis_name}: {labels}"
        assert len(set(labels)) == len(labels), f"{axis_name} repeats a label: {labels}"
    assert any(labelled.values())


def test_the_memory_axis_reads_in_sizes(qtbot, measured):
    chart = shown(qtbot, _memory(measured["profile"]), 600, 360)
    labels = drawn_tick_labels(chart.plots()[0].getAxis("left"))
    assert 2 <= len(labels) <= MAX_TICKS
    assert all(label.endswith((" KB", " MB", " GB")) for label in labels), labels
    chart = shown(qtbot, _memory_large(None), 600, 360)
    labels = drawn_tick_labels(chart.plots()[0].getAxis("left"))
    assert all(label.endswith(" GB") for label in labels), labels


def test_latency_axes_read_in_milliseconds_or_microseconds(qtbot, measured):
    chart = shown(qtbot, _latency(measured["profile"]), 600, 360)
    labels = drawn_tick_labels(chart.plots()[0].getAxis("left"))
    assert labels and all(label.endswith((" ms", " µs", " s")) for label in labels), labels
    bottom = drawn_tick_labels(chart.plots()[0].getAxis("bottom"))
    assert bottom == ["1", "8", "64"]  # the measured batch sizes


def test_the_regression_evaluation_fills_its_page_with_three_charts(
    measured_home, window_on, qtbot
):
    window = window_on(measured_home)
    window.resize(1400, 900)
    window.select_item("models", "diabetes-linreg")
    page = window.model_page
    view = page.evaluation
    page.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: not view.rendering)
    QApplication.processEvents()
    shown_charts = [c for c in view.charts() if c.isVisibleTo(view) and c.has_data()]
    assert {type(c) for c in shown_charts} == {
        charts.PredictedActualChart,
        charts.ResidualChart,
        charts.ResidualHistogramChart,
    }
    assert view.grid.columns() == 2
    result = window.catalog.latest_measurement(
        "evaluations",
        window.catalog.get_model("diabetes-linreg"),
        window.catalog.get_dataset("diabetes"),
    )["result"]
    scatter = view.predicted_actual
    assert scatter.subtitle.text() == "442 rows shown"
    assert "perfect prediction (y = x)" in scatter.legend.entries()
    assert view.residual_histogram.subtitle.text().startswith("Every row's residual (442 rows)")
    assert sum(result["residual_histogram"]["counts"]) == 442
    # two by two: the metrics and the scatter side by side, then the residual charts,
    # so no half of the page is left empty
    cards = [view.metrics.parentWidget()] + [c.parentWidget() for c in shown_charts]
    rows = {}
    for card in cards:
        top = card.mapTo(view.grid, QPoint(0, 0)).y()
        rows.setdefault(top, []).append(card)
    assert sorted(len(r) for r in rows.values()) == [2, 2]


def test_an_evaluation_stored_before_the_histogram_bins_the_rows_shown(qtbot, measured):
    result = measured["regression"]
    chart = charts.ResidualHistogramChart()
    chart.set_data(None, result["residuals"])
    shown(qtbot, chart, 600, 360)
    assert chart.has_data()
    assert chart.subtitle.text().startswith("The residuals of the 442 rows shown in ")


def test_a_restyled_title_makes_room_and_the_legend_stays_off_the_plot(qtbot, measured):
    """A theme switch restyles the title after the chart was laid out: the card gives the
    chart the new height it asks for, and the plot keeps its own."""
    chart = shown(qtbot, _every_interval(measured["binary"]), 600, 360)
    before = chart.height()
    chart.title_label.setStyleSheet("font-size: 30px")
    qtbot.waitUntil(lambda: chart.height() > before)
    QApplication.processEvents()
    assert chart.height() >= chart.heightForWidth(600) - 1
    plot = chart.plots()[0]
    assert not legend_rect(chart).intersects(view_box_rect(chart, plot))
    assert chart.view.height() >= chart.view.minimumHeight()


def test_ticks_take_round_steps_and_never_more_than_eight():
    from baton.gui.common.chart_base import tick_values

    assert tick_values(0, 15.6) == (2.0, [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0])
    assert tick_values(0, 1, max_ticks=6) == (0.2, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert tick_values(-21.4, 328.4, max_ticks=3, integer=True) == (200.0, [0.0, 200.0])
    assert tick_values(0, 2.5, integer=True)[0] == 1.0  # rows come whole
    for low, high in ((0, 1e-7), (-3e6, 7e9), (0.567, 1.46), (5, 5)):
        step, values = tick_values(low, high)
        assert 0 < len(values) <= MAX_TICKS or low == high
    assert tick_values(float("nan"), 1.0) == (1.0, [])
