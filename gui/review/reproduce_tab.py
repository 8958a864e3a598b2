"""The bundle page's Reproduce tab: the Reproduce button and what core's reproduction found."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from baton.core.present import (
    fmt_count,
    fmt_difference,
    fmt_duration,
    fmt_peak_mb,
    fmt_percent,
    fmt_rate,
    fmt_ratio,
    fmt_size,
    fmt_target_value,
    fmt_when,
    target_label,
)
from baton.gui.common import theme
from baton.gui.common.tables import ReadOnlyTable, pair
from baton.gui.common.verdicts import VERDICT_KIND, VERDICT_TEXT, fmt_threshold
from baton.gui.common.widgets import Banner, PlainLabel, card, muted_label
from baton.gui.review.charts import (
    LatencyCompareChart,
)


def hardware_pairs(claimed: Mapping[str, Any] | None, here: Mapping[str, Any] | None):
    """(what, claimed, here) rows; the contract and the profiler name a few keys differently."""
    claimed, here = claimed or {}, here or {}

    def ram(d: Mapping[str, Any]) -> str:
        value = d.get("ram_total_bytes", d.get("ram_bytes"))
        return fmt_size(value) if value else "—"

    def cores(d: Mapping[str, Any]) -> str:
        bits = [
            f"{d[k]} {label}"
            for k, label in (
                ("cores_physical", "physical"),
                ("cores_logical", "logical"),
                ("cores_available", "available"),
            )
            if d.get(k) is not None
        ]
        return ", ".join(bits) or "—"

    return [
        (
            "CPU",
            claimed.get("cpu") or claimed.get("cpu_model") or "—",
            here.get("cpu_model") or here.get("cpu") or "—",
        ),
        ("Cores", cores(claimed), cores(here)),
        ("Memory", ram(claimed), ram(here)),
        (
            "System",
            f"{claimed.get('system', '—')} {claimed.get('machine', '')}".strip(),
            f"{here.get('system', '—')} {here.get('machine', '')}".strip(),
        ),
        ("OS", claimed.get("os") or "—", here.get("os") or "—"),
    ]


MEMORY_ROWS = (
    ("rss_delta_after_load_mb", "Resident memory added by loading"),
    ("peak_predict_mb", "Extra peak while predicting"),
    ("size_on_disk_mb", "Size on disk"),
)


def _candidates(names: list[str]) -> str:
    return ("candidate " if len(names) == 1 else "candidates ") + ", ".join(names)


class ReproduceView(QWidget):
    """The Reproduce button and what core's ``review.reproduce`` found."""

    start_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None, *, staged: bool = False) -> None:
        super().__init__(parent)
        self.result: dict[str, Any] | None = None
        self._build = self._build_steps()
        if not staged:
            for _ in self._build:
                pass

    def build_steps(self) -> Iterator[None]:
        """What is left to build, in pieces (see :mod:`baton.gui.common.stages`)."""
        return self._build

    def _build_steps(self) -> Iterator[None]:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(12)
        self.button = QPushButton(theme.icon("evaluate"), "Reproduce")
        self.button.setObjectName("Primary")
        self.button.clicked.connect(self.start_requested)
        self.budget = QDoubleSpinBox()
        self.budget.setRange(0.05, 60.0)
        self.budget.setSingleStep(0.5)
        self.budget.setValue(1.0)
        self.budget.setSuffix(" s")
        self.budget.setToolTip("How long latency is sampled at each batch size")
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(260)
        self.status = muted_label(wrap=False)
        self.cancel_button = QPushButton(theme.icon("cancel"), "Cancel")
        self.cancel_button.clicked.connect(self.cancel_requested)
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addWidget(QLabel("Latency budget per batch size"))
        row.addWidget(self.budget)
        row.addSpacing(12)
        row.addWidget(self.progress)
        row.addWidget(self.cancel_button)
        row.addWidget(self.status, 1)
        bar = QWidget()
        bar.setLayout(row)
        layout.addWidget(
            card(
                muted_label(
                    "Runs the bundled model on the bundled test set in a separate process, "
                    "compares its predictions with the data scientist's row by row, recomputes "
                    "every metric, measures latency and memory on this machine and judges each "
                    "target."
                ),
                bar,
            )
        )
        self.banner = Banner()
        layout.addWidget(self.banner)
        yield

        self.results = QWidget()
        rl = QVBoxLayout(self.results)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.setSpacing(12)
        self.verdict = PlainLabel()
        self.verdict.setObjectName("Verdict")
        self.verdict.setWordWrap(True)
        font = self.verdict.font()
        font.setPointSizeF(font.pointSizeF() + 4)
        font.setBold(True)
        self.verdict.setFont(font)
        # The second verdict, never mixed with the first: targets met on this machine.
        self.targets_verdict = QLabel()
        self.targets_verdict.setObjectName("Verdict")
        self.targets_verdict.setWordWrap(True)
        self.targets_verdict.setFont(font)
        self.headline = QLabel()  # both verdicts with their reasons, and the busy notes
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for label in (self.verdict, self.targets_verdict, self.headline):
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.when = muted_label()
        self.agreement = PlainLabel()
        self.agreement.setWordWrap(True)
        self.agreement.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        rl.addWidget(
            card(self.verdict, self.targets_verdict, self.headline, self.when, self.agreement)
        )
        self.compliance = ReadOnlyTable(
            ("Target", "Claimed", "Measured here", "Threshold", "Verdict"), numeric=(1, 2)
        )
        rl.addWidget(card(self.compliance, title="Compliance with the targets"))
        self.metrics = ReadOnlyTable(
            (
                "Metric",
                "Claimed",
                "Recomputed from the DS's predictions",
                "Consistent",
                "Measured here",
                "Difference",
            ),
            numeric=(1, 2, 4, 5),
        )
        rl.addWidget(card(self.metrics, title="Metrics: claimed vs recomputed"))
        yield
        self.latency_chart = LatencyCompareChart()
        self.latency = ReadOnlyTable(
            (
                "Batch size",
                "p50 claimed",
                "p50 here",
                "p95 claimed",
                "p95 here",
                "p99 claimed",
                "p99 here",
                "Throughput claimed",
                "Throughput here",
                "Samples here",
            ),
            numeric=tuple(range(10)),
        )
        rl.addWidget(card(self.latency_chart, self.latency))
        yield
        self.memory = ReadOnlyTable(("Memory", "Claimed", "Measured here"), numeric=(1, 2))
        self.hardware = ReadOnlyTable(("Hardware", "Claimed (data scientist)", "Here"))
        rl.addWidget(
            pair(card(self.memory, title="Memory"), card(self.hardware, title="Hardware"), (2, 3))
        )
        layout.addWidget(self.results)
        layout.addStretch(1)
        self.results.hide()
        self.set_running(False)

    def set_running(self, running: bool, message: str = "") -> None:
        self.button.setEnabled(not running)
        self.budget.setEnabled(not running)
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        self.status.setText(message)
        if running:
            self.progress.setRange(0, 0)
            self.banner.hide()

    def set_progress(self, done: Any, total: Any, message: str) -> None:
        if done is None or not total:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(max(0.0, min(1.0, float(done) / float(total))) * 1000))
        if message:
            self.status.setText(message)

    def set_allowed(self, allowed: bool, why: str = "") -> None:
        self.button.setEnabled(allowed)
        self.button.setToolTip("" if allowed else why)
        if not allowed and why:
            self.banner.show_message(why, "warning")

    def set_result(self, result: Mapping[str, Any]) -> None:
        self.result = dict(result)
        c = theme.current_colors()
        claims = result.get("claims_reproduced")
        if claims is None:  # a reproduction stored before the two verdicts
            claims = result.get("verdict") == "pass"
        met = result.get("targets_met_on_this_machine")
        if met is None:
            met = all(t.get("verdict_here") == "pass" for t in result.get("targets") or [])
        failed_for = result.get("claims_failed_for") or []
        self.verdict.setText(
            "Claims reproduced"
            if claims
            else f"Claims not reproduced for {_candidates(failed_for)}"
            if failed_for
            else "Claims not reproduced"
        )
        self.verdict.setStyleSheet(f"color: {c['ok_text'] if claims else c['err_text']};")
        self.targets_verdict.setText(
            "Targets met on this machine" if met else "Targets not met on this machine"
        )
        self.targets_verdict.setStyleSheet(f"color: {c['ok_text'] if met else c['err_text']};")
        self.headline.setText("\n".join(result.get("headline") or []))
        self.headline.setVisible(bool(result.get("headline")))
        self.when.setText(f"Reproduced {fmt_when(result.get('created'))}")
        a = result.get("agreement") or {}
        text = (
            f"Prediction agreement: {fmt_percent(a.get('rate'))} — "
            f"{fmt_count(a.get('agreeing'))} of {fmt_count(a.get('rows'))} test rows predicted "
            "the same here as by the data scientist"
        )
        if a.get("max_probability_difference") is not None:
            text += f"; largest probability difference {fmt_ratio(a['max_probability_difference'])}"
        if a.get("max_abs_difference") is not None:
            text += f"; largest absolute difference {fmt_ratio(a['max_abs_difference'])}"
        self.agreement.setText(text + ".")

        targets = result.get("targets") or []
        self.compliance.set_rows(
            [
                (
                    target_label(t.get("target") or ""),
                    fmt_target_value(t["metric"], t.get("claimed")),
                    fmt_target_value(t["metric"], t.get("here")),
                    fmt_threshold(t),
                    VERDICT_TEXT.get(t.get("verdict_here"), t.get("verdict_here"))
                    + (
                        " (busy machine)"
                        if t.get("busy_here") and t.get("verdict_here") == "fail"
                        else ""
                    ),
                )
                for t in targets
            ],
            kinds=[VERDICT_KIND.get(t.get("verdict_here"), "warning") for t in targets],
            status_column=4,
        )
        metrics = result.get("metrics") or []
        self.metrics.set_rows(
            [
                (
                    m.get("metric"),
                    fmt_target_value(m.get("metric") or "", m.get("claimed")),
                    fmt_target_value(
                        m.get("metric") or "", m.get("recomputed_from_ds_predictions")
                    ),
                    "consistent" if m.get("consistent") else "INCONSISTENT",
                    fmt_target_value(m.get("metric") or "", m.get("here")),
                    fmt_difference(m.get("delta")),
                )
                for m in metrics
            ],
            kinds=[None if m.get("consistent") else "error" for m in metrics],
            status_column=3,
        )
        latency = result.get("latency") or []
        self.latency_chart.set_data(latency)
        self.latency.set_rows(
            [
                (
                    fmt_count(r["batch_size"]),
                    fmt_duration(r.get("claimed_p50_ms")),
                    fmt_duration(r.get("here_p50_ms")),
                    fmt_duration(r.get("claimed_p95_ms")),
                    fmt_duration(r.get("here_p95_ms")),
                    fmt_duration(r.get("claimed_p99_ms")),
                    fmt_duration(r.get("here_p99_ms")),
                    fmt_rate(r.get("claimed_throughput_rps")),
                    fmt_rate(r.get("here_throughput_rps")),
                    fmt_count(r.get("samples_here")),
                )
                for r in latency
            ]
        )
        memory = result.get("memory") or {}
        claimed, here = memory.get("claimed") or {}, memory.get("here") or {}
        self.memory.set_rows(
            [
                (label, size(claimed.get(k)), size(here.get(k)))
                for k, label in MEMORY_ROWS
                for size in [fmt_peak_mb if k == "peak_predict_mb" else _mb]
            ]
        )
        hw = result.get("hardware") or {}
        self.hardware.set_rows(hardware_pairs(hw.get("claimed"), hw.get("here")))
        self.results.show()


def _mb(value: Any) -> str:
    """A size the profiler measured in MB."""
    return fmt_target_value("memory_mb", value)
