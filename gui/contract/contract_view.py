"""The handover contract editor: the model page's Contract tab.

:class:`ContractPage` shows, for the selected model, its stored drafts (``core.drafts``):
"Draft contract…" asks for a name, a version and the catalog datasets (test, and
optionally train and validation) and runs ``drafts.new_draft`` on the worker; a stored
draft opens in :class:`ContractEditor`.

The editor is a face of :mod:`baton.core.contract.document`. Every change goes through
``set_field`` / ``add_target`` / ``remove_target`` on a copy of the contract: what core
accepts becomes the contract (a :class:`ContractEdit` on the main window's undo stack,
holding the contract before and after); what core refuses stays in its field, marked
red with core's sentence beside it, and is not part of the contract until fixed. The
sentences come from ``validate_contract`` on the contract with those values in place,
so each one names the field it is about; a target's measured value and verdict are
core's, recomputed on every accepted keystroke. The measured sections (model, datasets,
environment, results) are shown read-only: they change only by measuring again.

Save stores the draft (``drafts.save``) on the worker. Saving under a new name or version
stores a new draft and keeps the old one, which is how a second version starts; "Compare
with previous version" shows ``diff_contracts`` against the newest stored draft of the
same name with a lower version. Edits are never dropped silently: unsaved ones are stored
when another draft or model takes the editor's place, and when the window closes.

This module holds the page; the editor is in :mod:`~baton.gui.contract.editor`, its
targets table in :mod:`~baton.gui.contract.targets_table`, the dialogs in
:mod:`~baton.gui.contract.dialogs` and what the fields share in
:mod:`~baton.gui.contract.fields`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from baton.core.present import fmt_when
from baton.gui.common import jobs, theme
from baton.gui.common.tables import scroll_page
from baton.gui.common.widgets import EmptyState, FlowLayout, group, muted_label, title_label
from baton.gui.contract.dialogs import CompareVersionsDialog, NewDraftDialog
from baton.gui.contract.editor import ContractEditor
from baton.gui.contract.fields import (
    NO_DRAFT,
    NO_MODEL,
)

# --- undo ---------------------------------------------------------------------------------


# --- the targets table --------------------------------------------------------------------


# --- the editor -----------------------------------------------------------------------------


# --- dialogs ----------------------------------------------------------------------------------


# --- the page ---------------------------------------------------------------------------------


class ContractPage(QWidget):
    """The model page's Contract tab; see the module docstring.

    ``ctx`` is the main window (catalog for reading, runner, undo stack, messages). The
    model page calls :meth:`set_model` whenever the model or its chosen dataset changes.
    Signals: ``draft_opened(bool)`` (a draft is open in the editor or not), ``saved(dict)``.
    """

    draft_opened = Signal(bool)
    saved = Signal(dict)
    drafted = Signal(dict)
    failed = Signal(str)
    candidate_added = Signal(str)

    def __init__(self, ctx=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.model: dict[str, Any] | None = None
        self.dataset: Mapping[str, Any] | None = None
        self.budget_s: Callable[[], float] = lambda: 1.0
        self.stored: tuple[str, str] | None = None  # name and version as last stored
        self.dialog: QDialog | None = None
        self._draft_worker = None
        self.undo_stack: QUndoStack = ctx.undo_stack if ctx is not None else QUndoStack(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack)

        self.empty = EmptyState(NO_MODEL, "contract")
        self.stack.addWidget(self.empty)

        start = QWidget()
        column = QVBoxLayout(start)
        column.addStretch(1)
        self.start_text = EmptyState("", "contract")
        column.addWidget(self.start_text)
        self.start_button = QPushButton(
            theme.icon("new-handover", theme.current_colors()["accent_text"]), "Draft contract…"
        )
        self.start_button.setObjectName("Primary")
        self.start_button.clicked.connect(lambda: self.open_new_draft_dialog())
        self.start_status = muted_label()
        self.start_status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.start_button)
        row.addStretch(1)
        column.addLayout(row)
        column.addWidget(self.start_status)
        column.addStretch(2)
        self.start = start
        self.stack.addWidget(start)

        editing = QWidget()
        column = QVBoxLayout(editing)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self._toolbar())
        self.editor = ContractEditor(self.undo_stack)
        self.editor.changed.connect(self._update_state)
        self.editor.problems_changed.connect(lambda _n: self._update_state())
        self.editor.measure_requested.connect(self.measure_targets)
        self._measure_worker = None
        column.addWidget(scroll_page(self.editor), 1)
        self.editing = editing
        self.stack.addWidget(editing)
        self.undo_stack.cleanChanged.connect(self._clean_changed)

    def _toolbar(self) -> QWidget:
        bar = QFrame()
        bar.setObjectName("MeasureBar")
        flow = FlowLayout(bar, spacing=6)
        flow.setContentsMargins(10, 6, 10, 6)
        self.heading = title_label("", "SectionTitle")
        self.heading.setWordWrap(False)
        self.state_label = QLabel()
        self.state_label.setObjectName("Chip")
        self.drafts = QComboBox()
        self.drafts.setToolTip("Stored drafts of this model")
        self.drafts.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.drafts.activated.connect(self._draft_chosen)
        self.new_button = QPushButton(theme.icon("new-handover"), "New draft…")
        self.new_button.setToolTip("Draft another contract for this model")
        self.new_button.clicked.connect(lambda: self.open_new_draft_dialog())
        self.save_button = QPushButton("Save")
        self.save_button.setShortcut(QKeySequence.StandardKey.Save)
        self.save_button.setToolTip("Store this draft in the catalog (Ctrl+S)")
        self.save_button.clicked.connect(self.save)
        self.compare_button = QPushButton("Compare with previous version")
        self.compare_button.clicked.connect(self.open_compare_dialog)
        self.candidate_button = QPushButton("Add candidate…")
        self.candidate_button.setToolTip(
            "Hand over another catalog model with this one, measured on the same test set"
        )
        self.candidate_button.clicked.connect(lambda: self.open_add_candidate_dialog())
        self.candidates_label = muted_label(wrap=False)
        self.export_button = QPushButton(
            theme.icon("export", theme.current_colors()["accent_text"]), "Export bundle…"
        )
        self.export_button.setObjectName("Primary")
        self.export_button.setToolTip("Sign this contract with your key and write the bundle")
        self.export_button.clicked.connect(self._export)
        self.heading.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.state_label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        flow.addWidget(group(self.heading, self.state_label, spacing=8))
        flow.addWidget(group(QLabel("Draft"), self.drafts, self.new_button))
        flow.addWidget(group(self.candidate_button, self.candidates_label))
        flow.addWidget(group(self.save_button, self.compare_button, self.export_button))
        return bar

    # -- the model

    @property
    def contract(self) -> dict[str, Any] | None:
        return self.editor.contract if self.stored is not None else None

    def has_draft(self) -> bool:
        return self.stored is not None

    def set_model(
        self, model: Mapping[str, Any] | None, dataset: Mapping[str, Any] | None = None
    ) -> None:
        self.dataset = dataset
        if model is None:
            self._leave_draft()
            self.model = None
            self.stack.setCurrentWidget(self.empty)
            self.draft_opened.emit(False)
            return
        if self.model is not None and self.model.get("id") == model.get("id"):
            self.model = dict(model)
            return
        self._leave_draft()
        self.model = dict(model)
        drafts = self._list_drafts()
        if drafts:
            self.open_draft(drafts[0]["name"], drafts[0]["version"])
        else:
            self._show_start()

    def _catalog(self):
        return self.ctx.catalog if self.ctx is not None else None

    def _list_drafts(self) -> list[dict[str, Any]]:
        from baton.core.contract import drafts

        catalog = self._catalog()
        if catalog is None or self.model is None:
            return []
        return drafts.list_drafts(catalog, self.model["id"])

    def _show_start(self) -> None:
        self.stored = None
        self.start_text.setText(NO_DRAFT.format(model=self.model["name"]))
        self.start_status.setText("")
        self.start_button.setEnabled(self._draft_worker is None)
        self.stack.setCurrentWidget(self.start)
        self.draft_opened.emit(False)

    def _leave_draft(self) -> None:
        """Store unsaved edits of the open draft before another one replaces it."""
        if self.stored is not None and not self.undo_stack.isClean() and self.editor.contract:
            self._submit_save(self.editor.contract, quiet=True)
        self.undo_stack.clear()
        self.stored = None

    def open_draft(self, name: str, version: str) -> bool:
        """Load a stored draft into the editor (the undo history starts afresh)."""
        from baton.core.contract import drafts
        from baton.core.errors import BatonError

        catalog = self._catalog()
        if catalog is None:
            return False
        if self.stored is not None and self.stored != (name, version):
            self._leave_draft()
        try:
            contract = drafts.load(catalog, f"{name}@{version}")
        except BatonError as exc:
            self._message(str(exc), "error")
            return False
        self.undo_stack.clear()
        self.stored = (name, version)
        self.editor.set_contract(contract)
        self._fill_drafts()
        self.stack.setCurrentWidget(self.editing)
        self.undo_stack.setClean()
        self._update_state()
        self.draft_opened.emit(True)
        return True

    def _fill_drafts(self) -> None:
        self.drafts.blockSignals(True)
        self.drafts.clear()
        for d in self._list_drafts():
            self.drafts.addItem(f"{d['name']} {d['version']}", (d["name"], d["version"]))
            self.drafts.setItemData(
                self.drafts.count() - 1,
                f"Last saved {fmt_when(d.get('updated_at'))}",
                Qt.ItemDataRole.ToolTipRole,
            )
        index = self.drafts.findData(self.stored)
        if index >= 0:
            self.drafts.setCurrentIndex(index)
        self.drafts.blockSignals(False)

    def _draft_chosen(self, index: int) -> None:
        key = self.drafts.itemData(index)
        if key and tuple(key) != self.stored:
            self.open_draft(*key)

    def _clean_changed(self, _clean: bool) -> None:
        from shiboken6 import isValid

        if isValid(self.heading):  # the stack outlives this page when the window closes
            self._update_state()

    def shutdown(self) -> None:
        """Store unsaved edits and let go of the undo history (the window is closing)."""
        self._leave_draft()

    def _update_state(self) -> None:
        if self.stored is None or not self.editor.contract:
            return
        ident = self.editor.contract["identity"]
        self.heading.setText(f"{ident['name']} {ident['version']}")
        self.candidates_label.setText(self._candidates_text())
        errors = self.editor.error_count()
        if errors:
            self.state_label.setText(f"{errors} problem{'s' if errors != 1 else ''}")
        elif not self.undo_stack.isClean():
            self.state_label.setText("Unsaved changes")
        else:
            self.state_label.setText("Saved")
        self.save_button.setEnabled(not errors)
        self.save_button.setToolTip(
            "Fix the marked fields first" if errors else "Store this draft in the catalog (Ctrl+S)"
        )
        self.export_button.setEnabled(not errors)
        previous = self._previous()
        self.compare_button.setEnabled(previous is not None)
        self.compare_button.setToolTip(
            f"What changed since the stored draft of version {previous['identity']['version']}"
            if previous
            else f"No stored draft of {ident['name']} has a lower version than {ident['version']}"
        )

    def _candidates_text(self) -> str:
        from baton.core.contract import candidates as cands

        contract = self.editor.contract
        if not contract or not cands.is_multi(contract):
            return ""
        return "Candidates: " + ", ".join(c.name for c in cands.candidates(contract))

    def candidate_choices(self) -> list[str]:
        """Catalog models that may join this draft as candidates: of its task, not in it."""
        from baton.core.contract import candidates as cands
        from baton.core.data.importer import model_summary

        catalog, contract = self._catalog(), self.editor.contract
        if catalog is None or not contract or self.model is None:
            return []
        taken = {self.model["name"]}
        if cands.is_multi(contract):
            taken |= {c.name for c in cands.candidates(contract)}
        task = contract["identity"]["problem_type"]
        return [
            m["name"]
            for m in catalog.list_models()
            if m["name"] not in taken and model_summary(m).get("task") == task
        ]

    def open_add_candidate_dialog(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        choices = self.candidate_choices()
        if not choices:
            self._message(
                "No other catalog model of this task to add: add one to the catalog first.",
                "info",
            )
            return
        name, ok = QInputDialog.getItem(
            self, "Add candidate", "Catalog model to hand over as well:", choices, 0, False
        )
        if ok and name:
            self.add_candidate(name)

    def add_candidate(self, name: str) -> None:
        """Measure catalog model ``name`` on the draft's test set, on the worker, and add
        it as a candidate (one undo step)."""
        from baton.gui.common.review_worker import submit

        if self.ctx is None or self.model is None or not self.editor.contract:
            return
        contract = copy.deepcopy(self.editor.contract)
        primary, budget = self.model["name"], float(self.budget_s())

        def job(catalog, progress, cancel) -> dict[str, Any]:
            from baton.core.contract import drafts

            return drafts.add_candidate(
                catalog,
                contract,
                name,
                primary=primary,
                budget_s=budget,
                progress=progress,
                cancel=cancel,
            )

        def done(after: dict[str, Any]) -> None:
            if self.editor.apply_candidates(after, f"adding candidate {name}"):
                self.ctx.show_status(f"Added candidate {name}, measured on the same test set.")
                self._update_state()
                self.candidate_added.emit(name)

        self.candidate_button.setEnabled(False)
        submit(
            self.ctx.runner,
            self,
            f"Measuring candidate {name}",
            job,
            on_success=lambda after: (self.candidate_button.setEnabled(True), done(after)),
            on_failure=lambda message: (
                self.candidate_button.setEnabled(True),
                self._message(f"{name} could not be added: {message}", "error"),
            ),
            on_cancel=lambda _m: self.candidate_button.setEnabled(True),
        )

    def _previous(self) -> dict[str, Any] | None:
        from baton.core.contract import drafts
        from baton.core.errors import BatonError

        catalog = self._catalog()
        if catalog is None or not self.editor.contract:
            return None
        ident = self.editor.contract["identity"]
        try:
            return drafts.previous_draft(catalog, ident["name"], ident["version"])
        except BatonError:
            return None

    # -- actions

    def open_new_draft_dialog(
        self, models: Sequence[Mapping[str, Any]] = ()
    ) -> NewDraftDialog | None:
        """Ask for a new draft's model (when ``models`` offers a choice), name, version and data."""
        from baton.core.contract import drafts

        catalog = self._catalog()
        if catalog is None or self.model is None:
            return None
        datasets = catalog.list_datasets(limit=500)
        dialog = NewDraftDialog(
            self.model,
            datasets,
            default_test=(self.dataset or {}).get("name"),
            issues=lambda n, v: drafts.new_draft_issues(catalog, n, v),
            next_version=lambda n: drafts.next_version(catalog, n),
            models=models,
            parent=self,
        )
        dialog.accepted.connect(lambda d=dialog: self.start_draft(**d.values()))
        self.dialog = dialog
        dialog.open()
        return dialog

    def start_draft(self, *, model: str | None = None, **values: Any) -> None:
        """Run ``drafts.new_draft`` on the worker; the editor opens the draft when it lands."""
        if self.ctx is None or (self.model is None and model is None):
            return
        from baton.gui.common.review_worker import submit

        model = model or self.model["name"]
        if self.model is None or self.model["name"] != model:
            # Drafting for another model (File › New handover): show that model first.
            self.ctx.select_item("models", model)
        self._leave_draft()
        self.draft_opened.emit(False)
        self.start_text.setText(f"Drafting a contract for {model}.")
        self.start_button.setEnabled(False)
        self.start_status.setText(
            f"Drafting {values['name']} {values['version']}: reading the latest measurements "
            "(measuring what is missing)…"
        )
        if self.model is not None and self.model["name"] == model:
            self.stack.setCurrentWidget(self.start)
        self._draft_worker = submit(
            self.ctx.runner,
            self,
            f"Drafting the contract {values['name']} {values['version']}",
            jobs.new_draft_job(model, budget_s=float(self.budget_s()), **values),
            on_success=lambda c, m=model: self._drafted(m, c),
            on_failure=self._draft_failed,
            on_cancel=lambda _m: self._draft_failed("Drafting was cancelled."),
        )

    def _drafted(self, model: str, contract: dict[str, Any]) -> None:
        self._draft_worker = None
        self.start_button.setEnabled(True)
        ident = contract["identity"]
        self.ctx.show_status(f"Drafted the contract {ident['name']} {ident['version']}.")
        if self.model is not None and self.model["name"] == model:
            self.open_draft(ident["name"], ident["version"])
        self.drafted.emit(contract)

    def _draft_failed(self, message: str) -> None:
        self._draft_worker = None
        self.start_button.setEnabled(True)
        self.start_status.setText("")
        self._message(f"The contract could not be drafted: {message}", "error")
        self.failed.emit(message)

    def measure_targets(self) -> None:
        """Profile again at the batch sizes the draft's targets name, on the worker."""
        from baton.gui.common.review_worker import submit

        if self.ctx is None or self.model is None or self._measure_worker is not None:
            return
        contract = copy.deepcopy(self.editor.contract)
        self.editor.set_measuring(True)

        def done(after: dict[str, Any] | None = None, message: str = "") -> None:
            self._measure_worker = None
            self.editor.set_measuring(False)
            if after is not None and self.editor.apply_measurement(after):
                self.ctx.show_status("Measured latency at the targets' batch sizes.")
            elif message:
                self._message(f"Latency could not be measured: {message}", "error")

        self._measure_worker = submit(
            self.ctx.runner,
            self,
            "Measuring latency at the targets' batch sizes",
            jobs.measure_targets_job(contract, self.model["name"], budget_s=self.budget_s()),
            on_success=lambda after: done(after),
            on_failure=lambda message: done(message=message),
            on_cancel=lambda _m: done(),
        )

    def save(self) -> None:
        """Store the draft as shown (``drafts.save`` on the worker)."""
        if self.stored is None or self.editor.error_count():
            return
        self._submit_save(self.editor.contract)

    def _submit_save(self, contract: dict[str, Any], quiet: bool = False) -> None:
        from baton.gui.common.review_worker import submit

        if self.ctx is None or self.model is None:
            return
        contract = copy.deepcopy(contract)
        ident = contract["identity"]
        index = self.undo_stack.index()
        submit(
            self.ctx.runner,
            self,
            f"Saving the draft {ident['name']} {ident['version']}",
            jobs.save_draft_job(contract, self.model["name"]),
            on_success=lambda c, i=index, q=quiet: self._saved(c, i, q),
            on_failure=lambda m: self._message(f"The draft was not saved: {m}", "error"),
        )

    def _saved(self, contract: dict[str, Any], index: int, quiet: bool) -> None:
        ident = contract["identity"]
        if self.stored is not None and self.editor.contract["identity"]["id"] == ident["id"]:
            self.stored = (ident["name"], ident["version"])
            if self.undo_stack.index() == index:
                self.undo_stack.setClean()
            self._fill_drafts()
            self._update_state()
        if not quiet:
            self.ctx.show_status(f"Saved the draft {ident['name']} {ident['version']}.")
        self.saved.emit(contract)

    def mark_saved(self, contract: Mapping[str, Any]) -> None:
        """The export stored the draft as signed: the page shows that, saved."""
        ident = contract["identity"]
        if self.stored is not None and self.editor.contract["identity"]["id"] == ident["id"]:
            self.stored = (ident["name"], ident["version"])
            self.undo_stack.setClean()
            self.open_draft(ident["name"], ident["version"])

    def open_compare_dialog(self) -> CompareVersionsDialog | None:
        previous = self._previous()
        if previous is None:
            return None
        dialog = CompareVersionsDialog(previous, self.editor.contract, self)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _export(self) -> None:
        if self.ctx is not None:
            self.ctx.export_bundle()

    def _message(self, text: str, kind: str) -> None:
        if self.ctx is not None:
            self.ctx.show_message(text, kind)

    def retheme(self) -> None:
        colors = theme.current_colors()
        self.start_button.setIcon(theme.icon("new-handover", colors["accent_text"]))
        self.export_button.setIcon(theme.icon("export", colors["accent_text"]))
        self.new_button.setIcon(theme.icon("new-handover"))
        if self.stored is not None:
            self.editor.retheme()
