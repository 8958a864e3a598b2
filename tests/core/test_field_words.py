"""Problems in the words of the editor: a field's label, not its path in contract.json."""

from __future__ import annotations

import pytest

from baton.core.contract.validation import ValidationIssue, field_label


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("identity.intended_use", "Intended use"),
        ("identity.version", "Version"),
        ("predictions", "The predictions on the test set"),
        ("targets[0]", "Target 1"),
        ("targets[2].threshold", "Target 3's threshold"),
        ("targets[0].batch", "Target 1's batch size"),
        ("model.classes", None),  # never typed by hand: the path stays
        ("targets[0].measured", None),
    ],
)
def test_field_labels(path, label):
    assert field_label(path) == label


def test_a_sentence_names_the_field_by_its_label_and_the_message_keeps_the_path():
    issue = ValidationIssue(
        "identity.intended_use", "identity.intended_use is empty: say what the model is for"
    )
    assert issue.sentence == "Intended use is empty: say what the model is for"
    assert issue.message == "identity.intended_use is empty: say what the model is for"
    other = ValidationIssue("model.classes", "model.classes lists a class twice")
    assert other.sentence == other.message
