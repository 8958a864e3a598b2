"""The engineer's desk: open a bundle, see it verified, review it, countersign a decision.

:func:`open_bundle_page` returns a :class:`BundlePage` the main window hosts as a page or
a tab. The page is a face of :mod:`baton.core.handover.desk`, on a
:class:`~baton.gui.common.signed.SignedDocumentPage`:

1. verification (``desk.open_for_review``) runs on a worker and ends in a banner — green
   (verified, signer and file count), amber (intact, but the signer is not trusted: the
   fingerprint, and "Trust this key…", which asks the user to compare the fingerprint
   before ``desk.trust_signer`` trusts the public key the contract's author entry
   carries, then verifies again) or red (refused, with core's message, naming the file);
2. the contract, read-only, with its charts, and the signed model card
   (:mod:`~baton.gui.review.contract_tab`);
3. Reproduce (``desk.reproduce`` on a worker, with progress and Cancel): prediction
   agreement, metrics claimed vs recomputed, latency, memory and hardware claimed vs
   here, and the compliance table of the targets (:mod:`~baton.gui.review.reproduce_tab`);
4. the decision (accept / request changes / reject, an overall comment, a comment per
   target), countersigned with the passphrase into ``NAME-VERSION.review.baton``
   (``desk.countersign`` on a worker; :mod:`~baton.gui.review.decision_tab`).

Nothing here computes what core computes: verdicts, agreement, deltas and consistency are
core's; the page only lays them out. Every catalog access runs on a worker with its own
catalog connection (``baton.gui.common.workers``); :func:`received_rows` (from
:mod:`baton.gui.common.handover_rows`) is the one function that reads a catalog the caller owns
(the main window's, on the GUI thread).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QSizePolicy, QTabWidget, QVBoxLayout, QWidget

from baton.core.errors import BatonError
from baton.core.handover.optimize import lineage_words
from baton.gui.common import theme
from baton.gui.common.documents import CardView, DocumentButtons
from baton.gui.common.review_worker import (
    Job,
    countersign_job,
    open_for_review_job,
    reproduce_job,
    run,
)
from baton.gui.common.signed import SignedDocumentPage
from baton.gui.common.stages import Stages
from baton.gui.common.tables import scroll_page
from baton.gui.common.verdicts import verified_headline
from baton.gui.common.widgets import expanding_filler, muted_label
from baton.gui.common.workers import TaskRunner
from baton.gui.review.contract_tab import ContractView
from baton.gui.review.decision_tab import CountersignDialog, DecisionView
from baton.gui.review.drift_page import DriftView
from baton.gui.review.optimize_page import OptimizeView, optimize_job
from baton.gui.review.reproduce_tab import ReproduceView


class BundlePage(SignedDocumentPage):
    """One bundle: verification banner, contract, reproduce, decision. See the module doc.

    Signals, for the main window and tests: ``verification_finished(state)`` with state
    ``verified``, ``untrusted``, ``refused`` or ``cancelled``; ``trusted(message)``;
    ``reproduced(result)`` / ``reproduce_failed(message)``; ``decided(review)`` /
    ``decide_failed(message)``; ``catalog_changed()`` whenever the page wrote to the
    catalog (a received bundle recorded, a key trusted, a decision recorded).
    """

    reproduced = Signal(dict)
    reproduce_failed = Signal(str)
    decided = Signal(dict)
    decide_failed = Signal(str)
    optimized = Signal(object)
    optimize_failed = Signal(str)

    busy_detail = "Checking the signature and every file."

    def __init__(
        self,
        home: str | Path,
        path: str | Path,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(
            home, Path(path).name, parent, runner=runner, banner_policy=QSizePolicy.Policy.Maximum
        )
        self.path = Path(path)
        self.opened: Any = None  # the desk's BundleReview once verified
        self.summary: dict[str, Any] | None = None
        self.contract: dict[str, Any] | None = None
        self.reproduction: dict[str, Any] | None = None
        self.review: dict[str, Any] | None = None
        self.countersign_dialog: CountersignDialog | None = None
        self._reproduce_worker = None
        self._optimize_worker = None

        layout = self.layout_
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        layout.addWidget(self.tabs, 1)
        self.refused_note = muted_label(
            "Nothing from this bundle is shown: it failed verification, so none of its content "
            "can be relied on. Ask the data scientist to send it again."
        )
        layout.addWidget(self.refused_note)
        self.filler = expanding_filler()  # takes the room the tabs leave when nothing is shown
        layout.addWidget(self.filler, 1)
        self.tabs.hide()
        self.refused_note.hide()
        # The tabs are built a piece per turn of the event loop (baton.gui.common.stages),
        # then the bundle is verified: opening a bundle never freezes the window. Not both
        # at once: a worker thread running Python makes each of the GUI thread's many
        # short calls into Qt wait for the interpreter, so building would take seconds.
        self.stages = Stages(self)
        self.stages.then(self._build_tabs())
        self.stages.then(self._verify_when_built())
        self.banner.show_busy(self.busy_headline(), self.busy_detail, self.file_line())

    def _verify_when_built(self) -> Iterator[None]:
        if self.state == "verifying":  # not cancelled while the tabs were built
            self.verify()
        yield

    def cancel_verification(self) -> None:
        if self._worker is None and self.state == "verifying":
            self._cancelled("It was cancelled before it started.")
            return
        super().cancel_verification()

    def _build_tabs(self) -> Iterator[None]:
        # In its tab before it has children: each chart is then styled as it comes, rather
        # than the whole view at once when it is put in place.
        contract_view = ContractView(staged=True)
        self.tabs.addTab(scroll_page(contract_view), theme.icon("contract"), "Contract")
        yield from contract_view.build_steps()
        self._contract_view = contract_view
        yield
        reproduce_view = ReproduceView(staged=True)
        reproduce_view.start_requested.connect(self.start_reproduce)
        reproduce_view.cancel_requested.connect(self.cancel_reproduce)
        self.tabs.addTab(scroll_page(reproduce_view), theme.icon("evaluate"), "Reproduce")
        yield from reproduce_view.build_steps()
        self._reproduce_view = reproduce_view
        yield
        decision_view = DecisionView()
        decision_view.countersign_requested.connect(self.open_countersign_dialog)
        self.tabs.addTab(scroll_page(decision_view), theme.icon("key"), "Decision")
        card_view = CardView()
        self.document_buttons = DocumentButtons(lambda: self.contract, lambda: self.path.parent)
        card_page = QWidget()
        card_layout = QVBoxLayout(card_page)
        card_layout.setContentsMargins(0, 6, 0, 0)
        card_layout.addWidget(self.document_buttons)
        card_layout.addWidget(card_view, 1)
        self.tabs.addTab(card_page, theme.icon("model"), "Model card")
        self._decision_view, self._card_view = decision_view, card_view
        yield
        optimize_view = OptimizeView()
        optimize_view.start_requested.connect(self.start_optimize)
        optimize_view.cancel_requested.connect(self.cancel_optimize)
        self.optimize_tab = self.tabs.addTab(
            scroll_page(optimize_view), theme.icon("export"), "Optimise"
        )
        self._optimize_view = optimize_view
        yield
        drift_view = DriftView(self.runner, self.path)
        self.tabs.addTab(scroll_page(drift_view), theme.icon("dataset"), "Drift")
        self._drift_view = drift_view

    # The tabs' views, complete when asked for (built at once if the stages have not got
    # there yet).

    @property
    def contract_view(self) -> ContractView:
        self.stages.finish()
        return self._contract_view

    @property
    def reproduce_view(self) -> ReproduceView:
        self.stages.finish()
        return self._reproduce_view

    @property
    def decision_view(self) -> DecisionView:
        self.stages.finish()
        return self._decision_view

    @property
    def card_view(self) -> CardView:
        self.stages.finish()
        return self._card_view

    @property
    def optimize_view(self) -> OptimizeView:
        self.stages.finish()
        return self._optimize_view

    @property
    def drift_view(self) -> DriftView:
        self.stages.finish()
        return self._drift_view

    @property
    def outcome(self) -> dict[str, Any]:
        """The last verification's outcome by field name (empty until one succeeded)."""
        return {} if self.opened is None else dict(vars(self.opened))

    # -- verification

    def verify_job(self) -> Job:
        return open_for_review_job(self.path)

    def busy_headline(self) -> str:
        return f"Verifying {self.path.name}…"

    def file_line(self) -> str:
        return f"File: {self.path}"

    def cancelled_headline(self) -> str:
        return f"Verification of {self.path.name} was cancelled."

    def refused_detail(self, error: BatonError) -> str:
        member = error.path
        if member and member not in str(error):
            return f"The check failed at {member} inside the bundle."
        return ""

    def show_refused(self, error: BatonError) -> None:
        self.opened = self.summary = self.contract = None
        if hasattr(self, "document_buttons"):
            self.document_buttons.refresh()
        self.title.setText(f"{self.path.name} — refused")
        self.tabs.hide()
        self.refused_note.show()
        self.filler.show()

    def _verified(self, result: Any) -> None:
        # Shown once the tabs are built, a chart per turn; then verification_finished.
        self._worker = None
        self.stages.then(self._show_steps(result))

    def _show_steps(self, opened: Any) -> Iterator[None]:
        steps = self._show_document_steps(opened)
        yield from steps
        self.finish(self.state)

    def show_document(self, opened: Any) -> None:
        for _ in self._show_document_steps(opened):
            pass

    def _show_document_steps(self, opened: Any) -> Iterator[None]:
        self.opened = opened
        self.state = opened.state
        self.summary, self.contract = opened.summary, opened.contract
        self.title.setText(f"{self.summary['name']} {self.summary['version']}")
        self.refused_note.hide()
        self.filler.hide()
        self.tabs.show()
        self.document_buttons.refresh()
        # an optimised bundle says where it comes from, in core's words
        lineage = lineage_words(self.contract) or ""
        if self.state == "verified":
            # a name another trusted key also sent: reported, never a reason to refuse
            collision = self.summary.get("name_collision") or ""
            detail = "\n".join(t for t in (lineage, collision) if t)
            self.banner.show_state("ok", verified_headline(self.summary), detail, self.file_line())
            self.banner.trust_button.hide()
            self.reproduce_view.set_allowed(True)
            self.decision_view.set_allowed(True)
            self.optimize_view.set_allowed(True)
            self.optimize_view.set_default_out(self.default_optimized_path())
            self.drift_view.set_allowed(True)
        else:
            self._show_untrusted(opened)
        yield  # the verdict on screen first; then core's card, laid out with the app's widgets
        self.card_view.set_card(opened.card)
        yield
        if self.state == "verified":
            self.catalog_changed.emit()  # the bundle is now listed under Received
            yield
        if opened.reproduction and self.state == "verified":
            self.reproduction = opened.reproduction
            self.reproduce_view.set_result(opened.reproduction)
        self.decision_view.set_targets(self.contract.get("targets") or [], self.reproduction)
        self.decision_view.set_candidates(self.contract)
        # The banner's verdict first, then the contract a chart at a time.
        yield from self._contract_view.contract_steps(self.contract)

    def _show_untrusted(self, opened: Any) -> None:
        s = self.summary
        author, revoked = opened.author, opened.revoked
        if revoked:
            detail = (
                f"{s.get('trust_problem') or 'The key was revoked.'} A revoked key cannot be trusted again; "
                "ask the data scientist to sign the bundle with their new key."
            )
        elif author and author.get("public_key"):
            detail = (
                f"The contract names its author as {author.get('name')} <{author.get('email')}>. "
                "Compare the fingerprint with them by phone or on paper before you trust the key; "
                "until then you can read the contract but not reproduce or countersign it."
            )
        else:
            detail = s.get("trust_problem") or ""
        if s.get("name_collision"):
            detail = f"{detail}\n{s['name_collision']}".strip()
        lineage = lineage_words(opened.contract)
        if lineage:
            detail = f"{lineage}\n{detail}".strip()
        self.banner.show_state(
            "warning",
            f"Intact, but the signer is not trusted: {s['signer']}",
            detail,
            self.file_line(),
        )
        self.banner.trust_button.setVisible(opened.can_trust_signer)
        why = "Trust the signer's key first (see the banner above): core reviews only bundles from trusted signers."
        self.reproduce_view.set_allowed(False, why)
        self.decision_view.set_allowed(False, why)
        self.optimize_view.set_allowed(False, why)
        self.drift_view.set_allowed(False, why)

    # -- trusting the signer

    def signer(self) -> Mapping[str, Any] | None:
        if self.opened is None or self.opened.revoked or not self.opened.author:
            return None
        return self.opened.author

    def trust_source(self) -> str:
        return f"The signer of {self.path.name}, as named in its contract"

    # -- reproduce

    def start_reproduce(self) -> None:
        if self.state != "verified" or self._reproduce_worker is not None:
            return
        self.reproduce_view.set_running(True, "Starting…")
        self._reproduce_worker = run(
            self.runner,
            self,
            f"Reproducing {self.path.name}",
            reproduce_job(self.path, float(self.reproduce_view.budget.value())),
            on_success=self._reproduced,
            on_failure=self._reproduce_failed,
            on_cancel=self._reproduce_cancelled,
            on_progress=self.reproduce_view.set_progress,
        )

    def cancel_reproduce(self) -> None:
        if self._reproduce_worker is not None:
            self._reproduce_worker.cancel()
            self.reproduce_view.cancel_button.setEnabled(False)
            self.reproduce_view.status.setText("Cancelling…")

    def _reproduced(self, reproduction: Any) -> None:
        self._reproduce_worker = None
        result = reproduction.result
        self.reproduction = result
        self.reproduce_view.set_running(False)
        self.reproduce_view.set_result(result)
        self.decision_view.set_targets(self.contract.get("targets") or [], result)
        self.catalog_changed.emit()
        self.reproduced.emit(result)

    def _reproduce_failed(self, error: BatonError) -> None:
        self._reproduce_worker = None
        self.reproduce_view.set_running(False)
        self.reproduce_view.banner.show_message(f"Reproducing failed: {error}", "error")
        self.reproduce_failed.emit(str(error))

    def _reproduce_cancelled(self, message: str) -> None:
        self._reproduce_worker = None
        self.reproduce_view.set_running(False, "Cancelled.")
        self.reproduce_failed.emit(message)

    # -- optimise

    def default_optimized_path(self) -> Path:
        from baton.core.handover.bundle import bundle_file_name

        assert self.summary is not None
        stem = bundle_file_name(self.summary["name"], self.summary["version"]).removesuffix(
            ".baton"
        )
        return self.path.with_name(f"{stem}-onnx.baton")

    def show_optimize(self) -> None:
        """Bring the Optimise tab forward (the menu's "Optimise bundle…" lands here), as
        soon as it is built."""
        if hasattr(self, "optimize_tab"):
            self.tabs.setCurrentIndex(self.optimize_tab)
        else:
            self.stages.then(self._show_optimize_when_built())

    def _show_optimize_when_built(self) -> Iterator[None]:
        self.tabs.setCurrentIndex(self.optimize_tab)
        yield

    def start_optimize(self, options: dict) -> None:
        if self.state != "verified" or self._optimize_worker is not None:
            return
        self.optimize_view.set_running(True, "Starting…")
        self._optimize_worker = run(
            self.runner,
            self,
            f"Optimising {self.path.name}",
            optimize_job(self.path, options),
            on_success=self._optimized,
            on_failure=self._optimize_failed,
            on_cancel=self._optimize_cancelled,
            on_progress=self.optimize_view.set_progress,
        )

    def cancel_optimize(self) -> None:
        if self._optimize_worker is not None:
            self._optimize_worker.cancel()
            self.optimize_view.cancel_button.setEnabled(False)
            self.optimize_view.status.setText("Cancelling…")

    def _optimized(self, result: Any) -> None:
        self._optimize_worker = None
        self.optimize_view.set_running(False)
        self.optimize_view.set_result(result)
        self.catalog_changed.emit()
        self.optimized.emit(result)

    def _optimize_failed(self, error: BatonError) -> None:
        self._optimize_worker = None
        self.optimize_view.set_running(False)
        self.optimize_view.show_error(f"Optimising failed: {error}")
        self.optimize_failed.emit(str(error))

    def _optimize_cancelled(self, message: str) -> None:
        self._optimize_worker = None
        self.optimize_view.set_running(False, "Cancelled.")
        self.optimize_failed.emit(message)

    # -- decision

    def default_receipt_path(self) -> Path:
        if self.summary:
            from baton.core.handover.bundle import receipt_file_name

            return self.path.with_name(
                receipt_file_name(self.summary["name"], self.summary["version"])
            )
        return self.path.with_name(self.path.stem + ".review.baton")

    def open_countersign_dialog(self) -> CountersignDialog | None:
        decision = self.decision_view.decision()
        if self.state != "verified" or decision is None:
            return None
        label = f"{self.summary['name']} {self.summary['version']}"
        dialog = CountersignDialog(decision, label, self.default_receipt_path(), self)
        dialog.sign_requested.connect(self._countersign)
        self.countersign_dialog = dialog
        dialog.open()
        return dialog

    def _countersign(self, passphrase: str, out: str) -> None:
        decision = self.decision_view.decision()
        run(
            self.runner,
            self,
            f"Countersigning {self.path.name}",
            countersign_job(
                self.path,
                decision,
                self.decision_view.comment.toPlainText().strip(),
                self.decision_view.target_comments(),
                Path(out),
                passphrase,
                self.decision_view.chosen(),
            ),
            on_success=self._decided,
            on_failure=self._decide_failed,
        )

    def _decided(self, countersigned: Any) -> None:
        review = countersigned.receipt
        self.review = review
        if self.countersign_dialog is not None:
            self.countersign_dialog.set_busy(False)
            self.countersign_dialog.accept()
        self.decision_view.show_result(review)
        self.catalog_changed.emit()
        self.decided.emit(review)

    def _decide_failed(self, error: BatonError) -> None:
        message = str(error)
        if self.countersign_dialog is not None and self.countersign_dialog.isVisible():
            self.countersign_dialog.show_error(message)
        else:
            self.decision_view.banner.show_message(message, "error")
        self.decide_failed.emit(message)

    def retheme(self) -> None:
        # Row colours and icons come from the palette: redraw them in the new theme.
        if not hasattr(self, "stages") or self.stages.running:
            return  # what the stages build or fill next takes the new colours anyway
        if self.contract is not None:
            self.contract_view.set_contract(self.contract)
            self.decision_view.set_targets(self.contract.get("targets") or [], self.reproduction)
        if self.reproduce_view.result is not None:
            self.reproduce_view.set_result(self.reproduce_view.result)
        b = self.banner
        b.show_state(b.kind, b.headline.text(), b.detail.text(), b.file.text())
        if self.state == "untrusted":
            b.trust_button.setVisible(self.signer() is not None)

    # -- closing

    def shutdown(self) -> None:
        """Cancel running work and wait for it (call before the page is removed)."""
        for worker in (self._worker, self._reproduce_worker, self._optimize_worker):
            if worker is not None:
                worker.cancel()
        self.stages.stop()
        if hasattr(self, "_drift_view"):
            self._drift_view.cancel()


# --- entry points -------------------------------------------------------------------------


def open_bundle_page(
    home: str | Path, path: str | Path, parent: QWidget | None = None, **kwargs: Any
) -> BundlePage:
    """A page for one bundle; verification starts at once. ``runner=`` shares a TaskRunner."""
    return BundlePage(home, path, parent, **kwargs)


__all__ = ["BundlePage", "open_bundle_page"]
