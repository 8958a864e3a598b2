"""Export signs what the editor showed: figures that changed are listed before signing,
"Stop" writes nothing, and afterwards the editor shows what was signed."""

from __future__ import annotations

from PySide6.QtCore import Qt

from baton.core.catalog.store import Catalog
from baton.core.handover import trust
from tests.gui.test_ds_flow import WAIT_MS, _draft

PASS = "correct horse battery staple"
NEW_TARGET = "targets[latency_p95_ms@32].verdict: 'unmeasured' → 'pass' (better)"


def _rows(home) -> dict[str, int]:
    with Catalog(home) as catalog:
        return {t: catalog.count(t) for t in ("handovers", "profiles", "evaluations")}


def _export(qtbot, window, out):
    dialog = window.export_bundle()
    dialog.destination.setText(str(out))
    dialog.budget.setValue(0.05)
    dialog.passphrase.setText(PASS)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.changes_box.isVisible, timeout=WAIT_MS)
    return dialog


def test_changed_figures_are_listed_and_stop_writes_nothing(
    measured_copy, window_on, qtbot, tmp_path
):
    with Catalog(measured_copy) as catalog:
        trust.create_identity(catalog, "Dana", "dana@example.org", PASS)
    window = window_on(measured_copy)
    contract = _draft(qtbot, window, "bc-lr")
    editor = contract.editor
    editor.use_edit.setFocus()
    qtbot.keyClicks(editor.use_edit, "Second reader for biopsies; a pathologist decides.")
    for expr in ("accuracy>=0.9", "latency_p95_ms@32<=10000"):
        editor.add_edit.setText(expr)
        assert editor.add_target_from_text()
    assert editor.targets.verdict_text(1) == "NOT MEASURED"
    before = _rows(measured_copy)
    out = tmp_path / "bc-lr-1.baton"

    dialog = _export(qtbot, window, out)
    lines = dialog.changes_text.toPlainText().splitlines()
    assert NEW_TARGET in lines
    assert any(line.startswith("results.latency[32].p95_ms: added ") for line in lines)
    assert not any(line.startswith("results.metrics") for line in lines)  # reused, unchanged
    assert dialog.status.text().endswith("changed; waiting for your choice.")
    qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=WAIT_MS)
    assert dialog.status.text() == (
        "Stopped before signing; no bundle was written and the catalog is as it was."
    )
    assert not out.exists() and _rows(measured_copy) == before
    dialog.reject()

    dialog = _export(qtbot, window, out)
    with qtbot.waitSignal(dialog.exported, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(dialog.go_button, Qt.MouseButton.LeftButton)
    signed = blocker.args[0]["contract"]
    assert out.is_file() and dialog.verdicts.column("Verdict")[1] == "PASS"
    dialog.accept()
    # The editor now shows what was signed, saved.
    qtbot.waitUntil(lambda: editor.contract["results"] == signed["results"], timeout=WAIT_MS)
    assert editor.contract["targets"] == signed["targets"]
    assert editor.targets.verdict_text(1) == "PASS"
    assert contract.state_label.text() == "Saved"
    assert _rows(measured_copy) == {**before, "handovers": 1, "profiles": before["profiles"] + 1}


def test_cancel_pressed_as_the_export_ends_leaves_the_dialog_closable(
    measured_copy, window_on, qtbot, tmp_path, monkeypatch
):
    from baton.core.errors import BatonError
    from baton.gui.common import jobs

    def failing_export(*_args, **_kwargs):
        def job(_catalog, _progress, _cancel):
            raise BatonError("no space left on device while writing the bundle")

        return job

    with Catalog(measured_copy) as catalog:
        trust.create_identity(catalog, "Dana", "dana@example.org", PASS)
    window = window_on(measured_copy)
    editor = _draft(qtbot, window, "bc-lr").editor
    editor.use_edit.setFocus()
    qtbot.keyClicks(editor.use_edit, "Second reader for biopsies.")
    monkeypatch.setattr(jobs, "export_job", failing_export)
    dialog = window.export_bundle()
    dialog.destination.setText(str(tmp_path / "bc-lr-1.baton"))
    dialog.passphrase.setText(PASS)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    # The job has ended, its end not yet delivered, when the user presses Cancel.
    assert window.runner.wait(WAIT_MS)
    dialog.cancel()
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=WAIT_MS)
    assert dialog.cancel_button.isEnabled() and dialog.cancel_button.text() == "Cancel"
    assert dialog.problems.text() == (
        "The bundle was not written: no space left on device while writing the bundle"
    )
    dialog.reject()
