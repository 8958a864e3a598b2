"""Long work off the GUI thread: core functions in a thread pool, reporting by Qt signals.

A job is a plain function ``job(catalog, progress, cancel)`` that calls core (import,
evaluate, profile, verify …) and returns its result. :class:`Worker` runs it in a pool
thread and adapts core's Qt-free ``progress`` callback and
:class:`~baton.core.progress.CancelToken` to signals: ``progress(done, total, message)``,
``finished(result)``, ``failed(message)`` (the text of a
:class:`~baton.core.errors.BatonError`) and ``cancelled(message)``.

SQLite connections never cross threads: each worker opens its own
:class:`~baton.core.catalog.store.Catalog` on the home inside its thread and closes it there
(the catalog is WAL with a busy timeout, so a worker writing while the window reads is
safe). The main window's catalog only reads.

:class:`TaskRunner` owns two pools. Jobs that write to the catalog (imports and
measurements) run one at a time, in submission order, as Anki runs collection
operations on one executor; quick read-only jobs (verifying a stored file before it is
shown) run beside them so a long evaluation does not hold up a preview. Nothing here
calls ``processEvents()``: results come back through queued signals.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from baton.core.errors import BatonError, Cancelled
from baton.core.progress import CancelToken

Job = Callable[[Any, Callable[[float | None, float | None, str], None], CancelToken], Any]

# Progress from core can arrive thousands of times a second (bootstrap blocks, latency
# polls); the GUI needs a few updates a second. The first and the last always pass.
PROGRESS_INTERVAL_S = 0.05


class WorkerSignals(QObject):
    started = Signal()
    progress = Signal(object, object, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal(str)
    done = Signal()  # after any of finished / failed / cancelled


class Worker(QRunnable):
    """Runs one job in a pool thread with its own catalog connection."""

    def __init__(
        self, home: str | Path, job: Job, *, title: str, needs_catalog: bool = True
    ) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the runner keeps the Python object until it is done
        self.home = Path(home)
        self.job = job
        self.title = title
        self.needs_catalog = needs_catalog
        self.signals = WorkerSignals()
        self.cancel_token = CancelToken()
        self.running = False
        self.last_message = ""
        self.last_fraction: float | None = None
        self._lock = threading.Lock()
        self._last_emit = 0.0

    def cancel(self) -> None:
        self.cancel_token.cancel()

    @property
    def cancelling(self) -> bool:
        return self.cancel_token.cancelled

    def report(self, done: float | None, total: float | None, message: str = "") -> None:
        """The ``progress`` callback handed to core; safe to call from any thread.

        The worker keeps what the job last said before it signals it: a view that starts
        following the worker after a report was signalled reads it from here (a queued
        signal reaches only the slots connected when it was emitted)."""
        now = time.monotonic()
        final = done is not None and total is not None and done >= total
        fraction = (
            max(0.0, min(1.0, float(done) / float(total))) if done is not None and total else None
        )
        with self._lock:
            self.last_message, self.last_fraction = message or "", fraction
            if not final and now - self._last_emit < PROGRESS_INTERVAL_S:
                return
            self._last_emit = now
        self.signals.progress.emit(done, total, message or "")

    def run(self) -> None:  # runs in the pool thread
        self.running = True
        self.signals.started.emit()
        catalog = None
        try:
            self.cancel_token.check()
            if self.needs_catalog:
                from baton.core.catalog.store import Catalog

                catalog = Catalog(self.home)
            result = self.job(catalog, self.report, self.cancel_token)
        except Cancelled as exc:
            self.signals.cancelled.emit(str(exc))
        except BatonError as exc:
            self.signals.failed.emit(str(exc))
        except Exception as exc:  # a bug, not an expected failure: say so, keep the trace
            traceback.print_exc(file=sys.stderr)
            self.signals.failed.emit(
                f"{self.title} failed unexpectedly ({type(exc).__name__}: {exc})."
            )
        else:
            self.signals.finished.emit(result)
        finally:
            if catalog is not None:
                catalog.close()
            self.running = False
            self.signals.done.emit()


class TaskRunner(QObject):
    """Queues and runs workers; the status bar and the views listen to its signals."""

    changed = Signal()  # a task started, progressed or ended
    task_failed = Signal(str, str)  # title, message
    task_cancelled = Signal(str)  # title

    def __init__(self, home: str | Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.home = Path(home)
        self._writers = QThreadPool(self)
        self._writers.setMaxThreadCount(1)
        self._readers = QThreadPool(self)
        self._readers.setMaxThreadCount(2)
        self._workers: list[Worker] = []

    def submit(
        self,
        title: str,
        job: Job,
        *,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[str], None] | None = None,
        on_cancel: Callable[[str], None] | None = None,
        on_done: Callable[[], None] | None = None,
        on_progress: Callable[[Any, Any, str], None] | None = None,
        writes: bool = True,
        needs_catalog: bool = True,
    ) -> Worker:
        """Queue ``job``; callbacks run on the GUI thread as it reports and when it ends
        (``on_done`` after any end). They are connected before the job starts: a queued
        signal reaches only the slots connected when it is emitted, and a quick job can
        end before ``submit`` returns."""
        worker = Worker(self.home, job, title=title, needs_catalog=needs_catalog)
        s = worker.signals
        s.started.connect(self.changed)
        s.progress.connect(self.changed)  # the worker holds what it last said
        if on_progress is not None:
            s.progress.connect(on_progress)
        if on_success is not None:
            s.finished.connect(on_success)
        s.failed.connect(lambda msg, w=worker: self.task_failed.emit(w.title, msg))
        if on_failure is not None:
            s.failed.connect(on_failure)
        s.cancelled.connect(lambda _msg, w=worker: self.task_cancelled.emit(w.title))
        if on_cancel is not None:
            s.cancelled.connect(on_cancel)
        s.done.connect(lambda w=worker: self._done(w))
        if on_done is not None:
            s.done.connect(on_done)
        self._workers.append(worker)
        (self._writers if writes else self._readers).start(worker)
        self.changed.emit()
        return worker

    def _done(self, worker: Worker) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
        self.changed.emit()

    def active(self) -> list[Worker]:
        """Workers queued or running, running ones first."""
        return sorted(self._workers, key=lambda w: not w.running)

    def busy(self) -> bool:
        return bool(self._workers)

    def cancel_all(self) -> None:
        for worker in list(self._workers):
            worker.cancel()

    def wait(self, msecs: int = -1) -> bool:
        """Block until every worker has ended (used when the window closes)."""
        ok_w = self._writers.waitForDone(msecs)
        ok_r = self._readers.waitForDone(msecs)
        return ok_w and ok_r
