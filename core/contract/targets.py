"""Contract targets: the agreed clauses ``metric op threshold``, their grammar and verdicts.

Grammar (also the CLI's ``--require``)::

    METRIC[@BATCH] OP THRESHOLD[±TOLERANCE]

* ``METRIC`` is one of :data:`TARGET_METRICS` (case does not matter).
* ``@BATCH`` (a positive whole number) picks the row of the latency table measured at
  that batch size. Only the latency names and ``throughput_rps`` take it, since they are
  the figures measured per batch size; the default is batch 1.
* ``OP`` is one of ``>= <= > < ==``.
* ``THRESHOLD`` is a plain decimal number (``0.95``, ``20``, ``-0.5``, ``1e6``).
* ``±TOLERANCE`` (also written ``+-`` or ``+/-``) is optional, default 0.

Whitespace between the parts is ignored: ``"latency_p95_ms @ 32 <= 20"`` works.

Units: quality metrics are in the evaluation's own units (``mape`` as a fraction, as
scikit-learn reports it); latencies in milliseconds; ``throughput_rps`` in rows per second;
``memory_mb`` and ``model_size_mb`` in MB of 2**20 bytes, as the profiler reports memory.

Verdicts with a tolerance ``t`` (the measured value gets the benefit of the doubt)::

    >=  pass if measured >= threshold - t        <=  pass if measured <= threshold + t
    >   pass if measured >  threshold - t        <   pass if measured <  threshold + t
    ==  pass if |measured - threshold| <= t (plus a 1e-9 relative allowance for float noise)

A target whose figure was not measured (metric missing from the results, no latency row
for that batch size) is ``"unmeasured"``: never a silent pass.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from baton.core.errors import ContractError, MalformedExpression
from baton.core.measure.metric_names import (
    LOWER_IS_BETTER,
    METRIC_NAMES_CLASSIFICATION,
    METRIC_NAMES_REGRESSION,
)

Verdict = Literal["pass", "fail", "unmeasured"]
Direction = Literal["higher", "lower"]

#: Every name a target may use, in the order of DESIGN.md section 4.
TARGET_METRICS: tuple[str, ...] = (
    *METRIC_NAMES_CLASSIFICATION,
    # max_error gets no target: a single worst row is not a contractual figure.
    *(m for m in METRIC_NAMES_REGRESSION if m != "max_error"),
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "throughput_rps",
    "memory_mb",
    "model_size_mb",
    "params",
)

#: Quality metrics that only make sense for a classifier / for a regressor.
CLASSIFICATION_METRICS = frozenset(METRIC_NAMES_CLASSIFICATION)
REGRESSION_METRICS = frozenset(METRIC_NAMES_REGRESSION) - {"max_error"}

LATENCY_METRICS = frozenset(
    ("latency_p50_ms", "latency_p90_ms", "latency_p95_ms", "latency_p99_ms")
)
#: Metrics read from one row of the latency table, chosen by ``@BATCH``.
BATCHED_METRICS = LATENCY_METRICS | {"throughput_rps"}
DEFAULT_BATCH = 1

OPERATORS: tuple[str, ...] = (">=", "<=", ">", "<", "==")

_LOWER_IS_BETTER = LOWER_IS_BETTER | frozenset(
    (
        "latency_p50_ms",
        "latency_p90_ms",
        "latency_p95_ms",
        "latency_p99_ms",
        "memory_mb",
        "model_size_mb",
        "params",
    )
)
# Evaluation metrics that are reported in the results but cannot be a target.
_OTHER_RESULT_METRICS = frozenset(("max_error",))

# Values a metric can take; a threshold outside can never be met and is almost always a
# unit mistake (95 for 0.95).
_UNIT_INTERVAL = (0.0, 1.0)
_RANGES: dict[str, tuple[float | None, float | None]] = {
    **{m: _UNIT_INTERVAL for m in TARGET_METRICS[:10]},
    "mcc": (-1.0, 1.0),
    "r2": (None, 1.0),
}

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_EXPR = re.compile(
    r"""^\s*
    (?P<metric>[^\s@<>=!]*)\s*
    (?:(?P<at>@)\s*(?P<batch>[^\s<>=!]*)\s*)?
    (?P<op>[<>=!]+)?\s*
    (?P<threshold>.*?)\s*
    (?:(?:±|\+/-|\+-)\s*(?P<tolerance>.*?)\s*)?
    $""",
    re.VERBOSE | re.DOTALL,
)
_OP_TYPOS = {"=>": ">=", "=<": "<=", "=": "==", "===": "=="}


def _valid_names() -> str:
    return "Valid names: " + ", ".join(TARGET_METRICS) + "."


def _where(expr: str | None) -> str:
    return f' in "{expr}"' if expr is not None else ""


def format_number(value: float) -> str:
    """Shortest text for a threshold: ``20`` rather than ``20.0``, ``0.95`` as is."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def metric_direction(name: str) -> Direction | None:
    """``"higher"`` or ``"lower"``: which way a metric gets better; ``None`` if unknown.

    Covers every target metric and the extra evaluation metrics (``max_error``).
    """
    name = name.lower()
    if name in _LOWER_IS_BETTER:
        return "lower"
    if name in TARGET_METRICS or name in _OTHER_RESULT_METRICS:
        return "higher"
    return None


def metric_applies(metric: str, problem_type: str) -> bool:
    """Whether a target metric can be measured for a problem type (binary, multiclass, regression)."""
    if metric in CLASSIFICATION_METRICS:
        return problem_type in ("binary", "multiclass")
    if metric in REGRESSION_METRICS:
        return problem_type == "regression"
    return True


def _check_metric(metric: str, expr: str | None) -> str:
    if not metric:
        raise ContractError(f"missing metric name{_where(expr)}. {_valid_names()}")
    name = metric.lower()
    if name in TARGET_METRICS:
        return name
    close = difflib.get_close_matches(name, TARGET_METRICS, n=1, cutoff=0.6)
    hint = f'; did you mean "{close[0]}"?' if close else "."
    raise ContractError(f'unknown metric "{metric}"{_where(expr)}{hint} {_valid_names()}')


def _check_batch(metric: str, batch: Any, expr: str | None) -> int | None:
    if batch is None:
        return DEFAULT_BATCH if metric in BATCHED_METRICS else None
    if metric not in BATCHED_METRICS:
        raise ContractError(
            f'"{metric}" does not take a batch size{_where(expr)}: only '
            + ", ".join(sorted(BATCHED_METRICS))
            + " do, e.g. "
            + '"latency_p95_ms@32<=20"'
        )
    if isinstance(batch, str):
        text = batch
        if not text:
            raise ContractError(f"missing batch size after @{_where(expr)}")
        if not text.isdigit() or int(text) < 1:
            raise ContractError(
                f'batch size must be a positive whole number, not "{text}"{_where(expr)}'
            )
        return int(text)
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise ContractError(f"batch size must be a positive whole number, not {batch!r}")
    return batch


def _check_op(op: str | None, expr: str | None) -> str:
    ops = ", ".join(OPERATORS)
    if not op:
        raise ContractError(f"missing comparison operator{_where(expr)}; use one of {ops}")
    if op in OPERATORS:
        return op
    hint = f'; did you mean "{_OP_TYPOS[op]}"?' if op in _OP_TYPOS else "."
    raise ContractError(f'unknown operator "{op}"{_where(expr)}{hint} Use one of {ops}.')


def _parse_number(text: str, what: str, expr: str | None) -> float:
    if not text:
        raise ContractError(
            f'missing {what}{_where(expr)}; expected a number, e.g. "accuracy>=0.95"'
        )
    if not _NUMBER.fullmatch(text):
        raise ContractError(f'{what} "{text}" is not a number{_where(expr)}')
    return float(text)


def _check_value(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ContractError(f"{what} must be a number, not {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ContractError(f"{what} must be a finite number, not {value!r}")
    return value


def _check_range(metric: str, threshold: float, expr: str | None) -> None:
    low, high = _RANGES.get(metric, (0.0, None))
    if (low is not None and threshold < low) or (high is not None and threshold > high):
        if low is not None and high is not None:
            span = f"{format_number(low)} to {format_number(high)}"
        elif low is not None:
            span = f"{format_number(low)} or more"
        else:
            span = f"at most {format_number(high)}"  # type: ignore[arg-type]
        hint = ""
        if (low, high) == _UNIT_INTERVAL and 1 < threshold <= 100:
            # round() drops binary noise: 99.9 / 100 is 0.9990000000000001
            hint = f"; write {format_number(round(threshold / 100, 12))} for {format_number(threshold)} %"
        raise ContractError(
            f"threshold {format_number(threshold)} is outside the range of {metric} "
            f"({span}){_where(expr)}{hint}"
        )


@dataclass(frozen=True)
class Target:
    """One clause of the contract. Latency and throughput targets always carry a batch."""

    metric: str
    op: str
    threshold: float
    batch: int | None = None
    tolerance: float = 0.0
    note: str = ""

    def __post_init__(self) -> None:
        metric = _check_metric(self.metric, None)
        object.__setattr__(self, "metric", metric)
        object.__setattr__(self, "op", _check_op(self.op, None))
        object.__setattr__(self, "batch", _check_batch(metric, self.batch, None))
        threshold = _check_value(self.threshold, "threshold")
        _check_range(metric, threshold, None)
        object.__setattr__(self, "threshold", threshold)
        tolerance = _check_value(self.tolerance, "tolerance")
        if tolerance < 0:
            raise ContractError(f"tolerance must be 0 or more, not {format_number(tolerance)}")
        object.__setattr__(self, "tolerance", tolerance)
        if not isinstance(self.note, str):
            raise ContractError(f"a target's note must be text, not {self.note!r}")

    @property
    def key(self) -> str:
        """What identifies a target within a contract: ``accuracy``, ``latency_p95_ms@32``."""
        return self.metric if self.batch is None else f"{self.metric}@{self.batch}"

    def expr(self) -> str:
        """The expression that parses back to this target (the note is not part of it)."""
        text = f"{self.key}{self.op}{format_number(self.threshold)}"
        if self.tolerance:
            text += f"±{format_number(self.tolerance)}"
        return text

    def __str__(self) -> str:
        return self.expr()

    def to_dict(
        self, measured: float | None = None, verdict: Verdict | None = None
    ) -> dict[str, Any]:
        """The contract's JSON form; ``verdict`` defaults to the one ``measured`` gives."""
        return {
            "metric": self.metric,
            "op": self.op,
            "threshold": self.threshold,
            "batch": self.batch,
            "tolerance": self.tolerance,
            "note": self.note,
            "measured": measured,
            "verdict": verdict if verdict is not None else evaluate_target(self, measured),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Target:
        """Read a target from its contract form (``measured`` and ``verdict`` are ignored)."""
        try:
            return cls(
                metric=data["metric"],
                op=data["op"],
                threshold=data["threshold"],
                batch=data.get("batch"),
                tolerance=data.get("tolerance", 0.0),
                note=data.get("note", ""),
            )
        except KeyError as exc:
            raise ContractError(f"a target needs a {exc.args[0]!r} field") from None


def parse_target(expr: str, *, note: str = "") -> Target:
    """Parse ``"latency_p95_ms@32<=20"`` into a :class:`Target`.

    Raises :class:`MalformedExpression` (a :class:`ContractError` and a usage error) naming
    what is wrong in the expression.
    """
    try:
        return _parse_target(expr, note)
    except MalformedExpression:
        raise
    except ContractError as exc:  # the checks a contract's stored targets share
        raise MalformedExpression(str(exc)) from None


def _parse_target(expr: str, note: str) -> Target:
    if not isinstance(expr, str):
        raise ContractError(f"a target expression must be text, not {expr!r}")
    if not expr.strip():
        raise ContractError(
            'empty target expression; expected METRIC[@BATCH] OP THRESHOLD, e.g. "accuracy>=0.95". '
            + _valid_names()
        )
    match = _EXPR.match(expr)
    if match is None:  # pragma: no cover - the pattern accepts every string
        raise ContractError(f'cannot read target "{expr}"')
    metric = _check_metric(match["metric"], expr)
    batch = _check_batch(metric, match["batch"] if match["at"] else None, expr)
    op = _check_op(match["op"], expr)
    threshold = _parse_number(match["threshold"], "threshold", expr)
    _check_range(metric, threshold, expr)
    tolerance = 0.0
    if match["tolerance"] is not None:
        tolerance = _parse_number(match["tolerance"], "tolerance", expr)
        if tolerance < 0:
            raise ContractError(f"tolerance must be 0 or more{_where(expr)}")
    return Target(metric, op, threshold, batch, tolerance, note)


def _number_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def measured_value(
    target: Target,
    evaluation: Mapping[str, Any] | None,
    profile: Mapping[str, Any] | None,
    model_info: Mapping[str, Any] | None,
) -> float | None:
    """The figure a target is judged on, or ``None`` when it was not measured.

    * quality metrics: ``evaluation["metrics"][name]["value"]``;
    * latency and throughput: the ``profile["latency"]`` row whose ``batch_size`` is the
      target's batch (``latency_p95_ms`` reads ``p95_ms``);
    * ``memory_mb``: the model's footprint, ``rss_delta_after_load_mb + peak_predict_mb``
      from ``profile["memory"]``: what the model holds once loaded plus the extra it
      needs at its peak while predicting, i.e. what a serving host must provision. If
      either figure is missing the target is unmeasured;
    * ``model_size_mb``: ``model_info["size_bytes"] / 2**20``;
    * ``params``: ``model_info["params"]``.

    A contract works as well: pass ``contract["results"]`` for both evaluation and
    profile, and ``contract["model"]`` for the model.
    """
    metric = target.metric
    if metric in BATCHED_METRICS:
        field = "throughput_rps" if metric == "throughput_rps" else metric[len("latency_") :]
        for row in (profile or {}).get("latency") or ():
            if row.get("batch_size") == target.batch:
                return _number_or_none(row.get(field))
        return None
    if metric == "memory_mb":
        memory = (profile or {}).get("memory") or {}
        loaded = _number_or_none(memory.get("rss_delta_after_load_mb"))
        peak = _number_or_none(memory.get("peak_predict_mb"))
        return None if loaded is None or peak is None else loaded + peak
    if metric == "model_size_mb":
        size = _number_or_none((model_info or {}).get("size_bytes"))
        return None if size is None else size / 2**20
    if metric == "params":
        return _number_or_none((model_info or {}).get("params"))
    entry = ((evaluation or {}).get("metrics") or {}).get(metric)
    if isinstance(entry, Mapping):
        return _number_or_none(entry.get("value"))
    return None


def evaluate_target(target: Target, measured: float | None) -> Verdict:
    """``"pass"``, ``"fail"`` or ``"unmeasured"``; see the module docstring for tolerance."""
    if measured is None or not math.isfinite(measured):
        return "unmeasured"
    threshold, tol = target.threshold, target.tolerance
    if target.op == ">=":
        ok = measured >= threshold - tol
    elif target.op == ">":
        ok = measured > threshold - tol
    elif target.op == "<=":
        ok = measured <= threshold + tol
    elif target.op == "<":
        ok = measured < threshold + tol
    else:
        ok = math.isclose(measured, threshold, rel_tol=1e-9, abs_tol=tol)
    return "pass" if ok else "fail"
