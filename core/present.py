"""How Baton writes things for people: one vocabulary for the card, the command line and
the desktop.

Numbers have one style everywhere (see "figures" below): one formatter per kind of
figure, with as many digits as the figure's uncertainty allows. The command line's
``--json`` carries the raw numbers, never these texts.

Sizes everywhere count 1 MB as 2**20 bytes, as the profiler measures them.
"""

from __future__ import annotations

import math
import re
from typing import Any

DASH = "—"

# --- names ------------------------------------------------------------------------------

#: Human names of the quality metrics (the keys are :mod:`baton.core.measure.metrics`').
METRIC_LABELS = {
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "precision": "Precision",
    "recall": "Recall",
    "specificity": "Specificity",
    "f1": "F1",
    "f1_macro": "F1 (macro)",
    "f1_weighted": "F1 (weighted)",
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC",
    "log_loss": "Log loss",
    "mcc": "MCC",
    "mae": "MAE",
    "rmse": "RMSE",
    "r2": "R²",
    "mape": "MAPE",
    "max_error": "Max error",
}


#: Human names of the other figures a target may name (the keys are core.contract.targets').
TARGET_METRIC_LABELS = {
    "latency_p50_ms": "Latency p50",
    "latency_p90_ms": "Latency p90",
    "latency_p95_ms": "Latency p95",
    "latency_p99_ms": "Latency p99",
    "throughput_rps": "Throughput",
    "memory_mb": "Memory",
    "model_size_mb": "Model size",
    "params": "Parameters",
}


def target_label(key: str) -> str:
    """A target as people name it: ``roc_auc`` -> ROC AUC, ``latency_p95_ms@32`` -> Latency
    p95 at batch size 32."""
    metric, _, batch = key.partition("@")
    name = METRIC_LABELS.get(metric) or TARGET_METRIC_LABELS.get(metric, metric)
    return f"{name} at batch size {batch}" if batch else name


#: Metrics that are a share of the true value, shown as a percentage (43 %, not 0.43).
SHARE_METRICS = frozenset({"mape"})


#: For a multiclass model these are macro averages over the classes (``f1`` is ``f1_macro``).
MACRO_WHEN_MULTICLASS = frozenset({"precision", "recall", "specificity", "f1"})


def metric_label(name: str, task: str | None = None) -> str:
    """A metric's name for people (``balanced_accuracy`` -> Balanced accuracy); for a
    multiclass model the averaged ones say so (Precision (macro))."""
    if task == "multiclass" and name in MACRO_WHEN_MULTICLASS:
        return f"{METRIC_LABELS.get(name, name).removesuffix(' (macro)')} (macro)"
    return METRIC_LABELS.get(name, name)


#: The labels of the contract fields a person fills in, by their path in contract.json
#: (the desktop's editor and export dialog speak of fields by these).
FIELD_LABELS = {
    "identity.name": "Name",
    "identity.version": "Version",
    "identity.intended_use": "Intended use",
    "identity.limitations": "Limitations",
    "identity.authors": "Authors",
    "identity.license": "License",
    "predictions": "The predictions on the test set",
}
TARGET_FIELD_LABELS = {
    "metric": "metric",
    "op": "comparison",
    "threshold": "threshold",
    "batch": "batch size",
    "tolerance": "tolerance",
    "note": "note",
}
PROBLEM_LABELS = {
    "binary": "Binary classification",
    "multiclass": "Multiclass classification",
    "regression": "Regression",
}
ROLE_LABELS = {"train": "Train", "validation": "Validation", "test": "Test"}
VERDICT_LABELS = {
    "pass": "✓ pass",
    "fail": "✗ fail",
    "unmeasured": "— unmeasured",
}  # plain marks: render without an emoji font


def format_fingerprint(hex_fingerprint: str) -> str:
    """``"ab12cd34..."`` as ``"AB12 CD34 ..."``: upper case, groups of four."""
    text = "".join(hex_fingerprint.split()).upper()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def short_fingerprint(text: str, length: int = 12) -> str:
    """``sha256:ab12…`` -> ``ab12cd34ef56…``: enough to tell datasets apart at a glance."""
    digest = text.rpartition(":")[2]
    return digest if len(digest) <= length else digest[:length] + "…"


# --- figures ----------------------------------------------------------------------------
#
# One formatter per kind of figure, the same on the card, the command line and the
# desktop: a ratio or score (:func:`fmt_ratio`), a percentage (:func:`fmt_percent`), a
# count (:func:`fmt_count`), a duration (:func:`fmt_duration`), a size (:func:`fmt_size`)
# and a rate (:func:`fmt_rate`). Each shows as many digits as the figure can support:
#
# * given its ``uncertainty`` (the half-width of its interval, :func:`half_width`), to the
#   decimal of the uncertainty's first significant digit, one more when that digit is a 1
#   or a 2 (``0.96`` ± 0.03, ``0.963`` ± 0.012);
# * without one, :data:`SIGNIFICANT` significant digits (``0.9649``, ``52.31``), and every
#   digit of a whole part (``12,345``).
#
# An absent figure is :data:`DASH`; not-a-number ``NaN``; an infinite one ``∞``.

#: Significant digits of a figure whose uncertainty is unknown.
SIGNIFICANT = 4

#: Bytes in a KB, an MB, a GB: sizes count in powers of 1024, as the profiler measures them.
KB, MB, GB = 2**10, 2**20, 2**30

# Below 10**-4 and from 10**15 up a figure is written with an exponent: 1.234e-7.
_SMALLEST_FIXED, _LARGEST_FIXED = -4, 15


def _exponent(x: float, significant: int) -> tuple[int, int]:
    """``(first digit, power of ten)`` of ``|x|`` rounded to ``significant`` digits; read
    from Python's own rounding, so 0.03 is ``(3, -2)`` and never ``(2, -2)``."""
    mantissa, _, exponent = f"{abs(x):.{max(significant - 1, 0)}e}".partition("e")
    return int(mantissa[0]), int(exponent)


def _usable(uncertainty: Any) -> float | None:
    if uncertainty is None:
        return None
    u = abs(float(uncertainty))
    return u if math.isfinite(u) and u > 0 else None


def figure_decimals(value: float, uncertainty: float | None = None) -> int:
    """How many decimals ``value`` is shown with; negative to round to tens (-1),
    hundreds (-2)... when an uncertainty says the units are noise."""
    u = _usable(uncertainty)
    if u is not None:
        lead, power = _exponent(u, 7)
        return -power + (1 if lead in (1, 2) else 0)
    if value == 0 or not math.isfinite(value):
        return 0
    _, power = _exponent(value, SIGNIFICANT)
    return max(SIGNIFICANT - 1 - power, 0)


def _special(value: Any) -> str | None:
    """The text of an absent, not-a-number or infinite figure; None for any other."""
    if value is None:
        return DASH
    v = float(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    return None


def _figure(value: float, uncertainty: float | None = None, decimals: int | None = None) -> str:
    """A finite ``value`` by the digits rule, or to ``decimals`` when given."""
    d = figure_decimals(value, uncertainty) if decimals is None else decimals
    if value != 0:
        _, power = _exponent(value, SIGNIFICANT)
        if power < _SMALLEST_FIXED or power >= _LARGEST_FIXED:
            known = decimals is not None or _usable(uncertainty) is not None
            digits = max(power + d + 1, 1) if known else SIGNIFICANT
            mantissa, _, exponent = f"{value:.{digits - 1}e}".partition("e")
            return f"{mantissa}e{int(exponent)}"
    if d < 0:
        value = round(value, d)
    text = f"{value:,.{max(d, 0)}f}"
    if text.startswith("-") and text.strip("-0.,") == "":
        text = text[1:]  # no "-0.00" for a figure that rounds to zero
    return text


_EXTRA_ZEROS = re.compile(r"\.(\d*?)0+(?![\d,])")


def _drop_zeros(match: re.Match[str]) -> str:
    return "." + match[1] if match[1] else ""


def half_width(low: Any, high: Any) -> float | None:
    """The uncertainty an interval ``[low, high]`` gives its figure: half its width."""
    if low is None or high is None:
        return None
    width = abs(float(high) - float(low)) / 2
    return width if math.isfinite(width) else None


def fmt_ratio(value: Any, uncertainty: Any = None, exact: bool = False) -> str:
    """A unitless figure, such as a score (accuracy, F1, R², RMSE) or a ratio:
    ``0.9649``, ``52.31``, ``12,345``; ``0.96`` with an uncertainty of 0.03. An ``exact``
    one (a tolerance a person set) without the trailing zeros: ``0.0001``."""
    special = _special(value)
    if special is not None:
        return special
    text = _figure(float(value), _usable(uncertainty))
    return _EXTRA_ZEROS.sub(_drop_zeros, text) if exact else text


def fmt_percent(share: Any, uncertainty: Any = None) -> str:
    """A share of 1 (agreement, MAPE) as a percentage: ``99.85 %``, ``43 %`` give or
    take 2 points; exactly all of it ``100 %``."""
    special = _special(share)
    if special is not None:
        return special
    pct = float(share) * 100
    if pct == 100:
        return "100 %"
    u = _usable(uncertainty)
    return f"{_figure(pct, None if u is None else u * 100)} %"


def fmt_psi(value: Any) -> str:
    """A population stability index, read against its marks of 0.1 and 0.25: three
    decimals (``0.008``, ``7.506``), ``< 0.001`` for a smaller one that is not zero."""
    special = _special(value)
    if special is not None:
        return special
    v = float(value)
    return "< 0.001" if 0 < v < 0.0005 else f"{v:,.3f}"


def fmt_p_value(p: Any) -> str:
    """A test's p-value: ``0.9784``, ``0.0123``; ``< 0.0001`` below that, where its
    digits say nothing more."""
    special = _special(p)
    if special is not None:
        return special
    return "< 0.0001" if float(p) < 1e-4 else fmt_ratio(p)


def fmt_count(value: Any, uncertainty: Any = None) -> str:
    """A whole number with grouped thousands, never decimals: ``12,345``; to the hundred
    (``12,300``) when it is uncertain by a few hundred."""
    special = _special(value)
    if special is not None:
        return special
    u = _usable(uncertainty)
    d = min(figure_decimals(0.0, u), 0) if u is not None else 0
    whole = value if isinstance(value, int) and not isinstance(value, bool) else float(value)
    return f"{int(round(whole, d)):,}"


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """A count and its noun, in the number's form: ``1 target``, ``5 targets``,
    ``1,204 rows``; ``plural`` where adding an s is wrong (``2 batches``)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def fmt_bounds(low: Any, high: Any, value: Any = None, share: bool = False) -> str:
    """``0.94 – 0.98``: an interval written with the decimals of its ``value`` (a
    percentage when ``share``); ``—`` if either end is absent."""
    if low is None or high is None:
        return DASH
    scale = 100.0 if share else 1.0
    u = _usable(half_width(low, high))
    ends = [float(low) * scale, float(high) * scale]
    if any(not math.isfinite(e) for e in ends):
        texts = [fmt_ratio(e) for e in ends]
    else:
        if u is not None:
            d = figure_decimals(0.0, u * scale)
        elif value is not None and math.isfinite(float(value)):
            d = figure_decimals(float(value) * scale)
        else:
            d = figure_decimals(ends[1])
        texts = [_figure(e, decimals=d) for e in ends]
    unit = " %" if share else ""
    return f"{texts[0]}{unit} – {texts[1]}{unit}"


def fmt_interval(value: Any, low: Any, high: Any, share: bool = False) -> str:
    """A figure and its interval with the same decimals, as many as the interval's
    half-width allows: ``0.96 (0.93 – 0.99)``; the figure alone without an interval."""
    u = half_width(low, high)
    text = fmt_percent(value, u) if share else fmt_ratio(value, u)
    if value is None or low is None or high is None:
        return text
    return f"{text} ({fmt_bounds(low, high, value, share)})"


def fmt_difference(value: Any, uncertainty: Any = None, exact: bool = False) -> str:
    """A difference between two ratios with its sign: ``+0.012``, ``-0.03``, ``0``;
    ``exact`` as :func:`fmt_ratio`."""
    text = fmt_ratio(value, uncertainty, exact)
    if value is None or not math.isfinite(float(value)) or float(value) <= 0:
        return text
    return "+" + text if text.strip("0.,") else text


def _unit_figure(value: Any, uncertainty: Any, per: float, unit: str) -> str:
    u = _usable(uncertainty)
    text = _figure(float(value) / per, None if u is None else u / per)
    return f"{text} {unit}" if unit else text


def fmt_duration(ms: Any, uncertainty: Any = None, unit: bool = True) -> str:
    """A duration given in milliseconds: ``450.0 µs``, ``12.34 ms``, ``1,234 ms``,
    ``12.35 s`` (seconds from ten of them, as a latency axis counts them). Without its
    ``unit``, in milliseconds for a column headed "(ms)": ``0.4500``."""
    special = _special(ms)
    if special is not None:
        return special
    if not unit:
        return _unit_figure(ms, uncertainty, 1.0, "")
    per, name = ms_axis_unit(abs(float(ms)))
    return _unit_figure(ms, uncertainty, per, name)


def fmt_size(size: Any, uncertainty: Any = None, exact: bool = False) -> str:
    """A size in bytes, counted in powers of 1024: ``512 B``, ``35.74 KB``, ``1.250 GB``;
    an ``exact`` one (a limit) without trailing zeros: ``1 GB``. For a size measured in
    MB, pass ``mb * MB``."""
    special = _special(size)
    if special is not None:
        return special
    n = float(size)
    for name, per in (("TB", 2**40), ("GB", GB), ("MB", MB), ("KB", KB)):
        if abs(n) >= per:
            text = _unit_figure(n, uncertainty, per, name)
            return _EXTRA_ZEROS.sub(_drop_zeros, text) if exact else text
    return f"{fmt_count(n, uncertainty)} B"


def fmt_rate(rows_per_second: Any, uncertainty: Any = None, unit: bool = True) -> str:
    """A throughput: ``12,345 rows/s``, ``52.30 rows/s``; without its ``unit`` for a
    column headed "rows/s"."""
    special = _special(rows_per_second)
    if special is not None:
        return special
    return _unit_figure(rows_per_second, uncertainty, 1.0, "rows/s" if unit else "")


#: What a peak of 0 MB while predicting really says: the kernel counts resident memory in
#: pages, so a prediction that added less than one page added nothing it could see.
NO_MEASURABLE_PEAK = "none measurable (under 4 KB)"


def fmt_peak_mb(value: Any) -> str:
    """The extra memory at peak while predicting, measured in MB, as a size; a zero as
    :data:`NO_MEASURABLE_PEAK`, never "0 B"."""
    if value is not None and float(value) == 0:
        return NO_MEASURABLE_PEAK
    return DASH if value is None else fmt_size(float(value) * MB)


def fmt_target_value(metric: str, value: Any, uncertainty: Any = None, exact: bool = False) -> str:
    """A figure a target names, in its kind: a latency as a duration, memory and model
    size as sizes (measured in MB), throughput as a rate, parameters as a count, MAPE as
    a percentage and any other metric as a ratio. ``metric`` may carry ``@batch``.

    An ``exact`` figure (a threshold or tolerance a person set) drops the trailing zeros
    that would claim a precision: ``≥ 0.9``, ``≤ 50 ms``, not ``0.9000`` or ``50.00 ms``."""
    if exact:
        return _EXTRA_ZEROS.sub(_drop_zeros, fmt_target_value(metric, value, uncertainty))
    metric = metric.partition("@")[0]
    if value is None:
        return DASH
    if metric.endswith("_ms"):
        return fmt_duration(value, uncertainty)
    if metric.endswith("_mb"):
        u = _usable(uncertainty)
        return fmt_size(float(value) * MB, None if u is None else u * MB)
    if metric == "throughput_rps":
        return fmt_rate(value, uncertainty)
    if metric == "params":
        return fmt_count(value, uncertainty)
    if metric in SHARE_METRICS:
        return fmt_percent(value, uncertainty)
    return fmt_ratio(value, uncertainty)


def fmt_when(stamp: str | None) -> str:
    """``2026-01-02T03:04:05Z`` as ``2026-01-02 03:04 UTC``."""
    if not stamp:
        return DASH
    return stamp.replace("T", " ")[:16] + " UTC" if stamp.endswith("Z") else stamp


# --- a chart axis's figures --------------------------------------------------------------


def _step_decimals(step: float) -> int:
    """The fewest decimals that tell ticks ``step`` apart: 0 for 5, 1 for 2.5 or 0.5, 2 for 0.25."""
    step = abs(float(step))
    for decimals in range(7):
        scaled = step * 10**decimals
        if abs(scaled - round(scaled)) < 1e-6 * max(1.0, scaled):
            return decimals
    return 6


def fmt_tick(value: float, step: float, unit: str = "") -> str:
    """An axis tick whose neighbours are ``step`` apart: ``0.2``, ``1,500``, ``2.5 ms``.

    Every tick of an axis has the same decimals, as few as tell the ticks apart."""
    text = f"{float(value):,.{_step_decimals(step)}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")  # no "-0.0" at the origin
    text = text.replace("-", "\u2212")
    return f"{text} {unit}" if unit else text


def ms_axis_unit(top: float) -> tuple[float, str]:
    """``(milliseconds per unit, unit)`` for a latency axis reaching ``top`` ms:
    µs below a millisecond, s from ten seconds up, else ms."""
    if top < 1:
        return 0.001, "µs"
    if top >= 10_000:
        return 1000.0, "s"
    return 1.0, "ms"


def fmt_ms_tick(value: float, step: float, top: float) -> str:
    """A latency tick on an axis reaching ``top`` ms: ``250 µs``, ``12.5 ms``, ``15 s``."""
    per, unit = ms_axis_unit(top)
    return fmt_tick(value / per, step / per, unit)


def mb_axis_unit(top: float) -> tuple[float, str]:
    """``(MB per unit, unit)`` for a memory axis reaching ``top`` MB (2**20 bytes):
    KB below one MB, GB from a GB up, else MB."""
    if top < 1:
        return 1 / 1024, "KB"
    if top >= 1024:
        return 1024.0, "GB"
    return 1.0, "MB"


def fmt_mb_tick(value: float, step: float, top: float) -> str:
    """A memory tick on an axis reaching ``top`` MB: ``512 KB``, ``12.5 MB``, ``1.5 GB``."""
    per, unit = mb_axis_unit(top)
    return fmt_tick(value / per, step / per, unit)


# --- an optimisation, in words -----------------------------------------------------------


def fmt_speedup(ratio: Any) -> str:
    """How many times faster (``3.1x faster``) or slower (``1.4x slower``) a model runs, from
    the ratio of the original's time to the new one's; ``as fast`` within 5 %."""
    if ratio is None or not math.isfinite(float(ratio)) or float(ratio) <= 0:
        return DASH
    ratio = float(ratio)
    if 0.95 <= ratio <= 1.05:
        return "as fast"
    if ratio > 1:
        return f"{ratio:.2g}x faster" if ratio < 10 else f"{ratio:,.0f}x faster"
    slower = 1 / ratio
    return f"{slower:.2g}x slower" if slower < 10 else f"{slower:,.0f}x slower"


def lineage_line(
    by: str,
    parent_name: str,
    parent_version: str,
    root_digest: str,
    *,
    speedup: Any,
    batch: int | None,
    agreement: Any,
) -> str:
    """The one line that says where an optimised bundle comes from and what it gained:
    ``optimised by Eli from bc-lr 1 (root digest ab12cd34ef56…): 3.1x faster at batch 1,
    100 % agreement``. The names are the caller's to make printable."""
    speed = fmt_speedup(speedup)
    at = f" at batch {batch:,}" if batch is not None and speed != DASH else ""
    return (
        f"optimised by {by} from {parent_name} {parent_version} "
        f"(root digest {short_fingerprint(root_digest)}): {speed}{at}, "
        f"{fmt_percent(agreement)} agreement"
    )
