"""A declared reading of a model's output travels in the signed contract: ``pack`` records
the task, positive class, threshold and score kind, and the engineer's reproduce applies
them exactly as at packing. A bundle packed before they were recorded still verifies and
reproduces.
"""

from __future__ import annotations

import json
import zipfile

import pytest

pytest.register_assert_rewrite("tests.handover")  # before the import below

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score, precision_score, recall_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from tests.factories import breast_cancer_frame, logit_network  # noqa: E402
from tests.handover import (  # noqa: E402
    INTENDED_USE,
    as_json,
    edit_contract,
    error_line,
    ok,
    rewrite,
    run,
)

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    bc = breast_cancer_frame()
    X, y = bc.drop(columns="target").iloc[:400], bc["target"].iloc[:400]
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(X, y)
    return lr, logit_network(tmp_path_factory.mktemp("net") / "net.onnx", lr)


def _pack(w, files, net, *declared):
    out = w.path("net-1.baton")
    result = run(w.ds, "pack", net, "--test", files.bc_test_csv, "--target", "target",
                 "--name", "net", "--version", "1", "--intended-use", INTENDED_USE,
                 "--budget", "0.05", "--out", out, "--json", *declared)  # fmt: skip
    return out, result


def _contract(bundle) -> dict:
    with zipfile.ZipFile(bundle) as zf:
        return json.loads(zf.read("contract.json"))


def test_pack_signs_the_declared_reading_and_reproduce_applies_it(world, files, network):
    lr, net = network
    out, packed = _pack(world, files, net, "--task", "binary", "--positive-class", "0")
    ok(packed)
    c = _contract(out)
    assert c["identity"]["problem_type"] == "binary"
    output = c["model"]["output"]
    assert output["declared"] == ["task", "positive_class"]
    assert (output["score"], output["threshold"], output["positive_class"]) == ("logit", 0.5, 0)
    assert output["score_decided"] == "the output comes from an Add node, not a Sigmoid or Softmax"

    test = breast_cancer_frame().iloc[400:]
    y, pred = test["target"], lr.predict(test.drop(columns="target"))
    metrics = c["results"]["metrics"]
    assert c["results"]["positive_class"] == 0
    assert metrics["precision"]["value"] == pytest.approx(precision_score(y, pred, pos_label=0))
    assert metrics["recall"]["value"] == pytest.approx(recall_score(y, pred, pos_label=0))
    assert metrics["f1"]["value"] == pytest.approx(f1_score(y, pred, pos_label=0))

    d = as_json(run(world.mle, "review", out, "--reproduce", "--budget", "0.05", "--json"))
    assert d["claims_reproduced"] is True, d["headline"]
    assert d["agreement"]["agreeing"] == d["agreement"]["rows"] == len(test)
    here = {row["metric"]: row["here"] for row in d["metrics"]}
    assert here["precision"] == pytest.approx(precision_score(y, pred, pos_label=0))
    assert all(row["consistent"] for row in d["metrics"])


def test_a_threshold_declared_on_pack_decides_the_predictions_reproduced(world, files, network):
    lr, net = network
    out, packed = _pack(world, files, net, "--task", "binary", "--threshold", "0.97")
    ok(packed)
    c = _contract(out)
    test = breast_cancer_frame().iloc[400:]
    y = test["target"]
    pred = (lr.predict_proba(test.drop(columns="target"))[:, 1] >= 0.97).astype(int)
    assert c["model"]["output"]["threshold"] == 0.97
    with zipfile.ZipFile(out) as zf:
        card = zf.read("card.md").decode()
    assert (
        "one score output (a logit, through a sigmoid): 1 when its probability is at least 0.97"
        in card
    )
    assert c["results"]["metrics"]["recall"]["value"] == pytest.approx(recall_score(y, pred))
    d = as_json(run(world.mle, "review", out, "--reproduce", "--budget", "0.05", "--json"))
    assert d["claims_reproduced"] is True, d["headline"]
    here = {row["metric"]: row["here"] for row in d["metrics"]}
    assert here["recall"] == pytest.approx(recall_score(y, pred))


def test_a_bundle_without_the_recorded_reading_still_verifies_and_reproduces(world):
    older = world.path("older.baton")

    def drop(c):
        del c["model"]["output"]

    rewrite(world.bundle, older, edit_contract(drop), resign=world.dana_key)
    assert "output" not in _contract(older)["model"]
    ok(run(world.mle, "verify", older))
    d = as_json(run(world.mle, "review", older, "--reproduce", "--budget", "0.05", "--json"))
    assert d["claims_reproduced"] is True, d["headline"]


def test_pack_refuses_a_contradiction_with_the_model_and_writes_no_bundle(world, files, network):
    _, net = network
    out, packed = _pack(world, files, net, "--threshold", "0.3")
    assert packed.exit_code == 2
    assert error_line(packed) == (
        "Error: --threshold applies to a binary classifier's score, but net.onnx has one "
        "output column, taken as a regression; add --task binary if it is a classifier's score"
    )
    assert not out.exists()


def test_a_catalog_model_cannot_be_declared_again_on_pack(world, files):
    out = world.path("again.baton")
    result = run(world.ds, "pack", "bc-lr", "--test", files.bc_test_csv, "--target", "target",
                 "--name", "again", "--version", "1", "--intended-use", INTENDED_USE,
                 "--budget", "0.05", "--out", out, "--positive-class", "0", "--json")  # fmt: skip
    assert result.exit_code == 2
    assert not out.exists()
    assert error_line(result) == (
        "Error: model 'bc-lr' is already in the catalog, read as binary; --task, --classes, "
        "--positive-class and --threshold apply when a model file is imported: give the file "
        "instead of the catalog name"
    )


def test_pack_refuses_a_declaration_that_contradicts_itself_before_any_work(world, files, network):
    _, net = network
    out, packed = _pack(world, files, net, "--task", "regression", "--classes", "a,b")
    assert packed.exit_code == 2
    assert error_line(packed) == "Error: --classes names classes, but --task regression has none"
    assert not out.exists()
