"""The editor of one draft contract (:class:`ContractEditor`): identity, intended use and
limitations, the targets, and the measured sections read-only. Every change goes through
core on a copy of the contract; what core refuses stays in its field, marked, until fixed; what it accepts is one :class:`ContractEdit` on the main window's
undo stack."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack
from PySide6.QtWidgets import (
    QCompleter,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from baton.core.present import (
    FIELD_LABELS,
    TARGET_FIELD_LABELS,
    fmt_count,
    fmt_peak_mb,
    fmt_target_value,
    fmt_when,
    metric_label,
)
from baton.gui.common import theme
from baton.gui.common.tables import LatencyTable, MetricsTable, ReadOnlyTable
from baton.gui.common.verdicts import (
    model_rows,
)
from baton.gui.common.widgets import (
    Banner,
    KeyValueGrid,
    ResponsiveGrid,
    card,
    group,
    muted_label,
    title_label,
)
from baton.gui.contract.fields import (
    ADD_TARGET_HINT,
    FILLED_WHEN_PACKED,
    IDENTITY_FIELDS,
    NO_TARGETS,
    TARGET_PATH,
    FieldMessage,
    mark_invalid,
)
from baton.gui.contract.targets_table import TargetsTable


class ContractEditor(QWidget):
    """Edits one contract through core; see the module docstring.

    ``contract`` is always a contract core accepted. Fields core refused are ``pending``:
    shown, marked, explained, and left out of the contract. Signals: ``changed()`` after
    every accepted change, undo or redo; ``problems_changed(count)``.
    """

    changed = Signal()
    problems_changed = Signal(int)
    measure_requested = Signal()  # profile again at the batch sizes the targets name

    def __init__(self, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ContractEditor")
        self.undo_stack = undo_stack
        self.contract: dict[str, Any] = {}
        self._pending: dict[str, tuple[Any, str]] = {}  # identity field -> (value, why)
        self._pending_rows: dict[int, dict[str, Any]] = {}  # target row -> fields typed
        self._row_errors: dict[int, str] = {}  # target row -> core's refusal
        self._pushing = False
        self._syncing = False
        self._focus_token = 0
        self._facts: list[tuple[str, Any]] = []
        self.problems: list[tuple[str, str, str]] = []  # (path, message, kind) on screen

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(12)
        self.summary = Banner(closable=False)
        layout.addWidget(self.summary)
        layout.addWidget(self._identity_card())
        layout.addWidget(self._targets_card())
        self.model_grid = KeyValueGrid(columns=2)
        self.features = muted_label()
        layout.addWidget(card(self.model_grid, self.features, title="Model (measured)"))
        self.datasets = ReadOnlyTable(
            ("Role", "Name", "In the bundle", "Rows", "Columns", "Target", "Fingerprint"),
            numeric=(3, 4),
            mono=(6,),
        )
        layout.addWidget(card(self.datasets, title="Datasets (measured)"))
        self.metrics = MetricsTable()
        self.latency = LatencyTable()
        self.memory = KeyValueGrid()
        self.results_note = muted_label()
        quality = QWidget()
        column = QVBoxLayout(quality)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(title_label("Quality", "SectionTitle"))
        column.addWidget(self.metrics)
        column.addStretch(1)
        side = QWidget()
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(title_label("Latency per batch size", "SectionTitle"))
        column.addWidget(self.latency)
        column.addWidget(title_label("Memory and size", "SectionTitle"))
        column.addWidget(self.memory)
        column.addStretch(1)
        # Side by side when both fit, else one under the other: never a horizontal scroll.
        results = ResponsiveGrid(threshold=None)
        results.set_items([(quality, False), (side, False)])
        layout.addWidget(card(self.results_note, results, title="Results (measured)"))
        self.environment = KeyValueGrid(columns=2)
        layout.addWidget(card(self.environment, title="Environment it was measured in"))
        layout.addStretch(1)

    # -- building

    def _identity_card(self) -> QFrame:
        self.name_edit = QLineEdit()
        self.name_edit.setMaximumWidth(520)
        self.version_edit = QLineEdit()
        self.version_edit.setFixedWidth(120)
        self.use_edit = QPlainTextEdit()
        self.use_edit.setPlaceholderText(
            "What the model is for, for whom, and who decides (required before export)"
        )
        self.limitations_edit = QPlainTextEdit()
        self.limitations_edit.setPlaceholderText(
            "Where it should not be used: data it never saw, known weak spots"
        )
        for edit in (self.use_edit, self.limitations_edit):
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(72)
        self.field_messages = {f: FieldMessage() for f in IDENTITY_FIELDS}
        self.field_widgets: dict[str, QWidget] = {
            "name": self.name_edit,
            "version": self.version_edit,
            "intended_use": self.use_edit,
            "limitations": self.limitations_edit,
        }
        self.name_edit.textEdited.connect(lambda text: self._identity_edited("name", text))
        self.version_edit.textEdited.connect(lambda text: self._identity_edited("version", text))
        self.use_edit.textChanged.connect(
            lambda: self._identity_edited("intended_use", self.use_edit.toPlainText())
        )
        self.limitations_edit.textChanged.connect(
            lambda: self._identity_edited("limitations", self.limitations_edit.toPlainText())
        )
        for widget in self.field_widgets.values():
            widget.installEventFilter(self)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        form.setVerticalSpacing(6)

        def field(widget: QWidget, message: FieldMessage, hint: str = "") -> QWidget:
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(3)
            if hint:
                line = QHBoxLayout()
                line.setSpacing(10)
                line.addWidget(widget)
                line.addWidget(muted_label(hint), 1)
                column.addLayout(line)
            else:
                column.addWidget(widget)
            column.addWidget(message)
            return box

        form.addRow(
            "&Name",
            field(
                self.name_edit,
                self.field_messages["name"],
                "The bundle's name; versions of one model share it.",
            ),
        )
        form.addRow(
            "&Version",
            field(
                self.version_edit,
                self.field_messages["version"],
                "Saving under a new name or version stores a new draft and keeps this one.",
            ),
        )
        form.addRow("Intended &use", field(self.use_edit, self.field_messages["intended_use"]))
        form.addRow(
            "&Limitations", field(self.limitations_edit, self.field_messages["limitations"])
        )
        self.identity_facts = KeyValueGrid(columns=2)
        box = QWidget()
        box.setLayout(form)
        return card(box, self.identity_facts, title="Identity")

    def _targets_card(self) -> QFrame:
        self.targets = TargetsTable()
        self.targets.edited.connect(self._target_edited)
        self.targets.remove_requested.connect(self._remove_target)
        self.targets.focus_moved.connect(self._new_focus)
        self.no_targets = muted_label(NO_TARGETS)
        self.add_edit = QLineEdit()
        self.add_edit.setPlaceholderText(ADD_TARGET_HINT)
        self.add_edit.returnPressed.connect(self.add_target_from_text)
        self.add_edit.textEdited.connect(lambda _t: self._show_add_problem(""))
        from baton.core.contract.targets import TARGET_METRICS

        completer = QCompleter(list(TARGET_METRICS), self.add_edit)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.add_edit.setCompleter(completer)
        self.add_button = QPushButton(theme.icon("contract"), "Add target")
        self.add_button.clicked.connect(self.add_target_from_text)
        self.add_message = FieldMessage()
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(QLabel("New target"))
        line.addWidget(self.add_edit, 1)
        line.addWidget(self.add_button)
        self.verdict_note = muted_label(
            "Verdicts are recomputed as you type, from the measured results below: "
            "PASS, FAIL, or NOT MEASURED when the results hold no such figure."
        )
        # A target at a batch size never profiled: offer to measure it here and now.
        self.measure_note = muted_label()
        self._measure_text = "Measure"
        self.measure_button = QPushButton(theme.icon("profile"), self._measure_text)
        self.measure_button.clicked.connect(self.measure_requested)
        self.measure_row = group(self.measure_note, self.measure_button, spacing=8)
        self.measure_row.hide()
        return card(
            self.targets,
            self.no_targets,
            row,
            self.add_message,
            self.measure_row,
            self.verdict_note,
            title="Targets",
        )

    def set_measuring(self, measuring: bool) -> None:
        """While the profile runs, the button waits (the page runs it on the worker)."""
        self.measure_button.setEnabled(not measuring)
        self.measure_button.setText("Measuring…" if measuring else self._measure_text)

    def apply_measurement(self, contract: dict[str, Any]) -> bool:
        """Take the draft measured again (``drafts.measure_targets``) as one undo step."""
        if not self.contract or contract["identity"]["id"] != self.contract["identity"]["id"]:
            return False
        from baton.core.contract.document import reevaluate_targets

        # Keep what was edited while the profile ran; take only the measured sections.
        after = copy.deepcopy(self.contract)
        for key in ("results", "environment"):
            after[key] = copy.deepcopy(contract[key])
        self._push(reevaluate_targets(after), "measuring latency at the targets' batch sizes")
        return True

    def apply_candidates(self, contract: dict[str, Any], text: str) -> bool:
        """Take the draft's candidates list (``drafts.add_candidate``) as one undo step."""
        if not self.contract or contract["identity"]["id"] != self.contract["identity"]["id"]:
            return False
        from baton.core.contract.document import reevaluate_targets

        after = copy.deepcopy(self.contract)
        after["candidates"] = copy.deepcopy(contract["candidates"])
        self._push(reevaluate_targets(after), text)
        return True

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt naming
        if event.type() == QEvent.Type.FocusIn:
            self._new_focus()
        return super().eventFilter(watched, event)

    def _new_focus(self) -> None:
        # Typing after the focus moved starts a new undo step.
        self._focus_token += 1

    # -- loading

    def set_contract(self, contract: Mapping[str, Any]) -> None:
        """Show a contract afresh (a newly opened draft): no pending fields, no undo history."""
        self._pending.clear()
        self._pending_rows.clear()
        self._row_errors.clear()
        self.contract = copy.deepcopy(dict(contract))
        self._sync(rebuild=True)
        self._show_measured()

    def restore(self, contract: dict[str, Any]) -> None:
        """Make ``contract`` current (called by the undo stack's commands)."""
        measured_before = self._measured_part(self.contract)
        self.contract = copy.deepcopy(contract)
        if not self._pushing:  # undo or redo: what was typed and refused goes too
            self._pending.clear()
            self._pending_rows.clear()
            self._row_errors.clear()
        self._sync(rebuild=False)
        if self._measured_part(self.contract) != measured_before:
            self._show_measured()
        self.changed.emit()

    @staticmethod
    def _measured_part(contract: Mapping[str, Any]) -> tuple:
        return tuple(contract.get(k) for k in ("model", "datasets", "results", "environment"))

    def _sync(self, rebuild: bool) -> None:
        """Put the contract into the fields (leaving pending ones as typed), then revalidate."""
        c = self.contract
        ident = c["identity"]
        self._syncing = True
        try:
            for field in ("name", "version"):
                edit = self.field_widgets[field]
                if field not in self._pending and edit.text() != ident[field]:
                    edit.setText(ident[field])
            for field in ("intended_use", "limitations"):
                edit = self.field_widgets[field]
                if field not in self._pending and edit.toPlainText() != ident[field]:
                    edit.setPlainText(ident[field])
        finally:
            self._syncing = False
        from baton.core.present import format_fingerprint

        authors = ", ".join(
            f"{a.get('name')} <{a.get('email')}> {format_fingerprint(a.get('fingerprint', ''))[:19]}…"
            for a in ident.get("authors") or []
        )
        facts = [
            ("Problem", ident.get("problem_type")),
            ("Created", fmt_when(ident.get("created"))),
            ("Authors", authors or "none yet — export signs with your key and names you"),
            ("Contract id", ident.get("id")),
        ]
        if facts != self._facts:
            self._facts = facts
            self.identity_facts.set_rows(facts)
        self._sync_targets(rebuild)

    def _sync_targets(self, rebuild: bool = False) -> None:
        from baton.core.contract.targets import TARGET_METRICS, metric_applies

        problem = self.contract["identity"]["problem_type"]
        metrics = [m for m in TARGET_METRICS if metric_applies(m, problem)]
        batches = sorted(r["batch_size"] for r in self.contract["results"].get("latency") or [])
        shown = []
        for i, target in enumerate(self.contract["targets"]):
            shown.append({**target, **self._pending_rows.get(i, {})})
        self.targets.set_targets(shown, metrics, batches, rebuild=rebuild)
        for i, target in enumerate(self.contract["targets"]):
            self.targets.set_result(i, None if i in self._pending_rows else target)
        self.targets.setVisible(bool(shown))
        self.no_targets.setVisible(not shown)
        self._offer_measurement()
        self._revalidate()

    def _offer_measurement(self) -> None:
        from baton.core.contract.document import unmeasured_batches

        missing = unmeasured_batches(self.contract)
        sizes = ", ".join(f"{b:,}" for b in missing)
        noun = "size" if len(missing) == 1 else "sizes"
        self._measure_text = f"Measure batch {noun} {sizes}"
        self.measure_note.setText(
            f"Latency was never measured at batch {noun} {sizes}, which a target names."
        )
        if self.measure_button.isEnabled():
            self.measure_button.setText(self._measure_text)
        self.measure_button.setToolTip(
            "Profile the model again on the test set, at these batch sizes and the ones "
            "already measured; the results below are replaced (undo brings them back)."
        )
        self.measure_row.setVisible(bool(missing))

    def _show_measured(self) -> None:
        """The read-only sections: model, datasets, results, environment."""
        from baton.core.present import format_fingerprint

        c = self.contract
        model = c["model"]
        self.model_grid.set_rows(model_rows(model, "File in the bundle"), mono=("SHA-256",))
        features = model.get("features") or []
        self.features.setText(
            f"{len(features)} input features: "
            + ", ".join(
                f"{f.get('name') or '(by position)'} ({f.get('dtype')})" for f in features[:30]
            )
            + (f", and {len(features) - 30} more" if len(features) > 30 else "")
        )
        self.features.setVisible(bool(features))
        datasets = c.get("datasets") or []
        self.datasets.set_rows(
            [
                (
                    d.get("role"),
                    d.get("name"),
                    "yes" if d.get("role") == "test" else "you choose at export",
                    fmt_count(d.get("rows")),
                    fmt_count(len(d.get("columns") or [])),
                    d.get("target") or "—",
                    format_fingerprint(d.get("fingerprint") or ""),
                )
                for d in datasets
            ],
            tooltips=[
                f"Fingerprint: {d.get('fingerprint')}\nFile SHA-256: {d.get('sha256')}"
                for d in datasets
            ],
        )
        results = c.get("results") or {}
        confidence = results.get("confidence") or {}
        level = confidence.get("level", 0.95)
        self.metrics.set_data(results.get("metrics"), level, (c.get("model") or {}).get("task"))
        self.latency.set_data(results.get("latency"))
        memory = results.get("memory") or {}
        self.memory.set_rows(
            [
                ("Resident after load", _mb(memory.get("rss_delta_after_load_mb"))),
                ("Extra at peak while predicting", fmt_peak_mb(memory.get("peak_predict_mb"))),
                ("Size on disk", _mb(memory.get("size_on_disk_mb"))),
            ]
        )
        bits = [
            f"{fmt_count(results.get('n_rows'))} test rows" if results.get("n_rows") else None,
            f"{fmt_count(confidence.get('resamples'))} bootstrap resamples, seed {confidence.get('seed')}"
            if confidence.get("resamples")
            else None,
            f"positive class {results.get('positive_class')}"
            if results.get("positive_class") is not None
            else None,
        ]
        self.results_note.setText(
            "Measured on the test set: "
            + " · ".join(b for b in bits if b)
            + ". To change these figures, evaluate or profile again and draft a new contract."
        )
        env = c.get("environment") or {}
        packages = env.get("packages") or {}
        self.environment.set_rows(
            [
                ("Python", env.get("python")),
                ("OS", env.get("os")),
                ("CPU", env.get("cpu")),
                ("Machine", env.get("machine")),
                ("Baton", env.get("baton_version")),
                (
                    "Packages",
                    ", ".join(f"{k} {v}" for k, v in sorted(packages.items()) if v) or None,
                ),
            ]
        )

    # -- editing

    def _push(self, after: dict[str, Any], text: str, merge_key: tuple | None = None) -> None:
        if after == self.contract:
            self._revalidate()
            return
        command = ContractEdit(self, copy.deepcopy(self.contract), after, text, merge_key)
        self._pushing = True
        try:
            self.undo_stack.push(command)
        finally:
            self._pushing = False

    def _identity_edited(self, field: str, value: str) -> None:
        if self._syncing or not self.contract:
            return
        from baton.core.contract.document import set_field
        from baton.core.errors import ContractError

        self._pending.pop(field, None)
        try:
            after = set_field(self.contract, f"identity.{field}", value)
        except ContractError as exc:
            self._pending[field] = (value, _in_words(exc))
            self._revalidate()
            return
        label = FIELD_LABELS[f"identity.{field}"]
        # The undo action reads "Undo typing in Limitations".
        self._push(after, f"typing in {label}", ("identity", field, self._focus_token))

    def _target_edited(self, i: int, field: str, value: Any) -> None:
        if not self.contract or i >= len(self.contract["targets"]):
            return
        from baton.core.contract.document import set_field
        from baton.core.contract.targets import BATCHED_METRICS, DEFAULT_BATCH
        from baton.core.errors import ContractError

        pending = self._pending_rows.setdefault(i, {})
        pending[field] = value
        entry = {**self.contract["targets"][i], **pending}
        if field == "metric":
            # The batch follows the metric: latency and throughput read one batch size.
            if value in BATCHED_METRICS:
                entry["batch"] = entry.get("batch") or DEFAULT_BATCH
            else:
                entry["batch"] = None
            pending["batch"] = entry["batch"]
        try:
            after = set_field(self.contract, f"targets.{i}", entry)
        except ContractError as exc:
            self._row_errors[i] = _in_words(exc)
            self._sync_targets()
            return
        self._pending_rows.pop(i, None)
        self._row_errors.pop(i, None)
        metric = after["targets"][i]["metric"]
        self._push(
            after,
            f"the change to the {metric_label(metric)} target's {TARGET_FIELD_LABELS[field]}",
            ("targets", i, field, self._focus_token),
        )
        if after == self.contract:  # no change after all: show the row as it is
            self._sync_targets()

    def _remove_target(self, i: int) -> None:
        from baton.core.contract.document import remove_target
        from baton.core.contract.targets import Target

        if i >= len(self.contract["targets"]):
            return
        expr = Target.from_dict(self.contract["targets"][i]).expr()
        self._pending_rows.clear()  # rows move up: what was typed in them no longer fits
        self._row_errors.clear()
        self._push(remove_target(self.contract, i), f"removing the target {expr}")

    def add_target_from_text(self) -> bool:
        """Add the target typed in the "New target" field (core parses and judges it)."""
        from baton.core.contract.document import add_target
        from baton.core.contract.targets import parse_target
        from baton.core.errors import ContractError

        text = self.add_edit.text().strip()
        if not text:
            self._show_add_problem("Type a target first, such as accuracy>=0.95.")
            return False
        try:
            target = parse_target(text)
            after = add_target(self.contract, target)
        except ContractError as exc:
            self._show_add_problem(str(exc))
            return False
        self._show_add_problem("")
        self.add_edit.clear()
        self._push(after, f"adding the target {target.expr()}")
        return True

    def _show_add_problem(self, message: str) -> None:
        self.add_message.show_message(message, "error")
        mark_invalid(self.add_edit, "error" if message else None)

    # -- validation

    def _issues(self) -> list:
        """Core's sentences for the contract with the refused values in place.

        Each refused value is judged on its own (the identity fields together, each target
        row apart), so a schema problem in one field does not hide what core would say
        about another.
        """
        from baton.core.contract.document import validate_contract

        def judged(candidate: dict[str, Any], keep: Callable[[str], bool]) -> list:
            return [
                i
                for i in validate_contract(candidate, complete=True)
                if i.path not in FILLED_WHEN_PACKED and keep(i.path)
            ]

        def row_of(path: str) -> int | None:
            match = TARGET_PATH.match(path)
            return int(match[1]) if match else None

        refused_rows = set(self._pending_rows)
        issues = judged(
            self.contract,
            lambda p: (
                not (p.startswith("identity.") and p[9:] in self._pending)
                and row_of(p) not in refused_rows
            ),
        )
        if self._pending:
            candidate = copy.deepcopy(self.contract)
            for field, (value, _why) in self._pending.items():
                candidate["identity"][field] = value
            issues += judged(
                candidate, lambda p: p.startswith("identity.") and p[9:] in self._pending
            )
        for i, fields in self._pending_rows.items():
            if i < len(self.contract["targets"]):
                candidate = copy.deepcopy(self.contract)
                candidate["targets"][i].update(fields)
                issues += judged(candidate, lambda p, i=i: row_of(p) == i)
        return issues

    def _revalidate(self) -> None:
        if not self.contract:
            return
        identity: dict[str, list[str]] = {}
        rows: dict[int, tuple[set[str], list[str]]] = {}
        other: list[str] = []
        for issue in self._issues():
            if issue.path.startswith("identity.") and issue.path[9:] in IDENTITY_FIELDS:
                identity.setdefault(issue.path[9:], []).append(issue.sentence)
                continue
            match = TARGET_PATH.match(issue.path)
            if match:
                fields, messages = rows.setdefault(int(match[1]), (set(), []))
                if match[2] in TargetsTable.FIELD_COLUMN:
                    fields.add(match[2])
                messages.append(issue.sentence)
                continue
            other.append(issue.sentence)
        problems: list[tuple[str, str, str]] = []
        for field in IDENTITY_FIELDS:
            messages = identity.get(field, [])
            if field in self._pending and not messages:
                messages = [self._pending[field][1]]
            # A problem with a value the contract holds (an empty intended use) is a
            # warning: it is allowed in a draft, and only stops the export.
            kind = "error" if field in self._pending else "warning"
            self.field_messages[field].show_message("\n".join(messages), kind)
            mark_invalid(self.field_widgets[field], kind if messages else None)
            problems += [(f"identity.{field}", m, kind) for m in messages]
        for i in range(self.targets.count()):
            fields, messages = rows.get(i, (set(), []))
            pending = set(self._pending_rows.get(i, {}))
            if pending and not messages and i in self._row_errors:
                messages = [self._row_errors[i]]
            if messages and not fields:
                fields = pending or {"metric"}
            self.targets.set_problem(
                i, fields | (pending if messages else set()), "\n".join(messages)
            )
            problems += [(f"targets[{i}]", m, "error") for m in messages]
        problems += [("", m, "error") for m in other]
        self.problems = problems
        errors = {p[0] for p in problems if p[2] == "error"}
        if errors:
            noun = "field needs" if len(errors) == 1 else "fields need"
            self.summary.show_message(
                f"{len(errors)} {noun} fixing before this contract can be saved; the marked "
                "values are not part of it yet. Undo brings back the last accepted contract.",
                "error",
            )
        elif problems:
            self.summary.show_message(
                "The draft is valid. Before export: " + " ".join(m for _p, m, _k in problems) + ".",
                "warning",
            )
        else:
            targets = self.contract["targets"]
            failing = [t for t in targets if t.get("verdict") == "fail"]
            unmeasured = [t for t in targets if t.get("verdict") == "unmeasured"]
            caveats = []
            if failing:
                caveats.append(
                    f"{len(failing)} target{'s' if len(failing) != 1 else ''} "
                    f"{'fail' if len(failing) != 1 else 'fails'} as measured"
                )
            if unmeasured:
                caveats.append(
                    f"{len(unmeasured)} {'is' if len(unmeasured) == 1 else 'are'} not measured"
                )
            # Never a green banner over a failing or unmeasured target.
            self.summary.show_message(
                "The contract is valid and complete"
                + (f", but {' and '.join(caveats)}; the bundle will say so." if caveats else "."),
                "warning" if caveats else "ok",
            )
        self.problems_changed.emit(len(errors))

    def error_count(self) -> int:
        """How many fields (an identity field, a target row, elsewhere) have an error."""
        return len({p[0] for p in self.problems if p[2] == "error"})

    def message_for(self, field: str) -> str:
        """The sentence shown beside an identity field ("name", "intended_use", …)."""
        return self.field_messages[field].text()

    def retheme(self) -> None:
        self._sync_targets()


def _mb(value: Any) -> str | None:
    if value is None:
        return None
    return fmt_target_value("memory_mb", value)


def _in_words(exc: Exception) -> str:
    """A refused edit in the editor's words: each problem naming its field by its label."""
    issues = getattr(exc, "issues", ())
    return "; ".join(i.sentence for i in issues) if issues else str(exc)


class ContractEdit(QUndoCommand):
    """One change to the contract: the whole contract before and after it.

    Keystrokes in one field merge into one command while the field keeps the focus, so
    Undo takes back what was typed there, not one character.
    """

    ID = 0xBA70

    def __init__(
        self,
        editor: ContractEditor,
        before: dict[str, Any],
        after: dict[str, Any],
        text: str,
        merge_key: tuple | None = None,
    ) -> None:
        super().__init__(text)
        self.editor = editor
        self.before = before
        self.after = after
        self.merge_key = merge_key

    def id(self) -> int:  # noqa: A003 - Qt naming
        return self.ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt naming
        key = getattr(other, "merge_key", None)
        if (
            key is None
            or key != self.merge_key
            or getattr(other, "editor", None) is not self.editor
        ):
            return False
        self.after = other.after
        self.setObsolete(self.after == self.before)
        return True

    def redo(self) -> None:
        self.editor.restore(self.after)

    def undo(self) -> None:
        self.editor.restore(self.before)
