"""A handover's documents in the desktop: the model card as the app shows it, and saving
the card (Markdown or HTML) and the CycloneDX ML-BOM to a file.

Every document is core's rendering of a contract (``baton.core.handover.documents``,
which ``baton card`` and ``baton bom`` print too); nothing here builds HTML from what a
contract says. The in-app card is core's escaped HTML fragment, laid out by a stylesheet
made only of the theme's colours and redone when the theme changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QPushButton, QTextBrowser, QWidget

from baton.gui.common import theme
from baton.gui.common.widgets import PlainLabel

CARD_FILTER = "Markdown model card (*.md);;HTML model card (*.html *.htm)"
BOM_FILTER = "CycloneDX ML-BOM (*.cdx.json *.json)"
HTML_SUFFIXES = (".html", ".htm")


def card_stylesheet(colors: Mapping[str, str]) -> str:
    """The card's look in the app's colours (Qt's rich text reads a subset of CSS)."""
    c = colors
    return f"""
body {{ color: {c["text"]}; }}
h1 {{ font-size: 18pt; font-weight: 600; margin-bottom: 6px; }}
h2 {{ font-size: 13pt; font-weight: 600; margin-top: 18px; margin-bottom: 4px; }}
h3 {{ font-size: 11pt; font-weight: 600; margin-top: 12px; margin-bottom: 2px; }}
p.prose {{ white-space: pre-wrap; margin-top: 2px; margin-bottom: 2px; }}
p.note {{ color: {c["muted"]}; margin-top: 2px; margin-bottom: 6px; }}
table {{ border-color: {c["border"]}; border-style: solid; margin-bottom: 10px; }}
th {{ background-color: {c["alt_base"]}; color: {c["text"]}; font-weight: 600;
     border-color: {c["border"]}; }}
td {{ border-color: {c["border"]}; }}
table.facts th {{ background-color: transparent; color: {c["muted"]}; font-weight: normal; }}
code {{ font-family: monospace; }}
td.pass {{ color: {c["ok_text"]}; background-color: {c["ok_bg"]}; font-weight: 600; }}
td.fail {{ color: {c["err_text"]}; background-color: {c["err_bg"]}; font-weight: 600; }}
td.unmeasured {{ color: {c["muted"]}; }}
"""


class CardView(QTextBrowser):
    """Core's escaped HTML card in the app's own colours, light or dark.

    Qt applies a document's default stylesheet when HTML is set, so the card is set again
    whenever the palette changes.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)  # the card has no links; nothing may navigate
        self.setOpenExternalLinks(False)
        self._fragment = ""
        self._styling = self._due = False

    def set_card(self, fragment: str) -> None:
        """Show core's HTML fragment (``card.render_html_fragment``: every string escaped)."""
        self._fragment = fragment
        self._restyle()

    def _restyle(self) -> None:
        self._styling = True
        try:
            self.document().setDefaultStyleSheet(card_stylesheet(theme.current_colors()))
            self.setHtml(self._fragment)
        finally:
            self._styling = False

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and not self._styling and not self._due:
            # Not inside the palette change: setting HTML while the application's stylesheet
            # is being replaced re-enters Qt's style code.
            self._due = True
            QTimer.singleShot(0, self._restyle_due)

    def _restyle_due(self) -> None:
        self._due = False
        self._restyle()


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
