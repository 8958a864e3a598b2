"""The bundle page's Decision tab and the countersign dialog."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from baton.core.contract import candidates as cands
from baton.core.present import fmt_target_value, fmt_when, target_label
from baton.gui.common import theme
from baton.gui.common.tables import ReadOnlyTable
from baton.gui.common.verdicts import (
    DECISION_HELP,
    DECISION_TEXT,
    VERDICT_KIND,
    VERDICT_TEXT,
    fmt_threshold,
    target_key,
)
from baton.gui.common.widgets import Banner, PlainLabel, card, muted_label, title_label

RECEIPT_FILTER = "Review receipts (*.review.baton)"


class CountersignDialog(QDialog):
    """The passphrase and where to save the receipt; stays open until signing succeeds."""

    sign_requested = Signal(str, str)  # passphrase, receipt path

    def __init__(
        self, decision: str, bundle_label: str, default_out: Path, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle("Countersign the decision")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(title_label(f"{DECISION_TEXT[decision]}: {bundle_label}", "SectionTitle"))
        layout.addWidget(
            muted_label(
                "Your signing key signs the decision, your comments and what you reproduced. "
                "The receipt goes back to the data scientist, who can verify it."
            )
        )
        form = QFormLayout()
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("The passphrase of your signing key")
        form.addRow("&Passphrase", self.passphrase)
        self.out = QLineEdit(str(default_out))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self.choose_out)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out, 1)
        out_row.addWidget(browse)
        out_label = QLabel("Save &receipt to")
        out_label.setBuddy(self.out)
        form.addRow(out_label, out_row)
        layout.addLayout(form)
        self.banner = Banner(closable=False)
        layout.addWidget(self.banner)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(10)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sign_button = self.buttons.addButton(
            "Countersign", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.sign_button.setObjectName("Primary")
        self.buttons.accepted.connect(self._sign)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.passphrase.textChanged.connect(self._update)
        self.out.textChanged.connect(self._update)
        self._update()

    def choose_out(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the review receipt", self.out.text(), RECEIPT_FILTER
        )
        if path:
            self.out.setText(path if path.endswith(".review.baton") else path + ".review.baton")

    def _update(self) -> None:
        self.sign_button.setEnabled(bool(self.passphrase.text()) and bool(self.out.text().strip()))

    def _sign(self) -> None:
        if not self.sign_button.isEnabled():
            return
        self.banner.hide()
        self.set_busy(True)
        self.sign_requested.emit(self.passphrase.text(), self.out.text().strip())

    def set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.sign_button.setEnabled(not busy)
        self.passphrase.setEnabled(not busy)
        self.out.setEnabled(not busy)

    def show_error(self, message: str) -> None:
        self.set_busy(False)
        self.banner.show_message(message, "error")
        self.passphrase.selectAll()
        self.passphrase.setFocus()


class DecisionView(QWidget):
    """Accept / request changes / reject, comments, and the Countersign button."""

    countersign_requested = Signal()

    COMMENT_COLUMN = 5

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(12)
        self.banner = Banner(closable=False)
        layout.addWidget(self.banner)
        self.result_decision = PlainLabel()
        font = self.result_decision.font()
        font.setPointSizeF(font.pointSizeF() + 3)
        font.setBold(True)
        self.result_decision.setFont(font)
        self.result = PlainLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_card = card(self.result_decision, self.result, title="Countersigned")
        self.result_card.hide()
        layout.addWidget(self.result_card)
        self.group = QButtonGroup(self)
        self.radios: dict[str, QRadioButton] = {}
        radios = QVBoxLayout()
        for decision in ("accept", "changes", "reject"):
            radio = QRadioButton(DECISION_TEXT[decision])
            radio.setToolTip(DECISION_HELP[decision])
            self.group.addButton(radio)
            self.radios[decision] = radio
            line = QHBoxLayout()
            line.addWidget(radio)
            line.addWidget(muted_label(DECISION_HELP[decision], wrap=False))
            line.addStretch(1)
            radios.addLayout(line)
        radio_box = QWidget()
        radio_box.setLayout(radios)
        # A bundle of several candidates: accepting it accepts one of them.
        self.candidate = QComboBox()
        self.candidate.setAccessibleName("Candidate to accept")
        self.candidate_hint = muted_label()
        self.candidate_row = QWidget()
        chooser = QHBoxLayout(self.candidate_row)
        chooser.setContentsMargins(0, 0, 0, 0)
        chooser_label = QLabel("Accept the &candidate")
        chooser_label.setBuddy(self.candidate)
        chooser.addWidget(chooser_label)
        chooser.addWidget(self.candidate)
        chooser.addWidget(self.candidate_hint, 1)
        self.candidate_row.hide()
        layout.addWidget(card(radio_box, self.candidate_row, title="Decision"))
        self.comment = QPlainTextEdit()
        self.comment.setPlaceholderText(
            "Why? What you checked, on which hardware, what must change. The data scientist reads this."
        )
        self.comment.setFixedHeight(90)
        layout.addWidget(card(self.comment, title="Overall comment"))
        self.targets = ReadOnlyTable(
            ("Target", "Agreed", "Claimed", "Measured here", "Verdict here", "Your comment"),
            numeric=(2, 3),
            editable=(self.COMMENT_COLUMN,),
        )
        self.targets.setWordWrap(True)
        layout.addWidget(
            card(
                muted_label("Double-click a comment cell to write about one target (optional)."),
                self.targets,
                title="Comments per target",
            )
        )
        self.sign_button = QPushButton(theme.icon("key"), "Countersign…")
        self.sign_button.setObjectName("Primary")
        self.sign_button.clicked.connect(self.countersign_requested)
        self.hint = muted_label()
        row = QHBoxLayout()
        row.addWidget(self.sign_button)
        row.addWidget(self.hint, 1)
        layout.addLayout(row)
        layout.addStretch(1)
        self.group.buttonToggled.connect(self._update)
        self.comment.textChanged.connect(self._update)
        self.allowed = False
        self.decided = False  # countersigned: the receipt is written, the form is a record
        self.target_keys: list[str] = []
        self.candidate.currentIndexChanged.connect(self._update)
        self._update()

    def set_candidates(self, contract: Mapping[str, Any]) -> None:
        """The candidates to choose from when the bundle hands over several; the
        recommended one is chosen to begin with."""
        self.candidate.clear()
        multi = cands.is_multi(contract)
        self.candidate_row.setVisible(multi)
        if not multi:
            return
        for c in cands.candidates(contract):
            # addItem shows plain text: candidate names are data from the bundle
            self.candidate.addItem(c.name + (" (recommended)" if c.recommended else ""), c.name)
        chosen = cands.recommended(contract)
        self.candidate.setCurrentIndex(self.candidate.findData(chosen.name) if chosen else -1)
        self.candidate_hint.setText(
            "Accepting chooses one; request changes and reject choose none."
        )

    def chosen(self) -> str | None:
        """The candidate an acceptance chooses (None: one model, or another decision)."""
        if self.decision() != "accept" or not self.candidate.count():
            return None
        data = self.candidate.currentData()
        return str(data) if data is not None else None

    def set_targets(
        self, contract_targets: Sequence[Mapping[str, Any]], reproduction: Mapping[str, Any] | None
    ) -> None:
        """One row per contract target, with what reproduce found if it ran."""
        kept = self.target_comments()
        here = {t["target"]: t for t in (reproduction or {}).get("targets") or []}
        self.target_keys = [target_key(t) for t in contract_targets]
        rows, kinds = [], []
        for t, key in zip(contract_targets, self.target_keys, strict=True):
            h = here.get(key)
            verdict = h.get("verdict_here") if h else None
            rows.append(
                (
                    target_label(key),
                    fmt_threshold(t),
                    fmt_target_value(t["metric"], t.get("measured")),
                    fmt_target_value(t["metric"], h.get("here")) if h else "not reproduced",
                    VERDICT_TEXT.get(verdict, "—") if verdict else "—",
                    kept.get(key, ""),
                )
            )
            kinds.append(VERDICT_KIND.get(verdict) if verdict else None)
        self.targets.set_rows(rows, kinds=kinds, status_column=4)

    def set_comment_for(self, key: str, text: str) -> None:
        row = self.target_keys.index(key)
        self.targets.item(row, self.COMMENT_COLUMN).setText(text)

    def target_comments(self) -> dict[str, str]:
        out = {}
        for r, key in enumerate(self.target_keys):
            item = self.targets.item(r, self.COMMENT_COLUMN)
            if item is not None and item.text().strip():
                out[key] = item.text().strip()
        return out

    def decision(self) -> str | None:
        return next((d for d, r in self.radios.items() if r.isChecked()), None)

    def set_allowed(self, allowed: bool, why: str = "") -> None:
        self.allowed = allowed
        if allowed:
            self.banner.hide()
        elif why:
            self.banner.show_message(why, "warning")
        self._update()

    def _update(self, *_: Any) -> None:
        decision, comment = self.decision(), self.comment.toPlainText().strip()
        needs_choice = (
            decision == "accept"
            and self.candidate.count() > 0
            and self.candidate.currentIndex() < 0
        )
        self.candidate.setEnabled(decision in (None, "accept") and not self.decided)
        self.sign_button.setEnabled(
            self.allowed
            and bool(decision)
            and bool(comment)
            and not needs_choice
            and not self.decided
        )
        if self.decided:
            self.hint.setText("Countersigned: the receipt above records this decision.")
        elif not self.allowed:
            self.hint.setText("")
        elif not decision:
            self.hint.setText("Choose accept, request changes or reject.")
        elif needs_choice:
            self.hint.setText("Choose the candidate you accept.")
        elif not comment:
            self.hint.setText("Write an overall comment: the data scientist reads it.")
        else:
            self.hint.setText(
                "You will be asked for your passphrase and where to save the receipt."
            )

    def show_result(self, review: Mapping[str, Any]) -> None:
        c = theme.current_colors()
        color = {"accept": c["ok_text"], "changes": c["warn_text"], "reject": c["err_text"]}[
            review["decision"]
        ]
        reproduced = review.get("reproduced")
        decision = DECISION_TEXT[review["decision"]]
        self.result_decision.setText(decision)
        self.result_decision.setStyleSheet(f"color: {color};")
        chosen = f" (candidate {review['chosen']})" if review.get("chosen") else ""
        self.result.setText(
            f"{decision}{chosen}: receipt written to {review['file']}\n"
            f"Signed by {review['reviewer']['name']} on {fmt_when(review.get('created'))}; "
            + (
                f"it records the reproduction of {fmt_when(reproduced.get('created'))} "
                f"(verdict {reproduced.get('verdict')})."
                if reproduced
                else "it records no reproduction (none was run here)."
            )
            + "\nSend the receipt to the data scientist; `baton verify` or Baton's window "
            "shows it to them."
        )
        self.result_card.show()
        self._lock()

    def _lock(self) -> None:
        """A signed decision cannot change: the form stays as it was signed, read-only."""
        self.decided = True
        for radio in self.radios.values():
            radio.setEnabled(False)
        self.comment.setReadOnly(True)
        self.targets.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._update()
