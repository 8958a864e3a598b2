"""Building a large page a piece at a time, so the event loop keeps ticking meanwhile.

A page that makes many widgets at once (charts above all: each pyqtgraph plot costs tens
of milliseconds) would hold the GUI thread for most of a second. :class:`Stages` runs
generators of build steps, one step per turn of the event loop, in the order they were
queued; :meth:`Stages.finish` runs what is left at once, for a caller that needs the page
complete now.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from PySide6.QtCore import QObject, QTimer, Signal


class Stages(QObject):
    """Steps of queued generators, one per turn of the event loop; ``done`` when idle."""

    done = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: deque[Iterator[object]] = deque()
        self._scheduled = False
        self._stepping = False

    @property
    def running(self) -> bool:
        return bool(self._queue)

    def then(self, steps: Iterator[object]) -> None:
        """Queue a generator; its steps run after those queued before it."""
        self._queue.append(steps)
        self._schedule()

    def finish(self) -> None:
        """Run every step left now (a no-op from inside a step: it is running already)."""
        if self._stepping:
            return
        while self._queue:
            self._step()

    def stop(self) -> None:
        """Drop what is left (the page is closing)."""
        self._queue.clear()

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            QTimer.singleShot(0, self, self._turn)

    def _turn(self) -> None:
        self._scheduled = False
        if self._queue:
            self._step()
        if self._queue:
            self._schedule()

    def _step(self) -> None:
        self._stepping = True
        try:
            next(self._queue[0])
        except StopIteration:
            self._queue.popleft()
            if not self._queue:
                self.done.emit()
        except BaseException:
            self._queue.popleft()  # a broken step must not stop the ones queued after it
            raise
        finally:
            self._stepping = False
