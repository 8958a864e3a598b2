"""The status-bar strip that shows running work: what runs, progress, Cancel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QToolButton, QWidget

from baton.gui.common import theme
from baton.gui.common.widgets import PlainLabel, plain_tooltip
from baton.gui.common.workers import TaskRunner


class TaskStatus(QWidget):
    """Status-bar strip: what runs, a progress bar and a Cancel button."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 4, 0)
        layout.setSpacing(6)
        self.label = PlainLabel()
        self.label.setMinimumWidth(120)
        self.bar = QProgressBar()
        self.bar.setFixedWidth(160)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.cancel_button.setIcon(theme.icon("cancel"))
        self.cancel_button.setToolTip("Stop the running task")
        self.cancel_button.clicked.connect(self.cancel)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        runner.changed.connect(self.refresh)
        self.hide()

    def current(self):
        active = self.runner.active()
        return active[0] if active else None

    def cancel(self) -> None:
        worker = self.current()
        if worker is not None:
            worker.cancel()
            self.refresh()

    def refresh(self) -> None:
        active = self.runner.active()
        if not active:
            self.hide()
            return
        worker = active[0]
        text = worker.title
        if worker.cancelling:
            text = f"Cancelling: {worker.title}"
        elif worker.last_message:
            text = f"{worker.title}: {worker.last_message}"
        elif not worker.running:
            text = f"{worker.title} (waiting)"
        if len(active) > 1:
            text += f"  (+{len(active) - 1} queued)"
        self.label.setToolTip(plain_tooltip(text))
        metrics = self.label.fontMetrics()
        self.label.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, 460))
        if worker.last_fraction is None:
            self.bar.setRange(0, 0)  # busy
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(worker.last_fraction * 1000))
        self.cancel_button.setEnabled(not worker.cancelling)
        self.show()
