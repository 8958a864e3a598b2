"""The page of one model: what it is, whether it is safe, and its measurements.

The header and the Overview tab render the catalog record (format, framework and
version, estimator, parameter count, size, inputs, classes, safety). The measure bar
picks a catalog dataset that has a target and starts ``baton.core.measure.runs.evaluate`` or
``.profile`` on the worker; the Evaluation and Profiling tabs show the latest
measurement of this model on that dataset.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from baton.core.present import counted, fmt_size, fmt_when
from baton.gui.catalog.evaluation_view import EvaluationView
from baton.gui.catalog.profiling_view import ProfilingView
from baton.gui.common import jobs, theme
from baton.gui.common.widgets import (
    Banner,
    FlowLayout,
    JobProgress,
    KeyValueGrid,
    card,
    group,
    muted_label,
    page_header,
)
from baton.gui.contract.contract_view import ContractPage

TASK_NAMES = {
    "binary": "binary classifier",
    "multiclass": "multiclass classifier",
    "regression": "regressor",
}
NO_DATASET = "No dataset with a target column yet — import one to evaluate this model."


DECISION_LABELS = {
    "task": "Problem type",
    "classes": "Classes",
    "positive": "Positive class",
    "score": "Score",
    "threshold": "Threshold",
}


def decided_rows(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Task, classes, positive class, score and threshold, each with how it was decided."""
    from baton.core.data.declare import decisions
    from baton.gui.common.words import in_dialog_words

    return [(DECISION_LABELS[what], in_dialog_words(how)) for what, how in decisions(dict(record))]


def safety_text(safety: Mapping[str, Any] | None) -> tuple[str, str]:
    """Banner text and kind for a model's safety record."""
    if not safety:
        return "No safety check is recorded for this model.", "warning"
    verdict = str(safety.get("verdict", "unknown"))
    method = safety.get("method", "")
    if verdict != "passed":
        return f"Safety check {verdict}: {method}.", "error"
    if "pickle" in method:
        rows = safety.get("checked_rows")
        same = safety.get("identical_predictions")
        check = (
            f"; predictions identical on {safety.get('checked_on')}"
            + (f" ({rows:,} rows)" if rows else "")
            if same
            else ""
        )
        return (
            "Safe to load: imported from a pickle you said you made, re-saved as .skops"
            f"{check}. Bundles carry the .skops file, never the pickle.",
            "ok",
        )
    if "onnx" in method:
        return "Safe to load: an ONNX graph with its weights inline (no external data).", "ok"
    extra = safety.get("allowed_extra_types") or []
    types = (
        f" ({len(extra)} extra scikit-learn/numpy/scipy types)" if extra else " (no extra types)"
    )
    return f"Safe to load: every type passed Baton's skops allowlist{types}.", "ok"


class _Table(QTableWidget):
    def __init__(self, headers: list[str]) -> None:
        super().__init__(0, len(headers))
        self.setHorizontalHeaderLabels(headers)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.setShowGrid(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft)
        self.setMinimumHeight(160)

    def fill(self, rows: list[tuple[Any, ...]]) -> None:
        self.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                self.setItem(r, c, QTableWidgetItem("" if value is None else str(value)))
        visible = min(len(rows), 12)
        height = self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth() + 4
        height += sum(self.rowHeight(r) for r in range(visible))
        self.setFixedHeight(max(60, height))


class ModelPage(QWidget):
    """One model. ``ctx`` is the main window (catalog, runner, messages)."""

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.record: dict[str, Any] | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 10)
        layout.setSpacing(8)

        page_header(self, layout)
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.safety = Banner(closable=False)
        layout.addWidget(self.safety)
        layout.addWidget(self._measure_bar())
        # Per kind of measurement, its progress in place; the workers by (kind, model), so
        # another model's page can still queue its own measurement.
        self.job_progress = {"evaluation": JobProgress(), "profile": JobProgress()}
        for strip in self.job_progress.values():
            layout.addWidget(strip)
        self._jobs: dict[tuple[str, str], Any] = {}
        self._has_dataset = False

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(False)
        self.overview = self._overview()
        self.evaluation = EvaluationView()
        self.profiling = ProfilingView()
        self.contract = ContractPage(ctx)
        self.contract.budget_s = lambda: self.budget.value()
        self.tabs.addTab(self.overview, theme.icon("model"), "Overview")
        self.tabs.addTab(self.evaluation, theme.icon("evaluate"), "Evaluation")
        self.tabs.addTab(self.profiling, theme.icon("profile"), "Profiling")
        self.tabs.addTab(self.contract, theme.icon("contract"), "Contract")
        layout.addWidget(self.tabs, 1)
        self._dataset: dict[str, Any] | None = None
        # Per table: "" = not drawn since the model or dataset changed, else what is shown.
        self._rendered: dict[str, Any] = {"evaluations": None, "profiles": None}
        self.tabs.currentChanged.connect(self._render_visible)
        for i in range(self.tabs.count()):
            self.tabs.widget(i).ensurePolished()  # styled now, not when work is running

        self.action_evaluate = QAction(theme.icon("evaluate"), "Evaluate", self)
        self.action_evaluate.setShortcut(QKeySequence("Ctrl+E"))
        self.action_evaluate.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.action_evaluate.triggered.connect(self.evaluate)
        self.action_profile = QAction(theme.icon("profile"), "Profile", self)
        self.action_profile.setShortcut(QKeySequence("Ctrl+P"))
        self.action_profile.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.action_profile.triggered.connect(self.profile)
        self.addAction(self.action_evaluate)
        self.addAction(self.action_profile)

    # -- building

    def _measure_bar(self) -> QFrame:
        bar = QFrame()
        bar.setObjectName("MeasureBar")
        flow = FlowLayout(bar, spacing=6)
        flow.setContentsMargins(10, 6, 10, 6)
        on_colour = theme.current_colors()["accent_text"]

        label = QLabel("Measure on")
        self.dataset_choice = QComboBox()
        self.dataset_choice.setMinimumContentsLength(16)
        self.dataset_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.dataset_choice.setToolTip("A catalog dataset with a target column")
        self.dataset_choice.currentIndexChanged.connect(self._dataset_changed)
        label.setBuddy(self.dataset_choice)
        flow.addWidget(group(label, self.dataset_choice))

        self.bootstrap = QSpinBox()
        self.bootstrap.setRange(0, 100_000)
        self.bootstrap.setSingleStep(100)
        self.bootstrap.setValue(1000)
        self.bootstrap.setGroupSeparatorShown(True)
        self.bootstrap.setToolTip("Bootstrap resamples for the 95 % intervals (0: no intervals)")
        self.evaluate_button = QPushButton(theme.icon("evaluate", on_colour), "Evaluate")
        self.evaluate_button.setObjectName("Primary")
        self.evaluate_button.setToolTip(
            "Predict the dataset and compute metrics with intervals (Ctrl+E)"
        )
        self.evaluate_button.clicked.connect(self.evaluate)
        flow.addWidget(group(QLabel("Resamples"), self.bootstrap, self.evaluate_button))

        self.budget = QDoubleSpinBox()
        self.budget.setRange(0.1, 600.0)
        self.budget.setDecimals(1)
        self.budget.setSingleStep(0.5)
        self.budget.setValue(2.0)
        self.budget.setSuffix(" s")
        self.budget.setToolTip("Time spent sampling latency at each batch size")
        self.profile_button = QPushButton(theme.icon("profile", on_colour), "Profile")
        self.profile_button.setObjectName("Primary")
        self.profile_button.setToolTip("Measure latency per batch size and memory (Ctrl+P)")
        self.profile_button.clicked.connect(self.profile)
        flow.addWidget(group(QLabel("Time per batch size"), self.budget, self.profile_button))
        return bar

    def _overview(self) -> QWidget:
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(10)
        self.details = KeyValueGrid(columns=2)
        layout.addWidget(card(self.details, title="Details"))
        self.safety_details = KeyValueGrid(columns=2)
        layout.addWidget(card(self.safety_details, title="Safety"))
        self.inputs = _Table(["#", "Input feature", "Type"])
        self.inputs_note = muted_label()
        self.tensors = _Table(["Tensor", "Direction", "Type", "Shape"])
        self._tensors_card = card(self.tensors, title="Graph inputs and outputs")
        self.naming = self._naming_row()
        layout.addWidget(card(self.inputs_note, self.naming, self.inputs, title="Inputs"))
        layout.addWidget(self._tensors_card)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("Page")
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        return scroll

    def _naming_row(self) -> QWidget:
        """Name unnamed inputs after a catalog dataset's columns: pick, read, confirm."""
        row = QWidget()
        box = QVBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        self.naming_choice = QComboBox()
        self.naming_choice.setToolTip(
            "The dataset whose columns (minus its target and id) name the inputs"
        )
        self.naming_button = QPushButton("Name the features")
        self.naming_button.setToolTip(
            "Record these names for good; every dataset is then matched by name"
        )
        self.naming_button.clicked.connect(self.name_features)
        self.naming_preview = muted_label()
        box.addWidget(group(QLabel("Name them after"), self.naming_choice, self.naming_button))
        box.addWidget(self.naming_preview)
        self.naming_choice.currentIndexChanged.connect(self._preview_names)
        return row

    # -- showing a model

    def set_record(self, record: Mapping[str, Any]) -> None:
        same = self.record is not None and self.record.get("id") == record.get("id")
        self.record = dict(record)
        info = record.get("info") or {}
        self.icon.setPixmap(theme.pixmap("model", 36, theme.current_colors()["accent"]))
        self.title.setText(record["name"])
        task = TASK_NAMES.get(record.get("task") or "", record.get("task") or "model")
        framework = " ".join(
            str(v) for v in (record.get("framework"), record.get("framework_version")) if v
        )
        params = record.get("params")
        bits = [
            f"{framework} {task}".strip(),
            f".{record.get('format')} file" if record.get("format") else None,
            f"{params:,} parameters" if isinstance(params, int) else None,
            fmt_size(record.get("size_bytes")) if record.get("size_bytes") is not None else None,
        ]
        self.subtitle.setText(" · ".join(b for b in bits if b))
        text, kind = safety_text(record.get("safety"))
        self.safety.show_message(text, kind)

        classes = record.get("classes")
        self.details.set_rows(
            [
                ("Estimator", record.get("estimator")),
                ("Final estimator", info.get("final_estimator")),
                *(
                    decided_rows(record)
                    or [
                        ("Problem type", task),
                        ("Classes", ", ".join(map(str, classes)) if classes else None),
                    ]
                ),
                ("Framework", framework or None),
                ("Format", record.get("format")),
                ("Parameters", f"{params:,}" if isinstance(params, int) else None),
                ("Size", fmt_size(record.get("size_bytes"))),
                ("Probabilities", "yes" if info.get("has_predict_proba") else None),
                ("Producer", info.get("producer")),
                ("Opset", info.get("opset")),
                ("Imported from", info.get("source_file")),
                ("Stored as", record.get("file_name")),
                ("Imported", fmt_when(record.get("created_at"))),
                ("SHA-256", record.get("sha256")),
            ],
            mono=("SHA-256",),
        )
        safety = record.get("safety") or {}
        self.safety_details.set_rows(
            [(k.replace("_", " ").capitalize(), _plain(v)) for k, v in sorted(safety.items())]
        )
        features = record.get("features") or []
        self.inputs.fill(
            [
                (
                    i + 1,
                    f.get("name")
                    if f.get("name")
                    else f"column {f.get('index', i) + 1} (by position)",
                    f.get("dtype") or "not declared",
                )
                for i, f in enumerate(features)
            ]
        )
        self._show_feature_source(record, features)
        tensors = [
            (t.get("name"), direction, t.get("dtype"), _shape(t.get("shape")))
            for direction, key in (("input", "inputs"), ("output", "outputs"))
            for t in info.get(key) or []
        ]
        self.tensors.fill(tensors)
        self._tensors_card.setVisible(bool(tensors))
        self.refresh_datasets(keep=same)
        if not same:
            self.tabs.setCurrentWidget(self.overview)

    def _show_feature_source(self, record: Mapping[str, Any], features: list) -> None:
        source = (record.get("info") or {}).get("features_source")
        named = bool(features) and all(f.get("name") for f in features)
        if not features:
            note = "The model does not declare its inputs."
        elif named:
            note = (
                f"{counted(len(features), 'feature')}, named by {source or 'the model'}. Every "
                "dataset is matched to them by name: columns in another order are reordered, "
                "missing or extra columns are refused."
            )
        else:
            note = (
                f"{counted(len(features), 'unnamed feature')}. The first evaluation names them "
                "after its dataset's columns, in order; or name them now after a dataset the "
                "model was trained or tested on."
            )
        self.inputs_note.setText(note)
        self.naming.setVisible(bool(features) and not named)
        if self.naming.isVisible() or not named:
            self._fill_naming_choice()

    def _fill_naming_choice(self) -> None:
        from baton.core.data.importer import feature_columns

        catalog = self.ctx.catalog
        count = len((self.record or {}).get("features") or [])
        self._naming_names: dict[str, list[str]] = {}
        self.naming_choice.blockSignals(True)
        self.naming_choice.clear()
        for d in catalog.list_dataset_choices(limit=500) if catalog else []:
            names, _ = feature_columns(d.get("columns") or [], d.get("target"), d.get("id_column"))
            self._naming_names[d["name"]] = names
            fits = "" if len(names) == count else f" ({len(names)} columns, not {count})"
            self.naming_choice.addItem(theme.icon("dataset"), d["name"] + fits, d["name"])
        self.naming_choice.blockSignals(False)
        self._preview_names()

    def _preview_names(self, *_: object) -> None:
        names = self._naming_names.get(self.naming_choice.currentData()) or []
        count = len((self.record or {}).get("features") or [])
        if not names:
            text, ok = "Import the dataset the model was trained or tested on to name them.", False
        elif len(names) != count:
            text = f"This dataset has {len(names)} feature columns; the model reads {count}."
            ok = False
        else:
            text = (
                "The inputs will be named, in order: "
                + ", ".join(names[:20])
                + (f", and {len(names) - 20} more" if len(names) > 20 else "")
                + ". Names once recorded are not changed."
            )
            ok = True
        self.naming_preview.setText(text)
        self.naming_button.setEnabled(ok)

    def name_features(self) -> None:
        model, dataset = (self.record or {}).get("name"), self.naming_choice.currentData()
        if not model or not dataset:
            return
        self.ctx.runner.submit(
            f"Naming the features of {model}",
            jobs.name_features_job(model, dataset),
            on_success=self._features_named,
        )

    def _features_named(self, record: dict) -> None:
        source = (record.get("info") or {}).get("features_source")
        self.ctx.show_status(f"The features of {record['name']} are named after {source}.")
        if self.record and self.record.get("id") == record.get("id"):
            self.set_record(record)

    def retheme(self) -> None:
        """Re-tint the icons after a theme change (the charts redraw themselves)."""
        colors = theme.current_colors()
        self.icon.setPixmap(theme.pixmap("model", 36, colors["accent"]))
        for i, name in enumerate(("model", "evaluate", "profile", "contract")):
            self.tabs.setTabIcon(i, theme.icon(name))
        self.evaluate_button.setIcon(theme.icon("evaluate", colors["accent_text"]))
        self.profile_button.setIcon(theme.icon("profile", colors["accent_text"]))
        self.contract.retheme()
        self.action_evaluate.setIcon(theme.icon("evaluate"))
        self.action_profile.setIcon(theme.icon("profile"))
        for i in range(self.dataset_choice.count()):
            if self.dataset_choice.itemData(i):
                self.dataset_choice.setItemIcon(i, theme.icon("dataset"))

    def refresh_datasets(self, keep: bool = True) -> None:
        """Refill the dataset choice from the catalog (after imports).

        Datasets with every input column the model names come first; the one this model
        was last measured on (else the one a pickle was checked on, else a test set) is
        chosen.
        """
        from baton.core.data.importer import feature_columns

        catalog = self.ctx.catalog
        previous = self.dataset_choice.currentData() if keep else None
        self.dataset_choice.blockSignals(True)
        self.dataset_choice.clear()
        datasets = [
            d
            for d in (catalog.list_dataset_choices(limit=500) if catalog else [])
            if d.get("target")
        ]
        needed = {f["name"] for f in (self.record or {}).get("features") or [] if f.get("name")}

        def fits(d: dict) -> bool:  # features are matched by name: no column missing or extra
            names, _ = feature_columns(d.get("columns") or [], d.get("target"), d.get("id_column"))
            return not needed or needed == set(names)

        datasets.sort(key=lambda d: not fits(d))
        last = catalog.last_measured_dataset_id(self.record["id"]) if catalog else None
        checked_on = ((self.record or {}).get("safety") or {}).get("checked_on")
        preferred = (
            next((d["name"] for d in datasets if d["id"] == last), None)
            or next((d["name"] for d in datasets if d["name"] == checked_on), None)
            or next((d["name"] for d in datasets if fits(d) and d.get("role") == "test"), None)
            or next((d["name"] for d in datasets if fits(d)), None)
        )
        for d in datasets:
            role = f" · {d['role']}" if d.get("role") else ""
            label = f"{d['name']}{role}" + ("" if fits(d) else " (columns differ)")
            self.dataset_choice.addItem(theme.icon("dataset"), label, d["name"])
            if not fits(d):
                index = self.dataset_choice.count() - 1
                self.dataset_choice.setItemData(
                    index,
                    "This dataset's columns are not the model's input features",
                    Qt.ItemDataRole.ToolTipRole,
                )
        choice = previous if previous and self.dataset_choice.findData(previous) >= 0 else preferred
        if choice:
            self.dataset_choice.setCurrentIndex(self.dataset_choice.findData(choice))
        has = bool(datasets)
        if not has:
            self.dataset_choice.addItem("no dataset with a target")
        self.dataset_choice.blockSignals(False)
        self.dataset_choice.setEnabled(has)
        self._has_dataset = has
        self._show_jobs()
        self.load_measurements()

    def dataset_name(self) -> str | None:
        return self.dataset_choice.currentData()

    def select_dataset(self, name: str) -> None:
        index = self.dataset_choice.findData(name)
        if index >= 0:
            self.dataset_choice.setCurrentIndex(index)

    def _dataset_changed(self, *_: object) -> None:
        self.load_measurements()

    def load_measurements(self) -> None:
        """Show the latest evaluation and profile of this model on the chosen dataset.

        A measurement is read and drawn when its tab is visible (the other one when it is
        shown), so a finished measurement never costs the GUI thread two redraws at once.
        """
        catalog, name = self.ctx.catalog, self.dataset_name()
        self._dataset = None
        self._rendered = {"evaluations": "", "profiles": ""}
        if catalog is None or self.record is None or not name:
            self.evaluation.show_empty(NO_DATASET)
            self.profiling.show_empty(NO_DATASET)
            self.contract.set_model(self.record, None)
            self._rendered = {"evaluations": None, "profiles": None}
            return
        try:
            self._dataset = catalog.get_dataset(name)
        except Exception as exc:  # the dataset vanished or the catalog failed: say so
            self.ctx.show_message(str(exc), "error")
            return
        self.contract.set_model(self.record, self._dataset)
        self._render_visible()

    def _render_visible(self, *_: object) -> None:
        catalog, current = self.ctx.catalog, self.tabs.currentWidget()
        if catalog is None or self._dataset is None or self.record is None:
            return
        for table, view in (("evaluations", self.evaluation), ("profiles", self.profiling)):
            if view is not current or self._rendered.get(table) != "":
                continue
            measurement = catalog.latest_measurement(table, self.record, self._dataset)
            view.set_measurement(measurement)
            self._rendered[table] = measurement["id"] if measurement else None

    # -- measuring

    def evaluate(self) -> None:
        model, dataset = (self.record or {}).get("name"), self.dataset_name()
        if not model or not dataset or ("evaluation", model) in self._jobs:
            return
        worker = self.ctx.runner.submit(
            f"Evaluating {model} on {dataset}",
            jobs.evaluate_job(model, dataset, bootstrap=self.bootstrap.value()),
            on_success=lambda m, model=model: self._measured(model, "evaluation"),
            on_done=lambda key=("evaluation", model): self._job_ended(key),
        )
        self._track("evaluation", model, worker)

    def profile(self) -> None:
        model, dataset = (self.record or {}).get("name"), self.dataset_name()
        if not model or not dataset or ("profile", model) in self._jobs:
            return
        worker = self.ctx.runner.submit(
            f"Profiling {model} on {dataset}",
            jobs.profile_job(model, dataset, budget_s=self.budget.value()),
            on_success=lambda m, model=model: self._measured(model, "profile"),
            on_done=lambda key=("profile", model): self._job_ended(key),
        )
        self._track("profile", model, worker)

    def _track(self, what: str, model: str, worker: Any) -> None:
        """Follow a started measurement on this page until it ends (``_job_ended``, which
        ``submit`` connected before the job started)."""
        self._jobs[(what, model)] = worker
        self.tabs.setCurrentWidget(self.evaluation if what == "evaluation" else self.profiling)
        self._show_jobs()

    def _job_ended(self, key: tuple[str, str]) -> None:
        self._jobs.pop(key, None)
        self._show_jobs()

    def _show_jobs(self) -> None:
        """Progress, busy text and enabled actions for the jobs of the model shown."""
        shown = (self.record or {}).get("name")
        for what, view, widgets in (
            ("evaluation", self.evaluation, (self.evaluate_button, self.action_evaluate)),
            ("profile", self.profiling, (self.profile_button, self.action_profile)),
        ):
            worker = self._jobs.get((what, shown or ""))
            strip = self.job_progress[what]
            if worker is not None:
                strip.follow(worker)
                view.set_busy(f"{worker.title} — progress is shown above.")
            else:
                strip.release()
                view.set_busy(None)
            for w in widgets:
                w.setEnabled(self._has_dataset and worker is None)

    def _measured(self, model: str, what: str) -> None:
        self.ctx.show_status(f"The {what} of {model} is recorded.")
        if self.record and self.record.get("name") == model:
            if what == "evaluation":  # a first evaluation names unnamed features
                fresh = self.ctx.catalog.get_model(model)
                if fresh.get("features") != self.record.get("features"):
                    # only then: rebuilding the page is a stall the user would feel
                    self.set_record(fresh)
            self.tabs.setCurrentWidget(self.evaluation if what == "evaluation" else self.profiling)
            self.load_measurements()


def _shape(shape: Any) -> str:
    if not shape:
        return "scalar" if shape == [] else "—"
    return "[" + ", ".join("batch" if d is None else str(d) for d in shape) + "]"


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) if value else "none"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
