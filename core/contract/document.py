"""The handover contract (``contract.json``, schema ``baton.contract/v1``).

A contract is a plain dict that validates against ``resources/schemas/contract.schema.json``
and a few consistency rules the schema cannot express (see :func:`validate_contract`).
Every function here returns a new dict and leaves its input untouched.

Decisions worth knowing:

* ``model.file`` is always ``model/model.<format>``: the bundle's own name for the model,
  whatever the file was called in the catalog.
* ``predictions`` is ``null`` only while drafting; ``check_contract(c, complete=True)``
  (what the exporter calls before signing) requires it, an intended use and an author.
* ``results`` keeps what the MLE needs to re-check claims: metrics with their intervals,
  the confusion matrix and per-class figures when the evaluation has them, latency rows,
  hardware and memory. Curves are left out: they follow from the bundled predictions.
* Versions: one to four dot-separated whole numbers, compared number by number, a missing
  number counting as 0 (``"1.10" > "1.9"``, ``"1.0" == "1.0.0"``); see
  :func:`compare_versions`. Wherever Baton asks whether two versions are the same, it asks
  :func:`compare_versions`, never string equality: ``"2"`` and ``"2.0"`` are one version.
* Names: compared after Unicode case folding and NFC (:func:`name_key`), so ``"Churn"``
  and ``"churn"`` are one bundle name.
* Files are UTF-8 JSON with sorted keys, two-space indent and a final newline, so the same
  contract always gives the same bytes. Loading is strict: duplicate keys, NaN, Infinity and
  numbers too large for a double are refused.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import difflib
import functools
import importlib.resources
import itertools
import json
import math
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import jsonschema

from baton.core import jsonsafe
from baton.core.contract.targets import (
    BATCHED_METRICS,
    DEFAULT_BATCH,
    Target,
    evaluate_target,
    format_number,
    measured_value,
    metric_applies,
    metric_direction,
    parse_target,
)
from baton.core.errors import ContractError, ContractInvalid

SCHEMA_ID = "baton.contract/v1"
SCHEMA_RESOURCE = ("schemas", "contract.schema.json")  # in the package baton.resources
MAX_CONTRACT_BYTES = 16 * 2**20

ChangeKind = Literal["added", "removed", "changed"]

_PROBLEM_NOUNS = {
    "binary": "a binary classifier",
    "multiclass": "a multiclass classifier",
    "regression": "a regression model",
}
_ROLES = ("train", "validation", "test")


# --------------------------------------------------------------------------- schema


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


# --------------------------------------------------------------------------- issues


@dataclass(frozen=True)
class ValidationIssue:
    """One problem in a contract: where (``targets[0].threshold``) and a full sentence."""

    path: str
    message: str

    def __str__(self) -> str:
        return self.message


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class _Key:
    """A list entry named by what identifies it (``targets[accuracy]``), not its index."""

    value: Any


def format_path(parts: Iterable[Any]) -> str:
    """``["targets", 0, "threshold"]`` -> ``"targets[0].threshold"``."""
    text = ""
    for part in parts:
        if isinstance(part, _Key):
            text += f"[{part.value}]"
        elif isinstance(part, int):
            text += f"[{part}]"
        elif _IDENT.fullmatch(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part, ensure_ascii=False)}]"
    return text


def _show(value: Any) -> str:
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


def _did_you_mean(value: Any, options: Iterable[Any]) -> str:
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
            hint = _did_you_mean(name, known) or (
                "; known fields: " + ", ".join(sorted(known)) if known else ""
            )
            issues.append(ValidationIssue(field, f"{field} is not a known field {owner}{hint}"))
        return issues
    if "x-message" in schema and kind not in ("minLength", "maxLength"):
        return one(schema["x-message"].format(path=where, value=_show(value)))
    if kind == "type":
        types = [expected] if isinstance(expected, str) else list(expected)
        words = _or_list([_TYPE_WORDS.get(t, t) for t in types])
        return one(f"{where} must be {words}, not {_show(value)}")
    if kind == "enum":
        options = ", ".join(_show(o) for o in expected)
        return one(
            f"{where} must be one of {options}, not {_show(value)}{_did_you_mean(value, expected)}"
        )
    if kind == "const":
        return one(f"{where} must be {_show(expected)}, not {_show(value)}")
    if kind == "pattern":
        return one(f"{where} has the wrong form: {_show(value)} does not match {expected}")
    if kind == "format":
        return one(f"{where} must be a valid {expected}, not {_show(value)}")
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        words = {
            "minimum": "at least",
            "exclusiveMinimum": "greater than",
            "maximum": "at most",
            "exclusiveMaximum": "less than",
        }[kind]
        return one(f"{where} must be {words} {format_number(expected)}, not {_show(value)}")
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


def _schema_issues(contract: Any) -> list[ValidationIssue]:
    if not isinstance(contract, Mapping):
        return [ValidationIssue("", f"the contract must be a JSON object, not {_show(contract)}")]
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


def _target_key(item: Mapping[str, Any]) -> str:
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
    return issues


def _check_model(c: Mapping[str, Any], add: _Add) -> None:
    problem = c["identity"]["problem_type"]
    noun = _PROBLEM_NOUNS[problem]
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
                f"labels.{field} is {_show(labels[field])} but the test dataset's is {_show(test[field])}",
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
                f"{at}.metric: {target.metric} does not apply to {_PROBLEM_NOUNS[problem]}",
            )
            continue
        measured, stored = measured_value(target, results, results, model), item["measured"]
        if (measured is None) != (stored is None) or (
            measured is not None and not math.isclose(measured, stored, rel_tol=1e-9, abs_tol=1e-12)
        ):
            add(
                f"{at}.measured",
                f"{at}.measured is {_show(stored)} but the results give {_show(measured)}; "
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
    issues = _schema_issues(contract)
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


# --------------------------------------------------------------------------- drafting


def _plain(value: Any) -> Any:
    """JSON-able copy: numpy scalars to Python numbers, tuples to lists, NaN to null."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _get(source: Mapping[str, Any], key: str, *aliases: str) -> Any:
    """``source[key]``, else the first alias present (the profiler's own field names)."""
    for name in (key, *aliases):
        if source.get(name) is not None:
            return _plain(source[name])
    return None


def _pick(source: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {k: _plain(source.get(k)) for k in keys}


def _scalars(source: Mapping[str, Any], drop: Iterable[str] = ()) -> dict[str, Any]:
    skip = set(drop)
    return {
        str(k): v
        for k, v in _plain(dict(source)).items()
        if k not in skip and (v is None or isinstance(v, str | int | float | bool))
    }


def _timestamp(created: dt.datetime | str | None) -> str:
    if created is None:
        created = dt.datetime.now(dt.UTC).replace(microsecond=0)
    if isinstance(created, str):
        return created
    if created.tzinfo is None:
        raise ContractError("created needs a time zone (use datetime.now(timezone.utc))")
    text = created.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _datasets(datasets: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for info in datasets:
        role = info.get("role")
        entry = {
            "name": _get(info, "name", "file_name"),
            "role": role,
            # The test set always travels in the bundle; another role only when the caller
            # says where it goes.
            "file": info.get("file", "data/test.parquet" if role == "test" else None),
            **_pick(info, ("format", "sha256", "fingerprint", "rows")),
            "columns": [_pick(col, ("name", "dtype")) for col in info.get("columns") or ()],
            **_pick(info, ("target", "id_column")),
        }
        if isinstance(entry["format"], str):
            entry["format"] = entry["format"].lower()
        out.append(entry)
    out.sort(key=lambda d: _ROLES.index(d["role"]) if d["role"] in _ROLES else len(_ROLES))
    return out


def _features(model_info: Mapping[str, Any], test: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The model's inputs in the order it reads them; dtypes it does not record come from
    the test set.

    The catalog names every model's inputs before its first evaluation (see
    ``importer.bind_from_dataset``), so names missing here belong to a record from before
    that: such a model was fed the test set's columns minus the target and id columns, in
    order, so those are its inputs' names.
    """
    raw = list(model_info.get("features") or ())
    dtypes = {col["name"]: col["dtype"] for col in test["columns"]}
    inputs = [
        c["name"] for c in test["columns"] if c["name"] not in (test["target"], test["id_column"])
    ]
    features = []
    for i, feature in enumerate(raw):
        name, dtype = _plain(feature.get("name")), _plain(feature.get("dtype"))
        if name is None and len(raw) == len(inputs):
            name = inputs[i]
        if dtype is None and name in dtypes:
            dtype = dtypes[name]
        features.append({"name": name, "dtype": dtype})
    return features


def _confidence(boot: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not boot:
        return None
    level = _plain(boot.get("level", 0.95))
    if isinstance(level, int | float) and 1 < level < 100:
        level = level / 100  # given as a percentage
    confidence = {"level": level, **_pick(boot, ("method", "resamples", "seed"))}
    if boot.get("subsample_rows") is not None:
        confidence["subsample_rows"] = _plain(boot["subsample_rows"])
    return confidence


def _results(
    evaluation: Mapping[str, Any], profile: Mapping[str, Any], model: Mapping[str, Any]
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "n_rows": _plain(evaluation.get("n_rows")),
        "classes": _plain(evaluation.get("classes")),
        "positive_class": _plain(evaluation.get("positive_class")),
        "confidence": _confidence(evaluation.get("bootstrap")),
        "metrics": {
            str(k): _pick(v, ("value", "ci_low", "ci_high"))
            for k, v in (evaluation.get("metrics") or {}).items()
        },
    }
    for optional in ("notes", "confusion_matrix", "per_class"):
        if evaluation.get(optional):
            results[optional] = _plain(evaluation[optional])
    # Raw timing samples stay in the catalog: the contract keeps the summary figures.
    rows = [_scalars(row) for row in profile.get("latency") or ()]
    results["latency"] = sorted(
        rows, key=lambda r: r["batch_size"] if isinstance(r.get("batch_size"), int) else 0
    )
    hardware = profile.get("hardware") or {}
    results["hardware"] = {"cpu": _get(hardware, "cpu", "cpu_model"), "os": _get(hardware, "os")}
    ram = _get(hardware, "ram_bytes", "ram_total_bytes")
    if ram is not None:
        results["hardware"]["ram_bytes"] = ram
    aliased = ("cpu", "cpu_model", "os", "ram_bytes", "ram_total_bytes", "ram_total_gb")
    results["hardware"].update(_scalars(hardware, drop=aliased))
    memory = profile.get("memory") or {}
    size_on_disk = _get(memory, "size_on_disk_mb")
    if size_on_disk is None and isinstance(model.get("size_bytes"), int):
        size_on_disk = model["size_bytes"] / 2**20
    results["memory"] = {
        "rss_delta_after_load_mb": _get(memory, "rss_delta_after_load_mb", "resident_delta_mb"),
        "peak_predict_mb": _get(memory, "peak_predict_mb", "peak_during_predict_mb"),
        "size_on_disk_mb": size_on_disk,
    }
    return results


def _environment(profile: Mapping[str, Any]) -> dict[str, Any]:
    env = profile.get("environment") or {}
    hardware = profile.get("hardware") or {}
    environment = {
        "python": _get(env, "python", "python_version"),
        "os": _get(hardware, "os"),
        "cpu": _get(hardware, "cpu", "cpu_model"),
        "packages": _plain(dict(env.get("packages") or {})),
    }
    for key, source in (("machine", hardware), ("baton_version", env), ("threads_env", env)):
        if source.get(key) is not None:
            environment[key] = _plain(source[key])
    return environment


def dataset_entry(record: Mapping[str, Any], role: str, file: str | None) -> dict[str, Any]:
    """A catalog dataset record as the contract lists it (``file`` None: left out)."""
    keys = ("name", "format", "sha256", "fingerprint", "rows", "columns", "target")
    return {
        **{k: record[k] for k in keys},
        "role": role,
        "file": file,
        "id_column": record.get("id_column"),
    }


def _author(author: Mapping[str, Any]) -> dict[str, Any]:
    """Name, email and fingerprint, plus the PEM public key when the signer provides it."""
    entry = _pick(author, ("name", "email", "fingerprint"))
    if author.get("public_key"):
        entry["public_key"] = author["public_key"]
    return entry


def draft_contract(
    name: str,
    version: str,
    model_info: Mapping[str, Any],
    datasets: Iterable[Mapping[str, Any]],
    evaluation: Mapping[str, Any],
    profile: Mapping[str, Any],
    *,
    authors: Iterable[Mapping[str, Any]] = (),
    intended_use: str = "",
    limitations: str = "",
    targets: Iterable[str | Target] = (),
    predictions: Mapping[str, Any] | None = None,
    created: dt.datetime | str | None = None,
) -> dict[str, Any]:
    """Assemble a contract from what the catalog measured; raise :class:`ContractError` if invalid.

    ``datasets`` holds one dataset info per role (the test set is required), ``targets``
    are expressions or :class:`Target` objects; their measured values and verdicts are
    filled from the results. Inputs may use the profiler's own field names
    (``cpu_model``, ``python_version``, ``resident_delta_mb``, ``peak_during_predict_mb``);
    fields the contract does not hold (raw timings, curves, column profiles) are left out.
    """
    task = model_info.get("task")
    problem = evaluation.get("problem_type") or task
    if task and problem and task != problem:
        raise ContractError(
            f"the model is {_PROBLEM_NOUNS.get(task, task)} but the evaluation is for "
            f"{_PROBLEM_NOUNS.get(problem, problem)}"
        )
    data = _datasets(datasets)
    test = next((d for d in data if d["role"] == "test"), None)
    if test is None:
        raise ContractError(
            "a contract needs the test dataset: its labels are what every metric is measured on"
        )
    fmt = model_info.get("format")
    model = {
        "file": f"model/model.{fmt}" if fmt in ("skops", "onnx") else None,
        **_pick(
            model_info,
            (
                "format",
                "framework",
                "framework_version",
                "estimator",
                "producer",
                "opset",
                "sha256",
                "size_bytes",
                "params",
            ),
        ),
        "features": _features(model_info, test),
        "classes": _plain(model_info.get("classes")),
    }
    if model_info.get("output"):  # how its output is read; absent for models imported before
        model["output"] = _plain(dict(model_info["output"]))
    contract: dict[str, Any] = {
        "schema": SCHEMA_ID,
        "identity": {
            "id": str(uuid.uuid4()),
            "name": name,
            "version": version,
            "created": _timestamp(created),
            "authors": [_author(a) for a in authors],
            "intended_use": intended_use,
            "limitations": limitations,
            "problem_type": problem,
        },
        "model": model,
        "environment": _environment(profile),
        "datasets": data,
        "predictions": _plain(dict(predictions)) if predictions is not None else None,
        "labels": {
            "file": test["file"],
            "target": test["target"],
            "id_column": test["id_column"],
            "rows": test["rows"],
        },
        "results": _results(evaluation, profile, model),
        "targets": [],
    }
    for item in targets:
        _append_target(contract, item)
    check_contract(contract)
    return contract


# --------------------------------------------------------------------------- editing

_PATH_PART = re.compile(r'\.?([^.\[\]"]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


def _parse_path(path: str) -> list[str | int]:
    parts: list[str | int] = []
    pos = 0
    text = path.strip()
    while pos < len(text):
        match = _PATH_PART.match(text, pos)
        if match is None or (pos == 0 and text.startswith(".")):
            raise ContractError(
                f'cannot read the field path "{path}"; write it like "identity.intended_use" or "targets.0.threshold"'
            )
        if match[1] is not None:
            parts.append(match[1])
        elif match[2] is not None:
            parts.append(int(match[2]))
        else:
            parts.append(json.loads(match[3]))
        pos = match.end()
    if not parts:
        raise ContractError("an empty field path names no field")
    return parts


def _key_in(node: Any, part: str | int, done: list[str | int]) -> str | int:
    """The key or index ``part`` names in ``node`` (the field at path ``done``)."""
    here = format_path(done) or "the contract"
    if isinstance(node, list):
        if isinstance(part, str) and part.isdigit():
            part = int(part)
        if not isinstance(part, int):
            raise ContractError(f"{here} is a list; name an entry by its index, as in {here}.0")
        if not 0 <= part < len(node):
            full = format_path([*done, part])
            if not node:
                raise ContractError(f"{here} is empty; there is no {full}")
            have = f"{len(node)} entries" if len(node) != 1 else "1 entry"
            raise ContractError(f"{here} has {have}; there is no {full}")
        return part
    if isinstance(node, dict):
        return str(part)
    raise ContractError(f"{here} is {_show(node)}; it has no field {part!r}")


def set_field(contract: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``contract`` with the field at ``path`` set to ``value``.

    ``path`` is dotted, with list indices as numbers: ``"identity.intended_use"``,
    ``"targets.0.threshold"`` (``"targets[0].threshold"`` works too). Refuses unknown
    fields, computed fields (a target's ``measured`` and ``verdict``) and any value that
    would make the contract invalid, with a :class:`ContractError` that says why. Target
    verdicts are re-evaluated after the change.
    """
    parts = _parse_path(path)
    before = set(validate_contract(contract))
    new = copy.deepcopy(dict(contract))
    node: Any = new
    done: list[str | int] = []
    for part in parts[:-1]:
        key = _key_in(node, part, done)
        if isinstance(node, dict) and key not in node:
            field = format_path([*done, key])
            hint = _did_you_mean(key, node) or (
                "; it has: " + ", ".join(sorted(node)) if node else ""
            )
            raise ContractError(f"there is no field {field} in the contract{hint}")
        node = node[key]
        done.append(key)
    key = _key_in(node, parts[-1], done)
    done.append(key)
    where = format_path(done)
    if done == ["schema"]:
        raise ContractError(f"schema is fixed at {SCHEMA_ID!r}")
    if len(done) == 3 and done[0] == "targets" and done[2] in ("measured", "verdict"):
        raise ContractError(
            f"{where} is computed from the results; change the target or the results instead"
        )
    node[key] = _plain(copy.deepcopy(value))
    if not _schema_issues(new):
        with contextlib.suppress(ContractError):  # the validation below names the problem
            new = _reevaluated(new)
    introduced = [i for i in validate_contract(new) if i not in before]
    if introduced:
        raise ContractError(f"cannot set {where}: " + "; ".join(i.message for i in introduced))
    return new


def _reevaluated(contract: dict[str, Any]) -> dict[str, Any]:
    results, model = contract["results"], contract["model"]
    fresh = []
    for item in contract["targets"]:
        target = Target.from_dict(item)
        fresh.append(target.to_dict(measured_value(target, results, results, model)))
    contract["targets"] = fresh
    return contract


def reevaluate_targets(contract: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``contract`` whose targets carry measured values and verdicts from its results."""
    return _reevaluated(copy.deepcopy(dict(contract)))


def unmeasured_batches(contract: Mapping[str, Any]) -> list[int]:
    """Batch sizes that the contract's latency and throughput targets name but its results lack."""
    measured = {row.get("batch_size") for row in contract["results"].get("latency") or []}
    named = {t.get("batch") for t in contract.get("targets") or [] if t.get("batch")}
    return sorted(named - measured)


def with_profile(contract: Mapping[str, Any], profile: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``contract`` measured again for speed: latency, memory, hardware and
    environment from ``profile`` (one profile, so they stay consistent), targets re-judged.

    The quality results are left as they are: a profile does not predict the test set.
    """
    new = copy.deepcopy(dict(contract))
    fresh = _results({}, profile, new["model"])
    for key in ("latency", "hardware", "memory"):
        new["results"][key] = fresh[key]
    new["environment"] = _environment(profile)
    new = _reevaluated(new)
    check_contract(new)
    return new


def _as_target(expr_or_target: str | Target) -> Target:
    if isinstance(expr_or_target, Target):
        return expr_or_target
    return parse_target(expr_or_target)


def _append_target(contract: dict[str, Any], expr_or_target: str | Target) -> None:
    target = _as_target(expr_or_target)
    problem = contract["identity"]["problem_type"]
    if problem in _PROBLEM_NOUNS and not metric_applies(target.metric, problem):
        raise ContractError(
            f"{target.metric} does not apply to {_PROBLEM_NOUNS[problem]} ({target.expr()})"
        )
    for i, item in enumerate(contract["targets"]):
        if _target_key(item) == target.key:
            existing = Target.from_dict(item).expr()
            raise ContractError(
                f"there is already a target for {target.key} (targets[{i}]: {existing}); "
                "change that one or remove it first"
            )
    results, model = contract["results"], contract["model"]
    contract["targets"].append(target.to_dict(measured_value(target, results, results, model)))


def add_target(contract: Mapping[str, Any], expr_or_target: str | Target) -> dict[str, Any]:
    """A copy of ``contract`` with one more target, measured and judged from its results."""
    new = copy.deepcopy(dict(contract))
    _append_target(new, expr_or_target)
    return new


def _target_index(contract: Mapping[str, Any], which: int | str | Target) -> int:
    targets = contract["targets"]
    listing = ", ".join(Target.from_dict(t).expr() for t in targets) or "none"
    if isinstance(which, int) and not isinstance(which, bool):
        if 0 <= which < len(targets):
            return which
        raise ContractError(
            f"there is no targets[{which}]; the contract has {len(targets)} target(s): {listing}"
        )
    if isinstance(which, Target):
        key = which.key
    else:
        text = str(which).strip()
        try:
            key = parse_target(text).key
        except ContractError:
            metric, at, batch = text.replace(" ", "").partition("@")
            metric = metric.lower()
            if at:
                key = f"{metric}@{batch}"
            else:
                key = f"{metric}@{DEFAULT_BATCH}" if metric in BATCHED_METRICS else metric
    for i, item in enumerate(targets):
        if _target_key(item) == key:
            return i
    raise ContractError(f'there is no target for "{key}"; the contract\'s targets are: {listing}')


def remove_target(contract: Mapping[str, Any], which: int | str | Target) -> dict[str, Any]:
    """A copy of ``contract`` without one target.

    ``which`` is an index, a :class:`Target`, an expression, or a key such as
    ``"accuracy"`` or ``"latency_p95_ms@32"`` (targets are identified by metric and batch).
    """
    index = _target_index(contract, which)
    new = copy.deepcopy(dict(contract))
    del new["targets"][index]
    return new


# --------------------------------------------------------------------------- versions

_VERSION = re.compile(r"(0|[1-9][0-9]{0,8})(\.(0|[1-9][0-9]{0,8})){0,3}")


def version_key(version: str) -> tuple[int, ...]:
    """Sort key of a version: its numbers with trailing zeros dropped (``"1.0"`` -> ``(1,)``)."""
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise ContractError(
            f"{_show(version)} is not a version; use one to four dot-separated whole numbers "
            "without leading zeros, such as '3' or '1.0.0'"
        )
    numbers = [int(n) for n in version.split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as version ``a`` is older than, the same as, or newer than ``b``.

    Numbers compare from the left and a missing number counts as 0: ``"1.10" > "1.9"``,
    ``"2" > "1.9.9"``, ``"1.0" == "1.0.0"``.
    """
    ka, kb = version_key(a), version_key(b)
    return (ka > kb) - (ka < kb)


def canonical_version(version: str) -> str:
    """The shortest spelling of a version (``"2.0.0"`` -> ``"2"``), for file names: two
    spellings of one version must never name two different files."""
    return ".".join(map(str, version_key(version)))


# --------------------------------------------------------------------------- names


def name_key(name: str) -> str:
    """A bundle name as Baton compares it: Unicode's canonical caseless form.

    Case folding (not ``lower()``: ``"STRASSE"`` matches ``"straße"``) between two
    normalisations, so ``"Churn"`` and ``"churn"``, or a composed and a decomposed
    ``"é"``, are one name for the rollback history and for file names. Otherwise a
    bundle could slip past the history of its own name, or two handovers share one
    file on a case-insensitive disk.
    """
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", name).casefold())


def same_name(a: str, b: str) -> bool:
    """Whether two bundle names are one name (see :func:`name_key`)."""
    return name_key(a) == name_key(b)


# --------------------------------------------------------------------------- diff


@dataclass(frozen=True)
class Change:
    """One difference between two contracts.

    ``path`` names list entries by what identifies them, not by position:
    ``targets[latency_p95_ms@32].threshold``, ``datasets[test].rows``,
    ``results.latency[32].p95_ms``, ``model.features[mean radius].dtype``. ``delta`` is
    ``new - old`` for numbers; ``better`` says whether a measured figure improved (``None``
    when the field has no better direction or did not move).
    """

    path: str
    kind: ChangeKind
    old: Any = None
    new: Any = None
    delta: float | None = None
    better: bool | None = None

    def __str__(self) -> str:
        if self.kind == "added":
            return f"{self.path}: added {_brief(self.new)}"
        if self.kind == "removed":
            return f"{self.path}: removed (was {_brief(self.old)})"
        text = f"{self.path}: {_brief(self.old)} → {_brief(self.new)}"
        notes = []
        if self.delta is not None:
            notes.append(f"{'+' if self.delta >= 0 else ''}{self.delta:.6g}")
        if self.better is not None:
            notes.append("better" if self.better else "worse")
        return text + (f" ({', '.join(notes)})" if notes else "")


def _brief(value: Any) -> str:
    if isinstance(value, Mapping):
        if "metric" in value and "op" in value:
            try:
                return Target.from_dict(value).expr()
            except ContractError:
                pass
        return "{…}"
    if isinstance(value, list):
        return (
            "[" + ", ".join(_brief(v) for v in value[:6]) + (", …" if len(value) > 6 else "") + "]"
        )
    if isinstance(value, float):
        return format(value, ".6g")
    return _show(value)


# How entries of a list are matched between two contracts ("*" stands for one entry).
_LIST_KEYS: dict[tuple[str, ...], Any] = {
    ("targets",): _target_key,
    ("datasets",): lambda d: d.get("role"),
    ("datasets", "*", "columns"): lambda c: c.get("name"),
    ("model", "features"): lambda c: c.get("name"),
    ("predictions", "columns"): lambda c: c.get("name"),
    ("results", "latency"): lambda r: r.get("batch_size"),
    ("identity", "authors"): lambda a: a.get("fingerprint"),
}
# Lists whose order means something: a model reads its inputs by position.
_ORDERED_LISTS = {("datasets", "*", "columns"), ("model", "features"), ("predictions", "columns")}
_SECTION_ORDER = (
    "schema",
    "identity",
    "targets",
    "results",
    "model",
    "datasets",
    "predictions",
    "labels",
    "environment",
)
_VERDICT_RANK = {"fail": 0, "unmeasured": 1, "pass": 2}


def _distinct(keys: list[Any]) -> bool:
    return len({repr(k) for k in keys}) == len(keys)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _better(logical: tuple[str, ...], concrete: tuple[Any, ...], old: Any, new: Any) -> bool | None:
    if logical[:1] == ("targets",) and logical[-1:] == ("verdict",):
        ro, rn = _VERDICT_RANK.get(old), _VERDICT_RANK.get(new)
        return None if ro is None or rn is None or ro == rn else rn > ro
    if not (_is_number(old) and _is_number(new)) or old == new:
        return None
    direction: str | None = None
    if logical[:2] == ("results", "metrics") and logical[-1:] == ("value",):
        direction = metric_direction(str(concrete[2]))
    elif logical[:2] == ("results", "latency") and len(logical) == 4:
        field = logical[3]
        if field == "throughput_rps":
            direction = "higher"
        elif field.endswith("_ms") and field != "std_ms":
            direction = "lower"
    elif logical[:2] == ("results", "memory") or logical in (
        ("model", "size_bytes"),
        ("model", "params"),
    ):
        direction = "lower"
    elif logical[:1] == ("targets",) and logical[-1:] == ("measured",):
        direction = metric_direction(str(concrete[1].value).partition("@")[0])
    if direction is None:
        return None
    return (new > old) if direction == "higher" else (new < old)


def _diff(
    old: Any, new: Any, parts: tuple[Any, ...], logical: tuple[str, ...], out: list[Change]
) -> None:
    path = format_path(parts)
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        keys = list(old) + [k for k in new if k not in old]
        if not parts:
            keys.sort(
                key=lambda k: (
                    _SECTION_ORDER.index(k) if k in _SECTION_ORDER else len(_SECTION_ORDER)
                )
            )
        for key in keys:
            sub, lsub = (*parts, key), (*logical, key)
            if key not in new:
                out.append(Change(format_path(sub), "removed", old=old[key]))
            elif key not in old:
                out.append(Change(format_path(sub), "added", new=new[key]))
            else:
                _diff(old[key], new[key], sub, lsub, out)
        return
    if isinstance(old, list) and isinstance(new, list):
        keyfn = _LIST_KEYS.get(logical)
        if keyfn is not None and all(isinstance(x, Mapping) for x in old + new):
            okeys, nkeys = [keyfn(x) for x in old], [keyfn(x) for x in new]
            if _distinct(okeys) and _distinct(nkeys):
                _diff_keyed(old, new, okeys, nkeys, parts, logical, out)
                return
        if old != new:
            out.append(Change(path, "changed", old=old, new=new))
        return
    if old != new or (type(old) is not type(new) and not (_is_number(old) and _is_number(new))):
        delta = new - old if _is_number(old) and _is_number(new) else None
        out.append(
            Change(
                path,
                "changed",
                old=old,
                new=new,
                delta=delta,
                better=_better(logical, parts, old, new),
            )
        )


def _diff_keyed(
    old: list[Any],
    new: list[Any],
    okeys: list[Any],
    nkeys: list[Any],
    parts: tuple[Any, ...],
    logical: tuple[str, ...],
    out: list[Change],
) -> None:
    by_old = dict(zip(map(repr, okeys), old, strict=True))
    by_new = dict(zip(map(repr, nkeys), new, strict=True))
    order = okeys + [k for k in nkeys if repr(k) not in by_old]
    for key in order:
        sub = (*parts, _Key(key))
        if repr(key) not in by_new:
            out.append(Change(format_path(sub), "removed", old=by_old[repr(key)]))
        elif repr(key) not in by_old:
            out.append(Change(format_path(sub), "added", new=by_new[repr(key)]))
        else:
            _diff(by_old[repr(key)], by_new[repr(key)], sub, (*logical, "*"), out)
    common_old = [k for k in okeys if repr(k) in by_new]
    common_new = [k for k in nkeys if repr(k) in by_old]
    if logical in _ORDERED_LISTS and common_old != common_new:
        out.append(Change(format_path(parts), "changed", old=common_old, new=common_new))


def diff_contracts(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Field-by-field changes from ``old`` to ``new``.

    Targets are matched by metric and batch, datasets by role, latency rows by batch size,
    features and columns by name, authors by key fingerprint; all changes of one target
    are adjacent. A new order of features or columns (which a model reads by position) is
    one change on the list, old and new order as values. Lists without an identity
    (classes, per-class rows) change as a whole.
    """
    out: list[Change] = []
    _diff(old, new, (), (), out)
    return out


# --------------------------------------------------------------------------- files


def parse_contract(data: bytes, *, source: str = "contract.json") -> dict[str, Any]:
    """Strictly parse and validate contract bytes (e.g. a bundle member)."""
    contract = jsonsafe.loads(
        data, source=source, error=ContractError, max_bytes=MAX_CONTRACT_BYTES
    )
    check_contract(contract, source=source)
    return contract


def load_contract(path: str | Path) -> dict[str, Any]:
    """Read, strictly parse and validate a ``contract.json``."""
    path = Path(path)
    contract = jsonsafe.load_file(
        path, source=path.name, error=ContractError, max_bytes=MAX_CONTRACT_BYTES, path=str(path)
    )
    check_contract(contract, source=path.name)
    return contract


def dump_contract(contract: Mapping[str, Any]) -> bytes:
    """The canonical bytes of a valid contract: sorted keys, indent 2, UTF-8, final newline."""
    check_contract(contract)
    text = json.dumps(contract, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")
