"""The bundle page's Drift tab, and the compare page's paired differences."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from baton.gui.review.compare_view import ComparePage
from baton.gui.review.review_view import open_bundle_page
from tests.gui.test_engineer import WAIT_MS, opened

SHIFTED = "mean radius"


def _batches(world, folder: Path) -> tuple[Path, Path]:
    test = pd.read_csv(world.root / "inputs" / "breast_cancer_test.csv")
    same = test.sample(2000, replace=True, random_state=0).drop(columns="target")
    shifted = same.copy()
    shifted[SHIFTED] += 3 * test[SHIFTED].std()
    same.to_csv(folder / "same.csv", index=False)
    shifted.to_csv(folder / "shifted.csv", index=False)
    return folder / "same.csv", folder / "shifted.csv"


def test_check_drift_flags_the_shifted_feature_in_red(qtbot, world, homes, tmp_path):
    same, shifted = _batches(world, tmp_path)
    page = opened(qtbot, open_bundle_page(homes.mle, world.bundle), "verified")
    view = page.drift_view
    assert page.tabs.tabText(page.tabs.count() - 1) == "Drift"
    assert view.button.text() == "Check drift…" and view.button.isEnabled()
    with qtbot.waitSignal(view.checked, timeout=WAIT_MS) as blocker:
        view.check(shifted)
    result = blocker.args[0]
    assert result["verdict"] == "drift"
    assert view.headline.text().startswith(f"Drift: 1 of 30 features drifted ({SHIFTED})")
    assert "Thresholds: PSI ≥ 0.1 watch, ≥ 0.25 drift; KS p < 0.01 drift." in view.about.text()
    rows = {r["Column"]: r for r in view.rows()}
    assert rows[SHIFTED]["Flag"] == "DRIFT" and rows[SHIFTED]["KS p"] == "< 0.0001"
    kinds = dict(zip(rows, view.features.kinds, strict=True))
    assert kinds[SHIFTED] == "error" and kinds["mean texture"] == "ok"
    assert view.predictions.isVisibleTo(view)
    page.tabs.setCurrentIndex(page.tabs.count() - 1)
    page.resize(1100, 900)
    page.grab().save(str(tmp_path / "drift.png"))

    with qtbot.waitSignal(view.checked, timeout=WAIT_MS) as blocker:
        view.check(same)
    assert blocker.args[0]["verdict"] != "drift"
    assert "DRIFT" not in {r["Flag"] for r in view.rows()}


def test_drift_is_refused_until_the_signer_is_trusted(qtbot, world, homes):
    page = opened(qtbot, open_bundle_page(homes.stranger, world.bundle), "untrusted")
    assert not page.drift_view.button.isEnabled()
    assert "Trust the signer's key first" in page.drift_view.button.toolTip()


def test_a_batch_lacking_a_feature_is_named_in_the_banner(qtbot, world, homes, tmp_path):
    test = pd.read_csv(world.root / "inputs" / "breast_cancer_test.csv")
    lacking = tmp_path / "lacking.csv"
    test.drop(columns=["worst area"]).to_csv(lacking, index=False)
    page = opened(qtbot, open_bundle_page(homes.mle, world.bundle), "verified")
    with qtbot.waitSignal(page.drift_view.check_failed, timeout=WAIT_MS) as blocker:
        page.drift_view.check(lacking)
    assert blocker.args[0].startswith("lacking.csv lacks the feature column worst area;")
    assert page.drift_view.banner.text().startswith("Checking drift failed: lacking.csv lacks")


def test_compare_shows_paired_differences_with_verdicts(qtbot, world, homes, tmp_path):
    page = ComparePage(homes.mle, world.bundle, world.bundle_v2)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.compared, timeout=WAIT_MS) as blocker:
        pass
    assert blocker.args == ["compared"], page.banner.text()
    paired = page.result.diff["paired"]
    if paired["compared"]:
        rows = {r["Metric"]: r for r in page.paired_rows()}
        assert rows["accuracy"]["Verdict"] in ("better", "worse", "not distinguishable")
        assert page.paired_note.text().startswith("Both versions predicted the same")
    else:
        assert page.paired_note.text() == f"Not paired: {paired['why']}."
    names = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    assert "Differences" in names
    page.tabs.setCurrentIndex(names.index("Differences"))
    page.resize(1100, 800)
    page.grab().save(str(tmp_path / "paired.png"))
