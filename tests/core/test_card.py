"""The model card in Markdown and HTML: the numbers a reader needs, and user text escaped."""

from __future__ import annotations

import copy
import re

import pytest

from baton.core.contract.card import (
    md_escape,
    render_html,
    render_markdown,
    short_fingerprint,
)
from baton.core.contract.document import add_target, reevaluate_targets, set_field
from baton.core.errors import ContractError
from tests.core import test_contract as fixtures

HOSTILE = 'Triage only. <script>alert("x")</script> <img src=x onerror=alert(1)> [click](javascript:alert(1)) | pipes & *stars*'


@pytest.fixture(scope="module")
def binary():
    c = fixtures.make_contract()
    c = add_target(c, "latency_p99_ms@512<=1")  # fails: 2.87 * 2.1 ms
    c = add_target(c, "f1_macro>=0.9")
    c = set_field(c, "targets.0.note", "agreed with the lab | 2025-03")
    c = copy.deepcopy(c)
    c["results"]["metrics"].pop("f1_macro")  # now unmeasured
    return reevaluate_targets(c)


@pytest.fixture(scope="module")
def markdown(binary):
    return render_markdown(binary)


@pytest.fixture(scope="module")
def page(binary):
    return render_html(binary)


def test_markdown_has_identity_and_use(markdown):
    # The metadata block for model hubs comes first (tests/core/test_card_metadata.py),
    # then the card a person reads.
    assert markdown.startswith("---\nlibrary_name: ")
    assert markdown.split("\n---\n\n", 1)[1].startswith("# binary-model 1.0.0\n")
    assert "- **Problem:** Binary classification — classes 0, 1; positive class 1" in markdown
    assert "- **Created:** 2025-03-14 09:30:00 UTC" in markdown
    assert "Ada Lovelace \\<ada@example.org\\> (key " in markdown
    assert (
        "## Intended use\n\nSecond reader for breast-cancer biopsies in the pathology lab."
        in markdown
    )
    assert (
        "## Limitations\n\nTrained on one hospital's data; not validated on other scanners."
        in markdown
    )
    assert "- **Targets:** 4 of 6 pass, 1 fails, 1 unmeasured" in markdown


def test_markdown_metrics_with_intervals(markdown):
    assert "Intervals: 95 % percentile bootstrap, 1,000 resamples, seed 0." in markdown
    assert "| Metric | Value (95 % CI) |" in markdown
    assert "| Accuracy | 0.965 (0.947 – 0.982) |" in markdown
    assert "| ROC AUC | 0.995 (0.989 – 0.999) |" in markdown
    assert "| Log loss | 0.09 (0.06 – 0.13) |"  # its interval is ±0.04 in markdown
    assert "| 0 | 60 | 3 |" in markdown  # confusion matrix
    assert "| 1 | 0.9717 | 0.9717 | 0.9717 | 106 | 0.9524 |" in markdown  # per class


def test_markdown_targets_with_verdicts(markdown):
    assert "| `accuracy>=0.95` | 0.9649 | ✓ pass | agreed with the lab \\| 2025-03 |" in markdown
    assert "| `latency_p95_ms@64<=1` | 542.7 µs | ✓ pass |  |" in markdown
    assert "| `latency_p99_ms@512<=1` | 6.027 ms | ✗ fail |  |" in markdown
    assert "| `f1_macro>=0.9` | — | — unmeasured |  |" in markdown
    assert "| `memory_mb<=64` | 6.150 MB | ✓ pass |  |" in markdown  # 1.9 resident + 4.25 peak


def test_markdown_latency_memory_data_environment(markdown):
    assert (
        "Measured on AMD EPYC 7B13, 2 logical cores, 8.000 GB RAM, Linux-6.1.0-x86_64-with-glibc2.36."
        in markdown
    )
    assert "| Batch | p50 | p90 | p95 | p99 | Rows/s | Samples |" in markdown
    assert "| 1 | 0.1180 | 0.1416 | 0.1593 | 0.2478 | 8,071 | 2,000 |" in markdown
    assert "| 512 | 2.870 | 3.444 | 3.875 | 6.027 | 169,902 | 640 |" in markdown
    assert "- **Resident memory added by loading:** 1.900 MB" in markdown
    assert "- **Peak while predicting:** 4.250 MB" in markdown
    assert "- **Size:** 8.704 KB (8,913 bytes)" in markdown
    assert "### Input features (30)" in markdown
    assert "| `concave points error` | float64 |" in markdown
    fingerprint = fixtures.sha("fp-breast-cancer test-test")[:12] + "…"
    assert short_fingerprint("sha256:" + fixtures.sha("fp-breast-cancer test-test")) == fingerprint
    assert (
        f"| Test | breast-cancer test | 169 | 31 | `target` | `{fingerprint}` | `data/test.parquet` |"
        in markdown
    )
    assert "| Train | breast-cancer train | 400 | 31 | `target` |" in markdown
    assert "| not included |" in markdown
    assert "- **Ground truth:** column “target” of data/test.parquet (169 rows)" in markdown
    assert (
        "- **Predictions:** predictions/test.parquet (169 rows; columns prediction, proba_1)"
        in markdown
    )
    assert "| `scikit-learn` | 1.5.2 |" in markdown
    assert "| `onnxruntime` | not installed |" in markdown


def test_markdown_tables_keep_their_shape(markdown):
    for table in re.findall(r"(?:^\|.*\|\n)+", markdown, flags=re.MULTILINE):
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in table.splitlines()}
        assert len(widths) == 1, table


def test_html_is_self_contained_and_has_the_numbers(page):
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page
    assert "default-src 'none'" in page
    assert "<script" not in page
    assert "http://" not in page and "https://" not in page
    assert "<title>binary-model 1.0.0 — model card</title>" in page
    assert "0.965 (0.947 – 0.982)" in page
    assert '<td class="pass">✓ pass</td>' in page
    assert '<td class="fail">✗ fail</td>' in page
    assert '<td class="unmeasured">— unmeasured</td>' in page
    assert '<td class="num" align="right">169,902</td>' in page
    assert "<code>latency_p95_ms@64&lt;=1</code>" in page


def test_user_text_is_escaped(binary):
    hostile = set_field(binary, "identity.intended_use", HOSTILE)
    hostile = set_field(hostile, "targets.1.note", "<b>bold</b>")
    page = render_html(hostile)
    assert "<script" not in page
    assert "<img" not in page
    assert "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page

    markdown = render_markdown(hostile)
    outside_code = re.sub(r"`[^`]*`", "", markdown)  # code spans show "<" as is, safely
    assert re.search(r"(?<!\\)<", outside_code) is None  # every other "<" is escaped
    assert "\\<script\\>" in markdown
    assert "\\[click\\](javascript:alert(1))" in markdown
    assert "\\*stars\\*" in markdown
    assert "\\<b\\>bold\\</b\\>" in markdown


def test_markdown_escape_keeps_lines_plain():
    assert (
        md_escape("# not a heading\n- not a list\n1. not numbered")
        == "\\# not a heading\n\\- not a list\n1\\. not numbered"
    )
    assert (
        md_escape("snake_case stays readable, _this_ is escaped")
        == "snake_case stays readable, \\_this\\_ is escaped"
    )


def test_multiline_prose_keeps_its_lines(binary):
    c = set_field(binary, "identity.limitations", "First line\nsecond line\n\nNew paragraph")
    assert "First line  \nsecond line\n\nNew paragraph" in render_markdown(c)
    assert '<p class="prose">First line\nsecond line\n\nNew paragraph</p>' in render_html(c)


def test_empty_texts_say_not_stated(binary):
    c = set_field(binary, "identity.limitations", "")
    assert "## Limitations\n\n*Not stated.*" in render_markdown(c)


def test_multiclass_card():
    markdown = render_markdown(fixtures.make_contract("multiclass"))
    assert "Multiclass classification — classes barolo, grignolino, barbera" in markdown
    assert "positive class" not in markdown
    assert "| grignolino | 1 | 69 | 1 |" in markdown
    assert "| `f1_macro>=0.9` |" in markdown
    assert "| `alcalinity_of_ash` | float64 |" in markdown


def test_regression_card():
    c = fixtures.make_contract("regression")
    markdown = render_markdown(c)
    assert "- **Problem:** Regression\n" in markdown
    assert "| MAE | 43.3 (40.4 – 46.1) |" in markdown
    assert "| R² | 0.52 (0.46 – 0.57) |"
    assert "| MAPE | 39 % (36 % – 42 %) |" in markdown  # a share, as a percentage in markdown
    assert "| Max error | 155.8 |" in markdown  # no interval for an extreme
    assert "*max_error has no interval: the bootstrap of an extreme is unreliable*" in markdown
    assert "Confusion matrix" not in markdown
    assert "| `throughput_rps@512>=100000` | 169,902 rows/s | ✓ pass |  |" in markdown
    assert "1,000 resamples, seed 7." in markdown
    assert "R²" in render_html(c)


def test_card_without_targets_or_intervals(binary):
    c = copy.deepcopy(binary)
    c["targets"] = []
    c["results"]["confidence"] = None
    for metric in c["results"]["metrics"].values():
        metric["ci_low"] = metric["ci_high"] = None
    markdown = render_markdown(c)
    assert "*No targets were agreed.*" in markdown
    assert "No confidence intervals were computed." in markdown
    assert "| Accuracy | 0.9649 |" in markdown
    assert "- **Targets:** no targets agreed" in markdown


def test_invalid_contract_is_refused(binary):
    broken = copy.deepcopy(binary)
    broken["identity"]["problem_type"] = "ranking"
    with pytest.raises(ContractError, match="identity.problem_type must be one of"):
        render_markdown(broken)
    with pytest.raises(ContractError, match="identity.problem_type must be one of"):
        render_html(broken)


def test_a_peak_below_the_measurement_s_resolution_is_said_in_words(binary):
    c = copy.deepcopy(binary)
    c["results"]["memory"]["peak_predict_mb"] = 0.0
    markdown = render_markdown(reevaluate_targets(c))
    assert "- **Peak while predicting:** none measurable (under 4 KB)" in markdown
