"""The monitoring baseline (profiles, PSI, KS, strict reading) and ``drift.check_drift``
on real bundles, including one packed before baselines existed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from baton.core.catalog.store import Catalog
from baton.core.errors import UsageError, VerificationError
from baton.core.handover import bundle
from baton.core.handover.drift import check_drift
from baton.core.measure import baseline, baseline_file
from tests.handover import World, contract_of, edit_contract, read_members, rewrite

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world

RNG = np.random.default_rng(0)


def _reference() -> pa.Table:
    return pa.table(
        {
            "age": RNG.normal(40, 10, 1000),
            "city": RNG.choice(["Lyon", "Porto", "Turku"], 1000),
            "flag": RNG.integers(0, 2, 1000),
            "target": RNG.integers(0, 2, 1000),
        }
    )


def test_profiles_hold_quantiles_histograms_and_capped_frequencies():
    table = _reference()
    doc = baseline.build_baseline(
        table, pa.table({"row_id": [1], "prediction": [0.5]}), exclude=["target"]
    )
    columns = {c["name"]: c for c in doc["sets"]["test"]["columns"]}
    assert set(columns) == {"age", "city", "flag"}  # the target is no feature
    age = columns["age"]
    assert age["kind"] == "numeric" and len(age["cuts"]) == 9 and sum(age["counts"]) == 1000
    assert [q for q, _ in age["quantiles"]] == list(baseline.QUANTILES)
    assert columns["flag"]["cuts"] == [0.0, 1.0]  # a 0/1 column: two cuts, three buckets
    city = columns["city"]
    assert city["kind"] == "categorical" and {v["value"] for v in city["values"]} == {
        "Lyon",
        "Porto",
        "Turku",
    }
    many = pa.table({"id": [f"v{i % 50}" for i in range(500)]})
    capped = baseline.profile_table(many)["columns"][0]
    assert len(capped["values"]) == baseline.TOP_VALUES and capped["other"] == 300
    assert [c["name"] for c in doc["sets"]["predictions"]["columns"]] == ["prediction"]


def test_a_shifted_column_drifts_and_a_resample_does_not():
    table = _reference()
    profile = baseline.profile_column("age", table.column("age"))
    same = table.column("age").to_numpy()[RNG.integers(0, 1000, 3000)]
    stable = baseline.compare_column(profile, pa.array(same), table.column("age"))
    assert stable["flag"] == "stable" and stable["psi"] < 0.1 and stable["ks_p"] > 0.01
    moved = baseline.compare_column(profile, pa.array(same + 30), table.column("age"))
    assert moved["flag"] == "drift" and moved["psi"] > 0.25 and moved["ks_p"] < 1e-10
    city = baseline.profile_column("city", table.column("city"))
    only_lyon = baseline.compare_column(city, pa.array(["Lyon"] * 500), None)
    assert only_lyon["flag"] == "drift" and only_lyon["ks_p"] is None  # no KS for categories
    empty = baseline.compare_column(profile, pa.array([None] * 400, pa.float64()), None)
    assert empty["flag"] == "drift"  # a column arriving empty has drifted
    text = baseline.compare_column(profile, pa.array(["a"] * 10), None)
    assert (
        text["flag"] == "drift"
        and text["note"] == "the reference holds numbers, the batch does not"
    )


def test_thresholds():
    assert baseline.flag(0.09, 0.5) == "stable"
    assert baseline.flag(0.1, 0.5) == "watch"
    assert baseline.flag(0.25, 0.5) == "drift"
    assert baseline.flag(0.01, 0.009) == "drift"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b'{"schema": "baton.baseline/v1", "schema": "x"}', "repeats the JSON key 'schema'"),
        (b'{"schema": "other"}', "is not a baton.baseline/v1 document"),
        (
            b'{"schema": "baton.baseline/v1", "sets": {"test": {"rows": 1, "columns": []}}}',
            "lacks the test set's or the predictions' profile",
        ),
        (
            b'{"schema": "baton.baseline/v1", "sets": {"test": {"rows": 1, "columns": [{"name": "a", "kind": "numeric", "count": 1, "missing": 0, "cuts": [2, 1], "counts": [0, 1, 0]}]}, "predictions": {"rows": 1, "columns": []}}}',
            "has a malformed histogram for column 'a'",
        ),
        (b"[" * 100 + b"]" * 100, "is nested too deeply"),
        (b" " * (baseline_file.MAX_BYTES + 1), "is too large"),
    ],
)
def test_a_baseline_is_read_strictly(data, words):
    with pytest.raises(VerificationError, match="^b.baton/monitoring/baseline.json ") as caught:
        baseline_file.parse_baseline(data, source="b.baton/monitoring/baseline.json")
    assert words in str(caught.value)


def _batch(folder: Path, files, shift: float = 0.0) -> Path:
    test = pd.read_csv(files.bc_test_csv).drop(columns="target")
    batch = test.sample(1000, replace=True, random_state=1)
    batch["worst texture"] += shift * test["worst texture"].std()
    path = folder / f"batch-{shift}.parquet"
    batch.to_parquet(path, index=False)
    return path


def test_a_bundle_without_a_baseline_is_compared_with_its_test_set(world: World, files, tmp_path):
    def drop_baseline(members):
        members.pop(baseline_file.FILE)
        members = edit_contract(lambda c: c.pop("monitoring"))(members)
        return members

    old = rewrite(world.bundle, world.path("old.baton"), drop_baseline, resign=world.dana_key)
    with Catalog(world.mle) as catalog:
        found = check_drift(catalog, old, _batch(tmp_path, files, 4.0), predict=False).result
    assert found["reference"] == {"source": "test set", "rows": 169}
    assert found["notes"][0].startswith("this bundle was packed without a monitoring baseline")
    assert found["drifted"] == ["worst texture"] and found["verdict"] == "drift"
    assert found["predictions"] == [] and "not run" in found["predictions_note"]


def test_the_baseline_is_signed_listed_and_checked(world: World, files, tmp_path):
    members = contract_of(read_members(world.bundle))
    assert members["monitoring"]["file"] == baseline_file.FILE

    def garble(m):
        m[baseline_file.FILE] = json.dumps({"schema": "baton.baseline/v1"}).encode()
        return edit_contract(
            lambda c: c["monitoring"].update(
                sha256=hashlib.sha256(m[baseline_file.FILE]).hexdigest()
            )
        )(m)

    bad = rewrite(world.bundle, world.path("bad.baton"), garble, resign=world.dana_key)
    with Catalog(world.mle) as catalog, pytest.raises(VerificationError) as caught:
        bundle.open_bundle(catalog, bad, record=False)
    assert str(caught.value) == (
        "bad.baton/monitoring/baseline.json lacks the test set's or the predictions' profile"
    )

    swapped = rewrite(
        world.bundle,
        world.path("swapped.baton"),
        lambda m: m.update({baseline_file.FILE: b"{}"}),
        resign=world.dana_key,
    )
    with Catalog(world.mle) as catalog, pytest.raises(VerificationError) as caught:
        bundle.open_bundle(catalog, swapped, record=False)
    assert "monitoring/baseline.json is not the baseline the contract describes" in str(
        caught.value
    )


def test_missing_features_are_named(world: World, files, tmp_path):
    path = tmp_path / "few.csv"
    pd.read_csv(files.bc_test_csv).drop(columns=["mean radius"]).to_csv(path, index=False)
    with Catalog(world.mle) as catalog, pytest.raises(UsageError) as caught:
        check_drift(catalog, world.bundle, path, predict=False)
    assert str(caught.value).startswith("few.csv lacks the feature column mean radius;")
    assert caught.value.exit_code == 2
