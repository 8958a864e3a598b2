"""The foundation commands through click's runner: init, dataset, model, search."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from baton.core.catalog.store import SCHEMA_VERSION
from baton.core.cli.main import cli


@pytest.fixture
def run(home):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, ["--home", str(home), *args], catch_exceptions=False)

    return invoke


def test_init_reports_home(run, home):
    result = run("init", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["home"] == str(home) and data["schema_version"] == SCHEMA_VERSION


def test_datasets_round_trip(run, files):
    a = run(
        "dataset",
        "add",
        str(files.bc_csv),
        "--name",
        "bc-csv",
        "--target",
        "target",
        "--role",
        "test",
        "--json",
    )
    b = run(
        "dataset",
        "add",
        str(files.bc_parquet),
        "--name",
        "bc-parquet",
        "--target",
        "target",
        "--json",
    )
    assert a.exit_code == 0 and b.exit_code == 0
    assert json.loads(a.stdout)["fingerprint"] == json.loads(b.stdout)["fingerprint"]
    listed = json.loads(run("dataset", "list", "--json").stdout)["datasets"]
    assert {d["name"] for d in listed} == {"bc-csv", "bc-parquet"}
    shown = run("dataset", "show", "bc-csv")
    assert "569 rows" in shown.stdout and "mean radius" in shown.stdout
    assert "profile" in json.loads(run("dataset", "show", "bc-csv", "--json").stdout)


def test_models_and_search(run, files):
    assert (
        run(
            "dataset", "add", str(files.bc_test_csv), "--name", "bc-test", "--target", "target"
        ).exit_code
        == 0
    )
    added = run("model", "add", str(files.lr_skops), "--name", "lr", "--tag", "oncology")
    assert added.exit_code == 0, added.output
    assert (
        "Added model lr: Pipeline(StandardScaler, LogisticRegression), binary, 91 parameters"
        in added.stdout
    )
    refused = run("model", "add", str(files.lr_joblib), "--name", "lr-pickle")
    assert refused.exit_code == 1
    assert "Error: lr.joblib is a pickle" in refused.stderr
    ok = run(
        "model",
        "add",
        str(files.lr_joblib),
        "--name",
        "lr-pickle",
        "--trust-pickle",
        "--check-on",
        "bc-test",
        "--json",
    )
    assert ok.exit_code == 0, ok.output
    shown = json.loads(run("model", "show", "lr-pickle", "--json").stdout)
    assert shown["params"] == 91 and shown["classes"] == [0, 1]
    hits = json.loads(run("search", "logistic", "--json").stdout)["hits"]
    assert {h["name"] for h in hits} == {"lr", "lr-pickle"}
    assert "model" in run("search", "oncology").stdout


def test_errors_are_one_line_with_exit_codes(run, tmp_path):
    missing = run("model", "show", "nope")
    assert missing.exit_code == 2
    assert (
        missing.stderr.strip()
        == "Error: no model named 'nope' in the catalog. The catalog has no models yet."
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("a,label\n1,0\n2\n")
    result = run("dataset", "add", str(bad), "--target", "label")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: bad.csv: line 3 has 1 fields but the header has 2")
    assert "Traceback" not in result.output


def test_help_on_every_command():
    runner = CliRunner()
    for args in (
        ["--help"],
        ["init", "--help"],
        ["dataset", "add", "--help"],
        ["model", "add", "--help"],
        ["search", "--help"],
        ["gui", "--help"],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0 and "Usage:" in result.stdout


def test_desktop_install(tmp_path):
    result = CliRunner().invoke(cli, ["desktop-install", "--prefix", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    files = json.loads(result.stdout)["files"]
    assert str(tmp_path / "applications" / "baton.desktop") in files
    assert "*.baton" in (tmp_path / "mime" / "packages" / "baton-mime.xml").read_text()
