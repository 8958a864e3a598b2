"""`baton registry`: an MLflow Model Registry as the team's shared engine."""

from __future__ import annotations

import sys

import click

from baton.core.cli.base import (
    Context,
    emit,
    handle_errors,
    json_option,
    one_line,
    pass_ctx,
    stderr_progress,
)

uri_option = click.option(
    "--tracking-uri",
    required=True,
    envvar="MLFLOW_TRACKING_URI",
    help="The MLflow tracking server, e.g. http://mlflow.internal:5000 (or MLFLOW_TRACKING_URI).",
)


@click.group()
def registry() -> None:
    """Pull registered models from an MLflow registry; push signed decisions back."""


@registry.command("pull")
@click.argument("model")
@click.argument("version")
@uri_option
@click.option("--name", help="Catalog name (default: MODEL-vVERSION).")
@click.option(
    "--trust-pickle",
    is_flag=True,
    help="The version is a pickle I trust: load it (in a child process) and convert it to .skops.",
)
@json_option
@pass_ctx
@handle_errors
def registry_pull(obj: Context, model, version, tracking_uri, name, trust_pickle, as_json) -> None:
    """Import registered VERSION of MODEL into the catalog, with its provenance."""
    from baton.core.data.importer import model_summary
    from baton.core.handover.registry import pull

    pulled = pull(
        obj.catalog(),
        model,
        version,
        tracking_uri,
        name=name,
        trust_pickle=trust_pickle,
        progress=None if as_json else stderr_progress,
    )
    record = model_summary(pulled.record)
    emit(
        record,
        as_json,
        f"Imported {one_line(model)} version {one_line(version)} as {one_line(record['name'])} "
        f"({record['format']}, {len(record.get('features') or [])} features)",
    )


@registry.command("push-decision")
@click.argument("receipt", metavar="RECEIPT.review.baton")
@uri_option
@click.option("--model", required=True, help="Registered model name.")
@click.option("--version", "version", required=True, help="Registered model version.")
@click.option("--alias", help="On accept, point this alias (e.g. production) at the version.")
@json_option
@pass_ctx
@handle_errors
def registry_push(obj: Context, receipt, tracking_uri, model, version, alias, as_json) -> None:
    """Attach a verified receipt to a registered version and set its baton.* tags."""
    from dataclasses import asdict

    from baton.core.handover.registry import push_decision

    pushed = push_decision(obj.catalog(), receipt, tracking_uri, model, version, alias=alias)
    lines = [f"Decision {pushed.tags['baton.decision']} pushed to {model} version {version}"]
    lines += [f"  {k} = {one_line(v)}" for k, v in pushed.tags.items()]
    if pushed.artifact:
        lines.append(f"  receipt attached as {one_line(pushed.artifact)}")
    if pushed.alias:
        lines.append(f"  alias {one_line(pushed.alias)} now points at version {version}")
    emit(asdict(pushed), as_json, "\n".join(lines))


@registry.command("check")
@click.argument("model")
@click.argument("version")
@uri_option
@click.option(
    "--receipt",
    type=click.Path(dir_okay=False),
    help="The signed receipt to compare with (default: the one attached to the version's run).",
)
@json_option
@pass_ctx
@handle_errors
def registry_check(obj: Context, model, version, tracking_uri, receipt, as_json) -> None:
    """Check that a version's baton.* tags still match its signed receipt (exit 1 if not)."""
    from dataclasses import asdict

    from baton.core.handover.registry import check

    checked = check(obj.catalog(), tracking_uri, model, version, receipt=receipt)
    if checked.ok:
        text = (
            f"OK: {model} version {version}: the tags match the signed receipt ({checked.decision})"
        )
    else:
        text = "\n".join(
            [f"CHANGED: {model} version {version}: the tags do not match the signed receipt"]
            + [f"  {one_line(m)}" for m in checked.mismatches]
        )
    emit({**asdict(checked), "ok": checked.ok}, as_json, text)
    if not checked.ok:
        sys.exit(1)
