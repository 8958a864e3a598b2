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
