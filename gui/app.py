"""Start the Baton desktop app."""

from __future__ import annotations

import sys
from pathlib import Path


def run(
    home: str | Path | None = None, open_file: str | None = None, argv: list[str] | None = None
) -> int:
    """Create the QApplication and the main window; returns the exit code of the loop."""
    from PySide6.QtWidgets import QApplication

    from .main_window import MainWindow

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Baton")
    app.setOrganizationName("Baton")
    window = MainWindow(home=home)
    window.show()
    if open_file:
        window.open_path(open_file)
    return app.exec()
