"""The ``baton`` command line: a thin face of :mod:`baton.core`.

Each command opens the catalog, calls one or two core functions and prints the result,
as text or, with ``--json``, as one JSON object on stdout. Expected failures become one
line on stderr and an exit code (DESIGN.md section 5): 1 a check failed, 2 usage, 3 the
signer is not trusted or is revoked.

Much of what is printed was written by someone else (a contract's text, a reviewer's
comment, a member or file name). Every line leaves through :func:`echo`, which shows
control characters as ``\\u`` escapes (:func:`baton.core.safetext.visible`), and the
text formatters pass each one-line field through :func:`one_line` so that a newline in
it cannot start a line of its own. ``--json`` output is ASCII-only JSON, where such
characters are escaped by JSON itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from baton.core import __version__
from baton.core.cli import (
    catalog_commands,
    contract_commands,
    drift_commands,
    handover_commands,
    keys_commands,
    optimize_commands,
)
from baton.core.cli.base import Context, emit, handle_errors, json_option, pass_ctx, table

# --- the group --------------------------------------------------------------------------


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    envvar="BATON_HOME",
    help="Baton home folder (default: BATON_HOME, else the platform's user data folder).",
)
@click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False),
    help="Read the key passphrase from this file (else BATON_PASSPHRASE, else a prompt).",
)
@click.version_option(__version__, prog_name="baton")
@click.pass_context
def cli(ctx: click.Context, home: str | None, passphrase_file: str | None) -> None:
    """Baton: signed, verifiable handover of trained models.

    Run `baton` alone (or `baton gui`) for the desktop app.
    """
    ctx.obj = Context(home, passphrase_file)
    ctx.call_on_close(ctx.obj.close)
    if ctx.invoked_subcommand is None:
        ctx.invoke(gui)


@cli.command()
@json_option
@pass_ctx
@handle_errors
def init(obj: Context, as_json: bool) -> None:
    """Create (or check) the Baton home and its catalog."""
    catalog = obj.catalog()
    data = {
        "home": str(catalog.home),
        "catalog": str(catalog.path),
        "schema_version": catalog.schema_version,
        "migrations": catalog.applied_migrations(),
    }
    emit(
        data,
        as_json,
        lambda d: f"Baton home ready at {d['home']} (catalog schema {d['schema_version']})",
    )


@cli.command()
@click.option(
    "--headless",
    is_flag=True,
    help="Run a complete scientist -> engineer -> scientist round trip in temporary homes and print each step.",
)
@click.option(
    "--keep",
    type=click.Path(file_okay=False),
    help="With --headless: keep the homes and files in this folder.",
)
@pass_ctx
@handle_errors
def demo(obj: Context, headless: bool, keep: str | None) -> None:
    """Open the app on a demo workspace built from scikit-learn's bundled datasets."""
    from baton.core.cli.demo import build_workspace, needs_building, run_headless

    if headless:
        result = run_headless(click.echo, Path(keep) if keep else None)
        click.echo(f"Round trip complete: {result['decision'].upper()}")
        return
    home = Path(obj.home_option) if obj.home_option else obj.home.parent / "Baton-demo"
    if needs_building(home):
        click.echo(
            f"Preparing the demo workspace in {home} (once; about 20 seconds on two cores)…",
            err=True,
        )
    build_workspace(home, lambda s: click.echo(f"  {s}", err=True)).close()
    from baton.gui.shell.app import run  # the one allowed core -> gui edge, imported lazily

    sys.exit(run(home=home))


@cli.command("desktop-install")
@click.option(
    "--prefix",
    type=click.Path(file_okay=False),
    help="Data folder to install into (default: $XDG_DATA_HOME or ~/.local/share).",
)
@json_option
@handle_errors
def desktop_install(prefix: str | None, as_json: bool) -> None:
    """Install the desktop entry and the .baton file type, so bundles open in Baton."""
    from baton.core.cli.desktop import install_desktop_entry

    script = Path(sys.argv[0]).resolve() if Path(sys.argv[0]).name == "baton" else None
    written = install_desktop_entry(
        prefix, command=str(script) if script and script.is_file() else None
    )
    emit(
        {"files": [str(p) for p in written]},
        as_json,
        lambda d: "Installed:\n" + "\n".join(f"  {f}" for f in d["files"]),
    )


@cli.command()
@click.argument("text")
@click.option("--limit", default=50, show_default=True, help="At most this many hits.")
@json_option
@pass_ctx
@handle_errors
def search(obj: Context, text: str, limit: int, as_json: bool) -> None:
    """Find models and datasets by name, description, tags, columns or estimator."""
    hits = obj.catalog().search(text, limit=limit)
    out = [
        {
            "kind": h["kind"],
            "name": h["name"],
            "id": h["id"],
            "detail": h.get("estimator") or f"{h.get('rows')} rows",
        }
        for h in hits
    ]
    emit(
        {"query": text, "hits": out},
        as_json,
        lambda d: table(d["hits"], ["kind", "name", "detail"]) or f"Nothing matches {text!r}.",
    )


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@pass_ctx
@handle_errors
def gui(obj: Context, file: str | None) -> None:
    """Start the desktop app (optionally opening a bundle or receipt FILE)."""
    from baton.gui.shell.app import run  # the one allowed core -> gui edge, imported lazily

    sys.exit(run(home=obj.home, open_file=file))


# The commands live by subject; the group lists them in alphabetical order, as click does.
for _command in (
    catalog_commands.dataset,
    catalog_commands.model,
    catalog_commands.evaluate,
    catalog_commands.profile,
    contract_commands.contract,
    keys_commands.keys,
    handover_commands.pack,
    handover_commands.verify,
    handover_commands.inspect,
    handover_commands.review,
    handover_commands.diff,
    optimize_commands.optimize,
    drift_commands.drift,
):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="baton")


if __name__ == "__main__":
    main()
