"""What the child process says is read as hostile: model code runs there.

A pickle imported with consent runs its payload in the child, as a file that escaped
every other check would. Here it writes what a hostile model could: a flood of terminal
escape sequences on stderr, a nested or oversized answer file, a false error type, and
progress lines of the wrong shape. The parent refuses each with one readable line.
"""

from __future__ import annotations

import json
import pickle

import pytest

from baton.core.data.importer import import_model
from baton.core.data.runner import _progress_update
from baton.core.errors import RunnerCrashed, RunnerError

pytest.register_assert_rewrite("tests.handover")  # before the import below

from tests.handover import run  # noqa: E402


class Payload:
    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self):
        return exec, (self.code,)


# Inside the child: the answer goes beside its working folder, as the request (whose path
# came on stdin, read before the task started) says.
RESPONSE = "import os; response = os.path.join(os.path.dirname(os.getcwd()), 'response.json'); "


def _import(catalog, files, tmp_path, code: str):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(Payload(code)))
    return import_model(
        catalog, path, trust_pickle=True, check_on=str(files.bc_test_csv), target="target"
    )


def test_a_deeply_nested_answer_is_a_crash_not_a_traceback(catalog, files, tmp_path):
    code = (
        RESPONSE + "open(response, 'w').write('[' * 200000 + ']' * 200000); import os; os._exit(0)"
    )
    with pytest.raises(
        RunnerCrashed, match=r"^the answer of the process running evil.pkl is nested too deeply"
    ):
        _import(catalog, files, tmp_path, code)
    assert catalog.count("models") == 0


def test_an_oversized_answer_is_refused_unread(catalog, files, tmp_path):
    code = RESPONSE + (
        "f = open(response, 'w'); f.write('{\"result\": \"'); f.truncate(80 * 2**20); "
        "f.close(); import os; os._exit(0)"
    )
    with pytest.raises(
        RunnerCrashed,
        match=r"^the answer of the process running evil.pkl is too large \(83,886,080 bytes",
    ):
        _import(catalog, files, tmp_path, code)


def test_an_answer_of_another_shape_is_a_crash(catalog, files, tmp_path):
    code = (
        RESPONSE
        + "open(response, 'w').write('{\"result\": 1, \"extra\": 2}'); import os; os._exit(0)"
    )
    with pytest.raises(
        RunnerCrashed,
        match=r"^the answer of the process running evil.pkl is not a result or an error Baton knows$",
    ):
        _import(catalog, files, tmp_path, code)


def test_the_child_cannot_choose_an_error_outside_the_list(catalog, files, tmp_path):
    """An 'UntrustedSigner' from the child would exit 3 as if a signature were at fault."""
    answer = {"error": {"type": "UntrustedSigner", "message": "nothing is wrong"}}
    code = RESPONSE + f"open(response, 'w').write({json.dumps(answer)!r}); import os; os._exit(0)"
    with pytest.raises(RunnerError, match="^nothing is wrong$") as info:
        _import(catalog, files, tmp_path, code)
    assert type(info.value) is RunnerError and info.value.exit_code == 1


def test_escape_sequences_on_stderr_reach_the_terminal_escaped(files, tmp_path):
    flood = "\\x1b[2J\\x1b]0;owned\\x07" * 10
    code = (
        "import sys, os; "
        f"sys.stderr.write(('x' * 1000 + '\\n') * 50000 + '{flood}\\n'); sys.stderr.flush(); os._exit(7)"
    )
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(Payload(code)))
    result = run(
        tmp_path / "home",
        "model", "add", path, "--trust-pickle", "--check-on", files.bc_test_csv, "--target", "target",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\u001b[2J\\u001b]0;owned\\u0007" in result.stderr
    assert len(result.stderr) < 40_000  # the tail, not 50 MB


@pytest.mark.parametrize(
    "line",
    [
        '{"progress": [0, 1]}',
        '{"progress": ["a", 1, "x"]}',
        '{"progress": [0, 1, ["x"]]}',
        '{"progress": [true, 1, "x"]}',
        "[" * 10000,
        '{"progress": [0, 1, "' + "x" * 5000 + '"]}',
    ],
)
def test_progress_lines_of_another_shape_are_ignored(line):
    assert _progress_update(line) is None


def test_a_progress_line_is_read():
    assert _progress_update('{"progress": [1, 4, "predicting"]}') == (1, 4, "predicting")
