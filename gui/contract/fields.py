"""What the contract editor's fields share: the wording of its empty and hint states, the
units and operators targets are written with, and how a field refused by core is marked
(red, with core's sentence beside it)."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QWidget,
)

from baton.gui.common import theme

NO_MODEL = "Pick a model on the left to write its handover contract."


NO_DRAFT = (
    "No contract for {model} yet. A contract is the handover's evidence — the model, the "
    "data it was measured on, its results — and the targets you agree with the engineer, "
    "such as accuracy ≥ 0.95 or p95 latency at batch 32 ≤ 20 ms."
)


NO_TARGETS = (
    "No targets yet. Add the clauses agreed with the engineer below, e.g. accuracy>=0.95 or "
    "latency_p95_ms@32<=20."
)


ADD_TARGET_HINT = "accuracy>=0.95, latency_p95_ms@32<=20±2, memory_mb<=256 …"
IDENTITY_FIELDS = ("name", "version", "intended_use", "limitations")
TARGET_FIELDS = ("metric", "op", "threshold", "batch", "tolerance", "note")


# Issues a draft has by nature: packing adds the predictions and names the signer.
FILLED_WHEN_PACKED = ("predictions", "identity.authors")
OPERATOR_TEXT = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}
UNITS = {"ms": "milliseconds", "mb": "MB (2^20 bytes)", "rps": "rows per second"}
TARGET_PATH = re.compile(r"^targets\[(\d+)\](?:\.(\w+))?")


def unit_of(metric: str) -> str:
    return UNITS.get(metric.rsplit("_", 1)[-1], "")


def _polish(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()


def mark_invalid(widget: QWidget, kind: str | None) -> None:
    """Give a field the stylesheet's red (``error``) or amber (``warning``) border, or none."""
    if widget.property("problem") != (kind or ""):
        widget.setProperty("problem", kind or "")
        _polish(widget)


def parse_number(text: str) -> Any:
    """A number typed into a field, or the text itself for core to name the problem."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        return text


class FieldMessage(QWidget):
    """A sentence beside a field: an icon and wrapped text, red for errors, amber for warnings."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.icon = QLabel()
        self.icon.setFixedSize(16, 16)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.label, 1)
        self.kind = ""
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        if not text:
            self.clear()
            return
        self.kind = kind
        self.label.setObjectName("FieldError" if kind == "error" else "FieldWarning")
        _polish(self.label)
        colors = theme.current_colors()
        color = colors["err_text"] if kind == "error" else colors["warn_text"]
        self.icon.setPixmap(theme.pixmap("error" if kind == "error" else "warning", 16, color))
        self.label.setText(text)
        self.show()

    def clear(self) -> None:
        self.kind = ""
        self.label.setText("")
        self.hide()

    def text(self) -> str:
        return self.label.text() if not self.isHidden() else ""
