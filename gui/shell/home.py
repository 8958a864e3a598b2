"""The home page of both desks: what waits in the catalog and the next step for each.

It shows core's overview (:mod:`baton.core.catalog.overview`, the same reading as
``baton status``): the data scientist's models by stage, the handovers sent and their
decisions, the bundles received and awaiting a decision; each record with the button
that takes its next step. An empty catalog and the demo workspace also get a "start
here" card with the four steps of a handover and the two ways in (import a model, open
a bundle). Files can still be dropped anywhere on the window.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from baton.gui.common import theme
from baton.gui.common.widgets import PlainLabel, ResponsiveGrid, muted_label, title_label

DROP_HINT = (
    "Drop a model (.skops, .onnx, .joblib, .pkl), a dataset (.csv, .parquet) or a bundle "
    "(.baton) onto this window, or use the File menu."
)
# What a record's button says, by the action core names for its stage.
ACTION_TEXT = {
    "evaluate": "Evaluate…",
    "draft": "Draft contract…",
    "export": "Export…",
    "open": "Open",
}
# A decision someone waits for comes first; then the models on their way; then what went.
GROUPS = (
    ("received", "Bundles you received"),
    ("models", "Your models"),
    ("sent", "Handovers you sent"),
)
START_STEPS = (
    (
        "Evaluate",
        "Pick a model on the left, choose its test set and press Evaluate, then Profile: "
        "quality, latency and memory measured on this machine.",
    ),
    (
        "Draft the contract",
        "File › New handover asks for the intended use, the limitations, the datasets and "
        "the targets the engineer will check.",
    ),
    (
        "Export the signed bundle",
        "File › Export bundle signs the model, its data and the contract with your key. "
        "Send the .baton file to the engineer.",
    ),
    (
        "The engineer decides",
        "On their workstation File › Open bundle proves who signed it, re-runs every claim "
        "and records a countersigned decision, which comes back to you as a receipt.",
    ),
)


class HomePage(theme.FollowsTheme, QScrollArea):
    """What waits, stage by stage, with a button for each record's next step.

    ``action_requested(action, ref)``: ``evaluate``, ``draft`` or ``export`` with a model's
    name, ``open`` with a bundle's file, or ``import_model`` / ``open_bundle`` from the
    start card (``ref`` empty).
    """

    action_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.found: Any = None
        self.buttons: list[QPushButton] = []
        self._texts: list[str] = []
        self._lay_out()

    def set_overview(self, found: Any) -> None:
        """Show core's :class:`~baton.core.catalog.overview.Overview` (None: still loading)."""
        self.found = found
        self._lay_out()

    def text(self) -> str:
        """Every sentence on the page, in reading order (what a test reads)."""
        return "\n".join(self._texts)

    def button(self, text: str) -> QPushButton:
        """The first button reading ``text`` (for tests)."""
        for button in self.buttons:
            if button.text() == text:
                return button
        raise LookupError(f"no button reads {text!r}")

    def retheme(self) -> None:
        self._lay_out()

    # -- building

    def _lay_out(self) -> None:
        self._texts, self.buttons = [], []
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        found = self.found
        layout.addWidget(self._label(title_label("Home")))
        if found is None:
            layout.addWidget(self._label(muted_label("Reading the catalog…")))
        else:
            layout.addWidget(self._label(muted_label(_summary(found))))
            if found.empty or found.demo:
                layout.addWidget(self._start_card(found))
            for key, heading in GROUPS:
                stages = getattr(found, key)
                if not stages:
                    continue
                layout.addWidget(self._label(title_label(heading, "SectionTitle")))
                grid = ResponsiveGrid(threshold=820)
                grid.set_items([(self._stage_card(key, stage), False) for stage in stages])
                layout.addWidget(grid)
        layout.addWidget(self._label(muted_label(DROP_HINT)))
        layout.addStretch(1)
        old = self.takeWidget()
        self.setWidget(content)
        if old is not None:
            old.deleteLater()

    def _label(self, label: Any) -> Any:
        self._texts.append(label.text())
        return label

    def _button(self, text: str, action: str, ref: str, primary: bool = False) -> QPushButton:
        button = QPushButton(text)
        if primary:
            button.setObjectName("Primary")
        button.clicked.connect(lambda: self.action_requested.emit(action, ref))
        self.buttons.append(button)
        return button

    def _start_card(self, found: Any) -> QFrame:
        frame = _card()
        layout = frame.layout()
        heading = "Start here" if found.empty else "Start here: this is the demo workspace"
        layout.addWidget(self._label(title_label(heading, "SectionTitle")))
        intro = (
            "A handover takes four steps, two on each desk."
            if found.empty
            else "Its models are imported and measured and a first contract is drafted: "
            "take the four steps with the models below."
        )
        layout.addWidget(self._label(muted_label(intro)))
        steps = QGridLayout()
        steps.setHorizontalSpacing(10)
        steps.setVerticalSpacing(6)
        for row, (title, text) in enumerate(START_STEPS):
            top = Qt.AlignmentFlag.AlignTop
            name = self._label(title_label(f"{row + 1}. {title}", "SubsectionTitle"))
            name.setWordWrap(False)  # the column is as wide as the longest step's name
            steps.addWidget(name, row, 0, top)
            step = self._label(PlainLabel(text))
            step.setWordWrap(True)
            steps.addWidget(step, row, 1, top)
        steps.setColumnStretch(1, 1)
        layout.addLayout(steps)
        if found.empty:
            row_layout = QHBoxLayout()
            row_layout.addWidget(self._button("Import a model…", "import_model", "", primary=True))
            row_layout.addWidget(self._button("Open a bundle you received…", "open_bundle", ""))
            row_layout.addStretch(1)
            layout.addLayout(row_layout)
        return frame

    def _stage_card(self, group: str, stage: Any) -> QFrame:
        frame = _card()
        layout = frame.layout()
        layout.addWidget(
            self._label(title_label(f"{stage.title} · {stage.count:,}", "SubsectionTitle"))
        )
        layout.addWidget(self._label(muted_label(stage.next_step)))
        rows = QGridLayout()
        rows.setHorizontalSpacing(10)
        rows.setVerticalSpacing(4)
        for row, item in enumerate(stage.items):
            names = QVBoxLayout()
            names.setSpacing(0)
            name = self._label(PlainLabel(item.label))
            name.setWordWrap(True)
            names.addWidget(name)
            detail = item.detail if item.exists else f"{item.detail} · file no longer there"
            if detail:
                names.addWidget(self._label(muted_label(detail)))
            rows.addLayout(names, row, 0)
            button = self._button(ACTION_TEXT.get(stage.action, "Open"), stage.action, item.ref)
            button.setEnabled(item.exists)
            if not item.exists:
                button.setToolTip("The file is no longer where it was opened or saved.")
            rows.addWidget(button, row, 1, Qt.AlignmentFlag.AlignTop)
        rows.setColumnStretch(0, 1)
        layout.addLayout(rows)
        more = stage.count - len(stage.items)
        if more > 0:
            where = {"models": "Models", "sent": "Handovers", "received": "Received"}[group]
            layout.addWidget(
                self._label(muted_label(f"… and {more:,} more under {where} on the left."))
            )
        layout.addStretch(1)
        return frame


def _card() -> QFrame:
    frame = QFrame()
    frame.setObjectName("Card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(14, 12, 14, 12)
    layout.setSpacing(6)
    return frame


def _summary(found: Any) -> str:
    """One sentence: how much is here and what waits."""
    if found.empty:
        return "Your catalog is empty."
    parts = []
    models = sum(s.count for s in found.models)
    if models:
        waiting = sum(s.count for s in found.models if s.key in ("not_evaluated", "evaluated"))
        parts.append(f"{models:,} model{'s' if models != 1 else ''} not yet handed over")
        if waiting:
            parts[-1] += f" ({waiting:,} still to evaluate or draft)"
    sent = sum(s.count for s in found.sent)
    if sent:
        parts.append(f"{sent:,} handover{'s' if sent != 1 else ''} sent")
    awaiting = sum(s.count for s in found.received if s.key == "verified")
    if awaiting:
        parts.append(f"{awaiting:,} bundle{'s' if awaiting != 1 else ''} awaiting your decision")
    return ("; ".join(parts) + ".") if parts else "Nothing is waiting for you."
