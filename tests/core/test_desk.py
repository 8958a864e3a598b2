"""The engineer's desk as core use cases, without Qt: open for review, reproduce,
countersign, verify a receipt, trust a signer after comparing its fingerprint, compare.

Uses the session's handover of ``tests/gui/world.py`` (Dana's two bundles, Eli's accepted
receipt, a tampered copy and a stranger who trusts nobody), on copies of its homes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from baton.core.catalog.store import Catalog
from baton.core.errors import Cancelled, KeyError_, UsageError, VerificationError
from baton.core.handover import bundle, desk, trust
from baton.core.present import format_fingerprint
from baton.core.progress import CancelToken
from tests.gui.world import PASSPHRASE, World


@pytest.fixture(scope="module")
def world(handover_world) -> World:
    return handover_world


@pytest.fixture
def homes(world: World, tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name in ("scientist", "engineer", "stranger"):
        out[name] = tmp_path / name
        shutil.copytree(world.root / name, out[name])
    return out


@pytest.fixture
def catalog_of():
    opened: list[Catalog] = []

    def open_(home: Path) -> Catalog:
        opened.append(Catalog(home))
        return opened[-1]

    yield open_
    for cat in opened:
        cat.close()


@pytest.mark.parametrize("candidates", [False, True])
def test_a_cancel_while_the_files_are_read_says_only_that(
    world, homes, catalog_of, monkeypatch, candidates
):
    """Cancelled as its model and data are read (the moment a reviewer who presses Cancel
    right after Reproduce hits), a bundle's check says what any cancel says, not a fault of
    the bundle named after it; so with the second candidate's model."""
    token = CancelToken()
    if candidates:
        checks = bundle.run_task

        def cancel_after_the_first(name, params, **kwargs):
            if params["tables"] == []:  # the candidate's model and predictions
                token.cancel()
            return checks(name, params, **kwargs)

        monkeypatch.setattr(bundle, "run_task", cancel_after_the_first)
    else:
        check_card = bundle.card.check_card

        def then_cancel(*args):  # the last check before the files are read in a child
            check_card(*args)
            token.cancel()

        monkeypatch.setattr(bundle.card, "check_card", then_cancel)
    with pytest.raises(Cancelled) as raised:
        bundle.open_bundle(catalog_of(homes["engineer"]), world.bundle, cancel=token)
    assert str(raised.value) == "Cancelled by the user."


def test_open_for_review_gathers_what_the_reviewer_reads_first(world, homes, catalog_of):
    cat = catalog_of(homes["engineer"])
    opened = desk.open_for_review(cat, world.bundle)
    assert opened.state == "verified" and opened.trusted
    assert opened.summary["name"] == "breast-cancer-lr" and opened.summary["version"] == "1"
    assert opened.author is not None
    assert opened.author["fingerprint"] == world.dana["fingerprint"]
    assert opened.revoked is None
    assert opened.card[0].kind == "h1" and opened.card[0].text.startswith("breast-cancer-lr ")
    assert opened.reproduction is not None  # the demo reproduced it in this home
    assert opened.reproduction["agreement"]["rate"] == 1.0


def test_open_for_review_of_an_untrusted_and_a_revoked_signer(world, homes, catalog_of):
    stranger = desk.open_for_review(catalog_of(homes["stranger"]), world.bundle)
    assert stranger.state == "untrusted" and stranger.reproduction is None
    assert stranger.can_trust_signer and stranger.revoked is None

    cat = catalog_of(homes["engineer"])
    trust.revoke_key(cat, world.dana["fingerprint"], "laptop lost")
    revoked = desk.open_for_review(cat, world.bundle)
    assert revoked.state == "untrusted" and not revoked.can_trust_signer
    assert revoked.revoked is not None and revoked.revoked["revoked_reason"] == "laptop lost"


def test_open_for_review_refuses_a_tampered_bundle_with_a_typed_error(world, homes, catalog_of):
    with pytest.raises(VerificationError) as refused:
        desk.open_for_review(catalog_of(homes["engineer"]), world.tampered)
    assert "model/model.skops" in str(refused.value)


def test_reproduce_returns_the_result_core_recorded(world, homes, catalog_of):
    cat = catalog_of(homes["engineer"])
    reproduced = desk.reproduce(cat, world.bundle, budget_s=0.05)
    assert reproduced.result["agreement"]["rate"] == 1.0
    assert reproduced.passed == (reproduced.result["verdict"] == "pass")
    assert desk.open_for_review(cat, world.bundle).reproduction == reproduced.result


def test_countersign_writes_a_receipt_and_refuses_a_wrong_passphrase(
    world, homes, catalog_of, tmp_path
):
    cat = catalog_of(homes["engineer"])
    out = tmp_path / "bc-2.review.baton"
    with pytest.raises(KeyError_) as wrong:
        desk.countersign(
            cat, world.bundle_v2, decision="changes", comment="Faster, please.",
            out=out, passphrase="not it",
        )  # fmt: skip
    assert str(wrong.value).startswith("wrong passphrase for ")
    messages: list[str] = []
    signed = desk.countersign(
        cat,
        world.bundle_v2,
        decision="changes",
        comment="Faster, please.",
        target_comments={"f1": "Keep it."},
        out=out,
        passphrase=PASSPHRASE,
        progress=lambda done, total, message: messages.append(message),
    )
    assert messages == ["Signing the decision"]
    assert signed.file == out and out.is_file() and signed.decision == "changes"
    assert signed.receipt["target_comments"] == [{"target": "f1", "comment": "Keep it."}]


def test_verify_receipt_records_it_for_the_scientist(world, homes, catalog_of):
    check = desk.verify_receipt(catalog_of(homes["scientist"]), world.receipt)
    assert check.state == "verified" and check.trusted and check.revoked is None
    assert check.review["decision"] == "accept"
    assert check.summary["recorded"] is True

    stranger = desk.verify_receipt(catalog_of(homes["stranger"]), world.receipt)
    assert stranger.state == "untrusted" and stranger.can_trust_signer


def test_verify_receipt_names_a_revoked_reviewer(world, homes, catalog_of):
    cat = catalog_of(homes["scientist"])
    trust.revoke_key(cat, world.eli["fingerprint"], "left the team")
    check = desk.verify_receipt(cat, world.receipt)
    assert check.state == "untrusted" and not check.can_trust_signer
    assert check.revoked is not None and check.revoked["revoked_reason"] == "left the team"


def test_trust_signer_only_after_the_compared_fingerprint_matches(world, homes, catalog_of):
    cat = catalog_of(homes["stranger"])
    author = desk.open_for_review(cat, world.bundle).author
    assert author is not None
    eli = world.eli["fingerprint"]
    with pytest.raises(VerificationError) as mismatch:
        desk.trust_signer(
            cat, author["public_key"], compared_fingerprint=eli, name="Dana Scientist"
        )
    assert str(mismatch.value) == (
        "the public key in the signed document has the fingerprint "
        f"{format_fingerprint(author['fingerprint'])}, not {format_fingerprint(eli)}; "
        "nothing was trusted"
    )
    assert trust.key_status(cat, author["fingerprint"]) == "unknown"

    trusted = desk.trust_signer(
        cat,
        author["public_key"],
        compared_fingerprint=format_fingerprint(author["fingerprint"]),  # as shown: grouped
        name="Dana Scientist",
        email="dana@example.org",
    )
    assert trusted.fingerprint == author["fingerprint"] and trusted.name == "Dana Scientist"
    assert desk.open_for_review(cat, world.bundle).state == "verified"


def test_trust_key_file_checks_the_compared_fingerprint_and_refuses_a_revoked_key(
    world, homes, catalog_of, tmp_path
):
    cat = catalog_of(homes["engineer"])
    pub = tmp_path / "dana.pub"
    pub.write_text(desk.open_for_review(cat, world.bundle).author["public_key"])
    with pytest.raises(VerificationError, match="nothing was trusted"):
        desk.trust_key_file(cat, pub, name="Dana", compared_fingerprint=world.eli["fingerprint"])
    trust.revoke_key(cat, world.dana["fingerprint"], "laptop lost")
    with pytest.raises(UsageError, match="a revoked key cannot be trusted again"):
        desk.trust_key_file(cat, pub, name="Dana", compared_fingerprint=world.dana["fingerprint"])


def test_compare_two_versions_and_refuse_a_tampered_one(world, homes, catalog_of):
    cat = catalog_of(homes["engineer"])
    steps: list[tuple] = []
    compared = desk.compare(
        cat, world.bundle, world.bundle_v2, progress=lambda *step: steps.append(step)
    )
    assert steps[-1] == (1, 1, "Compared")
    assert compared.old["version"] == "1" and compared.new["version"] == "2"
    assert compared.old["contract"]["identity"]["version"] == "1"
    assert any(c["path"].startswith("targets") for c in compared.diff["changes"])
    with pytest.raises(VerificationError):
        desk.compare(cat, world.bundle, world.tampered)
