"""Paired differences between two models on the same rows: intervals, McNemar, verdicts."""

from __future__ import annotations

import numpy as np
import pytest

from baton.core.errors import DatasetError
from baton.core.measure import metrics
from baton.core.measure.paired import NOT_DISTINGUISHABLE, paired_differences

pytest_plugins = ["tests.handover"]  # its fixtures: handover


def _labels(n: int = 400, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, n)


def _flip(y: np.ndarray, share: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = y.copy()
    wrong = rng.random(len(y)) < share
    out[wrong] = 1 - out[wrong]
    return out


def test_a_much_better_model_is_better_and_the_worse_one_worse():
    y = _labels()
    good, bad = _flip(y, 0.05, 2), _flip(y, 0.30, 3)
    found = {
        d.metric: d for d in paired_differences(y, bad, good, task="binary", seed=0, n_boot=300)
    }
    acc = found["accuracy"]
    assert acc.verdict == "better" and acc.direction == "higher"
    assert acc.ci_low is not None and acc.ci_low > 0
    assert acc.mcnemar_p is not None and acc.mcnemar_p < 1e-6
    assert acc.only_b_right > acc.only_a_right
    # the point values are exactly the contract's metrics
    assert (
        acc.a
        == metrics.evaluate_predictions("binary", y, bad, bootstrap=0)["metrics"]["accuracy"][
            "value"
        ]
    )
    back = {
        d.metric: d for d in paired_differences(y, good, bad, task="binary", seed=0, n_boot=300)
    }
    assert back["accuracy"].verdict == "worse" and back["accuracy"].difference < 0


def test_nearly_equal_models_are_not_distinguishable():
    y = _labels(171)
    a = _flip(y, 0.05, 4)
    b = a.copy()
    b[np.flatnonzero(b == y)[:1]] ^= 1  # one row more wrong: 0.95 against 0.94
    found = {d.metric: d for d in paired_differences(y, a, b, task="binary", seed=0, n_boot=300)}
    acc = found["accuracy"]
    assert acc.verdict == NOT_DISTINGUISHABLE
    assert acc.ci_low <= 0 <= acc.ci_high and acc.mcnemar_p >= 0.05


def test_identical_predictions_differ_by_nothing():
    y = _labels(100)
    a = _flip(y, 0.1, 5)
    proba = np.where(a == 1, 0.8, 0.2)
    found = paired_differences(y, (a, proba), (a, proba), task="binary", seed=0, n_boot=100)
    assert {d.metric for d in found} >= {"accuracy", "roc_auc", "log_loss", "f1"}
    assert all(d.difference == 0 and d.verdict == NOT_DISTINGUISHABLE for d in found)


def test_lower_is_better_for_log_loss_and_regression_errors():
    y = _labels(300)
    sharp = np.where(y == 1, 0.9, 0.1)
    vague = np.where(y == 1, 0.55, 0.45)
    pred = y.copy()
    found = {
        d.metric: d
        for d in paired_differences(y, (pred, vague), (pred, sharp), task="binary", n_boot=200)
    }
    assert found["log_loss"].direction == "lower" and found["log_loss"].verdict == "better"
    rng = np.random.default_rng(0)
    target = rng.normal(size=300)
    close, far = target + rng.normal(0, 0.1, 300), target + rng.normal(0, 1.0, 300)
    reg = {
        d.metric: d for d in paired_differences(target, far, close, task="regression", n_boot=200)
    }
    assert reg["mae"].verdict == "better" and reg["mae"].difference < 0
    assert reg["r2"].verdict == "better" and reg["r2"].difference > 0
    assert "max_error" not in reg


def test_a_prediction_outside_the_classes_is_refused_with_its_words():
    y = _labels(50)
    b = y.copy()
    b[0] = 7
    with pytest.raises(DatasetError, match="predictions contain classes not"):
        paired_differences(y, y, b, task="binary", classes=[0, 1], n_boot=10)


# --- baton diff: two versions' predictions paired on the same test rows -----------------


def test_diff_pairs_two_versions_measured_on_the_same_test_set(handover, files, tmp_path):
    from tests.handover import INTENDED_USE, NAME, as_json, make_world, ok, run

    w = make_world(handover, tmp_path)
    v2 = w.path(f"{NAME}-2.baton")
    ok(run(w.ds, "pack", files.lr_onnx, "--test", files.bc_test_csv, "--target", "target",
           "--name", NAME, "--version", "2", "--intended-use", INTENDED_USE,
           "--budget", "0.05", "--out", v2))  # fmt: skip
    d = as_json(ok(run(w.mle, "diff", w.bundle, v2, "--json")))
    paired = d["paired"]
    assert paired["compared"] is True and paired["rows"] == 169
    assert paired["matched_by"] == "position" and paired["level"] == 0.95
    acc = next(m for m in paired["differences"] if m["metric"] == "accuracy")
    # the same model exported to ONNX: no difference anyone could rely on
    assert acc["verdict"] == NOT_DISTINGUISHABLE and acc["mcnemar_p"] >= 0.05
    text = ok(run(w.mle, "diff", w.bundle, v2)).stdout
    assert (
        "Paired on the same 169 test rows (matched by position; new minus old, 95 % paired" in text
    )
    row = next(line for line in text.splitlines() if line.startswith("Accuracy "))
    assert row.rstrip().endswith("not distinguishable")
