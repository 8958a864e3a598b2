"""``baton drift``: a batch of production data compared with a bundle's baseline."""

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
    table,
)
from baton.core.present import fmt_p_value, fmt_psi


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("batch", type=click.Path(dir_okay=False))
@click.option(
    "--no-predict",
    is_flag=True,
    help="Compare the features only; do not run the model on the batch.",
)
@json_option
@pass_ctx
@handle_errors
def drift(obj: Context, file: str, batch: str, no_predict: bool, as_json: bool) -> None:
    """Compare BATCH (CSV or Parquet) with the data bundle FILE was measured on.

    Per feature, and for the model's predictions on BATCH (run in a separate process):
    the population stability index against the bundle's baseline and the two-sample
    Kolmogorov-Smirnov test against its test set. Flags: PSI ≥ 0.1 watch, PSI ≥ 0.25
    or KS p < 0.01 drift.

    Exit codes: 0 no drift (features to watch included), 1 drift flagged, 2 BATCH lacks
    a feature column (columns are matched by name) or cannot be read as asked, 3 the
    bundle's signer is not trusted.
    """
    from baton.core.handover.drift import check_drift

    result = check_drift(
        obj.catalog(),
        file,
        batch,
        predict=not no_predict,
        progress=None if as_json else stderr_progress,
    ).result
    emit(result, as_json, drift_text)
    if result["verdict"] == "drift":
        sys.exit(1)


def _rows(found: list[dict]) -> list[dict]:
    return [
        {
            "column": r["column"],
            "kind": r["kind"],
            "PSI": fmt_psi(r["psi"]),
            "KS p": fmt_p_value(r["ks_p"]),
            "flag": r["flag"].upper() if r["flag"] != "stable" else "stable",
            "note": r.get("note") or "",
        }
        for r in found
    ]


def drift_text(d: dict) -> str:
    b, batch = d["bundle"], d["batch"]
    source = (
        "its signed baseline"
        if d["reference"]["source"] == "baseline"
        else "its test set (no baseline in this bundle)"
    )
    lines = [
        d["headline"],
        "",
        f"{one_line(batch['file'])} ({batch['rows']:,} rows) against {one_line(b['name'])} "
        f"{one_line(b['version'])}: {source}, {d['reference']['rows']:,} rows",
        f"Thresholds: {d['thresholds_text']}",
        "",
        table(_rows(d["features"]), ["column", "kind", "PSI", "KS p", "flag", "note"]),
    ]
    if d["predictions"]:
        lines += ["", "Predictions on the batch:"]
        lines.append(table(_rows(d["predictions"]), ["column", "kind", "PSI", "KS p", "flag"]))
    if d.get("predictions_note"):
        lines += ["", f"note: {one_line(d['predictions_note'])}"]
    if d["extra"]:
        extra = ", ".join(one_line(n) for n in d["extra"])
        lines.append(f"not compared (not in the baseline): {extra}")
    lines += [f"note: {one_line(n)}" for n in d["notes"]]
    return "\n".join(lines)
