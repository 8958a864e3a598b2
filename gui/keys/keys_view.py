"""Keys: my signing key and the colleagues' keys I trust.

Renders :mod:`baton.core.handover.trust`: my identity (create it, export its public key, copy its
fingerprint), the trust store (name, email, fingerprint, when trusted, revoked or not),
importing a colleague's public key file and revoking a key. Nothing is trusted on first
use: importing shows the fingerprint in large groups and asks the user to compare it
with its owner by phone or on paper before the Trust button can be pressed
(:class:`~baton.gui.common.signed.TrustKeyDialog`, shared with the signed documents'
"Trust this key…").

Every catalog read and write runs on a worker with its own catalog connection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from baton.core.errors import BatonError
from baton.core.present import fmt_when
from baton.gui.common import theme
from baton.gui.common.review_worker import run, shared_runner, trust_key_file_job
from baton.gui.common.signed import (
    FingerprintLabel,
    TrustKeyDialog,
    grouped_fingerprint,
)
from baton.gui.common.widgets import (
    Banner,
    PlainLabel,
    card,
    mono_font,
    muted_label,
    plain_text,
    plain_tooltip,
    title_label,
)
from baton.gui.common.workers import TaskRunner

PUBLIC_KEY_FILTER = "Public keys (*.pub *.pem);;All files (*)"


class CreateKeyDialog(QDialog):
    """Name, e-mail and passphrase (twice) for my signing key."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Create my signing key")
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        layout.addWidget(title_label("Create my signing key", "SectionTitle"))
        layout.addWidget(
            muted_label(
                "Your key signs the bundles and review receipts you send. It stays on this "
                "computer, encrypted with the passphrase; colleagues get only its public half."
            )
        )
        form = QFormLayout()
        self.name = QLineEdit()
        self.email = QLineEdit()
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("&Name", self.name)
        form.addRow("&E-mail", self.email)
        form.addRow("&Passphrase", self.passphrase)
        form.addRow("&Repeat", self.repeat)
        layout.addLayout(form)
        self.problem = muted_label()
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.addButton(
            "Create", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.create_button.setObjectName("Primary")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for field in (self.name, self.email, self.passphrase, self.repeat):
            field.textChanged.connect(self._update)
        self._update()

    def _update(self) -> None:
        # Only the mismatch is checked here; core judges names, addresses and lengths.
        mismatch = self.repeat.text() and self.passphrase.text() != self.repeat.text()
        self.problem.setText("The two passphrases differ." if mismatch else "")
        filled = all(f.text() for f in (self.name, self.email, self.passphrase, self.repeat))
        self.create_button.setEnabled(bool(filled and not mismatch))

    def values(self) -> tuple[str, str, str]:
        return self.name.text(), self.email.text(), self.passphrase.text()


class RevokeKeyDialog(QDialog):
    """Why a key is revoked (kept in the trust store beside it)."""

    def __init__(self, name: str, fingerprint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Revoke key")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.addWidget(title_label(f"Revoke {name}'s key?", "SectionTitle"))
        layout.addWidget(FingerprintLabel(fingerprint, 11.0))
        layout.addWidget(
            muted_label(
                "Bundles and receipts signed with a revoked key are no longer trusted. A revoked "
                "key cannot be trusted again."
            )
        )
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("Why? For example: laptop lost, key leaked, left the team")
        self.reason.setFixedHeight(70)
        layout.addWidget(self.reason)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.revoke_button = self.buttons.addButton(
            "Revoke", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.reason.textChanged.connect(self._update)
        self.revoke_button.setEnabled(False)

    def _update(self) -> None:
        self.revoke_button.setEnabled(bool(self.reason.toPlainText().strip()))

    def value(self) -> str:
        return self.reason.toPlainText().strip()


# --- jobs (run on a worker thread with that thread's catalog) ----------------------------


def _load_keys_job(home: Path):
    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.handover import trust

        return {"me": trust.identity(home), "keys": trust.list_keys(catalog)}

    return job


def _create_key_job(name: str, email: str, passphrase: str):
    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.handover import trust

        progress(None, None, "Creating the signing key")
        return trust.create_identity(catalog, name, email, passphrase)

    return job


def _revoke_key_job(fingerprint: str, reason: str):
    def job(catalog, progress, cancel) -> dict[str, Any]:
        from baton.core.handover import trust

        return trust.revoke_key(catalog, fingerprint, reason)

    return job


def key_status(row: dict[str, Any], me: dict[str, Any] | None) -> str:
    """A trust-store row's status as the table shows it."""
    if row.get("revoked_at"):
        return f"revoked {row['revoked_at'][:10]}: {row.get('revoked_reason') or ''}".strip()
    if me and me.get("fingerprint") == row.get("fingerprint"):
        return "trusted (my key)"
    return "trusted"


class KeysPage(theme.FollowsTheme, QWidget):
    """My key and the trust store; see the module docstring.

    Signals: ``loaded`` after each refresh, ``changed(message)`` after a key was created,
    trusted or revoked (the main window may refresh its sidebar), ``failed(message)``.
    """

    loaded = Signal()
    changed = Signal(str)
    failed = Signal(str)

    HEADERS = ("Name", "E-mail", "Fingerprint", "Trusted at", "Status")

    def __init__(
        self, home: str | Path, parent: QWidget | None = None, *, runner: TaskRunner | None = None
    ) -> None:
        super().__init__(parent)
        self.home = Path(home)
        self.runner = runner or shared_runner(self.home)
        self.me: dict[str, Any] | None = None
        self.keys: list[dict[str, Any]] = []
        self.dialog: QDialog | None = None
        self._pending_import: Path | None = None
        self._pending_revoke: str | None = None

        scroll = QScrollArea()
        scroll.setObjectName("Page")
        scroll.setWidgetResizable(True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        body = QWidget()
        scroll.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(16, 14, 16, 12)
        layout.setSpacing(10)
        layout.addWidget(title_label("Keys"))
        layout.addWidget(
            muted_label(
                "Your signing key signs what you send; the keys below are the colleagues whose "
                "bundles and receipts you accept."
            )
        )
        self.banner = Banner()
        layout.addWidget(self.banner)

        # my key
        self.my_name = PlainLabel()
        self.my_name.setWordWrap(True)
        self.my_name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.my_fingerprint = FingerprintLabel("", 13.0)
        self.copy_button = QPushButton(theme.icon("key"), "Copy fingerprint")
        self.copy_button.clicked.connect(self.copy_fingerprint)
        self.export_button = QPushButton(theme.icon("export"), "Export public key…")
        self.export_button.clicked.connect(self.choose_export_file)
        self.create_button = QPushButton(theme.icon("key"), "Create my key…")
        self.create_button.setObjectName("Primary")
        self.create_button.clicked.connect(self.open_create_dialog)
        row = QHBoxLayout()
        row.addWidget(self.create_button)
        row.addWidget(self.copy_button)
        row.addWidget(self.export_button)
        row.addStretch(1)
        buttons = QWidget()
        buttons.setLayout(row)
        layout.addWidget(card(self.my_name, self.my_fingerprint, buttons, title="My signing key"))

        # trusted keys
        self.table = QTableWidget(0, len(self.HEADERS))
        self.table.setHorizontalHeaderLabels(list(self.HEADERS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        # Fingerprints on two lines of eight groups: the table fits the page, whole and readable.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.setMinimumHeight(180)
        self.no_keys = muted_label(
            "No trusted keys yet. Import a colleague's public key (.pub) and compare its "
            "fingerprint with them before trusting it."
        )
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.import_button = QPushButton(theme.icon("import-model"), "Import a colleague's key…")
        self.import_button.clicked.connect(self.choose_import_file)
        self.revoke_button = QPushButton(theme.icon("shield-alert"), "Revoke…")
        self.revoke_button.setEnabled(False)
        self.revoke_button.clicked.connect(self.open_revoke_dialog)
        actions = QHBoxLayout()
        actions.addWidget(self.import_button)
        actions.addWidget(self.revoke_button)
        actions.addStretch(1)
        actions_box = QWidget()
        actions_box.setLayout(actions)
        layout.addWidget(card(self.no_keys, self.table, actions_box, title="Trusted keys"), 1)
        self._show_me(None)
        self.refresh()

    # -- reading

    def refresh(self) -> None:
        run(
            self.runner,
            self,
            "Reading the trust store",
            _load_keys_job(self.home),
            on_success=self._loaded,
            on_failure=self._failed,
            writes=False,
        )

    def _loaded(self, result: dict[str, Any]) -> None:
        self.me, self.keys = result["me"], result["keys"]
        self._show_me(self.me)
        self._fill_table()
        self.loaded.emit()

    def _show_me(self, me: dict[str, Any] | None) -> None:
        has = me is not None
        self.create_button.setVisible(not has)
        self.copy_button.setVisible(has)
        self.export_button.setVisible(has)
        self.my_fingerprint.setVisible(has)
        if has:
            self.my_name.setText(f"{me['name']} <{me['email']}>")
            self.my_fingerprint.set_fingerprint(me["fingerprint"])
        else:
            self.my_name.setText(
                "You have no signing key yet. Create one to sign bundles and review receipts."
            )

    def _fill_table(self) -> None:
        colors = theme.current_colors()
        self.table.setRowCount(len(self.keys))
        for r, row in enumerate(self.keys):
            from baton.core.present import format_fingerprint

            status = key_status(row, self.me)
            cells = (
                row.get("name") or "",
                row.get("email") or "",
                grouped_fingerprint(row["fingerprint"]),
                fmt_when(row.get("trusted_at")),
                status,
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(plain_text(text))
                item.setData(Qt.ItemDataRole.UserRole, row["fingerprint"])
                item.setToolTip(
                    format_fingerprint(row["fingerprint"]) if c == 2 else plain_tooltip(text)
                )
                if c == 2:
                    item.setFont(mono_font())
                if row.get("revoked_at"):
                    item.setForeground(QColor(colors["err_text"]))
                    item.setBackground(QColor(colors["err_bg"]))
                    if c == 4:
                        item.setIcon(theme.icon("shield-alert", colors["err_text"]))
                elif c == 4:
                    item.setIcon(theme.icon("shield-ok", colors["ok_text"]))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.no_keys.setVisible(not self.keys)
        self._selection_changed()

    def retheme(self) -> None:
        self._fill_table()  # revoked rows and status icons use the palette

    def rows(self) -> list[dict[str, str]]:
        """The table as the user reads it (name, email, fingerprint, trusted at, status)."""
        keys = ("name", "email", "fingerprint", "trusted_at", "status")
        return [
            {k: " ".join(self.table.item(r, c).text().split()) for c, k in enumerate(keys)}
            for r in range(self.table.rowCount())
        ]

    def selected_key(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        fp = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
        return next((k for k in self.keys if k["fingerprint"] == fp), None)

    def select_key(self, fingerprint: str) -> bool:
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == fingerprint:
                self.table.selectRow(r)
                return True
        return False

    def _selection_changed(self) -> None:
        key = self.selected_key()
        self.revoke_button.setEnabled(key is not None and not key.get("revoked_at"))

    # -- my key

    def copy_fingerprint(self) -> None:
        if self.me:
            from baton.core.present import format_fingerprint

            QGuiApplication.clipboard().setText(format_fingerprint(self.me["fingerprint"]))
            self.banner.show_message("Fingerprint copied to the clipboard.", "info")

    def open_create_dialog(self) -> CreateKeyDialog:
        dialog = CreateKeyDialog(self)
        dialog.accepted.connect(self._create_accepted)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _create_accepted(self) -> None:
        if isinstance(self.dialog, CreateKeyDialog):
            self._create(*self.dialog.values())

    def _create(self, name: str, email: str, passphrase: str) -> None:
        run(
            self.runner,
            self,
            "Creating my signing key",
            _create_key_job(name, email, passphrase),
            on_success=self._created,
            on_failure=self._failed,
        )

    def _created(self, me: dict[str, Any]) -> None:
        from baton.core.present import format_fingerprint

        self._changed(f"Created your key {format_fingerprint(me['fingerprint'])}.")

    def choose_export_file(self) -> None:
        default = str(Path.home() / f"{_slug(self.me['name']) if self.me else 'my-key'}.pub")
        path, _ = QFileDialog.getSaveFileName(
            self, "Export my public key", default, PUBLIC_KEY_FILTER
        )
        if path:
            self.export_public_key(Path(path))

    def export_public_key(self, path: Path) -> None:
        """Write my public key (PEM) to ``path``, as ``baton keys export`` does."""
        from baton.core.fsutil import atomic_write_bytes
        from baton.core.handover.trust import my_public_pem
        from baton.core.present import format_fingerprint

        try:
            atomic_write_bytes(path, my_public_pem(self.home))
        except (BatonError, OSError) as exc:
            self._failed(exc)
            return
        fp = format_fingerprint(self.me["fingerprint"]) if self.me else ""
        self.banner.show_message(
            f"Wrote {path}. Read this fingerprint to whoever imports it: {fp}", "ok"
        )

    # -- colleagues' keys

    def choose_import_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import a colleague's public key", str(Path.home()), PUBLIC_KEY_FILTER
        )
        if path:
            self.import_key_file(Path(path))

    def import_key_file(self, path: Path) -> TrustKeyDialog | None:
        """Read a public key file and ask the user to compare its fingerprint."""
        from baton.core.handover.keys import fingerprint, load_public_key_file

        try:
            fp = fingerprint(load_public_key_file(path))
        except BatonError as exc:
            self._failed(exc)
            return None
        dialog = TrustKeyDialog(fp, "", "", source=f"From {path}", parent=self)
        dialog.accepted.connect(self._trust_accepted)
        self._pending_import = path
        self.dialog = dialog
        dialog.open()
        return dialog

    def _trust_accepted(self) -> None:
        if isinstance(self.dialog, TrustKeyDialog) and self._pending_import is not None:
            self._trust(self._pending_import, self.dialog.fingerprint, *self.dialog.values())

    def _trust(self, path: Path, fingerprint: str, name: str, email: str | None) -> None:
        # only the key whose fingerprint the user compared, should the file change meanwhile
        run(
            self.runner,
            self,
            f"Trusting {name}'s key",
            trust_key_file_job(path, fingerprint, name, email),
            on_success=self._trusted,
            on_failure=self._failed,
        )

    def _trusted(self, key: Any) -> None:
        from baton.core.present import format_fingerprint

        self._changed(f"You now trust {key.name}'s key {format_fingerprint(key.fingerprint)}.")

    def open_revoke_dialog(self) -> RevokeKeyDialog | None:
        key = self.selected_key()
        if key is None:
            return None
        dialog = RevokeKeyDialog(key.get("name") or "this", key["fingerprint"], self)
        dialog.accepted.connect(self._revoke_accepted)
        self._pending_revoke = key["fingerprint"]
        self.dialog = dialog
        dialog.open()
        return dialog

    def _revoke_accepted(self) -> None:
        if isinstance(self.dialog, RevokeKeyDialog) and self._pending_revoke:
            self._revoke(self._pending_revoke, self.dialog.value())

    def _revoke(self, fingerprint: str, reason: str) -> None:
        run(
            self.runner,
            self,
            "Revoking a key",
            _revoke_key_job(fingerprint, reason),
            on_success=self._revoked,
            on_failure=self._failed,
        )

    def _revoked(self, row: dict[str, Any]) -> None:
        self._changed(f"Revoked {row['name']}'s key: {row['revoked_reason']}.")

    # -- common

    def _changed(self, message: str) -> None:
        self.banner.show_message(message, "ok")
        self.changed.emit(message)
        self.refresh()

    def _failed(self, error: BatonError | OSError) -> None:
        """Every expected failure of this page, shown once: the banner, and ``failed``."""
        message = str(error)
        self.banner.show_message(message, "error")
        self.failed.emit(message)


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "my-key"


def open_keys_page(home: str | Path, parent: QWidget | None = None, **kwargs: Any) -> KeysPage:
    """The keys page for the main window's "Keys" section."""
    return KeysPage(home, parent, **kwargs)
