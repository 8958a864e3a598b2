"""The pieces every signed document's page shares: the verification banner."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from baton.gui.common import theme
from baton.gui.common.widgets import (
    PlainLabel,
)


class VerificationBanner(QFrame):
    """The outcome of a verification: a headline, a detail, the file, and actions.

    ``kind`` is ``info`` (running), ``ok`` (green), ``warning`` (amber) or ``error`` (red);
    it uses the application stylesheet's banner colours.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 10, 10, 10)
        layout.setSpacing(10)
        self.icon = QLabel()
        self.icon.setFixedSize(28, 28)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        texts = QVBoxLayout()
        texts.setSpacing(3)
        self.headline = PlainLabel()
        self.headline.setObjectName("BannerHeadline")
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() + 2)
        font.setBold(True)
        self.headline.setFont(font)
        self.detail = PlainLabel()
        self.file = PlainLabel()
        for label in (self.headline, self.detail, self.file):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            texts.addWidget(label)
        self.progress = QProgressBar()
        self.progress.setMaximumHeight(12)
        self.progress.setTextVisible(False)
        texts.addWidget(self.progress)
        layout.addLayout(texts, 1)
        buttons = QVBoxLayout()
        buttons.setSpacing(4)
        self.trust_button = QPushButton(theme.icon("key"), "Trust this key…")
        self.retry_button = QPushButton("Verify again")
        self.cancel_button = QPushButton(theme.icon("cancel"), "Cancel")
        for button in (self.trust_button, self.retry_button, self.cancel_button):
            buttons.addWidget(button)
            button.hide()
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.kind = ""
        self.show_state("info", "")

    def show_state(
        self, kind: str, headline: str, detail: str = "", file: str = "", busy: bool = False
    ) -> None:
        self.kind = kind
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        for label in (self.headline, self.detail, self.file):
            self.style().unpolish(label)
            self.style().polish(label)
        colors = theme.current_colors()
        fg = {
            "ok": colors["ok_text"],
            "warning": colors["warn_text"],
            "error": colors["err_text"],
        }.get(kind, colors["info_text"])
        name = {"ok": "shield-ok", "warning": "shield-alert", "error": "error"}.get(kind, "info")
        self.icon.setPixmap(theme.pixmap(name, 28, fg))
        self.headline.setText(headline)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.file.setText(file)
        self.file.setVisible(bool(file))
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.retry_button.setVisible(not busy and kind in ("warning", "error"))
        if busy:
            self.trust_button.hide()

    def set_progress(self, done: Any, total: Any) -> None:
        if done is None or not total:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(max(0.0, min(1.0, float(done) / float(total))) * 1000))

    def show_busy(self, headline: str, detail: str = "", file: str = "") -> None:
        """The blue running state with an indeterminate progress bar."""
        self.show_state("info", headline, detail, file, busy=True)
        self.set_progress(None, None)

    def show_progress(self, done: Any, total: Any, message: str) -> None:
        """A worker's progress report: the bar, and its message (if any) as the detail."""
        self.set_progress(done, total)
        if message:
            self.detail.setText(message)
            self.detail.show()

    def text(self) -> str:
        """Headline and detail as the user reads them."""
        return "\n".join(t for t in (self.headline.text(), self.detail.text()) if t)
