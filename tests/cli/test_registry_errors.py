"""``baton registry`` with a registry MLflow cannot use: one error line, exit 1, no trace."""

from __future__ import annotations

import json

from click.testing import CliRunner

from baton.core.cli.main import cli


def test_an_unusable_tracking_uri_is_one_line(tmp_path):
    uri = (tmp_path / "mlruns").as_uri()
    result = CliRunner().invoke(
        cli,
        ["--home", str(tmp_path / "home"), "registry", "pull", "bc", "1", "--tracking-uri", uri,
         "--json"],
        env={"MLFLOW_ALLOW_FILE_STORE": None},
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    line = result.stderr.strip()
    assert line.startswith(f"Error: cannot use the registry at {uri}: ") and "\n" not in line
    error = json.loads(result.stdout)["error"]
    assert error["exit_code"] == 1 and error["message"].startswith("cannot use the registry")
