"""Evaluation and profiling views render real measurements; charts take plain dicts."""

from __future__ import annotations

import re

import numpy as np
import pyqtgraph as pg

from baton.core.present import fmt_bounds, fmt_ratio, half_width
from baton.gui.common import charts, speed_charts, tables


def _open(window, qtbot, model, tab):
    window.select_item("models", model)
    page = window.model_page
    view = getattr(page, tab)
    page.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: not view.rendering)  # charts draw one per event-loop turn
    return page


def test_binary_evaluation_view(measured_home, window_on, qtbot):
    window = window_on(measured_home)
    page = _open(window, qtbot, "bc-lr", "evaluation")
    view = page.evaluation
    assert view.currentWidget() is view.page
    result = window.catalog.latest_measurement(
        "evaluations",
        window.catalog.get_model("bc-lr"),
        window.catalog.get_dataset("breast_cancer"),
    )["result"]
    rows = view.metrics.cell_texts()
    assert rows[0][0] == "Accuracy"
    acc = result["metrics"]["accuracy"]
    # the value to the digit its interval allows, the interval in the same decimals
    assert rows[0][1] == fmt_ratio(acc["value"], half_width(acc["ci_low"], acc["ci_high"]))
    assert rows[0][2] == fmt_bounds(acc["ci_low"], acc["ci_high"], acc["value"])
    decimals = {len(t.partition(".")[2]) for t in (rows[0][1], *rows[0][2].split(" – "))}
    assert len(decimals) == 1, rows[0]
    assert view.metrics.horizontalHeaderItem(2).text() == "95 % interval"
    assert [r[0] for r in rows] == [  # the metrics' names for people, not their keys
        "Accuracy",
        "Balanced accuracy",
        "Precision",
        "Recall",
        "Specificity",
        "F1",
        "F1 (macro)",
        "F1 (weighted)",
        "ROC AUC",
        "PR AUC",
        "Log loss",
        "MCC",
    ]
    assert view.summary.text().startswith(
        "On breast_cancer · 569 rows · binary, positive class 1 · 95 % intervals from 100 bootstrap"
    )

    assert any(isinstance(i, pg.ImageItem) for i in view.confusion.data_items())
    matrix = result["confusion_matrix"]["matrix"]
    assert view.confusion.subtitle.text().startswith(
        f"{matrix[0][0] + matrix[1][1]:,} of 569 rows on the diagonal"
    )
    auc = result["metrics"]["roc_auc"]
    assert view.roc.title_label.text() == f"ROC curve · AUC {rows[8][1]}"  # as in the table
    assert rows[8][1] == fmt_ratio(auc["value"], half_width(auc["ci_low"], auc["ci_high"]))
    assert len([i for i in view.roc.data_items() if isinstance(i, pg.PlotDataItem)]) == 2
    assert any(isinstance(i, pg.ScatterPlotItem) for i in view.roc.data_items())  # operating point
    assert view.roc.subtitle.text().startswith("Operating point at threshold 0.5: TPR")
    assert view.pr.has_data() and view.calibration.has_data()
    assert not view.residuals.isVisibleTo(view)
    assert [r[0] for r in view.per_class.cell_texts()] == ["0", "1"]


def test_multiclass_and_regression_evaluation_views(measured_home, window_on, qtbot):
    window = window_on(measured_home)
    view = _open(window, qtbot, "wine-lr", "evaluation").evaluation
    assert view.roc.title_label.text() == "ROC curves, one class against the rest"
    assert len(view.roc.legend.entries()) == 3
    assert view.confusion.has_data() and not view.calibration.isVisibleTo(view)
    assert len(view.per_class.cell_texts()) == 3
    names = [r[0] for r in view.metrics.cell_texts()]
    # the averages say they are macro averages, and f1 (which is f1_macro) shows once
    assert names[2:6] == [
        "Precision (macro)",
        "Recall (macro)",
        "Specificity (macro)",
        "F1 (macro)",
    ]
    assert names.count("F1 (macro)") == 1 and "F1 (weighted)" in names

    view = _open(window, qtbot, "diabetes-linreg", "evaluation").evaluation
    rows = view.metrics.cell_texts()
    assert [r[0] for r in rows] == ["MAE", "RMSE", "R²", "MAPE", "Max error"]
    assert rows[-1][2] == "—"  # no interval for an extreme
    # MAPE as a share: 39 %, not 0.3872, to the point its interval (±3 points) allows
    assert re.fullmatch(r"\d+(\.\d+)? %", rows[3][1])
    assert re.fullmatch(r"\d+(\.\d+)? % – \d+(\.\d+)? %", rows[3][2])
    decimals = {len(t.removesuffix(" %").partition(".")[2]) for t in rows[3][2].split(" – ")}
    assert decimals == {len(rows[3][1].removesuffix(" %").partition(".")[2])}
    assert any(isinstance(i, pg.ScatterPlotItem) for i in view.residuals.data_items())
    assert view.residuals.subtitle.text() == "442 rows shown"
    assert not view.confusion.isVisibleTo(view)
    assert (
        view.notes.text()
        == "Note: max_error has no interval: the bootstrap of an extreme is unreliable"
    )


def test_profiling_view(measured_home, window_on, qtbot):
    window = window_on(measured_home)
    view = _open(window, qtbot, "bc-lr", "profiling").profiling
    assert view.currentWidget() is view.page
    table = view.latency_table.cell_texts()
    assert [r[0] for r in table] == ["1", "8", "64"]
    assert all(r[2].endswith(("ms", "µs")) for r in table)
    assert view.latency_chart.has_data()
    items = view.latency_chart.data_items()
    assert sum(isinstance(i, pg.FillBetweenItem) for i in items) == 2  # p50-p95, p95-p99 bands
    ticks = view.latency_chart.plots()[0].getAxis("bottom")._tickLevels[0]
    assert [label for _, label in ticks] == ["1", "8", "64"]  # log axis, ticks at batch sizes
    assert view.distribution.subtitle.text().startswith("Batch size 1: ")
    view.select_batch_size(64)  # drawn at once: one chart
    assert view.distribution.subtitle.text().startswith("Batch size 64: ")
    assert any(isinstance(i, pg.PlotCurveItem) for i in view.distribution.data_items())
    assert any(isinstance(i, pg.BarGraphItem) for i in view.memory.data_items())
    assert view.hardware.value("CPU") != ""
    assert view.hardware.value("Python").startswith("CPython 3.")


def test_profiling_view_says_when_the_machine_was_busy(measured_home, window_on, qtbot):
    window = window_on(measured_home)
    view = _open(window, qtbot, "bc-lr", "profiling").profiling
    result = window.catalog.latest_measurement(
        "profiles", window.catalog.get_model("bc-lr"), window.catalog.get_dataset("breast_cancer")
    )["result"]
    rows = [dict(r) for r in result["latency"]]
    for row in rows:
        row.update(machine_busy=False, busy_reason=None, p50_stable=True, p99_stable=True)
    view.set_result({**result, "latency": rows})
    assert view.notes.isHidden()
    rows[1].update(machine_busy=True, busy_reason="other processes took 72 % of the CPU time")
    rows[2].update(p50_stable=False)
    view.set_result({**result, "latency": rows})
    assert not view.notes.isHidden()
    assert view.notes.text().splitlines() == [
        "Measured on a busy machine at batch size 8 (other processes took 72 % of the CPU "
        "time): these latencies are likely higher than on a quiet machine.",
        "Unstable at batch size 64: the p50 still moved by more than 5 % between the last "
        "rounds of sampling.",
    ]


def test_empty_states_when_nothing_is_measured(measured_home, window_on, qtbot):
    window = window_on(measured_home)
    page = _open(window, qtbot, "wine-lr", "profiling")
    assert page.profiling.currentWidget() is page.profiling.empty
    assert page.profiling.empty.text() == "No profile yet — choose a dataset and press Profile."
    page.select_dataset("breast_cancer")
    page.tabs.setCurrentWidget(page.evaluation)
    qtbot.waitUntil(lambda: not page.evaluation.rendering)
    assert (
        page.evaluation.empty.text() == "No evaluation yet — choose a dataset and press Evaluate."
    )
    assert page.dataset_choice.currentText() == "breast_cancer · test (columns differ)"


def test_charts_take_plain_dicts_and_stay_fast_with_many_points(qtbot):
    roc = charts.RocChart()
    qtbot.addWidget(roc)
    assert not roc.has_data() and roc.empty.text() == "No ROC curve: it needs class probabilities."
    roc.set_data(
        roc={"fpr": [0, 0.1, 1], "tpr": [0, 0.8, 1]},
        operating_point={"fpr": 0.1, "tpr": 0.8, "threshold": 0.5},
        auc=0.9,
    )
    assert roc.has_data() and roc.title_label.text() == "ROC curve · AUC 0.9000"
    roc.set_data(None)
    assert not roc.has_data() and roc.stack.currentWidget() is roc.empty

    cm = charts.ConfusionMatrixChart()
    qtbot.addWidget(cm)
    cm.set_data({"labels": ["no", "yes"], "matrix": [[50, 5], [10, 35]]})
    assert cm.subtitle.text().startswith("85 of 100 rows on the diagonal")

    memory = speed_charts.MemoryChart()
    qtbot.addWidget(memory)
    memory.set_data(
        {
            "resident_delta_mb": 12.5,
            "peak_during_predict_mb": 3.0,
            "size_on_disk_mb": 1.0,
            "batch_size": 32,
            "peak_reset": False,
            "peak_method": "ru_maxrss",
        }
    )
    assert memory.subtitle.text() == (
        "Peak while predicting a batch of 32 rows; measured with ru_maxrss; it could not be "
        "reset before predicting, so it is an "
        "upper bound."
    )

    dist = speed_charts.LatencyDistributionChart()
    qtbot.addWidget(dist)
    raw = np.random.default_rng(0).lognormal(0, 0.3, 1_000_000)
    p50, p95, p99 = np.percentile(raw, [50, 95, 99])
    dist.set_data(raw, {"p50": p50, "p95": p95, "p99": p99}, batch_size=1)
    for plot in dist.plots():
        assert plot.downsampleMode()[1:] == (True, "peak") and plot.clipToViewMode()
    cdf = [i for i in dist.data_items() if isinstance(i, pg.PlotDataItem)]
    assert len(cdf) == 1 and len(cdf[0].xData) == 1_000_000
    assert cdf[0].opts["autoDownsample"] and cdf[0].opts["downsampleMethod"] == "peak"
    assert cdf[0].opts["clipToView"]
    assert "1,000,000 samples" in dist.subtitle.text()

    table = tables.MetricsTable()
    qtbot.addWidget(table)
    table.set_data({"accuracy": {"value": 0.91234, "ci_low": 0.9, "ci_high": 0.92}})
    # ±0.01: to the third decimal, the interval too
    assert table.cell_texts() == [["Accuracy", "0.912", "0.900 – 0.920"]]


def test_charts_follow_the_theme(measured_home, window_on, qtbot):
    window = window_on(measured_home)
    page = _open(window, qtbot, "bc-lr", "profiling")
    page.tabs.setCurrentWidget(page.evaluation)
    roc, latency = page.evaluation.roc, page.profiling.latency_chart

    def background(chart):
        return chart.view.backgroundBrush().color().name()

    window.set_theme("dark")
    qtbot.waitUntil(lambda: background(roc) == background(latency) == "#15181c")
    window.set_theme("light")
    qtbot.waitUntil(lambda: background(roc) == background(latency) == "#ffffff")
    window.set_theme("system")
