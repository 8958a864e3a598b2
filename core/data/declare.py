"""How a model's output is read: its task, its classes, its positive class and threshold.

Detection is the default: a classifier's own class labels, else the width of an ONNX
graph's output (one column: a regression). The data scientist declares what the file
does not tell (``--task``, ``--classes``, ``--positive-class``, ``--threshold``); the
declaration is checked against the model once, at import, and recorded with it as the
``output`` entry of the model's info, with a sentence saying how each part was decided.
Prediction (child side), evaluation, the contract and the engineer's reproduce all read
that one entry, so a bundle is reproduced exactly as it was packed.

A single score output is the probability of the second class (class id 1); whether it is
already a probability or a logit is decided once, from the graph node producing it
(Sigmoid or Softmax: a probability), never from the values of a batch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from baton.core.errors import ModelError, UsageError

TASKS = ("binary", "multiclass", "regression")
DEFAULT_THRESHOLD = 0.5
DECLARED_FIELDS = ("task", "classes", "positive_class", "threshold")
PROBABILITY_OPS = ("Sigmoid", "Softmax")

ONE_COLUMN = (
    "one output column: taken as a regression — declare --task binary if it is a classifier's score"
)


def _label(text: Any) -> Any:
    """A class name as given; whole numbers become numbers, as they are in the data."""
    if isinstance(text, str) and re.fullmatch(r"-?\d{1,18}", text.strip()):
        return int(text)
    return text.strip() if isinstance(text, str) else text


def _list(values: Sequence[Any]) -> str:
    return ", ".join(map(str, values))


def check_declared(declared: Any) -> dict[str, Any]:
    """The declared fields that are set, normalised; raise on what contradicts itself.

    ``declared`` is an :class:`~baton.core.data.importer.Declared` (or None). Checks that need
    no model: a known task, distinct non-empty class names, a positive class among the
    declared classes, a threshold strictly between 0 and 1 and not on a regression.
    """
    given = {f: getattr(declared, f, None) for f in DECLARED_FIELDS}
    out = {k: v for k, v in given.items() if v is not None}
    task = out.get("task")
    if task is not None and task not in TASKS:
        raise UsageError(f"--task must be one of {', '.join(TASKS)}, not {task!r}")
    if "classes" in out:
        names = [_label(c) for c in out["classes"]]
        if not names or any(n == "" for n in names):
            raise UsageError("--classes needs class names separated by commas, none of them empty")
        twice = next((n for i, n in enumerate(names) if n in names[:i]), None)
        if twice is not None:
            raise UsageError(f"--classes names {twice!r} twice")
        if task == "regression":
            raise UsageError("--classes names classes, but --task regression has none")
        out["classes"] = names
    if "positive_class" in out:
        out["positive_class"] = _label(out["positive_class"])
        if task in ("regression", "multiclass"):
            raise UsageError(f"--positive-class applies to a binary problem, not {task}")
        if "classes" in out and out["positive_class"] not in out["classes"]:
            raise UsageError(
                f"--positive-class {out['positive_class']!r} is not one of --classes "
                f"{_list(out['classes'])}"
            )
    if "threshold" in out:
        t = out["threshold"]
        if not isinstance(t, int | float) or not math.isfinite(t) or not 0 < t < 1:
            raise UsageError(f"--threshold must lie between 0 and 1 (exclusive), not {t}")
        if task in ("regression", "multiclass"):
            raise UsageError(f"--threshold applies to a binary classifier's score, not {task}")
        out["threshold"] = float(t)
    return out


def resolve(info: dict[str, Any], declared: Any, file_name: str) -> dict[str, Any]:
    """``info`` (an introspected model) with the declaration applied and its ``output``
    entry filled in; raise :class:`UsageError` where the declaration contradicts the model."""
    given = check_declared(declared)
    info = dict(info)
    detected = info.get("classes")
    fmt = info.get("format")
    out: dict[str, Any] = {"declared": [f for f in DECLARED_FIELDS if f in given]}
    if detected is not None:
        _classifier(info, given, out, detected, file_name)
    elif fmt == "onnx" and _one_column(info):
        _single_score(info, given, out, file_name)
    else:
        _regressor(info, given, file_name)
        out["task_decided"] = "declared with --task" if "task" in given else _regressor_why(info)
    if info["task"] == "binary":
        classes = info["classes"]
        out["positive_class"] = given.get("positive_class", classes[1])
        out["positive_decided"] = (
            "declared with --positive-class" if "positive_class" in given else "the second class"
        )
    info["output"] = out
    return info


def _one_column(info: dict[str, Any]) -> bool:
    outputs = info.get("outputs") or []
    shape = outputs[0].get("shape") if outputs else None
    width = shape[-1] if shape and len(shape) >= 2 else 1
    return not (isinstance(width, int) and width > 1)


def _regressor_why(info: dict[str, Any]) -> str:
    if info.get("format") == "skops":
        return f"a scikit-learn regressor ({info.get('final_estimator') or info.get('estimator')})"
    return "the model gives numbers, not classes"


def _regressor(info: dict[str, Any], given: dict[str, Any], file_name: str) -> None:
    what = f"a regressor ({info.get('final_estimator') or info.get('estimator')})"
    if given.get("task") in ("binary", "multiclass"):
        raise UsageError(
            f"{file_name} is a scikit-learn {what[2:]}; it cannot be declared {given['task']}"
        )
    if "classes" in given:
        raise UsageError(f"--classes names classes, but {file_name} is {what}")
    for option in ("positive_class", "threshold"):
        if option in given:
            flag = "--" + option.replace("_", "-")
            raise UsageError(f"{flag} applies to a classifier, but {file_name} is {what}")


def _classifier(
    info: dict[str, Any], given: dict[str, Any], out: dict[str, Any], ids: list, file_name: str
) -> None:
    k = len(ids)
    shown = f"{k} ({_list(ids)})"
    task = given.get("task")
    if task == "regression":
        raise UsageError(
            f"{file_name} is a classifier with {k} classes ({_list(ids)}); it cannot be "
            "declared a regression"
        )
    if task == "binary" and k != 2:
        raise UsageError(f"--task binary needs 2 classes, but {file_name} has {shown}")
    if task == "multiclass" and k == 2:
        raise UsageError(f"--task multiclass needs 3 or more classes, but {file_name} has {shown}")
    if "threshold" in given:
        raise UsageError(
            f"--threshold applies to a model with a single score output; {file_name} gives one "
            "probability per class and predicts the most probable"
        )
    info["task"] = "binary" if k == 2 else "multiclass"
    if "positive_class" in given and info["task"] != "binary":
        raise UsageError(f"--positive-class applies to a binary problem; {file_name} is multiclass")
    source = info.get("classes_source")
    if task:
        out["task_decided"] = "declared with --task"
    else:
        out["task_decided"] = f"a classifier with {k} classes"
    if "classes" in given:
        names = given["classes"]
        if len(names) != k:
            raise UsageError(
                f"--classes names {len(names)} classes but {file_name} has {k} "
                f"(class ids {_list(ids)})"
            )
        info["classes"] = names
        out["class_ids"] = list(ids)
        out["classes_decided"] = f"declared with --classes, for the model's class ids {_list(ids)}"
    elif info.get("format") == "skops":
        out["classes_decided"] = "from the classifier's classes_"
    elif source == "columns":
        out["classes_decided"] = f"one output column per class: class ids {_list(ids)}"
    else:
        out["classes_decided"] = "from the class labels in the ONNX graph"
    _check_positive(info["classes"], given, file_name)


def _check_positive(classes: list, given: dict[str, Any], file_name: str) -> None:
    positive = given.get("positive_class")
    if positive is None or positive in classes:
        return
    # The data may hold numbers where the option gave text, or the reverse.
    match = [c for c in classes if str(c) == str(positive)]
    if match:
        given["positive_class"] = match[0]
        return
    raise UsageError(
        f"--positive-class {str(positive)!r} is not one of the classes of {file_name}: "
        f"{_list(classes)}"
    )


def _single_score(
    info: dict[str, Any], given: dict[str, Any], out: dict[str, Any], file_name: str
) -> None:
    task = given.get("task")
    if task == "multiclass":
        raise UsageError(
            f"{file_name} has one output column; it can be a regression or a binary "
            "classifier's score, not multiclass"
        )
    if task != "binary":
        for option in ("classes", "positive_class", "threshold"):
            if option in given:
                flag = "--" + option.replace("_", "-")
                what = (
                    "names classes"
                    if option == "classes"
                    else "applies to a binary classifier's score"
                )
                raise UsageError(
                    f"{flag} {what}, but {file_name} has one output column, taken as a "
                    "regression; add --task binary if it is a classifier's score"
                )
        info["task"] = "regression"
        out["task_decided"] = "declared with --task" if task else ONE_COLUMN
        return
    names = given.get("classes", [0, 1])
    if len(names) != 2:
        raise UsageError(
            f"--classes names {len(names)} classes but a binary classifier's single score needs 2"
        )
    info["task"], info["classes"] = "binary", names
    out["task_decided"] = "declared with --task"
    out["classes_decided"] = (
        "declared with --classes; the score is the probability of the second"
        if "classes" in given
        else "class ids 0 and 1; the score is the probability of 1"
    )
    _check_positive(names, given, file_name)
    op = info.get("output_op") or "graph input"
    node = f"{'an' if op[0] in 'AEIOU' else 'a'} {op}"
    if op in PROBABILITY_OPS:
        out["score"] = "probability"
        out["score_decided"] = f"the output comes from {node} node"
    else:
        out["score"] = "logit"
        out["score_decided"] = f"the output comes from {node} node, not a Sigmoid or Softmax"
    out["threshold"] = given.get("threshold", DEFAULT_THRESHOLD)


# --- reading the output (child side, and the engineer's reproduce) ---------------------


def is_single_score(info: dict[str, Any]) -> bool:
    return bool((info.get("output") or {}).get("score"))


def class_ids(info: dict[str, Any]) -> list | None:
    """The classes as the model itself outputs them (its ids when names were declared)."""
    return (info.get("output") or {}).get("class_ids") or info.get("classes")


def read_output(
    info: dict[str, Any], labels: np.ndarray, proba: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """The model's raw labels (or single score) as the declared classes and probabilities."""
    out = info.get("output") or {}
    classes = info.get("classes")
    if out.get("score"):
        score = np.asarray(labels, dtype=np.float64).reshape(len(labels), -1)[:, 0]
        p = 1.0 / (1.0 + np.exp(-score)) if out["score"] == "logit" else score
        chosen = np.where(p >= out.get("threshold", DEFAULT_THRESHOLD), 1, 0)
        return np.asarray(classes, dtype=object)[chosen], np.column_stack((1.0 - p, p))
    ids = out.get("class_ids")
    if not ids:
        return labels, proba
    names = dict(zip(ids, classes or (), strict=True))
    unknown = [v for v in dict.fromkeys(np.asarray(labels).tolist()) if v not in names]
    if unknown:
        raise ModelError(
            f"the model predicted class ids {_list(unknown[:5])}, which the declared classes "
            f"do not name (they name ids {_list(ids)})"
        )
    return np.array([names[v] for v in np.asarray(labels).tolist()], dtype=object), proba


# --- metrics ----------------------------------------------------------------------------


def metric_classes(classes: list | None, positive: Any) -> list | None:
    """``classes`` ordered for the metrics, whose positive class is the last of two."""
    if classes and len(classes) == 2 and positive is not None and positive == classes[0]:
        return [classes[1], classes[0]]
    return classes


def positive_class(record: dict[str, Any]) -> Any:
    """The positive class recorded with a catalog model (None: the second class)."""
    return ((record.get("info") or {}).get("output") or {}).get("positive_class")


def same_declaration(record: dict[str, Any], declared: Any) -> bool:
    """Whether a catalog model was imported with this declaration of task and labels."""
    given = check_declared(declared)
    out = (record.get("info") or {}).get("output") or {}
    recorded = set(out.get("declared") or ())
    if set(given) != recorded:
        return False
    current = {
        "task": record.get("task"),
        "classes": record.get("classes"),
        "positive_class": out.get("positive_class"),
        "threshold": out.get("threshold"),
    }
    return all(str(current[k]) == str(v) for k, v in given.items())


# --- saying it --------------------------------------------------------------------------


def decisions(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(what, how it was decided) rows for the model page and ``baton model show``."""
    info = record.get("info") or {}
    out = info.get("output")
    if not out:
        return []
    rows = [("task", f"{record.get('task')} ({out.get('task_decided')})")]
    if record.get("classes"):
        rows.append(("classes", f"{_list(record['classes'])} ({out.get('classes_decided')})"))
    if out.get("positive_class") is not None:
        rows.append(("positive", f"{out['positive_class']} ({out.get('positive_decided')})"))
    if out.get("score"):
        kind = (
            f"logit: a sigmoid turns it into the probability of {record['classes'][1]}"
            if out["score"] == "logit"
            else f"the probability of {record['classes'][1]}"
        )
        rows.append(("score", f"{kind} ({out.get('score_decided')})"))
        rows.append(("threshold", f"{out.get('threshold')}"))
    return rows


def check_reused(record: dict[str, Any], declared: Any) -> None:
    """A catalog model named where a declaration is given must have been declared so."""
    if check_declared(declared) and not same_declaration(record, declared):
        raise UsageError(
            f"model {record['name']!r} is already in the catalog, read as {record.get('task')}; "
            "--task, --classes, --positive-class and --threshold apply when a model file is "
            "imported: give the file instead of the catalog name"
        )
