"""The ``baton`` command line: a thin face of :mod:`baton.core`.

Each command opens the catalog, calls one or two core functions and prints the result,
as text or, with ``--json``, as one JSON object on stdout. Expected failures become one
line on stderr and an exit code (DESIGN.md section 5): 1 a check failed, 2 usage, 3 the
signer is not trusted or is revoked.

Much of what is printed was written by someone else (a contract's text, a reviewer's
comment, a member or file name). Every line leaves through :func:`echo`, which shows
control characters as ``\\u`` escapes (:func:`baton.core.safetext.visible`), and the
text formatters pass each one-line field through :func:`_one_line` so that a newline in
it cannot start a line of its own. ``--json`` output is ASCII-only JSON, where such
characters are escaped by JSON itself.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from baton.core import __version__
from baton.core.errors import BatonError, Cancelled
from baton.core.present import fmt_cli_number
from baton.core.safetext import visible

# --- plumbing ---------------------------------------------------------------------------


class Context:
    def __init__(self, home: str | None, passphrase_file: str | None) -> None:
        self.home_option = home
        self.passphrase_file = passphrase_file
        self._catalog = None

    @property
    def home(self) -> Path:
        from baton.core.catalog.home import resolve_home

        return resolve_home(self.home_option)

    def catalog(self):
        if self._catalog is None:
            from baton.core.catalog.store import Catalog

            self._catalog = Catalog(self.home)
        return self._catalog

    def passphrase(self, confirm: bool = False) -> str:
        """From --passphrase-file, BATON_PASSPHRASE, or a hidden prompt on a terminal."""
        from baton.core.handover.keys import resolve_passphrase

        def ask() -> str:
            return click.prompt(
                "Passphrase for your signing key",
                hide_input=True,
                confirmation_prompt=confirm,
                err=True,
            )

        interactive = sys.stdin is not None and sys.stdin.isatty()
        return resolve_passphrase(self.passphrase_file, prompt=ask if interactive else None)

    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()


def echo(text: str, err: bool = False) -> None:
    """Print lines of text with every control character but the newline made visible."""
    click.echo(visible(text, lines=True), err=err)


def _one_line(value: Any) -> str:
    """A field printed inside a line: newlines and tabs shown as escapes too."""
    return visible("" if value is None else value)


def emit(data: Any, as_json: bool, text: Callable[[Any], str] | str | None = None) -> None:
    """Print ``data`` as one JSON object (``--json``) or as human-readable text."""
    if as_json:
        # ensure_ascii: no raw control, bidi or other non-ASCII character can reach stdout
        click.echo(json.dumps(data, indent=2, sort_keys=True, default=str, ensure_ascii=True))
    elif callable(text):
        echo(text(data))
    elif text is not None:
        echo(text)


def stderr_progress(done: float | None, total: float | None, message: str) -> None:
    if total:
        echo(f"  [{int(100 * (done or 0) / total):3d}%] {_one_line(message)}", err=True)
    else:
        echo(f"  … {_one_line(message)}", err=True)


def handle_errors(fn: Callable) -> Callable:
    """Turn expected failures into one line on stderr and the documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # damage found by a query, after opening
                failure = _catalog_failure(exc)
                if failure is None:
                    raise
                raise failure from exc
        except BatonError as exc:
            echo(f"Error: {_one_line(exc)}", err=True)
            last_words = getattr(exc, "last_words", "")
            if last_words:
                said = "\n  ".join(_one_line(line) for line in last_words.splitlines())
                echo("The model process said:\n  " + said, err=True)
            sys.exit(exc.exit_code)

    return wrapper


def _catalog_failure(exc: Exception) -> BatonError | None:
    """The catalog's own words for a database failure, or None for any other error."""
    from baton.core.catalog.store import database_error, is_database_error

    if not is_database_error(exc):
        return None
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_object(Context) if ctx else None
    return database_error(obj.home / "catalog.db" if obj else Path("catalog.db"), exc)


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout."
)
leave_out_option = click.option(
    "--leave-out",
    type=click.Choice(["train", "validation"]),
    multiple=True,
    help="List this dataset in the contract by fingerprint but do not ship its rows.",
)
budget_option = click.option(
    "--budget", default=1.0, show_default=True, help="Seconds of latency timing per batch size."
)
bundle_out_option = click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="The bundle to write (NAME-VERSION.baton).",
)
require_option = click.option(
    "--require",
    "requires",
    multiple=True,
    help='A target, e.g. "accuracy>=0.95" or "latency_p95_ms@32<=20" (repeatable).',
)
intended_use_option = click.option(
    "--intended-use", default="", help="What the model is for, and for whom."
)
limitations_option = click.option(
    "--limitations", default="", help="Where the model should not be trusted."
)
pass_ctx = click.make_pass_decorator(Context)

# What the data scientist declares about a model the file does not tell (its features, its
# task and labels), on `model add` and `pack`: (parameter name, click option) pairs. The
# values are handed to `_declared`, which builds the one `declared` argument the command
# receives.
_DECLARED_OPTIONS: list[tuple[str, Callable]] = []


def _comma_names(ctx, param, value: str | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(v.strip() for v in value.split(","))


_DECLARED_OPTIONS += [
    (
        "task",
        click.option(
            "--task",
            type=click.Choice(["binary", "multiclass", "regression"]),
            help="The problem type, when detection gets it wrong (e.g. a single-logit "
            "binary network taken for a regression).",
        ),
    ),
    (
        "classes",
        click.option(
            "--classes",
            callback=_comma_names,
            help="Names for the model's class ids, in id order, as the labels in the data "
            "(e.g. no,yes for ids 0,1).",
        ),
    ),
    (
        "positive_class",
        click.option(
            "--positive-class",
            help="The positive class of a binary problem (precision, recall, F1, ROC); "
            "default: the second class.",
        ),
    ),
    (
        "threshold",
        click.option(
            "--threshold",
            type=float,
            help="For a binary model with a single score output: predict the second class "
            "when its probability is at least this (default 0.5; a logit goes through a "
            "sigmoid first).",
        ),
    ),
]


def _declared(**values: Any):
    from baton.core.data.importer import Declared

    return Declared(**{k: v for k, v in values.items() if v not in (None, ())})


def declare_options(fn: Callable) -> Callable:
    """Add the declaration options to a command and pass them on as ``declared``."""

    @functools.wraps(fn)
    @handle_errors  # a --features-from file that cannot be read is one line, too
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for name, _ in _DECLARED_OPTIONS}
        values = _declared_features(values, kwargs.get("target"), kwargs.get("id_column"))
        kwargs["declared"] = _declared(**values)
        return fn(*args, **kwargs)

    for _, option in reversed(_DECLARED_OPTIONS):
        wrapper = option(wrapper)
    return wrapper


_DECLARED_OPTIONS += [
    (
        "features",
        click.option(
            "--features",
            metavar="A,B,C",
            help="Names of the model's input features, in the order it reads them (for a "
            "model that does not name them, e.g. one fitted on an array).",
        ),
    ),
    (
        "features_from",
        click.option(
            "--features-from",
            metavar="FILE",
            type=click.Path(dir_okay=False),
            help="Name the model's features after a CSV/Parquet file's columns, in order "
            "(minus the --target and --id-col columns), e.g. its training set.",
        ),
    ),
]


def _declared_features(
    values: dict[str, Any], target: str | None, id_column: str | None
) -> dict[str, Any]:
    """--features and --features-from as the declaration's ``features`` (and its source)."""
    from baton.core.data.importer import features_from_file
    from baton.core.errors import UsageError

    typed, source = values.pop("features", None), values.pop("features_from", None)
    if typed and source:
        raise UsageError("give the feature names with --features or --features-from, not both")
    if typed:
        values["features"] = tuple(n.strip() for n in typed.split(","))
    elif source:
        read = features_from_file(source, target=target, id_column=id_column)
        values.update(features=read.features, features_source=read.features_source)
    return values


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


# --- datasets ---------------------------------------------------------------------------


@cli.group()
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


@dataset.command("list")
@click.option("--limit", default=100, show_default=True, help="At most this many, newest first.")
@click.option("--offset", default=0, help="Skip this many first.")
@json_option
@pass_ctx
@handle_errors
def dataset_list(obj: Context, limit: int, offset: int, as_json: bool) -> None:
    """List the datasets in the catalog."""
    rows = [_dataset_out(r) for r in obj.catalog().list_datasets(limit, offset, summary=True)]
    emit(
        {"datasets": rows},
        as_json,
        lambda d: (
            _table(d["datasets"], ["name", "role", "format", "rows", "target", "fingerprint"])
            or "No datasets yet: add one with `baton dataset add FILE`."
        ),
    )


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
                "missing": p["missing"],
                "distinct": p["distinct"],
                "min": fmt_cli_number(p.get("min")),
                "max": fmt_cli_number(p.get("max")),
                "mean": fmt_cli_number(p.get("mean")),
                "top": ", ".join(t["value"] for t in p.get("top", [])[:3]),
            }
        )
    lines.append(
        _table(rows, ["column", "dtype", "missing", "distinct", "min", "max", "mean", "top"])
    )
    return "\n".join(lines)


def _table(rows: list[dict], cols: list[str], full: tuple[str, ...] = ()) -> str:
    """Rows as aligned text; cells are cut at 40 characters except in the ``full`` columns."""
    if not rows:
        return ""
    cells = [[_one_line(r.get(c) if r.get(c) is not None else "-") for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    widths = [w if c in full else min(w, 40) for c, w in zip(cols, widths, strict=True)]
    out = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()]
    for row in cells:
        out.append("  ".join(v[:w].ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(out)


# --- models -----------------------------------------------------------------------------


@cli.group()
def model() -> None:
    """Add, list and show models (.skops, .onnx; .joblib/.pkl with --trust-pickle)."""


@model.command("add")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--name", help="Catalog name (default: the file name without extension).")
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
    """Check, introspect and add a model FILE to the catalog."""
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
@click.option("--limit", default=100, show_default=True, help="At most this many, newest first.")
@click.option("--offset", default=0, help="Skip this many first.")
@json_option
@pass_ctx
@handle_errors
def model_list(obj: Context, limit: int, offset: int, as_json: bool) -> None:
    """List the models in the catalog."""
    from baton.core.data.importer import model_summary

    rows = [model_summary(r) for r in obj.catalog().list_models(limit, offset, summary=True)]
    emit(
        {"models": rows},
        as_json,
        lambda d: (
            _table(d["models"], ["name", "format", "task", "estimator", "params", "size_bytes"])
            or "No models yet: add one with `baton model add FILE`."
        ),
    )


@model.command("show")
@click.argument("name")
@json_option
@pass_ctx
@handle_errors
def model_show(obj: Context, name: str, as_json: bool) -> None:
    """Show a model's format, framework, parameters, inputs, classes and safety status."""
    from baton.core.data.importer import model_summary

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


# --- measurement ------------------------------------------------------------------------


@cli.command()
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
            "metric": name,
            "value": fmt_cli_number(m["value"]),
            "95% interval": f"{fmt_cli_number(m['ci_low'])} - {fmt_cli_number(m['ci_high'])}"
            if m.get("ci_low") is not None
            else "-",
        }
        for name, m in r["metrics"].items()
        if m["value"] is not None
    ]
    head = f"{r['model']} on {r['dataset']}: {r['problem_type']}, {r['n_rows']} rows"
    out = [head, "", _table(rows, ["metric", "value", "95% interval"])]
    cm = r.get("confusion_matrix")
    if cm:
        labels = [str(x) for x in cm["labels"]]
        out += ["", "confusion matrix (rows: true, columns: predicted)"]
        out.append(
            _table(
                [
                    {"": lab, **{c: str(v) for c, v in zip(labels, row, strict=True)}}
                    for lab, row in zip(labels, cm["matrix"], strict=True)
                ],
                ["", *labels],
            )
        )
    return "\n".join(out)


@cli.command()
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
    from baton.core.measure.profiling import latency_caveats
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


def _profile_text(r: dict) -> str:
    rows = [
        {
            "batch": lat["batch_size"],
            "p50 ms": fmt_cli_number(lat["p50_ms"]),
            "p90 ms": fmt_cli_number(lat["p90_ms"]),
            "p95 ms": fmt_cli_number(lat["p95_ms"]),
            "p99 ms": fmt_cli_number(lat["p99_ms"]),
            "rows/s": fmt_cli_number(lat["throughput_rps"]),
            "samples": lat["samples"],
        }
        for lat in r["latency"]
    ]
    mem = r["memory"]
    hw = r["hardware"]
    lines = [
        f"{r['model']} on {r['dataset']}",
        "",
        _table(rows, ["batch", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "rows/s", "samples"]),
        "",
        f"memory: {fmt_cli_number(mem.get('resident_delta_mb'))} MB resident after load, peak +{fmt_cli_number(mem.get('peak_during_predict_mb'))} MB while predicting {mem.get('batch_size')} rows, {fmt_cli_number(mem.get('size_on_disk_mb'))} MB on disk",
        f"hardware: {hw.get('cpu_model')}, {hw.get('cores_logical')} cores, {hw.get('ram_total_gb')} GB RAM, {hw.get('os')}",
    ]
    lines += [f"note: {note}" for note in r.get("notes") or []]
    if r.get("targets"):
        lines += ["", _targets_text(r["targets"])]
    return "\n".join(lines)


# --- contracts --------------------------------------------------------------------------


@cli.group()
def contract() -> None:
    """Draft, edit, validate, compare and render handover contracts."""


def _contract_text(c: dict) -> str:
    from baton.core.contract.card import render_markdown

    return render_markdown(c)


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
    emit(
        c, as_json, lambda d: f"Drafted {name}@{version}\n\n" + _targets_text(d.get("targets", []))
    )


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
    emit(c, as_json, lambda d: _targets_text(d["targets"]))


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
    emit(c, as_json, lambda d: _targets_text(d["targets"]))


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
        lambda d: _diff_text(
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
            echo(f"  {_one_line(str(change))}", err=True)
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
    emit(result, as_json, _pack_text)
    if result["targets_failed"]:
        sys.exit(1)


# --- keys and trust ---------------------------------------------------------------------


@cli.group()
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
            f"Trusted the key of {_one_line(d['name'])}\nfingerprint {d['fingerprint_grouped']}\n"
            f"Compare it with {_one_line(d['name'])} by phone or on paper; revoke it if it differs."
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
            f"Revoked the key of {_one_line(d['name'])} ({d['fingerprint_grouped']}): {_one_line(d['revoked_reason'])}"
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
            _table(
                d["keys"],
                ["name", "email", "status", "fingerprint_grouped"],
                full=("fingerprint_grouped",),  # a fingerprint is compared whole, never cut
            )
            or "No keys yet: `baton keys create --name NAME --email EMAIL`."
        ),
    )


# --- bundles ----------------------------------------------------------------------------


@cli.command()
@click.argument("model_ref", metavar="MODEL")
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
@intended_use_option
@limitations_option
@click.option(
    "--trust-pickle",
    is_flag=True,
    help="MODEL is a .joblib/.pkl I made myself: convert it to .skops.",
)
@declare_options
@budget_option
@bundle_out_option
@json_option
@pass_ctx
@handle_errors
def pack(
    obj: Context,
    model_ref,
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
    budget,
    out,
    as_json,
) -> None:
    """Import, evaluate, profile, write the contract and sign a handover bundle."""
    from baton.core.handover.packing import pack as pack_bundle

    result = pack_bundle(
        obj.catalog(),
        model_ref,
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
        progress=None if as_json else stderr_progress,
    ).as_dict()
    emit(result, as_json, _pack_text)
    if result["targets_failed"]:
        sys.exit(1)


def _targets_text(targets: list[dict]) -> str:
    from baton.core.contract.targets import Target

    rows = [
        {
            "target": Target.from_dict(t).expr(),
            "measured": fmt_cli_number(t.get("measured")),
            "verdict": t.get("verdict"),
        }
        for t in targets
    ]
    return _table(rows, ["target", "measured", "verdict"]) or "(no targets)"


def _pack_text(d: dict) -> str:
    failed = (
        f"\n{d['targets_failed']} target(s) FAILED: the bundle is signed, but the contract says so."
        if d["targets_failed"]
        else ""
    )
    notes = "".join(f"\nnote: {note}" for note in d.get("latency_notes") or [])
    return f"Wrote {d['file']} ({d['files']} files, {d['bytes']:,} bytes)\nsigned by {d['signer']}\nroot digest {d['root_digest']}\n\n{_targets_text(d['targets'])}{failed}{notes}"


def _verified_text(d: dict) -> str:
    who = _one_line(d.get("signer_name") or "an untrusted key")
    status = "VERIFIED" if d["trusted"] else "INTACT BUT UNTRUSTED"
    lines = [
        f"{status}: {_one_line(Path(d['file']).name)}",
        f"  signed by {who} ({d['signer']})",
        f"  {d['files']} files intact, root digest {d['root_digest'][:16]}…",
    ]
    if not d["trusted"]:
        lines.append(f"  {_one_line(d['trust_problem'])}")
    if d.get("name_collision"):
        lines.append(f"  {_one_line(d['name_collision'])}")
    if d.get("kind") == "receipt":
        r = d["review"]
        b, reviewer = r["bundle"], _one_line(r["reviewer"]["name"])
        lines += [
            f"  review of {_one_line(b['name'])} {_one_line(b['version'])}: {r['decision'].upper()} by {reviewer}",
            f'  "{_one_line(r["comment"])}"',
        ]
        lines += [
            f"  - {_one_line(c['target'])}: {_one_line(c['comment'])}" for c in r["target_comments"]
        ]
        if d.get("recorded"):
            lines.append(f"  recorded against {_one_line(d['bound_to'])}")
        elif d.get("not_recorded"):
            lines.append(f"  {_one_line(d['not_recorded'])}")
    else:
        lines += [
            f"  {_one_line(d['name'])} {_one_line(d['version'])} ({d['problem_type']}), model {_one_line(d['model']['file'])}",
            "",
            _targets_text(d["targets"]),
        ]
    return "\n".join(lines)


def _exit_untrusted(d: dict) -> None:
    if not d["trusted"]:
        sys.exit(3)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@pass_ctx
@handle_errors
def verify(obj: Context, file: str, as_json: bool) -> None:
    """Verify a bundle or a review receipt: signer, signature and every file."""
    from baton.core.handover import desk
    from baton.core.handover.review import is_receipt

    progress = None if as_json else stderr_progress
    opened = desk.verify_receipt if is_receipt(file) else desk.open_for_review
    result = opened(obj.catalog(), file, progress=progress).summary
    emit(result, as_json, _verified_text)
    _exit_untrusted(result)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@pass_ctx
@handle_errors
def inspect(obj: Context, file: str, as_json: bool) -> None:
    """Show a verified bundle's contract as a model card."""
    from baton.core.handover.bundle import inspect as inspect_bundle

    result = inspect_bundle(obj.catalog(), file)
    emit(result, as_json, lambda d: _verified_text(d) + "\n\n" + d["card"])
    _exit_untrusted(result)


@cli.command()
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
    obj: Context, file, reproduce, decision, comment, target_comments, budget, out, as_json
) -> None:
    """Reproduce a bundle's claims here, or countersign a decision on it."""
    from baton.core.errors import UsageError
    from baton.core.handover import desk

    if not reproduce and not decision:
        raise UsageError(
            "say what to do: --reproduce, or --decision accept|changes|reject --comment TEXT --out FILE"
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
    ).receipt
    emit(
        result,
        as_json,
        lambda d: (
            f"Wrote {_one_line(d['file'])}: {d['decision'].upper()} of {_one_line(d['bundle']['name'])} "
            f"{_one_line(d['bundle']['version'])}, countersigned by {_one_line(d['reviewer']['name'])}"
        ),
    )


def _reproduce_text(d: dict) -> str:
    a = d["agreement"]
    metric_rows = [
        {
            "metric": m["metric"],
            "claimed": fmt_cli_number(m["claimed"]),
            "here": fmt_cli_number(m["here"]),
            "consistent": "yes" if m["consistent"] else "NO",
        }
        for m in d["metrics"]
        if m["claimed"] is not None
    ]
    lat_rows = [
        {
            "batch": r["batch_size"],
            "p50 claimed": fmt_cli_number(r["claimed_p50_ms"]),
            "p50 here": fmt_cli_number(r["here_p50_ms"]),
            "p95 claimed": fmt_cli_number(r["claimed_p95_ms"]),
            "p95 here": fmt_cli_number(r["here_p95_ms"]),
            "machine here": "busy" if r.get("busy_here") else "",
        }
        for r in d["latency"]
    ]
    target_rows = [
        {
            "target": t["expr"],
            "claimed": fmt_cli_number(t["claimed"]),
            "here": fmt_cli_number(t["here"]),
            "verdict": (t["verdict_here"].upper() if t["verdict_here"] != "pass" else "pass")
            + (" (busy machine)" if t.get("busy_here") and t["verdict_here"] == "fail" else ""),
        }
        for t in d["targets"]
    ]
    hw = d["hardware"]["here"]
    lat_columns = ["batch", "p50 claimed", "p50 here", "p95 claimed", "p95 here"]
    if any(r.get("busy_here") for r in d["latency"]):
        lat_columns.append("machine here")
    return "\n".join(
        [
            *d["headline"],
            "",
            f"Reproduced {_one_line(d['bundle']['name'])} {_one_line(d['bundle']['version'])} on {_one_line(hw.get('cpu_model'))} ({hw.get('cores_logical')} cores)",
            f"prediction agreement: {a['agreeing']} of {a['rows']} rows ({100 * a['rate']:.2f} %)",
            "",
            _table(metric_rows, ["metric", "claimed", "here", "consistent"]),
            "",
            _table(lat_rows, lat_columns),
            "",
            _table(target_rows, ["target", "claimed", "here", "verdict"]) or "(no targets)",
        ]
    )


@cli.command()
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@json_option
@pass_ctx
@handle_errors
def diff(obj: Context, old: str, new: str, as_json: bool) -> None:
    """Compare two versions of a bundle: contract fields, targets, metrics and files."""
    from baton.core.handover import desk

    emit(desk.compare(obj.catalog(), old, new).diff, as_json, _diff_text)


def _diff_text(d: dict) -> str:
    versions = f"{_one_line(d['old']['version'])} -> {_one_line(d['new']['version'])}"
    lines = [f"{_one_line(d['name'])}: {versions}", ""]
    for c in d["changes"]:
        arrow = f"{_one_line(str(c.get('old'))[:40])} -> {_one_line(str(c.get('new'))[:40])}"
        better = {True: " (better)", False: " (worse)"}.get(c.get("better"), "")
        lines.append(f"  {c['kind']:8} {_one_line(c['path'])}: {arrow}{better}")
    lines.append("")
    lines += [f"  file {f['change']}: {_one_line(f['file'])}" for f in d["files"]] or [
        "  no file changed"
    ]
    return "\n".join(lines)


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
    from baton.core.cli.demo import build_workspace, run_headless

    if headless:
        result = run_headless(click.echo, Path(keep) if keep else None)
        click.echo(f"Round trip complete: {result['decision'].upper()}")
        return
    home = Path(obj.home_option) if obj.home_option else obj.home.parent / "Baton-demo"
    click.echo(
        f"Preparing the demo workspace in {home} (first run takes about a minute)…", err=True
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
        lambda d: _table(d["hits"], ["kind", "name", "detail"]) or f"Nothing matches {text!r}.",
    )


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@pass_ctx
@handle_errors
def gui(obj: Context, file: str | None) -> None:
    """Start the desktop app (optionally opening a bundle or receipt FILE)."""
    from baton.gui.shell.app import run  # the one allowed core -> gui edge, imported lazily

    sys.exit(run(home=obj.home, open_file=file))


def main() -> None:
    cli(prog_name="baton")


if __name__ == "__main__":
    main()
