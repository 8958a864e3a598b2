"""One number style: a formatter per kind of figure (ratio, percentage, count, duration,
size, rate), each showing as many digits as the figure's uncertainty allows, and four
significant ones when it is unknown."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baton.core import present as P
from baton.core.contract.card_numbers import BEFORE_ONE_STYLE

NAN, INF = float("nan"), float("inf")


# --- the digits rule --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "uncertainty", "text"),
    [
        # to the decimal of the uncertainty's first significant digit...
        (0.96432, 0.03, "0.96"),
        (0.96432, 0.0096, "0.964"),
        (0.96432, 0.4, "1.0"),
        (43.277, 3.4, "43"),
        (12345.678, 300, "12,300"),
        (12345.678, 4000, "12,000"),
        # ...one more when that digit is a 1 or a 2, as physicists write 0.96 ± 0.012
        (0.96432, 0.012, "0.964"),
        (0.96432, 0.025, "0.964"),
        (12345.678, 150, "12,350"),
        (0.5, 0.2, "0.50"),
        # a figure smaller than its uncertainty is rounded to it, never "-0.0"
        (-0.0004, 0.03, "0.00"),
        (0, 0.03, "0.00"),
        (-1.5, 0.3, "-1.5"),
        # no usable uncertainty: four significant digits
        (0.96432, None, "0.9643"),
        (0.96432, 0, "0.9643"),
        (0.96432, NAN, "0.9643"),
        (0.96432, INF, "0.9643"),
    ],
)
def test_digits_follow_the_uncertainty(value, uncertainty, text):
    assert P.fmt_ratio(value, uncertainty) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "—"),
        (NAN, "NaN"),
        (INF, "∞"),
        (-INF, "−∞"),
        (0, "0"),
        (0.0, "0"),
        (-0.0, "0"),
        (0.96489, "0.9649"),
        (-0.5, "-0.5000"),
        (1, "1.000"),
        (9.99996, "10.00"),  # rounding up adds a place, not a digit
        (52.314, "52.31"),
        (999.96, "1,000"),
        (12345.678, "12,346"),  # every digit of a whole part
        (-123456.0, "-123,456"),
        (0.0001234, "0.0001234"),
        (0.00001234, "1.234e-5"),  # tiny figures with an exponent...
        (1e20, "1.000e20"),  # ...and huge ones
    ],
)
def test_without_uncertainty_four_significant_digits(value, text):
    assert P.fmt_ratio(value) == text


def test_an_interval_has_the_decimals_of_its_value():
    assert P.fmt_interval(0.96491, 0.94737, 0.98246) == "0.965 (0.947 – 0.982)"
    assert P.fmt_interval(0.96, 0.93, 0.99) == "0.96 (0.93 – 0.99)"
    assert P.fmt_interval(43.277, 40.41, 46.1) == "43.3 (40.4 – 46.1)"
    assert P.fmt_interval(12345.6, 11000.0, 13000.0) == "12,300 (11,000 – 13,000)"
    # a degenerate interval (every resample agrees) has the value's own four digits
    assert P.fmt_interval(1.0, 1.0, 1.0) == "1.000 (1.000 – 1.000)"
    assert P.fmt_interval(0.5, None, None) == "0.5000"
    assert P.fmt_interval(None, 0.1, 0.2) == "—"
    assert P.fmt_bounds(0.94737, 0.98246) == "0.947 – 0.982"
    assert P.fmt_bounds(None, 0.98) == "—"
    # a share as a percentage, the interval in points
    assert P.fmt_interval(0.4296, 0.41, 0.45, share=True) == "43.0 % (41.0 % – 45.0 %)"
    assert P.fmt_interval(0.4296, 0.37, 0.49, share=True) == "43 % (37 % – 49 %)"


# --- each kind --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "uncertainty", "text"),
    [
        (None, None, "—"),
        (0.99851, None, "99.85 %"),
        (1.0, None, "100 %"),  # all of them, exactly
        (0.999996, None, "100.0 %"),  # nearly all: the rounding shows
        (0, None, "0 %"),
        (-0.1, None, "-10.00 %"),
        (12.5, None, "1,250 %"),
        (0.4296, 0.02, "43.0 %"),
        (NAN, None, "NaN"),
    ],
)
def test_percentages(value, uncertainty, text):
    assert P.fmt_percent(value, uncertainty) == text


@pytest.mark.parametrize(
    ("value", "uncertainty", "text"),
    [
        (None, None, "—"),
        (0, None, "0"),
        (0.0, None, "0"),  # an integer target read back from JSON: never "0.0000"
        (2250.0, None, "2,250"),
        (12345, None, "12,345"),
        (-7, None, "-7"),
        (10**18, None, "1,000,000,000,000,000,000"),
        (12.6, None, "13"),  # never decimals
        (12345, 300, "12,300"),
        (12345, 0.5, "12,345"),
        (NAN, None, "NaN"),
    ],
)
def test_counts(value, uncertainty, text):
    assert P.fmt_count(value, uncertainty) == text


@pytest.mark.parametrize(
    ("ms", "uncertainty", "text"),
    [
        (None, None, "—"),
        (0, None, "0 µs"),
        (0.45, None, "450.0 µs"),
        (0.118, None, "118.0 µs"),
        (12.345, None, "12.35 ms"),
        (1234.56, None, "1,235 ms"),
        (12_345, None, "12.35 s"),
        (-3.0, None, "-3.000 ms"),
        (12.345, 0.3, "12.3 ms"),
        (0.45, 0.012, "450 µs"),
        (INF, None, "∞"),
    ],
)
def test_durations(ms, uncertainty, text):
    assert P.fmt_duration(ms, uncertainty) == text


def test_a_duration_under_a_column_that_names_ms_keeps_the_digits_rule():
    assert P.fmt_duration(0.45, unit=False) == "0.4500"
    assert P.fmt_duration(1234.56, unit=False) == "1,235"
    assert P.fmt_duration(12.345, 0.3, unit=False) == "12.3"


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (None, "—"),
        (0, "0 B"),
        (512, "512 B"),
        (36556, "35.70 KB"),
        (8913, "8.704 KB"),
        (-(2**20), "-1.000 MB"),
        (5 * 2**30, "5.000 GB"),
        (2**50, "1,024 TB"),
        (NAN, "NaN"),
    ],
)
def test_sizes_count_in_powers_of_1024(size, text):
    assert P.fmt_size(size) == text


def test_rates():
    assert P.fmt_rate(12345.6) == "12,346 rows/s"
    assert P.fmt_rate(52.34) == "52.34 rows/s"
    assert P.fmt_rate(0.5) == "0.5000 rows/s"
    assert P.fmt_rate(169902.4, unit=False) == "169,902"
    assert P.fmt_rate(None) == "—"


def test_a_peak_below_one_page_says_so_rather_than_zero():
    assert P.fmt_peak_mb(0) == P.fmt_peak_mb(0.0) == "none measurable (under 4 KB)"
    assert P.fmt_peak_mb(4.25) == "4.250 MB"
    assert P.fmt_peak_mb(0.5) == "512.0 KB"
    assert P.fmt_peak_mb(None) == P.DASH


@pytest.mark.parametrize(
    ("metric", "value", "text"),
    [
        ("accuracy", 0.96491, "0.9649"),
        ("mape", 0.4296, "42.96 %"),
        ("latency_p95_ms@64", 0.5432, "543.2 µs"),
        ("latency_p99_ms", 6.03, "6.030 ms"),
        ("throughput_rps@512", 169902.4, "169,902 rows/s"),
        ("memory_mb", 6.15, "6.150 MB"),
        ("model_size_mb", 0.0085, "8.704 KB"),
        ("params", 0.0, "0"),
        ("params", 2250.0, "2,250"),
        ("accuracy", None, "—"),
    ],
)
def test_a_target_s_figure_is_written_in_its_kind(metric, value, text):
    assert P.fmt_target_value(metric, value) == text


def test_a_threshold_is_exact_and_claims_no_digits_it_does_not_have():
    assert P.fmt_target_value("accuracy", 0.9, exact=True) == "0.9"
    assert P.fmt_target_value("latency_p95_ms", 50, exact=True) == "50 ms"
    assert P.fmt_target_value("memory_mb", 512, exact=True) == "512 MB"
    assert P.fmt_target_value("params", 100_000, exact=True) == "100,000"
    assert P.fmt_target_value("accuracy", 0.955, exact=True) == "0.955"


def test_a_difference_carries_its_sign():
    assert P.fmt_difference(0.0123) == "+0.01230"
    assert P.fmt_difference(-0.03, 0.01) == "-0.030"
    assert P.fmt_difference(0) == "0"
    assert P.fmt_difference(0.0001, 0.03) == "0.00"  # rounds to nothing: no sign
    assert P.fmt_difference(None) == "—"


# --- formatting then reading back -------------------------------------------------------

_UNITS = {
    "": 1.0,
    "%": 0.01,
    "µs": 0.001,
    "ms": 1.0,
    "s": 1000.0,
    "B": 1.0,
    "KB": 2.0**10,
    "MB": 2.0**20,
    "GB": 2.0**30,
    "TB": 2.0**40,
    "rows/s": 1.0,
}


def _read(text: str) -> tuple[float, float]:
    """The figure a text shows, and the step of its last digit (both in the unit the
    formatter was given)."""
    number, _, unit = text.partition(" ")
    scale = _UNITS[unit]
    mantissa, _, exponent = number.replace(",", "").partition("e")
    decimals = len(mantissa.partition(".")[2])
    power = int(exponent or 0)
    return float(mantissa) * 10.0**power * scale, 10.0 ** (power - decimals) * scale


_figures = st.floats(
    min_value=-1e18, max_value=1e18, allow_nan=False, allow_infinity=False, allow_subnormal=False
)
_uncertainties = st.none() | st.floats(min_value=1e-9, max_value=1e6)


@pytest.mark.parametrize(
    "kind",
    [P.fmt_ratio, P.fmt_percent, P.fmt_duration, P.fmt_size, P.fmt_rate],
    ids=lambda f: f.__name__,
)
@given(value=_figures, uncertainty=_uncertainties)
def test_formatting_then_reading_back_is_within_the_precision_shown(kind, value, uncertainty):
    text = kind(value, uncertainty)
    shown, step = _read(text)
    # within half the last digit shown, or half the uncertainty when that rounded to tens
    allowed = max(step, uncertainty or 0) / 2
    assert math.isclose(shown, value, rel_tol=1e-12, abs_tol=allowed * (1 + 1e-9))


@given(value=st.integers(min_value=-(10**20), max_value=10**20) | _figures)
def test_a_count_reads_back_to_the_nearest_whole(value):
    text = P.fmt_count(value)
    assert re.fullmatch(r"-?\d{1,3}(,\d{3})*", text), text
    assert abs(int(text.replace(",", "")) - value) <= 0.5 + abs(value) * 1e-15


@given(value=_figures, uncertainty=st.floats(min_value=1e-6, max_value=1e3))
def test_an_interval_s_ends_have_the_decimals_of_its_value(value, uncertainty):
    text = P.fmt_interval(value, value - uncertainty, value + uncertainty)
    figure, _, rest = text.partition(" (")
    low, _, high = rest.removesuffix(")").partition(" – ")
    if "e" in figure:
        return  # a figure written with an exponent: the decimals are the mantissa's
    places = {len(t.partition(".")[2]) for t in (figure, low, high) if "e" not in t}
    assert len(places) == 1, text


# --- the earlier card's figures ---------------------------------------------------------


def test_the_earlier_card_style_still_prints_as_it_did():
    """Bundles packed before the one number style carry these strings in card.md, and
    verifying them renders the card again in that style: it must never change."""
    n = BEFORE_ONE_STYLE
    assert n.metric("accuracy", 0.96491, 0.94737, 0.98246) == "0.9649 (0.947 – 0.982)"
    assert n.metric("mae", 43.277, 40.41, 46.1) == "43.28 (40.4 – 46.1)"
    assert n.metric("mae", 12345.6, 11000.0, 13000.0) == "12,346 (11,000 – 13,000)"
    assert n.metric("accuracy", 0.5, None, None) == "0.5000"
    assert n.ratio(0) == "0.0000"
    assert [n.ms(v) for v in (0.45, 12.345, 1234.56)] == ["0.450", "12.35", "1,234.6"]
    assert [n.rate(v) for v in (52.34, 12345.6)] == ["52.3", "12,346"]
    assert [n.size(v) for v in (512, 36556, 5 * 2**30)] == ["512 B", "35.7 KB", "5.0 GB"]
    assert n.size_mb(0.5) == "512.0 KB"
    assert n.peak_mb(0) == "none measurable (under 4 KB)"
    assert n.peak_mb(4.25) == "4.2 MB"
    assert n.measured("latency_p95_ms", 0.5432) == "0.543 ms"
    assert n.measured("throughput_rps", 169902.4) == "169,902 rows/s"
    assert n.measured("memory_mb", 6.15) == "6.2 MB"
    assert n.measured("params", 2250.0) == "2,250"
    assert n.measured("accuracy", 0.96491) == "0.9649"
    assert n.count(12345) == "12,345"


def test_a_tolerance_a_person_set_is_exact():
    assert P.fmt_ratio(0.0001, exact=True) == "0.0001"
    assert P.fmt_ratio(0.5, exact=True) == "0.5"
    assert P.fmt_ratio(1500.0, exact=True) == "1,500"
    assert P.fmt_ratio(0.0001) == "0.0001000"
    assert P.fmt_size(2**30, exact=True) == "1 GB"  # a limit
    assert P.fmt_size(3000, exact=True) == "2.93 KB"
