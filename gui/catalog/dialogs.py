"""Dialogs: importing a dataset or a model, keyboard shortcuts, about.

The import dialogs only gather what ``baton.core.data.importer`` needs (name, role, target,
id column; for pickles the explicit consent and the dataset to check predictions on);
the import itself runs on a worker. They open with ``open()`` (window-modal, never a
nested event loop).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from baton.core.present import counted, fmt_size
from baton.gui.common import theme
from baton.gui.common.widgets import Banner, PlainLabel, muted_label, title_label
from baton.gui.common.words import in_dialog_words

NO_ROLE = "(no role)"
FROM_MODEL, TYPED = "model", "typed"
NONE = "(none)"
TARGET_GUESSES = ("target", "label", "y", "class", "outcome")


def model_formats() -> dict[str, str]:
    from baton.core.data.models import MODEL_FORMATS

    return MODEL_FORMATS


def dataset_formats() -> dict[str, str]:
    from baton.core.data.datasets import FORMATS

    return FORMATS


def kind_of(path: str | Path) -> str | None:
    """ "model", "dataset" or None, from a file's extension (core's format tables); an
    MLflow model folder (one holding ``MLmodel``) is a model."""
    from baton.core.data.mlflow_model import is_mlflow_folder

    if is_mlflow_folder(path):
        return "model"
    suffix = Path(path).suffix.lower()
    if suffix in model_formats():
        return "model"
    if suffix in dataset_formats():
        return "dataset"
    return None


def suggested_name(path: str | Path) -> str:
    """A catalog name from a file name: letters, digits, '.', '_' and '-' only."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(path).stem).strip("-._") or "item"
    return stem[:64]


def peek_columns(path: str | Path) -> list[tuple[str, str]]:
    """Column names and types from a CSV's first block or a Parquet footer."""
    path = Path(path)
    if dataset_formats().get(path.suffix.lower()) == "parquet":
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
    else:
        import pyarrow.csv as pacsv

        with pacsv.open_csv(path) as reader:
            schema = reader.schema
    return [(f.name, str(f.type)) for f in schema if not f.name.startswith("__index_level_")]


def _name_problem(name: str, taken: bool) -> str:
    from baton.core.catalog.store import NAME_RE

    if not name:
        return "Give it a name."
    if not NAME_RE.match(name):
        return "Use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit."
    if taken:
        return f"The catalog already has an item named {name!r}; choose another name."
    return ""


class _ImportDialog(QDialog):
    kind = ""

    def __init__(self, path: str | Path, catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.catalog = catalog
        self.setWindowTitle(f"Import {self.kind}")
        self.setMinimumWidth(520)
        self.layout_ = QVBoxLayout(self)
        self.layout_.setSpacing(10)
        heading = title_label(f"Import {self.kind} {self.path.name}", "SectionTitle")
        self.layout_.addWidget(heading)
        size = self.path.stat().st_size if self.path.is_file() else None
        self.layout_.addWidget(
            muted_label(
                f"{self.path.parent}" + (f" · {fmt_size(size)}" if size is not None else "")
            )
        )
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.name = QLineEdit(suggested_name(self.path))
        self.name.textChanged.connect(self._validate)
        self.form.addRow("&Name", self.name)
        self.layout_.addLayout(self.form)
        self.problem = PlainLabel()
        self.problem.setWordWrap(True)
        self.problem.setObjectName("Muted")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton(
            "Import", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.import_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def _finish_layout(self) -> None:
        self.layout_.addWidget(self.problem)
        self.layout_.addWidget(self.buttons)
        self._validate()

    def fit_height(self) -> None:
        """As tall as the wrapped sentences need at the width the dialog has: the size hint
        wraps them at another width, cutting off the last line or leaving a gap."""
        needed = self.layout_.totalHeightForWidth(self.width())
        if needed > 0 and needed != self.height():
            self.resize(self.width(), needed)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().showEvent(event)
        self.fit_height()

    def _taken(self, name: str) -> bool:
        if self.catalog is None:
            return False
        from baton.core.errors import NotFound

        getter = self.catalog.get_model if self.kind == "model" else self.catalog.get_dataset
        try:
            getter(name)
        except NotFound:
            return False
        return True

    def _problem(self) -> str:
        name = self.name.text().strip()
        return _name_problem(name, self._taken(name))

    def _validate(self, *_: object) -> None:
        problem = self._problem()
        self.problem.setText(problem)
        self.problem.setVisible(bool(problem))
        self.import_button.setEnabled(not problem)

    def accept(self) -> None:
        if self._problem():
            self._validate()
            return
        super().accept()


class ImportDatasetDialog(_ImportDialog):
    """Name, role, target and id column of a CSV or Parquet file."""

    kind = "dataset"

    def __init__(self, path: str | Path, catalog, parent: QWidget | None = None) -> None:
        super().__init__(path, catalog, parent)
        self.role = QComboBox()
        self.role.addItems(["test", "validation", "train", NO_ROLE])
        self.role.setToolTip(
            "Which part of the data this is: the test set is what a handover is judged on"
        )
        self.target = QComboBox()
        self.target.setEditable(True)
        self.id_column = QComboBox()
        self.id_column.setEditable(True)
        try:
            columns = peek_columns(self.path)
            self.columns_error = ""
        except Exception as exc:  # the import will explain it fully; say why we cannot list columns
            columns = []
            self.columns_error = (
                f"The columns cannot be listed ({exc}); the import will check the file."
            )
        names = [n for n, _ in columns]
        self.target.addItems([NONE] + names)
        self.id_column.addItems([NONE] + names)
        guess = next((n for g in TARGET_GUESSES for n in names if n.lower() == g), None)
        if guess is None and names:
            guess = names[-1]
        if guess:
            self.target.setCurrentText(guess)
        self.target.setToolTip("The column holding the true labels or values")
        self.id_column.setToolTip("Optional: a column of unique row ids, never used as a feature")
        self.form.addRow("&Role", self.role)
        self.form.addRow("&Target column", self.target)
        self.form.addRow("&Id column", self.id_column)
        if self.columns_error:
            self.form.addRow(muted_label(self.columns_error))
        elif columns:
            self.form.addRow(
                muted_label(
                    f"{len(columns)} columns: "
                    + ", ".join(names[:12])
                    + (" …" if len(names) > 12 else "")
                )
            )
        self.target.currentTextChanged.connect(self._validate)
        self.id_column.currentTextChanged.connect(self._validate)
        self._finish_layout()

    def _problem(self) -> str:
        problem = super()._problem()
        if problem:
            return problem
        values = self.values()
        if values["target"] and values["target"] == values["id_column"]:
            return "The target and the id column must be different columns."
        return ""

    def values(self) -> dict[str, Any]:
        def opt(text: str) -> str | None:
            text = text.strip()
            return None if not text or text == NONE else text

        role = self.role.currentText()
        return {
            "name": self.name.text().strip(),
            "role": None if role == NO_ROLE else role,
            "target": opt(self.target.currentText()),
            "id_column": opt(self.id_column.currentText()),
        }


TASK_CHOICES = (
    ("Detect from the model", None),
    ("binary classifier", "binary"),
    ("multiclass classifier", "multiclass"),
    ("regressor", "regression"),
)


class DeclareTaskBox(QGroupBox):
    """Problem type, class names, positive class and threshold, when detection is wrong.

    Unticked (the default), Baton detects them; ticked, what is filled in is checked
    against the model when it is imported.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Declare the problem type and labels", parent)
        self.setCheckable(True)
        self.setChecked(False)
        self.setToolTip(
            "Baton detects these from the model. Declare them when it cannot: a single-logit "
            "binary network (taken for a regression otherwise), class ids to name after the "
            "labels in your data, a positive class other than the second"
        )
        form = QFormLayout(self)
        self.task = QComboBox()
        for text, value in TASK_CHOICES:
            self.task.addItem(text, value)
        self.classes = QLineEdit()
        self.classes.setPlaceholderText("detected; or names for class ids 0, 1, … in order")
        self.positive = QLineEdit()
        self.positive.setPlaceholderText("detected: the second class")
        self.threshold = QLineEdit()
        self.threshold.setPlaceholderText("0.5 — for a binary model with a single score output")
        form.addRow("&Problem type", self.task)
        form.addRow("C&lass names", self.classes)
        form.addRow("P&ositive class", self.positive)
        form.addRow("T&hreshold", self.threshold)
        form.addRow(
            muted_label(
                "Class names separated by commas, as the labels appear in your data. A score "
                "that is a logit goes through a sigmoid before the threshold."
            )
        )
        self.changed = (
            self.toggled,
            self.task.currentIndexChanged,
            self.classes.textChanged,
            self.positive.textChanged,
            self.threshold.textChanged,
        )

    def values(self) -> dict[str, Any]:
        """The declared fields (all None when the box is unticked); raises ValueError for a
        threshold that is not a number."""
        if not self.isChecked():
            return {}
        classes = self.classes.text().strip()
        threshold = self.threshold.text().strip()
        return {
            "task": self.task.currentData(),
            "classes": tuple(c.strip() for c in classes.split(",")) if classes else None,
            "positive_class": self.positive.text().strip() or None,
            "threshold": float(threshold) if threshold else None,
        }

    def problem(self) -> str:
        from baton.core.data.declare import check_declared
        from baton.core.data.importer import Declared
        from baton.core.errors import UsageError

        try:
            check_declared(Declared(**self.values()))
        except ValueError:
            return "The threshold must be a number between 0 and 1, such as 0.5."
        except UsageError as exc:
            return in_dialog_words(str(exc)) + "."
        return ""


class ImportModelDialog(_ImportDialog):
    """Name of a model file; for pickles, the consent and the dataset to check on."""

    kind = "model"

    def __init__(
        self,
        path: str | Path,
        catalog,
        datasets: Sequence[dict] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(path, catalog, parent)
        self.format = model_formats().get(self.path.suffix.lower(), "")
        self.is_pickle = self.format == "pickle"
        self.consent = QCheckBox("I made this file")
        self.check_on = QComboBox()
        self.warning = Banner(closable=False)
        if self.is_pickle:
            self.warning.show_message(
                f"{self.path.name} is a pickle. Loading a pickle can run any code on this "
                "computer, so import it only if you made this file yourself. Baton unpickles it "
                "in a separate process, re-saves it as .skops and checks that both predict the "
                "same on the dataset you choose; bundles never contain the pickle.",
                "warning",
            )
            self.layout_.insertWidget(2, self.warning)
            for d in datasets:
                if d.get("target"):
                    self.check_on.addItem(theme.icon("dataset"), d["name"], d["name"])
            self.check_on.setToolTip(
                "Predictions of the pickle and of its .skops copy are compared on this data"
            )
            self.form.addRow("", self.consent)
            self.form.addRow("&Check predictions on", self.check_on)
            self.consent.toggled.connect(self._validate)
        else:
            self.consent.hide()
            self.check_on.hide()
            what = {
                "skops": "a scikit-learn model saved with skops; every type it contains is checked against Baton's allowlist before it is loaded",
                "onnx": "an ONNX graph; its weights must be inline",
            }.get(self.format, "")
            if self.path.is_dir():
                what = (
                    "an MLflow model folder: its MLmodel file names the model inside, which "
                    "is checked as any model file is; the signature names the features and "
                    "the input example is run as a smoke test"
                )
            if what:
                self.layout_.insertWidget(
                    2,
                    muted_label(
                        f"This is {what}. It is loaded in a separate process with a memory limit."
                    ),
                )
        self.declare_task = DeclareTaskBox()
        self.layout_.addWidget(self.declare_task)
        for signal in self.declare_task.changed:
            signal.connect(self._validate)
        self._feature_rows(datasets)
        self._finish_layout()

    def _feature_rows(self, datasets: Sequence[dict]) -> None:
        """Where the names of the model's inputs come from, and the names that will be used."""
        from baton.core.data.importer import feature_columns

        self.features_from = QComboBox()
        self.features_from.addItem("From the model, or its first evaluation", FROM_MODEL)
        self._dataset_features: dict[str, list[str]] = {}
        for d in datasets:
            names, _ = feature_columns(d.get("columns") or [], d.get("target"), d.get("id_column"))
            if names:
                self._dataset_features[d["name"]] = names
                self.features_from.addItem(
                    theme.icon("dataset"), f"Columns of {d['name']}", d["name"]
                )
        self.features_from.addItem("Typed below", TYPED)
        self.features_from.setToolTip(
            "A model fitted on an array or exported with one tensor input does not know its "
            "inputs' names; every dataset is matched to these names, not to column positions"
        )
        self.features_typed = QLineEdit()
        self.features_typed.setPlaceholderText(
            "Names in the model's order: alcohol, malic_acid, ash, …"
        )
        self.features_shown = muted_label()
        self.form.addRow("&Feature names", self.features_from)
        self.form.addRow("", self.features_typed)
        self.form.addRow(self.features_shown)
        self.features_from.currentIndexChanged.connect(self._show_features)
        self.features_typed.textChanged.connect(self._show_features)
        self._show_features()

    def feature_names(self) -> list[str] | None:
        """The names chosen for the model's inputs, or None to take them from the model."""
        choice = self.features_from.currentData()
        if choice == TYPED:
            return [n.strip() for n in self.features_typed.text().split(",") if n.strip()]
        return self._dataset_features.get(choice)

    def _show_features(self, *_: object) -> None:
        self.features_typed.setVisible(self.features_from.currentData() == TYPED)
        names = self.feature_names()
        if names is None:
            text = (
                "Names the model records are used. A model that records none takes them from "
                "the first dataset it is evaluated on."
            )
        else:
            more = f", … ({len(names) - 8} more)" if len(names) > 8 else ""
            shown = ", ".join(names[:8]) + more
            text = f"{counted(len(names), 'name')}, in the model's order: {shown}."
        self.features_shown.setText(text)
        self.features_shown.setToolTip(
            "The import refuses a list whose length is not the model's input count"
        )
        self._validate()
        self.adjustSize()
        if self.isVisible():
            self.fit_height()

    def declared_features(self) -> dict[str, Any]:
        """The ``features`` part of the declaration handed to the import."""
        names = self.feature_names()
        if names is None:
            return {}
        choice = self.features_from.currentData()
        return {
            "features": tuple(names),
            "features_source": "declared" if choice == TYPED else f"dataset {choice}",
        }

    def _problem(self) -> str:
        problem = super()._problem() or self.declare_task.problem()
        if not problem and hasattr(self, "features_from") and self.feature_names() == []:
            return "Type the feature names, separated by commas, or choose where they come from."
        if problem or not self.is_pickle:
            return problem
        if self.check_on.count() == 0:
            return (
                "Import the dataset this model was trained or tested on first (with its target "
                "column): the pickle's predictions are checked on it."
            )
        if not self.consent.isChecked():
            return "Tick “I made this file” to import a pickle."
        return ""

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.text().strip(),
            "trust_pickle": self.is_pickle and self.consent.isChecked(),
            "check_on": self.check_on.currentData() if self.is_pickle else None,
            "declared": self._declared(),
        }

    def _declared(self):
        from baton.core.data.importer import Declared

        return Declared(**self.declare_task.values(), **self.declared_features())


class ShortcutsDialog(QDialog):
    """Every action that has a keyboard shortcut."""

    def __init__(self, actions: Sequence[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        layout = QVBoxLayout(self)
        rows = []
        seen = set()
        for action in actions:
            keys = action.shortcut().toString(action.shortcut().SequenceFormat.NativeText)
            name = action.text().replace("&", "")
            if keys and (name, keys) not in seen:
                seen.add((name, keys))
                rows.append((name, keys))
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        for r, (name, keys) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(name))
            self.table.setItem(r, 1, QTableWidgetItem(keys))
        layout.addWidget(self.table)
        layout.addWidget(
            muted_label(
                "Drag model (.skops, .onnx, .joblib, .pkl) and dataset (.csv, .parquet) files onto the window to import them."
            )
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(440, 520)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft)
