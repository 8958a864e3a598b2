"""The ``baton`` command line: a thin face of :mod:`baton.core`.

Each command opens the catalog, calls one or two core functions and prints the result,
as text or, with ``--json``, as one JSON object on stdout. Expected failures become one
line on stderr and an exit code (DESIGN.md section 5): 1 a check failed, 2 usage, 3 the
signer is not trusted or is revoked.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import BatonError

# --- plumbing ---------------------------------------------------------------------------


class Context:
    def __init__(self, home: str | None, passphrase_file: str | None) -> None:
        self.home_option = home
        self.passphrase_file = passphrase_file
        self._catalog = None

    @property
    def home(self) -> Path:
        from .home import resolve_home

        return resolve_home(self.home_option)

    def catalog(self):
        if self._catalog is None:
            from .catalog import Catalog

            self._catalog = Catalog(self.home)
        return self._catalog

    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()


def emit(data: Any, as_json: bool, text: Callable[[Any], str] | str | None = None) -> None:
    """Print ``data`` as one JSON object (``--json``) or as human-readable text."""
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
    elif callable(text):
        click.echo(text(data))
    elif text is not None:
        click.echo(text)


def stderr_progress(done: float | None, total: float | None, message: str) -> None:
    if total:
        click.echo(f"  [{int(100 * (done or 0) / total):3d}%] {message}", err=True)
    else:
        click.echo(f"  … {message}", err=True)


def handle_errors(fn: Callable) -> Callable:
    """Turn expected failures into one line on stderr and the documented exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except BatonError as exc:
            click.echo(f"Error: {exc}", err=True)
            last_words = getattr(exc, "last_words", "")
            if last_words:
                click.echo(
                    "The model process said:\n  " + last_words.replace("\n", "\n  "), err=True
                )
            sys.exit(exc.exit_code)

    return wrapper


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout."
)
pass_ctx = click.make_pass_decorator(Context)


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
    from .importer import import_dataset

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
@json_option
@pass_ctx
@handle_errors
def dataset_list(obj: Context, as_json: bool) -> None:
    """List the datasets in the catalog."""
    rows = [_dataset_out(r) for r in obj.catalog().list_datasets()]
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
                "min": _num(p.get("min")),
                "max": _num(p.get("max")),
                "mean": _num(p.get("mean")),
                "top": ", ".join(t["value"] for t in p.get("top", [])[:3]),
            }
        )
    lines.append(
        _table(rows, ["column", "dtype", "missing", "distinct", "min", "max", "mean", "top"])
    )
    return "\n".join(lines)


def _num(v: Any) -> str:
    return "" if v is None else f"{v:.4g}"


def _table(rows: list[dict], cols: list[str]) -> str:
    if not rows:
        return ""
    cells = [[str(r.get(c) if r.get(c) is not None else "-") for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    widths = [min(w, 40) for w in widths]
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
@json_option
@pass_ctx
@handle_errors
def model_add(
    obj: Context, file, name, description, tags, trust_pickle, check_on, target, id_column, as_json
) -> None:
    """Check, introspect and add a model FILE to the catalog."""
    from .importer import import_model, model_summary

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
@json_option
@pass_ctx
@handle_errors
def model_list(obj: Context, as_json: bool) -> None:
    """List the models in the catalog."""
    from .importer import model_summary

    rows = [model_summary(r) for r in obj.catalog().list_models()]
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
    from .importer import model_summary

    emit(model_summary(obj.catalog().get_model(name)), as_json, _model_text)


def _model_text(d: dict) -> str:
    feats = d.get("features") or []
    names = [f.get("name") or f"x{f.get('index', i)}" for i, f in enumerate(feats)]
    safety = d.get("safety") or {}
    return "\n".join(
        [
            f"{d['name']}  ({d['format']}, {d['framework']} {d.get('framework_version') or ''})",
            f"  estimator   {d.get('estimator')}",
            f"  task        {d.get('task')}",
            f"  classes     {', '.join(map(str, d.get('classes') or [])) or '-'}",
            f"  parameters  {d.get('params')}",
            f"  size        {d.get('size_bytes')} bytes",
            f"  sha256      {d.get('sha256')}",
            f"  safety      {safety.get('verdict', '-')} ({safety.get('method', '-')})",
            f"  inputs      {len(feats)}: {', '.join(names[:12])}{' …' if len(names) > 12 else ''}",
        ]
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
    from baton.gui.app import run  # the one allowed core -> gui edge, imported lazily

    sys.exit(run(home=obj.home, open_file=file))


def main() -> None:
    cli(prog_name="baton")


if __name__ == "__main__":
    main()
