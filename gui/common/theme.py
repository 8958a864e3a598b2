"""Light and dark palettes, the stylesheet and the SVG icons.

Baton uses Qt's Fusion style on every platform so that its two palettes look the same
everywhere. The theme setting is "system" (the default: light or dark as the operating
system says, following it live), "light" or "dark". One stylesheet
(``resources/baton.qss``) serves both palettes: its ``@name`` words are filled with the
colours below. Icons are single-colour SVGs drawn with ``currentColor``, tinted with the
palette's text colour when they are loaded, so they stay readable in the dark.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon, QPixmap

# Qt's enum namespace, QIcon and QPixmap cost milliseconds each to load: they are
# imported where they are used, after the first frame.

THEMES = ("system", "light", "dark")

LIGHT = {
    "window": "#f6f7f9",
    "sidebar": "#eef0f3",
    "base": "#ffffff",
    "alt_base": "#f3f5f7",
    "text": "#1f2328",
    "muted": "#5f6a76",
    "border": "#d3d8de",
    "grid": "#e5e8ec",
    "button": "#eceff2",
    "accent": "#2f6feb",
    "accent_hover": "#255fd0",
    "accent_text": "#ffffff",
    "hover": "#e2e6eb",
    "selected": "#cfe0fd",
    "link": "#0b5cd5",
    "ok_bg": "#e7f6ec",
    "ok_border": "#9ad2ae",
    "ok_text": "#14532d",
    "warn_bg": "#fff6e0",
    "warn_border": "#f0c96b",
    "warn_text": "#6b4500",
    "err_bg": "#fdecec",
    "err_border": "#efa3a3",
    "err_text": "#7f1d1d",
    "info_bg": "#e9f1fe",
    "info_border": "#a9c5f5",
    "info_text": "#1e3a6e",
}

DARK = {
    "window": "#1d2126",
    "sidebar": "#181b1f",
    "base": "#15181c",
    "alt_base": "#22272d",
    "text": "#e3e6ea",
    "muted": "#9aa4af",
    "border": "#3a4149",
    "grid": "#2b3138",
    "button": "#2a3037",
    "accent": "#4c8df6",
    "accent_hover": "#6a9ff7",
    "accent_text": "#0b1220",
    "hover": "#262c33",
    "selected": "#24406e",
    "link": "#79b0ff",
    "ok_bg": "#13301f",
    "ok_border": "#2f6b45",
    "ok_text": "#b7ebc8",
    "warn_bg": "#33280f",
    "warn_border": "#7a5d1c",
    "warn_text": "#f3d9a0",
    "err_bg": "#3a1717",
    "err_border": "#7d3232",
    "err_text": "#f6c2c2",
    "info_bg": "#172640",
    "info_border": "#2f4f85",
    "info_text": "#c6dafc",
}

# Categorical colours for charts; readable on both backgrounds.
SERIES = ("#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#14b8a6", "#ec4899", "#84cc16")


class ThemeManager(QObject):
    """Applies a theme to the application and tells widgets when the colours change."""

    changed = Signal()

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.app = app
        self.mode = "system"
        self.colors: dict[str, str] = LIGHT
        # The platform's own palette, before ours replaces it: a cheap first guess at
        # whether the system is dark (see ``apply``).
        window = app.palette().color(QPalette.ColorRole.Window)
        self._platform_dark = window.lightness() < 128
        self._fusion = False
        app.styleHints().colorSchemeChanged.connect(self._system_changed)

    @property
    def dark(self) -> bool:
        return self.colors is DARK

    def ensure_fusion(self) -> None:
        """Use Qt's Fusion style (``baton gui`` already starts with ``-style fusion``)."""
        if self._fusion:
            return
        self._fusion = True
        if self.app.style().name().lower() != "fusion":
            self.app.setStyle("Fusion")

    def apply(self, mode: str, *, with_stylesheet: bool = True) -> None:
        """Apply a theme.

        For the first frame (``with_stylesheet=False``) the system's light or dark is read
        from the platform palette, which avoids loading Qt's large enum namespace before
        the window shows; the full application (stylesheet included) asks the style hints.
        """
        if mode not in THEMES:
            mode = "system"
        self.mode = mode
        if mode == "system" and not with_stylesheet:
            dark = self._platform_dark
        elif mode == "system":
            from PySide6.QtCore import Qt

            dark = self.app.styleHints().colorScheme() == Qt.ColorScheme.Dark
        else:
            dark = mode == "dark"
        colors = DARK if dark else LIGHT
        styled = bool(self.app.property("batonStyled"))
        if (
            colors is self.colors
            and self.app.property("batonThemed")
            and (styled or not with_stylesheet)
        ):
            return
        self.colors = colors
        self.app.setProperty("batonThemed", True)
        self.app.setPalette(make_palette(colors))
        if with_stylesheet:
            self.ensure_fusion()
            self.app.setStyleSheet(stylesheet(colors))
            self.app.setProperty("batonStyled", True)
        _tinted.cache_clear()
        self.changed.emit()

    def _system_changed(self, *_: object) -> None:
        if self.mode == "system":
            self.apply("system")


class FollowsTheme:
    """For a widget that redraws itself in the new colours after a theme change.

    Put it first among the bases (``class Page(FollowsTheme, QWidget)``) and give
    :meth:`retheme`. The redraw runs once the palette change has reached every widget, not
    inside it: Qt replaces the application's stylesheet by visiting a list of the widgets
    that existed when it began, and a page that deleted and rebuilt its rows while being
    visited made Qt visit freed memory (the whole app crashed). Several changes in a row
    give one redraw; ``retheme_due`` says whether one is still to come.
    """

    retheme_due = False
    _retheming = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Baton's own theme switch, whether or not a palette change reaches this widget: a
        # widget a stylesheet rule has given its own palette no longer inherits the app's.
        manager(QApplication.instance()).changed.connect(self._schedule_retheme)  # type: ignore[arg-type]

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt naming
        super().changeEvent(event)  # type: ignore[misc]
        if event.type() == QEvent.Type.PaletteChange:
            self._schedule_retheme()

    def _schedule_retheme(self) -> None:
        if self.retheme_due or self._retheming:
            return
        self.retheme_due = True
        # With the widget as the timer's context: nothing runs if it is deleted first.
        QTimer.singleShot(0, self, self._retheme_now)  # type: ignore[call-overload]

    def _retheme_now(self) -> None:
        self.retheme_due = False
        self._retheming = True  # what the redraw itself changes is not a theme change
        try:
            self.retheme()
        finally:
            self._retheming = False

    def retheme(self) -> None:
        """Draw again what takes its colours from the palette (rows, icons, charts)."""


def make_palette(c: dict[str, str]) -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: c["window"],
        QPalette.ColorRole.WindowText: c["text"],
        QPalette.ColorRole.Base: c["base"],
        QPalette.ColorRole.AlternateBase: c["alt_base"],
        QPalette.ColorRole.Text: c["text"],
        QPalette.ColorRole.Button: c["button"],
        QPalette.ColorRole.ButtonText: c["text"],
        QPalette.ColorRole.Highlight: c["accent"],
        QPalette.ColorRole.HighlightedText: c["accent_text"],
        QPalette.ColorRole.ToolTipBase: c["base"],
        QPalette.ColorRole.ToolTipText: c["text"],
        QPalette.ColorRole.PlaceholderText: c["muted"],
        QPalette.ColorRole.Link: c["link"],
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Light: c["base"],
        QPalette.ColorRole.Midlight: c["alt_base"],
        QPalette.ColorRole.Mid: c["border"],
        QPalette.ColorRole.Dark: c["muted"],
        QPalette.ColorRole.Shadow: "#000000",
    }
    for role, color in roles.items():
        p.setColor(role, QColor(color))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(c["muted"]))
    return p


def stylesheet(colors: dict[str, str]) -> str:
    from importlib import resources

    folder = resources.files("baton.resources")
    text = folder.joinpath("baton.qss").read_text(encoding="utf-8")
    # The images the stylesheet draws (check marks, spin box arrows) by their file's path.
    values = {**colors, "style": Path(str(folder.joinpath("style"))).as_posix()}
    return re.sub(r"@([a-z_]+)", lambda m: values.get(m.group(1), m.group(0)), text)


_manager: ThemeManager | None = None


def manager(app: QApplication) -> ThemeManager:
    """The application's theme manager, created on first use."""
    global _manager
    if _manager is None or _manager.app is not app:
        _manager = ThemeManager(app)
    return _manager


def current_colors() -> dict[str, str]:
    """The colours of the applied theme (light before any theme is applied)."""
    return _manager.colors if _manager is not None else LIGHT


@cache
def _svg(name: str) -> str:
    from importlib import resources

    return resources.files("baton.resources").joinpath(f"icons/{name}.svg").read_text("utf-8")


def _render(svg: str, color: str, px: int) -> QPixmap:
    from PySide6.QtCore import QByteArray
    from PySide6.QtGui import QPixmap

    text = svg.replace("currentColor", color)
    text = re.sub(r'width="\d+" height="\d+"', f'width="{px}" height="{px}"', text, count=1)
    pm = QPixmap()
    pm.loadFromData(QByteArray(text.encode("utf-8")), "SVG")
    return pm


@cache
def _engine_class():
    """The icon engine class, defined on first use (keeps start-up imports small)."""
    from PySide6.QtCore import QRect, QSize
    from PySide6.QtGui import QIcon, QIconEngine, QPainter

    class _SvgIconEngine(QIconEngine):
        """Renders a tinted SVG at the size asked for, on first use (crisp at any DPI).

        Without a colour it takes the theme's text colour when it is drawn, so an icon
        set once (a document's tab) stays visible after a switch between light and dark.
        """

        def __init__(self, name: str, color: str | None, disabled: str | None) -> None:
            super().__init__()
            self._name, self._color, self._disabled = name, color, disabled
            self._cache: dict[tuple[int, str], QPixmap] = {}

        def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
            px = max(1, min(size.width(), size.height()))
            colors = current_colors()
            if mode == QIcon.Mode.Disabled:
                color = self._disabled or colors["muted"]
            else:
                color = self._color or colors["text"]
            key = (px, color)
            if key not in self._cache:
                self._cache[key] = _render(_svg(self._name), color, px)
            return self._cache[key]

        def paint(
            self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State
        ) -> None:
            ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
            pm = self.pixmap(
                QSize(int(rect.width() * ratio), int(rect.height() * ratio)), mode, state
            )
            painter.drawPixmap(rect, pm)

        def clone(self) -> QIconEngine:
            return _SvgIconEngine(self._name, self._color, self._disabled)

    return _SvgIconEngine


@cache
def _tinted(name: str, color: str | None, disabled: str | None) -> QIcon:
    from PySide6.QtGui import QIcon

    return QIcon(_engine_class()(name, color, disabled))


def icon(name: str, color: str | None = None) -> QIcon:
    """The icon ``resources/icons/NAME.svg`` tinted with ``color``.

    Without ``color`` it is drawn in the theme's text colour of the moment it is painted
    (light or dark), however long ago it was set.
    """
    if color is None:
        return _tinted(name, None, None)
    return _tinted(name, color, current_colors()["muted"])


def pixmap(name: str, size: int, color: str | None = None) -> QPixmap:
    """A crisp pixmap of an icon at ``size`` logical pixels (rendered for the screen's DPR)."""
    from PySide6.QtGui import QGuiApplication

    screen = QGuiApplication.primaryScreen()
    ratio = screen.devicePixelRatio() if screen is not None else 1.0
    pm = _render(_svg(name), color or current_colors()["text"], int(size * ratio))
    pm.setDevicePixelRatio(ratio)
    return pm
