"""The two verdicts of a reproduction, judged by core from what was measured here.

The rows are built by the same functions reproduce uses, from a contract and from
measurements written out here, so every figure and sentence below is known in advance.
"""

from __future__ import annotations

from baton.core.contract.targets import parse_target
from baton.core.handover import review

BUSY = "other processes took 60 % of the CPU time"


def _result(here_p95: float, *, busy: bool, agreeing: int = 171) -> dict:
    """The issue's case: the editor showed p95 at batch 8 as 3.1 ms; here it is ``here_p95``."""
    target = parse_target("latency_p95_ms@8<=5")
    contract = {"targets": [target.to_dict(3.1)], "model": {}}
    claimed_rows = [{"batch_size": 8, "p50_ms": 2.0, "p95_ms": 3.1, "throughput_rps": 3000.0}]
    profile = {
        "latency": [
            {
                "batch_size": 8,
                "p50_ms": here_p95 / 2,
                "p95_ms": here_p95,
                "machine_busy": busy,
                "busy_reason": BUSY if busy else None,
                "other_cpu_share": 0.6 if busy else 0.02,
                "p50_stable": True,
            }
        ],
        "memory": {},
    }
    metrics = review._metric_rows(
        {"accuracy": {"value": 0.97}}, {"accuracy": {"value": 0.97}}, {"accuracy": {"value": 0.97}}
    )
    result = {
        "agreement": {"rows": 171, "agreeing": agreeing, "rate": agreeing / 171},
        "metrics": metrics,
        "latency": review._latency_rows(claimed_rows, profile["latency"]),
        "targets": review._target_rows(contract, {"metrics": {}}, profile),
    }
    result.update(review.judge_reproduction(result))
    return result


def test_a_latency_claim_missed_on_a_busy_machine_says_so_plainly():
    r = _result(25.8, busy=True)
    assert r["claims_reproduced"] is False and r["targets_met_on_this_machine"] is False
    assert r["machine_busy_here"] is True and r["verdict"] == "fail"
    assert r["headline"] == [
        "Claims reproduced: no — latency_p95_ms@8 is 25.80 ms here against 3.100 ms claimed "
        "(allowed ±775.0 µs) while this machine was busy.",
        "Targets met on this machine: no — latency_p95_ms@8<=5 measured 25.80 ms here on a "
        "busy machine.",
        f"Measured on a busy machine at batch size 8 ({BUSY}): these latencies are likely "
        "higher than on a quiet machine.",
        "Latency here may improve on a quiet machine: reproduce again when it is.",
    ]
    (target,) = r["targets"]
    assert target["busy_here"] is True and target["claim_within_tolerance"] is False


def test_a_latency_within_a_quarter_of_the_claim_reproduces_it():
    r = _result(3.8, busy=False)  # 3.1 ms claimed, allowed up to 3.1 + 0.775 ms
    assert r["claims_reproduced"] is True and r["targets_met_on_this_machine"] is True
    assert r["headline"] == [
        "Claims reproduced: yes — 171 of 171 predictions agree, every metric recomputes "
        "equal, latency and memory within tolerance of the claims.",
        "Targets met on this machine: yes — 1 of 1 passes.",
    ]
    assert r["verdict"] == "pass"


def test_predictions_that_differ_are_a_claim_not_reproduced_whatever_the_targets():
    r = _result(3.0, busy=False, agreeing=168)
    assert r["claims_reproduced"] is False and r["targets_met_on_this_machine"] is True
    assert r["headline"][0] == (
        "Claims reproduced: no — 3 of 171 predictions differ from the data scientist's."
    )
    assert r["headline"][1] == "Targets met on this machine: yes — 1 of 1 passes."


def test_a_candidate_that_does_not_reproduce_is_named_and_the_primary_s_line_says_whose(
    monkeypatch,
):
    """The page read "Claims not reproduced" over "Claims reproduced: yes — ..." when only a
    candidate had failed."""
    from types import SimpleNamespace

    from baton.core.handover import review

    cands = [
        SimpleNamespace(name="lr", primary=True, recommended=True),
        SimpleNamespace(name="hgb", primary=False, recommended=False),
    ]
    monkeypatch.setattr(review.cands, "candidates", lambda c: cands)
    monkeypatch.setattr(review.cands, "view", lambda c, cand: cand)
    fields = dict.fromkeys(review.CANDIDATE_FIELDS)
    primary = {
        **fields,
        "claims_reproduced": True,
        "headline": ["Claims reproduced: yes — 171 of 171 predictions agree.", "Targets met."],
    }
    failing = {**fields, "claims_reproduced": False}
    out = review._each_candidate({}, primary, lambda view, who: failing)
    assert out["claims_reproduced"] is False and out["claims_failed_for"] == ["hgb"]
    assert out["headline"] == [
        "Candidates whose claims did not reproduce: hgb.",
        "Claims of the primary model lr reproduced: yes — 171 of 171 predictions agree.",
        "Targets met.",
    ]


def test_agreement_counts_the_rows_whose_predictions_are_the_same():
    import numpy as np

    claimed = np.array([0, 1, 1, 0, 2])
    here = np.array([0, 1, 0, 0, 1])
    assert review._agreement("multiclass", claimed, here, None, None) == {
        "rows": 5,
        "agreeing": 3,
        "rate": 0.6,
    }
    # Files that typed the classes differently are compared as text: "1" is 1.
    text = np.array(["0", "1", "1", "0", "2"], dtype=object)
    assert review._agreement("multiclass", text, claimed, None, None)["agreeing"] == 5
    proba = np.array([[0.9, 0.1], [0.2, 0.8]])
    binary = review._agreement("binary", np.array([0, 1]), np.array([0, 1]), proba, proba + 0.01)
    assert binary["agreeing"] == 2 and abs(binary["max_probability_difference"] - 0.01) < 1e-12
    reg = review._agreement("regression", np.array([1.0, 2.0]), np.array([1.0, 2.5]), None, None)
    assert (reg["agreeing"], reg["max_abs_difference"]) == (1, 0.5)


def test_row_ids_are_the_same_only_in_the_same_order_and_number():
    import numpy as np

    ids = np.arange(5)
    assert review._same_ids(ids, np.arange(5))
    assert review._same_ids(ids.astype(str).astype(object), ids)  # typed differently
    assert not review._same_ids(ids, ids[::-1])
    assert not review._same_ids(ids, np.arange(4))
