"""The data scientist's desktop, end to end: import, measure, contract, key, export.

The first test drives the whole flow through the widgets on a fresh home, as a user would,
and hands the bundle to ``baton verify``. The others cover what the flow passes by: the
inline validation sentences, undo across edits, the comparison with a previous version,
and the engineer's pages hosted in the main window (opened by path, dropped, listed in the
sidebar, closed).
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from baton.core.catalog.store import Catalog
from baton.core.cli.main import cli
from baton.core.handover import trust
from baton.core.present import format_fingerprint
from baton.gui.catalog.dialogs import ImportDatasetDialog, ImportModelDialog
from baton.gui.contract.dialogs import CompareVersionsDialog, NewDraftDialog
from baton.gui.export.export_dialog import ExportDialog
from baton.gui.keys.keys_view import CreateKeyDialog, KeysPage
from baton.gui.receipts.receipt_view import ReceiptPage
from baton.gui.review.review_view import BundlePage

WAIT_MS = 60_000
MY_PASSPHRASE = "correct horse battery staple"
VERSION_01 = (
    "Version must be a version such as '3' or '1.0.0' (one to four dot-separated "
    "whole numbers, no leading zeros), not '01'"
)
ACCEPTED_V1 = "breast-cancer-lr 1 — accepted"
EMPTY_NAME = (
    "Name must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, not ''"
)


def _idle(qtbot, window, timeout: int = WAIT_MS) -> None:
    qtbot.waitUntil(lambda: not window.runner.busy(), timeout=timeout)


def _retype(qtbot, widget, text: str) -> None:
    """Select what a field holds and type ``text`` over it, key by key."""
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def _draft(qtbot, window, model: str, version: str = "1"):
    """Select ``model``, open its Contract tab and draft version ``version`` through the dialog."""
    assert window.select_item("models", model)
    page = window.model_page
    page.tabs.setCurrentWidget(page.contract)
    contract = page.contract
    dialog = contract.open_new_draft_dialog()
    assert isinstance(dialog, NewDraftDialog)
    _retype(qtbot, dialog.version, version)
    assert dialog.draft_button.isEnabled(), dialog.version_message.text()
    with qtbot.waitSignal(contract.drafted, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.draft_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(contract.has_draft)
    return contract


def test_the_data_scientist_flow_through_the_widgets(home, window_on, files, qtbot, tmp_path):
    window = window_on(home)

    # Import a test set and a model through their dialogs.
    window.open_path(files.bc_test_csv)
    dialog = window.import_dialog
    assert isinstance(dialog, ImportDatasetDialog)
    assert dialog.values()["target"] == "target" and dialog.values()["role"] == "test"
    dialog.accept()
    qtbot.waitUntil(lambda: window.listed_items("datasets") == ["breast_cancer_test"])
    window.open_path(files.lr_skops)
    qtbot.waitUntil(lambda: isinstance(window.import_dialog, ImportModelDialog))
    window.import_dialog.accept()
    qtbot.waitUntil(lambda: window.listed_items("models") == ["lr"], timeout=WAIT_MS)

    # Evaluate and profile through the model page's buttons, quickly.
    assert window.select_item("models", "lr")
    page = window.model_page
    assert page.dataset_name() == "breast_cancer_test"
    page.bootstrap.setValue(100)
    page.budget.setValue(0.1)
    qtbot.mouseClick(page.evaluate_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.profile_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, window)
    assert window.banner.text() == ""
    assert page.tabs.currentWidget() is page.profiling

    # No contract yet: the Contract tab offers to draft one; File › Export waits for it.
    page.tabs.setCurrentWidget(page.contract)
    contract = page.contract
    assert contract.stack.currentWidget() is contract.start
    assert "No contract for lr yet" in contract.start_text.text()
    assert not window.action_export_bundle.isEnabled()
    qtbot.mouseClick(contract.start_button, Qt.MouseButton.LeftButton)
    dialog = contract.dialog
    assert isinstance(dialog, NewDraftDialog)
    assert dialog.values() == {
        "model": "lr",
        "name": "lr",
        "version": "1",
        "test": "breast_cancer_test",
        "train": None,
        "validation": None,
        "intended_use": "",
    }
    with qtbot.waitSignal(contract.drafted, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.draft_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(contract.has_draft)
    assert window.action_export_bundle.isEnabled()
    editor = contract.editor
    assert editor.name_edit.text() == "lr" and editor.version_edit.text() == "1"
    assert editor.message_for("intended_use") == (
        "Intended use is empty: say what the model is for"
    )
    assert editor.datasets.column("Role") == ["test"]
    assert editor.datasets.column("Fingerprint")[0].count(" ") == 15  # grouped, whole

    # Write the intended use, add a target, and watch its verdict follow the threshold.
    editor.use_edit.setFocus()
    qtbot.keyClicks(editor.use_edit, "Second reader for biopsies; a pathologist decides.")
    assert editor.contract["identity"]["intended_use"].startswith("Second reader")
    assert editor.message_for("intended_use") == ""
    editor.add_edit.setFocus()
    qtbot.keyClicks(editor.add_edit, "accuracy>=0.9")
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    targets = editor.targets
    assert targets.count() == 1
    measured = editor.contract["targets"][0]["measured"]
    assert 0.9 < measured < 0.9999
    assert targets.measured_text(0) == f"{measured:.4f}"
    assert targets.verdict_text(0) == "PASS"
    threshold = targets.threshold_editor(0)
    _retype(qtbot, threshold, "0.9999")
    assert editor.contract["targets"][0]["threshold"] == 0.9999
    assert targets.verdict_text(0) == "FAIL"
    assert contract.state_label.text() == "Unsaved changes"

    # Undo takes back the whole threshold typed, redo brings it again.
    assert window.action_undo.text() == "&Undo the change to the Accuracy target's threshold"
    window.action_undo.trigger()
    assert threshold.text() == "0.9" and targets.verdict_text(0) == "PASS"
    window.action_redo.trigger()
    assert threshold.text() == "0.9999" and targets.verdict_text(0) == "FAIL"
    window.action_undo.trigger()
    assert targets.verdict_text(0) == "PASS"

    # Export: no key yet, so the dialog offers to create one.
    dialog = window.export_bundle()
    assert isinstance(dialog, ExportDialog)
    assert dialog.create_key_button.isVisible() and not dialog.export_button.isEnabled()
    assert dialog.key_name.text() == "You have no signing key yet."
    key_dialog = dialog.open_create_key_dialog()
    assert isinstance(key_dialog, CreateKeyDialog)
    key_dialog.name.setText("Dana Scientist")
    key_dialog.email.setText("dana@example.org")
    key_dialog.passphrase.setText(MY_PASSPHRASE)
    key_dialog.repeat.setText(MY_PASSPHRASE)
    with qtbot.waitSignal(dialog.key_created, timeout=WAIT_MS):
        qtbot.mouseClick(key_dialog.create_button, Qt.MouseButton.LeftButton)
    me = trust.identity(home)
    assert dialog.key_fingerprint.fingerprint == me["fingerprint"]
    assert not dialog.create_key_button.isVisible()
    assert dialog.includes() == ()  # only a test set: nothing else to include
    out = tmp_path / "out" / "lr-1.baton"
    out.parent.mkdir()
    dialog.destination.setText(str(out))
    dialog.budget.setValue(0.05)

    # A wrong passphrase is reported in the dialog and writes nothing.
    qtbot.keyClicks(dialog.passphrase, "not my passphrase")
    with qtbot.waitSignal(dialog.export_failed, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.passphrase_message.text().startswith("Wrong passphrase for ")
    assert dialog.passphrase_message.text().endswith(". Nothing was written.")
    assert not out.exists() and list(out.parent.iterdir()) == []
    assert window.banner.text() == ""  # shown once, in the dialog

    # Cancel stops the export and writes nothing.
    _retype(qtbot, dialog.passphrase, MY_PASSPHRASE)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.cancel_button.text() == "Cancel export"
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=WAIT_MS)
    assert dialog.status.text() == "Cancelled; no bundle was written."
    assert list(out.parent.iterdir()) == []

    with qtbot.waitSignal(dialog.exported, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    assert Path(result["file"]) == out and out.is_file()
    assert dialog.pages.currentIndex() == 1
    assert dialog.result_facts.value("File") == str(out)
    assert dialog.result_facts.value("Root digest") == result["root_digest"]
    assert dialog.signer.fingerprint == me["fingerprint"]
    assert dialog.verdicts.column("Target") == ["Accuracy"]
    assert dialog.verdicts.column("Verdict") == ["PASS"]
    assert dialog.show_button.isVisible()
    assert contract.state_label.text() == "Saved"  # the export stored the draft as shown
    dialog.accept()

    # The bundle is listed as a handover, and the command line accepts it.
    assert window.listed_items("handovers") == ["lr 1 — awaiting review"]
    verified = CliRunner().invoke(cli, ["--home", str(home), "verify", str(out)])
    assert verified.exit_code == 0, verified.output
    assert format_fingerprint(me["fingerprint"]) in verified.output


def test_inline_validation_names_the_field_and_its_problem(measured_copy, window_on, qtbot):
    window = window_on(measured_copy)
    contract = _draft(qtbot, window, "bc-lr")
    editor = contract.editor

    _retype(qtbot, editor.version_edit, "01")
    assert editor.message_for("version") == VERSION_01
    assert editor.version_edit.property("problem") == "error"
    # "0", typed on the way, was a version; "01" is refused and not in the contract.
    assert editor.contract["identity"]["version"] == "0"
    assert contract.state_label.text() == "1 problem"
    assert not contract.save_button.isEnabled() and not contract.export_button.isEnabled()

    editor.name_edit.setFocus()
    editor.name_edit.selectAll()
    qtbot.keyClick(editor.name_edit, Qt.Key.Key_Delete)
    assert editor.message_for("name") == EMPTY_NAME
    assert contract.state_label.text() == "2 problems"
    assert "2 fields need fixing" in editor.summary.text()

    # A target threshold outside the metric's range: core's sentence under the row.
    editor.add_edit.setText("recall>=0.9")
    assert editor.add_target_from_text()
    _retype(qtbot, editor.targets.threshold_editor(0), "95")
    assert editor.targets.message_text(0) == (
        "Target 1: threshold 95 is outside the range of recall (0 to 1); write 0.95 for 95 %"
    )
    assert editor.targets.invalid_fields(0) == {"threshold"}
    assert editor.targets.verdict_text(0) == "—"
    # ... and a bad expression in the "New target" field: add_target's own sentence.
    editor.add_edit.setText("acuracy>=0.9")
    assert not editor.add_target_from_text()
    assert editor.add_message.text().startswith(
        'unknown metric "acuracy" in "acuracy>=0.9"; did you mean "accuracy"?'
    )

    # Fixing a field clears its mark; undo drops what was refused.
    _retype(qtbot, editor.version_edit, "2")
    assert editor.message_for("version") == "" and editor.version_edit.property("problem") == ""
    assert editor.contract["identity"]["version"] == "2"
    assert window.action_undo.text() == "&Undo typing in Version"
    window.action_undo.trigger()
    assert editor.error_count() == 0
    assert editor.name_edit.text() == "bc-lr" and editor.targets.message_text(0) == ""
    assert contract.save_button.isEnabled()

    # The export dialog refuses a contract with no intended use, naming why.
    dialog = window.export_bundle()
    assert "Intended use is empty: say what the model is for" in dialog.problems.text()
    assert not dialog.export_button.isEnabled()
    dialog.reject()

    # The new-draft dialog checks the same rules before anything runs.
    dialog = contract.open_new_draft_dialog()
    _retype(qtbot, dialog.version, "01")
    assert dialog.version_message.text() == VERSION_01
    assert not dialog.draft_button.isEnabled()
    dialog.reject()


def test_compare_with_the_previous_version(measured_copy, window_on, qtbot):
    window = window_on(measured_copy)
    contract = _draft(qtbot, window, "bc-lr")
    editor = contract.editor
    assert not contract.compare_button.isEnabled()
    editor.add_edit.setText("accuracy>=0.9")
    assert editor.add_target_from_text()
    with qtbot.waitSignal(contract.saved, timeout=WAIT_MS):
        contract.save()

    # Version 2: a stricter target, saved as a new draft beside version 1.
    _retype(qtbot, editor.version_edit, "2")
    _retype(qtbot, editor.targets.threshold_editor(0), "0.999")
    assert editor.targets.verdict_text(0) == "FAIL"
    with qtbot.waitSignal(contract.saved, timeout=WAIT_MS):
        qtbot.mouseClick(contract.save_button, Qt.MouseButton.LeftButton)
    assert [contract.drafts.itemText(i) for i in range(contract.drafts.count())] == [
        "bc-lr 2",
        "bc-lr 1",
    ]
    assert contract.compare_button.isEnabled()
    dialog = contract.open_compare_dialog()
    assert isinstance(dialog, CompareVersionsDialog)
    rows = {row[0]: row for row in dialog.rows()}
    assert rows["identity.version"][1:3] == ["1", "2"]
    assert rows["targets[accuracy].threshold"][1:4] == ["0.9", "0.999", "+0.099"]
    assert rows["targets[accuracy].verdict"][1:3] == ["pass", "fail"]
    assert rows["targets[accuracy].verdict"][4] == "worse"
    kinds = dict(zip([r[0] for r in dialog.rows()], dialog.table.kinds, strict=True))
    assert kinds["targets[accuracy].verdict"] == "error"  # red: worse
    dialog.reject()

    # The older draft opens from the drafts list; undo history starts afresh.
    contract.drafts.setCurrentIndex(1)
    contract.drafts.activated.emit(1)
    assert editor.contract["identity"]["version"] == "1"
    assert not window.undo_stack.canUndo()


def _drop(window, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)


def _verified(qtbot, page, state: str = "verified"):
    if page.state == "verifying":
        with qtbot.waitSignal(page.verification_finished, timeout=WAIT_MS) as blocker:
            pass
        assert blocker.args == [state], page.banner.text()
    return page


def test_open_path_shows_a_bundle_green_in_a_tab(world, homes, window_on, qtbot):
    window = window_on(homes.mle)
    assert window.documents.tabBar().isHidden()  # only the catalog: no tab bar
    window.open_path(world.bundle_v2)
    page = _verified(qtbot, window.documents.currentWidget())
    assert isinstance(page, BundlePage)
    assert page.banner.kind == "ok"
    assert page.banner.headline.text().startswith("Verified: signed by Dana Scientist")
    assert window.documents.tabText(1) == world.bundle_v2.name
    assert not window.documents.tabBar().isHidden()
    qtbot.waitUntil(
        lambda: "breast-cancer-lr 2 — verified, no decision yet" in window.listed_items("received")
    )
    assert "breast-cancer-lr 1 — accepted" in window.listed_items("received")

    # Opening it again shows the same tab; the sidebar opens it too.
    window.documents.setCurrentIndex(0)
    assert window.select_item("received", "breast-cancer-lr")  # the newest first
    assert window.documents.count() == 2 and window.documents.currentWidget() is page

    # Closing the tab shuts the page down; the catalog stays.
    window.close_document(1)
    assert window.documents.count() == 1 and window.documents.currentWidget() is window.pages


def test_a_dropped_receipt_shows_the_decision_and_the_handover(world, homes, window_on, qtbot):
    window = window_on(homes.ds)
    assert window.listed_items("handovers") == [
        "breast-cancer-lr 2 — awaiting review",
        ACCEPTED_V1,
    ]
    _drop(window, [world.receipt])
    page = _verified(qtbot, window.documents.currentWidget())
    assert isinstance(page, ReceiptPage)
    assert page.decision.text() == "ACCEPTED"
    assert window.listed_items("handovers")[1] == ACCEPTED_V1

    # A packed bundle in the sidebar opens its page (the file is still where it was written).
    window.sidebar.select("handovers", "breast-cancer-lr")
    bundle_page = window.documents.currentWidget()
    assert isinstance(bundle_page, BundlePage)
    assert bundle_page.path.resolve() == world.bundle_v2.resolve()
    _verified(qtbot, bundle_page)


def test_keys_and_compare_are_hosted_in_the_window(world, homes, window_on, qtbot):
    window = window_on(homes.ds)
    page = window.show_keys()
    assert isinstance(page, KeysPage) and window.pages.currentWidget() is page
    qtbot.waitUntil(lambda: bool(page.rows()), timeout=WAIT_MS)
    assert {r["name"] for r in page.rows()} >= {"Dana Scientist", "Eli Engineer"}
    assert window.select_item("keys", "Eli Engineer")
    qtbot.waitUntil(lambda: (page.selected_key() or {}).get("name") == "Eli Engineer")

    compare = window.compare_bundles(world.bundle, world.bundle_v2)
    with qtbot.waitSignal(compare.compared, timeout=WAIT_MS) as blocker:
        pass
    assert blocker.args == ["compared"]
    assert window.documents.tabText(window.documents.currentIndex()) == (
        f"{world.bundle.name} → {world.bundle_v2.name}"
    )


def test_a_handover_whose_file_moved_says_where_it_was(home, window_on):
    with Catalog(home) as cat, cat.write() as db:
        db["handovers"].insert(
            {
                "id": "h1",
                "direction": "received",
                "name": "churn",
                "version": "3",
                "root_digest": "c" * 64,
                "status": "verified",
                "path": "/nowhere/churn-3.baton",
                "created_at": "2026-01-02T03:04:05Z",
            }
        )
    window = window_on(home)
    assert window.listed_items("received") == ["churn 3 — verified, no decision yet"]
    window.select_item("received", "churn")
    assert window.banner.text() == (
        "The file of churn 3 is no longer at /nowhere/churn-3.baton. Open it from where it is "
        "now with File › Open bundle…."
    )
    assert window.documents.count() == 1


def test_a_file_given_at_start_opens_once_the_catalog_is_open(world, homes, window_on, qtbot):
    # `baton gui FILE`: the window opens the file after its catalog, which loads in the background.
    window = window_on(homes.mle, load_in_background=True)
    window.open_path(world.bundle)
    qtbot.waitUntil(lambda: window.documents is not None and window.documents.count() == 2)
    page = _verified(qtbot, window.documents.widget(1))
    assert page.banner.kind == "ok"
