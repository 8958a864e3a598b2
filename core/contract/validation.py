"""Whether a contract is valid: the JSON schema, the consistency rules it cannot express,
and the completeness an exported contract needs, each problem worded for people."""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import functools
import importlib.resources
import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from baton.core.contract import candidates
from baton.core.contract.targets import (
    Target,
    evaluate_target,
    format_number,
    measured_value,
    metric_applies,
)
from baton.core.errors import ContractError, ContractInvalid
from baton.core.lean_jsonschema import jsonschema
from baton.core.present import FIELD_LABELS, TARGET_FIELD_LABELS

SCHEMA_ID = "baton.contract/v1"


SCHEMA_RESOURCE = ("schemas", "contract.schema.json")  # in the package baton.resources


MAX_CONTRACT_BYTES = 16 * 2**20


PROBLEM_NOUNS = {
    "binary": "a binary classifier",
    "multiclass": "a multiclass classifier",
    "regression": "a regression model",
}


ROLES = ("train", "validation", "test")


def load_schema() -> dict[str, Any]:
    """A fresh copy of the contract's JSON Schema, read from the package resources."""
    return copy.deepcopy(_schema())


@functools.cache
def _schema() -> dict[str, Any]:
    resource = importlib.resources.files("baton.resources").joinpath(*SCHEMA_RESOURCE)
    text = resource.read_text("utf-8")
    return json.loads(text)


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.fullmatch(value):
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    # Only the formats Baton relies on are asserted; "date-time" also rejects 2025-02-30.
    checker = jsonschema.FormatChecker(formats=())
    checker.checks("date-time")(_is_date_time)
    return jsonschema.Draft202012Validator(_schema(), format_checker=checker)


@dataclass(frozen=True)
class ValidationIssue:
    """One problem in a contract: where (``targets[0].threshold``) and a full sentence.

    ``message`` names the field by its path in ``contract.json`` (what the command line
    and a hand-edited file need); ``sentence`` by the label a person fills in on screen.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return self.message

    @property
    def sentence(self) -> str:
        """The message with its field named as the editor labels it: "Intended use is
        empty: ..." rather than "identity.intended_use is empty: ..."."""
        label = field_label(self.path)
        if label is None or not self.message.startswith(self.path):
            return self.message
        return label + self.message[len(self.path) :]


_TARGET_FIELD = re.compile(r"targets\[(\d+)\](?:\.(\w+))?")


def field_label(path: str) -> str | None:
    """A field's label on screen (``targets[0].threshold`` -> "Target 1's threshold"), or
    None for a path a person never edits by hand."""
    if path in FIELD_LABELS:
        return FIELD_LABELS[path]
    match = _TARGET_FIELD.fullmatch(path)
    if match is None or (match[2] is not None and match[2] not in TARGET_FIELD_LABELS):
        return None
    row = f"Target {int(match[1]) + 1}"
    return row if match[2] is None else f"{row}'s {TARGET_FIELD_LABELS[match[2]]}"


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class PathKey:
    """A list entry named by what identifies it (``targets[accuracy]``), not its index."""

    value: Any


def format_path(parts: Iterable[Any]) -> str:
    """``["targets", 0, "threshold"]`` -> ``"targets[0].threshold"``."""
    text = ""
    for part in parts:
        if isinstance(part, PathKey):
            text += f"[{part.value}]"
        elif isinstance(part, int):
            text += f"[{part}]"
        elif _IDENT.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part, ensure_ascii=False)}]"
    return text


def show_value(value: Any) -> str:
    """A value as a user would recognise it in a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


_TYPE_WORDS = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "object": "an object",
    "array": "a list",
    "boolean": "true or false",
    "null": "null",
}


def _or_list(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def did_you_mean(value: Any, options: Iterable[Any]) -> str:
    if not isinstance(value, str):
        return ""
    names = [o for o in options if isinstance(o, str)]
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _issues_from_error(err: jsonschema.ValidationError) -> list[ValidationIssue]:
    parts = list(err.absolute_path)
    where = format_path(parts) or "the contract"
    kind, expected, value, schema = err.validator, err.validator_value, err.instance, err.schema

    def one(message: str, at: list[str | int] = parts) -> list[ValidationIssue]:
        return [ValidationIssue(format_path(at), message)]

    if kind == "required":
        present = value if isinstance(value, Mapping) else {}
        issues = []
        for name in expected:
            if name not in present:
                missing = format_path([*parts, name])
                issues.append(ValidationIssue(missing, f"{missing} is missing"))
        return issues
    if kind == "additionalProperties":
        known = set(schema.get("properties", {}))
        issues = []
        for name in value:
            if name in known:
                continue
            field = format_path([*parts, name])
            owner = f"of {format_path(parts)}" if parts else "at the top of the contract"
            hint = did_you_mean(name, known) or (
                "; known fields: " + ", ".join(sorted(known)) if known else ""
            )
            issues.append(ValidationIssue(field, f"{field} is not a known field {owner}{hint}"))
        return issues
    if "x-message" in schema and kind not in ("minLength", "maxLength"):
        return one(schema["x-message"].format(path=where, value=show_value(value)))
    if kind == "type":
        types = [expected] if isinstance(expected, str) else list(expected)
        words = _or_list([_TYPE_WORDS.get(t, t) for t in types])
        return one(f"{where} must be {words}, not {show_value(value)}")
    if kind == "enum":
        options = ", ".join(show_value(o) for o in expected)
        return one(
            f"{where} must be one of {options}, not {show_value(value)}{did_you_mean(value, expected)}"
        )
    if kind == "const":
        return one(f"{where} must be {show_value(expected)}, not {show_value(value)}")
    if kind == "pattern":
        return one(f"{where} has the wrong form: {show_value(value)} does not match {expected}")
    if kind == "format":
        return one(f"{where} must be a valid {expected}, not {show_value(value)}")
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        words = {
            "minimum": "at least",
            "exclusiveMinimum": "greater than",
            "maximum": "at most",
            "exclusiveMaximum": "less than",
        }[kind]
        return one(f"{where} must be {words} {format_number(expected)}, not {show_value(value)}")
    if kind == "minLength":
        if expected == 1:
            return one(f"{where} must not be empty")
        return one(f"{where} must be at least {expected} characters long")
    if kind == "maxLength":
        return one(f"{where} is too long: {len(value)} characters, at most {expected} allowed")
    if kind == "minItems":
        if expected == 1:
            return one(f"{where} must have at least one entry")
        return one(f"{where} must have at least {expected} entries")
    return one(f"{where}: {err.message}")


def schema_issues(contract: Any) -> list[ValidationIssue]:
    if not isinstance(contract, Mapping):
        return [
            ValidationIssue("", f"the contract must be a JSON object, not {show_value(contract)}")
        ]
    issues: list[ValidationIssue] = []
    for err in _validator().iter_errors(contract):
        issues.extend(_issues_from_error(err))
    return _dedupe(issues)


def _dedupe(issues: Iterable[ValidationIssue]) -> list[ValidationIssue]:
    # One sentence per field: a bad date fails both its pattern and its format.
    seen: set[str] = set()
    unique = []
    for issue in issues:
        if issue.path not in seen:
            seen.add(issue.path)
            unique.append(issue)
    return unique


_Add = Callable[[str, str], None]


def target_key(item: Mapping[str, Any]) -> str:
    batch = item.get("batch")
    return f"{item.get('metric')}" if batch is None else f"{item.get('metric')}@{batch}"


def _semantic_issues(c: Mapping[str, Any]) -> list[ValidationIssue]:
    """Consistency rules across fields; only run on a contract that passes the schema."""
    issues: list[ValidationIssue] = []

    def add(path: str, message: str) -> None:
        issues.append(ValidationIssue(path, message))

    _check_model(c, add)
    test = _check_datasets(c, add)
    _check_results(c, test, add)
    _check_targets(c, add)
    for path, message in candidates.issues(c, _one_model_issues):
        add(path, message)
    return issues


def _one_model_issues(c: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The consistency rules of a one-model contract (a candidate seen alone)."""
    return [(i.path, i.message) for i in _semantic_issues(c)]


def _check_model(c: Mapping[str, Any], add: _Add) -> None:
    problem = c["identity"]["problem_type"]
    noun = PROBLEM_NOUNS[problem]
    model = c["model"]
    if not model["file"].endswith("." + model["format"]):
        add(
            "model.format",
            f"model.format is {model['format']!r} but model.file is {model['file']!r}",
        )
    classes = model["classes"]
    count = "none" if classes is None else len(classes)
    if problem == "regression" and classes is not None:
        add("model.classes", "model.classes must be null for a regression model")
    elif problem == "binary" and count != 2:
        add("model.classes", f"model.classes must list exactly 2 classes for {noun}, not {count}")
    elif problem == "multiclass" and (classes is None or len(classes) < 3):
        add("model.classes", f"model.classes must list 3 or more classes for {noun}, not {count}")
    if classes is not None and len({json.dumps(k) for k in classes}) != len(classes):
        add("model.classes", "model.classes lists a class twice")
    _unique_names(model["features"], "model.features", add)
    _check_output(c, add)
    fingerprints = [a["fingerprint"] for a in c["identity"]["authors"]]
    for i, fpr in enumerate(fingerprints):
        if fpr in fingerprints[:i]:
            add(f"identity.authors[{i}]", f"identity.authors[{i}] repeats the key {fpr[:16]}...")


def _check_output(c: Mapping[str, Any], add: _Add) -> None:
    """The recorded reading of the model's output agrees with its classes and results."""
    output, classes = c["model"].get("output"), c["model"]["classes"]
    if not output:
        return
    binary = c["identity"]["problem_type"] == "binary"
    ids = output.get("class_ids")
    if ids is not None and (classes is None or len(ids) != len(classes)):
        at = "model.output.class_ids"
        add(at, f"{at} must list as many ids as model.classes has classes")
    positive = output.get("positive_class")
    if positive is not None and (not binary or positive not in (classes or [])):
        at = "model.output.positive_class"
        add(at, f"{at} must be one of the classes of a binary model")
    elif binary and positive is not None and c["results"].get("positive_class") != positive:
        at = "results.positive_class"
        add(at, f"{at} must be model.output.positive_class, the class the metrics call positive")
    score, threshold = output.get("score"), output.get("threshold")
    if (score is None) != (threshold is None) or (score and not binary):
        at = "model.output.score"
        add(at, f"{at} and model.output.threshold go together, and only on a binary model")


def _check_datasets(c: Mapping[str, Any], add: _Add) -> Mapping[str, Any] | None:
    """Check the datasets, labels and predictions; return the test dataset."""
    test = None
    seen_roles: dict[str, int] = {}
    for i, ds in enumerate(c["datasets"]):
        at, role = f"datasets[{i}]", ds["role"]
        if role in seen_roles:
            add(
                f"{at}.role",
                f"{at}.role: there is already a {role} dataset (datasets[{seen_roles[role]}]); "
                "one dataset per role",
            )
            continue
        seen_roles[role] = i
        if ds["file"] is not None and ds["file"] != f"data/{role}.parquet":
            add(
                f"{at}.file",
                f"{at}.file must be 'data/{role}.parquet' for the {role} dataset, not {ds['file']!r}",
            )
        names = [col["name"] for col in ds["columns"]]
        for field in ("target", "id_column"):
            if ds[field] is not None and ds[field] not in names:
                add(
                    f"{at}.{field}",
                    f"{at}.{field} {ds[field]!r} is not one of the dataset's columns",
                )
        _unique_names(ds["columns"], f"{at}.columns", add)
        if role == "test":
            test = ds
            if ds["file"] is None:
                add(
                    f"{at}.file",
                    f"{at}.file: the test dataset must be in the bundle (data/test.parquet)",
                )
    if test is None:
        add("datasets", "datasets must include the test dataset")
        return None
    labels = c["labels"]
    for field in ("target", "id_column", "rows"):
        if labels[field] != test[field]:
            add(
                f"labels.{field}",
                f"labels.{field} is {show_value(labels[field])} but the test dataset's is {show_value(test[field])}",
            )
    predictions = c["predictions"]
    if predictions is not None and predictions["rows"] != test["rows"]:
        add(
            "predictions.rows",
            f"predictions.rows is {predictions['rows']} but the test set has {test['rows']} rows",
        )
    return test


def _check_results(c: Mapping[str, Any], test: Mapping[str, Any] | None, add: _Add) -> None:
    results = c["results"]
    if test is not None and results["n_rows"] != test["rows"]:
        add(
            "results.n_rows",
            f"results.n_rows is {results['n_rows']} but the test set has {test['rows']} rows",
        )
    for name, metric in results["metrics"].items():
        low, high = metric["ci_low"], metric["ci_high"]
        if low is not None and high is not None and low > high:
            add(
                f"results.metrics.{name}",
                f"results.metrics.{name}: the interval is upside down "
                f"({format_number(low)} > {format_number(high)})",
            )
    batches: set[int] = set()
    for i, row in enumerate(results["latency"]):
        at = f"results.latency[{i}]"
        if row["batch_size"] in batches:
            add(
                f"{at}.batch_size",
                f"{at}.batch_size: batch size {row['batch_size']} is measured twice",
            )
        batches.add(row["batch_size"])
        quantiles = [row[q] for q in ("p50_ms", "p90_ms", "p95_ms", "p99_ms")]
        if any(a > b * (1 + 1e-9) for a, b in itertools.pairwise(quantiles)):
            add(at, f"{at}: latency percentiles must not decrease from p50 to p99")


def _check_targets(c: Mapping[str, Any], add: _Add) -> None:
    problem = c["identity"]["problem_type"]
    results, model = c["results"], c["model"]
    keys: dict[str, int] = {}
    for i, item in enumerate(c["targets"]):
        at = f"targets[{i}]"
        try:
            target = Target.from_dict(item)
        except ContractError as exc:
            add(at, f"{at}: {exc}")
            continue
        if target.key in keys:
            add(at, f"{at} repeats the target for {target.key} (targets[{keys[target.key]}])")
            continue
        keys[target.key] = i
        if not metric_applies(target.metric, problem):
            add(
                f"{at}.metric",
                f"{at}.metric: {target.metric} does not apply to {PROBLEM_NOUNS[problem]}",
            )
            continue
        measured, stored = measured_value(target, results, results, model), item["measured"]
        if (measured is None) != (stored is None) or (
            measured is not None and not math.isclose(measured, stored, rel_tol=1e-9, abs_tol=1e-12)
        ):
            add(
                f"{at}.measured",
                f"{at}.measured is {show_value(stored)} but the results give {show_value(measured)}; "
                "re-evaluate the targets",
            )
            continue
        verdict = evaluate_target(target, stored)
        if item["verdict"] != verdict:
            shown = format_number(stored) if stored is not None else "no measurement"
            add(
                f"{at}.verdict",
                f"{at}.verdict is {item['verdict']!r} but {target.expr()} with {shown} gives {verdict!r}",
            )


def _unique_names(columns: Sequence[Mapping[str, Any]], at: str, add: _Add) -> None:
    seen: set[str] = set()
    for i, col in enumerate(columns):
        name = col["name"]
        if name is None:
            continue
        if name in seen:
            add(f"{at}[{i}].name", f"{at}[{i}].name {name!r} appears twice")
        seen.add(name)


def _completeness_issues(c: Mapping[str, Any]) -> list[ValidationIssue]:
    issues = []
    if c["predictions"] is None:
        issues.append(
            ValidationIssue(
                "predictions",
                "predictions is missing: a bundle carries the predictions on the test set",
            )
        )
    if not c["identity"]["intended_use"].strip():
        issues.append(
            ValidationIssue(
                "identity.intended_use", "identity.intended_use is empty: say what the model is for"
            )
        )
    if not c["identity"]["authors"]:
        issues.append(
            ValidationIssue(
                "identity.authors", "identity.authors is empty: a bundle names who hands it over"
            )
        )
    return issues


def validate_contract(contract: Any, *, complete: bool = False) -> list[ValidationIssue]:
    """Every problem in ``contract``, each with its path and a sentence; ``[]`` if none.

    Schema problems come first; the consistency rules (classes match the problem type,
    one dataset per role, labels and predictions match the test set, targets unique,
    applicable and with up-to-date measured values and verdicts) run once the schema
    passes. ``complete=True`` also requires what a signed bundle needs: predictions, an
    intended use and at least one author.
    """
    issues = schema_issues(contract)
    if issues:
        return issues
    issues = _semantic_issues(contract)
    if complete:
        issues += _completeness_issues(contract)
    return issues


def check_contract(contract: Any, *, complete: bool = False, source: str | None = None) -> None:
    """Raise :class:`ContractInvalid` listing the problems :func:`validate_contract` finds."""
    issues = validate_contract(contract, complete=complete)
    if not issues:
        return
    shown = "; ".join(i.message for i in issues[:5])
    more = f"; and {len(issues) - 5} more" if len(issues) > 5 else ""
    what = source or "the contract"
    noun = "problem" if len(issues) == 1 else "problems"
    raise ContractInvalid(
        f"{what} has {len(issues)} {noun}: {shown}{more}", issues=tuple(issues), path=source
    )
