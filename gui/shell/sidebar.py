"""The catalog sidebar: Models, Datasets, Handovers, Received and Keys.

Models and datasets come from the catalog (``Catalog.search`` while the user types,
newest first otherwise). Handovers are the bundles packed here, each with the decision
its reviewer sent back; Received are the bundles opened here, with their status
(:mod:`baton.gui.common.handover_rows`); Keys are the colleagues' keys in the trust store. A
handover whose file has moved is shown in italics: its page cannot open. A handover takes
two lines, its name and version, then its state in a smaller muted font, so that neither
is cut short in a sidebar of the usual width (:class:`TwoLineDelegate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
)

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
# Items listed per section at first and per "Show more": a page fills the sidebar of a tall
# window, and building a tree item costs about a third of a millisecond, so a catalog of
# 100 k models lists as quickly as one of ten.
PAGE = 50
KIND_OF_SECTION = {
    "models": "model",
    "datasets": "dataset",
    "handovers": "handover",
    "received": "handover",
    "keys": "key",
}
ROLE_KIND = Qt.ItemDataRole.UserRole
ROLE_RECORD = Qt.ItemDataRole.UserRole + 1
ROLE_LINES = Qt.ItemDataRole.UserRole + 2  # (name, state) of an item drawn on two lines
# A search ranks models and datasets together under one limit; asking for more pages of
# one kind widens it, up to this many hits.
SEARCH_WIDEST = 20_000


@dataclass
class Listing:
    """What the sidebar lists: a page of records per section, whether more follow, and the
    section's total when it is known without reading it all (None while searching)."""

    records: dict[str, list[dict]] = field(default_factory=dict)
    more: dict[str, bool] = field(default_factory=dict)
    totals: dict[str, int | None] = field(default_factory=dict)

    def __getitem__(self, section: str) -> list[dict]:
        return self.records.get(section, [])


def _matches(text: str, *fields: Any) -> bool:
    words = text.lower().split()
    hay = " ".join(str(f) for f in fields if f).lower()
    return all(w in hay for w in words)


def _small_section(catalog, section: str, query: str) -> list[dict]:
    """Handovers, received bundles or keys: few rows, read whole and matched word by word
    (these tables have no full-text index)."""
    from baton.gui.common.handover_rows import received_rows, sent_rows

    if section == "keys":
        rows = catalog.trusted_keys.listing(order_by="name")
        fields = ("name", "email", "fingerprint")
    else:
        rows = sent_rows(catalog) if section == "handovers" else received_rows(catalog)
        fields = ("name", "version", "status_text")
    if query:
        rows = [r for r in rows if _matches(query, *(r.get(f) for f in fields))]
    return rows


def _search_kind(catalog, kind: str, query: str, wanted: int) -> tuple[list[dict], bool]:
    """At least ``wanted`` hits of ``kind`` in rank order if there are that many, and
    whether the ranking may hold more of them."""
    limit = wanted
    while True:
        hits = catalog.search(query, limit=limit)
        of_kind = [h for h in hits if h["kind"] == kind]
        if len(of_kind) >= wanted or len(hits) < limit or limit >= SEARCH_WIDEST:
            return of_kind, len(hits) >= limit
        limit = min(limit * 4, SEARCH_WIDEST)


def load_page(
    catalog, section: str, query: str = "", offset: int = 0, limit: int = PAGE
) -> tuple[list[dict], bool]:
    """Records ``offset`` to ``offset + limit`` of one section, and whether more follow.

    Models and datasets are read a page at a time (their summary columns only: the
    sidebar never needs a profile); a search asks for as many ranked hits as the page
    needs.
    """
    query = query.strip()
    if section in ("models", "datasets"):
        if query:
            hits, maybe_more = _search_kind(catalog, section[:-1], query, offset + limit + 1)
            return hits[offset : offset + limit], maybe_more or len(hits) > offset + limit
        lister = catalog.list_models if section == "models" else catalog.list_datasets
        rows = lister(limit=limit + 1, offset=offset, summary=True)
        return rows[:limit], len(rows) > limit
    rows = _small_section(catalog, section, query)
    return rows[offset : offset + limit], len(rows) > offset + limit


def load_sections(catalog, query: str = "", limit: int = PAGE) -> Listing:
    """The first page of every section, filtered by ``query`` (models and datasets
    through the catalog's full-text search, one ranked query for both)."""
    query = query.strip()
    listing = Listing()
    if query:
        hits = catalog.search(query, limit=2 * limit + 1)
        for section in ("models", "datasets"):
            of_kind = [h for h in hits if h["kind"] == section[:-1]]
            listing.records[section] = of_kind[:limit]
            listing.more[section] = len(of_kind) > limit or len(hits) > 2 * limit
            listing.totals[section] = None if listing.more[section] else len(of_kind)
    else:
        for section in ("models", "datasets"):
            records, more = load_page(catalog, section, "", 0, limit)
            listing.records[section], listing.more[section] = records, more
            listing.totals[section] = catalog.count(section) if more else len(records)
    for section in ("handovers", "received", "keys"):
        rows = _small_section(catalog, section, query)
        listing.records[section] = rows[:limit]
        listing.more[section] = len(rows) > limit
        listing.totals[section] = len(rows)
    return listing


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


def item_lines(section: str, record: dict) -> tuple[str, str] | None:
    """A handover's two lines in the sidebar: its name and version, then its state."""
    if section not in ("handovers", "received"):
        return None
    name = f"{record.get('name')} {record.get('version') or ''}".strip()
    return name, str(record.get("status_text") or record.get("status") or "")


class TwoLineDelegate(QStyledItemDelegate):
    """Draws an item carrying :data:`ROLE_LINES` as its name over its state, the state in
    a smaller muted font; other items as usual."""

    GAP = 1  # pixels between the two lines

    @staticmethod
    def state_font(font: QFont) -> QFont:
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.88))
        return small

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 - Qt naming
        size = super().sizeHint(option, index)
        if not index.data(ROLE_LINES):
            return size
        font = index.data(Qt.ItemDataRole.FontRole) or option.font
        height = (
            QFontMetrics(font).height()
            + self.GAP
            + QFontMetrics(self.state_font(font)).height()
            + 6
        )
        return QSize(size.width(), max(size.height(), height))

    def text_rect(self, option, index) -> QRect:
        """Where the two lines go: the item's rectangle beside its icon."""
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        style = opt.widget.style() if opt.widget is not None else None
        if style is None:
            return opt.rect
        rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, opt.widget)
        # the margin the style leaves inside that rectangle for an item's text
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, opt.widget) + 1
        return rect.adjusted(margin, 0, -margin, 0)

    def paint(self, painter, option, index) -> None:
        lines = index.data(ROLE_LINES)
        if not lines:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        rect = self.text_rect(option, index)
        opt.text = ""  # the background, selection and icon as usual; the lines below
        widget = opt.widget
        widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        name_color = opt.palette.color(role)
        foreground = index.data(Qt.ItemDataRole.ForegroundRole)
        if foreground is not None and not selected:
            name_color = QBrush(foreground).color()
        state_color = name_color if selected else QColor(theme.current_colors()["muted"])
        font = QFont(opt.font)
        small = self.state_font(font)
        top_height = QFontMetrics(font).height()
        low_height = QFontMetrics(small).height()
        top = rect.top() + (rect.height() - top_height - self.GAP - low_height) // 2
        painter.save()
        for text, face, color, y, height in (
            (lines[0], font, name_color, top, top_height),
            (lines[1], small, state_color, top + top_height + self.GAP, low_height),
        ):
            painter.setFont(face)
            painter.setPen(color)
            shown = QFontMetrics(face).elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
            painter.drawText(
                QRect(rect.left(), y, rect.width(), height),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                shown,
            )
        painter.restore()

    def clipped(self, option, index) -> bool:
        """Whether either line is wider than the room it has (and so shown elided)."""
        lines = index.data(ROLE_LINES)
        if not lines:
            return False
        font = index.data(Qt.ItemDataRole.FontRole) or option.font
        width = self.text_rect(option, index).width()
        return (
            QFontMetrics(font).horizontalAdvance(lines[0]) > width
            or QFontMetrics(self.state_font(font)).horizontalAdvance(lines[1]) > width
        )


class CatalogSidebar(QTreeWidget):
    """Sections of catalog items; emits ``record_selected(kind, record)``."""

    record_selected = Signal(str, dict)
    record_clicked = Signal(str, dict)  # any click on a record, the selected one included
    more_requested = Signal(str)  # a section's "Show more" item was clicked

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
        self.lines_delegate = TwoLineDelegate(self)
        self.setItemDelegate(self.lines_delegate)
        self.sections: dict[str, QTreeWidgetItem] = {}
        self.query = ""
        self.totals: dict[str, int | None] = {}
        self.currentItemChanged.connect(self._current_changed)
        self.itemClicked.connect(self._clicked)
        self.itemActivated.connect(self._clicked)
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
        item.setForeground(0, QBrush(QColor(theme.current_colors()["muted"])))
        return item

    def populate(self, listing: Listing, query: str = "") -> None:
        """Fill every section with its first page, keeping the current item selected if it
        is still listed."""
        self.query = query
        current = self.current_key()
        self.blockSignals(True)
        try:
            restore = None
            for key, _title, _icon_name in SECTIONS:
                section = self.sections[key]
                section.takeChildren()
                self.totals[key] = listing.totals.get(key)
                records = listing[key]
                if not records:
                    placeholder = self._placeholder(NO_MATCH if query else EMPTY[key])
                    if not query:
                        placeholder.setToolTip(0, plain_tooltip(EMPTY_TIPS[key]))
                    section.addChild(placeholder)
                    self._set_count(key)
                    continue
                found = self._add_records(key, records, listing.more.get(key, False), current)
                restore = found or restore
            if restore is not None:
                self.setCurrentItem(restore)
            else:
                self.setCurrentItem(None)
        finally:
            self.blockSignals(False)
        # An item filtered out by the search keeps its page open: typing in the search
        # box should not take away what the user is looking at.

    def append_page(self, key: str, records: list[dict], more: bool) -> None:
        """The next page of one section, in place of its "Show more" item."""
        section = self.sections[key]
        last = section.child(section.childCount() - 1) if section.childCount() else None
        if last is not None and last.data(0, ROLE_KIND) == "more":
            section.removeChild(last)
        self._add_records(key, records, more, None)

    def shown_count(self, key: str) -> int:
        """How many records a section lists (placeholders and "Show more" left out)."""
        section = self.sections[key]
        kinds = (section.child(i).data(0, ROLE_KIND) for i in range(section.childCount()))
        return sum(1 for kind in kinds if kind not in ("empty", "more"))

    def _add_records(
        self, key: str, records: list[dict], more: bool, current: tuple[str, Any] | None
    ) -> QTreeWidgetItem | None:
        section = self.sections[key]
        icon_name = next(n for k, _, n in SECTIONS if k == key)
        icon = theme.icon(icon_name)
        muted = QBrush(QColor(theme.current_colors()["muted"]))
        restore = None
        items = []
        for record in records:
            text, tip = item_text(key, record)
            item = QTreeWidgetItem([plain_text(text)])
            item.setToolTip(0, plain_tooltip(tip or text))
            lines = item_lines(key, record)
            if lines is not None:
                item.setData(0, ROLE_LINES, tuple(plain_text(line) for line in lines))
            color = _status_color(record) if key in ("handovers", "received") else None
            item.setIcon(0, theme.icon(icon_name, color) if color else icon)
            if record.get("exists") is False:
                font = QFont(item.font(0))
                font.setItalic(True)
                item.setFont(0, font)
                item.setForeground(0, muted)
            item.setData(0, ROLE_KIND, KIND_OF_SECTION[key])
            item.setData(0, ROLE_RECORD, record)
            items.append(item)
            if current and current == (key, record.get("id") or record.get("fingerprint")):
                restore = item
        if more:
            items.append(self._more_item(key, self.shown_count(key) + len(items)))
        section.addChildren(items)
        self._set_count(key)
        return restore

    def _more_item(self, key: str, shown: int) -> QTreeWidgetItem:
        total = self.totals.get(key)
        if total is None:  # a search: the ranking says more may follow, not how many
            text = f"Show {PAGE:,} more…"
        else:
            left = total - shown
            text = (
                f"Show the last {left:,}"
                if left <= PAGE
                else f"Show {PAGE:,} more ({left:,} not listed yet)"
            )
        item = QTreeWidgetItem([text])
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        item.setData(0, ROLE_KIND, "more")
        item.setData(0, ROLE_RECORD, key)
        item.setToolTip(0, "List the next items of this section")
        item.setForeground(0, QBrush(QColor(theme.current_colors()["accent"])))
        return item

    def _set_count(self, key: str) -> None:
        section = self.sections[key]
        total = self.totals.get(key)
        shown = self.shown_count(key)
        more = (
            bool(section.childCount())
            and section.child(section.childCount() - 1).data(0, ROLE_KIND) == "more"
        )
        count = f"{total:,}" if total is not None else f"{shown:,}{'+' if more else ''}"
        section.setText(0, f"{dict((k, t) for k, t, _ in SECTIONS)[key]}  ({count})")

    def current_key(self) -> tuple[str, Any] | None:
        item = self.currentItem()
        if item is None or item.data(0, ROLE_KIND) in ("section", "empty", "more", None):
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
                if child.data(0, ROLE_KIND) not in ("empty", "more"):
                    out.append(child.text(0))
        return out

    def clipped_items(self) -> list[str]:
        """Listed items whose text is cut short at the sidebar's present width."""
        out = []
        for section in self.sections.values():
            for i in range(section.childCount()):
                child = section.child(i)
                if child.data(0, ROLE_KIND) in ("empty", "more") or child.isHidden():
                    continue
                index = self.indexFromItem(child)
                option = QStyleOptionViewItem()
                self.initViewItemOption(option)
                option.rect = self.visualRect(index)
                if child.data(0, ROLE_LINES):
                    clipped = self.lines_delegate.clipped(option, index)
                else:
                    font = child.font(0)
                    room = self.lines_delegate.text_rect(option, index).width()
                    clipped = QFontMetrics(font).horizontalAdvance(child.text(0)) > room
                if clipped:
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
        if current is None or current.data(0, ROLE_KIND) in ("section", "empty", "more", None):
            return
        self.record_selected.emit(current.data(0, ROLE_KIND), dict(current.data(0, ROLE_RECORD)))

    def _clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        kind = item.data(0, ROLE_KIND)
        if kind == "section":
            item.setExpanded(not item.isExpanded())
        elif kind == "more":
            self.more_requested.emit(item.data(0, ROLE_RECORD))
        elif kind not in ("empty", None):
            # The selected item may no longer be what the window shows (Keys, a bundle's
            # tab); a click on it must bring its page back, and selection alone never fires.
            self.record_clicked.emit(kind, dict(item.data(0, ROLE_RECORD)))

    def _retheme(self) -> None:
        muted = QBrush(QColor(theme.current_colors()["muted"]))
        for section in self.sections.values():
            section.setForeground(0, muted)
            for i in range(section.childCount()):
                child = section.child(i)
                kind = child.data(0, ROLE_KIND)
                if kind == "empty":
                    child.setForeground(0, muted)
                elif kind == "more":
                    child.setForeground(0, QBrush(QColor(theme.current_colors()["accent"])))
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
