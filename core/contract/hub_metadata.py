"""The metadata block at the top of ``card.md``, in the Hugging Face model-card format.

Model hubs, registries and catalog tools read a model card's YAML header (``---`` lines
around it) rather than its prose: the task (``pipeline_tag``), the library, tags, the
datasets and, in ``model-index``, every measured metric with the dataset it was measured
on. Baton writes that header from the contract alone, so it says exactly what the signed
contract says, and ``huggingface_hub.ModelCard.load`` reads it into card data and
evaluation results.

The block is written here rather than by a YAML library on purpose: ``card.md`` is
checked byte for byte against Baton's rendering of the contract (:func:`card.check_card`),
so its bytes must not change with a library's version or options. The subset used is
small and fixed: block mappings and sequences with plain keys, numbers, and every string
double-quoted with JSON's escapes (a JSON string is a valid YAML double-quoted scalar).
``ensure_ascii`` escapes every non-ASCII character, so a name carrying control or bidi
characters cannot reach a terminal or a viewer as raw text, and no user text can end the
block or start a new key.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from baton.core.contract import candidates as cands
from baton.core.contract.targets import TARGET_METRICS
from baton.core.present import METRIC_LABELS, PROBLEM_LABELS

PIPELINE_TAGS = {
    "binary": "tabular-classification",
    "multiclass": "tabular-classification",
    "regression": "tabular-regression",
}
LIBRARY_NAMES = {"skops": "sklearn", "onnx": "onnx"}


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # shortest round-trip form, the same on every machine
    return json.dumps(str(value), ensure_ascii=True)


def _emit(value: Any, indent: int, out: list[str], *, key_prefix: str = "") -> None:
    """Append the YAML lines of a mapping, a sequence or a scalar to ``out``."""
    pad = " " * indent
    if isinstance(value, Mapping):
        first = True
        for key, item in value.items():
            lead = key_prefix if first and key_prefix else pad
            first = False
            if isinstance(item, Mapping | list):
                out.append(f"{lead}{key}:")
                _emit(item, indent + 2, out)
            else:
                out.append(f"{lead}{key}: {_scalar(item)}")
    elif isinstance(value, list):
        # Sequences inside a mapping are written at the mapping's own indentation, as
        # the hub's cards do ("tags:\n- a").
        seq_pad = " " * (indent - 2)
        for item in value:
            if isinstance(item, Mapping):
                _emit(item, indent, out, key_prefix=f"{seq_pad}- ")
            else:
                out.append(f"{seq_pad}- {_scalar(item)}")


def _metric_order(results: Mapping[str, Any]) -> list[str]:
    order = {name: i for i, name in enumerate([*TARGET_METRICS, "max_error"])}
    return sorted(results.get("metrics") or {}, key=lambda m: (order.get(m, len(order)), m))


def _test_dataset(contract: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return next((d for d in contract.get("datasets") or () if d.get("role") == "test"), None)


def _eval_results(contract: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``model-index``: the metrics of the model the card describes (the primary
    candidate) on the test set. The hub reads every entry's results into one flat list,
    so other candidates' figures would be mistaken for this model's; they stay in the
    card's candidates table and in the contract."""
    ident = contract["identity"]
    problem = ident["problem_type"]
    results = contract.get("results") or {}
    metrics = []
    for name in _metric_order(results):
        value = (results["metrics"][name] or {}).get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if not math.isfinite(value):
            continue
        metrics.append({"type": name, "value": float(value), "name": METRIC_LABELS.get(name, name)})
    if not metrics:
        return []
    test = _test_dataset(contract)
    dataset_name = str(test["name"]) if test else "test set"
    return [
        {
            "name": f"{ident['name']} {ident['version']}",
            "results": [
                {
                    "task": {"type": PIPELINE_TAGS[problem], "name": PROBLEM_LABELS[problem]},
                    "dataset": {"name": dataset_name, "type": dataset_name, "split": "test"},
                    "metrics": metrics,
                }
            ],
        }
    ]


def metadata(contract: Mapping[str, Any]) -> dict[str, Any]:
    """The card data, in the order it is written."""
    ident, model = contract["identity"], contract["model"]
    problem = ident["problem_type"]
    formats: list[str] = []
    for candidate in cands.candidates(contract):
        fmt = str(candidate.model.get("format"))
        if fmt not in formats:
            formats.append(fmt)
    data: dict[str, Any] = {}
    library = LIBRARY_NAMES.get(str(model.get("format")))
    if library:
        data["library_name"] = library
    if ident.get("license"):
        data["license"] = ident["license"]
    data["pipeline_tag"] = PIPELINE_TAGS[problem]
    data["tags"] = ["baton", PIPELINE_TAGS[problem], *formats]
    datasets = [str(d["name"]) for d in contract.get("datasets") or () if d.get("name")]
    if datasets:
        data["datasets"] = list(dict.fromkeys(datasets))
    index = _eval_results(contract)
    if index:
        data["model-index"] = index
    return data


def front_matter(contract: Mapping[str, Any]) -> str:
    """The ``---``-fenced YAML block that opens ``card.md``, ending with a blank line."""
    lines: list[str] = []
    _emit(metadata(contract), 0, lines)
    return "---\n" + "\n".join(lines) + "\n---\n\n"
