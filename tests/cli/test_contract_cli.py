"""Evaluate, profile and the contract commands, through click's runner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from baton.core.cli.main import cli


@pytest.fixture
def run(home, files):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, ["--home", str(home), *args], catch_exceptions=False)

    assert (
        invoke(
            "dataset",
            "add",
            str(files.bc_test_csv),
            "--name",
            "bc-test",
            "--target",
            "target",
            "--role",
            "test",
        ).exit_code
        == 0
    )
    assert invoke("model", "add", str(files.lr_skops), "--name", "lr").exit_code == 0
    return invoke


def test_evaluate_and_profile(run):
    ev = run("evaluate", "lr", "bc-test", "--bootstrap", "100")
    assert ev.exit_code == 0
    assert "lr on bc-test: binary, 169 rows" in ev.stdout
    assert "confusion matrix (rows: true, columns: predicted)" in ev.stdout
    data = json.loads(run("evaluate", "lr", "bc-test", "--bootstrap", "0", "--json").stdout)
    assert data["metrics"]["accuracy"]["value"] > 0.9
    prof = run("profile", "lr", "bc-test", "--batch-sizes", "1,32", "--budget", "0.05")
    assert prof.exit_code == 0 and "p99 ms" in prof.stdout and "hardware:" in prof.stdout
    bad = run("profile", "lr", "bc-test", "--batch-sizes", "1,x")
    assert bad.exit_code == 2 and "--batch-sizes must be integers" in bad.stderr


def test_contract_lifecycle(run, tmp_path):
    new = run(
        "contract",
        "new",
        "lr",
        "--test",
        "bc-test",
        "--name",
        "bc-lr",
        "--version",
        "1",
        "--require",
        "accuracy>=0.95",
        "--intended-use",
        "Second reader",
    )
    assert new.exit_code == 0, new.output
    assert "accuracy>=0.95" in new.stdout and "pass" in new.stdout
    added = run(
        "contract", "require", "bc-lr", "recall>=0.999", "--note", "missed cancers are costly"
    )
    assert "recall>=0.999" in added.stdout and "fail" in added.stdout
    assert (
        run("contract", "set", "bc-lr", "identity.limitations", "One hospital only").exit_code == 0
    )
    refused = run("contract", "set", "bc-lr", "targets.0.threshold", "high")
    assert refused.exit_code == 1
    assert "targets[0].threshold must be a number, not 'high'" in refused.stderr
    typo = run("contract", "require", "bc-lr", "acuracy>=0.9")
    assert typo.exit_code == 2 and 'did you mean "accuracy"' in typo.stderr
    assert run("contract", "validate", "bc-lr").stdout.strip() == "valid"
    card = run("contract", "card", "bc-lr")
    assert "## Limitations\n\nOne hospital only" in card.stdout
    assert "missed cancers are costly" in card.stdout
    html = tmp_path / "card.html"
    assert run("contract", "card", "bc-lr", "--html", "--out", str(html)).exit_code == 0
    assert "<html" in html.read_text()
    out = tmp_path / "contract.json"
    assert run("contract", "export", "bc-lr", "--out", str(out)).exit_code == 0
    assert json.loads(out.read_text())["schema"] == "baton.contract/v1"
    assert run("contract", "drop", "bc-lr", "recall").exit_code == 0
    diff = json.loads(run("contract", "diff", str(out), "bc-lr", "--json").stdout)
    assert any(c["path"].startswith("targets") and c["kind"] == "removed" for c in diff["changes"])
    missing = run("contract", "show", "nope")
    assert (
        missing.exit_code == 2
        and "no contract 'nope' in the catalog. Known contracts: bc-lr@1." in missing.stderr
    )
