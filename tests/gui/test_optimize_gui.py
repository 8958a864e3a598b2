"""The Optimise tab of the bundle page, the menu that leads to it, and the lineage line in
the banner of an optimised bundle."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from baton.gui.review.review_view import open_bundle_page

pytest.register_assert_rewrite("tests.handover", "tests.optimized")

from tests.handover import PASSPHRASE, make_world  # noqa: E402
from tests.optimized import copy_of, lossy_converter  # noqa: E402

pytest_plugins = ["tests.handover", "tests.optimized"]  # handover, optimised

WAIT_MS = 60_000


def verified(qtbot, page):
    qtbot.addWidget(page)
    if page.state == "verifying":
        with qtbot.waitSignal(page.verification_finished, timeout=WAIT_MS):
            pass
    assert page.state == "verified", page.banner.text()
    return page


def optimise(qtbot, page, out, *, quantize: bool = False):
    page.show()
    page.show_optimize()
    view = page.optimize_view
    assert page.tabs.currentIndex() == page.optimize_tab
    assert view.start_button.text() == "Optimise…" and view.start_button.isEnabled()
    assert view.out.text().endswith("-onnx.baton")
    view.out.setText(str(out))
    view.passphrase.setText(PASSPHRASE)
    view.quantize.setChecked(quantize)
    return view


def test_the_engineer_optimises_from_the_bundle_page(qtbot, handover, tmp_path):
    w = make_world(handover, tmp_path)
    page = verified(qtbot, open_bundle_page(w.mle, w.bundle))
    out = w.path("bc-lr-opt.baton")
    view = optimise(qtbot, page, out)
    with qtbot.waitSignal(page.optimized, timeout=240_000) as blocker:
        qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
        assert view.cancel_button.isVisibleTo(view) and not view.start_button.isEnabled()
    result = blocker.args[0]
    assert result.passed and out.is_file()
    assert view.banner.label.text() == (
        f"Parity holds: wrote {out.name} (bc-lr 1.0.0.1), signed by you."
    )
    assert view.line.text() == result.line
    assert view.line.text().startswith("optimised by Eli from bc-lr 1 (root digest ")
    assert "169 of 169 rows (100 %; required 100 %)" in view.parity_summary.text()
    assert set(view.metrics_table.column("Parity")) == {"yes"}
    # named as on every other page, not by their keys
    assert {"Accuracy", "Balanced accuracy", "ROC AUC"} <= set(view.metrics_table.column("Metric"))
    assert view.latency_table.column("Batch")[0] == "1"
    assert view.passphrase.text() == ""  # not kept once used
    page.grab().save(str(tmp_path / "optimise.png"))


def test_a_lossy_conversion_is_shown_as_lost_and_not_signed(qtbot, handover, tmp_path, monkeypatch):
    lossy_converter(monkeypatch)
    w = make_world(handover, tmp_path)
    page = verified(qtbot, open_bundle_page(w.mle, w.bundle))
    out = w.path("lossy.baton")
    view = optimise(qtbot, page, out)
    with qtbot.waitSignal(page.optimized, timeout=240_000) as blocker:
        qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    assert not blocker.args[0].passed and not out.exists()
    text = view.banner.label.text()
    assert text.startswith("Parity lost: the optimised model does not predict as the original")
    assert "Failed checks: Prediction agreement, Largest probability difference, Accuracy" in text
    assert "no" in view.metrics_table.column("Parity")
    assert view.latency_table.isHidden()


def test_a_wrong_passphrase_is_said_on_the_tab(qtbot, handover, tmp_path):
    w = make_world(handover, tmp_path)
    page = verified(qtbot, open_bundle_page(w.mle, w.bundle))
    view = optimise(qtbot, page, w.path("x.baton"))
    view.passphrase.setText("not it")
    with qtbot.waitSignal(page.optimize_failed, timeout=WAIT_MS):
        qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    assert view.banner.label.text().startswith("Optimising failed: ")
    assert view.start_button.isEnabled()


def test_the_data_scientist_sees_the_lineage_in_the_banner(qtbot, handover, optimised, tmp_path):
    w = make_world(handover, tmp_path)
    bundle = copy_of(optimised, w)
    page = verified(qtbot, open_bundle_page(w.ds, bundle))
    assert optimised.result["line"] in page.banner.detail.text()


def test_the_menu_opens_a_bundle_on_its_optimise_tab(qtbot, handover, tmp_path, window_on):
    w = make_world(handover, tmp_path)
    window = window_on(w.mle)
    assert window.action_optimize_bundle.text() == "O&ptimise bundle…"
    page = verified(qtbot, window.optimize_bundle(w.bundle))
    assert page.tabs.currentIndex() == page.optimize_tab


def test_the_gains_targets_are_named_as_on_the_contract_page():
    from baton.gui.review.optimize_page import target_text

    assert target_text({"expr": "latency_p95_ms@1<=50"}) == "Latency p95 at batch size 1 ≤ 50 ms"
    assert target_text({"expr": "memory_mb<=512"}) == "Memory ≤ 512 MB"
