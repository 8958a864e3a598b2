"""One exit code per kind of mistake, in every command, and the same failure as one JSON
object on stdout with ``--json``.

The table names each command of ``baton --help`` (walked, so a new command without a row
fails :func:`test_the_table_covers_every_command`) with what a user gets wrong there: a
missing file, an unknown catalog name, a target expression or field path that cannot be
read. A missing file, an unknown name and a malformed expression exit 2, everywhere.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pytest

pytest.register_assert_rewrite("tests.handover")  # before the import below

from baton.core.cli.main import cli  # noqa: E402
from tests.handover import as_json, ok, run  # noqa: E402

pytest_plugins = ["tests.handover"]  # its fixture: handover

GONE = "{tmp}/gone"  # a folder that does not exist: every file under it is missing

# command -> [(arguments, exit code, the stderr line)]; {tmp} is the test's folder and
# {out} a file to write there. Each row also runs with --json where the command has it.
TABLE: dict[str, list[tuple[tuple[str, ...], int, str]]] = {
    "bom": [
        (("bom", GONE + "/b.baton", "--out", "{out}"), 2, "{tmp}/gone/b.baton: no such file"),
        (
            ("bom", "nosuch@1", "--out", "{out}"),
            2,
            "no bundle file, handover or draft called 'nosuch@1': give a .baton file, or "
            "NAME@VERSION of a draft or a handover packed or received here",
        ),
    ],
    "card": [
        (("card", GONE + "/b.baton"), 2, "{tmp}/gone/b.baton: no such file"),
        (
            ("card", "nosuch@1"),
            2,
            "no bundle file, handover or draft called 'nosuch@1': give a .baton file, or "
            "NAME@VERSION of a draft or a handover packed or received here",
        ),
    ],
    "contract card": [
        (
            ("contract", "card", "nosuch@1"),
            2,
            "no contract 'nosuch@1' in the catalog. Known contracts: h@1.",
        ),
    ],
    "contract diff": [
        (
            ("contract", "diff", "h@1", "nosuch@1"),
            2,
            "no contract 'nosuch@1' in the catalog. Known contracts: h@1.",
        ),
    ],
    "contract drop": [
        (
            ("contract", "drop", "nosuch@1", "accuracy"),
            2,
            "no contract 'nosuch@1' in the catalog. Known contracts: h@1.",
        ),
        (
            ("contract", "drop", "h@1", "recall"),
            2,
            'there is no target for "recall"; the contract\'s targets are: accuracy>=0.9',
        ),
    ],
    "contract export": [
        (
            ("contract", "export", "nosuch@1", "--out", "{out}"),
            2,
            "no contract 'nosuch@1' in the catalog. Known contracts: h@1.",
        ),
    ],
    "contract new": [
        (
            ("contract", "new", "nosuch", "--test", "bc-test", "--name", "n", "--version", "1"),
            2,
            "no model named 'nosuch' in the catalog. Known models: lr.",
        ),
        (
            ("contract", "new", "lr", "--test", "nosuch", "--name", "n", "--version", "1"),
            2,
            "no dataset named 'nosuch' in the catalog. Known datasets: bc-test.",
        ),
        (
            (
                "contract",
                "new",
                "lr",
                "--test",
                "bc-test",
                "--name",
                "n",
                "--version",
                "1",
                "--require",
                "accuracy>>0.9",
            ),
            2,
            'unknown operator ">>" in "accuracy>>0.9". Use one of >=, <=, >, <, ==.',
        ),
    ],
    "contract pack": [
        (
            ("contract", "pack", "nosuch@1", "--out", "{out}"),
            2,
            "no contract 'nosuch@1' in the catalog. Known contracts: h@1.",
        ),
    ],
    "contract require": [
        (
            ("contract", "require", "nosuch@1", "accuracy>=0.9"),
            2,
            "no contract 'nosuch@1' in the catalog. Known contracts: h@1.",
        ),
        (
            ("contract", "require", "h@1", "accuracy>>0.9"),
            2,
            'unknown operator ">>" in "accuracy>>0.9". Use one of >=, <=, >, <, ==.',
        ),
        (
            ("contract", "require", "h@1", "acuracy>=0.9"),
            2,
            'unknown metric "acuracy" in "acuracy>=0.9"; did you mean "accuracy"? Valid names: '
            "accuracy, balanced_accuracy, precision, recall, specificity, f1, f1_macro, "
            "f1_weighted, roc_auc, pr_auc, log_loss, mcc, mae, rmse, r2, mape, latency_p50_ms, "
            "latency_p90_ms, latency_p95_ms, latency_p99_ms, throughput_rps, memory_mb, "
            "model_size_mb, params.",
        ),
    ],
    "contract set": [
        (
            ("contract", "set", "nosuch@1", "identity.limitations", "x"),
            2,
            "no contract 'nosuch@1' in the catalog. Known contracts: h@1.",
        ),
        (
            ("contract", "set", "h@1", "identty.limitations", "x"),
            2,
            "there is no field identty in the contract; did you mean 'identity'?",
        ),
        (
            ("contract", "set", "h@1", "identity..limitations", "x"),
            2,
            'cannot read the field path "identity..limitations"; write it like '
            '"identity.intended_use" or "targets.0.threshold"',
        ),
    ],
    "contract show": [
        (
            ("contract", "show", "nosuch@1"),
            2,
            "no contract 'nosuch@1' in the catalog. Known contracts: h@1.",
        ),
    ],
    "contract validate": [
        (
            ("contract", "validate", "nosuch@1"),
            2,
            "no contract 'nosuch@1' in the catalog. Known contracts: h@1.",
        ),
    ],
    "dataset add": [(("dataset", "add", GONE + "/d.csv"), 2, "{tmp}/gone/d.csv: no such file")],
    "dataset show": [
        (
            ("dataset", "show", "nosuch"),
            2,
            "no dataset named 'nosuch' in the catalog. Known datasets: bc-test.",
        )
    ],
    "diff": [
        (
            ("diff", GONE + "/a.baton", GONE + "/b.baton"),
            2,
            "{tmp}/gone/a.baton: no such file or folder",
        )
    ],
    "drift": [
        (
            ("drift", GONE + "/a.baton", GONE + "/b.csv"),
            2,
            "{tmp}/gone/a.baton: no such file or folder",
        )
    ],
    "evaluate": [
        (
            ("evaluate", "nosuch", "bc-test"),
            2,
            "no model named 'nosuch' in the catalog. Known models: lr.",
        ),
        (
            ("evaluate", "lr", "nosuch"),
            2,
            "no dataset named 'nosuch' in the catalog. Known datasets: bc-test.",
        ),
    ],
    "inspect": [(("inspect", GONE + "/a.baton"), 2, "{tmp}/gone/a.baton: no such file or folder")],
    "keys revoke": [
        (
            ("keys", "revoke", "0123456789abcdef", "--reason", "x"),
            2,
            "no trusted key has the fingerprint 0123 4567 89AB CDEF",
        )
    ],
    "keys trust": [
        (("keys", "trust", GONE + "/k.pub", "--name", "x"), 2, "no public key at {tmp}/gone/k.pub"),
    ],
    "model add": [
        (("model", "add", GONE + "/m.skops"), 2, "{tmp}/gone/m.skops: no such file"),
        (
            ("model", "add", "{model}", "--features-from", GONE + "/t.csv"),
            2,
            "{tmp}/gone/t.csv: no such file",
        ),
        (
            ("model", "add", "{model}", "--name", "lr-again"),
            2,
            "lr.skops is already in the catalog as 'lr' (the same bytes); use that model",
        ),
    ],
    "model show": [
        (
            ("model", "show", "nosuch"),
            2,
            "no model named 'nosuch' in the catalog. Known models: lr.",
        )
    ],
    "optimize": [
        (
            ("optimize", GONE + "/a.baton", "--out", "{out}"),
            2,
            "{tmp}/gone/a.baton: no such file or folder",
        )
    ],
    "pack": [
        (
            (
                "pack",
                GONE + "/m.skops",
                "--test",
                "{test}",
                "--target",
                "target",
                "--name",
                "p",
                "--version",
                "1",
                "--intended-use",
                "x",
                "--out",
                "{tmp}/p-1.baton",
            ),
            2,
            "{tmp}/gone/m.skops: no such file",
        ),
        (
            (
                "pack",
                "{model}",
                "--test",
                GONE + "/t.csv",
                "--target",
                "target",
                "--name",
                "p",
                "--version",
                "1",
                "--intended-use",
                "x",
                "--out",
                "{tmp}/p-1.baton",
            ),
            2,
            "{tmp}/gone/t.csv: no such file",
        ),
        (
            (
                "pack",
                "nosuch",
                "--test",
                "{test}",
                "--target",
                "target",
                "--name",
                "p",
                "--version",
                "1",
                "--intended-use",
                "x",
                "--out",
                "{tmp}/p-1.baton",
            ),
            2,
            "no model named 'nosuch' in the catalog. Known models: lr.",
        ),
        (
            (
                "pack",
                "{model}",
                "--test",
                "{test}",
                "--target",
                "target",
                "--name",
                "p",
                "--version",
                "1",
                "--intended-use",
                "x",
                "--require",
                "accuracy>>0.9",
                "--out",
                "{tmp}/p-1.baton",
            ),
            2,
            'unknown operator ">>" in "accuracy>>0.9". Use one of >=, <=, >, <, ==.',
        ),
    ],
    "profile": [
        (
            ("profile", "nosuch", "bc-test"),
            2,
            "no model named 'nosuch' in the catalog. Known models: lr.",
        ),
        (
            ("profile", "lr", "bc-test", "--require", "accuracy>>0.9"),
            2,
            "--require: "
            + 'unknown operator ">>" in "accuracy>>0.9". Use one of >=, <=, >, <, ==.',
        ),
    ],
    "registry check": [
        (
            (
                "registry",
                "check",
                "m",
                "1",
                "--tracking-uri",
                "http://127.0.0.1:9",
                "--receipt",
                GONE + "/r.review.baton",
            ),
            2,
            "{tmp}/gone/r.review.baton: no such file",
        ),
    ],
    "registry push-decision": [
        (
            (
                "registry",
                "push-decision",
                GONE + "/r.review.baton",
                "--tracking-uri",
                "http://127.0.0.1:9",
                "--model",
                "m",
                "--version",
                "1",
            ),
            2,
            "{tmp}/gone/r.review.baton: no such file",
        ),
    ],
    "review": [
        (
            ("review", GONE + "/a.baton", "--reproduce"),
            2,
            "{tmp}/gone/a.baton: no such file or folder",
        ),
    ],
    "verify": [(("verify", GONE + "/a.baton"), 2, "{tmp}/gone/a.baton: no such file or folder")],
}

# Commands with nothing of the kinds above to get wrong (no file, catalog name or
# expression among their arguments), or that open a window.
NOTHING_TO_NAME = {
    "dataset list", "demo", "desktop-install", "doctor", "gui", "init", "keys create",
    "keys export", "keys list", "model list", "registry pull", "search", "status",
}  # fmt: skip


def _commands(group: click.Group, ctx: click.Context, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            found.update(_commands(command, ctx, f"{prefix}{name} "))
        else:
            found[prefix + name] = command
    return found


COMMANDS = _commands(cli, click.Context(cli))


def test_the_table_covers_every_command():
    assert set(TABLE) | NOTHING_TO_NAME == set(COMMANDS)
    assert not set(TABLE) & NOTHING_TO_NAME


@pytest.fixture(scope="module")
def desk(tmp_path_factory, files) -> dict[str, str]:
    """A home with a signing key, a model ``lr``, a dataset ``bc-test`` and a draft ``h@1``."""
    tmp = tmp_path_factory.mktemp("exit-codes")
    home = tmp / "home"
    ok(run(home, "keys", "create", "--name", "Dana", "--email", "dana@example.org"))
    ok(run(home, "model", "add", files.lr_skops, "--name", "lr"))
    ok(run(home, "dataset", "add", files.bc_test_csv, "--name", "bc-test", "--target", "target"))
    ok(run(home, "contract", "new", "lr", "--test", "bc-test", "--name", "h", "--version", "1",
           "--require", "accuracy>=0.9"))  # fmt: skip
    return {"home": str(home), "tmp": str(tmp), "model": str(files.lr_skops),
            "test": str(files.bc_test_csv)}  # fmt: skip


ROWS = [
    pytest.param(command, args, code, line, id=f"{command}-{i}")
    for command, rows in TABLE.items()
    for i, (args, code, line) in enumerate(rows)
]


@pytest.mark.parametrize(("command", "args", "code", "line"), ROWS)
def test_a_mistake_exits_with_its_kind_and_says_so(desk, command, args, code, line):
    home = Path(desk["home"])
    before = _snapshot(home)
    values = {**desk, "out": f"{desk['tmp']}/out-{command.replace(' ', '-')}.baton"}
    argv = [a.format(**values) for a in args]
    expected = "Error: " + line.format(**values)

    plain = run(home, *argv)
    assert (plain.exit_code, _error(plain), plain.stdout) == (code, expected, ""), argv

    if any(p.name == "as_json" for p in COMMANDS[command].params):
        scripted = run(home, *argv, "--json")
        assert (scripted.exit_code, _error(scripted)) == (code, expected), argv
        error = as_json(scripted)["error"]
        assert error["exit_code"] == code
        assert error["message"] == expected.removeprefix("Error: ")
        named = error.get("file")
        assert named is None or named in expected, error
        if "/gone/" in expected:
            assert named == expected.split(": ")[0].removeprefix("Error: ") or named in expected
    assert _snapshot(home) == before  # a refusal changes nothing


def _error(result) -> str:
    """The one error line on stderr, after any progress lines."""
    *progress, last = result.stderr.splitlines() or [""]
    assert all(line.startswith(("  [", "  …")) for line in progress), result.stderr
    return last


def _snapshot(home: Path) -> set[str]:
    return {str(p.relative_to(home)) for p in home.rglob("*") if "catalog.db" not in p.name}


def test_click_s_own_argument_errors_are_json_too(desk):
    home = Path(desk["home"])
    missing = run(home, "model", "show", "--json")
    assert missing.exit_code == 2
    assert missing.stderr.splitlines()[-1] == "Error: Missing argument 'NAME'."
    assert as_json(missing) == {"error": {"exit_code": 2, "message": "Missing argument 'NAME'."}}


def test_an_untrusted_signer_keeps_its_code(handover, tmp_path):
    stranger = tmp_path / "stranger"
    shutil.copytree(handover.stranger_home, stranger)
    untrusted = run(stranger, "verify", handover.bundle, "--json")
    assert untrusted.exit_code == 3
    assert json.loads(untrusted.stdout)  # the verification result, one object
