"""A CycloneDX 1.6 ML-BOM of a handover: the model, its datasets and its model card.

Supply-chain tools (dependency trackers, SBOM scanners, audit pipelines) read CycloneDX,
not Baton contracts. The BOM is built with ``cyclonedx-python-lib``: the document, its
metadata, the model and dataset components, their SHA-256 hashes and Baton's properties.
Two parts of the 1.6 schema that the library does not model yet are added to its output
as the schema defines them: the model component's ``modelCard`` (parameters, datasets,
performance metrics with intervals, considerations) and each dataset's ``data`` entry.
The tests validate the result against the CycloneDX 1.6 JSON schema.

Like the card, the BOM is a function of the contract alone: its serial number derives
from the contract's id and model digest, its timestamp is the contract's creation time,
so the same handover always gives the same BOM.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from baton.core.contract import candidates as cands
from baton.core.present import METRIC_LABELS, PROBLEM_LABELS

SPEC_VERSION = "1.6"
TASKS = {"binary": "classification", "multiclass": "classification", "regression": "regression"}
_NAMESPACE = uuid.UUID("6f0b8a52-3c1e-4f59-9a57-2d3f1c0e7b11")


def _ref(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def _created(contract: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(str(contract["identity"]["created"]).replace("Z", "+00:00"))


def _metrics(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name in sorted(results.get("metrics") or {}):
        m = results["metrics"][name] or {}
        value = m.get("value")
        if value is None:
            continue
        metric: dict[str, Any] = {"type": METRIC_LABELS.get(name, name), "value": repr(value)}
        if m.get("ci_low") is not None and m.get("ci_high") is not None:
            metric["confidenceInterval"] = {
                "lowerBound": repr(m["ci_low"]),
                "upperBound": repr(m["ci_high"]),
            }
        metric["slice"] = "test set"
        out.append(metric)
    for row in results.get("latency") or ():
        for key in ("p50_ms", "p95_ms", "p99_ms"):
            if row.get(key) is not None:
                out.append(
                    {
                        "type": f"latency {key[:-3]} (ms)",
                        "value": repr(row[key]),
                        "slice": f"batch size {row['batch_size']}",
                    }
                )
    return out


def _model_card(
    contract: Mapping[str, Any], candidate: cands.Candidate, dataset_refs: list[str]
) -> dict[str, Any]:
    ident = contract["identity"]
    model = candidate.model
    card: dict[str, Any] = {
        "modelParameters": {
            "approach": {"type": "supervised"},
            "task": TASKS[ident["problem_type"]],
            "architectureFamily": str(model.get("framework") or model.get("format")),
            "modelArchitecture": str(model.get("estimator") or model.get("format")),
            "datasets": [{"ref": ref} for ref in dataset_refs],
            "inputs": [{"format": "tabular: " + ", ".join(f["name"] for f in model["features"])}]
            if model.get("features")
            else [],
            "outputs": [{"format": PROBLEM_LABELS[ident["problem_type"]]}],
        },
        "quantitativeAnalysis": {"performanceMetrics": _metrics(candidate.results)},
        "considerations": {},
    }
    if not card["modelParameters"]["inputs"]:
        del card["modelParameters"]["inputs"]
    considerations = card["considerations"]
    if ident["intended_use"].strip():
        considerations["useCases"] = [ident["intended_use"].strip()]
    if ident["limitations"].strip():
        considerations["technicalLimitations"] = [ident["limitations"].strip()]
    targets = [
        f"{t['metric']} {t['op']} {t['threshold']}: {t['verdict']}" for t in candidate.targets
    ]
    if targets:
        considerations["performanceTradeoffs"] = targets
    if not considerations:
        del card["considerations"]
    return card


def build(contract: Mapping[str, Any]) -> dict[str, Any]:
    """The ML-BOM of ``contract`` as a JSON-ready dict (CycloneDX 1.6)."""
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.contact import OrganizationalContact
    from cyclonedx.model.license import LicenseExpression
    from cyclonedx.output.json import JsonV1Dot6

    ident = contract["identity"]
    baton_version = str((contract.get("environment") or {}).get("baton_version") or "unknown")
    datasets = list(contract.get("datasets") or ())
    dataset_refs = [_ref("dataset", str(d["name"])) for d in datasets]

    components: list[Any] = []
    model_refs: list[str] = []
    for candidate in cands.candidates(contract):
        model = candidate.model
        ref = _ref("model", candidate.name)
        model_refs.append(ref)
        props = [
            Property(name="baton:file", value=str(model["file"])),
            Property(name="baton:format", value=str(model["format"])),
        ]
        if model.get("params") is not None:
            props.append(Property(name="baton:parameters", value=str(model["params"])))
        if model.get("framework_version"):
            props.append(
                Property(name="baton:framework_version", value=str(model["framework_version"]))
            )
        if cands.is_multi(contract):
            props.append(Property(name="baton:recommended", value=str(candidate.recommended)))
        components.append(
            Component(
                type=ComponentType.MACHINE_LEARNING_MODEL,
                bom_ref=ref,
                name=candidate.name,
                version=str(ident["version"]),
                description=f"{PROBLEM_LABELS[ident['problem_type']]}: "
                f"{model.get('estimator') or model['format']}",
                hashes=[HashType(alg=HashAlgorithm.SHA_256, content=str(model["sha256"]))],
                licenses=[LicenseExpression(str(ident["license"]))]
                if ident.get("license")
                else None,
                properties=props,
            )
        )
    for dataset, ref in zip(datasets, dataset_refs, strict=True):
        props = [
            Property(name="baton:role", value=str(dataset["role"])),
            Property(name="baton:rows", value=str(dataset.get("rows"))),
            Property(name="baton:fingerprint", value=str(dataset.get("fingerprint"))),
        ]
        if dataset.get("file"):
            props.append(Property(name="baton:file", value=str(dataset["file"])))
        hashes = (
            [HashType(alg=HashAlgorithm.SHA_256, content=str(dataset["sha256"]))]
            if dataset.get("sha256")
            else None
        )
        components.append(
            Component(
                type=ComponentType.DATA,
                bom_ref=ref,
                name=str(dataset["name"]),
                hashes=hashes,
                properties=props,
            )
        )

    top = Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        bom_ref=_ref("handover", str(ident["name"])),
        name=str(ident["name"]),
        version=str(ident["version"]),
        description=ident["intended_use"].strip() or None,
    )
    key = f"{ident['id']}:{contract['model']['sha256']}"
    bom = Bom(
        serial_number=uuid.uuid5(_NAMESPACE, key),
        components=components,
        metadata=BomMetaData(
            component=top,
            timestamp=_created(contract),
            authors=[
                OrganizationalContact(name=str(a["name"]), email=str(a["email"]))
                for a in ident["authors"]
            ],
            properties=[Property(name="baton:contract", value=str(contract["schema"]))],
        ),
    )
    bom.register_dependency(top, components)
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="Baton", version=baton_version)
    )
    doc = json.loads(JsonV1Dot6(bom).output_as_string())

    by_ref = {c.get("bom-ref"): c for c in doc.get("components", [])}
    for candidate in cands.candidates(contract):
        by_ref[_ref("model", candidate.name)]["modelCard"] = _model_card(
            contract, candidate, dataset_refs
        )
    for dataset, ref in zip(datasets, dataset_refs, strict=True):
        entry: dict[str, Any] = {"type": "dataset", "name": str(dataset["name"])}
        if dataset.get("columns"):
            entry["description"] = f"{dataset.get('rows')} rows; columns: " + ", ".join(
                str(col["name"]) for col in dataset["columns"]
            )
        by_ref[ref]["data"] = [entry]
    return doc


def dumps(contract: Mapping[str, Any]) -> str:
    """The ML-BOM as JSON text, keys in a stable order, ending with a newline."""
    return json.dumps(build(contract), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
