"""Small building blocks shared by the views: banners, empty states, key-value forms.

The display formatting of numbers, sizes and times is core's (:mod:`baton.core.present`),
shared with the card and the command line.

Text is plain: Qt renders a label or tooltip as HTML whenever its text looks like HTML,
and much of what Baton shows was written by someone else (a contract, a receipt, a file
name). :class:`PlainLabel` and :func:`plain_tooltip` show any text exactly as written,
with control and invisible formatting characters made visible as on the terminal; every
label built here is one. A view that wants rich text sets it on an app-owned label and
says so where it does.
"""

from __future__ import annotations

import contextlib
import html
import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from PySide6 import QtGui
from PySide6.QtCore import QObject, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QLineEdit,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from baton.core.safetext import visible
from baton.gui.common import theme


def mono_font():
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


# --- plain text -------------------------------------------------------------------------


class PlainLabel(QLabel):
    """A label that shows its text as written: never as HTML (``Qt.PlainText``), with
    control and invisible formatting characters (bidi overrides...) shown as escapes."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt naming
        super().setText(visible(text, lines=True))


def plain_text(value: Any) -> str:
    """A value as a table cell or plain label shows it (see :class:`PlainLabel`)."""
    return visible("" if value is None else value, lines=True)


def plain_tooltip(text: str) -> str:
    """``text`` as a tooltip that shows it literally.

    Qt shows a tooltip as rich text whenever it looks like HTML (``Qt.mightBeRichText``)
    and has no plain-text switch for tooltips, so such text is escaped and wrapped in an
    app-owned paragraph that keeps its line breaks.
    """
    text = plain_text(text)
    if not QtGui.Qt.mightBeRichText(text):
        return text
    return f"<p style='white-space:pre-wrap'>{html.escape(text, quote=False)}</p>"


# --- widgets ----------------------------------------------------------------------------


class StepQueue(QObject):
    """Runs callables one per turn of the event loop.

    A view that draws several charts queues one step per chart, so input, timers and
    painting get their turn in between and no single redraw holds the GUI thread long.
    ``replace`` drops steps still pending from an earlier render.
    """

    finished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._steps: deque[Callable[[], None]] = deque()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._run_one)

    @property
    def busy(self) -> bool:
        return bool(self._steps)

    def replace(self, steps: Iterable[Callable[[], None]]) -> None:
        self._steps = deque(steps)
        if self._steps:
            self._timer.start()

    def _run_one(self) -> None:
        if not self._steps:
            return
        step = self._steps.popleft()
        try:
            step()
        finally:
            if self._steps:
                self._timer.start()
            else:
                self.finished.emit()


def title_label(text: str = "", name: str = "PageTitle") -> QLabel:
    label = PlainLabel(text)
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def muted_label(text: str = "", wrap: bool = True) -> QLabel:
    label = PlainLabel(text)
    label.setObjectName("Muted")
    label.setWordWrap(wrap)
    return label


class Banner(QFrame):
    """A one-message strip: ``kind`` is info, ok, warning or error; can be dismissed."""

    ICONS = {"info": "info", "ok": "shield-ok", "warning": "warning", "error": "error"}
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None, closable: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.setSpacing(8)
        self._icon = QLabel()
        self._icon.setFixedSize(18, 18)
        self.label = PlainLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.label, 1)
        self.close_button = QToolButton()
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAutoRaise(True)
        self.close_button.clicked.connect(self.dismiss)
        self.close_button.setVisible(closable)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.kind = "info"
        self.hide()

    def show_message(self, text: str, kind: str = "info") -> None:
        self.label.setText(text)
        if kind != self.kind or self.property("kind") is None:
            self.kind = kind
            self.setProperty("kind", kind)
            # A dynamic property only restyles after a re-polish.
            self._polishing = True
            try:
                self.style().unpolish(self)
                self.style().polish(self)
            finally:
                self._polishing = False
        self._recolor()
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisibleTo(self.parentWidget()) else ""

    def dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()

    def _recolor(self) -> None:
        colors = theme.current_colors()
        fg = {
            "ok": colors["ok_text"],
            "warning": colors["warn_text"],
            "error": colors["err_text"],
        }.get(self.kind, colors["info_text"])
        self._icon.setPixmap(theme.pixmap(self.ICONS.get(self.kind, "info"), 18, fg))
        self.close_button.setIcon(theme.icon("close", fg))

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange and not getattr(self, "_polishing", False):
            self._recolor()


class EmptyState(QWidget):
    """A centred icon and sentence shown where there is nothing to show yet."""

    def __init__(self, text: str, icon_name: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self._icon_name = icon_name
        self.icon = QLabel()
        self.icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.icon)
        self.label = PlainLabel(text)
        self.label.setObjectName("EmptyState")
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setMaximumWidth(560)  # a readable line length
        # Centred by stretches, not by an alignment flag: a wrapped label placed with an
        # alignment loses its height-for-width and gets cut off.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.label, 100)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        self._refresh_icon()

    def setText(self, text: str) -> None:  # noqa: N802 - mirrors QLabel
        self.label.setText(text)

    def text(self) -> str:
        return self.label.text()

    def _refresh_icon(self) -> None:
        if self._icon_name:
            self.icon.setPixmap(theme.pixmap(self._icon_name, 48, theme.current_colors()["muted"]))

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().changeEvent(event)
        if event.type() == event.Type.PaletteChange:
            self._refresh_icon()


class FlowLayout(QLayout):
    """Lays widgets out left to right and wraps to a new line when the width runs out."""

    def __init__(
        self, parent: QWidget | None = None, spacing: int = 8, *, gap: int | None = None
    ) -> None:
        """``spacing`` between lines; ``gap`` between items on a line (twice ``spacing``
        unless given)."""
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self._gap = 2 * spacing if gap is None else gap

    def addItem(self, item: QLayoutItem) -> None:  # noqa: N802 - Qt naming
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt naming
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # noqa: N802 - Qt naming
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:  # noqa: N802 - Qt naming
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt naming
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt naming
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:  # noqa: N802 - Qt naming
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        return self.minimumSize()

    def minimumSize(self) -> QSize:  # noqa: N802 - Qt naming
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _arrange(self, rect: QRect, move: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line = area.x(), area.y(), 0
        for item in self._items:
            if item.widget() is not None and not item.widget().isVisibleTo(self.parentWidget()):
                continue
            hint = item.sizeHint()
            width = min(hint.width(), area.width())  # never past the right edge
            if x + width > area.right() + 1 and x > area.x():
                x = area.x()
                y += line + self._spacing
                line = 0
            if move:
                item.setGeometry(QRect(x, y, width, hint.height()))
            x += width + self._gap
            line = max(line, hint.height())
        return y + line - rect.y() + m.bottom()


def group(*widgets: QWidget, spacing: int = 6) -> QWidget:
    """Widgets kept together on one line (a unit for :class:`FlowLayout`)."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(spacing)
    for widget in widgets:
        row.addWidget(widget)
    return box


def hash_field_fits(field: QLineEdit) -> bool:
    """Whether a read-only field shows its whole text (none of it scrolled out of sight)."""
    return field.width() >= _hash_width(field)


def _hash_width(field: QLineEdit) -> int:
    """The width ``field`` needs to show its whole text: the text, the field's own 2 px
    margin on each side, its text and contents margins, and 2 px for the text cursor."""
    text = field.textMargins()
    box = field.contentsMargins()
    return (
        field.fontMetrics().horizontalAdvance(field.text())
        + 4
        + text.left()
        + text.right()
        + box.left()
        + box.right()
        + 2
    )


class KeyValueGrid(QWidget):
    """Rows of ``label: value`` in one or more independent columns.

    Values are selectable and wrap instead of being clipped; values named in ``mono``
    (hashes) get a full-width row of their own in a monospace, read-only field, so they
    are never broken and copy exactly.
    """

    def __init__(self, parent: QWidget | None = None, columns: int = 1) -> None:
        super().__init__(parent)
        self._outer = QVBoxLayout(self)
        self._outer.setContentsMargins(0, 0, 0, 0)
        self._outer.setSpacing(6)
        self._columns = max(1, columns)
        self._values: dict[str, QWidget] = {}
        self._names: dict[str, QLabel] = {}
        self._hash_rows: list[tuple[QBoxLayout, QLabel, QLineEdit]] = []
        self._body: QWidget | None = None

    def set_rows(self, rows: Iterable[tuple[str, Any]], mono: Sequence[str] = ()) -> None:
        if self._body is not None:
            self._outer.removeWidget(self._body)
            self._body.hide()  # until it is deleted, it would still paint under the new one
            self._body.deleteLater()
        self._values.clear()
        self._names.clear()
        body = QWidget()
        outer = QVBoxLayout(body)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(6)
        rows = [(k, v) for k, v in rows if v is not None]
        plain = [(k, v) for k, v in rows if k not in mono]
        hashes = [(k, v) for k, v in rows if k in mono]
        per_col = math.ceil(len(plain) / self._columns) if plain else 0
        columns = QHBoxLayout()
        columns.setSpacing(24)
        for c in range(self._columns):
            chunk = plain[c * per_col : (c + 1) * per_col] if per_col else []
            if not chunk:
                continue
            grid = QGridLayout()
            grid.setHorizontalSpacing(12)
            grid.setVerticalSpacing(5)
            for r, (key, value) in enumerate(chunk):
                name = muted_label(key, wrap=False)
                name.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
                text = PlainLabel(str(value))
                text.setWordWrap(True)
                text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
                grid.addWidget(name, r, 0, Qt.AlignmentFlag.AlignTop)
                grid.addWidget(text, r, 1, Qt.AlignmentFlag.AlignTop)
                self._values[key] = text
                self._names[key] = name
            grid.setColumnStretch(1, 1)
            grid.setRowStretch(len(chunk), 1)
            columns.addLayout(grid, 1)
        outer.addLayout(columns)
        self._hash_rows = []
        for key, value in hashes:
            self._names[key] = name = muted_label(key, wrap=False)
            field = QLineEdit(plain_text(value))
            field.setObjectName("HashField")
            field.setReadOnly(True)
            field.setFrame(False)
            field.setFont(mono_font())
            field.setCursorPosition(0)
            field.setToolTip(plain_tooltip(f"{key}: {value}"))
            field.setStyleSheet("background: transparent;")
            row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
            row.setSpacing(12)
            row.addWidget(name)
            row.addWidget(field, 1)
            outer.addLayout(row)
            self._values[key] = field
            self._hash_rows.append((row, name, field))
        self._outer.addWidget(body)
        self._body = body
        self._place_hashes()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._place_hashes()

    def _place_hashes(self) -> None:
        """Each hash beside its name when the grid is wide enough to show it whole there,
        else under its name (a hash is never broken, and a field scrolled short of its end
        looks cut off)."""
        if not self._hash_rows:
            return
        names = max(name.sizeHint().width() for _, name, _ in self._hash_rows)
        fields = max(_hash_width(field) for _, _, field in self._hash_rows)
        beside = names + 12 + fields <= self.width()
        direction = QBoxLayout.Direction.LeftToRight if beside else QBoxLayout.Direction.TopToBottom
        for row, name, _ in self._hash_rows:
            name.setMinimumWidth(names if beside else 0)
            if row.direction() != direction:
                row.setDirection(direction)
                row.setSpacing(12 if beside else 2)

    def value(self, key: str) -> str:
        widget = self._values.get(key)
        return widget.text() if widget is not None else ""

    def name_label(self, key: str) -> QLabel | None:
        """The label that names ``key``'s value."""
        return self._names.get(key)

    def keys(self) -> list[str]:
        return list(self._values)


class ResponsiveGrid(QWidget):
    """Cards in two columns when the page is wide enough, else one under the other.

    ``set_items`` takes ``(widget, full_width)`` pairs in reading order; half-width
    items pair up left and right, full-width items take a row of their own.
    """

    def __init__(self, threshold: int | None = 760, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # None: two columns once both fit side by side (the widest of each column's items
        # at their minimum width), so the page never needs a horizontal scroll bar.
        self.threshold = threshold
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(10)
        self._items: list[tuple[QWidget, bool]] = []
        self._two: bool | None = None

    def set_items(self, items: Sequence[tuple[QWidget, bool]]) -> None:
        for widget, _ in self._items:
            self._grid.removeWidget(widget)
            if all(widget is not w for w, _ in items):
                widget.hide()
        self._items = list(items)
        self._two = None
        self._lay_out()

    def columns(self) -> int:
        return 2 if self._two else 1

    def _two_columns_width(self) -> int:
        if self.threshold is not None:
            return self.threshold
        half = [w for w, full in self._items if not full]
        left = max((w.minimumSizeHint().width() for w in half[0::2]), default=0)
        right = max((w.minimumSizeHint().width() for w in half[1::2]), default=0)
        return left + right + self._grid.horizontalSpacing()

    def _lay_out(self) -> None:
        two = self.width() >= self._two_columns_width()
        if two == self._two:
            return
        self._two = two
        # removeWidget, not takeAt: it deletes the layout items in C++, so no stale item
        # keeps a widget's cached size hint when it is added again.
        for widget, _ in self._items:
            self._grid.removeWidget(widget)
        row = col = 0
        for widget, full in self._items:
            if not two:
                self._grid.addWidget(widget, row, 0)
                row += 1
            elif full:
                if col:
                    row, col = row + 1, 0
                self._grid.addWidget(widget, row, 0, 1, 2)
                row += 1
            else:
                self._grid.addWidget(widget, row, col)
                row, col = (row, 1) if col == 0 else (row + 1, 0)
            widget.show()
        for c in range(2):
            self._grid.setColumnStretch(c, 1 if two or c == 0 else 0)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._lay_out()


def page_header(page: QWidget, layout: QVBoxLayout) -> None:
    """The record pages' header: a 36 px icon beside a title and a muted subtitle.

    Sets ``page.icon``, ``page.title`` and ``page.subtitle`` and adds the row to ``layout``.
    """
    head = QHBoxLayout()
    page.icon = QLabel()
    page.icon.setFixedSize(36, 36)
    head.addWidget(page.icon, 0, Qt.AlignmentFlag.AlignTop)
    titles = QVBoxLayout()
    titles.setSpacing(2)
    page.title = title_label()
    page.subtitle = muted_label()
    titles.addWidget(page.title)
    titles.addWidget(page.subtitle)
    head.addLayout(titles, 1)
    layout.addLayout(head)


def card(*widgets: QWidget, title: str | None = None, margins: int = 10) -> QFrame:
    """A framed panel holding ``widgets`` under an optional section title."""
    frame = QFrame()
    frame.setObjectName("Card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(margins, margins, margins, margins)
    layout.setSpacing(6)
    if title:
        layout.addWidget(title_label(title, "SectionTitle"))
    for widget in widgets:
        layout.addWidget(widget)
    layout.addStretch(1)  # a card taller than its content keeps it at the top
    return frame


def expanding_filler() -> QWidget:
    """An empty widget that takes the vertical room its siblings leave."""
    filler = QWidget()
    filler.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
    return filler


class JobProgress(QFrame):
    """A job's progress and a Cancel button, shown in place on the page that started it.

    The status bar shows every job; this strip shows one, where the user pressed the
    button, so the page never looks idle while its work runs. :meth:`follow` a worker
    (:class:`baton.gui.common.workers.Worker`); the strip hides itself and emits
    :attr:`ended` when the job ends, however it ends. :meth:`release` hides it without
    stopping the job (the page now shows something else).
    """

    ended = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("JobProgress")
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 6, 4)
        row.setSpacing(8)
        self.label = PlainLabel()
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setFixedWidth(180)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.cancel_button.setIcon(theme.icon("cancel"))
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.label, 1)
        row.addWidget(self.bar)
        row.addWidget(self.cancel_button)
        self.worker: Any = None
        self.hide()

    def follow(self, worker: Any) -> None:
        if worker is self.worker:
            self.show()
            return
        self._disconnect()
        self.worker = worker
        s = worker.signals
        s.started.connect(self._refresh)
        s.progress.connect(self._refresh)
        s.done.connect(self._done)
        self.cancel_button.setToolTip(f"Stop: {worker.title}")
        self._refresh()
        self.show()

    def release(self) -> None:
        self._disconnect()
        self.hide()

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self._refresh()

    def _disconnect(self) -> None:
        if self.worker is None:
            return
        s = self.worker.signals
        for signal, slot in (
            (s.started, self._refresh),
            (s.progress, self._refresh),
            (s.done, self._done),
        ):
            with contextlib.suppress(RuntimeError, TypeError):  # already disconnected
                signal.disconnect(slot)
        self.worker = None

    def _refresh(self, *_: object) -> None:
        worker = self.worker
        if worker is None:
            return
        if worker.cancelling:
            text = f"Cancelling: {worker.title}"
        elif not worker.running:
            text = f"{worker.title}: waiting for the work before it to finish"
        else:
            message = worker.last_message
            text = f"{worker.title}: {message}" if message else f"{worker.title}…"
        self.label.setText(text)
        self.label.setToolTip(plain_tooltip(text))
        fraction = worker.last_fraction
        if fraction is None:
            self.bar.setRange(0, 0)  # busy, with no measure of how far
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(fraction * 1000))
        self.cancel_button.setEnabled(not worker.cancelling)

    def _done(self) -> None:
        self.release()
        self.ended.emit()


class MeasurementStack(QStackedWidget):
    """One measurement's page, or an empty state when there is none.

    A subclass adds its charts to :attr:`outer` below :attr:`summary`, calls
    :meth:`_add_page` at the end of its ``__init__`` and implements ``set_result``.
    """

    def __init__(self, empty_text: str, icon_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.empty_text = empty_text
        self.empty = EmptyState(empty_text, icon_name)
        self.addWidget(self.empty)

        self.content = QWidget()
        self.outer = QVBoxLayout(self.content)
        self.outer.setContentsMargins(12, 12, 12, 12)
        self.outer.setSpacing(10)
        self.summary = muted_label()
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outer.addWidget(self.summary)
        self.result: dict[str, Any] | None = None
        self.steps = StepQueue(self)
        self._idle_text = empty_text
        self.busy_text: str | None = None

    def _add_page(self) -> None:
        scroll = QScrollArea()
        scroll.setObjectName("Page")
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.content)
        self.page = scroll
        self.addWidget(scroll)
        self.setCurrentWidget(self.empty)

    @property
    def rendering(self) -> bool:
        """Charts are still being drawn (one per turn of the event loop)."""
        return self.steps.busy

    def show_empty(self, text: str | None = None) -> None:
        self.result = None
        self.steps.replace([])
        self._idle_text = self.empty_text if text is None else text
        self.empty.setText(self.busy_text or self._idle_text)
        self.setCurrentWidget(self.empty)

    def set_busy(self, text: str | None) -> None:
        """Say what is being measured in place of "nothing yet" (``None``: it ended)."""
        self.busy_text = text
        self.empty.setText(text or self._idle_text)

    def set_measurement(self, measurement: Mapping[str, Any] | None) -> None:
        """A catalog measurement row (``result`` plus ``created_at``) or ``None``."""
        if not measurement:
            self.show_empty()
            return
        self.set_result(measurement["result"], created_at=measurement.get("created_at"))

    def set_result(self, result: Mapping[str, Any], created_at: str | None = None) -> None:
        raise NotImplementedError
