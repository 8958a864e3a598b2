"""The contract tab's dialogs: drafting a new contract (name, version and the catalog's
datasets), and comparing a draft with the previous version of the same name."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from baton.core.present import counted
from baton.gui.common import theme
from baton.gui.common.tables import ReadOnlyTable
from baton.gui.common.widgets import muted_label, title_label
from baton.gui.contract.fields import (
    FieldMessage,
    mark_invalid,
)

NONE = "(none)"


class NewDraftDialog(QDialog):
    """Model, name, version and catalog datasets of a new draft (``drafts.new_draft``).

    ``issues(name, version)`` is core's ``new_draft_issues`` on the caller's catalog; its
    sentences are shown beside the name and the version, and Draft waits until there are
    none. With more than one model (File › New handover) the model is chosen here too.
    """

    def __init__(
        self,
        model: Mapping[str, Any],
        datasets: Sequence[Mapping[str, Any]],
        *,
        default_test: str | None,
        issues: Callable[[str, str], list],
        next_version: Callable[[str], str],
        models: Sequence[Mapping[str, Any]] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.models = {m["name"]: dict(m) for m in models} or {model["name"]: dict(model)}
        self.models.setdefault(model["name"], dict(model))
        self.datasets = [dict(d) for d in datasets]
        self.initial = model["name"]
        self.default_test = default_test
        self._issues, self._next_version = issues, next_version
        self.setObjectName("NewDraftDialog")
        self.setWindowTitle("Draft a contract")
        self.setMinimumWidth(580)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        self.heading = title_label("", "SectionTitle")
        layout.addWidget(self.heading)
        layout.addWidget(
            muted_label(
                "The contract is filled from the model's latest evaluation and profile on the "
                "test set; what is missing is measured now. You write the intended use, the "
                "limitations and the targets next."
            )
        )
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.model_choice = QComboBox()
        for name in self.models:
            self.model_choice.addItem(theme.icon("model"), name, name)
        self.model_choice.setCurrentIndex(self.model_choice.findData(model["name"]))
        self.model_choice.currentIndexChanged.connect(lambda _i: self._model_changed())
        self.name = QLineEdit()
        self.version = QLineEdit()
        self.version.setMaximumWidth(160)
        self._name_touched = self._version_touched = False
        self.name.textEdited.connect(lambda _t: setattr(self, "_name_touched", True))
        self.version.textEdited.connect(lambda _t: setattr(self, "_version_touched", True))
        self.name_message, self.version_message = FieldMessage(), FieldMessage()
        self.test, self.train, self.validation = QComboBox(), QComboBox(), QComboBox()
        self.test.setToolTip("The labelled data every metric of the contract is measured on")
        self.train.setToolTip(
            "Listed in the contract by fingerprint; at export you choose whether its rows travel"
        )
        self.validation.setToolTip(self.train.toolTip())
        self.intended_use = QPlainTextEdit()
        self.intended_use.setPlaceholderText("Optional now, required before export")
        self.intended_use.setFixedHeight(70)
        self.intended_use.setTabChangesFocus(True)

        def with_message(widget: QWidget, message: FieldMessage) -> QWidget:
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(3)
            column.addWidget(widget)
            column.addWidget(message)
            return box

        if len(self.models) > 1:
            form.addRow("&Model", self.model_choice)
        else:
            self.model_choice.hide()
        form.addRow("&Name", with_message(self.name, self.name_message))
        form.addRow("&Version", with_message(self.version, self.version_message))
        form.addRow("&Test set", self.test)
        form.addRow("T&rain set", self.train)
        form.addRow("Va&lidation set", self.validation)
        form.addRow("Intended &use", self.intended_use)
        layout.addLayout(form)
        self.no_test = muted_label(
            "Import a test set with its target column first: the contract's metrics are "
            "measured on it."
        )
        layout.addWidget(self.no_test)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.draft_button = self.buttons.addButton("Draft", QDialogButtonBox.ButtonRole.AcceptRole)
        self.draft_button.setObjectName("Primary")
        self.draft_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.name.textChanged.connect(self._name_changed)
        self.version.textChanged.connect(self._validate)
        self._model_changed()

    def model(self) -> dict[str, Any]:
        return self.models[self.model_choice.currentData()]

    def _model_changed(self) -> None:
        model = self.model()
        self.heading.setText(f"Draft a contract for {model['name']}")
        needed = {f["name"] for f in model.get("features") or [] if f.get("name")}

        def fits(d: Mapping[str, Any]) -> bool:
            return needed <= {c["name"] for c in d.get("columns") or []}

        def label(d: Mapping[str, Any], rows: bool = True) -> str:
            text = d["name"] + (f" · {d['role']}" if d.get("role") else "")
            if rows and isinstance(d.get("rows"), int):
                text += f" · {d['rows']:,} rows"
            return text + ("" if fits(d) else " (columns differ)")

        self.test.clear()
        for d in sorted(self.datasets, key=lambda d: not fits(d)):
            if d.get("target"):
                self.test.addItem(theme.icon("dataset"), label(d), d["name"])
        test = (self.default_test if model["name"] == self.initial else None) or next(
            (
                d["name"]
                for d in self.datasets
                if d.get("role") == "test" and d.get("target") and fits(d)
            ),
            None,
        )
        if test and self.test.findData(test) >= 0:
            self.test.setCurrentIndex(self.test.findData(test))
        for combo, role in ((self.train, "train"), (self.validation, "validation")):
            combo.clear()
            combo.addItem(NONE, None)
            for d in sorted(self.datasets, key=lambda d: not fits(d)):
                combo.addItem(theme.icon("dataset"), label(d), d["name"])
            guess = next(
                (d["name"] for d in self.datasets if d.get("role") == role and fits(d)), None
            )
            if guess:
                combo.setCurrentIndex(combo.findData(guess))
        self.no_test.setVisible(self.test.count() == 0)
        if not self._name_touched:
            self.name.setText(model["name"])
        self._name_changed(self.name.text())

    def _name_changed(self, name: str) -> None:
        if not self._version_touched:
            self.version.setText(self._next_version(name.strip()))
        self._validate()

    def problems(self) -> list:
        return self._issues(self.name.text().strip(), self.version.text().strip())

    def _validate(self, *_: object) -> None:
        issues = self.problems()
        by_field: dict[str, list[str]] = {"identity.name": [], "identity.version": []}
        for issue in issues:
            by_field.setdefault(issue.path, []).append(issue.sentence)
        for field, edit, message in (
            ("identity.name", self.name, self.name_message),
            ("identity.version", self.version, self.version_message),
        ):
            text = "\n".join(by_field[field])
            message.show_message(text, "error")
            mark_invalid(edit, "error" if text else None)
        self.draft_button.setEnabled(not issues and self.test.count() > 0)

    def accept(self) -> None:
        if self.problems() or self.test.count() == 0:
            self._validate()
            return
        super().accept()

    def values(self) -> dict[str, Any]:
        return {
            "model": self.model_choice.currentData(),
            "name": self.name.text().strip(),
            "version": self.version.text().strip(),
            "test": self.test.currentData(),
            "train": self.train.currentData(),
            "validation": self.validation.currentData(),
            "intended_use": self.intended_use.toPlainText().strip(),
        }


class CompareVersionsDialog(QDialog):
    """``diff_contracts(previous, current)`` as a table, better in green and worse in red."""

    HEADERS = ("Field", "Previous", "This version", "Change", "")

    def __init__(
        self, previous: Mapping[str, Any], current: Mapping[str, Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        from baton.core.contract.document import diff_contracts
        from baton.gui.common.verdicts import (
            change_kind,
            direction_text,
            fmt_delta,
            fmt_value,
            is_setting,
        )

        old_id, new_id = previous["identity"], current["identity"]
        self.setWindowTitle("Compare with the previous version")
        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(
            title_label(
                f"{old_id['name']} {old_id['version']} → {new_id['name']} {new_id['version']}",
                "SectionTitle",
            )
        )
        self.changes = diff_contracts(previous, current)
        better = sum(1 for c in self.changes if c.better is True)
        worse = sum(1 for c in self.changes if c.better is False)
        self.summary = muted_label(
            f"{counted(len(self.changes), 'change')} from the stored draft of version "
            f"{old_id['version']}"
            + (f": {better} better, {worse} worse" if better or worse else "")
            + ". Green is better, red is worse, by each figure's direction."
            if self.changes
            else f"Nothing changed since the stored draft of version {old_id['version']}."
        )
        layout.addWidget(self.summary)
        self.table = ReadOnlyTable(self.HEADERS, numeric=(3,), fit_to_rows=False)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)

        def shown(value: Any, path: str) -> str:
            # A whole target added or removed reads as its expression.
            if isinstance(value, Mapping) and "metric" in value and "op" in value:
                from baton.gui.common.verdicts import target_expr

                return target_expr(value)
            return fmt_value(value, exact=is_setting(path))

        rows, kinds, tips = [], [], []
        for change in self.changes:
            as_dict = {"better": change.better}
            rows.append(
                (
                    change.path,
                    "" if change.kind == "added" else shown(change.old, change.path),
                    "" if change.kind == "removed" else shown(change.new, change.path),
                    fmt_delta(change.delta, exact=is_setting(change.path))
                    if change.kind == "changed"
                    else change.kind,
                    direction_text(as_dict),
                )
            )
            kinds.append(change_kind(as_dict))
            tips.append(str(change))
        self.table.set_rows(rows, kinds=kinds, status_column=4, tooltips=tips)
        layout.addWidget(self.table, 1)
        self.table.setVisible(bool(rows))
        if not rows:
            layout.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        height = self.table.horizontalHeader().sizeHint().height() + sum(
            self.table.rowHeight(r) for r in range(self.table.rowCount())
        )
        self.resize(900, min(640, max(260, height + 150)))

    def rows(self) -> list[list[str]]:
        return self.table.cell_texts()
