"""Drafting a contract from catalog records: the model, its datasets, the latest evaluation
and profile, and the machine they ran on, copied into plain JSON values."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from baton.core.contract.targets import Target, measured_value, metric_applies, parse_target
from baton.core.contract.validation import (
    PROBLEM_NOUNS,
    ROLES,
    SCHEMA_ID,
    check_contract,
    target_key,
)
from baton.core.errors import ContractError


def plain(value: Any) -> Any:
    """JSON-able copy: numpy scalars to Python numbers, tuples to lists, NaN to null."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _get(source: Mapping[str, Any], key: str, *aliases: str) -> Any:
    """``source[key]``, else the first alias present (the profiler's own field names)."""
    for name in (key, *aliases):
        if source.get(name) is not None:
            return plain(source[name])
    return None


def _pick(source: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    return {k: plain(source.get(k)) for k in keys}


def _scalars(source: Mapping[str, Any], drop: Iterable[str] = ()) -> dict[str, Any]:
    skip = set(drop)
    return {
        str(k): v
        for k, v in plain(dict(source)).items()
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
    out.sort(key=lambda d: ROLES.index(d["role"]) if d["role"] in ROLES else len(ROLES))
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
        name, dtype = plain(feature.get("name")), plain(feature.get("dtype"))
        if name is None and len(raw) == len(inputs):
            name = inputs[i]
        if dtype is None and name in dtypes:
            dtype = dtypes[name]
        features.append({"name": name, "dtype": dtype})
    return features


def _confidence(boot: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not boot:
        return None
    level = plain(boot.get("level", 0.95))
    if isinstance(level, int | float) and 1 < level < 100:
        level = level / 100  # given as a percentage
    confidence = {"level": level, **_pick(boot, ("method", "resamples", "seed"))}
    if boot.get("subsample_rows") is not None:
        confidence["subsample_rows"] = plain(boot["subsample_rows"])
    return confidence


def results_section(
    evaluation: Mapping[str, Any], profile: Mapping[str, Any], model: Mapping[str, Any]
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "n_rows": plain(evaluation.get("n_rows")),
        "classes": plain(evaluation.get("classes")),
        "positive_class": plain(evaluation.get("positive_class")),
        "confidence": _confidence(evaluation.get("bootstrap")),
        "metrics": {
            str(k): _pick(v, ("value", "ci_low", "ci_high"))
            for k, v in (evaluation.get("metrics") or {}).items()
        },
    }
    for optional in ("notes", "confusion_matrix", "per_class"):
        if evaluation.get(optional):
            results[optional] = plain(evaluation[optional])
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


def environment_section(profile: Mapping[str, Any]) -> dict[str, Any]:
    env = profile.get("environment") or {}
    hardware = profile.get("hardware") or {}
    environment = {
        "python": _get(env, "python", "python_version"),
        "os": _get(hardware, "os"),
        "cpu": _get(hardware, "cpu", "cpu_model"),
        "packages": plain(dict(env.get("packages") or {})),
    }
    for key, source in (("machine", hardware), ("baton_version", env), ("threads_env", env)):
        if source.get(key) is not None:
            environment[key] = plain(source[key])
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
            f"the model is {PROBLEM_NOUNS.get(task, task)} but the evaluation is for "
            f"{PROBLEM_NOUNS.get(problem, problem)}"
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
        "classes": plain(model_info.get("classes")),
    }
    if model_info.get("output"):  # how its output is read; absent for models imported before
        model["output"] = plain(dict(model_info["output"]))
    mlflow = model_info.get("mlflow") or {}
    if mlflow.get("provenance"):  # imported from an MLflow model folder
        model["provenance"] = plain(dict(mlflow["provenance"]))
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
        "environment": environment_section(profile),
        "datasets": data,
        "predictions": plain(dict(predictions)) if predictions is not None else None,
        "labels": {
            "file": test["file"],
            "target": test["target"],
            "id_column": test["id_column"],
            "rows": test["rows"],
        },
        "results": results_section(evaluation, profile, model),
        "targets": [],
    }
    if mlflow.get("environment"):
        contract["environment"]["training"] = plain(dict(mlflow["environment"]))
    for item in targets:
        append_target(contract, item)
    check_contract(contract)
    return contract


def as_target(expr_or_target: str | Target) -> Target:
    if isinstance(expr_or_target, Target):
        return expr_or_target
    return parse_target(expr_or_target)


def append_target(contract: dict[str, Any], expr_or_target: str | Target) -> None:
    target = as_target(expr_or_target)
    problem = contract["identity"]["problem_type"]
    if problem in PROBLEM_NOUNS and not metric_applies(target.metric, problem):
        raise ContractError(
            f"{target.metric} does not apply to {PROBLEM_NOUNS[problem]} ({target.expr()})"
        )
    for i, item in enumerate(contract["targets"]):
        if target_key(item) == target.key:
            existing = Target.from_dict(item).expr()
            raise ContractError(
                f"there is already a target for {target.key} (targets[{i}]: {existing}); "
                "change that one or remove it first"
            )
    results, model = contract["results"], contract["model"]
    contract["targets"].append(target.to_dict(measured_value(target, results, results, model)))
