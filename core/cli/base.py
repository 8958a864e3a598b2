"""What every command shares: the context (home, catalog, passphrase), safe printing,
``--json`` output, progress on stderr, the one error path, and the common options."""

from __future__ import annotations

import functools
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from baton.core.errors import BatonError
from baton.core.present import DASH, fmt_target_value
from baton.core.safetext import visible


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


def one_line(value: Any) -> str:
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
        echo(f"  [{int(100 * (done or 0) / total):3d}%] {one_line(message)}", err=True)
    else:
        echo(f"  … {one_line(message)}", err=True)


def handle_errors(fn: Callable) -> Callable:
    """Turn expected failures into one line on stderr and the documented exit code; with
    ``--json``, also into one JSON object on stdout (:func:`json_error`)."""

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
            echo(f"Error: {one_line(exc)}", err=True)
            last_words = getattr(exc, "last_words", "")
            if last_words:
                said = "\n  ".join(one_line(line) for line in last_words.splitlines())
                echo("The model process said:\n  " + said, err=True)
            if kwargs.get("as_json"):
                json_error(str(exc), exc.exit_code, getattr(exc, "path", None))
            sys.exit(exc.exit_code)

    return wrapper


def json_error(message: str, exit_code: int, file: Any = None) -> None:
    """The failure as the one JSON object a ``--json`` command prints on stdout, so that a
    script reads the outcome from the same place as a success."""
    error: dict[str, Any] = {"message": message, "exit_code": exit_code}
    if file:
        error["file"] = str(file)
    click.echo(json.dumps({"error": error}, indent=2, sort_keys=True, ensure_ascii=True))


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


class CheckedRequired(click.Option):
    """An option the command requires but checks itself, after parsing (to say why in its
    own words): its help says [required], as click says it of the options it checks."""

    def get_help_extra(self, ctx: click.Context) -> Any:
        extra = super().get_help_extra(ctx)
        extra["required"] = "required"
        return extra


intended_use_option = click.option(
    "--intended-use", default="", help="What the model is for, and for whom."
)

required_intended_use_option = click.option(
    "--intended-use",
    cls=CheckedRequired,
    default="",
    help="What the model is for, and for whom (a bundle needs it).",
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


def table(
    rows: list[dict], cols: list[str], full: tuple[str, ...] = (), headers: dict | None = None
) -> str:
    """Rows as aligned text; cells longer than 40 characters are shortened at a word (with
    "…") except in the ``full`` columns. A column's header is ``headers[col]``, else its key
    with spaces for underscores."""
    return "\n".join(_table_lines(rows, cols, full, headers))


CELL_WIDTH = 40


def _table_lines(
    rows: list[dict], cols: list[str], full: tuple[str, ...] = (), headers: dict | None = None
) -> list[str]:
    if not rows:
        return []
    names = _headers(cols, headers)
    cells = [[one_line(_cell(r, c)) for c in cols] for r in rows]
    cells = [
        [v if c in full else shorten(v) for c, v in zip(cols, row, strict=True)] for row in cells
    ]
    widths = [max(len(n), *(len(row[i]) for row in cells)) for i, n in enumerate(names)]
    right = _numeric_columns(cells)
    return [_line(names, widths, right), *(_line(row, widths, right) for row in cells)]


# A figure as the tables print it: a count, a ratio or a measurement with its unit
# ("1,204", "0.9649", "−0.02", "675.8 µs", "12.5 MB", "85%", "1.3x").
NUMBER = re.compile(r"[-+−]?\d[\d,]*(\.\d+)?( ?(%|x|ms|µs|ns|s|B|KB|MB|GB|rows/s))?")
BLANKS = ("", "-", DASH)


def _numeric_columns(cells: list[list[str]]) -> set[int]:
    """The columns whose every cell is a figure (or blank): printed right-aligned, so that
    their digits line up as in any table of numbers."""
    found = set()
    for i in range(len(cells[0]) if cells else 0):
        values = [row[i] for row in cells if row[i] not in BLANKS]
        if values and all(NUMBER.fullmatch(v) for v in values):
            found.add(i)
    return found


def _line(cells: Sequence[str], widths: Sequence[int], right: set[int]) -> str:
    return "  ".join(
        v.rjust(w) if i in right else v.ljust(w)
        for i, (v, w) in enumerate(zip(cells, widths, strict=True))
    ).rstrip()


def _headers(cols: list[str], headers: dict | None) -> list[str]:
    return [(headers or {}).get(c, c.replace("_", " ")) for c in cols]


def shorten(text: str, width: int = CELL_WIDTH) -> str:
    """``text`` in at most ``width`` characters, cut after a whole word with "…", never
    inside one (unless a single word is longer than half the width)."""
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    at = max(cut.rfind(sep) for sep in " ,(/[")
    if at > width // 2:
        cut = cut[: at + 1] if cut[at] in "(/[" else cut[:at]
    return cut.rstrip(" ,;:") + "…"


# A streamed table takes its column widths from this many first rows, and a streamed
# listing is printed this many rows at a time (one write per page, not per line).
STREAM_WIDTH_ROWS = 1000
STREAM_PAGE_ROWS = 256


def emit_rows(
    key: str,
    rows: Iterable[dict],
    as_json: bool,
    cols: list[str],
    empty: str,
    headers: dict | None = None,
) -> None:
    """Print a listing as it is read, a page of rows at a time, never holding more: the
    same text as :func:`emit` of ``{key: rows}`` with a :func:`table`, except that a
    listing longer than ``STREAM_WIDTH_ROWS`` takes its column widths from its first rows
    (a longer cell further down pushes its line on)."""
    it = iter(rows)
    if as_json:
        first = next(it, None)
        if first is None:
            click.echo(json.dumps({key: []}, indent=2, ensure_ascii=True))
            return
        click.echo(f'{{\n  "{key}": [')
        page: list[str] = []
        for row, last in _with_last(itertools.chain([first], it)):
            text = json.dumps(row, indent=2, sort_keys=True, default=str, ensure_ascii=True)
            page.append(_indent(text, "    ") + ("" if last else ","))
            if len(page) >= STREAM_PAGE_ROWS:
                click.echo("\n".join(page))
                page = []
        click.echo("\n".join([*page, "  ]\n}"]))
        return
    head = list(itertools.islice(it, STREAM_WIDTH_ROWS))
    if not head:
        echo(empty)
        return
    echo("\n".join(_table_lines(head, cols, headers=headers)))
    names = _headers(cols, headers)
    shown = [[shorten(one_line(_cell(r, c))) for c in cols] for r in head]
    widths = [max(len(n), *(len(row[i]) for row in shown)) for i, n in enumerate(names)]
    right = _numeric_columns(shown)  # as the first page printed them
    while chunk := list(itertools.islice(it, STREAM_PAGE_ROWS)):
        lines = [
            _line([shorten(one_line(_cell(row, c))) for c in cols], widths, right) for row in chunk
        ]
        echo("\n".join(lines))


def _cell(row: dict, col: str) -> Any:
    value = row.get(col)
    return "-" if value is None or value == DASH else value


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _with_last(items: Iterable[Any]) -> Iterable[tuple[Any, bool]]:
    it = iter(items)
    try:
        current = next(it)
    except StopIteration:
        return
    for following in it:
        yield current, False
        current = following
    yield current, True


def targets_text(targets: list[dict]) -> str:
    from baton.core.contract.targets import Target

    rows = [
        {
            "target": Target.from_dict(t).expr(),
            "measured": fmt_target_value(t.get("metric", ""), t.get("measured")),
            "verdict": t.get("verdict"),
        }
        for t in targets
    ]
    return table(rows, ["target", "measured", "verdict"]) or "(no targets)"
