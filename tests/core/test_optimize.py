"""The engineer's optimisation: parity proven on the bundle's test set, the gain measured,
the result signed by the engineer as a bundle naming its parent; a lossy one refused."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from baton.core.catalog.store import Catalog
from baton.core.contract import document as contracts
from baton.core.errors import UntrustedSigner, UsageError
from baton.core.handover import desk
from baton.core.handover.optimize import (
    MAX_PROBABILITY_DIFFERENCE,
    METRIC_TOLERANCE,
    judge_parity,
    lineage_version,
    lineage_words,
    optimize,
)

pytest.register_assert_rewrite("tests.handover", "tests.optimized")

from tests.handover import PASSPHRASE, handover_rows  # noqa: E402
from tests.optimized import copy_of, lossy_converter  # noqa: E402

pytest_plugins = ["tests.handover", "tests.optimized"]  # handover, world, optimised

STOCK = Path(sys.executable).with_name("model_signing")


def test_an_optimised_bundle_names_its_parent_and_carries_its_evidence(optimised):
    w, result = optimised.world, optimised.result
    parent = desk.open_for_review(Catalog(w.ds), w.bundle)
    assert result["written"] and result["parity"]["passed"]
    assert result["parent"] == {"name": "bc-lr", "version": "1",
                                "root_digest": parent.summary["root_digest"]}  # fmt: skip
    # the data scientist, who trusts Eli, verifies it and reads where it comes from
    review = desk.open_for_review(Catalog(w.ds), optimised.bundle)
    assert review.trusted and review.summary["signer_name"] == "Eli"
    c = review.contract
    assert [a["name"] for a in c["identity"]["authors"]] == ["Eli"]
    assert c["identity"]["version"] == "1.0.0.1"
    assert contracts.compare_versions("1.0.0.1", "1") > 0
    assert c["model"]["file"] == "model/model.onnx" and c["model"]["format"] == "onnx"
    assert c["model"]["features"] == parent.contract["model"]["features"]
    assert c["lineage"]["parent"]["root_digest"] == parent.summary["root_digest"]
    assert c["lineage"]["operation"]["tools"]["skl2onnx"]
    # the evidence is the optimised model's, measured here
    parity = c["lineage"]["parity"]
    assert parity["agreement"] == 1.0 and parity["agreeing"] == parity["rows"] == 169
    assert parity["max_probability_difference"] <= MAX_PROBABILITY_DIFFERENCE
    assert {m["metric"] for m in parity["metrics"]} >= {"accuracy", "roc_auc", "log_loss"}
    for m in parity["metrics"]:
        assert abs(c["results"]["metrics"][m["metric"]]["value"] - m["optimised"]) < 1e-12
    assert c["results"]["metrics"]["accuracy"]["ci_low"] is not None
    rows = c["lineage"]["gain"]["latency"]
    assert [r["batch_size"] for r in rows] == [r["batch_size"] for r in c["results"]["latency"]]
    assert all(r["speedup"] > 0 for r in rows)
    assert c["lineage"]["gain"]["size_bytes"]["optimised"] == c["model"]["size_bytes"]
    # the words are built from those numbers
    line = lineage_words(c)
    assert line is not None
    assert line.startswith(
        f"optimised by Eli from bc-lr 1 (root digest {parent.summary['root_digest'][:12]}…): "
    )
    assert "at batch 1, 100 % agreement" in line
    assert line == result["line"]


def test_the_engineer_records_it_as_sent(optimised):
    rows = [r for r in handover_rows(optimised.world.mle) if r["version"] == "1.0.0.1"]
    assert [(r["direction"], r["name"]) for r in rows] == [("sent", "bc-lr")]


@pytest.mark.skipif(not STOCK.exists(), reason="stock model_signing CLI not installed")
def test_the_stock_verifier_accepts_an_optimised_bundle(optimised, tmp_path):
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(optimised.bundle) as z:
        z.extractall(folder)
    sig = str(folder / "model.sig")
    done = subprocess.run(
        [str(STOCK), "verify", "key", "--signature", sig, "--public_key",
         str(optimised.world.base.eli_pub), str(folder)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Verification succeeded" in done.stdout


def test_a_lossy_conversion_is_refused_and_nothing_is_signed(world, monkeypatch):
    lossy_converter(monkeypatch)
    out = world.path("lossy.baton")
    before = handover_rows(world.mle)
    result = optimize(Catalog(world.mle), world.bundle, out=out, passphrase=PASSPHRASE,
                      budget_s=0.02, bootstrap=0)  # fmt: skip
    assert not result.passed and result.path is None and result.contract is None
    assert result.parity["failed"][:2] == ["agreement", "max_probability_difference"]
    assert result.parity["agreement"] < 1
    assert "accuracy" in result.parity["failed"]
    assert not out.exists()
    assert [r for r in handover_rows(world.mle) if r["direction"] == "sent"] == [
        r for r in before if r["direction"] == "sent"
    ]


def test_an_onnx_candidate_has_nothing_to_convert(optimised, world):
    bundle = copy_of(optimised, world)  # Dana trusts Eli, and this one is ONNX already
    with pytest.raises(UsageError, match="already ONNX; nothing to convert"):
        optimize(Catalog(world.ds), bundle, out=world.path("again.baton"), passphrase=PASSPHRASE)


def test_an_untrusted_bundle_is_not_optimised(world):
    with pytest.raises(UntrustedSigner):
        optimize(Catalog(world.stranger), world.bundle, out=world.path("x.baton"),
                 passphrase=PASSPHRASE)  # fmt: skip


def test_usage_errors_come_before_any_work(world):
    catalog = Catalog(world.mle)
    with pytest.raises(UsageError, match="--out must end in .baton"):
        optimize(catalog, world.bundle, out=world.path("x.zip"), passphrase=PASSPHRASE)
    with pytest.raises(UsageError, match="--quantize must be one of dynamic"):
        optimize(catalog, world.bundle, out=world.path("x.baton"), passphrase=PASSPHRASE,
                 quantize="static")  # fmt: skip
    with pytest.raises(UsageError, match="no candidate named 'other'"):
        optimize(catalog, world.bundle, out=world.path("x.baton"), passphrase=PASSPHRASE,
                 candidate="other")  # fmt: skip


@pytest.mark.parametrize(
    ("parent", "expected"),
    [("1", "1.0.0.1"), ("1.2", "1.2.0.1"), ("1.2.3", "1.2.3.1"), ("1.2.3.4", "1.2.3.5")],
)
def test_the_version_sorts_after_the_parent(catalog, parent, expected):
    version = lineage_version(catalog, "bc-lr", parent)
    assert version == expected
    assert contracts.compare_versions(version, parent) > 0
    assert contracts.compare_versions(version, "1.0.1" if parent == "1" else "99") < 0


def test_parity_holds_a_metric_to_its_targets_tolerance():
    metrics = {"accuracy": {"value": 0.95}, "log_loss": {"value": 0.100}}
    moved = {"accuracy": {"value": 0.95}, "log_loss": {"value": 0.102}}
    same = ["a", "b"]
    default = judge_parity("binary", [], same, same, None, None, metrics, moved)
    assert default["failed"] == ["log_loss"]
    row = next(m for m in default["metrics"] if m["metric"] == "log_loss")
    assert row["tolerance"] == METRIC_TOLERANCE and row["tolerance_from"] == "default"
    target = {"metric": "log_loss", "op": "<=", "threshold": 0.2, "batch": None,
              "tolerance": 0.01, "note": "", "measured": 0.1, "verdict": "pass"}  # fmt: skip
    loose = judge_parity("binary", [target], same, same, None, None, metrics, moved)
    assert loose["passed"] and loose["metrics"][1]["tolerance_from"] == "target"
