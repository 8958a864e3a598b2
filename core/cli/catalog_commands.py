"""Commands on the catalog: ``dataset``, ``model``, ``evaluate`` and ``profile``."""

from __future__ import annotations

from typing import Any

import click

from baton.core.cli.base import (
    Context,
    declare_options,
    emit,
    emit_rows,
    handle_errors,
    json_option,
    pass_ctx,
    stderr_progress,
    table,
    targets_text,
)
from baton.core.present import (
    MB,
    SHARE_METRICS,
    fmt_bounds,
    fmt_count,
    fmt_duration,
    fmt_peak_mb,
    fmt_percent,
    fmt_rate,
    fmt_ratio,
    fmt_size,
    half_width,
    metric_label,
)


@click.group()
def dataset() -> None:
    """Add, list and show datasets (CSV, Parquet)."""


@dataset.command("add")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--name", help="Catalog name (default: the file name without extension).")
@click.option(
    "--role", type=click.Choice(["train", "validation", "test"]), help="What the data is for."
)
@click.option("--target", help="The label column.")
@click.option("--id-col", "id_column", help="A column of unique row ids (optional).")
@click.option("--description", default="", help="A sentence about the data.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@json_option
@pass_ctx
@handle_errors
def dataset_add(
    obj: Context, file: str, name, role, target, id_column, description, tags, as_json
) -> None:
    """Check, profile and add a dataset FILE to the catalog."""
    from baton.core.data.importer import import_dataset

    record = import_dataset(
        obj.catalog(),
        file,
        name=name,
        role=role,
        target=target,
        id_column=id_column,
        description=description,
        tags=list(tags),
    )
    emit(
        _dataset_out(record),
        as_json,
        lambda d: (
            f"Added dataset {d['name']}: {d['rows']} rows, {len(d['columns'])} columns, fingerprint {d['fingerprint'][:16]}…"
        ),
    )


def _dataset_out(record: dict, with_profile: bool = False) -> dict:
    out = dict(record)
    if not with_profile:
        out.pop("profile", None)
    return out


LIMIT_HELP = "At most this many, newest first (0: all of them, printed as they are read)."


@dataset.command("list")
@click.option("--limit", default=100, show_default=True, help=LIMIT_HELP)
@click.option("--offset", default=0, help="Skip this many first.")
@json_option
@pass_ctx
@handle_errors
def dataset_list(obj: Context, limit: int, offset: int, as_json: bool) -> None:
    """List the datasets in the catalog."""
    rows = obj.catalog().iter_datasets(_limit(limit), offset, summary=True)
    emit_rows(
        "datasets",
        map(_dataset_out, rows),
        as_json,
        ["name", "role", "format", "rows", "target", "fingerprint"],
        "No datasets yet: add one with `baton dataset add FILE`.",
    )


def _limit(limit: int) -> int | None:
    if limit < 0:
        raise click.BadParameter("must be 0 (all) or more", param_hint="--limit")
    return limit or None


@dataset.command("show")
@click.argument("name")
@json_option
@pass_ctx
@handle_errors
def dataset_show(obj: Context, name: str, as_json: bool) -> None:
    """Show a dataset's schema and column profile."""
    record = obj.catalog().get_dataset(name)
    emit(_dataset_out(record, with_profile=True), as_json, _dataset_text)


def _dataset_text(d: dict) -> str:
    lines = [
        f"{d['name']}  ({d['format']}, {d['rows']} rows, role {d.get('role') or '-'}, target {d.get('target') or '-'})",
        f"  file        {d['file_name']}",
        f"  sha256      {d['sha256']}",
        f"  fingerprint {d['fingerprint']}",
        "",
    ]
    rows = []
    for p in d.get("profile") or []:
        rows.append(
            {
                "column": p["name"],
                "dtype": p["dtype"],
                "missing": fmt_count(p["missing"]),
                "distinct": fmt_count(p["distinct"]),
                "min": fmt_ratio(p.get("min")),
                "max": fmt_ratio(p.get("max")),
                "mean": fmt_ratio(p.get("mean")),
                "top": ", ".join(t["value"] for t in p.get("top", [])[:3]),
            }
        )
    lines.append(
        table(rows, ["column", "dtype", "missing", "distinct", "min", "max", "mean", "top"])
    )
    return "\n".join(lines)


@click.group()
def model() -> None:
    """Add, list and show models (.skops, .onnx; .joblib/.pkl with --trust-pickle)."""


@model.command("add")
@click.argument("file", metavar="FILE|MLFLOW_DIR")
@click.option(
    "--name",
    help="Catalog name (default: the file name without extension, or the MLflow folder's name).",
)
@click.option("--description", default="", help="A sentence about the model.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option(
    "--trust-pickle",
    is_flag=True,
    help="I made this .joblib/.pkl file myself: load it (in a child process) and convert it to .skops.",
)
@click.option(
    "--check-on",
    help="Dataset (catalog name or file) on which a converted pickle must predict identically.",
)
@click.option("--target", help="Label column of the --check-on file, if it is not in the catalog.")
@click.option("--id-col", "id_column", help="Id column of the --check-on file, if any.")
@declare_options
@json_option
@pass_ctx
@handle_errors
def model_add(
    obj: Context,
    file,
    name,
    description,
    tags,
    trust_pickle,
    check_on,
    target,
    id_column,
    declared,
    as_json,
) -> None:
    """Check, introspect and add a model FILE (.skops, .onnx) or an MLflow model folder
    (sklearn or onnx flavor) to the catalog."""
    from baton.core.data.importer import import_model, model_summary

    record = import_model(
        obj.catalog(),
        file,
        name=name,
        description=description,
        tags=list(tags),
        trust_pickle=trust_pickle,
        check_on=check_on,
        target=target,
        id_column=id_column,
        declared=declared,
        progress=None if as_json else stderr_progress,
    )
    emit(
        model_summary(record),
        as_json,
        lambda d: (
            f"Added model {d['name']}: {d['estimator']}, {d['task']}, {d['params']} parameters, {d['size_bytes']} bytes"
        ),
    )


@model.command("list")
@click.option("--limit", default=100, show_default=True, help=LIMIT_HELP)
@click.option("--offset", default=0, help="Skip this many first.")
@json_option
@pass_ctx
@handle_errors
def model_list(obj: Context, limit: int, offset: int, as_json: bool) -> None:
    """List the models in the catalog."""
    from baton.core.catalog.records import model_summary

    rows = obj.catalog().iter_models(_limit(limit), offset, summary=True)
    emit_rows(
        "models",
        map(model_summary, rows),
        as_json,
        ["name", "format", "task", "estimator", "params", "size_bytes"],
        "No models yet: add one with `baton model add FILE`.",
        headers={"params": "parameters", "size_bytes": "size (bytes)"},
    )


@model.command("show")
@click.argument("name")
@json_option
@pass_ctx
@handle_errors
def model_show(obj: Context, name: str, as_json: bool) -> None:
    """Show a model's format, framework, parameters, inputs, classes and safety status."""
    from baton.core.catalog.records import model_summary

    emit(model_summary(obj.catalog().get_model(name)), as_json, _model_text)


def _model_text(d: dict) -> str:
    feats = d.get("features") or []
    names = [
        (f.get("name") or f"#{i + 1} (unnamed)") + (f" {f['dtype']}" if f.get("dtype") else "")
        for i, f in enumerate(feats)
    ]
    safety = d.get("safety") or {}
    from baton.core.data.declare import decisions

    decided: list[tuple[str, Any]] = decisions({**d, "info": d}) or [
        ("task", d.get("task")),
        ("classes", ", ".join(map(str, d.get("classes") or [])) or "-"),
    ]
    return "\n".join(
        [
            f"{d['name']}  ({d['format']}, {d['framework']} {d.get('framework_version') or ''})",
            f"  estimator   {d.get('estimator')}",
            *(f"  {what:<11} {how}" for what, how in decided),
            f"  parameters  {d.get('params')}",
            f"  size        {d.get('size_bytes')} bytes",
            f"  sha256      {d.get('sha256')}",
            f"  safety      {safety.get('verdict', '-')} ({safety.get('method', '-')})",
            f"  inputs      {len(feats)}: {', '.join(names[:12])}{' …' if len(names) > 12 else ''}",
            f"  names from  {_features_source(d)}",
        ]
    )


def _features_source(d: dict) -> str:
    if d.get("features_source"):
        return d["features_source"]
    if any(f.get("name") for f in d.get("features") or []):
        return "the model"
    return (
        "not yet named: the first evaluation names them after its dataset's columns "
        "(or import the model with --features / --features-from / --check-on)"
    )


@click.command()
@click.argument("model_name", metavar="MODEL")
@click.argument("dataset_name", metavar="DATASET")
@click.option(
    "--bootstrap",
    default=1000,
    show_default=True,
    help="Bootstrap resamples for the 95 % intervals (0: none).",
)
@click.option("--seed", default=0, show_default=True, help="Seed of the bootstrap.")
@json_option
@pass_ctx
@handle_errors
def evaluate(obj: Context, model_name, dataset_name, bootstrap, seed, as_json) -> None:
    """Run MODEL on DATASET and compute quality metrics with confidence intervals."""
    from baton.core.measure.runs import evaluate as run_evaluation

    record = run_evaluation(
        obj.catalog(),
        model_name,
        dataset_name,
        bootstrap=bootstrap,
        seed=seed,
        progress=None if as_json else stderr_progress,
    )
    emit(record["result"], as_json, _evaluation_text)


def _evaluation_text(r: dict) -> str:
    rows = [
        {
            "metric": metric_label(name),
            "value": (fmt_percent if name in SHARE_METRICS else fmt_ratio)(
                m["value"], half_width(m.get("ci_low"), m.get("ci_high"))
            ),
            "95% interval": fmt_bounds(
                m.get("ci_low"), m.get("ci_high"), m["value"], share=name in SHARE_METRICS
            ),
        }
        for name, m in r["metrics"].items()
        if m["value"] is not None
    ]
    head = f"{r['model']} on {r['dataset']}: {r['problem_type']}, {r['n_rows']} rows"
    out = [head, "", table(rows, ["metric", "value", "95% interval"])]
    cm = r.get("confusion_matrix")
    if cm:
        labels = [str(x) for x in cm["labels"]]
        out += ["", "confusion matrix (rows: true, columns: predicted)"]
        out.append(
            table(
                [
                    {"": lab, **{c: str(v) for c, v in zip(labels, row, strict=True)}}
                    for lab, row in zip(labels, cm["matrix"], strict=True)
                ],
                ["", *labels],
            )
        )
    return "\n".join(out)


@click.command()
@click.argument("model_name", metavar="MODEL")
@click.argument("dataset_name", metavar="DATASET")
@click.option(
    "--batch-sizes", default="1,8,64,512", show_default=True, help="Comma-separated batch sizes."
)
@click.option("--budget", default=2.0, show_default=True, help="Seconds of timing per batch size.")
@click.option(
    "--require",
    "requires",
    multiple=True,
    help='A target to measure for, e.g. "latency_p95_ms@32<=20": its batch size is profiled '
    "too, and its verdict shown (repeatable).",
)
@json_option
@pass_ctx
@handle_errors
def profile(obj: Context, model_name, dataset_name, batch_sizes, budget, requires, as_json) -> None:
    """Measure MODEL's latency per batch size and its memory on rows of DATASET."""
    from baton.core.contract.compose import as_target
    from baton.core.contract.targets import BATCHED_METRICS, measured_value
    from baton.core.data.importer import model_summary
    from baton.core.errors import ContractError, UsageError
    from baton.core.handover.review import memory_here
    from baton.core.measure.latency_notes import latency_caveats
    from baton.core.measure.runs import profile as run_profile

    try:
        sizes = tuple(int(b) for b in batch_sizes.split(",") if b.strip())
    except ValueError:
        raise UsageError(
            f"--batch-sizes must be integers separated by commas, not {batch_sizes!r}"
        ) from None
    if not sizes or min(sizes) < 1:
        raise UsageError("--batch-sizes must be positive integers")
    try:
        targets = [as_target(r) for r in requires]
    except ContractError as exc:
        raise UsageError(f"--require: {exc}") from None
    for t in targets:
        if t.metric not in (*BATCHED_METRICS, "memory_mb", "model_size_mb", "params"):
            raise UsageError(
                f"--require {t.expr()}: profile measures latency, throughput, memory and size; "
                f"{t.metric} comes from `baton evaluate`"
            )
    # Every batch size a target names is measured too, after the ones asked for.
    sizes = tuple(dict.fromkeys([*sizes, *sorted({t.batch for t in targets if t.batch})]))
    catalog = obj.catalog()
    record = run_profile(
        catalog,
        model_name,
        dataset_name,
        batch_sizes=sizes,
        budget_s=budget,
        progress=None if as_json else stderr_progress,
    )
    result = record["result"]
    here = {"latency": result["latency"], "memory": memory_here(result["memory"])}
    model = model_summary(catalog.get_model(model_name))
    result["targets"] = [t.to_dict(measured_value(t, None, here, model)) for t in targets]
    result["notes"] = latency_caveats(result["latency"])
    emit(result, as_json, _profile_text)


def _mb(value: float | None) -> str:
    """A size the profiler measured in MB."""
    return fmt_size(None if value is None else value * MB)


def _peak(value: float | None) -> str:
    """The extra memory at peak while predicting, measured in MB; a zero in words."""
    return "+" + _mb(value) if value else fmt_peak_mb(value)


def _profile_text(r: dict) -> str:
    rows = [
        {
            "batch": fmt_count(lat["batch_size"]),
            "p50 ms": fmt_duration(lat["p50_ms"], unit=False),
            "p90 ms": fmt_duration(lat["p90_ms"], unit=False),
            "p95 ms": fmt_duration(lat["p95_ms"], unit=False),
            "p99 ms": fmt_duration(lat["p99_ms"], unit=False),
            "rows/s": fmt_rate(lat["throughput_rps"], unit=False),
            "samples": fmt_count(lat["samples"]),
        }
        for lat in r["latency"]
    ]
    mem = r["memory"]
    hw = r["hardware"]
    lines = [
        f"{r['model']} on {r['dataset']}",
        "",
        table(rows, ["batch", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "rows/s", "samples"]),
        "",
        f"memory: {_mb(mem.get('resident_delta_mb'))} resident after load, peak {_peak(mem.get('peak_during_predict_mb'))} while predicting {fmt_count(mem.get('batch_size'))} rows, {_mb(mem.get('size_on_disk_mb'))} on disk",
        f"hardware: {hw.get('cpu_model')}, {hw.get('cores_logical')} cores, {hw.get('ram_total_gb')} GB RAM, {hw.get('os')}",
    ]
    lines += [f"note: {note}" for note in r.get("notes") or []]
    if r.get("targets"):
        lines += ["", targets_text(r["targets"])]
    return "\n".join(lines)
