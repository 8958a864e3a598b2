"""Trust that means what it says (DESIGN.md section 3): who may sign a bundle, whose
history a bundle is checked against, what counts as the same name and version, and who
may approve a handover.

The attacker here is Mallory, a colleague the engineer trusts: her signature is valid
and her key is in the trust store, so only these rules stand between her and Dana's
handovers. Every case goes through the command line and checks the exit code, the text
the user sees and what the catalog recorded.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from baton.core.contract import card
from baton.core.contract import document as contracts
from baton.core.handover import bundle as bundles
from baton.core.present import format_fingerprint

pytest.register_assert_rewrite("tests.handover")  # before the import below

from tests.handover import (  # noqa: E402
    BUNDLE,
    INTENDED_USE,
    NAME,
    Snapshot,
    as_json,
    contract_of,
    error_line,
    handover_rows,
    ok,
    public_pem,
    read_members,
    rewrite,
    run,
    with_contract,
)

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world, private_tmp


# --- helpers ------------------------------------------------------------------------------


def verify(home: Path, path: Path):
    return run(home, "verify", path, "--json")


def trust_mallory(world) -> None:
    ok(run(world.mle, "keys", "trust", world.base.mallory_pub, "--name", "Mallory"))


def mallory_author(world) -> dict:
    return {
        "name": "Mallory",
        "email": "mallory@example.org",
        "fingerprint": world.base.mallory_fp,
        "public_key": public_pem(world.mallory_key),
    }


def variant(world, file: str, key, *, name: str | None = None, version: str | None = None,
            authors: list[dict] | None = None) -> Path:  # fmt: skip
    """The session bundle with its identity changed, the card rendered again from the
    changed contract (as `pack` does), and signed with ``key``."""

    def edit(members: dict[str, bytes]) -> dict[str, bytes]:
        contract = contract_of(members)
        identity = contract["identity"]
        identity.update({k: v for k, v in (("name", name), ("version", version)) if v})
        if authors is not None:
            identity["authors"] = authors
        members = with_contract(members, contract)
        members["card.md"] = card.render_markdown(contract).encode("utf-8")
        return members

    return rewrite(world.bundle, world.path(file), edit, resign=key)


def refused(world, tmp: Path, home: Path, args: tuple, code: int, *needles: str) -> str:
    """Run ``args`` in ``home``; the exit code, one error line with ``needles``, and no
    catalog row or file changed anywhere."""
    snap = Snapshot([world.mle, world.ds, world.stranger], [world.root], tmp)
    result = run(home, *args)
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    message = error_line(result)
    for needle in needles:
        assert needle in message, message
    snap.unchanged()
    return message


def who(name: str, fp: str) -> str:
    return f"{name} ({format_fingerprint(fp)})"


# --- 1. the signer must be an author the contract names -------------------------------------


def test_a_trusted_colleague_cannot_sign_someone_elses_contract(world, private_tmp):
    """Mallory re-signs Dana's bundle as it stands: the contract still names Dana as its
    author. Mallory's key is trusted, so the signature checks out; the bundle must not."""
    trust_mallory(world)
    forged = rewrite(world.bundle, world.path("forged.baton"), resign=world.mallory_key)
    message = refused(world, private_tmp, world.mle, ("verify", str(forged), "--json"), 1)
    assert message == (
        f"Error: forged.baton: signed by {who('Mallory', world.base.mallory_fp)}, but the "
        f"contract names {who('Dana', world.base.dana_fp)} as its author"
    )
    refused(world, private_tmp, world.mle,
            ("review", str(forged), "--reproduce", "--budget", "0.05", "--json"), 1,
            "signed by Mallory", "but the contract names Dana")  # fmt: skip


def test_a_second_author_may_sign(world, private_tmp):
    """A contract that names Dana and Mallory may be signed by either of them."""
    trust_mallory(world)
    (dana,) = contract_of(read_members(world.bundle))["identity"]["authors"]
    both = variant(world, "both.baton", world.mallory_key, authors=[dana, mallory_author(world)])
    data = as_json(ok(verify(world.mle, both)))
    assert data["trusted"] is True and data["signer_fingerprint"] == world.base.mallory_fp


# --- 2. rollback history per (name, author key) -----------------------------------------------


def _churn(world, who_: str, version: str) -> Path:
    if who_ == "mallory":
        return variant(world, f"mallory-churn-{version}.baton", world.mallory_key,
                       name="churn", version=version, authors=[mallory_author(world)])  # fmt: skip
    return variant(world, f"dana-churn-{version}.baton", world.dana_key, name="churn",
                   version=version)  # fmt: skip


def _collision(data: dict) -> str:
    assert data["trusted"] is True, data
    assert data["name_collision"], data
    return data["name_collision"]


def test_another_authors_higher_version_never_blocks_the_genuine_author(world, private_tmp):
    """Trusted Mallory sends "churn" version 99 first; Dana's "churn" 2 still verifies,
    and is reported as sharing its name with Mallory's bundles."""
    trust_mallory(world)
    ok(verify(world.mle, _churn(world, "mallory", "99")))
    result = ok(verify(world.mle, _churn(world, "dana", "2")))
    note = _collision(as_json(result))
    assert note == (
        f"name collision: bundles named churn also came from "
        f"{who('Mallory', world.base.mallory_fp)}; this one is from "
        f"{who('Dana', world.base.dana_fp)} and is checked against that author's versions only"
    )
    text = ok(run(world.mle, "verify", _churn(world, "dana", "2"))).stdout
    assert f"  {note}\n" in text
    # each author's history is kept: Dana 3 is fine, Dana 1 is still a rollback
    ok(verify(world.mle, _churn(world, "dana", "3")))
    refused(world, private_tmp, world.mle, ("verify", str(_churn(world, "dana", "1")), "--json"),
            1, "churn version 1 is older than version 3 already received", "refusing a rollback")  # fmt: skip
    rows = handover_rows(world.mle, "received")
    received = {(r["version"], r["signer_fingerprint"]) for r in rows}
    assert received == {("99", world.base.mallory_fp), ("2", world.base.dana_fp),
                        ("3", world.base.dana_fp)}  # fmt: skip


def test_a_name_collision_does_not_poison_the_genuine_history(world, private_tmp):
    """The reverse order: Dana's "churn" 2 first, then Mallory's 99 (reported as a name
    collision), then Dana's 2 again and her 3: none of them is blocked."""
    trust_mallory(world)
    ok(verify(world.mle, _churn(world, "dana", "2")))
    assert as_json(ok(verify(world.mle, _churn(world, "dana", "2"))))["name_collision"] is None
    note = _collision(as_json(ok(verify(world.mle, _churn(world, "mallory", "99")))))
    dana = who("Dana", world.base.dana_fp)
    assert note.startswith(f"name collision: bundles named churn also came from {dana}")
    assert who("Mallory", world.base.mallory_fp) in note
    ok(verify(world.mle, _churn(world, "dana", "2")))
    ok(verify(world.mle, _churn(world, "dana", "3")))
    # Mallory's own history still protects her versions from a rollback
    refused(world, private_tmp, world.mle,
            ("verify", str(_churn(world, "mallory", "98")), "--json"), 1,
            "churn version 98 is older than version 99", "refusing a rollback")  # fmt: skip


# --- 3. one version, one name: by the contract's ordering, NFC and case folding ---------------


@pytest.mark.parametrize("first,then", [("2.0", "2"), ("2", "2.0.0")])
def test_the_same_version_written_differently_is_the_same_version(world, private_tmp, first, then):
    ok(verify(world.mle, variant(world, "first.baton", world.dana_key, version=first)))
    other = variant(world, "then.baton", world.dana_key, version=then)
    message = refused(world, private_tmp, world.mle, ("verify", str(other), "--json"), 1)
    assert message.startswith(
        f"Error: then.baton: bc-lr version {then} was seen before as version {first} with "
        "different content (root digest "
    )
    assert message.endswith("refusing a changed bundle under a known version")


@pytest.mark.parametrize("name", ["BC-LR", "Bc-Lr"])
def test_a_name_in_other_case_is_the_same_name(world, private_tmp, name):
    ok(verify(world.mle, variant(world, "v2.baton", world.dana_key, version="2")))
    older = variant(world, "older.baton", world.dana_key, name=name, version="1")
    refused(world, private_tmp, world.mle, ("verify", str(older), "--json"), 1,
            f"{name} version 1 is older than version 2 already received (as bc-lr)",
            "refusing a rollback")  # fmt: skip
    changed = variant(world, "changed.baton", world.dana_key, name=name, version="2.0")
    refused(world, private_tmp, world.mle, ("verify", str(changed), "--json"), 1,
            f"{name} version 2.0 was seen before as bc-lr version 2 with different content")  # fmt: skip


def test_pack_refuses_a_name_and_version_that_differ_only_in_writing(world, files):
    """Dana packed bc-lr 1; "BC-LR" 1.0 is the same bundle identity, refused before any
    long work (no import, no evaluation)."""
    before = handover_rows(world.ds, "sent")
    result = run(world.ds, "pack", files.lr_skops, "--test", files.bc_test_csv,
                 "--target", "target", "--name", "BC-LR", "--version", "1.0",
                 "--intended-use", INTENDED_USE, "--budget", "0.05",
                 "--out", world.path("again.baton"), "--json")  # fmt: skip
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert error_line(result) == (
        "Error: bc-lr version 1 was already packed (you asked for BC-LR 1.0); "
        "a new bundle needs a higher --version than 1"
    )
    assert handover_rows(world.ds, "sent") == before
    assert not world.path("again.baton").exists()


def test_names_compare_after_nfc_and_case_folding():
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    assert composed != decomposed
    assert unicodedata.normalize("NFC", decomposed) == composed
    assert contracts.same_name(composed, decomposed)
    assert contracts.same_name("Churn", "churn") and contracts.same_name("CHURN", "churn")
    assert contracts.same_name("STRASSE", "stra\u00dfe")  # case folding, not lower()
    assert contracts.same_name("\u212bngstr\u00f6m", "\u00c5NGSTR\u00d6M")  # Angstrom sign
    assert not contracts.same_name("churn", "churn2")


def test_output_file_names_use_the_compared_name_and_version():
    assert bundles.bundle_file_name("Churn", "2.0") == "churn-2.baton"
    assert bundles.bundle_file_name("churn", "2") == "churn-2.baton"
    composed = bundles.bundle_file_name("caf\u00e9", "1")
    assert composed == bundles.bundle_file_name("CAFE\u0301", "1.0")
    assert composed == "caf\u00e9-1.baton"
    assert bundles.receipt_file_name("Churn", "2.0.0") == "churn-2.review.baton"
    assert bundles.receipt_file_name("churn", "2") == "churn-2.review.baton"


def test_the_export_dialog_suggests_the_same_file_name(tmp_path):
    from baton.gui.export.export_dialog import default_destination

    for name, version in (("Churn", "2.0"), ("churn", "2")):
        contract = {"identity": {"name": name, "version": version}}
        assert default_destination(None, contract).name == "churn-2.baton"


def test_pack_hint_names_the_canonical_file(world, files):
    result = run(world.ds, "pack", files.lr_skops, "--test", files.bc_test_csv,
                 "--target", "target", "--name", "Churn", "--version", "2.0",
                 "--intended-use", INTENDED_USE, "--out", world.path("churn.zip"), "--json")  # fmt: skip
    assert result.exit_code == 2
    assert error_line(result) == "Error: --out must end in .baton, e.g. churn-2.baton"


# --- 4. nobody approves their own handover ------------------------------------------------------


def test_an_author_cannot_countersign_their_own_bundle(world, private_tmp):
    out = world.path(f"{NAME}-1.review.baton")
    for decision in ("accept", "reject"):
        message = refused(world, private_tmp, world.ds,
                          ("review", str(world.bundle), "--decision", decision,
                           "--comment", "looks good to me", "--out", str(out), "--json"), 1)  # fmt: skip
        assert message == (
            f"Error: {BUNDLE}: a handover cannot be approved by its author: you sign as "
            f"{who('Dana', world.base.dana_fp)}, an author of bc-lr 1; another engineer must review it"
        )
        assert not out.exists()


@pytest.fixture
def receipt(world) -> Path:
    out = world.path(f"{NAME}-1.review.baton")
    ok(run(world.mle, "review", world.bundle, "--decision", "reject", "--comment", "too slow",
           "--out", out))  # fmt: skip
    return out


def _resigned_receipt(world, receipt: Path, file: str, key, reviewer: dict) -> Path:
    def edit(members):
        review = json.loads(members["review.json"])
        review["reviewer"] = reviewer
        review["decision"], review["comment"] = "accept", "Approved."
        members["review.json"] = json.dumps(review, indent=2, sort_keys=True).encode() + b"\n"

    return rewrite(receipt, world.path(file), edit, resign=key, sig="review.sig")


def test_a_receipt_signed_by_the_author_is_refused(world, private_tmp, receipt):
    """Dana turns Eli's "reject" into her own "accept", signed with her own (trusted) key."""
    dana = {"name": "Dana", "email": "dana@example.org", "fingerprint": world.base.dana_fp,
            "public_key": public_pem(world.dana_key)}  # fmt: skip
    own = _resigned_receipt(world, receipt, "own.review.baton", world.dana_key, dana)
    expected = (
        f"Error: own.review.baton: a handover cannot be approved by its author: signed by "
        f"{who('Dana', world.base.dana_fp)}, an author of bc-lr 1; not recorded"
    )
    assert refused(world, private_tmp, world.ds, ("verify", str(own), "--json"), 1) == expected
    text = run(world.ds, "verify", own)
    assert text.exit_code == 1 and text.stderr.strip().splitlines()[-1] == expected
    assert [r["status"] for r in handover_rows(world.ds, "sent")] == ["packed"]
    # the engineer's catalog, where Dana's key is trusted too, refuses it the same way
    refused(world, private_tmp, world.mle, ("verify", str(own), "--json"), 1,
            "a handover cannot be approved by its author")  # fmt: skip


def test_a_receipt_from_an_untrusted_key_says_it_was_not_recorded(world, private_tmp, receipt):
    stranger = {"name": "Eli", "email": "eli@example.org", "fingerprint": world.base.mallory_fp,
                "public_key": public_pem(world.mallory_key)}  # fmt: skip
    forged = _resigned_receipt(world, receipt, "forged.review.baton", world.mallory_key, stranger)
    snap = Snapshot([world.ds], [world.root], private_tmp)
    result = verify(world.ds, forged)
    assert result.exit_code == 3, result.stderr
    data = as_json(result)
    assert data["trusted"] is False and data["recorded"] is False
    assert data["not_recorded"] == (
        "not recorded: the reviewer's key is not trusted here, so the handover's status is unchanged"
    )
    text = run(world.ds, "verify", forged)
    assert text.exit_code == 3
    assert text.stdout.startswith("INTACT BUT UNTRUSTED: forged.review.baton\n")
    assert f"  {data['not_recorded']}\n" in text.stdout
    assert "recorded against" not in text.stdout
    snap.unchanged()
    assert [r["status"] for r in handover_rows(world.ds, "sent")] == ["packed"]
    # the genuine receipt is still recorded
    data = as_json(ok(verify(world.ds, receipt)))
    assert data["recorded"] is True and data["not_recorded"] is None
    assert [r["status"] for r in handover_rows(world.ds, "sent")] == ["reject"]
