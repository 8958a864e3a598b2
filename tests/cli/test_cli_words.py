"""What the command line shows people: headers in words, no word cut in half, metric
names from the one table in core, and help that marks every required option."""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("tests.handover")  # before the import below

from baton.core.cli import base  # noqa: E402
from baton.core.present import METRIC_LABELS  # noqa: E402
from tests.handover import ok, run  # noqa: E402


@pytest.fixture(scope="module")
def desk(tmp_path_factory, files):
    home = tmp_path_factory.mktemp("words") / "home"
    ok(run(home, "keys", "create", "--name", "Dana", "--email", "dana@example.org"))
    ok(run(home, "model", "add", files.lr_skops, "--name", "lr"))
    ok(run(home, "dataset", "add", files.bc_test_csv, "--name", "bc-test", "--target", "target"))
    return home


def test_pack_help_marks_intended_use_as_required(tmp_path):
    text = ok(run(tmp_path, "pack", "--help")).stdout
    option = text[text.index("--intended-use") : text.index("--limitations")]
    assert " ".join(option.split()) == (
        "--intended-use TEXT What the model is for, and for whom (a bundle needs it). [required]"
    )
    drafted = ok(run(tmp_path, "contract", "new", "--help")).stdout  # a draft may lack it
    assert "[required]" not in drafted[drafted.index("--intended-use") :].split("\n")[0]


def test_keys_list_says_fingerprint(desk):
    lines = ok(run(desk, "keys", "list")).stdout.splitlines()
    assert lines[0] == "name  email             status  fingerprint"
    assert len(lines[1].split("mine  ")[1].replace(" ", "")) == 64  # whole, never cut


def test_model_list_shortens_at_a_word(desk):
    lines = ok(run(desk, "model", "list")).stdout.splitlines()
    assert lines[0].rstrip() == (
        "name  format  task    estimator                 parameters  size (bytes)"
    )
    assert lines[1].split()[3] == "Pipeline(StandardScaler…"


def test_evaluate_names_metrics_for_people(desk):
    lines = ok(run(desk, "evaluate", "lr", "bc-test")).stdout.splitlines()
    assert lines[2].split() == ["metric", "value", "95%", "interval"]
    shown = [line.split("  ")[0] for line in lines[3:] if line and not line.startswith(" ")]
    assert "Balanced accuracy" in shown and "ROC AUC" in shown
    assert not set(shown) & (set(METRIC_LABELS) - set(METRIC_LABELS.values()) - {"accuracy"})


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("Pipeline(StandardScaler, LogisticRegression)", "Pipeline(StandardScaler…"),
        ("a" * 45, "a" * 39 + "…"),  # one word longer than the cell: cut, and say so
        ("short enough", "short enough"),
        ("HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1)",
         "HistGradientBoostingClassifier(…"),
    ],
)  # fmt: skip
def test_shorten_cuts_after_a_word(text, short):
    assert base.shorten(text) == short
    assert len(base.shorten(text)) <= base.CELL_WIDTH


def test_table_headers_are_words():
    rows = [{"size_bytes": 1, "fingerprint_grouped": "AB CD"}]
    assert base.table(rows, ["size_bytes", "fingerprint_grouped"]).splitlines()[0] == (
        "size bytes  fingerprint grouped"
    )
    assert base.table(rows, ["size_bytes"], headers={"size_bytes": "size"}).splitlines() == [
        "size",
        "   1",  # a figure, right-aligned under its header
    ]


def test_columns_of_figures_line_up_on_the_right():
    rows = [
        {"metric": "accuracy", "value": "0.9649", "n": "1,204", "latency": "675.8 µs"},
        {"metric": "mcc", "value": "−0.02", "n": "88", "latency": "4.5 ms"},
        {"metric": "f1", "value": None, "n": "12", "latency": "-"},
    ]
    assert base.table(rows, ["metric", "value", "n", "latency"]).splitlines() == [
        "metric     value      n   latency",
        "accuracy  0.9649  1,204  675.8 µs",
        "mcc        −0.02     88    4.5 ms",
        "f1             -     12         -",
    ]
    # a column with a word in it is text: left-aligned
    mixed = [{"verdict": "PASS"}, {"verdict": "12"}]
    assert base.table(mixed, ["verdict"]).splitlines() == ["verdict", "PASS", "12"]
