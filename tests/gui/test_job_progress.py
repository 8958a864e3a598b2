"""The in-place progress strip shows what its job last said, whenever it starts following."""

from __future__ import annotations

import threading

from baton.gui.common.widgets import JobProgress
from baton.gui.common.workers import TaskRunner

WAIT_MS = 20_000


def test_a_strip_that_follows_after_the_first_report_still_shows_it(qtbot, tmp_path):
    reported, release = threading.Event(), threading.Event()

    def job(_catalog, progress, cancel):
        progress(1, 4, "Predicting the test set")
        reported.set()
        while not release.wait(0.01):
            cancel.check()

    runner = TaskRunner(tmp_path)
    strip = JobProgress()
    qtbot.addWidget(strip)
    strip.show()
    try:
        worker = runner.submit("Profiling wine-lr on wine", job, needs_catalog=False)
        # The job reports before the page starts following it (a busy GUI thread, a quick
        # worker): the strip still says what the job is doing, not only its title.
        assert reported.wait(WAIT_MS / 1000)
        strip.follow(worker)
        qtbot.wait(50)  # the report's queued signal is delivered; nothing else comes
        assert strip.label.text() == "Profiling wine-lr on wine: Predicting the test set"
        assert strip.bar.maximum() == 1000 and strip.bar.value() == 250
    finally:
        release.set()
        runner.wait(WAIT_MS)
    qtbot.waitUntil(strip.isHidden, timeout=WAIT_MS)


def test_a_job_that_ends_before_submit_returns_still_reaches_its_callbacks(qtbot, tmp_path):
    heard: list[object] = []

    def job(_catalog, progress, _cancel):
        progress(None, None, "Reading the bundle")
        return "done"

    runner = TaskRunner(tmp_path)
    runner.submit(
        "Verifying a.baton",
        job,
        needs_catalog=False,
        on_progress=lambda _done, _total, message: heard.append(message),
        on_success=heard.append,
        on_done=lambda: heard.append("ended"),
    )
    assert runner.wait(WAIT_MS)  # over before the GUI thread looks at its events
    qtbot.waitUntil(lambda: "ended" in heard and not runner.busy(), timeout=WAIT_MS)
    assert heard == ["Reading the bundle", "done", "ended"]
