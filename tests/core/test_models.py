"""Model import: the skops allowlist, ONNX checks, pickle consent and introspection."""

from __future__ import annotations

import builtins

import numpy as np
import onnx
import pytest
import skops.io as sio
from sklearn.preprocessing import FunctionTransformer

from baton.core.data.importer import import_dataset, import_model, model_summary
from baton.core.data.models import count_params, introspect_onnx
from baton.core.errors import ModelError, UnsafeInput, UsageError


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
    ) as info:
        introspect_onnx(tmp_path / "ext.onnx")
    # the fix, in the words of the tool that wrote the file
    assert "torch.onnx.export(..., external_data=False)" in str(info.value)
    assert "onnx.save_model(..., save_as_external_data=False)" in str(info.value)


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


# --- composite models: counts written out from the fitted attributes' shapes -------------


@pytest.fixture(scope="module")
def breast_cancer():
    from sklearn.datasets import load_breast_cancer

    return load_breast_cancer(return_X_y=True)  # 569 rows, 30 features, 2 classes


def _quiet_fit(model, X, y):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


def test_calibrated_linear_svc_counts_every_fold_and_calibrator(breast_cancer):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    X, y = breast_cancer
    model = _quiet_fit(CalibratedClassifierCV(LinearSVC(), cv=5), X, y)
    assert len(model.calibrated_classifiers_) == 5
    for fold in model.calibrated_classifiers_:
        assert fold.estimator.coef_.shape == (1, 30) and fold.estimator.intercept_.shape == (1,)
        (sigmoid,) = fold.calibrators  # binary: one calibrator, a slope a_ and an offset b_
        assert np.ndim(sigmoid.a_) == 0 and np.ndim(sigmoid.b_) == 0
    # 5 folds x (30 weights + 1 intercept + 2 sigmoid parameters)
    assert count_params(model) == 5 * (30 + 1 + 2) == 165


def test_calibrated_prefit_classifier_counts_it_once(breast_cancer):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.svm import LinearSVC

    X, y = breast_cancer
    svc = _quiet_fit(LinearSVC(), X, y)
    model = CalibratedClassifierCV(FrozenEstimator(svc)).fit(X, y)
    assert svc.coef_.shape == (1, 30) and len(model.calibrated_classifiers_) == 1
    assert count_params(model) == 30 + 1 + 2


def test_isotonic_calibrated_forest_counts_trees_and_thresholds(breast_cancer):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import RandomForestClassifier

    X, y = breast_cancer
    forest = RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0)
    model = CalibratedClassifierCV(forest, method="isotonic", cv=3).fit(X, y)
    nodes = thresholds = 0
    for fold in model.calibrated_classifiers_:
        nodes += sum(tree.tree_.node_count for tree in fold.estimator.estimators_)
        (isotonic,) = fold.calibrators
        thresholds += isotonic.X_thresholds_.size + isotonic.y_thresholds_.size
    assert nodes > 0 and thresholds > 0
    assert count_params(model) == nodes + thresholds


def test_isotonic_regression_counts_its_thresholds():
    from sklearn.isotonic import IsotonicRegression

    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    model = IsotonicRegression().fit(x, np.array([1.0, 3.0, 2.0, 4.0, 6.0, 5.0]))
    # Pooled into 4 steps: x (1, 2, 3, 4, 5, 6) keeps the ends of each step.
    assert model.X_thresholds_.size == model.y_thresholds_.size
    assert count_params(model) == model.X_thresholds_.size + model.y_thresholds_.size > 0


def test_stacking_counts_members_and_final_estimator(breast_cancer):
    from sklearn.ensemble import StackingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    X, y = breast_cancer
    model = _quiet_fit(
        StackingClassifier(
            [
                ("lr", LogisticRegression(max_iter=200)),
                ("tree", DecisionTreeClassifier(max_depth=2, random_state=0)),
            ],
            cv=3,
        ),
        X,
        y,
    )
    lr, tree = model.estimators_
    assert lr.coef_.shape == (1, 30) and lr.intercept_.shape == (1,)
    # binary: one probability column per member feeds the final logistic regression
    assert model.final_estimator_.coef_.shape == (1, 2)
    assert count_params(model) == (30 + 1) + tree.tree_.node_count + (2 + 1)


def test_voting_counts_every_member(breast_cancer):
    from sklearn.ensemble import VotingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    X, y = breast_cancer
    model = _quiet_fit(
        VotingClassifier(
            [
                ("lr", LogisticRegression(max_iter=200)),
                ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
            ],
            voting="soft",
        ),
        X,
        y,
    )
    lr, tree = model.estimators_
    assert lr.coef_.shape == (1, 30) and lr.intercept_.shape == (1,)
    assert count_params(model) == (30 + 1) + tree.tree_.node_count


def test_bagging_counts_every_member_not_the_template(breast_cancer):
    from sklearn.ensemble import BaggingClassifier
    from sklearn.tree import DecisionTreeClassifier

    X, y = breast_cancer
    model = BaggingClassifier(
        DecisionTreeClassifier(max_depth=2), n_estimators=4, random_state=0
    ).fit(X, y)
    assert len(model.estimators_) == 4
    assert count_params(model) == sum(t.tree_.node_count for t in model.estimators_)


def test_one_vs_rest_counts_one_classifier_per_class():
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    X, y = load_iris(return_X_y=True)  # 4 features, 3 classes
    model = _quiet_fit(OneVsRestClassifier(LogisticRegression(max_iter=500)), X, y)
    for member in model.estimators_:
        assert member.coef_.shape == (1, 4) and member.intercept_.shape == (1,)
    assert count_params(model) == 3 * (4 + 1)


def test_transformed_target_regressor_counts_regressor_and_target_scaler():
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import LinearRegression
    from sklearn.preprocessing import StandardScaler

    X, y = load_diabetes(return_X_y=True)  # 10 features
    model = TransformedTargetRegressor(LinearRegression(), transformer=StandardScaler()).fit(X, y)
    assert model.regressor_.coef_.shape == (10,) and np.ndim(model.regressor_.intercept_) == 0
    assert model.transformer_.mean_.shape == model.transformer_.scale_.shape == (1,)
    # 10 weights + 1 intercept (a bare float) + the target's mean and scale
    assert count_params(model) == 10 + 1 + 1 + 1


def test_imported_calibrated_classifier_shows_every_fold(catalog, tmp_path, breast_cancer):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    X, y = breast_cancer
    path = tmp_path / "calibrated.skops"
    sio.dump(_quiet_fit(CalibratedClassifierCV(LinearSVC(), cv=5), X, y), path)
    record = model_summary(import_model(catalog, path, name="calibrated"))
    assert record["estimator"] == "CalibratedClassifierCV"
    assert record["params"] == 5 * (30 + 1 + 2)
