"""The child-process runner: crashes, hangs and memory blow-ups become typed errors.

The hostile models are real pickles imported with consent: unpickling runs their payload
in the child, exactly as a malicious or broken file would.
"""

from __future__ import annotations

import pickle
import signal

import pytest

from baton.core.data.importer import import_model
from baton.core.data.runner import Limits
from baton.core.errors import RunnerCrashed, RunnerOutOfMemory, RunnerTimeout

pytest.register_assert_rewrite("tests.handover")  # before the import below

from tests.handover import NAME  # noqa: E402

pytest_plugins = ["tests.handover"]  # its fixtures: handover


class Payload:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _pickle(path, payload):
    path.write_bytes(pickle.dumps(payload))
    return path


def test_crash_reports_last_words(catalog, files, tmp_path):
    code = "import sys, os; sys.stderr.write('fatal: weights are corrupt\\n'); sys.stderr.flush(); os._exit(7)"
    path = _pickle(tmp_path / "crash.pkl", Payload(exec, code))
    with pytest.raises(
        RunnerCrashed,
        match=r"the process running crash.pkl crashed: it exited with code 7 \(fatal: weights are corrupt\)",
    ) as info:
        import_model(
            catalog, path, trust_pickle=True, check_on=str(files.bc_test_csv), target="target"
        )
    assert "weights are corrupt" in info.value.last_words
    assert catalog.count("models") == 0


def test_hang_times_out(catalog, files, tmp_path):
    import time

    path = _pickle(tmp_path / "hang.pkl", Payload(time.sleep, 120))
    with pytest.raises(RunnerTimeout, match=r"hang.pkl did not finish within 6 s and was stopped"):
        import_model(
            catalog,
            path,
            trust_pickle=True,
            check_on=str(files.bc_test_csv),
            target="target",
            limits=Limits(timeout_s=6),
        )
    assert catalog.count("models") == 0


def test_memory_limit(catalog, files, tmp_path):
    path = _pickle(tmp_path / "greedy.pkl", Payload(bytearray, 16 * 2**30))
    with pytest.raises(
        RunnerOutOfMemory,
        match=r"greedy.pkl used more than the memory limit and was stopped: it asked for more "
        r"than 6000 MB of address space, the cap beside the limit of 1500 MB on resident "
        r"memory; set BATON_CHILD_MEMORY_MB \(in MB\) to raise it$",
    ):
        import_model(
            catalog,
            path,
            trust_pickle=True,
            check_on=str(files.bc_test_csv),
            target="target",
            limits=Limits(memory_mb=1500, timeout_s=60),
        )
    assert catalog.count("models") == 0


def test_resident_memory_limit(catalog, files, tmp_path):
    # Touched memory within the address-space backstop: the watch on resident memory stops it.
    code = "import time; hog = bytearray(b'x') * (600 * 2**20); time.sleep(60)"
    path = _pickle(tmp_path / "hog.pkl", Payload(exec, code))
    with pytest.raises(
        RunnerOutOfMemory,
        match=r"^hog.pkl used more than the memory limit and was stopped: its resident memory "
        r"passed 400 MB; set BATON_CHILD_MEMORY_MB \(in MB\) to raise it$",
    ):
        import_model(
            catalog,
            path,
            trust_pickle=True,
            check_on=str(files.bc_test_csv),
            target="target",
            limits=Limits(memory_mb=400, timeout_s=60),
        )


def test_catalog_still_usable_after_failures(catalog, files, tmp_path):
    path = _pickle(tmp_path / "crash2.pkl", Payload(exec, "import os; os._exit(3)"))
    with pytest.raises(RunnerCrashed):
        import_model(
            catalog, path, trust_pickle=True, check_on=str(files.bc_test_csv), target="target"
        )
    record = import_model(catalog, files.lr_skops, name="fine")
    assert record["name"] == "fine"


# --- a child started ahead ----------------------------------------------------------------


def test_a_child_started_ahead_runs_the_next_task_of_its_kind(handover, tmp_path, monkeypatch):
    """`prestart` starts the checking child early (its imports overlap the parent's
    work); the next run_task of that task uses it, then a new one is started each time."""
    from baton.core.catalog.store import Catalog
    from baton.core.data import runner
    from baton.core.handover import bundle

    used = []
    real_run = runner._Child.run

    def run(self, *args, **kwargs):
        used.append(self.proc.pid)
        return real_run(self, *args, **kwargs)

    monkeypatch.setattr(runner._Child, "run", run)
    runner.prestart("check_bundle")
    ahead = runner._ahead["check_bundle"].proc.pid
    with Catalog(tmp_path / "home") as catalog, bundle.open_bundle(catalog, handover.bundle) as b:
        assert b.contract["identity"]["name"] == NAME
    assert used == [ahead] and runner._ahead == {}
    with Catalog(tmp_path / "home") as catalog, bundle.open_bundle(catalog, handover.bundle):
        pass
    assert len(used) == 2 and used[1] != ahead  # a child runs one task only


def test_a_child_started_ahead_and_never_used_leaves_nothing_behind():
    from baton.core.data import runner

    runner.prestart("check_bundle")
    child = runner._ahead["check_bundle"]
    runner.discard_prestarted()
    # Stopped at once (it waits on stdin for ever, having read nothing), and reaped.
    assert child.proc.returncode == -signal.SIGKILL
    assert not child.workdir.exists() and runner._ahead == {}
