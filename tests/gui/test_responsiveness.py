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
pytestmark = [
    pytest.mark.serial,
    pytest.mark.skipif(
        hasattr(os, "getloadavg") and os.getloadavg()[0] > (os.cpu_count() or 1),
        reason="the machine is busy (load average above its core count); stall limits are "
        "measured only on a quiet machine",
    ),
]


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
    assert page.evaluation.metrics.cell_texts()[0][0] == "Accuracy"
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


# --- start-up, the search box and opening a bundle -----------------------------------------
#
# The same probe over what the window does on the GUI thread itself. The catalog here is
# small (the figures at 100 k models are tests/bench/gui.py's); what these tests hold is
# the way the work is cut up: code imported off the GUI thread, the sidebar listed a page
# at a time, a bundle's tabs built a piece per turn of the event loop.

SMALL_MODELS, SMALL_DATASETS = 130, 60


@pytest.fixture(scope="session")
def listed_home(tmp_path_factory):
    """A catalog with more models and datasets than the sidebar lists at first."""
    import random

    from baton.core.catalog.store import Catalog
    from tests.bench.catalog import dataset_rows, model_rows

    home = tmp_path_factory.mktemp("listed") / "home"
    rng = random.Random(0)
    with Catalog(home) as catalog, catalog.write() as db:
        db["models"].insert_all(model_rows(SMALL_MODELS, rng), batch_size=500)
        db["datasets"].insert_all(dataset_rows(SMALL_DATASETS, rng), batch_size=100)
    return home


def _settle(qtbot, ms: int = 300) -> None:
    qtbot.wait(ms)  # a few more turns of the event loop, still probed


def test_the_window_starts_without_stalling_and_lists_a_page_of_each_section(
    listed_home, window_on, qtbot
):
    from baton.gui.shell.sidebar import PAGE, ROLE_KIND

    probe = GapProbe(lambda: True)
    probe.timer.start()
    window = window_on(listed_home, load_in_background=True)
    with qtbot.waitSignal(window.catalog_listed, timeout=60_000):
        pass
    qtbot.waitUntil(lambda: window.catalog is not None and window.pages_warm, timeout=60_000)
    _settle(qtbot)
    probe.timer.stop()

    assert probe.ticks > 20
    assert probe.max_gap_ms <= FROZEN_MS, f"the event loop froze for {probe.max_gap_ms:.0f} ms"
    sidebar = window.sidebar
    assert len(window.listed_items("models")) == PAGE
    assert sidebar.sections["models"].text(0) == f"Models  ({SMALL_MODELS})"
    more = sidebar.sections["models"].child(PAGE)
    assert more.text(0) == f"Show {PAGE} more ({SMALL_MODELS - PAGE} not listed yet)"
    assert window.search.isEnabled()

    # "Show more" lists the next page after the first, newest first, without repeats.
    sidebar.itemClicked.emit(more, 0)
    listed = window.listed_items("models")
    assert len(listed) == 2 * PAGE and len(set(listed)) == 2 * PAGE
    assert window.listed_items("models") == [
        m["name"] for m in window.catalog.list_models(limit=2 * PAGE, summary=True)
    ]
    last = sidebar.sections["models"].child(2 * PAGE)
    left = SMALL_MODELS - 2 * PAGE
    assert last.text(0) == f"Show the last {left}"
    sidebar.itemClicked.emit(last, 0)
    assert len(window.listed_items("models")) == SMALL_MODELS
    assert sidebar.shown_count("models") == SMALL_MODELS
    assert sidebar.sections["models"].child(SMALL_MODELS - 1).data(0, ROLE_KIND) == "model"


def test_clearing_the_search_box_does_not_stall(listed_home, window_on, qtbot):
    from baton.gui.shell.sidebar import PAGE

    window = window_on(listed_home)
    first_page = window.listed_items("models")
    word = first_page[0].split("-")[0]
    window.search.setText(word)
    hits = window.listed_items("models")
    assert first_page[0] in hits and all(word in name for name in hits)
    assert window.sidebar.sections["models"].text(0).startswith("Models  (")

    probe = GapProbe(lambda: True)
    probe.timer.start()
    _settle(qtbot, 50)
    window.search.clear()
    _settle(qtbot)
    probe.timer.stop()

    assert probe.max_gap_ms <= FROZEN_MS, f"the event loop froze for {probe.max_gap_ms:.0f} ms"
    assert window.listed_items("models") == first_page and len(first_page) == PAGE


@pytest.fixture(scope="module")
def received(tmp_path_factory):
    """A signed bundle and the engineer who trusts its signer: the world's version 2 alone,
    not the whole world these tests, run alone before the others, would build for it."""
    from tests.gui.world import build_received

    return build_received(tmp_path_factory.mktemp("received"))


def test_opening_a_bundle_does_not_stall(received, window_on, qtbot):
    window = window_on(received.engineer, load_in_background=True)
    qtbot.waitUntil(lambda: window.catalog is not None and window.pages_warm, timeout=60_000)
    probe = GapProbe(lambda: True)
    probe.timer.start()
    _settle(qtbot, 50)
    page = window.open_document(received.bundle)
    with qtbot.waitSignal(page.verification_finished, timeout=60_000) as blocker:
        pass
    _settle(qtbot)
    probe.timer.stop()

    assert blocker.args == ["verified"], page.banner.text()
    assert probe.max_gap_ms <= FROZEN_MS, f"the event loop froze for {probe.max_gap_ms:.0f} ms"
    # ... and the page is whole: every tab, the contract and its charts filled in.
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == [
        "Contract", "Reproduce", "Decision", "Model card", "Optimise", "Drift",
    ]  # fmt: skip
    assert page.contract_view.targets.column("Target") == [
        "Accuracy", "ROC AUC", "Latency p95 at batch size 1", "F1",
    ]  # fmt: skip
    assert page.banner.headline.text().startswith("Verified: signed by Dana Scientist")
    assert "breast-cancer-lr 2 — verified, no decision yet" in window.listed_items("received")
