"""The base of every chart: a titled pyqtgraph plot with an empty state, coloured from the application palette and redrawn when the theme changes; and the palette helpers charts draw with."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from baton.gui.common import theme
from baton.gui.common.widgets import muted_label, title_label

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


def add_legend(plot: pg.PlotItem, bottom: bool = False, left: bool = False) -> pg.LegendItem:
    legend = plot.addLegend(
        offset=(8 if left else -8, -8 if bottom else 8),
        brush=pg.mkBrush(qcolor(theme_color("base"), 220)),
        pen=make_pen(theme_color("border"), 1),
        labelTextColor=theme_color("text"),
        labelTextSize="9pt",
    )
    return legend


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
        self._data: dict[str, Any] | None = None
        self._show_empty()

    # A chart asks for a moderate plot height plus whatever its wrapped title and
    # subtitle need at the width it gets.

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt naming
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt naming
        height = CHART_HEIGHT + self.title_label.heightForWidth(width) + self._spacing
        if not self.subtitle.isHidden():
            height += self.subtitle.heightForWidth(width) + self._spacing
        return height

    def sizeHint(self):  # noqa: N802 - Qt naming
        return QSize(440, self.heightForWidth(440))

    def minimumSizeHint(self):  # noqa: N802 - Qt naming
        return QSize(160, self.heightForWidth(440) - CHART_HEIGHT + CHART_MIN_HEIGHT)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._body.setGeometry(self.rect())

    # -- to override

    def _make_view(self) -> QWidget:
        return pg.PlotWidget()

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
            if plot.legend is not None:
                scene = plot.legend.scene()
                if scene is not None:
                    scene.removeItem(plot.legend)
                plot.legend = None
        self._render(**self._data)
        self.stack.setCurrentWidget(self.view)

    def show_pending(self) -> None:
        """Blank the chart while new data waits its turn to be drawn (no stale picture)."""
        self.empty.setText("Drawing…")
        self.stack.setCurrentWidget(self.empty)

    def _show_empty(self, text: str | None = None) -> None:
        self.empty.setText(text or self.empty_text)
        self.stack.setCurrentWidget(self.empty)
        self.subtitle.hide()

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
