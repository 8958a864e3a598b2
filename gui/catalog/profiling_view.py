"""The profile of a model: latency per batch size, its distribution, memory, hardware.

Renders the ``result`` of ``catalog.latest_measurement("profiles", model, dataset)``,
shaped as :mod:`baton.core.measure.profiling` documents: ``latency`` (one dict per batch size,
with percentiles and up to 20 000 raw samples), ``memory``, ``hardware`` and
``environment``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QWidget,
)

from baton.core.present import fmt_size, fmt_when
from baton.gui.common.speed_charts import LatencyChart, LatencyDistributionChart, MemoryChart
from baton.gui.common.tables import LatencyTable
from baton.gui.common.widgets import (
    KeyValueGrid,
    MeasurementStack,
    ResponsiveGrid,
    card,
    muted_label,
)

NO_PROFILE = "No profile yet — choose a dataset and press Profile."


def hardware_rows(
    hardware: Mapping[str, Any], environment: Mapping[str, Any]
) -> list[tuple[str, Any]]:
    """What the measurement ran on, as label / value rows."""
    hw, env = hardware or {}, environment or {}
    cores = [
        f"{hw[k]} {label}"
        for k, label in (
            ("cores_physical", "physical"),
            ("cores_logical", "logical"),
            ("cores_available", "available"),
        )
        if hw.get(k) is not None
    ]
    ram = hw.get("ram_total_bytes")
    rows: list[tuple[str, Any]] = [
        ("CPU", hw.get("cpu_model")),
        ("Cores", ", ".join(cores) or None),
        ("Memory", fmt_size(ram) if ram else None),
        ("System", " ".join(str(hw[k]) for k in ("system", "machine") if hw.get(k)) or None),
        ("OS", hw.get("os")),
        (
            "Python",
            " ".join(str(env[k]) for k in ("python_implementation", "python_version") if env.get(k))
            or None,
        ),
        ("Baton", env.get("baton_version")),
    ]
    threads = env.get("threads_env") or {}
    if threads:
        rows.append(("Thread settings", ", ".join(f"{k}={v}" for k, v in sorted(threads.items()))))
    packages = env.get("packages") or {}
    if packages:
        rows.append(("Packages", ", ".join(f"{k} {v}" for k, v in sorted(packages.items()) if v)))
    return rows


class ProfilingView(MeasurementStack):
    """Shows one profile; an empty state when there is none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(NO_PROFILE, "profile", parent)
        outer = self.outer

        self.latency_chart = LatencyChart()
        self.latency_table = LatencyTable()
        self.distribution = LatencyDistributionChart()
        self.batch_choice = QComboBox()
        self.batch_choice.setMinimumContentsLength(6)
        self.batch_choice.currentIndexChanged.connect(self._show_distribution)
        self.memory = MemoryChart()
        self.hardware = KeyValueGrid()

        chooser = QWidget()
        row = QHBoxLayout(chooser)
        row.setContentsMargins(0, 0, 0, 0)
        label = QLabel("Batch size:")
        label.setBuddy(self.batch_choice)
        row.addWidget(label)
        row.addWidget(self.batch_choice)

        self.distribution.add_header_widget(chooser)
        self.grid = ResponsiveGrid()
        self.grid.set_items(
            [
                (card(self.latency_chart), False),
                (card(self.memory), False),
                (card(self.latency_table, title="Latency per batch"), True),
                (card(self.distribution), True),
                (card(self.hardware, title="Measured on"), True),
            ]
        )
        outer.addWidget(self.grid)
        self.notes = muted_label()
        outer.addWidget(self.notes)
        outer.addStretch(1)

        self._add_page()

    def set_result(self, result: Mapping[str, Any], created_at: str | None = None) -> None:
        self.result = dict(result)
        latency = sorted(result.get("latency") or [], key=lambda r: r["batch_size"])
        hw = result.get("hardware") or {}
        parts = [f"On {result.get('dataset', '?')}"]
        if hw.get("cpu_model"):
            parts.append(str(hw["cpu_model"]))
        if created_at:
            parts.append(f"measured {fmt_when(created_at)}")
        if latency:
            budget = latency[0].get("budget_s")
            if budget:
                parts.append(f"{budget:g} s of sampling per batch size")
        self.summary.setText(" · ".join(parts))
        memory = result.get("memory")
        environment = result.get("environment") or {}
        for chart in (self.latency_chart, self.memory, self.distribution):
            chart.show_pending()
        self.steps.replace(
            [
                lambda: self.latency_table.set_data(latency),
                lambda: self.latency_chart.set_data(latency),
                lambda: self.memory.set_data(memory),
                self._show_distribution,
                lambda: self.hardware.set_rows(hardware_rows(hw, environment)),
            ]
        )
        self.batch_choice.blockSignals(True)
        self.batch_choice.clear()
        for r in latency:
            self.batch_choice.addItem(f"{r['batch_size']:,}", r["batch_size"])
        self.batch_choice.blockSignals(False)
        from baton.core.measure.latency_notes import latency_caveats

        unstable = [r["batch_size"] for r in latency if not r.get("p99_stable")]
        notes = latency_caveats(latency)  # a busy machine, a p50 that never settled
        if unstable:
            notes.append(
                f"p99 rests on fewer than 1,000 samples at "
                f"{'batch size' if len(unstable) == 1 else 'batch sizes'} "
                f"{', '.join(map(str, unstable))}; profile with a longer time budget for a "
                "stable p99."
            )
        self.notes.setText("\n".join(notes))
        self.notes.setVisible(bool(notes))
        self.page.verticalScrollBar().setValue(0)
        self.setCurrentWidget(self.page)

    def select_batch_size(self, batch_size: int) -> None:
        index = self.batch_choice.findData(batch_size)
        if index >= 0:
            self.batch_choice.setCurrentIndex(index)

    def _show_distribution(self, *_: object) -> None:
        if not self.result:
            self.distribution.set_data(None)
            return
        batch = self.batch_choice.currentData()
        row = next((r for r in self.result.get("latency") or [] if r["batch_size"] == batch), None)
        if row is None:
            self.distribution.set_data(None)
            return
        self.distribution.set_data(
            row.get("raw_ms"),
            {"p50": row.get("p50_ms"), "p95": row.get("p95_ms"), "p99": row.get("p99_ms")},
            batch_size=batch,
        )
        if row.get("raw_ms_subsampled"):
            self.distribution.set_subtitle(
                self.distribution.subtitle.text()
                + f" (an even subsample of all {row.get('samples', 0):,} samples)"
            )
