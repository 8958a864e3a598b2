"""The bundle page's Optimise tab: convert the handed-over model to ONNX (optionally
quantised), see parity and gain, and sign the result as a new bundle.

A face of :func:`baton.core.handover.optimize.optimize`, run on a worker with progress and
Cancel. Parity, gain and verdicts are core's; this view lays them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from baton.core.present import (
    fmt_count,
    fmt_duration,
    fmt_percent,
    fmt_ratio,
    fmt_size,
    fmt_speedup,
    fmt_target_value,
    metric_label,
    target_label,
)
from baton.gui.common import theme
from baton.gui.common.tables import ReadOnlyTable
from baton.gui.common.verdicts import fmt_threshold
from baton.gui.common.widgets import Banner, PlainLabel, card, muted_label

#: The parity checks that are not a quality metric, as the parity card names them.
CHECK_LABELS = {
    "agreement": "Prediction agreement",
    "max_probability_difference": "Largest probability difference",
}


def check_label(name: str) -> str:
    """A failed parity check as people name it: a metric's label, or the check's."""
    return CHECK_LABELS.get(name) or metric_label(name)


def target_text(row: Mapping[str, Any]) -> str:
    """``Latency p95 at batch size 1 ≤ 50 ms`` for a gain's target row (its ``expr``)."""
    from baton.core.contract.targets import parse_target

    t = parse_target(row["expr"])
    threshold = fmt_threshold({"metric": t.metric, "op": t.op, "threshold": t.threshold})
    return f"{target_label(t.key)} {threshold}"


class OptimizeView(QWidget):
    """Options, the button that starts an optimisation, its progress and its result.

    ``start_requested(options)`` carries ``quantize``, ``opset``, ``out`` and
    ``passphrase``; ``cancel_requested()`` asks the page to stop the running job.
    """

    start_requested = Signal(dict)
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)  # as the bundle page's other tabs
        layout.setSpacing(12)
        form = QFormLayout()
        self.quantize = QCheckBox("Quantise the weights (dynamic, 8 bits)")
        form.addRow("", self.quantize)
        self.opset = QSpinBox()
        self.opset.setRange(0, 30)
        self.opset.setSpecialValueText("skl2onnx's latest")
        self.opset.setMaximumWidth(200)  # a small number, not a line of text
        form.addRow("ONNX &opset", self.opset)
        self.out = QLineEdit()
        form.addRow("&Save bundle to", self.out)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("The passphrase of your signing key")
        form.addRow("&Passphrase", self.passphrase)
        options = QWidget()
        options.setLayout(form)
        form.setContentsMargins(0, 0, 0, 0)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        self.start_button = QPushButton(theme.icon("export"), "Optimise…")
        self.start_button.setObjectName("Primary")  # the tab's one action, as Check drift…
        self.start_button.clicked.connect(self._start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_requested.emit)
        self.cancel_button.hide()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        bar = QWidget()
        bar.setLayout(buttons)
        self.progress = QProgressBar()
        self.progress.hide()
        self.status = muted_label()
        layout.addWidget(
            card(
                muted_label(
                    "Convert the model to ONNX (and optionally quantise it), run both side by "
                    "side on the bundle's test set, and sign the result as a new bundle naming "
                    "this one as its parent. A conversion that does not predict as the original "
                    "is reported and never signed."
                ),
                options,
                bar,
                self.progress,
                self.status,
                title="Optimise the model",
            )
        )
        self.banner = Banner(closable=False)
        layout.addWidget(self.banner)
        self.line = PlainLabel()
        self.line.setWordWrap(True)
        self.parity_summary = PlainLabel()
        self.parity_summary.setWordWrap(True)
        self.metrics_table = ReadOnlyTable(
            ["Metric", "Original", "Optimised", "Difference", "Tolerance", "Parity"],
            numeric=(1, 2, 3, 4),
        )
        self.parity_card = card(self.line, self.parity_summary, self.metrics_table, title="Parity")
        layout.addWidget(self.parity_card)
        self.latency_table = ReadOnlyTable(
            ["Batch", "p50 original", "p50 optimised", "Speed"], numeric=(0, 1, 2)
        )
        self.footprint = PlainLabel()
        self.gain_card = card(self.latency_table, self.footprint, title="Speed and size")
        layout.addWidget(self.gain_card)
        self.targets_table = ReadOnlyTable(
            ["Target", "Original", "Optimised", "Verdict"], numeric=(1, 2)
        )
        self.targets_card = card(self.targets_table, title="Targets, original and optimised")
        layout.addWidget(self.targets_card)
        layout.addStretch(1)
        self.result: Any = None
        for widget in (
            self.metrics_table,
            self.latency_table,
            self.targets_table,
            self.parity_card,
            self.gain_card,
            self.targets_card,
        ):
            widget.hide()
        self.set_allowed(False, "Verifying the bundle…")

    def set_allowed(self, allowed: bool, why: str = "") -> None:
        self.start_button.setEnabled(allowed)
        self.status.setText("" if allowed else why)

    def set_default_out(self, path: Path) -> None:
        if not self.out.text():
            self.out.setText(str(path))

    def _start(self) -> None:
        self.start_requested.emit(
            {
                "quantize": "dynamic" if self.quantize.isChecked() else None,
                "opset": self.opset.value() or None,
                "out": self.out.text().strip(),
                "passphrase": self.passphrase.text(),
            }
        )

    def set_running(self, running: bool, message: str = "") -> None:
        self.start_button.setEnabled(not running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(True)
        self.progress.setVisible(running)
        self.progress.setRange(0, 0)
        self.status.setText(message)
        if running:
            self.banner.hide()

    def set_progress(self, done: Any, total: Any, message: str) -> None:
        if total:
            self.progress.setRange(0, int(total))
            self.progress.setValue(int(done or 0))
        self.status.setText(message)

    def show_error(self, message: str) -> None:
        self.banner.show_message(message, "error")

    def set_result(self, result: Any) -> None:
        """Lay out an :class:`~baton.core.handover.optimize.Optimisation`."""
        self.result = result
        self.passphrase.clear()
        p, g = result.parity, result.gain
        if result.passed:
            self.banner.show_message(
                f"Parity holds: wrote {result.path.name} ({result.name} {result.version}), "
                "signed by you.",
                "ok",
            )
            self.line.setText(result.line)
        else:
            self.banner.show_message(
                "Parity lost: the optimised model does not predict as the original; nothing "
                f"was signed. Failed checks: {', '.join(map(check_label, p['failed']))}.",
                "error",
            )
            self.line.setText("")
        parts = [
            f"Prediction agreement: {fmt_count(p['agreeing'])} of {fmt_count(p['rows'])} rows "
            f"({fmt_percent(p['agreement'])}; required {fmt_percent(p['agreement_required'])})."
        ]
        if p.get("max_probability_difference") is not None:
            parts.append(
                f"Largest probability difference: {fmt_ratio(p['max_probability_difference'])} "
                f"(allowed {fmt_ratio(p['max_probability_difference_allowed'], exact=True)})."
            )
        self.parity_summary.setText(" ".join(parts))
        self.metrics_table.set_rows(
            [
                [
                    metric_label(m["metric"]),
                    fmt_target_value(m["metric"], m["original"]),
                    fmt_target_value(m["metric"], m["optimised"]),
                    fmt_target_value(m["metric"], m["difference"]),
                    fmt_target_value(m["metric"], m["tolerance"], exact=True)
                    + (" (target)" if m["tolerance_from"] == "target" else ""),
                    "yes" if m["within"] else "no",
                ]
                for m in p["metrics"]
            ],
            kinds=["ok" if m["within"] else "error" for m in p["metrics"]],
            status_column=5,
        )
        self.metrics_table.show()
        self.parity_card.show()
        has_gain = bool(g)
        has_targets = has_gain and bool(g.get("targets"))
        self.latency_table.setVisible(has_gain)
        self.gain_card.setVisible(has_gain)
        self.targets_table.setVisible(has_targets)
        self.targets_card.setVisible(has_targets)
        self.footprint.setVisible(has_gain)
        if not has_gain:
            return
        self.latency_table.set_rows(
            [
                [
                    fmt_count(r["batch_size"]),
                    fmt_duration(r["original_p50_ms"]),
                    fmt_duration(r["optimised_p50_ms"]),
                    fmt_speedup(r["speedup"]),
                ]
                for r in g["latency"]
            ]
        )
        size = g["size_bytes"]
        self.footprint.setText(
            f"Size on disk: {fmt_size(size['original'])} → {fmt_size(size['optimised'])}"
        )
        self.targets_table.set_rows(
            [
                [
                    target_text(t),
                    fmt_target_value(t["metric"], t["original"]),
                    fmt_target_value(t["metric"], t["optimised"]),
                    t["verdict"],
                ]
                for t in g["targets"]
            ],
            kinds=["ok" if t["verdict"] == "pass" else "error" for t in g["targets"]],
            status_column=3,
        )


def optimize_job(path: Path, options: dict[str, Any], budget_s: float = 1.0):
    """The optimisation as a job for the worker pool (its own catalog connection)."""

    def job(catalog, progress, cancel):
        from baton.core.handover.optimize import optimize

        return optimize(
            catalog,
            path,
            out=Path(options["out"]),
            passphrase=options["passphrase"],
            quantize=options.get("quantize"),
            opset=options.get("opset"),
            budget_s=budget_s,
            progress=progress,
            cancel=cancel,
        )

    return job
