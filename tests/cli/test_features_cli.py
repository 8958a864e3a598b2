"""Features bound by name, through the command line: a wine random forest exported to ONNX
with one tensor input, its features named once (``--features-from``, ``--features``,
``--check-on``), then a test set with its columns in another order scores the true
accuracy in ``evaluate``, ``pack`` and the engineer's ``review --reproduce``; missing or
extra columns and a declared list of the wrong length are refused in one line."""

from __future__ import annotations

import json
import zipfile

import pytest

pytest.register_assert_rewrite("tests.handover")  # before the import below

from tests.handover import INTENDED_USE, as_json, error_line, ok, run  # noqa: E402

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world


def _accuracy(result) -> float:
    return as_json(ok(result))["metrics"]["accuracy"]["value"]


def test_model_add_features_from_then_a_shuffled_test_set_scores_true(world, wine):
    home = world.ds
    ok(run(home, "model", "add", wine.onnx, "--name", "rf",
           "--features-from", wine.train, "--target", "target"))  # fmt: skip
    shown = ok(run(home, "model", "show", "rf")).stdout
    assert "inputs      13: alcohol float32, malic_acid float32, ash float32" in shown
    assert "names from  the columns of wine-train.csv" in shown
    d = as_json(ok(run(home, "model", "show", "rf", "--json")))
    assert [f["name"] for f in d["features"]] == wine.features
    assert d["features_source"] == "the columns of wine-train.csv"
    ok(run(home, "dataset", "add", wine.shuffled, "--name", "wine-shuffled", "--target", "target"))
    assert _accuracy(run(home, "evaluate", "rf", "wine-shuffled", "--bootstrap", "0",
                         "--json")) == pytest.approx(1.0)  # fmt: skip


def test_missing_and_extra_columns_are_refused_in_one_line(world, wine):
    home = world.ds
    ok(run(home, "model", "add", wine.onnx, "--name", "rf",
           "--features", ",".join(wine.features)))  # fmt: skip
    assert "names from  declared" in ok(run(home, "model", "show", "rf")).stdout
    ok(run(home, "dataset", "add", wine.missing_extra, "--name", "wine-cut", "--target", "target"))
    refused = run(home, "evaluate", "rf", "wine-cut", "--json")
    assert refused.exit_code == 1
    assert error_line(refused).startswith(
        "Error: the dataset wine-cut lacks alcohol, ash and has columns the model does not "
        "read: colour; the model reads its features by name (13: alcohol, malic_acid, ash,"
    )


def test_a_declared_list_of_the_wrong_length_is_refused(world, wine):
    refused = run(world.ds, "model", "add", wine.onnx, "--features", "a,b,c", "--json")
    assert refused.exit_code == 2
    assert error_line(refused) == (
        "Error: the model reads 13 input features but the declared list names 3: a, b, c"
    )
    listed = as_json(ok(run(world.ds, "model", "list", "--json")))["models"]
    assert "wine-rf" not in [m["name"] for m in listed]
    both = run(world.ds, "model", "add", wine.onnx, "--features", "a", "--features-from",
               wine.train, "--json")  # fmt: skip
    assert both.exit_code == 2
    assert error_line(both) == (
        "Error: give the feature names with --features or --features-from, not both"
    )


def test_check_on_names_an_array_model_and_shows_where_from(world, wine):
    home = world.ds
    ok(run(home, "model", "add", wine.array_skops, "--name", "arr",
           "--check-on", wine.train, "--target", "target"))  # fmt: skip
    shown = ok(run(home, "model", "show", "arr")).stdout
    assert "names from  dataset wine-train.csv" in shown
    assert "inputs      13: alcohol double, malic_acid double" in shown


def test_unnamed_features_say_how_they_will_be_named(world, wine):
    ok(run(world.ds, "model", "add", wine.onnx, "--name", "rf"))
    shown = ok(run(world.ds, "model", "show", "rf")).stdout
    assert "inputs      13: #1 (unnamed) float32, #2 (unnamed) float32" in shown
    assert "names from  not yet named: the first evaluation names them" in shown


def test_pack_and_reproduce_feed_a_shuffled_test_set_by_name(world, wine):
    out = world.path("wine-rf-1.baton")
    packed = run(world.ds, "pack", wine.onnx, "--test", wine.shuffled, "--target", "target",
                 "--features-from", wine.train, "--name", "wine-rf", "--version", "1",
                 "--intended-use", INTENDED_USE, "--budget", "0.05", "--out", out, "--json")  # fmt: skip
    ok(packed)
    with zipfile.ZipFile(out) as zf:
        contract = json.loads(zf.read("contract.json"))
    assert [f["name"] for f in contract["model"]["features"]] == wine.features
    assert contract["results"]["metrics"]["accuracy"]["value"] == pytest.approx(1.0)
    d = as_json(ok(run(world.mle, "review", out, "--reproduce", "--budget", "0.05", "--json")))
    assert d["agreement"]["rate"] == 1.0
    metrics = {m["metric"]: m for m in d["metrics"]}
    assert metrics["accuracy"]["here"] == pytest.approx(1.0)
    assert d["claims_reproduced"] is True


def test_pack_refuses_a_test_set_that_lacks_declared_features(world, wine):
    out = world.path("wine-cut-1.baton")
    refused = run(world.ds, "pack", wine.onnx, "--test", wine.missing_extra, "--target",
                  "target", "--features-from", wine.train, "--name", "wine-cut", "--version",
                  "1", "--intended-use", INTENDED_USE, "--out", out, "--json")  # fmt: skip
    assert refused.exit_code == 1
    assert (
        "the test set wine-cut-test lacks alcohol, ash and has columns the model does not read: colour"
        in error_line(refused)
    )
    assert not out.exists()
