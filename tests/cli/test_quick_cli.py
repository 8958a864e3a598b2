"""A quick command line: each command imports only what it uses, `baton --help` still
lists every command as click would, and listing every model streams."""

from __future__ import annotations

import importlib
import importlib.util
import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from baton.core.catalog.store import Catalog
from baton.core.cli import base
from baton.core.cli.main import LAZY_COMMANDS, cli
from baton.core.lean_jsonschema import OPTIONAL_FORMAT_MODULES

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world

HEAVY = ("pandas", "numpy", "sklearn", "onnx", "onnxruntime", "pyarrow", "sqlite_utils")
COMMAND_MODULES = sorted({target.partition(":")[0] for target, _ in LAZY_COMMANDS.values()})


@pytest.fixture(scope="module")
def listed(tmp_path_factory):
    home = tmp_path_factory.mktemp("quick") / "home"
    with Catalog(home) as catalog:
        for i in range(7):
            catalog.add_model(
                {
                    "name": f"churn-{i}",
                    "format": "onnx",
                    "sha256": f"{i:064x}",
                    "estimator": "LogisticRegression" if i % 2 else "Ridge",
                    "task": "binary",
                    "created_at": f"2025-01-0{i + 1}T00:00:00Z",
                }
            )
    return home


def _imported_by(args: list[str], after: str = "") -> dict:
    """Run `baton ARGS` in a fresh process; its output and the modules it imported (then
    the Python statements ``after``, whose ``found`` joins the result)."""
    code = (
        "import contextlib, io, json, sys\n"
        "from baton.core.cli.main import cli\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        "        cli(sys.argv[1:], prog_name='baton', terminal_width=100)\n"
        "    except SystemExit as exc:\n"
        "        code = exc.code\n"
        "modules, found = sorted(sys.modules), None\n"
        f"{after}\n"
        "print(json.dumps({'code': code, 'out': out.getvalue(), 'modules': modules,\n"
        "                  'found': found}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_help_table_is_each_command_s_own_help():
    for name, (target, first_paragraph) in LAZY_COMMANDS.items():
        module, _, attr = target.partition(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command) and command.name == name
        assert command.help is not None and command.short_help is None and not command.hidden
        assert command.help.partition("\n\n")[0] == first_paragraph, name


def test_help_lists_every_command_without_importing_them():
    fresh = _imported_by(["--help"])
    assert fresh["code"] == 0
    assert not set(COMMAND_MODULES) & set(fresh["modules"])
    for name in LAZY_COMMANDS:
        assert f"\n  {name} " in fresh["out"]
    for name in LAZY_COMMANDS:  # every command loaded: click's own listing
        assert cli.get_command(click.Context(cli), name) is not None
    loaded = CliRunner().invoke(cli, ["--help"], prog_name="baton", terminal_width=100)
    assert loaded.stdout == fresh["out"]


@pytest.mark.parametrize(
    "args", [["search", "churn"], ["model", "list"], ["dataset", "list"], ["doctor"], ["status"]]
)
def test_catalog_commands_import_no_data_stack(listed, args):
    ran = _imported_by(["--home", str(listed), *args])
    assert ran["code"] in (0, None), ran["out"]
    heavy = [m for m in ran["modules"] if m.split(".")[0] in HEAVY]
    assert heavy == []
    assert "baton.core.cli.handover_commands" not in ran["modules"]


def test_verify_leaves_the_data_stack_and_the_schema_format_modules_to_the_child(world):
    """`baton verify` parses the model and data only in the checking child; the parent
    reads the contract with jsonschema but not the dozen optional format modules
    jsonschema would import (0.1-0.8 s), which stay importable for anyone else."""
    installed = [m for m in OPTIONAL_FORMAT_MODULES if importlib.util.find_spec(m)]
    ran = _imported_by(
        ["--home", str(world.mle), "verify", str(world.bundle)],
        after=f"found = [__import__(m).__name__ for m in {installed!r}]",
    )
    assert ran["code"] in (0, None), ran["out"]
    assert "VERIFIED" in ran["out"]
    assert "jsonschema" in ran["modules"]
    assert [m for m in ran["modules"] if m.split(".")[0] in HEAVY] == []
    assert [m for m in ran["modules"] if m.split(".")[0] in OPTIONAL_FORMAT_MODULES] == []
    assert ran["found"] == installed  # held out of jsonschema's import only


def test_listing_every_model_prints_one_json_document(listed):
    runner = CliRunner()
    result = runner.invoke(cli, ["--home", str(listed), "model", "list", "--limit", "0", "--json"])
    models = json.loads(result.stdout)["models"]
    assert [m["name"] for m in models] == [f"churn-{i}" for i in range(6, -1, -1)]
    paged = runner.invoke(cli, ["--home", str(listed), "model", "list", "--limit", "3", "--json"])
    assert paged.stdout == json.dumps({"models": models[:3]}, indent=2, sort_keys=True) + "\n"
    empty = runner.invoke(cli, ["--home", str(listed), "dataset", "list", "--limit", "0", "--json"])
    assert json.loads(empty.stdout) == {"datasets": []}
    bad = runner.invoke(cli, ["--home", str(listed), "model", "list", "--limit", "-1"])
    assert bad.exit_code == 2 and "--limit: must be 0 (all) or more" in bad.stderr


def test_a_long_listing_prints_before_it_has_read_every_row(monkeypatch, capsys):
    monkeypatch.setattr(base, "STREAM_WIDTH_ROWS", 2)
    monkeypatch.setattr(base, "STREAM_PAGE_ROWS", 1)
    rows = [{"name": f"m{i}", "task": "x" * (i + 1)} for i in range(6)]

    def reading():
        for i, row in enumerate(rows):
            if i == 4:  # the header and the first rows are out before the last are read
                assert capsys.readouterr().out.splitlines() == [
                    "name  task",
                    "m0    x",
                    "m1    xx",
                    "m2    xxx",
                    "m3    xxxx",
                ]
            yield row

    base.emit_rows("models", reading(), False, ["name", "task"], "none")
    assert capsys.readouterr().out.splitlines() == ["m4    xxxxx", "m5    xxxxxx"]

    def reading_json():
        for i, row in enumerate(rows):
            if i == 3:
                printed = capsys.readouterr().out.rstrip().rstrip(",")
                assert json.loads(printed + "]}") == {"models": rows[:2]}
            yield row

    base.emit_rows("models", reading_json(), True, ["name"], "none")
    assert json.loads('{"models": [' + capsys.readouterr().out) == {"models": rows[2:]}


def test_the_text_listing_streams_the_same_table(listed, monkeypatch):
    runner = CliRunner()
    whole = runner.invoke(cli, ["--home", str(listed), "model", "list", "--limit", "0"])
    lines = whole.stdout.splitlines()
    assert lines[0].split() == [
        "name",
        "format",
        "task",
        "estimator",
        "parameters",
        "size",
        "(bytes)",
    ]
    assert len(lines) == 8 and lines[1].startswith("churn-6  onnx    binary  Ridge")
    monkeypatch.setattr(base, "STREAM_WIDTH_ROWS", 3)
    streamed = runner.invoke(cli, ["--home", str(listed), "model", "list", "--limit", "0"])
    assert streamed.stdout == whole.stdout  # same widths: no later row is wider


def test_checking_a_signer_and_recording_a_bundle_import_no_data_stack(listed):
    """What `baton verify` asks of the catalog reads and writes through its connection."""
    code = (
        "import json, sys\n"
        "from baton.core.catalog.store import Catalog\n"
        "with Catalog(sys.argv[1]) as c:\n"
        "    c.trusted_keys.get('ab'), c.trusted_keys.with_prefix('ab'), c.handover_history()\n"
        "    c.handovers.record('received', 'n', '1', 'd' * 64, 's' * 64, 'f' * 64,\n"
        "                       sys.argv[1] + '/b.baton', 'received', {'a': 1})\n"
        "    seen = [r['name'] for r in c.handover_history()]\n"
        "print(json.dumps({'seen': seen, 'modules': sorted(sys.modules)}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(listed)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    ran = json.loads(done.stdout)
    assert ran["seen"] == ["n"]
    assert [m for m in ran["modules"] if m.split(".")[0] in HEAVY] == []
