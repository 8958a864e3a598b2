"""Qt-free progress reporting and cancellation for long work.

Long-running core functions take ``progress`` (a callable ``(done, total, message)``, any
of which may be ``None``) and ``cancel`` (a :class:`CancelToken`). They call
``cancel.check()`` at safe points; the GUI adapts both to Qt signals, the CLI prints
progress on stderr.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from baton.core.errors import Cancelled

ProgressFn = Callable[[float | None, float | None, str], None]


class CancelToken:
    """A thread-safe flag that long work polls; ``check()`` raises :class:`Cancelled`."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled("Cancelled by the user.")


def no_progress(done: float | None, total: float | None, message: str) -> None:
    """The default progress callback: ignores every report."""


NEVER_CANCELLED = CancelToken()
