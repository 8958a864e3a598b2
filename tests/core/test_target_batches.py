"""Every batch size a target names is profiled: when drafting, and when the editor asks."""

from __future__ import annotations

import pytest

from baton.core.contract import document as contracts
from baton.core.contract import drafts
from baton.core.data.importer import import_dataset, import_model
from baton.core.measure import runs as measure


@pytest.fixture
def bc(catalog, files):
    import_dataset(catalog, files.bc_test_csv, name="bc-test", role="test", target="target")
    import_model(catalog, files.lr_skops, name="lr")
    measure.evaluate(catalog, "lr", "bc-test", bootstrap=0)
    measure.profile(catalog, "lr", "bc-test", batch_sizes=(1, 16), budget_s=0.05)
    return catalog


def test_batch_sizes_for_adds_what_targets_name():
    targets = [contracts.as_target("latency_p95_ms@32<=20"), contracts.as_target("f1>=0.9")]
    assert measure.batch_sizes_for(targets) == (1, 8, 32, 64, 512)
    assert measure.batch_sizes_for([t.to_dict() for t in targets], base=(1, 16)) == (1, 16, 32)


def test_drafting_with_a_target_at_an_unprofiled_batch_size_profiles_it(bc):
    draft = drafts.new_draft(
        bc, "lr", test="bc-test", name="lr", version="1",
        requires=("latency_p95_ms@32<=20",), budget_s=0.05,
    )  # fmt: skip
    assert [row["batch_size"] for row in draft["results"]["latency"]] == [1, 16, 32]
    (target,) = draft["targets"]
    assert target["measured"] == draft["results"]["latency"][2]["p95_ms"]
    assert target["verdict"] in ("pass", "fail")


def test_a_draft_measured_again_for_a_new_target(bc):
    draft = drafts.new_draft(bc, "lr", test="bc-test", name="lr", version="1", budget_s=0.05)
    assert [row["batch_size"] for row in draft["results"]["latency"]] == [1, 16]
    draft = contracts.add_target(draft, "throughput_rps@128>=10")
    assert contracts.unmeasured_batches(draft) == [128]
    assert draft["targets"][0]["verdict"] == "unmeasured"
    measured = drafts.measure_targets(bc, draft, "lr", budget_s=0.05)
    assert contracts.unmeasured_batches(measured) == []
    assert [row["batch_size"] for row in measured["results"]["latency"]] == [1, 16, 128]
    row = measured["results"]["latency"][2]
    assert measured["targets"][0]["measured"] == row["throughput_rps"]
    assert measured["results"]["metrics"] == draft["results"]["metrics"]  # quality untouched
    assert isinstance(row["machine_busy"], bool) and isinstance(row["p50_stable"], bool)
