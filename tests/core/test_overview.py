"""What waits in a catalog: the home page's stages and `baton status`, from SQL."""

from __future__ import annotations

from pathlib import Path

from baton.core.catalog.overview import DEMO_MARKER, overview


def _model(catalog, name: str, sha: int, created: str) -> dict:
    return catalog.add_model(
        {
            "name": name,
            "format": "skops",
            "sha256": f"{sha:064x}",
            "estimator": "LogisticRegression",
            "task": "binary",
            "created_at": created,
        }
    )


def _sent(catalog, name: str, version: str, model: dict, path: Path, **extra) -> dict:
    path.write_bytes(b"bundle")
    return catalog.handovers.record(
        "sent", name, version, f"{hash(name + version) & 0xFFFF:064x}", "s" * 64, "f" * 64,
        path, "packed", {"model": {"sha256": model["sha256"]}, **extra},
    )  # fmt: skip


def _review(catalog, handover: dict, decision: str) -> None:
    catalog.handovers.record_review(
        handover["id"],
        {
            "decision": decision,
            "comment": "",
            "reviewer": {"name": "Eli", "fingerprint": "e" * 64},
            "created": "2026-01-01T00:00:00Z",
        },
    )


def test_an_empty_catalog_says_so(catalog):
    found = overview(catalog)
    assert found.empty and not found.demo
    assert (found.models, found.sent, found.received) == ([], [], [])


def test_each_model_is_counted_once_at_its_furthest_stage(catalog, tmp_path):
    models = [_model(catalog, f"m{i}", i, f"2026-01-0{i + 1}T00:00:00Z") for i in range(8)]
    dataset = catalog.add_dataset(
        {"name": "test", "format": "csv", "sha256": "d" * 64, "fingerprint": "p" * 64}
    )
    for m in models[1:]:  # m0 alone was never measured
        catalog.add_measurement("evaluations", m, dataset, {"accuracy": 0.9})
    catalog.drafts.save("churn", "1", {}, models[2]["id"])  # drafted, not packed
    _sent(catalog, "churn", "0", models[3], tmp_path / "a.baton")  # packed, no review yet
    catalog.drafts.save("churn", "0", {}, models[3]["id"])  # its draft was packed
    candidate = {"candidates": [{"model": {"sha256": models[5]["sha256"]}}]}
    h = _sent(catalog, "fraud", "1", models[4], tmp_path / "b.baton", **candidate)
    _review(catalog, h, "changes")
    h = _sent(catalog, "fraud", "2", models[6], tmp_path / "c.baton")
    _review(catalog, h, "accept")
    (tmp_path / "c.baton").unlink()

    found = overview(catalog, shown=3)
    # m0 unmeasured; m1, m7 measured; m2 has an unsent draft; m3-m6 went out in bundles
    # (m5 as fraud 1's candidate), whatever their drafts and measurements.
    by_key = {s.key: s for s in found.models}
    assert {k: s.count for k, s in by_key.items()} == {
        "not_evaluated": 1,
        "evaluated": 2,
        "drafted": 1,
    }
    assert [i.label for i in by_key["evaluated"].items] == ["m7", "m1"]  # newest first
    assert by_key["evaluated"].items[0].detail == "LogisticRegression · binary"
    assert by_key["drafted"].action == "export"
    assert [(s.key, s.count) for s in found.sent] == [("packed", 1), ("changes", 1), ("accept", 1)]
    accepted = found.sent[2].items[0]
    assert (accepted.label, accepted.detail, accepted.exists) == (
        "fraud 2",
        "accepted by Eli",
        False,
    )
    assert found.sent[1].items[0].detail == "changes requested by Eli"
    assert not found.empty and not found.demo


def test_only_the_newest_few_are_named_and_the_count_says_the_rest(catalog):
    for i in range(12):
        _model(catalog, f"m{i:02d}", i, f"2026-01-{i + 1:02d}T00:00:00Z")
    (stage,) = overview(catalog, shown=5).models
    assert stage.count == 12 and [i.label for i in stage.items] == [
        "m11", "m10", "m09", "m08", "m07",
    ]  # fmt: skip


def test_received_bundles_wait_for_a_decision_then_are_decided(catalog, tmp_path):
    catalog.trusted_keys  # noqa: B018 - the table exists
    for name, status in (("a", "verified"), ("b", "accept")):
        path = tmp_path / f"{name}.baton"
        path.write_bytes(b"x")
        catalog.handovers.record(
            "received", name, "1", name * 64, "s" * 64, "f" * 64, path, status, {}
        )
    found = overview(catalog)
    assert [(s.key, [i.label for i in s.items]) for s in found.received] == [
        ("verified", ["a 1"]),
        ("decided", ["b 1"]),
    ]
    assert found.received[0].items[0].detail == "verified, no decision yet"
    assert found.received[1].items[0].detail == "accepted"
    assert found.models == [] and not found.empty


def test_the_demo_workspace_is_recognised(catalog):
    (Path(catalog.home) / DEMO_MARKER).write_text("built by baton demo")
    assert overview(catalog).demo
