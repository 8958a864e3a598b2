"""A handover's documents in the desktop: the model card as the app shows it, and saving
the card (Markdown or HTML) and the CycloneDX ML-BOM to a file.

Every document is core's rendering of a contract (``baton.core.handover.documents``,
which ``baton card`` and ``baton bom`` print too); nothing here builds HTML from what a
contract says. The in-app card is core's card blocks laid out as plain-text widgets in the
app's own styles, light or dark.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from baton.gui.common import theme
from baton.gui.common.tables import ReadOnlyTable
from baton.gui.common.verdicts import VERDICT_KIND
from baton.gui.common.widgets import KeyValueGrid, PlainLabel, muted_label, title_label

CARD_FILTER = "Markdown model card (*.md);;HTML model card (*.html *.htm)"
BOM_FILTER = "CycloneDX ML-BOM (*.cdx.json *.json)"
HTML_SUFFIXES = (".html", ".htm")
HEADINGS = {"h1": "PageTitle", "h2": "SectionTitle", "h3": "SubsectionTitle"}


class CardView(theme.FollowsTheme, QScrollArea):
    """Baton's model card laid out with the app's own widgets, as plain text.

    The blocks are core's (``card.blocks``: the same content as ``card.md``); headings,
    prose and notes are plain labels, facts a key-value grid, tables the app's read-only
    tables with each verdict row in the theme's pass / fail colours. Nothing is ever
    rendered as HTML, and everything is laid out again when the theme changes.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._blocks: list[Any] = []
        self._texts: list[str] = []
        self.tables: list[ReadOnlyTable] = []
        self._lay_out()

    def set_card(self, blocks: Sequence[Any]) -> None:
        """Show core's card blocks (``baton.core.contract.card.blocks``)."""
        self._blocks = list(blocks)
        self._lay_out()

    def text(self) -> str:
        """The card as the user reads it, block by block (for tests)."""
        return "\n".join(self._texts)

    def retheme(self) -> None:
        self._lay_out()  # table rows take their colours when they are filled

    def _lay_out(self) -> None:
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(12, 8, 12, 12)
        layout.setSpacing(6)
        self._texts, self.tables = [], []
        for block in self._blocks:
            layout.addWidget(self._widget(block))
        layout.addStretch(1)
        old = self.takeWidget()
        self.setWidget(content)
        if old is not None:
            old.deleteLater()

    def _widget(self, block: Any) -> QWidget:
        if block.kind in HEADINGS:
            self._texts.append(block.text)
            return title_label(block.text, HEADINGS[block.kind])
        if block.kind in ("prose", "note"):
            self._texts.append(block.text)
            label = muted_label(block.text) if block.kind == "note" else PlainLabel(block.text)
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            return label
        if block.kind == "facts":
            self._texts.extend(f"{label}: {value.text}" for label, value in block.facts)
            grid = KeyValueGrid()
            grid.set_rows(
                [(label, value.text) for label, value in block.facts],
                mono=[label for label, value in block.facts if value.kind == "code"],
            )
            return grid
        return self._table(block)

    def _table(self, block: Any) -> ReadOnlyTable:
        columns = range(len(block.headers))
        numeric = [c for c in columns if block.rows and all(r[c].kind == "num" for r in block.rows)]
        mono = [c for c in columns if block.rows and all(r[c].kind == "code" for r in block.rows)]
        table = ReadOnlyTable(block.headers, numeric=numeric, mono=mono)
        status = next(
            (c for c in columns if any(r[c].kind in VERDICT_KIND for r in block.rows)), None
        )
        kinds = [
            VERDICT_KIND.get(row[status].kind) if status is not None else None for row in block.rows
        ]
        table.set_rows(
            [[cell.text for cell in row] for row in block.rows],
            kinds=kinds,
            status_column=status,
        )
        self._texts.append(" | ".join(block.headers))
        self._texts.extend(" | ".join(cell.text for cell in row) for row in block.rows)
        self.tables.append(table)
        return table


def default_name(contract: Mapping[str, Any], fmt: str) -> str:
    """``NAME-VERSION.card.md`` (or ``.card.html``) and ``NAME-VERSION.cdx.json``."""
    ident = contract["identity"]
    stem = f"{ident['name']}-{ident['version']}"
    return f"{stem}.cdx.json" if fmt == "bom" else f"{stem}.card.{fmt}"


def card_format(path: str | Path) -> str:
    """``html`` for a file named ``.html`` / ``.htm``, else ``md``."""
    return "html" if Path(path).suffix.lower() in HTML_SUFFIXES else "md"


def write_document(contract: Mapping[str, Any], fmt: str, path: str | Path) -> Path:
    """Core's rendering of ``contract`` as ``fmt`` written atomically to ``path``."""
    from baton.core.fsutil import atomic_write_bytes
    from baton.core.handover import documents

    text = documents.render(dict(contract), fmt)
    atomic_write_bytes(path, text.encode("utf-8"))
    return Path(path)


class DocumentButtons(QWidget):
    """ "Save model card…" and "Save ML-BOM…" for the contract ``contract_of()`` returns.

    Shown only while there is a contract (never for a refused bundle). What was written,
    or why not, is said beside the buttons and by ``saved(path)`` / ``failed(message)``.
    """

    saved = Signal(str)
    failed = Signal(str)

    def __init__(
        self,
        contract_of: Callable[[], Mapping[str, Any] | None],
        folder_of: Callable[[], Path] = Path.home,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._contract_of, self._folder_of = contract_of, folder_of
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.card_button = QPushButton(theme.icon("model"), "Save model card…")
        self.card_button.setToolTip(
            "The model card as Markdown with Hugging Face metadata (card.md), or as an HTML "
            "page if the file name ends in .html"
        )
        self.bom_button = QPushButton(theme.icon("export"), "Save ML-BOM…")
        self.bom_button.setToolTip(
            "A CycloneDX 1.6 machine-learning bill of materials (JSON) for supply-chain tools"
        )
        self.status = PlainLabel()
        self.status.setObjectName("Muted")
        self.status.setWordWrap(True)
        layout.addWidget(self.card_button)
        layout.addWidget(self.bom_button)
        layout.addWidget(self.status, 1)
        self.card_button.clicked.connect(self.save_card)
        self.bom_button.clicked.connect(self.save_bom)
        self.refresh()

    def refresh(self) -> None:
        """Show the buttons if there is a contract to render, else hide them."""
        self.setVisible(self._contract_of() is not None)
        self.status.clear()

    def save_card(self) -> Path | None:
        return self._save("md")

    def save_bom(self) -> Path | None:
        return self._save("bom")

    def _save(self, fmt: str) -> Path | None:
        from baton.core.errors import BatonError

        contract = self._contract_of()
        if contract is None:
            return None
        start = str(self._folder_of() / default_name(contract, fmt))
        if fmt == "bom":
            chosen, _ = QFileDialog.getSaveFileName(self, "Save ML-BOM", start, BOM_FILTER)
        else:
            chosen, _ = QFileDialog.getSaveFileName(self, "Save model card", start, CARD_FILTER)
        if not chosen:
            return None
        if fmt != "bom":
            fmt = card_format(chosen)
        try:
            path = write_document(contract, fmt, chosen)
        except (BatonError, OSError) as exc:
            message = f"Could not save {Path(chosen).name}: {exc}"
            self.status.setText(message)
            self.failed.emit(message)
            return None
        what = {"md": "Model card", "html": "Model card (HTML)", "bom": "ML-BOM"}[fmt]
        self.status.setText(f"{what} saved to {path}.")
        self.saved.emit(str(path))
        return path
