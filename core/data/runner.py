"""Run model code in a child process with a memory limit and a timeout.

The parent never loads model files itself: it writes a request (JSON) to a private
folder and sends its path to ``python -I -m baton.core.measure.child TASK`` (which may
have been started ahead, :func:`prestart`, to import its libraries meanwhile). The child
reports progress as JSON lines on stdout and writes its answer to ``response.json``. A
crash, a hang or a memory blow-up becomes a typed :class:`~baton.core.errors.RunnerError`
carrying the child's last words (the tail of its stderr), and the parent carries on.

Memory is bounded twice. The limit is on resident memory: the parent polls the child's
resident set and kills it past ``memory_mb``. The child also caps its address space
(``RLIMIT_DATA``: heap and anonymous mappings) at :data:`ADDRESS_SPACE_FACTOR` times that,
a backstop against one huge allocation between two polls, which then fails with
``MemoryError`` instead of swapping the machine. The backstop is generous on purpose:
allocators and thread pools reserve far more address space than they touch, so an
address-space cap equal to the limit would stop a child that uses little more than half
of it.

The child cannot steal what the parent holds. Its interpreter is isolated (``-I``: no
working folder, user site-packages or PYTHONPATH on ``sys.path``, so a ``numpy.py`` where
the user runs Baton is never imported), its environment is the short list of
:mod:`baton.core.data.sandbox` (no passphrase, no credentials), it works in an empty private
staging folder removed afterwards, and on Linux it leaves the network as it starts.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baton.core import jsonsafe
from baton.core.data.sandbox import child_environment
from baton.core.errors import (
    BatonError,
    Cancelled,
    ContractError,
    DatasetError,
    FeatureMismatch,
    ModelError,
    RunnerCrashed,
    RunnerError,
    RunnerOutOfMemory,
    RunnerTimeout,
    UnsafeInput,
    UsageError,
    VerificationError,
)
from baton.core.progress import CancelToken, ProgressFn
from baton.core.safetext import visible

DEFAULT_MEMORY_MB = 4096
DEFAULT_TIMEOUT_S = 600.0
POLL_S = 0.05
OOM_EXIT = 86  # the child's exit code after a MemoryError
ADDRESS_SPACE_FACTOR = 4
ADDRESS_SPACE_EXTRA_MB = 4096  # so that a small limit still leaves room for the libraries
MEMORY_HINT = "set BATON_CHILD_MEMORY_MB (in MB) to raise it"
# The child's answer file and stderr are written by a process that runs model code.
MAX_ANSWER_BYTES = 64 * 2**20
TAIL_BYTES = 16 * 1024
TAIL_LINE = 500
PROGRESS_BYTES = 4096
# The errors a child may report, by the name it sends: exactly these classes.
_CHILD_ERRORS: dict[str, type[BatonError]] = {
    cls.__name__: cls
    for cls in (
        UsageError,
        DatasetError,
        FeatureMismatch,
        ModelError,
        UnsafeInput,
        ContractError,
        VerificationError,
        RunnerError,
        RunnerCrashed,
        RunnerTimeout,
        RunnerOutOfMemory,
    )
}


@dataclass(frozen=True)
class Limits:
    memory_mb: int = DEFAULT_MEMORY_MB
    timeout_s: float = DEFAULT_TIMEOUT_S
    # How a user raises ``memory_mb``, for the message of a child stopped by it.
    memory_hint: str = MEMORY_HINT
    # The address-space cap; None for the generous backstop. A child that only parses
    # untrusted files may be held to its resident limit, so that a decompression bomb
    # fails at its first large allocation instead of filling memory up to the limit.
    address_space_cap_mb: int | None = None

    @property
    def address_space_mb(self) -> int:
        """The child's address-space cap: by default well above the resident limit."""
        if self.address_space_cap_mb is not None:
            return self.address_space_cap_mb
        return max(ADDRESS_SPACE_FACTOR * self.memory_mb, self.memory_mb + ADDRESS_SPACE_EXTRA_MB)

    @classmethod
    def from_env(cls) -> Limits:
        """Limits, overridable with BATON_CHILD_MEMORY_MB and BATON_CHILD_TIMEOUT_S."""
        return cls(
            memory_mb=int(os.environ.get("BATON_CHILD_MEMORY_MB", DEFAULT_MEMORY_MB)),
            timeout_s=float(os.environ.get("BATON_CHILD_TIMEOUT_S", DEFAULT_TIMEOUT_S)),
        )


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def limit_own_memory(memory_mb: int) -> None:
    """Called first thing in the child: cap its heap and anonymous mappings at
    ``memory_mb`` (the address-space backstop the parent sends, not the resident limit).

    Set by the child itself rather than in a ``preexec_fn``, which would fork the parent
    (a GUI, say) with the interpreter lock held and freeze it for the fork's duration.
    """
    try:
        import resource

        limit = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass  # not on this platform: the parent's resident-set watch still applies


class _Child:
    """One child process and its private folder, started before its request is written.

    The child imports what its task needs (:data:`baton.core.measure.child.WARM_IMPORTS`)
    as it starts, then waits for the path of its request on stdin: started ahead
    (:func:`prestart`), those imports overlap the parent's own work. Nothing the task
    reads reaches it before :meth:`run`; a child closed unused reads end-of-file and exits.
    """

    def __init__(self, task: str) -> None:
        self.task = task
        self.workdir = Path(tempfile.mkdtemp(prefix="baton-child-"))
        os.chmod(self.workdir, 0o700)
        staging = self.workdir / "staging"  # the child's working folder, empty and private
        staging.mkdir(mode=0o700)
        self.stderr_path = self.workdir / "stderr.txt"
        try:
            with open(self.stderr_path, "wb") as err:
                self.proc = subprocess.Popen(
                    # -B: no .pyc files written into the installation (-I ignores the variable).
                    [sys.executable, "-I", "-B", "-m", "baton.core.measure.child", task],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    cwd=staging,
                    env=child_environment(staging),
                    # Its own process group, so a kill reaches anything it started too.
                    process_group=0 if os.name == "posix" else None,
                )
        except BaseException:
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise

    def run(
        self,
        params: dict[str, Any],
        limits: Limits,
        progress: ProgressFn | None,
        cancel: CancelToken | None,
        what: str,
    ) -> dict[str, Any]:
        request = self.workdir / "request.json"
        response = self.workdir / "response.json"
        request.write_text(
            json.dumps(
                {
                    "task": self.task,
                    "params": params,
                    "response": str(response),
                    "address_space_mb": limits.address_space_mb,
                }
            )
        )
        proc = self.proc
        lines: deque[str] = deque(maxlen=50)
        reader = threading.Thread(
            target=_pump, args=(proc, progress, lines), daemon=True, name="baton-child-stdout"
        )
        reader.start()
        assert proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # a child that died starting: said below
            proc.stdin.write(f"{request}\n".encode())
            proc.stdin.close()
        outcome = _watch(proc, limits, cancel)
        reader.join(timeout=5)
        last_words = _tail(self.stderr_path)
        if outcome == "timeout":
            raise RunnerTimeout(
                f"{what} did not finish within {limits.timeout_s:g} s and was stopped",
                last_words=last_words,
            )
        if outcome == "memory" or proc.returncode == OOM_EXIT:
            raise RunnerOutOfMemory(_memory_message(what, outcome, limits), last_words=last_words)
        if outcome == "cancelled":
            raise Cancelled("Cancelled by the user.")
        if proc.returncode != 0 or not response.is_file():
            raise RunnerCrashed(
                _crash_message(what, proc.returncode, last_words), last_words=last_words
            )
        return _answer(response, what)

    def close(self) -> None:
        """Stop the child if it still runs (unused: it has read nothing, and a command that
        failed early should not wait for its imports) and remove its folder."""
        if self.proc.poll() is None:
            _kill(self.proc)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


# Children started ahead by prestart(), by task: each is used once, by the next run_task.
_ahead: dict[str, _Child] = {}
_ahead_lock = threading.Lock()


def prestart(task: str) -> None:
    """Start the child of the next ``run_task(task, ...)`` now, so that its imports
    (pyarrow and numpy for reading data: a fifth of a second) run while this process
    does other work. It is given nothing until ``run_task`` sends its request."""
    with _ahead_lock:
        if task in _ahead:
            return
        _ahead[task] = _Child(task)


def discard_prestarted() -> None:
    """Stop the children :func:`prestart` started that no task used."""
    with _ahead_lock:
        children = list(_ahead.values())
        _ahead.clear()
    for child in children:
        child.close()


def run_task(
    task: str,
    params: dict[str, Any],
    *,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    what: str = "the model",
) -> dict[str, Any]:
    """Run ``task`` in a fresh child process (one :func:`prestart` started, if waiting)
    and return its JSON answer.

    ``what`` names the thing being run in error messages ("model.skops").
    """
    limits = limits or Limits.from_env()
    with _ahead_lock:
        child = _ahead.pop(task, None)
    if child is None or child.proc.poll() is not None:
        if child is not None:
            child.close()
        child = _Child(task)
    try:
        return child.run(params, limits, progress, cancel, what)
    finally:
        child.close()


def _pump(proc: subprocess.Popen, progress: ProgressFn | None, lines: deque[str]) -> None:
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.decode("utf-8", "replace").rstrip()
        lines.append(line)
        if progress is None or not line.startswith("{"):
            continue
        update = _progress_update(line)
        if update is not None:
            progress(*update)


def _progress_update(line: str) -> tuple[float | None, float | None, str] | None:
    """``(done, total, message)`` from a ``{"progress": [...]}`` line, else None: the
    child's stdout is model code's to write too."""
    try:
        msg = jsonsafe.loads(line, source="progress", max_bytes=PROGRESS_BYTES, max_depth=3)
    except BatonError:
        return None
    value = msg.get("progress")
    if not (isinstance(value, list) and len(value) == 3 and isinstance(value[2], str)):
        return None
    done, total = value[0], value[1]
    if not all(
        v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in (done, total)
    ):
        return None
    return done, total, value[2]


def _watch(proc: subprocess.Popen, limits: Limits, cancel: CancelToken | None) -> str:
    deadline = time.monotonic() + limits.timeout_s
    while True:
        try:
            proc.wait(timeout=POLL_S)
            return "done"
        except subprocess.TimeoutExpired:
            pass
        reason = None
        if time.monotonic() > deadline:
            reason = "timeout"
        elif _rss_mb(proc.pid) > limits.memory_mb:
            reason = "memory"
        elif cancel is not None and cancel.cancelled:
            reason = "cancelled"
        if reason:
            _kill(proc)
            return reason


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    proc.wait()


def _tail(path: Path, n: int = 15) -> str:
    """The last ``n`` lines of the child's stderr, from its last ``TAIL_BYTES`` only, each
    line with control characters shown as escapes: model code writes it."""
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.fstat(fh.fileno()).st_size - TAIL_BYTES))
            text = fh.read(TAIL_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(visible(line[:TAIL_LINE]) for line in text.strip().splitlines()[-n:])


def _answer(response: Path, what: str) -> Any:
    """The child's result, or its typed error raised here; anything else is a crash.

    The file is the child's to write, and model code runs in the child: it is read with
    the strict, capped JSON reader and must be exactly ``{"result": ...}`` or
    ``{"error": {"type": ..., "message": ...}}``.
    """
    source = f"the answer of the process running {what}"
    answer = jsonsafe.load_file(
        response, source=source, error=RunnerCrashed, max_bytes=MAX_ANSWER_BYTES
    )
    if answer.keys() == {"result"}:
        return answer["result"]
    error = answer.get("error") if answer.keys() == {"error"} else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        raise _rebuild_error(error)
    raise RunnerCrashed(f"{source} is not a result or an error Baton knows")


def _memory_message(what: str, outcome: str, limits: Limits) -> str:
    """Which of the two limits stopped the child, and how to raise it."""
    if outcome == "memory":
        how = f"its resident memory passed {limits.memory_mb} MB"
    else:
        how = (
            f"it asked for more than {limits.address_space_mb} MB of address space, the "
            f"cap beside the limit of {limits.memory_mb} MB on resident memory"
        )
    return f"{what} used more than the memory limit and was stopped: {how}; {limits.memory_hint}"


def _crash_message(what: str, code: int | None, last_words: str) -> str:
    if code is not None and code < 0:
        try:
            how = f"was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            how = f"was killed by signal {-code}"
    else:
        how = f"exited with code {code}"
    last = last_words.strip().splitlines()[-1] if last_words.strip() else "no error output"
    return f"the process running {what} crashed: it {how} ({last})"


def _rebuild_error(error: dict[str, Any]) -> Exception:
    """Turn the child's typed error back into the same exception class in the parent."""
    name = error.get("type")
    cls = _CHILD_ERRORS.get(name, RunnerError) if isinstance(name, str) else RunnerError
    if issubclass(cls, RunnerError):
        words = error.get("last_words")
        return cls(
            error["message"],
            last_words=visible(words, lines=True) if isinstance(words, str) else "",
        )
    return cls(error["message"])
