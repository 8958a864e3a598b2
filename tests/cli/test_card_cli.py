"""``baton card`` and ``baton bom``: a packed or received bundle's model card and ML-BOM,
read from the bundle file (verified first) or from the catalog by name."""

from __future__ import annotations

import json
import zipfile

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from huggingface_hub import ModelCard

from tests.handover import NAME, VERSION, World, error_line, make_world, ok, run

pytest_plugins = ["tests.handover"]  # its fixtures: handover, world


@pytest.fixture(scope="module")
def w(handover, tmp_path_factory) -> World:
    return make_world(handover, tmp_path_factory.mktemp("card-world"))


def test_card_of_a_received_bundle_is_the_signed_card_md(w):
    out = w.path("card.md")
    result = ok(run(w.mle, "card", w.bundle, "--out", out))
    assert result.stderr.strip() == f"Wrote {out} from the bundle {w.bundle.name}, signed by Dana"
    signed = zipfile.ZipFile(w.bundle).read("card.md")
    assert out.read_bytes() == signed
    data = ModelCard.load(out).data
    assert data.library_name == "sklearn"
    assert any(r.metric_type == "accuracy" for r in data.eval_results)


def test_card_html_and_stdout(w):
    page = w.path("card.html")
    ok(run(w.mle, "card", w.bundle, "--html", "--out", page))
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    printed = ok(run(w.mle, "card", w.bundle)).stdout
    assert printed.startswith("---\nlibrary_name:")
    assert f"# {NAME} {VERSION}" in printed


def test_card_of_a_packed_handover_by_name(w):
    result = ok(run(w.ds, "card", f"{NAME}@{VERSION}", "--out", w.path("mine.md")))
    assert f"from the handover {NAME}@{VERSION} (packed here)" in result.stderr
    assert w.path("mine.md").read_bytes() == zipfile.ZipFile(w.bundle).read("card.md")


def test_bom_of_a_bundle_is_valid_cyclonedx(w):
    out = w.path("bundle.cdx.json")
    ok(run(w.mle, "bom", w.bundle, "--out", out))
    text = out.read_text(encoding="utf-8")
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    (model,) = (c for c in doc["components"] if c["type"] == "machine-learning-model")
    assert model["name"] == NAME
    assert doc["metadata"]["component"]["name"] == NAME


def test_an_untrusted_signer_is_rendered_with_a_warning_and_exit_3(w):
    out = w.path("stranger.md")
    result = ok(run(w.stranger, "card", w.bundle, "--out", out), 3)
    assert "signed by an untrusted key" in result.stderr
    assert "Warning: model.sig is signed by a key you do not trust" in result.stderr
    assert out.is_file()


def test_bad_references_are_usage_errors(w):
    missing = ok(run(w.mle, "bom", w.path("gone.baton"), "--out", w.path("x.json")), 2)
    assert error_line(missing) == f"Error: {w.path('gone.baton')}: no such file"
    unknown = ok(run(w.mle, "card", "nobody@9"), 2)
    assert error_line(unknown) == (
        "Error: no bundle file, handover or draft called 'nobody@9': give a .baton file, "
        "or NAME@VERSION of a draft or a handover packed or received here"
    )
    assert not w.path("x.json").exists()
