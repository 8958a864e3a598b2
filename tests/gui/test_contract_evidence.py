"""The contract editor never shows green over a missed or unmeasured target, and offers to
measure a target at a batch size the draft was never profiled at."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt

from tests.gui.test_ds_flow import _draft, _idle, _retype


def test_the_banner_is_not_green_over_a_failing_or_unmeasured_target(
    measured_copy, window_on, qtbot
):
    window = window_on(measured_copy)
    editor = _draft(qtbot, window, "bc-lr").editor
    editor.use_edit.setFocus()
    qtbot.keyClicks(editor.use_edit, "Second reader for biopsies; a pathologist decides.")
    editor.add_edit.setText("accuracy>=0.9")
    assert editor.add_target_from_text()
    assert editor.summary.kind == "ok"
    assert editor.summary.text() == "The contract is valid and complete."

    _retype(qtbot, editor.targets.threshold_editor(0), "0.9999")
    assert editor.targets.verdict_text(0) == "FAIL"
    assert editor.summary.kind == "warning"
    assert editor.summary.text() == (
        "The contract is valid and complete, but 1 target fails as measured; the bundle "
        "will say so."
    )

    _retype(qtbot, editor.targets.threshold_editor(0), "0.9")
    editor.add_edit.setText("latency_p95_ms@32<=20")
    assert editor.add_target_from_text()
    assert editor.targets.verdict_text(1) == "NOT MEASURED"
    assert editor.summary.kind == "warning"
    assert editor.summary.text() == (
        "The contract is valid and complete, but 1 is not measured; the bundle will say so."
    )


def test_a_target_at_a_new_batch_size_is_offered_a_measurement(measured_copy, window_on, qtbot):
    window = window_on(measured_copy)
    contract = _draft(qtbot, window, "bc-lr")
    window.model_page.budget.setValue(0.05)
    editor = contract.editor
    assert [r["batch_size"] for r in editor.contract["results"]["latency"]] == [1, 8, 64]
    assert editor.measure_row.isHidden()

    editor.add_edit.setText("latency_p95_ms@32<=20")  # the README's own example
    assert editor.add_target_from_text()
    assert editor.targets.verdict_text(0) == "NOT MEASURED"
    assert not editor.measure_row.isHidden()
    assert editor.measure_note.text() == (
        "Latency was never measured at batch size 32, which a target names."
    )
    assert editor.measure_button.text() == "Measure batch size 32"

    qtbot.mouseClick(editor.measure_button, Qt.MouseButton.LeftButton)
    assert not editor.measure_button.isEnabled()
    _idle(qtbot, window)
    assert window.banner.text() == ""
    assert editor.measure_row.isHidden()
    latency = editor.contract["results"]["latency"]
    assert [r["batch_size"] for r in latency] == [1, 8, 32, 64]
    target = editor.contract["targets"][0]
    assert target["measured"] == next(r["p95_ms"] for r in latency if r["batch_size"] == 32)
    assert editor.targets.verdict_text(0) in ("PASS", "FAIL")
    # the measured p95 as a duration: in µs below a millisecond (a quick model, idle machine)
    assert re.fullmatch(r"[\d.,]+ (ms|µs)", editor.targets.measured_text(0))
    assert editor.measure_button.isEnabled()

    # One undo step takes the measurement back.
    assert window.action_undo.text() == "&Undo measuring latency at the targets' batch sizes"
    window.action_undo.trigger()
    assert editor.targets.verdict_text(0) == "NOT MEASURED"
    assert not editor.measure_row.isHidden()
