"""The page for a ``.baton`` file the user opens: a review receipt's or a bundle's.

It lives in the shell, above both pages, so that neither the bundle page nor the receipt
page needs to know the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from baton.core.handover.review import is_receipt
from baton.gui.receipts.receipt_view import ReceiptPage
from baton.gui.review.review_view import BundlePage


def open_file_page(
    home: str | Path, path: str | Path, parent: QWidget | None = None, **kwargs: Any
) -> QWidget:
    """The page for a ``.baton`` file: a review receipt's page, else a bundle's."""
    if is_receipt(path):
        return ReceiptPage(home, path, parent, **kwargs)
    return BundlePage(home, path, parent, **kwargs)
