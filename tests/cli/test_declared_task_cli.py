"""Problem type and labels declared where the model file does not tell them, through the
command line: a single-logit binary network, class ids of an ONNX classifier named after
the labels in the data, the positive class of a binary problem, and every contradiction
refused with one line that says what to do.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from baton.core.cli.main import cli
from tests.factories import logit_network

WINE_NAMES = ["barolo", "grignolino", "barbera"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("declared")
    bc = load_breast_cancer(as_frame=True).frame
    train, test = bc.iloc[:400], bc.iloc[400:]
    X, y = train.drop(columns="target"), train["target"]
    lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(X, y)
    test.to_csv(root / "bc_test.csv", index=False)

    wine = load_wine(as_frame=True).frame.sample(frac=1.0, random_state=0)
    wtrain, wtest = wine.iloc[:120], wine.iloc[120:]
    from skl2onnx import to_onnx
    from sklearn.ensemble import RandomForestClassifier

    forest = RandomForestClassifier(n_estimators=20, random_state=0)
    forest.fit(wtrain.drop(columns="target").to_numpy(np.float32), wtrain["target"])
    onx = to_onnx(forest, wtrain.drop(columns="target").to_numpy(np.float32)[:1])
    (root / "forest.onnx").write_bytes(onx.SerializeToString())
    named = wtest.copy()
    named["target"] = [WINE_NAMES[i] for i in wtest["target"]]
    named.to_csv(root / "wine_named.csv", index=False)

    import skops.io as sio

    sio.dump(lr, root / "lr.skops")
    from sklearn.linear_model import LinearRegression

    sio.dump(LinearRegression().fit(X, y.astype(float)), root / "reg.skops")
    return {
        "root": root,
        "lr": lr,
        "test": test,
        "logit": logit_network(root / "logit.onnx", lr),
        "prob": logit_network(root / "prob.onnx", lr, sigmoid=True),
        "bc_test": root / "bc_test.csv",
        "forest": forest,
        "wine_test": wtest,
        "forest_onnx": root / "forest.onnx",
        "wine_named": root / "wine_named.csv",
        "lr_skops": root / "lr.skops",
        "reg_skops": root / "reg.skops",
    }


@pytest.fixture
def baton(tmp_path):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(
            cli, ["--home", str(tmp_path / "home"), *map(str, args)], catch_exceptions=False
        )

    return invoke


def _ok(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if result.stdout.lstrip().startswith("{") else result


def _evaluate(baton, model, dataset):
    return _ok(baton("evaluate", model, dataset, "--bootstrap", "0", "--json"))


def _value(result, metric):
    return result["metrics"][metric]["value"]


def test_a_single_logit_network_declared_binary_scores_as_its_scikit_learn_model(baton, data):
    _ok(baton("dataset", "add", data["bc_test"], "--name", "bc-test", "--target", "target"))
    added = _ok(baton("model", "add", data["logit"], "--name", "net", "--task", "binary", "--json"))
    assert added["task"] == "binary" and added["classes"] == [0, 1]
    assert added["output"]["score"] == "logit"

    result = _evaluate(baton, "net", "bc-test")
    X, y = data["test"].drop(columns="target"), data["test"]["target"]
    expected = data["lr"].predict(X)
    assert _value(result, "accuracy") == pytest.approx(accuracy_score(y, expected))
    assert _value(result, "f1") == pytest.approx(f1_score(y, expected))
    proba = data["lr"].predict_proba(X)[:, 1]
    from sklearn.metrics import roc_auc_score

    assert _value(result, "roc_auc") == pytest.approx(roc_auc_score(y, proba), abs=1e-6)

    shown = _ok(baton("model", "show", "net")).output
    assert "binary (declared with --task)" in shown
    assert "logit: a sigmoid turns it into the probability of 1" in shown
    assert "the output comes from an Add node, not a Sigmoid or Softmax" in shown
    assert "threshold   0.5" in shown


def test_without_the_declaration_the_network_is_a_regression_and_model_show_says_why(baton, data):
    _ok(baton("model", "add", data["logit"], "--name", "net"))
    shown = _ok(baton("model", "show", "net")).output
    assert (
        "regression (one output column: taken as a regression — declare --task binary if it "
        "is a classifier's score)" in shown
    )


def test_an_output_from_a_sigmoid_is_taken_as_a_probability_and_the_threshold_applies(baton, data):
    _ok(baton("dataset", "add", data["bc_test"], "--name", "bc-test", "--target", "target"))
    added = _ok(
        baton(
            "model",
            "add",
            data["prob"],
            "--name",
            "p",
            "--task",
            "binary",
            "--threshold",
            "0.9",
            "--json",
        )  # fmt: skip
    )
    assert added["output"]["score"] == "probability"
    assert "Sigmoid" in added["output"]["score_decided"]
    result = _evaluate(baton, "p", "bc-test")
    X, y = data["test"].drop(columns="target"), data["test"]["target"]
    expected = (data["lr"].predict_proba(X)[:, 1] >= 0.9).astype(int)
    assert _value(result, "recall") == pytest.approx(recall_score(y, expected))
    assert _value(result, "precision") == pytest.approx(precision_score(y, expected))


def test_class_ids_of_an_onnx_classifier_are_named_after_the_labels_in_the_data(baton, data):
    _ok(baton("dataset", "add", data["wine_named"], "--name", "wine", "--target", "target"))
    names = ",".join(WINE_NAMES)
    added = _ok(baton("model", "add", data["forest_onnx"], "--name", "rf", "--classes", names,
                      "--json"))  # fmt: skip
    assert added["classes"] == WINE_NAMES and added["output"]["class_ids"] == [0, 1, 2]
    result = _evaluate(baton, "rf", "wine")
    X = data["wine_test"].drop(columns="target").to_numpy(np.float32)
    truth = accuracy_score(data["wine_test"]["target"], data["forest"].predict(X))
    assert _value(result, "accuracy") == pytest.approx(truth)
    assert truth > 0.9
    assert sorted(result["classes"]) == sorted(WINE_NAMES)
    shown = _ok(baton("model", "show", "rf")).output
    assert (
        "barolo, grignolino, barbera (declared with --classes, for the model's class ids 0, 1, 2)"
        in shown
    )


def test_the_positive_class_flips_precision_and_recall_as_scikit_learn_pos_label(baton, data):
    _ok(baton("dataset", "add", data["bc_test"], "--name", "bc-test", "--target", "target"))
    _ok(baton("model", "add", data["lr_skops"], "--name", "one"))
    _ok(baton("model", "add", data["lr_skops"], "--name", "zero", "--positive-class", "0"))
    X, y = data["test"].drop(columns="target"), data["test"]["target"]
    pred = data["lr"].predict(X)
    one, zero = _evaluate(baton, "one", "bc-test"), _evaluate(baton, "zero", "bc-test")
    assert (one["positive_class"], zero["positive_class"]) == (1, 0)
    for result, pos in ((one, 1), (zero, 0)):
        assert _value(result, "precision") == pytest.approx(precision_score(y, pred, pos_label=pos))
        assert _value(result, "recall") == pytest.approx(recall_score(y, pred, pos_label=pos))
        assert _value(result, "f1") == pytest.approx(f1_score(y, pred, pos_label=pos))
    assert _value(one, "precision") != pytest.approx(_value(zero, "precision"))
    from sklearn.metrics import roc_auc_score

    proba0 = data["lr"].predict_proba(X)[:, 0]
    assert _value(zero, "roc_auc") == pytest.approx(roc_auc_score(y == 0, proba0), abs=1e-6)
    assert (
        "positive    0 (declared with --positive-class)"
        in _ok(baton("model", "show", "zero")).output
    )
    detected = _ok(baton("model", "show", "one")).output
    assert "classes     0, 1 (from the classifier's classes_)" in detected
    assert "positive    1 (the second class)" in detected


@pytest.mark.parametrize(
    ("model", "args", "message"),
    [
        (
            "forest_onnx",
            ["--classes", "a,b"],
            "--classes names 2 classes but forest.onnx has 3 (class ids 0, 1, 2)",
        ),
        (
            "lr_skops",
            ["--positive-class", "yes"],
            "--positive-class 'yes' is not one of the classes of lr.skops: 0, 1",
        ),
        (
            "logit",
            ["--task", "binary", "--threshold", "1.5"],
            "--threshold must lie between 0 and 1 (exclusive), not 1.5",
        ),
        (
            "logit",
            ["--threshold", "0.3"],
            "--threshold applies to a binary classifier's score, but logit.onnx has one output "
            "column, taken as a regression; add --task binary if it is a classifier's score",
        ),
        (
            "reg_skops",
            ["--classes", "a,b"],
            "--classes names classes, but reg.skops is a regressor (LinearRegression)",
        ),
        (
            "reg_skops",
            ["--task", "binary"],
            "reg.skops is a scikit-learn regressor (LinearRegression); it cannot be declared binary",
        ),
        (
            "forest_onnx",
            ["--task", "regression"],
            "forest.onnx is a classifier with 3 classes (0, 1, 2); it cannot be declared a regression",
        ),
        (
            "forest_onnx",
            ["--task", "binary"],
            "--task binary needs 2 classes, but forest.onnx has 3 (0, 1, 2)",
        ),
        (
            "forest_onnx",
            ["--threshold", "0.5"],
            "--threshold applies to a model with a single score output; forest.onnx gives one "
            "probability per class and predicts the most probable",
        ),
        (
            "forest_onnx",
            ["--positive-class", "1"],
            "--positive-class applies to a binary problem; forest.onnx is multiclass",
        ),
        (
            "logit",
            ["--task", "binary", "--classes", "a,b,c"],
            "--classes names 3 classes but a binary classifier's single score needs 2",
        ),
        (
            "logit",
            ["--task", "multiclass"],
            "logit.onnx has one output column; it can be a regression or a binary classifier's "
            "score, not multiclass",
        ),
        ("lr_skops", ["--classes", "no,no"], "--classes names 'no' twice"),
    ],
)
def test_contradictions_are_refused_with_one_line_and_exit_2(baton, data, model, args, message):
    result = baton("model", "add", data[model], "--name", "m", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines()[-1] == f"Error: {message}"
    assert "Traceback" not in result.output
    assert _ok(baton("model", "list", "--json"))["models"] == []
