"""The engineer's desk: open a bundle, see it verified, review it, countersign a decision.

:func:`open_bundle_page` returns a :class:`BundlePage` the main window hosts as a page or
a tab. The page is a face of :mod:`baton.core.handover.bundle` and :mod:`baton.core.handover.review`:

1. verification (``bundle.open_bundle``) runs on a worker and ends in a banner — green
   (verified, signer and file count), amber (intact, but the signer is not trusted: the
   fingerprint, and "Trust this key…", which asks the user to compare the fingerprint
   before calling ``trust.trust_key`` with the public key the contract's author entry
   carries, then verifies again) or red (refused, with core's message, naming the file);
2. the contract, read-only, with its charts, and the signed model card;
3. Reproduce (``review.reproduce`` on a worker, with progress and Cancel): prediction
   agreement, metrics claimed vs recomputed, latency, memory and hardware claimed vs
   here, and the compliance table of the targets;
4. the decision (accept / request changes / reject, an overall comment, a comment per
   target), countersigned with the passphrase into ``NAME-VERSION.review.baton``
   (``review.decide`` on a worker).

Nothing here computes what core computes: verdicts, agreement, deltas and consistency are
core's; the page only lays them out. Every catalog access runs on a worker with its own
catalog connection (``baton.gui.common.workers``); :func:`received_rows` (from
:mod:`baton.gui.common.handover_rows`) is the one function that reads a catalog the caller owns
(the main window's, on the GUI thread).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from baton.gui.common import theme
from baton.gui.common.charts import (
    ConfusionMatrixChart,
    LatencyChart,
    LatencyTable,
    MemoryChart,
    MetricsTable,
)
from baton.gui.common.handover_rows import STATUS_TEXT, received_rows  # noqa: F401 - re-exported
from baton.gui.common.review_worker import shared_runner, submit
from baton.gui.common.signed import VerificationBanner
from baton.gui.common.tables import ReadOnlyTable, pair, scroll_page
from baton.gui.common.verdicts import (
    DECISION_HELP,
    DECISION_TEXT,
    VERDICT_KIND,
    VERDICT_TEXT,
    fmt_rate,
    fmt_target_value,
    fmt_threshold,
    model_rows,
    refused_headline,
    target_key,
    verified_headline,
)
from baton.gui.common.widgets import (
    Banner,
    KeyValueGrid,
    PlainLabel,
    card,
    expanding_filler,
    fmt_bytes,
    fmt_mb,
    fmt_ms,
    fmt_number,
    fmt_when,
    mono_font,
    muted_label,
    title_label,
)
from baton.gui.common.workers import TaskRunner
from baton.gui.keys.keys_view import TrustKeyDialog

BUNDLE_FILTER = "Baton bundles (*.baton)"
RECEIPT_FILTER = "Review receipts (*.review.baton)"


# --- building blocks ---------------------------------------------------------------------


# --- charts ------------------------------------------------------------------------------


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


# --- the contract, read-only --------------------------------------------------------------


class ContractView(QWidget):
    """A contract laid out for reading: identity, use, model, datasets, results, targets."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(12)
        self.identity = KeyValueGrid(columns=2)
        self.use = PlainLabel()
        self.limitations = PlainLabel()
        for label in (self.use, self.limitations):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.authors = QVBoxLayout()
        authors_box = QWidget()
        authors_box.setLayout(self.authors)
        self.authors.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(card(self.identity, authors_box, title="Identity"))
        layout.addWidget(
            pair(card(self.use, title="Intended use"), card(self.limitations, title="Limitations"))
        )
        self.targets = ReadOnlyTable(
            ("Target", "Agreed", "Note", "Claimed", "Data scientist's verdict"), numeric=(3,)
        )
        layout.addWidget(card(self.targets, title="Targets"))
        self.model = KeyValueGrid(columns=2)
        self.features = muted_label()
        layout.addWidget(card(self.model, self.features, title="Model"))
        self.datasets = ReadOnlyTable(
            ("Role", "Name", "File", "Rows", "Columns", "Target", "Fingerprint"),
            numeric=(3, 4),
            mono=(6,),
        )
        layout.addWidget(card(self.datasets, title="Datasets"))
        self.environment = KeyValueGrid(columns=2)
        layout.addWidget(card(self.environment, title="Environment it was measured in"))
        self.metric_chart = MetricIntervalsChart()
        self.metrics = MetricsTable()
        layout.addWidget(card(pair(self.metric_chart, self.metrics, (3, 2))))
        self.latency_chart = LatencyChart()
        self.latency_table = LatencyTable()
        self.memory_chart = MemoryChart()
        self.confusion = ConfusionMatrixChart()
        layout.addWidget(card(self.latency_chart, self.latency_table))
        layout.addWidget(card(pair(self.memory_chart, self.confusion)))
        layout.addStretch(1)

    def set_contract(self, contract: Mapping[str, Any]) -> None:
        from baton.core.present import format_fingerprint

        ident = contract["identity"]
        self.identity.set_rows(
            [
                ("Name", ident.get("name")),
                ("Version", ident.get("version")),
                ("Problem", ident.get("problem_type")),
                ("Created", fmt_when(ident.get("created"))),
                ("Contract id", ident.get("id")),
            ]
        )
        while self.authors.count():
            item = self.authors.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for author in ident.get("authors") or []:
            self.authors.addWidget(author_line(author))
        self.use.setText(ident.get("intended_use") or "—")
        self.limitations.setText(ident.get("limitations") or "None stated.")

        targets = contract.get("targets") or []
        self.targets.set_rows(
            [
                (
                    target_key(t),
                    fmt_threshold(t),
                    t.get("note") or "",
                    fmt_target_value(t["metric"], t.get("measured")),
                    VERDICT_TEXT.get(t.get("verdict"), t.get("verdict") or "—"),
                )
                for t in targets
            ],
            kinds=[VERDICT_KIND.get(t.get("verdict")) for t in targets],
            status_column=4,
        )

        model = contract["model"]
        self.model.set_rows(model_rows(model), mono=("SHA-256",))
        features = model.get("features") or []
        self.features.setText(
            f"{len(features)} input features: "
            + ", ".join(f"{f['name']} ({f.get('dtype')})" for f in features[:40])
            + (f", and {len(features) - 40} more" if len(features) > 40 else "")
        )
        self.features.setVisible(bool(features))

        datasets = contract.get("datasets") or []
        self.datasets.set_rows(
            [
                (
                    d.get("role"),
                    d.get("name"),
                    d.get("file") or "left out (listed by fingerprint)",
                    fmt_number(d.get("rows")),
                    fmt_number(len(d.get("columns") or [])),
                    d.get("target") or "—",
                    format_fingerprint(d.get("fingerprint") or ""),
                )
                for d in datasets
            ],
            tooltips=[f"File SHA-256: {d.get('sha256')}" for d in datasets],
        )

        env = contract.get("environment") or {}
        packages = env.get("packages") or {}
        threads = env.get("threads_env") or {}
        self.environment.set_rows(
            [
                ("Python", env.get("python")),
                ("OS", env.get("os")),
                ("CPU", env.get("cpu")),
                ("Machine", env.get("machine")),
                ("Baton", env.get("baton_version")),
                ("Threads", ", ".join(f"{k}={v}" for k, v in sorted(threads.items())) or None),
                (
                    "Packages",
                    ", ".join(f"{k} {v}" for k, v in sorted(packages.items()) if v) or None,
                ),
            ]
        )

        results = contract.get("results") or {}
        level = (results.get("confidence") or {}).get("level", 0.95)
        self.metrics.set_data(results.get("metrics"), level)
        self.metric_chart.set_data(results.get("metrics"), targets)
        self.latency_chart.set_data(results.get("latency"))
        self.latency_table.set_data(results.get("latency"))
        self.memory_chart.set_data(memory_for_chart(results.get("memory")))
        self.confusion.set_data(results.get("confusion_matrix"))
        self.confusion.setVisible(bool(results.get("confusion_matrix")))


def author_line(author: Mapping[str, Any]) -> QWidget:
    """ "Author: NAME <EMAIL> FINGERPRINT", each part a plain label (the name in bold)."""
    from baton.core.present import format_fingerprint

    line = QWidget()
    row = QHBoxLayout(line)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(6)
    name = PlainLabel(author.get("name") or "")
    bold = name.font()
    bold.setBold(True)
    name.setFont(bold)
    email = PlainLabel(f"<{author.get('email') or ''}>")
    fingerprint = PlainLabel(format_fingerprint(author.get("fingerprint") or ""))
    fingerprint.setFont(mono_font())
    row.addWidget(PlainLabel("Author:"))
    for label in (name, email, fingerprint):
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(label)
    email.setWordWrap(True)
    row.addStretch(1)
    return line


# --- reproduce -----------------------------------------------------------------------------


def hardware_pairs(claimed: Mapping[str, Any] | None, here: Mapping[str, Any] | None):
    """(what, claimed, here) rows; the contract and the profiler name a few keys differently."""
    claimed, here = claimed or {}, here or {}

    def ram(d: Mapping[str, Any]) -> str:
        value = d.get("ram_total_bytes", d.get("ram_bytes"))
        return fmt_bytes(value) if value else "—"

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


class ReproduceView(QWidget):
    """The Reproduce button and what core's ``review.reproduce`` found."""

    start_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        self.memory = ReadOnlyTable(("Memory", "Claimed", "Measured here"), numeric=(1, 2))
        self.hardware = ReadOnlyTable(("Hardware", "Claimed (data scientist)", "Here"))
        rl.addWidget(
            pair(card(self.memory, title="Memory"), card(self.hardware, title="Hardware"), (2, 3))
        )
        layout.addWidget(self.results)
        layout.addStretch(1)
        self.results.hide()
        self.set_running(False)
        self.result: dict[str, Any] | None = None

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
        self.verdict.setText("Claims reproduced" if claims else "Claims not reproduced")
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
            f"Prediction agreement: {fmt_rate(a.get('rate'))} — "
            f"{fmt_number(a.get('agreeing'))} of {fmt_number(a.get('rows'))} test rows predicted "
            "the same here as by the data scientist"
        )
        if a.get("max_probability_difference") is not None:
            text += (
                f"; largest probability difference {fmt_number(a['max_probability_difference'])}"
            )
        if a.get("max_abs_difference") is not None:
            text += f"; largest absolute difference {fmt_number(a['max_abs_difference'])}"
        self.agreement.setText(text + ".")

        targets = result.get("targets") or []
        self.compliance.set_rows(
            [
                (
                    t.get("target"),
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
                    fmt_number(m.get("claimed")),
                    fmt_number(m.get("recomputed_from_ds_predictions")),
                    "consistent" if m.get("consistent") else "INCONSISTENT",
                    fmt_number(m.get("here")),
                    _signed(m.get("delta")),
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
                    f"{r['batch_size']:,}",
                    fmt_ms(r.get("claimed_p50_ms")),
                    fmt_ms(r.get("here_p50_ms")),
                    fmt_ms(r.get("claimed_p95_ms")),
                    fmt_ms(r.get("here_p95_ms")),
                    fmt_ms(r.get("claimed_p99_ms")),
                    fmt_ms(r.get("here_p99_ms")),
                    _rps(r.get("claimed_throughput_rps")),
                    _rps(r.get("here_throughput_rps")),
                    fmt_number(r.get("samples_here")),
                )
                for r in latency
            ]
        )
        memory = result.get("memory") or {}
        claimed, here = memory.get("claimed") or {}, memory.get("here") or {}
        self.memory.set_rows(
            [(label, fmt_mb(claimed.get(k)), fmt_mb(here.get(k))) for k, label in MEMORY_ROWS]
        )
        hw = result.get("hardware") or {}
        self.hardware.set_rows(hardware_pairs(hw.get("claimed"), hw.get("here")))
        self.results.show()


def _signed(delta: Any) -> str:
    if delta is None:
        return "—"
    return "0" if delta == 0 else f"{delta:+.3g}"


def _rps(value: Any) -> str:
    return "—" if value is None else f"{float(value):,.0f}/s"


# --- decision ---------------------------------------------------------------------------


class CountersignDialog(QDialog):
    """The passphrase and where to save the receipt; stays open until signing succeeds."""

    sign_requested = Signal(str, str)  # passphrase, receipt path

    def __init__(
        self, decision: str, bundle_label: str, default_out: Path, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle("Countersign the decision")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(title_label(f"{DECISION_TEXT[decision]}: {bundle_label}", "SectionTitle"))
        layout.addWidget(
            muted_label(
                "Your signing key signs the decision, your comments and what you reproduced. "
                "The receipt goes back to the data scientist, who can verify it."
            )
        )
        form = QFormLayout()
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("The passphrase of your signing key")
        form.addRow("&Passphrase", self.passphrase)
        self.out = QLineEdit(str(default_out))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self.choose_out)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out, 1)
        out_row.addWidget(browse)
        out_label = QLabel("Save &receipt to")
        out_label.setBuddy(self.out)
        form.addRow(out_label, out_row)
        layout.addLayout(form)
        self.banner = Banner(closable=False)
        layout.addWidget(self.banner)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sign_button = self.buttons.addButton(
            "Countersign", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.sign_button.setObjectName("Primary")
        self.buttons.accepted.connect(self._sign)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.passphrase.textChanged.connect(self._update)
        self.out.textChanged.connect(self._update)
        self._update()

    def choose_out(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the review receipt", self.out.text(), RECEIPT_FILTER
        )
        if path:
            self.out.setText(path if path.endswith(".review.baton") else path + ".review.baton")

    def _update(self) -> None:
        self.sign_button.setEnabled(bool(self.passphrase.text()) and bool(self.out.text().strip()))

    def _sign(self) -> None:
        if not self.sign_button.isEnabled():
            return
        self.banner.hide()
        self.set_busy(True)
        self.sign_requested.emit(self.passphrase.text(), self.out.text().strip())

    def set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.sign_button.setEnabled(not busy)
        self.passphrase.setEnabled(not busy)
        self.out.setEnabled(not busy)

    def show_error(self, message: str) -> None:
        self.set_busy(False)
        self.banner.show_message(message, "error")
        self.passphrase.selectAll()
        self.passphrase.setFocus()


class DecisionView(QWidget):
    """Accept / request changes / reject, comments, and the Countersign button."""

    countersign_requested = Signal()

    COMMENT_COLUMN = 5

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(12)
        self.banner = Banner(closable=False)
        layout.addWidget(self.banner)
        self.result_decision = PlainLabel()
        font = self.result_decision.font()
        font.setPointSizeF(font.pointSizeF() + 3)
        font.setBold(True)
        self.result_decision.setFont(font)
        self.result = PlainLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_card = card(self.result_decision, self.result, title="Countersigned")
        self.result_card.hide()
        layout.addWidget(self.result_card)
        self.group = QButtonGroup(self)
        self.radios: dict[str, QRadioButton] = {}
        radios = QVBoxLayout()
        for decision in ("accept", "changes", "reject"):
            radio = QRadioButton(DECISION_TEXT[decision])
            radio.setToolTip(DECISION_HELP[decision])
            self.group.addButton(radio)
            self.radios[decision] = radio
            line = QHBoxLayout()
            line.addWidget(radio)
            line.addWidget(muted_label(DECISION_HELP[decision], wrap=False))
            line.addStretch(1)
            radios.addLayout(line)
        radio_box = QWidget()
        radio_box.setLayout(radios)
        layout.addWidget(card(radio_box, title="Decision"))
        self.comment = QPlainTextEdit()
        self.comment.setPlaceholderText(
            "Why? What you checked, on which hardware, what must change. The data scientist reads this."
        )
        self.comment.setFixedHeight(90)
        layout.addWidget(card(self.comment, title="Overall comment"))
        self.targets = ReadOnlyTable(
            ("Target", "Agreed", "Claimed", "Measured here", "Verdict here", "Your comment"),
            numeric=(2, 3),
            editable=(self.COMMENT_COLUMN,),
        )
        self.targets.setWordWrap(True)
        layout.addWidget(
            card(
                muted_label("Double-click a comment cell to write about one target (optional)."),
                self.targets,
                title="Comments per target",
            )
        )
        self.sign_button = QPushButton(theme.icon("key"), "Countersign…")
        self.sign_button.setObjectName("Primary")
        self.sign_button.clicked.connect(self.countersign_requested)
        self.hint = muted_label()
        row = QHBoxLayout()
        row.addWidget(self.sign_button)
        row.addWidget(self.hint, 1)
        layout.addLayout(row)
        layout.addStretch(1)
        self.group.buttonToggled.connect(self._update)
        self.comment.textChanged.connect(self._update)
        self.allowed = False
        self.target_keys: list[str] = []
        self._update()

    def set_targets(
        self, contract_targets: Sequence[Mapping[str, Any]], reproduction: Mapping[str, Any] | None
    ) -> None:
        """One row per contract target, with what reproduce found if it ran."""
        kept = self.target_comments()
        here = {t["target"]: t for t in (reproduction or {}).get("targets") or []}
        self.target_keys = [target_key(t) for t in contract_targets]
        rows, kinds = [], []
        for t, key in zip(contract_targets, self.target_keys, strict=True):
            h = here.get(key)
            verdict = h.get("verdict_here") if h else None
            rows.append(
                (
                    key,
                    fmt_threshold(t),
                    fmt_target_value(t["metric"], t.get("measured")),
                    fmt_target_value(t["metric"], h.get("here")) if h else "not reproduced",
                    VERDICT_TEXT.get(verdict, "—") if verdict else "—",
                    kept.get(key, ""),
                )
            )
            kinds.append(VERDICT_KIND.get(verdict) if verdict else None)
        self.targets.set_rows(rows, kinds=kinds, status_column=4)

    def set_comment_for(self, key: str, text: str) -> None:
        row = self.target_keys.index(key)
        self.targets.item(row, self.COMMENT_COLUMN).setText(text)

    def target_comments(self) -> dict[str, str]:
        out = {}
        for r, key in enumerate(self.target_keys):
            item = self.targets.item(r, self.COMMENT_COLUMN)
            if item is not None and item.text().strip():
                out[key] = item.text().strip()
        return out

    def decision(self) -> str | None:
        return next((d for d, r in self.radios.items() if r.isChecked()), None)

    def set_allowed(self, allowed: bool, why: str = "") -> None:
        self.allowed = allowed
        if allowed:
            self.banner.hide()
        elif why:
            self.banner.show_message(why, "warning")
        self._update()

    def _update(self, *_: Any) -> None:
        decision, comment = self.decision(), self.comment.toPlainText().strip()
        self.sign_button.setEnabled(self.allowed and bool(decision) and bool(comment))
        if not self.allowed:
            self.hint.setText("")
        elif not decision:
            self.hint.setText("Choose accept, request changes or reject.")
        elif not comment:
            self.hint.setText("Write an overall comment: the data scientist reads it.")
        else:
            self.hint.setText(
                "You will be asked for your passphrase and where to save the receipt."
            )

    def show_result(self, review: Mapping[str, Any]) -> None:
        c = theme.current_colors()
        color = {"accept": c["ok_text"], "changes": c["warn_text"], "reject": c["err_text"]}[
            review["decision"]
        ]
        reproduced = review.get("reproduced")
        decision = DECISION_TEXT[review["decision"]]
        self.result_decision.setText(decision)
        self.result_decision.setStyleSheet(f"color: {color};")
        self.result.setText(
            f"{decision}: receipt written to {review['file']}\n"
            f"Signed by {review['reviewer']['name']} on {fmt_when(review.get('created'))}; "
            + (
                f"it records the reproduction of {fmt_when(reproduced.get('created'))} "
                f"(verdict {reproduced.get('verdict')})."
                if reproduced
                else "it records no reproduction (none was run here)."
            )
            + "\nSend the receipt to the data scientist; `baton verify` or Baton's window "
            "shows it to them."
        )
        self.result_card.show()


# --- jobs (run on a worker thread with that thread's catalog) -------------------------------


def verify_bundle_job(path: Path) -> Callable:
    """Open (verify) a bundle; expected refusals come back as ``state="refused"``."""

    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.contract.card import render_html_fragment
        from baton.core.errors import BatonError, Cancelled
        from baton.core.handover import bundle, review, trust

        try:
            with bundle.open_bundle(catalog, path, progress=progress, cancel=cancel) as opened:
                o = opened.opened
                contract = opened.contract
                author = next(
                    (
                        a
                        for a in contract["identity"].get("authors") or []
                        if a.get("fingerprint") == o.signer_fingerprint
                    ),
                    None,
                )
                revoked = (
                    trust.find_key(catalog, o.signer_fingerprint)
                    if trust.key_status(catalog, o.signer_fingerprint) == "revoked"
                    else None
                )
                return {
                    "state": "verified" if o.trusted else "untrusted",
                    "summary": opened.summary(),
                    "contract": contract,
                    "author": author,
                    "revoked": revoked,
                    # Baton's own rendering of the verified contract (which card.md had to equal)
                    "card": render_html_fragment(contract),
                    "reproduction": review.latest_reproduction(catalog, o.root_digest)
                    if o.trusted
                    else None,
                }
        except Cancelled:
            raise
        except BatonError as exc:
            return {
                "state": "refused",
                "message": str(exc),
                "member": exc.path,
                "exit_code": exc.exit_code,
            }

    return job


def trust_signer_job(public_pem: str, fingerprint: str, name: str, email: str | None) -> Callable:
    """Trust a signer's key from the PEM their signed document carries, after the user
    compared its fingerprint; refuses a key whose fingerprint is not the one shown."""

    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.errors import VerificationError
        from baton.core.handover import trust
        from baton.core.handover.keys import fingerprint as fingerprint_of
        from baton.core.present import format_fingerprint

        actual = fingerprint_of(public_pem.encode("ascii"))
        if actual != fingerprint:
            raise VerificationError(
                f"the public key in the signed document has the fingerprint {format_fingerprint(actual)}, "
                f"not {format_fingerprint(fingerprint)}; nothing was trusted"
            )
        return trust.trust_pem(catalog, public_pem, name, email)

    return job


def reproduce_job(path: Path, budget_s: float) -> Callable:
    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.handover import review

        return review.reproduce(catalog, path, budget_s=budget_s, progress=progress, cancel=cancel)

    return job


def decide_job(
    path: Path,
    decision: str,
    comment: str,
    target_comments: dict[str, str],
    out: Path,
    passphrase: str,
) -> Callable:
    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.handover import review

        progress(None, None, "Signing the decision")
        return review.decide(
            catalog,
            path,
            decision=decision,
            comment=comment,
            target_comments=target_comments,
            out=out,
            passphrase=passphrase,
        )

    return job


# --- the page -----------------------------------------------------------------------------


class TrustFlow(QObject):
    """The amber state's "Trust this key…": the dialog, then trusting the key on a worker.

    Shared by the bundle page (the contract's author) and the receipt page (the reviewer),
    which own it as a child and verify again on ``trusted(row)``. ``person`` is the signed
    document's entry for the signer: name, email, fingerprint and public_key. It keeps no
    Python reference to its page, so a closed page is freed by Qt, never by the cyclic
    garbage collector on some worker thread.
    """

    trusted = Signal(dict)
    failed = Signal(str)

    def __init__(self, page: QWidget, runner: TaskRunner) -> None:
        super().__init__(page)
        self.runner = runner
        self.dialog: TrustKeyDialog | None = None
        self.person: dict[str, Any] | None = None

    def open(self, person: Mapping[str, Any], source: str) -> TrustKeyDialog:
        dialog = TrustKeyDialog(
            person["fingerprint"],
            person.get("name") or "",
            person.get("email") or "",
            source=source,
            parent=self.parent(),
        )
        dialog.accepted.connect(self._accepted)
        self.dialog, self.person = dialog, dict(person)
        dialog.open()
        return dialog

    def _accepted(self) -> None:
        if self.dialog is not None and self.person is not None:
            self._trust(self.person, *self.dialog.values())

    def _trust(self, person: Mapping[str, Any], name: str, email: str | None) -> None:
        submit(
            self.runner,
            self,
            f"Trusting {name}'s key",
            trust_signer_job(person["public_key"], person["fingerprint"], name, email),
            on_success=self._trusted,
            on_failure=self._failed,
        )

    def _trusted(self, row: dict) -> None:
        self.trusted.emit(row)

    def _failed(self, message: str) -> None:
        self.failed.emit(message)


class BundlePage(QWidget):
    """One bundle: verification banner, contract, reproduce, decision. See the module doc.

    Signals, for the main window and tests: ``verification_finished(state)`` with state
    ``verified``, ``untrusted``, ``refused`` or ``cancelled``; ``trusted(message)``;
    ``reproduced(result)`` / ``reproduce_failed(message)``; ``decided(review)`` /
    ``decide_failed(message)``; ``catalog_changed()`` whenever the page wrote to the
    catalog (a received bundle recorded, a key trusted, a decision recorded).
    """

    verification_finished = Signal(str)
    trusted = Signal(str)
    reproduced = Signal(dict)
    reproduce_failed = Signal(str)
    decided = Signal(dict)
    decide_failed = Signal(str)
    catalog_changed = Signal()

    def __init__(
        self,
        home: str | Path,
        path: str | Path,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.home = Path(home)
        self.path = Path(path)
        self.runner = runner or shared_runner(self.home)
        self.state = "verifying"
        self.outcome: dict[str, Any] = {}
        self.summary: dict[str, Any] | None = None
        self.contract: dict[str, Any] | None = None
        self.reproduction: dict[str, Any] | None = None
        self.review: dict[str, Any] | None = None
        self.countersign_dialog: CountersignDialog | None = None
        self._verify_worker = None
        self._reproduce_worker = None
        self.trust_flow = TrustFlow(self, self.runner)
        self.trust_flow.trusted.connect(self._trusted)
        self.trust_flow.failed.connect(self._trust_failed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 8)
        layout.setSpacing(8)
        self.title = title_label(self.path.name)
        layout.addWidget(self.title)
        self.banner = VerificationBanner()
        self.banner.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.banner.trust_button.clicked.connect(self.open_trust_dialog)
        self.banner.retry_button.clicked.connect(self.verify)
        self.banner.cancel_button.clicked.connect(self.cancel_verification)
        layout.addWidget(self.banner)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.contract_view = ContractView()
        self.reproduce_view = ReproduceView()
        self.reproduce_view.start_requested.connect(self.start_reproduce)
        self.reproduce_view.cancel_requested.connect(self.cancel_reproduce)
        self.decision_view = DecisionView()
        self.decision_view.countersign_requested.connect(self.open_countersign_dialog)
        self.card_view = QTextBrowser()
        self.card_view.setOpenLinks(False)  # the card has no links; nothing may navigate
        self.card_view.setOpenExternalLinks(False)
        self.tabs.addTab(scroll_page(self.contract_view), theme.icon("contract"), "Contract")
        self.tabs.addTab(scroll_page(self.reproduce_view), theme.icon("evaluate"), "Reproduce")
        self.tabs.addTab(scroll_page(self.decision_view), theme.icon("key"), "Decision")
        self.tabs.addTab(self.card_view, theme.icon("model"), "Model card")
        layout.addWidget(self.tabs, 1)
        self.refused_note = muted_label(
            "Nothing from this bundle is shown: it failed verification, so none of its content "
            "can be relied on. Ask the data scientist to send it again."
        )
        layout.addWidget(self.refused_note)
        self.filler = expanding_filler()  # takes the room the tabs leave when nothing is shown
        layout.addWidget(self.filler, 1)
        self.tabs.hide()
        self.refused_note.hide()
        self.verify()

    # -- verification

    def verify(self) -> None:
        """(Re)verify the bundle on a worker; ends in :attr:`banner`'s green/amber/red."""
        self.state = "verifying"
        self.banner.show_busy(
            f"Verifying {self.path.name}…",
            "Checking the signature and every file.",
            f"File: {self.path}",
        )
        self._verify_worker = self.runner.submit(
            f"Verifying {self.path.name}",
            verify_bundle_job(self.path),
            on_success=self._verified,
            on_failure=self._verify_crashed,
            on_cancel=self._verify_cancelled,
        )
        self._verify_worker.signals.progress.connect(self._verify_progress)

    def cancel_verification(self) -> None:
        if self._verify_worker is not None:
            self._verify_worker.cancel()

    def _verify_progress(self, done: Any, total: Any, message: str) -> None:
        self.banner.show_progress(done, total, message)

    def _verify_crashed(self, message: str) -> None:
        self._verified({"state": "refused", "message": message, "member": None})

    def _verify_cancelled(self, message: str) -> None:
        self.state = "cancelled"
        self.banner.show_state("info", f"Verification of {self.path.name} was cancelled.", message)
        self.banner.retry_button.show()
        self.verification_finished.emit("cancelled")

    def _verified(self, outcome: dict[str, Any]) -> None:
        self._verify_worker = None
        self.outcome = outcome
        self.state = outcome["state"]
        file_line = f"File: {self.path}"
        if self.state == "refused":
            self.summary = self.contract = None
            member = outcome.get("member")
            detail = (
                f"The check failed at {member} inside the bundle."
                if member and member not in outcome["message"]
                else ""
            )
            self.banner.show_state("error", refused_headline(outcome["message"]), detail, file_line)
            self.title.setText(f"{self.path.name} — refused")
            self.tabs.hide()
            self.refused_note.show()
            self.filler.show()
            self.verification_finished.emit(self.state)
            return
        self.summary, self.contract = outcome["summary"], outcome["contract"]
        self.title.setText(f"{self.summary['name']} {self.summary['version']}")
        self.refused_note.hide()
        self.filler.hide()
        self.tabs.show()
        self.contract_view.set_contract(self.contract)
        # escaped: core's HTML card, every string from the contract in it HTML-escaped
        self.card_view.setHtml(outcome.get("card") or "")
        if self.state == "verified":
            # a name another trusted key also sent: reported, never a reason to refuse
            collision = self.summary.get("name_collision") or ""
            self.banner.show_state("ok", verified_headline(self.summary), collision, file_line)
            self.banner.trust_button.hide()
            self.reproduce_view.set_allowed(True)
            self.decision_view.set_allowed(True)
            self.catalog_changed.emit()  # the bundle is now listed under Received
        else:
            self._show_untrusted(outcome, file_line)
        reproduction = outcome.get("reproduction")
        if reproduction and self.state == "verified":
            self.reproduction = reproduction
            self.reproduce_view.set_result(reproduction)
        self.decision_view.set_targets(self.contract.get("targets") or [], self.reproduction)
        self.verification_finished.emit(self.state)

    def _show_untrusted(self, outcome: Mapping[str, Any], file_line: str) -> None:
        s = self.summary
        author, revoked = outcome.get("author"), outcome.get("revoked")
        if revoked:
            detail = (
                f"{s.get('trust_problem') or 'The key was revoked.'} A revoked key cannot be trusted again; "
                "ask the data scientist to sign the bundle with their new key."
            )
        elif author and author.get("public_key"):
            detail = (
                f"The contract names its author as {author.get('name')} <{author.get('email')}>. "
                "Compare the fingerprint with them by phone or on paper before you trust the key; "
                "until then you can read the contract but not reproduce or countersign it."
            )
        else:
            detail = s.get("trust_problem") or ""
        if s.get("name_collision"):
            detail = f"{detail}\n{s['name_collision']}".strip()
        self.banner.show_state(
            "warning", f"Intact, but the signer is not trusted: {s['signer']}", detail, file_line
        )
        self.banner.trust_button.setVisible(
            bool(author and author.get("public_key") and not revoked)
        )
        why = "Trust the signer's key first (see the banner above): core reviews only bundles from trusted signers."
        self.reproduce_view.set_allowed(False, why)
        self.decision_view.set_allowed(False, why)

    # -- trusting the signer

    def open_trust_dialog(self) -> TrustKeyDialog | None:
        author = self.outcome.get("author")
        if self.state != "untrusted" or not author or self.outcome.get("revoked"):
            return None
        return self.trust_flow.open(
            author, f"The signer of {self.path.name}, as named in its contract"
        )

    def _trusted(self, row: dict[str, Any]) -> None:
        from baton.core.present import format_fingerprint

        message = f"You now trust {row['name']}'s key {format_fingerprint(row['fingerprint'])}."
        self.trusted.emit(message)
        self.catalog_changed.emit()
        self.verify()

    def _trust_failed(self, message: str) -> None:
        self.banner.show_state(
            "error", f"The key was not trusted: {message}", "", f"File: {self.path}"
        )

    # -- reproduce

    def start_reproduce(self) -> None:
        if self.state != "verified" or self._reproduce_worker is not None:
            return
        self.reproduce_view.set_running(True, "Starting…")
        self._reproduce_worker = submit(
            self.runner,
            self,
            f"Reproducing {self.path.name}",
            reproduce_job(self.path, float(self.reproduce_view.budget.value())),
            on_success=self._reproduced,
            on_failure=self._reproduce_failed,
            on_cancel=self._reproduce_cancelled,
        )
        self._reproduce_worker.signals.progress.connect(self.reproduce_view.set_progress)

    def cancel_reproduce(self) -> None:
        if self._reproduce_worker is not None:
            self._reproduce_worker.cancel()
            self.reproduce_view.cancel_button.setEnabled(False)
            self.reproduce_view.status.setText("Cancelling…")

    def _reproduced(self, result: dict[str, Any]) -> None:
        self._reproduce_worker = None
        self.reproduction = result
        self.reproduce_view.set_running(False)
        self.reproduce_view.set_result(result)
        self.decision_view.set_targets(self.contract.get("targets") or [], result)
        self.catalog_changed.emit()
        self.reproduced.emit(result)

    def _reproduce_failed(self, message: str) -> None:
        self._reproduce_worker = None
        self.reproduce_view.set_running(False)
        self.reproduce_view.banner.show_message(f"Reproducing failed: {message}", "error")
        self.reproduce_failed.emit(message)

    def _reproduce_cancelled(self, message: str) -> None:
        self._reproduce_worker = None
        self.reproduce_view.set_running(False, "Cancelled.")
        self.reproduce_failed.emit(message)

    # -- decision

    def default_receipt_path(self) -> Path:
        if self.summary:
            from baton.core.handover.bundle import receipt_file_name

            return self.path.with_name(
                receipt_file_name(self.summary["name"], self.summary["version"])
            )
        return self.path.with_name(self.path.stem + ".review.baton")

    def open_countersign_dialog(self) -> CountersignDialog | None:
        decision = self.decision_view.decision()
        if self.state != "verified" or decision is None:
            return None
        label = f"{self.summary['name']} {self.summary['version']}"
        dialog = CountersignDialog(decision, label, self.default_receipt_path(), self)
        dialog.sign_requested.connect(self._countersign)
        self.countersign_dialog = dialog
        dialog.open()
        return dialog

    def _countersign(self, passphrase: str, out: str) -> None:
        decision = self.decision_view.decision()
        submit(
            self.runner,
            self,
            f"Countersigning {self.path.name}",
            decide_job(
                self.path,
                decision,
                self.decision_view.comment.toPlainText().strip(),
                self.decision_view.target_comments(),
                Path(out),
                passphrase,
            ),
            on_success=self._decided,
            on_failure=self._decide_failed,
        )

    def _decided(self, review: dict[str, Any]) -> None:
        self.review = review
        if self.countersign_dialog is not None:
            self.countersign_dialog.set_busy(False)
            self.countersign_dialog.accept()
        self.decision_view.show_result(review)
        self.catalog_changed.emit()
        self.decided.emit(review)

    def _decide_failed(self, message: str) -> None:
        if self.countersign_dialog is not None and self.countersign_dialog.isVisible():
            self.countersign_dialog.show_error(message)
        else:
            self.decision_view.banner.show_message(message, "error")
        self.decide_failed.emit(message)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().changeEvent(event)
        # Row colours and icons come from the palette: redraw them when the theme changes.
        if event.type() != QEvent.Type.PaletteChange or getattr(self, "_retheming", False):
            return
        self._retheming = True
        try:
            if self.contract is not None:
                self.contract_view.set_contract(self.contract)
                self.decision_view.set_targets(
                    self.contract.get("targets") or [], self.reproduction
                )
            if self.reproduce_view.result is not None:
                self.reproduce_view.set_result(self.reproduce_view.result)
            b = self.banner
            b.show_state(b.kind, b.headline.text(), b.detail.text(), b.file.text())
            if self.state == "untrusted":
                b.trust_button.setVisible(
                    bool(self.outcome.get("author")) and not self.outcome.get("revoked")
                )
        finally:
            self._retheming = False

    # -- closing

    def shutdown(self) -> None:
        """Cancel running work and wait for it (call before the page is removed)."""
        for worker in (self._verify_worker, self._reproduce_worker):
            if worker is not None:
                worker.cancel()


# --- entry points -------------------------------------------------------------------------


def open_bundle_page(
    home: str | Path, path: str | Path, parent: QWidget | None = None, **kwargs: Any
) -> BundlePage:
    """A page for one bundle; verification starts at once. ``runner=`` shares a TaskRunner."""
    return BundlePage(home, path, parent, **kwargs)


def open_file_page(
    home: str | Path, path: str | Path, parent: QWidget | None = None, **kwargs: Any
) -> QWidget:
    """The page for a ``.baton`` file: a review receipt's page, else a bundle's."""
    from baton.core.handover.review import is_receipt

    if is_receipt(path):
        from baton.gui.receipts.receipt_view import ReceiptPage

        return ReceiptPage(home, path, parent, **kwargs)
    return BundlePage(home, path, parent, **kwargs)


__all__ = [
    "BundlePage",
    "ContractView",
    "CountersignDialog",
    "DecisionView",
    "ReproduceView",
    "VerificationBanner",
    "open_bundle_page",
    "open_file_page",
    "received_rows",
]
