"""The engineer's desktop: verify, trust, reproduce, countersign; receipts, compare, keys.

One handover is built per session (``tests/gui/world.py``): a data scientist and an
engineer with their own keys, a signed bundle, a reproduction and an accepted receipt,
plus a second version of the bundle, a tampered copy and a stranger's home that trusts
nobody. Each test works on copies of the homes, so it may trust, revoke and decide freely.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from baton.core.catalog.store import Catalog
from baton.core.cli import demo
from baton.core.cli.main import cli
from baton.core.handover import trust
from baton.core.present import format_fingerprint
from baton.gui.common import theme
from baton.gui.common.handover_rows import received_rows
from baton.gui.common.tables import cell_fits
from baton.gui.keys.keys_view import KeysPage
from baton.gui.receipts.receipt_view import ReceiptPage
from baton.gui.review.compare_view import ComparePage
from baton.gui.review.review_view import BundlePage, open_bundle_page
from baton.gui.shell.file_pages import open_file_page

PASSPHRASE = demo.DEMO_PASSPHRASE
WAIT_MS = 30_000
# The targets as the tables name them (accuracy, roc_auc, latency_p95_ms@1, memory_mb).
TARGETS = ["Accuracy", "ROC AUC", "Latency p95 at batch size 1", "Memory"]


def opened(qtbot, page, state: str):
    """Wait until a page's verification ends, and check how."""
    qtbot.addWidget(page)
    if page.state == "verifying":
        with qtbot.waitSignal(page.verification_finished, timeout=WAIT_MS) as blocker:
            pass
        assert blocker.args == [state], page.banner.text()
    assert page.state == state, page.banner.text()
    return page


# --- verification banner -------------------------------------------------------------------


def test_a_good_bundle_is_verified_green_and_listed_as_received(qtbot, world, homes):
    page = opened(qtbot, open_bundle_page(homes.mle, world.bundle_v2), "verified")
    fp = format_fingerprint(world.dana["fingerprint"])
    assert page.banner.kind == "ok"
    assert page.banner.headline.text() == (
        f"Verified: signed by Dana Scientist ({fp}), 6 files intact"
    )
    assert str(world.bundle_v2) in page.banner.file.text()
    assert page.title.text() == "breast-cancer-lr 2"
    assert not page.tabs.isHidden()
    view = page.contract_view
    assert view.use.text() == "Second reader for breast-cancer biopsies; a pathologist decides."
    assert view.targets.column("Target") == [
        "Accuracy",
        "ROC AUC",
        "Latency p95 at batch size 1",
        "F1",
    ]
    assert view.datasets.column("Role") == ["test"]
    assert view.datasets.column("Fingerprint")[0].count(" ") == 15  # grouped, whole
    assert view.metric_chart.has_data() and view.latency_chart.has_data()
    assert page.reproduce_view.button.isEnabled()

    cat = Catalog(homes.mle)
    try:
        rows = {r["label"]: r for r in received_rows(cat)}
    finally:
        cat.close()
    assert rows["breast-cancer-lr 2"]["status"] == "verified"
    assert rows["breast-cancer-lr 1"]["status"] == "accept"
    assert rows["breast-cancer-lr 1"]["status_text"] == "accepted"
    assert rows["breast-cancer-lr 2"]["signer_name"] == "Dana Scientist"
    assert rows["breast-cancer-lr 2"]["exists"]


def test_a_tampered_bundle_is_refused_red_with_cores_message(qtbot, world, homes):
    page = opened(qtbot, open_file_page(homes.mle, world.tampered), "refused")
    assert isinstance(page, BundlePage)
    assert page.banner.kind == "error"
    assert page.banner.headline.text() == "Refused: model/model.skops was changed after signing"
    assert page.banner.file.text() == f"File: {world.tampered}"
    assert page.tabs.isHidden() and not page.refused_note.isHidden()
    assert page.banner.retry_button.isVisibleTo(page)


def test_untrusted_signer_is_amber_until_the_fingerprint_is_compared_and_trusted(
    qtbot, world, homes
):
    page = opened(qtbot, open_bundle_page(homes.stranger, world.bundle), "untrusted")
    fp = format_fingerprint(world.dana["fingerprint"])
    assert page.banner.kind == "warning"
    assert page.banner.headline.text() == f"Intact, but the signer is not trusted: {fp}"
    assert "Dana Scientist <dana@example.org>" in page.banner.detail.text()
    assert page.banner.trust_button.isVisibleTo(page)
    assert not page.reproduce_view.button.isEnabled()
    assert not page.decision_view.sign_button.isEnabled()
    assert page.contract_view.targets.column("Target") == TARGETS  # intact: readable

    qtbot.mouseClick(page.banner.trust_button, Qt.MouseButton.LeftButton)
    dialog = page.trust_flow.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.fingerprint_label.text().split() == fp.split()
    assert dialog.name.text() == "Dana Scientist" and dialog.email.text() == "dana@example.org"
    assert not dialog.trust_button.isEnabled()  # never without the tick
    dialog.accept()  # pressing Enter without the tick does nothing
    assert dialog.isVisible()
    dialog.compared.setChecked(True)
    assert dialog.trust_button.isEnabled()
    with qtbot.waitSignal(page.verification_finished, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(dialog.trust_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["verified"]
    # the demo's handover: two candidates (each a model and its predictions), the test and
    # training sets, the baseline, the contract and the card
    assert page.banner.headline.text() == (
        f"Verified: signed by Dana Scientist ({fp}), 9 files intact"
    )
    assert not page.banner.trust_button.isVisibleTo(page)
    assert page.reproduce_view.button.isEnabled()

    # reproducing can be cancelled from its progress row
    page.show()
    page.tabs.setCurrentIndex(1)
    view = page.reproduce_view
    with qtbot.waitSignal(page.reproduce_failed, timeout=WAIT_MS) as cancelled:
        qtbot.mouseClick(view.button, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    assert cancelled.args == ["Cancelled by the user."]
    assert view.button.isEnabled() and view.status.text() == "Cancelled."
    assert view.results.isHidden()
    cat = Catalog(homes.stranger)
    try:
        dana = [k for k in trust.list_keys(cat) if k["fingerprint"] == world.dana["fingerprint"]]
    finally:
        cat.close()
    assert dana and dana[0]["name"] == "Dana Scientist" and not dana[0]["revoked_at"]


def test_a_revoked_signer_cannot_be_trusted_from_the_banner(qtbot, world, homes):
    cat = Catalog(homes.mle)
    trust.revoke_key(cat, world.dana["fingerprint"], "laptop lost")
    cat.close()
    page = opened(qtbot, open_bundle_page(homes.mle, world.bundle), "untrusted")
    assert "revoked" in page.banner.detail.text() and "laptop lost" in page.banner.detail.text()
    assert not page.banner.trust_button.isVisibleTo(page)
    assert page.open_trust_dialog() is None


# --- reproduce ------------------------------------------------------------------------------


def test_reproduce_button_fills_the_compliance_table(qtbot, world, homes):
    page = opened(qtbot, open_bundle_page(homes.stranger, world.bundle), "untrusted")
    cat = Catalog(homes.stranger)  # the stranger has compared and trusted Dana's key
    pub = homes.stranger / "dana.pub"
    pub.write_text(page.outcome["author"]["public_key"])
    trust.trust_key(cat, pub, "Dana Scientist")
    cat.close()
    with qtbot.waitSignal(page.verification_finished, timeout=WAIT_MS):
        qtbot.mouseClick(page.banner.retry_button, Qt.MouseButton.LeftButton)
    assert page.state == "verified"
    page.show()
    page.tabs.setCurrentIndex(1)  # Reproduce
    view = page.reproduce_view
    assert view.results.isHidden()  # nothing reproduced in this home yet
    view.budget.setValue(0.05)
    with qtbot.waitSignal(page.reproduced, timeout=300_000) as blocker:
        qtbot.mouseClick(view.button, Qt.MouseButton.LeftButton)
        assert view.cancel_button.isVisibleTo(view) and not view.button.isEnabled()
    result = blocker.args[0]
    assert result["agreement"]["rate"] == 1.0
    assert not view.results.isHidden() and view.button.isEnabled()
    assert "Prediction agreement: 100 %" in view.agreement.text()
    assert "171 of 171" in view.agreement.text()
    table = view.compliance
    assert table.column("Target") == TARGETS
    assert table.column("Verdict") == ["PASS"] * 4
    assert table.kinds == ["ok"] * 4
    assert table.column("Threshold") == ["≥ 0.93", "≥ 0.97", "≤ 50 ms", "≤ 512 MB"]
    assert set(view.metrics.column("Consistent")) == {"consistent"}
    assert view.latency.column("Batch size") == ["1", "8", "64", "512"]
    assert view.latency_chart.has_data()
    assert view.hardware.column("Hardware")[0] == "CPU"
    # the decision table now shows what was measured here
    assert page.decision_view.targets.column("Verdict here") == ["PASS"] * 4

    # a failed target is obvious at a glance: red row, bold FAIL with an icon
    failed = dict(result)
    failed["targets"] = [dict(t) for t in result["targets"]]
    failed["targets"][2].update(here=75.0, verdict_here="fail", busy_here=False)
    failed["verdict"] = "fail"
    view.set_result(failed)
    assert table.column("Verdict")[2] == "FAIL" and table.kinds[2] == "error"
    failed["targets"][2]["busy_here"] = True  # measured while this machine was busy
    view.set_result(failed)
    assert table.column("Verdict")[2] == "FAIL (busy machine)" and table.kinds[2] == "error"
    cell = table.item(2, 4)
    assert cell.font().bold() and not cell.icon().isNull()
    from baton.gui.common import theme
    from baton.gui.common.verdicts import FAIL_BG

    assert cell.background().color().name() == FAIL_BG  # strong red whatever the theme
    assert table.item(2, 0).background().color().name() == theme.current_colors()["err_bg"]
    assert table.item(0, 0).background().color().name() == theme.current_colors()["ok_bg"]

    # 171 of 171 predictions agree and every metric recomputes equal, but a target is
    # missed: the claims reproduced, the targets were not met here; never one red verdict.
    # (Only the quality targets are kept: the latency claim depends on this machine's load.)
    from baton.core.contract.targets import Target, evaluate_target
    from baton.core.handover.review import judge_reproduction

    missed = {k: v for k, v in result.items() if k not in ("headline", "verdict")}
    missed["targets"] = [dict(t) for t in result["targets"][:2]]  # accuracy, roc_auc
    strict = Target("accuracy", ">=", 0.999)
    missed["targets"][0].update(
        expr=strict.expr(),
        threshold=0.999,
        verdict_here=evaluate_target(strict, missed["targets"][0]["here"]),
    )
    missed.update(judge_reproduction(missed))
    view.set_result(missed)
    assert view.verdict.text() == "Claims reproduced"
    assert view.targets_verdict.text() == "Targets not met on this machine"
    lines = view.headline.text().splitlines()
    assert lines[0] == (
        "Claims reproduced: yes — 171 of 171 predictions agree, every metric recomputes equal."
    )
    assert lines[1].startswith("Targets met on this machine: no — accuracy>=0.999 measured ")
    assert "did not reproduce" not in view.verdict.text() + view.headline.text()
    assert view.verdict.styleSheet() == f"color: {theme.current_colors()['ok_text']};"
    assert view.targets_verdict.styleSheet() == f"color: {theme.current_colors()['err_text']};"

    # Only a candidate's claims failed: the verdict names it, in red.
    view.set_result({**result, "claims_reproduced": False, "claims_failed_for": ["hgb"]})
    assert view.verdict.text() == "Claims not reproduced for candidate hgb"
    assert view.verdict.styleSheet() == f"color: {theme.current_colors()['err_text']};"


# --- decision -------------------------------------------------------------------------------


def test_countersign_through_the_widgets_writes_a_receipt_the_cli_accepts(
    qtbot, world, homes, tmp_path
):
    page = opened(qtbot, open_bundle_page(homes.mle, world.bundle), "verified")
    page.resize(1200, 900)
    page.show()
    page.tabs.setCurrentIndex(2)  # Decision
    view = page.decision_view
    assert view.targets.column("Target") == TARGETS
    assert not view.sign_button.isEnabled()
    qtbot.mouseClick(view.radios["reject"], Qt.MouseButton.LeftButton)
    assert not view.sign_button.isEnabled()  # a decision needs a reason
    qtbot.keyClicks(view.comment, "Latency is fine but the data is from one hospital only.")
    view.set_comment_for("memory_mb", "fits our 512 MB pods")
    assert view.target_comments() == {"memory_mb": "fits our 512 MB pods"}
    assert view.sign_button.isEnabled()

    qtbot.mouseClick(view.sign_button, Qt.MouseButton.LeftButton)
    dialog = page.countersign_dialog
    assert dialog is not None and dialog.isVisible()
    assert Path(dialog.out.text()) == world.bundle.parent / "breast-cancer-lr-1.review.baton"
    from PySide6.QtWidgets import QLineEdit

    assert dialog.passphrase.echoMode() == QLineEdit.EchoMode.Password
    out = tmp_path / "answer" / "breast-cancer-lr-1.review.baton"
    dialog.out.setText(str(out))
    qtbot.keyClicks(dialog.passphrase, "not the passphrase")
    with (
        qtbot.assertNotEmitted(page.runner.task_failed),  # shown once: in the dialog
        qtbot.waitSignal(page.decide_failed, timeout=WAIT_MS) as failed,
    ):
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    assert failed.args[0].startswith("wrong passphrase for ")
    assert dialog.isVisible() and dialog.banner.label.text() == failed.args[0]
    assert not out.exists()

    dialog.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(page.decided, timeout=WAIT_MS) as decided:
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    review = decided.args[0]
    assert review["decision"] == "reject" and Path(review["file"]) == out and out.is_file()
    assert review["target_comments"] == [{"target": "memory_mb", "comment": "fits our 512 MB pods"}]
    assert review["reproduced"] is not None  # the round trip's reproduction is recorded
    assert not dialog.isVisible()
    assert str(out) in view.result.text() and "Reject" in view.result.text()

    result = CliRunner().invoke(cli, ["--home", str(homes.ds), "verify", str(out)])
    assert result.exit_code == 0, result.output
    assert "REJECT by Eli Engineer" in result.output
    assert "memory_mb: fits our 512 MB pods" in result.output
    cat = Catalog(homes.ds)
    try:
        sent = list(cat.db["handovers"].rows_where("direction = 'sent' and version = '1'"))
    finally:
        cat.close()
    assert sent[0]["status"] == "reject"


# --- receipts (the data scientist's side) ---------------------------------------------------------


def test_receipt_view_shows_the_decision_comments_and_reviewer(qtbot, world, homes):
    page = opened(qtbot, open_file_page(homes.ds, world.receipt), "verified")
    assert isinstance(page, ReceiptPage)
    assert page.banner.kind == "ok"
    assert page.banner.headline.text().startswith("Verified: countersigned by Eli Engineer (")
    assert page.decision.text() == "ACCEPTED"
    assert page.comment.text() == "“Reproduced on the serving workstation.”"
    assert page.target_comments.cell_texts() == [
        ["Latency p95 at batch size 1", "well inside the budget"]
    ]
    assert page.reviewer.value("Name") == "Eli Engineer"
    assert page.reviewer_fp.text().split() == format_fingerprint(world.eli["fingerprint"]).split()
    assert page.recorded.text().startswith("Recorded against the bundle you packed here: ")
    # both verdicts, in their words, as the signed receipt says them
    rep = page.review["reproduced"]
    claims = "claims reproduced" if rep["claims_reproduced"] else "claims not reproduced"
    assert f"{claims}, targets met on this machine" in page.reproduced.text()
    assert page.reproduced_targets.column("Target") == TARGETS
    assert page.hardware.column("Hardware")[0] == "CPU"


def test_receipt_from_an_untrusted_reviewer_is_shown_but_not_recorded(qtbot, world, homes):
    page = opened(qtbot, ReceiptPage(homes.stranger, world.receipt), "untrusted")
    fp = format_fingerprint(world.eli["fingerprint"])
    assert page.banner.headline.text() == f"Intact, but the reviewer is not trusted: {fp}"
    assert page.decision.text() == "ACCEPTED"
    assert page.recorded.text() == "Not recorded: the reviewer's key is not trusted here."
    assert page.banner.trust_button.isVisibleTo(page)


# --- compare ------------------------------------------------------------------------------


def test_compare_two_versions_shows_target_and_metric_changes(qtbot, world, homes):
    # the app's stylesheet, as a window applies it (cell padding, bold verdicts): the widths
    # below are read with it, whichever test ran before on this process
    theme.manager(QApplication.instance()).apply("light")
    page = ComparePage(homes.mle, world.bundle, world.bundle_v2)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.compared, timeout=WAIT_MS) as blocker:
        pass
    assert blocker.args == ["compared"], page.banner.text()
    assert page.title.text() == "breast-cancer-lr: version 1 → 2"
    assert page.banner.kind == "ok"
    summary = page.summary.text().split(" · ")
    assert summary[0] == "5 targets changed" and summary[-1] == "9 files differ"
    rows = {r["Target"]: r for r in page.target_rows()}
    assert list(rows) == [*TARGETS, "F1"]  # as people name them, not as contract keys
    assert rows["Accuracy"]["Old agreed"] == "≥ 0.93"  # a threshold is exact: no zeros
    assert rows["Accuracy"]["New agreed"] == "≥ 0.95"
    # Both changes of the accuracy target, a line each, whole in the window's width.
    measured, threshold = rows["Accuracy"]["What changed"].split("\n")
    assert measured.startswith("measured 0.9649 → ") and measured.endswith("(better)")
    assert threshold.startswith("threshold 0.93 → 0.95")
    accuracy = [r["Target"] for r in page.target_rows()].index("Accuracy")
    page.resize(1100, 800)  # the page beside the sidebar in a 1400-pixel window
    page.show()
    qtbot.waitExposed(page)
    # once laid out, every change whole: the latency's long line wraps rather than elides
    qtbot.waitUntil(lambda: all(cell_fits(page.targets, r, 7) for r in range(len(rows))))
    assert page.targets.rowHeight(accuracy) >= 2 * page.fontMetrics().height()
    assert rows["Memory"]["New agreed"] == "—" and rows["Memory"]["What changed"] == "removed"
    assert rows["F1"]["Old agreed"] == "—" and rows["F1"]["What changed"] == "added"
    assert page.old_card.value("Targets") == ", ".join(TARGETS)
    figures = dict(
        zip(page.measurements.column("Measured figure"), page.measurements.kinds, strict=True)
    )
    directions = dict(
        zip(
            page.measurements.column("Measured figure"),
            page.measurements.column("Direction"),
            strict=True,
        )
    )
    assert figures and set(figures.values()) <= {"ok", "error"}
    assert all((kind == "ok") == (directions[f] == "better") for f, kind in figures.items())
    files = dict(zip(page.files.column("File"), page.files.column("Change"), strict=True))
    assert files["model/model.skops"] == "removed" and files["model/model.onnx"] == "added"
    assert files["data/train.parquet"] == "removed" and files["contract.json"] == "changed"


def test_compare_refuses_a_tampered_bundle(qtbot, world, homes):
    page = ComparePage(homes.mle, world.tampered, world.bundle_v2)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.compared, timeout=WAIT_MS):
        pass
    assert page.state == "refused" and page.banner.kind == "error"
    assert page.banner.headline.text() == "Refused: model/model.skops was changed after signing"
    assert page.tabs.isHidden()


# --- keys ---------------------------------------------------------------------------------


def test_keys_view_lists_imports_and_revokes(qtbot, world, homes, tmp_path):
    page = KeysPage(homes.mle)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.table.rowCount() > 0, timeout=WAIT_MS)
    rows = {r["name"]: r for r in page.rows()}
    assert rows["Eli Engineer"]["status"] == "trusted (my key)"
    assert rows["Dana Scientist"]["status"] == "trusted"
    assert rows["Dana Scientist"]["fingerprint"] == format_fingerprint(world.dana["fingerprint"])
    assert (
        page.my_fingerprint.text().split() == format_fingerprint(world.eli["fingerprint"]).split()
    )
    assert not page.create_button.isVisibleTo(page)

    # export my public key, as `baton keys export` would
    exported = tmp_path / "eli.pub"
    page.export_public_key(exported)
    assert exported.read_bytes() == trust.my_public_pem(homes.mle)

    # import the stranger's key: the fingerprint must be compared first
    sam_pub = tmp_path / "sam.pub"
    sam_pub.write_bytes(trust.my_public_pem(homes.stranger))
    dialog = page.import_key_file(sam_pub)
    assert dialog is not None and not dialog.trust_button.isEnabled()
    sam_fp = trust.identity(homes.stranger)["fingerprint"]
    assert dialog.fingerprint_label.text().split() == format_fingerprint(sam_fp).split()
    dialog.name.setText("Sam Stranger")
    dialog.compared.setChecked(True)
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.trust_button, Qt.MouseButton.LeftButton)
    assert {r["name"]: r["status"] for r in page.rows()}["Sam Stranger"] == "trusted"

    # revoke Dana's key with a reason
    assert page.select_key(world.dana["fingerprint"])
    assert page.revoke_button.isEnabled()
    qtbot.mouseClick(page.revoke_button, Qt.MouseButton.LeftButton)
    revoke = page.dialog
    assert not revoke.revoke_button.isEnabled()
    qtbot.keyClicks(revoke.reason, "laptop lost")
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        qtbot.mouseClick(revoke.revoke_button, Qt.MouseButton.LeftButton)
    status = {r["name"]: r["status"] for r in page.rows()}["Dana Scientist"]
    assert status.startswith("revoked ") and status.endswith(": laptop lost")
    assert page.select_key(world.dana["fingerprint"]) and not page.revoke_button.isEnabled()


def test_keys_view_creates_my_key(qtbot, tmp_path):
    page = KeysPage(tmp_path / "new-home")
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        pass
    assert page.create_button.isVisibleTo(page) and page.table.rowCount() == 0
    qtbot.mouseClick(page.create_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    dialog.name.setText("Ana Analyst")
    dialog.email.setText("ana@example.org")
    dialog.passphrase.setText("long enough passphrase")
    dialog.repeat.setText("long enough passphras")
    assert not dialog.create_button.isEnabled() and dialog.problem.text()
    dialog.repeat.setText("long enough passphrase")
    with qtbot.waitSignal(page.loaded, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert page.me["name"] == "Ana Analyst"
    assert [r["status"] for r in page.rows()] == ["trusted (my key)"]
    assert page.copy_button.isVisibleTo(page)
