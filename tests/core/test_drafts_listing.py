"""Listing stored drafts for the desktop's contract editor, and sent handovers with reviews."""

from __future__ import annotations

import pytest

from baton.core.catalog.handovers import sent_handovers
from baton.core.contract import drafts
from tests.core.test_contract import make_contract


@pytest.fixture
def model(catalog):
    contract = make_contract()
    return catalog.add_model(
        {
            "name": "bc-lr",
            "format": "skops",
            "sha256": contract["model"]["sha256"],
            "task": "binary",
        }
    )


def _draft(name="binary-model", version="1.0.0", **identity):
    contract = make_contract()
    contract["identity"].update(name=name, version=version, **identity)
    return contract


def test_drafts_of_a_model_newest_version_first(catalog, model):
    other = catalog.add_model({"name": "other", "format": "onnx", "sha256": "0" * 64})
    drafts.save(catalog, _draft(version="1"), model)
    drafts.save(catalog, _draft(version="1.10"), model)
    drafts.save(catalog, _draft(version="1.9"), model)
    drafts.save(catalog, _draft(name="elsewhere", version="1"), other)
    # Stored without a model (as `baton contract set` does), found by the model's digest.
    drafts.save(catalog, _draft(version="2"))

    mine = drafts.list_drafts(catalog, "bc-lr")
    assert [(d["name"], d["version"]) for d in mine] == [
        ("binary-model", "2"),
        ("binary-model", "1.10"),
        ("binary-model", "1.9"),
        ("binary-model", "1"),
    ]
    assert mine[-1]["model_id"] == model["id"]
    assert [d["name"] for d in drafts.list_drafts(catalog, other["id"])] == ["elsewhere"]
    assert len(drafts.list_drafts(catalog)) == 5


def test_previous_draft_is_the_newest_lower_version(catalog, model):
    for version, use in (("1", "first"), ("1.2", "second"), ("3", "third")):
        drafts.save(catalog, _draft(version=version, intended_use=use), model)
    assert drafts.previous_draft(catalog, "binary-model", "3")["identity"]["intended_use"] == (
        "second"
    )
    assert drafts.previous_draft(catalog, "binary-model", "1.10")["identity"]["version"] == "1.2"
    assert drafts.previous_draft(catalog, "binary-model", "1") is None
    assert drafts.previous_draft(catalog, "nobody", "9") is None


def _packed(catalog, name, version):
    with catalog.write() as db:
        db["handovers"].insert(
            {
                "id": f"{name}-{version}",
                "direction": "sent",
                "name": name,
                "version": version,
                "root_digest": "c" * 64,
                "status": "packed",
                "path": f"/tmp/{name}-{version}.baton",
                "created_at": f"2026-01-0{version}T00:00:00Z",
            }
        )


def test_next_version_and_what_stops_a_new_draft(catalog, model):
    assert drafts.next_version(catalog, "binary-model") == "1"
    assert drafts.new_draft_issues(catalog, "binary-model", "1") == []
    drafts.save(catalog, _draft(version="1.2.0"), model)
    _packed(catalog, "binary-model", "2")
    assert drafts.next_version(catalog, "binary-model") == "3"

    def messages(name, version):
        return [(i.path, i.message) for i in drafts.new_draft_issues(catalog, name, version)]

    assert messages("", "01") == [
        (
            "identity.name",
            "identity.name must be 1 to 64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit, not ''",
        ),
        (
            "identity.version",
            "identity.version must be a version such as '3' or '1.0.0' (one to four "
            "dot-separated whole numbers, no leading zeros), not '01'",
        ),
    ]
    assert messages("binary-model", "1.2") == [
        (
            "identity.version",
            "a draft of binary-model version 1.2 is already stored; open it, or choose another "
            "version, such as 3",
        )
    ]
    assert messages("binary-model", "2") == [
        (
            "identity.version",
            "binary-model version 2 was already packed; a new draft needs a higher version, "
            "such as 3",
        )
    ]
    assert messages("binary-model", "3") == []


def test_sent_handovers_carry_their_latest_review(catalog):
    _packed(catalog, "churn", "1")
    _packed(catalog, "churn", "2")
    review = {"handover_id": "churn-1", "reviewer": "Eli", "reviewer_fingerprint": "e" * 64}
    with catalog.write() as db:
        db["reviews"].insert_all(
            [
                {**review, "id": "r1", "decision": "changes", "comment": "later please",
                 "created_at": "2026-02-01T00:00:00Z"},
                {**review, "id": "r2", "decision": "accept", "comment": "fine now",
                 "created_at": "2026-02-02T00:00:00Z"},
            ]
        )  # fmt: skip
    rows = sent_handovers(catalog)
    assert [(r["version"], r["decision"]) for r in rows] == [("2", None), ("1", "accept")]
    assert rows[1]["reviewer"] == "Eli" and rows[1]["review_comment"] == "fine now"
    assert rows[1]["decided_at"] == "2026-02-02T00:00:00Z"
    assert rows[0]["path"] == "/tmp/churn-2.baton"
    assert sent_handovers(catalog, limit=1)[0]["version"] == "2"
