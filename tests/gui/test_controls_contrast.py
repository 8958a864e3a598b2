"""Check boxes and spin boxes can be seen on a card in both themes.

Fusion outlines both in the window colour darkened; on a dark card that is the card's own
colour, so an unchecked box (the export dialog's training set, the Optimise tab's
"Quantise") and a spin box's frame (latency sampling) did not show at all.
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDoubleSpinBox,
    QFrame,
    QStyle,
    QStyleOptionButton,
    QStyleOptionSpinBox,
    QVBoxLayout,
)

from baton.gui.common import theme

# Below this difference in a colour channel from the card, an outline is hard to see.
VISIBLE = 40


@pytest.fixture(params=["light", "dark"])
def card(request, qtbot):
    manager = theme.manager(QApplication.instance())
    before = manager.mode
    manager.apply(request.param)
    frame = QFrame()
    frame.setObjectName("Card")
    layout = QVBoxLayout(frame)
    frame.box = QCheckBox("Quantise the weights (dynamic, 8 bits)")
    frame.spin = QDoubleSpinBox()
    frame.spin.setSuffix(" s per batch size")
    layout.addWidget(frame.box)
    layout.addWidget(frame.spin)
    qtbot.addWidget(frame)
    frame.show()
    qtbot.waitExposed(frame)
    yield frame
    manager.apply(before)


def _strongest(image, rect, background: QColor) -> int:
    """The largest channel difference from ``background`` of a pixel in ``rect``."""
    strongest = 0
    for x in range(rect.left(), rect.right() + 1):
        for y in range(rect.top(), rect.bottom() + 1):
            c = image.pixelColor(x, y)
            strongest = max(
                strongest,
                abs(c.red() - background.red()),
                abs(c.green() - background.green()),
                abs(c.blue() - background.blue()),
            )
    return strongest


def test_an_unchecked_box_shows_its_outline(card):
    box = card.box
    option = QStyleOptionButton()
    box.initStyleOption(option)
    indicator = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    assert indicator.width() >= 12 and indicator.height() >= 12
    base = QColor(theme.current_colors()["base"])
    assert _strongest(box.grab().toImage(), indicator, base) >= VISIBLE


def test_a_checked_box_is_filled_with_the_accent(card):
    box = card.box
    box.setChecked(True)
    option = QStyleOptionButton()
    box.initStyleOption(option)
    indicator = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    image = box.grab().toImage()
    # Fusion drew a check mark on the card's colour; now the box is the accent, the mark white.
    accent = QColor(theme.current_colors()["accent"])
    corner = image.pixelColor(indicator.left() + 2, indicator.top() + 2)
    assert _strongest(image, indicator, accent) >= VISIBLE  # the white mark
    assert max(abs(corner.red() - accent.red()), abs(corner.blue() - accent.blue())) < 10


def test_a_spin_box_shows_its_frame(card):
    spin = card.spin
    image = spin.grab().toImage()
    base = QColor(theme.current_colors()["base"])
    middle = spin.height() // 2
    # The two leftmost columns of pixels at half height: the frame.
    edge = spin.rect().adjusted(0, middle - 1, 0, 0)
    edge.setWidth(2)
    edge.setHeight(3)
    assert _strongest(image, edge, base) >= VISIBLE // 2
    assert spin.text() == "0.00 s per batch size"


def test_a_spin_box_at_its_minimum_still_shows_both_arrows(card):
    """At its lowest value (the Optimise tab's opset reads "skl2onnx's latest") the down
    arrow is dimmed, not gone: a spin box with one arrow looks broken."""
    spin = card.spin
    assert spin.value() == spin.minimum()
    option = QStyleOptionSpinBox()
    spin.initStyleOption(option)
    image = spin.grab().toImage()
    style = spin.style()
    up, down = (
        style.subControlRect(QStyle.ComplexControl.CC_SpinBox, option, part, spin)
        for part in (QStyle.SubControl.SC_SpinBoxUp, QStyle.SubControl.SC_SpinBoxDown)
    )
    # each arrow against its button's own colour, read at the button's corner
    for rect, least in ((up, VISIBLE), (down, VISIBLE // 2)):
        inner = rect.adjusted(3, 2, -2, -2)
        button = image.pixelColor(inner.left(), inner.top())
        assert _strongest(image, inner, button) >= least, rect
