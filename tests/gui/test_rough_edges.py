"""Rough edges a new user tripped over, each driven through the widget that had it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QApplication

from baton.gui.common import theme
from baton.gui.common.verdicts import FAIL_BG
from baton.gui.review.decision_tab import DecisionView

TARGETS = [
    {"metric": "roc_auc", "op": ">=", "threshold": 0.9, "measured": 0.95},
    {"metric": "memory_mb", "op": "<=", "threshold": 512, "measured": 80},
]
REPRODUCTION = {
    "targets": [
        {"target": "roc_auc", "here": 0.95, "verdict_here": "pass"},
        {"target": "memory_mb", "here": 900, "verdict_here": "fail"},
    ]
}


def _decision_view(qtbot) -> DecisionView:
    theme.manager(QApplication.instance()).apply("light")
    view = DecisionView()
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.set_allowed(True)
    view.set_targets(TARGETS, REPRODUCTION)
    view.show()
    return view


def test_a_countersigned_decision_can_no_longer_be_changed(qtbot, tmp_path):
    view = _decision_view(qtbot)
    qtbot.mouseClick(view.radios["reject"], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(view.comment, "Too much memory for our pods.")
    assert view.sign_button.isEnabled()

    view.show_result(
        {
            "decision": "reject",
            "file": str(tmp_path / "m-1.review.baton"),
            "reviewer": {"name": "Eli Engineer"},
            "created": "2026-01-02T03:04:05Z",
            "reproduced": None,
        }
    )
    assert not view.sign_button.isEnabled()
    assert all(not radio.isEnabled() for radio in view.radios.values())
    assert view.comment.isReadOnly()
    assert view.targets.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    assert view.hint.text() == "Countersigned: the receipt above records this decision."
    qtbot.keyClicks(view.comment, " More.")  # typing changes nothing any more
    assert view.comment.toPlainText() == "Too much memory for our pods."
    view.grab().save(str(tmp_path / "decided.png"))


def test_a_selected_fail_row_keeps_its_red_badge(qtbot, tmp_path):
    view = _decision_view(qtbot)
    table = view.targets
    assert table.item(1, 4).text() == "FAIL"
    rect = table.visualItemRect(table.item(1, 4))
    qtbot.mouseClick(
        table.viewport(),
        Qt.MouseButton.LeftButton,
        pos=table.visualItemRect(table.item(1, 0)).center(),
    )
    assert table.selectionModel().isRowSelected(1)
    image = table.viewport().grab().toImage()
    table.grab().save(str(tmp_path / "selected-fail.png"))
    # a point of the badge away from its icon and text
    badge = QColor(image.pixel(rect.right() - 3, rect.top() + 3))
    assert badge.name() == QColor(FAIL_BG).name()


def test_clicking_the_selected_model_after_keys_reopens_its_page(measured_copy, window_on, qtbot):
    window = window_on(measured_copy)
    assert window.select_item("models", "bc-lr")
    model_page = window.model_page
    assert window.pages.currentWidget() is model_page
    keys = window.show_keys()
    assert window.pages.currentWidget() is keys
    sidebar = window.sidebar
    item = sidebar.currentItem()
    assert item.text(0).startswith("bc-lr")  # still highlighted
    sidebar.scrollToItem(item)
    qtbot.mouseClick(
        sidebar.viewport(), Qt.MouseButton.LeftButton, pos=sidebar.visualItemRect(item).center()
    )
    assert window.pages.currentWidget() is model_page
    assert model_page.record["name"] == "bc-lr"
    window.grab().save(str(measured_copy.parent / "reopened.png"))


def _stroke_lightness(icon) -> int:
    """The lightness of an icon's most opaque pixel: the colour it is drawn in."""
    image = icon.pixmap(32, 32).toImage()
    best = max(
        (QColor.fromRgba(image.pixel(x, y)) for x in range(image.width()) for y in range(32)),
        key=lambda c: c.alpha(),
    )
    assert best.alpha() > 200
    return best.lightness()


def test_an_open_bundles_tab_icon_shows_in_both_themes(world, homes, window_on, qtbot):
    window = window_on(homes.mle)
    window.set_theme("light")
    page = window.open_document(world.bundle)
    index = window.documents.indexOf(page)
    assert _stroke_lightness(window.documents.tabIcon(index)) < 100  # dark on light
    try:
        window.set_theme("dark")
        assert _stroke_lightness(window.documents.tabIcon(index)) > 150  # light on dark
        window.documents.tabBar().grab().save(str(homes.mle.parent / "dark-tabs.png"))
    finally:
        window.set_theme("system")


def test_the_export_summary_is_shown_whole(qtbot, tmp_path):
    from types import SimpleNamespace

    from baton.gui.export.export_dialog import ExportDialog

    theme.manager(QApplication.instance()).apply("light")
    ctx = SimpleNamespace(home=tmp_path / "home", runner=None, settings=None)
    contract = {
        "identity": {"name": "m", "version": "1"},
        "datasets": [{"role": "test", "name": "t", "rows": 10}],
    }
    dialog = ExportDialog(ctx, contract, {"name": "m"})
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.resize(640, 480)  # a short form: the summary needs more room than it did
    targets = [{"metric": "roc_auc", "op": ">=", "threshold": 0.9, "measured": 0.95}]
    targets += [
        {"metric": "latency_p95_ms", "batch_size": b, "op": "<=", "threshold": 10, "measured": 3}
        for b in (1, 2, 4, 8, 16, 32, 64, 128, 256)
    ]
    for t in targets:
        t["verdict"] = "pass"
    dialog._exported(
        {
            "file": str(tmp_path / "m-1.baton"),
            "bytes": 12345,
            "files": 9,
            "root_digest": "ab" * 32,
            "signer_fingerprint": "cd" * 32,
            "targets": targets,
            "targets_failed": 0,
        }
    )
    qtbot.wait(50)
    scroll = dialog.pages.currentWidget()
    assert dialog.verdicts.rowCount() == 10
    assert scroll.verticalScrollBar().maximum() == 0  # nothing hidden below the fold
    dialog.grab().save(str(tmp_path / "export-summary.png"))


def _rect_in(widget, ancestor):
    from PySide6.QtCore import QRect

    return QRect(widget.mapTo(ancestor, widget.rect().topLeft()), widget.size())


def test_the_contract_editor_fits_its_page_and_no_warning_covers_a_field(
    measured_copy, window_on, qtbot
):
    """Clear Intended use, type a bad name, undo twice: the warning sat on the Intended use
    box. And at 1280 pixels the measured results (quality beside latency) were wider than
    the page, behind a horizontal scroll bar that cut off the Add target button."""
    from PySide6.QtWidgets import QScrollArea

    from tests.gui.test_ds_flow import _draft, _retype

    window = window_on(measured_copy)
    window.resize(1280, 820)
    contract = _draft(qtbot, window, "bc-lr")
    editor = contract.editor
    _retype(qtbot, editor.use_edit, "Flag biopsies for a second reading.")
    editor.use_edit.setFocus()
    editor.use_edit.selectAll()
    qtbot.keyClick(editor.use_edit, Qt.Key.Key_Delete)
    _retype(qtbot, editor.name_edit, "bad name")
    assert editor.message_for("name").startswith("Name must be 1 to 64 letters")
    for _ in range(2):
        qtbot.keyClick(editor.name_edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(50)  # the layout settles
    shown = [m for m in editor.field_messages.values() if m.isVisible()]
    assert shown, "undo left no warning at all"
    for message in shown:
        for field, widget in editor.field_widgets.items():
            overlap = _rect_in(message, editor).intersected(_rect_in(widget, editor))
            assert overlap.isEmpty(), (field, message.text())
    area = editor.parentWidget()
    while not isinstance(area, QScrollArea):
        area = area.parentWidget()
    assert not area.horizontalScrollBar().isVisible()
    assert editor.width() <= area.viewport().width()


def test_a_parameter_count_target_reads_as_a_whole_number():
    from baton.core.present import fmt_target_value
    from baton.gui.common.verdicts import fmt_threshold

    assert fmt_target_value("params", 0.0) == "0"
    assert fmt_threshold({"metric": "params", "op": "<=", "threshold": 100000.0}) == "≤ 100,000"
    assert fmt_target_value("accuracy", 1.0) == "1.000"  # a ratio keeps four digits
