"""The handover contract: schema, drafting, editing, validation messages, diff and files.

The builders at the top make realistic inputs in the shapes the catalog produces (model
info, dataset info per role, evaluation, profile); ``tests/core/test_card.py`` uses them too.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json

import jsonschema
import pytest

from baton.core.contract.document import (
    Change,
    ValidationIssue,
    add_target,
    check_contract,
    compare_versions,
    diff_contracts,
    draft_contract,
    dump_contract,
    load_contract,
    load_schema,
    parse_contract,
    reevaluate_targets,
    remove_target,
    set_field,
    validate_contract,
)
from baton.core.contract.targets import TARGET_METRICS, parse_target
from baton.core.errors import ContractError, ContractInvalid


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


ADA = {"name": "Ada Lovelace", "email": "ada@example.org", "fingerprint": sha("ada.pub")}
GRACE = {"name": "Grace Hopper", "email": "grace@example.org", "fingerprint": sha("grace.pub")}

_PARTS = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
          "concave points", "symmetry", "fractal dimension"]  # fmt: skip
BREAST_CANCER = (
    [f"mean {p}" for p in _PARTS] + [f"{p} error" for p in _PARTS] + [f"worst {p}" for p in _PARTS]
)
WINE = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols",
        "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
        "od280/od315_of_diluted_wines", "proline"]  # fmt: skip
DIABETES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def _metric(value, low, high):
    return {"value": value, "ci_low": low, "ci_high": high}


def _dataset(role, name, features, target, target_dtype, rows, fmt="parquet", file="default"):
    columns = [{"name": f, "dtype": "double"} for f in features] + [
        {"name": target, "dtype": target_dtype}
    ]
    return {
        "name": name,
        "role": role,
        "file": f"data/{role}.parquet" if file == "default" else file,
        "format": fmt,
        "sha256": sha(f"{name}-{role}"),
        "fingerprint": "sha256:" + sha(f"fp-{name}-{role}"),
        "rows": rows,
        "columns": columns,
        "target": target,
        "id_column": None,
    }


def profile(cpu_key="cpu"):
    rows = []
    for batch, p50 in ((1, 0.118), (8, 0.141), (64, 0.402), (512, 2.87)):
        rows.append(
            {
                "batch_size": batch,
                "samples": 2000 if batch < 512 else 640,
                "p50_ms": p50,
                "p90_ms": p50 * 1.2,
                "p95_ms": p50 * 1.35,
                "p99_ms": p50 * 2.1,
                "mean_ms": p50 * 1.05,
                "std_ms": p50 * 0.2,
                "min_ms": p50 * 0.9,
                "max_ms": p50 * 4,
                "throughput_rps": batch / (p50 * 1.05 / 1000),
                "p99_stable": True,
            }
        )
    return {
        "latency": rows,
        "memory": {
            "rss_delta_after_load_mb": 1.9,
            "peak_predict_mb": 4.25,
            "size_on_disk_mb": 0.0085,
        },
        "hardware": {
            cpu_key: "AMD EPYC 7B13",
            "cores_logical": 2,
            "ram_bytes": 8 * 2**30,
            "os": "Linux-6.1.0-x86_64-with-glibc2.36",
            "machine": "x86_64",
        },
        "environment": {
            "python": "3.11.9",
            "packages": {
                "numpy": "2.1.3",
                "scikit-learn": "1.5.2",
                "skops": "0.10.0",
                "onnxruntime": None,
            },
        },
    }


def binary_inputs():
    model = {
        "file": "breast_cancer_lr.skops",
        "format": "skops",
        "framework": "scikit-learn",
        "framework_version": "1.5.2",
        "estimator": "Pipeline(StandardScaler, LogisticRegression)",
        "producer": None,
        "opset": None,
        "task": "binary",
        "classes": [0, 1],
        "features": [{"name": f, "dtype": "float64"} for f in BREAST_CANCER],
        "params": 31,
        "size_bytes": 8_913,
        "sha256": sha("lr.skops"),
    }
    datasets = [
        _dataset("test", "breast-cancer test", BREAST_CANCER, "target", "int64", 169),
        _dataset(
            "train",
            "breast-cancer train",
            BREAST_CANCER,
            "target",
            "int64",
            400,
            fmt="csv",
            file=None,
        ),
    ]
    evaluation = {
        "problem_type": "binary",
        "n_rows": 169,
        "classes": [0, 1],
        "positive_class": 1,
        "metrics": {
            "accuracy": _metric(0.96491, 0.94737, 0.98246),
            "balanced_accuracy": _metric(0.9611, 0.9403, 0.9801),
            "precision": _metric(0.9717, 0.9444, 0.9912),
            "recall": _metric(0.9717, 0.9394, 0.9929),
            "specificity": _metric(0.9524, 0.9, 0.9873),
            "f1": _metric(0.9717, 0.9571, 0.9857),
            "f1_macro": _metric(0.9622, 0.9436, 0.9804),
            "f1_weighted": _metric(0.9649, 0.9474, 0.9825),
            "roc_auc": _metric(0.9952, 0.9891, 0.9993),
            "pr_auc": _metric(0.9969, 0.9929, 0.9996),
            "log_loss": _metric(0.0871, 0.0553, 0.1264),
            "mcc": _metric(0.9241, 0.8867, 0.9621),
        },
        "confusion_matrix": {"labels": [0, 1], "matrix": [[60, 3], [3, 103]]},
        "per_class": [
            {
                "label": 0,
                "precision": 0.9524,
                "recall": 0.9524,
                "f1": 0.9524,
                "support": 63,
                "specificity": 0.9717,
            },
            {
                "label": 1,
                "precision": 0.9717,
                "recall": 0.9717,
                "f1": 0.9717,
                "support": 106,
                "specificity": 0.9524,
            },
        ],
        "curves": {"roc": {"fpr": [0.0, 1.0], "tpr": [0.0, 1.0], "thresholds": [None, 0.0]}},
        "bootstrap": {"resamples": 1000, "seed": 0, "method": "percentile", "level": 0.95},
        "notes": [],
    }
    return {
        "model_info": model,
        "datasets": datasets,
        "evaluation": evaluation,
        "profile": profile(),
    }


def multiclass_inputs():
    inputs = binary_inputs()
    inputs["model_info"].update(
        task="multiclass",
        classes=["barolo", "grignolino", "barbera"],
        features=[{"name": f, "dtype": "float64"} for f in WINE],
        params=42,
        sha256=sha("wine.skops"),
    )
    inputs["datasets"] = [_dataset("test", "wine", WINE, "cultivar", "string", 178)]
    evaluation = inputs["evaluation"]
    evaluation.update(
        problem_type="multiclass",
        n_rows=178,
        classes=["barolo", "grignolino", "barbera"],
        positive_class=None,
    )
    evaluation["confusion_matrix"] = {
        "labels": ["barolo", "grignolino", "barbera"],
        "matrix": [[59, 0, 0], [1, 69, 1], [0, 0, 48]],
    }
    evaluation["per_class"] = [
        {"label": c, "precision": 0.98, "recall": 0.99, "f1": 0.985, "support": s}
        for c, s in (("barolo", 59), ("grignolino", 71), ("barbera", 48))
    ]
    return inputs


def regression_inputs():
    inputs = binary_inputs()
    inputs["model_info"].update(
        task="regression",
        classes=None,
        estimator="LinearRegression",
        features=[{"name": f, "dtype": "float64"} for f in DIABETES],
        params=11,
        sha256=sha("diabetes.skops"),
    )
    inputs["datasets"] = [_dataset("test", "diabetes", DIABETES, "progression", "double", 442)]
    inputs["evaluation"] = {
        "problem_type": "regression",
        "n_rows": 442,
        "metrics": {
            "mae": _metric(43.277, 40.41, 46.1),
            "rmse": _metric(53.476, 50.2, 56.9),
            "r2": _metric(0.5177, 0.459, 0.571),
            "mape": _metric(0.3883, 0.355, 0.423),
            "max_error": _metric(155.8, None, None),
        },
        "residuals": {"predicted": [1.0], "residual": [0.5]},
        "bootstrap": {"resamples": 1000, "seed": 7, "method": "percentile", "level": 0.95},
        "notes": ["max_error has no interval: the bootstrap of an extreme is unreliable"],
    }
    return inputs


PREDICTIONS = {
    "file": "predictions/test.parquet",
    "rows": 169,
    "columns": [{"name": "prediction", "dtype": "int64"}, {"name": "proba_1", "dtype": "double"}],
    "sha256": sha("predictions"),
}
CREATED = dt.datetime(2025, 3, 14, 9, 30, tzinfo=dt.UTC)


def make_contract(kind="binary", **overrides):
    inputs = {
        "binary": binary_inputs,
        "multiclass": multiclass_inputs,
        "regression": regression_inputs,
    }[kind]()
    rows = inputs["datasets"][0]["rows"]
    options = {
        "authors": [ADA],
        "intended_use": "Second reader for breast-cancer biopsies in the pathology lab.",
        "limitations": "Trained on one hospital's data; not validated on other scanners.",
        "targets": {
            "binary": ["accuracy>=0.95", "roc_auc>=0.99", "latency_p95_ms@64<=1", "memory_mb<=64"],
            "multiclass": ["f1_macro>=0.9", "latency_p99_ms<=5"],
            "regression": ["r2>=0.4", "mae<=50", "throughput_rps@512>=100000"],
        }[kind],
        "predictions": {**PREDICTIONS, "rows": rows},
        "created": CREATED,
    }
    options.update(overrides)
    return draft_contract(
        f"{kind}-model",
        "1.0.0",
        inputs["model_info"],
        inputs["datasets"],
        inputs["evaluation"],
        inputs["profile"],
        **options,
    )


@pytest.fixture
def contract():
    return make_contract()


def paths(issues):
    return [i.path for i in issues]


def messages(issues):
    return [i.message for i in issues]


# --------------------------------------------------------------------------- schema


def test_schema_is_valid_draft_2020_12_and_lists_the_target_metrics():
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["schema"] == {"const": "baton.contract/v1"}
    assert schema["$defs"]["target"]["properties"]["metric"]["enum"] == list(TARGET_METRICS)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_draft_gives_a_valid_contract(kind):
    c = make_contract(kind)
    assert validate_contract(c) == []
    assert validate_contract(c, complete=True) == []
    # The schema alone accepts it too, as any other JSON Schema tool would.
    jsonschema.Draft202012Validator(load_schema()).validate(c)
    assert c["schema"] == "baton.contract/v1"
    assert c["identity"]["problem_type"] == kind
    assert c["identity"]["created"] == "2025-03-14T09:30:00Z"
    assert all(t["verdict"] == "pass" for t in c["targets"]), c["targets"]


def test_draft_contents(contract):
    c = contract
    assert c["identity"]["authors"] == [ADA]
    assert c["model"]["file"] == "model/model.skops"
    assert len(c["model"]["features"]) == 30
    assert c["model"]["classes"] == [0, 1]
    assert [d["role"] for d in c["datasets"]] == ["train", "test"]
    assert c["datasets"][0]["file"] is None  # left out of the bundle, still listed
    assert c["labels"] == {
        "file": "data/test.parquet",
        "target": "target",
        "id_column": None,
        "rows": 169,
    }
    assert c["results"]["metrics"]["accuracy"] == {
        "value": 0.96491,
        "ci_low": 0.94737,
        "ci_high": 0.98246,
    }
    assert c["results"]["confidence"] == {
        "level": 0.95,
        "method": "percentile",
        "resamples": 1000,
        "seed": 0,
    }
    assert [r["batch_size"] for r in c["results"]["latency"]] == [1, 8, 64, 512]
    assert c["results"]["memory"]["peak_predict_mb"] == 4.25
    assert c["environment"] == {
        "python": "3.11.9",
        "os": "Linux-6.1.0-x86_64-with-glibc2.36",
        "cpu": "AMD EPYC 7B13",
        "machine": "x86_64",
        "packages": {
            "numpy": "2.1.3",
            "scikit-learn": "1.5.2",
            "skops": "0.10.0",
            "onnxruntime": None,
        },
    }
    assert "curves" not in c["results"]  # recomputable from the bundled predictions
    target = c["targets"][2]
    assert target == {
        "metric": "latency_p95_ms",
        "op": "<=",
        "threshold": 1.0,
        "batch": 64,
        "tolerance": 0.0,
        "note": "",
        "measured": pytest.approx(0.402 * 1.35),
        "verdict": "pass",
    }


def test_draft_reads_the_profilers_own_field_names():
    inputs = binary_inputs()
    prof = inputs["profile"]
    prof["hardware"] = {
        "cpu_model": "Apple M2",
        "cores_physical": 8,
        "cores_logical": 8,
        "ram_total_bytes": 16 * 2**30,
        "ram_total_gb": 16.0,
        "os": "macOS-14.5-arm64-arm-64bit",
        "system": "Darwin",
        "machine": "arm64",
    }
    prof["environment"] = {
        "python_version": "3.12.4",
        "packages": {"numpy": "2.0.0"},
        "baton_version": "0.1.0",
        "threads_env": {"OMP_NUM_THREADS": "1"},
    }
    prof["memory"] = {"resident_delta_mb": 2.5, "peak_during_predict_mb": 6.0, "peak_rss_mb": 180.0}
    prof["latency"][0]["raw_ms"] = [0.1, 0.2]
    prof["latency"][0]["throughput_rps"] = None  # a clock too coarse to time the call
    c = draft_contract("bc", "2", **inputs, created=CREATED)
    assert c["environment"]["cpu"] == "Apple M2"
    assert c["environment"]["python"] == "3.12.4"
    assert c["environment"]["threads_env"] == {"OMP_NUM_THREADS": "1"}
    assert c["results"]["hardware"]["ram_bytes"] == 16 * 2**30
    assert c["results"]["hardware"]["cores_physical"] == 8
    assert "ram_total_gb" not in c["results"]["hardware"]
    assert c["results"]["memory"] == {
        "rss_delta_after_load_mb": 2.5,
        "peak_predict_mb": 6.0,
        "size_on_disk_mb": 8_913 / 2**20,
    }
    assert "raw_ms" not in c["results"]["latency"][0]


def test_draft_names_unnamed_features_from_the_test_set():
    inputs = regression_inputs()
    inputs["model_info"]["features"] = [
        {"name": None, "dtype": None, "index": i} for i in range(10)
    ]
    c = draft_contract("diabetes", "1", **inputs, created=CREATED)
    assert c["model"]["features"][:2] == [
        {"name": "age", "dtype": "double"},
        {"name": "sex", "dtype": "double"},
    ]


def test_draft_refuses_inconsistent_inputs():
    inputs = binary_inputs()
    inputs["datasets"] = [d for d in inputs["datasets"] if d["role"] != "test"]
    with pytest.raises(ContractError, match="a contract needs the test dataset"):
        draft_contract("bc", "1", **inputs)

    inputs = binary_inputs()
    inputs["evaluation"]["problem_type"] = "regression"
    with pytest.raises(
        ContractError,
        match="the model is a binary classifier but the evaluation is for a regression model",
    ):
        draft_contract("bc", "1", **inputs)

    with pytest.raises(
        ContractError, match=r"mae does not apply to a binary classifier \(mae<=3\)"
    ):
        draft_contract("bc", "1", **binary_inputs(), targets=["mae<=3"])

    with pytest.raises(ContractError, match="there is already a target for accuracy"):
        draft_contract("bc", "1", **binary_inputs(), targets=["accuracy>=0.9", "accuracy>=0.95"])

    with pytest.raises(ContractInvalid, match="identity.name must be 1 to 64 letters"):
        draft_contract("my model!", "1", **binary_inputs())

    with pytest.raises(ContractError, match="created needs a time zone"):
        draft_contract("bc", "1", **binary_inputs(), created=dt.datetime(2025, 1, 1))


# --------------------------------------------------------------------------- validation


def _broken(contract, mutate):
    c = copy.deepcopy(contract)
    mutate(c)
    return validate_contract(c)


@pytest.mark.parametrize(
    ("mutate", "path", "message"),
    [
        (
            lambda c: c["identity"].pop("intended_use"),
            "identity.intended_use",
            "identity.intended_use is missing",
        ),
        (
            lambda c: c["targets"][0].update(threshold="high"),
            "targets[0].threshold",
            "targets[0].threshold must be a number, not 'high'",
        ),
        (
            lambda c: c["identity"].update(intended_usage="x"),
            "identity.intended_usage",
            "identity.intended_usage is not a known field of identity; did you mean 'intended_use'?",
        ),
        (
            lambda c: c.update(extra=1),
            "extra",
            "extra is not a known field at the top of the contract; known fields: candidates, datasets, environment, "
            "identity, labels, lineage, model, monitoring, predictions, results, schema, targets",
        ),
        (
            lambda c: c["identity"].update(problem_type="binery"),
            "identity.problem_type",
            "identity.problem_type must be one of 'binary', 'multiclass', 'regression', not 'binery'; did you mean 'binary'?",
        ),
        (
            lambda c: c.update(schema="baton.contract/v2"),
            "schema",
            "schema must be 'baton.contract/v1', not 'baton.contract/v2'",
        ),
        (
            lambda c: c["identity"].update(name="../etc"),
            "identity.name",
            "identity.name must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit, not '../etc'",
        ),
        (
            lambda c: c["identity"].update(version="v1.0"),
            "identity.version",
            "identity.version must be a version such as '3' or '1.0.0' (one to four dot-separated whole numbers, no leading zeros), not 'v1.0'",
        ),
        (
            lambda c: c["identity"].update(created="2025-02-30T10:00:00Z"),
            "identity.created",
            "identity.created must be a date and time with a time zone, such as '2025-03-14T09:30:00Z', not '2025-02-30T10:00:00Z'",
        ),
        (
            lambda c: c["identity"].update(created="2025-03-14 10:00"),
            "identity.created",
            "identity.created must be a date and time with a time zone",
        ),
        (
            lambda c: c["identity"].update(id="not-a-uuid"),
            "identity.id",
            "identity.id must be a UUID",
        ),
        (
            lambda c: c["identity"]["authors"][0].update(fingerprint="ABCD"),
            "identity.authors[0].fingerprint",
            "identity.authors[0].fingerprint must be a key fingerprint (the SHA-256 of the public key: 64 lowercase hex digits), not 'ABCD'",
        ),
        (
            lambda c: c["datasets"][1].update(rows=0),
            "datasets[1].rows",
            "datasets[1].rows must be at least 1, not 0",
        ),
        (
            lambda c: c["datasets"][1].update(rows=12.5),
            "datasets[1].rows",
            "datasets[1].rows must be a whole number, not 12.5",
        ),
        (
            lambda c: c["model"].update(sha256="xyz"),
            "model.sha256",
            "model.sha256 must be a SHA-256 digest (64 lowercase hex digits), not 'xyz'",
        ),
        (
            lambda c: c["model"].update(file="../model.pkl"),
            "model.file",
            "model.file must be 'model/model.skops' or 'model/model.onnx', not '../model.pkl'",
        ),
        (
            lambda c: c["model"].update(features=[]),
            "model.features",
            "model.features must have at least one entry",
        ),
        (
            lambda c: c["results"]["metrics"]["accuracy"].update(value="0.96"),
            "results.metrics.accuracy.value",
            "results.metrics.accuracy.value must be a number or null, not '0.96'",
        ),
        (
            lambda c: c["results"]["latency"][0].update(p99_ms=-1),
            "results.latency[0].p99_ms",
            "results.latency[0].p99_ms must be at least 0, not -1",
        ),
        (
            lambda c: c["results"]["confidence"].update(level=95),
            "results.confidence.level",
            "results.confidence.level must be less than 1, not 95",
        ),
        (
            lambda c: c["environment"]["packages"].update(numpy=2),
            "environment.packages.numpy",
            "environment.packages.numpy must be a string or null, not 2",
        ),
        (
            lambda c: c["targets"][0].update(batch=32),
            "targets[0].batch",
            "targets[0].batch must be null: only latency and throughput targets take a batch size, not 32",
        ),
        (
            lambda c: c["targets"][2].update(batch=None),
            "targets[2].batch",
            "targets[2].batch must be the batch size (a whole number, 1 or more) for a latency or throughput target, not null",
        ),
        (
            lambda c: c["targets"][0].update(metric="acuracy"),
            "targets[0].metric",
            "not 'acuracy'; did you mean 'accuracy'?",
        ),
        (
            lambda c: c["targets"][0].update(op="=>"),
            "targets[0].op",
            "targets[0].op must be one of '>=', '<=', '>', '<', '==', not '=>'",
        ),
        (
            lambda c: c["targets"][0].update(verdict="passed"),
            "targets[0].verdict",
            "targets[0].verdict must be one of 'pass', 'fail', 'unmeasured', not 'passed'; did you mean 'pass'?",
        ),
        (
            lambda c: c["identity"].update(intended_use="x" * 20001),
            "identity.intended_use",
            "identity.intended_use is too long: 20001 characters, at most 20000 allowed",
        ),
        (
            lambda c: c.update(datasets={}),
            "datasets",
            "datasets must be a list, not an object",
        ),
    ],
)
def test_schema_problems_are_sentences_with_a_path(contract, mutate, path, message):
    issues = _broken(contract, mutate)
    assert path in paths(issues), issues
    issue = issues[paths(issues).index(path)]
    assert message in issue.message
    assert str(issue) == issue.message


@pytest.mark.parametrize(
    ("mutate", "path", "message"),
    [
        (
            lambda c: c["model"].update(classes=[0, 1, 2]),
            "model.classes",
            "model.classes must list exactly 2 classes for a binary classifier, not 3",
        ),
        (
            lambda c: c["model"].update(format="onnx"),
            "model.format",
            "model.format is 'onnx' but model.file is 'model/model.skops'",
        ),
        (
            lambda c: c["datasets"].append(copy.deepcopy(c["datasets"][1])),
            "datasets[2].role",
            "datasets[2].role: there is already a test dataset (datasets[1]); one dataset per role",
        ),
        (
            lambda c: c["datasets"][1].update(file=None),
            "datasets[1].file",
            "datasets[1].file: the test dataset must be in the bundle (data/test.parquet)",
        ),
        (
            lambda c: c["datasets"][0].update(file="data/test.parquet"),
            "datasets[0].file",
            "datasets[0].file must be 'data/train.parquet' for the train dataset, not 'data/test.parquet'",
        ),
        (
            lambda c: c["datasets"][1].update(target="label"),
            "datasets[1].target",
            "datasets[1].target 'label' is not one of the dataset's columns",
        ),
        (
            lambda c: c["labels"].update(rows=170),
            "labels.rows",
            "labels.rows is 170 but the test dataset's is 169",
        ),
        (
            lambda c: c["predictions"].update(rows=100),
            "predictions.rows",
            "predictions.rows is 100 but the test set has 169 rows",
        ),
        (
            lambda c: c["results"]["metrics"]["accuracy"].update(ci_low=0.99),
            "results.metrics.accuracy",
            "results.metrics.accuracy: the interval is upside down (0.99 > 0.98246)",
        ),
        (
            lambda c: c["results"]["latency"][1].update(p50_ms=9.0),
            "results.latency[1]",
            "results.latency[1]: latency percentiles must not decrease from p50 to p99",
        ),
        (
            lambda c: c["targets"].append(copy.deepcopy(c["targets"][0])),
            "targets[4]",
            "targets[4] repeats the target for accuracy (targets[0])",
        ),
        (
            lambda c: c["targets"][0].update(threshold=95),
            "targets[0]",
            "targets[0]: threshold 95 is outside the range of accuracy (0 to 1); write 0.95 for 95 %",
        ),
        (
            lambda c: c["targets"][0].update(metric="rmse"),
            "targets[0].metric",
            "targets[0].metric: rmse does not apply to a binary classifier",
        ),
        (
            lambda c: c["targets"][0].update(threshold=0.99),
            "targets[0].verdict",
            "targets[0].verdict is 'pass' but accuracy>=0.99 with 0.96491 gives 'fail'",
        ),
        (
            lambda c: c["targets"][0].update(measured=0.99),
            "targets[0].measured",
            "targets[0].measured is 0.99 but the results give 0.96491; re-evaluate the targets",
        ),
        (
            lambda c: c["identity"]["authors"].append(dict(c["identity"]["authors"][0])),
            "identity.authors[1]",
            "identity.authors[1] repeats the key",
        ),
    ],
)
def test_consistency_problems(contract, mutate, path, message):
    issues = _broken(contract, mutate)
    assert (path, message) in [(i.path, i.message[: len(message)]) for i in issues], issues


def test_completeness_is_checked_before_signing(contract):
    draft = set_field(set_field(contract, "predictions", None), "identity.intended_use", "  ")
    assert validate_contract(draft) == []
    assert messages(validate_contract(draft, complete=True)) == [
        "predictions is missing: a bundle carries the predictions on the test set",
        "identity.intended_use is empty: say what the model is for",
    ]


def test_not_an_object():
    assert validate_contract([1, 2]) == [
        ValidationIssue("", "the contract must be a JSON object, not a list")
    ]


def test_check_contract_lists_every_problem(contract):
    broken = copy.deepcopy(contract)
    broken["identity"]["name"] = "bad name"
    broken["targets"][0]["threshold"] = "high"
    with pytest.raises(ContractInvalid) as info:
        check_contract(broken)
    err = info.value
    assert str(err).startswith("the contract has 2 problems: ")
    assert "identity.name must be" in str(err)
    assert "targets[0].threshold must be a number, not 'high'" in str(err)
    assert [i.path for i in err.issues] == ["identity.name", "targets[0].threshold"]
    assert err.exit_code == 1


# --------------------------------------------------------------------------- editing


def test_set_field_returns_a_new_contract(contract):
    before = copy.deepcopy(contract)
    changed = set_field(contract, "identity.intended_use", "Screening only.")
    assert changed["identity"]["intended_use"] == "Screening only."
    assert contract == before


def test_set_field_on_a_target_reevaluates_it(contract):
    stricter = set_field(contract, "targets.0.threshold", 0.97)
    assert stricter["targets"][0]["threshold"] == 0.97
    assert stricter["targets"][0]["verdict"] == "fail"
    looser = set_field(stricter, "targets[0].tolerance", 0.01)
    assert looser["targets"][0]["verdict"] == "pass"
    assert validate_contract(looser) == []


def test_set_field_into_free_form_maps(contract):
    changed = set_field(contract, 'environment.packages["onnxruntime"]', "1.18.0")
    assert changed["environment"]["packages"]["onnxruntime"] == "1.18.0"
    changed = set_field(contract, "environment.packages.pandas", "2.2.2")
    assert changed["environment"]["packages"]["pandas"] == "2.2.2"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "targets.0.threshold",
            "high",
            "cannot set targets[0].threshold: targets[0].threshold must be a number, not 'high'",
        ),
        (
            "identity.intended_usage",
            "x",
            "cannot set identity.intended_usage: identity.intended_usage is not a known field of identity; did you mean 'intended_use'?",
        ),
        (
            "identty.name",
            "x",
            "there is no field identty in the contract; did you mean 'identity'?",
        ),
        (
            "identity.foo.bar",
            1,
            "there is no field identity.foo in the contract; it has: authors, created, id, intended_use, limitations, name, problem_type, version",
        ),
        ("targets.9.threshold", 1, "targets has 4 entries; there is no targets[9]"),
        (
            "targets.first.threshold",
            1,
            "targets is a list; name an entry by its index, as in targets.0",
        ),
        ("identity.name.first", 1, "identity.name is 'binary-model'; it has no field 'first'"),
        (
            "targets.0.verdict",
            "pass",
            "targets[0].verdict is computed from the results; change the target or the results instead",
        ),
        ("targets.0.measured", 1.0, "targets[0].measured is computed from the results"),
        ("schema", "baton.contract/v2", "schema is fixed at 'baton.contract/v1'"),
        ("identity..name", "x", 'cannot read the field path "identity..name"'),
        ("", "x", "an empty field path names no field"),
        (
            "model.classes",
            [0, 1, 2],
            "cannot set model.classes: model.classes must list exactly 2 classes for a binary classifier, not 3",
        ),
        (
            "targets.0.metric",
            "mae",
            "cannot set targets[0].metric: targets[0].metric: mae does not apply to a binary classifier",
        ),
    ],
)
def test_set_field_refusals(contract, path, value, message):
    with pytest.raises(ContractError) as info:
        set_field(contract, path, value)
    assert str(info.value).startswith(message), str(info.value)


def test_add_and_remove_targets(contract):
    added = add_target(contract, "f1>=0.95±0.01")
    assert added["targets"][-1] == {
        "metric": "f1",
        "op": ">=",
        "threshold": 0.95,
        "batch": None,
        "tolerance": 0.01,
        "note": "",
        "measured": 0.9717,
        "verdict": "pass",
    }
    assert len(contract["targets"]) == 4
    added = add_target(added, parse_target("latency_p99_ms@512<=1", note="batch scoring at night"))
    assert added["targets"][-1]["verdict"] == "fail"
    assert added["targets"][-1]["note"] == "batch scoring at night"
    assert validate_contract(added) == []

    with pytest.raises(
        ContractError,
        match=r"there is already a target for latency_p95_ms@64 \(targets\[2\]: latency_p95_ms@64<=1\); change that one or remove it first",
    ):
        add_target(contract, "latency_p95_ms@64<=2")
    with pytest.raises(ContractError, match='unknown metric "acc"'):
        add_target(contract, "acc>=0.9")

    assert [t["metric"] for t in remove_target(contract, "accuracy")["targets"]] == [
        "roc_auc",
        "latency_p95_ms",
        "memory_mb",
    ]
    assert len(remove_target(contract, "latency_p95_ms@64")["targets"]) == 3
    assert len(remove_target(contract, "latency_p95_ms @ 64 <= 1")["targets"]) == 3
    assert len(remove_target(contract, parse_target("roc_auc>=0.5"))["targets"]) == 3
    assert remove_target(contract, 0)["targets"][0]["metric"] == "roc_auc"
    with pytest.raises(ContractError) as info:
        remove_target(contract, "latency_p95_ms")
    assert str(info.value) == (
        'there is no target for "latency_p95_ms@1"; the contract\'s targets are: '
        "accuracy>=0.95, roc_auc>=0.99, latency_p95_ms@64<=1, memory_mb<=64"
    )
    with pytest.raises(
        ContractError, match=r"there is no targets\[7\]; the contract has 4 targets: accuracy"
    ):
        remove_target(contract, 7)


def test_reevaluate_targets_follows_the_results(contract):
    edited = copy.deepcopy(contract)
    edited["results"]["metrics"]["accuracy"]["value"] = 0.9
    assert "targets[0].measured" in paths(validate_contract(edited))
    fresh = reevaluate_targets(edited)
    assert fresh["targets"][0]["measured"] == 0.9
    assert fresh["targets"][0]["verdict"] == "fail"
    assert validate_contract(fresh) == []
    assert edited["targets"][0]["verdict"] == "pass"  # input untouched


# --------------------------------------------------------------------------- versions


@pytest.mark.parametrize(
    ("a", "b", "order"),
    [
        ("1", "2", -1),
        ("1.10", "1.9", 1),
        ("2", "1.9.9", 1),
        ("1.0", "1.0.0", 0),
        ("1.0.0", "1", 0),
        ("3", "3", 0),
        ("0.9", "1.0", -1),
        ("1.2.3.4", "1.2.3.5", -1),
        ("20250314", "20250301", 1),
    ],
)
def test_compare_versions(a, b, order):
    assert compare_versions(a, b) == order
    assert compare_versions(b, a) == -order


@pytest.mark.parametrize("bad", ["v1", "1.0-rc1", "01.2", "1..2", "", "1.2.3.4.5", "1.0 "])
def test_compare_versions_refuses_non_versions(bad):
    with pytest.raises(
        ContractError, match="is not a version; use one to four dot-separated whole numbers"
    ):
        compare_versions(bad, "1")


# --------------------------------------------------------------------------- diff


def test_diff_of_a_contract_with_itself_is_empty(contract):
    assert diff_contracts(contract, copy.deepcopy(contract)) == []


def test_diff_matches_targets_by_metric_and_batch(contract):
    new = copy.deepcopy(contract)
    new["targets"].reverse()  # order alone is no change
    new = set_field(new, "targets.3.threshold", 0.97)  # accuracy, now last
    new = remove_target(new, "memory_mb")
    new = add_target(new, "latency_p95_ms@8<=0.5")
    changes = diff_contracts(contract, new)
    assert [(c.path, c.kind) for c in changes] == [
        ("targets[accuracy].threshold", "changed"),
        ("targets[accuracy].verdict", "changed"),
        ("targets[memory_mb]", "removed"),
        ("targets[latency_p95_ms@8]", "added"),
    ]
    threshold, verdict, removed, added = changes
    assert (threshold.old, threshold.new) == (0.95, 0.97)
    assert threshold.delta == pytest.approx(0.02)
    assert threshold.better is None
    assert (verdict.old, verdict.new, verdict.better) == ("pass", "fail", False)
    assert removed.old["metric"] == "memory_mb"
    assert added.new["batch"] == 8
    assert str(verdict) == "targets[accuracy].verdict: 'pass' → 'fail' (worse)"
    assert str(removed) == "targets[memory_mb]: removed (was memory_mb<=64)"
    assert str(added) == "targets[latency_p95_ms@8]: added latency_p95_ms@8<=0.5"


def test_diff_reports_metric_deltas_with_direction(contract):
    new = copy.deepcopy(contract)
    new["identity"]["version"] = "1.1.0"
    new["results"]["metrics"]["accuracy"]["value"] = 0.97
    new["results"]["metrics"]["log_loss"]["value"] = 0.05
    new["results"]["latency"][3]["p95_ms"] = 5.0
    new["results"]["latency"][3]["throughput_rps"] = 200_000.0
    new["results"]["memory"]["peak_predict_mb"] = 3.0
    new["datasets"][1]["rows"] = 170
    del new["results"]["metrics"]["mcc"]
    changes = {c.path: c for c in diff_contracts(contract, new)}
    assert changes["identity.version"] == Change("identity.version", "changed", "1.0.0", "1.1.0")
    accuracy = changes["results.metrics.accuracy.value"]
    assert accuracy.delta == pytest.approx(0.97 - 0.96491)
    assert accuracy.better is True
    assert changes["results.metrics.log_loss.value"].better is True
    assert changes["results.latency[512].p95_ms"].better is False
    assert changes["results.latency[512].throughput_rps"].better is True
    assert changes["results.memory.peak_predict_mb"].better is True
    assert changes["datasets[test].rows"].delta == 1
    assert changes["datasets[test].rows"].better is None
    assert changes["results.metrics.mcc"].kind == "removed"
    assert str(accuracy) == "results.metrics.accuracy.value: 0.96491 → 0.97 (+0.00509, better)"


def test_diff_reports_a_new_feature_order(contract):
    new = copy.deepcopy(contract)
    features = new["model"]["features"]
    features[0], features[1] = features[1], features[0]
    changes = diff_contracts(contract, new)
    assert [(c.path, c.kind) for c in changes] == [("model.features", "changed")]
    assert changes[0].new[:2] == ["mean texture", "mean radius"]


def test_diff_of_measured_targets_uses_the_metric_direction(contract):
    new = copy.deepcopy(contract)
    new["results"]["latency"][2]["p95_ms"] = 0.3
    new = reevaluate_targets(new)
    change = next(
        c for c in diff_contracts(contract, new) if c.path == "targets[latency_p95_ms@64].measured"
    )
    assert change.better is True


# --------------------------------------------------------------------------- files


def test_dump_is_canonical_and_round_trips(contract, tmp_path):
    c = set_field(contract, "identity.limitations", "Nicht für Kinder — 子供には不向き")
    data = dump_contract(c)
    assert data.endswith(b"}\n")
    assert data == dump_contract(json.loads(data))
    text = data.decode("utf-8")
    assert "Nicht für Kinder — 子供には不向き" in text
    assert text.startswith('{\n  "datasets": [')
    keys = list(json.loads(text))
    assert keys == sorted(keys)
    path = tmp_path / "contract.json"
    path.write_bytes(data)
    assert load_contract(path) == c


def test_dump_refuses_an_invalid_contract(contract):
    broken = copy.deepcopy(contract)
    broken["targets"][0]["threshold"] = float("nan")
    with pytest.raises(ContractInvalid, match=r"targets\[0\]"):
        dump_contract(broken)


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (
            lambda t: t.replace(
                '"schema": "baton.contract/v1"', '"schema": "baton.contract/v1", "schema": "x"'
            ),
            "contract.json repeats the JSON key 'schema'",
        ),
        (
            lambda t: t.replace('"threshold": 0.95', '"threshold": NaN'),
            "contract.json contains NaN, which JSON does not allow",
        ),
        (
            lambda t: t.replace('"threshold": 0.95', '"threshold": -Infinity'),
            "contract.json contains -Infinity, which JSON does not allow",
        ),
        (
            lambda t: t.replace('"threshold": 0.95', '"threshold": 1e999'),
            "contract.json contains the number 1e999, which is out of range",
        ),
        (lambda t: t[:-10], "contract.json is not valid JSON (truncated?): "),
        (lambda t: "\ufeff" + t, "contract.json starts with a byte-order mark"),
        (
            lambda t: t.replace('"schema": "baton.contract/v1"', '"schema": "baton.contract/v0"'),
            "contract.json has 1 problem: schema must be 'baton.contract/v1', not 'baton.contract/v0'",
        ),
    ],
)
def test_loading_is_strict(contract, tmp_path, mangle, message):
    path = tmp_path / "contract.json"
    path.write_text(mangle(dump_contract(contract).decode()), encoding="utf-8")
    with pytest.raises(ContractError) as info:
        load_contract(path)
    assert str(info.value).startswith(message), str(info.value)


def test_loading_refuses_bad_bytes(tmp_path):
    with pytest.raises(
        ContractError, match=r"contract.json is not UTF-8 text \(bad byte at offset 1\)"
    ):
        parse_contract(b"{\xff}")
    with pytest.raises(
        ContractError, match="review.json is not valid JSON: Expecting value at line 2, column 3"
    ):
        parse_contract(b"\n  x", source="review.json")
    with pytest.raises(ContractError, match="^review.json is empty$"):
        parse_contract(b"", source="review.json")
    with pytest.raises(ContractError, match="contract.json is too large"):
        parse_contract(b" " * (16 * 2**20 + 1))
    with pytest.raises(ContractError, match="cannot read .*missing.json"):
        load_contract(tmp_path / "missing.json")
    with pytest.raises(ContractError, match=r"contract.json is nested too deeply \(more than 64"):
        parse_contract(b"[" * 100_000 + b"]" * 100_000)


def test_set_field_names_an_impossible_threshold(contract):
    with pytest.raises(ContractError) as info:
        set_field(contract, "targets.0.threshold", 95)
    assert str(info.value) == (
        "cannot set targets[0].threshold: targets[0]: threshold 95 is outside the range of "
        "accuracy (0 to 1); write 0.95 for 95 %"
    )
