"""File › Export bundle…: sign the open contract draft into ``NAME-VERSION.baton``.

The dialog gathers what ``core.handover.packing.pack_contract`` needs — my key's passphrase, which of
the train and validation sets travel in the bundle (a set left out is still listed in
the contract by its fingerprint), the destination — and runs it on the worker with
progress and Cancel. Packing signs the figures the editor showed where they still hold
and measures only what is stale or missing; when a figure or verdict differs from what
the editor showed, the dialog lists them in plain text and waits for "Sign with these
figures" or "Stop" (which writes nothing). The result shows the file, the signer's
fingerprint, the root digest and the targets' verdicts as signed. A wrong passphrase is
reported here and writes nothing. With no signing key yet, the keys page's create
dialog makes one.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from baton.core.present import fmt_size, fmt_target_value, target_label
from baton.gui.common import jobs, theme
from baton.gui.common.documents import DocumentButtons
from baton.gui.common.signed import FingerprintLabel
from baton.gui.common.tables import ReadOnlyTable, scroll_page
from baton.gui.common.verdicts import (
    VERDICT_KIND,
    VERDICT_TEXT,
    fmt_threshold,
    target_key,
)
from baton.gui.common.widgets import (
    Banner,
    KeyValueGrid,
    PlainLabel,
    card,
    muted_label,
    title_label,
)
from baton.gui.contract.fields import FILLED_WHEN_PACKED, FieldMessage, mark_invalid
from baton.gui.keys.keys_view import CreateKeyDialog

BUNDLE_FILTER = "Baton bundles (*.baton)"
LAST_DIR_KEY = "export/last_dir"
ROLE_WORDS = {"train": "training set", "validation": "validation set"}


def default_destination(settings, contract: Mapping[str, Any]) -> Path:
    """``NAME-VERSION.baton`` in the folder of the last export (else the home folder)."""
    ident = contract["identity"]
    folder = settings.value(LAST_DIR_KEY) if settings is not None else None
    folder = Path(folder) if folder and Path(folder).is_dir() else Path.home()
    from baton.core.errors import ContractError
    from baton.core.handover.bundle import bundle_file_name

    try:
        return folder / bundle_file_name(ident["name"], ident["version"])
    except (ContractError, TypeError):  # not a version yet: the export itself will say why
        return folder / f"{ident['name']}-{ident['version']}.baton"


class Confirmation(QObject):
    """The question "sign these changed figures?", asked from the worker thread.

    Called by the packing job with the changes; ``asked`` carries them (as lines) to the
    dialog on the GUI thread, and the job waits for :meth:`answer`, or for Cancel.
    """

    asked = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._answered = threading.Event()
        self._go = False

    def __call__(self, changes, cancel) -> bool:
        self._answered.clear()
        self.asked.emit([str(c) for c in changes])
        while not self._answered.wait(0.1):
            cancel.check()
        return self._go

    def answer(self, go: bool) -> None:
        self._go = go
        self._answered.set()


class ExportDialog(QDialog):
    """Sign a contract draft as a bundle; see the module docstring.

    ``ctx`` is the main window (home, runner, settings). Signals: ``exported(result)``
    with ``PackResult.as_dict()``, ``export_failed(message)``.
    """

    exported = Signal(dict)
    export_failed = Signal(str)
    key_created = Signal(dict)

    def __init__(
        self,
        ctx,
        contract: Mapping[str, Any],
        model: Mapping[str, Any],
        parent: QWidget | None = None,
        *,
        blocking: str = "",
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.contract = copy.deepcopy(dict(contract))
        self.model = dict(model)
        self.result: dict[str, Any] | None = None
        self.worker = None
        self.key_dialog: CreateKeyDialog | None = None
        self.me: dict[str, Any] | None = None
        self.stopped = False
        self.confirmation = Confirmation(self)
        self.confirmation.asked.connect(self._show_changes)
        ident = self.contract["identity"]
        self.setObjectName("ExportDialog")
        self.setWindowTitle("Export bundle")
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(
            title_label(
                f"Export {ident['name']} {ident['version']} as a signed bundle", "SectionTitle"
            )
        )
        self.pages = QStackedWidget()
        layout.addWidget(self.pages, 1)
        self.pages.addWidget(self._form_page(blocking))
        # The result lists every target: it scrolls rather than cut the table off.
        self.pages.addWidget(scroll_page(self._result_page()))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.export_button = QPushButton(
            theme.icon("export", theme.current_colors()["accent_text"]), "Export"
        )
        self.export_button.setObjectName("Primary")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.show_button = QPushButton(theme.icon("open-bundle"), "Show in folder")
        self.show_button.clicked.connect(self.show_in_folder)
        self.show_button.hide()
        buttons.addWidget(self.show_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.export_button)
        layout.addLayout(buttons)
        self.refresh_key()
        self._update()

    # -- building

    def _form_page(self, blocking: str) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        self.problems = Banner(closable=False)
        layout.addWidget(self.problems)
        self.blocking = [blocking] if blocking else []
        self.blocking += [
            issue.sentence
            for issue in self._contract_issues()
            if issue.path not in FILLED_WHEN_PACKED
        ]
        if self.blocking:
            self.problems.show_message(
                "Fix the contract first: " + " ".join(self.blocking), "error"
            )

        # My key
        self.key_name = PlainLabel()
        self.key_name.setWordWrap(True)
        self.key_fingerprint = FingerprintLabel("", 12.0)
        self.create_key_button = QPushButton(theme.icon("key"), "Create my key…")
        self.create_key_button.clicked.connect(self.open_create_key_dialog)
        self.key_message = FieldMessage()
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_name, 1)
        key_row.addWidget(self.create_key_button)
        key_box = QWidget()
        key_column = QVBoxLayout(key_box)
        key_column.setContentsMargins(0, 0, 0, 0)
        key_column.addLayout(key_row)
        key_column.addWidget(self.key_fingerprint)
        key_column.addWidget(self.key_message)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("The passphrase of your signing key")
        self.passphrase.textEdited.connect(lambda _t: self._passphrase_problem(""))
        self.passphrase.textChanged.connect(self._update)
        self.passphrase_message = FieldMessage()
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("Signed by", key_box)
        passphrase_box = QWidget()
        column = QVBoxLayout(passphrase_box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(3)
        column.addWidget(self.passphrase)
        column.addWidget(self.passphrase_message)
        form.addRow("&Passphrase", passphrase_box)
        layout.addWidget(card(self._wrap(form), title="Signature"))

        # Datasets
        data = QWidget()
        data_layout = QVBoxLayout(data)
        data_layout.setContentsMargins(0, 0, 0, 0)
        data_layout.setSpacing(4)
        self.include: dict[str, QCheckBox] = {}
        self.left_out: dict[str, QLabel] = {}
        from baton.core.present import format_fingerprint

        for d in sorted(self.contract["datasets"], key=lambda d: d["role"] != "test"):
            rows = f"{d['rows']:,} rows" if isinstance(d.get("rows"), int) else ""
            if d["role"] == "test":
                box = QCheckBox(f"Test set {d['name']} ({rows}) — always included")
                box.setChecked(True)
                box.setEnabled(False)
                box.setToolTip("Its labels are what every metric in the contract is measured on")
                data_layout.addWidget(box)
                continue
            box = QCheckBox(
                f"Include the {ROLE_WORDS.get(d['role'], d['role'])} {d['name']} ({rows})"
            )
            box.setChecked(True)
            note = muted_label(
                "Left out: the contract lists it by fingerprint only — "
                + format_fingerprint(d.get("fingerprint") or "")
            )
            note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            note.hide()
            box.toggled.connect(lambda on, n=note: n.setVisible(not on))
            box.toggled.connect(self._update)
            self.include[d["role"]] = box
            self.left_out[d["role"]] = note
            data_layout.addWidget(box)
            data_layout.addWidget(note)
        if not self.include:
            data_layout.addWidget(
                muted_label(
                    "The contract names no train or validation set; only the test set travels."
                )
            )
        layout.addWidget(card(data, title="Datasets in the bundle"))

        # Destination and measuring
        self.destination = QLineEdit(
            str(default_destination(getattr(self.ctx, "settings", None), self.contract))
        )
        self.destination.textChanged.connect(self._update)
        choose = QPushButton("Choose…")
        choose.clicked.connect(self.choose_destination)
        row = QHBoxLayout()
        row.addWidget(self.destination, 1)
        row.addWidget(choose)
        self.destination_message = FieldMessage()
        destination_box = QWidget()
        column = QVBoxLayout(destination_box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(3)
        column.addLayout(row)
        column.addWidget(self.destination_message)
        self.budget = QDoubleSpinBox()
        self.budget.setRange(0.05, 600.0)
        self.budget.setDecimals(2)
        self.budget.setSingleStep(0.5)
        self.budget.setValue(1.0)
        self.budget.setSuffix(" s per batch size")
        self.budget.setToolTip(
            "Used only for what must be measured again: the draft's own figures are signed "
            "while the model, the data and the package versions are those they were measured with"
        )
        out_form = QFormLayout()
        out_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        out_form.addRow("&Save as", destination_box)
        out_form.addRow("&Latency sampling", self.budget)
        layout.addWidget(card(self._wrap(out_form), title="Bundle file"))

        # Figures measured now that differ from the editor's: sign them, or stop.
        self.changes_text = QPlainTextEdit()
        self.changes_text.setReadOnly(True)
        self.changes_text.setMinimumHeight(120)
        self.go_button = QPushButton("Sign with these figures")
        self.go_button.clicked.connect(lambda: self._answer(True))
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(lambda: self._answer(False))
        answer_row = QHBoxLayout()
        answer_row.addStretch(1)
        answer_row.addWidget(self.stop_button)
        answer_row.addWidget(self.go_button)
        answers = QWidget()
        answers.setLayout(answer_row)
        self.changes_box = card(
            muted_label(
                "Measured now, these differ from what the editor showed. Nothing is signed "
                "yet: sign with these figures, or stop and leave everything as it was."
            ),
            self.changes_text,
            answers,
            title="Changed since the editor showed them",
        )
        self.changes_box.hide()
        layout.addWidget(self.changes_box)

        # Progress
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(12)
        self.status = muted_label()
        self.progress.hide()
        self.status.hide()
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)
        return page

    def _result_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        self.result_banner = Banner(closable=False)
        layout.addWidget(self.result_banner)
        self.result_facts = KeyValueGrid()
        self.signer = FingerprintLabel("", 12.0)
        layout.addWidget(
            card(self.result_facts, muted_label("Signer's key"), self.signer, title="Bundle")
        )
        self.verdicts = ReadOnlyTable(("Target", "Agreed", "Measured", "Verdict"), numeric=(2,))
        self.verdicts.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.verdicts.setSelectionMode(ReadOnlyTable.SelectionMode.NoSelection)
        self.no_targets = muted_label("The contract has no targets.")
        layout.addWidget(card(self.verdicts, self.no_targets, title="Targets as signed"))
        # The signed contract's card and ML-BOM, for a model registry or supply-chain tools.
        self.document_buttons = DocumentButtons(
            lambda: (self.result or {}).get("contract"),
            lambda: Path(self.result["file"]).parent if self.result else Path.home(),
        )
        layout.addWidget(self.document_buttons)
        layout.addWidget(
            muted_label(
                "Send the file to the engineer. Give them your public key once (Keys › Export) "
                "and read them its fingerprint by phone; their decision comes back as "
                "NAME-VERSION.review.baton — open it here to record it."
            )
        )
        layout.addStretch(1)
        return page

    @staticmethod
    def _wrap(form: QFormLayout) -> QWidget:
        box = QWidget()
        box.setLayout(form)
        return box

    # -- state

    def _contract_issues(self) -> list:
        from baton.core.contract.document import validate_contract

        return validate_contract(self.contract, complete=True)

    def refresh_key(self) -> None:
        from baton.core.handover import trust

        self.me = trust.identity(self.ctx.home)
        has = self.me is not None
        self.create_key_button.setVisible(not has)
        self.key_fingerprint.setVisible(has)
        self.passphrase.setEnabled(has)
        if has:
            self.key_name.setText(f"{self.me['name']} <{self.me['email']}>")
            self.key_fingerprint.set_fingerprint(self.me["fingerprint"])
            self.key_message.clear()
        else:
            self.key_name.setText("You have no signing key yet.")
            self.key_message.show_message(
                "A bundle is signed with your key: create one (name, e-mail, passphrase). It "
                "stays on this computer; colleagues get only its public half.",
                "warning",
            )
        self._update()

    def includes(self) -> tuple[str, ...]:
        """The roles whose rows travel in the bundle (``pack_contract``'s ``include``)."""
        return tuple(role for role, box in self.include.items() if box.isChecked())

    def _destination_problem(self) -> str:
        text = self.destination.text().strip()
        if not text:
            return "Choose where to write the bundle."
        path = Path(text).expanduser()
        if path.suffix != ".baton":
            return "A bundle's file name ends in .baton."
        if not path.parent.is_dir():
            return f"The folder {path.parent} does not exist."
        return ""

    def _update(self, *_: object) -> None:
        problem = self._destination_problem()
        exists = not problem and Path(self.destination.text().strip()).expanduser().exists()
        self.destination_message.show_message(
            problem or ("A file with this name exists; exporting replaces it." if exists else ""),
            "error" if problem else "warning",
        )
        mark_invalid(self.destination, "error" if problem else None)
        running = self.worker is not None
        self.export_button.setEnabled(
            not running
            and not self.blocking
            and self.me is not None
            and bool(self.passphrase.text())
            and not problem
        )

    def _passphrase_problem(self, message: str) -> None:
        self.passphrase_message.show_message(message, "error")
        mark_invalid(self.passphrase, "error" if message else None)

    # -- actions

    def choose_destination(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the bundle as", self.destination.text(), BUNDLE_FILTER
        )
        if path:
            if not path.endswith(".baton"):
                path += ".baton"
            self.destination.setText(path)

    def open_create_key_dialog(self) -> CreateKeyDialog:
        dialog = CreateKeyDialog(self)
        dialog.accepted.connect(lambda d=dialog: self._create_key(*d.values()))
        self.key_dialog = dialog
        dialog.open()
        return dialog

    def _create_key(self, name: str, email: str, passphrase: str) -> None:
        from baton.gui.common.review_worker import submit

        self.create_key_button.setEnabled(False)
        submit(
            self.ctx.runner,
            self,
            "Creating my signing key",
            jobs.create_key_job(name, email, passphrase),
            on_success=self._key_created,
            on_failure=self._key_failed,
        )

    def _key_created(self, me: dict[str, Any]) -> None:
        self.create_key_button.setEnabled(True)
        self.refresh_key()
        self.passphrase.setFocus()
        self.key_created.emit(me)

    def _key_failed(self, message: str) -> None:
        self.create_key_button.setEnabled(True)
        self.key_message.show_message(f"The key was not created: {message}", "error")

    def start_export(self) -> None:
        """Run ``packing.pack_contract`` on the worker (after storing the draft as shown)."""
        from baton.gui.common.review_worker import submit

        if not self.export_button.isEnabled():
            return
        out = Path(self.destination.text().strip()).expanduser()
        self._passphrase_problem("")
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText("Starting…")
        self.status.show()
        self.cancel_button.setText("Cancel export")
        self.stopped = False
        self.worker = submit(
            self.ctx.runner,
            self,
            f"Exporting {out.name}",
            jobs.export_job(
                self.contract,
                self.model["name"],
                passphrase=self.passphrase.text(),
                out=out,
                include=self.includes(),
                budget_s=float(self.budget.value()),
                confirm=self.confirmation,
            ),
            on_success=self._exported,
            on_failure=self._failed,
            on_cancel=self._cancelled,
            on_progress=self._progress,
        )
        self._update()
        for widget in (self.passphrase, self.destination, self.budget, *self.include.values()):
            widget.setEnabled(False)

    def _progress(self, done: Any, total: Any, message: str) -> None:
        if done is None or not total:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(max(0.0, min(1.0, float(done) / float(total))) * 1000))
        if message:
            self.status.setText(message)

    def _show_changes(self, lines: list[str]) -> None:
        self.changes_text.setPlainText("\n".join(lines))
        self.changes_box.show()
        self.go_button.setFocus()
        self.status.setText(
            f"{len(lines)} figure{'s' if len(lines) != 1 else ''} changed; waiting for your choice."
        )

    def _answer(self, go: bool) -> None:
        self.changes_box.hide()
        self.stopped = not go
        self.confirmation.answer(go)

    def _finish_run(self) -> None:
        self.worker = None
        self.changes_box.hide()
        self.progress.hide()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setEnabled(True)
        for widget in (self.destination, self.budget, *self.include.values()):
            widget.setEnabled(True)
        self.passphrase.setEnabled(self.me is not None)
        self._update()

    def _failed(self, message: str) -> None:
        self._finish_run()
        self.status.hide()
        if "passphrase" in message:
            self._passphrase_problem(f"{message[:1].upper()}{message[1:]}. Nothing was written.")
            self.passphrase.selectAll()
            self.passphrase.setFocus()
        else:
            self.problems.show_message(f"The bundle was not written: {message}", "error")
        self.export_failed.emit(message)

    def _cancelled(self, _message: str) -> None:
        self._finish_run()
        self.status.setText(
            "Stopped before signing; no bundle was written and the catalog is as it was."
            if self.stopped
            else "Cancelled; no bundle was written."
        )
        self.status.show()

    def _exported(self, result: dict[str, Any]) -> None:
        self._finish_run()
        self.result = result
        path = Path(result["file"])
        if self.ctx is not None and getattr(self.ctx, "settings", None) is not None:
            self.ctx.settings.setValue(LAST_DIR_KEY, str(path.parent))
        failed = result.get("targets_failed", 0)
        self.result_banner.show_message(
            f"Wrote {path.name}, signed with your key."
            + (
                f" {failed} target{'s' if failed != 1 else ''} failed as measured now; "
                "the bundle says so."
                if failed
                else ""
            ),
            "warning" if failed else "ok",
        )
        self.result_facts.set_rows(
            [
                ("File", str(path)),
                ("Size", f"{fmt_size(result.get('bytes'))}, {result.get('files')} files"),
                ("Root digest", result.get("root_digest")),
            ],
            mono=("Root digest",),
        )
        self.signer.set_fingerprint(result["signer_fingerprint"])
        targets = result.get("targets") or []
        self.verdicts.set_rows(
            [
                (
                    target_label(target_key(t)),
                    fmt_threshold(t),
                    fmt_target_value(t["metric"], t.get("measured")),
                    VERDICT_TEXT.get(t.get("verdict"), t.get("verdict") or "—"),
                )
                for t in targets
            ],
            kinds=[VERDICT_KIND.get(t.get("verdict")) for t in targets],
            status_column=3,
        )
        self.verdicts.setVisible(bool(targets))
        self.no_targets.setVisible(not targets)
        self.document_buttons.refresh()
        self.pages.setCurrentIndex(1)
        self.export_button.hide()
        self.show_button.show()
        self.cancel_button.setText("Close")
        self.cancel_button.setDefault(True)
        self._fit_result()
        self.exported.emit(result)

    def _fit_result(self) -> None:
        """Grow to show the whole summary; it scrolls only where the screen ends.

        The scroll area asks for little room of its own, so the dialog kept the form's
        size and cut a long list of targets short inside a small scrolled box.
        """
        scroll = self.pages.currentWidget()
        content = scroll.widget()
        content.adjustSize()
        wanted = content.sizeHint()
        grow_h = wanted.height() - scroll.viewport().height()
        grow_w = wanted.width() - scroll.viewport().width()
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        height = self.height() + max(0, grow_h)
        width = self.width() + max(0, grow_w)
        if screen is not None:  # the title bar and frame stay on the screen too
            height = min(height, screen.height() - (self.frameGeometry().height() - self.height()))
            width = min(width, screen.width() - (self.frameGeometry().width() - self.width()))
        self.resize(width, height)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.status.setText("Cancelling…")
            self.cancel_button.setEnabled(False)  # until the run ends (_finish_run)
            return
        if self.result is not None:
            self.accept()
        else:
            self.reject()

    def reject(self) -> None:
        if self.worker is not None:  # Escape while packing cancels first
            self.cancel()
            return
        super().reject()

    def show_in_folder(self) -> bool:
        if self.result is None:
            return False
        folder = Path(self.result["file"]).parent
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
