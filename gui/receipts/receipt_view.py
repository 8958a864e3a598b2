"""The data scientist's side of a review: opening a ``NAME-VERSION.review.baton``.

:class:`ReceiptPage` runs :func:`baton.core.handover.desk.verify_receipt` on a worker and shows
what came back: the decision in large coloured letters, the overall comment, the comment
on each target, the reviewer and their key's fingerprint, what they reproduced on which
hardware, and whether the decision was recorded against a bundle packed in this catalog.
A receipt from a reviewer whose key is not trusted is shown (it is intact) but not
recorded; the banner offers the same compare-the-fingerprint trust flow as a bundle.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from baton.core.errors import BatonError
from baton.core.present import (
    fmt_count,
    fmt_percent,
    fmt_target_value,
    fmt_when,
    target_label,
)
from baton.gui.common import theme
from baton.gui.common.review_worker import Job, verify_receipt_job
from baton.gui.common.signed import FingerprintLabel, SignedDocumentPage
from baton.gui.common.tables import ReadOnlyTable, pair, scroll_page
from baton.gui.common.verdicts import DECISION_TEXT, VERDICT_KIND, VERDICT_TEXT
from baton.gui.common.widgets import KeyValueGrid, PlainLabel, card, expanding_filler, muted_label
from baton.gui.common.workers import TaskRunner

DECISION_HEADLINE = {
    "accept": "ACCEPTED",
    "changes": "CHANGES REQUESTED",
    "reject": "REJECTED",
}


def _two_verdicts(rep: dict[str, Any]) -> str:
    """Both verdicts in their own words, from the receipt's booleans (never its text)."""
    claims, targets = rep.get("claims_reproduced"), rep.get("targets_met_on_this_machine")
    if claims is None or targets is None:  # a receipt from before the two verdicts
        return "every claim reproduced" if rep.get("verdict") == "pass" else "some checks failed"
    return (
        f"claims {'reproduced' if claims is True else 'not reproduced'}, "
        f"targets {'met' if targets is True else 'not met'} on this machine"
    )


def _metric_of(target_key: str) -> str:
    return target_key.split("@", 1)[0]


class ReceiptPage(SignedDocumentPage):
    """One review receipt; see the module docstring.

    Signals: ``verification_finished(state)`` (``verified``, ``untrusted``, ``refused``),
    ``trusted(message)``, ``catalog_changed()`` (a decision was recorded or a key trusted).
    """

    busy_detail = "Checking the reviewer's signature."
    shows_progress = False  # a receipt is two small files: no progress worth a detail line

    def __init__(
        self,
        home: str | Path,
        path: str | Path,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(home, Path(path).name, parent, runner=runner)
        self.path = Path(path)
        self.checked: Any = None  # the desk's ReceiptCheck once verified
        self.review: dict[str, Any] | None = None

        outer = self.layout_
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(12)
        self.decision = PlainLabel()
        self.decision.setObjectName("Decision")
        font = self.decision.font()
        font.setPointSizeF(font.pointSizeF() + 12)
        font.setBold(True)
        self.decision.setFont(font)
        self.decided_by = muted_label()
        self.comment = PlainLabel()
        self.comment.setWordWrap(True)
        self.comment.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        comment_font = self.comment.font()
        comment_font.setPointSizeF(comment_font.pointSizeF() + 1)
        self.comment.setFont(comment_font)
        layout.addWidget(card(self.decision, self.decided_by, self.comment, margins=14))
        self.recorded = PlainLabel()
        self.recorded.setWordWrap(True)
        self.recorded.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.recorded)
        self.target_comments = ReadOnlyTable(("Target", "Reviewer's comment"))
        self.target_comments.setWordWrap(True)
        self.no_target_comments = muted_label("The reviewer left no comment on a single target.")
        layout.addWidget(
            card(self.target_comments, self.no_target_comments, title="Comments per target")
        )
        self.reviewer = KeyValueGrid()
        self.reviewer_fp = FingerprintLabel("", 12.0)
        self.bundle = KeyValueGrid()
        layout.addWidget(
            pair(
                card(self.reviewer, self.reviewer_fp, title="Reviewer"),
                card(self.bundle, title="The bundle it answers"),
            )
        )
        self.reproduced = PlainLabel()
        self.reproduced.setWordWrap(True)
        self.reproduced_targets = ReadOnlyTable(
            ("Target", "Claimed", "Measured by the reviewer", "Verdict"), numeric=(1, 2)
        )
        self.reproduced_metrics = ReadOnlyTable(
            ("Metric", "Claimed", "Reviewer's value", "Consistent"), numeric=(1, 2)
        )
        self.hardware = ReadOnlyTable(("Hardware", "Reviewer's machine"))
        self.reproduced_card = card(
            self.reproduced,
            self.reproduced_targets,
            pair(self.reproduced_metrics, self.hardware, (3, 2)),
            title="What the reviewer reproduced",
        )
        layout.addWidget(self.reproduced_card)
        layout.addStretch(1)
        self.body = scroll_page(body)
        outer.addWidget(self.body, 1)
        self.body.hide()
        self.filler = expanding_filler()  # keeps a refused banner compact
        outer.addWidget(self.filler, 1)
        self.verify()

    @property
    def outcome(self) -> dict[str, Any]:
        """The last verification's outcome by field name (empty until one succeeded)."""
        return {} if self.checked is None else dict(vars(self.checked))

    # -- verification

    def verify_job(self) -> Job:
        return verify_receipt_job(self.path)

    def busy_headline(self) -> str:
        return f"Verifying {self.path.name}…"

    def file_line(self) -> str:
        return f"File: {self.path}"

    def cancelled_headline(self) -> str:
        return f"Verification of {self.path.name} was cancelled."

    def cancel(self) -> None:
        self.cancel_verification()

    def show_refused(self, error: BatonError) -> None:
        self.checked = self.review = None
        self.body.hide()
        self.filler.show()

    def show_document(self, checked: Any) -> None:
        self.checked = checked
        self.state = checked.state
        summary = checked.summary
        self.review = summary["review"]
        reviewer = self.review["reviewer"]
        if self.state == "verified":
            self.banner.show_state(
                "ok",
                f"Verified: countersigned by {summary.get('signer_name') or reviewer['name']} "
                f"({summary['signer']}), {summary['files']} file intact",
                "",
                self.file_line(),
            )
            self.banner.trust_button.hide()
        else:
            detail = (
                f"{summary.get('trust_problem')} The decision is shown but not recorded."
                if checked.revoked
                else f"The receipt names its reviewer as {reviewer['name']} <{reviewer['email']}>. Compare "
                "the fingerprint with them by phone or on paper before you trust the key; until then "
                "the decision is shown but not recorded."
            )
            self.banner.show_state(
                "warning",
                f"Intact, but the reviewer is not trusted: {summary['signer']}",
                detail,
                self.file_line(),
            )
            self.banner.trust_button.setVisible(checked.can_trust_signer)
        self._show_review(summary)
        self.filler.hide()
        self.body.show()
        if self.state == "verified" and summary.get("bound_to"):
            self.catalog_changed.emit()

    def _show_review(self, summary: Mapping[str, Any]) -> None:
        from baton.core.present import format_fingerprint

        review = summary["review"]
        c = theme.current_colors()
        decision = review["decision"]
        color = {"accept": c["ok_text"], "changes": c["warn_text"], "reject": c["err_text"]}[
            decision
        ]
        self.title.setText(f"Review of {review['bundle']['name']} {review['bundle']['version']}")
        self.decision.setText(DECISION_HEADLINE[decision])
        self.decision.setStyleSheet(f"color: {color};")
        self.decision.setToolTip(DECISION_TEXT[decision])
        self.decided_by.setText(
            f"by {review['reviewer']['name']} on {fmt_when(review.get('created'))}"
        )
        self.comment.setText(f"“{review.get('comment', '')}”")

        self.recorded.setStyleSheet(f"color: {c['muted']};")
        if self.state != "verified":
            self.recorded.setText("Not recorded: the reviewer's key is not trusted here.")
        elif summary.get("bound_to"):
            self.recorded.setText(
                f"Recorded against the bundle you packed here: {summary['bound_to']}"
            )
            self.recorded.setStyleSheet(f"color: {c['ok_text']}; font-weight: 600;")
        else:
            self.recorded.setText(
                "Not recorded: this receipt answers a bundle that was not packed in this catalog "
                "(no bundle with this name, version and digest was exported from here)."
            )

        comments = review.get("target_comments") or []
        self.target_comments.set_rows([(target_label(t["target"]), t["comment"]) for t in comments])
        self.target_comments.setVisible(bool(comments))
        self.no_target_comments.setVisible(not comments)

        reviewer = review["reviewer"]
        self.reviewer.set_rows([("Name", reviewer.get("name")), ("E-mail", reviewer.get("email"))])
        self.reviewer_fp.set_fingerprint(reviewer.get("fingerprint", ""))
        b = review["bundle"]
        self.bundle.set_rows(
            [
                ("Bundle", f"{b['name']} {b['version']}"),
                ("Signed by", format_fingerprint(b.get("signer_fingerprint", ""))),
                ("Root digest", b.get("root_digest")),
            ],
            mono=("Root digest",),
        )

        rep = review.get("reproduced")
        if not rep:
            self.reproduced.setText(
                "The reviewer did not reproduce the bundle's claims before deciding."
            )
            for w in (self.reproduced_targets, self.reproduced_metrics, self.hardware):
                w.hide()
            return
        a = rep.get("agreement") or {}
        passed = rep.get("verdict") == "pass"
        self.reproduced.setText(
            f"Reproduced {fmt_when(rep.get('created'))}: "
            f"{_two_verdicts(rep)}; "
            f"prediction agreement {fmt_percent(a.get('rate'))} "
            f"({fmt_count(a.get('agreeing'))} of {fmt_count(a.get('rows'))} rows)."
        )
        self.reproduced.setStyleSheet(f"color: {c['ok_text'] if passed else c['err_text']};")
        targets = rep.get("targets") or []
        self.reproduced_targets.set_rows(
            [
                (
                    target_label(t["target"]),
                    fmt_target_value(_metric_of(t["target"]), t.get("claimed")),
                    fmt_target_value(_metric_of(t["target"]), t.get("here")),
                    VERDICT_TEXT.get(t.get("verdict_here"), t.get("verdict_here")),
                )
                for t in targets
            ],
            kinds=[VERDICT_KIND.get(t.get("verdict_here"), "warning") for t in targets],
            status_column=3,
        )
        metrics = rep.get("metrics") or []
        self.reproduced_metrics.set_rows(
            [
                (
                    m["metric"],
                    fmt_target_value(m["metric"], m.get("claimed")),
                    fmt_target_value(m["metric"], m.get("here")),
                    "consistent" if m.get("consistent") else "INCONSISTENT",
                )
                for m in metrics
            ],
            kinds=[None if m.get("consistent") else "error" for m in metrics],
            status_column=3,
        )
        hw = rep.get("hardware") or {}
        self.hardware.set_rows(
            [
                ("CPU", hw.get("cpu_model") or "—"),
                ("Cores", f"{hw['cores_logical']} logical" if hw.get("cores_logical") else "—"),
                ("Memory", f"{hw['ram_total_gb']} GB" if hw.get("ram_total_gb") else "—"),
                ("OS", hw.get("os") or "—"),
                ("Machine", hw.get("machine") or "—"),
            ]
        )
        for w in (self.reproduced_targets, self.reproduced_metrics, self.hardware):
            w.show()

    # -- trusting the reviewer

    def signer(self) -> Mapping[str, Any] | None:
        if self.checked is None or self.checked.revoked:
            return None
        return self.review["reviewer"]

    def trust_source(self) -> str:
        return f"The reviewer who signed {self.path.name}"

    def retheme(self) -> None:
        # Colours come from the palette: redraw the review in the new theme.
        if self.state in ("verified", "untrusted"):
            self._show_review(self.checked.summary)
