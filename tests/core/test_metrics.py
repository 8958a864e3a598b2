"""Quality metrics: every value against scikit-learn, intervals, display data and errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from baton.core.errors import Cancelled, DatasetError, UsageError
from baton.core.measure import curves, metrics, resampling
from baton.core.measure.metrics import (
    METRIC_NAMES_CLASSIFICATION,
    METRIC_NAMES_REGRESSION,
    confusion_matrix,
    confusion_metrics,
    evaluate_predictions,
    roc_auc,
)
from baton.core.progress import CancelToken

# scikit-learn, the reference, warns about degenerate generated inputs; Baton must not.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:sklearn")

EXACT = {"rel": 0.0, "abs": 1e-12}


def close(value, reference) -> bool:
    return value == pytest.approx(float(reference), **EXACT)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def breast_cancer():
    data = load_breast_cancer()
    names = data.target_names[data.target]  # "malignant" / "benign"
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, names, test_size=0.4, random_state=0, stratify=names
    )
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05)).fit(X_train, y_train)
    return y_test, model.predict(X_test), model.predict_proba(X_test), model.classes_


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    X = X[:, :2]  # two features keep the model imperfect, so no metric is trivially 1
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=1)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    return y_test, model.predict(X_test), model.predict_proba(X_test), model.classes_


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=0)
    return y_test, Ridge(alpha=0.1).fit(X_train, y_train).predict(X_test)


def sklearn_confusion_metrics(y, pred, classes, binary):
    """The confusion family as scikit-learn computes it (zero_division=0, its default)."""
    mcm = skm.multilabel_confusion_matrix(y, pred, labels=classes)
    tn, fp = mcm[:, 0, 0], mcm[:, 0, 1]
    specificity = np.divide(tn, tn + fp, out=np.zeros(len(tn)), where=(tn + fp) > 0)
    out = {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "f1_macro": skm.f1_score(y, pred, average="macro", zero_division=0),
        "f1_weighted": skm.f1_score(y, pred, average="weighted", zero_division=0),
        "mcc": skm.matthews_corrcoef(y, pred),
    }
    if binary:
        neg, pos = classes
        out["precision"] = skm.precision_score(y, pred, pos_label=pos, zero_division=0)
        out["recall"] = skm.recall_score(y, pred, pos_label=pos, zero_division=0)
        out["specificity"] = skm.recall_score(y, pred, pos_label=neg, zero_division=0)
        out["f1"] = skm.f1_score(y, pred, pos_label=pos, zero_division=0)
    else:
        present = np.isin(classes, np.union1d(y, pred))
        out["precision"] = skm.precision_score(y, pred, average="macro", zero_division=0)
        out["recall"] = skm.recall_score(y, pred, average="macro", zero_division=0)
        out["specificity"] = specificity[present].mean()
        out["f1"] = out["f1_macro"]
    return out


def assert_probability_metrics(result, y, proba, classes, binary):
    m = result["metrics"]
    if binary:
        positive = y == classes[1]
        assert close(m["roc_auc"]["value"], skm.roc_auc_score(positive, proba[:, 1]))
        assert close(m["pr_auc"]["value"], skm.average_precision_score(positive, proba[:, 1]))
    else:
        expected_auc = skm.roc_auc_score(y, proba, multi_class="ovr", labels=classes)
        assert close(m["roc_auc"]["value"], expected_auc)
        assert close(m["pr_auc"]["value"], skm.average_precision_score(y, proba))
    assert close(m["log_loss"]["value"], skm.log_loss(y, proba, labels=classes))


def assert_interval_contains_value(result):
    for name, metric in result["metrics"].items():
        if metric["ci_low"] is None:
            continue
        assert metric["ci_low"] <= metric["value"] <= metric["ci_high"], name


# --------------------------------------------------------------------------- real models


def test_binary_metrics_equal_sklearn(breast_cancer):
    y, pred, proba, classes = breast_cancer
    result = evaluate_predictions("binary", y, pred, proba, classes, bootstrap=200)
    json.dumps(result, allow_nan=False)

    assert result["problem_type"] == "binary"
    assert result["n_rows"] == len(y)
    assert result["classes"] == ["benign", "malignant"]
    assert result["positive_class"] == "malignant"
    assert set(result["metrics"]) == set(METRIC_NAMES_CLASSIFICATION)
    for name, reference in sklearn_confusion_metrics(y, pred, list(classes), True).items():
        assert close(result["metrics"][name]["value"], reference), name
    assert_probability_metrics(result, y, proba, classes, binary=True)

    assert result["confusion_matrix"]["labels"] == list(classes)
    assert (
        result["confusion_matrix"]["matrix"]
        == skm.confusion_matrix(y, pred, labels=classes).tolist()
    )
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y, pred, labels=classes, zero_division=0
    )
    for i, row in enumerate(result["per_class"]):
        assert row["label"] == classes[i]
        assert close(row["precision"], precision[i])
        assert close(row["recall"], recall[i])
        assert close(row["f1"], f1[i])
        assert row["support"] == support[i]
    assert close(result["per_class"][0]["specificity"], recall[1])
    assert close(result["per_class"][1]["specificity"], recall[0])


def test_binary_curves_equal_sklearn(breast_cancer):
    y, pred, proba, classes = breast_cancer
    curves = evaluate_predictions("binary", y, pred, proba, classes, bootstrap=0)["curves"]
    positive = y == classes[1]

    fpr, tpr, thresholds = skm.roc_curve(positive, proba[:, 1])
    assert curves["roc"]["fpr"] == pytest.approx(fpr, **EXACT)
    assert curves["roc"]["tpr"] == pytest.approx(tpr, **EXACT)
    assert curves["roc"]["thresholds"][0] is None  # scikit-learn's inf
    assert curves["roc"]["thresholds"][1:] == pytest.approx(thresholds[1:], **EXACT)

    precision, recall, pr_thresholds = skm.precision_recall_curve(positive, proba[:, 1])
    assert curves["pr"]["precision"] == pytest.approx(precision, **EXACT)
    assert curves["pr"]["recall"] == pytest.approx(recall, **EXACT)
    assert curves["pr"]["thresholds"] == pytest.approx(pr_thresholds, **EXACT)

    fraction, mean = calibration_curve(positive, proba[:, 1], n_bins=10)
    assert curves["calibration"]["fraction_positive"] == pytest.approx(fraction, **EXACT)
    assert curves["calibration"]["mean_predicted"] == pytest.approx(mean, **EXACT)
    assert sum(curves["calibration"]["count"]) == len(y)


def test_binary_operating_point(breast_cancer):
    y, pred, proba, classes = breast_cancer
    op = evaluate_predictions("binary", y, pred, proba, classes, bootstrap=0)["operating_point"]
    called = proba[:, 1] >= 0.5
    positive = y == classes[1]
    assert op["threshold"] == 0.5
    assert close(op["tpr"], skm.recall_score(positive, called))
    assert close(op["recall"], op["tpr"])
    assert close(op["precision"], skm.precision_score(positive, called))
    assert close(op["fpr"], 1 - skm.recall_score(~positive, ~called))


def test_binary_accepts_the_positive_column_alone(breast_cancer):
    y, pred, proba, classes = breast_cancer
    both = evaluate_predictions("binary", y, pred, proba, classes, bootstrap=50)
    alone = evaluate_predictions("binary", y, pred, proba[:, 1], classes, bootstrap=50)
    for name in ("roc_auc", "pr_auc", "log_loss"):
        assert close(alone["metrics"][name]["value"], both["metrics"][name]["value"])


def test_multiclass_metrics_equal_sklearn(wine):
    y, pred, proba, classes = wine
    result = evaluate_predictions("multiclass", y, pred, proba, classes, bootstrap=200)
    json.dumps(result, allow_nan=False)

    assert result["classes"] == [0, 1, 2]
    assert "positive_class" not in result
    assert result["metrics"]["accuracy"]["value"] < 0.95  # a model worth measuring
    for name, reference in sklearn_confusion_metrics(y, pred, list(classes), False).items():
        assert close(result["metrics"][name]["value"], reference), name
    assert_probability_metrics(result, y, proba, classes, binary=False)
    assert result["confusion_matrix"]["matrix"] == skm.confusion_matrix(y, pred).tolist()

    per_class = result["curves"]["roc_per_class"]
    assert [c["label"] for c in per_class] == [0, 1, 2]
    for c, entry in zip(classes, per_class, strict=True):
        fpr, tpr, _ = skm.roc_curve(y == c, proba[:, c])
        assert entry["fpr"] == pytest.approx(fpr, **EXACT)
        assert entry["tpr"] == pytest.approx(tpr, **EXACT)
        assert close(entry["auc"], skm.roc_auc_score(y == c, proba[:, c]))
    assert_interval_contains_value(result)


def test_regression_metrics_equal_sklearn(diabetes):
    y, pred = diabetes
    result = evaluate_predictions("regression", y, pred, bootstrap=300)
    json.dumps(result, allow_nan=False)

    m = result["metrics"]
    assert set(m) == set(METRIC_NAMES_REGRESSION)
    assert close(m["mae"]["value"], skm.mean_absolute_error(y, pred))
    assert close(m["rmse"]["value"], skm.root_mean_squared_error(y, pred))
    assert close(m["r2"]["value"], skm.r2_score(y, pred))
    assert close(m["mape"]["value"], skm.mean_absolute_percentage_error(y, pred))
    assert close(m["max_error"]["value"], skm.max_error(y, pred))
    assert m["max_error"]["ci_low"] is None  # no interval for an extreme, and a note says so
    assert any("max_error" in note for note in result["notes"])
    assert_interval_contains_value(result)

    worst = result["max_error"]["row"]
    assert close(abs(y[worst] - pred[worst]), skm.max_error(y, pred))
    assert result["residuals"]["residual"] == pytest.approx(y - pred, **EXACT)
    assert result["residuals"]["predicted"] == pytest.approx(pred, **EXACT)
    assert "confusion_matrix" not in result


def test_regression_constant_labels_follow_sklearn():
    y = np.full(20, 3.0)
    perfect = evaluate_predictions("regression", y, y, bootstrap=0)["metrics"]["r2"]["value"]
    off = evaluate_predictions("regression", y, y + 1, bootstrap=0)["metrics"]["r2"]["value"]
    assert (perfect, off) == (skm.r2_score(y, y), skm.r2_score(y, y + 1)) == (1.0, 0.0)


# --------------------------------------------------------------------------- generated inputs

LABEL_SETS = {
    "small ints": [0, 1, 2, 3, 4],
    "shifted ints": [-2, 7, 8, 9, 10],
    "wide ints": [3, 70_000, 100_000, 5, 9_000_000],
    "strings": ["cat", "dog", "eel", "fox", "gnu"],
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(LABEL_SETS)),
    k=st.integers(2, 5),
    data=st.data(),
)
def test_confusion_family_equals_sklearn_on_generated_labels(kind, k, data):
    classes = sorted(LABEL_SETS[kind][:k])
    n = data.draw(st.integers(1, 40), label="n")
    true_at = data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n), label="y")
    # Predictions over a subset of the classes: some class may never be predicted.
    allowed = data.draw(st.sets(st.integers(0, k - 1), min_size=1), label="predicted classes")
    pred_at = data.draw(st.lists(st.sampled_from(sorted(allowed)), min_size=n, max_size=n))
    y = np.array([classes[i] for i in true_at])
    pred = np.array([classes[i] for i in pred_at])
    binary = k == 2

    result = evaluate_predictions(
        "binary" if binary else "multiclass", y, pred, classes=classes, bootstrap=20
    )
    expected = skm.confusion_matrix(y, pred, labels=classes)
    assert result["confusion_matrix"]["matrix"] == expected.tolist()
    for name, reference in sklearn_confusion_metrics(y, pred, classes, binary).items():
        assert close(result["metrics"][name]["value"], reference), name
    assert result["metrics"]["roc_auc"]["value"] is None  # needs probabilities
    for metric in result["metrics"].values():
        if metric["ci_low"] is not None:  # percentile intervals of tiny sets may be skewed
            assert -1.0 <= metric["ci_low"] <= metric["ci_high"] <= 1.0


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    levels=st.integers(2, 6),
    n=st.integers(2, 60),
)
def test_auc_and_average_precision_equal_sklearn_with_ties(data, levels, n):
    # Few distinct scores: ties within and across the classes.
    score = np.array(data.draw(st.lists(st.integers(0, levels), min_size=n, max_size=n))) / levels
    positive = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    if positive.all() or not positive.any():
        assert roc_auc(positive, score) is None
        return
    assert close(roc_auc(positive, score), skm.roc_auc_score(positive, score))

    y = np.where(positive, "yes", "no")
    result = evaluate_predictions("binary", y, y, score, ["no", "yes"], bootstrap=0)
    assert close(result["metrics"]["roc_auc"]["value"], skm.roc_auc_score(positive, score))
    expected_ap = skm.average_precision_score(positive, score)
    assert close(result["metrics"]["pr_auc"]["value"], expected_ap)
    fpr, tpr, _ = skm.roc_curve(positive, score)
    assert result["curves"]["roc"]["fpr"] == pytest.approx(fpr, **EXACT)
    assert result["curves"]["roc"]["tpr"] == pytest.approx(tpr, **EXACT)


def test_multiclass_with_ties_string_labels_and_an_unpredicted_class():
    rng = np.random.default_rng(3)
    classes = ["ant", "bee", "cow", "doe"]
    y = rng.choice(classes, 300)
    proba = rng.multinomial(10, [0.25] * 4, 300) / 10  # tenths: many ties
    pred = np.array(classes)[proba[:, :3].argmax(1)]  # "doe" is never predicted
    result = evaluate_predictions("multiclass", y, pred, proba, classes, bootstrap=100)
    json.dumps(result, allow_nan=False)
    for name, reference in sklearn_confusion_metrics(y, pred, classes, False).items():
        assert close(result["metrics"][name]["value"], reference), name
    assert result["per_class"][3]["precision"] == 0.0
    assert result["per_class"][3]["support"] == int((y == "doe").sum())
    assert_probability_metrics(result, y, proba, classes, binary=False)


def test_int_fast_path_and_general_path_agree():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 4, 500)
    pred = np.where(rng.random(500) < 0.7, y, rng.integers(0, 4, 500))
    plain = evaluate_predictions("multiclass", y, pred, bootstrap=0)
    for offset, dtype in ((1000, np.int64), (-3, np.int16), (0, np.uint8)):
        shifted = evaluate_predictions(
            "multiclass", (y + offset).astype(dtype), (pred + offset).astype(dtype), bootstrap=0
        )
        assert shifted["classes"] == [c + offset for c in range(4)]
        assert shifted["metrics"] == plain["metrics"]
    as_text = evaluate_predictions(
        "multiclass", y.astype(str), pred.astype(str), bootstrap=0
    )  # "0" < "1" < ... keeps the order
    assert as_text["confusion_matrix"]["matrix"] == plain["confusion_matrix"]["matrix"]
    wide = evaluate_predictions("multiclass", y * 10**6, pred * 10**6, bootstrap=0)
    assert wide["confusion_matrix"]["matrix"] == plain["confusion_matrix"]["matrix"]
    assert wide["classes"] == [0, 10**6, 2 * 10**6, 3 * 10**6]
    floats = evaluate_predictions(
        "multiclass", y.astype(float), pred, classes=[0, 1, 2, 3], bootstrap=0
    )
    assert floats["confusion_matrix"]["matrix"] == plain["confusion_matrix"]["matrix"]


def test_given_classes_absent_from_the_test_set():
    y = np.array([0, 0, 1, 1, 0, 1])
    pred = np.array([0, 1, 1, 1, 0, 0])
    proba = np.array(
        [[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.2, 0.7, 0.1], [0.1, 0.8, 0.1], [0.6, 0.2, 0.2],
         [0.5, 0.4, 0.1]]
    )  # fmt: skip
    result = evaluate_predictions("multiclass", y, pred, proba, [0, 1, 2], bootstrap=0)
    assert result["confusion_matrix"]["matrix"][2] == [0, 0, 0]
    for name, reference in sklearn_confusion_metrics(y, pred, [0, 1, 2], False).items():
        assert close(result["metrics"][name]["value"], reference), name
    assert close(result["metrics"]["log_loss"]["value"], skm.log_loss(y, proba, labels=[0, 1, 2]))
    assert result["metrics"]["roc_auc"]["value"] is None  # scikit-learn refuses it too
    assert any("roc_auc is undefined" in note and "2" in note for note in result["notes"])


def test_confusion_helpers():
    labels, matrix = confusion_matrix(["b", "a", "b", "c"], ["b", "b", "b", "c"])
    assert labels == ["a", "b", "c"]
    assert matrix.tolist() == [[0, 1, 0], [0, 2, 0], [0, 0, 1]]
    values = confusion_metrics(matrix, "multiclass")
    assert close(values["accuracy"], 0.75)
    assert close(values["mcc"], skm.matthews_corrcoef(["b", "a", "b", "c"], ["b", "b", "b", "c"]))


# --------------------------------------------------------------------------- intervals


def test_intervals_are_seeded_and_reproducible(breast_cancer):
    y, pred, proba, classes = breast_cancer
    first = evaluate_predictions("binary", y, pred, proba, classes, bootstrap=300, seed=5)
    again = evaluate_predictions("binary", y, pred, proba, classes, bootstrap=300, seed=5)
    other = evaluate_predictions("binary", y, pred, proba, classes, bootstrap=300, seed=6)
    assert first == again
    assert first["metrics"] != other["metrics"]
    assert first["bootstrap"] == {
        "resamples": 300,
        "seed": 5,
        "method": "percentile",
        "level": 0.95,
    }
    assert_interval_contains_value(first)
    for metric in first["metrics"].values():
        assert metric["ci_low"] < metric["ci_high"]


def test_no_bootstrap_means_no_intervals(breast_cancer):
    y, pred, proba, classes = breast_cancer
    result = evaluate_predictions("binary", y, pred, proba, classes, bootstrap=0)
    assert all(m["ci_low"] is None and m["ci_high"] is None for m in result["metrics"].values())
    assert result["bootstrap"]["resamples"] == 0


def test_confusion_intervals_match_a_row_bootstrap(breast_cancer):
    # The multinomial over cells is the row bootstrap in distribution: compare with a
    # plain resampling of rows at the same number of resamples.
    y, pred, _, _ = breast_cancer
    result = evaluate_predictions("binary", y, pred, bootstrap=2000, seed=1)
    rng = np.random.default_rng(0)
    rows = rng.integers(0, len(y), (2000, len(y)))
    accuracy = (y[rows] == pred[rows]).mean(1)
    low, high = np.percentile(accuracy, [2.5, 97.5])
    assert result["metrics"]["accuracy"]["ci_low"] == pytest.approx(low, abs=0.01)
    assert result["metrics"]["accuracy"]["ci_high"] == pytest.approx(high, abs=0.01)


def test_large_sets_bootstrap_a_subsample(monkeypatch):
    monkeypatch.setattr(resampling, "MAX_BOOTSTRAP_ROWS", 400)
    rng = np.random.default_rng(2)
    n = 3000
    positive = rng.random(n) < 0.4
    score = np.clip(0.35 * positive + 0.65 * rng.random(n), 0, 1)
    y = positive.astype(int)
    pred = (score >= 0.5).astype(int)
    full = evaluate_predictions("binary", y, pred, score, [0, 1], bootstrap=400, seed=3)
    assert full["bootstrap"]["subsample_rows"] == 400
    assert any("400-row subsample" in note for note in full["notes"])
    assert_interval_contains_value(full)
    auc = full["metrics"]["roc_auc"]
    # The rescaled width is about that of the full-data bootstrap (standard error).
    se = np.sqrt(auc["value"] * (1 - auc["value"]) / min(positive.sum(), (~positive).sum()))
    assert 0.5 * 2 * 1.96 * se / 3 < auc["ci_high"] - auc["ci_low"] < 2 * 2 * 1.96 * se

    reg = evaluate_predictions("regression", score, score + rng.normal(0, 0.1, n), bootstrap=200)
    assert reg["bootstrap"]["subsample_rows"] == 400
    assert_interval_contains_value(reg)


# --------------------------------------------------------------------------- display data


def test_curves_are_thinned_but_keep_their_ends_and_points():
    rng = np.random.default_rng(4)
    n = 20_000
    positive = rng.random(n) < 0.3
    score = np.clip(0.2 * positive + 0.8 * rng.random(n), 0, 1)
    y = positive.astype(int)
    result = evaluate_predictions("binary", y, (score > 0.5).astype(int), score, bootstrap=0)
    roc, pr = result["curves"]["roc"], result["curves"]["pr"]

    assert len(roc["fpr"]) <= curves.CURVE_POINTS
    assert (roc["fpr"][0], roc["tpr"][0], roc["fpr"][-1], roc["tpr"][-1]) == (0, 0, 1, 1)
    fpr, tpr, thresholds = skm.roc_curve(positive, score)
    assert len(fpr) > curves.CURVE_POINTS  # so thinning happened
    full = {(a, b): t for a, b, t in zip(fpr, tpr, thresholds, strict=True)}
    for a, b, t in zip(roc["fpr"][1:], roc["tpr"][1:], roc["thresholds"][1:], strict=True):
        assert full[(a, b)] == t  # every kept point is a corner of the exact curve

    assert len(pr["precision"]) <= curves.CURVE_POINTS
    assert len(pr["thresholds"]) == len(pr["precision"]) - 1
    assert (pr["recall"][0], pr["recall"][-1], pr["precision"][-1]) == (1.0, 0.0, 1.0)


def test_residuals_are_a_seeded_sample_that_keeps_the_worst_row():
    rng = np.random.default_rng(5)
    n = 12_000
    y = rng.normal(size=n)
    pred = y + rng.normal(size=n)
    one = evaluate_predictions("regression", y, pred, bootstrap=0, seed=9)
    two = evaluate_predictions("regression", y, pred, bootstrap=0, seed=9)
    assert one["residuals"] == two["residuals"]
    shown = one["residuals"]
    assert len(shown["residual"]) == metrics.RESIDUAL_POINTS
    pairs = set(zip(pred.tolist(), (y - pred).tolist(), strict=True))
    assert all(p in pairs for p in zip(shown["predicted"], shown["residual"], strict=True))
    worst = one["max_error"]["row"]
    assert y[worst] - pred[worst] in shown["residual"]


def test_the_residual_histogram_counts_every_row_not_the_sample():
    rng = np.random.default_rng(6)
    n = 12_000
    y = rng.normal(size=n)
    pred = y + rng.normal(size=n)
    result = evaluate_predictions("regression", y, pred, bootstrap=0, seed=9)
    hist = result["residual_histogram"]
    assert sum(hist["counts"]) == n  # all rows, though only RESIDUAL_POINTS are shown
    assert len(hist["edges"]) == len(hist["counts"]) + 1
    assert 10 <= len(hist["counts"]) <= metrics.RESIDUAL_BINS_MAX
    residual = y - pred
    assert hist["edges"][0] == pytest.approx(residual.min())
    assert hist["edges"][-1] == pytest.approx(residual.max())
    expected, _ = np.histogram(residual, bins=np.asarray(hist["edges"]))
    assert hist["counts"] == expected.tolist()


def test_a_constant_residual_still_has_a_histogram():
    y = np.array([1.0, 2.0, 3.0])
    result = evaluate_predictions("regression", y, y - 0.5, bootstrap=0)
    hist = result["residual_histogram"]
    assert sum(hist["counts"]) == 3
    assert hist["edges"][0] < 0.5 < hist["edges"][-1]


# --------------------------------------------------------------------------- progress


def test_progress_reaches_the_total_and_cancel_stops_the_bootstrap(breast_cancer):
    y, pred, proba, classes = breast_cancer
    calls = []
    evaluate_predictions(
        "binary", y, pred, proba, classes, bootstrap=100, progress=lambda *a: calls.append(a)
    )
    assert calls[0][0] == 0
    assert calls[-1][0] == calls[-1][1] == 200  # confusion and row resamples
    assert all(b[0] >= a[0] for a, b in zip(calls, calls[1:], strict=False))

    token = CancelToken()

    def cancel_on_first_report(done, total, message):
        if done:
            token.cancel()

    with pytest.raises(Cancelled):
        evaluate_predictions(
            "binary", y, pred, proba, classes, progress=cancel_on_first_report, cancel=token
        )


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("binary", [0, 1] * 6, [0, 1] * 5), {}, "predictions have 10 rows but the labels have 12"),
        (("binary", [], []), {}, "there is nothing to evaluate: the labels have no rows"),
        (
            ("multiclass", ["a", "b", "c"], ["a", "x", "b"]),
            {},
            "predictions contain classes not in the test labels: 'x'",
        ),
        (
            ("multiclass", [0, 1, 2], [0, 1, 7]),
            {},
            "predictions contain classes not in the test labels: 7",
        ),
        (
            ("binary", ["a", "b"], ["a", "c"]),
            {"classes": ["a", "b"]},
            "predictions contain classes not among the model's classes: 'c'",
        ),
        (
            ("binary", [0, 1, 2], [0, 1, 1]),
            {"classes": [0, 1]},
            "the test labels contain classes not among the model's classes: 2",
        ),
        (
            ("binary", [0.0, np.nan, 1.0], [0, 1, 1]),
            {},
            "the labels contain missing values in 1 row",
        ),
        (
            ("binary", ["a", "b", "c"], ["a", "b", "c"]),
            {},
            "a binary problem needs exactly 2 classes, but there are 3: 'a', 'b', 'c'",
        ),
        (
            ("binary", [0, 1, 1], [0, 1, 0]),
            {"proba": np.full((3, 3), 1 / 3)},
            r"the probabilities have shape \(3, 3\) but 3 rows and 2 classes were expected",
        ),
        (
            ("binary", [0, 1, 1], [0, 1, 0]),
            {"proba": [[0.5, 0.5], [np.nan, 0.5], [0.1, 0.9]]},
            "the probabilities contain NaN or infinite values",
        ),
        (
            ("binary", [0, 1, 1], [0, 1, 0]),
            {"proba": [2.5, -1.0, 0.3]},
            "the probabilities must lie between 0 and 1, but range from -1 to 2.5",
        ),
        (
            ("regression", [1.0, 2.0, 3.0], [1.0, np.inf, np.nan]),
            {},
            "the predictions contain missing or infinite values in 2 rows",
        ),
        (
            ("regression", ["x", "y"], [1.0, 2.0]),
            {},
            "the labels of a regression must be numbers",
        ),
    ],
)
def test_bad_inputs_raise_dataset_errors(args, kwargs, message):
    with pytest.raises(DatasetError, match=message):
        evaluate_predictions(*args, bootstrap=0, **kwargs)


def test_bad_arguments_raise_usage_errors():
    with pytest.raises(UsageError, match="problem type must be one of binary, multiclass"):
        evaluate_predictions("ranking", [0, 1], [0, 1])
    with pytest.raises(UsageError, match="bootstrap must be a whole number"):
        evaluate_predictions("binary", [0, 1], [0, 1], bootstrap=-1)
    with pytest.raises(UsageError, match="regression problem takes no probabilities"):
        evaluate_predictions("regression", [0.1, 1.0], [0.2, 1.0], proba=[0.5, 0.5])
    with pytest.raises(UsageError, match="classes must be distinct"):
        evaluate_predictions("binary", [0, 1], [0, 1], classes=[1, 1])


def test_single_class_binary_needs_the_models_classes():
    with pytest.raises(DatasetError, match="give the model's classes"):
        evaluate_predictions("binary", [1, 1, 1], [1, 1, 1])
    result = evaluate_predictions("binary", [1, 1, 1], [1, 0, 1], [0.2, 0.7, 0.9], [0, 1])
    assert result["metrics"]["roc_auc"]["value"] is None
    assert result["curves"]["roc"] is None
    assert close(result["metrics"]["pr_auc"]["value"], 1.0)
    assert any("roc_auc is undefined" in note for note in result["notes"])
