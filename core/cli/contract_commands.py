"""``baton contract``: draft, edit, check, render and sign a handover contract."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from baton.core.cli.base import (
    Context,
    budget_option,
    bundle_out_option,
    echo,
    emit,
    handle_errors,
    intended_use_option,
    json_option,
    leave_out_option,
    limitations_option,
    one_line,
    pass_ctx,
    require_option,
    stderr_progress,
    targets_text,
)
from baton.core.cli.handover_commands import diff_text, pack_text
from baton.core.errors import Cancelled


@click.group()
def contract() -> None:
    """Draft, edit, validate, compare and render handover contracts."""


def _contract_text(c: dict) -> str:
    from baton.core.contract.card import render_markdown

    return render_markdown(c, metadata=False)


@contract.command("new")
@click.argument("model_name", metavar="MODEL")
@click.option("--test", required=True, help="Catalog dataset with the test labels.")
@click.option("--train", help="Catalog dataset the model was trained on.")
@click.option("--validation", help="Catalog dataset used for validation.")
@click.option("--name", required=True, help="Handover name.")
@click.option("--version", "version", required=True, help="Version, e.g. 3 or 1.2.0.")
@require_option
@intended_use_option
@limitations_option
@json_option
@pass_ctx
@handle_errors
def contract_new(
    obj: Context,
    model_name,
    test,
    train,
    validation,
    name,
    version,
    requires,
    intended_use,
    limitations,
    as_json,
) -> None:
    """Draft a contract for MODEL from its latest measurements (run now if missing)."""
    from baton.core.contract.drafts import new_draft

    c = new_draft(
        obj.catalog(),
        model_name,
        test=test,
        train=train,
        validation=validation,
        name=name,
        version=version,
        requires=requires,
        intended_use=intended_use,
        limitations=limitations,
        progress=None if as_json else stderr_progress,
    )
    emit(c, as_json, lambda d: f"Drafted {name}@{version}\n\n" + targets_text(d.get("targets", [])))


@contract.command("show")
@click.argument("ref", metavar="NAME[@VERSION]|FILE")
@json_option
@pass_ctx
@handle_errors
def contract_show(obj: Context, ref: str, as_json: bool) -> None:
    """Show a contract (as its model card, or as JSON)."""
    from baton.core.contract.drafts import load

    emit(load(obj.catalog(), ref), as_json, _contract_text)


def _json_or_text(value: str):
    try:
        return json.loads(value)
    except ValueError:
        return value


@contract.command("set")
@click.argument("ref", metavar="NAME[@VERSION]")
@click.argument("path")
@click.argument("value")
@json_option
@pass_ctx
@handle_errors
def contract_set(obj: Context, ref: str, path: str, value: str, as_json: bool) -> None:
    """Set one field, e.g. `identity.intended_use "..."` or `targets.0.threshold 0.96`.

    VALUE is read as JSON when it parses (numbers, true, null, lists), else as text.
    """
    from baton.core.contract.document import set_field
    from baton.core.contract.drafts import load, save

    catalog = obj.catalog()
    c = save(catalog, set_field(load(catalog, ref), path, _json_or_text(value)))
    emit(c, as_json, f"Set {path} of {c['identity']['name']}@{c['identity']['version']}")


@contract.command("require")
@click.argument("ref", metavar="NAME[@VERSION]")
@click.argument("expr")
@click.option("--note", default="", help="Why this target, agreed with whom.")
@json_option
@pass_ctx
@handle_errors
def contract_require(obj: Context, ref: str, expr: str, note: str, as_json: bool) -> None:
    """Add a target such as "recall>=0.9" or "latency_p99_ms@32<=25±2"."""
    from baton.core.contract.document import add_target
    from baton.core.contract.drafts import load, save
    from baton.core.contract.targets import parse_target

    catalog = obj.catalog()
    c = save(catalog, add_target(load(catalog, ref), parse_target(expr, note=note)))
    emit(c, as_json, lambda d: targets_text(d["targets"]))


@contract.command("drop")
@click.argument("ref", metavar="NAME[@VERSION]")
@click.argument("target")
@json_option
@pass_ctx
@handle_errors
def contract_drop(obj: Context, ref: str, target: str, as_json: bool) -> None:
    """Remove a target, named like "accuracy" or "latency_p95_ms@32"."""
    from baton.core.contract.document import remove_target
    from baton.core.contract.drafts import load, save

    catalog = obj.catalog()
    c = save(catalog, remove_target(load(catalog, ref), target))
    emit(c, as_json, lambda d: targets_text(d["targets"]))


@contract.command("validate")
@click.argument("ref", metavar="NAME[@VERSION]|FILE")
@json_option
@pass_ctx
@handle_errors
def contract_validate(obj: Context, ref: str, as_json: bool) -> None:
    """Check a contract against the schema and its consistency rules."""
    from baton.core.contract.document import validate_contract
    from baton.core.contract.drafts import load

    issues = [
        {"path": i.path, "message": i.message} for i in validate_contract(load(obj.catalog(), ref))
    ]
    emit(
        {"valid": not issues, "issues": issues},
        as_json,
        lambda d: (
            "valid"
            if d["valid"]
            else "\n".join(f"{i['path']}: {i['message']}" for i in d["issues"])
        ),
    )
    if issues:
        sys.exit(1)


@contract.command("diff")
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@json_option
@pass_ctx
@handle_errors
def contract_diff(obj: Context, old: str, new: str, as_json: bool) -> None:
    """Compare two contracts field by field (NAME@VERSION or contract.json files)."""
    import dataclasses

    from baton.core.contract.document import diff_contracts
    from baton.core.contract.drafts import load

    catalog = obj.catalog()
    changes = [
        dataclasses.asdict(c) for c in diff_contracts(load(catalog, old), load(catalog, new))
    ]
    emit(
        {"changes": changes},
        as_json,
        lambda d: diff_text(
            {
                "name": "",
                "old": {"version": old},
                "new": {"version": new},
                "changes": d["changes"],
                "files": [],
            }
        ),
    )


@contract.command("card")
@click.argument("ref", metavar="NAME[@VERSION]|FILE")
@click.option("--html", "as_html", is_flag=True, help="Self-contained HTML instead of Markdown.")
@click.option(
    "--out", type=click.Path(dir_okay=False), help="Write to this file instead of stdout."
)
@pass_ctx
@handle_errors
def contract_card(obj: Context, ref: str, as_html: bool, out: str | None) -> None:
    """Render the model card of a contract."""
    from baton.core.contract.card import render_html, render_markdown
    from baton.core.contract.drafts import load

    c = load(obj.catalog(), ref)
    text = render_html(c) if as_html else render_markdown(c)
    if out:
        Path(out).write_text(text, encoding="utf-8")
        echo(f"Wrote {out}", err=True)
    else:
        echo(text)


@contract.command("export")
@click.argument("ref", metavar="NAME[@VERSION]")
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False), help="contract.json to write."
)
@pass_ctx
@handle_errors
def contract_export(obj: Context, ref: str, out: str) -> None:
    """Write a stored contract as canonical contract.json."""
    from baton.core.contract.document import dump_contract
    from baton.core.contract.drafts import load
    from baton.core.fsutil import atomic_write_bytes

    atomic_write_bytes(out, dump_contract(load(obj.catalog(), ref)))
    click.echo(f"Wrote {out}")


@contract.command("pack")
@click.argument("ref", metavar="NAME[@VERSION]")
@leave_out_option
@budget_option
@bundle_out_option
@click.option(
    "--accept-changes",
    is_flag=True,
    help="Sign even if figures measured now differ from the draft's (they are listed first).",
)
@json_option
@pass_ctx
@handle_errors
def contract_pack(
    obj: Context, ref: str, leave_out, budget: float, out: str, accept_changes: bool, as_json: bool
) -> None:
    """Sign a drafted contract as a handover bundle, with the figures the draft shows.

    What is stale (another model file, dataset or package version) or missing (a target's
    new batch size) is measured now; figures that differ from the draft's are listed on
    stderr, and signed only after you agree (or with --accept-changes).
    """
    from baton.core.handover.packing import pack_draft

    def confirm(changes) -> bool:
        echo("Measured now, not as the draft shows:", err=True)
        for change in changes:
            echo(f"  {one_line(str(change))}", err=True)
        if accept_changes:
            return True
        if sys.stdin.isatty() and not as_json:
            return click.confirm("Sign these figures?", default=False, err=True)
        raise Cancelled(
            "the figures above differ from the draft's; nothing was signed. Pass "
            "--accept-changes to sign them as measured now"
        )

    result = pack_draft(
        obj.catalog(),
        ref,
        passphrase=obj.passphrase(),
        out=out,
        include=tuple(r for r in ("train", "validation") if r not in leave_out),
        budget_s=budget,
        confirm=confirm,
        progress=None if as_json else stderr_progress,
    ).as_dict()
    emit(result, as_json, pack_text)
    if result["targets_failed"]:
        sys.exit(1)
