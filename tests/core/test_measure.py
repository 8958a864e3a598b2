"""Evaluation and profiling of catalog models, end to end through the child process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn import metrics as skm

from baton.core.data.importer import import_dataset, import_model
from baton.core.errors import UsageError
from baton.core.measure import runs as measure


@pytest.fixture
def bc(catalog, files):
    import_dataset(catalog, files.bc_test_csv, name="bc-test", role="test", target="target")
    return catalog


def test_binary_evaluation_matches_sklearn_and_stores_predictions(bc, files):
    import_model(bc, files.lr_skops, name="lr")
    record = measure.evaluate(bc, "lr", "bc-test", bootstrap=200)
    result = record["result"]
    test = pd.read_csv(files.bc_test_csv)
    X, y = test.drop(columns="target"), test["target"]
    model = sio.load(files.lr_skops, trusted=sio.get_untrusted_types(file=files.lr_skops))
    pred, proba = model.predict(X), model.predict_proba(X)[:, 1]
    m = result["metrics"]
    assert m["accuracy"]["value"] == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)
    assert m["f1"]["value"] == pytest.approx(skm.f1_score(y, pred), abs=1e-12)
    assert m["roc_auc"]["value"] == pytest.approx(skm.roc_auc_score(y, proba), abs=1e-12)
    assert m["accuracy"]["ci_low"] <= m["accuracy"]["value"] <= m["accuracy"]["ci_high"]
    stored = bc.objects.open_verified(record["predictions_sha256"])
    frame = pd.read_parquet(stored)
    assert list(frame.columns) == ["row_id", "prediction", "proba_0", "proba_1"]
    np.testing.assert_array_equal(frame["prediction"], pred)
    assert (
        bc.latest_measurement("evaluations", bc.get_model("lr"), bc.get_dataset("bc-test"))["id"]
        == record["id"]
    )


def test_onnx_and_skops_agree(bc, files):
    import_model(bc, files.lr_skops, name="lr")
    import_model(bc, files.lr_onnx, name="lr-onnx")
    a = measure.evaluate(bc, "lr", "bc-test", bootstrap=0)["result"]["metrics"]
    b = measure.evaluate(bc, "lr-onnx", "bc-test", bootstrap=0)["result"]["metrics"]
    assert a["accuracy"]["value"] == b["accuracy"]["value"]
    assert a["roc_auc"]["value"] == pytest.approx(b["roc_auc"]["value"], abs=1e-3)


def test_multiclass_and_regression(catalog, files):
    import_dataset(catalog, files.wine_csv, name="wine", target="target")
    import_model(catalog, files.wine_skops, name="wine-lr")
    wine = measure.evaluate(catalog, "wine-lr", "wine", bootstrap=100)["result"]
    assert wine["problem_type"] == "multiclass" and len(wine["confusion_matrix"]["labels"]) == 3
    import_dataset(catalog, files.diabetes_csv, name="diabetes", target="target")
    import_model(catalog, files.diabetes_skops, name="diabetes-lin")
    reg = measure.evaluate(catalog, "diabetes-lin", "diabetes", bootstrap=100)["result"]
    d = pd.read_csv(files.diabetes_csv)
    model = sio.load(files.diabetes_skops)
    assert reg["metrics"]["r2"]["value"] == pytest.approx(
        skm.r2_score(d["target"], model.predict(d.drop(columns="target"))), abs=1e-12
    )


def test_profile_records_latency_memory_and_hardware(bc, files):
    import_model(bc, files.lr_skops, name="lr")
    result = measure.profile(bc, "lr", "bc-test", batch_sizes=(1, 16), budget_s=0.05)["result"]
    assert [row["batch_size"] for row in result["latency"]] == [1, 16]
    for row in result["latency"]:
        assert 0 < row["p50_ms"] <= row["p99_ms"] and row["samples"] >= 1
    assert result["memory"]["size_on_disk_mb"] == pytest.approx(
        files.lr_skops.stat().st_size / 2**20
    )
    assert result["hardware"]["cores_logical"] >= 1
    assert result["environment"]["packages"]["scikit-learn"]


def test_dataset_without_target_is_refused(catalog, files):
    import_dataset(catalog, files.bc_test_csv, name="no-target")
    import_model(catalog, files.lr_skops, name="lr")
    with pytest.raises(
        UsageError,
        match="dataset 'no-target' has no target column; add it again with --target COLUMN",
    ):
        measure.evaluate(catalog, "lr", "no-target")
