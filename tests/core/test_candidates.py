"""Reading a contract's candidates: one per model, chosen by name."""

from __future__ import annotations

import pytest

from baton.core.contract.candidates import candidates, choose
from baton.core.errors import UsageError

ONE = {
    "identity": {"name": "churn"},
    "model": {"file": "model/model.skops", "format": "skops"},
    "predictions": {"file": "predictions/test.parquet"},
    "results": {"metrics": {}},
    "targets": [{"metric": "accuracy"}],
}


def test_a_one_model_contract_has_one_candidate_named_after_the_handover():
    (only,) = candidates(ONE)
    assert only.name == "churn"
    assert only.model["file"] == "model/model.skops"
    assert only.predictions == {"file": "predictions/test.parquet"}
    assert only.targets == [{"metric": "accuracy"}]
    assert choose(ONE) is not None and choose(ONE).name == "churn"
    assert choose(ONE, "churn").model is ONE["model"]


def test_choosing_a_name_the_handover_lacks_lists_its_candidates():
    with pytest.raises(
        UsageError, match=r"no candidate named 'gbm' in this handover; its candidates are churn"
    ):
        choose(ONE, "gbm")
