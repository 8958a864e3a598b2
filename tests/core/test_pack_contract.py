"""Packing a draft signs what the editor showed; a refused or failed pack changes nothing.

A stored draft's measurements are reused while they still hold (same model, same data,
same package versions, its predictions file still stored); only what is stale or
missing is measured, and every figure that changed is listed before signing.
"""

from __future__ import annotations

import pytest

from baton.core.contract import document as contracts
from baton.core.contract import drafts
from baton.core.data.importer import import_dataset, import_model
from baton.core.errors import BatonError, Cancelled
from baton.core.handover import bundle, packing, trust
from baton.core.measure import runs as measure

PASS = "correct horse battery"
TABLES = ("models", "datasets", "evaluations", "profiles", "handovers")


@pytest.fixture
def bc(catalog, files):
    trust.create_identity(catalog, "Dana", "dana@example.org", PASS)
    import_dataset(catalog, files.bc_test_csv, name="bc-test", role="test", target="target")
    import_model(catalog, files.lr_skops, name="lr")
    drafts.new_draft(
        catalog, "lr", test="bc-test", name="bc-lr", version="1",
        requires=("accuracy>=0.9", "latency_p95_ms@8<=10000"),
        intended_use="Second reader for screening", budget_s=0.05,
    )  # fmt: skip
    return catalog


@pytest.fixture
def child_runs(monkeypatch):
    """The model child's tasks started by measuring, in order."""
    runs: list[tuple[str, dict]] = []
    real = measure.run_task

    def counting(task, params, **kw):
        runs.append((task, dict(params)))
        return real(task, params, **kw)

    monkeypatch.setattr(measure, "run_task", counting)
    return runs


def rows(catalog) -> dict[str, int]:
    return {t: catalog.count(t) for t in TABLES}


def test_a_fresh_draft_is_signed_as_shown_without_measuring(bc, child_runs, tmp_path):
    shown = drafts.load(bc, "bc-lr@1")
    asked = []
    result = packing.pack_draft(
        bc, "bc-lr@1", passphrase=PASS, out=tmp_path / "bc-lr-1.baton", budget_s=0.05,
        confirm=asked.append,
    )  # fmt: skip
    assert child_runs == [] and asked == []
    signed = result.contract
    assert signed["results"] == shown["results"]
    assert signed["environment"] == shown["environment"]
    assert [(t["measured"], t["verdict"]) for t in signed["targets"]] == [
        (t["measured"], t["verdict"]) for t in shown["targets"]
    ]
    with bundle.open_bundle(bc, result.path, record=False) as opened:
        assert opened.contract["results"]["latency"] == shown["results"]["latency"]


def test_a_new_target_batch_is_measured_alone_and_listed_before_signing(bc, child_runs, tmp_path):
    shown = contracts.add_target(drafts.load(bc, "bc-lr@1"), "latency_p95_ms@32<=10000")
    drafts.save(bc, shown)
    assert shown["targets"][-1]["verdict"] == "unmeasured"
    asked = []

    def confirm(changes):
        asked.extend(changes)
        return True

    result = packing.pack_draft(
        bc, "bc-lr@1", passphrase=PASS, out=tmp_path / "b.baton", budget_s=0.05, confirm=confirm
    )
    assert [(task, p.get("batch_sizes")) for task, p in child_runs] == [("profile", [32])]
    lines = [str(c) for c in asked]
    assert "targets[latency_p95_ms@32].verdict: 'unmeasured' → 'pass' (better)" in lines
    assert any(line.startswith("results.latency[32].p95_ms: added ") for line in lines)
    # the new row's figures, not how they were sampled (clock, budget, machine load)
    added = [line.split(":")[0] for line in lines if line.startswith("results.latency[32]")]
    assert added == [f"results.latency[32].{k}" for k in packing.LATENCY_FIGURES]
    signed = result.contract
    assert signed["results"]["metrics"] == shown["results"]["metrics"]
    old_rows = {r["batch_size"]: r for r in shown["results"]["latency"]}
    for row in signed["results"]["latency"]:
        if row["batch_size"] != 32:
            assert row == old_rows[row["batch_size"]]
    # The stored draft now carries the signed figures: the editor shows what was signed.
    stored = drafts.load(bc, "bc-lr@1")
    assert stored["results"] == signed["results"] and stored["targets"] == signed["targets"]


def test_a_changed_package_version_is_measured_again(bc, child_runs, tmp_path):
    draft = drafts.load(bc, "bc-lr@1")
    draft["environment"]["packages"]["scikit-learn"] = "0.0.1"
    drafts.save(bc, draft)
    asked = []

    def confirm(changes):
        asked.extend(changes)
        return True

    result = packing.pack_draft(
        bc, "bc-lr@1", passphrase=PASS, out=tmp_path / "b.baton", budget_s=0.05, confirm=confirm
    )
    assert sorted(task for task, _ in child_runs) == ["predict", "profile"]
    assert result.contract["environment"]["packages"]["scikit-learn"] != "0.0.1"
    paths = [c.path for c in asked]
    assert 'environment.packages["scikit-learn"]' in paths
    assert any(p.startswith("results.latency[8].") for p in paths)


def test_stopping_before_signing_leaves_no_bundle_and_no_rows(bc, tmp_path):
    draft = drafts.load(bc, "bc-lr@1")
    draft["environment"]["packages"]["scikit-learn"] = "0.0.1"
    drafts.save(bc, draft)
    before = rows(bc)
    out = tmp_path / "b.baton"
    with pytest.raises(Cancelled, match="nothing was signed"):
        packing.pack_draft(bc, "bc-lr@1", passphrase=PASS, out=out, budget_s=0.05,
                          confirm=lambda changes: False)  # fmt: skip
    assert rows(bc) == before and not out.exists()
    assert drafts.load(bc, "bc-lr@1")["environment"]["packages"]["scikit-learn"] == "0.0.1"


# --- a refused or failed pack changes nothing ----------------------------------------------


@pytest.fixture
def keyed(catalog):
    trust.create_identity(catalog, "Dana", "dana@example.org", PASS)
    return catalog


def pack_files(catalog, files, out, **kw):
    return packing.pack(
        catalog, str(files.lr_skops), test=str(files.bc_test_csv), target="target",
        name="bc-lr", version="1", passphrase=PASS, out=out,
        intended_use="Second reader", budget_s=0.05, **kw,
    )  # fmt: skip


def test_a_pack_cancelled_while_signing_changes_nothing(keyed, files, tmp_path):
    def cancel_at_signing(done, total, message):
        if message == "Signing":
            raise Cancelled("Cancelled by the user.")

    before = rows(keyed)
    with pytest.raises(Cancelled):
        pack_files(keyed, files, tmp_path / "b.baton", progress=cancel_at_signing)
    assert rows(keyed) == before == dict.fromkeys(TABLES, 0)
    assert not (tmp_path / "b.baton").exists()


def test_a_pack_whose_signing_fails_changes_nothing(keyed, files, tmp_path, monkeypatch):
    def broken(*a, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(packing.oms, "sign_folder", broken)
    with pytest.raises(OSError):
        pack_files(keyed, files, tmp_path / "b.baton")
    assert rows(keyed) == dict.fromkeys(TABLES, 0)


def test_a_pack_that_succeeds_commits_everything_with_its_handover(keyed, files, tmp_path):
    pack_files(keyed, files, tmp_path / "b.baton")
    counts = rows(keyed)
    assert counts == {**counts, "models": 1, "datasets": 1, "evaluations": 1, "handovers": 1}
    assert counts["profiles"] == 1


def test_a_pack_with_a_test_set_the_model_cannot_read_changes_nothing(keyed, files, tmp_path):
    with pytest.raises(BatonError):
        packing.pack(
            keyed, str(files.lr_skops), test=str(files.wine_csv), target="target",
            name="bc-lr", version="1", passphrase=PASS, out=tmp_path / "b.baton",
            intended_use="Second reader", budget_s=0.05,
        )  # fmt: skip
    assert rows(keyed) == dict.fromkeys(TABLES, 0)
