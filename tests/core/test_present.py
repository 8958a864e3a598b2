"""The presentation vocabulary prints exactly what the card, the command line and the
desktop have always printed, edge cases included (the card's figures are part of the
bundle format: a bundle's card.md is checked byte for byte)."""

from __future__ import annotations

import pytest

from baton.core import present as P

NAN, INF = float("nan"), float("inf")


def _cases(fn, pairs):
    return [pytest.param(fn, value, text, id=f"{fn.__name__}({value!r})") for value, text in pairs]


CASES = [
    # The card.
    *_cases(
        P.fmt_metric,
        [
            (None, "—"),
            (0, "0.0000"),
            (0.96489, "0.9649"),
            (-0.5, "-0.5000"),
            (52.314, "52.31"),
            (12345.0, "12,345"),
            (1e12, "1,000,000,000,000"),
            (NAN, "nan"),
        ],
    ),
    *_cases(
        P.fmt_ms_figure,
        [
            (None, "—"),
            (0, "0.000"),
            (0.45, "0.450"),
            (12.345, "12.35"),
            (1234.56, "1,234.6"),
            (-3.0, "-3.000"),
            (1e9, "1,000,000,000.0"),
            (NAN, "nan"),
        ],
    ),
    *_cases(
        P.fmt_throughput,
        [
            (None, "—"),
            (0, "0.0"),
            (52.34, "52.3"),
            (12345.6, "12,346"),
            (-250.0, "-250.0"),
            (1e12, "1,000,000,000,000"),
            (NAN, "nan"),
        ],
    ),
    *_cases(
        P.fmt_count,
        [(None, "—"), (0, "0"), (12345, "12,345"), (-7, "-7"), (10**15, "1,000,000,000,000,000")],
    ),
    *_cases(
        P.fmt_size,
        [
            (None, "—"),
            (0, "0 B"),
            (512, "512 B"),
            (36556, "35.7 KB"),
            (-(2**20), "-1.0 MB"),
            (5 * 2**30, "5.0 GB"),
            (2**50, "1,048,576.0 GB"),
            (NAN, "nan B"),
        ],
    ),
    *_cases(
        P.fmt_size_mb,
        [
            (None, "—"),
            (0, "0 B"),
            (0.5, "512.0 KB"),
            (256, "256.0 MB"),
            (-1, "-1.0 MB"),
            (1e7, "9,765.6 GB"),
            (NAN, "nan B"),
        ],
    ),
    # The screen.
    *_cases(
        P.fmt_number,
        [
            (None, "—"),
            (True, "yes"),
            (False, "no"),
            (0, "0"),
            (12345, "12,345"),
            (-3, "-3"),
            (0.0, "0.0000"),
            (0.97891, "0.9789"),
            (43.2812, "43.28"),
            (512.34, "512.3"),
            (123456.7, "123,457"),
            (-0.5, "-0.5000"),
            (0.00012, "0.00012"),
            (1e30, "1,000,000,000,000,000,019,884,624,838,656"),
            (NAN, "NaN"),
            (INF, "∞"),
            (-INF, "−∞"),
            ("n/a", "n/a"),
        ],
    ),
    *_cases(
        P.fmt_ms,
        [
            (None, "—"),
            (0, "0 µs"),
            (0.45, "450 µs"),
            (1.234, "1.23 ms"),
            (12.34, "12.3 ms"),
            (1234.5, "1,234 ms"),
            (-2.0, "-2000 µs"),
            (1e9, "1,000,000,000 ms"),
            (NAN, "nan µs"),
        ],
    ),
    *_cases(
        P.fmt_bytes,
        [
            (None, "—"),
            (0, "0 bytes"),
            (512, "512 bytes"),
            (1023, "1,023 bytes"),
            (1024, "1.0 KB"),
            (36556, "35.7 KB"),
            (5 * 2**20, "5.0 MB"),
            (3 * 2**40, "3.0 TB"),
            (2**60, "1048576.0 TB"),
            (-2048, "-2,048 bytes"),
            (NAN, "nan TB"),
        ],
    ),
    *_cases(
        P.fmt_mb,
        [
            (None, "—"),
            (0, "0 MB"),
            (0.0, "0 MB"),
            (0.5, "512.0 KB"),
            (256, "256.0 MB"),
            (-1, "-1,048,576 bytes"),
            (1e9, "953.7 TB"),
            (NAN, "nan TB"),
        ],
    ),
    *_cases(
        P.fmt_percent,
        [
            (None, "—"),
            (0, "0.00 %"),
            (1, "100 %"),
            (0.99851, "99.85 %"),
            (-0.1, "-10.00 %"),
            (12.5, "1250.00 %"),
            (NAN, "nan %"),
        ],
    ),
    *_cases(
        P.fmt_when,
        [
            (None, "—"),
            ("", "—"),
            ("2026-01-02T03:04:05Z", "2026-01-02 03:04 UTC"),
            ("2026-01-02", "2026-01-02"),
        ],
    ),
    # The command line.
    *_cases(
        P.fmt_cli_number,
        [
            (None, ""),
            (0, "0"),
            (0.964912, "0.9649"),
            (-0.5, "-0.5"),
            (9999.5, "1e+04"),
            (12345.6, "12,346"),
            (-123456.0, "-123,456"),
            (1e20, "100,000,000,000,000,000,000"),
            (NAN, "nan"),
        ],
    ),
]


@pytest.mark.parametrize(("fn", "value", "text"), CASES)
def test_each_figure_prints_as_it_always_has(fn, value, text):
    assert fn(value) == text


def test_the_card_interval_is_one_decimal_shorter_and_falls_back_to_the_value():
    assert P.fmt_interval(0.9649, 0.947, 0.982) == "0.9649 (0.947 – 0.982)"
    assert P.fmt_interval(12345.0, 12000.0, 13000.0) == "12,345 (12,000 – 13,000)"
    assert P.fmt_interval(None, 0.1, 0.2) == "—"
    assert P.fmt_interval(0.5, None, 0.6) == "0.5000"


def test_screen_numbers_honour_the_digits_asked_for():
    assert P.fmt_number(0.123456, digits=2) == "0.12"
    assert P.fmt_number(0.001, digits=2) == "0.001"


def test_sizes_and_durations_that_differ_by_place_keep_their_own_names():
    # The card writes latency under a column headed "ms"; a screen carries the unit.
    assert (P.fmt_ms_figure(0.45), P.fmt_ms(0.45)) == ("0.450", "450 µs")
    assert (P.fmt_size(512), P.fmt_bytes(512)) == ("512 B", "512 bytes")
    # Throughput (rows/s) and a percentage are different things with different names.
    assert (P.fmt_throughput(0.5), P.fmt_percent(0.5)) == ("0.5", "50.00 %")


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


def test_a_peak_below_one_page_says_so_rather_than_zero():
    assert P.fmt_peak_mb(0) == P.fmt_peak_mb(0.0) == "none measurable (under 4 KB)"
    assert P.fmt_peak_mb(4.25) == "4.2 MB"
    assert P.fmt_peak_mb(4.25, P.fmt_size_mb) == "4.2 MB"
    assert P.fmt_peak_mb(None) == P.DASH


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
