"""The base of every chart: a titled pyqtgraph plot with an empty state, coloured from the application palette and redrawn when the theme changes; and the palette helpers charts draw with.

Two rules hold for every chart. A legend never covers the data: it is a row of plain
labels with colour swatches under the plot (:class:`ChartLegend`, a chart's ``legend``),
never an item inside the plot. An axis never crowds: its ticks come from
:func:`tick_values`, at most :data:`MAX_TICKS` of them, and read as
:mod:`baton.core.present` writes figures (:class:`ChartAxis`, :func:`tick_format`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from baton.core.present import fmt_mb_tick, fmt_ms_tick, fmt_tick, mb_axis_unit, ms_axis_unit
from baton.gui.common import theme
from baton.gui.common.widgets import FlowLayout, PlainLabel, muted_label, title_label

pg.setConfigOptions(antialias=True)  # every chart, whichever module draws it

CHART_MIN_HEIGHT = 240


CHART_HEIGHT = 340


def theme_color(name: str) -> str:
    return theme.current_colors()[name]


def qcolor(hex_color: str, alpha: int = 255) -> QColor:
    color = QColor(hex_color)
    color.setAlpha(alpha)
    return color


def make_pen(
    hex_color: str, width: float = 2.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine
) -> QPen:
    pen = pg.mkPen(qcolor(hex_color), width=width)
    pen.setStyle(style)
    pen.setCosmetic(True)
    return pen


def series_color(i: int) -> str:
    return theme.SERIES[i % len(theme.SERIES)]


def style_plot(plot: pg.PlotItem, x_label: str = "", y_label: str = "") -> None:
    """Axes, grid and labels in the palette's colours."""
    text, border = theme_color("muted"), theme_color("border")
    font = QFont()
    font.setPointSizeF(max(8.0, font.pointSizeF() - 1))
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(make_pen(border, 1))
        axis.setTextPen(make_pen(text, 1))
        axis.setStyle(tickFont=font, tickTextOffset=6)
    if x_label:
        plot.setLabel("bottom", x_label, color=text)
    if y_label:
        plot.setLabel("left", y_label, color=text)
    plot.showGrid(x=True, y=True, alpha=0.12 if theme.current_colors() is not theme.DARK else 0.2)
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.getViewBox().setDefaultPadding(0.02)
    # Curves with many points (a bundle's raw samples, long ROC curves) stay fast.
    plot.setDownsampling(auto=True, mode="peak")
    plot.setClipToView(True)


# --------------------------------------------------------------------------- axes

#: The most ticks an axis labels, whatever its length.
MAX_TICKS = 8
# Fewer ticks on a short axis: the room one tick label needs along each direction.
_TICK_ROOM = {"bottom": 56, "top": 56, "left": 30, "right": 30}

TickFormatter = Callable[[float, float, float], str]
AxisUnit = Callable[[float], tuple[float, str]]

#: What an axis shows: ``(formatter, unit, whole numbers only)``; see :func:`tick_format`.
TICK_KINDS: dict[str, tuple[TickFormatter | None, AxisUnit | None, bool]] = {
    "number": (None, None, False),
    "count": (None, None, True),
    "ms": (fmt_ms_tick, ms_axis_unit, False),
    "mb": (fmt_mb_tick, mb_axis_unit, False),
}


def _tick_count(low: float, high: float, step: float) -> int:
    return math.floor(high / step + 1e-9) - math.ceil(low / step - 1e-9) + 1


def tick_step(low: float, high: float, max_ticks: int = MAX_TICKS, integer: bool = False) -> float:
    """The smallest round step (1, 2, 2.5 or 5 times a power of ten) that puts at most
    ``max_ticks`` ticks between ``low`` and ``high``; whole steps only when ``integer``."""
    span = high - low
    if not (math.isfinite(span) and span > 0):
        return 1.0
    exponent = math.floor(math.log10(span / max(max_ticks, 1))) - 1
    while True:
        for mantissa in (1, 2, 2.5, 5):
            step = mantissa * 10.0**exponent
            if integer and (step < 1 or step != int(step)):
                continue
            if _tick_count(low, high, step) <= max_ticks:
                return step
        exponent += 1


def tick_values(
    low: float, high: float, max_ticks: int = MAX_TICKS, integer: bool = False
) -> tuple[float, list[float]]:
    """``(step, values)``: round ticks between ``low`` and ``high``, at most ``max_ticks``."""
    low, high = sorted((float(low), float(high)))
    if not (math.isfinite(low) and math.isfinite(high)):
        return 1.0, []  # a view with no range yet
    step = tick_step(low, high, max_ticks, integer)
    first = math.ceil(low / step - 1e-9)
    count = max(0, _tick_count(low, high, step))
    # multiples of the step, so 0.1 + 0.2 never prints as 0.30000000000000004
    return step, [float(np.round((first + i) * step, 12)) for i in range(count)]


def thin_labels(
    ticks: list[tuple[float, str]], max_ticks: int = MAX_TICKS
) -> list[tuple[float, str]]:
    """Every n-th of a categorical axis's labels (the first always), at most ``max_ticks``."""
    if len(ticks) <= max_ticks:
        return list(ticks)
    every = math.ceil(len(ticks) / max_ticks)
    return list(ticks[::every])


class ChartAxis(pg.AxisItem):
    """An axis with at most :data:`MAX_TICKS` labelled ticks (fewer when it is short), all
    on one level, written by a formatter of :mod:`baton.core.present`.

    ``formatter(value, step, top)`` writes one tick (``top`` is the largest magnitude on
    the axis, to choose a unit); the default is :func:`~baton.core.present.fmt_tick`.
    ``unit(top)`` gives the size of the unit the ticks are written in, so that the ticks
    are round in it (0.5 GB apart, not 512 MB).
    Explicit labels (:meth:`setTicks`, for categories) are thinned to the same limit
    unless ``every_label`` is set: a list of named rows, each tall enough for its name.
    """

    def __init__(self, orientation: str, **kwargs: Any) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)  # a "(x0.001)" beside the title hides the real scale
        self.formatter: TickFormatter | None = None
        self.unit: AxisUnit | None = None
        self.integer = False
        self.every_label = False

    def max_ticks(self, size: float) -> int:
        return max(3, min(MAX_TICKS, int(size // _TICK_ROOM[self.orientation])))

    def tickValues(self, minVal: float, maxVal: float, size: float):  # noqa: N802 - Qt naming
        if self.logMode:
            return super().tickValues(minVal, maxVal, size)
        per = self.unit(max(abs(minVal), abs(maxVal)))[0] if self.unit else 1.0
        step, values = tick_values(minVal / per, maxVal / per, self.max_ticks(size), self.integer)
        return [(step * per, [v * per for v in values])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - Qt naming
        if self.logMode:
            return super().tickStrings(values, scale, spacing)
        if self.formatter is None:
            return [fmt_tick(v, spacing) for v in values]
        top = max(abs(self.range[0]), abs(self.range[1]))
        return [self.formatter(v, spacing, top) for v in values]

    def setTicks(self, ticks) -> None:  # noqa: N802 - Qt naming
        if ticks is not None and not self.every_label:
            ticks = [thin_labels(list(ticks[0]))] + [[] for _ in ticks[1:]]
        super().setTicks(ticks)


def chart_axes() -> dict[str, ChartAxis]:
    """The axes a chart shows, left and bottom (``axisItems=`` of pyqtgraph's plots: an
    axis given there is shown)."""
    return {name: ChartAxis(name) for name in ("left", "bottom")}


def tick_format(plot: pg.PlotItem, axis: str, kind: str = "number") -> None:
    """How one axis of ``plot`` writes its ticks: ``number`` (plain figures), ``count``
    (whole numbers: rows, samples), ``ms`` (a latency) or ``mb`` (a size in MB)."""
    item = plot.getAxis(axis)
    item.formatter, item.unit, item.integer = TICK_KINDS[kind]
    item.picture = None  # drawn anew with the new figures
    item.update()


# --------------------------------------------------------------------------- legends


class LegendSwatch(QWidget):
    """A legend entry's mark: a line in the series' pen, a filled band, or a symbol."""

    def __init__(
        self,
        color: str,
        style: Qt.PenStyle | None = Qt.PenStyle.SolidLine,
        width: float = 2.0,
        fill_alpha: int = 0,
        symbol: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.color, self.style, self.width = color, style, width
        self.fill_alpha, self.symbol = fill_alpha, symbol
        self.setFixedSize(24, 14)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt naming
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = self.rect().adjusted(1, 1, -1, -1)
        mid = r.center()
        if self.fill_alpha:
            painter.fillRect(r, qcolor(self.color, self.fill_alpha))
        if self.style is not None:
            pen = QPen(qcolor(self.color), self.width)
            pen.setStyle(self.style)
            painter.setPen(pen)
            painter.drawLine(r.left(), mid.y(), r.right(), mid.y())
        if self.symbol:
            painter.setPen(QPen(qcolor(self.color), 2))
            painter.setBrush(
                qcolor(self.color) if self.symbol in ("o", "t") else Qt.BrushStyle.NoBrush
            )
            x, y = float(mid.x()), float(mid.y())
            if self.symbol == "o":
                painter.drawEllipse(QPointF(x, y), 4, 4)
            elif self.symbol == "t":
                painter.drawPolygon(
                    QPolygonF([QPointF(x - 4, y - 3), QPointF(x + 4, y - 3), QPointF(x, y + 4)])
                )
            elif self.symbol == "d":
                painter.drawPolygon(
                    QPolygonF(
                        [QPointF(x, y - 5), QPointF(x + 5, y), QPointF(x, y + 5), QPointF(x - 5, y)]
                    )
                )
            elif self.symbol == "|":
                painter.setPen(QPen(qcolor(self.color), 3))
                painter.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
        painter.end()


class ChartLegend(QWidget):
    """A chart's legend, under its plot and never over the data: one swatch and one
    plain-text label per series, wrapping onto more rows when the chart is narrow.

    Names are shown as written (:class:`~baton.gui.common.widgets.PlainLabel`): class
    labels are data, and no markup in them is ever rendered.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ChartLegend")
        self._flow = FlowLayout(self, spacing=2, gap=14)
        self._flow.setContentsMargins(0, 0, 0, 0)
        self._entries: list[tuple[str, QWidget]] = []
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.hide()

    def add(
        self,
        name: str,
        color: str,
        style: Qt.PenStyle | None = Qt.PenStyle.SolidLine,
        width: float = 2.0,
        fill_alpha: int = 0,
        symbol: str | None = None,
    ) -> None:
        entry = QWidget(self)
        row = QHBoxLayout(entry)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(5)
        row.addWidget(LegendSwatch(color, style, width, fill_alpha, symbol))
        label = PlainLabel(name)
        label.setObjectName("ChartLegendLabel")
        row.addWidget(label)
        self._flow.addWidget(entry)
        self._entries.append((name, entry))
        self.show()
        self._fit()

    def _fit(self) -> None:
        """As tall as the rows the entries need at the legend's width (more when narrow)."""
        height = self.heightForWidth(max(self.width(), 1))
        if self.minimumHeight() != height or self.maximumHeight() != height:
            self.setFixedHeight(height)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()

    def clear(self) -> None:
        for _, entry in self._entries:
            self._flow.removeWidget(entry)
            entry.deleteLater()
        self._entries = []
        self.hide()

    def entries(self) -> list[str]:
        """The names shown, in order."""
        return [name for name, _ in self._entries]

    def labels(self) -> list[QLabel]:
        return [entry.findChild(QLabel) for _, entry in self._entries]

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt naming
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt naming
        return self._flow.heightForWidth(width)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        return QSize(200, self.heightForWidth(max(self.width(), 1)))


def text_item(text: str, color: str, anchor=(0.5, 0.5), bold: bool = False) -> pg.TextItem:
    item = pg.TextItem(text, color=qcolor(color), anchor=anchor)
    font = QFont()
    font.setBold(bold)
    item.setFont(font)
    return item


class ChartBase(theme.FollowsTheme, QWidget):
    """A titled chart with an empty state; subclasses draw in :meth:`_render`."""

    title = ""
    empty_text = "Nothing to show."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The layout lives on an inner body, not on the chart itself: Qt asks a widget
        # that has a layout for that layout's height, which would let pyqtgraph's view
        # (480 px) decide; without one, the chart's own size hints below apply.
        self._body = QWidget(self)
        layout = QVBoxLayout(self._body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self._spacing = layout.spacing()
        self.title_label = title_label(self.title, "SectionTitle")
        self.subtitle = muted_label("")
        self.subtitle.hide()
        self._header = QHBoxLayout()
        self._header.setContentsMargins(0, 0, 0, 0)
        self._header.addWidget(self.title_label, 1)
        layout.addLayout(self._header)
        layout.addWidget(self.subtitle)
        self.stack = QStackedWidget()
        self.view = self._make_view()
        self.view.setMinimumHeight(CHART_MIN_HEIGHT)
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.empty = QLabel(self.empty_text)
        self.empty.setObjectName("ChartEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setMinimumHeight(80)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty)
        layout.addWidget(self.stack, 1)
        self.legend = ChartLegend()
        layout.addWidget(self.legend)
        self._data: dict[str, Any] | None = None
        self._show_empty()
        # The body's content (a title restyled by the theme, a legend that grows) changes
        # the height this chart asks for: pass the news on to the layout holding the chart.
        self._body.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt naming
        if watched is self._body and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()
        return super().eventFilter(watched, event)

    # A chart asks for a moderate plot height plus whatever its wrapped title and
    # subtitle need at the width it gets.

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt naming
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt naming
        # a chart that needs a taller plot (one row per metric) says so on its view
        plot = max(CHART_HEIGHT, self.view.minimumHeight())
        height = plot + self.title_label.heightForWidth(width) + self._spacing
        if not self.subtitle.isHidden():
            height += self.subtitle.heightForWidth(width) + self._spacing
        if not self.legend.isHidden():
            height += self.legend.heightForWidth(width) + self._spacing
        return height

    def sizeHint(self):  # noqa: N802 - Qt naming
        return QSize(440, self.heightForWidth(440))

    def minimumSizeHint(self):  # noqa: N802 - Qt naming
        plot = max(CHART_HEIGHT, self.view.minimumHeight())
        return QSize(160, self.heightForWidth(440) - plot + self.view.minimumHeight())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._body.setGeometry(self.rect())

    # -- to override

    def _make_view(self) -> QWidget:
        return pg.PlotWidget(axisItems=chart_axes())

    def plots(self) -> list[pg.PlotItem]:
        return [self.view.getPlotItem()]

    def _render(self, **data: Any) -> None:
        raise NotImplementedError

    # -- common

    def has_data(self) -> bool:
        return self._data is not None

    def data_items(self) -> list[Any]:
        """Everything plotted (curves, images, bars, scatter), for tests and export."""
        items: list[Any] = []
        for plot in self.plots():
            items.extend(
                i
                for i in plot.items
                if isinstance(
                    i,
                    pg.PlotDataItem
                    | pg.PlotCurveItem
                    | pg.ImageItem
                    | pg.BarGraphItem
                    | pg.ScatterPlotItem
                    | pg.FillBetweenItem,
                )
            )
        return items

    def _update(self, **data: Any) -> None:
        if not data or all(v is None for v in data.values()):
            self._data = None
            self._show_empty()
            return
        self._data = data
        self._redraw()

    def _redraw(self) -> None:
        if self._data is None:
            return
        self.view.setBackground(theme_color("base"))
        for plot in self.plots():
            plot.clear()
        self.legend.clear()
        self._render(**self._data)
        self.stack.setCurrentWidget(self.view)
        self.updateGeometry()

    def show_pending(self) -> None:
        """Blank the chart while new data waits its turn to be drawn (no stale picture)."""
        self.empty.setText("Drawing…")
        self.stack.setCurrentWidget(self.empty)

    def _show_empty(self, text: str | None = None) -> None:
        self.empty.setText(text or self.empty_text)
        self.stack.setCurrentWidget(self.empty)
        self.subtitle.hide()
        self.legend.clear()
        self.updateGeometry()

    def add_header_widget(self, widget: QWidget) -> None:
        """Put a control (a chooser, a toggle) at the right of the chart's title."""
        self._header.addWidget(widget, 0, Qt.AlignmentFlag.AlignRight)

    def set_subtitle(self, text: str) -> None:
        self.subtitle.setText(text)
        self.subtitle.setVisible(bool(text))
        self.updateGeometry()

    def retheme(self) -> None:
        # After the palette change has reached every widget and scene item (see
        # FollowsTheme): rebuilding the plot inside it deleted legends Qt was to visit.
        self._redraw()
