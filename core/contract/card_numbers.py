"""How a model card writes its figures, in the style of each Baton release that packed
cards.

A bundle's ``card.md`` is checked byte for byte against Baton's rendering of its signed
contract (:func:`baton.core.contract.card.check_card`), so a bundle packed before the
app wrote every figure in one number style carries figures written the earlier way.
:data:`CURRENT` is the app's one number style (:mod:`baton.core.present`);
:data:`BEFORE_ONE_STYLE` is the earlier card's, kept only so that those bundles still
verify: nothing renders a new card with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from baton.core.present import (
    DASH,
    MB,
    NO_MEASURABLE_PEAK,
    SHARE_METRICS,
    fmt_count,
    fmt_duration,
    fmt_interval,
    fmt_peak_mb,
    fmt_rate,
    fmt_ratio,
    fmt_size,
    fmt_target_value,
)


@dataclass(frozen=True)
class CardNumbers:
    """The card's figures by kind: ``metric(name, value, low, high)`` a quality metric and
    its interval, ``measured(metric, value)`` a target's figure, ``ratio`` any other
    figure, ``count``, ``size`` (bytes), ``size_mb`` and ``peak_mb`` (measured in MB),
    ``candidate_peak`` a candidate's peak in the candidates table, and ``ms`` and
    ``rate`` under a column that names their unit."""

    metric: Any
    measured: Any
    ratio: Any
    count: Any
    size: Any
    size_mb: Any
    peak_mb: Any
    candidate_peak: Any
    ms: Any
    rate: Any


def _metric(name: str, value: Any, low: Any, high: Any) -> str:
    return fmt_interval(value, low, high, share=name in SHARE_METRICS)


def _size_mb(value: Any) -> str:
    return DASH if value is None else fmt_size(float(value) * MB)


CURRENT = CardNumbers(
    metric=_metric,
    measured=fmt_target_value,
    ratio=fmt_ratio,
    count=fmt_count,
    size=fmt_size,
    size_mb=_size_mb,
    peak_mb=fmt_peak_mb,
    candidate_peak=fmt_peak_mb,
    ms=lambda value: fmt_duration(value, unit=False),
    rate=lambda value: fmt_rate(value, unit=False),
)


# --- the earlier card's figures (read only to check bundles packed with them) -----------


def _old_decimals(value: float) -> int:
    magnitude = abs(value)
    return 4 if magnitude < 10 else 2 if magnitude < 1000 else 0


def _old_metric_value(value: float | None, digits: int | None = None) -> str:
    if value is None:
        return DASH
    digits = _old_decimals(value) if digits is None else digits
    return f"{value:,.{digits}f}"


def _old_metric(name: str, value: Any, low: Any, high: Any) -> str:
    text = _old_metric_value(value)
    if value is None or low is None or high is None:
        return text
    digits = max(_old_decimals(value) - 1, 0)
    return f"{text} ({_old_metric_value(low, digits)} – {_old_metric_value(high, digits)})"


def _old_ms(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:,.1f}"


def _old_rate(value: float | None) -> str:
    if value is None:
        return DASH
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _old_count(value: int | None) -> str:
    return DASH if value is None else f"{value:,}"


def _old_size(size: float | None) -> str:
    if size is None:
        return DASH
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if abs(size) >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size:,.0f} B"


def _old_size_mb(value: float | None) -> str:
    return DASH if value is None else _old_size(value * 2**20)


def _old_peak_mb(value: Any) -> str:
    if value is not None and float(value) == 0:
        return NO_MEASURABLE_PEAK
    return _old_size_mb(value)


_OLD_LATENCY = {"latency_p50_ms", "latency_p90_ms", "latency_p95_ms", "latency_p99_ms"}


def _old_measured(metric: str, value: float | None) -> str:
    if value is None:
        return DASH
    if metric == "throughput_rps":
        return f"{_old_rate(value)} rows/s"
    if metric in _OLD_LATENCY:
        return f"{_old_ms(value)} ms"
    if metric in ("memory_mb", "model_size_mb"):
        return _old_size_mb(value)
    if metric == "params":
        return _old_count(int(value))
    return _old_metric_value(value)


BEFORE_ONE_STYLE = CardNumbers(
    metric=_old_metric,
    measured=_old_measured,
    ratio=_old_metric_value,
    count=_old_count,
    size=_old_size,
    size_mb=_old_size_mb,
    peak_mb=_old_peak_mb,
    candidate_peak=_old_size_mb,
    ms=_old_ms,
    rate=_old_rate,
)
