"""``baton drift``: a shifted feature is flagged, an unshifted batch is not, and the
text, the JSON and the exit codes say so."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.handover import World, as_json, error_line, make_world, ok, run

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world

SHIFTED = "mean radius"


@pytest.fixture(scope="module")
def w(handover, tmp_path_factory) -> World:
    """One copy of the homes for this module: checking drift records the bundle as
    received, which the session's pristine homes must never see."""
    return make_world(handover, tmp_path_factory.mktemp("drift-world"))


@pytest.fixture(scope="module")
def batches(files, tmp_path_factory) -> dict[str, Path]:
    """The bundled test set resampled (2 000 rows, seeded), once as it is and once with
    one feature moved by three standard deviations; and a batch lacking two features."""
    root = tmp_path_factory.mktemp("batches")
    test = pd.read_csv(files.bc_test_csv)
    same = test.sample(2000, replace=True, random_state=0).drop(columns="target")
    shifted = same.copy()
    shifted[SHIFTED] = shifted[SHIFTED] + 3 * test[SHIFTED].std()
    out = {
        "same": root / "same.parquet",
        "shifted": root / "shifted.csv",
        "lacking": root / "lacking.csv",
    }
    same.to_parquet(out["same"], index=False)
    shifted.assign(region="north").to_csv(out["shifted"], index=False)
    same.drop(columns=["mean area", "worst area"]).to_csv(out["lacking"], index=False)
    return out


def test_an_unshifted_batch_is_not_flagged(w, batches):
    d = as_json(ok(run(w.mle, "drift", w.bundle, batches["same"], "--json")))
    assert d["verdict"] != "drift" and d["drifted"] == []
    assert d["reference"]["source"] == "baseline" and d["reference"]["rows"] == 169
    assert len(d["features"]) == 30 and d["missing"] == [] and d["extra"] == []
    assert {r["column"] for r in d["predictions"]} >= {"prediction", "proba_1"}
    assert all(r["flag"] != "drift" for r in d["predictions"])
    assert d["thresholds"] == {"psi_watch": 0.1, "psi_drift": 0.25, "ks_p_drift": 0.01}


def test_a_shifted_feature_is_flagged_and_exits_1(w, batches):
    result = ok(run(w.mle, "drift", w.bundle, batches["shifted"]), 1)
    text = result.stdout
    assert text.startswith(f"Drift: 1 of 30 features drifted ({SHIFTED})")
    assert "Thresholds: PSI ≥ 0.1 watch, ≥ 0.25 drift; KS p < 0.01 drift" in text
    row = next(line for line in text.splitlines() if line.startswith(SHIFTED))
    assert "DRIFT" in row
    assert "< 0.0001" in row  # its KS p, as the drift page prints it
    assert "not compared (not in the baseline): region" in text
    d = as_json(ok(run(w.mle, "drift", w.bundle, batches["shifted"], "--json"), 1))
    flagged = {r["column"]: r for r in d["features"]}
    assert flagged[SHIFTED]["flag"] == "drift" and flagged[SHIFTED]["psi"] > 0.25
    assert flagged[SHIFTED]["ks_p"] < 0.01
    assert flagged["mean texture"]["flag"] != "drift"
    assert d["extra"] == ["region"]


def test_a_batch_lacking_features_is_a_usage_error(w, batches):
    result = ok(run(w.mle, "drift", w.bundle, batches["lacking"], "--json"), 2)
    assert error_line(result).startswith(
        "Error: lacking.csv lacks the feature columns mean area, worst area; columns are "
        "matched by name, and bc-lr-1.baton was measured on 30:"
    )


def test_an_untrusted_signer_exits_3(w, batches):
    result = ok(run(w.stranger, "drift", w.bundle, batches["same"]), 3)
    assert "signer" in result.stderr or "trust" in result.stderr


def test_help_states_the_thresholds_and_exit_codes(w):
    text = " ".join(ok(run(w.mle, "drift", "--help")).stdout.split())
    assert "Flags: PSI ≥ 0.1 watch, PSI ≥ 0.25 or KS p < 0.01 drift." in text
    assert "0 no drift" in text and "1 drift flagged" in text and "2 BATCH lacks" in text
