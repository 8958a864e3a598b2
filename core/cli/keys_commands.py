"""``baton keys``: my signing key and the colleagues' keys I trust."""

from __future__ import annotations

import click

from baton.core.cli.base import Context, emit, handle_errors, json_option, one_line, pass_ctx, table


@click.group()
def keys() -> None:
    """My signing key and the keys I trust."""


def _key_out(row: dict) -> dict:
    from baton.core.present import format_fingerprint

    out = {k: v for k, v in row.items() if k != "public_pem"}
    out["fingerprint_grouped"] = format_fingerprint(row["fingerprint"])
    return out


@keys.command("create")
@click.option("--name", required=True, help="Your name, as colleagues know you.")
@click.option("--email", required=True, help="Your e-mail address.")
@json_option
@pass_ctx
@handle_errors
def keys_create(obj: Context, name: str, email: str, as_json: bool) -> None:
    """Make my signing key (ECDSA P-256, passphrase-protected); prints its fingerprint."""
    from baton.core.handover.trust import create_identity
    from baton.core.present import format_fingerprint

    me = create_identity(obj.catalog(), name, email, obj.passphrase(confirm=True))
    emit(
        {**me, "fingerprint_grouped": format_fingerprint(me["fingerprint"])},
        as_json,
        lambda d: (
            f"Created the signing key of {d['name']} <{d['email']}>\nfingerprint {d['fingerprint_grouped']}"
        ),
    )


@keys.command("export")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write my public key (PEM).",
)
@json_option
@pass_ctx
@handle_errors
def keys_export(obj: Context, out: str, as_json: bool) -> None:
    """Write my public key, to give to colleagues who will verify my bundles."""
    from baton.core.fsutil import atomic_write_bytes
    from baton.core.handover.trust import my_public_pem, require_identity
    from baton.core.present import format_fingerprint

    me = require_identity(obj.home)
    atomic_write_bytes(out, my_public_pem(obj.home))
    emit(
        {"file": out, "fingerprint": me["fingerprint"]},
        as_json,
        f"Wrote {out}\nfingerprint {format_fingerprint(me['fingerprint'])} (read it to whoever imports the file)",
    )


@keys.command("trust")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--name", required=True, help="Whose key this is.")
@click.option("--email", default=None, help="Their e-mail address.")
@json_option
@pass_ctx
@handle_errors
def keys_trust(obj: Context, file: str, name: str, email: str | None, as_json: bool) -> None:
    """Trust a colleague's public key FILE; compare the printed fingerprint with them."""
    from baton.core.handover import desk

    trusted = desk.trust_key_file(obj.catalog(), file, name=name, email=email)
    emit(
        _key_out(trusted.row),
        as_json,
        lambda d: (
            f"Trusted the key of {one_line(d['name'])}\nfingerprint {d['fingerprint_grouped']}\n"
            f"Compare it with {one_line(d['name'])} by phone or on paper; revoke it if it differs."
        ),
    )


@keys.command("revoke")
@click.argument("fingerprint")
@click.option("--reason", required=True, help="Why the key is no longer trusted.")
@json_option
@pass_ctx
@handle_errors
def keys_revoke(obj: Context, fingerprint: str, reason: str, as_json: bool) -> None:
    """Stop trusting a key (bundles it signed then verify with exit code 3)."""
    from baton.core.handover.trust import revoke_key

    row = revoke_key(obj.catalog(), fingerprint, reason)
    emit(
        _key_out(row),
        as_json,
        lambda d: (
            f"Revoked the key of {one_line(d['name'])} ({d['fingerprint_grouped']}): {one_line(d['revoked_reason'])}"
        ),
    )


@keys.command("list")
@json_option
@pass_ctx
@handle_errors
def keys_list(obj: Context, as_json: bool) -> None:
    """My key and the keys I trust."""
    from baton.core.handover.trust import identity, list_keys

    me = identity(obj.home)
    rows = [_key_out(r) for r in list_keys(obj.catalog())]
    for r in rows:
        r["mine"] = bool(me and me["fingerprint"] == r["fingerprint"])
        r["status"] = "revoked" if r.get("revoked_at") else "mine" if r["mine"] else "trusted"
    emit(
        {"me": me, "keys": rows},
        as_json,
        lambda d: (
            table(
                d["keys"],
                ["name", "email", "status", "fingerprint_grouped"],
                full=("fingerprint_grouped",),  # a fingerprint is compared whole, never cut
                headers={"fingerprint_grouped": "fingerprint"},
            )
            or "No keys yet: `baton keys create --name NAME --email EMAIL`."
        ),
    )
