"""`baton pack` and `baton contract pack`: a refused pack or import leaves the catalog as
it was; a draft whose figures changed is not signed unless the user says so."""

from __future__ import annotations

import json

import pytest

from tests.handover import as_json, ok, run


@pytest.fixture
def dana(home):
    ok(run(home, "keys", "create", "--name", "Dana", "--email", "dana@example.org"))
    return home


def listing(home) -> dict:
    return {
        "datasets": as_json(ok(run(home, "dataset", "list", "--json"))),
        "models": as_json(ok(run(home, "model", "list", "--json"))),
    }


def evaluations(home) -> int:
    from baton.core.catalog.store import Catalog

    with Catalog(home) as catalog:
        return catalog.count("evaluations") + catalog.count("profiles")


def test_pack_with_a_test_set_the_model_cannot_read_adds_nothing(dana, files, tmp_path):
    before = listing(dana)
    out = tmp_path / "b.baton"
    refused = run(dana, "pack", files.lr_skops, "--test", files.wine_csv, "--target", "target",
                  "--name", "bc-lr", "--version", "1", "--intended-use", "Second reader",
                  "--budget", "0.05", "--out", out)  # fmt: skip
    assert refused.exit_code == 1 and refused.stderr.splitlines()[-1].startswith("Error: ")
    assert listing(dana) == before and evaluations(dana) == 0 and not out.exists()
    # Nothing half-done is in the way: the same pack with the right test set succeeds.
    ok(run(dana, "pack", files.lr_skops, "--test", files.bc_test_csv, "--target", "target",
           "--name", "bc-lr", "--version", "1", "--intended-use", "Second reader",
           "--budget", "0.05", "--out", out))  # fmt: skip
    assert [d["name"] for d in listing(dana)["datasets"]["datasets"]] == ["bc-lr-test"]


def test_a_refused_pickle_import_adds_nothing(dana, files):
    before = listing(dana)
    refused = run(dana, "model", "add", files.lr_joblib, "--trust-pickle",
                  "--check-on", files.wine_csv, "--target", "target")  # fmt: skip
    assert refused.exit_code == 1 and refused.stderr.splitlines()[-1].startswith("Error: ")
    assert listing(dana) == before and evaluations(dana) == 0


@pytest.fixture
def drafted(dana, files):
    ok(run(dana, "dataset", "add", files.bc_test_csv, "--name", "bc-test", "--target", "target",
           "--role", "test"))  # fmt: skip
    ok(run(dana, "model", "add", files.lr_skops, "--name", "lr"))
    ok(run(dana, "contract", "new", "lr", "--test", "bc-test", "--name", "bc-lr",
           "--version", "1", "--require", "accuracy>=0.9",
           "--intended-use", "Second reader"))  # fmt: skip
    ok(run(dana, "contract", "require", "bc-lr", "latency_p95_ms@32<=10000"))
    return dana


def test_contract_pack_lists_changed_figures_and_needs_consent(drafted, tmp_path):
    out = tmp_path / "bc-lr-1.baton"
    refused = run(drafted, "contract", "pack", "bc-lr", "--budget", "0.05", "--out", out)
    assert refused.exit_code == 1, refused.output
    assert "targets[latency_p95_ms@32].verdict: 'unmeasured' → 'pass'" in refused.stderr
    assert "nothing was signed" in refused.stderr and "--accept-changes" in refused.stderr
    assert not out.exists()
    packed = ok(run(drafted, "contract", "pack", "bc-lr", "--budget", "0.05", "--out", out,
                    "--accept-changes", "--json"))  # fmt: skip
    assert "targets[latency_p95_ms@32].verdict: 'unmeasured' → 'pass'" in packed.stderr
    signed = json.loads(packed.stdout)["targets"]
    shown = as_json(ok(run(drafted, "contract", "show", "bc-lr", "--json")))
    assert [t["measured"] for t in shown["targets"]] == [t["measured"] for t in signed]
