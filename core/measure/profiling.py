"""Latency, memory, hardware and environment measurement for a model's ``predict``.

Everything here runs in-process and returns plain JSON-serialisable values (dicts, lists,
``int``, ``float``, ``str``, ``bool``, ``None``). The model runner calls these functions
inside its child process with a ``predict`` callable; nothing here starts processes or
threads of its own (apart from one short ``sysctl`` call on macOS for the CPU name).

Latency (:func:`measure_latency`)
    For each batch size the rows of the test set are cycled into batches that are all
    built *before* timing starts, so slicing and copying are never timed, nor turning a
    batch into the arrays an ONNX model takes. After a short
    warm-up the garbage collector is disabled and every ``predict`` call is bracketed by
    two ``time.perf_counter_ns()`` readings and nothing else; the loop bookkeeping
    (budget, cancellation, progress) happens between the brackets.

    Sampling runs in rounds (a quarter of the budget each); it goes on past the budget
    (up to twice the budget) until the p50 of the last two rounds agree within 5 %, and
    a figure whose p50 never settled is marked ``p50_stable: false``.

Machine load (:func:`machine_load`)
    While each batch size is sampled, the share of the machine's CPU time that *other*
    processes took (``/proc/stat`` minus this process's own CPU time, where the system
    has it) and the 1-minute load average against the CPU count are recorded. A figure
    taken while others held a quarter of the CPU time or more, or while the load of other
    work reached half the CPUs, is marked ``machine_busy`` with the reason, since a busy
    machine makes latency look worse than the model is.

Memory (:func:`profile_memory`)
    Resident set size (RSS) before and after loading the model, and the peak RSS while it
    predicts one batch. The result says which operating-system counter was used and
    whether the peak counter could be reset before the batch, because an un-reset peak is
    only an upper bound.

Units: latency in milliseconds, memory in MB where 1 MB = 2**20 bytes (MiB).

This module measures latency and memory; :mod:`~baton.core.measure.machine` reads the
machine's load, memory counters, hardware and environment.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

import numpy as np

from baton.core.errors import BatonError, ModelError, UsageError
from baton.core.measure.latency_notes import P50_TOLERANCE, latency_caveats
from baton.core.measure.machine import (
    environment_info,
    hardware_info,
    machine_load,
    machine_snapshot,
    peak_rss_bytes,
    peak_rss_counter,
    reset_peak_rss,
    rss_bytes,
    rss_counter,
)
from baton.core.present import counted
from baton.core.progress import NEVER_CANCELLED, CancelToken, ProgressFn, no_progress

__all__ = [
    "DEFAULT_BATCH_SIZES",
    "STABLE_P99_SAMPLES",
    "environment_info",
    "hardware_info",
    "latency_caveats",
    "machine_load",
    "measure_latency",
    "peak_rss_bytes",
    "profile_memory",
    "reset_peak_rss",
    "rss_bytes",
]

DEFAULT_BATCH_SIZES: tuple[int, ...] = (1, 8, 64, 512)

STABLE_P99_SAMPLES = 1000
"""Samples needed before a p99 is called stable: about n/100 = 10 samples lie above it."""

PERCENTILE_METHOD: Final = "linear"
"""numpy's default percentile method (type 7 of Hyndman and Fan): linear interpolation
between the two closest order statistics, ``x[floor(h)] + (h - floor(h)) * (x[floor(h)+1]
- x[floor(h)])`` with ``h = (n - 1) * q``."""

RAW_SAMPLES_CAP = 20_000
"""At most this many raw samples are stored per batch size (evenly spaced, in time order)."""


ROUNDS_PER_BUDGET = 4
MAX_BUDGET_FACTOR = 2.0
"""An unstable p50 keeps sampling going, in rounds, until twice the budget is spent."""


MAX_DISTINCT_BATCHES = 64
MAX_PRECOMPUTED_ROWS = 65_536
_POLL_NS = 50_000_000  # cancellation and progress are looked at every 50 ms of sampling
_MB = float(1 << 20)

SAMPLE_RULE = (
    "sample until the time budget is spent (at least min_samples, at most max_samples), "
    f"in rounds of budget/{ROUNDS_PER_BUDGET}, and past it (up to {MAX_BUDGET_FACTOR:g} x the "
    f"budget) until the p50 of the last two rounds agree within {P50_TOLERANCE * 100:g} %; "
    f"p99 is stable when n >= {STABLE_P99_SAMPLES} (>= 10 samples above it); "
    "a hard time limit can end sampling below min_samples"
)


# --------------------------------------------------------------------------- batches


def _n_rows(X: Any) -> int:
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    return len(X)


def _take(X: Any, idx: np.ndarray) -> Any:
    """Rows ``idx`` of ``X`` as a new, independent object of the same kind."""
    if hasattr(X, "iloc"):  # pandas DataFrame or Series
        return X.iloc[idx]
    return X[idx]


def _as_rows(X: Any) -> Any:
    if hasattr(X, "iloc") or hasattr(X, "shape"):
        return X
    return np.asarray(X)


def _make_batches(X: Any, batch_size: int, distinct: int | None = None) -> list[Any]:
    """Batches of ``batch_size`` rows that cycle through ``X``, built ahead of timing.

    Batch ``k`` holds rows ``k*b, k*b+1, ...`` modulo the number of rows, so every row is
    used and a test set smaller than the batch is repeated. At most
    :data:`MAX_DISTINCT_BATCHES` batches and :data:`MAX_PRECOMPUTED_ROWS` rows in total
    (but always at least one batch) are kept; timing cycles through them.
    """
    n = _n_rows(X)
    if n <= 0:
        raise UsageError("Latency needs at least one test row; the dataset is empty.")
    if distinct is None:
        distinct = min(
            math.ceil(n / batch_size),
            MAX_DISTINCT_BATCHES,
            max(1, MAX_PRECOMPUTED_ROWS // batch_size),
        )
    distinct = max(1, distinct)
    base = np.arange(batch_size, dtype=np.int64)
    return [_take(X, (k * batch_size + base) % n) for k in range(distinct)]


def rows_used(batch_sizes: Iterable[int]) -> int:
    """How many leading rows of a test set the batches of these sizes draw on: a test set
    cut to its first ``rows_used`` rows gives the same batches as the whole of it."""
    return max(MAX_PRECOMPUTED_ROWS, *(int(b) for b in batch_sizes))


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise UsageError(f"{name} must be a whole number of at least 1, not {value!r}.")
    return int(value)


# --------------------------------------------------------------------------- machine load


# --------------------------------------------------------------------------- latency


def _call_failed(exc: BaseException, rows: int) -> ModelError:
    return ModelError(
        f"The model failed while predicting a batch of {counted(rows, 'row')}: "
        f"{type(exc).__name__}: {exc}"
    )


def _summarise(times_ns: list[int], batch_size: int, raw_cap: int) -> dict[str, Any]:
    ms = np.asarray(times_ns, dtype=np.float64) / 1e6
    n = int(ms.size)
    p50, p90, p95, p99 = np.percentile(ms, [50, 90, 95, 99], method=PERCENTILE_METHOD)
    mean = float(ms.mean())
    std = float(ms.std(ddof=1)) if n > 1 else 0.0
    if n > raw_cap:
        keep = np.linspace(0, n - 1, raw_cap).round().astype(np.int64)
        raw = ms[keep]
    else:
        raw = ms
    return {
        "batch_size": batch_size,
        "samples": n,
        "p50_ms": float(p50),
        "p90_ms": float(p90),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
        "mean_ms": mean,
        "std_ms": std,
        "min_ms": float(ms.min()),
        "max_ms": float(ms.max()),
        # A mean of 0 ns can only come from a clock coarser than the call; JSON has no inf.
        "throughput_rps": (batch_size / (mean / 1000.0)) if mean > 0 else None,
        "p99_stable": n >= STABLE_P99_SAMPLES,
        "raw_ms": np.round(raw, 6).tolist(),
        "raw_ms_subsampled": n > raw_cap,
    }


def measure_latency(
    predict: Callable[[Any], Any],
    X: Any,
    batch_sizes: Iterable[int] = DEFAULT_BATCH_SIZES,
    *,
    budget_s: float = 2.0,
    min_samples: int = 50,
    max_samples: int = 100_000,
    warmup: int = 10,
    max_time_s: float | None = None,
    raw_cap: int = RAW_SAMPLES_CAP,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    prepare: Callable[[Any], Any] | None = None,
) -> list[dict[str, Any]]:
    """Time ``predict`` on batches of each size; one result dict per batch size.

    ``X`` is a pandas DataFrame (batches are ``.iloc`` slices, so they are DataFrames with
    the same columns), a numpy array or anything numpy can index by rows. ``prepare``,
    when given, turns each batch into what ``predict`` takes (an ONNX model's input
    arrays, say) before timing starts, so that conversion is never timed.

    How many samples (the rule, also stored as ``"sample_rule"`` in each result):
    a p99 estimated from ``n`` samples rests on about ``n / 100`` samples above it, so we
    aim for at least :data:`STABLE_P99_SAMPLES` (1000) samples, where ~10 tail samples
    keep one outlier from moving the p99 much. The time budget wins, though: sampling stops
    as soon as ``budget_s`` (per batch size) is spent, but never below ``min_samples``
    even when that overruns the budget -- unless ``max_time_s`` (the hard limit per batch
    size, default ``10 * budget_s + 5``) is reached first. Sampling also stops at
    ``max_samples``. Each result says why it stopped (``"stop_reason"``: ``"budget"``,
    ``"unstable"``, ``"max_samples"`` or ``"hard_limit"``) and whether ``p99_stable``
    (n >= 1000) holds; with a slow model and a short budget the p99 is reported but marked
    unstable.

    Rounds: sampling is cut into rounds of a quarter of the budget. At the budget it stops
    only once the p50 of the last two rounds agree within 5 % (:data:`P50_TOLERANCE`);
    otherwise it samples more rounds, up to twice the budget (``"unstable"`` when the p50
    never settled). ``p50_stable``, ``rounds`` and ``round_p50_ms`` record it. With fewer
    than two rounds, the two halves of the samples stand in for them.

    Load: each result also carries :func:`machine_load` over its sampling (``cpus``,
    ``load_avg_1m``, ``other_cpu_share``, ``own_cpus``, ``machine_busy``, ``busy_reason``).

    Warm-up: up to ``warmup`` untimed calls per batch size, ending early once a quarter
    of the budget is spent (but always at least one call), so lazy initialisation and cold
    caches do not land in the samples.

    Timing: the garbage collector is disabled while sampling (restored in ``finally``) and
    only ``predict(batch)`` lies between the two ``time.perf_counter_ns()`` readings.

    Statistics: percentiles use numpy's ``'linear'`` method (see
    :data:`PERCENTILE_METHOD`); ``std_ms`` is the sample standard deviation (ddof=1);
    ``throughput_rps`` is rows per second, ``batch_size / mean latency``. Statistics use
    every sample; ``raw_ms`` keeps at most ``raw_cap`` (20 000) of them, evenly spaced in
    time order when there are more (``"raw_ms_subsampled"`` is then true).

    Progress is reported as ``(done, total, message)`` with ``total`` the number of batch
    sizes; ``cancel`` is polled during warm-up and every 50 ms of sampling and raises
    :class:`~baton.core.errors.Cancelled`. An exception from ``predict`` becomes a
    :class:`~baton.core.errors.ModelError` (``MemoryError`` passes through unchanged).
    """
    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    sizes = [_check_positive_int("A batch size", b) for b in batch_sizes]
    if not sizes:
        raise UsageError("Give at least one batch size to measure latency.")
    min_samples = _check_positive_int("min_samples", min_samples)
    max_samples = _check_positive_int("max_samples", max_samples)
    raw_cap = _check_positive_int("raw_cap", raw_cap)
    if warmup < 0:
        raise UsageError(f"warmup must be 0 or more, not {warmup!r}.")
    if not budget_s > 0:
        raise UsageError(f"The latency time budget must be positive, not {budget_s!r}.")
    if max_samples < min_samples:
        raise UsageError("max_samples must be at least min_samples.")
    hard_s = max_time_s if max_time_s is not None else 10.0 * budget_s + 5.0
    if hard_s < budget_s:
        raise UsageError("max_time_s must be at least the time budget.")
    X = _as_rows(X)

    results: list[dict[str, Any]] = []
    total = float(len(sizes))
    cancel.check()
    for index, batch_size in enumerate(sizes):
        progress(float(index), total, f"Preparing batches of {counted(batch_size, 'row')}")
        batches = _make_batches(X, batch_size)
        if prepare is not None:
            try:
                batches = [prepare(b) for b in batches]
            except (BatonError, MemoryError):
                raise
            except Exception as exc:
                raise _call_failed(exc, batch_size) from exc
        cancel.check()
        result = _measure_one(
            predict,
            batches,
            batch_size,
            budget_ns=int(budget_s * 1e9),
            hard_ns=int(hard_s * 1e9),
            min_samples=min_samples,
            max_samples=max_samples,
            warmup=warmup,
            raw_cap=raw_cap,
            progress=progress,
            cancel=cancel,
            index=index,
            total=total,
        )
        result["budget_s"] = float(budget_s)
        result["distinct_batches"] = len(batches)
        results.append(result)
        del batches
    progress(total, total, "Latency measured")
    return results


def _median_ms(times_ns: list[int], start: int, stop: int) -> float:
    return float(np.median(np.asarray(times_ns[start:stop], dtype=np.float64))) / 1e6


def _settled(round_p50: list[float]) -> bool:
    """Whether the p50 of the last two rounds agree within :data:`P50_TOLERANCE`."""
    if len(round_p50) < 2:
        return False
    before, last = round_p50[-2], round_p50[-1]
    return abs(last - before) <= P50_TOLERANCE * max(before, last)


def _measure_one(
    predict: Callable[[Any], Any],
    batches: Sequence[Any],
    batch_size: int,
    *,
    budget_ns: int,
    hard_ns: int,
    min_samples: int,
    max_samples: int,
    warmup: int,
    raw_cap: int,
    progress: ProgressFn,
    cancel: CancelToken,
    index: int,
    total: float,
) -> dict[str, Any]:
    pc = time.perf_counter_ns
    nb = len(batches)
    times: list[int] = []
    append = times.append
    label = f"Latency at batch size {batch_size}"
    gc_was_enabled = gc.isenabled()
    warmup_calls = 0
    round_p50: list[float] = []
    try:
        # Warm-up: untimed, at most a quarter of the budget (at least one call).
        start = pc()
        warm_deadline = start + budget_ns // 4
        for k in range(warmup):
            cancel.check()
            predict(batches[k % nb])
            warmup_calls += 1
            if pc() >= warm_deadline:
                break
        cancel.check()
        progress(index + 0.0, total, f"{label}: sampling")

        gc.collect()
        gc.disable()
        before = machine_snapshot()
        start = pc()
        deadline = start + budget_ns
        hard_deadline = start + hard_ns
        # An unsettled p50 may take sampling up to twice the budget, never past the hard limit.
        extended = min(hard_deadline, start + int(budget_ns * MAX_BUDGET_FACTOR))
        round_ns = max(1, budget_ns // ROUNDS_PER_BUDGET)
        round_end = start + round_ns
        round_start = 0
        next_poll = start + _POLL_NS
        next_event = min(next_poll, round_end)
        stop_reason = "max_samples"
        i = 0
        for i in range(max_samples):
            b = batches[i % nb]
            t0 = pc()
            predict(b)
            t1 = pc()
            append(t1 - t0)
            if t1 >= next_event:
                if t1 >= round_end:
                    round_p50.append(_median_ms(times, round_start, i + 1))
                    round_start, round_end = i + 1, t1 + round_ns
                enough = i + 1 >= min_samples
                if t1 >= deadline and enough:
                    if _settled(round_p50):
                        stop_reason = "budget"
                        break
                    if t1 >= extended:
                        stop_reason = "unstable"
                        break
                if t1 >= hard_deadline:
                    stop_reason = "hard_limit"
                    break
                if t1 >= next_poll:
                    cancel.check()
                    done = min(1.0, (t1 - start) / budget_ns)
                    progress(index + done, total, f"{label}: {i + 1} samples")
                    next_poll = t1 + _POLL_NS
                # Past the deadline (still short of min_samples) look at every sample.
                next_event = 0 if t1 >= deadline and not enough else min(next_poll, round_end)
        elapsed_ns = pc() - start
        load = machine_load(before, machine_snapshot())
    except (BatonError, MemoryError):
        raise
    except Exception as exc:
        raise _call_failed(exc, batch_size) from exc
    finally:
        if gc_was_enabled:
            gc.enable()

    if len(round_p50) < 2:  # too short for rounds: compare the two halves instead
        half = len(times) // 2
        if half:
            round_p50 = [_median_ms(times, 0, half), _median_ms(times, half, len(times))]
    result = _summarise(times, batch_size, raw_cap)
    result.update(
        {
            "stop_reason": stop_reason,
            "rounds": len(round_p50),
            "round_p50_ms": [round(v, 6) for v in round_p50],
            "p50_stable": _settled(round_p50),
            **load,
            "elapsed_s": elapsed_ns / 1e9,
            "warmup_calls": warmup_calls,
            "min_samples": min_samples,
            "max_samples": max_samples,
            "sample_rule": SAMPLE_RULE,
            "percentile_method": PERCENTILE_METHOD,
            "clock": "time.perf_counter_ns",
        }
    )
    return result


# --------------------------------------------------------------------------- memory


def _mb(value: int | None) -> float | None:
    return None if value is None else value / _MB


def _as_predict(obj: Any) -> Callable[[Any], Any]:
    predict = getattr(obj, "predict", None)
    if callable(predict):
        return predict
    if callable(obj):
        return obj
    raise UsageError(
        f"The loader returned a {type(obj).__name__}, which is neither callable nor has "
        "a predict method."
    )


def profile_memory(
    load_fn: Callable[[], Any],
    X: Any,
    batch_size: int = 512,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Measure the memory a model takes once loaded and at its peak while predicting.

    ``load_fn()`` loads the model and returns either an object with a ``predict`` method
    (used when present) or a callable taking a batch. To reuse the loaded model afterwards
    (for :func:`measure_latency`), let ``load_fn`` keep it in a closure.

    Method (run it early in a fresh process; everything else alive in the process adds
    noise):

    1. A batch of ``batch_size`` rows (cycled from ``X``) is built before anything is
       measured. ``gc.collect()``, then RSS is read: ``rss_before_load_mb``.
    2. ``load_fn()``, then one warm-up ``predict`` on that batch (lazy initialisation,
       caches and pools count as part of the loaded model). ``gc.collect()``, RSS again:
       ``resident_delta_mb`` = after minus before.
    3. ``gc.collect()``, RSS read (``rss_before_predict_mb``), the peak mark is reset if
       the system allows, ``predict`` runs on the batch, and the peak is read:
       ``peak_during_predict_mb`` = peak minus the RSS just before ``predict``. Without a
       reset the peak is the highest RSS since the process started (it may have been set
       while loading), so it is an upper bound: ``peak_reset`` is then false.

    ``footprint_mb`` = ``resident_delta_mb + peak_during_predict_mb``: memory added by
    the model while serving one batch. Resident figures count only touched pages: file
    maps not yet read do not count, and memory an allocator keeps after ``free`` stays
    counted. MB = 2**20 bytes.
    """
    progress = progress or no_progress
    cancel = cancel or NEVER_CANCELLED
    batch_size = _check_positive_int("batch_size", batch_size)
    cancel.check()
    progress(0.0, 3.0, "Memory: preparing a batch")
    batch = _make_batches(_as_rows(X), batch_size, distinct=1)[0]

    gc.collect()
    before, rss_method = rss_counter()
    progress(1.0, 3.0, "Memory: loading the model")
    try:
        obj = load_fn()
    except (BatonError, MemoryError):
        raise
    except Exception as exc:
        raise ModelError(f"The model could not be loaded: {type(exc).__name__}: {exc}") from exc
    predict = _as_predict(obj)
    try:
        predict(batch)  # warm-up
        cancel.check()
        gc.collect()
        after_load, _ = rss_counter()

        progress(2.0, 3.0, f"Memory: predicting a batch of {counted(batch_size, 'row')}")
        gc.collect()
        baseline, _ = rss_counter()
        was_reset = reset_peak_rss()
        predict(batch)
        peak, peak_counter = peak_rss_counter()
    except (BatonError, MemoryError):
        raise
    except Exception as exc:
        raise _call_failed(exc, batch_size) from exc
    progress(3.0, 3.0, "Memory measured")

    if peak_counter == "unavailable":
        peak_method = "unavailable"
    elif was_reset:
        peak_method = f"{peak_counter} after reset"
    else:
        peak_method = f"{peak_counter} (not reset)"

    delta = None if before is None or after_load is None else after_load - before
    peak_delta = None if peak is None or baseline is None else max(0, peak - baseline)
    notes = [
        "resident_delta_mb: RSS after load_fn() and one warm-up predict, minus RSS before "
        "load_fn(), each after gc.collect().",
        f"peak_during_predict_mb: peak RSS ({peak_method}) during one predict of "
        f"{counted(batch_size, 'row')}, minus RSS just before it.",
        "RSS counts touched pages only; memory kept by an allocator after free is still counted.",
    ]
    if not was_reset:
        notes.append(
            "The peak counter could not be reset, so the peak is the highest RSS since the "
            "process started: peak_during_predict_mb is an upper bound."
        )
    if rss_method.startswith("ru_maxrss"):
        notes.append(
            "No current-RSS counter on this system: RSS figures are ru_maxrss (peak so "
            "far), so resident_delta_mb understates growth below an earlier peak."
        )
    return {
        "batch_size": batch_size,
        "rss_before_load_mb": _mb(before),
        "rss_after_load_mb": _mb(after_load),
        "resident_delta_mb": _mb(delta),
        "rss_before_predict_mb": _mb(baseline),
        "peak_rss_mb": _mb(peak),
        "peak_during_predict_mb": _mb(peak_delta),
        "footprint_mb": (
            None if delta is None or peak_delta is None else _mb(max(0, delta) + peak_delta)
        ),
        "rss_method": rss_method,
        "peak_method": peak_method,
        "peak_reset": was_reset,
        "notes": notes,
    }
