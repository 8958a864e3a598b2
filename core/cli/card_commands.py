"""`baton card` and `baton bom`: a handover's model card and ML-BOM for other tools."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from baton.core.cli.base import Context, echo, handle_errors, one_line, pass_ctx

REF = "FILE.baton|NAME[@VERSION]"


def _write(obj: Context, ref: str, fmt: str, out: str | None) -> None:
    from baton.core.fsutil import atomic_write_bytes
    from baton.core.handover.documents import handover_contract, render

    found = handover_contract(obj.catalog(), ref)
    text = render(found.contract, fmt)
    if out:
        atomic_write_bytes(Path(out), text.encode("utf-8"))
        echo(f"Wrote {one_line(out)} from the {one_line(found.source)}", err=True)
    else:
        echo(text.rstrip("\n"))
    if not found.trusted:
        echo(f"Warning: {one_line(found.trust_problem)}", err=True)
        sys.exit(3)


@click.command()
@click.argument("ref", metavar=REF)
@click.option(
    "--md",
    "fmt",
    flag_value="md",
    default=True,
    help="card.md: Markdown with its metadata block (the default).",
)
@click.option("--html", "fmt", flag_value="html", help="A self-contained HTML page.")
@click.option(
    "--out", type=click.Path(dir_okay=False), help="Write to this file instead of stdout."
)
@pass_ctx
@handle_errors
def card(obj: Context, ref: str, fmt: str, out: str | None) -> None:
    """Render the model card of a bundle, a handover or a draft.

    A bundle file is verified first; one from an untrusted signer is rendered with a
    warning and exit code 3."""
    _write(obj, ref, fmt, out)


@click.command()
@click.argument("ref", metavar=REF)
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False), help="The .cdx.json file to write."
)
@pass_ctx
@handle_errors
def bom(obj: Context, ref: str, out: str) -> None:
    """Write a CycloneDX 1.6 ML-BOM of a bundle, a handover or a draft.

    The model (each candidate) is a component with its model card: parameters, datasets,
    performance metrics with intervals, use cases and limitations."""
    _write(obj, ref, "bom", out)
