"""The evaluation of a model on a dataset: metrics with intervals, and the charts.

Renders the ``result`` of ``catalog.latest_measurement("evaluations", model, dataset)``,
whose shape is documented in :mod:`baton.core.measure.metrics`: binary and multiclass results
show the metrics table, the confusion matrix, ROC and precision-recall curves (with the
operating point for binary problems), the calibration curve (binary) and the per-class
table; regression results show the metrics, predicted against actual values, the residuals
against predictions and the distribution of every row's residual.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QWidget

from baton.core.measure.metrics import METRIC_NAMES_CLASSIFICATION, METRIC_NAMES_REGRESSION
from baton.core.present import fmt_when, half_width
from baton.gui.common.charts import (
    CalibrationChart,
    ConfusionMatrixChart,
    PrChart,
    PredictedActualChart,
    ResidualChart,
    ResidualHistogramChart,
    RocChart,
)
from baton.gui.common.tables import MetricsTable, PerClassTable
from baton.gui.common.widgets import MeasurementStack, ResponsiveGrid, card, muted_label

NO_EVALUATION = "No evaluation yet — choose a dataset and press Evaluate."

#: The order of the metrics table: core's metric names, then any other name sorted.
METRIC_ORDER = METRIC_NAMES_CLASSIFICATION + METRIC_NAMES_REGRESSION


def ordered_metrics(metrics: Mapping[str, Any]) -> dict[str, Any]:
    known = [m for m in METRIC_ORDER if m in metrics]
    return {m: metrics[m] for m in known + sorted(set(metrics) - set(known))}


class EvaluationView(MeasurementStack):
    """Shows one evaluation; an empty state when there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(NO_EVALUATION, "evaluate", parent)
        outer = self.outer

        self.metrics = MetricsTable()
        self.confusion = ConfusionMatrixChart()
        self.roc = RocChart()
        self.pr = PrChart()
        self.calibration = CalibrationChart()
        self.residuals = ResidualChart()
        self.predicted_actual = PredictedActualChart()
        self.residual_histogram = ResidualHistogramChart()
        self.per_class = PerClassTable()
        self.notes = muted_label()

        self._metrics_card = card(self.metrics, title="Metrics")
        self._per_class_card = card(self.per_class, title="Per class")
        self._cards = {
            "confusion": card(self.confusion),
            "roc": card(self.roc),
            "pr": card(self.pr),
            "calibration": card(self.calibration),
            "residuals": card(self.residuals),
            "predicted_actual": card(self.predicted_actual),
            "residual_histogram": card(self.residual_histogram),
        }
        self.grid = ResponsiveGrid()
        outer.addWidget(self.grid)
        outer.addWidget(self.notes)
        outer.addStretch(1)

        self._add_page()

    def set_result(self, result: Mapping[str, Any], created_at: str | None = None) -> None:
        self.result = dict(result)
        kind = result.get("problem_type", "")
        classification = kind in ("binary", "multiclass")
        boot = result.get("bootstrap") or {}
        parts = [f"On {result.get('dataset', '?')}", f"{result.get('n_rows', 0):,} rows"]
        if kind == "binary":
            parts.append(f"binary, positive class {result.get('positive_class')}")
        elif kind:
            parts.append(kind)
        if boot.get("resamples"):
            level = f"{boot.get('level', 0.95):.0%}".replace("%", " %")
            parts.append(
                f"{level} intervals from {boot['resamples']:,} bootstrap resamples "
                f"(seed {boot.get('seed', 0)})"
            )
        else:
            parts.append("no intervals (bootstrap off)")
        if created_at:
            parts.append(f"measured {fmt_when(created_at)}")
        self.summary.setText(" · ".join(parts))

        curves = result.get("curves") or {}
        op = result.get("operating_point")
        metrics = result.get("metrics") or {}
        roc_auc, pr_auc = metrics.get("roc_auc") or {}, metrics.get("pr_auc") or {}
        auc, ap = roc_auc.get("value"), pr_auc.get("value")
        auc_u = half_width(roc_auc.get("ci_low"), roc_auc.get("ci_high"))
        ap_u = half_width(pr_auc.get("ci_low"), pr_auc.get("ci_high"))
        share = self._positive_share(result)
        for chart in self.charts():
            chart.show_pending()
        self.steps.replace(
            [
                lambda: self.metrics.set_data(
                    ordered_metrics(result.get("metrics") or {}), boot.get("level", 0.95), kind
                ),
                lambda: self.per_class.set_data(result.get("per_class")),
                lambda: self.confusion.set_data(
                    result.get("confusion_matrix") if classification else None
                ),
                lambda: self.roc.set_data(
                    curves.get("roc"), curves.get("roc_per_class"), op, auc, auc_u
                ),
                lambda: self.pr.set_data(
                    curves.get("pr"), curves.get("pr_per_class"), op, ap, share, ap_u
                ),
                lambda: self.calibration.set_data(curves.get("calibration")),
                lambda: self.predicted_actual.set_data(
                    result.get("residuals"), result.get("max_error")
                ),
                lambda: self.residuals.set_data(result.get("residuals"), result.get("max_error")),
                lambda: self.residual_histogram.set_data(
                    result.get("residual_histogram"), result.get("residuals")
                ),
            ]
        )
        self._lay_out(kind)
        self.page.verticalScrollBar().setValue(0)
        notes = result.get("notes") or []
        self.notes.setText("\n".join(f"Note: {n}" for n in notes))
        self.notes.setVisible(bool(notes))
        self.setCurrentWidget(self.page)

    def charts(self) -> list:
        return [
            self.confusion,
            self.roc,
            self.pr,
            self.calibration,
            self.predicted_actual,
            self.residuals,
            self.residual_histogram,
        ]

    @staticmethod
    def _positive_share(result: Mapping[str, Any]) -> float | None:
        if result.get("problem_type") != "binary":
            return None
        n = result.get("n_rows") or 0
        for row in result.get("per_class") or []:
            if row.get("label") == result.get("positive_class") and n:
                return float(row.get("support", 0)) / n
        return None

    def _lay_out(self, kind: str) -> None:
        if kind == getattr(self, "_laid_out_for", None):
            return
        self._laid_out_for = kind
        cards = self._cards
        if kind == "regression":
            # two by two on a wide page: nothing beside the metrics stays empty
            items = [
                (self._metrics_card, False),
                (cards["predicted_actual"], False),
                (cards["residuals"], False),
                (cards["residual_histogram"], False),
            ]
        elif kind == "binary":
            items = [
                (self._metrics_card, False),
                (cards["confusion"], False),
                (cards["roc"], False),
                (cards["pr"], False),
                (cards["calibration"], False),
                (self._per_class_card, False),
            ]
        else:
            items = [
                (self._metrics_card, False),
                (cards["confusion"], False),
                (cards["roc"], False),
                (cards["pr"], False),
                (self._per_class_card, True),
            ]
        self.grid.set_items(items)
