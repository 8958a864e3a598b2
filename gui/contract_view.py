"""The Contract tab of a model: a placeholder until the contract API lands.

Where the contract editor plugs in:

- :class:`ContractPage` is the widget the model page shows in its "Contract" tab. Replace
  its body with the editor; keep ``set_model(record, dataset)``, which the model page
  calls whenever the model or the chosen dataset changes.
- ``MainWindow.export_bundle()`` is the handler of File › Export bundle… (disabled until
  then). Enable ``MainWindow.action_export_bundle`` when the editor has a contract ready,
  and open the export dialog from ``export_bundle``.
- Edits should go through ``MainWindow.undo_stack`` (a ``QUndoStack`` wired to
  Edit › Undo / Redo) so they can be undone.
- Long work (drafting from the latest measurements, signing, writing the bundle) goes
  through ``MainWindow.runner.submit(...)`` (see :mod:`baton.gui.workers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from .widgets import EmptyState

ARRIVES_WITH_BUNDLES = "arrives with signed bundles"


class ContractPage(QWidget):
    """Placeholder for the handover contract editor (see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.empty = EmptyState(
            "The handover contract — intended use, limitations and the agreed targets such as "
            "accuracy ≥ 0.95 or p95 latency at batch 32 ≤ 20 ms — is written here. The contract "
            f"editor {ARRIVES_WITH_BUNDLES}.",
            "contract",
        )
        layout.addWidget(self.empty)
        self.model: Mapping[str, Any] | None = None
        self.dataset: Mapping[str, Any] | None = None

    def set_model(
        self, model: Mapping[str, Any] | None, dataset: Mapping[str, Any] | None = None
    ) -> None:
        self.model, self.dataset = model, dataset
