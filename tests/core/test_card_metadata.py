"""card.md's metadata block, read by the Hugging Face hub's own parser, and the ML-BOM,
validated against the CycloneDX 1.6 JSON schema by the CycloneDX library."""

from __future__ import annotations

import copy
import json

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from huggingface_hub import ModelCard

from baton.core.contract import bom, card, hub_metadata
from baton.core.contract.document import check_contract, set_field
from baton.core.errors import ContractError, VerificationError
from tests.core.test_candidates_pack import two
from tests.core.test_contract import make_contract

KINDS = ("binary", "multiclass", "regression")


def _hub(contract) -> ModelCard:
    return ModelCard(card.render_markdown(contract))


@pytest.mark.parametrize("kind", KINDS)
def test_hub_reads_every_metric_with_its_dataset(kind):
    c = make_contract(kind)
    data = _hub(c).data
    task = "tabular-regression" if kind == "regression" else "tabular-classification"
    assert data.pipeline_tag == task
    assert data.library_name == "sklearn"
    assert data.tags == ["baton", task, "skops"]
    test_set = next(d["name"] for d in c["datasets"] if d["role"] == "test")
    assert test_set in data.datasets
    assert data.model_name == f"{c['identity']['name']} {c['identity']['version']}"
    found = {r.metric_type: r for r in data.eval_results}
    assert set(found) == set(c["results"]["metrics"])
    for name, metric in c["results"]["metrics"].items():
        assert found[name].metric_value == pytest.approx(metric["value"])
        assert found[name].dataset_name == test_set
        assert found[name].dataset_split == "test"
        assert found[name].task_type == task
    assert found[next(iter(found))].metric_name  # a display name, e.g. "Accuracy"
    assert data.license is None


def test_license_when_given_reaches_the_hub_and_the_card():
    c = set_field(make_contract(), "identity.license", "apache-2.0")
    assert _hub(c).data.license == "apache-2.0"
    assert "- **License:** apache-2.0" in card.render_markdown(c)
    with pytest.raises(ContractError, match="license identifier"):
        check_contract(set_field(make_contract(), "identity.license", "MIT\n---"))


def test_the_hub_sees_the_primary_candidate_only():
    c = two()
    data = _hub(c).data
    accuracy = [r.metric_value for r in data.eval_results if r.metric_type == "accuracy"]
    assert accuracy == [pytest.approx(c["results"]["metrics"]["accuracy"]["value"])]


def test_user_text_cannot_break_out_of_the_metadata_block():
    c = copy.deepcopy(make_contract())
    hostile = 'x"\n---\nlicense: evil\n\u202etxt.exe\x1b[31m'
    c["datasets"][0]["name"] = hostile
    block = hub_metadata.front_matter(c)
    assert block.count("\n---\n") == 1 and block.startswith("---\n")
    assert "\x1b" not in block and "\u202e" not in block
    data = ModelCard(block + "body\n").data
    assert data.license is None
    assert hostile in data.datasets  # the exact text, read back as one string


def test_metadata_is_stable_byte_for_byte():
    c = make_contract("multiclass")
    shuffled = json.loads(json.dumps(c, sort_keys=True))
    assert card.card_bytes(shuffled) == card.card_bytes(c)
    assert card.card_bytes(c).startswith(b'---\nlibrary_name: "sklearn"\n')


def test_check_card_takes_the_card_with_or_without_metadata(tmp_path):
    c = make_contract()
    for text in (card.render_markdown(c), card.render_markdown(c, metadata=False)):
        (tmp_path / "card.md").write_text(text, encoding="utf-8", newline="")
        card.check_card(tmp_path, c, "bundle")
    forged = card.render_markdown(c).replace('"sklearn"', '"transformers"')
    (tmp_path / "card.md").write_text(forged, encoding="utf-8", newline="")
    with pytest.raises(VerificationError, match="card.md does not match the contract"):
        card.check_card(tmp_path, c, "bundle")


def test_a_card_packed_before_the_one_number_style_still_verifies(tmp_path):
    """Its figures were written the earlier way (``0.9649 (0.947 – 0.982)``); the bundle
    is as trustworthy, but a card that says other figures is still refused."""
    from baton.core.contract.card_numbers import BEFORE_ONE_STYLE

    c = make_contract()
    for metadata in (True, False):
        text = card.render_markdown(c, metadata=metadata, numbers=BEFORE_ONE_STYLE)
        assert "| Accuracy | 0.9649 (0.947 – 0.982) |" in text
        assert text != card.render_markdown(c, metadata=metadata)
        (tmp_path / "card.md").write_text(text, encoding="utf-8", newline="")
        card.check_card(tmp_path, c, "bundle")
    forged = card.render_markdown(c, numbers=BEFORE_ONE_STYLE).replace("0.9649", "0.9949")
    (tmp_path / "card.md").write_text(forged, encoding="utf-8", newline="")
    with pytest.raises(VerificationError, match="card.md does not match the contract"):
        card.check_card(tmp_path, c, "bundle")


def _valid(doc: str) -> None:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(doc)
    assert error is None, error


@pytest.mark.parametrize("contract", [*KINDS, "two candidates"])
def test_bom_is_valid_cyclonedx_1_6(contract):
    c = two() if contract == "two candidates" else make_contract(contract)
    text = bom.dumps(c)
    _valid(text)
    doc = json.loads(text)
    assert doc["specVersion"] == "1.6"
    models = [x for x in doc["components"] if x["type"] == "machine-learning-model"]
    assert len(models) == (2 if contract == "two candidates" else 1)
    first = models[0]
    assert first["hashes"] == [{"alg": "SHA-256", "content": c["model"]["sha256"]}]
    mc = first["modelCard"]
    assert mc["modelParameters"]["task"] == (
        "regression" if contract == "regression" else "classification"
    )
    datasets = [x for x in doc["components"] if x["type"] == "data"]
    assert {d["ref"] for d in mc["modelParameters"]["datasets"]} == {d["bom-ref"] for d in datasets}
    assert datasets[0]["data"][0]["type"] == "dataset"
    metrics = {m["type"]: m for m in mc["quantitativeAnalysis"]["performanceMetrics"]}
    if contract != "regression":
        acc = c["results"]["metrics"]["accuracy"]
        assert float(metrics["Accuracy"]["value"]) == acc["value"]
        assert float(metrics["Accuracy"]["confidenceInterval"]["lowerBound"]) == acc["ci_low"]
    assert mc["considerations"]["useCases"] == [c["identity"]["intended_use"]]
    assert mc["considerations"]["technicalLimitations"] == [c["identity"]["limitations"]]
    assert bom.dumps(c) == text  # the same handover, the same BOM


def test_bom_of_a_hostile_contract_is_still_valid():
    c = copy.deepcopy(make_contract())
    c["identity"]["intended_use"] = 'Use "this" <script>\u202e\n'
    text = bom.dumps(c)
    _valid(text)
    (model,) = (x for x in json.loads(text)["components"] if "modelCard" in x)
    assert model["modelCard"]["considerations"]["useCases"] == ['Use "this" <script>\u202e']


def test_a_contract_json_file_is_rendered_as_a_draft(tmp_path):
    from baton.core.catalog.store import Catalog
    from baton.core.contract.document import dump_contract
    from baton.core.handover.documents import handover_contract

    c = make_contract()
    path = tmp_path / "contract.json"
    path.write_bytes(dump_contract(c))
    with Catalog(tmp_path / "home") as catalog:
        found = handover_contract(catalog, str(path))
    assert found.source == f"draft {c['identity']['name']}@{c['identity']['version']}"
    assert found.trusted and found.contract["identity"]["id"] == c["identity"]["id"]
