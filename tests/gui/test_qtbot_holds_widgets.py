"""The desks' tests give their windows to ``qtbot``; the root conftest's ``qtbot`` holds
them until the test's teardown. Without it, a window held only by a reference cycle was
freed by a garbage collection that started inside its own paint, just after the test
returned, and the test process died (a worker of the parallel run, once in CI)."""

from __future__ import annotations

import gc
import weakref

from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class CollectsWhilePainting(QWidget):
    """A widget whose paint starts a garbage collection, as any allocation in a paint may."""

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt naming
        painter = QPainter(self)
        gc.collect()
        painter.drawText(4, 14, "painted")
        painter.end()


def _window_in_a_cycle(qtbot) -> QWidget:
    window = QWidget()
    column = QVBoxLayout(window)
    label = QLabel("names its window")
    column.addWidget(label)
    painted = CollectsWhilePainting()
    painted.setMinimumSize(80, 20)
    column.addWidget(painted)
    label.window_of = window  # the cycle: window -> label -> window
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_a_window_held_only_by_a_cycle_lives_through_its_test(qtbot):
    ref = weakref.ref(_window_in_a_cycle(qtbot))
    gc.collect()
    assert ref() is not None
    assert ref().isVisible()


def test_a_paint_after_the_test_returns_does_not_free_the_window_it_paints(qtbot):
    # The paint runs as pytest-qt processes events once the test has returned: the test
    # fails by killing its process.
    _window_in_a_cycle(qtbot).update()
