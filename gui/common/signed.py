"""What every signed document's page shares: verify on a worker, the verification banner,
trusting the signer after comparing its fingerprint, and verifying again.

:class:`SignedDocumentPage` is the base of the bundle, receipt and comparison pages: it
runs the page's desk job (:mod:`baton.core.handover.desk`) on a worker, shows a refusal
(a typed :class:`~baton.core.errors.BatonError`) red in the banner, a cancellation blue
with "Verify again", and offers "Trust this key…" (:class:`TrustFlow`, which opens
:class:`TrustKeyDialog`) when the signer is not trusted yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from baton.core.errors import BatonError
from baton.gui.common import theme
from baton.gui.common.review_worker import Job, run, shared_runner, trust_signer_job
from baton.gui.common.verdicts import refused_headline
from baton.gui.common.widgets import PlainLabel, card, mono_font, muted_label, title_label
from baton.gui.common.workers import TaskRunner


class VerificationBanner(QFrame):
    """The outcome of a verification: a headline, a detail, the file, and actions.

    ``kind`` is ``info`` (running), ``ok`` (green), ``warning`` (amber) or ``error`` (red);
    it uses the application stylesheet's banner colours.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 10, 10, 10)
        layout.setSpacing(10)
        self.icon = QLabel()
        self.icon.setFixedSize(28, 28)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        texts = QVBoxLayout()
        texts.setSpacing(3)
        self.headline = PlainLabel()
        self.headline.setObjectName("BannerHeadline")
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() + 2)
        font.setBold(True)
        self.headline.setFont(font)
        self.detail = PlainLabel()
        self.file = PlainLabel()
        for label in (self.headline, self.detail, self.file):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            texts.addWidget(label)
        self.progress = QProgressBar()
        self.progress.setMaximumHeight(12)
        self.progress.setTextVisible(False)
        texts.addWidget(self.progress)
        layout.addLayout(texts, 1)
        buttons = QVBoxLayout()
        buttons.setSpacing(4)
        self.trust_button = QPushButton(theme.icon("key"), "Trust this key…")
        self.retry_button = QPushButton("Verify again")
        self.cancel_button = QPushButton(theme.icon("cancel"), "Cancel")
        for button in (self.trust_button, self.retry_button, self.cancel_button):
            buttons.addWidget(button)
            button.hide()
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.kind = ""
        self.show_state("info", "")

    def show_state(
        self, kind: str, headline: str, detail: str = "", file: str = "", busy: bool = False
    ) -> None:
        self.kind = kind
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        for label in (self.headline, self.detail, self.file):
            self.style().unpolish(label)
            self.style().polish(label)
        colors = theme.current_colors()
        fg = {
            "ok": colors["ok_text"],
            "warning": colors["warn_text"],
            "error": colors["err_text"],
        }.get(kind, colors["info_text"])
        name = {"ok": "shield-ok", "warning": "shield-alert", "error": "error"}.get(kind, "info")
        self.icon.setPixmap(theme.pixmap(name, 28, fg))
        self.headline.setText(headline)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        self.file.setText(file)
        self.file.setVisible(bool(file))
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.retry_button.setVisible(not busy and kind in ("warning", "error"))
        if busy:
            self.trust_button.hide()

    def set_progress(self, done: Any, total: Any) -> None:
        if done is None or not total:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(max(0.0, min(1.0, float(done) / float(total))) * 1000))

    def show_busy(self, headline: str, detail: str = "", file: str = "") -> None:
        """The blue running state with an indeterminate progress bar."""
        self.show_state("info", headline, detail, file, busy=True)
        self.set_progress(None, None)

    def show_progress(self, done: Any, total: Any, message: str) -> None:
        """A worker's progress report: the bar, and its message (if any) as the detail."""
        self.set_progress(done, total)
        if message:
            self.detail.setText(message)
            self.detail.show()

    def text(self) -> str:
        """Headline and detail as the user reads them."""
        return "\n".join(t for t in (self.headline.text(), self.detail.text()) if t)


COMPARE_ADVICE = (
    "Compare this fingerprint with {who} by phone or on paper — not through the e-mail or "
    "chat that brought you the file. Read the groups aloud; trust the key only if every "
    "group matches."
)


def grouped_fingerprint(fingerprint: str) -> str:
    """The fingerprint in groups of four, two lines of eight groups (easy to read aloud)."""
    from baton.core.present import format_fingerprint

    groups = format_fingerprint(fingerprint).split()
    return "\n".join(" ".join(groups[i : i + 8]) for i in range(0, len(groups), 8))


class FingerprintLabel(PlainLabel):
    """A fingerprint in large monospace groups, selectable."""

    def __init__(self, fingerprint: str = "", size: float = 15.0, parent: QWidget | None = None):
        super().__init__("", parent)
        font = mono_font()
        font.setPointSizeF(size)
        font.setWeight(QFont.Weight.DemiBold)
        self.setFont(font)
        self.setObjectName("Fingerprint")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint = ""
        self.set_fingerprint(fingerprint)

    def set_fingerprint(self, fingerprint: str) -> None:
        self.fingerprint = "".join(fingerprint.split()).lower()
        self.setText(grouped_fingerprint(fingerprint) if fingerprint else "")


class TrustKeyDialog(QDialog):
    """Asks the user to compare a fingerprint before trusting a key.

    The Trust button stays disabled until "I compared the fingerprint" is ticked and a
    name is given; :meth:`values` returns the name and email to store with the key.
    """

    def __init__(
        self,
        fingerprint: str,
        name: str = "",
        email: str | None = "",
        *,
        source: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Trust this key?")
        self.setMinimumWidth(620)
        self.fingerprint = "".join(fingerprint.split()).lower()
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        who = name.strip() or "its owner"
        layout.addWidget(title_label(f"Trust {who}'s key?", "SectionTitle"))
        if source:
            layout.addWidget(muted_label(source))
        advice = PlainLabel(COMPARE_ADVICE.format(who=who))
        advice.setWordWrap(True)
        layout.addWidget(advice)
        self.fingerprint_label = FingerprintLabel(fingerprint, 17.0)
        self.fingerprint_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        box = card(self.fingerprint_label, margins=14)
        layout.addWidget(box)
        form = QFormLayout()
        self.name = QLineEdit(name)
        self.name.setPlaceholderText("Whose key this is")
        self.email = QLineEdit(email or "")
        self.email.setPlaceholderText("Their e-mail address (optional)")
        form.addRow("&Name", self.name)
        form.addRow("&E-mail", self.email)
        layout.addLayout(form)
        self.compared = QCheckBox(
            "I compared the fingerprint with its owner, and every group matches"
        )
        layout.addWidget(self.compared)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.trust_button = self.buttons.addButton("Trust", QDialogButtonBox.ButtonRole.AcceptRole)
        self.trust_button.setObjectName("Primary")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.compared.toggled.connect(self._update)
        self.name.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        self.trust_button.setEnabled(self.compared.isChecked() and bool(self.name.text().strip()))

    def accept(self) -> None:
        if not self.trust_button.isEnabled():  # never trust without the explicit tick
            return
        super().accept()

    def values(self) -> tuple[str, str | None]:
        return self.name.text().strip(), (self.email.text().strip() or None)


class TrustFlow(QObject):
    """The amber state's "Trust this key…": the dialog, then trusting the key on a worker.

    Owned by a signed document's page as a child; the page verifies again on
    ``trusted(key)`` (a :class:`~baton.core.handover.desk.TrustedKey`) and shows
    ``failed(error)``. ``person`` is the signed document's entry for the signer: name,
    email, fingerprint and public_key. It keeps no Python reference to its page, so a
    closed page is freed by Qt, never by the cyclic garbage collector on some worker thread.
    """

    trusted = Signal(object)
    failed = Signal(object)

    def __init__(self, page: QWidget, runner: TaskRunner) -> None:
        super().__init__(page)
        self.runner = runner
        self.dialog: TrustKeyDialog | None = None
        self.person: dict[str, Any] | None = None

    def open(self, person: Mapping[str, Any], source: str) -> TrustKeyDialog:
        dialog = TrustKeyDialog(
            person["fingerprint"],
            person.get("name") or "",
            person.get("email") or "",
            source=source,
            parent=self.parent(),
        )
        dialog.accepted.connect(self._accepted)
        self.dialog, self.person = dialog, dict(person)
        dialog.open()
        return dialog

    def _accepted(self) -> None:
        if self.dialog is not None and self.person is not None:
            self._trust(self.person, *self.dialog.values())

    def _trust(self, person: Mapping[str, Any], name: str, email: str | None) -> None:
        run(
            self.runner,
            self,
            f"Trusting {name}'s key",
            # the fingerprint the dialog showed, which the user compared with its owner
            trust_signer_job(person["public_key"], self.dialog.fingerprint, name, email),
            on_success=self.trusted.emit,
            on_failure=self.failed.emit,
        )


class SignedDocumentPage(theme.FollowsTheme, QWidget):
    """A page for one signed document (or two, compared): title, banner, verify, trust.

    A subclass builds its body under :attr:`layout_` after calling ``__init__`` and then
    calls :meth:`verify`; it gives :meth:`verify_job` and :meth:`show_document` (the desk's
    result on success), and may give :meth:`show_refused`, :meth:`refused_detail`,
    :meth:`signer` and :meth:`trust_source`.

    Signals: ``verification_finished(state)`` (``verified``, ``untrusted``, ``refused`` or
    ``cancelled``), ``trusted(message)``, ``catalog_changed()``.
    """

    verification_finished = Signal(str)
    trusted = Signal(str)
    catalog_changed = Signal()

    busy_detail = ""
    # whether the worker's progress messages replace the busy detail while verifying
    shows_progress = True

    def __init__(
        self,
        home: str | Path,
        title: str,
        parent: QWidget | None = None,
        *,
        runner: TaskRunner | None = None,
        banner_policy: QSizePolicy.Policy | None = None,
    ) -> None:
        super().__init__(parent)
        self.home = Path(home)
        self.runner = runner or shared_runner(self.home)
        self.state = "verifying"
        self._worker: Any = None
        self.trust_flow = TrustFlow(self, self.runner)
        self.trust_flow.trusted.connect(self._trusted)
        self.trust_flow.failed.connect(self._trust_failed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 8)
        layout.setSpacing(8)
        self.layout_ = layout
        self.title = title_label(title)
        layout.addWidget(self.title)
        self.banner = VerificationBanner()
        if banner_policy is not None:
            self.banner.setSizePolicy(QSizePolicy.Policy.Preferred, banner_policy)
        self.banner.trust_button.clicked.connect(self.open_trust_dialog)
        self.banner.retry_button.clicked.connect(self.verify)
        self.banner.cancel_button.clicked.connect(self.cancel_verification)
        layout.addWidget(self.banner)

    # -- what a page gives

    def verify_job(self) -> Job:
        raise NotImplementedError

    def busy_headline(self) -> str:
        raise NotImplementedError

    def file_line(self) -> str:
        raise NotImplementedError

    def cancelled_headline(self) -> str:
        raise NotImplementedError

    def task_title(self) -> str:
        """The work's name in the status bar."""
        return self.busy_headline().removesuffix("…")

    def show_document(self, result: Any) -> None:
        """Lay out the desk's result; sets :attr:`state` and ends the banner."""
        raise NotImplementedError

    def show_refused(self, error: BatonError) -> None:
        """Hide what a refused document must not show."""

    def refused_detail(self, error: BatonError) -> str:
        return ""

    def refused_file_line(self) -> str:
        return self.file_line()

    def signer(self) -> Mapping[str, Any] | None:
        """The document's entry for its signer, when "Trust this key…" may be offered."""
        return None

    def trust_source(self) -> str:
        return ""

    def finish(self, state: str) -> None:
        self.verification_finished.emit(state)

    # -- verifying

    def verify(self) -> None:
        """(Re)verify on a worker; ends in :attr:`banner`'s green, amber or red."""
        self.state = "verifying"
        self.banner.show_busy(self.busy_headline(), self.busy_detail, self.file_line())
        self._worker = run(
            self.runner,
            self,
            self.task_title(),
            self.verify_job(),
            on_success=self._verified,
            on_failure=self._refused,
            on_cancel=self._cancelled,
            on_progress=self._progress if self.shows_progress else None,
        )

    def cancel_verification(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    def _progress(self, done: Any, total: Any, message: str) -> None:
        self.banner.show_progress(done, total, message)

    def _verified(self, result: Any) -> None:
        self._worker = None
        self.show_document(result)
        self.finish(self.state)

    def _refused(self, error: BatonError) -> None:
        self._worker = None
        self.state = "refused"
        self.banner.show_state(
            "error",
            refused_headline(str(error)),
            self.refused_detail(error),
            self.refused_file_line(),
        )
        self.show_refused(error)
        self.finish(self.state)

    def _cancelled(self, message: str) -> None:
        self._worker = None
        self.state = "cancelled"
        self.banner.show_state("info", self.cancelled_headline(), message)
        self.banner.retry_button.show()
        self.finish("cancelled")

    # -- trusting the signer

    def open_trust_dialog(self) -> TrustKeyDialog | None:
        person = self.signer()
        if self.state != "untrusted" or person is None:
            return None
        return self.trust_flow.open(person, self.trust_source())

    def _trusted(self, key: Any) -> None:
        from baton.core.present import format_fingerprint

        self.trusted.emit(f"You now trust {key.name}'s key {format_fingerprint(key.fingerprint)}.")
        self.catalog_changed.emit()
        self.verify()

    def _trust_failed(self, error: BatonError) -> None:
        self.banner.show_state("error", f"The key was not trusted: {error}", "", self.file_line())

    def shutdown(self) -> None:
        """Cancel running work (call before the page is removed)."""
        if self._worker is not None:
            self._worker.cancel()
