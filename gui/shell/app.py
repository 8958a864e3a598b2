"""Start the Baton desktop app.

Kept lean on purpose: only Qt and the window's own light modules load before the first
window is painted; the rest of the window is built right after, the catalog code loads
on a helper thread (see :mod:`baton.gui.shell.main_window`), and charts load the first time a
model is opened.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from baton.gui.shell.main_window import MainWindow


def make_window(
    home: str | Path | None = None, argv: list[str] | None = None
) -> tuple[QApplication, MainWindow]:
    """The application object (created if needed) and a main window, not yet shown."""
    from PySide6.QtWidgets import QApplication

    args = list(argv if argv is not None else sys.argv[:1])
    # Fusion everywhere (see baton.gui.common.theme), chosen here so Qt sets it up in C++.
    app = QApplication.instance() or QApplication([*args[:1], "-style", "fusion", *args[1:]])
    app.setApplicationName("Baton")
    app.setOrganizationName("Baton")
    app.setApplicationDisplayName("Baton")
    app.setDesktopFileName("baton")

    from baton.gui.shell.main_window import MainWindow

    return app, MainWindow(home=home, load_in_background=True)


def run(
    home: str | Path | None = None, open_file: str | None = None, argv: list[str] | None = None
) -> int:
    """Create the QApplication and the main window; returns the exit code of the loop."""
    app, window = make_window(home, argv)
    window.show()
    if open_file:
        window.open_path(open_file)  # waits for the catalog if it is still opening
    return app.exec()
