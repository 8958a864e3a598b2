"""Several candidates on the engineer's desk: the candidates table and the chart of
quality against latency on the bundle page, and the choice of candidate on accepting."""

from __future__ import annotations

import json
import zipfile

import pytest
from PySide6.QtCore import Qt

pytest.register_assert_rewrite("tests.handover", "tests.candidates_fixture")

from baton.gui.review.review_view import open_bundle_page  # noqa: E402
from tests.handover import PASSPHRASE  # noqa: E402

pytest_plugins = ["tests.handover", "tests.candidates_fixture"]
WAIT_MS = 60_000


def opened(qtbot, page):
    qtbot.addWidget(page)
    if page.state == "verifying":
        with qtbot.waitSignal(page.verification_finished, timeout=WAIT_MS):
            pass
    assert page.state == "verified", page.banner.text()
    return page


def test_the_bundle_page_shows_the_candidates_side_by_side(qtbot, picked, tmp_path):
    w = picked.copy(tmp_path / "w")
    page = opened(qtbot, open_bundle_page(w.mle, w.bundle))
    view = page.contract_view
    assert not view.candidates_card.isHidden()
    assert view.candidates.column("Candidate") == ["gbm (recommended)", "lr"]
    assert view.candidates.column("Targets") == ["2 of 2 pass", "2 of 2 pass"]
    assert view.candidates.column("Quality")[0].startswith("Accuracy 0.9")
    assert "The sections below describe gbm (recommended)." in view.candidates_note.text()
    chart = view.candidates_chart
    assert chart.has_data()
    assert len([i for i in chart.data_items() if type(i).__name__ == "ScatterPlotItem"]) == 2
    assert chart.target_lines == [("y", 0.9)]  # accuracy>=0.9 (f1 is not on the axes)


def test_accepting_chooses_a_candidate_and_the_receipt_names_it(qtbot, picked, tmp_path):
    w = picked.copy(tmp_path / "w")
    page = opened(qtbot, open_bundle_page(w.mle, w.bundle))
    page.resize(1200, 900)
    page.show()
    page.tabs.setCurrentIndex(2)  # Decision
    view = page.decision_view
    assert not view.candidate_row.isHidden()
    assert [view.candidate.itemText(i) for i in range(view.candidate.count())] == [
        "gbm (recommended)",
        "lr",
    ]
    qtbot.mouseClick(view.radios["reject"], Qt.MouseButton.LeftButton)
    assert view.chosen() is None and not view.candidate.isEnabled()
    qtbot.mouseClick(view.radios["accept"], Qt.MouseButton.LeftButton)
    assert view.chosen() == "gbm"  # the recommended one, to begin with
    view.candidate.setCurrentIndex(1)
    assert view.chosen() == "lr"
    qtbot.keyClicks(view.comment, "lr: as accurate and far smaller.")
    assert view.sign_button.isEnabled()
    qtbot.mouseClick(view.sign_button, Qt.MouseButton.LeftButton)
    dialog = page.countersign_dialog
    out = tmp_path / "bc-pick-1.review.baton"
    dialog.out.setText(str(out))
    dialog.passphrase.setText(PASSPHRASE)
    with qtbot.waitSignal(page.decided, timeout=WAIT_MS) as decided:
        qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton)
    assert decided.args[0]["chosen"] == "lr"
    assert json.loads(zipfile.ZipFile(out).read("review.json"))["chosen"] == "lr"
    assert view.result.text().startswith("Accept (candidate lr): receipt written to")


def test_a_one_model_bundle_shows_no_candidates(qtbot, handover, tmp_path):
    from tests.handover import make_world

    w = make_world(handover, tmp_path)
    page = opened(qtbot, open_bundle_page(w.mle, w.bundle))
    assert page.contract_view.candidates_card.isHidden()
    assert page.decision_view.candidate_row.isHidden()
    assert page.decision_view.chosen() is None


def test_the_contract_editor_adds_a_candidate_from_the_catalog(
    measured_copy, window_on, qtbot, files
):
    from baton.core.catalog.store import Catalog
    from baton.core.contract import candidates as cands
    from baton.core.data import importer
    from tests.gui.test_ds_flow import _draft

    with Catalog(measured_copy) as cat:  # a second model of the same task and features
        importer.import_model(cat, files.lr_onnx, name="bc-onnx")
    window = window_on(measured_copy)
    contract = _draft(qtbot, window, "bc-lr")
    assert contract.candidate_choices() == ["bc-onnx"]  # not itself, nor wine or diabetes
    assert contract.candidates_label.text() == ""
    with qtbot.waitSignal(contract.candidate_added, timeout=WAIT_MS * 2):
        contract.add_candidate("bc-onnx")
    after = contract.editor.contract
    assert [c.name for c in cands.candidates(after)] == ["bc-lr", "bc-onnx"]
    assert cands.others(after)[0].model["file"] == "candidates/bc-onnx/model.onnx"
    assert contract.candidates_label.text() == "Candidates: bc-lr, bc-onnx"
    assert contract.editor.error_count() == 0
    # A target added afterwards is judged for every candidate.
    contract.editor.add_edit.setText("accuracy>=0.9")
    assert contract.editor.add_target_from_text()
    assert [len(c.targets) for c in cands.candidates(contract.editor.contract)] == [1, 1]
    window.action_undo.trigger()
    window.action_undo.trigger()
    assert "candidates" not in contract.editor.contract
