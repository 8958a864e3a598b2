"""How Baton writes things for people: one vocabulary for the card, the command line and
the desktop.

Each function here prints one way. Where two places print the same kind of figure
differently (the card writes ``0.450`` under a column headed "ms" where a screen writes
``450 µs``), each way has its own name, so that changing one never changes the other:

* the card's figures (:func:`fmt_metric`, :func:`fmt_ms_figure`, :func:`fmt_throughput`,
  :func:`fmt_size`, ...) are part of the bundle format: a bundle's ``card.md`` is checked
  byte for byte against Baton's rendering of its contract, so they never change;
* the screen's figures (:func:`fmt_number`, :func:`fmt_ms`, :func:`fmt_bytes`,
  :func:`fmt_mb`, :func:`fmt_percent`, :func:`fmt_when`) carry their unit;
* the command line's tables use :func:`fmt_cli_number`.

Sizes everywhere count 1 MB as 2**20 bytes, as the profiler measures them.
"""

from __future__ import annotations

import math
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


# --- the card's figures -----------------------------------------------------------------


def _decimals(value: float) -> int:
    magnitude = abs(value)
    return 4 if magnitude < 10 else 2 if magnitude < 1000 else 0


def fmt_metric(value: float | None, digits: int | None = None) -> str:
    """A quality figure: ``0.9649``, ``52.31``, ``12,345``; ``—`` when undefined."""
    if value is None:
        return DASH
    digits = _decimals(value) if digits is None else digits
    return f"{value:,.{digits}f}"


def fmt_interval(value: float | None, low: float | None, high: float | None) -> str:
    """``0.9649 (0.947 – 0.982)``: the interval one decimal shorter than the value."""
    text = fmt_metric(value)
    if value is None or low is None or high is None:
        return text
    digits = max(_decimals(value) - 1, 0)
    return f"{text} ({fmt_metric(low, digits)} – {fmt_metric(high, digits)})"


def fmt_ms_figure(value: float | None) -> str:
    """A latency in milliseconds without its unit, for a column that names it: ``0.450``,
    ``12.34``, ``1,234.5``."""
    if value is None:
        return DASH
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:,.1f}"


def fmt_throughput(value: float | None) -> str:
    """Rows per second without the unit: ``12,345`` from 100 up, else ``52.3``."""
    if value is None:
        return DASH
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def fmt_count(value: int | None) -> str:
    """A whole number with grouped thousands: ``12,345``."""
    return DASH if value is None else f"{value:,}"


def fmt_size(size: float | None) -> str:
    """A size in bytes as B, KB, MB or GB (powers of 1024): ``512 B``, ``35.7 KB``."""
    if size is None:
        return DASH
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if abs(size) >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size:,.0f} B"


def fmt_size_mb(value: float | None) -> str:
    """A size measured in MB, written as :func:`fmt_size` writes it."""
    return DASH if value is None else fmt_size(value * 2**20)


# --- the screen's figures ---------------------------------------------------------------


def fmt_number(value: Any, digits: int = 4) -> str:
    """A metric or measurement for display: ``0.9789``, ``43.28``, ``12,345``; ``—`` if absent."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    a = abs(v)
    if a >= 10_000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:,.1f}"
    if a >= 10:
        return f"{v:.2f}"
    if a == 0 or a >= 10 ** -(digits - 1):
        return f"{v:.{digits}f}"
    return f"{v:.3g}"


def fmt_ms(value: Any) -> str:
    """A duration given in milliseconds, with its unit: ``450 µs``, ``12.3 ms``, ``1,234 ms``."""
    if value is None:
        return DASH
    v = float(value)
    if v >= 100:
        return f"{v:,.0f} ms"
    if v >= 10:
        return f"{v:.1f} ms"
    if v >= 1:
        return f"{v:.2f} ms"
    return f"{v * 1000:.0f} µs"


def fmt_bytes(value: Any) -> str:
    """A size in bytes with its unit spelled out below a KB: ``512 bytes``, ``35.7 KB``."""
    if value is None:
        return DASH
    n = float(value)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{int(n):,} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


def fmt_mb(value: Any) -> str:
    """A size measured in MB, written as :func:`fmt_bytes` writes it; nothing is ``0 MB``."""
    if value is None:
        return DASH
    if float(value) == 0:
        return "0 MB"
    return fmt_bytes(float(value) * 2**20)


#: What a peak of 0 MB while predicting really says: the kernel counts resident memory in
#: pages, so a prediction that added less than one page added nothing it could see.
NO_MEASURABLE_PEAK = "none measurable (under 4 KB)"


def fmt_peak_mb(value: Any, size: Any = None) -> str:
    """The extra memory at peak while predicting, in MB, as ``size`` (default
    :func:`fmt_mb`) writes it; a zero as :data:`NO_MEASURABLE_PEAK`, never "0 MB"."""
    if value is not None and float(value) == 0:
        return NO_MEASURABLE_PEAK
    return (size or fmt_mb)(value)


def fmt_percent(rate: Any) -> str:
    """A share between 0 and 1 as a percentage: ``99.85 %``, and a whole ``100 %``."""
    if rate is None:
        return DASH
    pct = float(rate) * 100
    return "100 %" if pct == 100 else f"{pct:.2f} %"


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


# --- the command line's figures ---------------------------------------------------------


def fmt_cli_number(value: Any) -> str:
    """A figure in the command line's tables: four significant digits, whole and grouped
    from 10,000; empty when absent (the table writes ``-``)."""
    if value is None:
        return ""
    return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.4g}"


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
