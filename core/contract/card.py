"""The model card: a contract rendered for people, as Markdown (``card.md``) or HTML.

Both renderers walk the same list of blocks built by :func:`_blocks`, so the two forms
always say the same thing. Everything that comes from a user (names, intended use,
limitations, notes, column names) is escaped: HTML-escaped in the HTML card, and in the
Markdown card stripped of what a Markdown viewer would turn into HTML, links or
formatting. In both, control and invisible formatting characters (escape sequences, bidi
overrides) are shown as ``\\u`` escapes (:func:`baton.core.safetext.visible`), so the card
can be printed on a terminal as it is. The HTML card is one self-contained page (inline
CSS, no scripts, and a Content-Security-Policy that forbids loading anything).

The card is a function of the contract alone: no clock, locale or machine enters it, and
no dictionary order either, so the ``card.md`` a bundle carries can be checked byte for
byte against Baton's own rendering of the signed ``contract.json`` (:func:`check_card`).

Numbers are written in the app's one number style (:mod:`baton.core.present`): a quality
metric to the digit its interval allows, with the interval in the same decimals
(``0.96 (0.94 – 0.99)``); latencies in milliseconds under a column that says so; sizes
in powers of 1024. Cards packed before that style are checked against the earlier one
(:mod:`card_numbers`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from baton.core.contract import candidates as cands
from baton.core.contract import hub_metadata
from baton.core.contract.card_numbers import BEFORE_ONE_STYLE, CURRENT, CardNumbers
from baton.core.contract.document import check_contract
from baton.core.contract.targets import TARGET_METRICS, Target
from baton.core.errors import VerificationError
from baton.core.present import (
    DASH,
    METRIC_LABELS,
    PROBLEM_LABELS,
    ROLE_LABELS,
    VERDICT_LABELS,
    format_fingerprint,
    short_fingerprint,
)
from baton.core.safetext import visible

CARD = "card.md"
MAX_TABLE_ROWS = 50


# --------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Cell:
    """A table cell: ``kind`` is "" (text), "code", "num", or a verdict."""

    text: str
    kind: str = ""


@dataclass
class Block:
    kind: str  # h1 h2 h3 prose facts table note
    text: str = ""
    facts: list[tuple[str, Cell]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)


def _cell(value: Any, kind: str = "") -> Cell:
    return value if isinstance(value, Cell) else Cell(str(value), kind)


def _classes(classes: Sequence[Any] | None) -> str:
    if not classes:
        return DASH
    shown = ", ".join(str(c) for c in classes[:20])
    return shown + (f", … ({len(classes)} in all)" if len(classes) > 20 else "")


# --------------------------------------------------------------------------- content


def _model_summary(model: Mapping[str, Any]) -> str:
    framework = f"{model['framework']} {model['framework_version']}, {model['format']} file"
    return f"{model['estimator']} — {framework}" if model.get("estimator") else framework


def _target_summary(targets: Sequence[Mapping[str, Any]]) -> str:
    if not targets:
        return "no targets agreed"
    counts = {v: sum(1 for t in targets if t["verdict"] == v) for v in VERDICT_LABELS}
    parts = [f"{counts['pass']} of {len(targets)} pass"]
    if counts["fail"]:
        parts.append(f"{counts['fail']} fail" + ("s" if counts["fail"] == 1 else ""))
    if counts["unmeasured"]:
        parts.append(f"{counts['unmeasured']} unmeasured")
    return ", ".join(parts)


def _capped(rows: list[list[Cell]], what: str, blocks: list[Block]) -> list[list[Cell]]:
    if len(rows) <= MAX_TABLE_ROWS:
        return rows
    blocks.append(Block("note", f"The first {MAX_TABLE_ROWS} of {len(rows)} {what}."))
    return rows[:MAX_TABLE_ROWS]


def _table(blocks: list[Block], headers: list[str], rows: list[list[Any]], what: str) -> None:
    cells = [[_cell(v) for v in row] for row in rows]
    block = Block("table", headers=headers)
    blocks.append(block)
    block.rows = _capped(cells, what, blocks)


def _blocks(c: Mapping[str, Any], n: CardNumbers) -> list[Block]:
    ident, model, results = c["identity"], c["model"], c["results"]
    blocks: list[Block] = [Block("h1", f"{ident['name']} {ident['version']}")]

    problem = PROBLEM_LABELS[ident["problem_type"]]
    if model["classes"]:
        problem += f" — classes {_classes(model['classes'])}"
        if results.get("positive_class") is not None and ident["problem_type"] == "binary":
            problem += f"; positive class {results['positive_class']}"
        output = model.get("output") or {}
        if output.get("score") and output.get("threshold") is not None:
            kind = "a logit, through a sigmoid" if output["score"] == "logit" else "a probability"
            problem += (
                f"; one score output ({kind}): {model['classes'][-1]} when its probability "
                f"is at least {output['threshold']}"
            )
    authors = [
        f"{a['name']} <{a['email']}> (key {format_fingerprint(a['fingerprint'])})"
        for a in ident["authors"]
    ]
    blocks.append(
        Block(
            "facts",
            facts=[
                ("Problem", Cell(problem)),
                ("Model", Cell(_model_summary(model))),
                *([("License", Cell(ident["license"]))] if ident.get("license") else []),
                ("Created", Cell(ident["created"].replace("T", " ").replace("Z", " UTC"))),
                ("Authors", Cell("; ".join(authors) if authors else "not named")),
                ("Targets", Cell(_target_summary(c["targets"]))),
                ("Contract", Cell(f"{ident['id']} ({c['schema']})", "code")),
            ],
        )
    )

    for title, key in (("Intended use", "intended_use"), ("Limitations", "limitations")):
        blocks.append(Block("h2", title))
        text = ident[key].strip()
        blocks.append(Block("prose", text) if text else Block("note", "Not stated."))

    blocks.append(Block("h2", "Targets"))
    if c["targets"]:
        rows = []
        for item in c["targets"]:
            target = Target.from_dict(item)
            rows.append(
                [
                    Cell(target.expr(), "code"),
                    Cell(n.measured(target.metric, item["measured"]), "num"),
                    Cell(VERDICT_LABELS[item["verdict"]], item["verdict"]),
                    Cell(item["note"]),
                ]
            )
        _table(blocks, ["Target", "Measured", "Verdict", "Note"], rows, "targets")
    else:
        blocks.append(Block("note", "No targets were agreed."))

    if cands.is_multi(c):
        _candidates(c, blocks, n)
    _quality(c, blocks, n)
    _latency(results, blocks, n)

    blocks.append(Block("h2", "Memory"))
    memory = results["memory"]
    blocks.append(
        Block(
            "facts",
            facts=[
                (
                    "Resident memory added by loading",
                    Cell(n.size_mb(memory["rss_delta_after_load_mb"]), "num"),
                ),
                (
                    "Peak while predicting",
                    Cell(n.peak_mb(memory["peak_predict_mb"]), "num"),
                ),
                ("Size on disk", Cell(n.size_mb(memory["size_on_disk_mb"]), "num")),
            ],
        )
    )

    _model(model, blocks, n)
    _data(c, blocks, n)
    _environment(c["environment"], blocks)
    blocks.append(
        Block(
            "note", f"Rendered from contract.json ({c['schema']}); the contract is the reference."
        )
    )
    return blocks


def _candidates(c: Mapping[str, Any], blocks: list[Block], n: CardNumbers) -> None:
    """The candidates side by side; the sections after it describe the primary one."""
    rows = cands.comparison(c)
    primary = next(r for r in rows if r["primary"])
    blocks.append(Block("h2", "Candidates"))
    why = "the recommended one" if primary["recommended"] else "the first; none is recommended"
    blocks.append(
        Block(
            "note",
            f"{len(rows)} candidate models, measured on the same test set. The sections "
            f"below describe {primary['name']} ({why}); the contract lists each candidate's "
            "figures.",
        )
    )
    metrics = cands.key_metrics(c["identity"]["problem_type"], rows)
    table_rows = []
    for r in rows:
        cells = [
            Cell(r["name"] + (" (recommended)" if r["recommended"] else "")),
            Cell(str(r["format"]), "code"),
            Cell(n.count(r["params"]) if r["params"] is not None else DASH, "num"),
        ]
        for m in metrics:
            v = r["metrics"].get(m) or {}
            cells.append(
                Cell(n.metric(m, v.get("value"), v.get("ci_low"), v.get("ci_high")), "num")
            )
        cells.append(Cell(n.measured("latency_p95_ms", r["latency_p95_ms_batch_1"]), "num"))
        cells.append(Cell(n.candidate_peak(r["memory_mb"]), "num"))
        t = r["targets"]
        verdict = "fail" if t["fail"] else "unmeasured" if t["unmeasured"] else "pass"
        total = t["pass"] + t["fail"] + t["unmeasured"]
        cells.append(
            Cell(
                f"{t['pass']} of {total} pass" if total else "no targets", verdict if total else ""
            )
        )
        table_rows.append(cells)
    headers = [
        "Candidate",
        "Format",
        "Parameters",
        *(METRIC_LABELS.get(m, m) for m in metrics),
        "p95 at batch 1",
        "Peak memory",
        "Targets",
    ]
    _table(blocks, headers, table_rows, "candidates")


def _quality(c: Mapping[str, Any], blocks: list[Block], n: CardNumbers) -> None:
    results = c["results"]
    blocks.append(Block("h2", "Quality on the test set"))
    confidence = results["confidence"]
    intro = f"Measured on {n.count(results['n_rows'])} rows of the test set."
    if confidence:
        seed = f", seed {confidence['seed']}" if confidence["seed"] is not None else ""
        intro += (
            f" Intervals: {confidence['level'] * 100:g} % {confidence['method']} bootstrap, "
            f"{n.count(confidence['resamples'])} resamples{seed}."
        )
    else:
        intro += " No confidence intervals were computed."
    blocks.append(Block("note", intro))
    order = {name: i for i, name in enumerate([*TARGET_METRICS, "max_error"])}
    metrics = sorted(
        results["metrics"].items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])
    )
    level = f"{confidence['level'] * 100:g} % CI" if confidence else "CI"
    rows = [
        [
            Cell(METRIC_LABELS.get(name, name)),
            Cell(n.metric(name, m["value"], m["ci_low"], m["ci_high"]), "num"),
        ]
        for name, m in metrics
    ]
    if rows:
        _table(blocks, ["Metric", f"Value ({level})"], rows, "metrics")
    else:
        blocks.append(Block("note", "No quality metrics were measured."))
    for note in results.get("notes") or ():
        blocks.append(Block("note", note))

    matrix = results.get("confusion_matrix")
    if matrix and matrix.get("labels") and matrix.get("matrix"):
        labels = matrix["labels"]
        blocks.append(Block("h3", "Confusion matrix (rows: true class, columns: predicted)"))
        rows = [
            [Cell(str(label))] + [Cell(n.count(k), "num") for k in counts]
            for label, counts in zip(labels, matrix["matrix"], strict=False)
        ]
        _table(blocks, ["true \\ predicted", *map(str, labels)], rows, "classes")

    per_class = results.get("per_class")
    if per_class:
        columns = _per_class_columns(per_class[0])
        blocks.append(Block("h3", "Per class"))
        rows = [
            [_per_class_cell(row.get(col), col in _LABEL_KEYS, n) for col in columns]
            for row in per_class
        ]
        _table(blocks, [col.replace("_", " ").capitalize() for col in columns], rows, "classes")


_LABEL_KEYS = ("label", "class")
_PER_CLASS_ORDER = (*_LABEL_KEYS, "precision", "recall", "f1", "support", "specificity")


def _per_class_columns(row: Mapping[str, Any]) -> list[str]:
    """Known columns in reading order, then any others by name: never the JSON key order,
    which differs between a contract in memory and the same contract read back."""
    known = [k for k in _PER_CLASS_ORDER if k in row]
    return known + sorted(k for k in row if k not in _PER_CLASS_ORDER)


def _per_class_cell(value: Any, is_label: bool, n: CardNumbers) -> Cell:
    if is_label or isinstance(value, bool) or not isinstance(value, int | float):
        return Cell(DASH if value is None else str(value))
    return Cell(n.count(value) if isinstance(value, int) else n.ratio(value), "num")


def _latency(results: Mapping[str, Any], blocks: list[Block], n: CardNumbers) -> None:
    blocks.append(Block("h2", "Latency"))
    hw = results["hardware"]
    where = [hw.get("cpu") or "an unnamed CPU"]
    if hw.get("cores_logical"):
        where.append(f"{hw['cores_logical']} logical cores")
    if hw.get("ram_bytes"):
        where.append(f"{n.size(hw['ram_bytes'])} RAM")
    blocks.append(
        Block(
            "note",
            f"Measured on {', '.join(where)}, {hw['os']}. Times per call of predict, in milliseconds.",
        )
    )
    if not results["latency"]:
        blocks.append(Block("note", "Latency was not measured."))
        return
    rows = [
        [
            Cell(n.count(r["batch_size"]), "num"),
            *(Cell(n.ms(r[q]), "num") for q in ("p50_ms", "p90_ms", "p95_ms", "p99_ms")),
            Cell(n.rate(r["throughput_rps"]), "num"),
            Cell(n.count(r["samples"]), "num"),
        ]
        for r in results["latency"]
    ]
    _table(blocks, ["Batch", "p50", "p90", "p95", "p99", "Rows/s", "Samples"], rows, "batch sizes")
    from baton.core.measure.latency_notes import latency_caveats

    for note in latency_caveats(results["latency"]):
        blocks.append(Block("note", note))


def _model(model: Mapping[str, Any], blocks: list[Block], n: CardNumbers) -> None:
    blocks.append(Block("h2", "Model"))
    facts = [
        ("File", Cell(model["file"], "code")),
        ("Framework", Cell(f"{model['framework']} {model['framework_version']}".strip())),
    ]
    if model.get("estimator"):
        facts.append(("Estimator", Cell(model["estimator"])))
    if model.get("producer"):
        facts.append(("Producer", Cell(model["producer"])))
    if model.get("opset") is not None:
        facts.append(("ONNX opset", Cell(str(model["opset"]))))
    facts += [
        ("Parameters", Cell(n.count(model["params"]), "num")),
        ("Size", Cell(f"{n.size(model['size_bytes'])} ({model['size_bytes']:,} bytes)", "num")),
        ("SHA-256", Cell(model["sha256"], "code")),
        ("Output classes", Cell(_classes(model["classes"]))),
    ]
    provenance = model.get("provenance")
    if provenance:
        saved = f"{provenance['source']} {provenance.get('mlflow_version') or ''}".strip()
        if provenance.get("flavor"):
            saved += f", {provenance['flavor']} flavor"
        facts.append(("Saved by", Cell(saved)))
        if provenance.get("registered_model"):
            facts.append(
                (
                    "Registered as",
                    Cell(
                        f"{provenance['registered_model']} version "
                        f"{provenance.get('registered_version')}"
                    ),
                )
            )
        for label, key in (("Run", "run_id"), ("Model id", "model_uuid")):
            if provenance.get(key):
                facts.append((label, Cell(provenance[key], "code")))
    blocks.append(Block("facts", facts=facts))
    features = model["features"]
    blocks.append(Block("h3", f"Input features ({len(features)})"))
    rows = [
        [Cell(f["name"] or f"#{i}", "code"), Cell(f["dtype"] or "unknown")]
        for i, f in enumerate(features)
    ]
    _table(blocks, ["Name", "Type"], rows, "features")


def _data(c: Mapping[str, Any], blocks: list[Block], n: CardNumbers) -> None:
    blocks.append(Block("h2", "Data"))
    rows = [
        [
            Cell(ROLE_LABELS[d["role"]]),
            Cell(d["name"]),
            Cell(n.count(d["rows"]), "num"),
            Cell(n.count(len(d["columns"])), "num"),
            Cell(d["target"], "code"),
            Cell(short_fingerprint(d["fingerprint"]), "code"),
            Cell(d["file"], "code") if d["file"] else Cell("not included"),
        ]
        for d in c["datasets"]
    ]
    _table(
        blocks,
        ["Role", "Name", "Rows", "Columns", "Target", "Fingerprint", "In the bundle"],
        rows,
        "datasets",
    )
    labels, predictions = c["labels"], c["predictions"]
    facts = [
        (
            "Ground truth",
            Cell(
                f"column “{labels['target']}” of {labels['file']} ({n.count(labels['rows'])} rows)"
            ),
        )
    ]
    if labels["id_column"]:
        facts.append(("Row id", Cell(f"column “{labels['id_column']}”")))
    if predictions:
        columns = ", ".join(col["name"] for col in predictions["columns"])
        facts.append(
            (
                "Predictions",
                Cell(
                    f"{predictions['file']} ({n.count(predictions['rows'])} rows; columns {columns})"
                ),
            )
        )
    else:
        facts.append(("Predictions", Cell("not yet written (draft)")))
    blocks.append(Block("facts", facts=facts))


def _environment(env: Mapping[str, Any], blocks: list[Block]) -> None:
    blocks.append(Block("h2", "Environment"))
    facts = [
        ("Python", Cell(env["python"])),
        ("Operating system", Cell(env["os"])),
        ("CPU", Cell(env["cpu"] or "unknown")),
    ]
    if env.get("machine"):
        facts.append(("Machine", Cell(env["machine"])))
    if env.get("threads_env"):
        facts.append(
            (
                "Thread settings",
                Cell(", ".join(f"{k}={v}" for k, v in sorted(env["threads_env"].items())), "code"),
            )
        )
    if env.get("baton_version"):
        facts.append(("Baton", Cell(env["baton_version"])))
    blocks.append(Block("facts", facts=facts))
    packages = sorted(env["packages"].items(), key=lambda kv: (kv[0].lower(), kv[0]))
    if packages:
        rows = [
            [Cell(name, "code"), Cell(version or "not installed")] for name, version in packages
        ]
        _table(blocks, ["Package", "Version"], rows, "packages")
    training = env.get("training")
    if training:
        blocks.append(Block("h3", "Where the model was trained"))
        if training.get("python"):
            blocks.append(Block("facts", facts=[("Python", Cell(training["python"]))]))
        rows = [[Cell(r, "code")] for r in training.get("requirements") or ()]
        if rows:
            _table(blocks, ["Requirement"], rows, "requirements")


# --------------------------------------------------------------------------- Markdown

# Underscores inside a word never make emphasis, so only those at a word's edge are escaped.
_MD_INLINE = re.compile(r"([\\`*\[\]<>|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")
_MD_LINE_START = re.compile(r"^(\s*)([#=+-]|\d+(?=[.)]))", re.MULTILINE)


def md_inline(text: str) -> str:
    """Text shown as is inside a Markdown line: no HTML, links, code or emphasis, and no
    control character but the newline (made visible after escaping, so its backslash is
    not doubled)."""
    return visible(_MD_INLINE.sub(r"\\\1", text), lines=True)


def md_escape(text: str) -> str:
    """Like :func:`md_inline`, and no line turns into a heading, list or rule."""
    return _MD_LINE_START.sub(_escape_line_start, md_inline(text))


def _escape_line_start(match: re.Match[str]) -> str:
    indent, marker = match[1], match[2]
    # "1." -> "1\.", "-" -> "\-"
    return f"{indent}{marker}\\" if marker[0].isdigit() else f"{indent}\\{marker}"


def _md_code(text: str) -> str:
    text = visible(text.replace("\n", " "))
    ticks = "`"
    while ticks in text:
        ticks += "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _md_cell(cell: Cell) -> str:
    if cell.kind == "code":
        return _md_code(cell.text).replace("|", "\\|")
    return md_inline(" ".join(cell.text.split()))


def _md_block(block: Block) -> str:
    if block.kind == "h1":
        return f"# {md_escape(block.text)}"
    if block.kind == "h2":
        return f"## {md_escape(block.text)}"
    if block.kind == "h3":
        return f"### {md_escape(block.text)}"
    if block.kind == "prose":
        paragraphs = re.split(r"\n\s*\n", block.text.replace("\r\n", "\n"))
        return "\n\n".join(
            "  \n".join(md_escape(line) for line in p.split("\n")) for p in paragraphs
        )
    if block.kind == "note":
        return f"*{md_escape(block.text)}*"
    if block.kind == "facts":
        return "\n".join(
            f"- **{md_escape(label)}:** {_md_cell(value)}" for label, value in block.facts
        )
    lines = [
        "| " + " | ".join(md_escape(h) for h in block.headers) + " |",
        "|"
        + "|".join(
            "---:" if c.kind == "num" else "---" for c in (block.rows[0] if block.rows else [])
        )
        + "|",
    ]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
    return "\n".join(lines)


def render_markdown(
    contract: Mapping[str, Any], *, metadata: bool = True, numbers: CardNumbers = CURRENT
) -> str:
    """The contract as ``card.md``; raises :class:`ContractError` for an invalid contract.

    The card opens with its metadata block (:mod:`hub_metadata`) unless ``metadata`` is
    False, which gives the text a person reads on a terminal. Its figures are written in
    the app's number style; ``numbers`` names an earlier style, to check an older card."""
    check_contract(contract)
    body = "\n\n".join(_md_block(b) for b in _blocks(contract, numbers)) + "\n"
    return hub_metadata.front_matter(contract) + body if metadata else body


def body(markdown: str) -> str:
    """A card rendered by :func:`render_markdown` without its metadata block: what a person
    reads on a terminal. (No line of the block is ``---``: its strings are all quoted.)"""
    if markdown.startswith("---\n"):
        end = markdown.find("\n---\n\n", 3)
        if end != -1:
            return markdown[end + len("\n---\n\n") :]
    return markdown


def card_bytes(contract: Mapping[str, Any]) -> bytes:
    """``card.md`` exactly as a bundle carries it: UTF-8, ``\\n`` line ends on every system."""
    return render_markdown(contract).encode("utf-8")


def check_card(folder: Path, contract: Mapping[str, Any], label: str) -> None:
    """Refuse a bundle whose ``card.md`` is not Baton's own rendering of its contract.

    A reader trusts the card as much as the signature under it; a card that says
    something else than the checked contract (a phishing note, other targets) would turn
    that trust against them. A missing card is left to the check of the file list.
    """
    path = Path(folder) / CARD
    if not path.is_file():
        return

    def rendered(metadata: bool = True, numbers: CardNumbers = CURRENT) -> bytes:
        try:
            return render_markdown(contract, metadata=metadata, numbers=numbers).encode("utf-8")
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise VerificationError(
                f"{label}: contract.json cannot be rendered as a model card ({type(exc).__name__})",
                path="contract.json",
            ) from None

    def read(size: int) -> bytes:
        with path.open("rb") as fh:
            return fh.read(size + 1)  # a longer card differs: no need to read it all

    expected = rendered()  # card_bytes(contract)
    actual = read(len(expected))
    if actual == expected:
        return
    # Bundles packed before the app wrote figures in one number style carry them in the
    # earlier style, and those packed before cards carried a metadata block hold the
    # body alone: the same contract rendered by an earlier Baton, as trustworthy. Rendered
    # only for a card that is not today's.
    earlier = [
        rendered(metadata, numbers)
        for numbers in (CURRENT, BEFORE_ONE_STYLE)
        for metadata in (True, False)
    ]
    longest = max(map(len, earlier))
    if longest > len(expected):
        actual = read(longest)
    if actual not in earlier:
        raise VerificationError(
            f"{label}: card.md does not match the contract: a bundle's model card must be "
            "Baton's own rendering of its contract.json; ask its author to pack the bundle "
            "again with Baton",
            path=CARD,
        )


# --------------------------------------------------------------------------- HTML

_CSS = """
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328;
       max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; background: #fff; }
h1 { font-size: 1.8rem; margin: 0 0 .75rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; padding-bottom: .25rem; border-bottom: 1px solid #d0d7de; }
h3 { font-size: 1rem; margin: 1.25rem 0 .4rem; }
p.prose { white-space: pre-wrap; margin: .25rem 0; }
p.note { color: #59636e; margin: .25rem 0 .5rem; }
table.facts td { border: none; padding: .15rem 1rem .15rem 0; }
table.facts th { border: none; background: none; color: #59636e; font-weight: normal; padding: .15rem 1rem .15rem 0; white-space: nowrap; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: 14px; }
th, td { border: 1px solid #d0d7de; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
td.pass { color: #1a7f37; font-weight: 600; white-space: nowrap; }
td.fail { color: #cf222e; font-weight: 600; white-space: nowrap; }
td.unmeasured { color: #59636e; white-space: nowrap; }
"""


def _esc(text: str) -> str:
    return html.escape(visible(text, lines=True), quote=True)


def _html_value(cell: Cell) -> str:
    return f"<code>{_esc(cell.text)}</code>" if cell.kind == "code" else _esc(cell.text)


def _html_block(block: Block) -> str:
    if block.kind in ("h1", "h2", "h3"):
        return f"<{block.kind}>{_esc(block.text)}</{block.kind}>"
    if block.kind == "prose":
        return f'<p class="prose">{_esc(block.text)}</p>'
    if block.kind == "note":
        return f'<p class="note">{_esc(block.text)}</p>'
    # Plain table attributes as well as CSS, so that Qt's rich-text viewer lays it out too.
    if block.kind == "facts":
        rows = "".join(
            f'<tr><th scope="row">{_esc(label)}</th><td>{_html_value(value)}</td></tr>'
            for label, value in block.facts
        )
        return f'<table class="facts" cellpadding="3" cellspacing="0">{rows}</table>'
    head = "".join(f"<th>{_esc(h)}</th>" for h in block.headers)
    body = "".join("<tr>" + "".join(_html_cell(c) for c in row) + "</tr>" for row in block.rows)
    return (
        '<table cellpadding="4" cellspacing="0" border="1">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _html_cell(cell: Cell) -> str:
    if cell.kind in ("", "code"):
        return f"<td>{_html_value(cell)}</td>"
    align = ' align="right"' if cell.kind == "num" else ""
    return f'<td class="{_esc(cell.kind)}"{align}>{_html_value(cell)}</td>'


def blocks(contract: Mapping[str, Any]) -> list[Block]:
    """The card as blocks (headings, prose, facts, tables with verdict cells), for an app to
    lay out with its own widgets as plain text; raises :class:`ContractError` if invalid."""
    check_contract(contract)
    return _blocks(contract, CURRENT)


def render_html_fragment(contract: Mapping[str, Any]) -> str:
    """The card's body as HTML without page or style. Every string from the contract in it
    is HTML-escaped."""
    return "\n".join(_html_block(b) for b in blocks(contract))


def render_html(contract: Mapping[str, Any]) -> str:
    """The contract as one self-contained HTML page; raises :class:`ContractError` if invalid."""
    body = render_html_fragment(contract)
    ident = contract["identity"]
    title = _esc(f"{ident['name']} {ident['version']} — model card")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
