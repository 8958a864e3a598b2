"""The whole handover through the command line: keys, pack, verify, inspect, reproduce,
decide, the receipt back at the data scientist's, diff, and the usage errors around them.

The bundle and the three homes come from ``tests/handover.py`` (packed once per session
through ``baton pack``); the round trip below runs once per module on copies of them,
and each test checks one part of what it printed or recorded. The stock OpenSSF
``model_signing`` tool, run as a subprocess, cross-checks that an extracted bundle and an
extracted receipt are plain OMS v1.0 signed folders.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from baton.core.present import format_fingerprint

pytest.register_assert_rewrite("tests.handover")  # before the import below

from tests.handover import (  # noqa: E402
    BUNDLE,
    INTENDED_USE,
    NAME,
    REQUIRE,
    as_json,
    catalog_rows,
    edit_contract,
    error_line,
    handover_rows,
    make_world,
    ok,
    read_members,
    rewrite,
    run,
)

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world, private_tmp

STOCK = Path(sys.executable).with_name("model_signing")
needs_stock = pytest.mark.skipif(not STOCK.exists(), reason="stock model_signing CLI not installed")
RECEIPT = f"{NAME}-1.review.baton"


@pytest.fixture(scope="module")
def trip(handover, tmp_path_factory):
    """One complete handover, DS -> MLE -> DS, on copies of the session homes."""
    w = make_world(handover, tmp_path_factory.mktemp("trip"))
    receipt = w.path(RECEIPT)
    out = {
        "verify": run(w.mle, "verify", w.bundle, "--json"),
        "verify_text": run(w.mle, "verify", w.bundle),
        "reproduce": run(w.mle, "review", w.bundle, "--reproduce", "--budget", "0.05", "--json"),
    }
    out["decide"] = run(w.mle, "review", w.bundle, "--decision", "accept",
                        "--comment", "Reproduced here; every target holds.",
                        "--target-comment", "accuracy=0.970 here too",
                        "--out", receipt, "--json")  # fmt: skip
    out["receipt"] = run(w.ds, "verify", receipt, "--json")
    out["receipt_again"] = run(w.ds, "verify", receipt)
    return w, receipt, out


# --- the session fixture's own CLI steps ----------------------------------------------------


def test_pack_json(handover):
    p = handover.pack
    assert p["name"] == NAME and p["version"] == "1"
    assert p["file"] == str(handover.bundle) and handover.bundle.is_file()
    assert p["signer_fingerprint"] == handover.dana_fp
    assert p["signer"] == format_fingerprint(handover.dana_fp)
    assert p["targets_failed"] == 0 and p["bytes"] == handover.bundle.stat().st_size
    (target,) = p["targets"]
    assert (target["metric"], target["op"], target["threshold"]) == ("accuracy", ">=", 0.95)
    assert target["verdict"] == "pass" and target["measured"] >= 0.95
    assert sorted(read_members(handover.bundle)) == [
        "card.md",
        "contract.json",
        "data/test.parquet",
        "model.sig",
        "model/model.skops",
        "monitoring/baseline.json",
        "predictions/test.parquet",
    ]


# --- engineer: verify ----------------------------------------------------------------------


def test_verify_json(trip, handover):
    w, _, out = trip
    result = ok(out["verify"])
    assert result.stderr == ""  # --json: no progress lines either
    d = as_json(result)
    assert d["kind"] == "bundle" and d["trusted"] is True and d["trust_problem"] is None
    assert (d["name"], d["version"], d["problem_type"]) == (NAME, "1", "binary")
    assert d["signer_name"] == "Dana" and d["signer_fingerprint"] == handover.dana_fp
    assert d["root_digest"] == handover.pack["root_digest"]
    assert d["files"] == 6 and d["members"] == sorted(read_members(w.bundle))
    assert d["authors"] == [
        {"name": "Dana", "email": "dana@example.org", "fingerprint": handover.dana_fp}
    ]
    assert d["model"]["file"] == "model/model.skops" and d["model"]["format"] == "skops"
    assert [t["verdict"] for t in d["targets"]] == ["pass"]
    assert [(ds["role"], ds["file"], ds["rows"]) for ds in d["datasets"]] == [
        ("test", "data/test.parquet", 169)
    ]


def test_verify_text(trip):
    _, _, out = trip
    text = ok(out["verify_text"]).stdout
    assert text.startswith(f"VERIFIED: {BUNDLE}\n")
    assert "signed by Dana (" in text and "6 files intact" in text
    assert "accuracy>=0.95" in text and "pass" in text


def test_verify_records_the_received_bundle(trip, handover):
    w, _, _ = trip
    (row,) = handover_rows(w.mle, "received")
    assert (row["name"], row["version"]) == (NAME, "1")
    assert row["root_digest"] == handover.pack["root_digest"]
    assert row["signer_fingerprint"] == handover.dana_fp


# --- engineer: reproduce and decide --------------------------------------------------------


def test_reproduce_json(trip):
    _, _, out = trip
    d = as_json(ok(out["reproduce"]))
    assert d["verdict"] == "pass"
    assert d["agreement"]["rate"] == 1.0
    assert d["agreement"]["agreeing"] == d["agreement"]["rows"] == 169
    assert d["bundle"]["name"] == NAME and d["bundle"]["version"] == "1"
    (target,) = d["targets"]
    assert target["expr"] == REQUIRE
    assert target["verdict_claimed"] == "pass" and target["verdict_here"] == "pass"
    assert target["here"] == pytest.approx(target["claimed"])
    metrics = {m["metric"]: m for m in d["metrics"]}
    assert metrics["accuracy"]["here"] == pytest.approx(metrics["accuracy"]["claimed"])
    assert all(m["consistent"] for m in d["metrics"])
    assert {row["batch_size"] for row in d["latency"]} and d["hardware"]["here"]
    assert "evaluation_here" not in d


def test_decision_json_and_receipt_file(trip, handover):
    w, receipt, out = trip
    d = as_json(ok(out["decide"]))
    assert d["file"] == str(receipt) and receipt.is_file()
    assert d["decision"] == "accept" and d["comment"] == "Reproduced here; every target holds."
    assert d["target_comments"] == [{"target": "accuracy", "comment": "0.970 here too"}]
    assert d["reviewer"]["name"] == "Eli" and d["reviewer"]["fingerprint"] == handover.eli_fp
    assert d["bundle"]["root_digest"] == handover.pack["root_digest"]
    assert d["reproduced"]["agreement"]["rate"] == 1.0
    assert sorted(read_members(receipt)) == ["review.json", "review.sig"]
    (row,) = handover_rows(w.mle, "received")
    assert row["status"] == "accept"


# --- data scientist: the receipt comes back ------------------------------------------------


def test_receipt_verified_on_the_ds_side_records_the_decision(trip, handover):
    w, _, out = trip
    d = as_json(ok(out["receipt"]))
    assert d["kind"] == "receipt" and d["trusted"] is True
    assert d["signer_name"] == "Eli" and d["signer_fingerprint"] == handover.eli_fp
    assert d["review"]["decision"] == "accept"
    assert d["review"]["bundle"]["name"] == NAME and d["review"]["bundle"]["version"] == "1"
    assert d["bound_to"] == str(handover.bundle.resolve())
    (sent,) = handover_rows(w.ds, "sent")
    assert sent["status"] == "accept"
    assert len(catalog_rows(w.ds)["reviews"]) == 1  # verifying twice records it once


def test_receipt_text(trip):
    _, _, out = trip
    text = ok(out["receipt_again"]).stdout
    assert text.startswith(f"VERIFIED: {RECEIPT}\n")
    assert f"review of {NAME} 1: ACCEPT by Eli" in text
    assert '"Reproduced here; every target holds."' in text
    assert "0.970 here too" in text and "recorded against" in text


def test_receipt_for_a_bundle_the_ds_never_sent_is_not_bound(trip, handover):
    """Dana's colleague on another machine (here: the stranger, once they trust Eli)."""
    w, receipt, _ = trip
    ok(run(w.stranger, "keys", "trust", handover.eli_pub, "--name", "Eli"))
    d = as_json(ok(run(w.stranger, "verify", receipt, "--json")))
    assert d["trusted"] is True and d["bound_to"] is None
    assert catalog_rows(w.stranger)["reviews"] == []


# --- inspect and diff ----------------------------------------------------------------------


def test_inspect_shows_the_card(world):
    card = read_members(world.bundle)["card.md"].decode()
    text = ok(run(world.mle, "inspect", world.bundle)).stdout
    assert text.startswith(f"VERIFIED: {BUNDLE}")
    # On a terminal the card without its metadata block for model hubs; in JSON, card.md.
    body = card.split("\n---\n\n", 1)[1]
    assert body.strip() in text and "library_name" not in text
    assert INTENDED_USE in text and NAME in text
    d = as_json(ok(run(world.mle, "inspect", world.bundle, "--json")))
    assert d["card"] == card
    assert d["contract"]["identity"]["name"] == NAME
    assert d["contract"]["identity"]["intended_use"] == INTENDED_USE
    # reading a bundle records nothing
    assert handover_rows(world.mle, "received") == []


def test_inspect_untrusted_exits_3_but_shows_the_card(world):
    result = run(world.stranger, "inspect", world.bundle)
    assert result.exit_code == 3
    assert result.stdout.startswith(f"INTACT BUT UNTRUSTED: {BUNDLE}")
    assert INTENDED_USE in result.stdout


@pytest.fixture(scope="module")
def version_2(handover, files, tmp_path_factory):
    """A second version packed by Dana with other targets."""
    w = make_world(handover, tmp_path_factory.mktemp("v2"))
    out = w.path(f"{NAME}-2.baton")
    packed = run(w.ds, "pack", files.lr_skops, "--test", files.bc_test_csv, "--target",
                 "target", "--name", NAME, "--version", "2", "--require", "accuracy>=0.9",
                 "--require", "roc_auc>=0.99", "--intended-use", INTENDED_USE,
                 "--budget", "0.05", "--out", out, "--json")  # fmt: skip
    return w, out, packed


def test_pack_version_2(version_2):
    _, out, packed = version_2
    d = as_json(ok(packed))
    assert d["version"] == "2" and out.is_file()
    assert {t["metric"]: t["threshold"] for t in d["targets"]} == {
        "accuracy": 0.9,
        "roc_auc": 0.99,
    }


def test_diff_shows_the_target_change(version_2):
    w, v2, _ = version_2
    d = as_json(ok(run(w.mle, "diff", w.bundle, v2, "--json")))
    assert d["name"] == NAME
    assert d["old"]["version"] == "1" and d["new"]["version"] == "2"
    assert d["old"]["trusted"] is True and d["new"]["trusted"] is True
    changes = {c["path"]: c for c in d["changes"]}
    assert changes["identity.version"]["old"] == "1" and changes["identity.version"]["new"] == "2"
    threshold = changes["targets[accuracy].threshold"]
    assert (threshold["old"], threshold["new"]) == (0.95, 0.9)
    assert any(path.startswith("targets[roc_auc]") for path in changes), sorted(changes)
    assert {f["file"] for f in d["files"]} >= {"contract.json", "card.md"}
    text = ok(run(w.mle, "diff", w.bundle, v2)).stdout
    assert text.startswith(f"{NAME}: 1 -> 2")
    assert "targets[accuracy].threshold: 0.95 -> 0.9" in text
    assert "file changed: contract.json" in text
    # diff records nothing: both versions can still be verified afterwards, in order
    assert handover_rows(w.mle, "received") == []


def test_diff_of_two_different_models_is_a_usage_error(version_2):
    w, _, _ = version_2
    other = rewrite(w.bundle, w.path("other-1.baton"),
                    edit_contract(lambda c: c["identity"].update(name="other")),
                    resign=w.dana_key)  # fmt: skip
    result = run(w.mle, "diff", w.bundle, other, "--json")
    assert result.exit_code == 2
    assert "these are bundles of two different models (bc-lr and other)" in error_line(result)
    same = as_json(ok(run(w.mle, "diff", w.bundle, w.bundle, "--json")))
    assert same["files"] == [] and same["changes"] == []


@pytest.mark.parametrize(
    ("version", "reason"),
    [
        ("2", "bc-lr version 2 was already packed; a new bundle needs a higher --version than 2"),
        ("1.5", "bc-lr version 2 was already packed; 1.5 is older"),
        ("1", "was already packed"),
    ],
)
def test_pack_refuses_a_version_not_higher_than_a_packed_one(version_2, files, version, reason):
    w, _, _ = version_2
    out = w.path(f"again-{version}.baton")
    before = catalog_rows(w.ds)
    result = run(w.ds, "pack", files.lr_skops, "--test", files.bc_test_csv, "--target", "target",
                 "--name", NAME, "--version", version, "--intended-use", INTENDED_USE,
                 "--out", out, "--json")  # fmt: skip
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert reason in error_line(result)
    assert not out.exists() and catalog_rows(w.ds) == before


# --- usage errors: exit code 2 -------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("review", "{bundle}"), "say what to do: --reproduce, or --decision"),
        (("review", "{bundle}", "--decision", "accept"), "--decision needs --comment TEXT"),
        (("review", "{bundle}", "--decision", "accept", "--comment", "ok"), "--out FILE"),
        (("review", "{bundle}", "--decision", "maybe", "--comment", "x", "--out", "r.review.baton"),
         "'maybe' is not one of"),
        (("review", "{bundle}", "--decision", "accept", "--comment", "ok",
          "--out", "{tmp}/receipt.zip"), "--out must end in .review.baton"),
        (("review", "{bundle}", "--decision", "accept", "--comment", "ok",
          "--target-comment", "latency_p99_ms=fast", "--out", "{tmp}/r.review.baton"),
         "which is not a target of this contract"),
        (("review", "{bundle}", "--decision", "accept", "--comment", "ok",
          "--target-comment", "no-equals-sign", "--out", "{tmp}/r.review.baton"),
         "--target-comment must look like METRIC=TEXT"),
        (("verify",), "Missing argument 'FILE'"),
        (("verify", "{tmp}/nothing-here.baton"), "no such file"),
        (("diff", "{bundle}"), "Missing argument 'NEW'"),
        (("keys", "revoke", "abc", "--reason", "x"), "is not a fingerprint"),
        (("keys", "revoke", "0123456789abcdef", "--reason", "x"), "no trusted key has"),
        (("keys", "revoke", "{dana}", "--reason", "  "), "--reason must say why"),
        (("keys", "create", "--name", "Eli", "--email", "eli@example.org"),
         "a signing key already exists"),
        (("pack", "{model}", "--test", "{test}", "--target", "target", "--name", NAME,
          "--version", "9", "--out", "{tmp}/x.baton"), "needs an intended use"),
        (("pack", "{model}", "--test", "{test}", "--target", "target", "--name", NAME,
          "--version", "9", "--intended-use", "x", "--require", "accuracy=>0.9",
          "--out", "{tmp}/x.baton"), "accuracy=>0.9"),
        (("pack", "{model}", "--test", "{test}", "--target", "target", "--name", NAME,
          "--version", "9", "--intended-use", "x", "--out", "{tmp}/x.zip"),
         "--out must end in .baton"),
        (("pack", "{model}", "--test", "{test}", "--target", "target", "--name", NAME,
          "--version", "v3", "--intended-use", "x", "--out", "{tmp}/x.baton"),
         "'v3' is not a version"),
        (("pack", "{model}", "--test", "{test}", "--target", "target", "--name", "bad name!",
          "--version", "3", "--intended-use", "x", "--out", "{tmp}/x.baton"),
         "--name must be 1 to 64 letters"),
    ],
    ids=["review-nothing", "decision-no-comment", "decision-no-out", "bad-decision",
         "receipt-suffix", "unknown-target-comment", "bad-target-comment", "verify-no-file",
         "verify-missing", "diff-one-file", "revoke-not-hex",
         "revoke-unknown", "revoke-no-reason", "second-key", "pack-no-use", "pack-bad-require",
         "pack-suffix", "pack-bad-version", "pack-bad-name"],
)  # fmt: skip
def test_usage_errors_exit_2(world, files, tmp_path, args, needle):
    values = {"bundle": world.bundle, "tmp": tmp_path, "dana": world.base.dana_fp,
              "model": files.lr_skops, "test": files.bc_test_csv}  # fmt: skip
    before = catalog_rows(world.mle)
    result = run(world.mle, *(str(a).format(**values) for a in args))
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert needle in result.stderr, result.stderr
    after = catalog_rows(world.mle)
    if "--target-comment" in args:  # the bundle was verified (and recorded) before the check
        before.pop("handovers"), after.pop("handovers")
    assert after == before
    assert not any(tmp_path.glob("*.baton")) and not (tmp_path / "receipt.zip").exists()


def test_wrong_passphrase_is_a_clear_failure(world, tmp_path):
    out = tmp_path / "r.review.baton"
    result = run(world.mle, "review", world.bundle, "--decision", "accept", "--comment", "ok",
                 "--out", out, env={"BATON_PASSPHRASE": "not the passphrase"})  # fmt: skip
    assert result.exit_code == 1 and "wrong passphrase" in result.stderr
    assert not out.exists()


# --- keys: list and revoke -----------------------------------------------------------------


def test_keys_list_and_revoke(world):
    base = world.base
    d = as_json(ok(run(world.mle, "keys", "list", "--json")))
    assert d["me"]["name"] == "Eli" and d["me"]["fingerprint"] == base.eli_fp
    status = {k["name"]: k["status"] for k in d["keys"]}
    assert status == {"Eli": "mine", "Dana": "trusted"}
    dana = next(k for k in d["keys"] if k["name"] == "Dana")
    assert dana["fingerprint"] == base.dana_fp
    assert dana["fingerprint_grouped"] == format_fingerprint(base.dana_fp)
    assert "public_pem" not in dana and dana["revoked_at"] is None
    text = ok(run(world.mle, "keys", "list")).stdout
    lines = {line.split()[0]: line for line in text.splitlines()[1:]}
    assert "trusted" in lines["Dana"] and format_fingerprint(base.dana_fp) in lines["Dana"]
    assert "mine" in lines["Eli"]

    revoked = ok(run(world.mle, "keys", "revoke", format_fingerprint(base.dana_fp)[:19],
                     "--reason", "left the team"))  # fmt: skip
    assert revoked.stdout.strip() == (
        f"Revoked the key of Dana ({format_fingerprint(base.dana_fp)}): left the team"
    )
    d = as_json(ok(run(world.mle, "keys", "list", "--json")))
    dana = next(k for k in d["keys"] if k["name"] == "Dana")
    assert dana["status"] == "revoked" and dana["revoked_reason"] == "left the team"
    assert dana["revoked_at"]
    assert "revoked" in ok(run(world.mle, "keys", "list")).stdout
    result = run(world.mle, "verify", world.bundle, "--json")
    assert result.exit_code == 3 and "left the team" in as_json(result)["trust_problem"]


def test_keys_trust_prints_the_fingerprint(world):
    result = ok(run(world.stranger, "keys", "trust", world.base.dana_pub, "--name", "Dana"))
    assert result.stdout.splitlines()[:2] == [
        "Trusted the key of Dana",
        f"fingerprint {format_fingerprint(world.base.dana_fp)}",
    ]
    assert as_json(ok(run(world.stranger, "verify", world.bundle, "--json")))["trusted"] is True


# --- the stock OMS tool accepts what Baton signs --------------------------------------------


def _stock_verify(folder: Path, sig: str, public: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(STOCK), "verify", "key", "--signature", str(folder / sig),
         "--public_key", str(public), str(folder)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _extract(archive: Path, folder: Path) -> Path:
    with zipfile.ZipFile(archive) as zf:  # our own bundle: a plain extract is fine
        zf.extractall(folder)
    return folder


@needs_stock
def test_stock_model_signing_accepts_the_bundle_and_the_receipt(trip, handover, tmp_path):
    _, receipt, _ = trip
    folder = _extract(handover.bundle, tmp_path / "bundle")
    good = _stock_verify(folder, "model.sig", handover.dana_pub)
    assert good.returncode == 0, good.stderr
    assert "Verification succeeded" in good.stdout
    wrong_key = _stock_verify(folder, "model.sig", handover.eli_pub)
    assert wrong_key.returncode != 0

    rfolder = _extract(receipt, tmp_path / "receipt")
    good = _stock_verify(rfolder, "review.sig", handover.eli_pub)
    assert good.returncode == 0, good.stderr
    assert "Verification succeeded" in good.stdout
    review = rfolder / "review.json"
    review.write_bytes(review.read_bytes().replace(b'"accept"', b'"reject"'))
    bad = _stock_verify(rfolder, "review.sig", handover.eli_pub)
    assert bad.returncode != 0 and "review.json" in bad.stderr + bad.stdout


@needs_stock
def test_stock_model_signing_refuses_a_tampered_bundle(handover, tmp_path):
    folder = _extract(handover.bundle, tmp_path / "bundle")
    target = folder / "data" / "test.parquet"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    bad = _stock_verify(folder, "model.sig", handover.dana_pub)
    assert bad.returncode != 0
    assert "data/test.parquet" in bad.stderr + bad.stdout
    shutil.rmtree(folder)
