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

A command imports only what it uses: the group names the module of each command in
:data:`LAZY_COMMANDS` and imports it when the command runs, so `baton search` never waits
for pandas or scikit-learn. ``baton --help`` lists every command from the same table
(the first paragraph of each help text, checked against the commands by a test).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from baton.core import __version__
from baton.core.cli.base import (
    Context,
    emit,
    handle_errors,
    json_error,
    json_option,
    one_line,
    pass_ctx,
    table,
)
from baton.core.cli.display import require_display
from baton.core.errors import CatalogError

# --- the group --------------------------------------------------------------------------

# The commands that live by subject in their own modules: name -> ("module:attribute",
# the first paragraph of its help, which `baton --help` shows without importing it).
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "bom": (
        "baton.core.cli.card_commands:bom",
        "Write a CycloneDX 1.6 ML-BOM of a bundle, a handover or a draft.",
    ),
    "card": (
        "baton.core.cli.card_commands:card",
        "Render the model card of a bundle, a handover or a draft.",
    ),
    "contract": (
        "baton.core.cli.contract_commands:contract",
        "Draft, edit, validate, compare and render handover contracts.",
    ),
    "dataset": (
        "baton.core.cli.catalog_commands:dataset",
        "Add, list and show datasets (CSV, Parquet).",
    ),
    "diff": (
        "baton.core.cli.handover_commands:diff",
        "Compare two versions of a bundle: contract fields, targets, metrics and files.",
    ),
    "drift": (
        "baton.core.cli.drift_commands:drift",
        "Compare BATCH (CSV or Parquet) with the data bundle FILE was measured on.",
    ),
    "evaluate": (
        "baton.core.cli.catalog_commands:evaluate",
        "Run MODEL on DATASET and compute quality metrics with confidence intervals.",
    ),
    "inspect": (
        "baton.core.cli.handover_commands:inspect",
        "Show a verified bundle's contract as a model card.",
    ),
    "keys": ("baton.core.cli.keys_commands:keys", "My signing key and the keys I trust."),
    "model": (
        "baton.core.cli.catalog_commands:model",
        "Add, list and show models (.skops, .onnx; .joblib/.pkl with --trust-pickle).",
    ),
    "optimize": (
        "baton.core.cli.optimize_commands:optimize",
        "Convert a received bundle's model to ONNX, prove it predicts as the original on the\n"
        "    bundle's test set, measure the gain, and sign the result as a new bundle.",
    ),
    "pack": (
        "baton.core.cli.handover_commands:pack",
        "Import, evaluate, profile, write the contract and sign a handover bundle.",
    ),
    "profile": (
        "baton.core.cli.catalog_commands:profile",
        "Measure MODEL's latency per batch size and its memory on rows of DATASET.",
    ),
    "registry": (
        "baton.core.cli.registry_commands:registry",
        "Pull registered models from an MLflow registry; push signed decisions back.",
    ),
    "review": (
        "baton.core.cli.handover_commands:review",
        "Reproduce a bundle's claims here, or countersign a decision on it.",
    ),
    "verify": (
        "baton.core.cli.handover_commands:verify",
        "Verify a bundle or a review receipt: signer, signature and every file.",
    ),
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            import importlib

            module, _, attr = LAZY_COMMANDS[cmd_name][0].partition(":")
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return self.commands.get(cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["baton.json"] = "--json" in args
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as exc:  # a mistake click found in the arguments
            if ctx.meta.get("baton.json"):
                json_error(exc.format_message(), exc.exit_code)
            raise

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The listing click would print, from the table's help for commands not loaded.
        shown = {
            name: self.commands.get(name) or click.Command(name, help=LAZY_COMMANDS[name][1])
            for name in self.list_commands(ctx)
        }
        commands = [(name, cmd) for name, cmd in shown.items() if not cmd.hidden]
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            with formatter.section("Commands"):
                formatter.write_dl(
                    [(name, cmd.get_short_help_str(limit)) for name, cmd in commands]
                )


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
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
    require_display()  # before the build, not after it
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
@json_option
@pass_ctx
@handle_errors
def status(obj: Context, as_json: bool) -> None:
    """Show what waits in this catalog and the next step for each: models by stage, the
    handovers sent and their decisions, the bundles received and awaiting a decision."""
    from baton.core.catalog.overview import overview

    found = overview(obj.catalog())
    emit(found.as_json(), as_json, lambda _: status_text(found))


def status_text(found: Any) -> str:
    """``baton status`` as text: one block per desk, one line per record shown."""
    if found.empty:
        return (
            "This catalog is empty. Start with `baton model add FILE` and "
            "`baton dataset add FILE`, or try `baton demo`."
        )
    lines: list[str] = []
    for heading, stages in (
        ("Models", found.models),
        ("Handovers sent", found.sent),
        ("Bundles received", found.received),
    ):
        if not stages:
            continue
        lines.append(heading)
        for stage in stages:
            lines.append(f"  {stage.title} ({stage.count:,}): {stage.next_step}")
            for item in stage.items:
                detail = f" — {one_line(item.detail)}" if item.detail else ""
                missing = " (file no longer there)" if item.ref and not item.exists else ""
                lines.append(f"    {one_line(item.label)}{detail}{missing}")
            if stage.count > len(stage.items):
                lines.append(f"    … and {stage.count - len(stage.items):,} more")
    return "\n".join(lines)


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@pass_ctx
@handle_errors
def gui(obj: Context, file: str | None) -> None:
    """Start the desktop app (optionally opening a bundle or receipt FILE)."""
    require_display()
    from baton.gui.shell.app import run  # the one allowed core -> gui edge, imported lazily

    sys.exit(run(home=obj.home, open_file=file))


@cli.command()
@json_option
@pass_ctx
@handle_errors
def doctor(obj: Context, as_json: bool) -> None:
    """Check the catalog: its pages and indexes, the rows that name other rows, the
    search indexes and the schema. Exit code 1 when a check fails.

    Baton runs the integrity check by itself only after a session that ended without
    closing the catalog (a crash, a killed process, a power cut)."""
    catalog = obj.catalog()
    checks = catalog.check()
    data = {"catalog": str(catalog.path), "checks": checks, "ok": all(c["ok"] for c in checks)}
    emit(data, as_json, _doctor_text)
    if not data["ok"]:
        failed = [c["check"] for c in checks if not c["ok"]]
        if as_json:
            sys.exit(CatalogError.exit_code)
        raise CatalogError(
            f"the catalog {catalog.path} failed {', '.join(failed)}: restore it from a "
            "backup, or move it aside and run `baton init` to start a new one"
        )


def _doctor_text(d: dict) -> str:
    lines = [f"Checked {d['catalog']}:"]
    for c in d["checks"]:
        verdict = "ok" if c["ok"] else f"FAILED: {one_line(c['problem'])}"
        lines.append(f"  {c['check']:<24} {verdict}")
        lines.append(f"  {'':<24} ({c['what']})")
    lines.append("All checks passed." if d["ok"] else "")
    return "\n".join(line for line in lines if line)


def main() -> None:
    cli(prog_name="baton")


if __name__ == "__main__":
    main()
