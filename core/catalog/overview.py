"""What is waiting in a catalog and what to do next: the home page of both desks and
``baton status``.

The data scientist's models go through stages (not evaluated, evaluated, contract
drafted), then leave as a sent handover (awaiting review, then accepted, changes requested
or rejected); the engineer's received bundles wait for a decision. Each stage says its
next step in words. Counts come from SQL aggregates and only the newest few records of
each stage are read, so the overview stays quick at 100 000 models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from baton.core.catalog.store import Catalog

SHOWN = 5  # records named per stage; the count says how many there are in all
DEMO_MARKER = "demo-workspace.txt"  # written by ``baton demo`` when it built a workspace

# A received bundle's status and a sent one's decision, in words (the sidebar's too).
RECEIVED_STATUS_TEXT = {
    "verified": "verified, no decision yet",
    "accept": "accepted",
    "changes": "changes requested",
    "reject": "rejected",
}
SENT_STATUS_TEXT = {
    "packed": "awaiting review",
    "accept": "accepted",
    "changes": "changes requested",
    "reject": "rejected",
}

# key, title, next step, action (what the home page's button does)
MODEL_STAGES = (
    (
        "not_evaluated",
        "Not evaluated",
        "Evaluate it on a labelled test set and profile its latency.",
        "evaluate",
    ),
    (
        "evaluated",
        "Evaluated, no contract yet",
        "Draft its handover contract: intended use, limitations and the targets.",
        "draft",
    ),
    (
        "drafted",
        "Contract drafted, not sent",
        "Export the signed bundle and send it to the engineer.",
        "export",
    ),
)
SENT_STAGES = (
    ("packed", "Sent, awaiting review", "The engineer's signed receipt comes back here.", "open"),
    ("changes", "Changes requested", "Read the comments and send a new version.", "open"),
    ("reject", "Rejected", "Read why in the receipt.", "open"),
    ("accept", "Accepted", "Nothing to do: the receipt records the decision.", "open"),
)
RECEIVED_STAGES = (
    (
        "verified",
        "Received, awaiting your decision",
        "Reproduce the claims on this machine, then accept, ask for changes or reject.",
        "open",
    ),
    ("decided", "Decided", "Your countersigned receipt went back to the sender.", "open"),
)

# The models handed over from here: each sent bundle's primary model and candidates
# (packing a file straight away leaves no draft, so the bundles are what tells), and the
# models anything happened to (measured, drafted or sent); every other model is not
# evaluated. Only those few are given a stage one by one, so 100 000 models that were
# merely imported cost one count and an index walk for the newest of them.
_TOUCHED = (
    "with sent_models(sha256) as ("
    "select json_extract(contract, '$.model.sha256') from handovers where direction = 'sent' "
    "union select json_extract(c.value, '$.model.sha256') "
    "from handovers h, json_each(h.contract, '$.candidates') c where h.direction = 'sent'), "
    "touched(id) as (select model_id from evaluations union select model_id from contracts "
    "where model_id is not null union select id from models where sha256 in sent_models) "
)
# A touched model's stage, furthest first: a draft not yet packed, handed over, measured.
_UNSENT_DRAFT = (
    "exists (select 1 from contracts c where c.model_id = m.id and not exists ("
    "select 1 from handovers h where h.direction = 'sent' "
    "and h.name = c.name and h.version = c.version))"
)
_ANY_DRAFT = "exists (select 1 from contracts c where c.model_id = m.id)"
_STAGE_SQL = (
    f"case when {_UNSENT_DRAFT} then 'drafted' "
    f"when m.sha256 in sent_models or {_ANY_DRAFT} then 'sent' else 'evaluated' end"
)
_COLUMNS = "m.name, m.estimator, m.task"
_ORDER = "order by m.created_at desc, m.name limit ?"


@dataclass(frozen=True)
class Item:
    """One record of a stage: a model (``ref`` its name) or a handover (``ref`` its file)."""

    label: str
    detail: str
    ref: str
    exists: bool = True


@dataclass(frozen=True)
class Stage:
    key: str
    title: str
    next_step: str
    action: str
    count: int
    items: tuple[Item, ...]


@dataclass
class Overview:
    """``models``, ``sent`` and ``received``: the stages that hold something, in order."""

    models: list[Stage] = field(default_factory=list)
    sent: list[Stage] = field(default_factory=list)
    received: list[Stage] = field(default_factory=list)
    demo: bool = False  # the catalog ``baton demo`` built
    empty: bool = True  # no model, dataset or handover at all

    def as_json(self) -> dict[str, Any]:
        def stages(found: list[Stage]) -> list[dict[str, Any]]:
            return [
                {
                    "stage": s.key,
                    "title": s.title,
                    "next_step": s.next_step,
                    "count": s.count,
                    "shown": [
                        {"label": i.label, "detail": i.detail, "ref": i.ref, "exists": i.exists}
                        for i in s.items
                    ],
                }
                for s in found
            ]

        return {
            "models": stages(self.models),
            "sent": stages(self.sent),
            "received": stages(self.received),
            "demo": self.demo,
            "empty": self.empty,
        }


def overview(catalog: Catalog, shown: int = SHOWN) -> Overview:
    """Read what waits in ``catalog``: a few aggregate queries and ``shown`` rows per stage."""
    out = Overview(demo=(Path(catalog.home) / DEMO_MARKER).is_file())
    conn = catalog.conn
    counts = dict(
        conn.execute(
            f"{_TOUCHED} select {_STAGE_SQL} as stage, count(*) from models m "
            "where m.id in touched group by stage"
        )
    )
    total = conn.execute("select count(*) from models").fetchone()[0]
    counts["not_evaluated"] = total - sum(counts.values())
    for key, title, step, action in MODEL_STAGES:
        if not counts.get(key):
            continue
        if key == "not_evaluated":
            query = f"{_TOUCHED} select {_COLUMNS} from models m where m.id not in touched"
            params: list[Any] = [shown]
        else:
            query = (
                f"{_TOUCHED} select {_COLUMNS} from models m "
                f"where m.id in touched and ({_STAGE_SQL}) = ?"
            )
            params = [key, shown]
        items = tuple(
            Item(name, " · ".join(str(b) for b in (estimator, task) if b), name)
            for name, estimator, task in conn.execute(f"{query} {_ORDER}", params)
        )
        out.models.append(Stage(key, title, step, action, counts[key], items))
    out.sent = _handover_stages(
        catalog.handovers.sent(limit=None),
        SENT_STAGES,
        lambda row: row.get("decision") or row.get("status") or "packed",
        lambda row: _sent_detail(row),
        shown,
    )
    out.received = _handover_stages(
        catalog.handovers.received(),
        RECEIVED_STAGES,
        lambda row: "verified" if (row.get("status") or "verified") == "verified" else "decided",
        lambda row: _received_detail(catalog, row),
        shown,
    )
    datasets = conn.execute("select exists (select 1 from datasets)").fetchone()[0]
    out.empty = not (total or datasets or out.sent or out.received)
    return out


def _handover_stages(rows, stages, stage_of, detail_of, shown: int) -> list[Stage]:
    found = []
    for key, title, step, action in stages:
        of_stage = [r for r in rows if stage_of(r) == key]
        if not of_stage:
            continue
        items = tuple(
            Item(
                f"{r['name']} {r['version']}",
                detail_of(r),
                r.get("path") or "",
                bool(r.get("path")) and Path(r["path"]).is_file(),
            )
            for r in of_stage[:shown]
        )
        found.append(Stage(key, title, step, action, len(of_stage), items))
    return found


def _sent_detail(row: dict[str, Any]) -> str:
    status = row.get("decision") or row.get("status") or "packed"
    words = SENT_STATUS_TEXT.get(status, status)
    if row.get("reviewer") and row.get("decision"):
        words += f" by {row['reviewer']}"
    return words


def _received_detail(catalog: Catalog, row: dict[str, Any]) -> str:
    status = row.get("status") or "verified"
    words = RECEIVED_STATUS_TEXT.get(status, status)
    fingerprint = row.get("signer_fingerprint")
    signer = catalog.trusted_keys.get(fingerprint) if fingerprint else None
    if signer:
        words = f"signed by {signer['name']}, {words}"
    return words
