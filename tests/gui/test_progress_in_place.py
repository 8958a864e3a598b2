"""Evaluate and Profile show their progress and a Cancel button on the model's page."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from baton.gui.catalog.profiling_view import NO_PROFILE
from baton.gui.common import jobs

WAIT_MS = 20_000


@pytest.fixture
def gated(monkeypatch):
    """Evaluate and profile jobs that report progress and run until cancelled or released."""
    release = threading.Event()

    def gated_job(*_args, **_kwargs):
        def job(catalog, progress, cancel):
            progress(1, 4, "Predicting the test set")
            while not release.wait(0.01):
                cancel.check()
            return {}

        return job

    monkeypatch.setattr(jobs, "evaluate_job", gated_job)
    monkeypatch.setattr(jobs, "profile_job", gated_job)
    yield release
    release.set()


def test_a_running_profile_shows_progress_and_cancel_in_place(
    measured_copy, window_on, qtbot, gated
):
    window = window_on(measured_copy)
    assert window.select_item("models", "wine-lr")  # evaluated, never profiled
    page = window.model_page
    strip = page.job_progress["profile"]
    assert strip.isHidden()
    page.tabs.setCurrentWidget(page.profiling)
    assert page.profiling.empty.text() == NO_PROFILE

    qtbot.mouseClick(page.profile_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: strip.isVisible() and "Predicting the test set" in strip.label.text())
    assert strip.label.text() == "Profiling wine-lr on wine: Predicting the test set"
    assert strip.bar.value() == 250
    assert not page.profile_button.isEnabled() and not page.action_profile.isEnabled()
    assert page.evaluate_button.isEnabled()  # only the running action waits
    assert page.tabs.currentWidget() is page.profiling
    assert page.profiling.empty.text() == ("Profiling wine-lr on wine — progress is shown above.")
    page.grab().save(str(measured_copy.parent / "profile-running.png"))

    qtbot.mouseClick(strip.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.runner.busy(), timeout=WAIT_MS)
    qtbot.waitUntil(strip.isHidden)
    assert page.profile_button.isEnabled() and page.action_profile.isEnabled()
    assert page.profiling.empty.text() == NO_PROFILE


def test_progress_follows_the_model_it_belongs_to(measured_copy, window_on, qtbot, gated):
    window = window_on(measured_copy)
    assert window.select_item("models", "bc-lr")
    page = window.model_page
    strip = page.job_progress["evaluation"]
    qtbot.mouseClick(page.evaluate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(strip.isVisible)
    assert not page.evaluate_button.isEnabled()

    # Another model's page is idle; coming back shows the job still running.
    assert window.select_item("models", "wine-lr")
    assert strip.isHidden() and page.evaluate_button.isEnabled()
    assert window.select_item("models", "bc-lr")
    assert strip.isVisible() and not page.evaluate_button.isEnabled()

    gated.set()
    qtbot.waitUntil(lambda: not window.runner.busy(), timeout=WAIT_MS)
    qtbot.waitUntil(strip.isHidden)
    assert page.evaluate_button.isEnabled()
    assert page.evaluation.currentWidget() is page.evaluation.page  # the recorded evaluation


def test_a_measurement_that_ends_before_the_page_follows_it_frees_its_button(
    measured_copy, window_on, qtbot, monkeypatch
):
    monkeypatch.setattr(jobs, "profile_job", lambda *_a, **_k: lambda catalog, progress, cancel: {})
    window = window_on(measured_copy)
    assert window.select_item("models", "wine-lr")
    page = window.model_page
    held: list[bool] = []

    def held_up() -> None:  # the GUI thread is busy until the job has run to its end
        if not held:
            held.append(window.runner.wait(WAIT_MS))

    window.runner.changed.connect(held_up)
    qtbot.mouseClick(page.profile_button, Qt.MouseButton.LeftButton)
    assert held == [True]
    qtbot.waitUntil(lambda: not window.runner.busy(), timeout=WAIT_MS)
    qtbot.waitUntil(page.profile_button.isEnabled, timeout=WAIT_MS)
    assert page.action_profile.isEnabled() and page.job_progress["profile"].isHidden()
    assert page.profiling.empty.text() == NO_PROFILE
