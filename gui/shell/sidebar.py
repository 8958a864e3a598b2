"""The catalog sidebar: Models, Datasets, Handovers, Received and Keys.

Models and datasets come from the catalog (``Catalog.search`` while the user types,
newest first otherwise). Handovers are the bundles packed here, each with the decision
its reviewer sent back; Received are the bundles opened here, with their status
(:mod:`baton.gui.common.handover_rows`); Keys are the colleagues' keys in the trust store. A
handover whose file has moved is shown in italics: its page cannot open.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem

from baton.gui.common import theme
from baton.gui.common.widgets import plain_text, plain_tooltip

SECTIONS: tuple[tuple[str, str, str], ...] = (
    ("models", "Models", "model"),
    ("datasets", "Datasets", "dataset"),
    ("handovers", "Handovers", "handover"),
    ("received", "Received", "received"),
    ("keys", "Keys", "key"),
)
EMPTY = {
    "models": "No models yet — drop one here",
    "datasets": "No datasets yet — drop one here",
    "handovers": "No handovers yet",
    "received": "No bundles received yet",
    "keys": "No trusted keys yet",
}
EMPTY_TIPS = {
    "models": "Drop a .skops, .onnx, .joblib or .pkl file onto the window, or use File › Import model…",
    "datasets": "Drop a .csv or .parquet file onto the window, or use File › Import dataset…",
    "handovers": "The signed bundles you export will be listed here",
    "received": "The bundles you open and review will be listed here",
    "keys": "Colleagues whose signing keys you trust will be listed here",
}
NO_MATCH = "No matches"
LIMIT = 500  # items per section; search narrows further
KIND_OF_SECTION = {
    "models": "model",
    "datasets": "dataset",
    "handovers": "handover",
    "received": "handover",
    "keys": "key",
}
ROLE_KIND = Qt.ItemDataRole.UserRole
ROLE_RECORD = Qt.ItemDataRole.UserRole + 1


def _matches(text: str, *fields: Any) -> bool:
    words = text.lower().split()
    hay = " ".join(str(f) for f in fields if f).lower()
    return all(w in hay for w in words)


def load_sections(catalog, query: str = "") -> dict[str, list[dict]]:
    """Records per section, filtered by ``query`` (models and datasets through FTS)."""
    query = query.strip()
    if query:
        hits = catalog.search(query, limit=LIMIT)
        models = [h for h in hits if h["kind"] == "model"]
        datasets = [h for h in hits if h["kind"] == "dataset"]
    else:
        models = catalog.list_models(limit=LIMIT)
        datasets = catalog.list_datasets(limit=LIMIT)
    from baton.gui.common.handover_rows import received_rows, sent_rows

    sent = sent_rows(catalog)[:LIMIT]
    received = received_rows(catalog)[:LIMIT]
    keys = catalog.trusted_keys.listing(order_by="name", limit=LIMIT)
    if query:
        # These tables have no full-text index yet: match every word against the fields.
        sent = [
            r
            for r in sent
            if _matches(query, r.get("name"), r.get("version"), r.get("status_text"))
        ]
        received = [
            r
            for r in received
            if _matches(query, r.get("name"), r.get("version"), r.get("status_text"))
        ]
        keys = [
            r for r in keys if _matches(query, r.get("name"), r.get("email"), r.get("fingerprint"))
        ]
    return {
        "models": models,
        "datasets": datasets,
        "handovers": sent,
        "received": received,
        "keys": keys,
    }


def item_text(section: str, record: dict) -> tuple[str, str]:
    """The label and tooltip of one record in the sidebar."""
    if section == "models":
        bits = [record.get("estimator"), record.get("task"), record.get("format")]
        return record["name"], " · ".join(str(b) for b in bits if b)
    if section == "datasets":
        rows = record.get("rows")
        bits = [
            record.get("role"),
            f"{rows:,} rows" if isinstance(rows, int) else None,
            f"target {record['target']}" if record.get("target") else None,
        ]
        return record["name"], " · ".join(str(b) for b in bits if b)
    if section in ("handovers", "received"):
        label = f"{record.get('name')} {record.get('version') or ''}".strip()
        status = record.get("status_text") or record.get("status")
        if status:
            label += f" — {status}"
        where = record.get("path")
        if where and record.get("exists") is False:
            where = f"no longer at {where}"
        who = (
            f"signed by {record.get('signer_name') or record.get('signer')}"
            if section == "received" and (record.get("signer_name") or record.get("signer"))
            else f"decided by {record['decided_by']}"
            if record.get("decided_by")
            else None
        )
        comment = f"“{record['review_comment']}”" if record.get("review_comment") else None
        return label, "\n".join(
            str(b) for b in (status, who, comment, where, record.get("created_at")) if b
        )
    name = record.get("name") or record.get("fingerprint", "")[:16]
    if record.get("revoked_at"):
        name += " (revoked)"
    return name, f"{record.get('email') or ''} {record.get('fingerprint', '')[:16]}…".strip()


def _status_color(record: dict) -> str | None:
    """A decision's colour for its handover's icon: green accepted, amber changes, red rejected."""
    from baton.gui.common.handover_rows import STATUS_KIND

    kind = STATUS_KIND.get(record.get("status") or "")
    key = {"ok": "ok_text", "warning": "warn_text", "error": "err_text"}.get(kind or "")
    return theme.current_colors()[key] if key else None


class CatalogSidebar(QTreeWidget):
    """Sections of catalog items; emits ``record_selected(kind, record)``."""

    record_selected = Signal(str, dict)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(10)
        self.setWordWrap(True)  # empty-state sentences wrap instead of being cut off
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setExpandsOnDoubleClick(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.sections: dict[str, QTreeWidgetItem] = {}
        self.query = ""
        self.currentItemChanged.connect(self._current_changed)
        self.itemClicked.connect(self._toggle_section)
        for key, title, _icon_name in SECTIONS:
            item = QTreeWidgetItem([title])
            item.setData(0, ROLE_KIND, "section")
            item.setData(0, ROLE_RECORD, key)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = QFont(item.font(0))
            font.setBold(True)
            item.setFont(0, font)
            self.addTopLevelItem(item)
            item.setExpanded(True)
            self.sections[key] = item
        self.set_loading()

    def set_loading(self, text: str = "Opening the catalog…") -> None:
        for key, section in self.sections.items():
            section.takeChildren()
            if key == "models":
                section.addChild(self._placeholder(text))
        self._retheme()

    def _placeholder(self, text: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([plain_text(text)])
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        item.setData(0, ROLE_KIND, "empty")
        font = QFont(item.font(0))
        font.setItalic(True)
        item.setFont(0, font)
        item.setToolTip(0, plain_tooltip(text))
        return item

    def populate(self, sections: dict[str, list[dict]], query: str = "") -> None:
        """Fill every section, keeping the current item selected if it is still listed."""
        self.query = query
        current = self.current_key()
        self.blockSignals(True)
        try:
            restore = None
            for key, _title, icon_name in SECTIONS:
                section = self.sections[key]
                section.takeChildren()
                records = sections.get(key, [])
                count = f"{len(records):,}{'+' if len(records) >= LIMIT else ''}"
                section.setText(0, f"{dict((k, t) for k, t, _ in SECTIONS)[key]}  ({count})")
                if not records:
                    placeholder = self._placeholder(NO_MATCH if query else EMPTY[key])
                    if not query:
                        placeholder.setToolTip(0, plain_tooltip(EMPTY_TIPS[key]))
                    section.addChild(placeholder)
                    continue
                for record in records:
                    text, tip = item_text(key, record)
                    item = QTreeWidgetItem([plain_text(text)])
                    item.setIcon(0, theme.icon(icon_name))
                    item.setToolTip(0, plain_tooltip(tip or text))
                    if record.get("exists") is False:
                        font = QFont(item.font(0))
                        font.setItalic(True)
                        item.setFont(0, font)
                    item.setData(0, ROLE_KIND, KIND_OF_SECTION[key])
                    item.setData(0, ROLE_RECORD, record)
                    section.addChild(item)
                    if current and current == (key, record.get("id") or record.get("fingerprint")):
                        restore = item
            if restore is not None:
                self.setCurrentItem(restore)
            else:
                self.setCurrentItem(None)
        finally:
            self.blockSignals(False)
        # An item filtered out by the search keeps its page open: typing in the search
        # box should not take away what the user is looking at.
        self._retheme()

    def current_key(self) -> tuple[str, Any] | None:
        item = self.currentItem()
        if item is None or item.data(0, ROLE_KIND) in ("section", "empty", None):
            return None
        parent = item.parent()
        section = parent.data(0, ROLE_RECORD) if parent else None
        record = item.data(0, ROLE_RECORD) or {}
        return section, record.get("id") or record.get("fingerprint")

    def listed(self, section: str | None = None) -> list[str]:
        """Labels of the listed items (not placeholders), in one section or all."""
        out: list[str] = []
        for key, item in self.sections.items():
            if section is not None and key != section:
                continue
            for i in range(item.childCount()):
                child = item.child(i)
                if child.data(0, ROLE_KIND) != "empty":
                    out.append(child.text(0))
        return out

    def placeholder_texts(self) -> dict[str, str]:
        """The empty-state text of each section that shows one."""
        out = {}
        for key, item in self.sections.items():
            if item.childCount() == 1 and item.child(0).data(0, ROLE_KIND) == "empty":
                out[key] = item.child(0).text(0)
        return out

    def select(self, section: str, name: str) -> bool:
        item = self.sections[section]
        for i in range(item.childCount()):
            child = item.child(i)
            record = child.data(0, ROLE_RECORD)
            if isinstance(record, dict) and record.get("name") == name:
                self.setCurrentItem(child)
                return True
        return False

    def _current_changed(self, current: QTreeWidgetItem | None, _previous=None) -> None:
        if current is None or current.data(0, ROLE_KIND) in ("section", "empty", None):
            return
        self.record_selected.emit(current.data(0, ROLE_KIND), dict(current.data(0, ROLE_RECORD)))

    def _toggle_section(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.data(0, ROLE_KIND) == "section":
            item.setExpanded(not item.isExpanded())

    def _retheme(self) -> None:
        muted = QBrush(QColor(theme.current_colors()["muted"]))
        for section in self.sections.values():
            section.setForeground(0, muted)
            for i in range(section.childCount()):
                child = section.child(i)
                if child.data(0, ROLE_KIND) == "empty":
                    child.setForeground(0, muted)
                else:
                    section_key = section.data(0, ROLE_RECORD)
                    icon_name = next(n for k, _, n in SECTIONS if k == section_key)
                    record = child.data(0, ROLE_RECORD) or {}
                    child.setIcon(0, theme.icon(icon_name, _status_color(record)))
                    if record.get("exists") is False:
                        child.setForeground(0, muted)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange:
            self._retheme()
