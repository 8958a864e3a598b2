"""`baton status`: what waits in the catalog and the next step for each, as text or JSON."""

from __future__ import annotations

import json

from click.testing import CliRunner

from baton.core.catalog.store import Catalog
from baton.core.cli.main import cli


def _status(home, *args: str):
    return CliRunner().invoke(cli, ["--home", str(home), "status", *args])


def test_an_empty_catalog_says_where_to_start(tmp_path):
    result = _status(tmp_path / "home")
    assert result.exit_code == 0
    assert result.stdout == (
        "This catalog is empty. Start with `baton model add FILE` and "
        "`baton dataset add FILE`, or try `baton demo`.\n"
    )
    found = json.loads(_status(tmp_path / "home", "--json").stdout)
    assert found == {"models": [], "sent": [], "received": [], "demo": False, "empty": True}


def test_models_by_stage_with_the_next_step_and_what_else_is_there(tmp_path):
    home = tmp_path / "home"
    with Catalog(home) as catalog:
        for i in range(7):
            catalog.add_model(
                {
                    "name": f"churn-{i}",
                    "format": "onnx",
                    "sha256": f"{i:064x}",
                    "estimator": "Ridge",
                    "task": "regression",
                    "created_at": f"2026-01-0{i + 1}T00:00:00Z",
                }
            )
        received = tmp_path / "fraud-3.baton"
        received.write_bytes(b"x")
        catalog.handovers.record(
            "received", "fraud", "3", "a" * 64, "s" * 64, "f" * 64, received, "verified", {}
        )
    received.unlink()
    result = _status(home)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "Models",
        "  Not evaluated (7): Evaluate it on a labelled test set and profile its latency.",
        "    churn-6 — Ridge · regression",
        "    churn-5 — Ridge · regression",
        "    churn-4 — Ridge · regression",
        "    churn-3 — Ridge · regression",
        "    churn-2 — Ridge · regression",
        "    … and 2 more",
        "Bundles received",
        "  Received, awaiting your decision (1): Reproduce the claims on this machine, then "
        "accept, ask for changes or reject.",
        "    fraud 3 — verified, no decision yet (file no longer there)",
    ]
    found = json.loads(_status(home, "--json").stdout)
    assert [s["stage"] for s in found["models"]] == ["not_evaluated"]
    assert found["models"][0]["count"] == 7 and len(found["models"][0]["shown"]) == 5
    assert found["received"][0]["shown"][0] == {
        "label": "fraud 3",
        "detail": "verified, no decision yet",
        "ref": str(received.resolve()),
        "exists": False,
    }
