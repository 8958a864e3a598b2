"""The task runner the engineer's pages use when the window gives them none.

Pages (bundle, receipt, compare, keys) run their core calls on a
:class:`~baton.gui.common.workers.TaskRunner`. The main window passes its own (``runner=``) so
the status bar shows the work; a page opened on its own shares one runner per home,
owned by the application rather than by the page: a page closed while its verification
is still running must not take the runner (and the signals its worker is about to send)
down with it. Each worker still opens its own catalog connection in its own thread.

:func:`submit` runs a job whose expected failures the page shows itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from baton.core.errors import BatonError, Cancelled
from baton.gui.common.workers import TaskRunner

Job = Callable[..., Any]

_RUNNERS: dict[Path, TaskRunner] = {}


def shared_runner(home: str | Path) -> TaskRunner:
    """The application-wide runner for ``home`` (created on first use)."""
    key = Path(home).expanduser().resolve()
    runner = _RUNNERS.get(key)
    if runner is None:
        runner = TaskRunner(key, QApplication.instance())
        runner.destroyed.connect(lambda *_: _RUNNERS.pop(key, None))
        _RUNNERS[key] = runner
    return runner


def _expected_failures_as_results(job: Job) -> Job:
    def wrapped(catalog, progress, cancel) -> dict[str, Any]:
        try:
            return {"ok": True, "value": job(catalog, progress, cancel)}
        except Cancelled:
            raise
        except BatonError as exc:
            return {"ok": False, "message": str(exc)}

    return wrapped


class _Relay(QObject):
    """Hands one job's outcome to its page on the GUI thread, then goes away."""

    succeeded = Signal(object)
    failed = Signal(str)

    def deliver(self, outcome: dict[str, Any]) -> None:
        if outcome["ok"]:
            self.succeeded.emit(outcome["value"])
        else:
            self.failed.emit(outcome["message"])
        self.deleteLater()

    def crashed(self, message: str) -> None:
        self.failed.emit(message)
        self.deleteLater()

    def cancelled(self, _message: str) -> None:
        self.deleteLater()


def submit(
    runner: TaskRunner,
    owner: QObject,
    title: str,
    job: Job,
    *,
    on_success: Callable[[Any], None],
    on_failure: Callable[[str], None],
    on_cancel: Callable[[str], None] | None = None,
    writes: bool = True,
):
    """``runner.submit`` for a page that shows its own errors.

    An expected failure (a :class:`~baton.core.errors.BatonError`: a wrong passphrase, an
    untrusted signer) reaches ``on_failure`` as a result rather than as a failed task, so
    the message is shown once, where the user is (the page or its dialog), and not a
    second time in the main window's banner. Returns the worker (for progress and cancel).
    """
    relay = _Relay(owner)
    relay.succeeded.connect(on_success)
    relay.failed.connect(on_failure)
    worker = runner.submit(
        title,
        _expected_failures_as_results(job),
        on_success=relay.deliver,
        on_failure=relay.crashed,
        on_cancel=relay.cancelled,
        writes=writes,
    )
    if on_cancel is not None:
        worker.signals.cancelled.connect(on_cancel)
    return worker
