"""Model import: the skops allowlist, ONNX checks, pickle consent and introspection."""

from __future__ import annotations

import builtins

import numpy as np
import onnx
import pytest
import skops.io as sio
from baton.core.errors import ModelError, UnsafeInput, UsageError
from baton.core.importer import import_dataset, import_model, model_summary
from baton.core.models import count_params, introspect_onnx
from sklearn.preprocessing import FunctionTransformer


def test_skops_pipeline_is_introspected(catalog, files):
    record = model_summary(import_model(catalog, files.lr_skops, name="lr"))
    assert record["format"] == "skops" and record["framework"] == "scikit-learn"
    assert record["estimator"] == "Pipeline(StandardScaler, LogisticRegression)"
    assert record["task"] == "binary" and record["classes"] == [0, 1]
    assert [f["name"] for f in record["features"]][:2] == ["mean radius", "mean texture"]
    # StandardScaler mean_ and scale_ (2 x 30), LogisticRegression coef_ (30) and intercept_ (1)
    assert record["params"] == 2 * 30 + 30 + 1
    assert record["size_bytes"] == files.lr_skops.stat().st_size
    assert record["safety"]["verdict"] == "passed"


def test_hist_gradient_boosting_with_column_transformer_loads(catalog, files):
    record = model_summary(import_model(catalog, files.hgb_skops, name="hgb"))
    assert record["estimator"].startswith(
        "Pipeline(ColumnTransformer(Pipeline(SimpleImputer, StandardScaler), OneHotEncoder)"
    )
    assert record["estimator"].endswith("HistGradientBoostingClassifier)")
    assert [f["name"] for f in record["features"]] == ["age", "income", "city"]
    assert record["params"] > 100  # tree nodes dominate
    assert "numpy.dtype" in record["safety"]["allowed_extra_types"]


def test_skops_with_types_off_the_allowlist_is_refused(catalog, tmp_path):
    path = tmp_path / "sneaky.skops"
    sio.dump(FunctionTransformer(func=builtins.eval).fit(np.zeros((2, 2))), path)
    with pytest.raises(
        UnsafeInput,
        match=r"sneaky.skops needs types outside Baton's allowlist of scikit-learn estimators and "
        r"numpy/scipy data types: builtins.eval \(reference\)\. Baton refuses to load it",
    ):
        import_model(catalog, path)
    assert catalog.count("models") == 0


def test_onnx_is_introspected(catalog, files):
    record = model_summary(import_model(catalog, files.lr_onnx, name="lr-onnx"))
    assert record["format"] == "onnx" and record["task"] == "binary" and record["classes"] == [0, 1]
    assert record["producer"].startswith("skl2onnx") and record["opset"] >= 9
    assert record["params"] >= 30 + 1
    assert len(record["features"]) == 30


def test_onnx_network_is_introspected(files):
    info = introspect_onnx(files.mlp_onnx)
    assert info["params"] == 30 * 16 + 16 + 16 * 2 + 2
    assert info["task"] == "binary" and info["classes"] == [0, 1]
    assert info["inputs"] == [{"name": "input", "dtype": "float32", "shape": ["batch", 30]}]


def test_onnx_external_data_is_refused(tmp_path, files):
    model = onnx.load(str(files.mlp_onnx))
    onnx.save_model(
        model,
        str(tmp_path / "ext.onnx"),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="weights.bin",
        size_threshold=0,
    )
    with pytest.raises(
        UnsafeInput,
        match=r"ext.onnx keeps the weights of '.+' in an external file \('weights.bin'\); Baton only accepts ONNX models with inline weights",
    ):
        introspect_onnx(tmp_path / "ext.onnx")


def test_damaged_onnx_is_refused(tmp_path):
    (tmp_path / "bad.onnx").write_bytes(b"\x08\x07garbage" * 10)
    with pytest.raises(ModelError, match="bad.onnx is not a"):
        introspect_onnx(tmp_path / "bad.onnx")


def test_pickle_needs_consent(catalog, files):
    with pytest.raises(
        UnsafeInput,
        match=r"lr.joblib is a pickle, which can run any code when it is loaded.*--trust-pickle",
    ):
        import_model(catalog, files.lr_joblib)
    with pytest.raises(UsageError, match="needs --check-on DATASET"):
        import_model(catalog, files.lr_joblib, trust_pickle=True)
    assert catalog.count("models") == 0


def test_pickle_with_consent_becomes_skops_with_identical_predictions(catalog, files):
    import_dataset(catalog, files.bc_test_csv, name="bc-test", role="test", target="target")
    record = model_summary(
        import_model(
            catalog, files.lr_joblib, name="lr-pickled", trust_pickle=True, check_on="bc-test"
        )
    )
    assert record["format"] == "skops" and record["file_name"] == "lr.skops"
    assert record["safety"]["identical_predictions"] is True
    assert record["safety"]["checked_rows"] == 169
    stored = catalog.objects.open_verified(record["sha256"])
    assert stored.read_bytes()[:2] == b"PK"  # a skops zip, never the pickle


def test_unknown_model_format(catalog, tmp_path):
    (tmp_path / "model.h5").write_bytes(b"x")
    with pytest.raises(
        ModelError, match=r"unsupported model format '.h5'; Baton loads .skops and .onnx"
    ):
        import_model(catalog, tmp_path / "model.h5")


def test_param_count_rules():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.svm import SVC

    X = np.random.default_rng(0).normal(size=(60, 4))
    y = (X[:, 0] > 0).astype(int)
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    assert count_params(forest) == sum(t.tree_.node_count for t in forest.estimators_)
    svc = SVC().fit(X, y)
    assert (
        count_params(svc) == svc.support_vectors_.size + svc.dual_coef_.size + svc.intercept_.size
    )
