"""The installed PySide6 keeps Python's reference counts straight (see pyproject.toml)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(int)


def test_calls_returning_none_or_bool_keep_reference_counts(qapp):
    probe = _Emitter()
    before_none, before_true = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(200):
        probe.setObjectName("probe")  # a C++ call that returns nothing
        probe.fired.emit(1)  # emit() returns True
    # A broken build loses one reference per call; a sound one loses none (small
    # fluctuations from other threads stay far below 200).
    assert before_none - sys.getrefcount(None) < 50
    assert before_true - sys.getrefcount(True) < 50
