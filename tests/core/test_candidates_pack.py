"""The candidates list of a contract: its rules, how it is read, and the card's table.

Packing and verifying a real two-candidate bundle is in tests/cli/test_candidates_cli.py;
these tests build contracts in memory, so they run in a blink."""

from __future__ import annotations

import copy

import pytest

from baton.core.contract import candidates as cands
from baton.core.contract import card
from baton.core.contract import document as contracts
from baton.core.errors import UsageError
from tests.core.test_contract import make_contract


def two(recommend: bool = True) -> dict:
    """A binary contract whose primary candidate is ``gbm`` and whose other is ``lr``."""
    c = make_contract()
    other = copy.deepcopy(c)
    other["model"]["file"] = "candidates/lr/model.skops"
    other["model"]["sha256"] = "1" * 64
    other["model"]["params"] = 31
    other["predictions"]["file"] = "candidates/lr/predictions.parquet"
    other["results"]["metrics"]["accuracy"] = {"value": 0.93, "ci_low": 0.9, "ci_high": 0.96}
    other = contracts.reevaluate_targets(other)
    c["candidates"] = [
        cands.entry("gbm", c, recommended=recommend),
        cands.entry("lr", other),
    ]
    return c


def problems(c: dict) -> list[str]:
    return [i.message for i in contracts.validate_contract(c, complete=True)]


def test_a_contract_of_two_candidates_is_valid_and_read_in_order():
    c = two()
    assert problems(c) == []
    gbm, lr = cands.candidates(c)
    assert (gbm.name, gbm.primary, gbm.recommended) == ("gbm", True, True)
    assert (lr.name, lr.primary, lr.recommended) == ("lr", False, False)
    assert cands.choose(c).name == "gbm"
    assert cands.others(c) == [lr]
    assert lr.targets[0]["verdict"] == "fail"  # accuracy>=0.95 with 0.93


def test_a_view_is_a_one_model_contract_of_that_candidate():
    c = two()
    seen = cands.view(c, "lr")
    assert "candidates" not in seen
    assert seen["model"]["file"] == "candidates/lr/model.skops"
    assert seen["results"]["metrics"]["accuracy"]["value"] == 0.93
    assert c["model"]["file"] == "model/model.skops"  # the contract is left as it was


def test_without_a_recommendation_choosing_needs_a_name():
    c = two(recommend=False)
    assert problems(c) == []
    with pytest.raises(UsageError, match="this handover has 2 candidates and recommends none"):
        cands.choose(c)
    assert cands.choose(c, "lr").name == "lr"


def test_a_one_model_contract_keeps_todays_layout():
    c = make_contract()
    assert "candidates" not in c
    assert not cands.is_multi(c)
    assert "## Candidates" not in card.render_markdown(c)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda c: c["candidates"][1].update(name="GBM"),
            "candidates[1].name 'GBM' repeats candidates[0]'s name",
        ),
        (
            lambda c: c["candidates"][1].update(recommended=True),
            "candidates recommends more than one model",
        ),
        (
            lambda c: c["candidates"][1]["model"].update(file="candidates/svm/model.skops"),
            "candidates[1].model.file must be 'candidates/lr/model.skops'",
        ),
        (
            lambda c: c["candidates"][1]["model"].update(classes=[0, 2]),
            "candidates[1].model.classes: every candidate must predict the same classes",
        ),
        (
            lambda c: c["candidates"][1]["targets"].pop(),
            "candidates[1].targets must be the contract's agreed targets",
        ),
        (
            lambda c: c["candidates"][1]["targets"][0].update(verdict="pass"),
            "candidates[1] (lr): targets[0].verdict is 'pass' but",
        ),
        (
            lambda c: c["candidates"][0]["results"].update(n_rows=1),
            "candidates[0].results must equal the contract's results",
        ),
        (
            lambda c: c["model"].update(file="candidates/gbm/model.skops"),
            "model.file must be 'model/model.skops' or 'model/model.onnx', not",
        ),
        (
            lambda c: c["candidates"].pop(),
            "candidates must have at least 2 entries",
        ),
    ],
)
def test_the_candidates_rules_are_sentences(mutate, message):
    c = two()
    mutate(c)
    found = problems(c)
    assert any(message in m for m in found), found


def test_the_card_shows_the_candidates_side_by_side():
    text = card.render_markdown(two())
    assert "## Candidates" in text
    assert "The sections below describe gbm (the recommended one)" in text
    assert "| gbm (recommended) | `skops` |" in text
    assert "0.93 (0.90 – 0.96)" in text
    assert "| 3 of 4 pass |" in text  # lr fails accuracy>=0.95


def test_comparison_rows_for_the_views():
    rows = cands.comparison(two())
    assert [r["name"] for r in rows] == ["gbm", "lr"]
    assert rows[1]["params"] == 31 and rows[1]["verdicts"]["accuracy"] == "fail"
    assert cands.key_metrics("binary", rows) == ["accuracy", "roc_auc", "f1"][: len(
        cands.key_metrics("binary", rows))]  # fmt: skip
    assert cands.primary_metric("regression") == "r2"
