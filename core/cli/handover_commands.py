"""Handing a model over and checking it: ``pack``, ``verify``, ``inspect``, ``review``
and ``diff``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from baton.core.cli.base import (
    Context,
    budget_option,
    bundle_out_option,
    declare_options,
    emit,
    handle_errors,
    json_option,
    leave_out_option,
    limitations_option,
    one_line,
    pass_ctx,
    require_option,
    required_intended_use_option,
    stderr_progress,
    table,
    targets_text,
)
from baton.core.contract import candidates as cands
from baton.core.present import (
    SHARE_METRICS,
    counted,
    fmt_bounds,
    fmt_count,
    fmt_duration,
    fmt_interval,
    fmt_peak_mb,
    fmt_percent,
    fmt_ratio,
    fmt_target_value,
    half_width,
    metric_label,
)


@click.command()
@click.argument("model_refs", metavar="MODEL [MODEL ...]", nargs=-1, required=True)
@click.option("--test", required=True, help="Test set: a CSV/Parquet file or a catalog dataset.")
@click.option("--target", help="Label column of the test set (and of --train/--validation).")
@click.option("--train", help="Training set (file or catalog dataset); listed by fingerprint.")
@click.option("--validation", help="Validation set (file or catalog dataset).")
@leave_out_option
@click.option("--id-col", "id_column", help="A column of unique row ids.")
@click.option("--name", required=True, help="Bundle name (letters, digits, . _ -).")
@click.option(
    "--version",
    "version",
    required=True,
    help="Version, higher than any packed before (e.g. 3 or 1.2.0).",
)
@require_option
@required_intended_use_option
@limitations_option
@click.option(
    "--trust-pickle",
    is_flag=True,
    help="MODEL is a .joblib/.pkl I made myself: convert it to .skops.",
)
@declare_options
@click.option(
    "--candidate-names",
    metavar="A,B",
    help="Names of the candidates, one per MODEL in order (default: their catalog names).",
)
@click.option("--recommend", metavar="NAME", help="The candidate you recommend.")
@budget_option
@bundle_out_option
@json_option
@pass_ctx
@handle_errors
def pack(
    obj: Context,
    model_refs,
    test,
    target,
    train,
    validation,
    leave_out,
    id_column,
    name,
    version,
    requires,
    intended_use,
    limitations,
    trust_pickle,
    declared,
    candidate_names,
    recommend,
    budget,
    out,
    as_json,
) -> None:
    """Import, evaluate, profile, write the contract and sign a handover bundle.

    Several MODELs are candidates, all measured on the same test set; the engineer
    chooses one when accepting."""
    from baton.core.handover.packing import pack as pack_bundle

    names = tuple(n.strip() for n in candidate_names.split(",")) if candidate_names else ()
    result = pack_bundle(
        obj.catalog(),
        model_refs[0] if len(model_refs) == 1 else model_refs,
        test=test,
        target=target,
        name=name,
        version=version,
        passphrase=obj.passphrase(),
        out=out,
        train=train,
        validation=validation,
        include=tuple(r for r in ("train", "validation") if r not in leave_out),
        id_column=id_column,
        requires=requires,
        intended_use=intended_use,
        limitations=limitations,
        trust_pickle=trust_pickle,
        declared=declared,
        budget_s=budget,
        candidate_names=names,
        recommend=recommend,
        progress=None if as_json else stderr_progress,
    ).as_dict()
    emit(result, as_json, pack_text)
    if result["targets_failed"]:
        sys.exit(1)


def pack_text(d: dict) -> str:
    failed = (
        f"\n{counted(d['targets_failed'], 'target')} FAILED: the bundle is signed, but the "
        "contract says so."
        if d["targets_failed"]
        else ""
    )
    notes = "".join(f"\nnote: {note}" for note in d.get("latency_notes") or [])
    side = (
        f"\n\n{candidates_text(d['candidates'], d['problem_type'])}" if d.get("candidates") else ""
    )
    return f"Wrote {d['file']} ({d['files']} files, {d['bytes']:,} bytes)\nsigned by {d['signer']}\nroot digest {d['root_digest']}\n\n{targets_text(d['targets'])}{failed}{side}{notes}"


def candidates_text(rows: list[dict], problem: str) -> str:
    """The candidates side by side, as ``pack`` and ``inspect`` print them."""
    metrics = cands.key_metrics(problem, rows)
    shown = []
    for r in rows:
        row = {
            "candidate": one_line(r["name"]) + (" (recommended)" if r["recommended"] else ""),
            "format": r["format"],
            "params": fmt_count(r["params"]),
        }
        for m in metrics:
            value = r["metrics"].get(m) or {}
            row[metric_label(m)] = fmt_interval(
                value.get("value"),
                value.get("ci_low"),
                value.get("ci_high"),
                share=m in SHARE_METRICS,
            )
        row["p95 @1 (ms)"] = fmt_duration(r["latency_p95_ms_batch_1"], unit=False)
        row["peak memory"] = fmt_peak_mb(r["memory_mb"])
        t = r["targets"]
        row["targets"] = f"{t['pass']} pass, {t['fail']} fail" + (
            f", {t['unmeasured']} unmeasured" if t["unmeasured"] else ""
        )
        shown.append(row)
    columns = [
        "candidate",
        "format",
        "params",
        *map(metric_label, metrics),
        "p95 @1 (ms)",
        "peak MB",
        "targets",
    ]
    return f"{len(rows)} candidates, measured on the same test set:\n" + table(shown, columns)


def _verified_text(d: dict) -> str:
    who = one_line(d.get("signer_name") or "an untrusted key")
    status = "VERIFIED" if d["trusted"] else "INTACT BUT UNTRUSTED"
    lines = [
        f"{status}: {one_line(Path(d['file']).name)}",
        f"  signed by {who} ({d['signer']})",
        f"  {d['files']} files intact, root digest {d['root_digest'][:16]}…",
    ]
    if not d["trusted"]:
        lines.append(f"  {one_line(d['trust_problem'])}")
    if d.get("lineage"):
        lines.append(f"  {one_line(d['lineage']['line'])}")
    if d.get("name_collision"):
        lines.append(f"  {one_line(d['name_collision'])}")
    if d.get("kind") == "receipt":
        r = d["review"]
        b, reviewer = r["bundle"], one_line(r["reviewer"]["name"])
        lines += [
            f"  review of {one_line(b['name'])} {one_line(b['version'])}: {r['decision'].upper()} by {reviewer}",
            *([f"  chose candidate {one_line(r['chosen'])}"] if r.get("chosen") else []),
            f'  "{one_line(r["comment"])}"',
        ]
        lines += [
            f"  - {one_line(c['target'])}: {one_line(c['comment'])}" for c in r["target_comments"]
        ]
        if d.get("recorded"):
            lines.append(f"  recorded against {one_line(d['bound_to'])}")
        elif d.get("not_recorded"):
            lines.append(f"  {one_line(d['not_recorded'])}")
    else:
        lines += [
            f"  {one_line(d['name'])} {one_line(d['version'])} ({d['problem_type']}), model {one_line(d['model']['file'])}",
            "",
            targets_text(d["targets"]),
        ]
        if d.get("candidates"):
            lines += ["", candidates_text(d["candidates"], d["problem_type"])]
    return "\n".join(lines)


def _with_lineage(summary: dict, contract: dict) -> dict:
    """An optimised bundle's summary with its lineage, and the line that words it."""
    if not contract.get("lineage"):
        return summary  # and `verify` of any other bundle stays off numpy's import time
    from baton.core.handover.optimize import lineage_words

    line = lineage_words(contract)
    if line is None:
        return summary
    return {**summary, "lineage": {"line": line, **contract["lineage"]}}


def _exit_untrusted(d: dict) -> None:
    if not d["trusted"]:
        sys.exit(3)


@click.command()
@click.argument("file", type=click.Path())
@json_option
@pass_ctx
@handle_errors
def verify(obj: Context, file: str, as_json: bool) -> None:
    """Verify a bundle or a review receipt: signer, signature and every file.

    FILE is the .baton file or the folder it was unzipped into (which the stock OpenSSF
    model_signing tool may have signed); both are checked the same way."""
    from baton.core.data import runner

    # The child that reads the model and data imports its libraries while this process
    # imports its own and checks the signature: a fifth of a second of a small verify.
    runner.prestart("check_bundle")
    from baton.core.handover import desk
    from baton.core.handover.review import is_receipt

    progress = None if as_json else stderr_progress
    try:
        if is_receipt(file):
            result = desk.verify_receipt(obj.catalog(), file, progress=progress).summary
        else:
            opened = desk.open_for_review(obj.catalog(), file, progress=progress)
            result = _with_lineage(opened.summary, opened.contract)
    finally:
        runner.discard_prestarted()  # unused when the file was a receipt or failed early
    emit(result, as_json, _verified_text)
    _exit_untrusted(result)


@click.command()
@click.argument("file", metavar="FILE|DIR", type=click.Path())
@json_option
@pass_ctx
@handle_errors
def inspect(obj: Context, file: str, as_json: bool) -> None:
    """Show a verified bundle's contract as a model card."""
    from baton.core.contract.card import body as card_body
    from baton.core.handover.bundle import inspect as inspect_bundle

    result = inspect_bundle(obj.catalog(), file)
    result = _with_lineage(result, result["contract"])
    emit(
        result,
        as_json,
        lambda d: "\n\n".join(
            part
            for part in (_verified_text(d), candidate_differences_text(d), card_body(d["card"]))
            if part
        ),
    )
    _exit_untrusted(result)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--reproduce", is_flag=True, help="Re-run the model here and check every claim.")
@click.option(
    "--decision",
    type=click.Choice(["accept", "changes", "reject"]),
    help="Countersign this decision.",
)
@click.option("--comment", help="Your overall comment (with --decision).")
@click.option(
    "--target-comment",
    "target_comments",
    multiple=True,
    metavar="METRIC=TEXT",
    help="A comment on one target (repeatable).",
)
@click.option(
    "--choose",
    metavar="NAME",
    help="With --decision accept: the candidate you accept (default: the recommended one).",
)
@budget_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="The receipt to write (NAME-VERSION.review.baton).",
)
@json_option
@pass_ctx
@handle_errors
def review(
    obj: Context, file, reproduce, decision, comment, target_comments, choose, budget, out, as_json
) -> None:
    """Reproduce a bundle's claims here, or countersign a decision on it."""
    from baton.core.errors import UsageError
    from baton.core.handover import desk

    if not reproduce and not decision:
        raise UsageError(
            "say what to do: --reproduce, or --decision accept|changes|reject --comment TEXT --out FILE"
        )
    if choose is not None and decision != "accept":
        raise UsageError(
            "--choose names the candidate you accept: use it with --decision accept"
            + (f", not --decision {decision}" if decision else "")
        )
    if reproduce:
        result = desk.reproduce(
            obj.catalog(), file, budget_s=budget, progress=None if as_json else stderr_progress
        ).result
        if not decision:
            emit(
                {k: v for k, v in result.items() if k != "evaluation_here"},
                as_json,
                _reproduce_text,
            )
            sys.exit(0 if result["verdict"] == "pass" else 1)
    if not comment or not out:
        raise UsageError("--decision needs --comment TEXT and --out FILE.review.baton")
    parsed: dict[str, str] = {}
    for item in target_comments:
        metric, sep, text = item.partition("=")
        if not sep or not metric.strip() or not text.strip():
            raise UsageError(f"--target-comment must look like METRIC=TEXT, not {item!r}")
        parsed[metric.strip()] = text.strip()
    result = desk.countersign(
        obj.catalog(),
        file,
        decision=decision,
        comment=comment,
        target_comments=parsed,
        out=out,
        passphrase=obj.passphrase(),
        choose=choose,
    ).receipt
    emit(result, as_json, _decided_text)


def _decided_text(d: dict) -> str:
    text = (
        f"Wrote {one_line(d['file'])}: {d['decision'].upper()} of {one_line(d['bundle']['name'])} "
        f"{one_line(d['bundle']['version'])}, countersigned by {one_line(d['reviewer']['name'])}"
    )
    if d.get("chosen"):
        how = (
            " (the one the data scientist recommends)" if d.get("chosen_by_recommendation") else ""
        )
        text += f"\nchose candidate {one_line(d['chosen'])}{how}"
    return text


def _reproduce_text(d: dict) -> str:
    a = d["agreement"]
    metric_rows = [
        {
            "metric": metric_label(m["metric"]),
            "claimed": fmt_target_value(m["metric"], m["claimed"]),
            "here": fmt_target_value(m["metric"], m["here"]),
            "consistent": "yes" if m["consistent"] else "NO",
        }
        for m in d["metrics"]
        if m["claimed"] is not None
    ]
    lat_rows = [
        {
            "batch": fmt_count(r["batch_size"]),
            "p50 claimed": fmt_duration(r["claimed_p50_ms"]),
            "p50 here": fmt_duration(r["here_p50_ms"]),
            "p95 claimed": fmt_duration(r["claimed_p95_ms"]),
            "p95 here": fmt_duration(r["here_p95_ms"]),
            "machine here": "busy" if r.get("busy_here") else "",
        }
        for r in d["latency"]
    ]
    target_rows = [
        {
            "target": t["expr"],
            "claimed": fmt_target_value(t["metric"], t["claimed"]),
            "here": fmt_target_value(t["metric"], t["here"]),
            "verdict": (t["verdict_here"].upper() if t["verdict_here"] != "pass" else "pass")
            + (" (busy machine)" if t.get("busy_here") and t["verdict_here"] == "fail" else ""),
        }
        for t in d["targets"]
    ]
    hw = d["hardware"]["here"]
    cand_rows = [
        {
            "candidate": one_line(c["name"]) + (" (recommended)" if c["recommended"] else ""),
            "claims reproduced": "yes" if c["claims_reproduced"] else "NO",
            "targets met here": "yes" if c["targets_met_on_this_machine"] else "no",
            "agreement": f"{c['agreement']['agreeing']} of {c['agreement']['rows']}",
        }
        for c in d.get("candidates") or []
    ]
    cand_table = (
        [table(cand_rows, ["candidate", "claims reproduced", "targets met here", "agreement"]), ""]
        if cand_rows
        else []
    )
    lat_columns = ["batch", "p50 claimed", "p50 here", "p95 claimed", "p95 here"]
    if any(r.get("busy_here") for r in d["latency"]):
        lat_columns.append("machine here")
    return "\n".join(
        [
            *d["headline"],
            "",
            *cand_table,
            f"Reproduced {one_line(d['bundle']['name'])} {one_line(d['bundle']['version'])} on {one_line(hw.get('cpu_model'))} ({hw.get('cores_logical')} cores)",
            f"prediction agreement: {fmt_count(a['agreeing'])} of {fmt_count(a['rows'])} rows ({fmt_percent(a['rate'])})",
            "",
            table(metric_rows, ["metric", "claimed", "here", "consistent"]),
            "",
            table(lat_rows, lat_columns),
            "",
            table(target_rows, ["target", "claimed", "here", "verdict"]) or "(no targets)",
        ]
    )


@click.command()
@click.argument("old", type=click.Path())
@click.argument("new", type=click.Path())
@json_option
@pass_ctx
@handle_errors
def diff(obj: Context, old: str, new: str, as_json: bool) -> None:
    """Compare two versions of a bundle: contract fields, targets, metrics and files."""
    from baton.core.handover import desk

    emit(desk.compare(obj.catalog(), old, new).diff, as_json, diff_text)


def diff_text(d: dict) -> str:
    versions = f"{one_line(d['old']['version'])} -> {one_line(d['new']['version'])}"
    lines = [f"{one_line(d['name'])}: {versions}", ""]
    for c in d["changes"]:
        arrow = f"{one_line(str(c.get('old'))[:40])} -> {one_line(str(c.get('new'))[:40])}"
        better = {True: " (better)", False: " (worse)"}.get(c.get("better"), "")
        lines.append(f"  {c['kind']:8} {one_line(c['path'])}: {arrow}{better}")
    lines.append("")
    lines += [f"  file {f['change']}: {one_line(f['file'])}" for f in d["files"]] or [
        "  no file changed"
    ]
    paired = d.get("paired") or {}
    if paired.get("compared"):
        lines += [
            "",
            f"Paired on the same {paired['rows']:,} test rows (matched by "
            f"{paired['matched_by']}; new minus old, {round(100 * paired['level'])} % paired "
            "bootstrap interval; accuracy also McNemar's exact test):",
            paired_table(paired, "old", "new"),
        ]
    elif paired.get("why"):
        lines += ["", f"  metrics not paired: {one_line(paired['why'])}"]
    return "\n".join(lines)


def _signed(value: float | None, uncertainty: float | None) -> str:
    """A difference with its sign: ``+0.012``, ``-0.03``."""
    text = fmt_ratio(value, uncertainty)
    return "+" + text if value is not None and value > 0 and text.strip("0.,") else text


def paired_table(paired: dict, a: str, b: str) -> str:
    """Each metric of two models on the same rows: both values, the difference (b minus a)
    with its paired interval, McNemar's p for accuracy, and the verdict in words."""
    return table(
        [
            {
                "metric": metric_label(m["metric"]),
                a: fmt_ratio(m["a"]),
                b: fmt_ratio(m["b"]),
                "difference": _signed(m["difference"], half_width(m["ci_low"], m["ci_high"])),
                "interval": fmt_bounds(m["ci_low"], m["ci_high"], m["difference"]),
                "McNemar p": fmt_ratio(m["mcnemar_p"]),
                "verdict": m["verdict"],
            }
            for m in paired["differences"]
        ],
        ["metric", a, b, "difference", "interval", "McNemar p", "verdict"],
    )


def candidate_differences_text(d: dict) -> str:
    """Under ``inspect``: each other candidate against the primary, on the same rows."""
    lines = []
    for c in d.get("candidate_differences") or []:
        against, name = one_line(c["against"]), one_line(c["candidate"])
        if c.get("compared"):
            lines += [
                f"{name} against {against} on the same {c['rows']:,} test rows "
                f"({name} minus {against}, {round(100 * c['level'])} % paired bootstrap "
                "interval; accuracy also McNemar's exact test):",
                paired_table(c, against, name),
                "",
            ]
        else:
            lines += [f"{name} against {against}: not paired ({one_line(c.get('why'))})", ""]
    return "\n".join(lines)
