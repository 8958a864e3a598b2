"""The presentation vocabulary: names, fingerprints and axis ticks. (The figures' one
number style is tested in test_number_style.py.)"""

from __future__ import annotations

import pytest

from baton.core import present as P


def test_fingerprints():
    assert P.format_fingerprint("ab12cd34 ef56") == "AB12 CD34 EF56"
    assert P.short_fingerprint("sha256:" + "ab" * 32) == "abababababab…"
    assert P.short_fingerprint("abc") == "abc"


def test_human_names():
    assert P.METRIC_LABELS["r2"] == "R²"
    assert P.METRIC_LABELS["f1_macro"] == "F1 (macro)"
    assert P.PROBLEM_LABELS["binary"] == "Binary classification"
    assert P.ROLE_LABELS["validation"] == "Validation"
    assert P.VERDICT_LABELS == {"pass": "✓ pass", "fail": "✗ fail", "unmeasured": "— unmeasured"}


@pytest.mark.parametrize(
    ("key", "label"),
    [
        ("roc_auc", "ROC AUC"),
        ("f1_macro", "F1 (macro)"),
        ("latency_p95_ms@32", "Latency p95 at batch size 32"),
        ("throughput_rps@64", "Throughput at batch size 64"),
        ("memory_mb", "Memory"),
        ("params", "Parameters"),
    ],
)
def test_targets_are_named_for_people(key, label):
    assert P.target_label(key) == label


def test_axis_ticks_share_the_fewest_decimals_that_tell_them_apart():
    assert [P.fmt_tick(v, 0.2) for v in (0, 0.2, 0.4)] == ["0.0", "0.2", "0.4"]
    assert [P.fmt_tick(v, 2.5) for v in (0, 2.5, 5.0)] == ["0.0", "2.5", "5.0"]
    assert [P.fmt_tick(v, 500) for v in (0, 1500)] == ["0", "1,500"]
    assert P.fmt_tick(-20, 10) == "\u221220"
    assert P.fmt_tick(-1e-17, 0.1) == "0.0"  # never "-0.0" at the origin
    assert P.fmt_tick(0.25, 0.05, "ms") == "0.25 ms"


def test_latency_and_memory_ticks_carry_a_unit_that_fits_the_axis():
    assert P.fmt_ms_tick(0.25, 0.05, top=0.6) == "250 µs"
    assert P.fmt_ms_tick(12.5, 2.5, top=20) == "12.5 ms"
    assert P.fmt_ms_tick(15_000, 5_000, top=20_000) == "15 s"
    assert P.fmt_mb_tick(0.5, 0.25, top=0.8) == "512 KB"
    assert P.fmt_mb_tick(40, 20, top=100) == "40 MB"
    assert P.fmt_mb_tick(1536, 512, top=2048) == "1.5 GB"


def test_a_count_reads_with_its_noun_in_the_numbers_form():
    assert P.counted(1, "target") == "1 target"
    assert P.counted(0, "target") == "0 targets"
    assert P.counted(12_345, "row") == "12,345 rows"
    assert P.counted(2, "batch", "batches") == "2 batches"
    assert P.counted(1, "batch", "batches") == "1 batch"


def test_drift_figures_read_against_their_marks():
    # PSI to three decimals, compared with 0.1 and 0.25; not four significant figures
    assert P.fmt_psi(7.50612) == "7.506"
    assert P.fmt_psi(0.008493) == "0.008"
    assert P.fmt_psi(0.0006214) == "0.001"
    assert P.fmt_psi(0.0002) == "< 0.001"
    assert P.fmt_psi(0.0) == "0.000"
    assert P.fmt_psi(None) == P.DASH
    assert P.fmt_p_value(0.97841) == "0.9784"
    assert P.fmt_p_value(3e-9) == "< 0.0001"
    assert P.fmt_p_value(None) == P.DASH
