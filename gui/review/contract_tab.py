"""The bundle page's Contract tab: a verified contract laid out for reading."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QVBoxLayout,
    QWidget,
)

from baton.core.contract import candidates as cands
from baton.core.present import (
    METRIC_LABELS,
    SHARE_METRICS,
    fmt_count,
    fmt_duration,
    fmt_interval,
    fmt_peak_mb,
    fmt_target_value,
    fmt_when,
    target_label,
)
from baton.gui.common.charts import ConfusionMatrixChart
from baton.gui.common.speed_charts import CandidatesChart, LatencyChart, MemoryChart
from baton.gui.common.tables import LatencyTable, MetricsTable, ReadOnlyTable, pair
from baton.gui.common.verdicts import (
    VERDICT_KIND,
    VERDICT_TEXT,
    fmt_threshold,
    model_rows,
    target_key,
)
from baton.gui.common.widgets import KeyValueGrid, PlainLabel, card, mono_font, muted_label
from baton.gui.review.charts import (
    MetricIntervalsChart,
    memory_for_chart,
)


class ContractView(QWidget):
    """A contract laid out for reading: identity, use, model, datasets, results, targets.

    With ``staged=True`` the charts are made by :meth:`build_steps`, one per step (see
    :mod:`baton.gui.common.stages`); :meth:`contract_steps` fills the view the same way.
    """

    def __init__(self, parent: QWidget | None = None, *, staged: bool = False) -> None:
        super().__init__(parent)
        self._build = self._build_steps()
        if not staged:
            for _ in self._build:
                pass

    def build_steps(self) -> Iterator[None]:
        """What is left to build, a chart per step."""
        return self._build

    def _build_steps(self) -> Iterator[None]:
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
        self.candidates_note = muted_label()
        self.candidates = ReadOnlyTable(
            ("Candidate", "Format", "Parameters", "Quality", "p95 at batch 1", "Peak memory",
             "Targets"),
            numeric=(2, 3, 4, 5),
        )  # fmt: skip
        self.candidates_chart = CandidatesChart()
        yield
        self.candidates_card = card(
            self.candidates_note, self.candidates, self.candidates_chart, title="Candidates"
        )
        self.candidates_card.hide()
        layout.addWidget(self.candidates_card)
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
        yield
        self.latency_chart = LatencyChart()
        self.latency_table = LatencyTable()
        yield
        self.memory_chart = MemoryChart()
        yield
        self.confusion = ConfusionMatrixChart()
        layout.addWidget(card(self.latency_chart, self.latency_table))
        layout.addWidget(card(pair(self.memory_chart, self.confusion)))
        layout.addStretch(1)

    def set_contract(self, contract: Mapping[str, Any]) -> None:
        for _ in self.contract_steps(contract):
            pass

    def contract_steps(self, contract: Mapping[str, Any]) -> Iterator[None]:
        """Fill the view: the text and tables first, then a chart per step."""
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
                    target_label(target_key(t)),
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
                    fmt_count(d.get("rows")),
                    fmt_count(len(d.get("columns") or [])),
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
        self.metrics.set_data(
            results.get("metrics"), level, (contract.get("model") or {}).get("task")
        )
        self.latency_table.set_data(results.get("latency"))
        yield
        self._set_candidates(contract)
        yield
        self.metric_chart.set_data(results.get("metrics"), targets)
        yield
        self.latency_chart.set_data(results.get("latency"))
        yield
        self.memory_chart.set_data(memory_for_chart(results.get("memory")))
        yield
        self.confusion.set_data(results.get("confusion_matrix"))
        self.confusion.setVisible(bool(results.get("confusion_matrix")))

    def _set_candidates(self, contract: Mapping[str, Any]) -> None:
        """The candidates side by side, when the bundle hands over several."""
        multi = cands.is_multi(contract)
        self.candidates_card.setVisible(multi)
        if not multi:
            self.candidates.set_rows([])
            self.candidates_chart.set_data(None)
            return
        rows = cands.comparison(contract)
        metric = cands.primary_metric(contract["identity"]["problem_type"])
        primary = next(r for r in rows if r["primary"])
        self.candidates_note.setText(
            f"{len(rows)} candidate models, measured on the same test set. The sections "
            f"below describe {primary['name']}"
            + (
                " (recommended)."
                if primary["recommended"]
                else " (the first; none is recommended)."
            )
        )
        table_rows, kinds = [], []
        for r in rows:
            value = r["metrics"].get(metric) or {}
            t = r["targets"]
            total = t["pass"] + t["fail"] + t["unmeasured"]
            table_rows.append(
                (
                    r["name"] + (" (recommended)" if r["recommended"] else ""),
                    r["format"],
                    fmt_count(r["params"]),
                    f"{METRIC_LABELS.get(metric, metric)} "
                    + fmt_interval(
                        value.get("value"),
                        value.get("ci_low"),
                        value.get("ci_high"),
                        share=metric in SHARE_METRICS,
                    ),
                    fmt_duration(r["latency_p95_ms_batch_1"]),
                    fmt_peak_mb(r["memory_mb"]),
                    f"{t['pass']} of {total} pass" if total else "no targets",
                )
            )
            kinds.append(VERDICT_KIND["fail" if t["fail"] else "pass"] if total else None)
        self.candidates.set_rows(table_rows, kinds=kinds, status_column=6)
        self.candidates_chart.set_data(rows, metric, contract.get("targets") or [])


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
