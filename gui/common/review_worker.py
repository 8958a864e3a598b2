"""The task runner the engineer's pages use when the window gives them none.

Pages (bundle, receipt, compare, keys) run their core calls on a
:class:`~baton.gui.common.workers.TaskRunner`. The main window passes its own (``runner=``) so
the status bar shows the work; a page opened on its own shares one runner per home,
owned by the application rather than by the page: a page closed while its verification
is still running must not take the runner (and the signals its worker is about to send)
down with it. Each worker still opens its own catalog connection in its own thread.

:func:`run` runs a job whose expected failures the page shows itself, as typed errors
(:func:`submit`: as their text); the ``*_job`` factories are the engineer's desk
(:mod:`baton.core.handover.desk`) as such jobs.
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


class _Expected:
    """An expected failure carried back as the job's result, so the runner does not also
    report it in the main window's banner."""

    def __init__(self, error: BatonError) -> None:
        self.error = error


def _expected_failures_as_results(job: Job) -> Job:
    def wrapped(catalog, progress, cancel) -> Any:
        try:
            return job(catalog, progress, cancel)
        except Cancelled:
            raise
        except BatonError as exc:
            return _Expected(exc)

    return wrapped


class _Relay(QObject):
    """Hands one job's outcome to its page on the GUI thread, then goes away."""

    succeeded = Signal(object)
    failed = Signal(object)  # a BatonError
    stopped = Signal(str)  # cancelled, with the runner's message

    def deliver(self, outcome: Any) -> None:
        if isinstance(outcome, _Expected):
            self.failed.emit(outcome.error)
        else:
            self.succeeded.emit(outcome)
        self.deleteLater()

    def crashed(self, message: str) -> None:
        # a bug in the job, already reported by the runner: the page still shows its words
        self.failed.emit(BatonError(message))
        self.deleteLater()

    def cancelled(self, message: str) -> None:
        self.stopped.emit(message)
        self.deleteLater()


def run(
    runner: TaskRunner,
    owner: QObject,
    title: str,
    job: Job,
    *,
    on_success: Callable[[Any], None],
    on_failure: Callable[[BatonError], None],
    on_cancel: Callable[[str], None] | None = None,
    on_progress: Callable[[Any, Any, str], None] | None = None,
    writes: bool = True,
):
    """``runner.submit`` for a page that shows its own errors, typed.

    An expected failure (a :class:`~baton.core.errors.BatonError`: a refused bundle, a
    wrong passphrase, an untrusted signer) reaches ``on_failure`` as the error itself
    rather than as a failed task, so the page shows it once, where the user is (the page
    or its dialog), and not a second time in the main window's banner. A crash arrives
    the same way, as a :class:`BatonError` holding the runner's message. Returns the
    worker (for progress and cancel).
    """
    relay = _Relay(owner)
    relay.succeeded.connect(on_success)
    relay.failed.connect(on_failure)
    if on_cancel is not None:
        relay.stopped.connect(on_cancel)
    worker = runner.submit(
        title,
        _expected_failures_as_results(job),
        on_success=relay.deliver,
        on_failure=relay.crashed,
        on_cancel=relay.cancelled,
        on_progress=on_progress,
        writes=writes,
    )
    return worker


def submit(
    runner: TaskRunner,
    owner: QObject,
    title: str,
    job: Job,
    *,
    on_success: Callable[[Any], None],
    on_failure: Callable[[str], None],
    on_cancel: Callable[[str], None] | None = None,
    on_progress: Callable[[Any, Any, str], None] | None = None,
    writes: bool = True,
):
    """:func:`run` for a page that shows a failure's text only."""
    return run(
        runner,
        owner,
        title,
        job,
        on_success=on_success,
        on_failure=lambda error: on_failure(str(error)),
        on_cancel=on_cancel,
        on_progress=on_progress,
        writes=writes,
    )


# --- the desk's use cases as jobs (run on a worker thread with that thread's catalog) ------


def open_for_review_job(path: Path) -> Job:
    def job(catalog, progress, cancel):
        from baton.core.handover import desk

        return desk.open_for_review(catalog, path, progress=progress, cancel=cancel)

    return job


def reproduce_job(path: Path, budget_s: float) -> Job:
    def job(catalog, progress, cancel):
        from baton.core.handover import desk

        return desk.reproduce(catalog, path, budget_s=budget_s, progress=progress, cancel=cancel)

    return job


def countersign_job(
    path: Path,
    decision: str,
    comment: str,
    target_comments: dict[str, str],
    out: Path,
    passphrase: str,
    choose: str | None = None,
) -> Job:
    def job(catalog, progress, cancel):
        from baton.core.handover import desk

        return desk.countersign(
            catalog,
            path,
            decision=decision,
            comment=comment,
            target_comments=target_comments,
            out=out,
            passphrase=passphrase,
            choose=choose,
            progress=progress,
        )

    return job


def verify_receipt_job(path: Path) -> Job:
    def job(catalog, progress, cancel):
        from baton.core.handover import desk

        return desk.verify_receipt(catalog, path, progress=progress, cancel=cancel)

    return job


def compare_job(old: Path, new: Path) -> Job:
    def job(catalog, progress, cancel):
        from baton.core.handover import desk

        return desk.compare(catalog, old, new, progress=progress)

    return job


def trust_signer_job(public_pem: str, fingerprint: str, name: str, email: str | None) -> Job:
    def job(catalog, progress, cancel):
        from baton.core.handover import desk

        return desk.trust_signer(
            catalog, public_pem, compared_fingerprint=fingerprint, name=name, email=email
        )

    return job


def trust_key_file_job(pem_file: Path, fingerprint: str, name: str, email: str | None) -> Job:
    def job(catalog, progress, cancel):
        from baton.core.handover import desk

        return desk.trust_key_file(
            catalog, pem_file, name=name, email=email, compared_fingerprint=fingerprint
        )

    return job
