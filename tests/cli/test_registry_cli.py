"""``baton registry``: a real MLflow tracking server on 127.0.0.1 (SQLite backend in a
temporary folder) as the team's registry. Versions come in with their provenance; a
signed decision goes out as an artifact and tags; changed tags are caught."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
import skops.io

from tests.handover import NAME, World, as_json, error_line, make_world, ok, run

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world

MODEL = "bc-registry"
START_TIMEOUT_S = 240


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``mlflow server`` on a free local port; skipped, saying why, if it cannot start."""
    root = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
         "--artifacts-destination", str(root / "artifacts")],
        stdout=log, stderr=subprocess.STDOUT, cwd=root,
    )  # fmt: skip
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            tail = (root / "server.log").read_text(errors="replace")[-800:]
            pytest.skip(f"the MLflow server did not start on 127.0.0.1: {tail}")
        time.sleep(0.5)
    yield uri
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def registered(server, files) -> str:
    """Version 1 of MODEL: the breast-cancer pipeline, logged and registered by MLflow."""
    import mlflow
    import mlflow.sklearn

    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    mlflow.set_tracking_uri(server)
    model = skops.io.load(files.lr_skops, trusted=skops.io.get_untrusted_types(file=files.lr_skops))
    X = pd.read_csv(files.bc_test_csv).drop(columns="target")
    with mlflow.start_run():
        mlflow.sklearn.log_model(
            model, name="model", registered_model_name=MODEL, input_example=X.head(3)
        )
    return server


@pytest.fixture(scope="module")
def w(handover, tmp_path_factory) -> World:
    return make_world(handover, tmp_path_factory.mktemp("registry-world"))


@pytest.fixture(scope="module")
def receipt(w) -> Path:
    out = w.path(f"{NAME}-1.review.baton")
    ok(run(w.mle, "review", w.bundle, "--decision", "accept", "--comment", "fine",
           "--out", out))  # fmt: skip
    return out


def test_pull_imports_a_registered_version_with_its_provenance(w, registered):
    d = as_json(ok(run(w.ds, "registry", "pull", MODEL, "1", "--tracking-uri", registered,
                       "--json")))  # fmt: skip
    assert d["name"] == f"{MODEL}-v1" and d["format"] == "skops"
    provenance = d["mlflow"]["provenance"]
    assert provenance["registered_model"] == MODEL
    assert provenance["registered_version"] == "1"
    assert provenance["tracking_uri"] == registered
    assert len(provenance["run_id"]) == 32
    assert d["features"][0]["name"] == "mean radius"


def test_a_missing_version_is_a_usage_error(w, registered):
    result = ok(run(w.ds, "registry", "pull", MODEL, "9", "--tracking-uri", registered), 2)
    assert error_line(result) == f"Error: the registry has no version 9 of the model '{MODEL}'"


def test_push_decision_then_check_then_a_changed_tag_is_caught(w, registered, receipt):
    pushed = as_json(ok(run(w.ds, "registry", "push-decision", receipt, "--tracking-uri",
                            registered, "--model", MODEL, "--version", "1", "--alias",
                            "production", "--json")))  # fmt: skip
    assert pushed["tags"]["baton.decision"] == "accept"
    assert pushed["tags"]["baton.reviewer"].startswith("Eli <eli@example.org> ")
    assert pushed["artifact"].endswith(f"/baton/{receipt.name}")

    from mlflow import MlflowClient

    client = MlflowClient(registered)
    assert client.get_model_version_by_alias(MODEL, "production").version == "1"
    tags = client.get_model_version(MODEL, "1").tags
    assert tags["baton.bundle_root_digest"] == pushed["tags"]["baton.bundle_root_digest"]

    good = ok(run(w.ds, "registry", "check", MODEL, "1", "--tracking-uri", registered))
    assert good.stdout.startswith(f"OK: {MODEL} version 1: the tags match the signed receipt")

    client.set_model_version_tag(MODEL, "1", "baton.decision", "reject")
    bad = ok(run(w.ds, "registry", "check", MODEL, "1", "--tracking-uri", registered), 1)
    assert bad.stdout.splitlines() == [
        f"CHANGED: {MODEL} version 1: the tags do not match the signed receipt",
        "  baton.decision is 'reject' in the registry but 'accept' in the signed receipt",
    ]
    client.set_model_version_tag(MODEL, "1", "baton.receipt_sha256", "0" * 64)
    lost = as_json(ok(run(w.ds, "registry", "check", MODEL, "1", "--tracking-uri",
                          registered, "--json"), 1))  # fmt: skip
    assert lost["ok"] is False
    assert "no receipt attached to the run" in lost["mismatches"][0]


def test_a_decision_from_an_untrusted_reviewer_is_not_pushed(w, registered, receipt):
    result = ok(run(w.stranger, "registry", "push-decision", receipt, "--tracking-uri",
                    registered, "--model", MODEL, "--version", "1"), 1)  # fmt: skip
    assert "signed by a reviewer you do not trust" in error_line(result)
