"""Several candidates in one handover, on the command line: pack two models measured on
one test set, verify and inspect the bundle, reproduce both, accept one in a receipt, and
see the receipt name it back at the data scientist's. The usage errors around them."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.handover", "tests.candidates_fixture")

from baton.core.contract import card  # noqa: E402
from baton.core.contract import document as contracts  # noqa: E402
from tests.candidates_fixture import NAME, pack_two  # noqa: E402
from tests.handover import as_json, error_line, evil_skops, ok, rewrite, run  # noqa: E402

pytest_plugins = ["tests.handover", "tests.candidates_fixture"]
RECEIPT = f"{NAME}-1.review.baton"


@pytest.fixture(scope="module")
def trip(picked, tmp_path_factory):
    """Eli verifies, inspects, reproduces and accepts lr; Dana verifies the receipt."""
    w = picked.copy(tmp_path_factory.mktemp("pick-trip"))
    receipt = w.root / RECEIPT
    out = {
        "verify": run(w.mle, "verify", w.bundle, "--json"),
        "inspect": run(w.mle, "inspect", w.bundle),
        "inspect_json": run(w.mle, "inspect", w.bundle, "--json"),
        "reproduce": run(w.mle, "review", w.bundle, "--reproduce", "--budget", "0.05"),
        "no_such": run(
            w.mle,
            "review",
            w.bundle,
            "--decision",
            "accept",
            "--comment",
            "ok",
            "--choose",
            "svm",
            "--out",
            w.root / "x.review.baton",
        ),  # fmt: skip
        "decide": run(
            w.mle,
            "review",
            w.bundle,
            "--decision",
            "accept",
            "--comment",
            "lr is fast enough and as accurate",
            "--choose",
            "lr",
            "--out",
            receipt,
        ),  # fmt: skip
    }
    out["receipt"] = run(w.ds, "verify", receipt)
    out["receipt_json"] = run(w.ds, "verify", receipt, "--json")
    return w, receipt, out


def test_pack_lists_both_candidates_measured_on_one_test_set(picked):
    d = picked.pack
    rows = {c["name"]: c for c in d["candidates"]}
    assert list(rows) == ["gbm", "lr"]
    assert rows["gbm"]["recommended"] and not rows["lr"]["recommended"]
    for row in rows.values():
        assert row["format"] == "skops"
        assert row["metrics"]["accuracy"]["ci_low"] <= row["metrics"]["accuracy"]["value"]
        assert row["latency_p95_ms_batch_1"] > 0
        assert row["verdicts"] == {"accuracy": "pass", "f1": "pass"}


def test_bundle_layout_keeps_the_recommended_one_on_top(picked):
    names = set(zipfile.ZipFile(picked.bundle).namelist())
    assert {"model/model.skops", "predictions/test.parquet",
            "candidates/lr/model.skops", "candidates/lr/predictions.parquet"} <= names  # fmt: skip
    assert not any(n.startswith("candidates/gbm/") for n in names)
    contract = json.loads(zipfile.ZipFile(picked.bundle).read("contract.json"))
    gbm, lr = contract["candidates"]
    assert contract["model"] == gbm["model"] and contract["results"] == gbm["results"]
    assert "GradientBoosting" in contract["model"]["estimator"]
    assert lr["model"]["file"] == "candidates/lr/model.skops"
    assert lr["predictions"]["sha256"] != gbm["predictions"]["sha256"]


def test_verify_checks_every_candidate(trip):
    _, _, out = trip
    d = as_json(ok(out["verify"]))
    # contract, card, the primary's model and predictions, the other's two, the test set and
    # the monitoring baseline
    assert d["trusted"] and d["files"] == 8
    assert [c["name"] for c in d["candidates"]] == ["gbm", "lr"]


def test_inspect_shows_them_side_by_side(trip):
    _, _, out = trip
    text = ok(out["inspect"]).stdout
    assert "2 candidates, measured on the same test set:" in text
    assert "gbm (recommended)" in text
    assert "## Candidates" in text
    assert "The sections below describe gbm (the recommended one)" in text
    d = as_json(ok(out["inspect_json"]))
    assert [c["name"] for c in d["candidates"]] == ["gbm", "lr"]
    assert d["contract"]["candidates"][1]["name"] == "lr"


def test_inspect_compares_each_candidate_with_the_primary_on_the_same_rows(trip):
    _, _, out = trip
    text = ok(out["inspect"]).stdout
    assert "lr against gbm on the same " in text
    assert (
        "(lr minus gbm, 95 % paired bootstrap interval; accuracy also McNemar's exact test):"
        in text
    )
    (pair,) = as_json(ok(out["inspect_json"]))["candidate_differences"]
    assert (pair["candidate"], pair["against"], pair["compared"]) == ("lr", "gbm", True)
    accuracy = next(m for m in pair["differences"] if m["metric"] == "accuracy")
    assert accuracy["difference"] == pytest.approx(accuracy["b"] - accuracy["a"])
    assert accuracy["ci_low"] <= accuracy["difference"] <= accuracy["ci_high"]
    assert 0 <= accuracy["mcnemar_p"] <= 1
    # The verdict follows the interval: a difference whose interval covers 0 is no winner.
    covers_zero = accuracy["ci_low"] <= 0 <= accuracy["ci_high"]
    assert (accuracy["verdict"] == "not distinguishable") == (
        covers_zero or accuracy["mcnemar_p"] >= 0.05
    )
    assert f"{accuracy['verdict']}" in text


def test_reproduce_reproduces_every_candidate(trip):
    _, _, out = trip
    text = out["reproduce"].stdout
    assert "Claims reproduced: yes" in text, text
    assert re.search(r"^gbm \(recommended\) +yes +", text, re.M), text
    assert re.search(r"^lr +yes +", text, re.M), text


def test_accept_names_the_chosen_candidate_in_the_receipt(trip):
    _, receipt, out = trip
    assert "chose candidate lr\n" in ok(out["decide"]).stdout
    review = json.loads(zipfile.ZipFile(receipt).read("review.json"))
    assert review["chosen"] == "lr" and review["decision"] == "accept"
    assert "  chose candidate lr\n" in ok(out["receipt"]).stdout
    assert as_json(ok(out["receipt_json"]))["review"]["chosen"] == "lr"


def test_choosing_no_candidate_of_the_bundle_is_refused(trip):
    _, _, out = trip
    assert out["no_such"].exit_code == 2
    assert "no candidate named 'svm' in this handover; its candidates are gbm, lr" in (
        out["no_such"].stderr
    )


def test_accept_without_choose_takes_the_recommended_one(picked, tmp_path):
    w = picked.copy(tmp_path / "w")
    r = ok(run(w.mle, "review", w.bundle, "--decision", "accept", "--comment", "fine",
               "--out", w.root / RECEIPT, "--json"))  # fmt: skip
    d = as_json(r)
    assert d["chosen"] == "gbm" and d["chosen_by_recommendation"] is True
    text = ok(run(w.ds, "verify", w.root / RECEIPT)).stdout
    assert "chose candidate gbm" in text


def test_choose_is_only_for_accept(picked, tmp_path):
    w = picked.copy(tmp_path / "w")
    r = run(w.mle, "review", w.bundle, "--decision", "reject", "--comment", "no",
            "--choose", "lr", "--out", w.root / RECEIPT, "--json")  # fmt: skip
    assert r.exit_code == 2
    assert error_line(r) == (
        "Error: --choose names the candidate you accept: use it with --decision accept, "
        "not --decision reject"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--candidate-names", "a,a"), "two candidates are named 'a'"),
        (("--candidate-names", "a,A"), "two candidates are named 'A'"),
        (("--candidate-names", "a"), "--candidate-names gives 1 names for 2 models"),
        (("--recommend", "svm"), "--recommend names 'svm', which is not a candidate"),
    ],
)
def test_pack_refuses_bad_candidates_before_any_work(picked, tmp_path, extra, message):
    w = picked.copy(tmp_path / "w")
    r = pack_two(w.ds, tmp_path / "x.baton", picked.gbm, picked.lr, picked.test_csv,
                 *extra, "--json", version="2")  # fmt: skip
    assert r.exit_code == 2
    assert message in error_line(r)
    assert not (tmp_path / "x.baton").exists()


def test_pack_refuses_candidates_of_another_task(picked, tmp_path):
    import skops.io as sio
    from sklearn.linear_model import LinearRegression

    from tests.factories import breast_cancer_frame

    bc = breast_cancer_frame()
    scorer = tmp_path / "scorer.skops"
    sio.dump(LinearRegression().fit(bc.drop(columns="target"), bc["target"]), scorer)
    w = picked.copy(tmp_path / "w")
    r = pack_two(w.ds, tmp_path / "x.baton", picked.lr, scorer, picked.test_csv, "--json",
                 version="2")  # fmt: skip
    assert r.exit_code == 2
    assert error_line(r).startswith(
        "Error: candidates 'bc-lr' and 'scorer' disagree on the task (binary against regression)"
    )  # lr.skops is the catalog model bc-lr here, so named
    assert not (tmp_path / "x.baton").exists()


def test_stock_model_signing_accepts_a_bundle_of_candidates(picked, handover, tmp_path):
    stock = Path(sys.executable).with_name("model_signing")
    if not stock.exists():
        pytest.skip("stock model_signing CLI not installed")
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(picked.bundle) as zf:  # our own bundle: a plain extract is fine
        zf.extractall(folder)
    done = subprocess.run(
        [str(stock), "verify", "key", "--signature", str(folder / "model.sig"),
         "--public_key", str(handover.dana_pub), str(folder)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_candidate_signed_but_unsafe_or_unlisted_is_refused(picked, handover, tmp_path):
    """Every candidate's model goes through the skops allowlist; a file in candidates/ the
    contract does not list is refused, even under a valid signature."""
    w = picked.copy(tmp_path / "w")
    dana = handover.private_key(handover.ds_home)
    marker = tmp_path / "EXECUTED"

    def swap(members):
        contract = json.loads(members["contract.json"])
        evil = evil_skops(marker, tmp_path)
        members["candidates/lr/model.skops"] = evil
        digest = hashlib.sha256(evil).hexdigest()
        for entry in contract["candidates"]:
            if entry["name"] == "lr":
                entry["model"]["sha256"] = digest
                entry["model"]["size_bytes"] = len(evil)
        members["contract.json"] = contracts.dump_contract(contract)
        members["card.md"] = card.card_bytes(contract)
        return members

    evil = rewrite(w.bundle, tmp_path / "evil.baton", swap, resign=dana)
    r = run(w.mle, "verify", evil, "--json")
    assert r.exit_code == 1
    assert "candidates/lr/model.skops" in error_line(r)
    assert not marker.exists()

    def smuggle(members):
        members["candidates/extra/model.skops"] = members["candidates/lr/model.skops"]
        return members

    extra = rewrite(w.bundle, tmp_path / "extra.baton", smuggle, resign=dana)
    r = run(w.mle, "verify", extra, "--json")
    assert r.exit_code == 1
    assert "unexpected candidates/extra/model.skops" in error_line(r)
