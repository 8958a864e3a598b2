"""A handover, received bundle or trusted key as the catalog records it."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from baton.gui.common.widgets import KeyValueGrid, card, muted_label, title_label


class RecordPage(QWidget):
    """A handover, received bundle or trusted key: its catalog fields."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 10)
        self.title = title_label()
        self.subtitle = muted_label()
        self.fields = KeyValueGrid()
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(card(self.fields))
        layout.addStretch(1)

    def set_record(self, kind: str, record: dict[str, Any]) -> None:
        if kind == "key":
            self.title.setText(record.get("name") or "Trusted key")
            self.subtitle.setText("A colleague's public key you trust to sign bundles and receipts")
        else:
            self.title.setText(f"{record.get('name')} {record.get('version') or ''}".strip())
            self.subtitle.setText(
                "A bundle you exported"
                if record.get("direction") == "sent"
                else "A bundle you opened"
            )
        rows = [
            (k.replace("_", " ").capitalize(), v)
            for k, v in record.items()
            if k not in ("public_pem", "contract", "id") and v not in (None, "")
        ]
        self.fields.set_rows(
            rows, mono=("Fingerprint", "Root digest", "Signature sha256", "Signer fingerprint")
        )
