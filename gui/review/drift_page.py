"""The bundle page's Drift tab: "Check drift…" opens a batch of production data and shows
what :func:`baton.core.handover.drift.check_drift` found, feature by feature.

Each row carries the population stability index, the Kolmogorov-Smirnov p-value and the
flag, coloured as verdicts are (stable green, watch amber, drift red); the thresholds are
stated above the table. Nothing is computed here: the flags and the headline are core's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from baton.core.errors import BatonError
from baton.core.present import fmt_p_value, fmt_psi
from baton.gui.common import theme
from baton.gui.common.review_worker import Job, run
from baton.gui.common.tables import ReadOnlyTable
from baton.gui.common.widgets import Banner, PlainLabel, card, muted_label
from baton.gui.common.workers import TaskRunner

FLAG_KIND = {"stable": "ok", "watch": "warning", "drift": "error"}
FLAG_TEXT = {"stable": "Stable", "watch": "Watch", "drift": "DRIFT"}
HEADERS = ("Column", "Kind", "PSI", "KS p", "Flag", "Note")


def drift_job(bundle: Path, batch: Path) -> Job:
    def job(catalog, progress, cancel):
        from baton.core.handover.drift import check_drift

        return check_drift(catalog, bundle, batch, progress=progress, cancel=cancel)

    return job


class DriftView(QWidget):
    """ "Check drift…" and the comparison of a batch with the bundle's baseline.

    Signals, for the page and tests: ``checked(result)`` and ``check_failed(message)``.
    """

    checked = Signal(dict)
    check_failed = Signal(str)

    def __init__(self, runner: TaskRunner, bundle: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner, self.bundle = runner, Path(bundle)
        self.result: dict[str, Any] | None = None
        self._worker = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(12)
        self.button = QPushButton(theme.icon("dataset"), "Check drift…")
        self.button.setObjectName("Primary")
        self.button.clicked.connect(self.choose_batch)
        self.status = muted_label(wrap=False)
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addWidget(self.status, 1)
        bar = QWidget()
        bar.setLayout(row)
        layout.addWidget(
            card(
                muted_label(
                    "Compares a batch of production data (CSV or Parquet) with the data this "
                    "model was measured on: the population stability index against the "
                    "bundle's signed baseline and the Kolmogorov-Smirnov test against its test "
                    "set, per feature and for the model's predictions on the batch (run in a "
                    "separate process)."
                ),
                bar,
            )
        )
        self.banner = Banner()
        layout.addWidget(self.banner)
        self.results = QWidget()
        rl = QVBoxLayout(self.results)
        rl.setContentsMargins(0, 0, 0, 0)
        self.headline = PlainLabel()
        self.headline.setObjectName("Verdict")
        self.headline.setWordWrap(True)
        self.about = PlainLabel()
        self.about.setWordWrap(True)
        rl.addWidget(card(self.headline, self.about))
        self.features = ReadOnlyTable(HEADERS, numeric=(2, 3))
        rl.addWidget(card(self.features, title="Features"))
        self.predictions = ReadOnlyTable(HEADERS, numeric=(2, 3))
        self.predictions_note = muted_label()
        rl.addWidget(
            card(self.predictions, self.predictions_note, title="Predictions on the batch")
        )
        layout.addWidget(self.results)
        layout.addStretch(1)
        self.results.hide()

    def set_allowed(self, allowed: bool, why: str = "") -> None:
        self.button.setEnabled(allowed)
        self.button.setToolTip("" if allowed else why)
        if not allowed and why:
            self.banner.show_message(why, "warning")

    def choose_batch(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Check drift: choose a batch", "", "Data (*.csv *.parquet *.pq)"
        )
        if path:
            self.check(Path(path))

    def check(self, batch: Path) -> None:
        """Compare ``batch`` with the bundle's baseline on a worker."""
        if self._worker is not None:
            return
        self.button.setEnabled(False)
        self.banner.hide()
        self.status.setText(f"Checking {batch.name}…")
        self._worker = run(
            self.runner,
            self,
            f"Checking drift of {batch.name}",
            drift_job(self.bundle, batch),
            on_success=self._checked,
            on_failure=self._failed,
            on_cancel=self._cancelled,
            on_progress=lambda _done, _total, message: self.status.setText(message),
        )

    def cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    def _done(self, message: str = "") -> None:
        self._worker = None
        self.button.setEnabled(True)
        self.status.setText(message)

    def _checked(self, check: Any) -> None:
        self._done()
        self.set_result(check.result)
        self.checked.emit(check.result)

    def _failed(self, error: BatonError) -> None:
        self._done()
        self.banner.show_message(f"Checking drift failed: {error}", "error")
        self.check_failed.emit(str(error))

    def _cancelled(self, message: str) -> None:
        self._done("Cancelled.")
        self.check_failed.emit(message)

    def set_result(self, result: Mapping[str, Any]) -> None:
        self.result = dict(result)
        c = theme.current_colors()
        colour = {"drift": "err_text", "watch": "warn_text"}.get(result["verdict"], "ok_text")
        self.headline.setText(result["headline"])
        self.headline.setStyleSheet(f"color: {c[colour]};")
        batch, ref = result["batch"], result["reference"]
        source = (
            "the bundle's signed baseline"
            if ref["source"] == "baseline"
            else "the bundle's test set (it carries no baseline)"
        )
        lines = [
            f"{Path(batch['file']).name}: {batch['rows']:,} rows, against {source} "
            f"({ref['rows']:,} rows).",
            f"Thresholds: {result['thresholds_text']}.",
        ]
        if result.get("extra"):
            lines.append("Not compared (not in the baseline): " + ", ".join(result["extra"]))
        lines += [f"Note: {n}" for n in result.get("notes") or []]
        self.about.setText("\n".join(lines))
        self._fill(self.features, result["features"])
        self._fill(self.predictions, result.get("predictions") or [])
        self.predictions.setVisible(bool(result.get("predictions")))
        note = result.get("predictions_note") or ""
        self.predictions_note.setText(note[:1].upper() + note[1:])
        self.predictions_note.setVisible(bool(note))
        self.results.show()

    @staticmethod
    def _fill(table: ReadOnlyTable, rows: Sequence[Mapping[str, Any]]) -> None:
        table.set_rows(
            [
                (
                    r["column"],
                    r["kind"],
                    fmt_psi(r["psi"]),
                    fmt_p_value(r["ks_p"]),
                    FLAG_TEXT[r["flag"]],
                    r.get("note") or "",
                )
                for r in rows
            ],
            kinds=[FLAG_KIND[r["flag"]] for r in rows],
            status_column=4,
        )

    def rows(self) -> list[dict[str, str]]:
        """The features table as the user reads it (for tests)."""
        return [dict(zip(HEADERS, row, strict=True)) for row in self.features.cell_texts()]
