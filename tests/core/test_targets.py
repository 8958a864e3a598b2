"""Target grammar, measured values and verdicts (DESIGN.md section 4)."""

from __future__ import annotations

import pytest

from baton.core.contract.targets import (
    BATCHED_METRICS,
    TARGET_METRICS,
    Target,
    evaluate_target,
    measured_value,
    metric_direction,
    parse_target,
)
from baton.core.errors import ContractError

# Copied verbatim from DESIGN.md section 4.
DESIGN_NAMES = """accuracy balanced_accuracy precision recall specificity f1 f1_macro f1_weighted roc_auc
pr_auc log_loss mcc mae rmse r2 mape latency_p50_ms latency_p90_ms latency_p95_ms
latency_p99_ms throughput_rps memory_mb model_size_mb params""".split()  # noqa: SIM905

VALID_NAMES = "Valid names: " + ", ".join(DESIGN_NAMES) + "."


def test_metric_names_are_those_of_the_design():
    assert list(TARGET_METRICS) == DESIGN_NAMES


@pytest.mark.parametrize("metric", DESIGN_NAMES)
def test_every_metric_parses_and_round_trips(metric):
    target = parse_target(f"{metric}>=0.5")
    assert target.metric == metric
    assert target.op == ">="
    assert target.threshold == 0.5
    assert target.batch == (1 if metric in BATCHED_METRICS else None)
    assert parse_target(target.expr()) == target


@pytest.mark.parametrize(
    ("expr", "metric", "op", "threshold", "batch", "tolerance"),
    [
        ("accuracy>=0.95", "accuracy", ">=", 0.95, None, 0.0),
        ("latency_p95_ms@32<=20", "latency_p95_ms", "<=", 20.0, 32, 0.0),
        ("latency_p99_ms<50", "latency_p99_ms", "<", 50.0, 1, 0.0),
        ("throughput_rps@64>1000", "throughput_rps", ">", 1000.0, 64, 0.0),
        ("  latency_p95_ms @ 32 <= 20  ", "latency_p95_ms", "<=", 20.0, 32, 0.0),
        ("Accuracy >= 0.9", "accuracy", ">=", 0.9, None, 0.0),
        ("r2>=-0.5", "r2", ">=", -0.5, None, 0.0),
        ("params<=1e6", "params", "<=", 1_000_000.0, None, 0.0),
        ("f1>.8", "f1", ">", 0.8, None, 0.0),
        ("mcc==0.7", "mcc", "==", 0.7, None, 0.0),
        ("accuracy>=0.95±0.01", "accuracy", ">=", 0.95, None, 0.01),
        ("accuracy >= 0.95 +- 0.01", "accuracy", ">=", 0.95, None, 0.01),
        ("memory_mb<=512+/-16", "memory_mb", "<=", 512.0, None, 16.0),
    ],
)
def test_parse(expr, metric, op, threshold, batch, tolerance):
    target = parse_target(expr)
    assert (target.metric, target.op, target.threshold, target.batch, target.tolerance) == (
        metric,
        op,
        threshold,
        batch,
        tolerance,
    )
    assert parse_target(target.expr()) == target


def test_expr_is_compact_and_explicit():
    assert parse_target("latency_p95_ms <= 20.0").expr() == "latency_p95_ms@1<=20"
    assert parse_target("accuracy>=0.95+-0.01").expr() == "accuracy>=0.95±0.01"
    assert str(parse_target("accuracy >= 0.95")) == "accuracy>=0.95"
    assert parse_target("latency_p95_ms@32<=20").key == "latency_p95_ms@32"


def test_note_travels_with_the_target_not_the_expression():
    target = parse_target("accuracy>=0.95", note="agreed with ops")
    assert target.note == "agreed with ops"
    assert target.expr() == "accuracy>=0.95"


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (
            "acuracy>=0.9",
            f'unknown metric "acuracy" in "acuracy>=0.9"; did you mean "accuracy"? {VALID_NAMES}',
        ),
        (
            "latency_p95ms<=3",
            'unknown metric "latency_p95ms" in "latency_p95ms<=3"; did you mean "latency_p95_ms"?',
        ),
        ("rocauc>=0.9", 'did you mean "roc_auc"?'),
        ("zebra>=1", f'unknown metric "zebra" in "zebra>=1". {VALID_NAMES}'),
        (">=0.9", f'missing metric name in ">=0.9". {VALID_NAMES}'),
        (
            "",
            'empty target expression; expected METRIC[@BATCH] OP THRESHOLD, e.g. "accuracy>=0.95".',
        ),
        ("   ", "empty target expression"),
        (
            "accuracy=>0.9",
            'unknown operator "=>" in "accuracy=>0.9"; did you mean ">="? Use one of >=, <=, >, <, ==.',
        ),
        ("accuracy=0.9", 'unknown operator "=" in "accuracy=0.9"; did you mean "=="?'),
        ("accuracy!=0.9", 'unknown operator "!=" in "accuracy!=0.9". Use one of >=, <=, >, <, ==.'),
        (
            "accuracy 0.9",
            'missing comparison operator in "accuracy 0.9"; use one of >=, <=, >, <, ==',
        ),
        (
            "accuracy>=",
            'missing threshold in "accuracy>="; expected a number, e.g. "accuracy>=0.95"',
        ),
        ("accuracy>=high", 'threshold "high" is not a number in "accuracy>=high"'),
        ("accuracy>=nan", 'threshold "nan" is not a number in "accuracy>=nan"'),
        ("accuracy>=inf", 'threshold "inf" is not a number'),
        ("accuracy>=0.9 0.8", 'threshold "0.9 0.8" is not a number'),
        ("accuracy>=0.9±", 'missing tolerance in "accuracy>=0.9±"'),
        ("accuracy>=0.9±a bit", 'tolerance "a bit" is not a number'),
        (
            "accuracy@32>=0.9",
            '"accuracy" does not take a batch size in "accuracy@32>=0.9": only latency_p50_ms, '
            'latency_p90_ms, latency_p95_ms, latency_p99_ms, throughput_rps do, e.g. "latency_p95_ms@32<=20"',
        ),
        (
            "latency_p95_ms@0<=20",
            'batch size must be a positive whole number, not "0" in "latency_p95_ms@0<=20"',
        ),
        ("latency_p95_ms@-4<=20", 'batch size must be a positive whole number, not "-4"'),
        ("latency_p95_ms@big<=20", 'batch size must be a positive whole number, not "big"'),
        ("latency_p95_ms@1.5<=20", 'batch size must be a positive whole number, not "1.5"'),
        ("latency_p95_ms@<=20", 'missing batch size after @ in "latency_p95_ms@<=20"'),
        (
            "accuracy>=95",
            'threshold 95 is outside the range of accuracy (0 to 1) in "accuracy>=95"; write 0.95 for 95 %',
        ),
        ("mcc>=-2", "threshold -2 is outside the range of mcc (-1 to 1)"),
        ("r2>=1.5", "threshold 1.5 is outside the range of r2 (at most 1)"),
        ("latency_p50_ms<=-1", "threshold -1 is outside the range of latency_p50_ms (0 or more)"),
    ],
)
def test_bad_expressions_say_what_is_wrong(expr, message):
    with pytest.raises(ContractError) as info:
        parse_target(expr)
    assert message in str(info.value)


def test_target_objects_are_checked_too():
    with pytest.raises(ContractError, match="threshold must be a number, not '0.9'"):
        Target("accuracy", ">=", "0.9")
    with pytest.raises(ContractError, match="tolerance must be 0 or more, not -0.1"):
        Target("accuracy", ">=", 0.9, tolerance=-0.1)
    with pytest.raises(ContractError, match='did you mean "roc_auc"'):
        Target("roc-auc", ">=", 0.9)
    assert Target("latency_p95_ms", "<=", 20).batch == 1


# --------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize(
    ("expr", "measured", "verdict"),
    [
        ("accuracy>=0.95", 0.95, "pass"),
        ("accuracy>=0.95", 0.9499, "fail"),
        ("accuracy>=0.95±0.01", 0.94, "pass"),
        ("accuracy>=0.95±0.01", 0.9399, "fail"),
        ("accuracy>0.95", 0.95, "fail"),
        ("accuracy>0.95±0.01", 0.9401, "pass"),
        ("latency_p95_ms@32<=20", 20.0, "pass"),
        ("latency_p95_ms@32<=20", 20.01, "fail"),
        ("latency_p95_ms@32<=20±1", 21.0, "pass"),
        ("latency_p95_ms@32<=20±1", 21.01, "fail"),
        ("latency_p99_ms<20", 20.0, "fail"),
        ("latency_p99_ms<20±0.5", 20.4, "pass"),
        ("params==31", 31.0, "pass"),
        ("params==31", 32.0, "fail"),
        ("params==31±1", 32.0, "pass"),
        ("mcc==0.3", 0.1 + 0.2, "pass"),
        ("accuracy>=0.95", None, "unmeasured"),
        ("latency_p50_ms<=1", None, "unmeasured"),
    ],
)
def test_verdicts_with_tolerance(expr, measured, verdict):
    assert evaluate_target(parse_target(expr), measured) == verdict


# --------------------------------------------------------------------------- measuring

EVALUATION = {
    "problem_type": "binary",
    "n_rows": 169,
    "metrics": {
        "accuracy": {"value": 0.9649, "ci_low": 0.947, "ci_high": 0.982},
        "roc_auc": {"value": None, "ci_low": None, "ci_high": None},
    },
}
PROFILE = {
    "latency": [
        {
            "batch_size": 1,
            "samples": 2000,
            "p50_ms": 0.21,
            "p90_ms": 0.25,
            "p95_ms": 0.27,
            "p99_ms": 0.4,
            "throughput_rps": 4500.0,
        },
        {
            "batch_size": 32,
            "samples": 800,
            "p50_ms": 1.1,
            "p90_ms": 1.3,
            "p95_ms": 1.4,
            "p99_ms": 2.2,
            "throughput_rps": 27000.0,
        },
    ],
    "memory": {"rss_delta_after_load_mb": 3.5, "peak_predict_mb": 12.25, "size_on_disk_mb": 0.01},
}
MODEL = {"size_bytes": 3 * 2**20, "params": 31}


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("accuracy>=0.9", 0.9649),
        ("roc_auc>=0.9", None),  # undefined on this test set
        ("f1>=0.9", None),  # not in the results
        ("latency_p95_ms<=1", 0.27),
        ("latency_p95_ms@32<=1", 1.4),
        ("latency_p50_ms@32<=1", 1.1),
        ("latency_p99_ms@32<=1", 2.2),
        ("latency_p95_ms@64<=1", None),  # batch size not profiled
        ("throughput_rps@32>=1", 27000.0),
        ("memory_mb<=100", 15.75),  # resident after load + peak while predicting
        ("model_size_mb<=100", 3.0),
        ("params<=100", 31.0),
    ],
)
def test_measured_value_reads_the_right_figure(expr, value):
    assert measured_value(parse_target(expr), EVALUATION, PROFILE, MODEL) == value


def test_measured_value_copes_with_nothing_measured():
    assert measured_value(parse_target("accuracy>=0.9"), None, None, None) is None
    assert measured_value(parse_target("latency_p50_ms<=1"), {}, {"latency": []}, {}) is None
    assert (
        measured_value(
            parse_target("memory_mb<=1"),
            {},
            {"memory": {"peak_predict_mb": None, "rss_delta_after_load_mb": 3.0}},
            {},
        )
        is None
    )


@pytest.mark.parametrize(
    ("metric", "direction"),
    [
        ("accuracy", "higher"),
        ("roc_auc", "higher"),
        ("r2", "higher"),
        ("mcc", "higher"),
        ("throughput_rps", "higher"),
        ("log_loss", "lower"),
        ("mae", "lower"),
        ("rmse", "lower"),
        ("mape", "lower"),
        ("max_error", "lower"),
        ("latency_p95_ms", "lower"),
        ("memory_mb", "lower"),
        ("model_size_mb", "lower"),
        ("params", "lower"),
        ("colour", None),
    ],
)
def test_metric_direction(metric, direction):
    assert metric_direction(metric) == direction


def test_every_target_metric_has_a_direction():
    assert all(metric_direction(m) in ("higher", "lower") for m in TARGET_METRICS)
